//! A layer's tree, and one file's content, from its table of contents, fetched by HTTP Range
//! before (or without) the layer's download: eStargz (the `containerd.io/snapshot/stargz/
//! toc.digest` annotation, the footer, `stargz.index.json`) and zstd:chunked (the
//! `manifest-position` and `manifest-checksum` annotations, either prefix). The formats
//! themselves are read in `blob::toc`; this module fetches their bytes from the store and
//! names the layer in what goes wrong.
//!
//! What may be believed: only a TOC the manifest vouches for. The descriptor's annotation
//! names the TOC's digest (the manifest's digest covers the annotation), so a layer without it
//! (a zstd:chunked layer without its checksum annotation, an eStargz blob nobody announced) is
//! read the ordinary way. A TOC that does not hash to its annotation is an error naming the
//! layer; one that is merely unusable (no footer where it should be, past a limit, not
//! parseable, inconsistent) is `Ok(None)`: the full download reads and checks every byte
//! anyway, and says what is wrong if anything is. A store that cannot fetch a part (a file, a
//! cached blob, a registry that ignores ranges) is `Ok(None)` too. A file's bytes are believed
//! only chunk by chunk, each against the digest its (vouched-for) TOC gives.
//!
//! A tree read here has no content ids (`tree::read_listing`): figures never use it alone
//! (DESIGN 4c). It equals the tree the tar walker reads from the layer's bytes, eStargz's own
//! `stargz.index.json` included: the TOC does not list it and stargz-snapshotter's lazy mount
//! hides it, but it is a tar entry that docker, umoci and dive all see, so the listing gets it
//! from the TOC's own tar header (`blob::toc::Toc::own`) rather than the tar read dropping it.
//!
//! Entry points: `listing` and `read_file` for the layer workers (`layers`), and
//! `open_by_toc` / `list_by_toc`, which open an image by name, for tests and the viewer.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::time::Instant;

use super::blob_read::Job;
use super::events::LoadEvent;
use crate::blob::toc::{
    estargz, read_chunk, zstd_chunked, Chunk, Format, Toc, TocEntry, TocError, TocLocation,
};
use crate::model::digest::Digest;
use crate::model::error::{Error, LayerProblem, Result};
use crate::model::image::LayerDesc;
use crate::model::limits::Limits;
use crate::model::listing::ListedKind;
use crate::model::path::normalize;
use crate::source::reference::ImageRef;
use crate::source::store::Store;
use crate::source::{self, Blobs, SourceOptions, Target};
use crate::tree::{read_listing, LayerTree};

/// A layer's tree from its TOC, and the TOC (for its files' chunks).
pub(crate) struct Listed {
    pub tree: LayerTree,
    pub toc: Arc<Toc>,
    pub format: Format,
}

/// The TOC a layer's descriptor announces, with the digest that vouches for it.
enum Announced {
    /// The sha256 of the TOC's JSON.
    Estargz(Digest),
    /// Where the TOC is, and the sha256 of its compressed bytes.
    ZstdChunked(TocLocation, Digest),
}

impl Announced {
    fn format(&self) -> Format {
        match self {
            Announced::Estargz(_) => Format::Estargz,
            Announced::ZstdChunked(..) => Format::ZstdChunked,
        }
    }
}

/// What the descriptor says of the layer's TOC; `None` for a layer without one (or with
/// annotations its media type contradicts, or that do not parse).
fn announced(desc: &LayerDesc) -> Option<Announced> {
    let media = desc.media_type.as_str();
    if let Some(digest) = desc.annotations.get(estargz::TOC_DIGEST_ANNOTATION) {
        return media
            .ends_with("gzip")
            .then(|| Digest::parse(digest))
            .flatten()
            .map(Announced::Estargz);
    }
    if !media.ends_with("zstd") {
        return None;
    }
    let keys = zstd_chunked::POSITION_ANNOTATIONS
        .iter()
        .chain(&zstd_chunked::CHECKSUM_ANNOTATIONS);
    let annotations: HashMap<String, String> = keys
        .filter_map(|k| Some((k.to_string(), desc.annotations.get(*k)?.clone())))
        .collect();
    match zstd_chunked::location(&annotations) {
        Ok(Some((location, Some(digest)))) => Some(Announced::ZstdChunked(location, digest)),
        _ => None,
    }
}

