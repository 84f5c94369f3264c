//! Every local source form opens to the same image: docker archives (legacy and OCI-in-docker),
//! OCI archives and directories, nested indexes, platform and tag choice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use serde_json::{json, Value};
use support::*;

fn spec() -> Spec {
    Spec::new()
        .layer(
            "/bin/sh -c #(nop) ADD file:abc in / ",
            vec![
                Item::Dir("etc"),
                file("etc/os", &noise(1, 3000)),
                file("bin/tool", &noise(2, 5000)),
            ],
        )
        .layer(
            "/bin/sh -c chmod 700 /bin/tool",
            vec![
                Item::FileMode("bin/tool", noise(2, 5000), 0o700),
                Item::Whiteout("etc/os"),
            ],
        )
}

/// The parts of a report that do not depend on the container format.
fn essence(r: &Value) -> Value {
    json!({
        "totals": {"total_bytes": r["totals"]["total_bytes"], "final_bytes": r["totals"]["final_bytes"], "files": r["totals"]["files"]},
        "waste": {"copy_up": r["waste"]["copy_up"], "removed": r["waste"]["removed"]},
        "diff_ids": r["layers"].as_array().unwrap().iter().map(|l| l["diff_id"].clone()).collect::<Vec<_>>(),
        "dive": r["dive_compat"],
        "config": r["image"]["config"],
    })
}

#[test]
fn all_formats_and_compressions_give_the_same_report() {
    let dir = tempdir();
    let docker = dir.path().join("docker.tar");
    spec().docker_archive(&docker);
    let reference = essence(&report_json(docker.to_str().unwrap()));
    assert_eq!(reference["waste"]["copy_up"], 5000);
    assert_eq!(reference["waste"]["removed"], 3000);
    for (i, comp) in [Comp::None, Comp::Gzip, Comp::Zstd].into_iter().enumerate() {
        let archive = dir.path().join(format!("oci-{i}.tar"));
        spec().oci(&archive, comp, false);
        let layout = dir.path().join(format!("layout-{i}"));
        spec().oci(&layout, comp, true);
        for input in [
            archive.display().to_string(),
            format!("oci-archive:{}", archive.display()),
            layout.display().to_string(),
            format!("oci:{}", layout.display()),
            format!("oci:{}:latest", layout.display()),
        ] {
            let r = report_json(&input);
            assert_eq!(essence(&r), reference, "{input}");
            assert!(
                r["image"]["digest"]
                    .as_str()
                    .unwrap()
                    .starts_with("sha256:"),
                "{input}"
            );
        }
    }
    let r = report_json(&format!("docker-archive:{}", docker.display()));
    assert_eq!(essence(&r), reference);
    assert_eq!(r["image"]["names"], json!(["test/image:latest"]));
    assert_eq!(
        r["history"][0]["created_by"],
        "/bin/sh -c #(nop) ADD file:abc in / "
    );
    assert_eq!(r["history"][0]["command"], "ADD file:abc in /");
    assert_eq!(r["layers"][1]["command"], "RUN chmod 700 /bin/tool");
    assert_eq!(
        r["layers"][1]["created_by"],
        "/bin/sh -c chmod 700 /bin/tool"
    );
    assert_eq!(r["image"]["config"]["user"], "1000:1000");
    assert_eq!(r["image"]["config"]["exposed_ports"], json!(["8080/tcp"]));
}

#[test]
fn docker_archive_in_oci_form_with_layer_sources() {
    // Docker 25+ `docker save`: layers under blobs/sha256, manifest.json naming them, and an
    // index.json beside it.
    let dir = tempdir();
    let oci = spec().oci_files(Comp::Gzip);
    let find = |pred: &dyn Fn(&Value) -> bool| {
        oci.iter()
            .find(|(n, d)| {
                n.starts_with("blobs/")
                    && serde_json::from_slice::<Value>(d).is_ok_and(|v| pred(&v))
            })
            .unwrap()
    };
    let (manifest_name, manifest) = find(&|v| v.get("layers").is_some());
    let (config_name, _) = find(&|v| v.get("rootfs").is_some());
    let m: Value = serde_json::from_slice(manifest).unwrap();
    let layers: Vec<String> = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| format!("blobs/sha256/{}", &l["digest"].as_str().unwrap()[7..]))
        .collect();
    let docker_manifest = json!([{"Config": config_name, "RepoTags": ["x:1"], "Layers": layers}]);
    let mut files = oci.clone();
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(&docker_manifest).unwrap(),
    ));
    let path = dir.path().join("docker25.tar");
    write_tar(&path, &files);
    let r = report_json(path.to_str().unwrap());
    assert_eq!(r["image"]["format"], "docker-archive");
    assert_eq!(r["layers"][0]["compression"], "gzip");
    assert_eq!(r["layers"][0]["digest"], m["layers"][0]["digest"]);
    assert_eq!(r["waste"]["copy_up"], 5000);
    assert!(!manifest_name.is_empty());
}

