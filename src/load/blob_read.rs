//! Reading one layer blob in one pass: the stored bytes are hashed (the blob's digest) and
//! decompressed on one thread while a second one walks the tar (the tree, the diff_id, every
//! file's content id), so a big layer is read at the speed of the slower half, not of both.
//! The digests are compared with what the manifest and config say here too, for every kind of
//! source, and so are the limits of the decompressed stream (bombs).

use std::io::{BufReader, Read as _};
use std::sync::atomic::{AtomicU64, Ordering};

use super::events::{LoadEvent, Progress};
use crate::analysis::packages::collect::Collector;
use crate::blob::bounded::Bounded;
use crate::blob::decompress::{self, Compression};
use crate::blob::digest::HashingReader;
use crate::model::digest::Digest;
use crate::model::error::{Error, LayerProblem, Result};
use crate::model::image::{LayerDesc, Verified};
use crate::model::limits::Limits;
use crate::source;
use crate::tree::{read_layer_keeping, LayerTree, TreeError};

/// One layer to read, and what reading it needs.
pub(crate) struct Job<'a> {
    pub desc: &'a LayerDesc,
    pub index: usize,
    pub limits: &'a Limits,
    pub progress: Progress<'a>,
    /// `--verify-diff-ids`: hash the uncompressed tar of a compressed blob too.
    pub verify_diff_ids: bool,
    /// The load's order, whose cancellation stops this read at its next read.
    pub cancel: Option<&'a super::order::Order>,
}

impl Job<'_> {
    /// Whether the uncompressed tar is hashed: asked for, or nothing else names the blob (a
    /// `docker save` layer is named by its path; its diff_id is its only digest).
    fn hashes_tar(&self) -> bool {
        self.verify_diff_ids || self.desc.digest.is_none()
    }

    /// An error about this layer.
    pub(crate) fn error(&self, problem: impl Into<LayerProblem>) -> Error {
        layer_error(self.index, self.desc, problem.into())
    }
}

pub(crate) fn layer_error(index: usize, desc: &LayerDesc, problem: LayerProblem) -> Error {
    Error::Layer {
        index,
        blob: desc.blob.clone(),
        problem,
    }
}

/// How often (in stored bytes) a layer reports progress: a few times a second on a slow link
/// (20 MB/s), a few thousand events for a 2 GB image.
const PROGRESS_STEP: u64 = 256 << 10;

/// Counts the bytes read through it (into `read`, which the bomb check reads) and reports
/// every `PROGRESS_STEP`.
struct ProgressReader<'a, R> {
    inner: R,
    read: &'a AtomicU64,
    reported: u64,
    total: u64,
    index: usize,
    progress: Progress<'a>,
    cancel: Option<&'a super::order::Order>,
}

impl<R: std::io::Read> std::io::Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.cancel.is_some_and(|o| o.is_cancelled()) {
            return Err(super::order::cancelled());
        }
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

/// What reading a layer blob gave: how it was compressed, its tree, and the digests its
/// bytes had (not yet compared with any expected ones).
pub(crate) struct BlobRead {
    pub compression: Compression,
    pub tree: LayerTree,
    /// Of the blob as stored.
    pub digest: Digest,
    /// Bytes of the blob as stored.
    pub stored_bytes: u64,
    /// Of the uncompressed tar, where it was hashed (an uncompressed blob's is its digest).
    pub diff_id: Option<Digest>,
}

/// Why the indexing half of `read_blob` stopped.
enum IndexError {
    /// The blob could not be opened for decompression (e.g. an unknown compression).
    Open(std::io::Error),
    /// The decoder sent nothing (it stopped before it began).
    NotRead,
    Tree(TreeError),
}

