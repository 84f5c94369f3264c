//! Names the commit strata is built from, for `strata --version` (`strata 0.1.0 (e2e4c56
//! 2026-12-07)`, `-dirty` after the hash when tracked files differ from it): `STRATA_VERSION`
//! for the binary.
//!
//! Only a checkout of strata itself counts: without git, without `.git` (a tarball, a crate
//! from crates.io) or inside some other repository, the version is the package's alone and the
//! build goes on. The script runs again when HEAD moves, the branch's ref or the index
//! changes, or a source file does (which may make the tree dirty), and never otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    println!("cargo:rerun-if-changed=build.rs");
    let commit = commit(&dir).unwrap_or_default();
    println!("cargo:rustc-env=STRATA_VERSION={version}{commit}");
}

/// ` (HASH[-dirty] DATE)`, or `None` outside a git checkout of this package.
fn commit(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    if std::fs::canonicalize(&top).ok()? != std::fs::canonicalize(dir).ok()? {
        return None;
    }
    for path in [
        git(dir, &["rev-parse", "--git-path", "HEAD"]),
        git(dir, &["rev-parse", "--git-path", "index"]),
        git(dir, &["rev-parse", "--git-path", "packed-refs"]),
        git(dir, &["rev-parse", "--symbolic-full-name", "HEAD"])
            .and_then(|r| git(dir, &["rev-parse", "--git-path", &r])),
        Some("src".into()),
        Some("Cargo.toml".into()),
    ]
    .into_iter()
    .flatten()
    {
        let path = dir.join(path);
        // A path that does not exist would make cargo run the script at every build.
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    let hash = git(dir, &["rev-parse", "--short", "HEAD"])?;
    // `--no-optional-locks`: no index refresh, so the script never changes what it watches.
    let dirty = git(
        dir,
        &[
            "--no-optional-locks",
            "status",
            "--porcelain",
            "--untracked-files=no",
        ],
    )
    .map_or("", |_| "-dirty");
    let date = git(dir, &["log", "-1", "--format=%cs"])
        .map(|d| format!(" {d}"))
        .unwrap_or_default();
    Some(format!(" ({hash}{dirty}{date})"))
}

/// What `git -C dir ARGS` prints, trimmed; `None` when git is missing, fails or prints nothing.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (out.status.success() && !text.is_empty()).then(|| text.to_string())
}
