//! The `strata` binary's glue: the arguments (`args`), one module per command, and the one
//! place a command's error becomes a line on stderr and an exit code. Everything a command
//! does is the library's; these modules only choose, load and print.

mod args;
mod cache;
mod ci;
mod completions;
mod diff;
mod error;
mod explore;
mod extract;
mod man;
mod options;
mod output;
mod progress;
mod report;
mod sbom;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

pub use args::Cli;
use args::Command;
use error::Error;

/// Runs the command `cli` names and gives the process's exit code: 0 done, 1 a CI rule
/// failed, 2 could not do it, 128 + N when signal N ended the explorer.
pub fn run(cli: Cli) -> ExitCode {
    if cli.command.is_some() && (cli.image.is_some() || cli.source != args::SourceArgs::default()) {
        return fail(&Error::BeforeCommand);
    }
    let result = match cli.command {
        Some(Command::Report(args)) => report::run(&args),
        Some(Command::Extract(args)) => extract::run(&args),
        Some(Command::Ci(args)) => return ci::run(&args).unwrap_or_else(|e| fail(&e)),
        Some(Command::Diff(args)) => diff::run(&args, cli.color),
        Some(Command::Cache(args)) => cache::run(&args.action),
        Some(Command::Sbom(args)) => sbom::run(&args),
        Some(Command::Completions { shell }) => completions::run(shell),
        Some(Command::Man) => man::run(),
        None => match cli.image {
            // The explorer needs a terminal; piped, `strata IMAGE` prints the report instead.
            Some(image) if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() => {
                explore::run(&image, &cli.source, cli.color)
            }
            Some(image) => report::run(&args::ReportArgs {
                image,
                json: false,
                format: None,
                output: None,
                force: false,
                top: 10,
                base: None,
                source: cli.source,
            }),
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

/// 128 + the signal's number when a signal ended the explorer (the shell's convention).
fn signal_exit() -> Option<ExitCode> {
    strata::tui::runtime::ended_by_signal()
        .map(|sig| ExitCode::from((128 + sig).clamp(0, 255) as u8))
}

/// Writes a command's output to stdout; a reader that closed the pipe early (`| head`) is
/// not an error worth a message.
fn write_out(out: &str, what: &'static str) -> Result<(), Error> {
    write_with(what, |stdout| stdout.write_all(out.as_bytes()))
}

/// Writes to stdout with `write`; a reader that went away (`| head`) is not an error.
fn write_with(
    what: &'static str,
    write: impl FnOnce(&mut std::io::StdoutLock<'static>) -> std::io::Result<()>,
) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match write(&mut stdout).and_then(|_| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(source) => Err(Error::Write { what, source }),
    }
}
