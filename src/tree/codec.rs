//! A compact binary form of a layer tree, for the cache of analysed layers: paths share their
//! prefix with the entry before, numbers are LEB128 varints. Decoding checks every length and
//! never panics; the cache checks a digest of the bytes before it decodes them.

use super::{Entry, EntryKind, LayerTree};

/// Bumped whenever the encoding, or what a tar is read as, changes; older cache files are
/// then ignored and the layers read again. 2: empty uid/gid header fields read as 0. 3: PAX
/// sizes and GNU sparse files read as Go reads them, AUFS bookkeeping kept (`FLAG_AUFS`),
/// names that are not UTF-8 kept byte for byte. 4: content ids in BLAKE3. 5: what the layer's
/// package files say (`LayerTree::packages`), as JSON after the entries.
pub const VERSION: u32 = 5;

const HAS_LINK: u8 = 1;
const HAS_DEVICE: u8 = 2;
const HAS_DIGEST: u8 = 4;

/// Encodes a tree.
pub fn encode(tree: &LayerTree) -> Vec<u8> {
    let mut out = Vec::with_capacity(tree.entries.len() * 48 + 16);
    put(&mut out, tree.header_bytes);
    put(&mut out, tree.entries.len() as u64);
    let mut prev: &str = "";
    for e in &tree.entries {
        let shared = common_prefix(prev, &e.path);
        put(&mut out, shared as u64);
        put_bytes(&mut out, &e.path.as_bytes()[shared..]);
        prev = &e.path;
        out.push(kind_code(e.kind));
        let mut opts = 0;
        if e.link.is_some() {
            opts |= HAS_LINK;
        }
        if e.device.is_some() {
            opts |= HAS_DEVICE;
        }
        if e.digest.is_some() {
            opts |= HAS_DIGEST;
        }
        out.push(opts);
        out.push(e.flags);
        for v in [
            e.size,
            u64::from(e.mode),
            u64::from(e.uid),
            u64::from(e.gid),
            e.mtime,
        ] {
            put(&mut out, v);
        }
        if let Some(link) = &e.link {
            put_bytes(&mut out, link.as_bytes());
        }
        if let Some((major, minor)) = e.device {
            put(&mut out, u64::from(major));
            put(&mut out, u64::from(minor));
        }
        if let Some(d) = &e.digest {
            out.extend_from_slice(d);
        }
    }
    // Fragments are few and nested (records, file lists): JSON keeps this in step with the
    // types without a second hand-written encoding; a failure cannot happen for these plain
    // values, and would only leave the layer's packages out of the cache.
    put_bytes(
        &mut out,
        &serde_json::to_vec(&tree.packages).unwrap_or_else(|_| b"[]".to_vec()),
    );
    out
}

/// Decodes what `encode` wrote; `None` for anything malformed.
pub fn decode(bytes: &[u8]) -> Option<LayerTree> {
    let mut r = Cursor { bytes, pos: 0 };
    let header_bytes = r.varint()?;
    let count = r.varint()?;
    // Every entry takes at least 9 bytes, so a count larger than that is corrupt, and
    // reserving for it would let a bad file allocate at will.
    if count > (bytes.len() / 9) as u64 {
        return None;
    }
    let mut entries = Vec::with_capacity(count as usize);
    let mut prev = String::new();
    for _ in 0..count {
        let shared = usize::try_from(r.varint()?).ok()?;
        let suffix = r.bytes()?;
        if shared > prev.len() || !prev.is_char_boundary(shared) {
            return None;
        }
        let mut path = String::with_capacity(shared + suffix.len());
        path.push_str(&prev[..shared]);
        path.push_str(std::str::from_utf8(suffix).ok()?);
        let kind = kind_from(r.byte()?)?;
        let opts = r.byte()?;
        let flags = r.byte()?;
        let size = r.varint()?;
        let mode = u32::try_from(r.varint()?).ok()?;
        let uid = u32::try_from(r.varint()?).ok()?;
        let gid = u32::try_from(r.varint()?).ok()?;
        let mtime = r.varint()?;
        let link = if opts & HAS_LINK != 0 {
            Some(Box::from(std::str::from_utf8(r.bytes()?).ok()?))
        } else {
            None
        };
        let device = if opts & HAS_DEVICE != 0 {
            let major = u32::try_from(r.varint()?).ok()?;
            let minor = u32::try_from(r.varint()?).ok()?;
            Some((major, minor))
        } else {
            None
        };
        let digest = if opts & HAS_DIGEST != 0 {
            let d: [u8; 32] = r.take(32)?.try_into().ok()?;
            Some(d)
        } else {
            None
        };
        entries.push(Entry {
            path: path.as_str().into(),
            kind,
            size,
            mode,
            uid,
            gid,
            mtime,
            link,
            device,
            digest,
            flags,
        });
        prev = path;
    }
    let packages = serde_json::from_slice(r.bytes()?).ok()?;
    if r.pos != bytes.len() {
        return None;
    }
    Some(LayerTree {
        entries,
        header_bytes,
        moved: Vec::new(),
        packages,
    })
}

