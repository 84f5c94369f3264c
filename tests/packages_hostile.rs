//! Package databases built to break a reader, in one image beside sound ones: a dpkg status
//! cut mid-paragraph, an apk database larger than the read limit, an rpm database whose
//! header lies about its length, a 50 MB package.json and one nested 100,000 deep, a
//! METADATA whose name is not UTF-8. The image must still open (report, SBOM and the
//! explorer's load), each bad file must be listed in `packages_unreadable` with its path and
//! layer, and the sound databases around them must still be read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;

use crate::packages::{explorer, raw};
use crate::support::*;

/// tests/data/rpm/rpmdb.sqlite (written by rpm, see its README) with every header's data
/// length raised far past its blob: each index entry now points into bytes the blob does
/// not have. (Every copy, live or left in a free page, so which rows sqlite still holds does
/// not matter.)
fn lying_rpmdb() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/rpm/rpmdb.sqlite.gz"
    );
    let mut db = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut db)
        .unwrap();
    // A header blob starts with its index count and data length, then its first entry:
    // RPMTAG_HEADERIMMUTABLE (63), type BIN (7).
    let first_entry = [0, 0, 0, 0x3f, 0, 0, 0, 7];
    let starts: Vec<usize> = db
        .windows(8)
        .enumerate()
        .filter(|(at, w)| *w == first_entry && *at >= 8)
        .map(|(at, _)| at)
        .collect();
    assert!(starts.len() >= 4, "headers in the fixture: {starts:?}");
    for at in starts {
        db[at - 4..at].copy_from_slice(&0x7fff_fff0u32.to_be_bytes());
    }
    db
}

const APK_LIMIT: usize = 256 << 20;

#[test]
fn hostile_package_databases_are_reported_and_the_image_still_opens() {
    let sound_status = "Package: base-files\nStatus: install ok installed\nArchitecture: amd64\n\
                        Version: 12.4\n\nPackage: cut\nStatus: install ok installed\nVers";
    let mut huge_apk = Vec::with_capacity(APK_LIMIT + 4096);
    while huge_apk.len() <= APK_LIMIT {
        let n = huge_apk.len();
        huge_apk.extend_from_slice(format!("P:p{n}\nV:1.0-r0\nA:x86_64\n\n").as_bytes());
    }
    let big_json = {
        let mut s = String::from(r#"{"name": "big", "version": "1.0.0", "description": ""#);
        s.extend(std::iter::repeat_n('x', 50 << 20));
        s.push_str("\"}");
        s
    };
    let deep_json = format!(
        r#"{{"name": "deep", "version": "1.0.0", "x": {}1{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let site = "usr/lib/python3/dist-packages";
    let archive_dir = tempdir();
    let archive = archive_dir.path().join("hostile-packages.tar");
    Spec::new()
        .layer(
            "debootstrap",
            vec![
                raw("var/lib/dpkg/status", sound_status.as_bytes()),
                raw("lib/apk/db/installed", &huge_apk),
                raw("var/lib/rpm/rpmdb.sqlite", &lying_rpmdb()),
            ],
        )
        .layer(
            "RUN npm install && pip install",
            vec![
                raw(
                    "app/node_modules/ok/package.json",
                    br#"{"name": "ok", "version": "2.0.0"}"#,
                ),
                raw("app/node_modules/big/package.json", big_json.as_bytes()),
                raw("app/node_modules/deep/package.json", deep_json.as_bytes()),
                raw(
                    &format!("{site}/bad-1.0.dist-info/METADATA"),
                    b"Metadata-Version: 2.1\nName: b\xe4d\nVersion: 1.0\n",
                ),
                raw(
                    &format!("{site}/good-1.0.dist-info/METADATA"),
                    b"Metadata-Version: 2.1\nName: good\nVersion: 1.0\nAuthor: Jos\xe9\n",
                ),
            ],
        )
        .docker_archive(&archive);
    drop(huge_apk);

    let report = report_json(archive.to_str().unwrap());
    let unreadable: Vec<(String, u64, String)> = report["packages_unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["path"].as_str().unwrap().to_string(),
                u["layer"].as_u64().unwrap(),
                u["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let reason = |path: &str, layer: u64| {
        unreadable
            .iter()
            .find(|(p, l, _)| p == path && *l == layer)
            .map(|(_, _, r)| r.clone())
            .unwrap_or_else(|| panic!("{path} (layer {layer}) is not unreadable: {unreadable:?}"))
    };
    assert!(reason("/var/lib/dpkg/status", 0).contains("cut"));
    assert!(reason("/lib/apk/db/installed", 0).contains("more than"));
    assert!(!reason("/var/lib/rpm/rpmdb.sqlite", 0).is_empty());
    assert!(reason("/app/node_modules/big/package.json", 1).contains("more than"));
    assert!(reason("/app/node_modules/deep/package.json", 1).contains("nested"));
    assert!(reason(&format!("/{site}/bad-1.0.dist-info/METADATA"), 1).contains("UTF-8"));
    assert_eq!(unreadable.len(), 6, "{unreadable:?}");

    // The sound databases and entries around them are read.
    let mut names: Vec<String> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["ecosystem"].as_str().unwrap(),
                p["name"].as_str().unwrap()
            )
        })
        .collect();
    names.sort();
    assert_eq!(names, ["dpkg base-files", "npm ok", "python good"]);

    // The text report and the SBOM name them; the explorer loads the image.
    let (code, text, err) = strata(&["report", archive.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("/app/node_modules/deep/package.json"),
        "{text}"
    );
    let (code, sbom, err) = strata(&["sbom", archive.to_str().unwrap(), "--format", "cyclonedx"]);
    assert_eq!(code, 0, "{err}");
    assert!(sbom.contains("\"good\""), "{sbom}");

    // The explorer's Packages view lists each unreadable database; Enter on one shows the
    // file in the layer that wrote it.
    let mut s = explorer::state(&archive, 160, 48);
    explorer::keys(&mut s, "p");
    let screen = explorer::render(&s);
    assert!(screen.contains("6 unreadable"), "{screen}");
    assert!(
        screen.contains("unreadable /app/node_modules/deep/package.json (layer 1): invalid"),
        "{screen}"
    );
    explorer::keys(&mut s, "/ deep <enter> <enter>");
    let screen = explorer::render(&s);
    assert!(
        screen.contains("Files: layer 1, merged") && screen.contains("package.json"),
        "{screen}"
    );
    assert!(!screen.contains("METADATA"), "{screen}");
}
