//! What an archive's own listing says of one entry, before it is normalised into a tree
//! entry: the raw name, the type, the header's numbers. Two readers produce it (the tar walker
//! from a header block, the eStargz / zstd:chunked table-of-contents readers from their JSON)
//! and one function in `tree` turns it into an `Entry`, so whiteouts, opaque markers, AUFS
//! bookkeeping and path normalisation are decided in one place whatever the listing was.

/// The entry type as the listing gives it (tar typeflags; the TOCs use the same set by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListedKind {
    Regular,
    Dir,
    Symlink,
    Hardlink,
    Char,
    Block,
    Fifo,
    /// A type the readers do not know: a directory when the name ends in `/` (old tars mark
    /// directories only so), else a regular file.
    Other,
}

/// One listed entry, as written (the name not yet normalised, the mode with whatever
/// file-type bits the writer added).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed<'a> {
    pub name: &'a str,
    pub kind: ListedKind,
    /// The logical content size of a regular file (the tar header's size field otherwise).
    pub size: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u64,
    /// A symlink's or hardlink's target, as written.
    pub link: Option<&'a str>,
    pub device: Option<(u32, u32)>,
}
