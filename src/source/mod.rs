//! Sources turn a reference into image metadata plus a store the layer blobs stream from.
//! This is the only module that touches the filesystem for images.

pub mod archive;
pub mod credentials;
mod docker_archive;
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
use crate::blob::store::BlobStore;
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
    /// Accept a registry certificate that does not verify, and plain HTTP from a registry
    /// that does not answer TLS (loopback registries get the latter anyway).
    pub insecure: bool,
    /// Credentials given on the command line; else they are looked up (see `credentials`).
    pub credentials: Option<credentials::Credentials>,
    /// Neither read nor write the cache.
    pub no_cache: bool,
    /// How long a registry or engine may stay silent; `registry::DEFAULT_TIMEOUT` if `None`.
    pub timeout: Option<std::time::Duration>,
    /// Bounds on what the image may make strata do.
    pub limits: crate::model::limits::Limits,
    /// Check every compressed layer's uncompressed tar against its diff_id too (a second
    /// SHA-256 pass over several times the bytes); by default a blob is checked once, against
    /// the digest it is addressed by, and the diff_id only where nothing else names it.
    pub verify_diff_ids: bool,
}

impl SourceOptions {
    /// The blob store to use, unless `--no-cache`.
    pub fn blob_store(&self) -> Option<BlobStore> {
        if self.no_cache {
            None
        } else {
            BlobStore::user()
        }
    }
}

/// Where a bare image name is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Registry,
    Engine(Engine),
}

/// An opened image: its metadata and where its blobs are read from.
pub struct OpenedImage {
    pub meta: ImageMeta,
    pub blobs: Blobs,
    /// Things to tell the user (not errors).
    pub notices: Vec<String>,
    /// A registry image pinned by its manifest's digest (`docker.io/library/nginx@sha256:..`),
    /// one of its names in the cache.
    pub pinned: Option<String>,
    /// The index a multi-platform tag resolved to (cached beside the manifest).
    pub index_digest: Option<Digest>,
}

/// The store an opened image's blobs are read from, and what must live as long as it.
pub struct Blobs {
    pub store: Box<dyn Store>,
    /// A decompressed copy of a compressed archive, deleted when this is dropped.
    _temp: Option<tempfile::TempPath>,
}

/// Where a reference leads, decided once: the engines are asked about a bare name here and
/// nowhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An image in a local engine, by its name there.
    Engine { engine: Engine, name: String },
    /// An image in a registry (`nginx:alpine`, `host:5000/app@sha256:...`); `engines`: for a
    /// bare name the local engines were asked about first, what they said.
    Registry {
        name: String,
        engines: Option<engine::Probe>,
    },
    /// A file or directory: a `docker save` archive, an OCI archive or layout.
    Path(ImageRef),
}

/// Where `reference` leads. A bare name asks the engines whether they have it (see
/// `engine::which_has`), unless `--source` decided.
pub fn resolve(reference: &ImageRef, opts: &SourceOptions) -> Target {
    match reference {
        ImageRef::Engine { engine, name } => Target::Engine {
            engine: *engine,
            name: name.clone(),
        },
        ImageRef::Registry(name) => Target::Registry {
            name: name.clone(),
            engines: None,
        },
        ImageRef::Name(name) => {
            let (engine, probe) = match opts.source {
                Some(SourceKind::Registry) => (None, None),
                Some(SourceKind::Engine(engine)) => (Some(engine), None),
                None => {
                    let probe = engine::which_has(name, opts);
                    (probe.found, Some(probe))
                }
            };
            match engine {
                Some(engine) => Target::Engine {
                    engine,
                    name: name.clone(),
                },
                None => Target::Registry {
                    name: name.clone(),
                    engines: probe,
                },
            }
        }
        path => Target::Path(path.clone()),
    }
}

