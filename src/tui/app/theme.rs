//! Colours by meaning. `NO_COLOR` (or `--color never`, `theme = "mono"`, or a terminal without
//! colours) keeps every distinction with modifiers only: bold, underline, dim, reversed. The
//! themes use the 16 ANSI colours, which every colour terminal has; the one finer shade is
//! picked by what `TERM`/`COLORTERM` say the terminal can show.
//!
//! Whether to colour at all is decided here once (`Colours::choose`), from `--color` and the
//! environment: the flag wins over `NO_COLOR`, as ripgrep's and git's do.

use ratatui::style::{Color, Modifier, Style};

use super::filetree::Status;

/// What the terminal can show, from the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colours {
    /// `NO_COLOR`, or a terminal without colour (`TERM=dumb`, `vt100`, `vt220`, ...).
    None,
    /// The 16 ANSI colours (`TERM=xterm`, `linux`, `screen`, ...).
    Ansi16,
    /// `TERM=*-256color`.
    Ansi256,
    /// `COLORTERM=truecolor` or `24bit`, or `TERM=*-direct`.
    TrueColor,
}

/// `--color`: colour or not, whatever the environment says (`Always`, `Never`), or as it says
/// (`Auto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Colour unless `NO_COLOR` is set or `TERM` names a terminal without colour.
    #[default]
    Auto,
    /// Colour, even with `NO_COLOR` set or `TERM=dumb`: the finest the terminal is said to
    /// show, at least the 16 ANSI colours.
    Always,
    /// No colour, as with `NO_COLOR`.
    Never,
}

impl Colours {
    /// The colours to draw with: the environment's (`from_env`) as `choice` allows.
    pub fn choose(
        choice: ColorChoice,
        no_color: bool,
        term: Option<&str>,
        colorterm: Option<&str>,
    ) -> Colours {
        match choice {
            ColorChoice::Never => Colours::None,
            ColorChoice::Auto => Colours::from_env(no_color, term, colorterm),
            ColorChoice::Always => match Colours::from_env(false, term, colorterm) {
                Colours::None => Colours::Ansi16,
                c => c,
            },
        }
    }

    pub fn from_env(no_color: bool, term: Option<&str>, colorterm: Option<&str>) -> Colours {
        let term = term.unwrap_or("");
        if no_color {
            Colours::None
        } else if matches!(colorterm, Some("truecolor" | "24bit")) || term.ends_with("-direct") {
            Colours::TrueColor
        } else if term.contains("256col") {
            Colours::Ansi256
        } else if term == "dumb"
            || (["vt1", "vt2", "vt5"].iter().any(|p| term.starts_with(p))
                && !term.contains("color"))
        {
            Colours::None
        } else {
            Colours::Ansi16
        }
    }
}

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
    /// The waste causes, in `WasteCause::ALL` order (overwritten, copy-up, removed,
    /// duplicate, cache): the Image panel's bars, the size bars, the treemap.
    pub bar: [Style; 5],
    /// What fills the causes' bytes in the size bars and the treemap: a block in colour,
    /// a pattern of its own per cause without colour, so that mono still tells them apart.
    pub waste_fill: [char; 5],
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
            waste_fill: ['█'; 5],
        }
    }

    /// Dark text on a light background. Modified files want a dark yellow, which only
    /// 256-colour and true-colour terminals have; with 16 colours they get ANSI yellow, which
    /// light schemes draw dark enough.
    pub fn light(colours: Colours) -> Theme {
        let dark_yellow = match colours {
            Colours::TrueColor => Color::Rgb(150, 100, 0),
            Colours::Ansi256 => Color::Indexed(136),
            Colours::Ansi16 | Colours::None => Color::Yellow,
        };
        Theme {
            name: "light",
            added: Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
            modified: Style::new().fg(dark_yellow),
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
            waste_fill: ['▓', '▒', '░', '╳', '='],
        }
    }

    fn named(mut self, name: &'static str) -> Theme {
        self.name = name;
        self
    }

    /// The theme called `name`, in the colours the terminal has: without any (`NO_COLOR`, a
    /// terminal without colour) every theme is mono. An unknown name is `None`.
    pub fn by_name(name: Option<&str>, colours: Colours) -> Option<Theme> {
        let theme = match name.unwrap_or("dark") {
            "dark" | "default" => Theme::dark(),
            "light" => Theme::light(colours),
            "mono" => Theme::mono(),
            _ => return None,
        };
        Some(if colours == Colours::None {
            Theme::mono()
        } else {
            theme
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_color_flag_wins_over_the_environment() {
        let choose = |c, no_color, term| Colours::choose(c, no_color, Some(term), None);
        // auto: the environment decides.
        assert_eq!(
            choose(ColorChoice::Auto, false, "xterm-256color"),
            Colours::Ansi256
        );
        assert_eq!(
            choose(ColorChoice::Auto, true, "xterm-256color"),
            Colours::None
        );
        assert_eq!(choose(ColorChoice::Auto, false, "dumb"), Colours::None);
        // never: no colour, whatever the terminal can show.
        assert_eq!(
            choose(ColorChoice::Never, false, "xterm-256color"),
            Colours::None
        );
        // always: NO_COLOR and a colourless TERM are overruled, the finest shade kept.
        assert_eq!(
            choose(ColorChoice::Always, true, "xterm-256color"),
            Colours::Ansi256
        );
        assert_eq!(choose(ColorChoice::Always, true, "dumb"), Colours::Ansi16);
        assert_eq!(
            Colours::choose(ColorChoice::Always, true, None, Some("truecolor")),
            Colours::TrueColor
        );
        // The theme follows: never is mono whatever the theme, always keeps the theme's colours.
        let never = Theme::by_name(Some("dark"), choose(ColorChoice::Never, false, "xterm"));
        assert_eq!(never.map(|t| t.name), Some("mono"));
        let always = Theme::by_name(Some("dark"), choose(ColorChoice::Always, true, "xterm"));
        assert_eq!(always.map(|t| t.name), Some("dark"));
    }
}
