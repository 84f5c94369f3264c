//! Every layer of an opened image, read on all cores. A layer's tree comes from the cache only
//! when something vouches for its bytes (DESIGN section 1): they are in strata's blob store,
//! which checked them when they entered; or they sit in a local file unchanged since strata
//! checked them (`cache::trust`); or they were checked in this run (a local file that changed
//! is hashed again, without decompressing, where its digest is the one its tree is kept
//! under). Otherwise the blob is read and checked, and its tree cached under the digest that
//! was checked. The first failure (the lowest layer index among failures) wins and the other
//! workers stop early.

use std::io::Read as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::blob_read::{check_digests, read_blob, Job};
use super::events::{LoadEvent, Progress};
use super::order::Order;
use super::toc_read::{listing, Listed};
use super::trace;
use crate::blob::decompress::{self, Compression};
use crate::blob::digest::HashingReader;
use crate::blob::origin::Origin;
use crate::cache::Cache;
use crate::model::digest::Digest;
use crate::model::error::{LayerProblem, Result};
use crate::model::image::{ImageMeta, Verified};
use crate::model::limits::Limits;
use crate::source::store::Store;
use crate::tree::{check_read_layer, LayerTree};

/// A layer as loaded: how its blob is compressed, its tree, and what was verified.
pub(crate) type Read = (Compression, LayerTree, Verified);

/// A layer as `read_all` gives it: its tree shared with whoever watched it arrive.
pub(crate) type Arrived = (Compression, Arc<LayerTree>, Verified);

/// Who watches the layers arrive: the order to read them in (and its cancellation), and what
/// to call with each layer as soon as it is read and verified (from a worker thread).
pub(crate) struct Watch<'a> {
    pub order: &'a Order,
    pub arrived: &'a (dyn Fn(usize, &Arrived) + Sync),
    /// When set, the layers that carry a table of contents (eStargz, zstd:chunked) are listed
    /// from it by ranges first, on a thread of their own beside the downloads, and handed
    /// here: a 500 MB layer's tree in the time of a few small requests.
    pub listed: Option<&'a (dyn Fn(usize, Listed) + Sync)>,
}

/// Reads every layer of `meta` from `store`, in `watch`'s order (bottom first unless it
/// prefers another), and gives them back bottom first.
pub(crate) fn read_all(
    store: &dyn Store,
    meta: &ImageMeta,
    cache: Option<&Cache>,
    limits: &Limits,
    verify_diff_ids: bool,
    progress: Progress,
    watch: &Watch,
) -> Result<Vec<Arrived>> {
    let n = meta.layers.len();
    type Slot = Mutex<Option<Result<Arrived>>>;
    let results: Vec<Slot> = (0..n).map(|_| Mutex::new(None)).collect();
    let started = Mutex::new(vec![false; n]);
    let failed = AtomicBool::new(false);
    let total = TotalEntries::default();
    let workers = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(2)
        .min(n.max(1));
    watch.order.start_reading();
    // A table of contents that does not hash to its descriptor's digest: the load's error.
    let toc_failure: Mutex<Option<crate::model::error::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        if let Some(listed) = watch.listed {
            let (failed, toc_failure, results) = (&failed, &toc_failure, &results);
            scope.spawn(move || {
                // In the order the downloads take: the selected layer first.
                let mut tried = vec![false; n];
                while let Some(i) = watch.order.next(&mut tried) {
                    let desc = &meta.layers[i];
                    if failed.load(Ordering::Relaxed) || watch.order.is_cancelled() {
                        break;
                    }
                    // Read already (a small layer, or one from the cache): nothing to list.
                    if results[i].lock().map_or(true, |r| r.is_some()) {
                        continue;
                    }
                    let job = Job {
                        desc,
                        index: i,
                        limits,
                        progress,
                        verify_diff_ids,
                        cancel: Some(watch.order),
                    };
                    match listing(&job, store) {
                        Ok(Some(l)) => listed(i, l),
                        Ok(None) => {}
                        Err(e) => {
                            failed.store(true, Ordering::Relaxed);
                            if let Ok(mut slot) = toc_failure.lock() {
                                *slot = Some(e);
                            }
                            break;
                        }
                    }
                }
            });
        }
        for _ in 0..workers {
            scope.spawn(|| loop {
                let next = started
                    .lock()
                    .ok()
                    .and_then(|mut s| watch.order.next(&mut s));
                let Some(i) = next else {
                    break;
                };
                if failed.load(Ordering::Relaxed) || watch.order.is_cancelled() {
                    break;
                }
                progress(LoadEvent::LayerStarted { index: i });
                let job = Job {
                    desc: &meta.layers[i],
                    index: i,
                    limits,
                    progress,
                    verify_diff_ids,
                    cancel: Some(watch.order),
                };
                let result = read_cached(&job, store, cache)
                    .and_then(|read| total.add(limits, &read.1).map(|()| read))
                    .map(|(c, tree, v)| (c, Arc::new(tree), v));
                match &result {
                    Ok(read) => {
                        (watch.arrived)(i, read);
                        progress(LoadEvent::LayerFinished {
                            index: i,
                            entries: read.1.entries.len(),
                        })
                    }
                    Err(_) => failed.store(true, Ordering::Relaxed),
                }
                if let Ok(mut slot) = results[i].lock() {
                    *slot = Some(result);
                }
            });
        }
    });
    if let Some(e) = toc_failure.into_inner().ok().flatten() {
        return Err(e);
    }
    // Whatever the workers made of it, a cancelled load says so (the user quit).
    if watch.order.is_cancelled() {
        return Err(crate::model::error::Error::Unsupported {
            reason: "the load was cancelled".into(),
        });
    }
    let mut out = Vec::with_capacity(n);
    for (i, slot) in results.into_iter().enumerate() {
        match slot.into_inner().ok().flatten() {
            Some(Ok(v)) => out.push(v),
            Some(Err(e)) => return Err(e),
            // A worker skipped it because another layer had failed; that error comes later
            // in index order, so keep looking for it.
            None if failed.load(Ordering::Relaxed) => {}
            None => return Err(not_read(meta, i)),
        }
    }
    if out.len() != n {
        return Err(not_read(meta, 0));
    }
    Ok(out)
}

