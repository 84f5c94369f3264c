//! Where a key becomes what it means, once for every screen: `Ctrl-C` quits from anywhere
//! (the one way out a user's keymap cannot take away), a line being typed (the filter, a
//! prompt) takes editing keys, and everything else goes through the keymap for the focused
//! panel. The screens only ever see an `Input`.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::keymap::{Action, Keymap, Scope};

/// One edit of a line being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Push(char),
    Pop,
    /// Enter: keep what was typed.
    Submit,
    /// Esc: drop it.
    Cancel,
}

/// What a key means where it was pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// `Ctrl-C`: leave strata now, whatever is open.
    ForceQuit,
    Action(Action),
    Edit(Edit),
    /// Esc with nothing to edit: closes what is open.
    Back,
    /// A key that means nothing here, or a plain character where a yes/no is asked.
    Other(KeyEvent),
}

/// Where the key was pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// A line is being typed.
    Typing,
    /// A panel has the keys; `scope` picks between two actions on one key.
    Keys(Option<Scope>),
    /// A popup is open: Esc closes it, whatever the keymap binds Esc to.
    Popup,
}

/// The meaning of `key` in `context`.
pub fn input(key: &KeyEvent, keymap: &Keymap, context: Context) -> Input {
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return Input::ForceQuit;
    }
    match context {
        Context::Typing => match key.code {
            KeyCode::Enter => Input::Edit(Edit::Submit),
            KeyCode::Esc => Input::Edit(Edit::Cancel),
            KeyCode::Backspace => Input::Edit(Edit::Pop),
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                Input::Edit(Edit::Push(c))
            }
            _ => Input::Other(*key),
        },
        Context::Popup if key.code == KeyCode::Esc => Input::Back,
        Context::Popup => match keymap.action(key) {
            Some(a) => Input::Action(a),
            None => Input::Other(*key),
        },
        Context::Keys(scope) => {
            let action = match scope {
                Some(scope) => keymap.action_in(key, scope),
                None => keymap.action(key),
            };
            match action {
                Some(a) => Input::Action(a),
                None if key.code == KeyCode::Esc => Input::Back,
                None => Input::Other(*key),
            }
        }
    }
}

impl Input {
    /// Whether this closes a popup: Esc or the quit action.
    pub fn closes(self) -> bool {
        matches!(self, Input::Back | Input::Action(Action::Quit))
    }

    pub fn action(self) -> Option<Action> {
        match self {
            Input::Action(a) => Some(a),
            _ => None,
        }
    }
}
