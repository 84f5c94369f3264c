//! Waste hints: bytes the image stores that a container never sees, or sees twice. Bytes a
//! later layer deleted are grouped by the layers involved, because the fix is in the step that
//! made them; bytes a later layer copied up (wrote again with the same content) by what it
//! changed and the steps that did it, so each path is in one hint; identical files are one
//! hint for the user's layers and one for the base's, because the fix is one decision (keep
//! one copy).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::{
    final_entries, main_layer, path_list, size, step_in_layer, steps_in_layers, under,
    waste_severity, Hint, HintInput, Paths, DUPLICATE_FLOOR, MAX_PATHS, WASTE_FLOOR,
};
use crate::analysis::merge::{entry, Cause};
use crate::analysis::waste::digest_key;
use crate::tree::paths::PathId;
use crate::tree::{Entry, EntryKind};

pub(super) fn deleted_later(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    let stack = &input.stack;
    let mut groups: BTreeMap<(usize, usize), Paths> = BTreeMap::new();
    for h in stack.hidden.iter().filter(|h| h.cause == Cause::Removed) {
        groups
            .entry((h.copy.layer as usize, h.by_layer as usize))
            .or_default()
            .add(stack.paths.path(h.path), h.bytes);
    }
    for ((stored, deleted), paths) in groups {
        let bytes = paths.total();
        if bytes < WASTE_FLOOR {
            continue;
        }
        let top = paths.top();
        let fix = if input.base.contains(stored) && !input.base.contains(deleted) {
            "files of the base image cannot be removed this way: pick a slimmer base image, or \
             use a multi-stage build and COPY only what the app needs"
        } else {
            "delete in the same RUN that creates the files, or use a multi-stage build"
        };
        out.push(Hint {
            id: "deleted-later",
            severity: waste_severity(bytes),
            message: format!(
                "{} does not shrink the image: {} still ship in layer {stored} ({}){}; {fix}",
                step_in_layer(input.history, deleted),
                size(bytes),
                path_list(&top, paths.len(), 3),
                super::packages::removed_by(input, deleted),
            ),
            bytes,
            layer: Some(stored),
            paths: top,
            paths_total: paths.len(),
            from_base: input.base.contains(deleted),
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Copy-ups: a later layer wrote a file again with the same content.

/// What the copy-ups of one path changed, over every layer that copied it up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Changed {
    mode: bool,
    owner: bool,
    mtime: bool,
}

impl Changed {
    fn of(old: &Entry, new: &Entry) -> Changed {
        Changed {
            mode: old.mode & 0o7777 != new.mode & 0o7777,
            owner: old.uid != new.uid || old.gid != new.gid,
            mtime: old.mtime != new.mtime,
        }
    }

    fn or(self, other: Changed) -> Changed {
        Changed {
            mode: self.mode || other.mode,
            owner: self.owner || other.owner,
            mtime: self.mtime || other.mtime,
        }
    }
}

/// What a hint about copy-ups says was done, and so what it advises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum CopyUp {
    /// The mode, the owner or both changed: a chmod/chown.
    Metadata { mode: bool, owner: bool },
    /// Same content, mode and owner: the file was written again (`mtime`: with a new mtime).
    /// `package_state`: files a package manager rewrites on every run.
    Rewrite { mtime: bool, package_state: bool },
}

/// The paths of one copy-up hint, and their ids with their bytes (to name their packages).
#[derive(Default)]
struct CopiedUp {
    paths: Paths,
    ids: Vec<(PathId, u64)>,
}

/// Where package managers keep their own state, which they rewrite (often with the same
/// bytes) every time they run: debconf's templates, dpkg's status, apk's and rpm's databases,
/// the linker cache their triggers rebuild, their logs.
const PACKAGE_STATE: &[&str] = &[
    "var/cache/debconf",
    "var/lib/dpkg",
    "var/lib/apt",
    "var/cache/apt",
    "var/log/apt",
    "var/log/dpkg.log",
    "var/log/alternatives.log",
    "etc/ld.so.cache",
    "var/cache/ldconfig",
    "lib/apk/db",
    "etc/apk",
    "var/lib/rpm",
    "usr/lib/sysimage/rpm",
    "var/lib/dnf",
    "var/lib/yum",
    "var/cache/dnf",
    "var/cache/yum",
    "var/log/dnf.log",
    "var/log/dnf.librepo.log",
    "var/log/dnf.rpm.log",
    "var/log/hawkey.log",
];

/// Bytes a later layer copied up, grouped so each path is in one hint: by what was done to it
/// (a chmod/chown says which; a rewrite with the same content, mode and owner says that, and
/// whether the files are a package manager's own state) and by the layers that did it, so a
/// file apt rewrites in three steps is one hint naming the three steps, not three hints.
pub(super) fn metadata_copy_up(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    let stack = &input.stack;
    let copy_ups: Vec<_> = stack
        .hidden
        .iter()
        .filter(|h| h.cause == Cause::CopyUp)
        .collect();
    if copy_ups.is_empty() {
        return;
    }
    // The entry that hid each copy: the same path in the layer that copied it up.
    let wanted: HashSet<(u32, PathId)> = copy_ups.iter().map(|h| (h.by_layer, h.path)).collect();
    let by_layers: BTreeSet<u32> = copy_ups.iter().map(|h| h.by_layer).collect();
    let mut hiders: HashMap<(u32, PathId), &Entry> = HashMap::new();
    for &n in &by_layers {
        let Some(tree) = input.layers.get(n as usize) else {
            continue;
        };
        for (i, e) in tree.entries.iter().enumerate() {
            if e.kind.is_deletion() {
                continue;
            }
            let id = stack
                .paths
                .entry_id(n as usize, i)
                .or_else(|| stack.paths.get(&e.path));
            if let Some(id) = id.filter(|id| wanted.contains(&(n, *id))) {
                hiders.entry((n, id)).or_insert(e);
            }
        }
    }
    // Per path: what changed, the layers that copied it up, the bytes they stored again.
    let mut by_path: BTreeMap<PathId, (Changed, BTreeSet<usize>, u64)> = BTreeMap::new();
    for h in &copy_ups {
        let changed = match (
            entry(input.layers, h.copy),
            hiders.get(&(h.by_layer, h.path)),
        ) {
            (Some(old), Some(new)) => Changed::of(old, new),
            _ => Changed::default(),
        };
        let slot = by_path.entry(h.path).or_default();
        slot.0 = slot.0.or(changed);
        slot.1.insert(h.by_layer as usize);
        slot.2 += h.bytes;
    }
    // By what was done and the layers that did it (ascending).
    let mut groups: BTreeMap<(CopyUp, Vec<usize>), CopiedUp> = BTreeMap::new();
    for (id, (changed, layers, bytes)) in by_path {
        let path = stack.paths.path(id);
        let kind = if changed.mode || changed.owner {
            CopyUp::Metadata {
                mode: changed.mode,
                owner: changed.owner,
            }
        } else {
            CopyUp::Rewrite {
                mtime: changed.mtime,
                package_state: PACKAGE_STATE.iter().any(|d| under(path, d)),
            }
        };
        let group = groups
            .entry((kind, layers.into_iter().collect()))
            .or_default();
        group.paths.add(path, bytes);
        group.ids.push((id, bytes));
    }
    let owner = super::packages::owners(input);
    for ((kind, layers), CopiedUp { paths, ids }) in groups {
        let bytes = paths.total();
        if bytes < WASTE_FLOOR {
            continue;
        }
        let top = paths.top();
        let n = paths.len();
        let files = format!(
            "{n} file{} ({}{})",
            if n == 1 { "" } else { "s" },
            path_list(&top, n, 3),
            super::packages::owners_of(input, &owner, ids.into_iter()),
        );
        let steps = steps_in_layers(input.history, &layers);
        let again = format!(
            "which stores {} of unchanged content again (copy-up)",
            size(bytes)
        );
        let message = match kind {
            CopyUp::Metadata { mode, owner } => {
                let (what, flag, command) = match (mode, owner) {
                    (true, false) => ("only the mode", "--chmod", "chmod"),
                    (false, true) => ("only the owner", "--chown", "chown"),
                    _ => ("the mode and owner", "--chmod/--chown", "chmod/chown"),
                };
                format!(
                    "{steps} changed {what} of {files}, {again}; use COPY {flag}, or {command} \
                     in the layer that creates the files"
                )
            }
            CopyUp::Rewrite {
                mtime,
                package_state,
            } => {
                let note = if mtime {
                    " (only the mtime changed)"
                } else {
                    ""
                };
                let advice = if package_state {
                    "these are the package manager's own state, which it rewrites every time it \
                     runs: no flag avoids that; install everything in one RUN so it is written \
                     once"
                } else {
                    "leave files alone once written (a `touch`, a `cp` over them or a tool \
                     regenerating them stores them again), or write them in the step that \
                     creates them"
                };
                format!(
                    "{steps} rewrote {files} with the same content, mode and owner{note}, \
                     {again}; {advice}"
                )
            }
        };
        out.push(Hint {
            id: "metadata-copy-up",
            severity: waste_severity(bytes),
            message,
            bytes,
            layer: layers.first().copied(),
            paths: top,
            paths_total: n,
            from_base: layers.iter().all(|&l| input.base.contains(l)),
        });
    }
}

// ---------------------------------------------------------------------------------------------
// The same content at several paths.

/// One stored copy of a content: layer, path, size.
type Stored<'a> = (usize, &'a str, u64);

pub(super) fn duplicate_content(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    // Every stored file by content, then runs of one content: no map, no Vec per file.
    let mut files: Vec<(u64, &[u8; 32], Stored<'_>)> = final_entries(input)
        .filter(|(_, e, _)| e.kind == EntryKind::File && e.size > 0)
        .filter_map(|(path, e, layer)| {
            let d = e.digest.as_ref()?;
            Some((digest_key(d), d, (layer, path, e.size)))
        })
        .collect();
    files.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    // Per group: the first stored copy is the original, later ones are the waste.
    let groups: Vec<(u64, Vec<Stored<'_>>)> = files
        .chunk_by(|a, b| a.1 == b.1)
        .filter(|run| run.len() > 1)
        .map(|run| {
            let mut c: Vec<Stored<'_>> = run.iter().map(|x| x.2).collect();
            c.sort();
            let wasted = c[1..].iter().map(|x| x.2).sum::<u64>();
            (wasted, c)
        })
        .filter(|(w, _)| *w >= DUPLICATE_FLOOR)
        .collect();
    // The base's groups (every copy in a base layer) apart from the user's.
    let (base, mine): (Vec<_>, Vec<_>) = groups
        .into_iter()
        .partition(|(_, copies)| copies.iter().all(|c| input.base.contains(c.0)));
    for (groups, from_base) in [(mine, false), (base, true)] {
        if !groups.is_empty() {
            out.push(duplicate_hint(groups, from_base));
        }
    }
}

/// One hint for groups of identical files (each: the bytes it wastes, its copies sorted).
fn duplicate_hint(mut groups: Vec<(u64, Vec<Stored<'_>>)>, from_base: bool) -> Hint {
    groups.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1[0].1.cmp(b.1[0].1)));
    let bytes: u64 = groups.iter().map(|g| g.0).sum();
    let mut layers: BTreeMap<usize, u64> = BTreeMap::new();
    for (_, copies) in &groups {
        for &(layer, _, size) in &copies[1..] {
            *layers.entry(layer).or_default() += size;
        }
    }
    let files_total = groups.iter().map(|(_, c)| c.len()).sum();
    let paths: Vec<String> = groups
        .iter()
        .flat_map(|(_, c)| c.iter().map(|x| x.1.to_string()))
        .take(MAX_PATHS)
        .collect();
    let (_, first) = &groups[0];
    let example = format!(
        "{} is the same {} as {}",
        path_list(&[first[1].1.to_string()], 1, 1),
        size(first[0].2),
        path_list(&[first[0].1.to_string()], 1, 1),
    );
    let layer = main_layer(&layers);
    Hint {
        id: "duplicate-content",
        severity: waste_severity(bytes),
        message: format!(
            "{} group{} of identical files waste {} ({example}){}; keep one copy and symlink \
             or hardlink the others, or stop copying the same files twice",
            groups.len(),
            if groups.len() == 1 { "" } else { "s" },
            size(bytes),
            layer.map_or(String::new(), |l| format!(", mostly added in layer {l}")),
        ),
        bytes,
        layer,
        paths,
        paths_total: files_total,
        from_base,
    }
}
