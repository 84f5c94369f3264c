//! Which stored copies of files are wasted, and why: the answer file by file behind the waste
//! figures (`waste::figures`, which only sums them and keeps the biggest rows), for the
//! pictures that colour a tree by cause (the explorer's size bars and treemap).
//!
//! A copy is wasted when a later layer hid it (overwritten, copied up, removed: the stack's
//! `hidden` list, keyed here by where the copy is stored), or when the final view shows it but
//! it is a duplicate of an earlier copy or lies in a package-manager cache (keyed by path: the
//! final view holds one copy per path). Built on demand, not with the analysis: only the
//! pictures need it, and a report never does.

use std::collections::HashMap;

use super::merge::{Loc, Stack};
use super::waste::{cache_root, digest_key, duplicates, visible_files, WasteCause};
use crate::tree::paths::PathId;
use crate::tree::LayerTree;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WastedCopies {
    /// Copies a later layer (or a later entry of their own layer) hid, by where they are
    /// stored.
    hidden: HashMap<Loc, WasteCause>,
    /// Paths of the final view whose file is a duplicate or lies in a cache.
    in_final: HashMap<PathId, WasteCause>,
}

impl WastedCopies {
    pub fn of(layers: &[&LayerTree], stack: &Stack) -> WastedCopies {
        let hidden = stack
            .hidden
            .iter()
            .map(|h| (h.copy, WasteCause::Hidden(h.cause)))
            .collect();
        let mut in_final = HashMap::new();
        let mut by_digest = Vec::new();
        let mut cached = Vec::new();
        for (id, loc, e) in visible_files(layers, stack) {
            if cache_root(stack.paths.path(id)).is_some() {
                cached.push(id);
            }
            if let Some(d) = e.digest.as_ref().filter(|_| e.size > 0) {
                by_digest.push((digest_key(d), d, (id, loc.layer, e.size)));
            }
        }
        // As the figures count them; a file that is both is shown as the cache's.
        duplicates(&mut by_digest, stack, |_, (id, _, _)| {
            in_final.insert(id, WasteCause::Duplicate);
        });
        in_final.extend(cached.into_iter().map(|id| (id, WasteCause::Cache)));
        WastedCopies { hidden, in_final }
    }

    /// Why the copy stored at `loc`, shown at `path`, is wasted; `None` when it is not.
    pub fn cause(&self, stack: &Stack, path: PathId, loc: Loc) -> Option<WasteCause> {
        if let Some(c) = self.hidden.get(&loc) {
            return Some(*c);
        }
        if stack.top.get(path) == Some(loc) {
            return self.in_final.get(&path).copied();
        }
        None
    }
}
