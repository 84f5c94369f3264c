//! Images in a registry (OCI distribution API), through `oci-client` over rustls.
//!
//! The registry is presented to the rest of strata as a `Store` shaped like an OCI layout: a
//! synthetic `index.json` holding the manifest the tag points to, and `blobs/sha256/HEX` for
//! everything else. So platform choice, digest checks and layer reading are the very code
//! that reads OCI archives. Manifests and configs are fetched whole; layer blobs stream into
//! the tree builder as they download, and into the blob cache at the same time (kept only if
//! the digest checks out).
//!
//! The parts: `open` (clients, credentials, the tag's manifest, the offline fallback), `tls`
//! (HTTPS or plain HTTP, certificates, a registry's own CA), `retry` (the one retry policy),
//! `download` (resumable blob streams), `range` (parts of a blob by HTTP Range), `failure`
//! (what a failed request means). This file is what the rest of strata sees: `open`, the
//! store, and the typed errors its reads carry inside `io::Error`s.

pub mod docker_ref;
mod download;
mod failure;
mod open;
mod range;
mod retry;
mod tls;

use std::collections::{HashMap, HashSet};
use std::io::{self, Read};
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::Duration;

use oci_client::manifest;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use super::store::Store;
use crate::blob::origin::Origin;
use crate::blob::store::BlobStore;
use crate::model::digest::Digest;
use download::Download;
use failure::{Failure, Kind};
pub use open::open;
use retry::Policy;

/// The default time a request or a blob stream may stay silent before it counts as failed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

const ACCEPT: &[&str] = &[
    manifest::OCI_IMAGE_INDEX_MEDIA_TYPE,
    manifest::IMAGE_MANIFEST_LIST_MEDIA_TYPE,
    manifest::OCI_IMAGE_MEDIA_TYPE,
    manifest::IMAGE_MANIFEST_MEDIA_TYPE,
];

/// A registry image, opened: its top manifest is known, the rest is fetched on demand.
pub struct RegistryStore {
    rt: tokio::runtime::Runtime,
    transport: tls::Transport,
    auth: RegistryAuth,
    /// The repository (and tag or digest) as given.
    reference: Reference,
    registry: String,
    index_json: Vec<u8>,
    top: Digest,
    top_bytes: Vec<u8>,
    /// Digests known to be manifests (children of an index), fetched from the manifest
    /// endpoint rather than the blob endpoint.
    manifests: Mutex<HashSet<Digest>>,
    /// Sizes of blobs named by manifests seen so far.
    sizes: Mutex<HashMap<Digest, u64>>,
    cache: Option<BlobStore>,
    policy: Policy,
    /// The registry could not be reached and the manifest came from the cache: everything
    /// else must come from there too.
    offline: bool,
    /// The registry answered a Range request with the whole blob: it ignores ranges, and
    /// `Store::range` says so at once from then on (`range`).
    ranges_ignored: AtomicBool,
}

/// A registry's answer that it has no such blob. It travels inside the `io::Error` so that a
/// reader can quote the registry rather than say the blob "is not in the image".
#[derive(Debug, thiserror::Error)]
#[error("registry {registry} has no blob {digest} ({failure})")]
pub(crate) struct RegistryMiss {
    registry: String,
    digest: Digest,
    #[source]
    failure: Failure,
}

/// Why a manifest named by digest (an index's child) could not be had.
#[derive(Debug, thiserror::Error)]
enum ManifestError {
    #[error("the registry has no manifest {digest} ({failure}), which the index lists")]
    Missing {
        digest: Digest,
        #[source]
        failure: Failure,
    },
    #[error(transparent)]
    Failed(Failure),
    #[error("the registry sent a different manifest than {expected} (got {actual})")]
    Different { expected: Digest, actual: Digest },
}

/// A blob out of reach: the registry is unreachable and the cache does not have it.
#[derive(Debug, thiserror::Error)]
#[error("{digest} is not in the cache and registry {registry} is unreachable")]
struct Offline {
    digest: Digest,
    registry: String,
}

impl RegistryStore {
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The client to ask the registry with (HTTPS or plain HTTP, see `tls`). Outside the
    /// runtime: the first call may ask the registry whether it answers TLS.
    fn client(&self) -> &Client {
        self.transport.client()
    }

    /// `registry/repository` as the reference names them, normalised (`docker.io/library/nginx`).
    pub fn repository(&self) -> String {
        format!(
            "{}/{}",
            self.reference.registry(),
            self.reference.repository()
        )
    }

    /// The manifest or index the reference resolved to.
    pub fn top_digest(&self) -> &Digest {
        &self.top
    }

    /// A transfer error, not `NotFound`: the blob is the image's, only out of reach (a
    /// manifest or config then is not reported as missing from the image).
    fn offline_error(&self, digest: &Digest) -> io::Error {
        super::transfer_error(Offline {
            digest: digest.clone(),
            registry: self.registry.clone(),
        })
    }

