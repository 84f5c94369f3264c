//! How strata speaks to a registry, by docker's and podman's conventions: HTTPS first, to
//! every registry; plain HTTP only to a registry on loopback or named with `--insecure`, and
//! only when it does not answer TLS. `--insecure` also accepts a certificate that does not
//! verify. A registry's own CA is trusted, for that registry, from the directories docker and
//! podman read it from: `/etc/docker/certs.d/HOST[:PORT]/ca.crt` and
//! `/etc/containers/certs.d/HOST[:PORT]/*.crt` (every `*.crt` of both is read).
//!
//! Whether a registry answers TLS is asked once, before the first request, on a connection of
//! its own: strata sends rustls' ClientHello and looks at the first byte of the answer. A TLS
//! server answers with a TLS record (its hello, or an alert); a plain-HTTP server with text
//! (`HTTP/1.1 400 ...`), or it closes. Letting the real request fail and then falling back
//! would hang instead: Go's HTTP servers (docker-registry's among them) read a request line up
//! to its line end before they answer anything, rustls' hello most often holds no line end
//! byte, and the handshake would then wait for the connect timeout. The hello is followed by an empty
//! line for that reason; a TLS server answers the hello before it reads on.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::Client;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::model::error::{Error, Result};

/// Where podman and docker keep registries' own CA certificates, one directory per registry.
const CERTS_DIRS: [&str; 2] = ["/etc/containers/certs.d", "/etc/docker/certs.d"];

/// A `:`-separated list of directories read instead of `CERTS_DIRS`.
const CERTS_DIRS_ENV: &str = "STRATA_CERTS_DIRS";

/// A CA file larger than this is refused (a bundle of every public CA is ~0.2 MiB).
const MAX_CA_FILE: u64 = 4 << 20;

/// The clients for one registry, and which of them it is spoken to with.
pub(super) struct Transport {
    /// `host[:port]`, as the reference names the registry.
    host: String,
    https: Client,
    /// For a registry on loopback or named with `--insecure`: a client speaking plain HTTP to
    /// it, used when it does not answer TLS.
    plain: Option<Client>,
    /// Whether the registry speaks plain HTTP, found out at the first request.
    speaks_plain: OnceLock<bool>,
    /// Certificates are not verified (`--insecure`).
    unverified: bool,
    /// How long finding out whether the registry answers TLS may take.
    wait: Duration,
}

impl Transport {
    /// The clients for `host`, built from `base` (timeouts, user agent) with the protocol and
    /// the trust filled in. `wait` bounds the question whether the registry answers TLS.
    pub(super) fn new(
        host: &str,
        insecure: bool,
        wait: Duration,
        base: impl Fn() -> ClientConfig,
    ) -> Result<Transport> {
        let fail = |reason: String| Error::Registry {
            registry: host.to_string(),
            reason,
        };
        // An insecure registry's certificate is not verified at all, so no CA is read for it.
        let own_cas = if insecure {
            Vec::new()
        } else {
            own_cas(host, &certs_dirs()).map_err(fail)?
        };
        let build = |protocol: ClientProtocol| {
            let config = ClientConfig {
                protocol,
                accept_invalid_certificates: insecure,
                extra_root_certificates: own_cas
                    .iter()
                    .map(|der| Certificate {
                        encoding: CertificateEncoding::Der,
                        data: der.to_vec(),
                    })
                    .collect(),
                ..base()
            };
            // Not `Client::new`: it would quietly use a default client (no CA of the
            // registry's own, certificates verified) when this config cannot be used.
            Client::try_from(config).map_err(|e| fail(format!("cannot set up its client ({e})")))
        };
        let plain = if insecure || is_loopback(host) {
            Some(build(ClientProtocol::HttpsExcept(vec![host.to_string()]))?)
        } else {
            None
        };
        Ok(Transport {
            host: host.to_string(),
            https: build(ClientProtocol::Https)?,
            plain,
            speaks_plain: OnceLock::new(),
            unverified: insecure,
            wait,
        })
    }

