//! Sources turn a reference into image metadata plus a store the layer blobs stream from.
//! This is the only module that touches the filesystem for images.

pub mod credentials;
mod docker_archive;
pub mod docker_ref;
pub mod engine;
pub mod reference;

mod oci_layout;
pub mod platform;
pub mod registry;
pub mod store;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use crate::blob::decompress;
use crate::blob::digest::HashingReader;
use crate::cache::Cache;
use crate::model::digest::Digest;
use crate::model::error::{Error, Result};
pub use crate::model::image::{Format, ImageMeta, LayerDesc};
use crate::model::limits::{LimitHit, Limits};
use crate::source::reference::{Engine, ImageRef};
use store::{DirStore, Store, TarStore};

/// Choices the user can make about which image to open and how to reach it.
#[derive(Debug, Clone, Default)]
pub struct SourceOptions {
    /// `os/arch[/variant]`; the host's when `None`.
    pub platform: Option<String>,
    /// Where a bare name (`nginx:alpine`) is looked up; `None`: the local engine if it has
    /// the image, else the registry.
    pub source: Option<SourceKind>,
    /// Plain HTTP to the registry (loopback registries get it anyway).
    pub insecure: bool,
    /// Credentials given on the command line; else they are looked up (see `credentials`).
    pub credentials: Option<credentials::Credentials>,
    /// Neither read nor write the cache.
    pub no_cache: bool,
    /// How long a registry or engine may stay silent; `registry::DEFAULT_TIMEOUT` if `None`.
    pub timeout: Option<std::time::Duration>,
    /// Bounds on what the image may make strata do.
    pub limits: crate::model::limits::Limits,
}

impl SourceOptions {
    /// The cache to use, unless `--no-cache`.
    pub fn cache(&self) -> Option<Cache> {
        if self.no_cache {
            None
        } else {
            Cache::user()
        }
    }
}

/// Where a bare image name is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Registry,
    Engine(Engine),
}

/// An opened image: its metadata and the store its blobs are read from.
pub struct OpenedImage {
    pub meta: ImageMeta,
    pub store: Box<dyn Store>,
    /// Things to tell the user (not errors).
    pub notices: Vec<String>,
    /// A decompressed copy of a compressed archive, or an archive an engine sent, deleted
    /// when this is dropped.
    _temp: Option<tempfile::TempPath>,
}

/// Opens the image a reference names and reads its metadata (manifest, config). Layer blobs
/// are not read here.
pub fn open(reference: &ImageRef, input: &str, opts: &SourceOptions) -> Result<OpenedImage> {
    let opened = open_any(reference, input, opts)?;
    platform::check_opened(&opened.meta, input, opts.platform.as_deref())?;
    check_layer_count(&opened.meta, input, &opts.limits)?;
    Ok(opened)
}

/// `--max-layers`.
pub(crate) fn check_layer_count(meta: &ImageMeta, input: &str, limits: &Limits) -> Result<()> {
    let (count, max) = (meta.layers.len() as u64, limits.layers);
    if count > max {
        let hit = LimitHit::new(
            format!("its layer count ({count})"),
            max.to_string(),
            "--max-layers",
        );
        return Err(Error::Unsupported {
            input: input.into(),
            reason: hit.to_string(),
        });
    }
    Ok(())
}

/// The local engine a reference is read from, and the image's name there; `None` for every
/// other source. A bare name asks the engines whether they have it (see `engine::which_has`).
pub fn engine_for<'a>(reference: &'a ImageRef, opts: &SourceOptions) -> Option<(Engine, &'a str)> {
    match reference {
        ImageRef::Engine { engine, name } => Some((*engine, name)),
        ImageRef::Name(name) => match opts.source {
            Some(SourceKind::Registry) => None,
            Some(SourceKind::Engine(engine)) => Some((engine, name)),
            None => engine::which_has(name, opts).map(|engine| (engine, name.as_str())),
        },
        _ => None,
    }
}

fn open_any(reference: &ImageRef, input: &str, opts: &SourceOptions) -> Result<OpenedImage> {
    if let Some((engine, name)) = engine_for(reference, opts) {
        return open_engine(input, engine, name, opts);
    }
    match reference {
        ImageRef::Registry(name) | ImageRef::Name(name) => open_registry(input, name, opts),
        // `engine_for` took these.
        ImageRef::Engine { engine, name } => open_engine(input, *engine, name, opts),
        ImageRef::DockerArchive { path, .. }
        | ImageRef::OciArchive { path, .. }
        | ImageRef::OciLayout { path, .. }
        | ImageRef::Path(path) => open_path(reference, path, input, opts),
    }
}

