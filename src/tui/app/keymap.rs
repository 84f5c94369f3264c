//! Keys are data: a compiled-in default TOML merged with the user's `[keys]` table. The help
//! popup and the footer are generated from it, so they never disagree with what keys do.

use std::collections::HashMap;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const DEFAULT: &str = include_str!("keymap.toml");
/// `[keys] preset = "dive"`: dive 0.13's bindings, for muscle memory.
const DIVE: &str = include_str!("keymap-dive.toml");

/// The panel an action belongs to. One key may carry two actions of different panels (dive's
/// Ctrl-A: aggregated view in the layers panel, hide added files in the files panel); the
/// focused panel decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Layers,
    Files,
}

impl Action {
    /// `None`: the action means the same from any panel, so its key can carry nothing else.
    pub fn scope(self) -> Option<Scope> {
        match self {
            Action::ModeLayer | Action::ModeMerged | Action::ModeFinal => Some(Scope::Layers),
            Action::Toggle
            | Action::Collapse
            | Action::Expand
            | Action::CollapseAll
            | Action::ExpandAll
            | Action::ToggleAll
            | Action::HideAdded
            | Action::HideModified
            | Action::HideRemoved
            | Action::HideUnchanged
            | Action::Extract
            | Action::Diff
            | Action::History => Some(Scope::Files),
            _ => None,
        }
    }
}

/// Everything a key can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Help,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    NextPanel,
    PrevPanel,
    PrevLayer,
    NextLayer,
    Open,
    Toggle,
    Collapse,
    Expand,
    CollapseAll,
    ExpandAll,
    ToggleAll,
    Filter,
    Mode,
    ModeLayer,
    ModeMerged,
    ModeFinal,
    Sort,
    SizeFloor,
    HideAdded,
    HideModified,
    HideRemoved,
    HideUnchanged,
    Waste,
    Extract,
    Diff,
    History,
    Config,
    Hints,
    Packages,
    /// Give the focused panel the whole screen, or back.
    Zoom,
    /// The previous of the biggest wasted paths (`w` goes forward).
    WastePrev,
    /// Copy the selected path to the clipboard, through the terminal (OSC 52).
    Copy,
    /// The next / previous path containing the last filter text, the filter as it is.
    SearchNext,
    SearchPrev,
    /// Cycle the Files panel's size bars: share of the parent, of the whole, off.
    SizeBars,
    /// The treemap of the selected directory.
    Treemap,
}

