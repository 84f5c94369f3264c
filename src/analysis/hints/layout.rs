//! Layers that Docker and containerd refuse to unpack: writing below a path a lower layer
//! left as a file, link or device, without deleting it first. strata shows such a path as a
//! directory (as the merge must pick something), so the hint is an error: the image that
//! strata shows is not one an engine would run.

use std::collections::BTreeMap;

use super::{step_in_layer, Hint, HintInput, Severity, MAX_PATHS};
use crate::analysis::merge::entry;

pub(super) fn written_below_non_directories(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    // Layer -> each non-directory written below, once: its path, what it was, from which layer.
    let mut by_layer: BTreeMap<usize, BTreeMap<&str, (&'static str, usize)>> = BTreeMap::new();
    for u in &input.stack.under_non_dirs {
        let was = entry(input.layers, u.was).map_or("dir", |e| e.kind.name());
        by_layer
            .entry(u.entry.layer as usize)
            .or_default()
            .entry(input.stack.paths.path(u.ancestor))
            .or_insert((was, u.was.layer as usize));
    }
    for (layer, found) in by_layer {
        let n = found.len();
        let listed: Vec<String> = found
            .iter()
            .take(5)
            .map(|(path, (kind, from))| format!("/{path}, a {kind} from layer {from}"))
            .collect();
        let more = if n > listed.len() {
            format!(" and {} more", n - listed.len())
        } else {
            String::new()
        };
        out.push(Hint {
            id: "written-below-non-directory",
            severity: Severity::Error,
            message: format!(
                "{} writes below {n} path{} that {} not a directory there ({}{more}); Docker \
                 and containerd refuse to unpack such a layer (\"not a directory\"), strata \
                 shows a directory. Delete the path in the same step before writing below it, \
                 or rebuild the layer with a standard builder",
                step_in_layer(input.history, layer),
                if n == 1 { "" } else { "s" },
                if n == 1 { "is" } else { "are" },
                listed.join("; "),
            ),
            bytes: 0,
            layer: Some(layer),
            paths: found
                .keys()
                .take(MAX_PATHS)
                .map(|p| p.to_string())
                .collect(),
            paths_total: n,
            from_base: input.base.contains(layer),
        });
    }
}
