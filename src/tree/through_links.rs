//! Paths through symlinked directories. A layer may name `lib/x` where a lower layer (or an
//! earlier entry of the same layer) made `lib` a symlink to `usr/lib`: unpacked, `x` lands in
//! `usr/lib/x` and `lib` stays a symlink (umoci and Docker both resolve a path's parent
//! directories inside the root filesystem). Builders that diff an overlay never write such
//! paths, but layers made by other tools can.
//!
//! `follow_parent_links` rewrites those paths, once every layer is read, so that the merged
//! view (and everything built on it) sees where each entry really goes. What the tar said is
//! kept in `LayerTree::moved`, for what must match the tar itself: dive's figures (dive does
//! not resolve links) and the re-read of a layer when extracting.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::{EntryKind, LayerTree};
use crate::model::path::{normalize, parent};

/// Symlinks followed for one path before giving up (Linux's ELOOP limit).
const MAX_HOPS: usize = 40;

/// Rewrites, layer by layer from the bottom, every entry path (and hardlink target) whose
/// parent directories pass through a symlink live at that point. A tree shared elsewhere (a
/// snapshot shown while the image loaded) is copied only if one of its entries moves.
pub fn follow_parent_links(layers: &mut [Arc<LayerTree>]) {
    let mut live = LiveLinks::default();
    for layer in layers.iter_mut() {
        // Deletions apply to the layers below first (OCI; as the merge applies them).
        for i in 0..layer.entries.len() {
            let kind = layer.entries[i].kind;
            if !kind.is_deletion() {
                continue;
            }
            let path = &layer.entries[i].path;
            let resolved = match kind {
                // The marker sits in the directory itself.
                EntryKind::Opaque => live.resolve_dir(path),
                _ => live.resolve_parent(path),
            };
            if let Some(new) = resolved {
                Arc::make_mut(layer).moved(i, new);
            }
            let path = layer.entries[i].path.to_string();
            match kind {
                EntryKind::Opaque => live.remove_below(&path),
                _ => live.remove_tree(&path),
            };
        }
        // Entries come directory by directory: the last directory's resolution is reused
        // until the links change.
        let mut memo: Option<(String, Option<String>)> = None;
        for i in 0..layer.entries.len() {
            let e = &layer.entries[i];
            if e.kind.is_deletion() || (live.is_empty() && e.kind != EntryKind::Symlink) {
                continue;
            }
            if let Some(dir) = parent(&e.path) {
                let resolved = match &memo {
                    Some((d, r)) if d == dir => r.clone(),
                    _ => {
                        let r = live.resolve_dir(dir);
                        memo = Some((dir.to_string(), r.clone()));
                        r
                    }
                };
                if let Some(new_dir) = resolved {
                    let name = &e.path[dir.len() + 1..];
                    // A link to the root (`..` from the top) leaves the bare name.
                    let new = if new_dir.is_empty() {
                        name.to_string()
                    } else {
                        format!("{new_dir}/{name}")
                    };
                    Arc::make_mut(layer).moved(i, new);
                }
            }
            let e = &layer.entries[i];
            if e.kind == EntryKind::Hardlink {
                if let Some(new) = e.link.as_deref().and_then(|l| live.resolve_parent(l)) {
                    Arc::make_mut(layer).entries[i].link = Some(new.into_boxed_str());
                }
            }
            let e = &layer.entries[i];
            let changed = match e.kind {
                EntryKind::Symlink => {
                    live.add(&e.path, e.link.as_deref().unwrap_or(""));
                    true
                }
                // A hardlink to a live symlink is another name of that symlink (one inode):
                // paths through it go where the symlink leads, from where the name is.
                EntryKind::Hardlink => {
                    let target = e.link.as_deref().and_then(|l| live.targets.get(l)).cloned();
                    let removed = live.remove_tree(&e.path);
                    match target {
                        Some(target) => {
                            live.add(&e.path, &target);
                            true
                        }
                        None => removed,
                    }
                }
                // A directory re-listed merges; anything else replaces what was there.
                EntryKind::Dir => live.remove(&e.path),
                _ => live.remove_tree(&e.path),
            };
            if changed {
                memo = None;
            }
        }
    }
}