    /// Fetches a manifest by digest (cache first).
    fn manifest(&self, digest: &Digest) -> io::Result<Vec<u8>> {
        if *digest == self.top {
            return Ok(self.top_bytes.clone());
        }
        if let Some(bytes) = self.cache.as_ref().and_then(|c| c.read_blob(digest)) {
            return Ok(bytes);
        }
        if self.offline {
            return Err(self.offline_error(digest));
        }
        let by_digest = Reference::with_digest(
            self.reference.registry().to_string(),
            self.reference.repository().to_string(),
            digest.to_string(),
        );
        let client = self.client();
        let (bytes, _) = self
            .rt
            .block_on(self.policy.run(None, || {
                client.pull_manifest_raw(&by_digest, &self.auth, ACCEPT)
            }))
            .map_err(|failure| {
                io::Error::other(match failure.kind {
                    Kind::NotFound => ManifestError::Missing {
                        digest: digest.clone(),
                        failure,
                    },
                    _ => ManifestError::Failed(failure),
                })
            })?;
        let actual = Digest::of(&bytes);
        if actual != *digest {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                ManifestError::Different {
                    expected: digest.clone(),
                    actual,
                },
            ));
        }
        if let Some(c) = &self.cache {
            let _ = c.put_blob(digest, &bytes);
        }
        Ok(bytes.to_vec())
    }

    /// Learns from a manifest which digests are child manifests and how big blobs are.
    fn learn(&self, manifest: &[u8]) {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(manifest) else {
            return;
        };
        let descriptors = |key: &str| -> Vec<(Digest, u64)> {
            let items = match value.get(key) {
                Some(serde_json::Value::Array(a)) => a.iter().collect(),
                Some(one @ serde_json::Value::Object(_)) => vec![one],
                _ => Vec::new(),
            };
            items
                .into_iter()
                .filter_map(|d| {
                    let digest = Digest::parse(d.get("digest")?.as_str()?)?;
                    Some((digest, d.get("size")?.as_u64()?))
                })
                .collect()
        };
        let children = descriptors("manifests");
        if let Ok(mut m) = self.manifests.lock() {
            m.extend(children.iter().map(|(d, _)| d.clone()));
        }
        if let Ok(mut sizes) = self.sizes.lock() {
            for (d, s) in descriptors("config")
                .into_iter()
                .chain(descriptors("layers"))
            {
                sizes.insert(d, s);
            }
        }
    }

    fn is_manifest(&self, digest: &Digest) -> bool {
        *digest == self.top || self.manifests.lock().is_ok_and(|m| m.contains(digest))
    }
}

impl Store for RegistryStore {
    fn open(&self, name: &str) -> io::Result<(Box<dyn Read + Send + '_>, u64)> {
        if name == "index.json" {
            let bytes = self.index_json.clone();
            let len = bytes.len() as u64;
            return Ok((Box::new(io::Cursor::new(bytes)), len));
        }
        let digest = blob_digest(name).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("{name} is not a blob"))
        })?;
        if self.is_manifest(&digest) {
            let bytes = self.manifest(&digest)?;
            self.learn(&bytes);
            let len = bytes.len() as u64;
            return Ok((Box::new(io::Cursor::new(bytes)), len));
        }
        if let Some(path) = self.cache.as_ref().and_then(|c| c.blob(&digest)) {
            let f = std::fs::File::open(path)?;
            let len = f.metadata()?.len();
            return Ok((Box::new(f), len));
        }
        if self.offline {
            return Err(self.offline_error(&digest));
        }
        let size = self.sizes.lock().ok().and_then(|s| s.get(&digest).copied());
        Ok((
            Box::new(Download::new(self, &digest, size)),
            size.unwrap_or(0),
        ))
    }

    fn head(&self, name: &str, n: usize) -> Option<Vec<u8>> {
        let path = self.cache.as_ref()?.blob(&blob_digest(name)?)?;
        let mut out = Vec::with_capacity(n);
        std::fs::File::open(path)
            .ok()?
            .take(n as u64)
            .read_to_end(&mut out)
            .ok()?;
        Some(out)
    }

    fn contains(&self, name: &str) -> bool {
        name == "index.json" || blob_digest(name).is_some()
    }

    /// A blob the blob store holds was checked against its digest when it entered it.
    fn origin(&self, name: &str) -> Option<Origin> {
        let digest = blob_digest(name)?;
        self.cache.as_ref()?.blob(&digest).map(|_| Origin::Verified)
    }

    fn size(&self, name: &str) -> Option<u64> {
        self.sizes.lock().ok()?.get(&blob_digest(name)?).copied()
    }

    fn range(&self, name: &str, offset: u64, len: u64) -> Option<io::Result<Vec<u8>>> {
        self.fetch_range(name, offset, len)
    }
}

/// The digest a `blobs/sha256/HEX` name stands for.
fn blob_digest(name: &str) -> Option<Digest> {
    name.strip_prefix("blobs/sha256/")
        .and_then(Digest::from_hex)
}
