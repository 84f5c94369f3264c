//! Registries that speak TLS of their own: Debian's `docker-registry` on loopback with a
//! certificate from a CA each test makes. HTTPS comes first for every registry, loopback ones
//! too; a registry's own CA is trusted from the per-registry `certs.d` directories docker and
//! podman read (`$STRATA_CERTS_DIRS` stands in for `/etc/containers/certs.d` and
//! `/etc/docker/certs.d` here); `--insecure` accepts a certificate that does not verify and
//! says so; a loopback registry without TLS is still spoken to in plain HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use serde_json::Value;

use crate::support::registry::{Registry, TestCa};
use crate::support::*;

/// Pushes a small image of two layers to `reg` as `name:v1`; returns its reference.
fn push_small_image(reg: &Registry, name: &str) -> String {
    let dir = tempdir();
    let archive = dir.path().join("image.tar");
    Spec::new()
        .layer(
            "ADD rootfs /",
            vec![
                Item::Dir("etc"),
                file("etc/os", &noise(7, 20_000)),
                file("bin/tool", &noise(8, 30_000)),
            ],
        )
        .layer("RUN rm /etc/os", vec![Item::Whiteout("etc/os")])
        .docker_archive(&archive);
    reg.push(
        &format!("docker-archive:{}", archive.display()),
        &format!("{name}:v1"),
        &[],
    );
    format!("{}/{name}:v1", reg.host())
}

/// Runs strata with a cache of its own and `certs` as the only certs directories (an empty
/// list when `None`: the machine's own `/etc/.../certs.d` never play a part here).
fn run(args: &[&str], certs: &[&Path]) -> (i32, String, String) {
    let cache = tempdir();
    let dirs = certs
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    strata_env(
        args,
        &[
            ("STRATA_CACHE_DIR", cache.path().to_str().unwrap()),
            ("STRATA_CERTS_DIRS", dirs.as_str()),
        ],
        None,
    )
}

/// `base/host/file` holding `pem`, as docker and podman lay out a registry's CA.
fn put_ca(base: &Path, host: &str, file: &str, pem: &str) {
    std::fs::create_dir_all(base.join(host)).unwrap();
    std::fs::write(base.join(host).join(file), pem).unwrap();
}

/// The report read the image the registry holds: its layers are the manifest's.
fn assert_read(out: &str, reg: &Registry, name: &str) {
    let r: Value = serde_json::from_str(out).unwrap();
    assert_eq!(r["image"]["format"], "registry");
    let manifest = reg.manifest(&format!("{name}:v1"), None);
    let layers = r["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    for (i, l) in layers.iter().enumerate() {
        assert_eq!(l["digest"], manifest["layers"][i]["digest"], "layer {i}");
    }
    assert_eq!(r["layers"][1]["removed"], 1, "{}", r["layers"][1]);
}

fn assert_one_line(err: &str) {
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn tls_registry_with_its_own_ca_is_trusted_from_docker_and_podman_certs_dirs() {
    let ca = TestCa::new();
    let reg = Registry::start_tls(&ca);
    let reference = push_small_image(&reg, "own-ca");
    let host = reg.host();
    let certs = tempdir();
    let (containers, docker) = (certs.path().join("containers"), certs.path().join("docker"));
    std::fs::create_dir_all(&containers).unwrap();
    std::fs::create_dir_all(&docker).unwrap();
    let dirs = [containers.as_path(), docker.as_path()];

    // Docker's layout: `certs.d/HOST:PORT/ca.crt`.
    put_ca(&docker, &host, "ca.crt", &ca.ca_pem());
    let (code, out, err) = run(&["report", "--json", &reference], &dirs);
    assert_eq!(code, 0, "{err}");
    assert_read(&out, &reg, "own-ca");
    assert!(!err.contains("not verifying"), "{err}");

    // Podman's layout: any `*.crt` in `certs.d/HOST:PORT/`.
    std::fs::remove_dir_all(docker.join(&host)).unwrap();
    put_ca(&containers, &host, "internal-root.crt", &ca.ca_pem());
    let (code, out, err) = run(&["report", "--json", &reference], &dirs);
    assert_eq!(code, 0, "{err}");
    assert_read(&out, &reg, "own-ca");

    // The CA is trusted for that registry only: the same server named `localhost:PORT` is
    // another registry, whose directory has no CA.
    let by_name = format!("localhost:{}/own-ca:v1", reg.port);
    let (code, _, err) = run(&["report", "--json", &by_name], &dirs);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("invalid peer certificate"), "{err}");
    assert_one_line(&err);
    put_ca(
        &docker,
        &format!("localhost:{}", reg.port),
        "ca.crt",
        &ca.ca_pem(),
    );
    let (code, out, err) = run(&["report", "--json", &by_name], &dirs);
    assert_eq!(code, 0, "{err}");
    assert_read(&out, &reg, "own-ca");
}

