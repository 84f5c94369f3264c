//! Images in a registry (OCI distribution API), through `oci-client` over rustls.
//!
//! The registry is presented to the rest of strata as a `Store` shaped like an OCI layout: a
//! synthetic `index.json` holding the manifest the tag points to, and `blobs/sha256/HEX` for
//! everything else. So platform choice, digest checks and layer reading are the very code
//! that reads OCI archives. Manifests and configs are fetched whole; layer blobs stream into
//! the tree builder as they download, and into the blob cache at the same time (kept only if
//! the digest checks out). A dropped connection resumes with an HTTP Range request.

use std::collections::{HashMap, HashSet};
use std::io::{self, Read};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use oci_client::client::{BlobResponse, ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use super::credentials;
use super::store::Store;
use super::SourceOptions;
use crate::blob::store::{BlobStore, BlobWriter};
use crate::model::digest::Digest;
use crate::model::error::{Error, Result};

/// Attempts per request (the first try included) for transient failures: resets, timeouts,
/// 429 and 5xx answers.
const MAX_ATTEMPTS: u32 = 4;
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
    client: Client,
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
    timeout: Duration,
    /// The registry could not be reached and the manifest came from the cache: everything
    /// else must come from there too.
    offline: bool,
}

/// What went wrong talking to a registry, sorted by what strata does about it.
#[derive(Debug)]
enum Failure {
    /// Worth retrying: reset, timeout, 429, 5xx.
    Transient(String),
    /// No connection at all (refused, DNS).
    Unreachable(String),
    NotFound(String),
    Unauthorized(String),
    Other(String),
}

impl Failure {
    fn message(&self) -> &str {
        match self {
            Failure::Transient(m)
            | Failure::Unreachable(m)
            | Failure::NotFound(m)
            | Failure::Unauthorized(m)
            | Failure::Other(m) => m,
        }
    }
}

/// Opens `name` (docker-style: `nginx:alpine`, `host:port/ns/app@sha256:...`) in its registry.
/// Returns the store and notices for the user (e.g. "working from the cache").
pub fn open(
    name: &str,
    opts: &SourceOptions,
    cache: Option<BlobStore>,
) -> Result<(RegistryStore, Vec<String>)> {
    let reference = super::docker_ref::parse(name).map_err(|e| Error::Unsupported {
        reason: format!("not a valid image reference ({e})"),
    })?;
    let registry = reference.registry().to_string();
    let host = reference.resolve_registry().to_string();
    let timeout = opts.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let plain_http = opts.insecure || is_loopback(&host);
    let config = ClientConfig {
        protocol: if plain_http {
            ClientProtocol::HttpsExcept(vec![host.clone()])
        } else {
            ClientProtocol::Https
        },
        platform_resolver: None,
        // Shorter than the whole try's `timeout`, so that a host that never answers is a
        // connect failure (unreachable: the cache may stand in), not a slow answer.
        connect_timeout: Some(timeout.mul_f64(0.8).min(Duration::from_secs(10))),
        read_timeout: Some(timeout),
        user_agent: concat!("strata/", env!("CARGO_PKG_VERSION")),
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Open)?;
    install_crypto_provider();
    let client = Client::new(config);
    let found = credentials::lookup(&registry, opts.credentials.as_ref()).map_err(|reason| {
        Error::Auth {
            registry: registry.clone(),
            reason: format!("credentials could not be read: {reason}"),
        }
    })?;
    let auth = match &found {
        Some(f) => RegistryAuth::Basic(
            f.credentials.username.clone(),
            f.credentials.password.expose().to_string(),
        ),
        None => RegistryAuth::Anonymous,
    };
    let key = reference.whole();
    let mut notices = Vec::new();
    let pinned = reference.digest().and_then(Digest::parse);

    // A digest reference whose manifest is cached needs no network at all.
    let cached_pinned = pinned
        .as_ref()
        .and_then(|d| Some((d.clone(), cache.as_ref()?.read_blob(d)?)));
    let (top, top_bytes, offline) = match cached_pinned {
        Some((d, bytes)) => (d, bytes, false),
        None => {
            let address = socket_address(&host, plain_http);
            let fetched = rt.block_on(with_retries_probing(timeout, Some(&address), || {
                client.pull_manifest_raw(&reference, &auth, ACCEPT)
            }));
            match fetched {
                Ok((bytes, digest)) => {
                    let actual = Digest::of(&bytes);
                    let d = match Digest::parse(&digest) {
                        Some(named) if named == actual => actual,
                        Some(named) => {
                            return Err(Error::DigestMismatch {
                                what: "manifest".into(),
                                expected: named,
                                actual,
                            })
                        }
                        None => {
                            return Err(Error::Registry {
                                registry: host.clone(),
                                reason: format!(
                                    "it named the manifest {}, which is not a sha256 digest",
                                    crate::model::text::printable(&digest, 100)
                                ),
                            })
                        }
                    };
                    if let Some(c) = &cache {
                        let _ = c.put_blob(&d, &bytes);
                        if pinned.is_none() {
                            let _ = c.put_ref(&key, &d);
                        }
                    }
                    (d, bytes.to_vec(), false)
                }
                Err(Failure::Unreachable(why)) => {
                    let cached = cache.as_ref().and_then(|c| {
                        let (d, when) = c.get_ref(&key)?;
                        Some((d.clone(), c.read_blob(&d)?, when))
                    });
                    let Some((d, bytes, when)) = cached else {
                        return Err(Error::Registry {
                            registry: host,
                            reason: format!("cannot connect ({why})"),
                        });
                    };
                    notices.push(format!(
                        "registry {host} is unreachable ({why}); using the manifest of {key} cached {}",
                        age(when)
                    ));
                    (d, bytes, true)
                }
                Err(f) => return Err(manifest_error(&registry, &reference, f, found.as_ref())),
            }
        }
    };
    let index_json = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": media_type_of(&top_bytes),
            "digest": top.to_string(),
            "size": top_bytes.len(),
        }]
    })
    .to_string()
    .into_bytes();
    Ok((
        RegistryStore {
            rt,
            client,
            auth,
            reference,
            registry: host,
            index_json,
            top,
            top_bytes,
            manifests: Mutex::new(HashSet::new()),
            sizes: Mutex::new(HashMap::new()),
            cache,
            timeout,
            offline,
        },
        notices,
    ))
}

