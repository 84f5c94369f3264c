//! The `strata` binary: parses the arguments and hands them to `cli`, which dispatches over
//! the library.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    cli::run(cli::Cli::parse())
}
