//! The cache never vouches for bytes it did not check (issue "Speed at the verification
//! floor", point 4): a layer tree from the cache stands in for a layer only when its bytes are
//! in strata's blob store, or in a local file unchanged since strata checked them, or checked
//! again in this run. A config that names a diff_id strata has seen proves nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use crate::support::*;
use serde_json::Value;

/// A two-layer image with enough content that every part of a blob is file data somewhere.
fn spec() -> Spec {
    Spec::new()
        .layer(
            "ADD rootfs /",
            vec![
                Item::Dir("etc"),
                file("etc/os", &noise(11, 6_000)),
                file("bin/tool", &noise(12, 9_000)),
            ],
        )
        .layer(
            "RUN build",
            vec![Item::Dir("opt"), file("opt/app", &noise(13, 12_000))],
        )
}

fn run(args: &[&str], cache: &Path, trace: bool) -> (i32, String, String) {
    let cache = cache.display().to_string();
    let mut env = vec![("STRATA_CACHE_DIR", cache.as_str())];
    if trace {
        env.push(("STRATA_TRACE", "1"));
    }
    strata_env(args, &env, None)
}

fn report(image: &Path, cache: &Path) -> (i32, String, String) {
    run(&["report", "--json", image.to_str().unwrap()], cache, true)
}

/// Where each member of a tar archive lies: (name, data offset, size).
fn members(archive: &Path) -> Vec<(String, u64, u64)> {
    let mut a = tar::Archive::new(std::fs::File::open(archive).unwrap());
    a.entries_with_seek()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            (name, e.raw_file_position(), e.size())
        })
        .collect()
}