/// Every action with its config name and description, in help order.
pub const ACTIONS: &[(Action, &str, &str)] = &[
    (Action::Up, "up", "move up"),
    (Action::Down, "down", "move down"),
    (Action::PageUp, "page_up", "page up"),
    (Action::PageDown, "page_down", "page down"),
    (Action::Top, "top", "first row"),
    (Action::Bottom, "bottom", "last row"),
    (Action::NextPanel, "next_panel", "next panel"),
    (Action::PrevPanel, "prev_panel", "previous panel"),
    (
        Action::PrevLayer,
        "prev_layer",
        "previous layer (from any panel)",
    ),
    (
        Action::NextLayer,
        "next_layer",
        "next layer (from any panel)",
    ),
    (Action::Open, "open", "open file / expand dir / jump"),
    (Action::Toggle, "toggle", "collapse or expand dir"),
    (Action::Collapse, "collapse", "collapse dir"),
    (Action::Expand, "expand", "expand dir"),
    (Action::CollapseAll, "collapse_all", "collapse all"),
    (Action::ExpandAll, "expand_all", "expand all"),
    (
        Action::ToggleAll,
        "toggle_all",
        "collapse all, or expand all if all are",
    ),
    (
        Action::Filter,
        "filter",
        "filter paths (text, glob or regex)",
    ),
    (Action::Mode, "mode", "files: layer / merged / final"),
    (
        Action::ModeLayer,
        "mode_layer",
        "files: this layer's changes",
    ),
    (
        Action::ModeMerged,
        "mode_merged",
        "files: all layers up to this one",
    ),
    (Action::ModeFinal, "mode_final", "files: the final image"),
    (Action::Sort, "sort", "sort: name / size / delta"),
    (Action::SizeFloor, "size_floor", "only entries over a size"),
    (Action::HideAdded, "hide_added", "hide added"),
    (Action::HideModified, "hide_modified", "hide modified"),
    (Action::HideRemoved, "hide_removed", "hide removed"),
    (Action::HideUnchanged, "hide_unchanged", "hide unchanged"),
    (Action::Waste, "waste", "jump to the next biggest waste"),
    (
        Action::WastePrev,
        "waste_prev",
        "jump to the previous biggest waste",
    ),
    (
        Action::SearchNext,
        "search_next",
        "next path containing the last filter text (kept after the filter is cleared)",
    ),
    (
        Action::SearchPrev,
        "search_prev",
        "previous path containing the last filter text",
    ),
    (
        Action::Copy,
        "copy",
        "copy the selected path to the clipboard (OSC 52: works over ssh)",
    ),
    (
        Action::Extract,
        "extract",
        "extract selection to a directory",
    ),
    (Action::Diff, "diff", "diff file with its previous version"),
    (Action::History, "history", "layers that touched this path"),
    (Action::Config, "config", "image config and history"),
    (Action::Hints, "hints", "advice: hints with evidence"),
    (
        Action::Packages,
        "packages",
        "packages by size; Enter shows a package's files",
    ),
    (
        Action::SizeBars,
        "size_bars",
        "size bars: share of the directory / of the whole / off",
    ),
    (
        Action::Treemap,
        "treemap",
        "treemap of the directory (Enter: into, Backspace: up)",
    ),
    (
        Action::Zoom,
        "zoom",
        "give the focused panel the whole screen (again: back)",
    ),
    (Action::Help, "help", "this help"),
    (Action::Quit, "quit", "quit"),
];

/// A key as the keymap names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub fn from_event(ev: &KeyEvent) -> Key {
        // Shift is folded into the character (`G`, `?`); only BackTab keeps it as a code.
        Key {
            code: ev.code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        }
    }

    pub fn parse(s: &str) -> Option<Key> {
        let (ctrl, alt, rest) = if let Some(r) = s.strip_prefix("ctrl-") {
            (true, false, r)
        } else if let Some(r) = s.strip_prefix("alt-") {
            (false, true, r)
        } else {
            (false, false, s)
        };
        let code = match rest {
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "enter" => KeyCode::Enter,
            "space" => KeyCode::Char(' '),
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "esc" => KeyCode::Esc,
            "backspace" => KeyCode::Backspace,
            "delete" => KeyCode::Delete,
            f if f.len() > 1 && f.starts_with('f') => KeyCode::F(f[1..].parse().ok()?),
            c if c.chars().count() == 1 => KeyCode::Char(c.chars().next()?),
            _ => return None,
        };
        Some(Key { code, ctrl, alt })
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Char(' ') => "Space".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Backspace => "Bksp".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Char(c) => c.to_string(),
            _ => "?".into(),
        };
        match (self.ctrl, self.alt) {
            (true, _) => format!("^{base}"),
            (_, true) => format!("M-{base}"),
            _ => base,
        }
    }
}

/// Bindings both ways.
#[derive(Debug, Clone)]
pub struct Keymap {
    /// A key's actions in binding order; two only when their panels differ.
    by_key: HashMap<Key, Vec<Action>>,
    by_action: HashMap<Action, Vec<Key>>,
}

/// Something wrong with the user's `[keys]`: `entry` names the entry it is about (the action's
/// name, or `preset`), so the config file can say on which line; none for a problem of the
/// built-in tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyProblem {
    pub entry: Option<String>,
    pub message: String,
}

impl KeyProblem {
    fn at(entry: &str, message: String) -> KeyProblem {
        KeyProblem {
            entry: Some(entry.to_string()),
            message,
        }
    }
}

impl std::fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[derive(serde::Deserialize, Default)]
struct KeysFile {
    #[serde(default)]
    keys: HashMap<String, Vec<String>>,
}

fn table_of(text: &str) -> HashMap<String, Vec<String>> {
    toml::from_str::<KeysFile>(text)
        .map(|f| f.keys)
        .unwrap_or_default()
}

