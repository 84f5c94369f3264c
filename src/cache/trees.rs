//! Analysed layer trees by the digest their bytes were verified against (the blob's digest,
//! or the diff_id where that is what was checked): `MAGIC, codec version, compression, sha256
//! of the payload, payload` (the payload is `tree::codec`'s encoding). Never by a digest a
//! config merely claims: the caller decides when a tree may stand in for bytes (`trust`).

use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;

use sha2::{Digest as _, Sha256};

use super::{Cache, TREE_DIR};
use crate::blob::decompress::Compression;
use crate::blob::store::{persist, touch, BlobStore};
use crate::model::digest::Digest;
use crate::tree::{codec, LayerTree};

const TREE_MAGIC: &[u8; 8] = b"STRATAT\n";

impl Cache {
    fn tree_path(&self, key: &Digest) -> PathBuf {
        self.root.join(TREE_DIR).join(key.hex())
    }

    /// The analysed tree of a layer, by the digest its bytes were verified against, with the
    /// compression of the blob it was read from.
    pub fn tree(&self, key: &Digest) -> Option<(Compression, LayerTree)> {
        let path = self.tree_path(key);
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
        key: &Digest,
        compression: Compression,
        tree: &LayerTree,
    ) -> io::Result<()> {
        let payload = codec::encode(tree);
        let mut temp = BlobStore::at(self.root.clone()).temp_file()?;
        temp.write_all(TREE_MAGIC)?;
        temp.write_all(&tree_version().to_le_bytes())?;
        temp.write_all(&[compression_code(compression)])?;
        temp.write_all(&Sha256::digest(&payload))?;
        temp.write_all(&payload)?;
        persist(temp, &self.tree_path(key))
    }
}

/// What a cached tree file was written by: the codec's version and the package readers'
/// (a tree holds what its package files said), so a change to either reads the layer again.
pub(super) fn tree_version() -> u32 {
    codec::VERSION << 16 | crate::model::packages::READ_VERSION
}

fn decode_tree_file(bytes: &[u8]) -> Option<(Compression, LayerTree)> {
    let rest = bytes.strip_prefix(TREE_MAGIC)?;
    let (version, rest) = rest.split_first_chunk::<4>()?;
    if u32::from_le_bytes(*version) != tree_version() {
        return None;
    }
    let (&code, rest) = rest.split_first()?;
    let (sum, payload) = rest.split_first_chunk::<32>()?;
    if Sha256::digest(payload).as_slice() != sum {
        return None;
    }
    Some((compression_from(code)?, codec::decode(payload)?))
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
            packages: Vec::new(),
        }
    }

    /// A tree cached by a strata whose package readers knew less (same codec, older
    /// `READ_VERSION`) is read again, not served without the packages it would now have.
    #[test]
    fn trees_from_older_package_readers_are_not_served() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf());
        let id = Digest::of(b"layer");
        cache.put_tree(&id, Compression::Gzip, &tree()).unwrap();
        let path = cache.tree_path(&id);
        let mut bytes = fs::read(&path).unwrap();
        let at = TREE_MAGIC.len();
        assert_eq!(bytes[at..at + 4], tree_version().to_le_bytes());
        let older = codec::VERSION << 16 | (crate::model::packages::READ_VERSION - 1);
        bytes[at..at + 4].copy_from_slice(&older.to_le_bytes());
        fs::write(&path, &bytes).unwrap();
        assert_eq!(cache.tree(&id), None);
        // And the codec version alone (what strata 5 wrote) is not this version either.
        bytes[at..at + 4].copy_from_slice(&codec::VERSION.to_le_bytes());
        fs::write(&path, &bytes).unwrap();
        assert_eq!(cache.tree(&id), None);
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
}