fn not_read(meta: &ImageMeta, index: usize) -> crate::model::error::Error {
    match meta.layers.get(index) {
        Some(desc) => super::blob_read::layer_error(index, desc, LayerProblem::NotRead),
        None => crate::model::error::Error::Unsupported {
            reason: "the image has no layers to read".into(),
        },
    }
}

/// A layer's tree from the cache when something vouches for its bytes, else read from the
/// blob, checked and then cached (see the module comment).
pub(crate) fn read_cached(job: &Job, store: &dyn Store, cache: Option<&Cache>) -> Result<Read> {
    let started = Instant::now();
    let desc = job.desc;
    // The digest reading the blob will check, and the key its tree is kept under.
    let Some(key) = desc.digest.as_ref().or(desc.diff_id.as_ref()) else {
        return read_one(job, store);
    };
    let Some(cache) = cache else {
        let read = read_one(job, store)?;
        trace_read(job, started, &read);
        return Ok(read);
    };
    let origin = store.origin(&desc.blob);
    let vouched = match &origin {
        Some(Origin::Verified) => Some((
            "blob store",
            Verified {
                digest: true,
                diff_id: false,
            },
        )),
        Some(Origin::File(id)) => cache
            .trusted(id)
            .filter(|(d, _)| d == key)
            .map(|(_, v)| ("unchanged file", v)),
        None => None,
    };
    if let Some((why, verified)) = vouched {
        if let Some((cached, tree)) = cache.tree(key) {
            check_cached(job, &tree)?;
            trace::stage(started, || {
                format!("layer {} tree from the cache ({why})", job.index)
            });
            return Ok((compression_of(store, job, cached), tree, verified));
        }
    }
    // A local file that changed (or was never recorded): when its stored bytes are what its
    // tree is kept under, hashing them is enough to use the tree again.
    if let (Some(Origin::File(id)), Some((cached, tree))) =
        (&origin, stored_digest_tree(job, store, cache, key))
    {
        let verified = rehash(job, store, key)?;
        check_cached(job, &tree)?;
        let _ = cache.put_trust(id, key, verified);
        trace::stage(started, || {
            format!(
                "layer {} tree from the cache, its blob verified again ({} bytes hashed)",
                job.index, desc.compressed_size
            )
        });
        return Ok((compression_of(store, job, cached), tree, verified));
    }
    let (compression, tree, verified) = read_one(job, store)?;
    // Only verified layers get here; a cache that cannot be written is not an error.
    let _ = cache.put_tree(key, compression, &tree);
    if let Some(Origin::File(id)) = &origin {
        let _ = cache.put_trust(id, key, verified);
    }
    let read = (compression, tree, verified);
    trace_read(job, started, &read);
    Ok(read)
}

