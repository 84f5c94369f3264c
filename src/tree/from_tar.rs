//! One streaming pass over a layer tar. Memory grows with the number of entries only: file
//! content is hashed in fixed-size chunks and dropped.

use std::io::{self, Read};

use sha2::{Digest as _, Sha256};
use tar::EntryType;

use super::path::{file_name, join, normalize, parent};
use super::{Entry, EntryKind, LayerTree};

const WHITEOUT_PREFIX: &str = ".wh.";
const OPAQUE_MARKER: &str = ".wh..wh..opq";

/// Why a layer tar could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("corrupt tar: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Reads a whole layer tar from `input`, in order, hashing every regular file's content.
pub fn read_layer<R: Read>(input: R) -> Result<LayerTree, TreeError> {
    let mut archive = tar::Archive::new(input);
    let mut tree = LayerTree::default();
    let mut buf = vec![0u8; 128 * 1024];
    let entries = archive.entries().map_err(classify)?;
    for item in entries {
        let mut entry = item.map_err(classify)?;
        let header = entry.header();
        let etype = header.entry_type();
        if etype == EntryType::XGlobalHeader || etype == EntryType::XHeader {
            continue;
        }
        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(path) = normalize(&raw_path) else {
            continue;
        };
        let size = entry.size();
        tree.header_bytes += size;
        let mode = header.mode().unwrap_or(0);
        let uid = header
            .uid()
            .ok()
            .and_then(|u| u32::try_from(u).ok())
            .unwrap_or(u32::MAX);
        let gid = header
            .gid()
            .ok()
            .and_then(|g| u32::try_from(g).ok())
            .unwrap_or(u32::MAX);
        let mtime = header.mtime().unwrap_or(0);
        let device = match (header.device_major(), header.device_minor()) {
            (Ok(Some(ma)), Ok(Some(mi))) => Some((ma, mi)),
            _ => None,
        };
        let link_raw = entry
            .link_name_bytes()
            .map(|l| String::from_utf8_lossy(&l).into_owned());

        let name = file_name(&path);
        // Whiteouts are recognised by name whatever their type: buildah on overlay writes
        // them as hardlinks to one shared inode.
        if name == OPAQUE_MARKER {
            let Some(dir) = parent(&path) else {
                // `/.wh..wh..opq` would make the root opaque: hide everything below.
                tree.entries.push(deletion(
                    String::new(),
                    EntryKind::Opaque,
                    size,
                    (mode, uid, gid, mtime),
                ));
                continue;
            };
            tree.entries.push(deletion(
                dir.to_string(),
                EntryKind::Opaque,
                size,
                (mode, uid, gid, mtime),
            ));
            continue;
        }
        if name.starts_with(".wh..wh.") {
            // AUFS bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`), never part of the filesystem.
            continue;
        }
        if let Some(target) = name.strip_prefix(WHITEOUT_PREFIX) {
            if target.is_empty() {
                continue;
            }
            let target = join(parent(&path), target);
            tree.entries.push(deletion(
                target,
                EntryKind::Whiteout,
                size,
                (mode, uid, gid, mtime),
            ));
            continue;
        }

        let kind = match etype {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => EntryKind::File,
            EntryType::Directory => EntryKind::Dir,
            EntryType::Symlink => EntryKind::Symlink,
            EntryType::Link => EntryKind::Hardlink,
            EntryType::Char => EntryKind::CharDevice,
            EntryType::Block => EntryKind::BlockDevice,
            EntryType::Fifo => EntryKind::Fifo,
            // Old tars mark directories only by a trailing slash.
            _ if raw_path.ends_with('/') => EntryKind::Dir,
            _ => EntryKind::File,
        };
        let link = match kind {
            EntryKind::Symlink => link_raw.map(String::into_boxed_str),
            EntryKind::Hardlink => link_raw
                .and_then(|l| normalize(&l))
                .map(String::into_boxed_str),
            _ => None,
        };
        let digest = if kind == EntryKind::File {
            let mut hasher = Sha256::new();
            loop {
                let n = entry.read(&mut buf).map_err(classify)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
            }
            Some(hasher.finalize().into())
        } else {
            None
        };
        tree.entries.push(Entry {
            path: path.into_boxed_str(),
            kind,
            size,
            mode,
            uid,
            gid,
            mtime,
            link,
            device: if matches!(kind, EntryKind::CharDevice | EntryKind::BlockDevice) {
                device
            } else {
                None
            },
            digest,
        });
    }
    Ok(tree)
}

/// A whiteout or opaque marker; `size` is the header's (dive counts it in layer sizes).
fn deletion(path: String, kind: EntryKind, size: u64, meta: (u32, u32, u32, u64)) -> Entry {
    let (mode, uid, gid, mtime) = meta;
    Entry {
        path: path.into_boxed_str(),
        kind,
        size,
        mode,
        uid,
        gid,
        mtime,
        link: None,
        device: None,
        digest: None,
    }
}

/// The tar crate reports header problems as `io::ErrorKind::Other` with a message; keep the
/// message, and call it what it is.
fn classify(e: io::Error) -> TreeError {
    let msg = e.to_string();
    if e.kind() == io::ErrorKind::UnexpectedEof {
        return TreeError::Corrupt(format!("truncated data ({msg})"));
    }
    if msg.contains("checksum") || msg.contains("numeric field") || msg.contains("header") {
        return TreeError::Corrupt(msg);
    }
    TreeError::Io(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar written header by header, so names can be absolute or `./`-prefixed as real
    /// layers have them (the tar crate's builder refuses those).
    fn tar_of(entries: &[(&str, EntryType, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (path, t, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
            h.set_entry_type(*t);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            out.extend_from_slice(h.as_bytes());
            out.extend_from_slice(data);
            out.resize(out.len().div_ceil(512) * 512, 0);
        }
        out.resize(out.len() + 1024, 0);
        out
    }

    #[test]
    fn whiteouts_and_opaque_markers_become_deletions() {
        let t = tar_of(&[
            ("./etc/", EntryType::Directory, b""),
            ("./etc/.wh.passwd", EntryType::Regular, b""),
            ("var/.wh..wh..opq", EntryType::Regular, b""),
            ("var/.wh..wh.plnk", EntryType::Directory, b""),
            ("/usr/bin/x", EntryType::Regular, b"abc"),
        ]);
        let tree = read_layer(&t[..]).unwrap_or_default();
        let got: Vec<(&str, EntryKind)> = tree.entries.iter().map(|e| (&*e.path, e.kind)).collect();
        assert_eq!(
            got,
            vec![
                ("etc", EntryKind::Dir),
                ("etc/passwd", EntryKind::Whiteout),
                ("var", EntryKind::Opaque),
                ("usr/bin/x", EntryKind::File),
            ]
        );
        assert_eq!(tree.header_bytes, 3);
        assert_eq!(tree.entries[3].digest, Some(Sha256::digest(b"abc").into()));
    }

    #[test]
    fn a_corrupt_header_is_an_error_not_a_panic() {
        let mut t = tar_of(&[("a", EntryType::Regular, b"xyz")]);
        t[148] ^= 0x55; // checksum field
        assert!(matches!(read_layer(&t[..]), Err(TreeError::Corrupt(_))));
    }
}
