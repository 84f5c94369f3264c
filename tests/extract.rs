#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `strata extract` and `strata::extract::read_file`: what lands on disk matches the merged
//! view, and nothing an image says can make strata write outside the destination.

use crate::support;

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use strata::extract::{self, ExtractOptions, FileContent, Summary};
use strata::tree::EntryKind;
use support::{file, load_image, noise, report_json, sha, strata, tempdir, write_tar, Item, Spec};
use tar::EntryType;

/// Writes `spec` as a docker archive in `dir`; returns its path as the CLI takes it.
fn archive(dir: &Path, spec: &Spec) -> String {
    let path = dir.join("image.tar");
    spec.docker_archive(&path);
    path.to_str().unwrap().to_string()
}

/// Runs `strata extract IMAGE PATHS... --to DIR EXTRA...`.
fn extract_cli(image: &str, paths: &[&str], to: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["extract", image];
    args.extend_from_slice(paths);
    args.extend_from_slice(&["--to", to.to_str().unwrap()]);
    args.extend_from_slice(extra);
    strata(&args)
}

/// Asserts a successful run and returns its stderr.
fn extract_ok(image: &str, paths: &[&str], to: &Path, extra: &[&str]) -> String {
    let (code, _, err) = extract_cli(image, paths, to, extra);
    assert_eq!(code, 0, "strata extract {paths:?} failed: {err}");
    err
}

/// Asserts exit 2 with exactly one `strata: error:` line and returns it.
fn extract_err(image: &str, paths: &[&str], to: &Path, extra: &[&str]) -> String {
    let (code, out, err) = extract_cli(image, paths, to, extra);
    assert_eq!(
        code, 2,
        "expected a failure, got stdout {out:?} stderr {err:?}"
    );
    assert_eq!(err.lines().count(), 1, "one line expected: {err:?}");
    assert!(err.starts_with("strata: error: "), "{err}");
    err
}

/// What a path of a directory is, precisely enough to tell any change.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Dir { mode: u32 },
    File { data: Vec<u8>, mode: u32 },
    Symlink { target: PathBuf },
    Other,
}

/// Every path below `root` (not following symlinks), relative to it.
fn snapshot(root: &Path) -> BTreeMap<String, Node> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Node>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let meta = std::fs::symlink_metadata(&p).unwrap();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let mode = meta.permissions().mode() & 0o7777;
        let ft = meta.file_type();
        let node = if ft.is_dir() {
            Node::Dir { mode }
        } else if ft.is_symlink() {
            Node::Symlink {
                target: std::fs::read_link(&p).unwrap(),
            }
        } else if ft.is_file() {
            Node::File {
                data: std::fs::read(&p).unwrap(),
                mode,
            }
        } else {
            Node::Other
        };
        out.insert(rel, node);
        if ft.is_dir() {
            walk(root, &p, out);
        }
    }
}

/// Kind and size of every path, as the view listing names them.
fn kinds_and_sizes(root: &Path) -> BTreeMap<String, (&'static str, u64)> {
    snapshot(root)
        .into_iter()
        .map(|(path, node)| {
            let v = match node {
                Node::Dir { .. } => ("dir", 0),
                Node::File { data, .. } => ("file", data.len() as u64),
                Node::Symlink { .. } => ("symlink", 0),
                Node::Other => ("other", 0),
            };
            (path, v)
        })
        .collect()
}