/// rustls needs one process-wide crypto provider; ring is the one built in.
fn install_crypto_provider() {
    // An error means one is installed already, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn is_loopback(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn age(when: SystemTime) -> String {
    match SystemTime::now().duration_since(when) {
        Ok(d) if d.as_secs() < 120 => format!("{} s ago", d.as_secs()),
        Ok(d) if d.as_secs() < 7200 => format!("{} min ago", d.as_secs() / 60),
        Ok(d) if d.as_secs() < 172_800 => format!("{} h ago", d.as_secs() / 3600),
        Ok(d) => format!("{} days ago", d.as_secs() / 86_400),
        Err(_) => "just now".into(),
    }
}

fn media_type_of(bytes: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| v.get("mediaType")?.as_str().map(str::to_string))
        .unwrap_or_else(|| manifest::OCI_IMAGE_MEDIA_TYPE.to_string())
}

fn manifest_error(
    registry: &str,
    reference: &Reference,
    failure: Failure,
    found: Option<&credentials::Found>,
) -> Error {
    let what = match (reference.tag(), reference.digest()) {
        (_, Some(d)) => format!("manifest {d}"),
        (Some(t), None) => format!("tag {t}"),
        (None, None) => "tag latest".into(),
    };
    match failure {
        Failure::NotFound(m) => Error::Registry {
            registry: registry.into(),
            reason: format!(
                "{what} not found in repository {} ({m})",
                reference.repository()
            ),
        },
        Failure::Unauthorized(m) => Error::Auth {
            registry: registry.into(),
            reason: match found {
                Some(f) => format!("refused the credentials from {} ({m})", f.from),
                None => format!(
                    "requires credentials and none were found ({m}; the repository may also not exist)"
                ),
            },
        },
        other => Error::Registry {
            registry: registry.into(),
            reason: other.message().to_string(),
        },
    }
}

