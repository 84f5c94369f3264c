//! Local engines (Docker, Podman) through the Docker Engine API: `GET /images/{name}/get`
//! answers with a `docker save` archive. No API version is put in the path (Docker and Podman
//! both answer unversioned paths, and they disagree on which versions they speak).
//!
//! Where the engine is: Docker: `$DOCKER_HOST` (`unix://PATH` or `tcp://HOST:PORT`), else
//! `/var/run/docker.sock`. Podman: `$CONTAINER_HOST`, else
//! `$XDG_RUNTIME_DIR/podman/podman.sock`, else `/run/podman/podman.sock`.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;

use super::SourceOptions;
use crate::model::digest::Digest;
use crate::model::error::{Error, Result};
use crate::source::reference::Engine;

/// How long an engine may take to answer whether it has an image, when strata asks on its
/// own (a bare name without `--source`).
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Where an engine listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Unix(PathBuf),
    Tcp(String),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "unix://{}", p.display()),
            Endpoint::Tcp(a) => write!(f, "tcp://{a}"),
        }
    }
}

/// The endpoint of an engine, from the environment.
pub fn endpoint(engine: Engine) -> Result<Endpoint> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let from_url = |var: &str, url: String| -> Result<Endpoint> {
        if let Some(p) = url.strip_prefix("unix://") {
            Ok(Endpoint::Unix(PathBuf::from(p)))
        } else if let Some(a) = url.strip_prefix("tcp://") {
            Ok(Endpoint::Tcp(a.trim_end_matches('/').to_string()))
        } else {
            Err(engine_error(format!(
                "{var}={url} is not supported (only unix:// and tcp:// without TLS)"
            )))
        }
    };
    match engine {
        Engine::Docker => match env("DOCKER_HOST") {
            Some(url) => from_url("DOCKER_HOST", url),
            None => Ok(Endpoint::Unix("/var/run/docker.sock".into())),
        },
        Engine::Podman => {
            if let Some(url) = env("CONTAINER_HOST") {
                return from_url("CONTAINER_HOST", url);
            }
            let user = env("XDG_RUNTIME_DIR").map(|d| PathBuf::from(d).join("podman/podman.sock"));
            Ok(Endpoint::Unix(match user {
                Some(p) if p.exists() => p,
                _ => "/run/podman/podman.sock".into(),
            }))
        }
    }
}

/// What the local engines said about a bare name (`which_has`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Probe {
    /// The first engine that has the image.
    pub found: Option<Engine>,
    /// Each engine asked before it (all of them, when none has it), and why it did not give
    /// the image: one phrase each.
    pub absent: Vec<(Engine, String)>,
}

impl Probe {
    /// `docker: not running (no socket at /var/run/docker.sock); podman: does not have it`.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = (self.absent.iter())
            .map(|(engine, why)| format!("{}: {why}", engine.name()))
            .collect();
        parts.join("; ")
    }
}

/// Asks each engine (Docker, then Podman) that runs here whether it has the image `name`, up
/// to the first that does. Engines without a socket are skipped at once, so this costs nothing
/// where none runs.
pub fn which_has(name: &str, _opts: &SourceOptions) -> Probe {
    let mut probe = Probe::default();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            for engine in [Engine::Docker, Engine::Podman] {
                probe.absent.push((engine, format!("not asked ({e})")));
            }
            return probe;
        }
    };
    for engine in [Engine::Docker, Engine::Podman] {
        let ep = match endpoint(engine) {
            Ok(ep) => ep,
            Err(e) => {
                probe.absent.push((engine, e.to_string()));
                continue;
            }
        };
        if let Endpoint::Unix(p) = &ep {
            if !p.exists() {
                let why = format!("not running (no socket at {})", p.display());
                probe.absent.push((engine, why));
                continue;
            }
        }
        let path = format!("/images/{}/json", encode(name));
        let answer =
            rt.block_on(async { tokio::time::timeout(PROBE_TIMEOUT, get(&ep, &path)).await });
        let why = match answer {
            Ok(Ok(resp)) if resp.status().is_success() => {
                probe.found = Some(engine);
                return probe;
            }
            Ok(Ok(resp)) if resp.status() == hyper::StatusCode::NOT_FOUND => {
                "does not have it".to_string()
            }
            Ok(Ok(resp)) => format!("answered HTTP {} at {ep}", resp.status().as_u16()),
            Ok(Err(e)) => format!("cannot be reached at {ep} ({e})"),
            Err(_) => format!(
                "did not answer at {ep} within {} s",
                PROBE_TIMEOUT.as_secs()
            ),
        };
        probe.absent.push((engine, why));
    }
    probe
}

