//! The registry source against a real registry on loopback (Debian's `docker-registry`,
//! started here): docker v2 and OCI manifests, zstd and uncompressed layers, multi-platform
//! indexes, basic auth with docker's and podman's credential files, the cache, and a proxy
//! that breaks downloads on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;
use crate::support::registry;

use std::time::Duration;

use registry::{Fault, Proxy, Registry};
use serde_json::Value;
use support::*;

const DEMO: &str = "assets/demo.tar";

/// The parts of a report that must not depend on where the image was read from.
fn figures(r: &Value) -> Value {
    let layers: Vec<Value> = r["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            serde_json::json!([
                l["diff_id"],
                l["size"],
                l["created_by"],
                l["added"],
                l["modified"],
                l["metadata_only"],
                l["removed"],
                l["unreachable_bytes"]
            ])
        })
        .collect();
    let mut totals = r["totals"].clone();
    totals.as_object_mut().unwrap().remove("compressed_bytes");
    serde_json::json!({
        "layers": layers,
        "totals": totals,
        "waste": r["waste"],
        "dive_compat": r["dive_compat"],
        "history": r["history"],
        "config": r["image"]["config"],
    })
}

/// A cache of its own, and no local engine (errors about bare names read the same anywhere).
fn cache_env(dir: &std::path::Path) -> Vec<(&'static str, String)> {
    let mut env = vec![("STRATA_CACHE_DIR", dir.display().to_string())];
    env.extend(NO_ENGINES.map(|(k, v)| (k, v.to_string())));
    env
}

fn run(args: &[&str], env: &[(&str, String)], stdin: Option<&str>) -> (i32, String, String) {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    strata_env(args, &env, stdin)
}

fn report_via(reference: &str, env: &[(&str, String)]) -> Value {
    let (code, out, err) = run(&["report", "--json", reference], env, None);
    assert_eq!(code, 0, "strata report --json {reference}: {err}");
    serde_json::from_str(&out).unwrap()
}

/// A small image with every kind of waste, for the forms the demo is not pushed in.
/// `seed` varies the content: skopeo would otherwise reuse a blob of the same content it
/// pushed before in another compression.
fn spec(seed: u64) -> Spec {
    Spec::new()
        .layer(
            "ADD rootfs /",
            vec![
                Item::Dir("etc"),
                file("etc/os", &noise(seed, 30_000)),
                file("bin/tool", &noise(seed + 1, 50_000)),
                file("usr/share/a", &noise(seed + 2, 20_000)),
            ],
        )
        .layer(
            "RUN chmod 700 /bin/tool && rm /etc/os",
            vec![
                Item::FileMode("bin/tool", noise(seed + 1, 50_000), 0o700),
                Item::Whiteout("etc/os"),
                file("usr/share/b", &noise(seed + 2, 20_000)),
            ],
        )
}

fn check_layers(r: &Value, manifest: &Value, compression: &str, what: &str) {
    for (i, l) in r["layers"].as_array().unwrap().iter().enumerate() {
        assert_eq!(l["compression"], compression, "{what} layer {i}");
        assert_eq!(
            l["digest"], manifest["layers"][i]["digest"],
            "{what} layer {i}"
        );
        assert_eq!(
            l["compressed_size"], manifest["layers"][i]["size"],
            "{what} layer {i}"
        );
    }
}

