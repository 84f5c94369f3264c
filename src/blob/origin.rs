//! Where a blob's bytes come from, as far as trusting them goes (DESIGN section 1: the cache
//! never vouches for bytes it did not check). A blob from strata's own blob store was verified
//! when it entered it; a blob in a local file is what strata verified only while the file is
//! unchanged, which its identity (device, inode, size, mtime and ctime, to the nanosecond)
//! tells; anything else (a download, an engine's stream) must be read and checked.

use std::path::{Path, PathBuf};

/// Where a blob's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// strata's blob store, which checked the bytes against their digest when they entered.
    Verified,
    /// A local file, or an entry of one (an archive's member), as it is now.
    File(FileIdentity),
}

/// A local file's state, and which part of it a blob is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileIdentity {
    /// The file, made absolute.
    pub path: PathBuf,
    /// The member of an archive the blob is (its name), or "" for the whole file.
    pub entry: String,
    pub device: u64,
    pub inode: u64,
    pub size: u64,
    pub mtime_ns: i128,
    pub ctime_ns: i128,
}

impl FileIdentity {
    /// The identity of `path` as it is now, for the blob `entry` of it.
    pub fn of(path: &Path, entry: &str) -> Option<FileIdentity> {
        use std::os::unix::fs::MetadataExt;
        let path = std::fs::canonicalize(path).ok()?;
        let m = std::fs::metadata(&path).ok()?;
        let ns = |secs: i64, nsec: i64| i128::from(secs) * 1_000_000_000 + i128::from(nsec);
        Some(FileIdentity {
            path,
            entry: entry.to_string(),
            device: m.dev(),
            inode: m.ino(),
            size: m.size(),
            mtime_ns: ns(m.mtime(), m.mtime_nsec()),
            ctime_ns: ns(m.ctime(), m.ctime_nsec()),
        })
    }

    /// The same file, another member of it.
    pub fn entry(&self, entry: &str) -> FileIdentity {
        FileIdentity {
            entry: entry.to_string(),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_touched_file_is_another_identity_and_an_untouched_one_the_same() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let f = dir.path().join("image.tar");
        std::fs::write(&f, b"bytes").unwrap_or_else(|e| panic!("{e}"));
        let a = FileIdentity::of(&f, "blobs/sha256/x");
        assert!(a.is_some());
        assert_eq!(a, FileIdentity::of(&f, "blobs/sha256/x"));
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        let file = std::fs::File::options().append(true).open(&f);
        assert!(file.is_ok_and(|file| file.set_modified(later).is_ok()));
        assert_ne!(a, FileIdentity::of(&f, "blobs/sha256/x"));
    }
}
