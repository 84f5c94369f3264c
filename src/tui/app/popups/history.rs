//! The path history popup's view model: every layer that touched a path, and how.

use crate::analysis::merge::{entry, path_history, Change};
use crate::analysis::Analysis;
use crate::tree::paths::PathId;
use crate::tree::{EntryKind, LayerTree};
use crate::tui::app::filetree::Status;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathHistory {
    pub path: String,
    pub rows: Vec<HistoryRow>,
    pub cursor: usize,
}

/// One layer that touched the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub layer: usize,
    pub status: Status,
    pub kind: Option<EntryKind>,
    pub size: u64,
}

impl PathHistory {
    /// The history of `id` (shown as `path`) over `trees`.
    pub fn of(trees: &[&LayerTree], analysis: &Analysis, id: PathId, path: String) -> Self {
        let history = path_history(trees, &analysis.stack.paths, id);
        let mut rows = Vec::new();
        let mut before = None;
        for (k, now) in history.iter().enumerate() {
            let row = match (before, *now) {
                (None, Some(loc)) => Some((Status::Added, Some(loc))),
                (Some(_), None) => Some((Status::Removed, before)),
                (Some(_), Some(loc)) if loc.layer as usize == k => {
                    let change = analysis.stack.changes[k].get(loc.entry as usize).copied();
                    let status = match change {
                        Some(Change::Modified) => Status::Modified,
                        Some(Change::MetadataOnly) => Status::MetadataOnly,
                        // Deleted (a whiteout or opaque directory) and written again by the
                        // same layer: added, as the layer's own changes show it.
                        Some(Change::Added) if !loc.is_implicit() => Status::Added,
                        _ => Status::Unchanged,
                    };
                    Some((status, Some(loc)))
                }
                _ => None,
            };
            if let Some((status, loc)) = row {
                let e = loc.and_then(|l| entry(trees, l));
                rows.push(HistoryRow {
                    layer: k,
                    status,
                    kind: Some(e.map_or(EntryKind::Dir, |e| e.kind)),
                    size: e.map_or(0, |e| e.content_bytes()),
                });
            }
            before = *now;
        }
        PathHistory {
            path,
            rows,
            cursor: 0,
        }
    }
}
