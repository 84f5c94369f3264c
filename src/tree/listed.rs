//! From what a listing says of an entry (`model::listing::Listed`: a tar header, or an
//! eStargz / zstd:chunked table-of-contents entry) to the layer's `Entry`: the one place where
//! names are normalised, whiteouts and opaque markers become deletions, AUFS bookkeeping is
//! told apart and the per-entry limits are checked. The tar walker and `read_listing` (a
//! layer's tree from its TOC, without its body) both go through here, so a layer read either
//! way gives the same entries.
//!
//! A tree read from a listing has no content ids (`Entry::digest` is `None`): those need every
//! byte of every file, and are filled in only from the full download, never guessed.

use super::{Entry, EntryKind, LayerTree, TreeError, FLAG_AUFS};
use crate::model::limits::{LimitHit, Limits};
use crate::model::listing::{Listed, ListedKind};
use crate::model::path::{file_name, join, normalize, parent};

const WHITEOUT_PREFIX: &str = ".wh.";
const OPAQUE_MARKER: &str = ".wh..wh..opq";

/// What a listed entry is to the layer.
pub(crate) enum Parsed {
    Root,
    /// AUFS bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`), never part of the filesystem.
    Bookkeeping,
    Entry(Entry),
}

/// One listed entry as the layer's entry. Whiteouts are recognised by name whatever their
/// type: buildah on overlay writes them as hardlinks to one shared inode.
pub(crate) fn classify(l: &Listed<'_>) -> Parsed {
    let Some(path) = normalize(l.name) else {
        return Parsed::Root;
    };
    // Permission bits only: some writers (Docker's legacy builder, zstd:chunked's TOC) add the
    // file-type bits (`0100644`), others do not; the kind already says what the entry is.
    let mode = l.mode & 0o7777;
    let meta = (mode, l.uid, l.gid, l.mtime);
    let name = file_name(&path);
    if name == OPAQUE_MARKER {
        // `/.wh..wh..opq` would make the root opaque: hide everything below.
        let dir = parent(&path).unwrap_or("").to_string();
        return Parsed::Entry(deletion(dir, EntryKind::Opaque, l.size, meta));
    }
    if let Some(rest) = name.strip_prefix(".wh..wh.") {
        if rest.is_empty() {
            return Parsed::Bookkeeping;
        }
        let mut aufs = deletion(
            join(parent(&path), &format!(".wh.{rest}")),
            EntryKind::Whiteout,
            l.size,
            meta,
        );
        aufs.flags = FLAG_AUFS;
        return Parsed::Entry(aufs);
    }
    if let Some(target) = name.strip_prefix(WHITEOUT_PREFIX) {
        if target.is_empty() {
            return Parsed::Bookkeeping;
        }
        let target = join(parent(&path), target);
        return Parsed::Entry(deletion(target, EntryKind::Whiteout, l.size, meta));
    }

    let kind = match l.kind {
        ListedKind::Regular => EntryKind::File,
        ListedKind::Dir => EntryKind::Dir,
        ListedKind::Symlink => EntryKind::Symlink,
        ListedKind::Hardlink => EntryKind::Hardlink,
        ListedKind::Char => EntryKind::CharDevice,
        ListedKind::Block => EntryKind::BlockDevice,
        ListedKind::Fifo => EntryKind::Fifo,
        // Old tars mark directories only by a trailing slash.
        ListedKind::Other if l.name.ends_with('/') => EntryKind::Dir,
        ListedKind::Other => EntryKind::File,
    };
    let link = match kind {
        EntryKind::Symlink => l.link.map(Into::into),
        EntryKind::Hardlink => l.link.and_then(normalize).map(String::into_boxed_str),
        _ => None,
    };
    Parsed::Entry(Entry {
        path: path.into_boxed_str(),
        kind,
        size: l.size,
        mode,
        uid: l.uid,
        gid: l.gid,
        mtime: l.mtime,
        link,
        device: if matches!(kind, EntryKind::CharDevice | EntryKind::BlockDevice) {
            l.device
        } else {
            None
        },
        digest: None,
        flags: 0,
    })
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
        flags: 0,
    }
}

/// A layer's tree from its listing alone (a table of contents), in listing order, held to the
/// same limits as a tar read (entries, path length and depth, the layer's size) and with the
/// same `header_bytes` a tar read would count (AUFS bookkeeping included). No content ids.
pub fn read_listing<'a>(
    listing: impl IntoIterator<Item = Listed<'a>>,
    limits: &Limits,
) -> Result<LayerTree, TreeError> {
    let mut entries = Vec::new();
    let mut header_bytes = 0u64;
    for listed in listing {
        header_bytes = header_bytes.saturating_add(listed.size);
        if let Some(hit) = limits.layer_bytes(header_bytes, u64::MAX) {
            return Err(hit.into());
        }
        if let Parsed::Entry(entry) = classify(&listed) {
            check_entry(&entry, entries.len() as u64, limits)?;
            entries.push(entry);
        }
    }
    entries.shrink_to_fit();
    Ok(LayerTree {
        entries,
        header_bytes,
        moved: Vec::new(),
        packages: Vec::new(),
    })
}

/// The limits one more entry (after `seen` others) must stay within.
pub(crate) fn check_entry(entry: &Entry, seen: u64, limits: &Limits) -> Result<(), LimitHit> {
    if seen >= limits.entries {
        return Err(LimitHit::new(
            format!("its entry count (more than {seen})"),
            limits.entries.to_string(),
            "--max-entries",
        ));
    }
    let length = entry.path.len() as u64;
    if length > limits.path_length {
        return Err(LimitHit::new(
            format!("a path of {length} bytes"),
            format!("{} bytes", limits.path_length),
            "--max-path-length",
        ));
    }
    let depth = entry.path.split('/').count() as u64;
    if depth > limits.path_depth {
        return Err(LimitHit::new(
            format!("a path {depth} levels deep"),
            format!("{} levels", limits.path_depth),
            "--max-path-depth",
        ));
    }
    Ok(())
}
