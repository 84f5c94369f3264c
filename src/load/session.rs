//! One `Session` per image the user named: the input is resolved once (the engines are asked
//! once), every layer is read and verified once, and the session keeps what it opened (the
//! archive's index, a decompressed temp copy, the registry manifest pinned by digest, the
//! engine's image ID) so that a later read of a layer (the file viewer, `d`, extraction)
//! reads exactly the blob that was loaded and checks it against the same digest, to its last
//! byte, before anything read from it is believed. A tag that moved since the load is never
//! followed; a blob changed on disk since is a digest mismatch, not other bytes shown.
//!
//! Errors leave the session named after the input, once (`Error::about`).

use std::io::{self, BufReader, Read};
use std::sync::{Arc, Mutex};

use super::blob_read::layer_error;
use super::engine_stream;
use super::events::{LoadEvent, Progress};
use super::image::{Image, Layer};
use super::layers;
use super::order::Order;
use crate::analysis::Analysis;
use crate::blob::decompress::{self, Compression};
use crate::blob::digest::HashingReader;
use crate::blob::toc::Toc;
use crate::cache::{self, Cache};
use crate::model::digest::Digest;
use crate::model::error::{Error, LayerProblem, Result};
use crate::model::history;
use crate::model::image::{Engine, ImageMeta, LayerDesc, Verified};
use crate::model::units;
use crate::source::reference::ImageRef;
use crate::source::store::Store;
use crate::source::{self, Blobs, OpenedImage, SourceOptions, Target};
use crate::tree::LayerTree;

/// An opened, loaded image and the means to read its layers again. While a watched load goes
/// on (`open_watched`), snapshots of it are sessions too: the layers not read yet are empty
/// trees, listed in `pending`, and cannot be read again.
pub struct Session {
    input: String,
    opts: SourceOptions,
    image: Image,
    origin: Arc<Origin>,
    cache: Option<Cache>,
    /// Layers still loading when this snapshot was taken, bottom first; empty once loaded.
    pending: Vec<usize>,
    /// For a snapshot: which layers' blobs were already in strata's blob store when the load
    /// began (they arrive at disk speed, not the network's).
    stored: Vec<bool>,
    /// For a snapshot: the pending layers whose tree came from their table of contents (eStargz,
    /// zstd:chunked) while their blob downloads, by layer index.
    tocs: Vec<Option<Arc<Toc>>>,
    /// Which snapshot of its load this is, counted from 0; `u64::MAX` for the loaded image.
    /// Snapshots are analysed on another thread and may arrive out of order.
    seq: u64,
}

/// What a watched load (`Session::open_watched`) tells as it goes, and who steers it.
pub struct Watcher<'a> {
    pub progress: Progress<'a>,
    /// The order to read the layers in, and the load's cancellation.
    pub order: &'a Order,
    /// Called with the image as it stands: once the manifest and config are in (every layer
    /// pending), then each time a layer has been read and verified, or listed from its table
    /// of contents. From worker threads: hand it on, do not work on it there.
    pub snapshot: &'a (dyn Fn(Arc<Session>) + Sync),
    /// List the layers that carry a table of contents (eStargz, zstd:chunked) from it, by HTTP
    /// Range, while they download (for a screen; a report needs every byte anyway).
    pub tables_of_contents: bool,
}

/// Where the layers' bytes are, for reading them again.
enum Origin {
    /// A file, a directory or a registry: blobs by name from the store the load used.
    Store(Arc<Blobs>),
    /// An engine's stream, asked for again by image ID.
    Engine { engine: Engine, image: String },
}

impl Session {
    /// Opens `input` and reads every layer. `progress` is called from worker threads.
    pub fn open(input: &str, opts: &SourceOptions, progress: Progress) -> Result<Session> {
        let order = Order::default();
        Session::open_watched(
            input,
            opts,
            &Watcher {
                progress,
                order: &order,
                snapshot: &|_| {},
                tables_of_contents: false,
            },
        )
    }