/// Runs a request, retrying transient failures with backoff; each try is bounded by
/// `timeout`.
async fn with_retries<T, F, Fut>(timeout: Duration, request: F) -> Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = oci_client::errors::Result<T>>,
{
    with_retries_probing(timeout, None, request).await
}

/// `with_retries`; when a try times out and `probe` (the registry's `host:port`) takes no TCP
/// connection either, the registry is unreachable (a host that is gone: its connections time
/// out instead of being refused) and the cache may stand in at once.
async fn with_retries_probing<T, F, Fut>(
    timeout: Duration,
    probe: Option<&str>,
    mut request: F,
) -> Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = oci_client::errors::Result<T>>,
{
    let mut attempt = 1;
    loop {
        let (failure, timed_out) = match tokio::time::timeout(timeout, request()).await {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) => {
                let timed_out =
                    matches!(&e, OciDistributionError::RequestError(r) if r.is_timeout());
                (classify(&e), timed_out)
            }
            Err(_) => (
                Failure::Transient(format!("no answer within {} s", timeout.as_secs())),
                true,
            ),
        };
        if let (true, Some(address), Failure::Transient(why)) = (timed_out, probe, &failure) {
            if !takes_connections(address, timeout).await {
                return Err(Failure::Unreachable(format!(
                    "{why}; no connection to {address}"
                )));
            }
        }
        match failure {
            Failure::Transient(m) if attempt < MAX_ATTEMPTS => {
                tokio::time::sleep(backoff(attempt, &m)).await;
                attempt += 1;
            }
            Failure::Transient(m) => {
                return Err(Failure::Transient(format!(
                    "{m} (gave up after {attempt} attempts)"
                )))
            }
            other => return Err(other),
        }
    }
}

/// `host[:port]` with the port the scheme implies when there is none.
fn socket_address(host: &str, plain_http: bool) -> String {
    let has_port = host.rsplit_once(':').is_some_and(|(h, p)| {
        !h.ends_with(':') && p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty()
    }) && !host.ends_with(']');
    if has_port {
        host.to_string()
    } else {
        format!("{host}:{}", if plain_http { 80 } else { 443 })
    }
}

/// Whether a TCP connection to `address` opens within `timeout` (at most 3 s).
async fn takes_connections(address: &str, timeout: Duration) -> bool {
    let wait = timeout.min(Duration::from_secs(3));
    matches!(
        tokio::time::timeout(wait, tokio::net::TcpStream::connect(address)).await,
        Ok(Ok(_))
    )
}

/// 250 ms, 500 ms, 1 s, ...; at least 1 s after a 429 (oci-client does not expose
/// Retry-After, so strata backs off by itself).
fn backoff(attempt: u32, message: &str) -> Duration {
    let base = Duration::from_millis(250 << (attempt - 1).min(6));
    if message.contains("HTTP 429") {
        base.max(Duration::from_secs(1))
    } else {
        base
    }
}

