//! Loading an image: metadata from its source, then every layer read in parallel, each in one
//! streaming pass (blob digest -> decompress -> diff_id digest -> tree).

mod engine_stream;

use std::io::{BufReader, Read as _};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::analysis::Analysis;
use crate::blob::decompress::{self, Compression};
use crate::blob::digest::HashingReader;
use crate::cache::Cache;
use crate::model::digest::Digest;
use crate::model::error::{Error, Result};
use crate::model::history::{self, HistoryStep};
use crate::model::limits::{Bounded, Limits};
use crate::source::reference::ImageRef;
use crate::source::store::Store;
use crate::source::{self, ImageMeta, LayerDesc, SourceOptions};
use crate::tree::{read_layer, LayerTree, TreeError};

/// One layer: how it is stored and what it contains.
#[derive(Debug, Clone)]
pub struct Layer {
    pub desc: LayerDesc,
    pub compression: Compression,
    pub tree: LayerTree,
}

/// An image with every layer read.
#[derive(Debug, Clone)]
pub struct Image {
    pub meta: ImageMeta,
    pub layers: Vec<Layer>,
    pub history: Vec<HistoryStep>,
    /// Where dive's figures for this list of layers are kept between runs, and their name:
    /// none without a cache or when a layer has no diff_id.
    dive_cache: Option<(Cache, Digest)>,
}

impl Image {
    /// The layer trees, bottom first, as the analysis takes them.
    pub fn trees(&self) -> Vec<&LayerTree> {
        self.layers.iter().map(|l| &l.tree).collect()
    }

    /// Analyses the loaded layers. dive's figures come from the cache when this list of
    /// layers was analysed before (a reopen then computes only strata's own), and are stored
    /// there otherwise; a cache that cannot be read or written only costs the time.
    pub fn analyse(&self) -> Analysis {
        let user = self
            .meta
            .config
            .config
            .as_ref()
            .and_then(|c| c.user.as_deref());
        let trees = self.trees();
        let sizes: Vec<u64> = trees.iter().map(|t| t.header_bytes).collect();
        let known = self
            .dive_cache
            .as_ref()
            .and_then(|(cache, key)| cache.dive(key, &sizes));
        let fresh = known.is_none();
        let analysis = Analysis::of_image(&trees, &self.history, user, known);
        if let (true, Some((cache, key))) = (fresh, &self.dive_cache) {
            let _ = cache.put_dive(key, &analysis.dive);
        }
        analysis
    }
}

/// What the loader reports while it works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadEvent {
    /// Metadata read: the stored (compressed) size of each layer blob to read.
    Opened {
        layer_bytes: Vec<u64>,
    },
    LayerStarted {
        index: usize,
    },
    /// Stored (compressed) bytes of the layer read so far, out of `total`.
    LayerProgress {
        index: usize,
        read: u64,
        total: u64,
    },
    LayerFinished {
        index: usize,
        entries: usize,
    },
    /// Something the user should know that is not an error (e.g. the registry was
    /// unreachable and the cached manifest was used).
    Notice(String),
}

/// How often (in stored bytes) a layer reports progress.
const PROGRESS_STEP: u64 = 1 << 20;

/// Counts the bytes read through it (into `read`, which the bomb check reads) and reports
/// every `PROGRESS_STEP`.
struct ProgressReader<'a, R> {
    inner: R,
    read: &'a AtomicU64,
    reported: u64,
    total: u64,
    index: usize,
    progress: &'a (dyn Fn(LoadEvent) + Sync),
}

impl<R: std::io::Read> std::io::Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let read = self.read.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        if read - self.reported >= PROGRESS_STEP || (n == 0 && read != self.reported) {
            self.reported = read;
            (self.progress)(LoadEvent::LayerProgress {
                index: self.index,
                read,
                total: self.total,
            });
        }
        Ok(n)
    }
}

