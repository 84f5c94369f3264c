//! strata's figures against dive 0.13.1's own output for the same archives
//! (`shared/oracle/`), and the image test figures DESIGN.md section 3 defines.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use serde_json::Value;
use support::{load_image, report_json, shared};

fn dive_json(path: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// `strata report --json` of `archive` twice on one fresh cache: the first run computes
/// dive's figures and stores them, the second reads them back. Asserts both reports are the
/// same, byte for byte, and returns the second.
fn report_twice(archive: &std::path::Path) -> Value {
    let cache = support::tempdir();
    let env = [("STRATA_CACHE_DIR", cache.path().to_str().unwrap())];
    let run = || {
        let (code, out, err) =
            support::strata_env(&["report", "--json", archive.to_str().unwrap()], &env, None);
        assert_eq!(code, 0, "{}: {err}", archive.display());
        out
    };
    let first = run();
    let (_, listing, _) = support::strata_env(&["cache", "ls"], &env, None);
    assert_eq!(
        listing.lines().filter(|l| l.starts_with("dive ")).count(),
        1,
        "{}: one dive figures file is cached:\n{listing}",
        archive.display()
    );
    let second = run();
    assert_eq!(
        first,
        second,
        "{}: a reopen from the cache",
        archive.display()
    );
    serde_json::from_str(&second).unwrap()
}

/// Asserts strata's `dive_compat` equals dive's JSON: size, wasted bytes, efficiency within
/// `tolerance`, each layer's size, and the inefficient files in dive's order; computed, and
/// read back from the cache.
fn assert_dive_equal(archive: &std::path::Path, dive: &Value, tolerance: f64) {
    let ours = report_twice(archive);
    let dc = &ours["dive_compat"];
    let img = &dive["image"];
    let name = archive.display();
    assert_eq!(dc["size_bytes"], img["sizeBytes"], "{name}: sizeBytes");
    assert_eq!(
        dc["wasted_bytes"], img["inefficientBytes"],
        "{name}: inefficientBytes"
    );
    let (a, b) = (
        dc["efficiency"].as_f64().unwrap(),
        img["efficiencyScore"].as_f64().unwrap(),
    );
    assert!(
        (a - b).abs() <= tolerance,
        "{name}: efficiency {a} vs dive {b}"
    );
    let dive_layers: Vec<u64> = dive["layer"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["sizeBytes"].as_u64().unwrap())
        .collect();
    let our_layers: Vec<u64> = dc["layer_sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(our_layers, dive_layers, "{name}: layer sizes");
    let dive_files: Vec<(String, u64, u64)> = img["fileReference"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["count"].as_u64().unwrap(),
                f["sizeBytes"].as_u64().unwrap(),
            )
        })
        .collect();
    let our_files: Vec<(String, u64, u64)> = dc["inefficient_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["count"].as_u64().unwrap(),
                f["size_bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(our_files, dive_files, "{name}: inefficient files");
}

#[test]
fn dive_test_image_matches_dive_and_the_design_figures() {
    let dir = shared().join("oracle/dive-test-images");
    let archive = dir.join("test-docker-image.tar");
    assert_dive_equal(
        &archive,
        &dive_json(&dir.join("test-docker-image.dive-0.13.1.json")),
        1e-9,
    );

    let r = report_json(archive.to_str().unwrap());
    assert_eq!(r["schema"], "strata.report/v1");
    assert_eq!(r["layers"].as_array().unwrap().len(), 14);
    assert_eq!(r["totals"]["total_bytes"], 1_220_598);
    let w = &r["waste"];
    assert_eq!(w["unreachable_bytes"], 32_025);
    assert_eq!(w["removed"], 19_215);
    assert_eq!(w["copy_up"], 12_810);
    assert_eq!(w["overwritten"], 0);
    assert_eq!(w["duplicate"], 25_620);
    assert_eq!(
        r["totals"]["total_bytes"].as_u64().unwrap() - r["totals"]["final_bytes"].as_u64().unwrap(),
        32_025
    );
    // The chmod in the last layer is a copy-up of /root/saved.txt.
    let top = w["top"].as_array().unwrap();
    assert!(top.iter().any(|t| t["path"] == "/root/saved.txt"
        && t["cause"] == "copy_up"
        && t["layers"] == serde_json::json!([7, 13])));
    // dive's CI figure, 48.3491 %.
    let uwp = r["dive_compat"]["user_wasted_percent"].as_f64().unwrap();
    assert!((uwp - 0.4834911001404049).abs() < 1e-12, "{uwp}");
}

#[test]
fn every_synthetic_image_matches_dive_exactly() {
    let dir = shared().join("oracle/dive-synthetic");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tar") {
            let json = path.with_extension("json");
            assert_dive_equal(&path, &dive_json(&json), 0.0);
            checked += 1;
        }
    }
    assert!(
        checked >= 10,
        "only {checked} synthetic images found in {}",
        dir.display()
    );
}

