//! Engine sources against a real `podman system service` on a temp unix socket (it speaks the
//! Docker Engine API): `docker-daemon:NAME` through `DOCKER_HOST`, `podman:NAME` through
//! `CONTAINER_HOST`, a bare name found in the engine, and the errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::*;

const DEMO: &str = "assets/demo.tar";

/// A podman with its own storage, the demo image loaded, serving the API on a socket.
struct Podman {
    dir: tempfile::TempDir,
    child: Child,
}

impl Podman {
    fn args(dir: &Path) -> Vec<String> {
        vec![
            "--root".into(),
            dir.join("root").display().to_string(),
            "--runroot".into(),
            dir.join("run").display().to_string(),
            "--storage-driver".into(),
            "vfs".into(),
            "--cgroup-manager".into(),
            "cgroupfs".into(),
            "--events-backend".into(),
            "none".into(),
        ]
    }

    fn start() -> Podman {
        Podman::start_with(&[Path::new(DEMO)])
    }

    /// A podman with these `docker save` archives loaded.
    fn start_with(archives: &[&Path]) -> Podman {
        let dir = tempfile::tempdir().unwrap();
        let base = Podman::args(dir.path());
        for archive in archives {
            let mut load: Vec<&str> = base.iter().map(String::as_str).collect();
            load.extend(["load", "-q", "-i", archive.to_str().unwrap()]);
            run_tool("podman", &load);
        }
        let sock = dir.path().join("podman.sock");
        let url = format!("unix://{}", sock.display());
        let child = Command::new("podman")
            .args(&base)
            .args(["system", "service", "--time=0", &url])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("podman is required (the test command installs it): {e}"));
        let deadline = Instant::now() + Duration::from_secs(30);
        while !sock.exists() {
            assert!(Instant::now() < deadline, "podman made no socket in 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        Podman { dir, child }
    }

    fn url(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("podman.sock")
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn without_source(mut r: Value) -> Value {
    let image = r["image"].as_object_mut().unwrap();
    image.remove("reference");
    image.remove("format");
    r
}

#[test]
fn engine_images_give_the_archive_s_report() {
    let podman = Podman::start();
    let cache = tempdir();
    let cache_dir = cache.path().display().to_string();
    let archive = without_source(report_json(DEMO));
    let url = podman.url();
    let empty = tempdir();
    let no_podman = empty.path().display().to_string();
    for (reference, var, format) in [
        (
            "docker-daemon:strata-demo:latest",
            "DOCKER_HOST",
            "docker-daemon",
        ),
        ("podman:strata-demo:latest", "CONTAINER_HOST", "podman"),
        // A bare name the local engine has is taken from the engine, like dive does.
        ("strata-demo:latest", "DOCKER_HOST", "docker-daemon"),
    ] {
        let (code, out, err) = strata_env(
            &["report", "--json", "--no-cache", reference],
            &[
                ("STRATA_CACHE_DIR", &cache_dir),
                (var, &url),
                ("XDG_RUNTIME_DIR", &no_podman),
            ],
            None,
        );
        assert_eq!(code, 0, "{reference}: {err}");
        let r: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(r["image"]["format"], format, "{reference}");
        assert_eq!(r["image"]["reference"], reference);
        assert_eq!(without_source(r), archive, "{reference}");
    }
}

#[test]
fn engine_errors_name_the_engine_and_what_to_do() {
    let podman = Podman::start();
    let cache = tempdir();
    let cache_dir = cache.path().display().to_string();
    let url = podman.url();
    let (code, _, err) = strata_env(
        &["report", "docker-daemon:no-such-image:v9"],
        &[("STRATA_CACHE_DIR", &cache_dir), ("DOCKER_HOST", &url)],
        None,
    );
    assert_eq!(code, 2);
    assert!(
        err.starts_with("strata: error: docker-daemon:no-such-image:v9: the docker engine has no image no-such-image:v9"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // A bare name the engine does not have, and no registry answering for it: both said.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let bare = format!("127.0.0.1:{port}/no-such-image:v9");
    let (code, _, err) = strata_env(
        &["report", &bare],
        &[
            ("STRATA_CACHE_DIR", &cache_dir),
            ("DOCKER_HOST", &url),
            NO_ENGINES[1],
        ],
        None,
    );
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!(
            "strata: error: {bare}: registry 127.0.0.1:{port}: cannot connect (Connection \
             refused (os error 111)); no local engine has it either (docker: does not have it; \
             podman: not running (no socket at /nonexistent/strata-test/podman.sock))\n"
        )
    );

    let gone = format!("unix://{}", podman.dir.path().join("gone.sock").display());
    let (code, _, err) = strata_env(
        &["report", "docker-daemon:app:v1"],
        &[("STRATA_CACHE_DIR", &cache_dir), ("DOCKER_HOST", &gone)],
        None,
    );
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!("strata: error: docker-daemon:app:v1: cannot reach the docker engine at {gone} (No such file or directory (os error 2)); is it running? (DOCKER_HOST names its socket)\n")
    );
    let (code, _, err) = strata_env(
        &["report", "docker-daemon:app:v1"],
        &[
            ("STRATA_CACHE_DIR", &cache_dir),
            ("DOCKER_HOST", "ssh://host"),
        ],
        None,
    );
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "strata: error: docker-daemon:app:v1: DOCKER_HOST=ssh://host is not supported (only unix:// and tcp:// without TLS)\n"
    );
}

/// An image whose layers are larger than what the streaming loader keeps in memory (64 KiB),
/// so they are read as they pass in the engine's archive, and small ones, read at the end.
fn streamed_spec() -> Spec {
    Spec::new()
        .layer(
            "base",
            vec![
                Item::Dir("opt"),
                file("opt/big", &noise(1, 3 << 20)),
                file("opt/same", &noise(2, 1 << 20)),
                file("etc/conf", b"a=1\n"),
            ],
        )
        .layer("tiny", vec![file("etc/conf", b"a=2\n")])
        .layer(
            "rewrite",
            vec![
                file("opt/big", &noise(3, 2 << 20)),
                file("opt/copy", &noise(2, 1 << 20)),
                Item::Whiteout("etc/conf"),
            ],
        )
}

#[test]
fn engine_archives_are_read_as_they_stream_and_reopened_from_the_cache() {
    let dir = tempdir();
    let archive = dir.path().join("streamed.tar");
    streamed_spec().docker_archive(&archive);
    let podman = Podman::start_with(&[&archive]);
    // podman names the image `localhost/test/image:latest`.
    let unnamed = |mut r: Value| {
        r["image"].as_object_mut().unwrap().remove("names");
        r
    };
    let expected = unnamed(without_source(report_json(archive.to_str().unwrap())));
    assert!(expected["waste"]["duplicate"].as_u64().unwrap() > 0);
    let cache = tempdir();
    let env = [
        ("STRATA_CACHE_DIR", cache.path().to_str().unwrap()),
        ("CONTAINER_HOST", &podman.url()),
    ];
    let reference = "podman:test/image:latest";
    let run = || {
        let (code, out, err) = strata_env(&["report", "--json", reference], &env, None);
        assert_eq!(code, 0, "{err}");
        assert_eq!(err, "");
        unnamed(without_source(serde_json::from_str(&out).unwrap()))
    };
    assert_eq!(
        run(),
        expected,
        "first open, every layer read from the stream"
    );
    let (_, listing, _) = strata_env(&["cache", "ls"], &env, None);
    assert_eq!(
        listing.lines().filter(|l| l.starts_with("tree ")).count(),
        3,
        "every layer is cached:\n{listing}"
    );
    assert_eq!(
        run(),
        expected,
        "reopen, the big layers skipped as they pass"
    );
    // A file read from an engine image (the engine streams its archive again, up to the layer).
    let out = tempdir();
    let to = out.path().join("x");
    let (code, _, err) = strata_env(
        &[
            "extract",
            reference,
            "/opt/copy",
            "--to",
            to.to_str().unwrap(),
        ],
        &env,
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read(to.join("opt/copy")).unwrap(),
        noise(2, 1 << 20)
    );
}

/// A fake engine on a unix socket: answers `/json` with `layers` and `/get` with `body`,
/// announced as `announced` bytes long; after sending the body it closes the connection when
/// `close`, else holds it open without a word.
fn fake_engine(
    dir: &Path,
    layers: &[String],
    body: Vec<u8>,
    announced: usize,
    close: bool,
) -> String {
    fake_engine_saves(dir, layers, vec![(body, announced, close)])
}

/// `fake_engine` answering the n-th `/get` with `saves[n]` (the last one from then on).
fn fake_engine_saves(dir: &Path, layers: &[String], saves: Vec<(Vec<u8>, usize, bool)>) -> String {
    use std::io::{BufRead, BufReader, Write};
    let sock = dir.join("fake.sock");
    let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let inspect = serde_json::json!({"RootFS": {"Type": "layers", "Layers": layers}}).to_string();
    std::thread::spawn(move || {
        let mut gets = 0;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            let _ = reader.read_line(&mut request);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let (payload, length, close) = if request.contains("/json ") {
                (inspect.clone().into_bytes(), inspect.len(), true)
            } else {
                let (body, announced, close) = &saves[gets.min(saves.len() - 1)];
                gets += 1;
                (body.clone(), *announced, *close)
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nContent-Length: {length}\r\n\r\n"
            );
            let _ = stream.write_all(&payload);
            let _ = stream.flush();
            if !close && payload.len() < length {
                std::thread::sleep(Duration::from_secs(30));
            }
        }
    });
    format!("unix://{}", sock.display())
}

#[test]
fn an_engine_archive_that_breaks_off_or_stalls_is_a_one_line_error() {
    let dir = tempdir();
    let archive = dir.path().join("streamed.tar");
    streamed_spec().docker_archive(&archive);
    let bytes = std::fs::read(&archive).unwrap();
    let layers: Vec<String> = streamed_spec().tars().iter().map(|t| sha(t)).collect();
    let cache = tempdir();
    let cache_dir = cache.path().to_str().unwrap();
    for (close, expected) in [
        (true, "the docker engine's archive broke off"),
        (
            false,
            "the docker engine stopped sending the archive (1 s without data)",
        ),
    ] {
        let here = tempdir();
        // Half of the archive: in the middle of the big layer.
        let url = fake_engine(
            here.path(),
            &layers,
            bytes[..bytes.len() / 2].to_vec(),
            bytes.len(),
            close,
        );
        let started = Instant::now();
        let (code, out, err) = strata_env(
            &["report", "--timeout", "1", "docker-daemon:app:v1"],
            &[("STRATA_CACHE_DIR", cache_dir), ("DOCKER_HOST", &url)],
            None,
        );
        assert_eq!(code, 2, "{err}");
        assert_eq!(out, "");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("strata: error: docker-daemon:app:v1: "),
            "{err}"
        );
        assert!(err.contains(expected), "{err}");
        assert!(started.elapsed() < Duration::from_secs(60));
    }
    // The whole archive from the fake engine is the archive's image.
    let here = tempdir();
    let url = fake_engine(here.path(), &layers, bytes.clone(), bytes.len(), true);
    let (code, out, err) = strata_env(
        &["report", "--json", "--no-cache", "docker-daemon:app:v1"],
        &[("STRATA_CACHE_DIR", cache_dir), ("DOCKER_HOST", &url)],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        without_source(serde_json::from_str(&out).unwrap()),
        without_source(report_json(archive.to_str().unwrap()))
    );
}