/// The layer blobs of an archive (OCI: the manifest's layers; docker: manifest.json's).
fn layer_members(archive: &Path) -> Vec<(String, u64, u64)> {
    let all = members(archive);
    let read = |name: &str| -> Option<Vec<u8>> {
        let (_, off, size) = all.iter().find(|(n, _, _)| n == name)?;
        let bytes = std::fs::read(archive).unwrap();
        Some(bytes[*off as usize..(*off + *size) as usize].to_vec())
    };
    let names: Vec<String> = if let Some(m) = read("manifest.json") {
        let m: Value = serde_json::from_slice(&m).unwrap();
        m[0]["Layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect()
    } else {
        let index: Value = serde_json::from_slice(&read("index.json").unwrap()).unwrap();
        let digest = index["manifests"][0]["digest"].as_str().unwrap();
        let manifest = read(&format!("blobs/sha256/{}", &digest[7..])).unwrap();
        let manifest: Value = serde_json::from_slice(&manifest).unwrap();
        manifest["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| format!("blobs/sha256/{}", &l["digest"].as_str().unwrap()[7..]))
            .collect()
    };
    names
        .iter()
        .map(|n| all.iter().find(|(m, _, _)| m == n).unwrap().clone())
        .collect()
}

fn flip(archive: &Path, at: u64) {
    let mut bytes = std::fs::read(archive).unwrap();
    bytes[at as usize] ^= 0x01;
    std::fs::write(archive, bytes).unwrap();
}

fn oci_archive(dir: &Path) -> PathBuf {
    let path = dir.join("oci.tar");
    spec().oci(&path, Comp::Gzip, false);
    path
}

fn docker_archive(dir: &Path) -> PathBuf {
    let path = dir.join("docker.tar");
    spec().docker_archive(&path);
    path
}

/// One byte flipped anywhere in any layer blob of an image opened before is refused: 12
/// places in each of the two layers, of an OCI archive (gzip) and a docker archive.
#[test]
fn a_byte_flipped_anywhere_in_a_layer_opened_before_is_refused() {
    let dir = tempdir();
    let cache = dir.path().join("cache");
    for archive in [oci_archive(dir.path()), docker_archive(dir.path())] {
        let (code, _, err) = report(&archive, &cache);
        assert_eq!(code, 0, "{err}");
        let mut checked = 0;
        for (name, off, size) in layer_members(&archive) {
            for k in 0..12u64 {
                let at = off + k * (size - 1) / 11;
                flip(&archive, at);
                let (code, out, err) = report(&archive, &cache);
                flip(&archive, at);
                assert_eq!(
                    code,
                    2,
                    "{} {name} byte {} of {size} flipped: exit {code}, {out:.100}",
                    archive.display(),
                    at - off
                );
                assert!(err.contains("layer "), "the layer is named: {err}");
                checked += 1;
            }
        }
        assert_eq!(checked, 24);
        // Restored, the image opens again.
        assert_eq!(report(&archive, &cache).0, 0);
    }
}

/// The same archive unchanged reopens from the cache without reading its blobs; touched, its
/// blobs are read again (hashed, not decompressed) before the cached trees are used.
#[test]
fn an_unchanged_archive_reopens_without_reading_its_blobs_and_a_touched_one_is_checked() {
    let dir = tempdir();
    let cache = dir.path().join("cache");
    for archive in [oci_archive(dir.path()), docker_archive(dir.path())] {
        let (code, first, err) = report(&archive, &cache);
        assert_eq!(code, 0, "{err}");
        assert_eq!(err.matches("read and verified").count(), 2, "{err}");

        let (code, again, err) = report(&archive, &cache);
        assert_eq!(code, 0, "{err}");
        assert_eq!(again, first);
        assert_eq!(
            err.matches("tree from the cache (unchanged file)").count(),
            2,
            "{err}"
        );
        assert!(!err.contains("read and verified"), "{err}");

        // Same bytes, newer times: checked again.
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(10);
        std::fs::File::options()
            .append(true)
            .open(&archive)
            .unwrap()
            .set_modified(later)
            .unwrap();
        let (code, touched, err) = report(&archive, &cache);
        assert_eq!(code, 0, "{err}");
        assert_eq!(touched, first);
        assert_eq!(err.matches("its blob verified again").count(), 2, "{err}");
        // And trusted again after that.
        let (_, _, err) = report(&archive, &cache);
        assert_eq!(
            err.matches("tree from the cache (unchanged file)").count(),
            2,
            "{err}"
        );
    }
}

/// `docker save` archive with a gzip layer (its diff_id the only digest naming it).
fn docker_gzip(out: &Path, tar: &[u8], blob: &[u8]) {
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [sha(tar)]},
        "history": [{"created_by": "ADD rootfs /"}],
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!([
        {"Config": "config.json", "RepoTags": ["t:1"], "Layers": ["l0/layer.tar"]}
    ]))
    .unwrap();
    write_tar(
        out,
        &[
            ("l0/layer.tar".into(), blob.to_vec()),
            ("config.json".into(), config),
            ("manifest.json".into(), manifest),
        ],
    );
}

/// OCI archive whose one layer blob is `blob` (named by its own digest, so the blob digest
/// checks) and whose config names the diff_id of `tar`.
fn oci_gzip(out: &Path, tar: &[u8], blob: &[u8]) {
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [sha(tar)]},
        "history": [{"created_by": "ADD rootfs /"}],
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(blob), "size": blob.len()}],
    }))
    .unwrap();
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(&manifest), "size": manifest.len()}],
    }))
    .unwrap();
    let blob_name = |b: &[u8]| format!("blobs/sha256/{}", &sha(b)[7..]);
    write_tar(
        out,
        &[
            (
                "oci-layout".into(),
                br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
            ),
            (blob_name(blob), blob.to_vec()),
            (blob_name(&config), config.clone()),
            (blob_name(&manifest), manifest.clone()),
            ("index.json".into(), index),
        ],
    );
}

