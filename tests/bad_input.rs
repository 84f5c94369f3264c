//! Bad input never panics or hangs: one line on stderr that names the input and the problem,
//! exit code 2, nothing on stdout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::path::Path;

use support::*;

/// Runs `strata report` on `target`, asserts the contract, returns the message.
fn fails(target: &str, needles: &[&str]) -> String {
    for json in [false, true] {
        let mut args = vec!["report", target];
        if json {
            args.push("--json");
        }
        let (code, out, err) = strata(&args);
        assert_eq!(code, 2, "{target}: exit code; stderr: {err}");
        assert!(out.is_empty(), "{target}: nothing on stdout, got {out}");
        assert_eq!(
            err.lines().count(),
            1,
            "{target}: one line on stderr, got {err:?}"
        );
        assert!(err.starts_with("strata: error: "), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        for n in needles {
            assert!(err.contains(n), "{target}: expected {n:?} in {err:?}");
        }
    }
    strata(&["report", target]).2
}

fn simple() -> Spec {
    Spec::new()
        .layer(
            "one",
            vec![
                file("etc/a", &noise(1, 40_000)),
                file("etc/b", &noise(2, 40_000)),
            ],
        )
        .layer("two", vec![file("etc/c", &noise(3, 40_000))])
}

/// Rewrites one file inside a plain tar, returning the new tar.
fn with_file_replaced(
    files: &[(String, Vec<u8>)],
    name: &str,
    f: impl Fn(&[u8]) -> Vec<u8>,
) -> Vec<(String, Vec<u8>)> {
    files
        .iter()
        .map(|(n, d)| (n.clone(), if n == name { f(d) } else { d.clone() }))
        .collect()
}

fn layer_blob_name(files: &[(String, Vec<u8>)], index: usize) -> String {
    let manifest_name = files
        .iter()
        .find(|(n, d)| {
            n.starts_with("blobs/")
                && serde_json::from_slice::<serde_json::Value>(d)
                    .is_ok_and(|v| v.get("layers").is_some())
        })
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&manifest_name.1).unwrap();
    format!(
        "blobs/sha256/{}",
        &v["layers"][index]["digest"].as_str().unwrap()[7..]
    )
}

#[test]
fn missing_file() {
    let msg = fails(
        "/nonexistent/image.tar",
        &["/nonexistent/image.tar", "no such file"],
    );
    assert!(
        msg.contains("No such file") || msg.contains("no such file"),
        "{msg}"
    );
    fails("docker-archive:/nonexistent/x.tar", &["/nonexistent/x.tar"]);
    fails("oci:/nonexistent/layout", &["/nonexistent/layout"]);
}

#[test]
fn truncated_gzip_layer() {
    let dir = tempdir();
    let files = simple().oci_files(Comp::Gzip);
    let blob = layer_blob_name(&files, 0);
    let broken = with_file_replaced(&files, &blob, |d| d[..d.len() / 2].to_vec());
    let path = dir.path().join("truncated.tar");
    write_tar(&path, &broken);
    fails(
        path.to_str().unwrap(),
        &["truncated.tar", "layer 0", "gzip"],
    );
}

#[test]
fn truncated_archive() {
    let dir = tempdir();
    let path = dir.path().join("cut.tar");
    simple().docker_archive(&path);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    fails(path.to_str().unwrap(), &["cut.tar"]);
}

/// Each entry of a tar: (name, where its header starts, where its data starts, data size).
fn entries_of(bytes: &[u8]) -> Vec<(String, u64, u64, u64)> {
    let mut archive = tar::Archive::new(bytes);
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            (
                name,
                e.raw_header_position(),
                e.raw_file_position(),
                e.size(),
            )
        })
        .collect()
}