#[test]
fn registry_images_give_the_same_figures_as_the_archive() {
    let reg = Registry::start(None);
    let cache = tempdir();
    let env = cache_env(cache.path());

    // The demo (gzip layers) as a Docker v2 schema 2 manifest and as an OCI manifest.
    let archive = report_json(DEMO);
    for (repo, extra) in [("demo-v2s2", vec![]), ("demo-oci", vec!["--format", "oci"])] {
        let name = reg.push(
            &format!("docker-archive:{DEMO}"),
            &format!("{repo}:v1"),
            &extra,
        );
        let r = report_via(&name, &env);
        assert_eq!(figures(&r), figures(&archive), "{repo}");
        assert_eq!(r["image"]["format"], "registry");
        let manifest = reg.manifest(&format!("{repo}:v1"), None);
        check_layers(&r, &manifest, "gzip", repo);
        // The explicit transport prefix means the same.
        let again = report_via(&format!("docker://{name}"), &env);
        assert_eq!(figures(&again), figures(&archive), "{repo} via docker://");
    }

    // zstd and uncompressed layers, pushed from OCI layouts as they are.
    let dir = tempdir();
    for (seed, repo, comp, compression) in [
        (10, "spec-zstd", Comp::Zstd, "zstd"),
        (20, "spec-plain", Comp::None, "uncompressed"),
    ] {
        let docker = dir.path().join(format!("{repo}.tar"));
        spec(seed).docker_archive(&docker);
        let archive = report_json(docker.to_str().unwrap());
        let name = reg.push_layout_as_is(&spec(seed).oci_files(comp), repo, "v1");
        let r = report_via(&name, &env);
        assert_eq!(figures(&r), figures(&archive), "{repo}");
        let manifest = reg.manifest(&format!("{repo}:v1"), None);
        check_layers(&r, &manifest, compression, repo);
    }
}

