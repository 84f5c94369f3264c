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
        let dir = tempfile::tempdir().unwrap();
        let base = Podman::args(dir.path());
        let mut load: Vec<&str> = base.iter().map(String::as_str).collect();
        load.extend(["load", "-q", "-i", DEMO]);
        run_tool("podman", &load);
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
