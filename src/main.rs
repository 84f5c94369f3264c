//! The `strata` binary: argument parsing and dispatch over the engine in the library.

mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use strata::model::units;
use strata::report::ci::{self, Rules};
use strata::report::{text, Report};
use strata::SourceOptions;

use cli::progress::Progress;
use cli::{CacheAction, Cli, Command, Error, SourceArgs};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Report(args)) => report(
            &args.image,
            &args.source,
            args.json,
            args.top,
            args.base.as_deref(),
        ),
        Some(Command::Extract(args)) => extract(&args),
        Some(Command::Ci(args)) => return ci(&args).unwrap_or_else(|e| fail(&e)),
        Some(Command::Diff(args)) => diff(&args),
        Some(Command::Cache(args)) => cache(&args.action),
        None => match cli.image {
            // The explorer needs a terminal; piped, `strata IMAGE` prints the report instead.
            Some(image) if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() => {
                explore(&image, &cli.source)
            }
            Some(image) => report(&image, &cli.source, false, 10, None),
            None => Err(Error::NoImage),
        },
    };
    if let Some(code) = signal_exit() {
        return code;
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// Prints the error and gives the exit code of "could not do it" (2).
fn fail(e: &Error) -> ExitCode {
    // One line, whatever the message quotes from the input.
    eprintln!(
        "strata: error: {}",
        strata::model::text::printable(&e.to_string(), 1000)
    );
    ExitCode::from(2)
}

/// `strata diff A B`: both images load in parallel; on a terminal the compare screen opens.
fn diff(args: &cli::DiffArgs) -> Result<(), Error> {
    let opts = source_options(&args.source)?;
    if !args.json && std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        let settings = strata::tui::runtime::load_settings().map_err(Error::Explorer)?;
        let ui = strata::tui::runtime::ui_config(&settings).map_err(Error::Explorer)?;
        for input in [&args.a, &args.b] {
            strata::source::reference::ImageRef::parse(input)?;
        }
        return strata::tui::runtime::run_compare(&args.a, &args.b, opts, ui)
            .map_err(Error::Explorer);
    }
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| load(&args.a, &args.source, &opts));
        let b = load(&args.b, &args.source, &opts);
        (a.join(), b)
    });
    let a = a.map_err(|_| Error::LoadPanicked {
        what: "first image",
    })??;
    let b = b?;
    let (an_a, an_b) = (a.analyse(), b.analyse());
    let (doc, _) = strata::report::diff::compare_images(&a, &an_a, &b, &an_b);
    let out = if args.json {
        doc.to_json() + "\n"
    } else {
        doc.render_text(args.top)
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(source) => Err(Error::Write {
            what: "diff",
            source,
        }),
    }
}

/// `strata ci`: 0 pass, 1 a rule failed, 2 could not analyse (bad image or rules file).
fn ci(args: &cli::CiArgs) -> Result<ExitCode, Error> {
    let rules = with_dive_flags(ci_rules(args)?, args);
    let opts = source_options(&args.source)?;
    let loaded = load(&args.image, &args.source, &opts)?;
    let analysis = loaded.analyse();
    let doc = Report::new(&loaded, &analysis);
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
fn ci_rules(args: &cli::CiArgs) -> Result<Rules, Error> {
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
fn with_dive_flags(mut rules: Rules, args: &cli::CiArgs) -> Rules {
    if let Some(s) = args.lowest_efficiency {
        rules.lowest_efficiency = s;
    }
    if let Some(s) = args.highest_user_wasted_percent {
        rules.highest_user_wasted_percent = s;
    }
    if let Some(s) = args.highest_wasted_bytes {
        rules.highest_wasted_bytes = s;
    }
    rules
}

fn explore(image: &str, source: &SourceArgs) -> Result<(), Error> {
    let settings = strata::tui::runtime::load_settings().map_err(Error::Explorer)?;
    let ui = strata::tui::runtime::ui_config(&settings).map_err(Error::Explorer)?;
    // Reject what cannot be opened before taking over the terminal.
    strata::source::reference::ImageRef::parse(image)?;
    let opts = source_options(source)?;
    strata::tui::runtime::run(image, opts, ui).map_err(Error::Explorer)
}

/// 128 + the signal's number when a signal ended the explorer (the shell's convention).
fn signal_exit() -> Option<ExitCode> {
    strata::tui::runtime::ended_by_signal()
        .map(|sig| ExitCode::from((128 + sig).clamp(0, 255) as u8))
}

fn extract(args: &cli::ExtractArgs) -> Result<(), Error> {
    let opts = source_options(&args.source)?;
    let loaded = load(&args.image, &args.source, &opts)?;
    let analysis = loaded.analyse();
    let summary = strata::extract::extract(
        &args.image,
        &opts,
        &loaded,
        &analysis,
        &args.paths,
        &args.to,
        &strata::extract::ExtractOptions {
            layer: args.layer,
            overwrite: args.force,
        },
    )?;
    if args.source.quiet {
        // What was left out still says so: the directory is not the whole selection.
        for (path, why) in &summary.skipped {
            eprintln!(
                "strata: skipped /{}: {why}",
                strata::model::text::printable(path, 1000)
            );
        }
        return Ok(());
    }
    eprintln!(
        "strata: extracted {} files ({}), {} directories, {} symlinks, {} hardlinks into {}",
        summary.files,
        units::decimal(summary.bytes),
        summary.dirs,
        summary.symlinks,
        summary.hardlinks,
        strata::model::text::printable(&args.to.display().to_string(), 1000)
    );
    for (path, why) in &summary.skipped {
        eprintln!(
            "strata: skipped /{}: {}",
            strata::model::text::printable(path, 1000),
            why
        );
    }
    Ok(())
}

fn report(
    image: &str,
    source: &SourceArgs,
    json: bool,
    top: usize,
    base: Option<&str>,
) -> Result<(), Error> {
    let opts = source_options(source)?;
    let (loaded, base_image) = std::thread::scope(|s| {
        let opts_ref = &opts;
        let b = base.map(|b| s.spawn(move || load(b, source, opts_ref)));
        (load(image, source, &opts), b.map(|h| h.join()))
    });
    let loaded = loaded?;
    let analysis = loaded.analyse();
    let mut doc = Report::new(&loaded, &analysis);
    if let (Some(reference), Some(b)) = (base, base_image) {
        let b = b.map_err(|_| Error::LoadPanicked { what: "base image" })??;
        doc.set_base(reference, &b, &loaded, &analysis);
    }
    let out = if json {
        doc.to_json() + "\n"
    } else {
        text::render(&doc, top)
    };
    // The process ends right after: freeing millions of entries one by one would only
    // delay the exit (a tenth of a reopen of a 300k-file image went there).
    std::mem::forget((doc, analysis, loaded));
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Ok(()) => Ok(()),
        // `strata report x | head` closes the pipe early: not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(source) => Err(Error::Write {
            what: "report",
            source,
        }),
    }
}