/// The image's layers as the engine lists them (`RootFS.Layers` of `GET /images/{name}/json`):
/// their diff_ids, bottom first. Also tells early, and in one line, that the engine is not
/// there or has no such image.
pub fn diff_ids(engine: Engine, name: &str, opts: &SourceOptions) -> Result<Vec<Digest>> {
    #[derive(serde::Deserialize)]
    struct Inspect {
        #[serde(rename = "RootFS")]
        root_fs: Option<RootFs>,
    }
    #[derive(serde::Deserialize)]
    struct RootFs {
        #[serde(rename = "Layers", default)]
        layers: Vec<String>,
    }
    let (rt, resp) = request(engine, name, "json", opts)?;
    let timeout = opts.timeout.unwrap_or(super::registry::DEFAULT_TIMEOUT);
    let body = rt
        .block_on(async { tokio::time::timeout(timeout, resp.into_body().collect()).await })
        .map_err(|_| {
            engine_error(format!(
                "the {} engine did not finish answering",
                engine.name()
            ))
        })?
        .map_err(|e| {
            engine_error(format!(
                "the {} engine's answer broke off: {e}",
                engine.name()
            ))
        })?
        .to_bytes();
    let inspect: Inspect = serde_json::from_slice(&body).map_err(|e| {
        engine_error(format!(
            "the {} engine's answer about {name} is not JSON ({e})",
            engine.name()
        ))
    })?;
    Ok(inspect
        .root_fs
        .map(|r| r.layers)
        .unwrap_or_default()
        .iter()
        .filter_map(|d| Digest::parse(d))
        .collect())
}

/// The `docker save` archive of the image `name`, as the engine sends it: a blocking reader
/// over the response body. A body that breaks off or stays silent longer than the timeout
/// fails the read with a transfer error (`super::is_transfer_error`).
pub fn stream(engine: Engine, name: &str, opts: &SourceOptions) -> Result<ArchiveStream> {
    let (rt, resp) = request(engine, name, "get", opts)?;
    let timeout = opts.timeout.unwrap_or(super::registry::DEFAULT_TIMEOUT);
    let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<bytes::Bytes>>(16);
    let engine_name = engine.name();
    std::thread::Builder::new()
        .name("engine-archive".into())
        .spawn(move || {
            rt.block_on(async move {
                let mut body = resp.into_body();
                loop {
                    let next = match tokio::time::timeout(timeout, body.frame()).await {
                        Ok(Some(Ok(frame))) => match frame.into_data() {
                            Ok(data) => Ok(data),
                            Err(_) => continue,
                        },
                        Ok(None) => return,
                        Ok(Some(Err(e))) => Err(super::transfer_error(format!(
                            "the {engine_name} engine's archive broke off: {e}"
                        ))),
                        Err(_) => Err(super::transfer_error(format!(
                            "the {engine_name} engine stopped sending the archive ({} s without data)",
                            timeout.as_secs()
                        ))),
                    };
                    let failed = next.is_err();
                    // Nobody reads any more: stop downloading.
                    if tx.send(next).is_err() || failed {
                        return;
                    }
                }
            })
        })
        .map_err(|e| engine_error(e.to_string()))?;
    Ok(ArchiveStream {
        rx,
        chunk: bytes::Bytes::new(),
        failed: None,
    })
}

