//! Random access to the files of an image, whether they sit in a tar or in a directory.
//! A tar is indexed once (headers only, data skipped by seeking); each blob is then read
//! straight from its offset, so layers can be read in parallel and never held in memory.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::blob::origin::{FileIdentity, Origin};
use crate::model::path::normalize;

/// Refuses, before anything opens it, a path that is neither a regular file nor a directory:
/// opening a FIFO blocks until someone writes to it, a terminal until someone types, a socket
/// cannot be opened at all, and none of them can be read twice or at random as an archive
/// must be. `meta` is the path's `std::fs::metadata` (symlinks followed).
pub fn check_file_type(meta: &std::fs::Metadata) -> crate::model::error::Result<()> {
    let kind = meta.file_type();
    if kind.is_file() || kind.is_dir() {
        return Ok(());
    }
    let what = special_kind(&kind);
    Err(crate::model::error::Error::NotAnImage {
        reason: format!(
            "{what}, not a file or directory; save the image to a file first (`docker save -o \
             FILE`)"
        ),
    })
}

#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

/// Files of an image, by their path inside the archive or directory.
pub trait Store: Send + Sync {
    /// Opens a file for streaming, with its size.
    fn open(&self, name: &str) -> io::Result<(Box<dyn Read + Send + '_>, u64)>;
    fn contains(&self, name: &str) -> bool;
    /// The size of a file, if present.
    fn size(&self, name: &str) -> Option<u64>;

    /// The first bytes of a file, where that is cheap (not for a blob still to download).
    fn head(&self, name: &str, n: usize) -> Option<Vec<u8>> {
        let (r, _) = self.open(name).ok()?;
        let mut out = Vec::with_capacity(n);
        r.take(n as u64).read_to_end(&mut out).ok()?;
        Some(out)
    }

    /// Where a blob's bytes come from, for deciding whether what was read from them before can
    /// stand in for reading them (`None`: nothing vouches for them; read and check them).
    fn origin(&self, _name: &str) -> Option<Origin> {
        None
    }

    /// `len` bytes of a file from `offset`, fetched without the rest of it (an HTTP Range
    /// request). `None`: this store cannot fetch a part without the whole (a local file, a
    /// blob already in the cache, a registry that ignores ranges or is offline, a part too
    /// large to ask for); read the blob whole instead. The bytes are not checked against
    /// anything here: the caller checks them against a digest that covers them.
    fn range(&self, _name: &str, _offset: u64, _len: u64) -> Option<io::Result<Vec<u8>>> {
        None
    }

    /// Reads a small file (manifest, index, config) whole, or its first `max + 1` bytes if
    /// it is larger (the caller reports that).
    fn read_small(&self, name: &str, max: u64) -> io::Result<Vec<u8>> {
        let (r, size) = self.open(name)?;
        let mut out = Vec::with_capacity(size.min(max.saturating_add(1)).min(1 << 20) as usize);
        r.take(max.saturating_add(1)).read_to_end(&mut out)?;
        Ok(out)
    }
}

/// An uncompressed tar, indexed by entry name.
pub struct TarStore {
    file: PathBuf,
    entries: HashMap<String, (u64, u64)>,
    /// The archive the user named (a compressed one is read from a decompressed copy), as it
    /// was when it was indexed.
    origin: Option<FileIdentity>,
    /// How the archive ended: with its end-of-archive marker or, perhaps cut, without.
    ending: super::archive::Ending,
}

impl TarStore {
    /// Walks the tar's headers once. Fails if the file is not a tar. `named` is the file the
    /// user named (`file` may be a decompressed copy of it).
    pub fn index(file: &Path, named: &Path) -> Result<TarStore, super::archive::WalkError> {
        // Before reading: a change after this shows in the identity.
        let origin = FileIdentity::of(named, "");
        let f = File::open(file).map_err(super::archive::WalkError::Read)?;
        let mut entries = HashMap::new();
        let ending = super::archive::walk_file(f, |entry| {
            entries.insert(entry.name, (entry.offset, entry.size));
            Ok(super::archive::Next::Continue)
        })?;
        Ok(TarStore {
            file: file.to_path_buf(),
            entries,
            origin,
            ending,
        })
    }

