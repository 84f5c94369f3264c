//! The help popup: every action with its keys and what it does, generated from the keymap, so
//! it never disagrees with what the keys do.

use crate::tui::app::keymap::{Keymap, ACTIONS};

/// One line: the keys bound to an action, and its description.
pub fn rows(keymap: &Keymap) -> Vec<(String, &'static str)> {
    ACTIONS
        .iter()
        .map(|(action, _, desc)| (keymap.keys_of(*action), *desc))
        .collect()
}

/// Lines the help shows.
pub fn len() -> usize {
    ACTIONS.len()
}