/// An image opened before puts its layer's tree in the cache; another archive whose config
/// names the same diff_id but whose gzip layer is cut short, has a bad CRC or is not a tar is
/// read, not matched by name, and refused with the layer named.
#[test]
fn a_broken_layer_naming_a_cached_diff_id_is_read_and_refused() {
    let dir = tempdir();
    let cache = dir.path().join("cache");
    let tar = layer_tar(&[Item::Dir("etc"), file("etc/os", &noise(21, 40_000))]);
    let good = compress(&tar, Comp::Gzip);
    let mut truncated = good.clone();
    truncated.truncate(good.len() - 100);
    let mut bad_crc = good.clone();
    let crc_at = good.len() - 8;
    bad_crc[crc_at] ^= 0xff;
    let not_a_tar = compress(&noise(22, 40_000), Comp::Gzip);
    for (form, write) in [
        ("oci", oci_gzip as fn(&Path, &[u8], &[u8])),
        ("docker", docker_gzip as fn(&Path, &[u8], &[u8])),
    ] {
        let intact = dir.path().join(format!("{form}-intact.tar"));
        write(&intact, &tar, &good);
        let (code, _, err) = report(&intact, &cache);
        assert_eq!(code, 0, "{form}: {err}");
        for (what, blob) in [
            ("truncated", &truncated),
            ("bad CRC", &bad_crc),
            ("not a tar", &not_a_tar),
        ] {
            let broken = dir
                .path()
                .join(format!("{form}-{}.tar", what.replace(' ', "-")));
            write(&broken, &tar, blob);
            let (code, out, err) = report(&broken, &cache);
            assert_eq!(code, 2, "{form}, {what}: exit {code}: {out:.200} {err}");
            let line = err.lines().last().unwrap_or_default();
            assert!(
                line.starts_with(&format!("strata: error: {}: layer 0", broken.display())),
                "{form}, {what}: {err}"
            );
        }
    }
}

/// `--verify-diff-ids` checks the uncompressed tar of compressed layers too, and the report
/// says per layer what was checked.
#[test]
fn the_report_says_which_digests_were_checked() {
    let dir = tempdir();
    let cache = dir.path().join("cache");
    let oci = oci_archive(dir.path());
    let verified = |r: &str| -> Vec<Value> {
        let r: Value = serde_json::from_str(r).unwrap();
        r["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["verified"].clone())
            .collect()
    };
    let (code, out, err) = run(
        &["report", "--json", "--no-cache", oci.to_str().unwrap()],
        &cache,
        false,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(verified(&out), vec![serde_json::json!(["digest"]); 2]);
    let (code, out, err) = run(
        &[
            "report",
            "--json",
            "--no-cache",
            "--verify-diff-ids",
            oci.to_str().unwrap(),
        ],
        &cache,
        false,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        verified(&out),
        vec![serde_json::json!(["digest", "diff_id"]); 2]
    );
    let docker = docker_archive(dir.path());
    let (code, out, err) = run(
        &["report", "--json", "--no-cache", docker.to_str().unwrap()],
        &cache,
        false,
    );
    assert_eq!(code, 0, "{err}");
    // Uncompressed: the blob is its tar, one hash checks both.
    assert_eq!(
        verified(&out),
        vec![serde_json::json!(["digest", "diff_id"]); 2]
    );
}

/// A diff_id that lies is caught with `--verify-diff-ids`, and only then (a compressed blob
/// is checked against the digest it is addressed by).
#[test]
fn a_lying_diff_id_is_caught_when_diff_ids_are_verified() {
    let dir = tempdir();
    let tar = layer_tar(&[Item::Dir("etc"), file("etc/os", &noise(31, 5_000))]);
    let other = layer_tar(&[Item::Dir("etc"), file("etc/os", &noise(32, 5_000))]);
    let archive = dir.path().join("lying.tar");
    // The config names `other`'s diff_id; the blob holds `tar`.
    oci_gzip(&archive, &other, &compress(&tar, Comp::Gzip));
    let path = archive.to_str().unwrap();
    let cache = dir.path().join("cache");
    let (code, _, err) = run(&["report", "--no-cache", path], &cache, false);
    assert_eq!(code, 0, "addressed by its blob digest, which checks: {err}");
    let (code, _, err) = run(
        &["report", "--no-cache", "--verify-diff-ids", path],
        &cache,
        false,
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("layer 0 uncompressed content (diff_id)") && err.contains("digest mismatch"),
        "{err}"
    );
}
