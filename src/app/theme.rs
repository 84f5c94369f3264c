//! Colours by meaning. `NO_COLOR` (or `theme = "mono"`) keeps every distinction with
//! modifiers only: bold, underline, dim, reversed.

use ratatui::style::{Color, Modifier, Style};

use super::filetree::Status;

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: &'static str,
    pub added: Style,
    pub modified: Style,
    pub metadata: Style,
    pub removed: Style,
    pub unchanged: Style,
    pub dim: Style,
    pub title: Style,
    pub focus_border: Style,
    pub border: Style,
    pub selected: Style,
    /// The cursor of a panel without the focus.
    pub selected_unfocused: Style,
    pub key: Style,
    pub warn: Style,
    pub bar: [Style; 5],
}

impl Theme {
    pub fn dark() -> Theme {
        Theme {
            name: "dark",
            added: Style::new().fg(Color::Green),
            modified: Style::new().fg(Color::Yellow),
            metadata: Style::new().fg(Color::Cyan),
            removed: Style::new().fg(Color::Red),
            unchanged: Style::new(),
            dim: Style::new().fg(Color::DarkGray),
            title: Style::new().add_modifier(Modifier::BOLD),
            focus_border: Style::new().fg(Color::LightBlue),
            border: Style::new().fg(Color::DarkGray),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            selected_unfocused: Style::new().add_modifier(Modifier::UNDERLINED),
            key: Style::new()
                .fg(Color::LightBlue)
                .add_modifier(Modifier::BOLD),
            warn: Style::new().fg(Color::LightRed),
            bar: [
                Style::new().fg(Color::Yellow),
                Style::new().fg(Color::Cyan),
                Style::new().fg(Color::Red),
                Style::new().fg(Color::Magenta),
                Style::new().fg(Color::Blue),
            ],
        }
    }

    pub fn light() -> Theme {
        Theme {
            name: "light",
            added: Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
            modified: Style::new().fg(Color::Rgb(150, 100, 0)),
            metadata: Style::new().fg(Color::Blue),
            removed: Style::new().fg(Color::Red),
            dim: Style::new().fg(Color::Gray),
            focus_border: Style::new().fg(Color::Blue),
            border: Style::new().fg(Color::Gray),
            key: Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
            warn: Style::new().fg(Color::Red),
            ..Theme::dark()
        }
        .named("light")
    }

    pub fn mono() -> Theme {
        let plain = Style::new();
        Theme {
            name: "mono",
            added: plain.add_modifier(Modifier::BOLD),
            modified: plain.add_modifier(Modifier::UNDERLINED),
            metadata: plain.add_modifier(Modifier::ITALIC),
            removed: plain.add_modifier(Modifier::CROSSED_OUT),
            unchanged: plain,
            dim: plain.add_modifier(Modifier::DIM),
            title: plain.add_modifier(Modifier::BOLD),
            focus_border: plain.add_modifier(Modifier::BOLD),
            border: plain,
            selected: plain.add_modifier(Modifier::REVERSED),
            // Underline is "modified" here.
            selected_unfocused: plain.add_modifier(Modifier::REVERSED | Modifier::DIM),
            key: plain.add_modifier(Modifier::BOLD),
            warn: plain.add_modifier(Modifier::BOLD),
            bar: [plain; 5],
        }
    }

    fn named(mut self, name: &'static str) -> Theme {
        self.name = name;
        self
    }

    /// The theme called `name`; `no_color` (the `NO_COLOR` convention) always wins.
    pub fn by_name(name: Option<&str>, no_color: bool) -> Option<Theme> {
        if no_color {
            return Some(Theme::mono());
        }
        match name.unwrap_or("dark") {
            "dark" | "default" => Some(Theme::dark()),
            "light" => Some(Theme::light()),
            "mono" => Some(Theme::mono()),
            _ => None,
        }
    }

    pub fn status(&self, s: Status) -> Style {
        match s {
            Status::Added => self.added,
            Status::Modified => self.modified,
            Status::MetadataOnly => self.metadata,
            Status::Removed => self.removed,
            Status::Unchanged => self.unchanged,
        }
    }
}