fn classify(e: &OciDistributionError) -> Failure {
    match e {
        OciDistributionError::RequestError(r) => {
            // A connection that cannot be made, refused or timed out, is a registry that
            // cannot be reached (a cached tag then opens from the cache). A host that answers
            // but not with TLS strata accepts is reachable: that is an error to show, never a
            // reason to fall back to what the cache holds.
            if r.is_connect() {
                match tls_failure(r) {
                    Some(why) if why.contains("certificate") => {
                        Failure::Other(format!("TLS handshake failed ({why})"))
                    }
                    Some(why) => Failure::Other(format!(
                        "TLS handshake failed ({why}); if the registry speaks plain HTTP, use --insecure"
                    )),
                    None => Failure::Unreachable(root_cause(r)),
                }
            } else if r.is_timeout() {
                Failure::Transient("timed out".into())
            } else {
                Failure::Transient(root_cause(r))
            }
        }
        OciDistributionError::ServerError { code, message, .. } => {
            let text = format!("HTTP {code}{}", short_body(message));
            match code {
                429 | 500..=599 => Failure::Transient(text),
                404 => Failure::NotFound(text),
                401 | 403 => Failure::Unauthorized(text),
                _ => Failure::Other(text),
            }
        }
        OciDistributionError::RegistryError { envelope, .. } => {
            let text = envelope
                .errors
                .iter()
                .map(|e| {
                    let code = serde_json::to_value(&e.code)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    if e.message.is_empty() {
                        code
                    } else {
                        format!("{code}: {}", e.message)
                    }
                })
                .collect::<Vec<_>>()
                .join("; ");
            let has = |c: OciErrorCode| envelope.errors.iter().any(|e| e.code == c);
            if has(OciErrorCode::ManifestUnknown)
                || has(OciErrorCode::NameUnknown)
                || has(OciErrorCode::BlobUnknown)
                || has(OciErrorCode::NotFound)
            {
                Failure::NotFound(text)
            } else if has(OciErrorCode::Unauthorized) || has(OciErrorCode::Denied) {
                Failure::Unauthorized(text)
            } else if has(OciErrorCode::Toomanyrequests) {
                Failure::Transient(format!("HTTP 429 {text}"))
            } else {
                Failure::Other(text)
            }
        }
        OciDistributionError::UnauthorizedError { .. } => {
            Failure::Unauthorized("HTTP 401 Unauthorized".into())
        }
        OciDistributionError::AuthenticationFailure(m) => {
            Failure::Unauthorized(format!("token request failed{}", short_body(m)))
        }
        OciDistributionError::ImageManifestNotFoundError(m) => Failure::NotFound(m.clone()),
        OciDistributionError::IoError(io) => Failure::Transient(io.to_string()),
        other => Failure::Other(other.to_string()),
    }
}

/// The TLS failure under a connection error: the host answered, but the handshake broke
/// (a plain-HTTP server answers with bytes that are no TLS record, or closes), or its
/// certificate was refused. rustls reports these as `InvalidData` / `UnexpectedEof`.
fn tls_failure(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        cur = err.source();
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
            ) {
                return Some(root_cause(io));
            }
            // An io::Error's `source` skips the error it wraps; `get_ref` is that error.
            if let Some(inner) = io.get_ref() {
                cur = Some(inner);
            }
        }
    }
    None
}

/// The innermost cause of an error ("Connection refused (os error 111)"): the outer layers
/// only repeat the URL and the library's names.
fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cur = e;
    while let Some(s) = cur.source() {
        cur = s;
    }
    cur.to_string()
}

/// A server's error body, shortened: proxies answer with whole HTML pages.
fn short_body(body: &str) -> String {
    let t = body.trim();
    if t.is_empty() {
        String::new()
    } else {
        format!(" ({})", crate::model::text::printable(t, 120))
    }
}

impl RegistryStore {
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The manifest or index the reference resolved to.
    pub fn top_digest(&self) -> &Digest {
        &self.top
    }

    /// A transfer error, not `NotFound`: the blob is the image's, only out of reach (a
    /// manifest or config then is not reported as missing from the image).
    fn offline_error(&self, digest: &Digest) -> io::Error {
        super::transfer_error(format!(
            "{digest} is not in the cache and registry {} is unreachable",
            self.registry
        ))
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
        let (bytes, _) = self
            .rt
            .block_on(with_retries(self.timeout, || {
                self.client
                    .pull_manifest_raw(&by_digest, &self.auth, ACCEPT)
            }))
            .map_err(|f| match f {
                Failure::NotFound(m) => io::Error::other(format!(
                    "the registry has no manifest {digest} ({m}), which the index lists"
                )),
                other => io::Error::other(other.message().to_string()),
            })?;
        if Digest::of(&bytes) != *digest {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the registry sent a different manifest than {digest} (got {})",
                    Digest::of(&bytes)
                ),
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

    fn download(&self, digest: &Digest, size: Option<u64>) -> Download<'_> {
        Download {
            store: self,
            digest: digest.clone(),
            size,
            stream: None,
            chunk: bytes::Bytes::new(),
            skip: 0,
            offset: 0,
            failures: 0,
            writer: self.cache.as_ref().and_then(|c| c.blob_writer(digest).ok()),
        }
    }
}

/// A registry's answer that it has no such blob. It travels inside the `io::Error` so that a
/// reader can quote the registry rather than say the blob "is not in the image".
#[derive(Debug)]
pub(crate) struct RegistryMiss(String);