fn open_registry(input: &str, name: &str, opts: &SourceOptions) -> Result<OpenedImage> {
    let (store, notices) = registry::open(input, name, opts, opts.cache())?;
    let mut meta = oci_layout::read(&store, input, None, opts, Format::Registry)?;
    meta.names = vec![name.to_string()];
    Ok(OpenedImage {
        meta,
        store: Box::new(store),
        notices,
        _temp: None,
    })
}

/// Asks the engine for a `docker save` archive of the image and opens that.
fn open_engine(
    input: &str,
    engine: Engine,
    name: &str,
    opts: &SourceOptions,
) -> Result<OpenedImage> {
    let temp = engine::save(input, engine, name, opts)?;
    let archive = ImageRef::DockerArchive {
        path: temp.to_path_buf(),
        name: None,
    };
    let mut opened = open_path(&archive, &temp, input, opts)?;
    opened.meta.format = Format::Engine(engine);
    opened._temp = Some(temp);
    Ok(opened)
}

fn open_path(
    reference: &ImageRef,
    path: &Path,
    input: &str,
    opts: &SourceOptions,
) -> Result<OpenedImage> {
    let open_err = |source: io::Error| Error::Open {
        input: input.into(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(open_err)?;
    // A pipe or device would block or never be an image: refused before it is opened.
    store::check_file_type(&meta, input)?;
    let (store, temp): (Box<dyn Store>, _) = if meta.is_dir() {
        (Box::new(DirStore::new(path)), None)
    } else {
        let (tar_path, temp) = decompressed_archive(path, input)?;
        let store = TarStore::index(&tar_path).map_err(|e| Error::NotAnImage {
            input: input.into(),
            reason: match crate::tree::tar_header_problem(&e.to_string()) {
                Some(problem) => format!("not a tar archive ({problem})"),
                None => format!(
                    "not a tar archive ({})",
                    crate::model::text::printable(&e.to_string(), 80)
                ),
            },
        })?;
        (Box::new(store) as Box<dyn Store>, temp)
    };
    let has_docker = store.contains("manifest.json");
    let has_oci = store.contains("index.json");
    let meta = match reference {
        ImageRef::DockerArchive { name, .. } => {
            if !has_docker {
                return Err(Error::NotAnImage {
                    input: input.into(),
                    reason: "no manifest.json (not a `docker save` archive)".into(),
                });
            }
            docker_archive::read(store.as_ref(), input, name.as_deref(), &opts.limits)?
        }
        ImageRef::OciArchive { tag, .. } | ImageRef::OciLayout { tag, .. } => {
            if !has_oci {
                return Err(Error::NotAnImage {
                    input: input.into(),
                    reason: "no index.json (not an OCI image layout)".into(),
                });
            }
            let format = if meta.is_dir() {
                Format::OciLayout
            } else {
                Format::OciArchive
            };
            oci_layout::read(store.as_ref(), input, tag.as_deref(), opts, format)?
        }
        ImageRef::Path(_) if has_docker => {
            docker_archive::read(store.as_ref(), input, None, &opts.limits)?
        }
        ImageRef::Path(_) if has_oci => {
            let format = if meta.is_dir() {
                Format::OciLayout
            } else {
                Format::OciArchive
            };
            oci_layout::read(store.as_ref(), input, None, opts, format)?
        }
        _ => return Err(Error::NotAnImage {
            input: input.into(),
            reason:
                "no manifest.json or index.json found (a bare layer tar, or not an image at all)"
                    .into(),
        }),
    };
    Ok(OpenedImage {
        meta,
        store,
        notices: Vec::new(),
        _temp: temp,
    })
}

/// The metadata of the only image of a `docker save` archive whose small files (manifest.json,
/// the config) are in `store`; for an archive an engine streamed (see `crate::load::engine_stream`).
pub(crate) fn engine_archive_meta(
    store: &dyn Store,
    input: &str,
    engine: Engine,
    opts: &SourceOptions,
) -> Result<ImageMeta> {
    let limits = &opts.limits;
    if !store.contains("manifest.json") {
        return Err(Error::NotAnImage {
            input: input.into(),
            reason: format!(
                "the {} engine sent an archive without manifest.json",
                engine.name()
            ),
        });
    }
    let mut meta = docker_archive::read(store, input, None, limits)?;
    meta.format = Format::Engine(engine);
    platform::check_opened(&meta, input, opts.platform.as_deref())?;
    check_layer_count(&meta, input, limits)?;
    Ok(meta)
}

/// `docker save | gzip` is common: a compressed archive is decompressed once into a temp file
/// so its blobs can still be read at random.
fn decompressed_archive(
    path: &Path,
    input: &str,
) -> Result<(std::path::PathBuf, Option<tempfile::TempPath>)> {
    let open_err = |source: io::Error| Error::Open {
        input: input.into(),
        source,
    };
    let mut head = [0u8; 6];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(open_err)?;
    let kind = decompress::detect(&head[..n]).map_err(|reason| Error::Unsupported {
        input: input.into(),
        reason,
    })?;
    if kind == decompress::Compression::None {
        return Ok((path.to_path_buf(), None));
    }
    let file = File::open(path).map_err(open_err)?;
    let (_, mut reader) = decompress::decoder(BufReader::new(file)).map_err(open_err)?;
    let mut temp = tempfile::NamedTempFile::new().map_err(open_err)?;
    io::copy(&mut reader, &mut temp).map_err(|e| Error::NotAnImage {
        input: input.into(),
        reason: format!("corrupt {} data ({e})", kind.name()),
    })?;
    let temp = temp.into_temp_path();
    Ok((temp.to_path_buf(), Some(temp)))
}

/// Reads a small blob (no larger than `--max-json-size`) and checks it against its digest.
pub(crate) fn read_verified(
    store: &dyn Store,
    name: &str,
    expected: Option<&Digest>,
    input: &str,
    what: &str,
    limits: &Limits,
) -> Result<Vec<u8>> {
    let too_big = |size: u64| Error::Format {
        input: input.into(),
        what: what.into(),
        reason: LimitHit::new(
            format!("its size ({})", crate::model::limits::bytes(size)),
            crate::model::limits::bytes(limits.json_size),
            "--max-json-size",
        )
        .to_string(),
    };
    if let Some(size) = store.size(name).filter(|s| *s > limits.json_size) {
        return Err(too_big(size));
    }
    let bytes = store.read_small(name, limits.json_size).map_err(|e| {
        let registry_miss = e
            .get_ref()
            .is_some_and(|inner| inner.is::<registry::RegistryMiss>());
        if e.kind() == io::ErrorKind::NotFound && !registry_miss {
            Error::MissingBlob {
                input: input.into(),
                what: what.into(),
                blob: name.into(),
            }
        } else {
            Error::Format {
                input: input.into(),
                what: what.into(),
                reason: e.to_string(),
            }
        }
    })?;
    if bytes.len() as u64 > limits.json_size {
        return Err(too_big(bytes.len() as u64));
    }
    if let Some(expected) = expected {
        let actual = Digest::of(&bytes);
        if &actual != expected {
            return Err(Error::DigestMismatch {
                input: input.into(),
                what: format!("{what} {name}"),
                expected: expected.to_string(),
                actual: actual.to_string(),
            });
        }
    }
    Ok(bytes)
}

/// Parses JSON metadata, naming the file on failure.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    input: &str,
    what: &str,
) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Format {
        input: input.into(),
        what: what.into(),
        reason: format!("invalid JSON ({e})"),
    })
}

/// A failure to fetch bytes (network, engine), as opposed to bytes that do not decode.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TransferError(String);

pub(crate) fn transfer_error(message: String) -> io::Error {
    io::Error::other(TransferError(message))
}

/// Whether `e` is a failure to fetch bytes (see `TransferError`).
pub fn is_transfer_error(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<TransferError>())
}

/// Opens a layer blob for streaming, wrapped so its digest is computed as it is read.
pub fn open_layer<'a>(
    store: &'a dyn Store,
    layer: &LayerDesc,
) -> io::Result<HashingReader<Box<dyn Read + Send + 'a>>> {
    let (reader, _) = store.open(&layer.blob)?;
    Ok(HashingReader::new(reader))
}
