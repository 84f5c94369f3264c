//! An image that arrives as one stream: the `docker save` archive a local engine sends
//! (`GET /images/{name}/get`). The archive is read once, front to back, and never copied to
//! disk. An engine writes the layer tars first and `manifest.json` last, so every large entry
//! is read as a layer while it passes (blob digest -> decompress -> tree, as a layer of a file
//! is read), small entries are kept in memory, and once the archive has ended its manifest
//! says which of the trees are the image's layers, in which order, and which digests they
//! must have.

use std::collections::HashMap;
use std::io::Read;

use super::blob_read::{check_digests, layer_error, read_blob, BlobRead, Job};
use super::events::{LoadEvent, Progress};
use super::layers::{check_cached, read_cached, Read as LayerRead, TotalEntries};
use crate::blob::decompress::Compression;
use crate::blob::digest::HashingReader;
use crate::cache::Cache;
use crate::model::digest::Digest;
use crate::model::error::{Error, LayerProblem, Result};
use crate::model::image::{Engine, ImageMeta, LayerDesc, Verified};
use crate::source::archive::{self, ArchiveFile, Next, WalkError};
use crate::source::store::{MemStore, Store};
use crate::source::{self, engine, SourceOptions};
use crate::tree::LayerTree;

/// Entries below this size are kept in memory (`VERSION` files, tiny layers) and read from
/// there once the manifest is known; so are JSON files (configs, manifests) up to
/// `--max-json-size`. Everything else is read as a layer while it passes.
const KEEP_BELOW: u64 = 64 << 10;

/// What became of a large entry of the archive.
enum Passed {
    /// Read as a layer blob: its tree and digests, or why it is not a layer.
    Read(Result<BlobRead>),
    /// Its name is the diff_id of a layer the cache holds, and its bytes hashed to that name
    /// as they passed: the cached tree stands in for reading it.
    Cached(Digest, Compression, LayerTree),
}

/// Loads the image `name` of `engine` from the archive it streams: its metadata and the
/// trees of its layers, bottom first.
pub(crate) fn load(
    engine: Engine,
    name: &str,
    opts: &SourceOptions,
    cache: Option<&Cache>,
    progress: Progress,
) -> Result<(ImageMeta, Vec<LayerRead>)> {
    // The engine lists the layers up front: the loading screen can show them from the start
    // and layers already cached can be recognised by name as they pass.
    let diff_ids = engine::diff_ids(engine, name, opts)?;
    progress(LoadEvent::Opened {
        layer_bytes: vec![0; diff_ids.len()],
    });
    let stream = engine::stream(engine, name, opts)?;
    let (store, mut passed) = walk(stream, engine, &diff_ids, cache, opts, progress)?;
    let meta = source::engine_archive_meta(&store, engine, opts)?;
    let mut trees: Vec<LayerRead> = Vec::with_capacity(meta.layers.len());
    let total = TotalEntries::default();
    for (index, desc) in meta.layers.iter().enumerate() {
        let job = Job {
            desc,
            index,
            limits: &opts.limits,
            progress,
            verify_diff_ids: opts.verify_diff_ids,
            cancel: None,
        };
        // A blob the image uses twice (two empty layers, say) passed once.
        if let Some(earlier) = meta.layers[..index]
            .iter()
            .position(|d| d.blob == desc.blob)
        {
            let again = trees[earlier].clone();
            trees.push(again);
            continue;
        }
        let read = match passed.remove(&desc.blob) {
            Some(Passed::Read(Ok(read))) => {
                let verified = check_digests(&job, &read)?;
                // Kept under the digest just checked (an engine names layers by path: the
                // diff_id); a cache that cannot be written is not an error.
                if let (Some(cache), Some(key)) =
                    (cache, desc.digest.as_ref().or(desc.diff_id.as_ref()))
                {
                    let _ = cache.put_tree(key, read.compression, &read.tree);
                }
                (read.compression, read.tree, verified)
            }
            Some(Passed::Read(Err(e))) => return Err(at_index(e, index)),
            Some(Passed::Cached(diff_id, compression, tree)) => {
                if desc.diff_id.as_ref() != Some(&diff_id) {
                    return Err(job.error(LayerProblem::NamedAfter(diff_id)));
                }
                check_cached(&job, &tree)?;
                // Its bytes hashed to the diff_id as they passed: an uncompressed tar.
                let verified = Verified {
                    digest: true,
                    diff_id: true,
                };
                (compression, tree, verified)
            }
            // Small: kept in memory, read from there like a layer in a file.
            None if store.contains(&desc.blob) => {
                progress(LoadEvent::LayerStarted { index });
                read_cached(&job, &store, cache)?
            }
            None => {
                return Err(Error::MissingBlob {
                    what: format!("manifest.json layer {index}"),
                    blob: desc.blob.clone(),
                })
            }
        };
        total.add(&opts.limits, &read.1)?;
        // The archive's order guessed the layer of a passing blob; now it is known.
        progress(LoadEvent::LayerFinished {
            index,
            entries: read.1.entries.len(),
        });
        trees.push(read);
    }
    Ok((meta, trees))
}