/// Opens a registry image or an image in a file or directory and reads its metadata
/// (manifest, config). Layer blobs are not read here. An engine's image arrives as one stream
/// that holds its layers too: `crate::load` reads it with `archive::walk_stream`.
pub fn open(target: &Target, opts: &SourceOptions) -> Result<OpenedImage> {
    let opened = match target {
        Target::Registry { name, engines } => {
            let said = engines.as_ref().map(engine::Probe::summary);
            open_registry(name, opts, said.as_deref())?
        }
        Target::Path(reference) => match reference.path() {
            Some(path) => open_path(reference, path, opts)?,
            None => {
                return Err(Error::Unsupported {
                    reason: "not a file or directory reference".into(),
                })
            }
        },
        Target::Engine { engine, .. } => {
            return Err(Error::Unsupported {
                reason: format!(
                    "the {} engine's archive is read as a stream, not opened",
                    engine.name()
                ),
            })
        }
    };
    check_opened(&opened.meta, opts)?;
    Ok(opened)
}

/// What every opened image must satisfy: the platform asked for, `--max-layers`.
pub fn check_opened(meta: &ImageMeta, opts: &SourceOptions) -> Result<()> {
    platform::check_opened(meta, opts.platform.as_deref())?;
    let (count, max) = (meta.layers.len() as u64, opts.limits.layers);
    if count > max {
        return Err(LimitHit::new(
            format!("its layer count ({count})"),
            max.to_string(),
            "--max-layers",
        )
        .into());
    }
    Ok(())
}

/// `engines`: what the local engines said of a bare name (see `registry::open`).
fn open_registry(name: &str, opts: &SourceOptions, engines: Option<&str>) -> Result<OpenedImage> {
    let (store, notices) = registry::open(name, opts, opts.blob_store(), engines)?;
    let mut meta = oci_layout::read(&store, None, opts, Format::Registry)?;
    meta.names = vec![name.to_string()];
    let pinned = (meta.manifest_digest.as_ref()).map(|d| format!("{}@{d}", store.repository()));
    let top = store.top_digest();
    let index_digest = (meta.manifest_digest.as_ref() != Some(top)).then(|| top.clone());
    Ok(OpenedImage {
        meta,
        blobs: Blobs {
            store: Box::new(store),
            _temp: None,
        },
        notices,
        pinned,
        index_digest,
    })
}

fn open_path(reference: &ImageRef, path: &Path, opts: &SourceOptions) -> Result<OpenedImage> {
    let meta = std::fs::metadata(path).map_err(Error::Open)?;
    // A pipe or device would block or never be an image: refused before it is opened.
    store::check_file_type(&meta)?;
    let (store, temp, ending): (Box<dyn Store>, _, _) = if meta.is_dir() {
        (Box::new(DirStore::new(path)), None, archive::Ending::Marked)
    } else {
        let (tar_path, temp) = decompressed_archive(path)?;
        let store = TarStore::index(&tar_path, path).map_err(|e| match e {
            archive::WalkError::Truncated {
                after: after @ Some(_),
                read,
            } => Error::Truncated { after, read },
            archive::WalkError::Header(problem) => Error::NotAnImage {
                reason: format!("not a tar archive ({problem})"),
            },
            e => Error::NotAnImage {
                reason: format!(
                    "not a tar archive ({})",
                    crate::model::text::printable(&e.to_string(), 80)
                ),
            },
        })?;
        let ending = store.ending().clone();
        (Box::new(store) as Box<dyn Store>, temp, ending)
    };
    // An archive that stops right after an entry, without the end-of-archive marker, was cut
    // there if what the image needs is missing: that, not "not an image", is what to say.
    let cut_or = |otherwise: Error| match &ending {
        archive::Ending::Unmarked {
            after: after @ Some(_),
            read,
        } => Error::Truncated {
            after: after.clone(),
            read: *read,
        },
        _ => otherwise,
    };
    let missing_after_cut = |e: Error| match e {
        e @ Error::MissingBlob { .. } => cut_or(e),
        e => e,
    };
    let has_docker = store.contains("manifest.json");
    let has_oci = store.contains("index.json");
    let oci_format = if meta.is_dir() {
        Format::OciLayout
    } else {
        Format::OciArchive
    };
    let meta = match reference {
        ImageRef::DockerArchive { name, .. } => {
            if !has_docker {
                return Err(cut_or(Error::NotAnImage {
                    reason: "no manifest.json (not a `docker save` archive)".into(),
                }));
            }
            docker_archive::read(store.as_ref(), name.as_deref(), &opts.limits)
                .map_err(missing_after_cut)?
        }
        ImageRef::OciArchive { tag, .. } | ImageRef::OciLayout { tag, .. } => {
            if !has_oci {
                return Err(cut_or(Error::NotAnImage {
                    reason: "no index.json (not an OCI image layout)".into(),
                }));
            }
            oci_layout::read(store.as_ref(), tag.as_deref(), opts, oci_format)
                .map_err(missing_after_cut)?
        }
        ImageRef::Path(_) if has_docker => {
            docker_archive::read(store.as_ref(), None, &opts.limits).map_err(missing_after_cut)?
        }
        ImageRef::Path(_) if has_oci => {
            oci_layout::read(store.as_ref(), None, opts, oci_format).map_err(missing_after_cut)?
        }
        _ => return Err(cut_or(Error::NotAnImage {
            reason:
                "no manifest.json or index.json found (a bare layer tar, or not an image at all)"
                    .into(),
        })),
    };
    Ok(OpenedImage {
        meta,
        blobs: Blobs { store, _temp: temp },
        notices: Vec::new(),
        pinned: None,
        index_digest: None,
    })
}

