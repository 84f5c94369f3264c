//! A real registry on loopback for tests (Debian's `docker-registry`, distribution 2.x), with
//! optional htpasswd basic auth, images pushed with skopeo, and a fault-injecting HTTP proxy
//! that can stand in front of it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `docker-registry serve`, stopped when dropped.
pub struct Registry {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on 127.0.0.1:{port} after 20 s");
}

/// A CA made for one test, and a server certificate it signed for `127.0.0.1` and
/// `localhost`, as PEM files in a directory of their own.
pub struct TestCa {
    dir: tempfile::TempDir,
}

impl TestCa {
    pub fn new() -> TestCa {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "strata test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);

        let mut server =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
        server
            .distinguished_name
            .push(DnType::CommonName, "strata test registry");
        server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server.use_authority_key_identifier_extension = true;
        let server_key = KeyPair::generate().unwrap();
        let server_cert = server.signed_by(&server_key, &issuer).unwrap();

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.crt"), ca_cert.pem()).unwrap();
        std::fs::write(dir.path().join("server.crt"), server_cert.pem()).unwrap();
        std::fs::write(dir.path().join("server.key"), server_key.serialize_pem()).unwrap();
        TestCa { dir }
    }

    /// The CA's certificate (PEM), what a client trusts.
    pub fn ca_pem(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("ca.crt")).unwrap()
    }

    fn server_files(&self) -> (std::path::PathBuf, std::path::PathBuf) {
        (
            self.dir.path().join("server.crt"),
            self.dir.path().join("server.key"),
        )
    }
}

impl Registry {
    /// Starts a registry; with `user`, every request needs that user's basic auth.
    pub fn start(user: Option<(&str, &str)>) -> Registry {
        Registry::start_with(user, None)
    }

    /// Starts a registry that speaks only TLS, with a certificate `ca` signed.
    pub fn start_tls(ca: &TestCa) -> Registry {
        Registry::start_with(None, Some(ca))
    }

