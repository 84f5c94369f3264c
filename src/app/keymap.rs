//! Keys are data: a compiled-in default TOML merged with the user's `[keys]` table. The help
//! popup and the footer are generated from it, so they never disagree with what keys do.

use std::collections::HashMap;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const DEFAULT: &str = include_str!("keymap.toml");

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
    Filter,
    Mode,
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
        Action::Filter,
        "filter",
        "filter paths (text, glob or regex)",
    ),
    (Action::Mode, "mode", "files: layer / merged / final"),
    (Action::Sort, "sort", "sort: name / size / delta"),
    (Action::SizeFloor, "size_floor", "only entries over a size"),
    (Action::HideAdded, "hide_added", "hide added"),
    (Action::HideModified, "hide_modified", "hide modified"),
    (Action::HideRemoved, "hide_removed", "hide removed"),
    (Action::HideUnchanged, "hide_unchanged", "hide unchanged"),
    (Action::Waste, "waste", "jump to the next biggest waste"),
    (
        Action::Extract,
        "extract",
        "extract selection to a directory",
    ),
    (Action::Diff, "diff", "diff file with its previous version"),
    (Action::History, "history", "layers that touched this path"),
    (Action::Config, "config", "image config and history"),
    (Action::Hints, "hints", "advice: hints with evidence"),
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
    by_key: HashMap<Key, Action>,
    by_action: HashMap<Action, Vec<Key>>,
}

#[derive(serde::Deserialize, Default)]
struct KeysFile {
    #[serde(default)]
    keys: HashMap<String, Vec<String>>,
}

impl Keymap {
    /// The defaults, with `user` (the `[keys]` table of a config file) on top. Unknown action
    /// names and unparsable keys are reported, not fatal.
    pub fn new(user: Option<&toml::Table>) -> (Keymap, Vec<String>) {
        let mut warnings = Vec::new();
        let defaults: KeysFile = toml::from_str(DEFAULT).unwrap_or_default();
        let mut table = defaults.keys;
        if let Some(user) = user {
            for (name, value) in user {
                let keys: Option<Vec<String>> = match value {
                    toml::Value::String(s) => Some(vec![s.clone()]),
                    toml::Value::Array(a) => {
                        a.iter().map(|v| v.as_str().map(str::to_string)).collect()
                    }
                    _ => None,
                };
                match keys {
                    // Unbinding quit would leave Ctrl-C (hard-wired) as the only way out,
                    // unadvertised: surely not what the user meant.
                    Some(keys) if name == "quit" && keys.is_empty() => warnings
                        .push("[keys] quit: needs at least one key (e.g. quit = [\"q\"])".into()),
                    Some(keys) if ACTIONS.iter().any(|(_, n, _)| n == name) => {
                        table.insert(name.clone(), keys);
                    }
                    Some(_) => warnings.push(format!("unknown action '{name}' in [keys]")),
                    None => {
                        warnings.push(format!("[keys] {name}: expected a key or a list of keys"))
                    }
                }
            }
        }
        let mut by_key = HashMap::new();
        let mut by_action: HashMap<Action, Vec<Key>> = HashMap::new();
        for (action, name, _) in ACTIONS {
            for k in table.get(*name).into_iter().flatten() {
                match Key::parse(k) {
                    Some(key) => {
                        by_key.insert(key, *action);
                        by_action.entry(*action).or_default().push(key);
                    }
                    None => warnings.push(format!("[keys] {name}: unknown key '{k}'")),
                }
            }
        }
        (Keymap { by_key, by_action }, warnings)
    }

    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        self.by_key.get(&Key::from_event(ev)).copied()
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
        assert_eq!(warnings, vec!["unknown action 'bogus' in [keys]"]);
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(km.action(&q), None);
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
                vec!["[keys] quit: needs at least one key (e.g. quit = [\"q\"])"]
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
