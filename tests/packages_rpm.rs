//! An rpm image against syft 1.18.1, live: packages built with `rpmbuild` and installed with
//! `rpm --root` (Debian's `rpm`, sqlite backend, as Fedora 33+ and RHEL 9 write it), one
//! layer per rpm transaction, each layer holding the files that transaction wrote and
//! whiteouts for the ones it deleted, the way a container build would commit them. The
//! database is rpm's own, not one this suite writes: the headers, the sqlite pages and
//! whatever -wal/-shm rpm leaves are as rpm made them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::packages::{compare_with_syft, package, raw, raw_whiteout};
use crate::support::*;

/// A spec whose `%install` writes the files, so no sources are needed.
fn spec(name: &str, epoch: Option<u32>, version: &str, files: &[(&str, usize)]) -> String {
    let mut install = String::new();
    for (i, (path, size)) in files.iter().enumerate() {
        let dir = Path::new(path).parent().unwrap().display().to_string();
        install += &format!(
            "mkdir -p %{{buildroot}}{dir}\nhead -c {size} /dev/zero | tr '\\0' '{c}' > %{{buildroot}}{path}\n",
            c = (b'a' + i as u8 % 26) as char
        );
    }
    let epoch = epoch.map(|e| format!("Epoch: {e}\n")).unwrap_or_default();
    let listed: Vec<&str> = files.iter().map(|(p, _)| *p).collect();
    format!(
        "Name: {name}\n{epoch}Version: {version}\nRelease: 1\nSummary: {name}\nLicense: MIT\n\
         BuildArch: noarch\n%description\n{name} for strata's tests.\n%install\n{install}\
         %files\n{}\n",
        listed.join("\n")
    )
}

/// Builds the rpm of one spec; returns its path.
fn rpmbuild(top: &Path, spec_text: &str, file: &str) -> PathBuf {
    for d in ["SPECS", "BUILD", "BUILDROOT", "RPMS", "SOURCES", "SRPMS"] {
        std::fs::create_dir_all(top.join(d)).unwrap();
    }
    let spec_path = top.join("SPECS").join(format!("{file}.spec"));
    std::fs::write(&spec_path, spec_text).unwrap();
    let out = Command::new("rpmbuild")
        .args(["--quiet", "-bb", "--nodeps", "--define"])
        .arg(format!("_topdir {}", top.display()))
        .arg(&spec_path)
        .output()
        .unwrap_or_else(|e| panic!("rpmbuild is required (Debian's rpm package): {e}"));
    assert!(
        out.status.success(),
        "rpmbuild {file}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    top.join("RPMS/noarch").join(format!("{file}.noarch.rpm"))
}

/// Debian's rpm knows no dependencies of the host, nor that the host may install rpms.
const NODEPS: [&str; 3] = ["--nodeps", "--ignoreos", "--ignorearch"];

/// One rpm transaction against the root, as a container build step would run it.
fn rpm(root: &Path, args: &[&str]) {
    let out = Command::new("rpm")
        .arg("--root")
        .arg(root)
        .args(["--dbpath", "/var/lib/rpm", "--define", "_db_backend sqlite"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "rpm {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The regular files and symlinks under `root`, by relative path: (is_link, bytes or target).
fn snapshot(root: &Path) -> BTreeMap<String, (bool, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                out.insert(rel, (true, target.display().to_string().into_bytes()));
            } else if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                out.insert(rel, (false, std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

/// What a build step commits: the files it wrote or changed, whiteouts for those it deleted.
fn layer_items(
    before: &BTreeMap<String, (bool, Vec<u8>)>,
    after: &BTreeMap<String, (bool, Vec<u8>)>,
) -> Vec<Item> {
    let mut items = Vec::new();
    for (path, (link, data)) in after {
        if before.get(path) == Some(&(*link, data.clone())) {
            continue;
        }
        items.push(if *link {
            Item::Raw(path.clone(), tar::EntryType::Symlink, data.clone())
        } else {
            raw(path, data)
        });
    }
    for path in before.keys().filter(|p| !after.contains_key(*p)) {
        items.push(raw_whiteout(path));
    }
    items
}

#[test]
fn an_rpm_image_written_by_rpm_matches_syft() {
    let dir = tempdir();
    let top = dir.path().join("rpmbuild");
    let epoch = rpmbuild(
        &top,
        &spec(
            "strata-epoch",
            Some(3),
            "1.2.3",
            &[("/usr/bin/strata-epoch", 3000)],
        ),
        "strata-epoch-1.2.3-1",
    );
    let tree = rpmbuild(
        &top,
        &spec(
            "strata-tree",
            None,
            "0.9",
            &[
                ("/usr/share/strata-tree/a.txt", 5000),
                ("/etc/strata-tree.conf", 10),
            ],
        ),
        "strata-tree-0.9-1",
    );
    let up1 = rpmbuild(
        &top,
        &spec(
            "strata-up",
            None,
            "1.0",
            &[("/usr/lib/strata-up/lib.so", 7000)],
        ),
        "strata-up-1.0-1",
    );
    let up2 = rpmbuild(
        &top,
        &spec(
            "strata-up",
            None,
            "2.0",
            &[("/usr/lib/strata-up/lib.so", 7100)],
        ),
        "strata-up-2.0-1",
    );
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "NAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=40\n",
    )
    .unwrap();
    rpm(&root, &["--initdb"]);
    let s = |p: &PathBuf| p.display().to_string();
    rpm(
        &root,
        &[
            "-i",
            NODEPS[0],
            NODEPS[1],
            NODEPS[2],
            &s(&epoch),
            &s(&tree),
            &s(&up1),
        ],
    );
    let s0 = snapshot(&root);
    rpm(&root, &["-U", NODEPS[0], NODEPS[1], NODEPS[2], &s(&up2)]);
    let s1 = snapshot(&root);
    rpm(&root, &["-e", NODEPS[0], "strata-epoch"]);
    let s2 = snapshot(&root);
    assert!(
        s0.contains_key("var/lib/rpm/rpmdb.sqlite"),
        "rpm wrote no sqlite database: {:?}",
        s0.keys().collect::<Vec<_>>()
    );

    let archive = dir.path().join("rpm.tar");
    Spec::new()
        .layer(
            "RUN rpm -i strata-epoch strata-tree strata-up-1.0",
            layer_items(&BTreeMap::new(), &s0),
        )
        .layer("RUN rpm -U strata-up-2.0", layer_items(&s0, &s1))
        .layer("RUN rpm -e strata-epoch", layer_items(&s1, &s2))
        .docker_archive(&archive);
    let report = compare_with_syft(&archive, &[]);
    let find = |name: &str| package(&report, name);
    let up = find("strata-up");
    assert_eq!(up["version"], "2.0-1");
    assert_eq!(up["layer"], 0);
    assert_eq!(up["changes"][1]["change"], "upgraded");
    assert_eq!(up["changes"][1]["layer"], 1);
    assert_eq!(up["size"], 7100);
    assert_eq!(find("strata-tree")["size"], 5000 + 10);
    let gone = find("strata-epoch");
    assert_eq!(gone["version"], "3:1.2.3-1");
    assert_eq!(gone["removed"], true);
    assert_eq!(gone["hidden_bytes"], 3000);
    // Qualifiers in the purl spec's order (sorted by key).
    assert_eq!(
        gone["purl"],
        "pkg:rpm/fedora/strata-epoch@1.2.3-1?arch=noarch&distro=fedora-40&epoch=3\
         &upstream=strata-epoch-1.2.3-1.src.rpm"
    );
    assert_eq!(report["packages_unreadable"], serde_json::json!([]));
}
