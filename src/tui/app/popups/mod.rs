//! The explorer's popups, one module each with its own view model: what it shows is built
//! here, in `update`, from the image and the analysis; `ui::popups` only draws it. A popup
//! that scrolls knows how far it can (`Scroll::max`), from the layout's popup area, so a key
//! never depends on what the last frame drew.

pub mod config;
pub mod help;
pub mod hints;
pub mod history;
pub mod packages;
pub mod pair_diff;
pub mod prompt;
pub mod treemap;
pub mod viewer;

use super::keymap::Action;

pub use config::ConfigView;
pub use hints::HintList;
pub use history::PathHistory;
pub use packages::PackageList;
pub use prompt::{Prompt, PromptKind};
pub use viewer::{Awaits, Viewer};

/// What is open over the explorer.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    Help(Scroll),
    Config(Scroll),
    Prompt(Prompt),
    Viewer(Viewer),
    History(PathHistory),
    Hints(HintList),
    Packages(PackageList),
    Treemap(treemap::Treemap),
    Message(String),
}

/// A scrolled text: the first row shown and the last first row that still fills the popup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scroll {
    pub offset: usize,
    pub max: usize,
}

impl Scroll {
    /// For `rows` rows of text in a popup showing `visible` of them.
    pub fn fit(&mut self, rows: usize, visible: usize) {
        self.max = rows.saturating_sub(visible);
        self.offset = self.offset.min(self.max);
    }

    /// Moves for a list key; `false` for any other action.
    pub fn on_action(&mut self, action: Action) -> bool {
        self.offset = match action {
            Action::Down => (self.offset + 1).min(self.max),
            Action::Up => self.offset.saturating_sub(1),
            Action::PageDown => (self.offset + 20).min(self.max),
            Action::PageUp => self.offset.saturating_sub(20),
            Action::Top => 0,
            Action::Bottom => self.max,
            _ => return false,
        };
        true
    }
}

/// Whether `action` moves a popup list's cursor (see `list_move`).
pub fn is_list_move(action: Action) -> bool {
    matches!(
        action,
        Action::Down
            | Action::Up
            | Action::PageDown
            | Action::PageUp
            | Action::Top
            | Action::Bottom
    )
}

/// A popup list's cursor after a move key, within `len` rows (pages of 10).
pub fn list_move(cursor: usize, action: Action, len: usize) -> usize {
    let last = len.saturating_sub(1);
    match action {
        Action::Down => (cursor + 1).min(last),
        Action::Up => cursor.saturating_sub(1),
        Action::PageDown => (cursor + 10).min(last),
        Action::PageUp => cursor.saturating_sub(10),
        Action::Top => 0,
        Action::Bottom => last,
        _ => cursor,
    }
}
