//! The on-disk cache under `dirs::cache_dir()/strata` (or `$STRATA_CACHE_DIR`):
//! - `blobs/sha256/HEX`: registry blobs (layers, configs, manifests) by digest;
//! - `trees/v1/HEX`: analysed layer trees by diff_id, so a second open decompresses nothing;
//! - `dive/v1/HEX`: dive's figures of an ordered list of layers (they depend on nothing
//!   else), so a reopen computes only strata's own; HEX names the list (`dive_key`);
//! - `refs/HEX`: the manifest digest a registry tag pointed to when last seen.
//!
//! Every file is written to `tmp/` and renamed into place only after its digest checked out,
//! so a crash or a second strata process never sees half a file. Reads check again: a file
//! that does not match its name is deleted and treated as absent. Using a file touches its
//! mtime, and `prune` evicts the least recently used first.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest as _, Sha256};

use crate::analysis::dive_compat::{self, DiveCompat, InefficientFile};
use crate::blob::decompress::Compression;
use crate::model::digest::Digest;
use crate::source::store::MAX_METADATA_BYTES;
use crate::tree::{codec, LayerTree};

/// The cache's size cap when none is configured (`$STRATA_CACHE_MAX_SIZE`).
pub const DEFAULT_MAX_BYTES: u64 = 10 << 30;