/// Issue #23, item 3: a `docker save` or OCI archive cut short (a download or `head -c` that
/// stopped) says the archive ends early and names the last entry read, wherever the cut
/// falls: inside an entry's data, inside a header, or exactly between two entries before the
/// manifest or index came (no end-of-archive marker). It used to say "not a container image:
/// no manifest.json or index.json found". An archive that lacks only its end-of-archive
/// marker still opens, and a complete tar that holds no image is still "not a container
/// image".
#[test]
fn a_cut_archive_says_it_ends_early_and_names_the_last_entry_read() {
    let dir = tempdir();
    let docker = dir.path().join("docker.tar");
    simple().docker_archive(&docker);
    let oci = dir.path().join("oci.tar");
    simple().oci(&oci, Comp::Gzip, false);
    for (whole, prefix) in [(&docker, "docker-archive:"), (&oci, "oci-archive:")] {
        let bytes = std::fs::read(whole).unwrap();
        let entries = entries_of(&bytes);
        let (last, _, _, _) = entries.last().unwrap();
        assert!(last == "manifest.json" || last == "index.json", "{last}");
        // The largest entry after the first is a layer.
        let layer = entries[1..].iter().max_by_key(|e| e.3).unwrap();
        let layer_at = entries.iter().position(|e| e == layer).unwrap();
        assert!(
            layer.0.contains("layer") || layer.0.starts_with("blobs/"),
            "{entries:?}"
        );
        let before_layer = &entries[layer_at - 1].0;
        let before_last = &entries[entries.len() - 2].0;
        let cuts = [
            ("inside a layer's data", layer.2 + layer.3 / 2, &layer.0),
            ("inside a layer's header", layer.1 + 100, before_layer),
            (
                "inside the last header",
                entries.last().unwrap().1 + 300,
                before_last,
            ),
            (
                "between two entries",
                entries.last().unwrap().1,
                before_last,
            ),
        ];
        for (where_, at, after) in cuts {
            let cut = dir.path().join(format!(
                "cut-{}",
                whole.file_name().unwrap().to_str().unwrap()
            ));
            std::fs::write(&cut, &bytes[..at as usize]).unwrap();
            let cut = cut.to_str().unwrap();
            for target in [cut.to_string(), format!("{prefix}{cut}")] {
                let msg = fails(&target, &[]);
                assert_eq!(
                    msg.trim_end(),
                    format!(
                        "strata: error: {target}: the archive ends early (truncated) after \
                         '{after}' (read {at} bytes)"
                    ),
                    "{target}, cut {where_}"
                );
            }
        }
        // Without the two zero blocks at its end but whole: it opens.
        let unmarked = dir.path().join("unmarked.tar");
        let (_, _, data, size) = entries.last().unwrap();
        let end = (data + size).div_ceil(512) * 512;
        assert!(end < bytes.len() as u64);
        std::fs::write(&unmarked, &bytes[..end as usize]).unwrap();
        let (code, _, err) = strata(&["report", unmarked.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {err}", whole.display());
    }
    // A whole tar that is no image is not called truncated.
    let plain = dir.path().join("plain.tar");
    write_tar(&plain, &[("hello.txt".into(), b"hi\n".to_vec())]);
    fails(
        plain.to_str().unwrap(),
        &["not a container image: no manifest.json or index.json found"],
    );
}

#[test]
fn corrupt_tar_header_in_a_layer() {
    let dir = tempdir();
    let files = simple().oci_files(Comp::None);
    let blob = layer_blob_name(&files, 1);
    // Flip the checksum of the layer's first header; the blob digest check would also catch
    // it, but the tar error comes first and says more.
    let broken = with_file_replaced(&files, &blob, |d| {
        let mut d = d.to_vec();
        d[148] ^= 0x55;
        d
    });
    let path = dir.path().join("corrupt-header.tar");
    write_tar(&path, &broken);
    fails(
        path.to_str().unwrap(),
        &["corrupt-header.tar", "layer 1", "corrupt tar"],
    );
}

#[test]
fn blob_whose_digest_does_not_match() {
    let dir = tempdir();
    let files = simple().oci_files(Comp::None);
    let blob = layer_blob_name(&files, 0);
    // Change one content byte: still a valid tar, but not the bytes the manifest names.
    let broken = with_file_replaced(&files, &blob, |d| {
        let mut d = d.to_vec();
        d[600] ^= 0xff;
        d
    });
    let path = dir.path().join("tampered.tar");
    write_tar(&path, &broken);
    fails(
        path.to_str().unwrap(),
        &["tampered.tar", "layer 0", "digest mismatch", &blob[13..]],
    );

    // The same in a docker archive is caught by the config's diff_id.
    let docker = dir.path().join("tampered-docker.tar");
    simple().docker_archive(&docker);
    let out = dir.path().join("extracted");
    std::fs::create_dir(&out).unwrap();
    let mut a = tar::Archive::new(std::fs::File::open(&docker).unwrap());
    a.unpack(&out).unwrap();
    let layer = out.join("l0/layer.tar");
    let mut d = std::fs::read(&layer).unwrap();
    d[600] ^= 0xff;
    std::fs::write(&layer, d).unwrap();
    fails(
        out.to_str().unwrap(),
        &["extracted", "diff_id", "digest mismatch"],
    );
}

#[test]
fn manifest_pointing_at_a_missing_blob() {
    let dir = tempdir();
    let files = simple().oci_files(Comp::Gzip);
    let blob = layer_blob_name(&files, 1);
    let without: Vec<_> = files.into_iter().filter(|(n, _)| *n != blob).collect();
    let path = dir.path().join("missing-blob.tar");
    write_tar(&path, &without);
    fails(
        path.to_str().unwrap(),
        &["missing-blob.tar", "not in the image", &blob[13..]],
    );

    // A docker manifest naming a layer file that is not there.
    let docker = dir.path().join("docker-missing.tar");
    let manifest = serde_json::json!([{"Config": "c.json", "Layers": ["nope/layer.tar"]}]);
    write_tar(
        &docker,
        &[
            ("c.json".into(), b"{}".to_vec()),
            (
                "manifest.json".into(),
                serde_json::to_vec(&manifest).unwrap(),
            ),
        ],
    );
    fails(
        docker.to_str().unwrap(),
        &["docker-missing.tar", "nope/layer.tar"],
    );
}

#[test]
fn paths_that_are_not_images() {
    let dir = tempdir();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "just some text, not a tar\n".repeat(100)).unwrap();
    fails(
        text.to_str().unwrap(),
        &["notes.txt", "not a container image"],
    );

    let empty = dir.path().join("empty.tar");
    std::fs::write(&empty, b"").unwrap();
    fails(
        empty.to_str().unwrap(),
        &["empty.tar", "not a container image"],
    );

    // A bare layer tar (like dive's test-gzip-image.tar), plain and gzipped.
    let layer_only = dir.path().join("layer.tar");
    std::fs::write(&layer_only, layer_tar(&[file("etc/x", b"x")])).unwrap();
    fails(
        layer_only.to_str().unwrap(),
        &["layer.tar", "no manifest.json or index.json"],
    );
    let layer_gz = dir.path().join("layer.tar.gz");
    std::fs::write(
        &layer_gz,
        compress(&layer_tar(&[file("etc/x", b"x")]), Comp::Gzip),
    )
    .unwrap();
    fails(
        layer_gz.to_str().unwrap(),
        &["layer.tar.gz", "no manifest.json or index.json"],
    );

    let empty_dir = dir.path().join("emptydir");
    std::fs::create_dir(&empty_dir).unwrap();
    fails(
        empty_dir.to_str().unwrap(),
        &["emptydir", "not a container image"],
    );

    let bad_json = dir.path().join("bad-json.tar");
    write_tar(
        &bad_json,
        &[("manifest.json".into(), b"{not json".to_vec())],
    );
    fails(
        bad_json.to_str().unwrap(),
        &["bad-json.tar", "manifest.json", "invalid JSON"],
    );

    // The wrong transport for the file.
    let docker = dir.path().join("docker.tar");
    simple().docker_archive(&docker);
    fails(
        &format!("oci-archive:{}", docker.display()),
        &["docker.tar", "no index.json"],
    );
    fails("nginx:alpine", &["nginx:alpine", "registry"]);
}

#[test]
fn compressed_archives_are_read_and_corrupt_ones_rejected() {
    let dir = tempdir();
    let plain = dir.path().join("image.tar");
    simple().docker_archive(&plain);
    let gz = dir.path().join("image.tar.gz");
    std::fs::write(&gz, compress(&std::fs::read(&plain).unwrap(), Comp::Gzip)).unwrap();
    let a = report_json(plain.to_str().unwrap());
    let b = report_json(gz.to_str().unwrap());
    assert_eq!(a["totals"], b["totals"]);
    let bytes = std::fs::read(&gz).unwrap();
    std::fs::write(&gz, &bytes[..bytes.len() / 2]).unwrap();
    fails(gz.to_str().unwrap(), &["image.tar.gz", "gzip"]);
}

#[test]
fn a_path_outside_the_layout_is_refused() {
    let dir = tempdir();
    let layout = dir.path().join("layout");
    simple().oci(&layout, Comp::Gzip, true);
    // Point index.json's manifest at a digest whose blob path would escape: digests are
    // validated as 64 hex digits, so the name cannot carry `../`.
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:../../../../etc/passwd", "size": 1}]});
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
    fails(layout.to_str().unwrap(), &["layout", "not a sha256 digest"]);
    assert!(Path::new(&layout).join("oci-layout").exists());
}

/// Runs strata with a deadline: a run still going after it is killed and the test fails
/// (instead of hanging the suite). Its output is read while it runs, so a child that writes
/// more than a pipe holds never blocks on it.
fn strata_within(args: &[&str], secs: u64) -> (i32, String, String) {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let cache = tempdir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .env("STRATA_CACHE_DIR", cache.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("strata {args:?} still running after {secs}s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    (status.code().unwrap_or(-1), out, err)
}

#[test]
fn a_fifo_is_refused_before_it_is_opened() {
    let dir = tempdir();
    let fifo = dir.path().join("image.tar");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let path = fifo.to_str().unwrap().to_string();
    for target in [
        path.clone(),
        format!("docker-archive:{path}"),
        format!("oci-archive:{path}"),
    ] {
        for cmd in ["report", "ci"] {
            let (code, out, err) = strata_within(&[cmd, &target], 20);
            assert_eq!(code, 2, "{cmd} {target}: {err}");
            assert!(out.is_empty(), "{out}");
            assert_eq!(err.lines().count(), 1, "{err:?}");
            assert!(
                err.starts_with(&format!(
                    "strata: error: {target}: not a container image: a named pipe (FIFO)"
                )),
                "{err}"
            );
        }
    }
    // /dev/null still gets a clean one-line error.
    let (code, out, err) = strata_within(&["report", "/dev/null"], 20);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(err.starts_with("strata: error: /dev/null: "), "{err}");
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `strata` alone points at the explorer (issue #23), not at `report`.
#[test]
fn no_image_suggests_the_explorer() {
    let (code, out, err) = strata(&[]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert_eq!(
        err,
        "strata: error: no image given; try `strata IMAGE` to explore one, or `strata --help`\n"
    );
}

/// A bare name that no local engine has and no registry answers for says both (issue #23):
/// the user may have meant a local image. A name for the registry alone (`docker://`,
/// `--source registry`) asks no engine and says nothing of them.
#[test]
fn a_bare_name_found_nowhere_says_no_local_engine_had_it_either() {
    let port = closed_port();
    let name = format!("127.0.0.1:{port}/app:v1");
    let cache = tempdir();
    let mut env = vec![("STRATA_CACHE_DIR", cache.path().to_str().unwrap())];
    env.extend(NO_ENGINES);
    let (code, out, err) = strata_env(&["report", &name], &env, None);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert_eq!(
        err,
        format!(
            "strata: error: {name}: registry 127.0.0.1:{port}: cannot connect (Connection \
             refused (os error 111)); {NO_ENGINE_HAS_IT}\n"
        )
    );
    for args in [
        vec!["report".to_string(), format!("docker://{name}")],
        vec![
            "report".into(),
            "--source".into(),
            "registry".into(),
            name.clone(),
        ],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, _, err) = strata_env(&args, &env, None);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("cannot connect"), "{args:?}: {err}");
        assert!(!err.contains("engine"), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}