/// Reads the archive once: small entries into the returned store, large ones as layers.
fn walk(
    stream: engine::ArchiveStream,
    engine: Engine,
    diff_ids: &[Digest],
    cache: Option<&Cache>,
    opts: &SourceOptions,
    progress: Progress,
) -> Result<(MemStore, HashMap<String, Passed>)> {
    let mut store = MemStore::default();
    let mut kept_bytes = 0u64;
    let mut passed = HashMap::new();
    let mut positions = Positions::new(diff_ids);
    let mut too_many_small = false;
    let walked = archive::walk_stream(stream, |file: ArchiveFile| {
        let ArchiveFile {
            name,
            size,
            content,
            ..
        } = file;
        let mut head = Vec::with_capacity(512);
        content.take(512).read_to_end(&mut head)?;
        let json = head
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| matches!(b, b'{' | b'['));
        if size < KEEP_BELOW || (json && size <= opts.limits.json_size) {
            kept_bytes += size;
            if kept_bytes > opts.limits.json_size.saturating_mul(4) {
                too_many_small = true;
                return Ok(Next::Stop);
            }
            let mut bytes = head;
            content.read_to_end(&mut bytes)?;
            store.keep(name, bytes);
            return Ok(Next::Continue);
        }
        store.passed(name.clone(), size);
        let named = named_digest(&name);
        let index = positions.of(named.as_ref());
        progress(LoadEvent::LayerStarted { index });
        let cached = named
            .filter(|d| diff_ids.contains(d))
            .and_then(|d| cache.and_then(|c| c.tree(&d)).map(|hit| (d, hit)));
        if let Some((diff_id, (compression, tree))) = cached {
            // The name proves nothing: the bytes must hash to it for the tree to stand in.
            let mut hashed = HashingReader::new(std::io::Cursor::new(head).chain(content));
            std::io::copy(&mut hashed, &mut std::io::sink())?;
            let (actual, _) = hashed.finish()?;
            let outcome = if actual == diff_id {
                progress(LoadEvent::LayerFinished {
                    index,
                    entries: tree.entries.len(),
                });
                Passed::Cached(diff_id, compression, tree)
            } else {
                Passed::Read(Err(Error::DigestMismatch {
                    what: format!("the {} engine's layer {name}", engine.name()),
                    expected: diff_id,
                    actual,
                }))
            };
            passed.insert(name, outcome);
            return Ok(Next::Continue);
        }
        let desc = LayerDesc {
            blob: name.clone(),
            digest: None,
            diff_id: None,
            media_type: String::new(),
            compressed_size: size,
            annotations: Default::default(),
        };
        let job = Job {
            desc: &desc,
            index,
            limits: &opts.limits,
            progress,
            verify_diff_ids: opts.verify_diff_ids,
            cancel: None,
        };
        let read = read_blob(
            &job,
            HashingReader::new(std::io::Cursor::new(head).chain(content)),
        );
        // Whether or not it was a layer, what is left of it goes by unread (the archive
        // skips it); a stream that broke off fails the next entry.
        if let Ok(read) = &read {
            progress(LoadEvent::LayerFinished {
                index,
                entries: read.tree.entries.len(),
            });
        }
        passed.insert(name, Passed::Read(read));
        Ok(Next::Continue)
    });
    walked.map_err(|e| archive_error(engine, e))?;
    if too_many_small {
        return Err(Error::NotAnImage {
            reason: format!(
                "the {} engine sent more small files than 4 x --max-json-size",
                engine.name()
            ),
        });
    }
    Ok((store, passed))
}

