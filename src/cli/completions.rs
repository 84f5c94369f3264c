//! `strata completions SHELL`: a completion script for bash, zsh, fish (and elvish,
//! PowerShell), written by clap_complete from the clap command itself, so it completes every
//! command and flag there is. Where to put each is in the README and the command's help.

use std::io::Write;

use clap::CommandFactory;

use super::args::Cli;
use super::error::Error;
use super::write_with;

pub fn run(shell: clap_complete::Shell) -> Result<(), Error> {
    let mut cmd = Cli::command();
    // Into memory first: clap_complete panics on a failed write, and a reader that closes
    // the pipe early (`| head`) is no error here.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "strata", &mut script);
    write_with("completion script", |stdout| stdout.write_all(&script))
}