fn trace_read(job: &Job, started: Instant, (_, tree, verified): &Read) {
    trace::stage(started, || {
        format!(
            "layer {} read and verified ({}; {} bytes stored, {} entries)",
            job.index,
            verified.names().join(", "),
            job.desc.compressed_size,
            tree.entries.len()
        )
    });
}

/// The cached tree kept under `key` when `key` is the digest of the blob's stored bytes (a
/// blob digest, or an uncompressed layer's diff_id): then hashing the bytes checks them.
fn stored_digest_tree(
    job: &Job,
    store: &dyn Store,
    cache: &Cache,
    key: &Digest,
) -> Option<(Compression, LayerTree)> {
    let stored_is_key = job.desc.digest.is_some()
        || store
            .head(&job.desc.blob, 6)
            .and_then(|head| decompress::detect(&head).ok())
            == Some(Compression::None);
    if stored_is_key {
        cache.tree(key)
    } else {
        None
    }
}

/// Hashes a blob's stored bytes against `key`; a mismatch is the usual error.
fn rehash(job: &Job, store: &dyn Store, key: &Digest) -> Result<Verified> {
    let desc = job.desc;
    let (raw, _) = store
        .open(&desc.blob)
        .map_err(|e| job.error(LayerProblem::Read(e)))?;
    let mut hashed = HashingReader::new(raw);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match hashed.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(job.error(LayerProblem::Read(e))),
        }
    }
    let (actual, bytes) = hashed
        .finish()
        .map_err(|e| job.error(LayerProblem::Read(e)))?;
    if &actual != key {
        let what = match &desc.digest {
            Some(_) => format!("layer {} blob {}", job.index, desc.blob),
            None => format!(
                "layer {} uncompressed content (diff_id) of {}",
                job.index, desc.blob
            ),
        };
        return Err(crate::model::error::Error::DigestMismatch {
            what,
            expected: key.clone(),
            actual,
        });
    }
    if bytes != desc.compressed_size {
        return Err(job.error(LayerProblem::Size {
            actual: bytes,
            expected: desc.compressed_size,
        }));
    }
    Ok(Verified {
        digest: desc.digest.is_some(),
        // The stored bytes are the tar when no blob digest names them.
        diff_id: desc.digest.is_none(),
    })
}

/// The compression of this blob: the same tar can be stored compressed several ways, and a
/// tree is the tar's.
fn compression_of(store: &dyn Store, job: &Job, cached: Compression) -> Compression {
    store
        .head(&job.desc.blob, 6)
        .and_then(|head| decompress::detect(&head).ok())
        .or_else(|| decompress::from_media_type(&job.desc.media_type))
        .unwrap_or(cached)
}

/// Reads one layer blob from the store and checks its digests.
fn read_one(job: &Job, store: &dyn Store) -> Result<Read> {
    let (raw, _) = store
        .open(&job.desc.blob)
        .map_err(|e| job.error(LayerProblem::Read(e)))?;
    let read = read_blob(job, HashingReader::new(raw))?;
    let verified = check_digests(job, &read)?;
    Ok((read.compression, read.tree, verified))
}

/// A layer tree from the cache against this run's limits (see `tree::check_read_layer`).
pub(crate) fn check_cached(job: &Job, tree: &LayerTree) -> Result<()> {
    check_read_layer(tree, job.desc.compressed_size, job.limits).map_err(|hit| job.error(hit))
}

/// Entries of the layers read so far, each listing of a layer counted, against
/// `--max-total-entries`.
#[derive(Default)]
pub(crate) struct TotalEntries(AtomicU64);

impl TotalEntries {
    /// Counts `tree` in: an error once the total is past the limit. The error names no layer:
    /// which one crosses the line depends on which finishes first.
    pub(crate) fn add(&self, limits: &Limits, tree: &LayerTree) -> Result<()> {
        let n = tree.entries.len() as u64;
        let total = self.0.fetch_add(n, Ordering::Relaxed).saturating_add(n);
        match limits.image_entries(total) {
            Some(hit) => Err(hit.into()),
            None => Ok(()),
        }
    }
}
