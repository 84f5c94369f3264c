//! Moving through a file tree: the cursor, the scroll offset, folds, the filter being typed,
//! the sort, and the rows on screen. One implementation for the explorer's Files panel and the
//! compare screen's list of differences, so search, filter, sort, folds and the size floor
//! behave the same in both.
//!
//! The rows on screen are listed here, in `update`, for the height the layout gives the list
//! (`fit`): drawing reads `window()` and the selection as they are, and never walks or sorts
//! the tree itself.

use super::filetree::{FileTree, Filter, Folds, Row, Rows, SortBy, Status};
use crate::tree::paths::{PathId, PathTable, ROOT};

#[derive(Debug, Clone)]
pub struct TreeNav {
    pub tree: FileTree,
    pub rows: Rows,
    pub cursor: usize,
    pub offset: usize,
    pub folds: Folds,
    pub filter: Filter,
    /// The filter text is being typed (keys edit it instead of acting).
    pub editing_filter: bool,
    /// Rows of the list on screen, from the layout.
    shown: usize,
    /// Rows `offset..offset + shown`, listed by the last change.
    window: Vec<Row>,
    /// Where the user left the list scrolled: a resize scrolls from here (`refit`).
    anchor: usize,
    /// The last filter text typed, kept when the filter is cleared: what `n` / `N` look for.
    pub search: String,
}

impl TreeNav {
    pub fn new(tree: FileTree) -> TreeNav {
        TreeNav {
            tree,
            rows: Rows::default(),
            cursor: 0,
            offset: 0,
            folds: Folds::default(),
            filter: Filter::default(),
            editing_filter: false,
            shown: 1,
            window: Vec::new(),
            anchor: 0,
            search: String::new(),
        }
    }

    /// The rows on screen, from the top of the list.
    pub fn window(&self) -> &[Row] {
        &self.window
    }

    /// The path under the cursor.
    pub fn selected(&self) -> Option<PathId> {
        self.cursor
            .checked_sub(self.offset)
            .and_then(|i| self.window.get(i))
            .map(|r| r.path)
    }

    /// Replaces the tree (another layer or mode); the cursor stays on `keep` if it shows.
    pub fn set_tree(&mut self, tree: FileTree, paths: &PathTable, keep: Option<PathId>) {
        self.tree = tree;
        self.refresh(paths, keep);
    }

    /// Recounts the rows after the tree, folds or filter changed; the cursor stays on `keep`
    /// if it is still shown, else where it was (within the rows).
    pub fn refresh(&mut self, paths: &PathTable, keep: Option<PathId>) {
        self.rows = Rows::new(&self.tree, paths, &self.folds, &self.filter);
        let at = keep.and_then(|p| self.rows.index_of(&mut self.tree, paths, p));
        self.cursor = at.unwrap_or_else(|| self.cursor.min(self.rows.len().saturating_sub(1)));
        self.fit(paths, self.shown);
    }

    /// `n` / `N`: the cursor to the next (`forward`) or previous path, in the list's order,
    /// whose `/path` contains `needle` (any case, unless it has capitals), unfolding what hides
    /// it and wrapping at the ends; the filter stays as it is. The path found, if any.
    pub fn search_jump(
        &mut self,
        paths: &PathTable,
        needle: &str,
        forward: bool,
    ) -> Option<PathId> {
        if needle.is_empty() {
            return None;
        }
        let exact = needle.chars().any(char::is_uppercase);
        let lower = needle.to_lowercase();
        let hit = |p: &str| {
            let full = format!("/{p}");
            if exact {
                full.contains(needle)
            } else {
                full.to_lowercase().contains(&lower)
            }
        };
        let shown = self.filter.keep(&self.tree, paths);
        // Every node the filter lets through, in list order (the sorted tree, depth first),
        // folds ignored.
        let current = self.selected();
        let (mut matches, mut at) = (Vec::new(), None);
        let mut stack = vec![ROOT];
        while let Some(node) = stack.pop() {
            if node != ROOT {
                if Some(node) == current {
                    at = Some(matches.len());
                }
                if hit(paths.path(node)) {
                    matches.push(node);
                }
            }
            let kids = self.tree.children(node, paths);
            stack.extend(
                kids.iter()
                    .rev()
                    .filter(|&&k| shown.get(k as usize).copied().unwrap_or(false)),
            );
        }
        if matches.is_empty() {
            return None;
        }
        // `at`: how many matches come before the selection (the selection itself first when
        // it matches).
        let n = matches.len();
        let target = match (at, forward) {
            (None, true) => matches[0],
            (None, false) => matches[n - 1],
            (Some(i), true) => {
                let here = matches.get(i) == current.as_ref();
                matches[if here { (i + 1) % n } else { i % n }]
            }
            (Some(i), false) => matches[(i + n - 1) % n],
        };
        self.reveal(paths, target);
        self.refresh(paths, Some(target));
        Some(target)
    }