/// Reopens the source of `input` and hands `f` the uncompressed tar of layer `index` of
/// `image` (as loaded from it), for reading file content after the image was loaded (the
/// viewer, extraction). The blob was verified when the image was loaded. An engine streams
/// its archive again, up to that layer.
pub fn with_layer<T>(
    input: &str,
    opts: &SourceOptions,
    image: &Image,
    index: usize,
    f: impl FnOnce(&mut dyn std::io::Read) -> std::io::Result<T>,
) -> Result<T> {
    let no_layer = |count: usize| Error::Unsupported {
        input: input.into(),
        reason: format!("no layer {index}: the image has {count} layers"),
    };
    let reference = ImageRef::parse(input)?;
    if let Some((engine, name)) = source::engine_for(&reference, opts) {
        let layer = image
            .layers
            .get(index)
            .ok_or_else(|| no_layer(image.layers.len()))?;
        return crate::load::engine_stream::with_layer(
            input,
            engine,
            name,
            opts,
            index,
            &layer.desc,
            f,
        );
    }
    let opened = source::open(&reference, input, opts)?;
    let Some(desc) = opened.meta.layers.get(index) else {
        return Err(no_layer(opened.meta.layers.len()));
    };
    let fail = |e: std::io::Error| layer_error(input, index, desc, e.to_string());
    let raw = source::open_layer(opened.store.as_ref(), desc).map_err(fail)?;
    let buffered = BufReader::with_capacity(256 * 1024, raw);
    let (_, mut decoder) = decompress::decoder(buffered).map_err(fail)?;
    f(&mut decoder).map_err(fail)
}

/// Opens and reads a whole image. `progress` is called from worker threads.
pub fn load(
    input: &str,
    opts: &SourceOptions,
    progress: &(dyn Fn(LoadEvent) + Sync),
) -> Result<Image> {
    let reference = ImageRef::parse(input)?;
    if let Some((engine, name)) = source::engine_for(&reference, opts) {
        return crate::load::engine_stream::load(input, engine, name, opts, progress);
    }
    let opened = source::open(&reference, input, opts)?;
    for notice in &opened.notices {
        progress(LoadEvent::Notice(notice.clone()));
    }
    let meta = opened.meta;
    progress(LoadEvent::Opened {
        layer_bytes: meta.layers.iter().map(|l| l.compressed_size).collect(),
    });
    let cache = opts.cache();
    let trees = read_layers(
        opened.store.as_ref(),
        &meta,
        input,
        cache.as_ref(),
        &opts.limits,
        progress,
    )?;
    Ok(assemble(meta, trees, cache, progress))
}

/// The loaded image from its metadata and the trees of its layers, bottom first; keeps the
/// cache under its cap.
pub(crate) fn assemble(
    meta: ImageMeta,
    trees: Vec<(Compression, LayerTree)>,
    cache: Option<Cache>,
    progress: &(dyn Fn(LoadEvent) + Sync),
) -> Image {
    if let Some(cache) = &cache {
        keep_under_cap(cache, progress);
    }
    // After caching: where an entry lands depends on the layers below it.
    let (compressions, mut trees): (Vec<Compression>, Vec<LayerTree>) = trees.into_iter().unzip();
    crate::tree::through_links::follow_parent_links(&mut trees);
    let trees = compressions.into_iter().zip(trees);
    let layers: Vec<Layer> = meta
        .layers
        .iter()
        .cloned()
        .zip(trees)
        .map(|(mut desc, (compression, tree))| {
            // An uncompressed blob is its tar: its digest is the (verified) diff_id, which a
            // `docker save` manifest does not name.
            if desc.digest.is_none() && compression == Compression::None {
                desc.digest = desc.diff_id.clone();
            }
            Layer {
                desc,
                compression,
                tree,
            }
        })
        .collect();
    let history = history::steps(&meta.config, layers.len());
    let diff_ids: Option<Vec<&Digest>> = layers.iter().map(|l| l.desc.diff_id.as_ref()).collect();
    let dive_cache = cache.zip(diff_ids.map(|ids| Cache::dive_key(&ids)));
    Image {
        meta,
        layers,
        history,
        dive_cache,
    }
}

