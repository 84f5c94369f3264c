//! What strata remembers between runs that is not a blob: the analysed tree of every layer by
//! the digest its bytes were verified against (`trees/v1/HEX`, so a second open decompresses
//! nothing), dive's figures of an ordered list of layers (`dive/v1/HEX`, so a reopen computes
//! only strata's own), and which local blobs were verified with the state of their file then
//! (`trust/v1/HEX`: a cached tree stands in for a local blob only while its file is
//! unchanged), and the names of the images each cached file was loaded as (`names/v1`, for
//! `strata cache ls`). It stores analysed trees, so it sits above `tree` and `analysis`; the blobs and
//! tag records in the same directory are `blob::store`'s, and this module lists and prunes
//! them all (`strata cache ls|prune`, the size cap).
//!
//! Every file is written to `tmp/` and renamed into place once complete, and carries a
//! checksum of its payload: a file that does not check out is deleted and treated as absent.
//! Using a file touches its mtime, and `prune` evicts the least recently used first.

mod dive;
mod names;
mod trees;
mod trust;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::blob::store::{self, BlobStore};
use crate::model::units;

pub use dive::dive_key;

/// The cache's size cap when none is configured (`$STRATA_CACHE_MAX_SIZE`).
pub const DEFAULT_MAX_BYTES: u64 = 10 << 30;

const TREE_DIR: &str = "trees/v1";
const DIVE_DIR: &str = "dive/v1";
const TRUST_DIR: &str = "trust/v1";
const NAMES_DIR: &str = "names";
/// Temp files older than this were left by a process that died; prune removes them.
const STALE_TEMP_SECS: u64 = 24 * 3600;

/// `$STRATA_CACHE_MAX_SIZE` is not a size.
#[derive(Debug, thiserror::Error)]
#[error("STRATA_CACHE_MAX_SIZE: {source} (try 5GB)")]
pub struct MaxSizeError {
    #[source]
    pub source: units::SizeError,
}

/// A cache directory.
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

/// What one cached file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Blob,
    Tree,
    Dive,
    Ref,
    /// A record that a local blob was verified, and the state of its file then.
    Trust,
    /// The images each cached file belongs to (`names`).
    Names,
    Temp,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Blob => "blob",
            Kind::Tree => "tree",
            Kind::Dive => "dive",
            Kind::Ref => "ref",
            Kind::Trust => "trust",
            Kind::Names => "names",
            Kind::Temp => "temp",
        }
    }
}

/// One file of the cache, as `strata cache ls` shows it.
#[derive(Debug, Clone)]
pub struct CacheEntry {
    pub kind: Kind,
    /// The digest (blobs, trees), the digest naming a list of layers (dive figures) or the
    /// reference (refs).
    pub key: String,
    pub bytes: u64,
    pub used: SystemTime,
    pub path: PathBuf,
}

/// What `prune` removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub files: usize,
    pub bytes: u64,
}

impl Cache {
    /// The user's cache (see `blob::store::default_root`).
    pub fn user() -> Option<Cache> {
        store::default_root().map(Cache::at)
    }

    pub fn at(root: PathBuf) -> Cache {
        Cache { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The blobs kept in the same directory.
    pub fn blobs(&self) -> BlobStore {
        BlobStore::at(self.root.clone())
    }

    /// The size cap: `$STRATA_CACHE_MAX_SIZE` (bytes, or with a unit: `500MB`, `2GiB`), else
    /// `DEFAULT_MAX_BYTES`.
    pub fn max_bytes() -> Result<u64, MaxSizeError> {
        match std::env::var("STRATA_CACHE_MAX_SIZE") {
            Ok(v) if !v.trim().is_empty() => {
                units::parse_size(v.trim()).map_err(|source| MaxSizeError { source })
            }
            _ => Ok(DEFAULT_MAX_BYTES),
        }
    }

    /// Every file in the cache, least recently used first.
    pub fn entries(&self) -> Vec<CacheEntry> {
        let mut out = Vec::new();
        for (dir, kind) in [
            ("blobs/sha256", Kind::Blob),
            (TREE_DIR, Kind::Tree),
            (DIVE_DIR, Kind::Dive),
            ("refs", Kind::Ref),
            (TRUST_DIR, Kind::Trust),
            (NAMES_DIR, Kind::Names),
            ("tmp", Kind::Temp),
        ] {
            let Ok(items) = fs::read_dir(self.root.join(dir)) else {
                continue;
            };
            for item in items.flatten() {
                let Ok(meta) = item.metadata() else { continue };
                if !meta.is_file() {
                    continue;
                }
                let path = item.path();
                let name = item.file_name().to_string_lossy().into_owned();
                let key = match kind {
                    Kind::Blob | Kind::Tree | Kind::Dive => format!("sha256:{name}"),
                    Kind::Ref => fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| t.lines().nth(1).map(str::to_string))
                        .unwrap_or(name),
                    // The digest the local blob was verified against.
                    Kind::Trust => fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| t.lines().next().map(str::to_string))
                        .unwrap_or(name),
                    Kind::Names => format!("{NAMES_DIR}/{name}"),
                    Kind::Temp => name,
                };
                out.push(CacheEntry {
                    kind,
                    key,
                    bytes: meta.len(),
                    used: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                    path,
                });
            }
        }
        out.sort_by_key(|e| e.used);
        out
    }

    /// Total bytes of the cache's files.
    pub fn size(&self) -> u64 {
        self.entries().iter().map(|e| e.bytes).sum()
    }

    /// Evicts the least recently used files until the cache holds at most `max_bytes`, and
    /// removes temp files a dead process left behind. `prune(0)` empties the cache.
    pub fn prune(&self, max_bytes: u64) -> Pruned {
        let entries = self.entries();
        let now = SystemTime::now();
        let mut total: u64 = entries.iter().map(|e| e.bytes).sum();
        let mut pruned = Pruned::default();
        for e in &entries {
            let stale_temp = e.kind == Kind::Temp
                && now
                    .duration_since(e.used)
                    .is_ok_and(|age| age.as_secs() > STALE_TEMP_SECS);
            // A fresh temp file is another process's download in flight: leave it.
            let evict = (total > max_bytes && e.kind != Kind::Temp) || stale_temp;
            if evict && fs::remove_file(&e.path).is_ok() {
                total -= e.bytes;
                pruned.files += 1;
                pruned.bytes += e.bytes;
            }
        }
        pruned
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::digest::Digest;
    use std::fs::File;

    #[test]
    fn prune_evicts_least_recently_used_first() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf());
        let old = Digest::of(&[0u8; 1000]);
        let new = Digest::of(&[1u8; 1000]);
        cache.blobs().put_blob(&old, &[0u8; 1000]).unwrap();
        cache.blobs().put_blob(&new, &[1u8; 1000]).unwrap();
        let past = SystemTime::now() - std::time::Duration::from_secs(3600);
        File::options()
            .append(true)
            .open(cache.root().join("blobs/sha256").join(old.hex()))
            .unwrap()
            .set_modified(past)
            .unwrap();
        assert_eq!(cache.size(), 2000);
        let pruned = cache.prune(1500);
        assert_eq!(
            pruned,
            Pruned {
                files: 1,
                bytes: 1000
            }
        );
        assert!(cache.blobs().blob(&old).is_none());
        assert!(cache.blobs().blob(&new).is_some());
        assert_eq!(cache.prune(0).files, 1);
        assert_eq!(cache.size(), 0);
    }
}
