//! `strata ci IMAGE`: reads the rules (dive's `.dive-ci` as dive reads it, or `--rules` strictly),
//! applies dive's flags on top, evaluates them on the report and prints the verdict (or writes
//! it to `-o FILE`). Under GitHub Actions (`$GITHUB_STEP_SUMMARY` set) the verdict is also
//! appended to the step summary in markdown.

use std::ffi::OsStr;
use std::io::Write;
use std::process::ExitCode;

use strata::report::ci::{self, Format, Rules, Verdict};
use strata::report::Report;

use super::args::CiArgs;
use super::error::Error;
use super::{options, output};

const WHAT: &str = "CI verdict";

/// `strata ci`: 0 pass, 1 a rule failed, 2 could not analyse (bad image or rules file) or
/// could not write the verdict where `-o` asked.
pub fn run(args: &CiArgs) -> Result<ExitCode, Error> {
    output::refuse_existing(args.output.as_deref(), args.force, WHAT)?;
    let rules = with_dive_flags(ci_rules(args)?, args);
    let opts = options::source_options(&args.source)?;
    let loaded = options::load(&args.image, &args.source, &opts)?;
    let analysis = loaded.analyse();
    let doc = Report::new(loaded.image(), &analysis);
    let verdict = ci::evaluate(&rules, &doc);
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        step_summary(&path, &verdict, &doc);
    }
    let out = ci::render(&verdict, &doc, args.format.into());
    output::write_report(args.output.as_deref(), args.force, WHAT, out.as_bytes())?;
    Ok(if verdict.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Appends the verdict in markdown to the step summary file at `path`. The file is shared by
/// every step of the job, so it is only ever appended to, never truncated. Failing to write
/// it is a warning, not a failure: the exit code stays the verdict's, so a gate never passes
/// or fails for a reason other than its rules.
fn step_summary(path: &OsStr, verdict: &Verdict, doc: &Report) {
    let md = ci::render(verdict, doc, Format::Markdown);
    let written = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .and_then(|mut file| {
            // A blank line first, so the verdict's heading starts a block of its own after
            // what earlier steps wrote.
            let earlier = file.metadata()?.len() > 0;
            let text = if earlier { format!("\n{md}") } else { md };
            file.write_all(text.as_bytes())
        });
    if let Err(e) = written {
        eprintln!(
            "strata: warning: cannot append the verdict to $GITHUB_STEP_SUMMARY ({}): {e}",
            strata::model::text::printable(&path.to_string_lossy(), 1000)
        );
    }
}

/// The rules file of `strata ci`. A `--rules` file is strata's and read strictly; `.dive-ci`
/// is dive's and read as dive reads it (keys dive ignores are ignored, and named in a note).
fn ci_rules(args: &CiArgs) -> Result<Rules, Error> {
    let (path, text) = match &args.rules {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(t) => (path.clone(), Some(t)),
            Err(source) => {
                return Err(Error::ReadRules {
                    path: path.clone(),
                    source,
                })
            }
        },
        // Like dive: `.dive-ci` in the current directory when present; unreadable is an error.
        None => match std::fs::read_to_string(".dive-ci") {
            Ok(t) => (".dive-ci".into(), Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (".dive-ci".into(), None),
            Err(source) => {
                return Err(Error::ReadRules {
                    path: ".dive-ci".into(),
                    source,
                })
            }
        },
    };
    let parsed = match &args.rules {
        Some(_) => ci::parse_rules(text.as_deref()).map(|r| (r, Vec::new())),
        None => ci::parse_dive_ci(text.as_deref()),
    };
    let (rules, notes) = parsed.map_err(|source| Error::Rules { path, source })?;
    if !args.source.quiet {
        for note in notes {
            eprintln!(
                "strata: note: .dive-ci: {}",
                strata::model::text::printable(&note.to_string(), 1000)
            );
        }
    }
    Ok(rules)
}

/// dive's three CLI thresholds override the rules file, as they do in dive.
fn with_dive_flags(mut rules: Rules, args: &CiArgs) -> Rules {
    if let Some(s) = args.lowest_efficiency {
        rules.lowest_efficiency = s;
        rules.dive_defaults.lowest_efficiency = false;
    }
    if let Some(s) = args.highest_user_wasted_percent {
        rules.highest_user_wasted_percent = s;
        rules.dive_defaults.highest_user_wasted_percent = false;
    }
    if let Some(s) = args.highest_wasted_bytes {
        rules.highest_wasted_bytes = s;
        rules.dive_defaults.highest_wasted_bytes = false;
    }
    rules
}