#[test]
fn tls_registry_on_loopback_with_an_unknown_ca_is_a_certificate_error_not_plain_http() {
    let ca = TestCa::new();
    let reg = Registry::start_tls(&ca);
    let reference = push_small_image(&reg, "unknown-ca");
    let host = reg.host();
    let certs = tempdir();
    let (code, out, err) = run(&["report", "--json", &reference], &[certs.path()]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.starts_with(&format!(
            "strata: error: {reference}: registry {host}: TLS handshake failed (invalid peer certificate: UnknownIssuer)"
        )),
        "{err}"
    );
    // It says where a CA of the registry's own would be trusted from.
    assert!(
        err.contains(&certs.path().join(&host).display().to_string()),
        "{err}"
    );
    // Never the plain-HTTP answer of a TLS server (what strata said before it tried HTTPS).
    assert!(!err.contains("HTTP 400"), "{err}");
    assert_one_line(&err);
}

#[test]
fn tls_insecure_accepts_a_certificate_that_does_not_verify_and_says_so() {
    let ca = TestCa::new();
    let reg = Registry::start_tls(&ca);
    let reference = push_small_image(&reg, "insecure");
    let certs = tempdir();
    let (code, out, err) = run(
        &["report", "--json", "--insecure", &reference],
        &[certs.path()],
    );
    assert_eq!(code, 0, "{err}");
    assert_read(&out, &reg, "insecure");
    assert!(
        err.contains(&format!(
            "not verifying the TLS certificate of {} (--insecure)",
            reg.host()
        )),
        "{err}"
    );
    assert_eq!(err.matches("not verifying").count(), 1, "{err}");
}

#[test]
fn tls_plain_http_registry_on_loopback_is_still_read_without_flags() {
    let reg = Registry::start(None);
    let reference = push_small_image(&reg, "plain");
    let certs = tempdir();
    for flags in [&[][..], &["--insecure"][..]] {
        let mut args = vec!["report", "--json"];
        args.extend_from_slice(flags);
        args.push(&reference);
        let (code, out, err) = run(&args, &[certs.path()]);
        assert_eq!(code, 0, "{flags:?}: {err}");
        assert_read(&out, &reg, "plain");
        // No TLS was spoken, so no certificate went unverified.
        assert!(!err.contains("not verifying"), "{flags:?}: {err}");
    }
}

#[test]
fn tls_ca_file_that_does_not_parse_is_a_one_line_error_naming_it() {
    let ca = TestCa::new();
    let reg = Registry::start_tls(&ca);
    let reference = push_small_image(&reg, "bad-ca");
    let host = reg.host();
    let certs = tempdir();
    for (what, content) in [
        ("no PEM at all", "this is not a certificate\n".to_string()),
        (
            "a PEM block that is no certificate",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_string(),
        ),
        (
            "a good CA with a broken one after it",
            format!(
                "{}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                ca.ca_pem()
            ),
        ),
    ] {
        put_ca(certs.path(), &host, "ca.crt", &content);
        let file = certs.path().join(&host).join("ca.crt");
        let (code, out, err) = run(&["report", "--json", &reference], &[certs.path()]);
        assert_ne!(code, 0, "{what}: {err}");
        assert!(out.is_empty(), "{what}: {out}");
        assert!(
            err.contains(&file.display().to_string()),
            "{what}: the error names the file: {err}"
        );
        assert_one_line(&err);
    }
}
