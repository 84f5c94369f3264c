//! Waste hints: bytes the image stores that a container never sees, or sees twice. Bytes a
//! later layer hid (deleted, or copied up by a chmod/chown) are grouped by the layers
//! involved, because the fix is in the step that made them; identical files are one hint for
//! the whole image, because the fix is one decision (keep one copy).

use std::collections::BTreeMap;

use super::{
    final_entries, main_layer, path_list, size, step_in_layer, waste_severity, Hint, HintInput,
    Paths, DUPLICATE_FLOOR, MAX_PATHS, WASTE_FLOOR,
};
use crate::analysis::merge::Cause;
use crate::analysis::waste::digest_key;
use crate::tree::EntryKind;

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
        let fix = if stored == 0 && input.layers.len() > 1 {
            "files of the base layer cannot be removed this way: pick a slimmer base image, or \
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
        });
    }
}

pub(super) fn metadata_copy_up(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    let stack = &input.stack;
    let mut groups: BTreeMap<usize, Paths> = BTreeMap::new();
    let mut ids: BTreeMap<usize, Vec<(u32, u64)>> = BTreeMap::new();
    for h in stack.hidden.iter().filter(|h| h.cause == Cause::CopyUp) {
        groups
            .entry(h.by_layer as usize)
            .or_default()
            .add(stack.paths.path(h.path), h.bytes);
        ids.entry(h.by_layer as usize)
            .or_default()
            .push((h.path, h.bytes));
    }
    let owner = if groups.is_empty() {
        Vec::new()
    } else {
        super::packages::owners(input)
    };
    for (layer, paths) in groups {
        let bytes = paths.total();
        if bytes < WASTE_FLOOR {
            continue;
        }
        let top = paths.top();
        out.push(Hint {
            id: "metadata-copy-up",
            severity: waste_severity(bytes),
            message: format!(
                "chmod/chown in {} copied {} of unchanged files ({}{}); use COPY \
                 --chmod/--chown, or chmod in the layer that creates the files",
                step_in_layer(input.history, layer),
                size(bytes),
                path_list(&top, paths.len(), 3),
                super::packages::owners_of(
                    input,
                    &owner,
                    ids.get(&layer).into_iter().flatten().copied()
                ),
            ),
            bytes,
            layer: Some(layer),
            paths: top,
            paths_total: paths.len(),
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
    let mut groups: Vec<(u64, Vec<Stored<'_>>)> = files
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
    if groups.is_empty() {
        return;
    }
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
    out.push(Hint {
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
    });
}
