//! The package diff of two images (DESIGN section 4b, `packages`): which packages of A's final
//! view B no longer has, which B added, and which it upgraded or downgraded, with both sizes.
//!
//! A package is known by its ecosystem, name and architecture (dpkg's `libc6:amd64` and
//! `libc6:i386` are two packages). One name may be installed more than once in
//! one view (npm nests copies of a module at several versions, Python may have a package in
//! two site-packages): versions both sides have are the same package and drop out; when one
//! version is left on each side it is an upgrade or downgrade by the ecosystem's own order
//! (`packages::version`), and what is left beyond that is added or removed, version by version.

use std::collections::{BTreeMap, HashMap};

use super::FileDiff;
use crate::analysis::packages::{version, Inventory};
use crate::model::packages::{Ecosystem, Package};

/// How a package differs between A and B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageChange {
    /// Only in B.
    Added,
    /// Only in A.
    Removed,
    /// In both, at a higher version in B.
    Upgraded,
    /// In both, at a lower version in B.
    Downgraded,
}

impl PackageChange {
    pub fn name(self) -> &'static str {
        match self {
            PackageChange::Added => "added",
            PackageChange::Removed => "removed",
            PackageChange::Upgraded => "upgraded",
            PackageChange::Downgraded => "downgraded",
        }
    }
}

/// One package that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageDiff {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub change: PackageChange,
    pub version_a: Option<String>,
    pub version_b: Option<String>,
    /// Bytes of its files in each final view (0 on the side that lacks it).
    pub size_a: u64,
    pub size_b: u64,
    /// The layer of each image that installed it (the version shown).
    pub layer_a: Option<usize>,
    pub layer_b: Option<usize>,
    /// Indexes into `Comparison::files` of the differing paths it owns on either side.
    pub files: Vec<usize>,
}

impl PackageDiff {
    pub fn delta(&self) -> i64 {
        self.size_b as i64 - self.size_a as i64
    }
}

/// What tells packages apart: ecosystem, name, arch ("" where there is none).
type Key<'a> = (Ecosystem, &'a str, &'a str);

/// One side's installed packages, for `diff`.
pub struct Installed<'a> {
    pub inventory: &'a Inventory,
    /// The paths of the stack the inventory's `owned` ids name.
    pub paths: &'a crate::tree::paths::PathTable,
}

impl Installed<'_> {
    /// Every installed package (not removed), by ecosystem, name and arch, with its index.
    fn by_name(&self) -> BTreeMap<Key<'_>, Vec<usize>> {
        let mut out: BTreeMap<Key<'_>, Vec<usize>> = BTreeMap::new();
        for (i, p) in self.inventory.packages.iter().enumerate() {
            if !p.removed {
                let arch = p.arch.as_deref().unwrap_or("");
                out.entry((p.ecosystem, p.name.as_str(), arch))
                    .or_default()
                    .push(i);
            }
        }
        out
    }

    fn package(&self, i: usize) -> &Package {
        &self.inventory.packages[i]
    }

    /// The paths package `i` owns in the final view (normalised, no leading `/`).
    fn owned_paths(&self, i: usize) -> impl Iterator<Item = &str> {
        let p = self.package(i);
        let ids = self.inventory.owned.get(i).map_or(&[][..], Vec::as_slice);
        p.files
            .iter()
            .chain(ids.iter().map(|&id| self.paths.path(id)))
    }
}

