//! Tables of contents of seekable layers: eStargz (`estargz`) and zstd:chunked
//! (`zstd_chunked`). Such a layer is an ordinary gzip or zstd tar whose files are compressed
//! each in their own gzip members or zstd frames, followed by a JSON index of every entry and
//! of where its bytes lie in the blob. From the index alone a layer's tree is known
//! (`Toc::listing` fed to `tree::read_listing`, which classifies entries exactly as the tar
//! walker does, whiteouts included), and one file's content is a few byte ranges of the blob
//! (`Chunk`), checked against the index's chunk digests (`read_chunk`, `verify_chunk`).
//!
//! Why here: these are formats of the bytes as stored (footers, offsets into the compressed
//! blob, digests), which is `blob/`'s job (README "Layout"); `blob` may not import `tree`, so
//! the index hands `tree` a `model::listing::Listed` per entry rather than building a
//! `LayerTree` itself.
//!
//! Everything here is pure: the caller fetches the bytes (the footer, the TOC's range, a
//! chunk's range, by HTTP Range requests later) and passes them in with the blob's size. NOT
//! WIRED to the loader yet (issue 24 point 3 builds on it).
//!
//! Hardening: a TOC is untrusted. Its compressed and decompressed sizes are bounded by
//! `--max-json-size` before anything is decompressed or allocated; its JSON is read entry by
//! entry (never into a generic value) with the entry count bounded by `--max-entries`; every
//! offset and length is checked with checked arithmetic to lie inside the blob, before the
//! TOC itself, in order and without overlap; the files' sizes together are held to
//! `--max-layer-size` and `--max-ratio` against the blob's size; a chunk is decompressed no
//! further than the size the TOC gives it, through `bounded::Bounded`. Path length and depth
//! are checked by `tree::read_listing`, as for a tar.

pub mod estargz;
mod json;
pub mod zstd_chunked;

use std::io::{self, Read};
use std::sync::atomic::AtomicU64;

use crate::model::digest::Digest;
use crate::model::limits::{LimitHit, Limits};
use crate::model::listing::{Listed, ListedKind};
use crate::model::units;

use super::bounded::Bounded;

/// Which format a TOC is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Estargz,
    ZstdChunked,
}

/// Where a layer's TOC lies in its blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TocLocation {
    /// Offset in the blob of the TOC's compressed bytes (the gzip member for eStargz, the
    /// zstd frame inside the skippable frame for zstd:chunked).
    pub offset: u64,
    /// Its compressed length.
    pub length: u64,
    /// Its uncompressed length, where the format records it (zstd:chunked).
    pub uncompressed: Option<u64>,
}

/// A byte range of one regular file's content and where it lies in the blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Offset in the blob of the gzip member / zstd frame holding the chunk.
    pub offset: u64,
    /// Compressed bytes from `offset` to fetch: they decompress to at least
    /// `inner_offset + size` bytes.
    pub compressed: u64,
    /// Decompressed bytes before the chunk's own (eStargz `innerOffset`, else 0).
    pub inner_offset: u64,
    /// Offset of the chunk in the file's content.
    pub file_offset: u64,
    /// Decompressed size of the chunk.
    pub size: u64,
    /// sha256 of the chunk's decompressed bytes, when the TOC gives one.
    pub digest: Option<Digest>,
}

/// One entry of the TOC (chunk records folded into their file's `chunks`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TocEntry {
    /// The name as the TOC writes it (normalised later, by `tree`).
    pub name: String,
    pub kind: ListedKind,
    pub size: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u64,
    pub link: Option<String>,
    pub device: Option<(u32, u32)>,
    /// sha256 of a regular file's whole content, when given.
    pub digest: Option<Digest>,
    /// A regular file's content, in file order, covering it exactly (empty for empty files).
    pub chunks: Vec<Chunk>,
}

impl Format {
    /// The format's name as its documents write it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Estargz => "eStargz",
            Format::ZstdChunked => "zstd:chunked",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A layer's table of contents, checked against the blob it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toc {
    pub format: Format,
    pub entries: Vec<TocEntry>,
    /// The TOC's own entry in the layer's tar, which the TOC does not list: eStargz's
    /// `stargz.index.json`, read from the header of the tar its member holds (no chunks: its
    /// content is the TOC). The tar walker sees it, as does any runtime that unpacks the
    /// layer as a plain tar (docker, umoci), so the listing ends with it too and a tree read
    /// either way is the same. zstd:chunked keeps its TOC in skippable frames, outside the tar.
    pub own: Option<TocEntry>,
}

impl Toc {
    /// The entries as a listing, for `tree::read_listing`: the TOC's, then its own entry.
    pub fn listing(&self) -> impl Iterator<Item = Listed<'_>> {
        self.entries.iter().chain(&self.own).map(|e| Listed {
            name: &e.name,
            kind: e.kind,
            size: e.size,
            mode: e.mode,
            uid: e.uid,
            gid: e.gid,
            mtime: e.mtime,
            link: e.link.as_deref(),
            device: e.device,
        })
    }
}