impl std::fmt::Display for RegistryMiss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RegistryMiss {}

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
        Ok((Box::new(self.download(&digest, size)), size.unwrap_or(0)))
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

    fn size(&self, name: &str) -> Option<u64> {
        self.sizes.lock().ok()?.get(&blob_digest(name)?).copied()
    }
}

/// The digest a `blobs/sha256/HEX` name stands for.
fn blob_digest(name: &str) -> Option<Digest> {
    name.strip_prefix("blobs/sha256/")
        .and_then(Digest::from_hex)
}

/// A blob streaming from the registry. Failures mid-stream are retried: the download
/// resumes at the byte it stopped at (HTTP Range), or restarts and skips what was already
/// delivered when the registry ignores ranges. What is delivered is also written to the cache,
/// which keeps it only if the whole blob matches its digest.
struct Download<'a> {
    store: &'a RegistryStore,
    digest: Digest,
    size: Option<u64>,
    stream: Option<BoxStream<'static, io::Result<bytes::Bytes>>>,
    chunk: bytes::Bytes,
    /// Bytes still to drop from a restarted (non-ranged) response.
    skip: u64,
    /// Bytes delivered so far.
    offset: u64,
    failures: u32,
    writer: Option<BlobWriter>,
}

impl Download<'_> {
    fn connect(&mut self) -> io::Result<()> {
        let store = self.store;
        let digest = self.digest.to_string();
        let offset = self.offset;
        let response = store.rt.block_on(with_retries(store.timeout, || {
            store
                .client
                .pull_blob_stream_partial(&store.reference, digest.as_str(), offset, None)
        }));
        match response {
            Ok(BlobResponse::Full(s)) => {
                self.skip = offset;
                self.stream = Some(s.stream);
            }
            Ok(BlobResponse::Partial(s)) => {
                self.skip = 0;
                self.stream = Some(s.stream);
            }
            Err(Failure::NotFound(m)) => {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    RegistryMiss(format!(
                        "registry {} has no blob {digest} ({m})",
                        store.registry
                    )),
                ))
            }
            Err(f) => {
                return Err(super::transfer_error(format!(
                    "download from {} failed: {}",
                    store.registry,
                    f.message()
                )))
            }
        }
        Ok(())
    }

    /// Drops the broken stream and waits before the next try, or gives up.
    fn failed(&mut self, reason: String) -> io::Result<()> {
        self.stream = None;
        self.failures += 1;
        if self.failures >= MAX_ATTEMPTS {
            return Err(super::transfer_error(format!(
                "download from {} failed after {} attempts at byte {}: {reason}",
                self.store.registry, self.failures, self.offset
            )));
        }
        std::thread::sleep(backoff(self.failures, &reason));
        Ok(())
    }

    /// Whether bytes follow the last one the manifest's size allows (checked once).
    fn sends_more(&mut self) -> bool {
        if !self.chunk.is_empty() {
            return true;
        }
        let timeout = self.store.timeout;
        while let Some(s) = self.stream.as_mut() {
            match self
                .store
                .rt
                .block_on(async { tokio::time::timeout(timeout, s.next()).await })
            {
                Ok(Some(Ok(bytes))) if bytes.is_empty() => continue,
                Ok(Some(Ok(_))) => return true,
                // The end, or a break after the last byte: the blob is whole.
                _ => break,
            }
        }
        self.stream = None;
        false
    }

    fn finish(&mut self) {
        if let Some(w) = self.writer.take() {
            // A blob that does not match is not kept; the reader's own digest check reports it.
            let _ = w.commit();
        }
    }
}