/// An archive that broke off (an engine error), ends early or is not a tar.
fn archive_error(engine: Engine, e: WalkError) -> Error {
    match e {
        WalkError::Read(io) | WalkError::Visit(io) if source::is_transfer_error(&io) => {
            Error::Engine {
                reason: io.to_string(),
            }
        }
        WalkError::Truncated { after, read } => Error::Truncated { after, read },
        e => Error::NotAnImage {
            reason: format!(
                "the {} engine sent an archive that is not a tar ({})",
                engine.name(),
                crate::model::text::printable(&e.to_string(), 80)
            ),
        },
    }
}

/// Streams the engine's archive again up to the entry the load found layer `index` in
/// (`desc.blob`) and hands its stored bytes to `f`; the rest of the archive is not downloaded.
/// Nothing goes to disk. `image` names the image in the engine (its ID, so a tag moved since
/// the load is not followed).
pub(crate) fn read_layer<T>(
    engine: Engine,
    image: &str,
    opts: &SourceOptions,
    index: usize,
    desc: &LayerDesc,
    f: impl FnOnce(&mut dyn Read) -> Result<T>,
) -> Result<T> {
    let stream = engine::stream(engine, image, opts)?;
    let mut f = Some(f);
    let mut out = None;
    let walked = archive::walk_stream(stream, |file| {
        if file.name != desc.blob {
            return Ok(Next::Continue);
        }
        if let Some(f) = f.take() {
            out = Some(f(file.content));
        }
        Ok(Next::Stop)
    });
    match (walked, out) {
        (_, Some(result)) => result,
        (Err(e), None) => Err(archive_error(engine, e)),
        (Ok(()), None) => Err(layer_error(
            index,
            desc,
            LayerProblem::Vanished {
                path: format!("the engine's archive entry {}", desc.blob),
            },
        )),
    }
}

/// The digest an archive's file name carries: `blobs/sha256/<hex>` (Docker 25+), `<hex>.tar`
/// (Podman).
fn named_digest(name: &str) -> Option<Digest> {
    name.strip_prefix("blobs/sha256/")
        .or_else(|| name.strip_suffix(".tar"))
        .and_then(Digest::from_hex)
}

/// Which layer a passing entry is, for the progress display only: the engine's layer list
/// names it when its name is a diff_id, else the next layer not yet seen.
struct Positions<'a> {
    diff_ids: &'a [Digest],
    seen: Vec<bool>,
}

impl<'a> Positions<'a> {
    fn new(diff_ids: &'a [Digest]) -> Self {
        Positions {
            diff_ids,
            seen: vec![false; diff_ids.len()],
        }
    }

    fn of(&mut self, named: Option<&Digest>) -> usize {
        let by_name = named.and_then(|d| {
            (0..self.diff_ids.len()).find(|&i| !self.seen[i] && &self.diff_ids[i] == d)
        });
        let index = by_name
            .or_else(|| self.seen.iter().position(|s| !s))
            .unwrap_or(self.seen.len());
        if let Some(s) = self.seen.get_mut(index) {
            *s = true;
        }
        index
    }
}

/// An error found while a blob passed, before the manifest said which layer it is.
fn at_index(e: Error, index: usize) -> Error {
    match e {
        Error::Layer { blob, problem, .. } => Error::Layer {
            index,
            blob,
            problem,
        },
        other => other,
    }
}
