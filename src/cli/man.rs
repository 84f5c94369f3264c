//! `strata man`: the man page, in roff, written from the clap command itself (clap_mangen), so
//! it never falls behind the flags.
//!
//! One page holds everything, as `rg` and `fd` ship theirs: `strata man >
//! ~/.local/share/man/man1/strata.1` is the whole install, and `man strata` then shows every
//! command. clap_mangen writes a page per command; the top one is kept as it is (NAME,
//! SYNOPSIS, DESCRIPTION, OPTIONS, SUBCOMMANDS), and each command's page follows as a section of
//! its own (`STRATA REPORT`), its sections made subsections. ENVIRONMENT and EXIT STATUS close
//! the page.

use clap::CommandFactory;
use roff::{bold, roman, Roff};

use super::args::Cli;
use super::error::Error;
use super::write_out;

pub fn run() -> Result<(), Error> {
    write_out(&page(), "man page")
}

/// The whole page.
pub fn page() -> String {
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = render(|w| clap_mangen::Man::new(cmd.clone()).render(w));
    for sub in commands(&cmd) {
        command_section(&mut out, sub);
    }
    out.push_str(&body(&closing()));
    out
}

/// A command's subcommands as the page lists them: not `help`, nothing hidden.
fn commands(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

/// `strata report` (and `strata cache ls` below `strata cache`) as a section: its synopsis,
/// description and options, the headings made subsections.
fn command_section(out: &mut String, cmd: &clap::Command) {
    let name = cmd.get_bin_name().unwrap_or(cmd.get_name()).to_string();
    let mut head = Roff::new();
    head.control("SH", [name.to_uppercase().as_str()]);
    out.push_str(&body(&head.render()));
    let man = clap_mangen::Man::new(cmd.clone());
    out.push_str(&demoted(&render(|w| man.render_synopsis_section(w))));
    out.push_str(&demoted(&render(|w| man.render_description_section(w))));
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        out.push_str(&demoted(&render(|w| man.render_options_section(w))));
    }
    for sub in commands(cmd) {
        command_section(out, sub);
    }
}

/// ENVIRONMENT and EXIT STATUS.
fn closing() -> String {
    let mut r = Roff::new();
    r.control("SH", ["ENVIRONMENT"]);
    for (name, what) in [
        (
            "NO_COLOR",
            "Set and not empty: no colour (as --color never) unless --color always says otherwise.",
        ),
        (
            "STRATA_CACHE_DIR",
            "The cache directory (default: ~/.cache/strata).",
        ),
        (
            "STRATA_CACHE_MAX_SIZE",
            "The cache's cap (default 10GiB); past it the least recently used files are evicted.",
        ),
        (
            "STRATA_CONFIG",
            "The explorer's config file (default: ~/.config/strata/config.toml).",
        ),
        (
            "STRATA_CERTS_DIRS",
            "Colon-separated directories of registries' CA certificates, instead of /etc/docker/certs.d and /etc/containers/certs.d.",
        ),
        (
            "STRATA_TRACE",
            "1: print where each layer's tree came from and what was checked.",
        ),
        (
            "DOCKER_HOST, CONTAINER_HOST",
            "The Docker and Podman engines' sockets.",
        ),
        (
            "REGISTRY_AUTH_FILE, DOCKER_CONFIG",
            "Where registry credentials are read, as podman and docker read them.",
        ),
        (
            "GITHUB_STEP_SUMMARY",
            "strata ci appends its verdict in markdown to this file (GitHub Actions sets it).",
        ),
    ] {
        r.control("TP", []);
        r.text([bold(name)]);
        r.text([roman(what)]);
    }
    r.control("SH", ["EXIT STATUS"]);
    for (code, what) in [
        ("0", "Done; for strata ci, every rule passed."),
        ("1", "strata ci: a rule failed."),
        (
            "2",
            "The image, a flag or a file could not be used; the error is one line on stderr.",
        ),
        ("128+N", "Signal N ended the explorer."),
    ] {
        r.control("TP", []);
        r.text([bold(code)]);
        r.text([roman(what)]);
    }
    r.render()
}

/// What `write` renders (each clap_mangen section renders through an `io::Write`).
fn render(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut buf = Vec::new();
    // Writing to a Vec does not fail; a section that did would only be missing.
    let _ = write(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// A rendered piece without the preamble every roff render starts with (the page has it
/// once, from its top).
fn body(rendered: &str) -> String {
    let preamble = Roff::new().render();
    rendered
        .strip_prefix(&preamble)
        .unwrap_or(rendered)
        .to_string()
}

/// A command's sections as subsections of its own section (`.SH` to `.SS`).
fn demoted(rendered: &str) -> String {
    body(rendered)
        .lines()
        .map(|l| match l.strip_prefix(".SH ") {
            Some(heading) => format!(".SS {heading}\n"),
            None => format!("{l}\n"),
        })
        .collect()
}
