//! Where the binary's documents go: `-o FILE` for `ci` (every format) and `diff` (every
//! format), written whole and never over a user's file without `--force`; `strata ci`
//! appending its markdown verdict to `$GITHUB_STEP_SUMMARY` as GitHub Actions sets it, and
//! only warning when it cannot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use crate::support::markdown::{checked_html, table, tables};
use crate::support::*;

const TAGS: [&str; 15] = [
    "h3", "h4", "p", "strong", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "details",
    "summary", "sub",
];

/// Two layers: a file overwritten (waste), so `lowestEfficiency: 0.99` fails.
fn image(dir: &Path, name: &str) -> String {
    let path = dir.join(name);
    Spec::new()
        .layer("ADD a /", vec![file("etc/a", &noise(1, 5000))])
        .layer("RUN edit", vec![file("etc/a", &noise(2, 100))])
        .docker_archive(&path);
    path.to_str().unwrap().to_string()
}

fn rules(dir: &Path, yaml: &str) -> String {
    let path = dir.join("rules.yaml");
    std::fs::write(&path, yaml).unwrap();
    path.to_str().unwrap().to_string()
}

const FAILING: &str = "rules:\n  lowestEfficiency: 0.99\n";
const PASSING: &str =
    "rules:\n  lowestEfficiency: disabled\n  highestUserWastedPercent: disabled\n";

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let cache = tempdir();
    let mut all = vec![("STRATA_CACHE_DIR", cache.path().to_str().unwrap())];
    all.extend_from_slice(env);
    strata_env(args, &all, None)
}