/// The metadata of the only image of a `docker save` archive whose small files (manifest.json,
/// the config) are in `store`; for an archive an engine streamed (see `crate::load::engine_stream`).
pub fn engine_archive_meta(
    store: &dyn Store,
    engine: Engine,
    opts: &SourceOptions,
) -> Result<ImageMeta> {
    let limits = &opts.limits;
    if !store.contains("manifest.json") {
        return Err(Error::NotAnImage {
            reason: format!(
                "the {} engine sent an archive without manifest.json",
                engine.name()
            ),
        });
    }
    let mut meta = docker_archive::read(store, None, limits)?;
    meta.format = Format::Engine(engine);
    check_opened(&meta, opts)?;
    Ok(meta)
}

/// `docker save | gzip` is common: a compressed archive is decompressed once into a temp file
/// so its blobs can still be read at random.
fn decompressed_archive(path: &Path) -> Result<(std::path::PathBuf, Option<tempfile::TempPath>)> {
    let mut head = [0u8; 6];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(Error::Open)?;
    let kind = decompress::detect(&head[..n]).map_err(|e| Error::Unsupported {
        reason: e.to_string(),
    })?;
    if kind == decompress::Compression::None {
        return Ok((path.to_path_buf(), None));
    }
    let file = File::open(path).map_err(Error::Open)?;
    let (_, mut reader) = decompress::decoder(BufReader::new(file)).map_err(Error::Open)?;
    let mut temp = tempfile::NamedTempFile::new().map_err(Error::Open)?;
    io::copy(&mut reader, &mut temp).map_err(|e| Error::NotAnImage {
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
    what: &str,
    limits: &Limits,
) -> Result<Vec<u8>> {
    let too_big = |size: u64| Error::Format {
        what: what.into(),
        reason: LimitHit::new(
            format!("its size ({})", crate::model::units::exact_or_binary(size)),
            crate::model::units::exact_or_binary(limits.json_size),
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
                what: what.into(),
                blob: name.into(),
            }
        } else {
            Error::Format {
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
                what: format!("{what} {name}"),
                expected: expected.clone(),
                actual,
            });
        }
    }
    Ok(bytes)
}

/// Parses JSON metadata, naming the file on failure.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|source| Error::Json {
        what: what.into(),
        source,
    })
}

/// A failure to fetch bytes (network, engine), as opposed to bytes that do not decode.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct TransferError(Box<dyn std::error::Error + Send + Sync>);

/// `cause` (a message, or a source's typed error) as a transfer error.
pub(crate) fn transfer_error(
    cause: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> io::Error {
    io::Error::other(TransferError(cause.into()))
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