    fn start_with(user: Option<(&str, &str)>, tls: Option<&TestCa>) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        );
        if let Some(ca) = tls {
            let (cert, key) = ca.server_files();
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                cert.display(),
                key.display()
            ));
        }
        if let Some((name, password)) = user {
            let hash = bcrypt::hash(password, 5).unwrap();
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, format!("{name}:{hash}\n")).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: strata-test\n    path: {}\n",
                file.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("docker-registry is required (the test command installs it): {e}")
            });
        wait_for_port(port);
        Registry { port, dir, child }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Pushes `source` (a skopeo source like `docker-archive:PATH`) as `name:tag`.
    pub fn push(&self, source: &str, name: &str, extra: &[&str]) -> String {
        let dest = format!("docker://{}/{name}", self.host());
        let mut args = vec!["copy", "--quiet", "--dest-tls-verify=false"];
        args.extend_from_slice(extra);
        args.push(source);
        args.push(&dest);
        super::run_tool("skopeo", &args);
        format!("{}/{name}", self.host())
    }

    /// Uploads an OCI layout's blobs and manifest as they are, with the registry API (skopeo
    /// would compress uncompressed layers on the way).
    pub fn push_layout_as_is(&self, files: &[(String, Vec<u8>)], name: &str, tag: &str) -> String {
        let index = files.iter().find(|(n, _)| n == "index.json").unwrap();
        let index: serde_json::Value = serde_json::from_slice(&index.1).unwrap();
        let manifest_digest = index["manifests"][0]["digest"].as_str().unwrap();
        let blob = |digest: &str| {
            let hex = digest.trim_start_matches("sha256:");
            &files
                .iter()
                .find(|(n, _)| *n == format!("blobs/sha256/{hex}"))
                .unwrap()
                .1
        };
        let manifest = blob(manifest_digest);
        let m: serde_json::Value = serde_json::from_slice(manifest).unwrap();
        let mut digests = vec![m["config"]["digest"].as_str().unwrap().to_string()];
        for l in m["layers"].as_array().unwrap() {
            digests.push(l["digest"].as_str().unwrap().to_string());
        }
        for d in &digests {
            let start = Command::new("curl")
                .args(["-sS", "-D", "-", "-o", "/dev/null", "-X", "POST"])
                .arg(format!("http://{}/v2/{name}/blobs/uploads/", self.host()))
                .output()
                .unwrap();
            let head = String::from_utf8_lossy(&start.stdout).into_owned();
            let location = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("Location: ")
                        .or_else(|| l.strip_prefix("location: "))
                })
                .unwrap_or_else(|| panic!("no upload location: {head}"))
                .trim()
                .to_string();
            let sep = if location.contains('?') { '&' } else { '?' };
            let url = if location.starts_with("http") {
                location.clone()
            } else {
                format!("http://{}{location}", self.host())
            };
            self.put(
                blob(d),
                "application/octet-stream",
                &format!("{url}{sep}digest={d}"),
            );
        }
        self.put(
            manifest,
            "application/vnd.oci.image.manifest.v1+json",
            &format!("http://{}/v2/{name}/manifests/{tag}", self.host()),
        );
        format!("{}/{name}:{tag}", self.host())
    }

    /// `PUT`s `body` to `url` with curl.
    fn put(&self, body: &[u8], content_type: &str, url: &str) {
        let file = self.dir.path().join("upload");
        std::fs::write(&file, body).unwrap();
        super::run_tool(
            "curl",
            &[
                "-sSf",
                "-X",
                "PUT",
                "-H",
                &format!("Content-Type: {content_type}"),
                "--data-binary",
                &format!("@{}", file.display()),
                url,
            ],
        );
    }

    /// The raw manifest of an image, as the registry serves it.
    pub fn manifest(&self, name: &str, creds: Option<&str>) -> serde_json::Value {
        let reference = format!("docker://{}/{name}", self.host());
        let mut args = vec!["inspect", "--raw", "--tls-verify=false"];
        if let Some(c) = creds {
            args.push("--creds");
            args.push(c);
        }
        args.push(&reference);
        let out = Command::new("skopeo").args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the proxy does to blob downloads (`GET .../blobs/sha256:...`).
#[derive(Clone, Debug)]
pub enum Fault {
    /// Pass everything through.
    None,
    /// The first blob response stops after half its body and the connection closes.
    CutOnce,
    /// The first blob request gets `503 Service Unavailable`.
    Status503Once,
    /// The first blob request gets `429 Too Many Requests` with `Retry-After: 1`.
    Status429Once,
    /// Every blob request answers 500.
    Status500Always,
    /// Every blob request answers 429 with `Retry-After` this many seconds.
    Status429Always(u64),
    /// The first blob response sends half its body, then goes silent for this long.
    StallOnce(Duration),
    /// Every response for this digest has one byte flipped in the middle.
    Corrupt(String),
    /// Every response for this digest has 16 bytes more than the blob (Content-Length too).
    Longer(String),
    /// Every request for this digest gets the body of that other digest instead.
    Swap(String, String),
    /// Blob requests from the nth on (counting from 0) go upstream without their `Range`
    /// header, so the answer is `200` with the whole blob, as from a registry that ignores
    /// ranges.
    IgnoreRangeFrom(usize),
    /// Docker Hub's scheme: `/v2/` requests without `Authorization: Bearer <token>` get 401
    /// with a `WWW-Authenticate: Bearer realm=...` challenge; the realm (this proxy's
    /// `/token`) hands out the token to anyone asking for `repository:NAME:pull`.
    BearerToken(String),
}

/// An HTTP/1.1 proxy on loopback in front of a registry, injecting one fault.
pub struct Proxy {
    pub port: u16,
    /// How many blob requests it has seen.
    pub blob_requests: Arc<AtomicUsize>,
    /// The Range headers blob requests carried.
    pub ranges: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    pub fn start(upstream: u16, fault: Fault) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let blob_requests = Arc::new(AtomicUsize::new(0));
        let ranges = Arc::new(Mutex::new(Vec::new()));
        let (count, seen) = (blob_requests.clone(), ranges.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (fault, count, seen) = (fault.clone(), count.clone(), seen.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, upstream, &fault, &count, &seen);
                });
            }
        });
        Proxy {
            port,
            blob_requests,
            ranges,
        }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// Reads one request head (GETs and HEADs carry no body here).
fn read_head(conn: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// Splits a response into its head and body (upstream closes after one response).
fn split_response(raw: &[u8]) -> (String, Vec<u8>) {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(raw.len(), |p| p + 4);
    (
        String::from_utf8_lossy(&raw[..end]).into_owned(),
        raw[end..].to_vec(),
    )
}

fn fetch(upstream: u16, head: &str) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    let mut lines: Vec<&str> = head
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    lines.push("Connection: close");
    up.write_all((lines.join("\r\n") + "\r\n\r\n").as_bytes())?;
    let mut raw = Vec::new();
    up.read_to_end(&mut raw)?;
    Ok(raw)
}

