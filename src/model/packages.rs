//! Packages as their package managers record them (DESIGN section 3b): the values the tree
//! walker keeps while a layer streams by, the parsers in `analysis::packages` fill and the
//! inventory, reports and explorer read. Kept here, at the bottom, because the walker (below
//! the analysis) decides which files to keep by `DbFile::of`, and the cache stores what was
//! parsed with each layer's tree.

use serde::{Deserialize, Serialize};

/// Which package manager a package belongs to. The names are DESIGN's `ecosystem` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    Dpkg,
    Apk,
    Rpm,
    Python,
    Npm,
    Go,
}

impl Ecosystem {
    pub const ALL: [Ecosystem; 6] = [
        Ecosystem::Dpkg,
        Ecosystem::Apk,
        Ecosystem::Rpm,
        Ecosystem::Python,
        Ecosystem::Npm,
        Ecosystem::Go,
    ];

    /// The name used in text and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Ecosystem::Dpkg => "dpkg",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Python => "python",
            Ecosystem::Npm => "npm",
            Ecosystem::Go => "go",
        }
    }

    /// Operating-system package managers (one database per image) as opposed to language
    /// ones (one record per installed package, wherever it was installed).
    pub fn is_os(self) -> bool {
        matches!(self, Ecosystem::Dpkg | Ecosystem::Apk | Ecosystem::Rpm)
    }
}

/// Bumped whenever what a layer's package files are read as changes (a new format, a parser
/// rule), so that layer trees cached by an older strata, whose `packages` fragments lack it,
/// are read again rather than served short of packages. 1: dpkg, apk, rpm, Python, npm, Go
/// build info, os-release, dpkg `config-files` not installed, non-UTF-8 METADATA names.
pub const READ_VERSION: u32 = 1;

/// Paths a package owns, as one string of normalised image paths (no leading `/`, the form
/// `tree::Entry::path` has) joined by `\n`: a package list of 100k paths costs its bytes and
/// not 100k allocations, and a copy (the inventory's of a database's list, the report's of
/// the inventory's) costs a reference count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files(std::sync::Arc<str>);

/// `path` is what `path::normalize` would make of it: not empty, no leading or trailing `/`,
/// no empty, `.` or `..` component.
fn is_normal(path: &str) -> bool {
    // One pass over the bytes: every component (after the start or a `/`) is neither empty
    // nor `.` nor `..`.
    let b = path.as_bytes();
    let mut start = 0;
    loop {
        let end = b[start..]
            .iter()
            .position(|&c| c == b'/')
            .map_or(b.len(), |i| start + i);
        if matches!(&b[start..end], b"" | b"." | b"..") {
            return false;
        }
        if end == b.len() {
            return true;
        }
        start = end + 1;
    }
}

impl Default for Files {
    fn default() -> Files {
        Files(std::sync::Arc::from(""))
    }
}

impl Serialize for Files {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Files {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Files, D::Error> {
        let joined = String::deserialize(deserializer)?;
        Ok(Files(std::sync::Arc::from(joined)))
    }
}

impl Files {
    /// Normalises each path (`/usr/bin/x`, `./usr/bin/x` and `usr/bin/x` are one path) and
    /// drops the root and empty lines.
    pub fn from_paths<'a>(paths: impl IntoIterator<Item = &'a str>) -> Files {
        let mut out = String::new();
        for raw in paths {
            // Most paths are normal already (every path of the image's own tables is): no
            // copy for those, so a list of 100k paths is not 100k short-lived strings.
            let normal;
            let stripped = raw.strip_prefix('/').unwrap_or(raw);
            let path = if is_normal(stripped) {
                stripped
            } else if let Some(p) = super::path::normalize(raw) {
                normal = p;
                &normal
            } else {
                continue;
            };
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(path);
        }
        Files(std::sync::Arc::from(out))
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.split('\n').filter(|p| !p.is_empty())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.iter().count()
    }
}