/// Reads every layer on all cores. The first failure (lowest layer index among failures)
/// wins and the other workers stop early.
fn read_layers(
    store: &dyn Store,
    meta: &ImageMeta,
    input: &str,
    cache: Option<&Cache>,
    limits: &Limits,
    progress: &(dyn Fn(LoadEvent) + Sync),
) -> Result<Vec<(Compression, LayerTree)>> {
    let n = meta.layers.len();
    type Slot = Mutex<Option<Result<(Compression, LayerTree)>>>;
    let results: Vec<Slot> = (0..n).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let total = TotalEntries::default();
    let workers = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(2)
        .min(n.max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n || failed.load(Ordering::Relaxed) {
                    break;
                }
                progress(LoadEvent::LayerStarted { index: i });
                let job = Job {
                    desc: &meta.layers[i],
                    index: i,
                    input,
                    limits,
                    progress,
                };
                let result = read_cached(&job, store, cache)
                    .and_then(|read| total.add(&job, &read.1).map(|()| read));
                match &result {
                    Ok((_, tree)) => progress(LoadEvent::LayerFinished {
                        index: i,
                        entries: tree.entries.len(),
                    }),
                    Err(_) => failed.store(true, Ordering::Relaxed),
                }
                if let Ok(mut slot) = results[i].lock() {
                    *slot = Some(result);
                }
            });
        }
    });
    let mut out = Vec::with_capacity(n);
    for (i, slot) in results.into_iter().enumerate() {
        match slot.into_inner().ok().flatten() {
            Some(Ok(v)) => out.push(v),
            Some(Err(e)) => return Err(e),
            // A worker skipped it because another layer had failed; that error comes later
            // in index order, so keep looking for it.
            None => {
                if !failed.load(Ordering::Relaxed) {
                    return Err(layer_error(
                        input,
                        i,
                        &meta.layers[i],
                        "was not read".into(),
                    ));
                }
            }
        }
    }
    if out.len() != n {
        return Err(layer_error(
            input,
            0,
            &meta.layers[0],
            "was not read".into(),
        ));
    }
    Ok(out)
}

/// One layer to read, and what reading it needs.
pub(crate) struct Job<'a> {
    pub desc: &'a LayerDesc,
    pub index: usize,
    pub input: &'a str,
    pub limits: &'a Limits,
    pub progress: &'a (dyn Fn(LoadEvent) + Sync),
}

/// A layer's tree from the cache when it holds the layer's diff_id, else read from the blob
/// and then cached.
pub(crate) fn read_cached(
    job: &Job,
    store: &dyn Store,
    cache: Option<&Cache>,
) -> Result<(Compression, LayerTree)> {
    let desc = job.desc;
    let (Some(cache), Some(diff_id)) = (cache, desc.diff_id.as_ref()) else {
        return read_one(job, store);
    };
    if let Some((cached, tree)) = cache.tree(diff_id) {
        check_cached(job, &tree)?;
        // The same tar can be stored compressed several ways: the tree is the diff_id's, the
        // compression this blob's.
        let compression = store
            .head(&desc.blob, 6)
            .and_then(|head| decompress::detect(&head).ok())
            .or_else(|| decompress::from_media_type(&desc.media_type))
            .unwrap_or(cached);
        return Ok((compression, tree));
    }
    let (compression, tree) = read_one(job, store)?;
    // Only verified layers get here; a cache that cannot be written is not an error.
    let _ = cache.put_tree(diff_id, compression, &tree);
    Ok((compression, tree))
}

/// Entries of the layers read so far, each listing of a layer counted, against
/// `--max-total-entries`.
#[derive(Default)]
pub(crate) struct TotalEntries(AtomicU64);