/// Why a TOC (or a chunk) was refused. The caller names the layer.
#[derive(Debug, thiserror::Error)]
pub enum TocError {
    /// The footer or the annotations do not say where a TOC is.
    #[error("no {format} table of contents: {why}")]
    NotFound { format: &'static str, why: String },
    /// The TOC went past one of the `Limits`.
    #[error("its table of contents: {0}")]
    Limit(#[from] LimitHit),
    #[error("its table of contents has digest {actual}, not the {expected} its descriptor names")]
    TocDigest { expected: Digest, actual: Digest },
    #[error(
        "a chunk's content has digest {actual}, not the {expected} its table of contents names"
    )]
    ChunkDigest { expected: Digest, actual: Digest },
    /// The TOC's bytes do not decompress or parse.
    #[error("its table of contents does not read: {0}")]
    Unreadable(String),
    /// The TOC parses but says something impossible (offsets outside the blob, overlapping
    /// chunks, sizes that do not add up).
    #[error("its table of contents is inconsistent: {0}")]
    Inconsistent(String),
}

impl TocError {
    fn inconsistent(why: impl Into<String>) -> TocError {
        TocError::Inconsistent(why.into())
    }

    fn from_io(e: io::Error) -> TocError {
        match LimitHit::from_io(&e) {
            Some(hit) => TocError::Limit(hit.clone()),
            None => TocError::Unreadable(e.to_string()),
        }
    }
}

/// Checks a chunk's decompressed bytes against its digest.
pub fn verify_chunk(bytes: &[u8], expected: &Digest) -> Result<(), TocError> {
    let actual = Digest::of(bytes);
    if &actual == expected {
        Ok(())
    } else {
        Err(TocError::ChunkDigest {
            expected: expected.clone(),
            actual,
        })
    }
}

/// A chunk's content from the `chunk.compressed` bytes fetched at `chunk.offset`: decompressed
/// no further than the chunk, and checked against its digest when the TOC gives one.
pub fn read_chunk(
    format: Format,
    fetched: &[u8],
    chunk: &Chunk,
    limits: &Limits,
) -> Result<Vec<u8>, TocError> {
    if fetched.len() as u64 != chunk.compressed {
        return Err(TocError::inconsistent(format!(
            "a chunk of {} compressed bytes was given {} bytes",
            chunk.compressed,
            fetched.len()
        )));
    }
    let compressed = AtomicU64::new(chunk.compressed);
    let decoder: Box<dyn Read + '_> = match format {
        Format::Estargz => Box::new(flate2::read::MultiGzDecoder::new(fetched)),
        Format::ZstdChunked => {
            Box::new(zstd::stream::read::Decoder::new(fetched).map_err(TocError::from_io)?)
        }
    };
    let mut bounded = Bounded::new(decoder, &compressed, *limits);
    let skipped = io::copy(
        &mut (&mut bounded).take(chunk.inner_offset),
        &mut io::sink(),
    )
    .map_err(TocError::from_io)?;
    // Room for what has arrived, not for what the TOC claims.
    let mut out = Vec::with_capacity(chunk.size.min(1 << 20) as usize);
    bounded
        .take(chunk.size)
        .read_to_end(&mut out)
        .map_err(TocError::from_io)?;
    if skipped != chunk.inner_offset || out.len() as u64 != chunk.size {
        return Err(TocError::inconsistent(format!(
            "a chunk of {} bytes decompresses to {} bytes",
            chunk.size,
            skipped.saturating_add(out.len() as u64)
        )));
    }
    if let Some(expected) = &chunk.digest {
        verify_chunk(&out, expected)?;
    }
    Ok(out)
}