#[test]
fn nested_index_with_platform_choice() {
    let dir = tempdir();
    let layout = dir.path().join("multi");
    let digests = nested_layout(&layout, &[("linux", "amd64"), ("linux", "arm64")]);
    let l = layout.to_str().unwrap();
    let host_arch = if cfg!(target_arch = "aarch64") { 1 } else { 0 };
    let r = report_json(l);
    assert_eq!(
        r["image"]["digest"], digests[host_arch],
        "the host's platform by default"
    );
    let (code, out, err) = strata(&[
        "report",
        "--json",
        "--platform",
        "linux/arm64",
        &format!("oci:{l}:multi"),
    ]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["image"]["digest"], digests[1]);
    assert_eq!(r["totals"]["final_bytes"], 5 + 200);

    let (code, _, err) = strata(&["report", "--platform", "linux/s390x", l]);
    assert_eq!(code, 2);
    assert!(
        err.contains("linux/s390x") && err.contains("linux/amd64, linux/arm64"),
        "{err}"
    );
    let (code, _, err) = strata(&["report", &format!("oci:{l}:nope")]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no image tagged nope") && err.contains("multi"),
        "{err}"
    );
    let (code, _, err) = strata(&["report", "--platform", "linux", l]);
    assert_eq!(code, 2);
    assert!(err.contains("os/arch"), "{err}");
}