fn common_prefix(a: &str, b: &str) -> usize {
    let mut n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    while !b.is_char_boundary(n) {
        n -= 1;
    }
    n
}

fn kind_code(kind: EntryKind) -> u8 {
    match kind {
        EntryKind::File => 0,
        EntryKind::Dir => 1,
        EntryKind::Symlink => 2,
        EntryKind::Hardlink => 3,
        EntryKind::CharDevice => 4,
        EntryKind::BlockDevice => 5,
        EntryKind::Fifo => 6,
        EntryKind::Whiteout => 7,
        EntryKind::Opaque => 8,
    }
}

fn kind_from(code: u8) -> Option<EntryKind> {
    Some(match code {
        0 => EntryKind::File,
        1 => EntryKind::Dir,
        2 => EntryKind::Symlink,
        3 => EntryKind::Hardlink,
        4 => EntryKind::CharDevice,
        5 => EntryKind::BlockDevice,
        6 => EntryKind::Fifo,
        7 => EntryKind::Whiteout,
        8 => EntryKind::Opaque,
        _ => return None,
    })
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put(out, b.len() as u64);
    out.extend_from_slice(b);
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.varint()?).ok()?;
        self.take(n)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, kind: EntryKind) -> Entry {
        Entry::for_test(path, kind)
    }

    #[test]
    fn round_trips_every_field_and_kind() {
        let mut file = entry("usr/bin/ä-tool", EntryKind::File);
        file.size = u64::MAX;
        file.digest = Some([7; 32]);
        file.flags = 3;
        file.uid = u32::MAX;
        let mut link = entry("usr/bin/ä-link", EntryKind::Symlink);
        link.link = Some("../../etc/passwd".into());
        let mut dev = entry("dev/null", EntryKind::CharDevice);
        dev.device = Some((1, 3));
        let tree = LayerTree {
            entries: vec![
                entry("usr", EntryKind::Dir),
                file,
                link,
                dev,
                entry("tmp/gone", EntryKind::Whiteout),
                entry("tmp", EntryKind::Opaque),
                entry("run/fifo", EntryKind::Fifo),
            ],
            header_bytes: 123_456,
            moved: Vec::new(),
            packages: vec![crate::model::packages::Fragment {
                path: "var/lib/dpkg/status".into(),
                found: crate::model::packages::Found::Unreadable("cut".into()),
            }],
        };
        let bytes = encode(&tree);
        assert_eq!(decode(&bytes), Some(tree));
    }

    #[test]
    fn rejects_truncated_and_trailing_bytes() {
        let tree = LayerTree {
            entries: vec![entry("a", EntryKind::Dir), entry("a/b", EntryKind::File)],
            header_bytes: 0,
            moved: Vec::new(),
            packages: Vec::new(),
        };
        let bytes = encode(&tree);
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), None);
    }
}