#[test]
fn ci_appends_its_markdown_verdict_to_the_step_summary() {
    let dir = tempdir();
    let img = image(dir.path(), "app.tar");
    let r = rules(dir.path(), FAILING);
    let summary = dir.path().join("step_summary.md");
    std::fs::write(&summary, "## An earlier step\n").unwrap();
    let env = [("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())];
    let (code, out, err) = run(&["ci", &img, "--rules", &r], &env);
    assert_eq!(code, 1, "{err}");
    // stdout is the format asked for (text), as without a step summary.
    assert!(out.contains("FAIL: lowestEfficiency"), "{out}");
    assert!(
        out.lines().last().unwrap().starts_with("Result:FAIL"),
        "{out}"
    );
    assert!(err.is_empty(), "{err}");
    let text = std::fs::read_to_string(&summary).unwrap();
    let ours = text
        .strip_prefix("## An earlier step\n\n")
        .unwrap_or_else(|| panic!("the earlier step's summary was not kept: {text}"));
    assert!(ours.starts_with("### strata ci: "), "{ours}");
    let html = checked_html(ours, &TAGS);
    let all = tables(&html);
    let verdict = table(&all, &["Rule", "Result", "Figure", "Threshold"]);
    let eff = verdict
        .rows
        .iter()
        .find(|r| r[0] == "lowestEfficiency")
        .unwrap();
    assert_eq!(eff[1..2], ["❌ fail"], "{eff:?}");
    assert_eq!(eff[3], "≥ 99 %");

    // A second step appends again; nothing is truncated.
    let (code, _, _) = run(&["ci", &img, "--rules", &r, "--format", "json"], &env);
    assert_eq!(code, 1);
    let again = std::fs::read_to_string(&summary).unwrap();
    assert!(again.starts_with(&text), "{again}");
    assert_eq!(again.matches("### strata ci: ").count(), 2, "{again}");

    // Unset or empty: no file is written.
    let empty = [("GITHUB_STEP_SUMMARY", "")];
    let (code, _, err) = run(&["ci", &img, "--rules", &r], &empty);
    assert_eq!(code, 1, "{err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn an_unwritable_step_summary_is_a_warning_and_keeps_the_exit_code() {
    let dir = tempdir();
    let img = image(dir.path(), "app.tar");
    // A directory, and a file in a directory that does not exist.
    let missing = dir.path().join("no/such/dir/summary.md");
    for target in [dir.path().to_str().unwrap(), missing.to_str().unwrap()] {
        for (yaml, want) in [(FAILING, 1), (PASSING, 0)] {
            let r = rules(dir.path(), yaml);
            let env = [("GITHUB_STEP_SUMMARY", target)];
            let (code, out, err) = run(&["ci", &img, "--rules", &r], &env);
            assert_eq!(code, want, "{target}: {err}");
            assert!(out.contains("Result:"), "{out}");
            let lines: Vec<&str> = err.lines().collect();
            assert_eq!(lines.len(), 1, "{err}");
            assert!(
                lines[0].starts_with(&format!(
                    "strata: warning: cannot append the verdict to $GITHUB_STEP_SUMMARY ({target}): "
                )),
                "{err}"
            );
        }
    }
    assert!(!missing.exists());
}

#[test]
fn ci_markdown_through_the_binary() {
    let dir = tempdir();
    let img = image(dir.path(), "app.tar");
    let r = rules(dir.path(), FAILING);
    let (code, out, err) = run(&["ci", &img, "--rules", &r, "--format", "markdown"], &[]);
    assert_eq!(code, 1, "{err}");
    let html = checked_html(&out, &TAGS);
    assert!(html.contains("— ❌ FAIL</h3>"), "{html}");
    table(
        &tables(&html),
        &["Image", "Size", "Layers", "Efficiency", "Wasted"],
    );
}

/// `-o FILE` writes what stdout would have carried, refuses an existing FILE in one line
/// (leaving it as it was), and replaces it with `--force`.
fn check_output_flag(args: &[&str], code_wanted: i32, what: &str) {
    let dir = tempdir();
    let (code, stdout, err) = run(args, &[]);
    assert_eq!(code, code_wanted, "{args:?}: {err}");
    assert!(!stdout.is_empty());
    let file = dir.path().join("out");
    let path = file.to_str().unwrap();
    let with = |extra: &[&'static str]| {
        let mut all = args.to_vec();
        all.extend(["-o", path]);
        all.extend_from_slice(extra);
        run(&all, &[])
    };
    let (code, out, err) = with(&[]);
    assert_eq!(code, code_wanted, "{args:?} -o: {err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), stdout, "{args:?}");

    std::fs::write(&file, "mine\n").unwrap();
    let (code, out, err) = with(&[]);
    assert_eq!(code, 2, "{args:?}: {err}");
    assert!(out.is_empty());
    assert_eq!(
        err,
        format!("strata: error: writing the {what}: {path} exists; --force replaces it\n")
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine\n");

    let (code, _, err) = with(&["--force"]);
    assert_eq!(code, code_wanted, "{args:?} --force: {err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), stdout);
    // Nothing left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn ci_writes_every_format_to_a_file() {
    let dir = tempdir();
    let img = image(dir.path(), "app.tar");
    let r = rules(dir.path(), FAILING);
    for format in ["text", "json", "junit", "github", "markdown"] {
        check_output_flag(
            &["ci", &img, "--rules", &r, "--format", format],
            1,
            "CI verdict",
        );
    }
    // --force alone is a usage error.
    let (code, _, err) = run(&["ci", &img, "--force"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("--output"), "{err}");
}

#[test]
fn diff_writes_every_format_to_a_file() {
    let dir = tempdir();
    let a = image(dir.path(), "a.tar");
    let b = dir.path().join("b.tar");
    Spec::new()
        .layer("ADD a /", vec![file("etc/a", &noise(1, 5000))])
        .layer("RUN other", vec![file("etc/b", &noise(3, 700))])
        .docker_archive(&b);
    let b = b.to_str().unwrap();
    check_output_flag(&["diff", &a, b], 0, "diff");
    for format in ["text", "json", "markdown"] {
        check_output_flag(&["diff", &a, b, "--format", format], 0, "diff");
    }
    check_output_flag(&["diff", &a, b, "--json"], 0, "diff");
}

/// `-o` into a directory that does not exist says so of the directory, in one line, and
/// creates nothing.
#[test]
fn output_into_a_missing_directory_names_the_directory() {
    let dir = tempdir();
    let missing = dir.path().join("no/such");
    let target = missing.join("report.html");
    let (code, _, err) = run(
        &[
            "report",
            "assets/demo.tar",
            "--format",
            "html",
            "-o",
            target.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "{}: the directory {} does not exist",
            target.display(),
            missing.display()
        )),
        "{err}"
    );
    assert!(!err.contains(".strata-"), "no temporary file named: {err}");
    assert!(!missing.exists());
}
