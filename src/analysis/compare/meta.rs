//! Metadata-only changes, collapsed: a `chown -R app:app /app` is one row
//! (`/app  4,720 entries: owner 0:0 → 1000:1000`), not 4,720.
//!
//! Entries group by what changed (the `Meta::change_to` text) and by a directory: the
//! topmost directory of an unbroken chain of directories above the entry that themselves
//! changed the same way (the directory a recursive chown or chmod started from), or else the
//! entry's parent directory. Each group is one row.

use std::collections::{BTreeMap, HashMap};

use super::{FileChange, FileDiff};

/// One collapsed row of metadata-only changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaGroup {
    /// The directory (normalised, no leading `/`; "" for the root).
    pub dir: String,
    /// What changed: `owner 0:0 → 1000:1000`, `mode 0644 → 0600`, or both.
    pub change: String,
    /// Indexes into the comparison's files, the directory itself included when it changed.
    pub files: Vec<usize>,
}

/// The metadata-only changes of `files`, grouped; most entries first.
pub fn groups(files: &[FileDiff]) -> Vec<MetaGroup> {
    let changes: HashMap<&str, String> = files
        .iter()
        .filter_map(|f| Some((f.path.as_str(), f.meta_change()?)))
        .collect();
    let mut rows: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        if f.change != FileChange::MetadataOnly {
            continue;
        }
        let Some(change) = changes.get(f.path.as_str()) else {
            continue;
        };
        // Climb while the directory above changed the same way.
        let mut top: Option<&str> = None;
        let mut at = f.path.as_str();
        while let Some(cut) = at.rfind('/') {
            let dir = &at[..cut];
            if changes.get(dir) != Some(change) {
                break;
            }
            top = Some(dir);
            at = dir;
        }
        let is_dir = f.kind_b == Some(crate::tree::EntryKind::Dir);
        let dir = match top {
            Some(d) => d,
            // A directory that starts a chain is its own group's directory.
            None if is_dir => f.path.as_str(),
            None => f.path.rfind('/').map_or("", |cut| &f.path[..cut]),
        };
        rows.entry((dir, change.as_str())).or_default().push(i);
    }
    let mut out: Vec<MetaGroup> = rows
        .into_iter()
        .map(|((dir, change), files)| MetaGroup {
            dir: dir.to_string(),
            change: change.to_string(),
            files,
        })
        .collect();
    out.sort_by(|a, b| b.files.len().cmp(&a.files.len()).then(a.dir.cmp(&b.dir)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::compare::Meta;
    use crate::tree::EntryKind;

    fn meta(path: &str, dir: bool, a: (u32, u32), b: (u32, u32)) -> FileDiff {
        let mut f = FileDiff::for_test(path, FileChange::MetadataOnly);
        let kind = if dir { EntryKind::Dir } else { EntryKind::File };
        (f.kind_a, f.kind_b) = (Some(kind), Some(kind));
        f.meta_a = Some(Meta {
            mode: a.1,
            uid: a.0,
            gid: a.0,
        });
        f.meta_b = Some(Meta {
            mode: b.1,
            uid: b.0,
            gid: b.0,
        });
        f
    }

    #[test]
    fn a_recursive_chown_is_one_row_at_the_directory_it_started_from() {
        let files = vec![
            meta("app", true, (0, 0o755), (1000, 0o755)),
            meta("app/src", true, (0, 0o755), (1000, 0o755)),
            meta("app/src/main.py", false, (0, 0o644), (1000, 0o644)),
            meta("app/README", false, (0, 0o644), (1000, 0o644)),
            // A chmod of two files in /etc, whose directory did not change.
            meta("etc/shadow", false, (0, 0o640), (0, 0o600)),
            meta("etc/gshadow", false, (0, 0o640), (0, 0o600)),
            // A changed file is not metadata-only.
            FileDiff::for_test("app/changed", FileChange::Changed),
        ];
        let got: Vec<(String, String, usize)> = groups(&files)
            .into_iter()
            .map(|g| (g.dir, g.change, g.files.len()))
            .collect();
        assert_eq!(
            got,
            [
                ("app".into(), "owner 0:0 → 1000:1000".into(), 4),
                ("etc".into(), "mode 0640 → 0600".into(), 2),
            ]
        );
    }
}