    /// The client to speak to the registry with. The first call may ask the registry whether
    /// it answers TLS (blocking, at most about twice `wait`): call it outside the runtime.
    pub(super) fn client(&self) -> &Client {
        match &self.plain {
            Some(plain) if self.speaks_plain() => plain,
            _ => &self.https,
        }
    }

    /// Whether requests go over TLS whose certificate is not verified (`--insecure`).
    pub(super) fn unverified_tls(&self) -> bool {
        self.unverified && !self.speaks_plain()
    }

    /// The registry's `host:port`, with the port its scheme implies when it names none.
    pub(super) fn address(&self) -> String {
        match split_port(&self.host) {
            (_, Some(_)) => self.host.clone(),
            (name, None) => format!("{name}:{}", if self.speaks_plain() { 80 } else { 443 }),
        }
    }

    fn speaks_plain(&self) -> bool {
        self.plain.is_some()
            && *self.speaks_plain.get_or_init(|| {
                let (name, port) = split_port(&self.host);
                plain_http(probe(name, port.unwrap_or(443), self.wait), port.is_some())
            })
    }
}

/// What the registry's port answered to a TLS ClientHello.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Peer {
    /// A TLS record: it speaks TLS.
    Tls,
    /// Text, or it closed: it does not.
    Plain,
    /// Nothing within the wait: it cannot be told.
    Silent,
    /// No connection could be made.
    Unreachable,
}

/// Whether a registry that may be spoken to in plain HTTP is, given what its HTTPS port
/// answered. Without a port of its own, plain HTTP is another port (80, not 443): a registry
/// that takes no connection on 443 gets asked there, as docker does.
fn plain_http(peer: Peer, has_port: bool) -> bool {
    match peer {
        Peer::Plain => true,
        Peer::Unreachable => !has_port,
        // A TLS server, or one that cannot be told: HTTPS, whose errors then say what is wrong.
        Peer::Tls | Peer::Silent => false,
    }
}

/// Sends a TLS ClientHello (and an empty line) to `name:port` and sorts the answer.
fn probe(name: &str, port: u16, wait: Duration) -> Peer {
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    let Ok(addresses) = (bare, port).to_socket_addrs() else {
        return Peer::Unreachable;
    };
    let Some(mut stream) = addresses
        .into_iter()
        .find_map(|a| TcpStream::connect_timeout(&a, wait).ok())
    else {
        return Peer::Unreachable;
    };
    let Some(hello) = client_hello(bare) else {
        return Peer::Silent;
    };
    if stream.set_read_timeout(Some(wait)).is_err()
        || stream.set_write_timeout(Some(wait)).is_err()
        || stream.write_all(&hello).is_err()
        || stream.write_all(b"\r\n\r\n").is_err()
    {
        return Peer::Silent;
    }
    let mut first = [0u8; 1];
    match stream.read(&mut first) {
        // change_cipher_spec, alert, handshake, application_data.
        Ok(1) if (0x14..=0x17).contains(&first[0]) => Peer::Tls,
        Ok(_) => Peer::Plain,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            Peer::Silent
        }
        // Reset: a plain server that answered and closed with the empty line unread.
        Err(_) => Peer::Plain,
    }
}

/// The first bytes rustls sends to `server`: its ClientHello record.
fn client_hello(server: &str) -> Option<Vec<u8>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let name = ServerName::try_from(server.to_string()).ok()?;
    let mut connection = rustls::ClientConnection::new(Arc::new(config), name).ok()?;
    let mut hello = Vec::new();
    connection.write_tls(&mut hello).ok()?;
    Some(hello)
}

/// `host` and its port, if it names one.
fn split_port(host: &str) -> (&str, Option<u16>) {
    match host.rsplit_once(':') {
        Some((name, port)) if !name.is_empty() && !name.ends_with(':') => match port.parse() {
            Ok(port) => (name, Some(port)),
            Err(_) => (host, None),
        },
        _ => (host, None),
    }
}

/// Whether `host[:port]` is on loopback: `localhost`, 127.0.0.0/8 or `::1`.
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

