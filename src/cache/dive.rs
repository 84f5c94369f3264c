//! dive's figures of an ordered list of layers: they depend on nothing else, so a reopen of
//! the same layers (from any source) computes only strata's own figures.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::PathBuf;

use sha2::{Digest as _, Sha256};

use super::{Cache, DIVE_DIR};
use crate::analysis::dive_compat::{self, DiveCompat, InefficientFile};
use crate::blob::store::{persist, touch, BlobStore};
use crate::model::digest::Digest;
use crate::tree::codec;

const DIVE_MAGIC: &[u8; 8] = b"STRATAD\n";
/// A dive figures file larger than this is not one strata wrote.
const MAX_DIVE_FILE: u64 = 256 << 20;

/// The name of dive's figures for these layers (bottom first, each by the digest its bytes
/// were verified against, as its tree is kept): the list, the tree codec's version and
/// dive_compat's, so a change to either misses the old file.
pub fn dive_key(layers: &[&Digest]) -> Digest {
    let mut text = format!(
        "strata dive figures v{} trees v{}\n",
        dive_compat::VERSION,
        codec::VERSION
    );
    for id in layers {
        text.push_str(&id.to_string());
        text.push('\n');
    }
    Digest::of(text.as_bytes())
}

impl Cache {
    fn dive_path(&self, key: &Digest) -> PathBuf {
        self.root.join(DIVE_DIR).join(key.hex())
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
        let mut temp = BlobStore::at(self.root.clone()).temp_file()?;
        temp.write_all(DIVE_MAGIC)?;
        temp.write_all(&Sha256::digest(&payload))?;
        temp.write_all(&payload)?;
        persist(temp, &self.dive_path(key))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dive_figures_round_trip_and_bad_ones_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf());
        let (a, b) = (Digest::of(b"a"), Digest::of(b"b"));
        let key = dive_key(&[&a, &b]);
        assert_ne!(key, dive_key(&[&b, &a]));
        assert_ne!(key, dive_key(&[&a]));
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
            [super::super::Kind::Dive]
        );

        let path = cache.dive_path(&key);
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 2;
        bytes[last] ^= 1;
        fs::write(&path, bytes).unwrap();
        assert!(cache.dive(&key, &[10, 0]).is_none());
        assert!(!path.exists());
    }
}