fn serve(
    mut conn: TcpStream,
    upstream: u16,
    fault: &Fault,
    count: &AtomicUsize,
    seen: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    // One request per connection: the answer always says `Connection: close`.
    let Some(mut head) = read_head(&mut conn) else {
        return Ok(());
    };
    let request_line = head.lines().next().unwrap_or_default().to_string();
    let is_blob = request_line.starts_with("GET ") && request_line.contains("/blobs/sha256:");
    let nth = if is_blob {
        if let Some(range) = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("range:"))
        {
            seen.lock().unwrap().push(range.to_string());
        }
        count.fetch_add(1, Ordering::SeqCst)
    } else {
        usize::MAX
    };
    if let Fault::BearerToken(token) = fault {
        let path = request_line.split(' ').nth(1).unwrap_or_default();
        if path.starts_with("/token?") {
            let body = if path.contains("scope=repository%3A") || path.contains("scope=repository:")
            {
                format!("{{\"token\":\"{token}\"}}")
            } else {
                String::new()
            };
            let status = if body.is_empty() {
                "400 Bad Request"
            } else {
                "200 OK"
            };
            conn.write_all(
                format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
                    .as_bytes(),
            )?;
            return Ok(());
        }
        let authorized = head
            .lines()
            .any(|l| l.eq_ignore_ascii_case(&format!("authorization: Bearer {token}")));
        if !authorized {
            let port = conn.local_addr()?.port();
            conn.write_all(
                format!("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"strata-test\"\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}")
                    .as_bytes(),
            )?;
            return Ok(());
        }
        head = head
            .lines()
            .filter(|l| !l.to_ascii_lowercase().starts_with("authorization:"))
            .map(|l| format!("{l}\r\n"))
            .collect::<String>()
            + "\r\n";
    }
    let status_only = |conn: &mut TcpStream, status: &str, extra: &str| {
        let _ = conn.write_all(
            format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n{extra}Connection: close\r\n\r\n")
                .as_bytes(),
        );
    };
    match fault {
        Fault::Status503Once if nth == 0 => {
            status_only(&mut conn, "503 Service Unavailable", "");
            return Ok(());
        }
        Fault::Status429Once if nth == 0 => {
            status_only(&mut conn, "429 Too Many Requests", "Retry-After: 1\r\n");
            return Ok(());
        }
        Fault::Status500Always if is_blob => {
            status_only(&mut conn, "500 Internal Server Error", "");
            return Ok(());
        }
        Fault::Status429Always(secs) if is_blob => {
            status_only(
                &mut conn,
                "429 Too Many Requests",
                &format!("Retry-After: {secs}\r\n"),
            );
            return Ok(());
        }
        Fault::Swap(wanted, other) if is_blob && request_line.contains(wanted.as_str()) => {
            head = head.replace(wanted.as_str(), other);
        }
        Fault::IgnoreRangeFrom(first) if is_blob && nth >= *first => {
            head = head
                .split("\r\n")
                .filter(|l| !l.to_ascii_lowercase().starts_with("range:"))
                .collect::<Vec<_>>()
                .join("\r\n");
        }
        _ => {}
    }
    let raw = fetch(upstream, &head)?;
    let (resp_head, mut body) = split_response(&raw);
    match fault {
        Fault::CutOnce if nth == 0 && body.len() > 1 => {
            conn.write_all(resp_head.as_bytes())?;
            conn.write_all(&body[..body.len() / 2])?;
            conn.flush()?;
            let _ = conn.shutdown(Shutdown::Both);
            return Ok(());
        }
        Fault::StallOnce(pause) if nth == 0 && body.len() > 1 => {
            conn.write_all(resp_head.as_bytes())?;
            conn.write_all(&body[..body.len() / 2])?;
            conn.flush()?;
            std::thread::sleep(*pause);
            let _ = conn.shutdown(Shutdown::Both);
            return Ok(());
        }
        Fault::Corrupt(digest)
            if is_blob && request_line.contains(digest.as_str()) && !body.is_empty() =>
        {
            let mid = body.len() / 2;
            body[mid] ^= 0x40;
        }
        Fault::Longer(digest)
            if is_blob && request_line.contains(digest.as_str()) && !body.is_empty() =>
        {
            let length = format!("Content-Length: {}", body.len());
            assert!(resp_head.contains(&length), "{resp_head}");
            body.extend_from_slice(b"0123456789abcdef");
            let head = resp_head.replace(&length, &format!("Content-Length: {}", body.len()));
            conn.write_all(head.as_bytes())?;
            conn.write_all(&body)?;
            conn.flush()?;
            return Ok(());
        }
        _ => {}
    }
    conn.write_all(resp_head.as_bytes())?;
    conn.write_all(&body)?;
    conn.flush()?;
    Ok(())
}

/// A skopeo `--dest-creds` / `--creds` value.
pub fn creds(user: &str, password: &str) -> String {
    format!("{user}:{password}")
}

/// A `DOCKER_CONFIG` directory whose config.json logs in to `host`.
pub fn docker_config(dir: &Path, host: &str, user: &str, password: &str) {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        serde_json::json!({"auths": {host: {"auth": auth}}}).to_string(),
    )
    .unwrap();
}