/// The decompressed TOC, no more than `--max-json-size` bytes (plus `slack` for a wrapper
/// such as eStargz's tar header), whatever its header claims.
fn inflate_bounded(decoder: impl Read, slack: u64, limits: &Limits) -> Result<Vec<u8>, TocError> {
    let cap = limits.json_size.saturating_add(slack);
    let mut out = Vec::new();
    decoder
        .take(cap.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(TocError::from_io)?;
    if out.len() as u64 > cap {
        return Err(json_limit(limits).into());
    }
    Ok(out)
}

/// `--max-json-size`, the bound of a TOC's bytes, compressed or not.
fn json_limit(limits: &Limits) -> LimitHit {
    LimitHit::new(
        "its size".into(),
        units::exact_or_binary(limits.json_size),
        "--max-json-size",
    )
}

/// Refuses a compressed TOC larger than `--max-json-size` before it is fetched or read.
fn check_toc_length(length: u64, limits: &Limits) -> Result<(), TocError> {
    if length > limits.json_size {
        return Err(json_limit(limits).into());
    }
    Ok(())
}

/// The checks every TOC's chunks must pass, whatever the format: each file's chunks cover its
/// content exactly and in order, every chunk's compressed range lies before `data_end` (the
/// TOC's own offset, so inside the blob), ranges come in blob order without overlapping, and
/// the files' sizes together stay within the layer limits for a blob of `blob_size` bytes.
fn check_layout(
    entries: &[TocEntry],
    data_end: u64,
    blob_size: u64,
    limits: &Limits,
) -> Result<(), TocError> {
    if data_end > blob_size {
        return Err(TocError::inconsistent(format!(
            "its data ends at {data_end}, past the blob's {blob_size} bytes"
        )));
    }
    let mut total = 0u64;
    // The last compressed range seen, and where its last chunk ended in its decompressed
    // bytes: ranges may repeat (eStargz packs small files in one gzip member, one after the
    // other by `innerOffset`) but never go back or overlap, compressed or decompressed.
    let mut last: Option<(u64, u64, u64)> = None;
    for e in entries {
        total = total.saturating_add(e.size);
        if let Some(hit) = limits.layer_bytes(total, blob_size) {
            return Err(hit.into());
        }
        if e.kind != ListedKind::Regular && !e.chunks.is_empty() {
            return Err(TocError::inconsistent(format!(
                "{:?} has chunks but is no file",
                e.name
            )));
        }
        let mut covered = 0u64;
        for c in &e.chunks {
            let name = &e.name;
            if c.file_offset != covered || c.size == 0 {
                return Err(TocError::inconsistent(format!(
                    "the chunks of {name:?} do not follow each other (one at {} of {} bytes after {covered})",
                    c.file_offset, c.size
                )));
            }
            covered = covered.checked_add(c.size).ok_or_else(|| {
                TocError::inconsistent(format!("the chunks of {name:?} overflow"))
            })?;
            let end = c
                .offset
                .checked_add(c.compressed)
                .filter(|end| *end <= data_end);
            let Some(end) = end.filter(|_| c.compressed > 0) else {
                return Err(TocError::inconsistent(format!(
                    "a chunk of {name:?} lies at {}+{}, outside the blob's data (0..{data_end})",
                    c.offset, c.compressed
                )));
            };
            let inner_end = c.inner_offset.checked_add(c.size).ok_or_else(|| {
                TocError::inconsistent(format!("a chunk of {name:?} overflows its member"))
            })?;
            if let Some((start, stop, used)) = last {
                let after = if (c.offset, end) == (start, stop) {
                    c.inner_offset >= used
                } else {
                    c.offset >= stop
                };
                if !after {
                    return Err(TocError::inconsistent(format!(
                        "a chunk of {name:?} at {}..{end} (+{}) overlaps or precedes the one at {start}..{stop}",
                        c.offset, c.inner_offset
                    )));
                }
            }
            last = Some((c.offset, end, inner_end));
        }
        if covered != e.size {
            return Err(TocError::inconsistent(format!(
                "the chunks of {:?} hold {covered} bytes, not its {}",
                e.name, e.size
            )));
        }
    }
    Ok(())
}

/// A TOC's value that must not be negative (the JSON holds Go's int64).
fn non_negative(v: i64, what: &str, name: &str) -> Result<u64, TocError> {
    u64::try_from(v).map_err(|_| TocError::inconsistent(format!("{name:?} has a negative {what}")))
}

/// A digest field: empty is none, anything but `sha256:<hex>` is refused.
fn digest_field(s: &str, name: &str) -> Result<Option<Digest>, TocError> {
    if s.is_empty() {
        return Ok(None);
    }
    Digest::parse(s).map(Some).ok_or_else(|| {
        TocError::inconsistent(format!("{name:?} has a digest that is not sha256: {s:.80}"))
    })
}

/// The metadata of one TOC record, as the listing needs it.
fn entry_of(raw: &json::RawEntry) -> Result<TocEntry, TocError> {
    let name = &raw.name;
    let kind = match raw.kind.as_str() {
        "reg" => ListedKind::Regular,
        "dir" => ListedKind::Dir,
        "symlink" => ListedKind::Symlink,
        "hardlink" => ListedKind::Hardlink,
        "char" => ListedKind::Char,
        "block" => ListedKind::Block,
        "fifo" => ListedKind::Fifo,
        other => {
            return Err(TocError::inconsistent(format!(
                "{name:?} has the unknown type {other:.40?}"
            )))
        }
    };
    let id = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    let device = matches!(kind, ListedKind::Char | ListedKind::Block)
        .then(|| (id(raw.dev_major), id(raw.dev_minor)));
    let mtime = raw
        .modtime
        .as_deref()
        .and_then(crate::model::civil::rfc3339_seconds)
        .map_or(0, |s| u64::try_from(s).unwrap_or(0));
    Ok(TocEntry {
        name: raw.name.clone(),
        kind,
        size: non_negative(raw.size, "size", name)?,
        mode: u32::try_from(raw.mode).unwrap_or(0),
        uid: id(raw.uid),
        gid: id(raw.gid),
        mtime,
        link: (!raw.link_name.is_empty()).then(|| raw.link_name.clone()),
        device,
        digest: digest_field(&raw.digest, name)?,
        chunks: Vec::new(),
    })
}
