//! Sources turn a reference into image metadata plus a store the layer blobs stream from.
//! This is the only module that touches the filesystem for images.

mod docker_archive;
pub mod model;
mod oci_layout;
pub mod platform;
pub mod store;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use crate::blob::decompress;
use crate::blob::digest::{Digest, HashingReader};
use crate::error::{Error, Result};
use crate::reference::ImageRef;
pub use model::{Format, ImageMeta, LayerDesc};
use store::{DirStore, Store, TarStore};

/// Choices the user can make about which image inside a source to open.
#[derive(Debug, Clone, Default)]
pub struct SourceOptions {
    /// `os/arch[/variant]`; the host's when `None`.
    pub platform: Option<String>,
}

/// An opened image: its metadata and the store its blobs are read from.
pub struct OpenedImage {
    pub meta: ImageMeta,
    pub store: Box<dyn Store>,
    /// A decompressed copy of a compressed archive, deleted when this is dropped.
    _temp: Option<tempfile::TempPath>,
}

/// Opens the image a reference names and reads its metadata (manifest, config). Layer blobs
/// are not read here.
pub fn open(reference: &ImageRef, input: &str, opts: &SourceOptions) -> Result<OpenedImage> {
    let path = reference.path();
    let open_err = |source: io::Error| Error::Open {
        input: input.into(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(open_err)?;
    let (store, temp): (Box<dyn Store>, _) = if meta.is_dir() {
        (Box::new(DirStore::new(path)), None)
    } else {
        let (tar_path, temp) = decompressed_archive(path, input)?;
        let store = TarStore::index(&tar_path).map_err(|e| Error::NotAnImage {
            input: input.into(),
            reason: format!(
                "not a tar archive ({})",
                crate::tree::printable(&e.to_string(), 80)
            ),
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
            docker_archive::read(store.as_ref(), input, name.as_deref())?
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
        ImageRef::Path(_) if has_docker => docker_archive::read(store.as_ref(), input, None)?,
        ImageRef::Path(_) if has_oci => {
            let format = if meta.is_dir() {
                Format::OciLayout
            } else {
                Format::OciArchive
            };
            oci_layout::read(store.as_ref(), input, None, opts, format)?
        }
        ImageRef::Path(_) => return Err(Error::NotAnImage {
            input: input.into(),
            reason:
                "no manifest.json or index.json found (a bare layer tar, or not an image at all)"
                    .into(),
        }),
    };
    Ok(OpenedImage {
        meta,
        store,
        _temp: temp,
    })
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

/// Reads a small blob and checks it against its digest.
pub(crate) fn read_verified(
    store: &dyn Store,
    name: &str,
    expected: Option<&Digest>,
    input: &str,
    what: &str,
) -> Result<Vec<u8>> {
    let bytes = store.read_small(name).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
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

/// Opens a layer blob for streaming, wrapped so its digest is computed as it is read.
pub fn open_layer<'a>(
    store: &'a dyn Store,
    layer: &LayerDesc,
) -> io::Result<HashingReader<Box<dyn Read + Send + 'a>>> {
    let (reader, _) = store.open(&layer.blob)?;
    Ok(HashingReader::new(reader))
}