/// Reads one layer blob in two threads: this one reads the blob (its digest, progress) and
/// decompresses it, while a second one indexes the tar (tar parsing, every file's content id,
/// and the diff_id where it is checked). A big layer is then read at the speed of the slower
/// half, not of both.
/// `raw` need not be `Send` (a tar entry of a stream), which is why it stays on this thread.
pub(crate) fn read_blob<R: std::io::Read>(
    job: &Job,
    mut raw: HashingReader<R>,
) -> Result<BlobRead> {
    let Job {
        desc,
        index,
        limits,
        ..
    } = *job;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(CHUNKS_IN_FLIGHT);
    // Read buffers go back to the decoder: no allocation or zeroing per chunk.
    let (give_back, reuse) = std::sync::mpsc::sync_channel::<Vec<u8>>(CHUNKS_IN_FLIGHT + 2);
    let limits = *limits;
    let hashes_tar = job.hashes_tar();
    std::thread::scope(|scope| {
        let indexer = scope.spawn(move || {
            let started = std::time::Instant::now();
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
                Ok(Chunk::Data(..)) | Err(_) => return Err(IndexError::NotRead),
            };
            // An uncompressed blob is the tar itself: its digest is the diff_id, hashed once.
            let compressed = compression != Compression::None;
            let mut tar = HashingReader::maybe(&mut chunks, compressed && hashes_tar);
            let mut packages = Collector::default();
            let mut tree =
                read_layer_keeping(&mut tar, &limits, &mut packages).map_err(IndexError::Tree)?;
            tree.packages = packages.finish();
            let (diff_id, tar_bytes) = tar
                .finish_maybe()
                .map_err(|e| IndexError::Tree(TreeError::from_io(e)))?;
            super::trace::stage(started, || {
                format!(
                    "layer {index}: tar walked, {tar_bytes} bytes, content ids{}",
                    if diff_id.is_some() {
                        " and diff_id"
                    } else {
                        ""
                    }
                )
            });
            Ok((tree, diff_id))
        });
        let decoding = std::time::Instant::now();
        let compression = decode_into(&mut raw, job, &tx, &reuse);
        super::trace::stage(decoding, || {
            format!(
                "layer {index}: blob read, hashed and {}",
                compression.map_or("not decoded", |c| if c == Compression::None {
                    "passed on"
                } else {
                    "decompressed"
                })
            )
        });
        // The indexer sees the end of the tar.
        drop(tx);
        let read = indexer
            .join()
            .map_err(|_| job.error(LayerProblem::Panicked))?;
        let name = compression.map_or("layer", Compression::name);
        let (tree, diff_id) = match read {
            Ok(v) => v,
            Err(IndexError::Open(e)) => return Err(job.error(LayerProblem::Undecodable(e))),
            Err(IndexError::NotRead) => return Err(job.error(LayerProblem::NotRead)),
            Err(IndexError::Tree(e)) => {
                // Bytes that do not decompress are most often bytes that are not the blob
                // the manifest names (tampered, or a registry that sent something else):
                // say so when the digest shows it.
                let problem = match e {
                    // A limit is not a sign of tampering: say which one, read no further.
                    TreeError::Limit(hit) => return Err(job.error(hit)),
                    e @ TreeError::Corrupt(_) => LayerProblem::Tar {
                        compression: name,
                        source: Box::new(e),
                    },
                    TreeError::Io(io) if source::is_transfer_error(&io) => LayerProblem::Read(io),
                    TreeError::Io(io) => LayerProblem::Decode {
                        compression: name,
                        source: io,
                    },
                };
                // A cancelled load reads no further (the rest of the blob may be downloading).
                if job.cancel.is_some_and(|o| o.is_cancelled()) {
                    return Err(job.error(problem));
                }
                if let Some(mismatch) = blob_mismatch(raw, desc, index, &problem) {
                    return Err(mismatch);
                }
                return Err(job.error(problem));
            }
        };
        let compression = compression.ok_or_else(|| job.error(LayerProblem::NotRead))?;
        let (digest, stored_bytes) = raw.finish().map_err(|e| job.error(LayerProblem::Read(e)))?;
        let diff_id = match compression {
            Compression::None => Some(digest.clone()),
            _ => diff_id,
        };
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
        cancel: job.cancel,
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

/// The blob digest against the manifest's, the tar's against the config's diff_id where the
/// tar was hashed, and the blob's size against the manifest's. Returns what was checked.
pub(crate) fn check_digests(job: &Job, read: &BlobRead) -> Result<Verified> {
    let (desc, index) = (job.desc, job.index);
    let digest = &read.digest;
    let mut verified = Verified::default();
    if let Some(expected) = &desc.digest {
        if digest != expected {
            return Err(Error::DigestMismatch {
                what: format!("layer {index} blob {}", desc.blob),
                expected: expected.clone(),
                actual: digest.clone(),
            });
        }
        verified.digest = true;
    }
    if let (Some(expected), Some(diff_id)) = (&desc.diff_id, &read.diff_id) {
        if diff_id != expected {
            return Err(Error::DigestMismatch {
                what: format!(
                    "layer {index} uncompressed content (diff_id) of {}",
                    desc.blob
                ),
                expected: expected.clone(),
                actual: diff_id.clone(),
            });
        }
        verified.diff_id = true;
    }
    if !verified.digest && !verified.diff_id {
        // Nothing names these bytes: nothing vouches for them either.
        return Err(job.error(LayerProblem::Unnamed));
    }
    // After the digests: a blob cut short is a digest mismatch first.
    if read.stored_bytes != desc.compressed_size {
        return Err(job.error(LayerProblem::Size {
            actual: read.stored_bytes,
            expected: desc.compressed_size,
        }));
    }
    Ok(verified)
}

/// Reads the rest of a blob that failed to decode and, if its digest is not the expected
/// one, the error that says so.
fn blob_mismatch<R: std::io::Read>(
    mut raw: HashingReader<R>,
    desc: &LayerDesc,
    index: usize,
    decode_error: &LayerProblem,
) -> Option<Error> {
    let expected = desc.digest.as_ref()?;
    std::io::copy(&mut raw, &mut std::io::sink()).ok()?;
    let (actual, _) = raw.finish().ok()?;
    (&actual != expected).then(|| Error::DigestMismatch {
        what: format!(
            "layer {index} blob {} (its bytes do not decode: {decode_error})",
            desc.blob
        ),
        expected: expected.clone(),
        actual,
    })
}