#[test]
fn platforms_missing_tags_and_missing_repositories() {
    let reg = Registry::start(None);
    let dir = tempdir();
    let layout = dir.path().join("multi");
    let digests = nested_layout(&layout, &[("linux", "amd64"), ("linux", "arm64")]);
    let name = reg.push(
        &format!("oci:{}:multi", layout.display()),
        "multi:v1",
        &["--all"],
    );
    let cache = tempdir();
    let env = cache_env(cache.path());
    let host_arch = usize::from(cfg!(target_arch = "aarch64"));
    let r = report_via(&name, &env);
    assert_eq!(
        r["image"]["digest"],
        digests[host_arch].as_str(),
        "host's platform by default"
    );
    let (code, out, err) = run(
        &["report", "--json", "--platform", "linux/arm64", &name],
        &env,
        None,
    );
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["image"]["digest"], digests[1].as_str());

    let host = reg.host();
    let (code, _, err) = run(&["report", "--platform", "linux/s390x", &name], &env, None);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!("strata: error: {name}: no image for platform linux/s390x; available: linux/amd64, linux/arm64\n")
    );
    let (code, _, err) = run(&["report", &format!("{host}/multi:nope")], &env, None);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!("strata: error: {host}/multi:nope: registry {host}: tag nope not found in repository multi (MANIFEST_UNKNOWN: manifest unknown); {NO_ENGINE_HAS_IT}\n")
    );
    let (code, _, err) = run(&["report", &format!("{host}/nothing/here:v1")], &env, None);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!("strata: error: {host}/nothing/here:v1: registry {host}: tag v1 not found in repository nothing/here (MANIFEST_UNKNOWN: manifest unknown); {NO_ENGINE_HAS_IT}\n")
    );
    // A child manifest the registry lost: the error names it. (The registry's revision link
    // is what makes a manifest servable by digest.)
    let arm = &digests[1]["sha256:".len()..];
    let link = reg
        .dir()
        .join("data/docker/registry/v2/repositories/multi/_manifests/revisions/sha256")
        .join(arm);
    std::fs::remove_dir_all(&link).unwrap();
    let empty = tempdir();
    let (code, _, err) = run(
        &["report", "--platform", "linux/arm64", &name],
        &cache_env(empty.path()),
        None,
    );
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("the registry has no manifest {} (", digests[1])),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // A config the registry lost: the error quotes the registry's answer.
    let name = reg.push(&format!("docker-archive:{DEMO}"), "lost-config:v1", &[]);
    let manifest = reg.manifest("lost-config:v1", None);
    let config = manifest["config"]["digest"].as_str().unwrap().to_string();
    std::fs::remove_dir_all(
        reg.dir()
            .join("data/docker/registry/v2/repositories/lost-config/_layers/sha256")
            .join(&config["sha256:".len()..]),
    )
    .unwrap();
    let empty = tempdir();
    let (code, _, err) = run(&["report", &name], &cache_env(empty.path()), None);
    assert_eq!(code, 2);
    let host = reg.host();
    assert!(
        err.starts_with(&format!(
            "strata: error: {name}: image config: registry {host} has no blob {config} ("
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn basic_auth_credentials_are_found_where_docker_and_podman_keep_them() {
    let reg = Registry::start(Some(("ci", "s3cret-pw")));
    let host = reg.host();
    let name = reg.push(
        &format!("docker-archive:{DEMO}"),
        "private/demo:v1",
        &["--dest-creds", "ci:s3cret-pw"],
    );
    let archive = figures(&report_json(DEMO));
    let dir = tempdir();
    let cache = dir.path().join("cache");
    let empty_home = dir.path().join("home");
    std::fs::create_dir_all(&empty_home).unwrap();
    let base = vec![
        ("DOCKER_HOST", NO_ENGINES[0].1.to_string()),
        ("CONTAINER_HOST", NO_ENGINES[1].1.to_string()),
        ("STRATA_CACHE_DIR", cache.display().to_string()),
        ("HOME", empty_home.display().to_string()),
        (
            "XDG_RUNTIME_DIR",
            dir.path().join("run").display().to_string(),
        ),
        (
            "DOCKER_CONFIG",
            dir.path().join("no-docker").display().to_string(),
        ),
        ("REGISTRY_AUTH_FILE", String::new()),
    ];
    let with = |extra: &[(&'static str, String)]| {
        let mut env = base.clone();
        for (k, v) in extra {
            env.retain(|(key, _)| key != k);
            env.push((*k, v.clone()));
        }
        env
    };

    // No credentials anywhere: a clear error that says how to log in.
    let (code, _, err) = run(&["report", "--no-cache", &name], &base, None);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!("strata: error: {name}: registry {host} requires credentials and none were found (HTTP 401 Unauthorized; the repository may also not exist); log in with `docker login {host}` (or pass --username NAME --password-stdin); {NO_ENGINE_HAS_IT}\n")
    );

    // docker's config.json, found through DOCKER_CONFIG.
    let docker = dir.path().join("docker");
    registry::docker_config(&docker, &host, "ci", "s3cret-pw");
    let env = with(&[("DOCKER_CONFIG", docker.display().to_string())]);
    let (code, out, err) = run(&["report", "--json", "--no-cache", &name], &env, None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(figures(&serde_json::from_str(&out).unwrap()), archive);

    // podman's auth file comes first: a wrong password there is used, and refused, and
    // the message names the file but never the password.
    let podman = dir.path().join("auth.json");
    registry::docker_config(dir.path(), &host, "ci", "wrong-pw");
    std::fs::rename(dir.path().join("config.json"), &podman).unwrap();
    let env = with(&[
        ("DOCKER_CONFIG", docker.display().to_string()),
        ("REGISTRY_AUTH_FILE", podman.display().to_string()),
    ]);
    let (code, _, err) = run(&["report", "--no-cache", &name], &env, None);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!("strata: error: {name}: registry {host} refused the credentials from {} (HTTP 401 Unauthorized); log in with `docker login {host}` (or pass --username NAME --password-stdin)\n", podman.display())
    );
    assert!(!err.contains("wrong-pw") && !err.contains("s3cret"));

    // --username/--password-stdin beats every file.
    let (code, out, err) = run(
        &[
            "report",
            "--json",
            "--no-cache",
            "--username",
            "ci",
            "--password-stdin",
            &name,
        ],
        &env,
        Some("s3cret-pw\n"),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(figures(&serde_json::from_str(&out).unwrap()), archive);
    let (code, _, err) = run(
        &["report", "--no-cache", "--password-stdin", &name],
        &env,
        Some("x\n"),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--username"), "{err}");
}

#[test]
fn a_second_open_works_from_the_cache_with_the_registry_stopped() {
    let reg = Registry::start(None);
    let host = reg.host();
    let name = reg.push(&format!("docker-archive:{DEMO}"), "demo:cached", &[]);
    let cache = tempdir();
    let env = cache_env(cache.path());
    let first = report_via(&name, &env);
    let (code, listing, _) = run(&["cache", "ls"], &env, None);
    assert_eq!(code, 0);
    let count = |kind: &str| listing.lines().filter(|l| l.starts_with(kind)).count();
    // 15 layers (their blobs and trees), the config, the manifest, the tag.
    let layers = first["layers"].as_array().unwrap().len();
    let distinct_blobs = {
        let mut d: Vec<&str> = first["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["digest"].as_str().unwrap())
            .collect();
        d.sort();
        d.dedup();
        d.len()
    };
    assert_eq!(count("blob "), distinct_blobs + 2, "{listing}");
    assert!(count("tree ") >= 1 && count("tree ") <= layers, "{listing}");
    assert_eq!(count("ref "), 1, "{listing}");
    assert!(
        listing.contains(&format!("{host}/demo:cached")),
        "{listing}"
    );
    // Each blob names the image it was loaded as, and that image pinned by its digest.
    let pinned = format!("{host}/demo@{}", first["image"]["digest"].as_str().unwrap());
    for line in listing.lines().filter(|l| l.starts_with("blob ")) {
        assert!(line.ends_with(&format!("  {name}, {pinned}")), "{line}");
    }

    // The demo archive's layers are the same tars, stored uncompressed: with the trees
    // cached from the registry's gzip blobs, the archive still reports its own compression.
    let from_archive = report_via(DEMO, &env);
    assert_eq!(from_archive, report_json(DEMO));

    reg.stop();
    let (code, out, err) = run(&["report", "--json", &name], &env, None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), first);
    assert!(
        err.starts_with(&format!("strata: note: registry {host} is unreachable (Connection refused (os error 111)); using the manifest of {host}/demo:cached cached ")),
        "{err}"
    );
    let (code, _, err) = run(&["report", "--quiet", "--json", &name], &env, None);
    assert_eq!((code, err.as_str()), (0, ""), "--quiet hides the note");

    // A host that is gone times connections out instead of refusing them: a listener whose
    // accept queue is full drops new ones the same way. Unreachable too, after one try.
    let hole = std::net::TcpListener::bind(&host).unwrap();
    let address: std::net::SocketAddr = host.parse().unwrap();
    let mut held = Vec::new();
    while let Ok(c) = std::net::TcpStream::connect_timeout(&address, Duration::from_millis(300)) {
        held.push(c);
        assert!(held.len() < 10_000, "the accept queue never filled");
    }
    let started = std::time::Instant::now();
    let (code, out, err) = run(&["report", "--json", "--timeout", "2", &name], &env, None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), first);
    assert!(
        err.starts_with(&format!("strata: note: registry {host} is unreachable (no answer within 2 s; no connection to {host}); using the manifest")),
        "{err}"
    );
    // Bounded by the 2 s timeout (a few tries), far from the default 30 s.
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "{:?}",
        started.elapsed()
    );
    drop((hole, held));

    // Without the cache there is nothing to fall back on.
    let (code, _, err) = run(&["report", "--no-cache", &name], &env, None);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!("strata: error: {name}: registry {host}: cannot connect (Connection refused (os error 111)); {NO_ENGINE_HAS_IT}\n")
    );

    let (code, out, _) = run(&["cache", "prune", "--max-size", "1GB"], &env, None);
    assert_eq!(code, 0);
    assert!(out.starts_with("removed 0 files"), "{out}");
    let (code, out, _) = run(&["cache", "prune"], &env, None);
    assert_eq!(code, 0);
    assert!(out.contains("; 0 B left in"), "{out}");
    let (_, listing, _) = run(&["cache", "ls"], &env, None);
    assert!(listing.starts_with("0 files, 0 B in"), "{listing}");
}

/// Pushes the demo, puts a proxy with `fault` in front, and opens the image through it.
fn through_proxy(
    fault: impl FnOnce(&Value) -> Fault,
    extra: &[&str],
) -> (Registry, Proxy, tempfile::TempDir, (i32, String, String)) {
    let reg = Registry::start(None);
    reg.push(&format!("docker-archive:{DEMO}"), "demo:v1", &[]);
    let manifest = reg.manifest("demo:v1", None);
    let proxy = Proxy::start(reg.port, fault(&manifest));
    let cache = tempdir();
    let name = format!("{}/demo:v1", proxy.host());
    let mut args = vec!["report", "--json"];
    args.extend_from_slice(extra);
    args.push(&name);
    let result = run(&args, &cache_env(cache.path()), None);
    (reg, proxy, cache, result)
}

fn largest_layer(manifest: &Value) -> String {
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|l| l["size"].as_u64().unwrap())
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn downloads_resume_after_a_cut_and_retry_503_and_429() {
    let archive = figures(&report_json(DEMO));
    for fault in ["cut", "503", "429", "stall"] {
        let (_reg, proxy, _cache, (code, out, err)) = through_proxy(
            |_| match fault {
                "cut" => Fault::CutOnce,
                "503" => Fault::Status503Once,
                "429" => Fault::Status429Once,
                _ => Fault::StallOnce(Duration::from_secs(4)),
            },
            if fault == "stall" {
                &["--timeout", "1"]
            } else {
                &[]
            },
        );
        assert_eq!(code, 0, "{fault}: {err}");
        assert_eq!(
            figures(&serde_json::from_str(&out).unwrap()),
            archive,
            "{fault}"
        );
        if fault == "cut" || fault == "stall" {
            // The retry asked for the rest of the blob, not the whole of it again.
            let ranges = proxy.ranges.lock().unwrap().clone();
            assert!(
                ranges
                    .iter()
                    .any(|r| r.to_ascii_lowercase().starts_with("range: bytes=")
                        && !r.ends_with("bytes=0-")),
                "{fault}: {ranges:?}"
            );
        }
    }
}

#[test]
fn a_corrupt_blob_fails_clearly_and_is_never_cached() {
    let mut digest = String::new();
    let (reg, _proxy, cache, (code, _, err)) = through_proxy(
        |m| {
            digest = largest_layer(m);
            Fault::Corrupt(digest.clone())
        },
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("digest mismatch: expected {digest}")),
        "{err}"
    );
    assert!(err.lines().count() == 1, "one line: {err}");
    let (_, listing, _) = run(&["cache", "ls"], &cache_env(cache.path()), None);
    assert!(!listing.contains(&digest), "{listing}");
    assert!(!listing.lines().any(|l| l.starts_with("temp")), "{listing}");

    // Straight from the registry, the same cache then fills with the good blob.
    let name = format!("{}/demo:v1", reg.host());
    report_via(&name, &cache_env(cache.path()));
    let (_, listing, _) = run(&["cache", "ls"], &cache_env(cache.path()), None);
    assert!(listing.contains(&digest), "{listing}");
}

/// A blob longer than the manifest says, whose first bytes are the blob, is not the blob.
#[test]
fn a_blob_longer_than_its_descriptor_is_refused_and_never_cached() {
    let mut digest = String::new();
    let (_reg, _proxy, cache, (code, _, err)) = through_proxy(
        |m| {
            digest = largest_layer(m);
            Fault::Longer(digest.clone())
        },
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("bytes the manifest gives for") && err.contains(&digest),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let (_, listing, _) = run(&["cache", "ls"], &cache_env(cache.path()), None);
    assert!(!listing.contains(&digest), "{listing}");
}

/// A registry that keeps answering `status`: exit 2, one line that names the status and the
/// attempts, and does not call a network failure corrupt data.
fn assert_gave_up(code: i32, err: &str, status: &str) {
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(status), "{err}");
    assert!(err.contains("gave up after 4 attempts"), "{err}");
    assert!(
        !err.contains("corrupt"),
        "a network failure is not corrupt data: {err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_registry_that_keeps_failing_gives_up_with_a_clear_error() {
    let (_reg, proxy, _cache, (code, _, err)) = through_proxy(|_| Fault::Status500Always, &[]);
    assert_gave_up(code, &err, "HTTP 500");
    assert!(
        proxy
            .blob_requests
            .load(std::sync::atomic::Ordering::SeqCst)
            >= 4
    );
}

#[test]
fn a_registry_that_sends_another_blob_than_asked_is_caught_and_nothing_is_cached() {
    let mut wanted = String::new();
    let (_reg, proxy, cache, (code, _, err)) = through_proxy(
        |m| {
            wanted = largest_layer(m);
            let other = m["layers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["digest"].as_str().unwrap().to_string())
                .find(|d| *d != wanted)
                .unwrap();
            Fault::Swap(wanted.clone(), other)
        },
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("digest mismatch: expected {wanted}, got sha256:")),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        proxy
            .blob_requests
            .load(std::sync::atomic::Ordering::SeqCst)
            > 0
    );
    let (_, listing, _) = run(&["cache", "ls"], &cache_env(cache.path()), None);
    assert!(!listing.contains(&wanted), "{listing}");
    assert!(!listing.lines().any(|l| l.starts_with("temp")), "{listing}");
}

#[test]
fn a_429_asking_for_an_hour_is_retried_a_bounded_number_of_times() {
    let started = std::time::Instant::now();
    let mut layers = Vec::new();
    let (_reg, proxy, cache, (code, _, err)) = through_proxy(
        |m| {
            layers = m["layers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["digest"].as_str().unwrap().to_string())
                .collect();
            Fault::Status429Always(3600)
        },
        &[],
    );
    assert_gave_up(code, &err, "HTTP 429");
    // Bounded: 4 attempts of one blob with second-long backoffs, not the hour asked for.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    assert!(
        proxy
            .blob_requests
            .load(std::sync::atomic::Ordering::SeqCst)
            >= 4
    );
    // No layer blob, no layer tree and no temp file: every layer download was refused.
    let (_, listing, _) = run(&["cache", "ls"], &cache_env(cache.path()), None);
    assert!(!layers.is_empty());
    for digest in &layers {
        assert!(!listing.contains(digest.as_str()), "{digest}: {listing}");
    }
    assert!(
        !listing
            .lines()
            .any(|l| l.starts_with("temp") || l.starts_with("tree")),
        "{listing}"
    );
}

#[test]
fn the_anonymous_bearer_token_flow_docker_hub_uses() {
    let (_reg, proxy, _cache, (code, out, err)) =
        through_proxy(|_| Fault::BearerToken("t0k3n-for-pull".into()), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        figures(&serde_json::from_str(&out).unwrap()),
        figures(&report_json(DEMO))
    );
    // Blobs too went through with the token.
    assert!(
        proxy
            .blob_requests
            .load(std::sync::atomic::Ordering::SeqCst)
            > 0
    );
}

#[test]
fn two_processes_share_one_cache_safely() {
    let reg = Registry::start(None);
    let name = reg.push(&format!("docker-archive:{DEMO}"), "demo:shared", &[]);
    let cache = tempdir();
    let env = cache_env(cache.path());
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| run(&["report", "--json", &name], &env, None));
        let b = run(&["report", "--json", &name], &env, None);
        (a.join().unwrap(), b)
    });
    assert_eq!((a.0, b.0), (0, 0), "{} {}", a.2, b.2);
    assert_eq!(a.1, b.1);
    let (_, listing, _) = run(&["cache", "ls"], &env, None);
    assert!(!listing.lines().any(|l| l.starts_with("temp")), "{listing}");
    reg.stop();
    let (code, out, err) = run(&["report", "--json", "--quiet", &name], &env, None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, a.1);
}

/// The throttling proxy the lazy-load benchmarks run behind (tests/support/throttle.rs):
/// an image pulled through it gives the same report as pulled directly, and its blobs' bytes
/// went through it.
#[test]
fn a_pull_through_the_throttled_link_gives_the_same_report() {
    use crate::support::throttle::{Link, Throttle};
    let reg = Registry::start(None);
    let name = reg.push(&format!("docker-archive:{DEMO}"), "slow:v1", &[]);
    let port = reg.host().rsplit(':').next().unwrap().parse().unwrap();
    let link = Throttle::start(
        port,
        Link {
            rate: 50_000_000,
            latency: Duration::from_millis(30),
        },
    )
    .unwrap();
    let cache = tempdir();
    let env = cache_env(cache.path());
    let direct = report_via(&name, &env);
    let cache = tempdir();
    let env = cache_env(cache.path());
    let slow = report_via(&name.replace(&reg.host(), &link.host()), &env);
    assert_eq!(figures(&slow), figures(&direct));
    let blobs: u64 = direct["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["compressed_size"].as_u64().unwrap())
        .sum();
    let sent = link.sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        sent >= blobs,
        "{sent} bytes through the link, {blobs} in blobs"
    );
}
