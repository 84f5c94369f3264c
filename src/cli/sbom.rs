//! `strata sbom IMAGE [--format cyclonedx|spdx] [-o FILE [--force]]`: the package inventory as
//! an SBOM, on stdout or in a file. The clock and the random serial number are read here, at
//! the edge, so the library's documents are a function of their inputs.
//!
//! A file is written beside its destination and renamed over it only when complete, and never
//! over an existing file without `--force`: a failed or refused run leaves what the user had.

use std::io::{self, Write};
use std::path::Path;

use strata::report::sbom::{self, Format, Stamp, Subject};

use super::args::SbomArgs;
use super::error::Error;
use super::{options, write_out};

const WHAT: &str = "SBOM";

pub fn run(args: &SbomArgs) -> Result<(), Error> {
    // Refused before the image is read: a registry pull is too long to waste on this.
    if let Some(path) = &args.output {
        if !args.force && path.symlink_metadata().is_ok() {
            return Err(Error::Write {
                what: WHAT,
                source: already_exists(path),
            });
        }
    }
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
    match &args.output {
        Some(path) => write_file(path, &out, args.force)
            .map_err(|source| Error::Write { what: WHAT, source })?,
        None => write_out(&out, WHAT)?,
    }
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
            line += &format!(
                " written to {}",
                strata::model::text::printable(&path.display().to_string(), 1000)
            );
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

fn already_exists(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "{} exists; --force replaces it",
            strata::model::text::printable(&path.display().to_string(), 1000)
        ),
    )
}

/// Writes `text` to a temporary file in `path`'s directory, then renames it to `path`: over
/// an existing file only with `force`, and atomically either way.
fn write_file(path: &Path, text: &str, force: bool) -> io::Result<()> {
    let named = |e: io::Error| {
        io::Error::new(
            e.kind(),
            format!(
                "{}: {e}",
                strata::model::text::printable(&path.display().to_string(), 1000)
            ),
        )
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".strata-sbom-");
    // What `File::create` would give (0666 less the umask), not the temp file's 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut file = builder.tempfile_in(dir).map_err(named)?;
    file.write_all(text.as_bytes()).map_err(named)?;
    file.as_file().sync_all().map_err(named)?;
    let persisted = if force {
        file.persist(path)
    } else {
        file.persist_noclobber(path)
    };
    match persisted {
        Ok(_) => Ok(()),
        Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => Err(already_exists(path)),
        Err(e) => Err(named(e.error)),
    }
}