    /// As `open`, with snapshots of the image as its layers arrive, in the order `watch.order`
    /// asks for (see `Watcher`). Images from an engine arrive in one stream: their only
    /// snapshot is the loaded session itself.
    pub fn open_watched(input: &str, opts: &SourceOptions, watch: &Watcher) -> Result<Session> {
        let result = Session::open_unnamed(input, opts, watch).map_err(|e| e.about(input));
        watch.order.finish();
        result
    }

    fn open_unnamed(input: &str, opts: &SourceOptions, watch: &Watcher) -> Result<Session> {
        let progress = watch.progress;
        let started = std::time::Instant::now();
        let reference = ImageRef::parse(input)?;
        let target = source::resolve(&reference, opts);
        let cache = if opts.no_cache { None } else { Cache::user() };
        // Names and digests of the image for the cache's names beyond its own (a registry's).
        let mut also = (Vec::new(), Vec::new());
        let (mut meta, trees, origin) = match target {
            Target::Engine { engine, name } => {
                let (meta, trees) =
                    engine_stream::load(engine, &name, opts, cache.as_ref(), progress)?;
                // The image ID pins re-reads to this image, wherever its name points later.
                let image = meta.config_digest.to_string();
                let trees = trees
                    .into_iter()
                    .map(|(c, tree, v)| (c, Arc::new(tree), v))
                    .collect();
                (meta, trees, Arc::new(Origin::Engine { engine, image }))
            }
            target => {
                let OpenedImage {
                    meta,
                    blobs,
                    notices,
                    pinned,
                    index_digest,
                } = source::open(&target, opts)?;
                let mut meta = meta;
                meta.reference = input.to_string();
                also = (
                    pinned.into_iter().collect(),
                    index_digest.into_iter().collect(),
                );
                for notice in notices {
                    progress(LoadEvent::Notice(notice));
                }
                progress(LoadEvent::Opened {
                    layer_bytes: meta.layers.iter().map(|l| l.compressed_size).collect(),
                });
                let blobs = Arc::new(blobs);
                let origin = Arc::new(Origin::Store(blobs.clone()));
                let snapshots = Snapshots::new(input, opts, &meta, &origin, cache.as_ref());
                let hand_on = |shot: Option<Arc<Session>>| {
                    if let Some(shot) = shot {
                        (watch.snapshot)(shot);
                    }
                };
                hand_on(snapshots.take(None));
                let arrived = |i: usize, read: &layers::Arrived| {
                    hand_on(snapshots.take(Some(Arrival::Read(i, read))));
                };
                let listed = |i: usize, l: super::toc_read::Listed| {
                    hand_on(snapshots.take(Some(Arrival::Listed(i, Arc::new(l.tree), l.toc))));
                };
                let trees = layers::read_all(
                    blobs.store.as_ref(),
                    &meta,
                    cache.as_ref(),
                    &opts.limits,
                    opts.verify_diff_ids,
                    progress,
                    &layers::Watch {
                        order: watch.order,
                        arrived: &arrived,
                        listed: watch.tables_of_contents.then_some(&listed as _),
                    },
                )?;
                drop(snapshots);
                (meta, trees, origin)
            }
        };
        meta.reference = input.to_string();
        super::trace::stage(started, || format!("{} layers loaded", trees.len()));
        let session = Session {
            input: input.to_string(),
            opts: opts.clone(),
            image: assemble(meta, trees),
            origin,
            cache,
            pending: Vec::new(),
            stored: Vec::new(),
            tocs: Vec::new(),
            seq: u64::MAX,
        };
        if let Some(cache) = &session.cache {
            session.remember_names(cache, also);
            keep_under_cap(cache, progress);
        }
        Ok(session)
    }

