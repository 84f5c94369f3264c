//! What went wrong talking to a registry, sorted once, from `oci_client`'s typed errors, into
//! the kind that decides what strata does next: try again (and how soon), stand in with the
//! cache, ask for credentials, or stop.
//!
//! The sorting looks at types only (HTTP status codes, OCI error codes, `io::ErrorKind`s,
//! rustls' own error), never at message text: a message is for the user and may change with
//! any library release. The text a `Failure` shows is kept beside its kind, in the words
//! strata has always used, so the user reads the same line as before.

use std::error::Error as StdError;
use std::fmt;
use std::io;

use oci_client::errors::{OciDistributionError, OciErrorCode};

/// What a failed request means to strata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Worth another try: a reset, a timeout, a 5xx answer.
    Transient,
    /// 429 Too Many Requests: worth another try, after a longer pause.
    RateLimited,
    /// No connection at all (refused, no such host, a host that takes none): a cached manifest
    /// may stand in.
    Unreachable,
    NotFound,
    Unauthorized,
    /// The host answered, but not with TLS (most often a plain-HTTP registry).
    Handshake,
    /// The host's TLS certificate was refused.
    Certificate,
    /// Anything else: shown as it is, never retried.
    Other,
}

impl Kind {
    /// Whether another try may go better.
    pub(super) fn retryable(self) -> bool {
        matches!(self, Kind::Transient | Kind::RateLimited)
    }
}

/// A failed request to a registry: its kind, and what to tell the user about it.
#[derive(Debug)]
pub(super) struct Failure {
    pub(super) kind: Kind,
    /// The HTTP status the registry answered with, where the answer is the failure.
    pub(super) status: Option<u16>,
    /// The registry's own words (a shortened body, OCI error codes) or the innermost cause of
    /// a connection failure; may be empty.
    pub(super) detail: String,
    /// How many tries were made before strata gave up; `None` when it did not retry.
    pub(super) gave_up_after: Option<u32>,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl Failure {
    pub(super) fn new(kind: Kind, detail: impl Into<String>) -> Failure {
        Failure {
            kind,
            status: None,
            detail: detail.into(),
            gave_up_after: None,
            source: None,
        }
    }

    fn answer(kind: Kind, status: u16, detail: impl Into<String>) -> Failure {
        Failure {
            status: Some(status),
            ..Failure::new(kind, detail)
        }
    }

    /// This failure, keeping the error it was sorted from.
    pub(super) fn caused_by(
        mut self,
        source: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Failure {
        self.source = Some(source.into());
        self
    }

    /// Sorts what `oci_client` returned.
    pub(super) fn classify(e: OciDistributionError) -> Failure {
        let failure = match &e {
            OciDistributionError::RequestError(r) => {
                // A connection that cannot be made, refused or timed out, is a registry that
                // cannot be reached (a cached tag then opens from the cache). A host that
                // answers but not with TLS strata accepts is reachable: that is an error to
                // show, never a reason to fall back to what the cache holds.
                if r.is_connect() {
                    tls_failure(r).unwrap_or_else(|| Failure::new(Kind::Unreachable, root_cause(r)))
                } else if r.is_timeout() {
                    Failure::new(Kind::Transient, "timed out")
                } else {
                    Failure::new(Kind::Transient, root_cause(r))
                }
            }
            OciDistributionError::ServerError { code, message, .. } => {
                let kind = match code {
                    429 => Kind::RateLimited,
                    500..=599 => Kind::Transient,
                    404 => Kind::NotFound,
                    401 | 403 => Kind::Unauthorized,
                    _ => Kind::Other,
                };
                Failure::answer(kind, *code, short_body(message))
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
                    Failure::new(Kind::NotFound, text)
                } else if has(OciErrorCode::Unauthorized) || has(OciErrorCode::Denied) {
                    Failure::new(Kind::Unauthorized, text)
                } else if has(OciErrorCode::Toomanyrequests) {
                    // The envelope hides the status; TOOMANYREQUESTS is only ever sent with 429.
                    Failure::answer(Kind::RateLimited, 429, text)
                } else {
                    Failure::new(Kind::Other, text)
                }
            }
            OciDistributionError::UnauthorizedError { .. } => {
                Failure::answer(Kind::Unauthorized, 401, "Unauthorized")
            }
            OciDistributionError::AuthenticationFailure(m) => Failure::new(
                Kind::Unauthorized,
                format!("token request failed{}", spaced(&short_body(m))),
            ),
            OciDistributionError::ImageManifestNotFoundError(m) => {
                Failure::new(Kind::NotFound, m.clone())
            }
            OciDistributionError::IoError(io) => Failure::new(Kind::Transient, io.to_string()),
            other => Failure::new(Kind::Other, other.to_string()),
        };
        failure.caused_by(e)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind, self.status) {
            (Kind::Handshake, _) => write!(
                f,
                "TLS handshake failed ({}); if the registry speaks plain HTTP, use --insecure",
                self.detail
            )?,
            (Kind::Certificate, _) => write!(f, "TLS handshake failed ({})", self.detail)?,
            (_, Some(status)) => write!(f, "HTTP {status}{}", spaced(&self.detail))?,
            (_, None) => f.write_str(&self.detail)?,
        }
        if let Some(n) = self.gave_up_after {
            write!(f, " (gave up after {n} attempts)")?;
        }
        Ok(())
    }
}

