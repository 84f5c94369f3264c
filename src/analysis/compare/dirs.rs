//! The directories whose bytes changed most between two images (DESIGN section 4b, `dirs`),
//! rolled up: a directory's figures count every non-directory entry beneath it that was added,
//! removed or changed (metadata-only changes move no bytes; `meta` collapses those).
//!
//! Which directories are listed: every directory that directly holds a differing entry,
//! and every directory where changes in two or more of its subdirectories meet (the place a
//! reader would look for "what changed under here"). A chain of directories that only lead to
//! one changed directory (`usr/`, `usr/local/`, ...) adds nothing and is left out, as is the
//! root. Only directories whose bytes changed are listed, largest change first.

use std::collections::HashMap;

use super::FileDiff;
use crate::tree::EntryKind;

/// How many directories `dirs` keeps.
pub const DIR_ROWS: usize = 50;

/// One directory's rolled-up change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirDelta {
    /// Normalised path (no leading `/`).
    pub path: String,
    /// Non-directory entries beneath it, at any depth, whose kind or content differs.
    pub files: u64,
    pub bytes_a: u64,
    pub bytes_b: u64,
}

impl DirDelta {
    pub fn delta(&self) -> i64 {
        self.bytes_b as i64 - self.bytes_a as i64
    }
}

#[derive(Default)]
struct Acc {
    files: u64,
    bytes_a: u64,
    bytes_b: u64,
    direct: bool,
    /// Child directories with changes beneath them.
    branches: u32,
}

/// The directories of `files` whose bytes changed most, at most `DIR_ROWS`.
pub fn dirs(files: &[FileDiff]) -> Vec<DirDelta> {
    let mut acc: HashMap<&str, Acc> = HashMap::new();
    for f in files {
        // Directories and metadata-only changes move no bytes (`meta` collapses the latter).
        let is_dir = f.kind_b.or(f.kind_a) == Some(EntryKind::Dir);
        if is_dir || f.change == super::FileChange::MetadataOnly {
            continue;
        }
        let mut child = f.path.as_str();
        let mut first = true;
        while let Some(cut) = child.rfind('/') {
            let dir = &child[..cut];
            // `child` is a directory that just got its first changed entry: a new branch.
            let branch = !first && acc.get(child).is_some_and(|c| c.files == 1);
            let slot = acc.entry(dir).or_default();
            slot.files += 1;
            slot.bytes_a += f.size_a;
            slot.bytes_b += f.size_b;
            slot.direct |= first;
            slot.branches += u32::from(branch);
            first = false;
            child = dir;
        }
    }
    let mut out: Vec<DirDelta> = acc
        .into_iter()
        .filter(|(_, a)| (a.direct || a.branches >= 2) && a.bytes_a != a.bytes_b)
        .map(|(path, a)| DirDelta {
            path: path.to_string(),
            files: a.files,
            bytes_a: a.bytes_a,
            bytes_b: a.bytes_b,
        })
        .collect();
    out.sort_by(|x, y| {
        y.delta()
            .unsigned_abs()
            .cmp(&x.delta().unsigned_abs())
            .then_with(|| y.files.cmp(&x.files))
            .then_with(|| x.path.cmp(&y.path))
    });
    out.truncate(DIR_ROWS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::compare::FileChange;

    fn f(path: &str, a: u64, b: u64) -> FileDiff {
        let mut d = FileDiff::for_test(path, FileChange::Changed);
        d.size_a = a;
        d.size_b = b;
        d
    }

    #[test]
    fn directories_roll_up_and_pass_through_chains_drop_out() {
        let files = vec![
            f("usr/lib/py/requests/api.py", 100, 150),
            f("usr/lib/py/requests/models.py", 200, 230),
            f("usr/lib/py/requests-2.32.3.dist-info/RECORD", 0, 40),
            f("usr/lib/py/requests-2.31.0.dist-info/RECORD", 35, 0),
            f("etc/motd", 5, 5),
            f("app/a/b/c/big.bin", 0, 1000),
        ];
        let got: Vec<(String, u64, i64)> = dirs(&files)
            .into_iter()
            .map(|d| (d.path.clone(), d.files, d.delta()))
            .collect();
        assert_eq!(
            got,
            [
                // Direct holders.
                ("app/a/b/c".to_string(), 1, 1000),
                // Where requests/ and the two dist-info directories meet.
                ("usr/lib/py".to_string(), 4, 85),
                ("usr/lib/py/requests".to_string(), 2, 80),
                ("usr/lib/py/requests-2.32.3.dist-info".to_string(), 1, 40),
                ("usr/lib/py/requests-2.31.0.dist-info".to_string(), 1, -35),
            ]
        );
    }
}