/// One package as one database file states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub ecosystem: Ecosystem,
    pub name: String,
    /// As the ecosystem writes it: dpkg `[epoch:]upstream[-revision]`, rpm
    /// `[epoch:]version-release`, apk `1.2.3-r4`, a Go module's `v1.2.3`.
    pub version: String,
    /// Where the ecosystem has one (dpkg, apk, rpm): `amd64`, `x86_64`, `all`, `noarch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// The files this record lists itself (apk `F:`/`R:`, rpm's file list, a Go binary's own
    /// path for its main module); lists kept in other files (`dpkg/info/*.list`, Python's
    /// `RECORD`) arrive as `Found::Files` and are joined by the inventory.
    #[serde(default, skip_serializing_if = "Files::is_empty")]
    pub files: Files,
    /// The source package where it differs from the name (dpkg `Source:`, rpm's source rpm,
    /// apk `o:`), for the purl's `upstream` qualifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The declared licence, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
}

impl Record {
    pub fn new(ecosystem: Ecosystem, name: &str, version: &str) -> Record {
        Record {
            ecosystem,
            name: name.to_string(),
            version: version.to_string(),
            arch: None,
            files: Files::default(),
            source: None,
            license: None,
        }
    }
}

/// The distribution an image says it is (`/etc/os-release`, or `/usr/lib/os-release`), for
/// the purls of OS packages (`distro=debian-12`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distro {
    /// `ID`: debian, ubuntu, alpine, fedora, rhel, ...
    pub id: String,
    /// `VERSION_ID`: 12, 22.04, 3.19.1, 39 (may be empty: Debian testing has none).
    pub version_id: String,
}

/// What one kept file of a layer held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Found {
    /// Packages: a whole database (dpkg `status`, apk `installed`, an rpmdb) or one package's
    /// own metadata (Python `METADATA`, a `package.json`, a Go binary's modules).
    Packages(Vec<Record>),
    /// The files of the package the path names (`dpkg/info/NAME[:ARCH].list` or
    /// `.md5sums`, `status.d/NAME.md5sums`, a dist-info `RECORD`, an egg-info
    /// `installed-files.txt`).
    Files(Files),
    Distro(Distro),
    /// The file could not be read as what its path says it is; the reason, in a few words.
    Unreadable(String),
}

/// One kept file of a layer and what it held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fragment {
    /// The file's normalised path in the layer.
    pub path: Box<str>,
    pub found: Found,
}

/// The kinds of files a layer keeps for the package inventory, by path alone (Go binaries are
/// found by content, not by path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DbFile {
    /// `var/lib/dpkg/status` (also under a prefix, as syft finds it).
    DpkgStatus,
    /// `var/lib/dpkg/status.d/NAME`: one package per file, as distroless writes them.
    DpkgStatusD,
    /// `var/lib/dpkg/info/NAME[:ARCH].list`, or `status.d/NAME.md5sums` where distroless has
    /// no `info/`.
    DpkgFiles,
    /// `lib/apk/db/installed`.
    ApkInstalled,
    /// `rpmdb.sqlite` under `var/lib/rpm`, `usr/lib/sysimage/rpm` or `usr/share/rpm`.
    RpmSqlite,
    /// `rpmdb.sqlite-wal` beside it: pages not yet in the main file.
    RpmSqliteWal,
    /// `Packages` (Berkeley DB) in those directories.
    RpmBerkeley,
    /// `Packages.db` (ndb) in those directories.
    RpmNdb,
    /// `NAME-VER.dist-info/METADATA`, `NAME.egg-info/PKG-INFO`, or an `NAME.egg-info` file.
    PythonMetadata,
    /// `*.dist-info/RECORD`.
    PythonRecord,
    /// `*.egg-info/installed-files.txt`.
    PythonInstalledFiles,
    /// `package.json` anywhere (npm installs them under `node_modules/`; Debian under
    /// `usr/share/nodejs/`).
    NpmPackageJson,
    /// `etc/os-release` or `usr/lib/os-release`.
    OsRelease,
}

