//! The help popup: every action with its keys and what it does, generated from the keymap, so
//! it never disagrees with what the keys do.

use crate::tui::app::keymap::{Keymap, ACTIONS};

/// What the marks on screen mean, after the keys.
const LEGEND: [(&str, &str); 5] = [
    (
        "●",
        "Layers: a later layer hides some of this layer's bytes (they still ship)",
    ),
    (
        "✕",
        "Layers: this layer hides bytes of the layers below (the report's HIDES)",
    ),
    ("▸ ▾", "Files: a folded / an open directory"),
    ("▲ ▼", "on a border: rows scrolled away above / below"),
    (
        "▓ ▒ ░ ╳ =",
        "size bars, treemap: overwritten, copy-up, removed, duplicate, cache (colours, or these without)",
    ),
];

/// One line: the keys bound to an action, and its description; then the legend.
pub fn rows(keymap: &Keymap) -> Vec<(String, &'static str)> {
    ACTIONS
        .iter()
        .map(|(action, _, desc)| (keymap.keys_of(*action), *desc))
        .chain(LEGEND.iter().map(|(mark, desc)| (mark.to_string(), *desc)))
        .collect()
}

/// Lines the help shows.
pub fn len() -> usize {
    ACTIONS.len() + LEGEND.len()
}
