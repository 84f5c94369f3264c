//! Opening a registry image: the clients (see `tls`: HTTPS first, plain HTTP only to a
//! loopback or `--insecure` registry that does not answer TLS), the credentials, the tag
//! resolved to its manifest, and the store built around it.
//!
//! This is the only step that may fall back to the cache when the registry cannot be reached:
//! the manifest a tag pointed to last time stands in, with a notice saying how old it is, and
//! the store then never asks the network again. Every other failure here becomes the user's
//! error in the words of `model::error::Error`, naming the registry and what to do.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use oci_client::client::ClientConfig;
use oci_client::manifest;
use oci_client::secrets::RegistryAuth;
use oci_client::Reference;

use super::failure::{Failure, Kind};
use super::retry::Policy;
use super::tls::{self, Transport};
use super::{RegistryStore, ACCEPT, DEFAULT_TIMEOUT};
use crate::blob::store::BlobStore;
use crate::model::digest::Digest;
use crate::model::error::{Error, Result};
use crate::source::{credentials, SourceOptions};

/// Opens `name` (docker-style: `nginx:alpine`, `host:port/ns/app@sha256:...`) in its registry.
/// Returns the store and notices for the user (e.g. "working from the cache"). `engines`: what
/// the local engines said of a bare name, asked first; an answer that the image may not be in
/// the registry (unreachable, not found, credentials needed and none found) says it too.
pub fn open(
    name: &str,
    opts: &SourceOptions,
    cache: Option<BlobStore>,
    engines: Option<&str>,
) -> Result<(RegistryStore, Vec<String>)> {
    let reference = super::docker_ref::parse(name).map_err(|e| Error::Unsupported {
        reason: format!("not a valid image reference ({e})"),
    })?;
    let registry = reference.registry().to_string();
    let host = reference.resolve_registry().to_string();
    let timeout = opts.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let policy = Policy::new(timeout);
    // Shorter than the whole try's `timeout`, so that a host that never answers is a
    // connect failure (unreachable: the cache may stand in), not a slow answer.
    let connect_timeout = timeout.mul_f64(0.8).min(Duration::from_secs(10));
    install_crypto_provider();
    let transport = Transport::new(&host, opts.insecure, connect_timeout, || ClientConfig {
        platform_resolver: None,
        connect_timeout: Some(connect_timeout),
        read_timeout: Some(timeout),
        user_agent: concat!("strata/", env!("CARGO_PKG_VERSION")),
        ..Default::default()
    })?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Open)?;
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
            // Asks the registry whether it answers TLS, where that decides (not in the runtime).
            let client = transport.client();
            let address = transport.address();
            let fetched = rt.block_on(policy.run(Some(&address), || {
                client.pull_manifest_raw(&reference, &auth, ACCEPT)
            }));
            match fetched {
                Ok((bytes, digest)) => {
                    let d = checked_digest(&bytes, &digest, &host)?;
                    if transport.unverified_tls() {
                        notices.push(format!(
                            "not verifying the TLS certificate of {host} (--insecure)"
                        ));
                    }
                    if let Some(c) = &cache {
                        let _ = c.put_blob(&d, &bytes);
                        if pinned.is_none() {
                            let _ = c.put_ref(&key, &d);
                        }
                    }
                    (d, bytes.to_vec(), false)
                }
                Err(f) if f.kind == Kind::Unreachable => {
                    let cached = cache.as_ref().and_then(|c| {
                        let (d, when) = c.get_ref(&key)?;
                        Some((d.clone(), c.read_blob(&d)?, when))
                    });
                    let Some((d, bytes, when)) = cached else {
                        let e = Error::Registry {
                            registry: host,
                            reason: format!("cannot connect ({f})"),
                        };
                        return Err(not_local_either(e, engines));
                    };
                    notices.push(format!(
                        "registry {host} is unreachable ({f}); using the manifest of {key} cached {}",
                        age(when)
                    ));
                    (d, bytes, true)
                }
                Err(f) => {
                    let absent = f.kind == Kind::NotFound
                        || (f.kind == Kind::Unauthorized && found.is_none());
                    let e = manifest_error(&registry, &reference, f, found.as_ref());
                    return Err(if absent {
                        not_local_either(e, engines)
                    } else {
                        e
                    });
                }
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
            transport,
            auth,
            reference,
            registry: host,
            index_json,
            top,
            top_bytes,
            manifests: Mutex::new(HashSet::new()),
            sizes: Mutex::new(HashMap::new()),
            cache,
            policy,
            offline,
            ranges_ignored: Default::default(),
        },
        notices,
    ))
}

/// `e`, and what the local engines said of the name, when they were asked.
fn not_local_either(e: Error, engines: Option<&str>) -> Error {
    match engines {
        Some(engines) => Error::NotLocal {
            registry: Box::new(e),
            engines: engines.to_string(),
        },
        None => e,
    }
}

/// The digest of the manifest the registry sent, which must be the one it named.
fn checked_digest(bytes: &[u8], named: &str, host: &str) -> Result<Digest> {
    let actual = Digest::of(bytes);
    match Digest::parse(named) {
        Some(named) if named == actual => Ok(actual),
        Some(named) => Err(Error::DigestMismatch {
            what: "manifest".into(),
            expected: named,
            actual,
        }),
        None => Err(Error::Registry {
            registry: host.into(),
            reason: format!(
                "it named the manifest {}, which is not a sha256 digest",
                crate::model::text::printable(named, 100)
            ),
        }),
    }
}

/// rustls needs one process-wide crypto provider; ring is the one built in.
pub(super) fn install_crypto_provider() {
    // An error means one is installed already, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
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

/// The user's error when the reference's own manifest could not be fetched.
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
    let registry = registry.to_string();
    match failure.kind {
        Kind::NotFound => Error::Registry {
            registry,
            reason: format!(
                "{what} not found in repository {} ({failure})",
                reference.repository()
            ),
        },
        Kind::Unauthorized => Error::Auth {
            reason: match found {
                Some(f) => format!("refused the credentials from {} ({failure})", f.from),
                None => format!(
                    "requires credentials and none were found ({failure}; the repository may also not exist)"
                ),
            },
            registry,
        },
        Kind::RateLimited => Error::RateLimited {
            registry,
            answer: failure.detail,
            attempts: failure.gave_up_after.unwrap_or(1),
        },
        Kind::Certificate => Error::Registry {
            reason: match tls::own_ca_hint(reference.resolve_registry()) {
                Some(hint) => format!("{failure}; {hint}"),
                None => failure.to_string(),
            },
            registry,
        },
        _ => Error::Registry {
            registry,
            reason: failure.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registry_that_keeps_answering_429_is_rate_limited_in_the_words_of_before() {
        let reference: Reference = "127.0.0.1:5000/app:v1".parse().expect("a reference");
        for (body, line) in [
            ("", "registry r: HTTP 429 (gave up after 4 attempts)"),
            (
                "slow down",
                "registry r: HTTP 429 (slow down) (gave up after 4 attempts)",
            ),
        ] {
            let mut tries = super::super::retry::Tries::default();
            let failure = loop {
                let answer = oci_client::errors::OciDistributionError::ServerError {
                    code: 429,
                    url: "http://127.0.0.1:5000/v2/app/manifests/v1".into(),
                    message: body.into(),
                };
                if let Err(f) = tries.failed(Failure::classify(answer)) {
                    break f;
                }
            };
            let e = manifest_error("r", &reference, failure, None);
            assert!(matches!(e, Error::RateLimited { attempts: 4, .. }), "{e:?}");
            assert_eq!(e.to_string(), line);
        }
    }
}