impl TotalEntries {
    /// Counts `tree` in (read for `job`): an error once the total is past the limit. The
    /// error names no layer: which one crosses the line depends on which finishes first.
    pub(crate) fn add(&self, job: &Job, tree: &LayerTree) -> Result<()> {
        let n = tree.entries.len() as u64;
        let total = self.0.fetch_add(n, Ordering::Relaxed).saturating_add(n);
        match job.limits.image_entries(total) {
            Some(hit) => Err(Error::Unsupported {
                input: job.input.into(),
                reason: hit.to_string(),
            }),
            None => Ok(()),
        }
    }
}

/// A layer tree from the cache against this run's limits (see `check_read_layer`).
pub(crate) fn check_cached(job: &Job, tree: &LayerTree) -> Result<()> {
    crate::tree::check_read_layer(tree, job.desc.compressed_size, job.limits)
        .map_err(|hit| layer_error(job.input, job.index, job.desc, hit.to_string()))
}

/// Evicts the least recently used cache files when the cache grew past its cap, and says so.
fn keep_under_cap(cache: &Cache, progress: &(dyn Fn(LoadEvent) + Sync)) {
    let max = match Cache::max_bytes() {
        Ok(m) => m,
        Err(e) => {
            progress(LoadEvent::Notice(e));
            return;
        }
    };
    let pruned = cache.prune(max);
    if pruned.files > 0 {
        progress(LoadEvent::Notice(format!(
            "cache: evicted {} files ({}) to stay under {} (STRATA_CACHE_MAX_SIZE)",
            pruned.files,
            humansize::format_size(pruned.bytes, humansize::DECIMAL),
            humansize::format_size(max, humansize::DECIMAL)
        )));
    }
}

/// What the decoding thread of a layer sends to the indexing one.
enum Chunk {
    /// The compression the blob's first bytes showed; always the first message.
    Kind(Compression),
    /// A buffer of `CHUNK` bytes and how many of them are data.
    Data(Vec<u8>, usize),
    Failed(std::io::Error),
}

/// Bytes handed over per message: big enough that the channel costs nothing, small enough
/// that the few in flight are a few MB at most.
const CHUNK: usize = 256 * 1024;
const CHUNKS_IN_FLIGHT: usize = 8;

/// Reads one layer blob from the store and checks its digests.
fn read_one(job: &Job, store: &dyn Store) -> Result<(Compression, LayerTree)> {
    let raw = source::open_layer(store, job.desc)
        .map_err(|e| layer_error(job.input, job.index, job.desc, e.to_string()))?;
    let read = read_blob(job, raw)?;
    check_digests(job, &read)?;
    Ok((read.compression, read.tree))
}

/// What reading a layer blob gave: how it was compressed, its tree, and the digests its
/// bytes had (not yet compared with any expected ones).
pub(crate) struct BlobRead {
    pub compression: Compression,
    pub tree: LayerTree,
    /// Of the blob as stored.
    pub digest: Digest,
    /// Bytes of the blob as stored.
    pub stored_bytes: u64,
    /// Of the uncompressed tar.
    pub diff_id: Digest,
}

/// Why the indexing half of `read_blob` stopped.
enum IndexError {
    /// The blob could not be opened for decompression (e.g. an unknown compression).
    Open(std::io::Error),
    Tree(TreeError),
}

