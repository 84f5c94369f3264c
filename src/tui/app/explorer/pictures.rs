//! Where the bytes are, as pictures: the Files panel's size bars (`b` cycles share of the
//! parent, share of the whole tree, off) and the treemap popup (`t`), both coloured by the
//! wasted bytes' causes. The waste by path is worked out the first time a picture needs it
//! (`WastedCopies`, once per image) and again for each tree a picture shows (`WasteShares`),
//! never for a user who opens neither.

use std::sync::Arc;

use super::Explorer;
use crate::analysis::wasted_copies::WastedCopies;
use crate::model::text::printable;
use crate::tree::paths::ROOT;
use crate::tui::app::filetree::waste::WasteShares;
use crate::tui::app::filetree::FileMode;
use crate::tui::app::keymap::Action;
use crate::tui::app::keys::Input;
use crate::tui::app::layout::popup_area;
use crate::tui::app::popups::treemap::{cell_area, Treemap};
use crate::tui::app::popups::Popup;

/// What the Files panel's size bars measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Bars {
    #[default]
    Off,
    /// Each entry's share of its parent directory, as ncdu draws it.
    Parent,
    /// Each entry's share of the whole tree (the image, in the final view).
    Whole,
}

impl Bars {
    fn next(self) -> Bars {
        match self {
            Bars::Off => Bars::Parent,
            Bars::Parent => Bars::Whole,
            Bars::Whole => Bars::Off,
        }
    }
}

impl Explorer {
    /// The waste by path of the tree on screen, when a picture asked for it since the tree
    /// was built.
    pub fn shares(&self) -> Option<&WasteShares> {
        let (layer, mode, shares) = self.shares.as_ref()?;
        (*layer == self.nav.tree.layer && *mode == self.nav.tree.mode).then_some(&**shares)
    }

    /// Works out the waste by path of the tree on screen if a picture shows and it is not
    /// known yet.
    pub(super) fn refresh_shares(&mut self) {
        let wanted = self.bars != Bars::Off || matches!(self.popup, Some(Popup::Treemap(_)));
        if wanted && self.shares().is_none() {
            self.compute_shares();
        }
    }

    fn compute_shares(&mut self) -> Arc<WasteShares> {
        let stack = &self.analysis.stack;
        let wasted = Arc::clone(self.wasted.get_or_insert_with(|| {
            Arc::new(WastedCopies::of(&self.session.image().trees(), stack))
        }));
        let shares = Arc::new(WasteShares::of(&self.nav.tree, &wasted, stack));
        let tree = &self.nav.tree;
        self.shares = Some((tree.layer, tree.mode, Arc::clone(&shares)));
        shares
    }

    pub(super) fn cycle_bars(&mut self) {
        self.bars = self.bars.next();
        self.refresh_shares();
        let whole = if self.mode == FileMode::Final {
            "the image"
        } else {
            "this tree"
        };
        self.notice = Some(match self.bars {
            Bars::Off => "size bars off".to_string(),
            Bars::Parent => "size bars: share of the directory · b: of the whole".into(),
            Bars::Whole => format!("size bars: share of {whole} · b: off"),
        });
    }

    /// The treemap of the selected directory, or of the selected file's directory with the
    /// file's cell selected.
    pub(super) fn open_treemap(&mut self) {
        let paths = Arc::clone(&self.analysis.stack.paths);
        let (dir, select) = match self.selected_node() {
            Some(n) if n.children > 0 => (n.path, None),
            Some(n) => (paths.parent(n.path), Some(n.path)),
            None => (ROOT, None),
        };
        self.show_treemap(dir, select);
    }

    fn show_treemap(&mut self, dir: crate::tree::paths::PathId, select: Option<u32>) {
        let shares = match self.shares() {
            Some(_) => self.shares.as_ref().map(|s| Arc::clone(&s.2)),
            None => Some(self.compute_shares()),
        }
        .unwrap_or_default();
        let area = self.treemap_area();
        let paths = Arc::clone(&self.analysis.stack.paths);
        let map = Treemap::of(&mut self.nav.tree, &paths, &shares, dir, select, area);
        self.popup = Some(Popup::Treemap(map));
    }

    /// The cells' area of the treemap popup on this terminal.
    pub(super) fn treemap_area(&self) -> (u16, u16) {
        let r = cell_area(popup_area(ratatui::layout::Rect::new(
            0,
            0,
            self.size.0,
            self.size.1,
        )));
        (r.width, r.height)
    }

    /// A key while the treemap is open.
    pub(super) fn on_treemap_input(&mut self, input: Input) {
        let Some(Popup::Treemap(map)) = self.popup.as_mut() else {
            return;
        };
        let action = input.action();
        if input.closes() || action == Some(Action::Treemap) {
            self.popup = None;
            return;
        }
        if let Some(a) = action {
            if map.on_action(a) {
                return;
            }
        }
        let back = matches!(input, Input::Other(k) if k.code == ratatui::crossterm::event::KeyCode::Backspace);
        let paths = Arc::clone(&self.analysis.stack.paths);
        if back {
            if map.dir != ROOT {
                let (dir, from) = (paths.parent(map.dir), map.dir);
                self.show_treemap(dir, Some(from));
            }
            return;
        }
        if action != Some(Action::Open) {
            return;
        }
        let Some(cell) = map.selected() else {
            return;
        };
        match cell.path {
            Some(p) if cell.dir => self.show_treemap(p, None),
            Some(p) => {
                // A file: the Files panel, on it.
                let path = paths.path(p).to_string();
                self.popup = None;
                self.jump_to(self.layer, Some(&path), self.mode);
                self.notice = Some(format!("treemap: {}", printable(&format!("/{path}"), 300)));
            }
            None => {
                self.notice = Some(
                    "these entries are each too small for a cell: the Files panel sorted by size lists them"
                        .into(),
                );
            }
        }
    }
}
