//! The hostile-image corpus: every file in tests/hostile/inputs/ (written byte by byte by
//! tests/hostile/make.py) is opened with `strata report --json` and must fail with exactly the
//! error line tests/hostile/cases.tsv gives for it: exit 2, nothing on stdout, no panic, no
//! hang, and nothing left in the cache.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

struct Case {
    input: String,
    args: Vec<String>,
    expected: String,
}

/// `input<TAB>extra args<TAB>expected stderr line`; `#` starts a comment line.
fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(corpus().join("cases.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 3, "cases.tsv: three tab-separated columns: {l}");
            Case {
                input: cols[0].to_string(),
                args: cols[1].split_whitespace().map(str::to_string).collect(),
                expected: cols[2].to_string(),
            }
        })
        .collect()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn every_input_has_a_case_and_there_are_enough() {
    let mut listed: Vec<String> = cases().into_iter().map(|c| c.input).collect();
    listed.sort();
    let mut present: Vec<String> = std::fs::read_dir(corpus().join("inputs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    assert_eq!(
        listed, present,
        "cases.tsv and tests/hostile/inputs/ disagree"
    );
    assert!(listed.len() >= 30, "only {} hostile inputs", listed.len());
}

#[test]
fn each_hostile_input_fails_with_its_exact_error_line() {
    let mut failures = Vec::new();
    for case in cases() {
        let cache = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_strata"))
            .current_dir(corpus().join("inputs"))
            .env("STRATA_CACHE_DIR", cache.path())
            .arg("report")
            .arg("--json")
            .args(&case.args)
            .arg(&case.input)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let got = stderr.strip_suffix('\n').unwrap_or(&stderr);
        let code = out.status.code();
        // Not a blob, a tree, a ref or a temp file: a failed load leaves the cache as it was.
        let cached = files_under(cache.path()).len();
        if got != case.expected || code != Some(2) || !out.stdout.is_empty() || cached != 0 {
            failures.push(format!(
                "{} {:?}\n  exit {code:?}, stdout {} bytes, {cached} files cached\n  expected: {}\n  got:      {got}",
                case.input,
                case.args,
                out.stdout.len(),
                case.expected
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Inputs the fuzzers found (tests/hostile/fuzz/TARGET/), replayed through what their target
/// checks: for `reference`, a docker reference that parses must print back to itself.
#[test]
fn fuzz_findings_stay_fixed() {
    let dir = corpus().join("fuzz/reference");
    let found = files_under(&dir);
    assert!(!found.is_empty(), "no findings under {}", dir.display());
    for path in found {
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let _ = strata::source::reference::ImageRef::parse(&text);
        if let Ok(r) = strata::source::registry::docker_ref::parse(&text) {
            let again = strata::source::registry::docker_ref::parse(&r.whole()).map(|a| a.whole());
            assert_eq!(again.ok(), Some(r.whole()), "{}: {text:?}", path.display());
        }
    }
}

/// Limits lowered for a run hold for layers an earlier run cached: a reopen fails with the
/// same error line as a first open.
#[test]
fn limits_hold_for_layers_read_from_the_cache() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo.tar");
    let cache = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_strata"))
            .env("STRATA_CACHE_DIR", cache.path())
            .arg("report")
            .args(args)
            .arg(&demo)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(run(&[]).0, Some(0), "the demo caches its layers");
    for limit in [
        ["--max-entries", "5"],
        ["--max-total-entries", "20"],
        ["--max-path-depth", "1"],
        ["--max-path-length", "3"],
        ["--max-layer-size", "10"],
    ] {
        let (cached_code, cached) = run(&limit);
        let mut uncached_args = limit.to_vec();
        uncached_args.push("--no-cache");
        let (code, uncached) = run(&uncached_args);
        assert_eq!(code, Some(2), "{limit:?}: {uncached}");
        assert!(uncached.contains(limit[0]), "{limit:?}: {uncached}");
        assert_eq!(
            (cached_code, cached),
            (code, uncached),
            "{limit:?}: a reopen from the cache"
        );
    }
}