impl DbFile {
    /// What a layer file at `path` (normalised) is to the inventory, if anything.
    pub fn of(path: &str) -> Option<DbFile> {
        let name = super::path::file_name(path);
        // Every layer entry comes by here: most names are none of these, and say so at once.
        let known = matches!(
            name,
            "status"
                | "installed"
                | "package.json"
                | "os-release"
                | "rpmdb.sqlite"
                | "rpmdb.sqlite-wal"
                | "Packages"
                | "Packages.db"
                | "METADATA"
                | "RECORD"
                | "PKG-INFO"
                | "installed-files.txt"
        ) || name.ends_with(".list")
            || name.ends_with(".md5sums")
            || name.ends_with(".egg-info");
        let parent = super::path::parent(path).unwrap_or("");
        // `status.d/NAME`: any name.
        if !known && super::path::file_name(parent) != "status.d" {
            return None;
        }
        let parent_name = super::path::file_name(parent);
        match name {
            "status" if is_dir(parent, "var/lib/dpkg") => return Some(DbFile::DpkgStatus),
            "installed" if is_dir(parent, "lib/apk/db") => return Some(DbFile::ApkInstalled),
            "package.json" => return Some(DbFile::NpmPackageJson),
            "os-release" if path == "etc/os-release" || path == "usr/lib/os-release" => {
                return Some(DbFile::OsRelease)
            }
            _ => {}
        }
        if is_dir(parent, "var/lib/dpkg/status.d") {
            return Some(if name.ends_with(".md5sums") {
                DbFile::DpkgFiles
            } else {
                DbFile::DpkgStatusD
            });
        }
        // `info/*.md5sums` lists the same files again (regular files only): not kept.
        if is_dir(parent, "var/lib/dpkg/info") && name.ends_with(".list") {
            return Some(DbFile::DpkgFiles);
        }
        if is_rpm_dir(parent) {
            return match name {
                "rpmdb.sqlite" => Some(DbFile::RpmSqlite),
                "rpmdb.sqlite-wal" => Some(DbFile::RpmSqliteWal),
                "Packages" => Some(DbFile::RpmBerkeley),
                "Packages.db" => Some(DbFile::RpmNdb),
                _ => None,
            };
        }
        if parent_name.ends_with(".dist-info") {
            return match name {
                "METADATA" => Some(DbFile::PythonMetadata),
                "RECORD" => Some(DbFile::PythonRecord),
                _ => None,
            };
        }
        if parent_name.ends_with(".egg-info") {
            return match name {
                "PKG-INFO" => Some(DbFile::PythonMetadata),
                "installed-files.txt" => Some(DbFile::PythonInstalledFiles),
                _ => None,
            };
        }
        // An egg-info that is a single file (distutils' `install_egg_info`).
        if name.ends_with(".egg-info") {
            return Some(DbFile::PythonMetadata);
        }
        None
    }

    /// The most bytes of such a file kept (more is reported as unreadable, naming the limit).
    /// Whole databases may be large; one package's metadata is small.
    pub fn max_bytes(self) -> u64 {
        match self {
            DbFile::DpkgStatus | DbFile::ApkInstalled => 256 << 20,
            DbFile::RpmSqlite | DbFile::RpmSqliteWal | DbFile::RpmBerkeley | DbFile::RpmNdb => {
                512 << 20
            }
            DbFile::DpkgFiles | DbFile::PythonRecord | DbFile::PythonInstalledFiles => 64 << 20,
            DbFile::DpkgStatusD | DbFile::PythonMetadata | DbFile::NpmPackageJson => 8 << 20,
            DbFile::OsRelease => 64 << 10,
        }
    }
}

fn is_rpm_dir(dir: &str) -> bool {
    ["var/lib/rpm", "usr/lib/sysimage/rpm", "usr/share/rpm"]
        .iter()
        .any(|d| is_dir(dir, d))
}

/// `dir` is `known`, or `known` below some prefix (`chroot/var/lib/dpkg`), as syft's `**/`
/// globs find them.
fn is_dir(dir: &str, known: &str) -> bool {
    dir.strip_suffix(known)
        .is_some_and(|prefix| prefix.is_empty() || prefix.ends_with('/'))
}

/// How a package changed in one layer, against the layer below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Upgraded,
    Downgraded,
    /// Same version, written again (its record or its files rewritten in this layer).
    Reinstalled,
    Removed,
}

impl Change {
    pub fn name(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Upgraded => "upgraded",
            Change::Downgraded => "downgraded",
            Change::Reinstalled => "reinstalled",
            Change::Removed => "removed",
        }
    }
}

/// One layer's change to one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageChange {
    pub layer: usize,
    pub change: Change,
    /// The version after the change (before it, for a removal).
    pub version: String,
}