#[test]
fn a_layout_with_several_untagged_images_asks_which() {
    let dir = tempdir();
    let layout = dir.path().join("two");
    // Another image's blobs and index entry first, then this one's (index.json is rewritten).
    Spec::new()
        .layer("b", vec![file("b", b"b")])
        .oci(&layout, Comp::Gzip, true);
    let index_path = layout.join("index.json");
    let read_index =
        || -> Value { serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap() };
    let mut other = read_index()["manifests"][0].clone();
    other["annotations"]["org.opencontainers.image.ref.name"] = json!("other");
    Spec::new()
        .layer("a", vec![file("a", b"a")])
        .oci(&layout, Comp::Gzip, true);
    let mut index = read_index();
    let mut again = index["manifests"][0].clone();
    again["annotations"]["org.opencontainers.image.ref.name"] = json!("again");
    let manifests = index["manifests"].as_array_mut().unwrap();
    manifests.push(other);
    std::fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    let (code, _, err) = strata(&["report", layout.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("2 images") && err.contains("latest, other"),
        "{err}"
    );
    let (code, out, err) = strata(&[
        "report",
        "--json",
        &format!("oci:{}:other", layout.display()),
    ]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["layers"][0]["created_by"], "b");

    // The same manifest listed again, under another tag: still one image to open, by any tag.
    let mut index = read_index();
    let manifests = index["manifests"].as_array_mut().unwrap();
    manifests.truncate(1);
    manifests.push(again);
    std::fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    for image in ["", ":latest", ":again"] {
        let (code, _, err) = strata(&["report", &format!("oci:{}{image}", layout.display())]);
        assert_eq!(code, 0, "{image}: {err}");
    }
}

#[test]
fn a_docker_archive_with_two_images_asks_which() {
    let dir = tempdir();
    let unpack = |spec: Spec, name: &str| {
        let path = dir.path().join(format!("{name}.tar"));
        spec.docker_archive(&path);
        let unpacked = dir.path().join(name);
        tar::Archive::new(std::fs::File::open(&path).unwrap())
            .unpack(&unpacked)
            .unwrap();
        unpacked
    };
    let unpacked = unpack(spec(), "two");
    let b = unpack(Spec::new().layer("b", vec![file("b", b"b")]), "b");
    let mpath = unpacked.join("manifest.json");
    let read = |p: &std::path::Path| -> Value {
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    };
    let mut m = read(&mpath);
    let mut second = read(&b.join("manifest.json"))[0].clone();
    std::fs::copy(
        b.join(second["Config"].as_str().unwrap()),
        unpacked.join(second["Config"].as_str().unwrap()),
    )
    .unwrap();
    std::fs::create_dir_all(unpacked.join("b0")).unwrap();
    std::fs::copy(b.join("l0/layer.tar"), unpacked.join("b0/layer.tar")).unwrap();
    second["Layers"] = json!(["b0/layer.tar"]);
    second["RepoTags"] = json!(["other:2"]);
    let mut again = m[0].clone();
    again["RepoTags"] = json!(["again:1"]);
    m.as_array_mut().unwrap().push(second);
    std::fs::write(&mpath, serde_json::to_vec(&m).unwrap()).unwrap();
    let u = unpacked.to_str().unwrap();
    let (code, _, err) = strata(&["report", u]);
    assert_eq!(code, 2);
    assert!(err.contains("2 images") && err.contains("other:2"), "{err}");
    let (code, out, err) = strata(&["report", "--json", &format!("docker-archive:{u}:other:2")]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["layers"][0]["created_by"], "b");

    // The same image listed again under another name: one image, opened without a choice.
    m.as_array_mut().unwrap().truncate(1);
    m.as_array_mut().unwrap().push(again);
    std::fs::write(&mpath, serde_json::to_vec(&m).unwrap()).unwrap();
    for image in [u.to_string(), format!("docker-archive:{u}:again:1")] {
        let (code, _, err) = strata(&["report", &image]);
        assert_eq!(code, 0, "{image}: {err}");
    }
}

#[test]
fn base_splits_the_figures_at_the_base_layers() {
    let dir = tempdir();
    let base_layer = || vec![Item::Dir("usr"), file("usr/bin/sh", &noise(1, 5000))];
    let base = dir.path().join("base.tar");
    Spec::new()
        .layer("base", base_layer())
        .docker_archive(&base);
    let app = dir.path().join("app.tar");
    Spec::new()
        .layer("base", base_layer())
        .layer("RUN add", vec![file("app/data", &noise(2, 3000))])
        .layer(
            "RUN rm",
            vec![Item::Whiteout("app/data"), file("app/bin", &noise(3, 100))],
        )
        .docker_archive(&app);
    let (code, out, err) = strata(&[
        "report",
        "--json",
        "--base",
        base.to_str().unwrap(),
        app.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    let b = &r["base"];
    assert_eq!(b["layers"], 1);
    assert_eq!(b["complete"], true);
    assert_eq!(b["base_bytes"], 5000);
    assert_eq!(b["added_bytes"], 3100);
    assert_eq!(b["added_unreachable_bytes"], 3000);
    assert_eq!(b["added_removed"], 3000);
    // Not its base: nothing matches.
    let other = dir.path().join("other.tar");
    Spec::new()
        .layer("other", vec![file("x", b"x")])
        .docker_archive(&other);
    let (_, out, _) = strata(&[
        "report",
        "--json",
        "--base",
        other.to_str().unwrap(),
        app.to_str().unwrap(),
    ]);
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["base"]["layers"], 0);
    assert_eq!(r["base"]["complete"], false);
    // Without --base and without annotations there is no base object.
    assert!(report_json(app.to_str().unwrap()).get("base").is_none());
}

#[test]
fn platform_of_a_docker_archive_is_checked() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo.tar");
    let dir = tempdir();
    let docker = dir.path().join("docker.tar");
    spec().docker_archive(&docker);
    let layout = dir.path().join("layout");
    let digests = nested_layout(&layout, &[("linux", "amd64"), ("linux", "arm64")]);
    assert_eq!(digests.len(), 2);
    let (docker, layout) = (docker.to_str().unwrap(), layout.to_str().unwrap());

    // The platform the archive has (its config names no variant: any is taken).
    for p in ["linux/amd64", "linux/amd64/v3"] {
        for image in [demo, docker] {
            let (code, _, err) = strata(&["report", "--platform", p, image]);
            assert_eq!(code, 0, "{p} {image}: {err}");
        }
    }
    // Well-formed but not in the archive: named, with the one the archive has.
    for p in ["linux/arm64", "windows/amd64", "linux/arm64/v8"] {
        for image in [demo, docker] {
            let (code, out, err) = strata(&["report", "--platform", p, image]);
            assert_eq!((code, out.as_str()), (2, ""), "{p} {image}: {err}");
            assert_eq!(
                err,
                format!(
                    "strata: error: {image}: no image for platform {p}; available: linux/amd64\n"
                ),
            );
        }
    }
    // Malformed: the same line whatever the format.
    for p in [
        "nonsense",
        "linux",
        "linux/",
        "/amd64",
        "linux/amd64/",
        "linux//v8",
        "a/b/c/d",
    ] {
        for image in [demo, docker, layout] {
            let (code, out, err) = strata(&["report", "--platform", p, image]);
            assert_eq!((code, out.as_str()), (2, ""), "{p} {image}: {err}");
            assert_eq!(
                err,
                format!("strata: error: {image}: bad --platform {p}: expected os/arch[/variant]\n"),
            );
        }
    }
}

/// An OCI layout of `spec()` whose manifest `edit` changed (index.json re-pointed at it).
fn layout_with_manifest(dir: &std::path::Path, edit: impl Fn(&mut Value)) -> String {
    let mut files = spec().oci_files(Comp::Gzip);
    let index_at = files.iter().position(|(n, _)| n == "index.json").unwrap();
    let mut index: Value = serde_json::from_slice(&files[index_at].1).unwrap();
    let old = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let manifest_at = files
        .iter()
        .position(|(n, _)| *n == format!("blobs/sha256/{}", &old[7..]))
        .unwrap();
    let mut manifest: Value = serde_json::from_slice(&files[manifest_at].1).unwrap();
    edit(&mut manifest);
    let bytes = serde_json::to_vec(&manifest).unwrap();
    let digest = sha(&bytes);
    index["manifests"][0]["digest"] = json!(digest);
    index["manifests"][0]["size"] = json!(bytes.len());
    files[manifest_at] = (format!("blobs/sha256/{}", &digest[7..]), bytes);
    files[index_at].1 = serde_json::to_vec(&index).unwrap();
    write_files(dir, &files);
    dir.to_str().unwrap().to_string()
}

fn one_line_error(image: &str) -> String {
    let (code, out, err) = strata(&["report", image]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

/// What is not a container image, or not the manifest's blob, is refused in one line: a layer,
/// config or manifest whose size is not its descriptor's, an OCI artifact (a Helm chart), a schema 1 manifest.
#[test]
fn sizes_artifacts_and_schema_1_are_checked() {
    let dir = tempdir();
    let bigger = layout_with_manifest(&dir.path().join("size"), |m| {
        let size = m["layers"][0]["size"].as_u64().unwrap();
        m["layers"][0]["size"] = json!(size + 5000);
    });
    let err = one_line_error(&bigger);
    assert!(
        err.contains("layer 0") && err.contains("the manifest says"),
        "{err}"
    );

    // So is a config, or a manifest, whose size is not its descriptor's.
    let config = layout_with_manifest(&dir.path().join("config-size"), |m| {
        m["config"]["size"] = json!(0);
    });
    let err = one_line_error(&config);
    assert!(
        err.contains(": image config sha256:") && err.ends_with("its descriptor says 0\n"),
        "{err}"
    );
    let index_path = dir.path().join("config-size/index.json");
    let mut index: Value = serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    index["manifests"][0]["size"] = json!(i64::MAX);
    std::fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    let err = one_line_error(&config);
    assert!(
        err.contains(": manifest sha256:")
            && err.ends_with(&format!("its descriptor says {}\n", i64::MAX)),
        "{err}"
    );

    let chart = layout_with_manifest(&dir.path().join("chart"), |m| {
        m["config"]["mediaType"] = json!("application/vnd.cncf.helm.config.v1+json");
    });
    let err = one_line_error(&chart);
    assert!(
        err.contains("not a container image: an OCI artifact of type application/vnd.cncf.helm.config.v1+json"),
        "{err}"
    );

    let old = layout_with_manifest(&dir.path().join("schema1"), |m| {
        *m = json!({"schemaVersion": 1, "name": "x", "tag": "1", "fsLayers": [], "history": []});
    });
    let err = one_line_error(&old);
    assert!(err.contains("Docker schema 1 manifest"), "{err}");
}

/// A `docker save` manifest names no blob digests; an uncompressed layer's blob is its tar, so
/// its digest is the diff_id (DESIGN: "the layer `digest` is the blob's").
#[test]
fn docker_archive_layers_have_their_blob_digest() {
    let dir = tempdir();
    let path = dir.path().join("legacy.tar");
    spec().docker_archive(&path);
    for pass in ["read", "cached"] {
        let (code, out, err) = strata_env(
            &["report", "--json", path.to_str().unwrap()],
            &[(
                "STRATA_CACHE_DIR",
                dir.path().join("cache").to_str().unwrap(),
            )],
            None,
        );
        assert_eq!(code, 0, "{err}");
        let r: Value = serde_json::from_str(&out).unwrap();
        for l in r["layers"].as_array().unwrap() {
            assert!(l["digest"].is_string(), "{pass}: {l:#}");
            assert_eq!(l["digest"], l["diff_id"], "{pass}");
        }
    }
}

/// Adds an index entry without a platform (an SBOM next to the images, as registries hold
/// them) to the multi-platform index of a `nested_layout`.
fn add_unplatformed_entry(layout: &std::path::Path, digest: &str) {
    let top_path = layout.join("index.json");
    let mut top: Value = serde_json::from_slice(&std::fs::read(&top_path).unwrap()).unwrap();
    let inner_digest = top["manifests"][0]["digest"].as_str().unwrap().to_string();
    let blob = |d: &str| layout.join("blobs/sha256").join(&d[7..]);
    let mut inner: Value =
        serde_json::from_slice(&std::fs::read(blob(&inner_digest)).unwrap()).unwrap();
    inner["manifests"].as_array_mut().unwrap().push(json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": 1,
        "artifactType": "application/spdx+json"}));
    let bytes = serde_json::to_vec(&inner).unwrap();
    let new_digest = sha(&bytes);
    std::fs::write(blob(&new_digest), &bytes).unwrap();
    top["manifests"][0]["digest"] = json!(new_digest);
    top["manifests"][0]["size"] = json!(bytes.len());
    std::fs::write(&top_path, serde_json::to_vec(&top).unwrap()).unwrap();
}

#[test]
fn platforms_normalise_prefer_the_exact_variant_and_skip_entries_without_one() {
    let dir = tempdir();
    let layout = dir.path().join("multi");
    let digests = nested_layout(
        &layout,
        &[
            ("linux", "amd64"),
            ("linux", "arm/v6"),
            ("linux", "arm/v7"),
            ("linux", "arm64"),
        ],
    );
    add_unplatformed_entry(&layout, &digests[0]);
    let l = layout.to_str().unwrap();
    let digest_for = |platform: Option<&str>| {
        let mut args = vec!["report", "--json"];
        if let Some(p) = platform {
            args.extend(["--platform", p]);
        }
        args.push(l);
        let (code, out, err) = strata(&args);
        assert_eq!(code, 0, "{platform:?}: {err}");
        let r: Value = serde_json::from_str(&out).unwrap();
        r["image"]["digest"].as_str().unwrap().to_string()
    };
    if cfg!(target_arch = "x86_64") {
        assert_eq!(digest_for(None), digests[0], "the host's, the SBOM skipped");
    }
    assert_eq!(
        digest_for(Some("linux/arm")),
        digests[2],
        "arm means arm/v7"
    );
    assert_eq!(digest_for(Some("linux/arm/v6")), digests[1]);
    assert_eq!(
        digest_for(Some("linux/arm64/v8")),
        digests[3],
        "arm64/v8 is arm64"
    );
    assert_eq!(digest_for(Some("linux/aarch64")), digests[3]);
    let (code, _, err) = strata(&["report", "--platform", "linux/s390x", l]);
    assert_eq!(code, 2);
    assert!(
        err.ends_with("available: linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64\n"),
        "{err}"
    );
}

#[test]
fn a_single_manifest_layout_of_another_platform_is_refused_for_platform() {
    let dir = tempdir();
    let layout = dir.path().join("one");
    Spec::new()
        .platform("linux/arm64")
        .layer("a", vec![file("a", b"a")])
        .oci(&layout, Comp::Gzip, true);
    let l = layout.to_str().unwrap();
    // Without --platform, the one image is the image, whatever its platform.
    assert_eq!(strata(&["report", l]).0, 0);
    assert_eq!(strata(&["report", "--platform", "linux/arm64/v8", l]).0, 0);
    let (code, _, err) = strata(&["report", "--platform", "linux/amd64", l]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!("strata: error: {l}: no image for platform linux/amd64; available: linux/arm64\n")
    );
}