/// `len` bytes of the layer's blob from `offset` by range; `None` when the store cannot, or
/// the fetch failed (the full download then tries, and reports).
fn fetch(job: &Job, store: &dyn Store, offset: u64, len: u64) -> Option<Vec<u8>> {
    match store.range(&job.desc.blob, offset, len)? {
        Ok(bytes) if bytes.len() as u64 == len => Some(bytes),
        Ok(bytes) => {
            trace(job, || {
                format!("a range of {len} bytes came with {}", bytes.len())
            });
            None
        }
        Err(e) => {
            trace(job, || format!("a range of {len} bytes at {offset}: {e}"));
            None
        }
    }
}

fn trace(job: &Job, what: impl FnOnce() -> String) {
    super::trace::stage(Instant::now(), || {
        format!("layer {}: table of contents: {}", job.index, what())
    });
}

/// The layer's tree from its TOC, when its descriptor announces one and the store can fetch
/// it by ranges: `Ok(None)` means "read the layer the ordinary way" (see the module comment);
/// the one error is a TOC that does not hash to the digest its descriptor names.
pub(crate) fn listing(job: &Job, store: &dyn Store) -> Result<Option<Listed>> {
    let started = Instant::now();
    let Some(announced) = announced(job.desc) else {
        return Ok(None);
    };
    let format = announced.format();
    let (size, limits) = (job.desc.compressed_size, job.limits);
    let parsed = match &announced {
        Announced::Estargz(expected) => {
            let tail_len = estargz::FOOTER_SIZE.min(size);
            let Some(tail) = fetch(job, store, size - tail_len, tail_len) else {
                return Ok(None);
            };
            match estargz::locate(&tail, size, limits) {
                Ok(location) => {
                    let Some(bytes) = fetch(job, store, location.offset, location.length) else {
                        return Ok(None);
                    };
                    estargz::parse_toc(&bytes, &location, size, Some(expected), limits)
                }
                Err(e) => Err(e),
            }
        }
        Announced::ZstdChunked(location, expected) => {
            match zstd_chunked::check_location(location, size, limits) {
                Ok(()) => {
                    let Some(bytes) = fetch(job, store, location.offset, location.length) else {
                        return Ok(None);
                    };
                    zstd_chunked::parse_toc(&bytes, location, size, Some(expected), limits)
                }
                Err(e) => Err(e),
            }
        }
    };
    let toc = match parsed {
        Ok(toc) => toc,
        Err(TocError::TocDigest { expected, actual }) => {
            return Err(Error::DigestMismatch {
                what: format!(
                    "layer {} table of contents ({format}) of {}",
                    job.index, job.desc.blob
                ),
                expected,
                actual,
            })
        }
        Err(e) => {
            trace(job, || format!("not used ({format}): {e}"));
            return Ok(None);
        }
    };
    let tree = match read_listing(toc.listing(), limits) {
        Ok(tree) => tree,
        Err(e) => {
            trace(job, || format!("not used ({format}): {e}"));
            return Ok(None);
        }
    };
    super::trace::stage(started, || {
        format!(
            "layer {}: listed from its {format} table of contents, {} entries",
            job.index,
            tree.entries.len()
        )
    });
    Ok(Some(Listed {
        tree,
        toc: Arc::new(toc),
        format,
    }))
}

/// Compressed bytes fetched in one request at most, when a file's chunks lie one after the
/// other (one chunk larger than this is fetched alone).
const SPAN: u64 = 8 << 20;