impl Keymap {
    /// The defaults (or the preset the user names with `preset = "dive"`), with `user` (the
    /// `[keys]` table of a config file) on top: a key the user binds leaves the action the
    /// defaults gave it. Unknown action names, unparsable keys and a key bound to two actions
    /// of the same panel are reported, not fatal.
    pub fn new(user: Option<&toml::Table>) -> (Keymap, Vec<KeyProblem>) {
        let mut warnings = Vec::new();
        let mut base = table_of(DEFAULT);
        let mut mine: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in user.into_iter().flatten() {
            if name == "preset" {
                match value.as_str() {
                    Some("dive") => base = table_of(DIVE),
                    Some("strata") => {}
                    _ => warnings.push(KeyProblem::at(
                        name,
                        format!("[keys] preset: unknown preset {value} (\"strata\" or \"dive\")"),
                    )),
                }
                continue;
            }
            let keys: Option<Vec<String>> = match value {
                toml::Value::String(s) => Some(vec![s.clone()]),
                toml::Value::Array(a) => a.iter().map(|v| v.as_str().map(str::to_string)).collect(),
                _ => None,
            };
            match keys {
                // Unbinding quit would leave Ctrl-C (hard-wired) as the only way out,
                // unadvertised: surely not what the user meant.
                Some(keys) if name == "quit" && keys.is_empty() => warnings.push(KeyProblem::at(
                    name,
                    "[keys] quit: needs at least one key (e.g. quit = [\"q\"])".into(),
                )),
                Some(keys) if ACTIONS.iter().any(|(_, n, _)| n == name) => {
                    mine.insert(name.clone(), keys);
                }
                Some(_) => warnings.push(KeyProblem::at(
                    name,
                    format!("unknown action '{name}' in [keys]"),
                )),
                None => warnings.push(KeyProblem::at(
                    name,
                    format!("[keys] {name}: expected a key or a list of keys"),
                )),
            }
        }
        let parse = |name: &str, keys: &[String], warnings: &mut Vec<KeyProblem>| -> Vec<Key> {
            keys.iter()
                .filter_map(|k| {
                    let key = Key::parse(k);
                    if key.is_none() {
                        warnings.push(KeyProblem::at(
                            name,
                            format!("[keys] {name}: unknown key '{k}'"),
                        ));
                    }
                    key
                })
                .collect()
        };
        let mut taken = Vec::new();
        for (name, keys) in &mine {
            taken.extend(parse(name, keys, &mut warnings));
        }
        let mut by_key: HashMap<Key, Vec<Action>> = HashMap::new();
        let mut by_action: HashMap<Action, Vec<Key>> = HashMap::new();
        for (action, name, _) in ACTIONS {
            let keys = match mine.get(*name) {
                Some(keys) => parse(name, keys, &mut Vec::new()),
                None => {
                    let keys = base.remove(*name).unwrap_or_default();
                    let mut keys = parse(name, &keys, &mut warnings);
                    keys.retain(|k| !taken.contains(k));
                    keys
                }
            };
            for key in keys {
                let actions = by_key.entry(key).or_default();
                if let Some(other) = actions.iter().find(|a| {
                    a.scope().is_none() || action.scope().is_none() || a.scope() == action.scope()
                }) {
                    let other = name_of(*other);
                    // The user's entry that made the clash: this one, else the other.
                    let entry = [*name, other]
                        .into_iter()
                        .find(|n| mine.contains_key(*n))
                        .map(str::to_string);
                    warnings.push(KeyProblem {
                        entry,
                        message: format!(
                            "[keys] '{}' is bound to both {other} and {name}",
                            key.label()
                        ),
                    });
                    continue;
                }
                actions.push(*action);
                by_action.entry(*action).or_default().push(key);
            }
        }
        (Keymap { by_key, by_action }, warnings)
    }

