//! One layer's tree, read in a single pass over its tar: every entry with its metadata and the
//! BLAKE3 content id of every file. Whiteouts and opaque markers are kept as deletions, not files.
//! This module reads any `impl Read` and knows nothing of digests of blobs or registries.

pub mod codec;
pub mod keep;
pub mod listed;
pub mod paths;
mod tar;

pub mod secrets;
pub mod through_links;

pub use listed::read_listing;
pub use tar::{
    check_read_layer, for_each_entry, read_layer, read_layer_keeping, Corrupt, Ended, Flow,
    SparseProblem, TreeError,
};

/// What an entry is. `Whiteout` and `Opaque` are deletions this layer applies to the layers
/// below; everything else is something the layer adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Hardlink,
    CharDevice,
    BlockDevice,
    Fifo,
    /// `.wh.NAME`: deletes NAME (and its subtree) from the layers below.
    Whiteout,
    /// `DIR/.wh..wh..opq`: hides everything below under DIR, keeps DIR.
    Opaque,
}

impl EntryKind {
    pub fn is_deletion(self) -> bool {
        matches!(self, EntryKind::Whiteout | EntryKind::Opaque)
    }

    /// Short name used in text and JSON.
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Dir => "dir",
            EntryKind::Symlink => "symlink",
            EntryKind::Hardlink => "hardlink",
            EntryKind::CharDevice => "char_device",
            EntryKind::BlockDevice => "block_device",
            EntryKind::Fifo => "fifo",
            EntryKind::Whiteout => "whiteout",
            EntryKind::Opaque => "opaque",
        }
    }
}

/// One tar entry of a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The path this entry acts on, normalised (`./a/`, `/a`, `a` are all `a`; the root is
    /// never an entry). For a whiteout it is the deleted path, for an opaque marker the dir.
    pub path: Box<str>,
    pub kind: EntryKind,
    /// Size from the tar header: content bytes for regular files, usually 0 otherwise.
    pub size: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u64,
    /// Symlink target as written, or hardlink target as a normalised path.
    pub link: Option<Box<str>>,
    /// `(major, minor)` of a device node.
    pub device: Option<(u32, u32)>,
    /// The content id of a regular file: the BLAKE3 hash of its content (DESIGN section 1).
    pub digest: Option<[u8; 32]>,
    /// What a look at the content of a small credential-like file found (`FLAG_*`); the
    /// content itself is never kept.
    pub flags: u8,
}

#[cfg(test)]
impl Entry {
    /// A plain entry for unit tests: mode 0755, owned by root, no content.
    pub(crate) fn for_test(path: &str, kind: EntryKind) -> Entry {
        Entry {
            path: path.into(),
            kind,
            size: 0,
            mode: 0o755,
            uid: 0,
            gid: 0,
            mtime: 1_700_000_000,
            link: None,
            device: None,
            digest: None,
            flags: 0,
        }
    }
}

/// The file holds a PEM private key (`-----BEGIN ... PRIVATE KEY-----`).
pub const FLAG_PRIVATE_KEY: u8 = 1;
/// The file holds what looks like a registry or cloud token or password.
pub const FLAG_TOKEN: u8 = 2;
/// AUFS bookkeeping (`.wh..wh.aufs`, `.wh..wh.orph/`, `.wh..wh.plnk/`, in every layer of an
/// AUFS-era image), never part of the filesystem. It is kept, as a whiteout of its name
/// without the first `.wh.` that removes nothing, only because dive counts it (as a whiteout
/// of a missing path, which ends dive's pass over the rest of the layer).
pub const FLAG_AUFS: u8 = 4;

impl Entry {
    /// Regular-file content bytes: what every figure of DESIGN.md section 3 counts.
    pub fn content_bytes(&self) -> u64 {
        if self.kind == EntryKind::File {
            self.size
        } else {
            0
        }
    }

    /// The last path component.
    pub fn name(&self) -> &str {
        crate::model::path::file_name(&self.path)
    }
}

/// A layer read from its tar, entries in archive order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerTree {
    pub entries: Vec<Entry>,
    /// Sum of the size field of every tar header (dive's layer size).
    pub header_bytes: u64,
    /// Entries whose path went through a symlinked directory, with the path the tar gave
    /// them (see `through_links`); empty as read, and never cached.
    pub moved: Vec<(u32, Box<str>)>,
    /// What the package files this layer holds say (set by the reader's `Keep`), in archive
    /// order.
    pub packages: Vec<crate::model::packages::Fragment>,
}

impl LayerTree {
    /// Regular-file content bytes stored in this layer.
    pub fn content_bytes(&self) -> u64 {
        self.entries.iter().map(Entry::content_bytes).sum()
    }
}