    /// Records in the cache which names this image's files were loaded as (for `strata cache
    /// ls`): what the user typed, the names the image gives itself and `also.0`; for its
    /// layers (by digest and diff_id, as blobs and trees are kept), config, manifest, dive's
    /// figures and `also.1`. A cache that cannot be written only loses the names.
    fn remember_names(&self, cache: &Cache, also: (Vec<String>, Vec<Digest>)) {
        let meta = &self.image.meta;
        // A file by its absolute path: the same file is the same name from any directory.
        let typed = ImageRef::parse(&self.input)
            .ok()
            .and_then(|r| r.path().and_then(|p| std::fs::canonicalize(p).ok()))
            .map_or_else(|| self.input.clone(), |p| p.display().to_string());
        let mut names = vec![typed];
        names.extend(meta.names.iter().cloned());
        names.extend(also.0);
        let mut digests: Vec<Digest> = Vec::new();
        for l in &meta.layers {
            digests.extend(l.digest.iter().chain(l.diff_id.iter()).cloned());
        }
        digests.push(meta.config_digest.clone());
        digests.extend(meta.manifest_digest.iter().cloned());
        digests.extend(also.1);
        digests.extend(self.dive_key());
        let _ = cache.remember_names(&digests, &names);
    }

    /// What the user typed to name the image.
    pub fn input(&self) -> &str {
        &self.input
    }

    pub fn image(&self) -> &Image {
        &self.image
    }

    /// Whether layer `index`'s blob was in strata's blob store when the load began (a
    /// snapshot's; false once loaded).
    pub fn stored(&self, index: usize) -> bool {
        self.stored.get(index).copied().unwrap_or(false)
    }

    /// Which snapshot of its load this is, counted from 0 (`u64::MAX`: the loaded image): a
    /// later snapshot knows more than an earlier one.
    pub fn snapshot_number(&self) -> u64 {
        self.seq
    }

    /// Whether pending layer `index`'s tree came from its table of contents (its blob still
    /// downloading, nothing of it verified but the table's digest).
    pub fn listed(&self, index: usize) -> bool {
        self.tocs.get(index).is_some_and(Option::is_some)
    }

    /// The layers still loading when this snapshot was taken, bottom first (none once the
    /// image is loaded).
    pub fn pending(&self) -> &[usize] {
        &self.pending
    }

    /// The analysis of the loaded layers. dive's figures come from the cache when this list of
    /// layers was analysed before (a reopen then computes only strata's own), and are stored
    /// there otherwise; a cache that cannot be read or written only costs the time.
    pub fn analyse(&self) -> Analysis {
        self.analyse_with_base(None)
    }

    /// The analysis the explorer shows this session with: a snapshot's (the stack and each
    /// layer's own figures, see `Analysis::of_snapshot`) while layers are pending, else the
    /// whole `analyse`.
    pub fn analyse_snapshot(&self) -> Analysis {
        if self.pending.is_empty() {
            return self.analyse();
        }
        Analysis::of_snapshot(&self.image.trees(), &self.image.history)
    }

    /// As `analyse`, with the bottom `base_layers` layers counted as the base image's (what
    /// `--base` matched) rather than read from the history.
    pub fn analyse_with_base(&self, base_layers: Option<usize>) -> Analysis {
        let started = std::time::Instant::now();
        let trees = self.image.trees();
        let sizes: Vec<u64> = trees.iter().map(|t| t.header_bytes).collect();
        // A snapshot's figures are not the image's: they are never kept.
        let key = self.dive_key().filter(|_| self.pending.is_empty());
        let stored = self.cache.as_ref().zip(key.as_ref());
        let known = stored.and_then(|(cache, key)| cache.dive(key, &sizes));
        let fresh = known.is_none();
        let analysis = Analysis::of_image(
            &trees,
            &self.image.history,
            self.image.user(),
            known,
            base_layers,
        );
        if let (true, Some((cache, key))) = (fresh, stored) {
            let _ = cache.put_dive(key, &analysis.dive);
        }
        super::trace::stage(started, || {
            format!(
                "analysis of {} layers (dive's figures {})",
                trees.len(),
                if fresh { "computed" } else { "from the cache" }
            )
        });
        analysis
    }

