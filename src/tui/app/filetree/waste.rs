//! The wasted bytes under each node of a displayed tree, by cause (`WasteCause::ALL` order):
//! what the size bars and the treemap colour. A file's bytes are wasted when the copy the
//! node shows is (`WastedCopies`); directories roll up as their sizes do, so a directory's
//! waste is never more than its size (a removed child counts in no live parent).
//!
//! Kept apart from the tree: only the pictures need it, and a map of the wasted paths and
//! their ancestors is small where an array per path would not be.

use std::collections::HashMap;

use super::{FileTree, Status};
use crate::analysis::merge::Stack;
use crate::analysis::wasted_copies::WastedCopies;
use crate::tree::paths::{PathId, ROOT};
use crate::tree::EntryKind;

/// Bytes by cause, in `WasteCause::ALL` order.
pub type ByCause = [u64; 5];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WasteShares {
    by_path: HashMap<PathId, ByCause>,
}

impl WasteShares {
    pub fn of(tree: &FileTree, wasted: &WastedCopies, stack: &Stack) -> WasteShares {
        let mut by_path: HashMap<PathId, ByCause> = HashMap::new();
        for (i, status) in tree.status.iter().enumerate() {
            let (Some(status), EntryKind::File) = (status, tree.kind[i]) else {
                continue;
            };
            let loc = tree.loc[i];
            if loc.is_implicit() || tree.size[i] == 0 {
                continue;
            }
            let id = i as PathId;
            let Some(cause) = wasted.cause(stack, id, loc) else {
                continue;
            };
            let bytes = tree.size[i];
            let k = cause.index();
            by_path.entry(id).or_default()[k] += bytes;
            // Up to the root, as `FileTree::roll_up` adds sizes.
            let (mut cur, mut removed) = (id, *status == Status::Removed);
            while cur != ROOT {
                let parent = stack.paths.parent(cur);
                let parent_removed = tree.status[parent as usize] == Some(Status::Removed);
                if removed && !parent_removed {
                    break;
                }
                by_path.entry(parent).or_default()[k] += bytes;
                (cur, removed) = (parent, parent_removed);
            }
        }
        WasteShares { by_path }
    }

    /// The wasted bytes at or under `path`, by cause.
    pub fn get(&self, path: PathId) -> ByCause {
        self.by_path.get(&path).copied().unwrap_or_default()
    }
}
