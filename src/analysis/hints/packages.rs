//! What the package inventory adds to the hints: the packages behind the paths a hint is
//! about. A removal is named by the packages it removed, a copy-up by the packages whose files
//! it copied, a toolchain by its packages, so the advice reads in the words of the
//! Dockerfile (`apt-get purge gcc`) and not only of the filesystem.

use std::collections::BTreeMap;

use super::{size, HintInput};
use crate::model::packages::{Change, Package};
use crate::tree::paths::PathId;

/// Names shown in a note before "and N more".
const SHOWN: usize = 3;

/// `a 1.0, b 2.0 and 3 more`.
fn names(packages: &[(&Package, u64)]) -> String {
    let mut s = packages
        .iter()
        .take(SHOWN)
        .map(|(p, bytes)| {
            if *bytes > 0 {
                format!("{} ({})", p.name, size(*bytes))
            } else {
                format!("{} {}", p.name, p.version)
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    if packages.len() > SHOWN {
        s.push_str(&format!(" and {} more", packages.len() - SHOWN));
    }
    s
}

/// The packages layer `removed_in` removed that an earlier layer installed, with the bytes
/// that still ship: "; it removed the packages gcc-12 (40 MB), ..." or "".
pub(super) fn removed_by(input: &HintInput<'_>, removed_in: usize) -> String {
    let mut removed: Vec<(&Package, u64)> = input
        .packages
        .packages
        .iter()
        .filter(|p| {
            p.removed
                && p.changes
                    .last()
                    .is_some_and(|c| c.change == Change::Removed && c.layer == removed_in)
        })
        .map(|p| (p, p.hidden_bytes))
        .collect();
    if removed.is_empty() {
        return String::new();
    }
    removed.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.name.cmp(&b.0.name)));
    format!(
        "; it removed the package{} {}",
        if removed.len() == 1 { "" } else { "s" },
        names(&removed)
    )
}

/// For each path id, the first package (largest first) that owns it in the final view.
pub(super) fn owners(input: &HintInput<'_>) -> Vec<u32> {
    let mut owner = vec![u32::MAX; input.stack.paths.len()];
    for (i, list) in input.packages.owned.iter().enumerate() {
        for &id in list {
            if let Some(slot) = owner.get_mut(id as usize) {
                if *slot == u32::MAX {
                    *slot = i as u32;
                }
            }
        }
    }
    owner
}

/// The packages whose files `paths` (id, bytes) are: " (files of python3.11 (40 MB), ...)"
/// or "" when no package owns them.
pub(super) fn owners_of(
    input: &HintInput<'_>,
    owner: &[u32],
    paths: impl Iterator<Item = (PathId, u64)>,
) -> String {
    let mut by: BTreeMap<u32, u64> = BTreeMap::new();
    for (id, bytes) in paths {
        if let Some(&o) = owner.get(id as usize).filter(|o| **o != u32::MAX) {
            *by.entry(o).or_default() += bytes;
        }
    }
    let mut list: Vec<(&Package, u64)> = by
        .into_iter()
        .filter_map(|(i, b)| Some((input.packages.packages.get(i as usize)?, b)))
        .collect();
    if list.is_empty() {
        return String::new();
    }
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.name.cmp(&b.0.name)));
    format!("; files of {}", names(&list))
}

/// The build-tool packages of the final view, biggest first, with their files' ids.
pub(super) fn toolchain<'a>(input: &HintInput<'a>) -> Vec<(&'a Package, &'a [PathId])> {
    let inv = input.packages;
    let mut tools: Vec<(&'a Package, &'a [PathId])> = inv
        .packages
        .iter()
        .zip(&inv.owned)
        .filter(|(p, _)| p.toolchain && !p.removed)
        .map(|(p, ids)| (p, ids.as_slice()))
        .collect();
    tools.sort_by(|a, b| {
        b.0.size
            .cmp(&a.0.size)
            .then_with(|| a.0.name.cmp(&b.0.name))
    });
    tools
}

/// "gcc-12 (40 MB), libc6-dev (12 MB) and 4 more".
pub(super) fn sized_names(packages: &[&Package]) -> String {
    let list: Vec<(&Package, u64)> = packages.iter().map(|p| (*p, p.size)).collect();
    names(&list)
}