    /// The name of dive's figures for this list of layers: the digests their bytes were checked
    /// against (as their trees are kept), bottom first.
    fn dive_key(&self) -> Option<Digest> {
        let ids: Option<Vec<&Digest>> = self
            .image
            .layers
            .iter()
            .map(|l| l.desc.digest.as_ref().or(l.desc.diff_id.as_ref()))
            .collect();
        ids.map(|ids| cache::dive_key(&ids))
    }

    /// Hands `f` the uncompressed tar of layer `index`, read again from where it was loaded.
    /// When `f` is done the rest of the blob is read too and its digest checked: a blob that
    /// is not the one loaded is a digest mismatch, and then whatever `f` made of it is
    /// dropped.
    pub fn read_layer<T>(
        &self,
        index: usize,
        f: impl FnOnce(&mut dyn Read) -> io::Result<T>,
    ) -> Result<T> {
        self.read_layer_unnamed(index, f)
            .map_err(|e| e.about(&self.input))
    }

    /// The first `limit` bytes of the regular file at `path` (as the layer's table of contents
    /// names it) of a layer listed from its table of contents, from just its chunks, each
    /// checked against the table's digest (`Error::Unsupported`: read the layer whole).
    pub fn read_listed_file(&self, index: usize, path: &str, limit: u64) -> Result<Vec<u8>> {
        let (Some(Some(toc)), Some(layer), Origin::Store(blobs)) = (
            self.tocs.get(index),
            self.image.layers.get(index),
            &*self.origin,
        ) else {
            return Err(Error::Unsupported {
                reason: format!("layer {index} has no table of contents to read from"),
            });
        };
        let job = super::blob_read::Job {
            desc: &layer.desc,
            index,
            limits: &self.opts.limits,
            progress: &|_| {},
            verify_diff_ids: false,
            cancel: None,
        };
        super::toc_read::read_file(&job, blobs.store.as_ref(), toc, path, limit)
            .map_err(|e| e.about(&self.input))
    }

    fn read_layer_unnamed<T>(
        &self,
        index: usize,
        f: impl FnOnce(&mut dyn Read) -> io::Result<T>,
    ) -> Result<T> {
        let Some(layer) = self.image.layers.get(index) else {
            return Err(Error::Unsupported {
                reason: format!(
                    "no layer {index}: the image has {} layers",
                    self.image.layers.len()
                ),
            });
        };
        let desc = &layer.desc;
        if self.pending.contains(&index) {
            return Err(Error::Unsupported {
                reason: format!("layer {index} is still loading"),
            });
        }
        match &*self.origin {
            Origin::Store(blobs) => {
                let store: &dyn Store = blobs.store.as_ref();
                let (raw, _) = store
                    .open(&desc.blob)
                    .map_err(|e| layer_error(index, desc, LayerProblem::Read(e)))?;
                verified(raw, index, desc, f)
            }
            Origin::Engine { engine, image } => {
                engine_stream::read_layer(*engine, image, &self.opts, index, desc, |raw| {
                    verified(raw, index, desc, f)
                })
            }
        }
    }
}