/// Docker 25+ sends its archive in OCI form: every file under `blobs/sha256/`, layers (here
/// uncompressed, as overlay2 stores them) named by their diff_id, configs and manifests among
/// them. Read as it streams, first with nothing cached, then with every layer cached.
#[test]
fn a_docker_25_archive_streams_and_its_cached_layers_are_skipped_by_name() {
    let oci = streamed_spec().oci_files(Comp::None);
    let (config_name, _) = oci
        .iter()
        .find(|(n, d)| {
            n.starts_with("blobs/")
                && serde_json::from_slice::<Value>(d).is_ok_and(|v| v.get("rootfs").is_some())
        })
        .unwrap();
    let manifest: Value = oci
        .iter()
        .filter(|(n, _)| n.starts_with("blobs/"))
        .find_map(|(_, d)| {
            serde_json::from_slice::<Value>(d)
                .ok()
                .filter(|v| v.get("layers").is_some())
        })
        .unwrap();
    let layers: Vec<String> = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| format!("blobs/sha256/{}", &l["digest"].as_str().unwrap()[7..]))
        .collect();
    let mut files = oci.clone();
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(&serde_json::json!([
            {"Config": config_name, "RepoTags": ["app:v1"], "Layers": layers}
        ]))
        .unwrap(),
    ));
    let dir = tempdir();
    let archive = dir.path().join("docker25.tar");
    write_tar(&archive, &files);
    let expected = without_source(report_json(archive.to_str().unwrap()));
    let diff_ids: Vec<String> = streamed_spec().tars().iter().map(|t| sha(t)).collect();
    let url = fake_engine(
        dir.path(),
        &diff_ids,
        std::fs::read(&archive).unwrap(),
        std::fs::metadata(&archive).unwrap().len() as usize,
        true,
    );
    let cache = tempdir();
    let env = [
        ("STRATA_CACHE_DIR", cache.path().to_str().unwrap()),
        ("DOCKER_HOST", url.as_str()),
    ];
    for run in ["first", "cached"] {
        let (code, out, err) =
            strata_env(&["report", "--json", "docker-daemon:app:v1"], &env, None);
        assert_eq!(code, 0, "{run}: {err}");
        assert_eq!(
            without_source(serde_json::from_str(&out).unwrap()),
            expected,
            "{run}"
        );
    }
    // The layers' entries together are bounded as they arrive, from the cache or not.
    for extra in [None, Some("--no-cache")] {
        let mut args = vec!["report", "--max-total-entries", "3", "docker-daemon:app:v1"];
        args.extend(extra);
        let (code, _, err) = strata_env(&args, &env, None);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.ends_with("over the limit of 3; raise it with --max-total-entries\n"),
            "{err}"
        );
    }
}

