//! `strata cache` (issue #23): `ls` names the images each cached file was loaded as, and
//! `--help` offers none of the flags of the commands that open images.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;
use support::{file, noise, strata, strata_env, tempdir, Spec, NO_ENGINES};

use std::path::Path;

fn archive(dir: &Path, name: &str, top: &[u8]) -> String {
    let path = dir.join(name);
    Spec::new()
        .layer("base", vec![file("etc/base", &noise(7, 5000))])
        .layer("top", vec![file("srv/top", top)])
        .docker_archive(&path);
    std::fs::canonicalize(&path)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}

fn env(cache: &Path) -> Vec<(&'static str, &str)> {
    let mut env = vec![("STRATA_CACHE_DIR", cache.to_str().unwrap())];
    env.extend(NO_ENGINES);
    env
}

fn listing(cache: &Path) -> String {
    let (code, out, err) = strata_env(&["cache", "ls"], &env(cache), None);
    assert_eq!(code, 0, "{err}");
    out
}

fn report(image: &str, cache: &Path) {
    let (code, _, err) = strata_env(&["report", "--json", image], &env(cache), None);
    assert_eq!(code, 0, "{image}: {err}");
}

/// The names a listing line ends with (after the key), or `None`.
fn names_of(line: &str) -> Option<&str> {
    let key = line.find("sha256:")?;
    line[key..].split_once("  ").map(|(_, names)| names)
}

#[test]
fn cache_ls_names_the_images_its_files_were_loaded_as() {
    let dir = tempdir();
    let cache = tempdir();
    let a = archive(dir.path(), "a.tar", b"a");
    let b = archive(dir.path(), "b.tar", b"b");
    report(&a, cache.path());
    // Relative, with a transport prefix: named by the file's absolute path all the same.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(dir.path())
        .args(["report", "--json", "docker-archive:b.tar"])
        .envs(env(cache.path()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = listing(cache.path());
    let trees: Vec<&str> = out.lines().filter(|l| l.starts_with("tree ")).collect();
    assert_eq!(trees.len(), 3, "base, a's top, b's top:\n{out}");
    let mut named: Vec<&str> = trees.iter().map(|l| names_of(l).unwrap_or("")).collect();
    named.sort();
    // The shared base layer: b (loaded last) first, then what a added.
    let mut want = vec![
        format!("{a}, test/image:latest"),
        format!("{b}, test/image:latest"),
        format!("{b}, test/image:latest, {a}"),
    ];
    want.sort();
    assert_eq!(named, want, "{out}");
    // dive's figures of each image too.
    let dives: Vec<&str> = out.lines().filter(|l| l.starts_with("dive ")).collect();
    assert_eq!(dives.len(), 2, "{out}");
    assert!(dives.iter().all(|l| names_of(l).is_some()), "{out}");
    // The names file is part of the cache: listed, and emptied with the rest.
    assert!(out.lines().any(|l| l.starts_with("names ")), "{out}");
    let (code, _, err) = strata_env(&["cache", "prune"], &env(cache.path()), None);
    assert_eq!(code, 0, "{err}");
    assert!(listing(cache.path()).starts_with("0 files, 0 B in"));
}

/// Processes loading at once into one cache leave a names file that reads: each may lose
/// another's update (it only names things), none leaves it half written.
#[test]
fn concurrent_loads_leave_the_names_readable() {
    let dir = tempdir();
    let cache = tempdir();
    let images: Vec<String> = (0..4)
        .map(|i| archive(dir.path(), &format!("{i}.tar"), &noise(i, 3000)))
        .collect();
    std::thread::scope(|s| {
        for image in &images {
            let cache = cache.path();
            s.spawn(move || report(image, cache));
        }
    });
    let out = listing(cache.path());
    let mut any = false;
    for line in out.lines().filter(|l| l.starts_with("tree ")) {
        let Some(names) = names_of(line) else {
            continue;
        };
        any = true;
        for n in names.split(", ") {
            assert!(
                n == "test/image:latest" || images.iter().any(|i| i == n),
                "{n:?} in {out}"
            );
        }
    }
    assert!(any, "the last writer's names at least:\n{out}");
}

#[test]
fn cache_help_lists_no_flag_of_the_commands_that_open_images() {
    let (code, out, err) = strata(&["cache", "--help"]);
    assert_eq!(code, 0, "{err}");
    for flag in [
        "--insecure",
        "--platform",
        "--username",
        "--password-stdin",
        "--source",
        "--no-cache",
        "--timeout",
        "--verify-diff-ids",
        "--max-layer-size",
        "--max-layers",
    ] {
        assert!(!out.contains(flag), "{flag} in\n{out}");
    }
    let (code, _, err) = strata(&["cache", "ls", "--insecure"]);
    assert_eq!(code, 2, "refused, not ignored: {err}");
    // The commands that open images keep them, before or after the image.
    let (code, out, _) = strata(&["report", "--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("--insecure") && out.contains("--max-layers"),
        "{out}"
    );
    let (code, out, _) = strata(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("--platform"), "{out}");
}