/// Read-only directories from an image would stop the temp dir from being removed.
fn make_writable(root: &Path) {
    for (rel, node) in snapshot(root) {
        if let Node::Dir { .. } = node {
            let p = root.join(rel);
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn load(image: &str) -> (strata::Session, strata::Analysis) {
    let loaded = load_image(image);
    let analysis = loaded.analyse();
    (loaded, analysis)
}

fn extract_lib(
    image: &str,
    paths: &[&str],
    to: &Path,
    opts: &ExtractOptions,
) -> strata::Result<Summary> {
    let (loaded, analysis) = load(image);
    let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    extract::extract(&loaded, &analysis, &paths, to, opts)
}

fn read(image: &str, layer: usize, path: &str, limit: u64) -> strata::Result<FileContent> {
    let (loaded, analysis) = load(image);
    extract::read_file(&loaded, &analysis, layer, path, limit)
}

/// An image with something of every kind across three layers.
fn busy_image() -> Spec {
    Spec::new()
        .layer(
            "base",
            vec![
                Item::Dir("etc"),
                file("etc/passwd", b"root:x:0:0\n"),
                file("etc/hostname", b"old\n"),
                Item::Dir("bin"),
                file("bin/busybox", &noise(1, 70_000)),
                Item::Hardlink("bin/sh", "bin/busybox"),
                Item::Hardlink("bin/ls", "/bin/busybox"),
                Item::Symlink("bin/vi", "busybox"),
                Item::Symlink("etc/mtab", "/proc/self/mounts"),
                Item::Fifo("run/initctl"),
                Item::Raw("dev/null".into(), EntryType::Char, Vec::new()),
                file("tmp/cache/blob", &noise(2, 5000)),
                file("var/lib/x/old", b"gone later"),
            ],
        )
        .layer(
            "configure",
            vec![
                file("etc/hostname", b"new hostname\n"),
                Item::Whiteout("tmp/cache"),
                Item::Opaque("var/lib/x"),
                file("var/lib/x/new", b"fresh"),
                Item::DirMode("srv", 0o555),
                file("srv/readonly-dir-file", b"inside a 0555 dir"),
                Item::FileMode("usr/local/bin/tool", b"#!/bin/sh\n".to_vec(), 0o4755),
                file(
                    "usr/share/a-very-long-directory-name-that-needs-gnu-long-names/ünïcødé file name with spaces and more characters.txt",
                    b"long",
                ),
            ],
        )
        .layer("touch", vec![file("etc/motd", b"hi\n")])
}

#[test]
fn a_single_file_keeps_its_content_mode_and_mtime() {
    let work = tempdir();
    let image = archive(work.path(), &busy_image());
    let to = work.path().join("out");
    extract_ok(&image, &["/usr/local/bin/tool"], &to, &[]);

    let tool = to.join("usr/local/bin/tool");
    assert_eq!(std::fs::read(&tool).unwrap(), b"#!/bin/sh\n");
    let meta = std::fs::metadata(&tool).unwrap();
    // setuid dropped, permission bits kept.
    assert_eq!(meta.permissions().mode() & 0o7777, 0o755);
    assert_eq!(meta.mtime(), 1_700_000_000);
    // Only the file and its ancestors.
    let got: Vec<String> = snapshot(&to).into_keys().collect();
    assert_eq!(
        got,
        ["usr", "usr/local", "usr/local/bin", "usr/local/bin/tool"]
    );
}

#[test]
fn a_directory_is_extracted_recursively_whatever_its_spelling() {
    let work = tempdir();
    let image = archive(work.path(), &busy_image());
    for spelling in ["etc", "/etc/", "./etc", "etc/../etc"] {
        let to = work
            .path()
            .join(format!("out-{}", spelling.replace('/', "_")));
        let err = extract_ok(&image, &[spelling], &to, &[]);
        assert!(
            err.starts_with("strata: extracted 3 files (27 B), 1 directory, 1 symlink,"),
            "{err}"
        );
        let got = snapshot(&to);
        let quiet = to.with_extension("quiet");
        assert_eq!(extract_ok(&image, &[spelling], &quiet, &["-q"]), "");
        assert_eq!(snapshot(&quiet), got, "{spelling}");
        let names: Vec<&str> = got.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["etc", "etc/hostname", "etc/motd", "etc/mtab", "etc/passwd"],
            "{spelling}"
        );
        assert_eq!(
            got["etc/hostname"],
            Node::File {
                data: b"new hostname\n".to_vec(),
                mode: 0o644
            }
        );
    }
}

#[test]
fn extracting_the_root_reproduces_the_final_view() {
    let work = tempdir();
    let image = archive(work.path(), &busy_image());
    let to = work.path().join("out");
    let err = extract_ok(&image, &["/"], &to, &[]);
    assert!(err.contains("skipped /run/initctl: a fifo"), "{err}");
    assert!(
        err.contains("skipped /dev/null: a character device"),
        "{err}"
    );

    let (loaded, analysis) = load(&image);
    let trees = loaded.image().trees();
    let view = strata::analysis::merge::listing(&trees, &analysis.stack, &analysis.stack.top);
    let expected: BTreeMap<String, (&str, u64)> = view
        .iter()
        .filter_map(|l| {
            let kind = match l.kind {
                EntryKind::Dir => "dir",
                // A hardlink is a regular file sharing its target's inode.
                EntryKind::File | EntryKind::Hardlink => "file",
                EntryKind::Symlink => "symlink",
                _ => return None,
            };
            Some((l.path.to_string(), (kind, l.size)))
        })
        .collect();
    let got = kinds_and_sizes(&to);
    // The skipped fifo and device leave only their (implicit) parent directories.
    assert_eq!(got, expected);
    assert!(got.contains_key("srv/readonly-dir-file"));
    assert!(!got.contains_key("tmp/cache"));
    assert!(!got.contains_key("var/lib/x/old"));

    // Directory modes are applied last, so the 0555 directory still got its file.
    let srv = std::fs::metadata(to.join("srv")).unwrap();
    assert_eq!(srv.permissions().mode() & 0o777, 0o555);
    make_writable(&to);
}

#[test]
fn the_library_reports_what_it_wrote() {
    let work = tempdir();
    let image = archive(work.path(), &busy_image());
    let to = work.path().join("out");
    let summary = extract_lib(
        &image,
        &["/bin", "/etc/passwd", "/run"],
        &to,
        &ExtractOptions::default(),
    )
    .unwrap();
    assert_eq!(
        summary,
        Summary {
            files: 2,
            dirs: 2,
            symlinks: 1,
            hardlinks: 2,
            bytes: 70_000 + 11,
            skipped: vec![(
                "run/initctl".into(),
                "a fifo; strata does not create devices or fifos".into()
            )],
        }
    );
}

#[test]
fn layer_option_gives_an_older_view() {
    let work = tempdir();
    let spec = Spec::new()
        .layer(
            "v1",
            vec![
                file("etc/config", b"version 1"),
                file("tmp/build.log", b"log"),
            ],
        )
        .layer(
            "v2",
            vec![
                file("etc/config", b"version 2"),
                Item::Whiteout("tmp/build.log"),
            ],
        );
    let image = archive(work.path(), &spec);

    let old = work.path().join("old");
    extract_ok(&image, &["/"], &old, &["--layer", "0"]);
    assert_eq!(std::fs::read(old.join("etc/config")).unwrap(), b"version 1");
    assert_eq!(std::fs::read(old.join("tmp/build.log")).unwrap(), b"log");

    let new = work.path().join("new");
    extract_ok(&image, &["/"], &new, &[]);
    assert_eq!(std::fs::read(new.join("etc/config")).unwrap(), b"version 2");
    assert!(!new.join("tmp/build.log").exists());

    // A file deleted later can be asked for by name in the older view only.
    let one = work.path().join("one");
    extract_ok(&image, &["tmp/build.log"], &one, &["--layer", "0"]);
    assert_eq!(std::fs::read(one.join("tmp/build.log")).unwrap(), b"log");
    let err = extract_err(&image, &["tmp/build.log"], &work.path().join("none"), &[]);
    assert!(
        err.contains("/tmp/build.log: no such path in the image's final view"),
        "{err}"
    );
    let err = extract_err(&image, &["/"], &work.path().join("none"), &["--layer", "2"]);
    assert!(
        err.contains("no layer 2: the image has 2 layers (0 to 1)"),
        "{err}"
    );
    assert!(
        !work.path().join("none").exists(),
        "a failed run must not create DIR"
    );
}

#[test]
fn hardlinks_share_one_inode_or_are_copied_when_alone() {
    let work = tempdir();
    let image = archive(work.path(), &busy_image());
    let to = work.path().join("out");
    extract_ok(&image, &["/bin"], &to, &[]);
    let busybox = std::fs::metadata(to.join("bin/busybox")).unwrap();
    for link in ["bin/sh", "bin/ls"] {
        let m = std::fs::symlink_metadata(to.join(link)).unwrap();
        assert!(m.file_type().is_file(), "{link}");
        assert_eq!((m.dev(), m.ino()), (busybox.dev(), busybox.ino()), "{link}");
    }
    assert_eq!(busybox.nlink(), 3);

    // Asked for alone, a hardlink gets its target's bytes (it has nothing to link to).
    let alone = work.path().join("alone");
    extract_ok(&image, &["/bin/sh"], &alone, &[]);
    assert_eq!(
        std::fs::read(alone.join("bin/sh")).unwrap(),
        noise(1, 70_000)
    );
    assert!(!alone.join("bin/busybox").exists());
}

#[test]
fn a_hardlink_keeps_the_bytes_of_its_own_layer() {
    let work = tempdir();
    let spec = Spec::new()
        .layer(
            "a",
            vec![file("data", b"first"), Item::Hardlink("copy", "data")],
        )
        .layer("b", vec![file("data", b"second")]);
    let image = archive(work.path(), &spec);
    let to = work.path().join("out");
    extract_ok(&image, &["/"], &to, &[]);
    // The later layer replaced `data`; `copy` still names the old inode, as umoci unpacks it.
    assert_eq!(std::fs::read(to.join("data")).unwrap(), b"second");
    assert_eq!(std::fs::read(to.join("copy")).unwrap(), b"first");
    assert_eq!(read(&image, 1, "/copy", 100).unwrap().bytes, b"first");
}

/// Names that are not UTF-8 stay distinct paths and are written back byte for byte (two names
/// that differ only in an invalid byte were one path, and extracted under U+FFFD).
#[test]
fn names_that_are_not_utf8_keep_their_bytes() {
    use std::os::unix::ffi::OsStrExt;
    let mut layer = Vec::new();
    for (name, data) in [(&b"n\xff"[..], &b"A"[..]), (&b"n\xfe"[..], &b"BB"[..])] {
        let mut h = tar::Header::new_gnu();
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_entry_type(EntryType::Regular);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        layer.extend_from_slice(h.as_bytes());
        layer.extend_from_slice(data);
        layer.resize(layer.len().div_ceil(512) * 512, 0);
    }
    layer.resize(layer.len() + 1024, 0);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [sha(&layer)]},
        "history": [{"created_by": "add"}],
    }))
    .unwrap();
    let manifest = serde_json::json!([{"Config": "config.json", "RepoTags": ["x:1"], "Layers": ["l0/layer.tar"]}]);
    let work = tempdir();
    let image = work.path().join("image.tar");
    write_tar(
        &image,
        &[
            ("l0/layer.tar".into(), layer),
            ("config.json".into(), config),
            (
                "manifest.json".into(),
                serde_json::to_vec(&manifest).unwrap(),
            ),
        ],
    );
    let image = image.to_str().unwrap();
    let r = report_json(image);
    assert_eq!(r["totals"]["files"], 2);
    assert_eq!(r["totals"]["final_bytes"], 3);
    let to = work.path().join("out");
    extract_ok(image, &["/"], &to, &[]);
    let mut names: Vec<Vec<u8>> = std::fs::read_dir(&to)
        .unwrap()
        .map(|e| e.unwrap().file_name().as_bytes().to_vec())
        .collect();
    names.sort();
    assert_eq!(names, [b"n\xfe".to_vec(), b"n\xff".to_vec()]);
    assert_eq!(
        std::fs::read(to.join(std::ffi::OsStr::from_bytes(b"n\xff"))).unwrap(),
        b"A"
    );
    // The text report shows such a byte escaped.
    let (code, text, _) = strata(&["report", image, "--top", "5"]);
    assert_eq!(code, 0);
    assert!(!text.contains('\u{fffd}'), "{text}");
}