impl LayerTree {
    /// Moves entry `i` to `path`, remembering the tar's own path.
    fn moved(&mut self, i: usize, path: String) {
        let old = std::mem::replace(&mut self.entries[i].path, path.into_boxed_str());
        self.moved.push((i as u32, old));
    }

    /// The path entry `i` has in the tar (before `follow_parent_links` moved it).
    pub fn tar_path(&self, i: usize) -> Option<&str> {
        match self.moved.iter().find(|(at, _)| *at as usize == i) {
            Some((_, old)) => Some(old),
            None => self.entries.get(i).map(|e| &*e.path),
        }
    }
}

/// The symlinks of the merged view so far: their targets by path, the paths in order (to drop
/// a whole subtree), and how many are below each directory (so that the many entries with no
/// link below them cost one lookup).
#[derive(Default)]
struct LiveLinks {
    targets: HashMap<String, String, foldhash::fast::RandomState>,
    sorted: BTreeSet<String>,
    below: HashMap<String, u32, foldhash::fast::RandomState>,
}

/// The proper ancestors of a normalised path: `a`, `a/b` for `a/b/c`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

impl LiveLinks {
    fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    fn add(&mut self, path: &str, target: &str) {
        if self
            .targets
            .insert(path.to_string(), target.to_string())
            .is_none()
        {
            self.sorted.insert(path.to_string());
            for a in ancestors(path) {
                *self.below.entry(a.to_string()).or_default() += 1;
            }
        }
    }

    /// Whether a link was removed.
    fn remove(&mut self, path: &str) -> bool {
        let had = self.targets.remove(path).is_some();
        if had {
            self.sorted.remove(path);
            for a in ancestors(path) {
                if let Some(n) = self.below.get_mut(a) {
                    *n -= 1;
                    if *n == 0 {
                        self.below.remove(a);
                    }
                }
            }
        }
        had
    }

    /// `path` and everything below it; whether a link was removed.
    fn remove_tree(&mut self, path: &str) -> bool {
        let here = self.remove(path);
        self.remove_below(path) || here
    }

    /// Everything below `path` (`path` itself stays); the whole view for the root. Whether a
    /// link was removed.
    fn remove_below(&mut self, path: &str) -> bool {
        if self.targets.is_empty() || !(path.is_empty() || self.below.contains_key(path)) {
            return false;
        }
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        let gone: Vec<String> = self
            .sorted
            .range(prefix.clone()..)
            .take_while(|p| p.starts_with(&prefix))
            .cloned()
            .collect();
        let removed = !gone.is_empty();
        for p in gone {
            self.remove(&p);
        }
        removed
    }

    /// `path` with its parent directories resolved; `None` when nothing changes.
    fn resolve_parent(&self, path: &str) -> Option<String> {
        let dir = parent(path)?;
        let name = &path[dir.len() + 1..];
        let resolved = self.resolve_dir(dir)?;
        Some(if resolved.is_empty() {
            name.to_string()
        } else {
            format!("{resolved}/{name}")
        })
    }