/// Extracting from an engine image (and the viewer) streams the engine's archive again only
/// up to the layer it needs: here the second save stalls right after the layers, before its
/// manifest, and the file still comes out at once. A temp copy of the whole save would wait
/// for the timeout and fail.
#[test]
fn a_file_of_an_engine_image_is_read_without_the_rest_of_the_archive() {
    let dir = tempdir();
    let archive = dir.path().join("streamed.tar");
    streamed_spec().docker_archive(&archive);
    let bytes = std::fs::read(&archive).unwrap();
    // The same archive without manifest.json and what follows it: every layer, then silence.
    let mut entries = tar::Archive::new(&bytes[..]);
    let manifest_at = entries
        .entries()
        .unwrap()
        .map(|e| e.unwrap())
        .find(|e| e.path().unwrap().to_str() == Some("manifest.json"))
        .map(|e| e.raw_header_position() as usize)
        .unwrap();
    let layers: Vec<String> = streamed_spec().tars().iter().map(|t| sha(t)).collect();
    let url = fake_engine_saves(
        dir.path(),
        &layers,
        vec![
            (bytes.clone(), bytes.len(), true),
            (bytes[..manifest_at].to_vec(), bytes.len(), false),
        ],
    );
    let to = dir.path().join("out");
    let started = Instant::now();
    let (code, _, err) = strata_env(
        &[
            "extract",
            "--no-cache",
            "--timeout",
            "10",
            "docker-daemon:app:v1",
            "/opt/copy",
            "/opt/big",
            "--to",
            to.to_str().unwrap(),
        ],
        &[
            ("DOCKER_HOST", &url),
            (
                "STRATA_CACHE_DIR",
                dir.path().join("cache").to_str().unwrap(),
            ),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    // The engine holds the rest of the archive back for 30 s.
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "waited for the rest"
    );
    assert_eq!(
        std::fs::read(to.join("opt/copy")).unwrap(),
        noise(2, 1 << 20)
    );
    assert_eq!(
        std::fs::read(to.join("opt/big")).unwrap(),
        noise(3, 2 << 20)
    );
}

/// What an engine sends that is no `docker save` archive is one line and exit 2.
#[test]
fn an_engine_archive_without_a_manifest_or_not_a_tar_is_refused() {
    let cache = tempdir();
    let cache_dir = cache.path().to_str().unwrap();
    let dir = tempdir();
    let no_manifest = dir.path().join("no-manifest.tar");
    write_tar(&no_manifest, &[("config.json".into(), b"{}".to_vec())]);
    let cut = dir.path().join("cut.tar");
    Spec::new()
        .layer("x", vec![file("etc/x", &noise(1, 40_000))])
        .docker_archive(&cut);
    let bodies = [
        (
            std::fs::read(&no_manifest).unwrap(),
            "not a container image: the docker engine sent an archive without manifest.json",
        ),
        (
            vec![b'x'; 2048],
            "not a container image: the docker engine sent an archive that is not a tar",
        ),
        // Cut inside its first layer's data (and announced so: the stream ends cleanly).
        (
            std::fs::read(&cut).unwrap()[..5000].to_vec(),
            "docker-daemon:app:v1: the archive ends early (truncated) after 'l0/layer.tar' \
             (read 5000 bytes)",
        ),
    ];
    for (body, expected) in bodies {
        let here = tempdir();
        let len = body.len();
        let url = fake_engine(here.path(), &[], body, len, true);
        let (code, out, err) = strata_env(
            &["report", "docker-daemon:app:v1"],
            &[("STRATA_CACHE_DIR", cache_dir), ("DOCKER_HOST", &url)],
            None,
        );
        assert_eq!((code, out.as_str()), (2, ""), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(expected), "{err}");
    }
}
