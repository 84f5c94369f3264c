//! `strata ci IMAGE`: reads the rules (dive's `.dive-ci` as dive reads it, or `--rules` strictly),
//! applies dive's flags on top, evaluates them on the report and prints the verdict.

use std::io::Write;
use std::process::ExitCode;

use strata::report::ci::{self, Rules};
use strata::report::Report;

use super::args::CiArgs;
use super::error::Error;
use super::options;

/// `strata ci`: 0 pass, 1 a rule failed, 2 could not analyse (bad image or rules file).
pub fn run(args: &CiArgs) -> Result<ExitCode, Error> {
    let rules = with_dive_flags(ci_rules(args)?, args);
    let opts = options::source_options(&args.source)?;
    let loaded = options::load(&args.image, &args.source, &opts)?;
    let analysis = loaded.analyse();
    let doc = Report::new(loaded.image(), &analysis);
    let verdict = ci::evaluate(&rules, &doc);
    let out = ci::render(&verdict, &doc, args.format.into());
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush());
    Ok(if verdict.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
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