const TREE_MAGIC: &[u8; 8] = b"STRATAT\n";
const TREE_DIR: &str = "trees/v1";
const DIVE_MAGIC: &[u8; 8] = b"STRATAD\n";
const DIVE_DIR: &str = "dive/v1";
/// A dive figures file larger than this is not one strata wrote.
const MAX_DIVE_FILE: u64 = 256 << 20;
/// Temp files older than this were left by a process that died; prune removes them.
const STALE_TEMP_SECS: u64 = 24 * 3600;

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
    Temp,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Blob => "blob",
            Kind::Tree => "tree",
            Kind::Dive => "dive",
            Kind::Ref => "ref",
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
    /// The user's cache: `$STRATA_CACHE_DIR`, else `dirs::cache_dir()/strata`. `None` when
    /// the platform has no cache directory.
    pub fn user() -> Option<Cache> {
        match std::env::var_os("STRATA_CACHE_DIR") {
            Some(dir) if !dir.is_empty() => Some(Cache::at(PathBuf::from(dir))),
            _ => dirs::cache_dir().map(|d| Cache::at(d.join("strata"))),
        }
    }

    pub fn at(root: PathBuf) -> Cache {
        Cache { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The size cap: `$STRATA_CACHE_MAX_SIZE` (bytes, or with a unit: `500MB`, `2GiB`), else
    /// `DEFAULT_MAX_BYTES`.
    pub fn max_bytes() -> Result<u64, String> {
        match std::env::var("STRATA_CACHE_MAX_SIZE") {
            Ok(v) if !v.trim().is_empty() => crate::report::ci::parse_bytes(v.trim())
                .map_err(|e| format!("STRATA_CACHE_MAX_SIZE: {e} (try 5GB)")),
            _ => Ok(DEFAULT_MAX_BYTES),
        }
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root.join("blobs/sha256").join(digest.hex())
    }

    fn tree_path(&self, diff_id: &Digest) -> PathBuf {
        self.root.join(TREE_DIR).join(diff_id.hex())
    }

    fn dive_path(&self, key: &Digest) -> PathBuf {
        self.root.join(DIVE_DIR).join(key.hex())
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

    fn temp_file(&self) -> io::Result<tempfile::NamedTempFile> {
        let dir = self.root.join("tmp");
        fs::create_dir_all(&dir)?;
        tempfile::NamedTempFile::new_in(dir)
    }

    /// The analysed tree of a layer, by the digest of its uncompressed tar, with the
    /// compression of the blob it was read from.
    pub fn tree(&self, diff_id: &Digest) -> Option<(Compression, LayerTree)> {
        let path = self.tree_path(diff_id);
        let bytes = fs::read(&path).ok()?;
        let decoded = decode_tree_file(&bytes);
        if decoded.is_none() {
            // Corrupt, truncated or from another version: drop it, it will be rebuilt.
            let _ = fs::remove_file(&path);
        } else {
            touch(&path);
        }
        decoded
    }

    /// Stores a layer's tree.
    pub fn put_tree(
        &self,
        diff_id: &Digest,
        compression: Compression,
        tree: &LayerTree,
    ) -> io::Result<()> {
        let payload = codec::encode(tree);
        let mut temp = self.temp_file()?;
        temp.write_all(TREE_MAGIC)?;
        temp.write_all(&codec::VERSION.to_le_bytes())?;
        temp.write_all(&[compression_code(compression)])?;
        temp.write_all(&Sha256::digest(&payload))?;
        temp.write_all(&payload)?;
        persist(temp, &self.tree_path(diff_id))
    }

    /// The name of dive's figures for these layers (diff_ids bottom first): the list, the
    /// tree codec's version and dive_compat's, so a change to either misses the old file.
    pub fn dive_key(diff_ids: &[&Digest]) -> Digest {
        let mut text = format!(
            "strata dive figures v{} trees v{}\n",
            dive_compat::VERSION,
            codec::VERSION
        );
        for id in diff_ids {
            text.push_str(&id.to_string());
            text.push('\n');
        }
        Digest::of(text.as_bytes())
    }

    /// dive's figures stored under `key`, if present, intact and for `layer_sizes` (each
    /// layer's tar bytes, bottom first: a cheap check that they describe these layers).
    pub fn dive(&self, key: &Digest, layer_sizes: &[u64]) -> Option<DiveCompat> {
        let path = self.dive_path(key);
        let mut bytes = Vec::new();
        File::open(&path)
            .ok()?
            .take(MAX_DIVE_FILE)
            .read_to_end(&mut bytes)
            .ok()?;
        match decode_dive_file(&bytes) {
            Some(figures) if figures.layer_sizes == layer_sizes => {
                touch(&path);
                Some(figures)
            }
            _ => {
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    /// Stores dive's figures under `key`.
    pub fn put_dive(&self, key: &Digest, figures: &DiveCompat) -> io::Result<()> {
        let payload = serde_json::to_vec(&StoredDive::from(figures))?;
        let mut temp = self.temp_file()?;
        temp.write_all(DIVE_MAGIC)?;
        temp.write_all(&Sha256::digest(&payload))?;
        temp.write_all(&payload)?;
        persist(temp, &self.dive_path(key))
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

    /// Every file in the cache, least recently used first.
    pub fn entries(&self) -> Vec<CacheEntry> {
        let mut out = Vec::new();
        for (dir, kind) in [
            ("blobs/sha256", Kind::Blob),
            (TREE_DIR, Kind::Tree),
            (DIVE_DIR, Kind::Dive),
            ("refs", Kind::Ref),
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

/// Streams a blob into the cache; see `Cache::blob_writer`.
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

fn persist(temp: tempfile::NamedTempFile, target: &Path) -> io::Result<()> {
    if let Some(dir) = target.parent() {
        fs::create_dir_all(dir)?;
    }
    temp.as_file().sync_data()?;
    temp.persist(target).map_err(|e| e.error)?;
    Ok(())
}

fn decode_tree_file(bytes: &[u8]) -> Option<(Compression, LayerTree)> {
    let rest = bytes.strip_prefix(TREE_MAGIC)?;
    let (version, rest) = rest.split_first_chunk::<4>()?;
    if u32::from_le_bytes(*version) != codec::VERSION {
        return None;
    }
    let (&code, rest) = rest.split_first()?;
    let (sum, payload) = rest.split_first_chunk::<32>()?;
    if Sha256::digest(payload).as_slice() != sum {
        return None;
    }
    Some((compression_from(code)?, codec::decode(payload)?))
}

/// dive's figures as stored: `user_wasted_percent` is derived (and may be NaN or infinite,
/// which JSON cannot carry), the efficiency kept as its bits.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredDive {
    efficiency_bits: u64,
    wasted_bytes: u64,
    size_bytes: u64,
    user_size_bytes: u64,
    layer_sizes: Vec<u64>,
    /// (path, count, bytes), dive's order.
    inefficient_files: Vec<(String, u64, u64)>,
}

impl From<&DiveCompat> for StoredDive {
    fn from(d: &DiveCompat) -> StoredDive {
        StoredDive {
            efficiency_bits: d.efficiency.to_bits(),
            wasted_bytes: d.wasted_bytes,
            size_bytes: d.size_bytes,
            user_size_bytes: d.user_size_bytes,
            layer_sizes: d.layer_sizes.clone(),
            inefficient_files: d
                .inefficient_files
                .iter()
                .map(|f| (f.path.clone(), f.count, f.size_bytes))
                .collect(),
        }
    }
}

fn decode_dive_file(bytes: &[u8]) -> Option<DiveCompat> {
    let rest = bytes.strip_prefix(DIVE_MAGIC)?;
    let (sum, payload) = rest.split_first_chunk::<32>()?;
    if Sha256::digest(payload).as_slice() != sum {
        return None;
    }
    let s: StoredDive = serde_json::from_slice(payload).ok()?;
    Some(DiveCompat {
        efficiency: f64::from_bits(s.efficiency_bits),
        wasted_bytes: s.wasted_bytes,
        user_wasted_percent: dive_compat::user_wasted_percent(s.wasted_bytes, s.user_size_bytes),
        size_bytes: s.size_bytes,
        user_size_bytes: s.user_size_bytes,
        layer_sizes: s.layer_sizes,
        inefficient_files: s
            .inefficient_files
            .into_iter()
            .map(|(path, count, size_bytes)| InefficientFile {
                path,
                count,
                size_bytes,
            })
            .collect(),
    })
}

fn compression_code(c: Compression) -> u8 {
    match c {
        Compression::None => 0,
        Compression::Gzip => 1,
        Compression::Zstd => 2,
    }
}

fn compression_from(code: u8) -> Option<Compression> {
    match code {
        0 => Some(Compression::None),
        1 => Some(Compression::Gzip),
        2 => Some(Compression::Zstd),
        _ => None,
    }
}

/// Marks a file as just used, for least-recently-used eviction.
fn touch(path: &Path) {
    if let Ok(f) = File::options().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{Entry, EntryKind};

    fn tree() -> LayerTree {
        LayerTree {
            entries: vec![Entry {
                path: "etc/hosts".into(),
                kind: EntryKind::File,
                size: 12,
                mode: 0o644,
                uid: 0,
                gid: 0,
                mtime: 0,
                link: None,
                device: None,
                digest: Some([1; 32]),
                flags: 0,
            }],
            header_bytes: 12,
            moved: Vec::new(),
        }
    }

    #[test]
    fn blobs_are_kept_only_when_their_digest_matches() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf());
        let good = Digest::of(b"hello");
        cache.put_blob(&good, b"hello").unwrap();
        assert_eq!(cache.read_blob(&good).as_deref(), Some(&b"hello"[..]));

        let other = Digest::of(b"other");
        cache.put_blob(&other, b"tampered").unwrap();
        assert!(cache.blob(&other).is_none());
        // Nothing half-written stays behind either.
        assert!(cache.entries().iter().all(|e| e.kind != Kind::Temp));

        // A blob changed on disk after the fact is dropped when read.
        fs::write(cache.blob_path(&good), b"hellO").unwrap();
        assert_eq!(cache.read_blob(&good), None);
        assert!(cache.blob(&good).is_none());
    }

    #[test]
    fn trees_round_trip_and_corrupt_ones_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf());
        let id = Digest::of(b"layer");
        cache.put_tree(&id, Compression::Zstd, &tree()).unwrap();
        assert_eq!(cache.tree(&id), Some((Compression::Zstd, tree())));

        let path = cache.tree_path(&id);
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        fs::write(&path, bytes).unwrap();
        assert_eq!(cache.tree(&id), None);
        assert!(!path.exists());
    }

    #[test]
    fn dive_figures_round_trip_and_bad_ones_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf());
        let (a, b) = (Digest::of(b"a"), Digest::of(b"b"));
        let key = Cache::dive_key(&[&a, &b]);
        assert_ne!(key, Cache::dive_key(&[&b, &a]));
        assert_ne!(key, Cache::dive_key(&[&a]));
        // One layer: dive's user size is 0 and its percent 0/0; the efficiency is a NaN
        // here too, which JSON could not carry as a number.
        let figures = DiveCompat {
            efficiency: f64::NAN,
            wasted_bytes: 0,
            user_wasted_percent: f64::NAN,
            size_bytes: 10,
            user_size_bytes: 0,
            layer_sizes: vec![10, 0],
            inefficient_files: vec![InefficientFile {
                path: "/a\nb".into(),
                count: 2,
                size_bytes: 10,
            }],
        };
        cache.put_dive(&key, &figures).unwrap();
        assert!(cache.dive(&key, &[10]).is_none(), "other layer sizes");
        assert!(
            !cache.dive_path(&key).exists(),
            "a mismatched file is dropped"
        );

        cache.put_dive(&key, &figures).unwrap();
        let back = cache.dive(&key, &[10, 0]).unwrap();
        assert!(back.efficiency.is_nan() && back.user_wasted_percent.is_nan());
        assert_eq!(back.inefficient_files, figures.inefficient_files);
        assert_eq!(
            (back.wasted_bytes, back.size_bytes, back.user_size_bytes),
            (0, 10, 0)
        );
        assert_eq!(
            cache.entries().iter().map(|e| e.kind).collect::<Vec<_>>(),
            [Kind::Dive]
        );

        let path = cache.dive_path(&key);
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 2;
        bytes[last] ^= 1;
        fs::write(&path, bytes).unwrap();
        assert!(cache.dive(&key, &[10, 0]).is_none());
        assert!(!path.exists());
    }

    #[test]
    fn prune_evicts_least_recently_used_first() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf());
        let old = Digest::of(&[0u8; 1000]);
        let new = Digest::of(&[1u8; 1000]);
        cache.put_blob(&old, &[0u8; 1000]).unwrap();
        cache.put_blob(&new, &[1u8; 1000]).unwrap();
        let past = SystemTime::now() - std::time::Duration::from_secs(3600);
        File::options()
            .append(true)
            .open(cache.blob_path(&old))
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
        assert!(cache.blob(&old).is_none());
        assert!(cache.blob(&new).is_some());
        assert_eq!(cache.prune(0).files, 1);
        assert_eq!(cache.size(), 0);
    }

    #[test]
    fn refs_remember_the_manifest_a_tag_pointed_to() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf());
        let d = Digest::of(b"manifest");
        assert!(cache.get_ref("reg:5000/app:v1").is_none());
        cache.put_ref("reg:5000/app:v1", &d).unwrap();
        assert_eq!(cache.get_ref("reg:5000/app:v1").map(|r| r.0), Some(d));
        assert!(cache.get_ref("reg:5000/app:v2").is_none());
    }
}
