//! One header block, with the extension values that apply to it, as an `Entry`: its
//! raw name, type, owner, mode, time, link target and device numbers are read here into a
//! `Listed`, which `tree::listed::classify` turns into an entry (whiteouts, opaque markers,
//! AUFS bookkeeping and normalisation are decided there, for tars and TOCs alike).
//!
//! Nothing here fails: the header already passed its checksum and size checks in the walker,
//! and a field that does not read (a uid of garbage) is a value that says so (`u32::MAX`),
//! not a reason to lose the layer. Numeric fields are read by `model::tar_header`, as the tar
//! crate reads them.

use ::tar::EntryType;

use super::pax::Extensions;
use crate::model::listing::{Listed, ListedKind};
use crate::model::path::name_from_bytes;
use crate::model::tar_header::{self, Field, DEVICE_MAJOR, DEVICE_MINOR, GID, MODE, MTIME, UID};
use crate::tree::listed::{classify, Parsed};

/// An owner field as the tar crate reads it (octal or base-256), except that an empty one (all
/// NULs or spaces, as some writers leave uid and gid) is 0, as GNU tar and Go's archive/tar
/// (dive) read it. Anything else unreadable is `None`.
fn owner(block: &[u8; 512], field: Field) -> Option<u64> {
    tar_header::numeric(block, field)
        .ok()
        .or_else(|| tar_header::is_blank(block, field).then_some(0))
}

