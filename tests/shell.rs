//! What makes strata fit the shell: completion scripts that bash loads and that complete
//! commands and flag values, a man page that `man` renders with every command and option,
//! `--color`, and `--version` naming the commit it was built from.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use crate::support::*;

const BIN: &str = env!("CARGO_BIN_EXE_strata");

/// Every command the page and the scripts must name.
const COMMANDS: [&str; 8] = [
    "report",
    "extract",
    "ci",
    "diff",
    "cache",
    "sbom",
    "completions",
    "man",
];

fn stdout_of(args: &[&str]) -> String {
    let (code, out, err) = strata(args);
    assert_eq!(code, 0, "strata {args:?}: {err}");
    assert!(err.is_empty(), "{err}");
    out
}

/// Runs `script` in `shell -c`; (exit code, stdout, stderr).
fn shell(shell: &str, script: &str) -> (i32, String, String) {
    let out = Command::new(shell)
        .args(["-c", script])
        .env("STRATA", BIN)
        .env("STRATA_CACHE_DIR", tempdir().path())
        .output()
        .unwrap_or_else(|e| panic!("{shell}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bash_loads_the_completions_and_they_complete() {
    let (code, out, err) = shell("bash", r#"source <("$STRATA" completions bash)"#);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    let (code, out, err) = shell(
        "bash",
        r#"source <("$STRATA" completions bash) && complete -p strata"#,
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
    assert!(out.trim_end().ends_with(" strata"), "{out}");
    assert!(out.contains("-F _strata"), "{out}");

    // What a user gets on Tab: `strata rep` → report; `strata ci IMG --format ` → the
    // formats (markdown among them).
    let (code, out, err) = shell(
        "bash",
        r#"source <("$STRATA" completions bash)
COMP_WORDS=(strata rep); COMP_CWORD=1; COMP_LINE='strata rep'; COMP_POINT=10
_strata strata rep strata; printf '%s\n' "${COMPREPLY[@]}"
echo ---
COMP_WORDS=(strata ci app.tar --format ''); COMP_CWORD=4
_strata strata '' --format; printf '%s\n' "${COMPREPLY[@]}""#,
    );
    assert_eq!(code, 0, "{err}");
    let (commands, formats) = out.split_once("---\n").unwrap();
    assert_eq!(commands.trim(), "report", "{out}");
    let formats: Vec<&str> = formats.lines().collect();
    assert_eq!(
        formats,
        ["text", "json", "junit", "github", "markdown"],
        "{out}"
    );
}

#[test]
fn zsh_and_fish_scripts_name_every_command() {
    let zsh = stdout_of(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef strata\n"), "{zsh}");
    let fish = stdout_of(&["completions", "fish"]);
    assert!(fish.contains("complete -c strata"), "{fish}");
    for c in COMMANDS {
        assert!(zsh.contains(&format!("'{c}:")), "zsh: no {c}");
        assert!(
            fish.contains(&format!("-a \"{c}\"")) || fish.contains(&format!("-f -a \"{c}\"")),
            "fish: no {c}"
        );
    }
    // Where the shells are installed, they load the scripts too.
    for (sh, script) in [
        (
            "zsh",
            r#"autoload -U compinit && compinit -u && source <("$STRATA" completions zsh)"#,
        ),
        ("fish", r#""$STRATA" completions fish | source"#),
    ] {
        if Command::new(sh).arg("--version").output().is_ok() {
            let (code, _, err) = shell(sh, script);
            assert_eq!(code, 0, "{sh}: {err}");
            assert!(err.is_empty(), "{sh}: {err}");
        }
    }
    // An unknown shell is clap's usage error.
    let (code, _, err) = strata(&["completions", "tcsh"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("invalid value 'tcsh'"), "{err}");
}

#[test]
fn a_closed_pipe_is_no_panic() {
    for args in ["completions fish", "man"] {
        let script = format!("set -o pipefail; \"$STRATA\" {args} | head -c 1 >/dev/null");
        let (code, _, err) = shell("bash", &script);
        assert_eq!(code, 0, "{args}: {err}");
        assert!(err.is_empty(), "{args}: {err}");
    }
}

/// The page as `man` shows it: rendered by man-db at 100 columns, overstrikes removed.
fn rendered_man_page() -> String {
    let page = stdout_of(&["man"]);
    assert!(page.contains(".TH strata 1"), "{}", &page[..200]);
    let dir = tempdir();
    let file = dir.path().join("strata.1");
    std::fs::write(&file, &page).unwrap();
    let out = Command::new("sh")
        .args(["-c", r#"man --warnings -l "$1" | col -bx"#, "sh"])
        .arg(&file)
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .output()
        .unwrap_or_else(|e| panic!("man (scripts/test.sh installs man-db): {e}"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "man -l: {err}");
    // groff's warnings (-ww) would name a broken request or escape.
    assert!(err.is_empty(), "man -l warned: {err}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn man_renders_every_command_and_option() {
    let text = rendered_man_page();
    let headings: Vec<&str> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(' '))
        .collect();
    for h in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "SUBCOMMANDS",
        "ENVIRONMENT",
        "EXIT STATUS",
    ] {
        assert!(headings.contains(&h), "no {h} in {headings:?}");
    }
    for c in COMMANDS {
        let heading = format!("STRATA {}", c.to_uppercase());
        assert!(
            headings.contains(&heading.as_str()),
            "no {heading} in {headings:?}"
        );
    }
    assert!(headings.contains(&"STRATA CACHE PRUNE"), "{headings:?}");
    // man justifies lines: words are compared with their spaces folded.
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words(&section(&text, "NAME")).starts_with("strata - Open a container image"),
        "{text}"
    );
    // Each command's section has its synopsis and options, as subsections.
    let report = section(&text, "STRATA REPORT");
    assert!(
        words(&report).starts_with("SYNOPSIS strata report [--json]"),
        "{report}"
    );
    assert!(report.contains("\n   OPTIONS\n"), "{report}");
    assert!(report.contains("--top <TOP>"), "{report}");
    let ci = section(&text, "STRATA CI");
    for option in [
        "--rules <FILE>",
        "--lowestEfficiency <RATIO>",
        "--format <FORMAT>",
        "-o, --output <FILE>",
        "--force",
    ] {
        assert!(ci.contains(option), "no {option} in {ci}");
    }
    assert!(ci.contains("GITHUB_STEP_SUMMARY"), "{ci}");
    assert!(section(&text, "STRATA DIFF").contains("-o, --output <FILE>"));
    assert!(section(&text, "STRATA CACHE PRUNE").contains("--max-size <SIZE>"));
    assert!(section(&text, "ENVIRONMENT").contains("NO_COLOR"));
    assert!(
        section(&text, "OPTIONS").contains("--color <WHEN>"),
        "{text}"
    );
}

/// The lines under the heading `name`, up to the next heading.
fn section(text: &str, name: &str) -> String {
    assert!(text.lines().any(|l| l == name), "no {name}");
    text.lines()
        .skip_while(|l| *l != name)
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_command_takes_color_and_documents_carry_no_colour_codes() {
    let dir = tempdir();
    let img = dir.path().join("app.tar");
    Spec::new()
        .layer("ADD a /", vec![file("etc/a", &noise(1, 500))])
        .layer("RUN edit", vec![file("etc/a", &noise(2, 50))])
        .docker_archive(&img);
    let img = img.to_str().unwrap();
    for when in ["auto", "always", "never"] {
        for args in [
            vec!["report", img, "--color", when],
            vec!["ci", img, "--color", when],
            vec!["ci", img, "--format", "markdown", "--color", when],
            vec!["diff", img, img, "--color", when],
            vec!["sbom", img, "--color", when],
            vec!["cache", "ls", "--color", when],
            vec!["completions", "bash", "--color", when],
            // Piped, `strata IMAGE` is the report.
            vec!["--color", when, img],
        ] {
            let (code, out, err) = strata_env(
                &args,
                &[
                    (
                        "STRATA_CACHE_DIR",
                        dir.path().join("cache").to_str().unwrap(),
                    ),
                    ("NO_COLOR", ""),
                ],
                None,
            );
            assert!(
                code == 0 || (args[0] == "ci" && code == 1),
                "{args:?}: {err}"
            );
            assert!(!out.is_empty(), "{args:?}");
            assert!(!out.contains('\u{1b}'), "{args:?}: {out:?}");
            assert!(!err.contains('\u{1b}'), "{args:?}: {err:?}");
        }
    }
    let (code, _, err) = strata(&["report", img, "--color", "sometimes"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: invalid value 'sometimes' for '--color <WHEN>'"),
        "{err}"
    );
}

/// What `git -C <the crate> ARGS` prints, trimmed; `None` where there is no checkout.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let out = stdout_of(&["--version"]);
    let version = env!("CARGO_PKG_VERSION");
    let manifest = std::fs::canonicalize(env!("CARGO_MANIFEST_DIR")).unwrap();
    let checkout = git(&["rev-parse", "--show-toplevel"])
        .is_some_and(|top| std::fs::canonicalize(top).ok() == Some(manifest.clone()));
    if !checkout {
        // A build from a tarball: the package's version alone.
        assert_eq!(out, format!("strata {version}\n"));
        return;
    }
    let hash = git(&["rev-parse", "--short", "HEAD"]).unwrap();
    let date = git(&["log", "-1", "--format=%cs"]).unwrap();
    let line = out.trim_end();
    let clean = format!("strata {version} ({hash} {date})");
    let dirty = format!("strata {version} ({hash}-dirty {date})");
    // `-dirty` says what the tree was at build time (build.rs watches the sources, not
    // the tests), so either form is right here.
    assert!(line == clean || line == dirty, "{line:?}, not {clean:?}");
}

/// `--color` may come before a command's name, as a global flag; an image's own options
/// before it would be silently ignored, so they are refused, with a line saying where they go.
#[test]
fn color_may_precede_the_command_and_an_images_options_may_not() {
    let img = "assets/demo.tar";
    let (code, out, err) = strata(&["--color", "never", "report", img]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Image "), "{out}");
    for args in [
        vec!["--platform", "linux/amd64", "report", img],
        vec!["-q", "ci", img],
        vec!["--no-cache", "diff", img, img],
    ] {
        let (code, out, err) = strata(&args);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("go after the command's name"),
            "{args:?}: {err}"
        );
    }
}