    /// The directory `dir` with every symlink on its way resolved; `None` when there is none.
    fn resolve_dir(&self, dir: &str) -> Option<String> {
        if self.targets.is_empty() || dir.is_empty() {
            return None;
        }
        let mut current = dir.to_string();
        let mut changed = false;
        'hops: for _ in 0..MAX_HOPS {
            // The shortest prefix that is a symlink is the first one a walk meets.
            let mut end = 0;
            while end < current.len() {
                end = current[end..].find('/').map_or(current.len(), |i| end + i);
                let prefix = &current[..end];
                if let Some(target) = self.targets.get(prefix) {
                    let base = if target.starts_with('/') {
                        String::new()
                    } else {
                        parent(prefix).unwrap_or("").to_string()
                    };
                    let rest = &current[end..];
                    let joined = format!("{base}/{target}{rest}");
                    current = normalize(&joined).unwrap_or_default();
                    changed = true;
                    continue 'hops;
                }
                end += 1;
            }
            break;
        }
        changed.then_some(current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::Entry;

    fn entry(path: &str, kind: EntryKind, link: Option<&str>) -> Entry {
        Entry {
            link: link.map(Into::into),
            ..Entry::for_test(path, kind)
        }
    }

    fn layer(entries: Vec<Entry>) -> LayerTree {
        LayerTree {
            entries,
            ..Default::default()
        }
    }

    fn paths(l: &LayerTree) -> Vec<&str> {
        l.entries.iter().map(|e| &*e.path).collect()
    }

    #[test]
    fn paths_through_symlinked_directories_land_where_unpacking_puts_them() {
        let layers = vec![
            layer(vec![
                entry("usr/lib", EntryKind::Dir, None),
                entry("lib", EntryKind::Symlink, Some("usr/lib")),
                entry("abs", EntryKind::Symlink, Some("/usr")),
                entry("real", EntryKind::Dir, None),
                entry("link", EntryKind::Symlink, Some("real")),
                entry("hop", EntryKind::Symlink, Some("lib")),
                entry("loop", EntryKind::Symlink, Some("loop")),
                entry("up", EntryKind::Symlink, Some("..")),
            ]),
            layer(vec![
                entry("lib/x", EntryKind::File, None),
                entry("abs/lib/y", EntryKind::File, None),
                entry("hop/z", EntryKind::File, None),
                entry("link/f", EntryKind::Whiteout, None),
                entry("lib", EntryKind::Symlink, Some("usr/lib")),
                entry("h", EntryKind::Hardlink, Some("lib/x")),
                entry("loop/q", EntryKind::File, None),
                entry("up/top", EntryKind::File, None),
            ]),
        ];
        let mut shared: Vec<Arc<LayerTree>> = layers.into_iter().map(Arc::new).collect();
        follow_parent_links(&mut shared);
        let layers: Vec<&LayerTree> = shared.iter().map(|l| &**l).collect();
        assert_eq!(
            paths(layers[1]),
            [
                "usr/lib/x",
                "usr/lib/y",
                "usr/lib/z",
                "real/f",
                "lib",
                "h",
                // A loop is left as it is after the hop limit.
                "loop/q",
                // `..` from the top is the root.
                "top",
            ]
        );
        assert_eq!(layers[1].entries[5].link.as_deref(), Some("usr/lib/x"));
        assert_eq!(layers[1].tar_path(0), Some("lib/x"));
        assert_eq!(layers[1].tar_path(4), Some("lib"));
        assert_eq!(layers[0].moved, []);
    }

    #[test]
    fn a_symlink_replaced_or_removed_is_no_longer_followed() {
        let layers = vec![
            layer(vec![
                entry("a", EntryKind::Symlink, Some("b")),
                entry("c", EntryKind::Symlink, Some("b")),
                entry("d", EntryKind::Dir, None),
                entry("d/e", EntryKind::Symlink, Some("/b")),
            ]),
            layer(vec![
                entry("a", EntryKind::Dir, None),
                entry("a/x", EntryKind::File, None),
                entry("c", EntryKind::Whiteout, None),
                entry("d", EntryKind::Opaque, None),
                entry("c/y", EntryKind::File, None),
                entry("d/e/z", EntryKind::File, None),
            ]),
        ];
        let mut shared: Vec<Arc<LayerTree>> = layers.into_iter().map(Arc::new).collect();
        follow_parent_links(&mut shared);
        let layers: Vec<&LayerTree> = shared.iter().map(|l| &**l).collect();
        assert_eq!(paths(layers[1]), ["a", "a/x", "c", "d", "c/y", "d/e/z"]);
        assert_eq!(layers[1].moved, []);
    }
}