    /// The key's action, whatever the panel: the first it is bound to.
    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        self.by_key
            .get(&Key::from_event(ev))
            .and_then(|a| a.first())
            .copied()
    }

    /// The key's action with `focus` on a panel: that panel's action when the key carries
    /// one for each panel.
    pub fn action_in(&self, ev: &KeyEvent, focus: Scope) -> Option<Action> {
        let actions = self.by_key.get(&Key::from_event(ev))?;
        actions
            .iter()
            .find(|a| a.scope() == Some(focus))
            .or(actions.first())
            .copied()
    }

    /// The labels of an action's keys, e.g. `"↑/k"`.
    pub fn keys_of(&self, action: Action) -> String {
        self.by_action
            .get(&action)
            .map(|ks| ks.iter().map(Key::label).collect::<Vec<_>>().join("/"))
            .unwrap_or_default()
    }

    /// The first key of an action, for the footer.
    pub fn first_key(&self, action: Action) -> String {
        self.by_action
            .get(&action)
            .and_then(|ks| ks.first())
            .map(Key::label)
            .unwrap_or_default()
    }
}

fn name_of(action: Action) -> &'static str {
    ACTIONS
        .iter()
        .find(|(a, _, _)| *a == action)
        .map(|(_, n, _)| *n)
        .unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_bind_every_action_and_users_can_rebind() {
        let (km, warnings) = Keymap::new(None);
        assert!(warnings.is_empty(), "{warnings:?}");
        for (action, name, _) in ACTIONS {
            assert!(!km.keys_of(*action).is_empty(), "{name} has no key");
        }
        let user: toml::Table =
            toml::from_str("quit = [\"Q\"]\nbogus = [\"z\"]\nhelp = \"ctrl-h\"").unwrap();
        let (km, warnings) = Keymap::new(Some(&user));
        assert_eq!(km.keys_of(Action::Quit), "Q");
        assert_eq!(km.keys_of(Action::Help), "^h");
        assert_eq!(
            warnings,
            vec![KeyProblem::at(
                "bogus",
                "unknown action 'bogus' in [keys]".into()
            )]
        );
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(km.action(&q), None);
    }

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn both_tables_bind_every_action_without_a_clash() {
        for preset in ["strata", "dive"] {
            let user: toml::Table = toml::from_str(&format!("preset = \"{preset}\"")).unwrap();
            let (km, warnings) = Keymap::new(Some(&user));
            assert!(warnings.is_empty(), "{preset}: {warnings:?}");
            for (action, name, _) in ACTIONS {
                assert!(
                    !km.keys_of(*action).is_empty(),
                    "{preset}: {name} has no key"
                );
            }
            // Each table lists every action once and nothing else.
            let table = table_of(if preset == "dive" { DIVE } else { DEFAULT });
            assert_eq!(table.len(), ACTIONS.len(), "{preset}");
        }
    }

    #[test]
    fn the_dive_preset_keys_do_what_they_do_in_dive() {
        let user: toml::Table = toml::from_str("preset = \"dive\"").unwrap();
        let (km, _) = Keymap::new(Some(&user));
        let ctrl = KeyModifiers::CONTROL;
        let none = KeyModifiers::NONE;
        let ctrl_a = ev(KeyCode::Char('a'), ctrl);
        assert_eq!(
            km.action_in(&ctrl_a, Scope::Layers),
            Some(Action::ModeMerged)
        );
        assert_eq!(km.action_in(&ctrl_a, Scope::Files), Some(Action::HideAdded));
        let cases = [
            (ev(KeyCode::Char('f'), ctrl), Action::Filter),
            (ev(KeyCode::Char('l'), ctrl), Action::ModeLayer),
            (ev(KeyCode::Char(' '), ctrl), Action::ToggleAll),
            (ev(KeyCode::Char(' '), none), Action::Toggle),
            (ev(KeyCode::Char('r'), ctrl), Action::HideRemoved),
            (ev(KeyCode::Char('u'), ctrl), Action::HideUnchanged),
            (ev(KeyCode::Char('e'), ctrl), Action::Extract),
            (ev(KeyCode::Char('u'), none), Action::PageUp),
            (ev(KeyCode::Char('d'), none), Action::PageDown),
            (ev(KeyCode::Char('h'), none), Action::Collapse),
            (ev(KeyCode::Char('l'), none), Action::Expand),
            (ev(KeyCode::Char('c'), ctrl), Action::Quit),
            (ev(KeyCode::Tab, none), Action::NextPanel),
        ];
        for (key, action) in cases {
            for scope in [Scope::Layers, Scope::Files] {
                assert_eq!(km.action_in(&key, scope), Some(action), "{key:?}");
            }
        }
        // strata's own keys moved out of dive's way.
        assert_eq!(km.keys_of(Action::Diff), "D");
        assert_eq!(km.keys_of(Action::History), "H");
        // The defaults page with Ctrl-F, as in less and vim.
        let (km, _) = Keymap::new(None);
        let ctrl_f = ev(KeyCode::Char('f'), ctrl);
        assert_eq!(km.action(&ctrl_f), Some(Action::PageDown));
    }

    #[test]
    fn a_users_key_leaves_the_action_that_had_it() {
        let user: toml::Table = toml::from_str("quit = [\"j\"]\npreset = \"dive\"").unwrap();
        let (km, warnings) = Keymap::new(Some(&user));
        assert!(warnings.is_empty(), "{warnings:?}");
        let j = ev(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(km.action_in(&j, Scope::Files), Some(Action::Quit));
        assert_eq!(km.keys_of(Action::Down), "↓");
        // Ctrl-A carried two actions; taking it for one panel's action frees it for both.
        let user: toml::Table = toml::from_str("preset = \"dive\"\nwaste = \"ctrl-a\"").unwrap();
        let (km, warnings) = Keymap::new(Some(&user));
        assert!(warnings.is_empty(), "{warnings:?}");
        let ctrl_a = ev(KeyCode::Char('a'), KeyModifiers::CONTROL);
        for scope in [Scope::Layers, Scope::Files] {
            assert_eq!(km.action_in(&ctrl_a, scope), Some(Action::Waste));
        }
        assert_eq!(km.keys_of(Action::HideAdded), "A");
    }

    #[test]
    fn a_key_for_two_actions_of_one_panel_and_an_unknown_preset_are_reported() {
        let user: toml::Table = toml::from_str("up = \"x\"\ndown = [\"x\"]").unwrap();
        let (_, warnings) = Keymap::new(Some(&user));
        // The user's later entry is the one named.
        assert_eq!(
            warnings,
            vec![KeyProblem::at(
                "down",
                "[keys] 'x' is bound to both up and down".into()
            )]
        );
        // Two panels' actions may share a key, as in dive.
        let user: toml::Table = toml::from_str("mode_final = \"z\"\nhistory = \"z\"").unwrap();
        let (km, warnings) = Keymap::new(Some(&user));
        assert!(warnings.is_empty(), "{warnings:?}");
        let z = ev(KeyCode::Char('z'), KeyModifiers::NONE);
        assert_eq!(km.action_in(&z, Scope::Layers), Some(Action::ModeFinal));
        assert_eq!(km.action_in(&z, Scope::Files), Some(Action::History));
        for preset in ["\"vim\"", "3"] {
            let user: toml::Table = toml::from_str(&format!("preset = {preset}")).unwrap();
            let (_, warnings) = Keymap::new(Some(&user));
            assert_eq!(
                warnings,
                vec![KeyProblem::at(
                    "preset",
                    format!("[keys] preset: unknown preset {preset} (\"strata\" or \"dive\")")
                )]
            );
        }
    }

    #[test]
    fn quit_cannot_be_left_without_a_key() {
        for config in ["quit = []", "[keys]\nquit = []"] {
            let table: toml::Table = toml::from_str(config).unwrap();
            let user = table
                .get("keys")
                .and_then(|k| k.as_table())
                .unwrap_or(&table);
            let (km, warnings) = Keymap::new(Some(user));
            assert_eq!(
                warnings,
                vec![KeyProblem::at(
                    "quit",
                    "[keys] quit: needs at least one key (e.g. quit = [\"q\"])".into()
                )]
            );
            assert_eq!(km.keys_of(Action::Quit), "q/^c", "the defaults stay");
        }
        // Other actions may be unbound.
        let user: toml::Table = toml::from_str("waste = []").unwrap();
        let (km, warnings) = Keymap::new(Some(&user));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(km.keys_of(Action::Waste), "");
    }
}