/// The content of the regular file at `path` (as the tree writes it; a hardlink is read as
/// its target), its first `limit` bytes at most, from just its chunks: fetched by range and
/// each checked against the digest the TOC gives it. A chunk whose bytes do not match is a
/// digest mismatch naming the layer and the path.
///
/// `Error::Unsupported` means "not by ranges": the store cannot fetch parts, the TOC has no
/// regular file at `path` (eStargz's own `stargz.index.json` included), or no digest covers
/// the bytes asked for. The caller then reads the blob whole. Other errors are real.
pub(crate) fn read_file(
    job: &Job,
    store: &dyn Store,
    toc: &Toc,
    path: &str,
    limit: u64,
) -> Result<Vec<u8>> {
    let unsupported = |why: &str| Error::Unsupported {
        reason: format!(
            "layer {} ({}): {path}: {why}; read the layer whole",
            job.index, job.desc.blob
        ),
    };
    let entry = find_file(toc, path).ok_or_else(|| {
        unsupported(&format!(
            "its {} table of contents has no regular file there",
            toc.format
        ))
    })?;
    let wanted = entry.size.min(limit);
    let chunks: Vec<&Chunk> = entry
        .chunks
        .iter()
        .take_while(|c| c.file_offset < wanted)
        .collect();
    // Bytes no chunk digest covers are checked against the file's digest, which needs all of
    // them.
    let by_file_digest = chunks.iter().any(|c| c.digest.is_none());
    if by_file_digest && (wanted < entry.size || entry.digest.is_none()) {
        return Err(unsupported(&format!(
            "its {} table of contents gives no digest for some of its bytes",
            toc.format
        )));
    }
    let mut out = Vec::with_capacity(wanted.min(1 << 20) as usize);
    for group in spans(&chunks) {
        let (first, last) = (group[0], group[group.len() - 1]);
        let start = first.offset;
        let end = last.offset.saturating_add(last.compressed);
        let len = end.saturating_sub(start);
        let bytes = match store.range(&job.desc.blob, start, len) {
            None => return Err(unsupported("the store cannot fetch part of the blob")),
            Some(Err(e)) => return Err(job.error(LayerProblem::Read(e))),
            Some(Ok(bytes)) => bytes,
        };
        if bytes.len() as u64 != len {
            return Err(job.error(LayerProblem::Read(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{path}: {} bytes came for a range of {len}", bytes.len()),
            ))));
        }
        for c in group {
            let at = (c.offset - start) as usize;
            let fetched = bytes
                .get(at..at.saturating_add(c.compressed as usize))
                .unwrap_or_default();
            out.extend(chunk_content(job, toc.format, fetched, c, path)?);
        }
    }
    if by_file_digest {
        if let Some(expected) = &entry.digest {
            let actual = Digest::of(&out);
            if &actual != expected {
                return Err(Error::DigestMismatch {
                    what: format!(
                        "layer {} {path} (as its {} table of contents gives it) of {}",
                        job.index, toc.format, job.desc.blob
                    ),
                    expected: expected.clone(),
                    actual,
                });
            }
        }
    }
    out.truncate(wanted as usize);
    Ok(out)
}

/// One chunk's content, checked; errors name the layer and the path.
fn chunk_content(
    job: &Job,
    format: Format,
    fetched: &[u8],
    chunk: &Chunk,
    path: &str,
) -> Result<Vec<u8>> {
    match read_chunk(format, fetched, chunk, job.limits) {
        Ok(bytes) => Ok(bytes),
        Err(TocError::ChunkDigest { expected, actual }) => Err(Error::DigestMismatch {
            what: format!(
                "layer {} {path}, bytes {}..{} (a chunk its {format} table of contents names) of {}",
                job.index,
                chunk.file_offset,
                chunk.file_offset.saturating_add(chunk.size),
                job.desc.blob
            ),
            expected,
            actual,
        }),
        Err(TocError::Limit(hit)) => Err(job.error(hit)),
        Err(e) => Err(job.error(LayerProblem::Decode {
            compression: format.name(),
            source: io::Error::new(io::ErrorKind::InvalidData, format!("{path}: {e}")),
        })),
    }
}

/// The file a path names in the TOC: the last entry of that name (as a tar's last wins); a
/// hardlink stands for its target.
fn find_file<'t>(toc: &'t Toc, path: &str) -> Option<&'t TocEntry> {
    let named = |wanted: &str| {
        toc.entries
            .iter()
            .rev()
            .find(|e| normalize(&e.name).as_deref() == Some(wanted))
    };
    let wanted = normalize(path)?;
    let entry = named(&wanted)?;
    let entry = match entry.kind {
        ListedKind::Hardlink => named(&normalize(entry.link.as_deref()?)?)?,
        _ => entry,
    };
    (entry.kind == ListedKind::Regular).then_some(entry)
}