/// A hardlink to a symlink is another name of the symlink (GNU tar writes it; umoci unpacks
/// it as a link to the symlink's inode): extracted as a symlink with the same target.
#[test]
fn a_hardlink_to_a_symlink_is_the_same_symlink() {
    let work = tempdir();
    let image = archive(
        work.path(),
        &Spec::new().layer(
            "add",
            vec![
                file("t", b"target"),
                Item::Symlink("s", "t"),
                Item::Hardlink("hs", "s"),
                Item::Hardlink("hhs", "hs"),
            ],
        ),
    );
    let to = work.path().join("out");
    let err = extract_ok(&image, &["/"], &to, &[]);
    assert!(!err.contains("skipped"), "{err}");
    let got = snapshot(&to);
    for name in ["s", "hs", "hhs"] {
        assert_eq!(
            got.get(name),
            Some(&Node::Symlink {
                target: PathBuf::from("t")
            }),
            "{name}: {got:?}"
        );
    }
}

#[test]
fn symlinks_are_kept_verbatim_and_never_followed() {
    let work = tempdir();
    let outside = tempdir();
    let secret = outside.path().join("secret");
    std::fs::write(&secret, b"host data").unwrap();
    let spec = Spec::new().layer(
        "links",
        vec![
            Item::Symlink("etc/alias", "/etc/passwd"),
            Item::Symlink("up", "../../.."),
            Item::Symlink("host", leak(secret.to_str().unwrap().to_string())),
        ],
    );
    let image = archive(work.path(), &spec);
    let to = work.path().join("out");
    extract_ok(&image, &["/"], &to, &[]);
    let got = snapshot(&to);
    assert_eq!(
        got["etc/alias"],
        Node::Symlink {
            target: "/etc/passwd".into()
        }
    );
    assert_eq!(
        got["up"],
        Node::Symlink {
            target: "../../..".into()
        }
    );
    assert_eq!(
        got["host"],
        Node::Symlink {
            target: secret.clone()
        }
    );
    assert_eq!(std::fs::read(&secret).unwrap(), b"host data");

    // Asking for the symlink itself gives the symlink, not what it points at.
    let one = work.path().join("one");
    extract_ok(&image, &["/etc/alias"], &one, &[]);
    assert!(std::fs::symlink_metadata(one.join("etc/alias"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn an_existing_file_is_refused_without_force_and_nothing_is_written() {
    let work = tempdir();
    let image = archive(work.path(), &busy_image());
    let to = work.path().join("out");
    std::fs::create_dir_all(to.join("etc")).unwrap();
    std::fs::write(to.join("etc/passwd"), b"mine").unwrap();
    std::fs::write(to.join("notes.txt"), b"unrelated").unwrap();
    let before = snapshot(&to);

    let err = extract_err(&image, &["/"], &to, &[]);
    assert!(
        err.contains(&format!(
            "{}: already exists",
            to.join("etc/passwd").display()
        )),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");
    assert_eq!(snapshot(&to), before, "nothing may be written");

    extract_ok(&image, &["/"], &to, &["--force"]);
    assert_eq!(
        std::fs::read(to.join("etc/passwd")).unwrap(),
        b"root:x:0:0\n"
    );
    assert_eq!(std::fs::read(to.join("notes.txt")).unwrap(), b"unrelated");
    assert_eq!(std::fs::read(to.join("etc/motd")).unwrap(), b"hi\n");
    make_writable(&to);
}

#[test]
fn force_never_replaces_a_directory_with_a_file() {
    let work = tempdir();
    let image = archive(work.path(), &busy_image());
    let to = work.path().join("out");
    std::fs::create_dir_all(to.join("etc/motd/keep")).unwrap();
    let before = snapshot(&to);
    let err = extract_err(&image, &["/etc"], &to, &["--force"]);
    assert!(err.contains("etc/motd: is a directory"), "{err}");
    assert_eq!(snapshot(&to), before);
}

/// The hostile image: names that climb out, absolute names, and symlinks to outside that a later
/// layer tries to write through.
fn hostile_image(outside: &Path) -> Spec {
    let target = leak(outside.to_str().unwrap().to_string());
    Spec::new()
        .layer(
            "plant",
            vec![
                Item::Raw(
                    "../../etc/evil".into(),
                    EntryType::Regular,
                    b"dotdot".to_vec(),
                ),
                Item::Raw("/abs/evil".into(), EntryType::Regular, b"absolute".to_vec()),
                Item::Raw(
                    "./a/../../../b/evil".into(),
                    EntryType::Regular,
                    b"mixed".to_vec(),
                ),
                Item::Symlink("link", target),
                Item::Symlink("s", ".."),
                Item::Symlink("deep/d", leak(format!("{target}/sub"))),
                Item::Hardlink("hl", "../../../etc/shadow"),
                // A GNU long name with a NUL inside: no filesystem can hold it.
                Item::Raw(
                    format!("{}\0/evil", "n".repeat(120)),
                    EntryType::Regular,
                    b"nul".to_vec(),
                ),
            ],
        )
        .layer(
            "exploit",
            vec![
                file("link/file", b"through the link"),
                file("s/escape", b"through dotdot"),
                Item::Raw("deep/d/x".into(), EntryType::Regular, b"deep".to_vec()),
                // Planted again, for the next layer to write through.
                Item::Symlink("late", target),
            ],
        )
        .layer(
            "exploit again",
            vec![file("late/file", b"through the late link")],
        )
}

#[test]
fn a_hostile_image_cannot_write_outside_the_destination() {
    let work = tempdir();
    let outside = tempdir();
    let image = archive(work.path(), &hostile_image(outside.path()));
    let to = work.path().join("out");
    let err = extract_ok(&image, &["/"], &to, &[]);
    assert!(
        err.contains("skipped /hl: a hardlink to /etc/shadow, which is not in the image"),
        "{err}"
    );
    assert!(err.contains("\\u{0}/evil: a name with a NUL byte"), "{err}");

    assert_eq!(
        std::fs::read_dir(outside.path()).unwrap().count(),
        0,
        "wrote outside DIR"
    );
    let siblings: Vec<String> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(siblings.len(), 2, "wrote next to DIR: {siblings:?}");

    let got = snapshot(&to);
    let file = |data: &[u8]| Node::File {
        data: data.to_vec(),
        mode: 0o644,
    };
    assert_eq!(got["etc/evil"], file(b"dotdot"));
    assert_eq!(got["abs/evil"], file(b"absolute"));
    assert_eq!(got["b/evil"], file(b"mixed"));
    // A later layer writing below a symlink writes where the symlink leads, resolved inside
    // the image's root (as umoci, and Docker in its chroot, unpack it): the symlinks stay.
    let inside = outside.path().to_str().unwrap().trim_start_matches('/');
    let symlink = |t: &str| Node::Symlink { target: t.into() };
    assert_eq!(got["link"], symlink(outside.path().to_str().unwrap()));
    assert_eq!(got["late"], symlink(outside.path().to_str().unwrap()));
    // `link/file`, then `late/file` in the next layer: one path.
    assert_eq!(
        got[&format!("{inside}/file")],
        file(b"through the late link")
    );
    assert_eq!(got["s"], symlink(".."));
    assert_eq!(got["escape"], file(b"through dotdot"));
    assert_eq!(got[&format!("{inside}/sub/x")], file(b"deep"));
    assert!(!got.contains_key("hl"));
    // Everything inside stays inside: no real path resolves out of DIR.
    let root = to.canonicalize().unwrap();
    for (rel, node) in &got {
        if !matches!(node, Node::Symlink { .. }) {
            let real = to.join(rel).canonicalize().unwrap();
            assert!(
                real.starts_with(&root),
                "{rel} resolves to {}",
                real.display()
            );
        }
    }
}

#[test]
fn a_symlink_on_top_of_the_final_view_stays_a_symlink_and_is_not_written_through() {
    let work = tempdir();
    let outside = tempdir();
    let target = leak(outside.path().to_str().unwrap().to_string());
    let spec = Spec::new()
        .layer("dir", vec![file("conf/a", b"a")])
        // `conf` becomes a symlink to outside; its old files go with the directory.
        .layer("swap", vec![Item::Symlink("conf", target)]);
    let image = archive(work.path(), &spec);
    let to = work.path().join("out");
    extract_ok(&image, &["/"], &to, &[]);
    assert_eq!(
        snapshot(&to)["conf"],
        Node::Symlink {
            target: outside.path().into()
        }
    );
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    // The older view has `conf` as a directory: extracting it over the symlink must not follow
    // it, even with --force.
    let err = extract_err(&image, &["/conf/a"], &to, &["--layer", "0", "--force"]);
    assert!(
        err.contains("refusing to write through the symlink"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn a_destination_symlink_to_outside_is_refused() {
    let work = tempdir();
    let outside = tempdir();
    let image = archive(work.path(), &busy_image());
    let to = work.path().join("out");
    std::fs::create_dir(&to).unwrap();
    std::os::unix::fs::symlink(outside.path(), to.join("etc")).unwrap();

    let err = extract_err(&image, &["/etc/passwd"], &to, &["--force"]);
    let link = to.join("etc");
    assert!(
        err.contains(&format!(
            "refusing to write through the symlink {}",
            link.display()
        )),
        "{err}"
    );
    let err = extract_err(&image, &["/"], &to, &[]);
    assert!(err.contains("etc: already exists"), "{err}");
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    assert_eq!(snapshot(&to).len(), 1, "nothing written");

    // With --force the symlink itself is replaced by the image's directory (unlinked, never
    // followed).
    extract_ok(&image, &["/"], &to, &["--force"]);
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    assert!(std::fs::symlink_metadata(&link).unwrap().is_dir());
    assert_eq!(std::fs::read(link.join("passwd")).unwrap(), b"root:x:0:0\n");
    make_writable(&to);
}

#[test]
fn read_file_reads_any_layer_capped() {
    let work = tempdir();
    let big = noise(7, 300_000);
    let spec = Spec::new()
        .layer(
            "one",
            vec![
                file("data/a", b"hello world"),
                Item::File("data/big", big.clone()),
                Item::Hardlink("data/big-link", "data/big"),
                Item::Symlink("data/sym", "a"),
            ],
        )
        .layer("two", vec![file("data/a", b"new")]);
    let image = archive(work.path(), &spec);

    assert_eq!(
        read(&image, 0, "/data/a", 100).unwrap(),
        FileContent {
            bytes: b"hello world".to_vec(),
            total: 11,
            truncated: false
        }
    );
    assert_eq!(read(&image, 1, "data/a", 100).unwrap().bytes, b"new");
    assert_eq!(
        read(&image, 0, "./data/a", 5).unwrap(),
        FileContent {
            bytes: b"hello".to_vec(),
            total: 11,
            truncated: true
        }
    );
    let capped = read(&image, 1, "/data/big-link", 4096).unwrap();
    assert_eq!((capped.total, capped.truncated), (300_000, true));
    assert_eq!(capped.bytes, big[..4096]);
    assert_eq!(read(&image, 1, "/data/big", u64::MAX).unwrap().bytes, big);

    let message = |r: strata::Result<FileContent>| r.unwrap_err().to_string();
    assert!(message(read(&image, 1, "/data", 10)).contains("/data: is a directory"));
    assert!(message(read(&image, 1, "/", 10)).contains("/: is a directory"));
    assert!(message(read(&image, 1, "/data/sym", 10)).contains("/data/sym: is a symlink"));
    assert!(message(read(&image, 1, "/data/nope", 10))
        .contains("/data/nope: no such path in the view after layer 1"));
    assert!(message(read(&image, 5, "/data/a", 10)).contains("no layer 5"));
}

#[test]
fn force_replaces_a_symlink_at_the_leaf_without_following_it() {
    let work = tempdir();
    let outside = tempdir();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let image = archive(work.path(), &busy_image());
    let to = work.path().join("out");
    std::fs::create_dir_all(to.join("etc")).unwrap();
    std::os::unix::fs::symlink(&victim, to.join("etc/passwd")).unwrap();

    let err = extract_err(&image, &["/etc/passwd"], &to, &[]);
    assert!(err.contains("already exists; use --force"), "{err}");
    extract_ok(&image, &["/etc/passwd"], &to, &["--force"]);
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    let m = std::fs::symlink_metadata(to.join("etc/passwd")).unwrap();
    assert!(m.file_type().is_file());
    assert_eq!(
        std::fs::read(to.join("etc/passwd")).unwrap(),
        b"root:x:0:0\n"
    );
}

#[test]
fn an_image_changed_after_loading_is_an_error_not_wrong_bytes() {
    let work = tempdir();
    let image = archive(
        work.path(),
        &Spec::new().layer("a", vec![file("x", b"the x")]),
    );
    let (loaded, analysis) = load(&image);
    Spec::new()
        .layer("b", vec![file("y", b"the y")])
        .docker_archive(Path::new(&image));
    let err = extract::extract(
        &loaded,
        &analysis,
        &["/".to_string()],
        &work.path().join("out"),
        &ExtractOptions::default(),
    )
    .unwrap_err()
    .to_string();
    // The layer read again is not the one loaded: its digest says so, naming both.
    assert!(
        err.contains("layer 0 blob l0/layer.tar: digest mismatch: expected sha256:"),
        "{err}"
    );
    assert!(!work.path().join("out/x").exists());
    assert!(!work.path().join("out/y").exists());
}

/// Overwrites, in place, the one run of `from` in the file at `path` with `to` (as long): the
/// archive keeps every entry, name, offset and size, only content bytes change.
fn patch_in_place(path: &Path, from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let mut bytes = std::fs::read(path).unwrap();
    let at: Vec<usize> = bytes
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "the bytes to change must occur once");
    bytes[at[0]..at[0] + from.len()].copy_from_slice(to);
    std::fs::write(path, bytes).unwrap();
}

/// A verified base layer and a second layer whose file content will change after loading.
fn image_to_tamper(dir: &Path) -> (String, Vec<u8>) {
    let loaded_bytes = noise(11, 3000);
    let spec = Spec::new()
        .layer("base", vec![file("keep", b"verified bytes")])
        .layer(
            "changed",
            vec![
                Item::File("new/dir/changed", loaded_bytes.clone()),
                Item::Hardlink("new/link", "new/dir/changed"),
            ],
        );
    (archive(dir, &spec), loaded_bytes)
}

/// The walk of the changed layer succeeds (same entries, same sizes) and writes its bytes before
/// the layer's digest can be checked at its end: what it wrote must not stay.
#[test]
fn files_written_from_a_layer_that_fails_its_digest_are_removed() {
    let work = tempdir();
    let (image, loaded_bytes) = image_to_tamper(work.path());
    let (loaded, analysis) = load(&image);
    patch_in_place(Path::new(&image), &loaded_bytes, &noise(12, 3000));
    let run = |paths: &[&str], to: &Path| {
        let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
        extract::extract(&loaded, &analysis, &paths, to, &ExtractOptions::default()).unwrap_err()
    };
    let is_mismatch = |e: &strata::Error| {
        assert!(
            matches!(e.kind(), strata::Error::DigestMismatch { .. }),
            "{e}"
        );
        let message = e.to_string();
        assert!(
            message.contains("layer 1 blob l1/layer.tar: digest mismatch: expected sha256:"),
            "{message}"
        );
    };

    // Everything: the verified layer's file stays; the changed layer's file, its hardlink and
    // the directories made for them go.
    let all = work.path().join("all");
    is_mismatch(&run(&["/"], &all));
    let got: Vec<String> = snapshot(&all).into_keys().collect();
    assert_eq!(got, ["keep"]);

    // One file: the ancestors made for it go, a directory the user had stays.
    let one = work.path().join("one");
    std::fs::create_dir_all(one.join("new")).unwrap();
    std::fs::set_permissions(one.join("new"), std::fs::Permissions::from_mode(0o755)).unwrap();
    is_mismatch(&run(&["/new/dir/changed"], &one));
    assert_eq!(
        snapshot(&one),
        BTreeMap::from([("new".to_string(), Node::Dir { mode: 0o755 })])
    );
}

/// The file viewer's read of a layer changed since loading is the digest mismatch, never the
/// changed bytes, whether it reads the whole file or stops at its cap.
#[test]
fn read_file_of_a_layer_changed_after_loading_is_the_digest_mismatch() {
    let work = tempdir();
    let (image, loaded_bytes) = image_to_tamper(work.path());
    let (loaded, analysis) = load(&image);
    assert_eq!(
        extract::read_file(&loaded, &analysis, 1, "/new/dir/changed", 1 << 20)
            .unwrap()
            .bytes,
        loaded_bytes
    );
    patch_in_place(Path::new(&image), &loaded_bytes, &noise(12, 3000));
    for limit in [1 << 20, 10] {
        let err = extract::read_file(&loaded, &analysis, 1, "/new/dir/changed", limit).unwrap_err();
        assert!(
            matches!(err.kind(), strata::Error::DigestMismatch { .. }),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("layer 1 blob l1/layer.tar: digest mismatch: expected sha256:"),
            "{err}"
        );
    }
}

/// A file whose tar path went through a symlinked directory is read back from its layer under
/// that tar path and written where the link leads (also by the file viewer's read).
#[test]
fn a_file_moved_through_a_symlinked_parent_is_extracted_and_read() {
    let work = tempdir();
    let image = archive(work.path(), &crate::layers::through_symlinks());
    let to = work.path().join("out");
    extract_ok(&image, &["/"], &to, &[]);
    let got = snapshot(&to);
    assert_eq!(
        got["usr/lib/x"],
        Node::File {
            data: noise(3, 100),
            mode: 0o644
        }
    );
    assert_eq!(
        got["lib"],
        Node::Symlink {
            target: "usr/lib".into()
        }
    );
    assert!(!got.contains_key("real/f"), "{got:?}");
    let content = read(&image, 1, "/usr/lib/y", 1 << 20).unwrap();
    assert_eq!(content.bytes, noise(4, 50));
}