/// The directories whose `HOST[:PORT]` subdirectories hold registries' own CA certificates:
/// `$STRATA_CERTS_DIRS` (`:`-separated) when set, else podman's and docker's.
fn certs_dirs() -> Vec<PathBuf> {
    match std::env::var_os(CERTS_DIRS_ENV) {
        Some(dirs) => std::env::split_paths(&dirs)
            .filter(|d| !d.as_os_str().is_empty())
            .collect(),
        None => CERTS_DIRS.iter().map(PathBuf::from).collect(),
    }
}

/// Where a CA of `host`'s own would be trusted from, for an error that a certificate did not
/// verify; `None` when no certs directory is read.
pub(super) fn own_ca_hint(host: &str) -> Option<String> {
    let places = certs_dirs()
        .iter()
        .map(|d| d.join(host).join("*.crt").display().to_string())
        .collect::<Vec<_>>();
    (!places.is_empty()).then(|| {
        format!(
            "a CA of the registry's own is trusted from {}",
            places.join(" or ")
        )
    })
}

/// The CA certificates of `host`'s own: those of every `*.crt` file in `DIR/HOST` of each of
/// `dirs`, in name order. A directory that does not exist holds none; a file that cannot be
/// used is an error naming it.
fn own_cas(
    host: &str,
    dirs: &[PathBuf],
) -> std::result::Result<Vec<CertificateDer<'static>>, String> {
    let mut cas = Vec::new();
    for dir in dirs {
        let dir = dir.join(host);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("cannot read {} ({e})", dir.display())),
        };
        let mut files = entries
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "crt"))
            .collect::<Vec<_>>();
        files.sort();
        for file in files {
            let certs = read_cas(&file)
                .map_err(|why| format!("CA certificate {}: {why}", file.display()))?;
            cas.extend(certs);
        }
    }
    Ok(cas)
}

