//! Where a command's document goes: stdout, or the file `-o FILE` names (`report`, `ci`,
//! `diff`, `sbom`). One writer for every command, so each keeps a user's file the same way.
//!
//! A file is written beside its destination and renamed over it only when complete, and never
//! over an existing file without `--force`: a failed or refused run leaves what the user had.
//! The refusal is checked before the image is read too (`refuse_existing`), since a registry
//! pull is too long to waste on it, and again at the rename, which no other writer can race.

use std::io::{self, Write};
use std::path::Path;

use super::error::Error;
use super::write_with;

/// Refuses an existing `path` unless `force`: checked before the image is read, as a
/// registry pull is too long to waste on this (the write checks again, atomically).
pub fn refuse_existing(path: Option<&Path>, force: bool, what: &'static str) -> Result<(), Error> {
    match path {
        Some(path) if !force && path.symlink_metadata().is_ok() => Err(Error::Write {
            what,
            source: already_exists(path),
        }),
        _ => Ok(()),
    }
}

/// Writes `bytes` (the `what`, named in errors) to `path`, or to stdout without one (see
/// `emit`).
pub fn write_report(
    path: Option<&Path>,
    force: bool,
    what: &'static str,
    bytes: &[u8],
) -> Result<(), Error> {
    emit(path, force, what, |w| w.write_all(bytes))
}

/// Writes with `write` to `path` (see `write_file`), or to stdout when there is none.
pub fn emit(
    path: Option<&Path>,
    force: bool,
    what: &'static str,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Error> {
    match path {
        Some(path) => {
            write_file(path, force, write).map_err(|source| Error::Write { what, source })
        }
        None => write_with(what, |stdout| write(stdout)),
    }
}

/// `path` as a message shows it.
pub fn shown(path: &Path) -> String {
    strata::model::text::printable(&path.display().to_string(), 1000)
}

fn already_exists(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{} exists; --force replaces it", shown(path)),
    )
}

/// Writes to a temporary file in `path`'s directory with `write`, then renames it to `path`:
/// over an existing file only with `force`, and atomically either way.
fn write_file(
    path: &Path,
    force: bool,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", shown(path)));
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Said of the directory, not of the temporary file that could not be made in it.
    if !dir.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{}: the directory {} does not exist",
                shown(path),
                shown(dir)
            ),
        ));
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(".strata-");
    // What `File::create` would give (0666 less the umask), not the temp file's 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut file = builder.tempfile_in(dir).map_err(named)?;
    {
        let mut out = io::BufWriter::with_capacity(64 << 10, file.as_file_mut());
        write(&mut out).map_err(named)?;
        out.flush().map_err(named)?;
    }
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