/// Reads one layer blob in two threads: this one reads the blob (its digest, progress) and
/// decompresses it, while a second one indexes the tar (tar parsing, the diff_id and every
/// file's sha256). A big layer is then read at the speed of the slower half, not of both.
/// `raw` need not be `Send` (a tar entry of a stream), which is why it stays on this thread.
pub(crate) fn read_blob<R: std::io::Read>(
    job: &Job,
    mut raw: HashingReader<R>,
) -> Result<BlobRead> {
    let Job {
        desc,
        index,
        input,
        limits,
        ..
    } = *job;
    let fail = |reason: String| layer_error(input, index, desc, reason);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(CHUNKS_IN_FLIGHT);
    // Read buffers go back to the decoder: no allocation or zeroing per chunk.
    let (give_back, reuse) = std::sync::mpsc::sync_channel::<Vec<u8>>(CHUNKS_IN_FLIGHT + 2);
    let limits = *limits;
    std::thread::scope(|scope| {
        let indexer = scope.spawn(move || {
            let mut chunks = ChunkReader {
                rx,
                give_back,
                chunk: Vec::new(),
                len: 0,
                pos: 0,
            };
            let compression = match chunks.rx.recv() {
                Ok(Chunk::Kind(c)) => c,
                Ok(Chunk::Failed(e)) => return Err(IndexError::Open(e)),
                Ok(Chunk::Data(..)) | Err(_) => {
                    return Err(IndexError::Open(std::io::Error::other("was not read")))
                }
            };
            // An uncompressed blob is the tar itself: its digest is the diff_id, hashed once.
            let mut tar = HashingReader::maybe(&mut chunks, compression != Compression::None);
            let tree = read_layer(&mut tar, &limits).map_err(IndexError::Tree)?;
            let (diff_id, _) = tar
                .finish_maybe()
                .map_err(|e| IndexError::Tree(TreeError::Io(e)))?;
            Ok((tree, diff_id))
        });
        let compression = decode_into(&mut raw, job, &tx, &reuse);
        // The indexer sees the end of the tar.
        drop(tx);
        let read = indexer
            .join()
            .map_err(|_| fail("the indexing thread panicked (a bug in strata)".into()))?;
        let name = compression.map_or("layer", Compression::name);
        let (tree, diff_id) = match read {
            Ok(v) => v,
            Err(IndexError::Open(e)) => return Err(fail(e.to_string())),
            Err(IndexError::Tree(e)) => {
                // Bytes that do not decompress are most often bytes that are not the blob
                // the manifest names (tampered, or a registry that sent something else):
                // say so when the digest shows it.
                let reason = match e {
                    // A limit is not a sign of tampering: say which one, read no further.
                    TreeError::Limit(hit) => return Err(fail(hit.to_string())),
                    TreeError::Corrupt(m) => format!("{m} in the {name} layer"),
                    TreeError::Io(io) if source::is_transfer_error(&io) => io.to_string(),
                    TreeError::Io(io) => format!("corrupt {name} data: {io}"),
                };
                if let Some(mismatch) = blob_mismatch(raw, desc, index, input, &reason) {
                    return Err(mismatch);
                }
                return Err(fail(reason));
            }
        };
        let compression = compression.ok_or_else(|| fail("was not read".into()))?;
        let (digest, stored_bytes) = raw.finish().map_err(|e| fail(e.to_string()))?;
        let diff_id = diff_id.unwrap_or_else(|| digest.clone());
        Ok(BlobRead {
            compression,
            tree,
            digest,
            stored_bytes,
            diff_id,
        })
    })
}

/// The decoding half of `read_blob`: reads the blob through the progress counter,
/// decompresses, enforces the size and ratio limits, and sends the tar in chunks. Returns the
/// compression, if the blob's head was readable.
fn decode_into<R: std::io::Read>(
    raw: &mut R,
    job: &Job,
    tx: &std::sync::mpsc::SyncSender<Chunk>,
    reuse: &std::sync::mpsc::Receiver<Vec<u8>>,
) -> Option<Compression> {
    let compressed = AtomicU64::new(0);
    let counted = ProgressReader {
        inner: raw,
        read: &compressed,
        reported: 0,
        total: job.desc.compressed_size,
        index: job.index,
        progress: job.progress,
    };
    let buffered = BufReader::with_capacity(256 * 1024, counted);
    let (compression, decoder) = match decompress::decoder(buffered) {
        Ok(v) => v,
        Err(e) => {
            let _ = tx.send(Chunk::Failed(e));
            return None;
        }
    };
    if tx.send(Chunk::Kind(compression)).is_ok() {
        let mut bounded = Bounded::new(decoder, &compressed, *job.limits);
        loop {
            let mut buf = reuse.try_recv().unwrap_or_else(|_| vec![0u8; CHUNK]);
            let msg = match bounded.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => Chunk::Data(buf, n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => Chunk::Failed(e),
            };
            let failed = matches!(msg, Chunk::Failed(_));
            if tx.send(msg).is_err() || failed {
                break;
            }
        }
    }
    Some(compression)
}