impl StdError for Failure {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// `text` after a space, or nothing when there is no text.
fn spaced(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!(" {text}")
    }
}

/// The TLS failure under a connection error: the host answered, but the handshake broke (a
/// plain-HTTP server answers with bytes that are no TLS record, or closes), or its
/// certificate was refused. rustls reports these as `InvalidData` / `UnexpectedEof` I/O
/// errors; a refused certificate carries rustls' own error inside.
fn tls_failure(e: &(dyn StdError + 'static)) -> Option<Failure> {
    let io = causes(e).find_map(|err| {
        err.downcast_ref::<io::Error>().filter(|io| {
            matches!(
                io.kind(),
                io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
            )
        })
    })?;
    let certificate = causes(io).any(|err| {
        matches!(
            err.downcast_ref::<rustls::Error>(),
            Some(
                rustls::Error::InvalidCertificate(_)
                    | rustls::Error::NoCertificatesPresented
                    | rustls::Error::InvalidCertRevocationList(_)
            )
        )
    });
    let kind = if certificate {
        Kind::Certificate
    } else {
        Kind::Handshake
    };
    Some(Failure::new(kind, root_cause(io)))
}

/// `e` and the errors under it, in order. An `io::Error`'s `source` skips the error it wraps;
/// `get_ref` is that error, so it comes next here.
fn causes<'a>(
    e: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> + 'a {
    std::iter::successors(Some(e), |err| next_cause(*err))
}

fn next_cause<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    match err.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
        Some(inner) => Some(inner),
        None => err.source(),
    }
}

/// The innermost cause of an error ("Connection refused (os error 111)"): the outer layers
/// only repeat the URL and the library's names.
fn root_cause(e: &dyn StdError) -> String {
    let mut cur = e;
    while let Some(s) = cur.source() {
        cur = s;
    }
    cur.to_string()
}