/// Runs `f` over the decompressed `raw`, then reads the rest and checks the digest the load
/// checked: the blob's own when it has one, else its diff_id (a `docker save` layer is named
/// by path, and its tar's digest is the only one).
fn verified<T>(
    raw: impl Read,
    index: usize,
    desc: &LayerDesc,
    f: impl FnOnce(&mut dyn Read) -> io::Result<T>,
) -> Result<T> {
    let problem = |p: LayerProblem| layer_error(index, desc, p);
    let by_diff_id = desc.digest.is_none();
    let mut stored = HashingReader::new(raw);
    let (out, tar_digest) = {
        let buffered = BufReader::with_capacity(256 * 1024, &mut stored);
        let (compression, decoder) =
            decompress::decoder(buffered).map_err(|e| problem(LayerProblem::Undecodable(e)))?;
        let mut tar = HashingReader::maybe(decoder, by_diff_id);
        let out = f(&mut tar);
        let tar_digest = if by_diff_id {
            io::copy(&mut tar, &mut io::sink())
                .and_then(|_| tar.finish_maybe())
                .map_err(|source| {
                    problem(LayerProblem::Decode {
                        compression: compression.name(),
                        source,
                    })
                })?
                .0
        } else {
            None
        };
        (out, tar_digest)
    };
    io::copy(&mut stored, &mut io::sink()).map_err(|e| problem(LayerProblem::Read(e)))?;
    let (blob_digest, _) = stored
        .finish()
        .map_err(|e| problem(LayerProblem::Read(e)))?;
    let (what, expected, actual) = match (&desc.digest, &desc.diff_id, tar_digest) {
        (Some(expected), _, _) => (
            format!("layer {index} blob {}", desc.blob),
            expected,
            blob_digest,
        ),
        (None, Some(expected), Some(actual)) => (
            format!(
                "layer {index} uncompressed content (diff_id) of {}",
                desc.blob
            ),
            expected,
            actual,
        ),
        // Nothing names these bytes: there is nothing to check them against (the load
        // refused such a layer, so this is not reached).
        _ => return out.map_err(|e| problem(LayerProblem::Read(e))),
    };
    if &actual != expected {
        return Err(Error::DigestMismatch {
            what,
            expected: expected.clone(),
            actual,
        });
    }
    out.map_err(|e| problem(LayerProblem::Read(e)))
}

/// The loaded image from its metadata and the trees of its layers, bottom first.
fn assemble(meta: ImageMeta, read: Vec<layers::Arrived>) -> Image {
    let mut kinds = Vec::with_capacity(read.len());
    let mut trees = Vec::with_capacity(read.len());
    for (compression, tree, verified) in read {
        kinds.push((compression, verified));
        trees.push(tree);
    }
    // After caching: where an entry lands depends on the layers below it.
    crate::tree::through_links::follow_parent_links(&mut trees);
    let layers: Vec<Layer> = meta
        .layers
        .iter()
        .cloned()
        .zip(kinds.into_iter().zip(trees))
        .map(|(desc, ((compression, verified), tree))| {
            layer_of(desc, (compression, tree, verified))
        })
        .collect();
    let history = history::steps(&meta.config, layers.len());
    Image {
        meta,
        layers,
        history,
    }
}

/// One layer as read, with what its compression says of its digests.
fn layer_of(mut desc: LayerDesc, (compression, tree, mut verified): layers::Arrived) -> Layer {
    // An uncompressed blob is its tar: its digest is the (verified) diff_id, which a `docker
    // save` manifest does not name, and checking one checked both.
    if compression == Compression::None {
        if desc.digest.is_none() {
            desc.digest = desc.diff_id.clone();
        }
        let either = verified.digest || verified.diff_id;
        verified = Verified {
            digest: either,
            diff_id: either && desc.diff_id.is_some(),
        };
    }
    Layer {
        desc,
        compression,
        tree,
        verified,
    }
}

/// The snapshots a watched load hands out: the layers read so far (their trees as the tar
/// gave them: symlinked parent directories are followed once every layer is in), the others
/// empty and pending.
struct Snapshots<'a> {
    input: &'a str,
    opts: &'a SourceOptions,
    meta: &'a ImageMeta,
    history: Vec<history::HistoryStep>,
    origin: &'a Arc<Origin>,
    cache: Option<&'a Cache>,
    layers: Mutex<Vec<Slot>>,
    stored: Vec<bool>,
    /// Snapshots handed out so far.
    taken: std::sync::atomic::AtomicU64,
}

/// A layer of a snapshot.
#[derive(Clone)]
enum Slot {
    Pending,
    /// Its tree from its table of contents; its blob still downloading.
    Listed(Arc<LayerTree>, Arc<Toc>),
    Read(Layer),
}