/// The indexing half's view of the chunks: a plain `Read`.
struct ChunkReader {
    rx: std::sync::mpsc::Receiver<Chunk>,
    give_back: std::sync::mpsc::SyncSender<Vec<u8>>,
    chunk: Vec<u8>,
    len: usize,
    pos: usize,
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.len {
            match self.rx.recv() {
                Ok(Chunk::Data(d, len)) => {
                    let used = std::mem::replace(&mut self.chunk, d);
                    if !used.is_empty() {
                        // The decoder may have finished: then the buffer is just dropped.
                        let _ = self.give_back.try_send(used);
                    }
                    self.len = len;
                    self.pos = 0;
                }
                Ok(Chunk::Failed(e)) => return Err(e),
                Ok(Chunk::Kind(_)) => {}
                // The decoder finished: end of the tar stream.
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.len - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The blob digest against the manifest's, the tar's against the config's diff_id, and the
/// blob's size against the manifest's.
pub(crate) fn check_digests(job: &Job, read: &BlobRead) -> Result<()> {
    let (desc, index, input) = (job.desc, job.index, job.input);
    let (digest, diff_id) = (&read.digest, &read.diff_id);
    if let Some(expected) = &desc.digest {
        if digest != expected {
            return Err(Error::DigestMismatch {
                input: input.into(),
                what: format!("layer {index} blob {}", desc.blob),
                expected: expected.to_string(),
                actual: digest.to_string(),
            });
        }
    }
    if let Some(expected) = &desc.diff_id {
        if diff_id != expected {
            return Err(Error::DigestMismatch {
                input: input.into(),
                what: format!(
                    "layer {index} uncompressed content (diff_id) of {}",
                    desc.blob
                ),
                expected: expected.to_string(),
                actual: diff_id.to_string(),
            });
        }
    }
    // After the digests: a blob cut short is a digest mismatch first.
    if read.stored_bytes != desc.compressed_size {
        return Err(layer_error(
            input,
            index,
            desc,
            format!(
                "the blob is {} bytes, the manifest says {}",
                read.stored_bytes, desc.compressed_size
            ),
        ));
    }
    Ok(())
}

/// Reads the rest of a blob that failed to decode and, if its digest is not the expected
/// one, the error that says so.
fn blob_mismatch<R: std::io::Read>(
    mut raw: HashingReader<R>,
    desc: &LayerDesc,
    index: usize,
    input: &str,
    decode_error: &str,
) -> Option<Error> {
    let expected = desc.digest.as_ref()?;
    std::io::copy(&mut raw, &mut std::io::sink()).ok()?;
    let (actual, _) = raw.finish().ok()?;
    (&actual != expected).then(|| Error::DigestMismatch {
        input: input.into(),
        what: format!(
            "layer {index} blob {} (its bytes do not decode: {decode_error})",
            desc.blob
        ),
        expected: expected.to_string(),
        actual: actual.to_string(),
    })
}

pub(crate) fn layer_error(input: &str, index: usize, desc: &LayerDesc, reason: String) -> Error {
    Error::Layer {
        input: input.into(),
        index,
        blob: desc.blob.clone(),
        reason,
    }
}
