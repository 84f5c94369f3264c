//! The compare screen of `strata diff A B`: a summary, the layers both images share, and the
//! tree of every path that differs, coloured by change and sized by delta.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::filetree::{FileTree, Filter, Folds, Row, Rows, SortBy, Status};
use super::keymap::{Action, Keymap};
use crate::analysis::compare::Comparison;
use crate::report::diff::DiffReport;
use crate::tree::paths::{PathId, PathTable};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComparePopup {
    Help,
    /// Config, history and waste differences.
    Details {
        scroll: usize,
    },
}

pub struct CompareView {
    pub report: DiffReport,
    pub paths: PathTable,
    pub tree: FileTree,
    pub rows: Rows,
    pub cursor: usize,
    pub offset: usize,
    pub folds: Folds,
    pub filter: Filter,
    pub editing_filter: bool,
    pub sort: SortBy,
    pub popup: Option<ComparePopup>,
    /// The furthest the details popup can scroll, as last drawn (the draw knows its height).
    pub details_scroll_max: std::cell::Cell<usize>,
    pub quit: bool,
}

impl CompareView {
    pub fn new(report: DiffReport, cmp: &Comparison) -> CompareView {
        let mut paths = PathTable::default();
        let mut tree = FileTree::from_diff(&cmp.files, &mut paths);
        tree.sort(SortBy::Delta);
        let mut v = CompareView {
            report,
            paths,
            tree,
            rows: Rows::default(),
            cursor: 0,
            offset: 0,
            folds: Folds::default(),
            filter: Filter::default(),
            editing_filter: false,
            sort: SortBy::Delta,
            popup: None,
            details_scroll_max: std::cell::Cell::new(usize::MAX / 2),
            quit: false,
        };
        v.refresh(None);
        v
    }

    fn refresh(&mut self, keep: Option<PathId>) {
        self.rows = Rows::new(&self.tree, &self.paths, &self.folds, &self.filter);
        if let Some(p) = keep {
            if let Some(i) = self.rows.index_of(&self.tree, &self.paths, p) {
                self.cursor = i;
                return;
            }
        }
        self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
    }

    fn selected(&self) -> Option<PathId> {
        self.rows
            .get(&self.tree, &self.paths, self.cursor)
            .map(|r| r.path)
    }

    /// The rows on screen, `n` from the top of the list.
    pub fn window(&self, n: usize) -> Vec<Row> {
        self.rows.window(&self.tree, &self.paths, self.offset, n)
    }

    /// Rows of the files list on a terminal of this size.
    pub fn page(height: u16) -> usize {
        (height.saturating_sub(4) as usize).max(1)
    }

    /// Keeps the cursor on screen and the list filled, after a move or a resize.
    pub fn fit(&mut self, height: u16) {
        self.offset = super::explorer::scroll_to(
            self.offset,
            self.cursor,
            self.rows.len(),
            CompareView::page(height),
        );
    }

    pub fn on_key(&mut self, key: KeyEvent, keymap: &Keymap, height: u16) {
        if self.editing_filter {
            let keep = self.selected();
            match key.code {
                KeyCode::Enter => self.editing_filter = false,
                KeyCode::Esc => {
                    self.editing_filter = false;
                    self.filter.set_text("");
                }
                KeyCode::Backspace => {
                    let mut t = self.filter.text.clone();
                    t.pop();
                    self.filter.set_text(&t);
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    let t = format!("{}{c}", self.filter.text);
                    self.filter.set_text(&t);
                }
                _ => {}
            }
            self.refresh(keep);
            self.fit(height);
            return;
        }
        let action = keymap.action(&key);
        let max = self.details_scroll_max.get();
        if let Some(p) = &mut self.popup {
            match (p, action) {
                (_, Some(Action::Quit)) | (_, Some(Action::Help)) | (_, Some(Action::Config)) => {
                    self.popup = None
                }
                _ if key.code == KeyCode::Esc => self.popup = None,
                (ComparePopup::Details { scroll }, Some(Action::Down)) => {
                    *scroll = (*scroll + 1).min(max)
                }
                (ComparePopup::Details { scroll }, Some(Action::Up)) => {
                    *scroll = scroll.saturating_sub(1)
                }
                (ComparePopup::Details { scroll }, Some(Action::PageDown)) => {
                    *scroll = (*scroll + 20).min(max)
                }
                (ComparePopup::Details { scroll }, Some(Action::PageUp)) => {
                    *scroll = scroll.saturating_sub(20)
                }
                _ => {}
            }
            return;
        }
        let page = CompareView::page(height) as i64;
        let keep = self.selected();
        match action {
            Some(Action::Quit) => self.quit = true,
            Some(Action::Help) => self.popup = Some(ComparePopup::Help),
            Some(Action::Config) => self.popup = Some(ComparePopup::Details { scroll: 0 }),
            Some(Action::Up) => self.move_by(-1),
            Some(Action::Down) => self.move_by(1),
            Some(Action::PageUp) => self.move_by(-page),
            Some(Action::PageDown) => self.move_by(page),
            Some(Action::Top) => self.move_by(i64::MIN / 2),
            Some(Action::Bottom) => self.move_by(i64::MAX / 2),
            Some(Action::Toggle | Action::Open) => self.fold(None),
            Some(Action::Collapse) => self.fold(Some(true)),
            Some(Action::Expand) => self.fold(Some(false)),
            Some(Action::CollapseAll) => {
                self.folds.fold_all();
                self.refresh(keep);
            }
            Some(Action::ExpandAll) => {
                self.folds.unfold_all();
                self.refresh(keep);
            }
            Some(Action::Filter) => self.editing_filter = true,
            Some(Action::Sort) => {
                self.sort = self.sort.next();
                self.tree.sort(self.sort);
                self.refresh(keep);
            }
            Some(Action::HideAdded) => self.hide(Status::Added),
            Some(Action::HideModified) => {
                self.hide(Status::Modified);
                self.filter.hidden[Status::MetadataOnly.index()] =
                    self.filter.hidden[Status::Modified.index()];
                self.refresh(keep);
            }
            Some(Action::HideRemoved) => self.hide(Status::Removed),
            Some(Action::HideUnchanged) => self.hide(Status::MetadataOnly),
            _ => {}
        }
        self.fit(height);
    }

    fn move_by(&mut self, d: i64) {
        let max = self.rows.len().saturating_sub(1) as i64;
        self.cursor = (self.cursor as i64).saturating_add(d).clamp(0, max.max(0)) as usize;
    }

    fn fold(&mut self, collapse: Option<bool>) {
        let Some(p) = self.selected() else {
            return;
        };
        if self.tree.child_count(p) == 0 {
            return;
        }
        self.folds
            .set(p, collapse.unwrap_or(!self.folds.is_folded(p)));
        self.refresh(Some(p));
    }

    fn hide(&mut self, s: Status) {
        let keep = self.selected();
        self.filter.hidden[s.index()] = !self.filter.hidden[s.index()];
        self.refresh(keep);
    }
}