/// One header (with its extension values) as an `Entry`; `size` is its content's (logical)
/// size.
pub(super) fn parse_entry(block: &[u8; 512], ext: Extensions, size: u64) -> Parsed {
    let header = ::tar::Header::from_byte_slice(block);
    let etype = header.entry_type();
    let raw_path_bytes = ext.path.unwrap_or_else(|| header.path_bytes().into_owned());
    let raw_path = name_from_bytes(&raw_path_bytes);
    // The field holds at most 8 octal digits, so it fits.
    let mode = tar_header::octal(block, MODE).map_or(0, |m| m as u32);
    let id = |pax: Option<u64>, field| {
        pax.or_else(|| owner(block, field))
            .and_then(|id| u32::try_from(id).ok())
            .unwrap_or(u32::MAX)
    };
    let uid = id(ext.uid, UID);
    let gid = id(ext.gid, GID);
    let mtime = ext
        .mtime
        .or_else(|| tar_header::numeric(block, MTIME).ok())
        .unwrap_or(0);
    // Device fields hold at most 8 octal digits: they fit.
    let device = if tar_header::has_device_fields(block) {
        match (
            tar_header::octal(block, DEVICE_MAJOR),
            tar_header::octal(block, DEVICE_MINOR),
        ) {
            (Ok(major), Ok(minor)) => Some((major as u32, minor as u32)),
            _ => None,
        }
    } else {
        None
    };
    let link_raw = ext
        .link
        .or_else(|| header.link_name_bytes().map(|l| l.into_owned()))
        .map(|l| name_from_bytes(&l));
    let kind = match etype {
        EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => ListedKind::Regular,
        EntryType::Directory => ListedKind::Dir,
        EntryType::Symlink => ListedKind::Symlink,
        EntryType::Link => ListedKind::Hardlink,
        EntryType::Char => ListedKind::Char,
        EntryType::Block => ListedKind::Block,
        EntryType::Fifo => ListedKind::Fifo,
        _ => ListedKind::Other,
    };
    classify(&Listed {
        name: &raw_path,
        kind,
        size,
        mode,
        uid,
        gid,
        mtime,
        link: link_raw.as_deref(),
        device,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{header, tar_of, tar_of_bytes};
    use super::super::{read_layer, Limits};
    use super::*;
    use crate::tree::{EntryKind, FLAG_AUFS};

    #[test]
    fn hostile_paths_stay_inside_the_layer_root() {
        let t = tar_of_bytes(&[
            (b"../../etc/passwd", EntryType::Regular, b"1"),
            (b"/abs/file", EntryType::Regular, b"2"),
            (b"a//b///c", EntryType::Regular, b"3"),
            (b"./d/./e/../f", EntryType::Regular, b"4"),
            (b"../..", EntryType::Directory, b""),
            (b"bad/\xff\xfe-name", EntryType::Regular, b"5"),
            (b"nul/before\0after", EntryType::Regular, b"6"),
            (b"loop/a", EntryType::Symlink, b""),
        ]);
        let tree = read_layer(&t[..], &Limits::default()).unwrap_or_default();
        let paths: Vec<&str> = tree.entries.iter().map(|e| &*e.path).collect();
        assert_eq!(
            paths,
            [
                "etc/passwd",
                "abs/file",
                "a/b/c",
                "d/f",
                "bad/\u{f7ff}\u{f7fe}-name",
                "nul/before",
                "loop/a"
            ]
        );
        for p in paths {
            assert!(
                !p.starts_with('/') && p.split('/').all(|c| !c.is_empty() && c != "." && c != ".."),
                "{p}"
            );
        }
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
        let tree = read_layer(&t[..], &Limits::default()).unwrap_or_default();
        let got: Vec<(&str, EntryKind)> = tree.entries.iter().map(|e| (&*e.path, e.kind)).collect();
        assert_eq!(
            got,
            vec![
                ("etc", EntryKind::Dir),
                ("etc/passwd", EntryKind::Whiteout),
                ("var", EntryKind::Opaque),
                // AUFS bookkeeping, kept for dive's figures only (`FLAG_AUFS`).
                ("var/.wh.plnk", EntryKind::Whiteout),
                ("usr/bin/x", EntryKind::File),
            ]
        );
        let flags: Vec<u8> = tree.entries.iter().map(|e| e.flags).collect();
        assert_eq!(flags, [0, 0, 0, FLAG_AUFS, 0]);
        assert_eq!(tree.header_bytes, 3);
        assert_eq!(
            tree.entries[4].digest,
            Some(*blake3::hash(b"abc").as_bytes())
        );
    }

    #[test]
    fn empty_owner_fields_read_as_root_and_garbage_as_unknown() {
        // `tar_of` leaves uid and gid all NULs, as some image generators do.
        let mut t = tar_of(&[
            ("a", EntryType::Regular, b"x"),
            ("b", EntryType::Regular, b"y"),
        ]);
        // The second header's uid becomes text that is not a number.
        let second = 1024;
        t[second + 108..second + 116].copy_from_slice(b"zz     \0");
        let mut h = ::tar::Header::new_old();
        h.as_mut_bytes().copy_from_slice(&t[second..second + 512]);
        h.set_cksum();
        t[second..second + 512].copy_from_slice(h.as_bytes());
        let tree = read_layer(&t[..], &Limits::default()).expect("a readable layer");
        let owner = |p: &str| {
            let e = tree.entries.iter().find(|e| &*e.path == p).expect("entry");
            (e.uid, e.gid)
        };
        assert_eq!(owner("a"), (0, 0));
        assert_eq!(owner("b"), (u32::MAX, 0));
    }

    #[test]
    fn metadata_and_devices_are_read_from_the_header() {
        let mut h = header("dev/sda", EntryType::Block, 0);
        h.set_mode(0o100640);
        h.set_uid(1 << 33); // base-256, and too big for an owner: unknown.
        h.set_gid(42);
        h.set_mtime(1 << 34);
        h.set_device_major(8).unwrap();
        h.set_device_minor(1).unwrap();
        h.set_cksum();
        let block: [u8; 512] = *h.as_bytes();
        let Parsed::Entry(e) = parse_entry(&block, Extensions::default(), 0) else {
            panic!("not an entry");
        };
        assert_eq!(
            (e.kind, e.mode, e.uid, e.gid, e.mtime, e.device),
            (
                EntryKind::BlockDevice,
                0o640,
                u32::MAX,
                42,
                1 << 34,
                Some((8, 1))
            )
        );
        // A v7 header has no device numbers, and PAX values win over the header's.
        let mut old = ::tar::Header::new_old();
        old.as_mut_bytes()[..257].copy_from_slice(&block[..257]);
        let ext = Extensions {
            uid: Some(7),
            mtime: Some(5),
            ..Extensions::default()
        };
        let Parsed::Entry(e) = parse_entry(old.as_bytes(), ext, 0) else {
            panic!("not an entry");
        };
        assert_eq!((e.uid, e.mtime, e.device), (7, 5, None));
    }
}