/// One installed package of an image, as the inventory reports it (DESIGN section 3b).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub ecosystem: Ecosystem,
    pub name: String,
    /// The version in the final view (the last one it had, when it was removed).
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    pub purl: String,
    /// The first layer in whose merged view it is installed.
    pub layer: usize,
    pub changes: Vec<PackageChange>,
    /// Paths it owns (normalised, no leading `/`), as its database lists them. Empty for an
    /// installed npm package, which lists none: its files (its directory in the final view,
    /// nested `node_modules` aside) are its ids in `Inventory::owned`, as strings nowhere, for
    /// on node-app they are 113k paths (5.9 MB).
    pub files: Files,
    /// Bytes of its files in the final view; 0 when removed.
    pub size: u64,
    /// Whether a later layer removed it (it is not in the final view).
    pub removed: bool,
    /// For a removed package: bytes of its files in the last view that had it, which the
    /// removal hid and the layers below still ship (part of `unreachable_bytes`).
    #[serde(default)]
    pub hidden_bytes: u64,
    /// A build tool (compiler, headers, build system): what a multi-stage build leaves out.
    #[serde(default)]
    pub toolchain: bool,
    /// The database file (or the metadata file) that records it, in the final view or, for a
    /// removed package, in the last layer that had it.
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A package database that could not be read (DESIGN `packages_unreadable`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreadable {
    pub path: String,
    pub layer: usize,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_paths_are_told_apart_from_the_rest() {
        for p in ["a", "usr/bin/x", "a/.b/c..", "...", "a/..b"] {
            assert!(is_normal(p), "{p}");
        }
        for p in [
            "", "/a", "a/", "a//b", ".", "..", "./a", "a/.", "a/../b", "a/./b", "../a",
        ] {
            assert!(!is_normal(p), "{p}");
            // What is not normal is normalised before it is joined.
            let joined = Files::from_paths([p]);
            assert!(joined.iter().all(is_normal), "{p} -> {joined:?}");
        }
    }

    #[test]
    fn database_files_are_known_by_path() {
        let cases = [
            ("var/lib/dpkg/status", Some(DbFile::DpkgStatus)),
            ("var/lib/dpkg/status-old", None),
            ("xvar/lib/dpkg/status", None),
            ("srv/chroot/var/lib/dpkg/status", Some(DbFile::DpkgStatus)),
            ("var/lib/dpkg/status.d/base", Some(DbFile::DpkgStatusD)),
            (
                "var/lib/dpkg/status.d/base.md5sums",
                Some(DbFile::DpkgFiles),
            ),
            (
                "var/lib/dpkg/info/libc6:amd64.list",
                Some(DbFile::DpkgFiles),
            ),
            ("var/lib/dpkg/info/libc6:amd64.postinst", None),
            ("var/lib/dpkg/info/libc6:amd64.md5sums", None),
            ("lib/apk/db/installed", Some(DbFile::ApkInstalled)),
            ("var/lib/rpm/rpmdb.sqlite", Some(DbFile::RpmSqlite)),
            (
                "usr/lib/sysimage/rpm/rpmdb.sqlite-wal",
                Some(DbFile::RpmSqliteWal),
            ),
            ("var/lib/rpm/Packages", Some(DbFile::RpmBerkeley)),
            ("usr/share/rpm/Packages.db", Some(DbFile::RpmNdb)),
            (
                "usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA",
                Some(DbFile::PythonMetadata),
            ),
            (
                "x/requests-2.31.0.dist-info/RECORD",
                Some(DbFile::PythonRecord),
            ),
            ("x/gyp-0.1.egg-info/PKG-INFO", Some(DbFile::PythonMetadata)),
            ("x/six-1.16.egg-info", Some(DbFile::PythonMetadata)),
            (
                "x/a.egg-info/installed-files.txt",
                Some(DbFile::PythonInstalledFiles),
            ),
            (
                "usr/src/app/node_modules/a/package.json",
                Some(DbFile::NpmPackageJson),
            ),
            ("etc/os-release", Some(DbFile::OsRelease)),
            ("usr/lib/os-release", Some(DbFile::OsRelease)),
            ("usr/bin/python3", None),
        ];
        for (path, want) in cases {
            assert_eq!(DbFile::of(path), want, "{path}");
        }
    }

    #[test]
    fn file_lists_are_normalised_and_compact() {
        let files = Files::from_paths(["/usr/bin/a", "./usr/lib/b/", "/.", "", "etc//c"]);
        assert_eq!(
            files.iter().collect::<Vec<_>>(),
            ["usr/bin/a", "usr/lib/b", "etc/c"]
        );
        assert_eq!(files.len(), 3);
        assert!(Files::from_paths(["/"]).is_empty());
    }
}