/// The chunks in runs fetched one request each: a chunk joins the run before it when it
/// starts inside or right after it and the run stays within `SPAN`.
fn spans<'c>(chunks: &[&'c Chunk]) -> Vec<Vec<&'c Chunk>> {
    let mut runs: Vec<Vec<&Chunk>> = Vec::new();
    let mut span = (0u64, 0u64);
    for &c in chunks {
        let end = c.offset.saturating_add(c.compressed);
        let joins = !runs.is_empty()
            && c.offset >= span.0
            && c.offset <= span.1
            && end.max(span.1) - span.0 <= SPAN;
        match runs.last_mut() {
            Some(run) if joins => {
                run.push(c);
                span.1 = span.1.max(end);
            }
            _ => {
                runs.push(vec![c]);
                span = (c.offset, end);
            }
        }
    }
    runs
}

/// One layer of an image, listed from its table of contents, its blob reachable by ranges:
/// the tree at once, any file's content on demand. What `open_by_toc` gives.
pub struct TocLayer {
    input: String,
    blobs: Blobs,
    desc: LayerDesc,
    index: usize,
    limits: Limits,
    listed: Listed,
}

fn quiet(_: LoadEvent) {}

impl TocLayer {
    fn job(&self) -> Job<'_> {
        Job {
            desc: &self.desc,
            index: self.index,
            limits: &self.limits,
            progress: &quiet,
            verify_diff_ids: false,
            cancel: None,
        }
    }

    /// The layer's tree, without content ids.
    pub fn tree(&self) -> &LayerTree {
        &self.listed.tree
    }

    pub fn format(&self) -> Format {
        self.listed.format
    }

    /// The first `limit` bytes (at most) of the regular file at `path`, from its chunks, each
    /// checked against its digest (see `read_file`; `Error::Unsupported`: read the layer
    /// whole instead).
    pub fn read_file(&self, path: &str, limit: u64) -> Result<Vec<u8>> {
        read_file(
            &self.job(),
            self.blobs.store.as_ref(),
            &self.listed.toc,
            path,
            limit,
        )
        .map_err(|e| e.about(&self.input))
    }
}

/// Opens `input` and lists layer `layer` from its table of contents, fetched by ranges,
/// without the layer's download; `Ok(None)` when the layer has no TOC its descriptor vouches
/// for, or its blob cannot be fetched in parts (a file, a local engine, a cached blob, a
/// registry that ignores ranges): read it the ordinary way. Errors name the input.
pub fn open_by_toc(input: &str, opts: &SourceOptions, layer: usize) -> Result<Option<TocLayer>> {
    open_unnamed(input, opts, layer).map_err(|e| e.about(input))
}

fn open_unnamed(input: &str, opts: &SourceOptions, layer: usize) -> Result<Option<TocLayer>> {
    let target = source::resolve(&ImageRef::parse(input)?, opts);
    if matches!(target, Target::Engine { .. }) {
        return Ok(None);
    }
    let opened = source::open(&target, opts)?;
    let count = opened.meta.layers.len();
    let desc = opened
        .meta
        .layers
        .into_iter()
        .nth(layer)
        .ok_or_else(|| Error::Unsupported {
            reason: format!("no layer {layer}: the image has {count} layers"),
        })?;
    let job = Job {
        desc: &desc,
        index: layer,
        limits: &opts.limits,
        progress: &quiet,
        verify_diff_ids: false,
        cancel: None,
    };
    let Some(listed) = listing(&job, opened.blobs.store.as_ref())? else {
        return Ok(None);
    };
    Ok(Some(TocLayer {
        input: input.to_string(),
        blobs: opened.blobs,
        desc,
        index: layer,
        limits: opts.limits,
        listed,
    }))
}

/// Layer `layer`'s tree from its table of contents (see `open_by_toc`).
pub fn list_by_toc(input: &str, opts: &SourceOptions, layer: usize) -> Result<Option<LayerTree>> {
    Ok(open_by_toc(input, opts, layer)?.map(|t| t.listed.tree))
}