#[test]
fn oci_gzip_zstd_estargz_and_uncompressed_archives_give_the_same_files() {
    let dir = shared().join("oracle/dive-test-images");
    let mut listings = Vec::new();
    for (name, compression) in [
        ("test-oci-gzip-image.tar", "gzip"),
        ("test-oci-zstd-image.tar", "zstd"),
        ("test-oci-estargz-image.tar", "gzip"),
        ("test-oci-uncompressed-image.tar", "uncompressed"),
    ] {
        let path = dir.join(name);
        let session = load_image(path.to_str().unwrap());
        let image = session.image();
        assert_eq!(image.layers[0].compression.name(), compression, "{name}");
        let analysis = session.analyse();
        let trees = image.trees();
        let files: Vec<(String, u64)> =
            strata::analysis::merge::listing(&trees, &analysis.stack, &analysis.stack.top)
                .iter()
                .map(|l| (l.path.to_string(), l.size))
                .collect();
        assert!(
            files.contains(&("README.md".to_string(), 11189)),
            "{name}: {files:?}"
        );
        let r = report_json(path.to_str().unwrap());
        assert_eq!(r["dive_compat"]["efficiency"], 1.0);
        assert_eq!(r["dive_compat"]["wasted_bytes"], 0);
        assert_eq!(
            r["dive_compat"]["user_wasted_percent"],
            Value::Null,
            "NaN is null"
        );
        listings.push((name, files));
    }
    for (name, files) in &listings[1..] {
        assert_eq!(
            files, &listings[0].1,
            "{name} differs from {}",
            listings[0].0
        );
    }
}

/// The cached dive figures are what a reopen shows (forged ones included: the cache is read,
/// not recomputed), and a file whose layer sizes do not match the image is dropped and the
/// figures computed again.
#[test]
fn dive_figures_are_read_back_from_the_cache_and_a_mismatched_file_is_dropped() {
    use strata::cache::Cache;
    let archive = shared().join("oracle/dive-synthetic/triple.tar");
    let path = archive.to_str().unwrap();
    let session = load_image(path);
    let image = session.image();
    let fresh = session.analyse().dive;
    assert!(fresh.wasted_bytes > 0, "the image wastes bytes: {fresh:?}");
    let ids: Vec<&strata::model::digest::Digest> = image
        .layers
        .iter()
        .map(|l| l.desc.diff_id.as_ref().unwrap())
        .collect();
    let key = strata::cache::dive_key(&ids);
    let mut reversed = ids.clone();
    reversed.reverse();
    assert_ne!(
        key,
        strata::cache::dive_key(&reversed),
        "the key is the ordered list"
    );

    let dir = support::tempdir();
    let cache = Cache::at(dir.path().to_path_buf());
    let mut forged = fresh.clone();
    forged.wasted_bytes += 7;
    forged.inefficient_files.truncate(1);
    cache.put_dive(&key, &forged).unwrap();
    let env = [("STRATA_CACHE_DIR", dir.path().to_str().unwrap())];
    let report = |expect: &strata::analysis::dive_compat::DiveCompat| {
        let (code, out, err) = support::strata_env(&["report", "--json", path], &env, None);
        assert_eq!(code, 0, "{err}");
        let json: Value = serde_json::from_str(&out).unwrap();
        let dc = &json["dive_compat"];
        assert_eq!(dc["wasted_bytes"], expect.wasted_bytes);
        assert_eq!(
            dc["inefficient_files"].as_array().unwrap().len(),
            expect.inefficient_files.len()
        );
        assert_eq!(
            dc["user_wasted_percent"].as_f64().unwrap(),
            expect.wasted_bytes as f64 / expect.user_size_bytes as f64
        );
    };
    report(&forged);

    let mut stale = fresh.clone();
    stale.layer_sizes[0] += 512;
    stale.wasted_bytes += 7;
    cache.put_dive(&key, &stale).unwrap();
    report(&fresh);
    // The second run wrote the right figures back in place of the mismatched ones.
    let sizes: Vec<u64> = image.layers.iter().map(|l| l.tree.header_bytes).collect();
    assert_eq!(cache.dive(&key, &sizes), Some(fresh));
}
