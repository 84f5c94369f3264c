//! `strata extract IMAGE PATH... --to DIR`: what was written, and what was skipped and why.

use strata::model::units;

use super::args::ExtractArgs;
use super::error::Error;
use super::options;

pub fn run(args: &ExtractArgs) -> Result<(), Error> {
    let opts = options::source_options(&args.source)?;
    let loaded = options::load(&args.image, &args.source, &opts)?;
    let analysis = loaded.analyse();
    let summary = strata::extract::extract(
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
        "strata: extracted {} ({}), {}, {}, {} into {}",
        units::counted(summary.files, "file", "files"),
        units::decimal(summary.bytes),
        units::counted(summary.dirs, "directory", "directories"),
        units::counted(summary.symlinks, "symlink", "symlinks"),
        units::counted(summary.hardlinks, "hardlink", "hardlinks"),
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
