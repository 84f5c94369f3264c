//! The compare screen of `strata diff A B`: a summary, the layers both images share, and the
//! tree of every path that differs, coloured by change and sized by delta. Moving through
//! the tree is `TreeNav`'s, as in the explorer.

use super::filetree::{FileTree, SortBy, Status};
use super::keymap::Action;
use super::keys::{Context, Input};
use super::layout::{compare_areas, compare_details_area, list_rows};
use super::nav::TreeNav;
use super::popups::Scroll;
use crate::analysis::compare::Comparison;
use crate::report::diff::DiffReport;
use crate::tree::paths::PathTable;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComparePopup {
    Help,
    /// Config, history and waste differences.
    Details(Scroll),
}

pub struct CompareView {
    pub report: DiffReport,
    pub paths: PathTable,
    pub nav: TreeNav,
    pub sort: SortBy,
    pub popup: Option<ComparePopup>,
    /// The terminal's size, from the last resize.
    size: (u16, u16),
}

impl CompareView {
    pub fn new(report: DiffReport, cmp: &Comparison, width: u16, height: u16) -> CompareView {
        let mut paths = PathTable::default();
        let mut tree = FileTree::from_diff(&cmp.files, &mut paths);
        tree.sort(SortBy::Delta);
        let mut v = CompareView {
            report,
            paths,
            nav: TreeNav::new(tree),
            sort: SortBy::Delta,
            popup: None,
            size: (width, height),
        };
        v.nav.refresh(&v.paths, None);
        v.fit(width, height);
        v
    }

    /// Rows the details popup holds: the config keys (or "no difference"), the history
    /// aligned, the waste figures, each under its heading.
    pub fn details_len(&self) -> usize {
        let r = &self.report;
        let config = r.config.len().max(1);
        1 + config + 2 + r.history.len() + 2 + r.waste.len()
    }

    /// Lays the screen out for a `width` x `height` terminal.
    pub fn fit(&mut self, width: u16, height: u16) {
        self.size = (width, height);
        self.nav
            .fit(&self.paths, list_rows(compare_areas(width, height).files));
        let visible = compare_details_area(width, height).height.saturating_sub(2) as usize;
        let rows = self.details_len();
        if let Some(ComparePopup::Details(scroll)) = &mut self.popup {
            scroll.fit(rows, visible);
        }
    }

    /// Where keys go now.
    pub fn context(&self) -> Context {
        match self.popup {
            Some(_) => Context::Popup,
            None if self.nav.editing_filter => Context::Typing,
            None => Context::Keys(None),
        }
    }

    pub fn on_input(&mut self, input: Input) {
        if self.nav.editing_filter {
            if let Input::Edit(edit) = input {
                self.nav.edit_filter(&self.paths, edit);
            }
            self.fit(self.size.0, self.size.1);
            return;
        }
        let action = input.action();
        if let Some(p) = &mut self.popup {
            match (p, action) {
                (_, Some(Action::Help | Action::Config)) => self.popup = None,
                _ if input.closes() => self.popup = None,
                // Pages and single rows; the ends are not bound here.
                (ComparePopup::Details(scroll), Some(a))
                    if !matches!(a, Action::Top | Action::Bottom) =>
                {
                    scroll.on_action(a);
                }
                _ => {}
            }
            return;
        }
        let page = self.nav.page() as i64;
        let paths = &self.paths;
        match action {
            Some(Action::Help) => self.popup = Some(ComparePopup::Help),
            Some(Action::Config) => self.popup = Some(ComparePopup::Details(Scroll::default())),
            Some(Action::Up) => self.nav.move_by(paths, -1),
            Some(Action::Down) => self.nav.move_by(paths, 1),
            Some(Action::PageUp) => self.nav.move_by(paths, -page),
            Some(Action::PageDown) => self.nav.move_by(paths, page),
            Some(Action::Top) => self.nav.move_by(paths, i64::MIN / 2),
            Some(Action::Bottom) => self.nav.move_by(paths, i64::MAX / 2),
            Some(Action::Toggle | Action::Open) => self.nav.fold(paths, None),
            Some(Action::Collapse) => self.nav.fold(paths, Some(true)),
            Some(Action::Expand) => self.nav.fold(paths, Some(false)),
            Some(Action::CollapseAll) => self.nav.fold_all(paths),
            Some(Action::ExpandAll) => self.nav.unfold_all(paths),
            Some(Action::Filter) => self.nav.editing_filter = true,
            Some(Action::Sort) => {
                self.sort = self.sort.next();
                self.nav.set_sort(paths, self.sort);
            }
            Some(Action::HideAdded) => self.nav.hide(paths, Status::Added, None),
            Some(Action::HideModified) => self.nav.hide_modified(paths),
            Some(Action::HideRemoved) => self.nav.hide(paths, Status::Removed, None),
            // Nothing is unchanged in a comparison: the key hides metadata-only changes.
            Some(Action::HideUnchanged) => self.nav.hide(paths, Status::MetadataOnly, None),
            _ => {}
        }
        self.fit(self.size.0, self.size.1);
    }
}
