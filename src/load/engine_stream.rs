//! Loading an image that arrives as one stream: the `docker save` archive a local engine sends
//! (`GET /images/{name}/get`). The archive is read once, front to back, and never copied to
//! disk. An engine writes the layer tars first and `manifest.json` last, so every large entry
//! is read as a layer while it passes (blob digest -> decompress -> tree, as `image` reads a
//! layer from a file), small entries are kept in memory, and once the archive has ended its
//! manifest says which of the trees are the image's layers, in which order, and which digests
//! they must have.

use std::collections::HashMap;
use std::io::Read;

use crate::blob::decompress::Compression;
use crate::blob::digest::HashingReader;
use crate::cache::Cache;
use crate::load::{BlobRead, Image, Job, LoadEvent};
use crate::model::digest::Digest;
use crate::model::error::{Error, Result};
use crate::model::path::normalize;
use crate::source::reference::Engine;
use crate::source::store::{MemStore, Store};
use crate::source::{self, engine, LayerDesc, SourceOptions};
use crate::tree::LayerTree;

/// Entries below this size are kept in memory (`VERSION` files, tiny layers) and read from
/// there once the manifest is known; so are JSON files (configs, manifests) up to
/// `--max-json-size`. Everything else is read as a layer while it passes.
const KEEP_BELOW: u64 = 64 << 10;

/// What became of a large entry of the archive.
enum Passed {
    /// Read as a layer blob: its tree and digests, or why it is not a layer.
    Read(Result<BlobRead>),
    /// Its name is the diff_id of a layer the cache holds: skipped.
    Cached(Digest, Compression, LayerTree),
}

/// Loads the image `name` of `engine` from the archive it streams.
pub(crate) fn load(
    input: &str,
    engine: Engine,
    name: &str,
    opts: &SourceOptions,
    progress: &(dyn Fn(LoadEvent) + Sync),
) -> Result<Image> {
    // The engine lists the layers up front: the loading screen can show them from the start
    // and layers already cached can be recognised by name as they pass.
    let diff_ids = engine::diff_ids(input, engine, name, opts)?;
    progress(LoadEvent::Opened {
        layer_bytes: vec![0; diff_ids.len()],
    });
    let cache = opts.cache();
    let archive = engine::stream(input, engine, name, opts)?;
    let (store, mut passed) = walk(
        archive,
        input,
        engine,
        &diff_ids,
        cache.as_ref(),
        opts,
        progress,
    )?;
    let meta = source::engine_archive_meta(&store, input, engine, opts)?;
    let mut trees: Vec<(Compression, LayerTree)> = Vec::with_capacity(meta.layers.len());
    let total = crate::load::TotalEntries::default();
    for (index, desc) in meta.layers.iter().enumerate() {
        let job = Job {
            desc,
            index,
            input,
            limits: &opts.limits,
            progress,
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
                crate::load::check_digests(&job, &read)?;
                if let Some(cache) = &cache {
                    // Verified just now; a cache that cannot be written is not an error.
                    let _ = cache.put_tree(&read.diff_id, read.compression, &read.tree);
                }
                (read.compression, read.tree)
            }
            Some(Passed::Read(Err(e))) => return Err(at_index(e, index)),
            Some(Passed::Cached(diff_id, compression, tree)) => {
                if desc.diff_id.as_ref() != Some(&diff_id) {
                    return Err(crate::load::layer_error(
                        input,
                        index,
                        desc,
                        format!(
                            "is named after {diff_id}, which the config does not give as its diff_id"
                        ),
                    ));
                }
                crate::load::check_cached(&job, &tree)?;
                (compression, tree)
            }
            // Small: kept in memory, read from there like a layer in a file.
            None if store.contains(&desc.blob) => {
                progress(LoadEvent::LayerStarted { index });
                crate::load::read_cached(&job, &store, cache.as_ref())?
            }
            None => {
                return Err(Error::MissingBlob {
                    input: input.into(),
                    what: format!("manifest.json layer {index}"),
                    blob: desc.blob.clone(),
                })
            }
        };
        total.add(&job, &read.1)?;
        // The archive's order guessed the layer of a passing blob; now it is known.
        progress(LoadEvent::LayerFinished {
            index,
            entries: read.1.entries.len(),
        });
        trees.push(read);
    }
    Ok(crate::load::assemble(meta, trees, cache, progress))
}