impl Read for Download<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let remaining = self
                .size
                .map_or(u64::MAX, |s| s.saturating_sub(self.offset));
            if remaining == 0 {
                // The manifest's size is the blob's: a registry that sends more is sending
                // another blob, whatever the digest of its first bytes says.
                if self.size.is_some() && self.sends_more() {
                    self.writer = None;
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "registry {} sent more than the {} bytes the manifest gives for {}",
                            self.store.registry, self.offset, self.digest
                        ),
                    ));
                }
                self.finish();
                return Ok(0);
            }
            if !self.chunk.is_empty() {
                let n = self.chunk.len().min(buf.len()).min(remaining as usize);
                let part = self.chunk.split_to(n);
                buf[..n].copy_from_slice(&part);
                self.offset += n as u64;
                if let Some(w) = &mut self.writer {
                    if w.write(&part).is_err() {
                        // A full or read-only cache never fails the load.
                        self.writer = None;
                    }
                }
                return Ok(n);
            }
            if self.stream.is_none() {
                self.connect()?;
            }
            let timeout = self.store.timeout;
            let next = match self.stream.as_mut() {
                Some(s) => self
                    .store
                    .rt
                    .block_on(async { tokio::time::timeout(timeout, s.next()).await }),
                None => continue,
            };
            match next {
                Ok(Some(Ok(mut bytes))) => {
                    if self.skip > 0 {
                        let drop = (self.skip as usize).min(bytes.len());
                        let _ = bytes.split_to(drop);
                        self.skip -= drop as u64;
                    }
                    self.chunk = bytes;
                }
                // A response that ends cleanly is the whole blob as the registry has it, even
                // shorter than the manifest says (a cut connection is an error, below): the
                // digest check then reports a blob that is not the one asked for.
                Ok(None) if self.skip == 0 => {
                    self.finish();
                    return Ok(0);
                }
                Ok(None) => self.failed(format!(
                    "a restarted download ended before byte {}",
                    self.offset
                ))?,
                Ok(Some(Err(e))) => self.failed(e.to_string())?,
                Err(_) => self.failed(format!("no data for {} s", timeout.as_secs()))?,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognised() {
        for h in [
            "127.0.0.1:5000",
            "localhost:5000",
            "localhost",
            "[::1]:5000",
            "127.0.0.2",
            "LOCALHOST:5000",
            "LocalHost",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "docker.io",
            "index.docker.io",
            "10.0.0.1:5000",
            "example.com:443",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    /// What a manifest request over HTTPS to `addr` fails with, classified.
    fn https_failure(addr: std::net::SocketAddr) -> Failure {
        install_crypto_provider();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let client = Client::new(ClientConfig {
            protocol: ClientProtocol::Https,
            connect_timeout: Some(Duration::from_secs(5)),
            ..Default::default()
        });
        let reference: Reference = format!("{addr}/app:v1").parse().expect("a reference");
        match rt.block_on(client.pull_manifest_raw(&reference, &RegistryAuth::Anonymous, ACCEPT)) {
            Ok(_) => panic!("{addr} answered over HTTPS"),
            Err(e) => classify(&e),
        }
    }

    /// A plain-HTTP server answers on 127.0.0.1 (loopback is plain HTTP anyway; the client
    /// here is made to speak HTTPS, as it does to any other host without --insecure).
    /// It reads the client's hello before it answers and closes: closing with the hello
    /// unread would send a reset, which the client may see before the answer or the end.
    fn plain_server(answer: &'static [u8]) -> std::net::SocketAddr {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let addr = listener.local_addr().expect("an address");
        std::thread::spawn(move || {
            for mut s in listener.incoming().flatten() {
                let _ = s.read(&mut [0u8; 16 * 1024]);
                let _ = s.write_all(answer);
            }
        });
        addr
    }

    #[test]
    fn a_host_that_answers_without_tls_is_an_error_naming_insecure_not_unreachable() {
        for answer in [
            &b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"[..],
            b"",
        ] {
            match https_failure(plain_server(answer)) {
                Failure::Other(m) => {
                    assert!(m.starts_with("TLS handshake failed ("), "{m}");
                    assert!(m.ends_with("use --insecure"), "{m}");
                }
                other => panic!("{:?}: {}", String::from_utf8_lossy(answer), other.message()),
            }
        }
        // Nothing listening: unreachable (a cached tag may stand in).
        let free = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a port");
        assert!(matches!(https_failure(free), Failure::Unreachable(_)));
    }

    #[test]
    fn backoff_grows_and_waits_longer_after_429() {
        assert_eq!(backoff(1, "reset"), Duration::from_millis(250));
        assert_eq!(backoff(3, "reset"), Duration::from_secs(1));
        assert_eq!(backoff(1, "HTTP 429"), Duration::from_secs(1));
    }
}