    /// Keeps the cursor inside a list of `shown` rows and the list filled (no empty rows below
    /// while rows above are scrolled away), and lists the rows on screen.
    pub fn fit(&mut self, paths: &PathTable, shown: usize) {
        self.shown = shown.max(1);
        self.offset = scroll_to(self.offset, self.cursor, self.rows.len(), self.shown);
        self.anchor = self.offset;
        self.window = self
            .rows
            .window(&mut self.tree, paths, self.offset, self.shown);
    }

    /// `fit` for a new terminal size: scrolled from where the user left the list, which it
    /// keeps (a shrink and a grow back show the same rows again).
    pub fn refit(&mut self, paths: &PathTable, shown: usize) {
        self.shown = shown.max(1);
        self.offset = scroll_to(self.anchor, self.cursor, self.rows.len(), self.shown);
        self.window = self
            .rows
            .window(&mut self.tree, paths, self.offset, self.shown);
    }

    /// Rows one page moves.
    pub fn page(&self) -> usize {
        self.shown
    }

    pub fn move_by(&mut self, paths: &PathTable, delta: i64) {
        let max = self.rows.len().saturating_sub(1) as i64;
        self.cursor = (self.cursor as i64)
            .saturating_add(delta)
            .clamp(0, max.max(0)) as usize;
        self.fit(paths, self.shown);
    }

    /// Puts the cursor on row `index` (a click), if there is one.
    pub fn select_row(&mut self, paths: &PathTable, index: usize) {
        if index < self.rows.len() {
            self.cursor = index;
            self.fit(paths, self.shown);
        }
    }

    /// Folds (`Some(true)`), unfolds (`Some(false)`) or toggles (`None`) the selected
    /// directory; nothing for a leaf.
    pub fn fold(&mut self, paths: &PathTable, collapse: Option<bool>) {
        let Some(p) = self.selected() else {
            return;
        };
        if self.tree.child_count(p) == 0 {
            return;
        }
        let now = collapse.unwrap_or(!self.folds.is_folded(p));
        self.folds.set(p, now);
        self.refresh(paths, Some(p));
    }

    /// Folds the selected directory, or moves to its parent when it is a leaf or folded.
    pub fn collapse_or_parent(&mut self, paths: &PathTable) {
        let Some(p) = self.selected() else {
            return;
        };
        if self.tree.child_count(p) > 0 && !self.folds.is_folded(p) {
            self.fold(paths, Some(true));
            return;
        }
        let parent = paths.parent(p);
        if let Some(i) = self.rows.index_of(&mut self.tree, paths, parent) {
            self.cursor = i;
            self.fit(paths, self.shown);
        }
    }

    /// Folds everything; the cursor moves to the top-level ancestor of what it was on.
    pub fn fold_all(&mut self, paths: &PathTable) {
        let top = self.selected().map(|p| {
            let mut cur = p;
            while paths.parent(cur) != ROOT {
                cur = paths.parent(cur);
            }
            cur
        });
        self.folds.fold_all();
        self.refresh(paths, top);
    }

