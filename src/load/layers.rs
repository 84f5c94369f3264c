//! Every layer of an opened image, read on all cores: a layer's tree comes from the cache when
//! it holds the layer's diff_id, else from its blob (verified, then cached). The first failure
//! (the lowest layer index among failures) wins and the other workers stop early.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::blob_read::{check_digests, read_blob, Job};
use super::events::{LoadEvent, Progress};
use crate::blob::decompress::{self, Compression};
use crate::blob::digest::HashingReader;
use crate::cache::Cache;
use crate::model::error::{LayerProblem, Result};
use crate::model::image::ImageMeta;
use crate::model::limits::Limits;
use crate::source::store::Store;
use crate::tree::{check_read_layer, LayerTree};

/// Reads every layer of `meta` from `store`, bottom first.
pub(crate) fn read_all(
    store: &dyn Store,
    meta: &ImageMeta,
    cache: Option<&Cache>,
    limits: &Limits,
    progress: Progress,
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
                    limits,
                    progress,
                };
                let result = read_cached(&job, store, cache)
                    .and_then(|read| total.add(limits, &read.1).map(|()| read));
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

/// Reads one layer blob from the store and checks its digests.
fn read_one(job: &Job, store: &dyn Store) -> Result<(Compression, LayerTree)> {
    let (raw, _) = store
        .open(&job.desc.blob)
        .map_err(|e| job.error(LayerProblem::Read(e)))?;
    let read = read_blob(job, HashingReader::new(raw))?;
    check_digests(job, &read)?;
    Ok((read.compression, read.tree))
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