/// The packages that differ between `a` and `b`, by ecosystem, name and arch (then versions).
/// `files` is the comparison's differing paths, which each package's `files` indexes.
pub fn diff(a: &Installed<'_>, b: &Installed<'_>, files: &[FileDiff]) -> Vec<PackageDiff> {
    let (by_a, by_b) = (a.by_name(), b.by_name());
    let mut keys: Vec<Key<'_>> = by_a.keys().chain(by_b.keys()).copied().collect();
    keys.sort_unstable();
    keys.dedup();
    let at: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path.as_str(), i))
        .collect();
    let mut out = Vec::new();
    for key in keys {
        let mut left: Vec<usize> = by_a.get(&key).cloned().unwrap_or_default();
        let mut right: Vec<usize> = by_b.get(&key).cloned().unwrap_or_default();
        // The same version on both sides is the same package.
        left.retain(|&i| {
            let v = &a.package(i).version;
            match right.iter().position(|&j| &b.package(j).version == v) {
                Some(k) => {
                    right.remove(k);
                    false
                }
                None => true,
            }
        });
        let (eco, name, _) = key;
        let row = |change, ia: Option<usize>, ib: Option<usize>| {
            let (pa, pb) = (ia.map(|i| a.package(i)), ib.map(|j| b.package(j)));
            let mut owned: Vec<usize> = ia
                .into_iter()
                .flat_map(|i| a.owned_paths(i))
                .chain(ib.into_iter().flat_map(|j| b.owned_paths(j)))
                .filter_map(|p| at.get(p).copied())
                .collect();
            owned.sort_unstable();
            owned.dedup();
            PackageDiff {
                ecosystem: eco,
                name: name.to_string(),
                change,
                version_a: pa.map(|p| p.version.clone()),
                version_b: pb.map(|p| p.version.clone()),
                size_a: pa.map_or(0, |p| p.size),
                size_b: pb.map_or(0, |p| p.size),
                layer_a: pa.map(version_layer),
                layer_b: pb.map(version_layer),
                files: owned,
            }
        };
        if let ([i], [j]) = (left.as_slice(), right.as_slice()) {
            let order = version::compare(eco, &a.package(*i).version, &b.package(*j).version);
            let change = if order.is_gt() {
                PackageChange::Downgraded
            } else {
                // Different strings the ecosystem calls equal (`1.0` and `1.0.0`) read as
                // an upgrade: B's string is the newer one written.
                PackageChange::Upgraded
            };
            out.push(row(change, Some(*i), Some(*j)));
            continue;
        }
        out.extend(
            left.iter()
                .map(|&i| row(PackageChange::Removed, Some(i), None)),
        );
        out.extend(
            right
                .iter()
                .map(|&j| row(PackageChange::Added, None, Some(j))),
        );
    }
    out
}