/// Reads the archive once: small entries into the returned store, large ones as layers.
fn walk(
    archive: engine::ArchiveStream,
    input: &str,
    engine: Engine,
    diff_ids: &[Digest],
    cache: Option<&Cache>,
    opts: &SourceOptions,
    progress: &(dyn Fn(LoadEvent) + Sync),
) -> Result<(MemStore, HashMap<String, Passed>)> {
    let broken = |e| archive_error(input, engine, e);
    let mut store = MemStore::default();
    let mut kept_bytes = 0u64;
    let mut passed = HashMap::new();
    let mut positions = Positions::new(diff_ids);
    let mut tar = tar::Archive::new(std::io::BufReader::with_capacity(256 * 1024, archive));
    for entry in tar.entries().map_err(broken)? {
        let mut entry = entry.map_err(broken)?;
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            continue;
        }
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(name) = normalize(&raw_name) else {
            continue;
        };
        let size = entry.size();
        let mut head = Vec::with_capacity(512);
        (&mut entry)
            .take(512)
            .read_to_end(&mut head)
            .map_err(broken)?;
        let json = head
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| matches!(b, b'{' | b'['));
        if size < KEEP_BELOW || (json && size <= opts.limits.json_size) {
            kept_bytes += size;
            if kept_bytes > opts.limits.json_size.saturating_mul(4) {
                return Err(Error::NotAnImage {
                    input: input.into(),
                    reason: format!(
                        "the {} engine sent more small files than 4 x --max-json-size",
                        engine.name()
                    ),
                });
            }
            let mut bytes = head;
            entry.read_to_end(&mut bytes).map_err(broken)?;
            store.keep(name, bytes);
            continue;
        }
        store.passed(name.clone(), size);
        let named = named_digest(&name);
        let index = positions.of(named.as_ref());
        progress(LoadEvent::LayerStarted { index });
        let cached = named
            .filter(|d| diff_ids.contains(d))
            .and_then(|d| cache.and_then(|c| c.tree(&d)).map(|hit| (d, hit)));
        if let Some((diff_id, (compression, tree))) = cached {
            std::io::copy(&mut entry, &mut std::io::sink()).map_err(broken)?;
            progress(LoadEvent::LayerFinished {
                index,
                entries: tree.entries.len(),
            });
            passed.insert(name, Passed::Cached(diff_id, compression, tree));
            continue;
        }
        let desc = LayerDesc {
            blob: name.clone(),
            digest: None,
            diff_id: None,
            media_type: String::new(),
            compressed_size: size,
        };
        let job = Job {
            desc: &desc,
            index,
            input,
            limits: &opts.limits,
            progress,
        };
        let read = crate::load::read_blob(
            &job,
            HashingReader::new(std::io::Cursor::new(head).chain(&mut entry)),
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
    }
    Ok((store, passed))
}

/// An archive that broke off (an engine error) or is not a tar.
fn archive_error(input: &str, engine: Engine, e: std::io::Error) -> Error {
    if source::is_transfer_error(&e) {
        Error::Engine {
            input: input.into(),
            reason: e.to_string(),
        }
    } else {
        Error::NotAnImage {
            input: input.into(),
            reason: format!(
                "the {} engine sent an archive that is not a tar ({})",
                engine.name(),
                crate::model::text::printable(&e.to_string(), 80)
            ),
        }
    }
}

/// Reads layer `index` of an engine image again (extract, the file viewer): the engine's
/// archive streams up to the entry the load found that layer in (`desc.blob`), which `f`
/// reads decompressed; the rest of the archive is not downloaded. Nothing goes to disk.
pub(crate) fn with_layer<T>(
    input: &str,
    engine: Engine,
    name: &str,
    opts: &SourceOptions,
    index: usize,
    desc: &LayerDesc,
    f: impl FnOnce(&mut dyn Read) -> std::io::Result<T>,
) -> Result<T> {
    let broken = |e| archive_error(input, engine, e);
    let archive = engine::stream(input, engine, name, opts)?;
    let mut tar = tar::Archive::new(std::io::BufReader::with_capacity(256 * 1024, archive));
    for entry in tar.entries().map_err(broken)? {
        let entry = entry.map_err(broken)?;
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            continue;
        }
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if normalize(&raw_name).as_deref() != Some(desc.blob.as_str()) {
            continue;
        }
        let fail = |e: std::io::Error| {
            if source::is_transfer_error(&e) {
                broken(e)
            } else {
                crate::load::layer_error(input, index, desc, e.to_string())
            }
        };
        let buffered = std::io::BufReader::with_capacity(256 * 1024, entry);
        let (_, mut decoder) = crate::blob::decompress::decoder(buffered).map_err(fail)?;
        return f(&mut decoder).map_err(fail);
    }
    Err(Error::MissingBlob {
        input: input.into(),
        what: format!("layer {index} (the engine's archive no longer has it)"),
        blob: desc.blob.clone(),
    })
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
        Error::Layer {
            input,
            blob,
            reason,
            ..
        } => Error::Layer {
            input,
            index,
            blob,
            reason,
        },
        other => other,
    }
}