    /// How the archive ended (see `archive::Ending`).
    pub fn ending(&self) -> &super::archive::Ending {
        &self.ending
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Store for TarStore {
    fn open(&self, name: &str) -> io::Result<(Box<dyn Read + Send + '_>, u64)> {
        let &(offset, size) = self
            .entries
            .get(name)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{name} not found")))?;
        let mut f = File::open(&self.file)?;
        f.seek(SeekFrom::Start(offset))?;
        Ok((Box::new(f.take(size)), size))
    }

    fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    fn size(&self, name: &str) -> Option<u64> {
        self.entries.get(name).map(|&(_, s)| s)
    }

    fn origin(&self, name: &str) -> Option<Origin> {
        self.entries.get(name)?;
        Some(Origin::File(self.origin.as_ref()?.entry(name)))
    }
}

/// A directory (an OCI layout, or an extracted `docker save`).
pub struct DirStore {
    root: PathBuf,
}

impl DirStore {
    pub fn new(root: &Path) -> DirStore {
        DirStore {
            root: root.to_path_buf(),
        }
    }

    /// Only plain relative names inside the root: an index or manifest cannot make strata read
    /// `../../etc/shadow`.
    fn resolve(&self, name: &str) -> Option<PathBuf> {
        let clean = normalize(name)?;
        if clean != name.trim_start_matches("./") {
            return None;
        }
        Some(self.root.join(clean))
    }
}

impl Store for DirStore {
    fn open(&self, name: &str) -> io::Result<(Box<dyn Read + Send + '_>, u64)> {
        let path = self.resolve(name).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("bad blob path {name}"))
        })?;
        let f = File::open(path)?;
        let size = f.metadata()?.len();
        Ok((Box::new(f), size))
    }

    fn contains(&self, name: &str) -> bool {
        self.resolve(name).is_some_and(|p| p.is_file())
    }

    fn size(&self, name: &str) -> Option<u64> {
        self.resolve(name)
            .and_then(|p| p.metadata().ok())
            .filter(|m| m.is_file())
            .map(|m| m.len())
    }

    fn origin(&self, name: &str) -> Option<Origin> {
        FileIdentity::of(&self.resolve(name)?, "").map(Origin::File)
    }
}

/// The small files of an archive that was read once as a stream (see `crate::load::engine_stream`), held
/// in memory, and the sizes of the large ones that went by (which cannot be opened).
#[derive(Default)]
pub struct MemStore {
    files: HashMap<String, Vec<u8>>,
    sizes: HashMap<String, u64>,
}

impl MemStore {
    /// Keeps a file's bytes.
    pub fn keep(&mut self, name: String, bytes: Vec<u8>) {
        self.sizes.insert(name.clone(), bytes.len() as u64);
        self.files.insert(name, bytes);
    }

    /// Notes that a file of `size` bytes went by, not kept.
    pub fn passed(&mut self, name: String, size: u64) {
        self.files.remove(&name);
        self.sizes.insert(name, size);
    }
}

impl Store for MemStore {
    fn open(&self, name: &str) -> io::Result<(Box<dyn Read + Send + '_>, u64)> {
        match self.files.get(name) {
            Some(bytes) => Ok((Box::new(bytes.as_slice()), bytes.len() as u64)),
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{name} not found"),
            )),
        }
    }

    fn contains(&self, name: &str) -> bool {
        self.files.contains_key(name)
    }

    fn size(&self, name: &str) -> Option<u64> {
        self.sizes.get(name).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line a user reads for `path`, or none when it opens.
    fn refusal(path: &Path) -> Option<String> {
        let meta = std::fs::metadata(path).ok()?;
        check_file_type(&meta)
            .err()
            .map(|e| e.about(&path.display().to_string()).to_string())
    }

    #[test]
    fn only_files_and_directories_are_opened() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("image.tar");
        std::fs::write(&file, b"x").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(refusal(&file), None);
        assert_eq!(refusal(dir.path()), None);
        #[cfg(unix)]
        {
            let fifo = dir.path().join("fifo");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            assert!(made.is_ok_and(|s| s.success()));
            assert_eq!(
                refusal(&fifo).unwrap_or_default(),
                format!(
                    "{}: not a container image: a named pipe (FIFO), not a file or directory; \
                     save the image to a file first (`docker save -o FILE`)",
                    fifo.display()
                )
            );
            let err = refusal(Path::new("/dev/null")).unwrap_or_default();
            assert!(err.contains("a character device"), "{err}");
        }
    }
}
