//! The bytes under every path of the final merged view, rolled up to each directory: what a
//! picture of where the bytes are (the HTML report's treemap) sizes its cells by.
//!
//! One pass over the view and one over the path table backwards: a path's id is always
//! greater than its parent's (the table interns parents first), so walking ids from the
//! largest down adds every child to its parent before the parent is added to its own. Two
//! flat vectors indexed by path id, no map and nothing per directory.

use super::merge::{entry, Stack};
use crate::tree::paths::PathId;
use crate::tree::{EntryKind, LayerTree};

/// Rolled-up sizes of the final view, indexed by path id (0 for paths it does not show).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sizes {
    /// Regular-file content bytes at or under the path (a copy only a hardlink still names
    /// counted at the link's path), as `Waste::final_bytes` counts them: the root's is
    /// `final_bytes`.
    pub bytes: Vec<u64>,
    /// Regular files at or under the path (hardlinks not counted), as `final_files`.
    pub files: Vec<u64>,
}

impl Sizes {
    pub fn bytes(&self, id: PathId) -> u64 {
        self.bytes.get(id as usize).copied().unwrap_or(0)
    }

    pub fn files(&self, id: PathId) -> u64 {
        self.files.get(id as usize).copied().unwrap_or(0)
    }
}

/// The sizes of `stack`'s final view.
pub fn final_view(layers: &[&LayerTree], stack: &Stack) -> Sizes {
    let n = stack.paths.len();
    let mut bytes = vec![0u64; n];
    let mut files = vec![0u64; n];
    for (id, loc) in stack.top.live.iter().enumerate() {
        let Some(e) = loc.and_then(|loc| entry(layers, loc)) else {
            continue;
        };
        if e.kind == EntryKind::File && id < n {
            bytes[id] += e.size;
            files[id] += 1;
        }
    }
    for &(id, copy) in &stack.linked_only {
        if let (Some(e), Some(b)) = (entry(layers, copy), bytes.get_mut(id as usize)) {
            *b += e.content_bytes();
        }
    }
    for id in (1..n).rev() {
        let parent = stack.paths.parent(id as PathId) as usize;
        if parent < id {
            bytes[parent] += bytes[id];
            files[parent] += files[id];
        }
    }
    Sizes { bytes, files }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::merge;
    use crate::tree::paths::ROOT;
    use crate::tree::Entry;

    fn file(path: &str, size: u64) -> Entry {
        Entry {
            size,
            ..Entry::for_test(path, EntryKind::File)
        }
    }

    #[test]
    fn directories_hold_the_bytes_and_files_the_final_view_shows_under_them() {
        let l0 = LayerTree {
            entries: vec![
                Entry::for_test("usr", EntryKind::Dir),
                file("usr/lib/a", 100),
                file("usr/lib/b", 20),
                file("usr/bin/c", 3),
                file("etc/gone", 1000),
                file("etc/kept", 5),
            ],
            ..Default::default()
        };
        let l1 = LayerTree {
            entries: vec![
                Entry::for_test("etc/gone", EntryKind::Whiteout),
                file("usr/lib/a", 40),
            ],
            ..Default::default()
        };
        let layers = [&l0, &l1];
        let stack = merge::stack(&layers);
        let s = final_view(&layers, &stack);
        let id = |p: &str| stack.paths.get(p).unwrap();
        assert_eq!(s.bytes(ROOT), 40 + 20 + 3 + 5);
        assert_eq!(s.files(ROOT), 4);
        assert_eq!(s.bytes(id("usr")), 63);
        assert_eq!(s.bytes(id("usr/lib")), 60);
        assert_eq!(s.files(id("usr/lib")), 2);
        assert_eq!(s.bytes(id("etc")), 5);
        assert_eq!(s.bytes(id("etc/gone")), 0);
        let waste = crate::analysis::waste::figures(&layers, &stack);
        assert_eq!(s.bytes(ROOT), waste.final_bytes);
        assert_eq!(s.files(ROOT), waste.final_files);
    }
}