/// The layer that brought the version a package has in the final view: its last change
/// (an upgrade's layer), else the layer that installed it.
fn version_layer(p: &Package) -> usize {
    p.changes
        .iter()
        .rev()
        .find(|c| c.change != crate::model::packages::Change::Removed)
        .map_or(p.layer, |c| c.layer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::packages::{Files, Record};
    use crate::tree::paths::PathTable;

    fn pkg(eco: Ecosystem, name: &str, version: &str, size: u64, files: &[&str]) -> Package {
        let r = Record::new(eco, name, version);
        Package {
            ecosystem: eco,
            name: r.name,
            version: r.version,
            arch: None,
            purl: String::new(),
            layer: 0,
            changes: Vec::new(),
            files: Files::from_paths(files.iter().copied()),
            size,
            removed: false,
            hidden_bytes: 0,
            toolchain: false,
            location: String::new(),
            license: None,
            source: None,
        }
    }

    fn inv(packages: Vec<Package>) -> Inventory {
        Inventory {
            packages,
            ..Inventory::default()
        }
    }

    fn file(path: &str) -> FileDiff {
        FileDiff::for_test(path, super::super::FileChange::Changed)
    }

    #[test]
    fn versions_decide_upgrades_and_downgrades_by_the_ecosystems_order() {
        let paths = PathTable::default();
        let a = inv(vec![
            pkg(Ecosystem::Python, "requests", "2.31.0", 100, &["r/a.py"]),
            pkg(Ecosystem::Dpkg, "libc6", "2.36-9+deb12u4", 10, &[]),
            pkg(Ecosystem::Dpkg, "gone", "1", 5, &["gone/x"]),
            pkg(Ecosystem::Npm, "same", "1.0.0", 1, &[]),
        ]);
        let mut removed = pkg(Ecosystem::Dpkg, "was-removed", "1", 0, &[]);
        removed.removed = true;
        let b = inv(vec![
            pkg(
                Ecosystem::Python,
                "requests",
                "2.32.3",
                120,
                &["r/a.py", "r/b.py"],
            ),
            // 10 sorts after 9 in dpkg's order, not bytewise.
            pkg(Ecosystem::Dpkg, "libc6", "2.36-10", 10, &[]),
            pkg(Ecosystem::Npm, "same", "1.0.0", 1, &[]),
            pkg(Ecosystem::Apk, "new", "1-r0", 7, &[]),
            removed,
        ]);
        let files = vec![
            file("gone/x"),
            file("r/a.py"),
            file("r/b.py"),
            file("other"),
        ];
        let got = diff(
            &Installed {
                inventory: &a,
                paths: &paths,
            },
            &Installed {
                inventory: &b,
                paths: &paths,
            },
            &files,
        );
        type Short<'a> = (
            &'a str,
            PackageChange,
            Option<&'a str>,
            Option<&'a str>,
            Vec<usize>,
        );
        let short: Vec<Short> = got
            .iter()
            .map(|d| {
                (
                    d.name.as_str(),
                    d.change,
                    d.version_a.as_deref(),
                    d.version_b.as_deref(),
                    d.files.clone(),
                )
            })
            .collect();
        assert_eq!(
            short,
            [
                ("gone", PackageChange::Removed, Some("1"), None, vec![0]),
                (
                    "libc6",
                    PackageChange::Upgraded,
                    Some("2.36-9+deb12u4"),
                    Some("2.36-10"),
                    vec![]
                ),
                ("new", PackageChange::Added, None, Some("1-r0"), vec![]),
                (
                    "requests",
                    PackageChange::Upgraded,
                    Some("2.31.0"),
                    Some("2.32.3"),
                    vec![1, 2]
                ),
            ]
        );
        assert_eq!(got[3].delta(), 20);
    }

    #[test]
    fn a_name_installed_at_several_versions_pairs_what_it_can() {
        let paths = PathTable::default();
        let a = inv(vec![
            pkg(Ecosystem::Npm, "ms", "2.0.0", 1, &[]),
            pkg(Ecosystem::Npm, "ms", "2.1.2", 1, &[]),
        ]);
        let b = inv(vec![
            pkg(Ecosystem::Npm, "ms", "2.1.2", 1, &[]),
            pkg(Ecosystem::Npm, "ms", "2.1.3", 1, &[]),
            pkg(Ecosystem::Npm, "ms", "1.0.0", 1, &[]),
        ]);
        let side = |inventory| Installed {
            inventory,
            paths: &paths,
        };
        let got = diff(&side(&a), &side(&b), &[]);
        let short: Vec<(PackageChange, Option<&str>, Option<&str>)> = got
            .iter()
            .map(|d| (d.change, d.version_a.as_deref(), d.version_b.as_deref()))
            .collect();
        // 2.1.2 is on both sides; 2.0.0 left alone in A, two left in B: no pairing to guess.
        assert_eq!(
            short,
            [
                (PackageChange::Removed, Some("2.0.0"), None),
                (PackageChange::Added, None, Some("2.1.3")),
                (PackageChange::Added, None, Some("1.0.0")),
            ]
        );
        // One left on each side: a downgrade when B's is lower.
        let got = diff(&side(&b), &side(&a), &[]);
        assert!(got.iter().all(|d| d.change != PackageChange::Downgraded));
        // One name at two architectures is two packages.
        let arch = |a: &str, v: &str| Package {
            arch: Some(a.into()),
            ..pkg(Ecosystem::Dpkg, "libx", v, 1, &[])
        };
        let (x, y) = (
            inv(vec![arch("amd64", "1.0"), arch("i386", "1.0")]),
            inv(vec![arch("i386", "1.0"), arch("amd64", "1.1")]),
        );
        let got = diff(&side(&x), &side(&y), &[]);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].change, PackageChange::Upgraded);
        let c = inv(vec![pkg(Ecosystem::Npm, "ms", "1.0.0", 1, &[])]);
        let d = inv(vec![pkg(Ecosystem::Npm, "ms", "0.9.0", 1, &[])]);
        assert_eq!(
            diff(&side(&c), &side(&d), &[])[0].change,
            PackageChange::Downgraded
        );
    }
}