/// The body of an engine's answer as a `Read` (see `stream`).
pub struct ArchiveStream {
    rx: std::sync::mpsc::Receiver<io::Result<bytes::Bytes>>,
    chunk: bytes::Bytes,
    /// Why the body broke off: every later read fails the same way, so a reader that
    /// carries on past the first failure never takes the break for the end.
    failed: Option<String>,
}

impl io::Read for ArchiveStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            if let Some(why) = &self.failed {
                return Err(super::transfer_error(why.clone()));
            }
            match self.rx.recv() {
                Ok(Ok(next)) => self.chunk = next,
                Ok(Err(e)) => {
                    self.failed = Some(e.to_string());
                    return Err(e);
                }
                // The body ended.
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

fn engine_error(reason: String) -> Error {
    Error::Engine { reason }
}

/// `GET /images/{name}/{what}` on the engine: the answer's head, once it says success, and
/// the runtime that drives its body. Every failure is one line that names the engine.
fn request(
    engine: Engine,
    name: &str,
    what: &str,
    opts: &SourceOptions,
) -> Result<(
    tokio::runtime::Runtime,
    hyper::Response<hyper::body::Incoming>,
)> {
    let fail = |reason: String| engine_error(reason);
    let ep = endpoint(engine)?;
    let timeout = opts.timeout.unwrap_or(super::registry::DEFAULT_TIMEOUT);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let resp = rt.block_on(async {
        let path = format!("/images/{}/{what}", encode(name));
        let resp = match tokio::time::timeout(timeout, get(&ep, &path)).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                return Err(fail(format!(
                    "cannot reach the {} engine at {ep} ({e}); is it running? \
                     ({} names its socket)",
                    engine.name(),
                    match engine {
                        Engine::Docker => "DOCKER_HOST",
                        Engine::Podman => "CONTAINER_HOST",
                    }
                )))
            }
            Err(_) => {
                return Err(fail(format!(
                    "the {} engine at {ep} did not answer within {} s",
                    engine.name(),
                    timeout.as_secs()
                )))
            }
        };
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let text = match tokio::time::timeout(timeout, resp.into_body().collect()).await {
            Ok(Ok(b)) => engine_message(&b.to_bytes()),
            _ => String::new(),
        };
        Err(fail(if status.as_u16() == 404 {
            format!("the {} engine has no image {name}{text}", engine.name())
        } else {
            format!(
                "the {} engine answered HTTP {}{text}",
                engine.name(),
                status.as_u16()
            )
        }))
    })?;
    Ok((rt, resp))
}

/// The `message` of an engine's JSON error body, shortened and escaped.
fn engine_message(body: &[u8]) -> String {
    let msg = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message")?.as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    let msg = msg.trim();
    if msg.is_empty() {
        String::new()
    } else {
        format!(" ({})", crate::model::text::printable(msg, 200))
    }
}

/// Percent-encodes an image name for a URL path; `/`, `:` and `@` stay as they are.
fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn get(ep: &Endpoint, path: &str) -> io::Result<hyper::Response<hyper::body::Incoming>> {
    let req = hyper::Request::get(path)
        .header(hyper::header::HOST, "localhost")
        .body(Empty::<bytes::Bytes>::new())
        .map_err(io::Error::other)?;
    match ep {
        Endpoint::Unix(p) => send(tokio::net::UnixStream::connect(p).await?, req).await,
        Endpoint::Tcp(a) => send(tokio::net::TcpStream::connect(a).await?, req).await,
    }
}

async fn send<S>(
    stream: S,
    req: hyper::Request<Empty<bytes::Bytes>>,
) -> io::Result<hyper::Response<hyper::body::Incoming>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(io::Error::other)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    sender.send_request(req).await.map_err(io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_encoded_for_the_path() {
        assert_eq!(encode("localhost/app:v1"), "localhost/app:v1");
        assert_eq!(encode("a b?c#"), "a%20b%3Fc%23");
    }
}
