//! The verified blob store on disk, under `$STRATA_CACHE_DIR`, else `dirs::cache_dir()/strata`:
//! - `blobs/sha256/HEX`: registry blobs (layers, configs, manifests) by digest;
//! - `refs/HEX`: the manifest digest a registry tag pointed to when last seen.
//!
//! A blob enters only by rename from `tmp/` after its digest checked out, so a crash or a
//! second strata process never sees half a blob, and a blob that fails verification is never
//! kept. Small blobs are checked again when read; large ones are hashed by whoever streams
//! them. The analysed trees and dive figures beside them live one layer up (`crate::cache`),
//! which also lists and prunes the whole directory.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest as _, Sha256};

use crate::model::digest::Digest;

/// Largest metadata blob (a manifest, a config) read whole. Real ones are a few KB.
pub const MAX_METADATA_BYTES: u64 = 64 << 20;

/// The directory strata keeps its cache in: `$STRATA_CACHE_DIR`, else
/// `dirs::cache_dir()/strata`; `None` when the platform has no cache directory.
pub fn default_root() -> Option<PathBuf> {
    match std::env::var_os("STRATA_CACHE_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => dirs::cache_dir().map(|d| d.join("strata")),
    }
}

/// Blobs and tag records in a cache directory.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    /// The user's store (see `default_root`).
    pub fn user() -> Option<BlobStore> {
        default_root().map(BlobStore::at)
    }

    pub fn at(root: PathBuf) -> BlobStore {
        BlobStore { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root.join("blobs/sha256").join(digest.hex())
    }

    fn ref_path(&self, reference: &str) -> PathBuf {
        self.root
            .join("refs")
            .join(Digest::of(reference.as_bytes()).hex())
    }

    /// The path of a cached blob, if present. Large blobs are verified when they are read
    /// (the layer reader hashes them); small ones by `read_blob`.
    pub fn blob(&self, digest: &Digest) -> Option<PathBuf> {
        let path = self.blob_path(digest);
        if path.is_file() {
            touch(&path);
            Some(path)
        } else {
            None
        }
    }

    /// Reads a small cached blob (manifest, config) and checks its digest; a bad one is
    /// removed.
    pub fn read_blob(&self, digest: &Digest) -> Option<Vec<u8>> {
        let path = self.blob_path(digest);
        let mut bytes = Vec::new();
        File::open(&path)
            .ok()?
            .take(MAX_METADATA_BYTES + 1)
            .read_to_end(&mut bytes)
            .ok()?;
        if &Digest::of(&bytes) != digest {
            let _ = fs::remove_file(&path);
            return None;
        }
        touch(&path);
        Some(bytes)
    }

    /// Stores a small blob whose bytes are at hand; refused if they do not match `digest`.
    pub fn put_blob(&self, digest: &Digest, bytes: &[u8]) -> io::Result<()> {
        let mut w = self.blob_writer(digest)?;
        w.write(bytes)?;
        w.commit().map(|_| ())
    }

    /// A writer that stores a blob as it streams by; `commit` keeps it only if its digest
    /// checks out.
    pub fn blob_writer(&self, digest: &Digest) -> io::Result<BlobWriter> {
        let temp = self.temp_file()?;
        Ok(BlobWriter {
            temp: io::BufWriter::with_capacity(256 * 1024, temp),
            hasher: Sha256::new(),
            expected: digest.clone(),
            target: self.blob_path(digest),
        })
    }

    /// A temp file in the store's `tmp/`, on the same filesystem as its destination so the
    /// final rename is atomic.
    pub(crate) fn temp_file(&self) -> io::Result<tempfile::NamedTempFile> {
        let dir = self.root.join("tmp");
        fs::create_dir_all(&dir)?;
        tempfile::NamedTempFile::new_in(dir)
    }

    /// Records that `reference` (a registry tag) pointed to manifest `digest`.
    pub fn put_ref(&self, reference: &str, digest: &Digest) -> io::Result<()> {
        let mut temp = self.temp_file()?;
        writeln!(temp, "{digest}\n{reference}")?;
        persist(temp, &self.ref_path(reference))
    }

    /// The manifest digest `reference` pointed to when last seen, and when that was.
    pub fn get_ref(&self, reference: &str) -> Option<(Digest, SystemTime)> {
        let path = self.ref_path(reference);
        let text = fs::read_to_string(&path).ok()?;
        let mut lines = text.lines();
        let digest = Digest::parse(lines.next()?)?;
        if lines.next()? != reference {
            return None;
        }
        let when = fs::metadata(&path).and_then(|m| m.modified()).ok()?;
        Some((digest, when))
    }
}

/// Streams a blob into the store; see `BlobStore::blob_writer`.
pub struct BlobWriter {
    temp: io::BufWriter<tempfile::NamedTempFile>,
    hasher: Sha256,
    expected: Digest,
    target: PathBuf,
}

impl BlobWriter {
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hasher.update(bytes);
        self.temp.write_all(bytes)
    }

    /// Moves the blob into the cache if its digest is the expected one; otherwise deletes
    /// it. Returns whether it was stored.
    pub fn commit(self) -> io::Result<bool> {
        let actual = Digest::from_bytes(self.hasher.finalize().into());
        if actual != self.expected {
            return Ok(false);
        }
        let temp = self.temp.into_inner().map_err(|e| e.into_error())?;
        persist(temp, &self.target)?;
        Ok(true)
    }
}

/// Moves a finished temp file to `target`, creating its directory.
pub(crate) fn persist(temp: tempfile::NamedTempFile, target: &Path) -> io::Result<()> {
    if let Some(dir) = target.parent() {
        fs::create_dir_all(dir)?;
    }
    temp.as_file().sync_data()?;
    temp.persist(target).map_err(|e| e.error)?;
    Ok(())
}

/// Marks a file as just used, for least-recently-used eviction.
pub(crate) fn touch(path: &Path) {
    if let Ok(f) = File::options().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_kept_only_when_their_digest_matches() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobStore::at(dir.path().to_path_buf());
        let good = Digest::of(b"hello");
        cache.put_blob(&good, b"hello").unwrap();
        assert_eq!(cache.read_blob(&good).as_deref(), Some(&b"hello"[..]));

        let other = Digest::of(b"other");
        cache.put_blob(&other, b"tampered").unwrap();
        assert!(cache.blob(&other).is_none());
        // Nothing half-written stays behind either.
        assert!(fs::read_dir(dir.path().join("tmp")).map_or(true, |d| d.count() == 0));

        // A blob changed on disk after the fact is dropped when read.
        fs::write(cache.blob_path(&good), b"hellO").unwrap();
        assert_eq!(cache.read_blob(&good), None);
        assert!(cache.blob(&good).is_none());
    }

    #[test]
    fn refs_remember_the_manifest_a_tag_pointed_to() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobStore::at(dir.path().to_path_buf());
        let d = Digest::of(b"manifest");
        assert!(cache.get_ref("reg:5000/app:v1").is_none());
        cache.put_ref("reg:5000/app:v1", &d).unwrap();
        assert_eq!(cache.get_ref("reg:5000/app:v1").map(|r| r.0), Some(d));
        assert!(cache.get_ref("reg:5000/app:v2").is_none());
    }
}