/// The certificates of one PEM file, each checked to be one a TLS client can trust.
fn read_cas(file: &Path) -> std::result::Result<Vec<CertificateDer<'static>>, String> {
    let meta = std::fs::metadata(file).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_CA_FILE {
        return Err(format!("larger than {} MiB", MAX_CA_FILE >> 20));
    }
    let bytes = std::fs::read(file).map_err(|e| e.to_string())?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| format!("not PEM ({e})"))?;
    if certs.is_empty() {
        return Err("no PEM certificate in it".into());
    }
    let count = certs.len();
    for (i, cert) in certs.iter().enumerate() {
        rustls::RootCertStore::empty()
            .add(cert.clone())
            .map_err(|e| match count {
                1 => format!("its certificate does not parse ({e})"),
                _ => format!("certificate {} of {count} does not parse ({e})", i + 1),
            })?;
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

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

    #[test]
    fn ports_are_split_off_hosts() {
        assert_eq!(split_port("127.0.0.1:5000"), ("127.0.0.1", Some(5000)));
        assert_eq!(split_port("[::1]:5000"), ("[::1]", Some(5000)));
        assert_eq!(split_port("registry.example"), ("registry.example", None));
        assert_eq!(split_port("host:99999"), ("host:99999", None));
        assert_eq!(split_port("host:"), ("host:", None));
    }

    /// A server on loopback that, like Go's HTTP servers, answers only once it has read an
    /// empty line, and then in HTTP.
    fn line_reading_http_server() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        let port = listener.local_addr().expect("an address").port();
        std::thread::spawn(move || {
            for mut s in listener.incoming().flatten() {
                let mut seen = Vec::new();
                let mut byte = [0u8; 1];
                while !seen.ends_with(b"\r\n\r\n") {
                    match s.read(&mut byte) {
                        Ok(1) => seen.push(byte[0]),
                        _ => break,
                    }
                }
                let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            }
        });
        port
    }

    /// A TLS server on loopback with a self-signed certificate for `localhost`.
    fn tls_server() -> u16 {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("a cert");
        let key = rustls::pki_types::PrivateKeyDer::try_from(made.signing_key.serialize_der())
            .expect("a key");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_no_client_auth()
                .with_single_cert(vec![made.cert.der().clone()], key)
                .expect("a server config"),
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        let port = listener.local_addr().expect("an address").port();
        std::thread::spawn(move || {
            for s in listener.incoming().flatten() {
                if let Ok(conn) = rustls::ServerConnection::new(config.clone()) {
                    let _ = rustls::StreamOwned::new(conn, s).read(&mut [0u8; 1024]);
                }
            }
        });
        port
    }

    const WAIT: Duration = Duration::from_secs(10);

    #[test]
    fn a_tls_server_and_a_plain_http_server_are_told_apart() {
        // Many times: whether rustls' hello happens to hold a line end is chance.
        let plain = line_reading_http_server();
        let tls = tls_server();
        for _ in 0..20 {
            assert_eq!(probe("127.0.0.1", plain, WAIT), Peer::Plain);
            assert_eq!(probe("localhost", tls, WAIT), Peer::Tls);
            assert_eq!(probe("127.0.0.1", tls, WAIT), Peer::Tls);
        }
        let free = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a port")
            .port();
        assert_eq!(probe("127.0.0.1", free, WAIT), Peer::Unreachable);
    }

    #[test]
    fn plain_http_only_where_the_registry_does_not_answer_tls() {
        assert!(plain_http(Peer::Plain, true));
        assert!(!plain_http(Peer::Tls, true));
        assert!(!plain_http(Peer::Silent, false));
        // No port: 443 taking no connection says nothing about port 80.
        assert!(plain_http(Peer::Unreachable, false));
        assert!(!plain_http(Peer::Unreachable, true));
    }

    fn pem_of(der: &[u8]) -> String {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n")
    }

    #[test]
    fn a_registrys_own_cas_are_read_from_every_crt_in_its_directories() {
        let ca = rcgen::generate_simple_self_signed(vec!["ca.test".into()]).expect("a cert");
        let pem = ca.cert.pem();
        let base = tempfile::tempdir().expect("a dir");
        let (podman, docker) = (base.path().join("containers"), base.path().join("docker"));
        for d in [&podman, &docker] {
            std::fs::create_dir_all(d.join("reg.test:5000")).expect("a dir");
        }
        std::fs::write(docker.join("reg.test:5000/ca.crt"), &pem).expect("written");
        std::fs::write(podman.join("reg.test:5000/a.crt"), format!("{pem}{pem}")).expect("written");
        // Client certificates and keys sit beside CAs; they are no CA.
        std::fs::write(podman.join("reg.test:5000/client.cert"), "junk").expect("written");
        std::fs::write(podman.join("reg.test:5000/client.key"), "junk").expect("written");
        let dirs = [podman.clone(), docker.clone(), base.path().join("missing")];
        let cas = own_cas("reg.test:5000", &dirs).expect("read");
        assert_eq!(cas.len(), 3);
        assert!(cas.iter().all(|c| c.as_ref() == ca.cert.der().as_ref()));
        // Another registry's directory holds none.
        assert!(own_cas("reg.test", &dirs).expect("read").is_empty());

        let bad = podman.join("reg.test:5000/b.crt");
        for (content, why) in [
            (
                "no certificate here\n".to_string(),
                "no PEM certificate in it",
            ),
            (pem_of(b"not DER"), "its certificate does not parse ("),
            (
                format!("{pem}{}", pem_of(b"not DER")),
                "certificate 2 of 2 does not parse (",
            ),
        ] {
            std::fs::write(&bad, content).expect("written");
            let e = own_cas("reg.test:5000", &dirs).expect_err("refused");
            assert!(
                e.starts_with(&format!("CA certificate {}: {why}", bad.display())),
                "{e}"
            );
        }
        std::fs::remove_file(&bad).expect("removed");
        std::fs::create_dir(&bad).expect("a dir");
        let e = own_cas("reg.test:5000", &dirs).expect_err("refused");
        assert!(e.ends_with("b.crt: not a regular file"), "{e}");
    }
}
