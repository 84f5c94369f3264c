//! `strata sbom IMAGE [--format cyclonedx|spdx] [-o FILE [--force]]`: the package inventory as
//! an SBOM, on stdout or in a file. The clock and the random serial number are read here, at
//! the edge, so the library's documents are a function of their inputs.
//!
//! The file is written as every `-o FILE` is (`output.rs`): complete or not at all, and
//! never over an existing file without `--force`.

use std::io;

use strata::report::sbom::{self, Format, Stamp, Subject};

use super::args::SbomArgs;
use super::error::Error;
use super::{options, output};

const WHAT: &str = "SBOM";

pub fn run(args: &SbomArgs) -> Result<(), Error> {
    output::refuse_existing(args.output.as_deref(), args.force, WHAT)?;
    let opts = options::source_options(&args.source)?;
    let loaded = options::load(&args.image, &args.source, &opts)?;
    let analysis = loaded.analyse();
    let inventory = &analysis.packages;
    let format = Format::from(args.format);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let stamp = Stamp::new(now, &uuid::Uuid::new_v4());
    let out =
        sbom::render(format, &Subject::of(loaded.image()), inventory, &stamp).map_err(|e| {
            Error::Write {
                what: WHAT,
                source: io::Error::other(e),
            }
        })?;
    output::write_report(args.output.as_deref(), args.force, WHAT, out.as_bytes())?;
    if !args.source.quiet {
        let listed = sbom::shipped(inventory).len();
        let removed = inventory.packages.len() - listed;
        let mut line = format!(
            "strata: {} SBOM of {listed} package{}",
            format.name(),
            if listed == 1 { "" } else { "s" }
        );
        if removed > 0 {
            line += &format!(" ({removed} removed by a later layer left out)");
        }
        if let Some(path) = &args.output {
            line += &format!(" written to {}", output::shown(path));
        }
        eprintln!("{line}");
        for u in &inventory.unreadable {
            eprintln!(
                "strata: could not read /{} (layer {}): {}; its packages are missing",
                strata::model::text::printable(&u.path, 1000),
                u.layer,
                strata::model::text::printable(&u.reason, 1000)
            );
        }
    }
    std::mem::forget((analysis, loaded));
    Ok(())
}