/// A server's error body, shortened and in parentheses: proxies answer with whole HTML pages.
fn short_body(body: &str) -> String {
    let t = body.trim();
    if t.is_empty() {
        String::new()
    } else {
        format!("({})", crate::model::text::printable(t, 120))
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpListener};
    use std::sync::Arc;
    use std::time::Duration;

    use oci_client::client::{ClientConfig, ClientProtocol};
    use oci_client::secrets::RegistryAuth;
    use oci_client::{Client, Reference};

    use super::*;

    /// What a manifest request over HTTPS to `addr` fails with, sorted.
    fn https_failure(addr: SocketAddr) -> Failure {
        super::super::open::install_crypto_provider();
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
        let auth = RegistryAuth::Anonymous;
        match rt.block_on(client.pull_manifest_raw(&reference, &auth, super::super::ACCEPT)) {
            Ok(_) => panic!("{addr} answered over HTTPS"),
            Err(e) => Failure::classify(e),
        }
    }

    /// A plain-HTTP server answers on 127.0.0.1 (the client here is made to speak HTTPS, as
    /// it does to any host that answers TLS or may not fall back to plain HTTP).
    /// It reads the client's hello before it answers and closes: closing with the hello
    /// unread would send a reset, which the client may see before the answer or the end.
    fn plain_server(answer: &'static [u8]) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        let addr = listener.local_addr().expect("an address");
        std::thread::spawn(move || {
            for mut s in listener.incoming().flatten() {
                let _ = s.read(&mut [0u8; 16 * 1024]);
                let _ = s.write_all(answer);
            }
        });
        addr
    }

    /// A throwaway self-signed certificate for `localhost` and its key, made for this test
    /// only: no client trusts it, which is the point.
    const UNTRUSTED_CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBfzCCASWgAwIBAgIUMqxgVfpiXc072zMXf5tE6+uzxLswCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwNjE5NDUyNVoYDzIxMjYxMTEy
MTk0NTI1WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASOk1eOug/37iMgTXVKDRsdxnJ9dgt999t3iW24MQiErpDbi52oKMFv
kA6lJ9pFND2CJRssnICo/lTR3Xpk6xxko1MwUTAdBgNVHQ4EFgQUKtsHBJRzroXv
PjSFWtMgMXmtflIwHwYDVR0jBBgwFoAUKtsHBJRzroXvPjSFWtMgMXmtflIwDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEAqk7OQwmxi5NrFUn8cmXM
iCUqU9cB3ZoPlLDKU+uK48gCIFx/2/K2xKWKI9JlolWcY1oKGiziHVsafNhq40lu
9trU
-----END CERTIFICATE-----
";
    const UNTRUSTED_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgtN/DNBRenxOR+RnG
kdh1+oe/K7Arys82gU9x3yv0YLOhRANCAASOk1eOug/37iMgTXVKDRsdxnJ9dgt9
99t3iW24MQiErpDbi52oKMFvkA6lJ9pFND2CJRssnICo/lTR3Xpk6xxk
-----END PRIVATE KEY-----
";

    /// A TLS server on 127.0.0.1 with a certificate no client trusts.
    fn untrusted_tls_server() -> SocketAddr {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        super::super::open::install_crypto_provider();
        let cert = CertificateDer::from_pem_slice(UNTRUSTED_CERT.as_bytes()).expect("a cert");
        let key = PrivateKeyDer::from_pem_slice(UNTRUSTED_KEY.as_bytes()).expect("a key");
        let config = Arc::new(
            rustls::ServerConfig::builder()
                .with_no_client_auth()
                .with_single_cert(vec![cert], key)
                .expect("a server config"),
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        let addr = listener.local_addr().expect("an address");
        std::thread::spawn(move || {
            for s in listener.incoming().flatten() {
                if let Ok(conn) = rustls::ServerConnection::new(config.clone()) {
                    let _ = rustls::StreamOwned::new(conn, s).read(&mut [0u8; 1024]);
                }
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
            let f = https_failure(plain_server(answer));
            assert_eq!(f.kind, Kind::Handshake, "{f}");
            let m = f.to_string();
            assert!(m.starts_with("TLS handshake failed ("), "{m}");
            assert!(m.ends_with("use --insecure"), "{m}");
        }
        // Nothing listening: unreachable (a cached tag may stand in).
        let free = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a port");
        assert_eq!(https_failure(free).kind, Kind::Unreachable);
    }

    #[test]
    fn a_refused_certificate_is_told_by_rustls_own_error_and_does_not_suggest_insecure() {
        let f = https_failure(untrusted_tls_server());
        assert_eq!(f.kind, Kind::Certificate, "{f}");
        let m = f.to_string();
        assert!(
            m.starts_with("TLS handshake failed (invalid peer certificate: "),
            "{m}"
        );
        assert!(!m.contains("--insecure"), "{m}");
    }

    #[test]
    fn answers_read_as_before() {
        let answer = |code, message: &str| {
            Failure::classify(OciDistributionError::ServerError {
                code,
                url: "http://r/v2/".into(),
                message: message.into(),
            })
        };
        let f = answer(500, "  oops ");
        assert_eq!(
            (f.kind, f.to_string()),
            (Kind::Transient, "HTTP 500 (oops)".into())
        );
        let f = answer(429, "");
        assert_eq!(
            (f.kind, f.to_string()),
            (Kind::RateLimited, "HTTP 429".into())
        );
        assert_eq!(answer(404, "").kind, Kind::NotFound);
        assert_eq!(answer(403, "").kind, Kind::Unauthorized);
        assert_eq!(answer(418, "").kind, Kind::Other);
        let f = Failure::classify(OciDistributionError::UnauthorizedError { url: "u".into() });
        assert_eq!(
            (f.kind, f.to_string()),
            (Kind::Unauthorized, "HTTP 401 Unauthorized".into())
        );
        let f = Failure::classify(OciDistributionError::AuthenticationFailure(String::new()));
        assert_eq!(f.to_string(), "token request failed");
        let envelope: oci_client::errors::OciEnvelope = serde_json::from_str(
            r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#,
        )
        .expect("an envelope");
        let f = Failure::classify(OciDistributionError::RegistryError {
            envelope,
            url: "u".into(),
        });
        assert_eq!(
            (f.kind, f.to_string()),
            (
                Kind::RateLimited,
                "HTTP 429 TOOMANYREQUESTS: slow down".into()
            )
        );
    }
}
