//! DESIGN.md section 5's boundaries, checked by scanning the sources so they cannot rot:
//! analysis does no I/O and knows nothing of sources or blobs; the tree builder knows nothing
//! of digests of blobs or registries; `tar` is imported only by the tree builder and the
//! archive sources; `clap` only by the binary (`main.rs`, `cli/`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// Lines of non-test code mentioning `needle`.
fn offenders(dir: &str, needles: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut out = Vec::new();
    for file in rust_files(&root) {
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in code.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for needle in needles {
                if line.contains(needle) {
                    out.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    out
}

#[test]
fn analysis_is_pure() {
    let bad = offenders(
        "analysis",
        &[
            "std::fs",
            "std::io",
            "std::net",
            "crate::source",
            "crate::blob",
            "crate::image",
            "tokio",
            "ratatui",
            "crossterm",
            "tar::",
        ],
    );
    assert!(
        bad.is_empty(),
        "analysis must do no I/O:\n{}",
        bad.join("\n")
    );
}

#[test]
fn tree_knows_nothing_of_blobs_or_sources() {
    let bad = offenders(
        "tree",
        &["crate::source", "crate::blob", "crate::analysis", "std::fs"],
    );
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn tar_is_imported_only_by_the_tree_builder_and_sources() {
    for dir in ["analysis", "report", "blob"] {
        let bad = offenders(dir, &["tar::"]);
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }
    let main =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/main.rs")).unwrap();
    assert!(!main.contains("tar::"));
}

#[test]
fn reports_only_read_the_analysis() {
    let bad = offenders(
        "report",
        &["std::fs", "crate::source::store", "crate::blob"],
    );
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn clap_lives_only_in_the_binary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for e in std::fs::read_dir(&root).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        if !p.is_dir() || name == "cli" {
            continue;
        }
        let bad = offenders(&name, &["clap"]);
        assert!(bad.is_empty(), "clap outside cli/:\n{}", bad.join("\n"));
    }
}
