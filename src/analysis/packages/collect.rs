//! The `Keep` a layer read is given: which of a layer's files the inventory needs (by path,
//! `DbFile::of`; Go binaries by the build-info magic inside executables), parsed the moment
//! their bytes have streamed by, so that a layer holds what its package files say and not
//! the files (node-app's 3,900 `package.json` files are 2.9 MB; their names and versions a
//! tenth of that). An rpm database waits for the end of the layer, where its write-ahead log
//! (a file of its own, after it in the tar) is known.

use super::{apk, dpkg, go, npm, os_release, python, rpm};
use crate::model::packages::{DbFile, Files, Found, Fragment};
use crate::model::path::parent;
use crate::model::units;
use crate::tree::keep::{Keep, Kept, Want};
use crate::tree::{Entry, EntryKind};

/// How much of a Go binary's build info is read (the module list of a large program is tens
/// of kilobytes).
const GO_BUILD_INFO_BYTES: usize = 256 << 10;

/// Executables smaller than this are scripts or stubs, not Go programs.
const GO_MIN_BINARY: u64 = 64 << 10;

/// Collects one layer's package files.
#[derive(Default)]
pub struct Collector {
    fragments: Vec<Fragment>,
    /// rpm databases (path, kind, bytes) and write-ahead logs, read at the end.
    rpm: Vec<(Box<str>, DbFile, Vec<u8>)>,
}

impl Keep for Collector {
    fn wants(&self, entry: &Entry) -> Want {
        // Only regular files carry content (directories, links and whiteouts are most of the
        // entries that are not).
        if entry.kind != EntryKind::File {
            return Want::Nothing;
        }
        if let Some(kind) = DbFile::of(&entry.path) {
            return Want::Whole {
                max: kind.max_bytes(),
            };
        }
        if entry.mode & 0o111 != 0 && entry.size >= GO_MIN_BINARY {
            return Want::After {
                head: b"\x7fELF",
                marker: go::BUILDINFO_MAGIC,
                align: 16,
                take: GO_BUILD_INFO_BYTES,
            };
        }
        Want::Nothing
    }

    fn kept(&mut self, entry: &Entry, content: Kept<'_>) {
        let path = &entry.path;
        let found = match content {
            Kept::TooBig { size, max } => Some(Found::Unreadable(too_big(size, max))),
            Kept::After(bytes) => Some(match go::build_info(bytes) {
                Ok(mut records) => {
                    // The main module is the binary itself.
                    if let Some(main) = records.first_mut() {
                        main.files = Files::from_paths([&**path]);
                    }
                    Found::Packages(records)
                }
                Err(reason) => Found::Unreadable(reason),
            }),
            Kept::Whole(bytes) => match DbFile::of(path) {
                Some(
                    kind @ (DbFile::RpmSqlite
                    | DbFile::RpmSqliteWal
                    | DbFile::RpmBerkeley
                    | DbFile::RpmNdb),
                ) => {
                    self.rpm.push((path.clone(), kind, bytes.to_vec()));
                    None
                }
                Some(kind) => {
                    if let Some(cut) = cut_short(kind, bytes) {
                        self.fragments.push(Fragment {
                            path: path.clone(),
                            found: cut,
                        });
                    }
                    parse(kind, path, bytes)
                }
                None => None,
            },
        };
        if let Some(found) = found {
            self.fragments.push(Fragment {
                path: path.clone(),
                found,
            });
        }
    }
}

/// A text database that does not end its last line was cut short (dpkg and apk end every
/// line): the entries before the cut are read, and the cut is reported.
fn cut_short(kind: DbFile, bytes: &[u8]) -> Option<Found> {
    let text_db = matches!(
        kind,
        DbFile::DpkgStatus | DbFile::DpkgStatusD | DbFile::ApkInstalled
    );
    (text_db && !bytes.is_empty() && bytes.last() != Some(&b'\n')).then(|| {
        Found::Unreadable(
            "the file ends in the middle of a line (cut short?); the entries before the cut \
             are read"
                .to_string(),
        )
    })
}

/// What a database or metadata file says; `None` for a file that is not a package after all
/// (a `package.json` without a name or version).
fn parse(kind: DbFile, path: &str, bytes: &[u8]) -> Option<Found> {
    let dir = parent(path).unwrap_or("");
    let records = |r: Result<Vec<_>, String>| match r {
        Ok(records) => Found::Packages(records),
        Err(reason) => Found::Unreadable(reason),
    };
    Some(match kind {
        DbFile::DpkgStatus | DbFile::DpkgStatusD => records(dpkg::status(bytes)),
        DbFile::DpkgFiles => Found::Files(dpkg::owned_files(bytes)),
        DbFile::ApkInstalled => records(apk::installed(bytes)),
        DbFile::PythonMetadata => records(python::metadata(bytes).map(|r| r.into_iter().collect())),
        DbFile::PythonRecord => Found::Files(python::record(bytes, dir)),
        DbFile::PythonInstalledFiles => Found::Files(python::installed_files(bytes, dir)),
        DbFile::NpmPackageJson => match npm::package_json(bytes) {
            Ok(Some(record)) => Found::Packages(vec![record]),
            Ok(None) => return None,
            Err(reason) => Found::Unreadable(reason),
        },
        DbFile::OsRelease => match os_release::distro(bytes) {
            Ok(d) => Found::Distro(d),
            Err(reason) => Found::Unreadable(reason),
        },
        DbFile::RpmSqlite | DbFile::RpmSqliteWal | DbFile::RpmBerkeley | DbFile::RpmNdb => {
            return None
        }
    })
}

impl Collector {
    /// What the layer's package files say, in archive order (rpm databases last).
    pub fn finish(mut self) -> Vec<Fragment> {
        let rpm = std::mem::take(&mut self.rpm);
        for (path, kind, bytes) in &rpm {
            let result = match kind {
                DbFile::RpmSqlite => {
                    let wal_path = format!("{path}-wal");
                    let wal = rpm
                        .iter()
                        .find(|(p, k, _)| *k == DbFile::RpmSqliteWal && **p == *wal_path)
                        .map(|(_, _, b)| b.as_slice());
                    rpm::sqlite(bytes, wal)
                }
                DbFile::RpmBerkeley => rpm::berkeley(bytes),
                DbFile::RpmNdb => rpm::ndb(bytes),
                _ => continue,
            };
            self.fragments.push(Fragment {
                path: path.clone(),
                found: match result {
                    Ok(records) => Found::Packages(records),
                    Err(reason) => Found::Unreadable(reason),
                },
            });
        }
        self.fragments
    }
}

/// Why a file past its read limit is unread; exact byte counts where the rounded figures
/// would read the same.
fn too_big(size: u64, max: u64) -> String {
    let (s, m) = (units::decimal(size), units::decimal(max));
    if s == m {
        format!("{size} bytes, more than the {max} bytes read of such a file")
    } else {
        format!("{s}, more than the {m} read of such a file")
    }
}