    pub fn unfold_all(&mut self, paths: &PathTable) {
        let keep = self.selected();
        self.folds.unfold_all();
        self.refresh(paths, keep);
    }

    pub fn set_sort(&mut self, paths: &PathTable, by: SortBy) {
        let keep = self.selected();
        self.tree.sort(by);
        self.refresh(paths, keep);
    }

    /// Hides or shows entries of a status (`hidden` `None`: toggles).
    pub fn hide(&mut self, paths: &PathTable, status: Status, hidden: Option<bool>) {
        let i = status.index();
        self.filter.hidden[i] = hidden.unwrap_or(!self.filter.hidden[i]);
        let keep = self.selected();
        self.refresh(paths, keep);
    }

    /// `M`: modified and metadata-only entries hide and show together.
    pub fn hide_modified(&mut self, paths: &PathTable) {
        self.hide(paths, Status::Modified, None);
        let now = self.filter.hidden[Status::Modified.index()];
        self.hide(paths, Status::MetadataOnly, Some(now));
    }

    pub fn set_min_size(&mut self, paths: &PathTable, min: Option<u64>) {
        self.filter.min_size = min;
        let keep = self.selected();
        self.refresh(paths, keep);
    }

    /// Narrows the tree to a set of paths (a package's files), or widens it again.
    pub fn set_only(
        &mut self,
        paths: &PathTable,
        only: Option<std::sync::Arc<super::filetree::Only>>,
    ) {
        self.filter.only = only;
        let keep = self.selected();
        self.refresh(paths, keep);
        if self.filter.only.is_some() {
            self.cursor = self.rows.first_leaf(&mut self.tree, paths).unwrap_or(0);
        }
    }

    /// Sets the filter text as it is typed; a live filter lands on the first matching leaf.
    pub fn set_filter_text(&mut self, paths: &PathTable, text: &str) {
        let keep = self.selected();
        if !text.is_empty() {
            self.search = text.to_string();
        }
        self.filter.set_text(text);
        self.refresh(paths, keep);
        if !self.filter.text.is_empty() {
            self.cursor = self.rows.first_leaf(&mut self.tree, paths).unwrap_or(0);
            self.fit(paths, self.shown);
        }
    }

    /// Applies one edit of the filter line.
    pub fn edit_filter(&mut self, paths: &PathTable, edit: super::keys::Edit) {
        use super::keys::Edit;
        match edit {
            Edit::Submit => self.editing_filter = false,
            Edit::Cancel => {
                self.editing_filter = false;
                self.set_filter_text(paths, "");
            }
            Edit::Pop => {
                let mut t = self.filter.text.clone();
                t.pop();
                self.set_filter_text(paths, &t);
            }
            Edit::Push(c) => {
                let t = format!("{}{c}", self.filter.text);
                self.set_filter_text(paths, &t);
            }
        }
    }

    /// Clears every filter (text, hidden statuses, size floor); whether one was set.
    pub fn clear_filters(&mut self) -> bool {
        let f = &self.filter;
        let any = !f.text.is_empty() || f.hidden.iter().any(|h| *h) || f.min_size.is_some();
        if any {
            self.filter = Filter::default();
        }
        any
    }

    /// Unfolds the directories above `path` so that it can show.
    pub fn reveal(&mut self, paths: &PathTable, path: PathId) {
        let mut cur = paths.parent(path);
        while cur != ROOT {
            self.folds.set(cur, false);
            cur = paths.parent(cur);
        }
    }
}

/// The scroll offset of a list of `len` rows, `shown` at a time, that keeps `cursor` on screen
/// and leaves no empty rows below while rows above are hidden. Moves as little as it can.
pub fn scroll_to(offset: usize, cursor: usize, len: usize, shown: usize) -> usize {
    let shown = shown.max(1);
    let offset = if cursor < offset {
        cursor
    } else if cursor >= offset + shown {
        cursor + 1 - shown
    } else {
        offset
    };
    offset.min(len.saturating_sub(shown))
}