/// What arrived for a snapshot.
enum Arrival<'x> {
    Read(usize, &'x layers::Arrived),
    Listed(usize, Arc<LayerTree>, Arc<Toc>),
}

impl<'a> Snapshots<'a> {
    fn new(
        input: &'a str,
        opts: &'a SourceOptions,
        meta: &'a ImageMeta,
        origin: &'a Arc<Origin>,
        cache: Option<&'a Cache>,
    ) -> Snapshots<'a> {
        Snapshots {
            input,
            opts,
            meta,
            history: history::steps(&meta.config, meta.layers.len()),
            origin,
            cache,
            layers: Mutex::new(vec![Slot::Pending; meta.layers.len()]),
            taken: std::sync::atomic::AtomicU64::new(0),
            stored: match &**origin {
                Origin::Store(blobs) => meta
                    .layers
                    .iter()
                    .map(|l| {
                        matches!(
                            blobs.store.origin(&l.blob),
                            Some(crate::blob::origin::Origin::Verified)
                        )
                    })
                    .collect(),
                Origin::Engine { .. } => Vec::new(),
            },
        }
    }

    /// The image with what `arrived` added to what came before; `None` once every layer is
    /// read (the loaded session follows: a snapshot would be analysed in full twice).
    fn take(&self, arrived: Option<Arrival>) -> Option<Arc<Session>> {
        let mut guard = match self.layers.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        match arrived {
            Some(Arrival::Read(i, read)) => {
                if let (Some(slot), Some(desc)) = (guard.get_mut(i), self.meta.layers.get(i)) {
                    *slot = Slot::Read(layer_of(desc.clone(), read.clone()));
                }
            }
            Some(Arrival::Listed(i, tree, toc)) => {
                // A layer read in full before its table of contents came stays read.
                if let Some(slot @ Slot::Pending) = guard.get_mut(i) {
                    *slot = Slot::Listed(tree, toc);
                }
            }
            None => {}
        }
        let mut pending = Vec::new();
        let mut tocs = vec![None; guard.len()];
        let layers = self
            .meta
            .layers
            .iter()
            .zip(guard.iter())
            .enumerate()
            .map(|(i, (desc, slot))| {
                let placeholder = |tree: Arc<LayerTree>| Layer {
                    desc: desc.clone(),
                    compression: decompress::from_media_type(&desc.media_type)
                        .unwrap_or(Compression::None),
                    tree,
                    verified: Verified::default(),
                };
                match slot {
                    Slot::Read(layer) => layer.clone(),
                    Slot::Listed(tree, toc) => {
                        pending.push(i);
                        tocs[i] = Some(toc.clone());
                        placeholder(tree.clone())
                    }
                    Slot::Pending => {
                        pending.push(i);
                        placeholder(Arc::default())
                    }
                }
            })
            .collect();
        if pending.is_empty() {
            return None;
        }
        Some(Arc::new(Session {
            input: self.input.to_string(),
            opts: self.opts.clone(),
            image: Image {
                meta: self.meta.clone(),
                layers,
                history: self.history.clone(),
            },
            origin: self.origin.clone(),
            cache: self.cache.cloned(),
            pending,
            stored: self.stored.clone(),
            tocs,
            // Under the lock: numbers follow the order the snapshots were taken in.
            seq: self
                .taken
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }))
    }
}

/// Evicts the least recently used cache files when the cache grew past its cap, and says so.
fn keep_under_cap(cache: &Cache, progress: Progress) {
    let max = match Cache::max_bytes() {
        Ok(m) => m,
        Err(e) => {
            progress(LoadEvent::Notice(e.to_string()));
            return;
        }
    };
    let pruned = cache.prune(max);
    if pruned.files > 0 {
        progress(LoadEvent::Notice(format!(
            "cache: evicted {} files ({}) to stay under {} (STRATA_CACHE_MAX_SIZE)",
            pruned.files,
            units::decimal(pruned.bytes),
            units::decimal(max)
        )));
    }
}