/// The source options the flags ask for; `--password-stdin` reads the password here.
fn source_options(args: &SourceArgs) -> Result<SourceOptions, Error> {
    let credentials = match (&args.username, args.password_stdin) {
        (Some(user), true) => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(Error::Stdin)?;
            let password = line.trim_end_matches(['\r', '\n']).to_string();
            if password.is_empty() {
                return Err(Error::NoPassword);
            }
            Some(strata::source::credentials::Credentials {
                username: user.clone(),
                password: strata::source::credentials::Secret::new(password),
            })
        }
        _ => None,
    };
    Ok(SourceOptions {
        platform: args.platform.clone(),
        source: args.source.map(|s| match s {
            cli::SourceChoice::Registry => strata::source::SourceKind::Registry,
            cli::SourceChoice::Docker => {
                strata::source::SourceKind::Engine(strata::source::reference::Engine::Docker)
            }
            cli::SourceChoice::Podman => {
                strata::source::SourceKind::Engine(strata::source::reference::Engine::Podman)
            }
        }),
        insecure: args.insecure,
        credentials,
        no_cache: args.no_cache,
        timeout: args.timeout.map(std::time::Duration::from_secs),
        limits: args.limits(),
    })
}

/// Loads an image with progress and notices on stderr (unless `--quiet`).
fn load(image: &str, args: &SourceArgs, opts: &SourceOptions) -> strata::Result<strata::Image> {
    let progress = Progress::new(image, args.quiet);
    let result = strata::load(image, opts, &|ev| progress.event(ev));
    progress.finish();
    result
}

/// `strata cache ls|prune`.
fn cache(action: &CacheAction) -> Result<(), Error> {
    let cache = strata::cache::Cache::user().ok_or(Error::NoCacheDir)?;
    let root = strata::model::text::printable(&cache.root().display().to_string(), 500);
    match action {
        CacheAction::Ls => {
            let entries = cache.entries();
            let mut out = String::new();
            let now = std::time::SystemTime::now();
            for e in &entries {
                let age = now.duration_since(e.used).map(|d| d.as_secs()).unwrap_or(0);
                out.push_str(&format!(
                    "{:<5} {:>10}  {:>8}  {}\n",
                    e.kind.name(),
                    units::decimal(e.bytes),
                    short_age(age),
                    strata::model::text::printable(&e.key, 300)
                ));
            }
            let total: u64 = entries.iter().map(|e| e.bytes).sum();
            let max = strata::cache::Cache::max_bytes().map_err(Error::CacheConfig)?;
            out.push_str(&format!(
                "{} files, {} in {root} (cap {}, STRATA_CACHE_MAX_SIZE)\n",
                entries.len(),
                units::decimal(total),
                units::decimal(max)
            ));
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(out.as_bytes()) {
                Err(source) if source.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(Error::Write {
                        what: "listing",
                        source,
                    })
                }
                _ => Ok(()),
            }
        }
        CacheAction::Prune { max_size } => {
            let max = match max_size {
                Some(v) => units::parse_size(v).map_err(|source| Error::MaxSize {
                    value: v.clone(),
                    source,
                })?,
                None => 0,
            };
            let pruned = cache.prune(max);
            println!(
                "removed {} files ({}); {} left in {root}",
                pruned.files,
                units::decimal(pruned.bytes),
                units::decimal(cache.size())
            );
            Ok(())
        }
    }
}

fn short_age(secs: u64) -> String {
    match secs {
        s if s < 120 => format!("{s}s ago"),
        s if s < 7200 => format!("{}m ago", s / 60),
        s if s < 172_800 => format!("{}h ago", s / 3600),
        s => format!("{}d ago", s / 86_400),
    }
}
