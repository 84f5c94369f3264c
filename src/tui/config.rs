//! The user's settings for the terminal program: `config.toml` (`dirs::config_dir()/strata/`,
//! or `$STRATA_CONFIG`) gives the keys, the theme and the mode an image opens in; `--color`
//! and the environment (`NO_COLOR`, `TERM`, `COLORTERM`) give the colours a terminal can show.
//!
//! Every problem with the file names it and the line (`config.toml:3: unknown action 'quitt'
//! in [keys]`), and the column too for TOML syntax.

use std::collections::HashMap;
use std::path::PathBuf;

use super::app::filetree::FileMode;
use super::app::keymap::Keymap;
use super::app::theme::{ColorChoice, Colours, Theme};

/// User settings from `config.toml`.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub keys: Option<toml::Table>,
    pub theme: Option<String>,
    /// The files panel's mode when an image opens: `layer` (default), `merged`, `final`.
    pub mode: Option<toml::Value>,
    /// The file the settings were read from, and the lines of its entries, to say where a
    /// problem is; settings made in code have none.
    pub source: Option<Source>,
}

/// Where settings came from: the file and the line of each entry that may be refused.
#[derive(Debug, Clone, Default)]
pub struct Source {
    pub path: PathBuf,
    /// `theme`, `mode`, and each `[keys]` entry as `keys.NAME`, with its 1-based line.
    pub lines: HashMap<String, usize>,
}

/// How the explorer looks and answers keys, from the settings.
#[derive(Debug, Clone)]
pub struct UiConfig {
    pub keymap: Keymap,
    pub theme: Theme,
    pub mode: FileMode,
    /// The colours the terminal is drawn in (`--color` and the environment): the terminal
    /// writer is told too, since crossterm reads `NO_COLOR` on its own.
    pub colours: Colours,
}

/// A place in the config file: `PATH:LINE[:COLUMN]`, or `config` for settings that were not
/// read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub path: Option<PathBuf>,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.path {
            Some(path) => write!(f, "{}", path.display())?,
            None => f.write_str("config")?,
        }
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// A config file that cannot be used, named (with the line) with what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read. The default path missing is no error; `$STRATA_CONFIG`
    /// (`named`) naming a missing file is.
    #[error("{}: cannot read the config file{}: {source}", path.display(), if *named { " (named by $STRATA_CONFIG)" } else { "" })]
    Read {
        path: PathBuf,
        named: bool,
        #[source]
        source: std::io::Error,
    },
    /// Not TOML.
    #[error("{at}: {message}")]
    Parse { at: Place, message: String },
    /// A `[keys]` entry the keymap cannot take.
    #[error("{at}: {message}")]
    Keys { at: Place, message: String },
    #[error("{at}: unknown theme '{name}' (dark, light, mono)")]
    Theme { at: Place, name: String },
    #[error("{at}: unknown mode {value} (\"layer\", \"merged\", \"final\")")]
    Mode { at: Place, value: toml::Value },
}

/// Reads `dirs::config_dir()/strata/config.toml`, or the file `$STRATA_CONFIG` names. The
/// default file missing is fine; a file `$STRATA_CONFIG` names must be there, and a broken
/// one is an error that names it.
pub fn load_settings() -> Result<Settings, ConfigError> {
    // An empty variable is an unset one, as for `NO_COLOR`.
    match std::env::var_os("STRATA_CONFIG").filter(|p| !p.is_empty()) {
        Some(p) => settings_from(PathBuf::from(p), true),
        None => match dirs::config_dir() {
            Some(d) => settings_from(d.join("strata").join("config.toml"), false),
            None => Ok(Settings::default()),
        },
    }
}

/// Reads the config file at `path`; `named`: the user named it (`$STRATA_CONFIG`), so it must
/// exist.
pub fn settings_from(path: PathBuf, named: bool) -> Result<Settings, ConfigError> {
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => {
            return Ok(Settings::default())
        }
        Err(source) => {
            return Err(ConfigError::Read {
                path,
                named,
                source,
            })
        }
    };
    settings_of(&text, path)
}

/// The settings in `text`, the content of the file at `path`.
pub fn settings_of(text: &str, path: PathBuf) -> Result<Settings, ConfigError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let (line, column) = match e.span() {
            Some(span) => {
                let (line, column) = line_and_column(text, span.start);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        ConfigError::Parse {
            at: Place {
                path: Some(path.clone()),
                line,
                column,
            },
            message: e.message().trim_end().to_string(),
        }
    })?;
    Ok(Settings {
        keys: table.get("keys").and_then(|k| k.as_table()).cloned(),
        theme: table
            .get("theme")
            .and_then(|t| t.as_str())
            .map(str::to_string),
        mode: table.get("mode").cloned(),
        source: Some(Source {
            lines: entry_lines(text),
            path,
        }),
    })
}

/// The line of `theme`, `mode` and each `[keys]` entry (as `keys.NAME`), from the spans the
/// TOML parser keeps.
fn entry_lines(text: &str) -> HashMap<String, usize> {
    let mut lines = HashMap::new();
    let Ok(doc) = toml::de::DeTable::parse(text) else {
        return lines;
    };
    let line_of = |span: std::ops::Range<usize>| line_and_column(text, span.start).0;
    for (key, value) in doc.get_ref() {
        let name: &str = key.get_ref();
        match (name, value.get_ref()) {
            ("keys", toml::de::DeValue::Table(keys)) => {
                for (entry, _) in keys {
                    let name: &str = entry.get_ref();
                    lines.insert(format!("keys.{name}"), line_of(entry.span()));
                }
            }
            ("theme" | "mode", _) => {
                lines.insert(name.to_string(), line_of(key.span()));
            }
            _ => {}
        }
    }
    lines
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Keymap, theme and starting mode from settings and the environment (`--color auto`).
pub fn ui_config(settings: &Settings) -> Result<UiConfig, ConfigError> {
    ui_config_with(settings, ColorChoice::Auto)
}

/// `ui_config` with `--color` as `color` says: `never` makes every theme mono, `always`
/// colours whatever `NO_COLOR` and `TERM` say. A `theme = "mono"` stays mono.
pub fn ui_config_with(settings: &Settings, color: ColorChoice) -> Result<UiConfig, ConfigError> {
    let at = |entry: &str| Place {
        path: settings.source.as_ref().map(|s| s.path.clone()),
        line: settings
            .source
            .as_ref()
            .and_then(|s| s.lines.get(entry).copied()),
        column: None,
    };
    let (keymap, problems) = Keymap::new(settings.keys.as_ref());
    if let Some(problem) = problems.into_iter().next() {
        let entry = problem
            .entry
            .map(|e| format!("keys.{e}"))
            .unwrap_or_default();
        return Err(ConfigError::Keys {
            at: at(&entry),
            message: problem.message,
        });
    }
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let term = std::env::var("TERM").ok();
    let colorterm = std::env::var("COLORTERM").ok();
    let colours = Colours::choose(color, no_color, term.as_deref(), colorterm.as_deref());
    let theme =
        Theme::by_name(settings.theme.as_deref(), colours).ok_or_else(|| ConfigError::Theme {
            at: at("theme"),
            name: settings.theme.clone().unwrap_or_default(),
        })?;
    let mode = match &settings.mode {
        None => FileMode::Layer,
        Some(value) => {
            value
                .as_str()
                .and_then(FileMode::by_name)
                .ok_or_else(|| ConfigError::Mode {
                    at: at("mode"),
                    value: value.clone(),
                })?
        }
    };
    Ok(UiConfig {
        keymap,
        theme,
        mode,
        colours,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error line for a config file holding `text`.
    fn problem(text: &str) -> String {
        let path = PathBuf::from("/home/u/.config/strata/config.toml");
        match settings_of(text, path).and_then(|s| ui_config(&s)) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn every_problem_names_the_file_and_the_line() {
        let file = "/home/u/.config/strata/config.toml";
        let cases = [
            (
                "theme = \"mono\"\n\n[keys]\nquitt = [\"x\"]\n",
                ":4: unknown action 'quitt' in [keys]",
            ),
            (
                "[keys]\nquit = [\"not-a-key\"]\n",
                ":2: [keys] quit: unknown key 'not-a-key'",
            ),
            (
                "[keys]\n\nquit = []\n",
                ":3: [keys] quit: needs at least one key (e.g. quit = [\"q\"])",
            ),
            (
                "keys.help = 3\n",
                ":1: [keys] help: expected a key or a list of keys",
            ),
            (
                "keys = { up = \"x\",\n  down = \"x\" }\n",
                ":2: [keys] 'x' is bound to both up and down",
            ),
            (
                "[keys]\npreset = \"vim\"\n",
                ":2: [keys] preset: unknown preset \"vim\" (\"strata\" or \"dive\")",
            ),
            (
                "# colours\ntheme = \"neon\"\n",
                ":2: unknown theme 'neon' (dark, light, mono)",
            ),
            (
                "\n\n\nmode = 2\n",
                ":4: unknown mode 2 (\"layer\", \"merged\", \"final\")",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(problem(text), format!("{file}{want}"), "{text:?}");
        }
        // TOML syntax: the line and the column the parser points at.
        let e = problem("theme = \"mono\"\n[keys]\nquit = [\"q\"\n");
        assert_eq!(e, format!("{file}:3:12: unclosed array, expected `]`"));
        let e = problem("theme = mono\n");
        assert!(e.starts_with(&format!("{file}:1:9: ")), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
        // A good file is no problem.
        assert_eq!(problem("theme = \"mono\"\n[keys]\nquit = [\"Q\"]\n"), "");
    }

    #[test]
    fn only_a_default_path_may_be_missing() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let missing = dir.path().join("config.toml");
        assert!(settings_from(missing.clone(), false).is_ok_and(|s| s.source.is_none()));
        let e = settings_from(missing.clone(), true)
            .map(|_| ())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: cannot read the config file (named by $STRATA_CONFIG): No such file or \
                 directory (os error 2)",
                missing.display()
            )
        );
        // A directory where the file should be: refused, named or not.
        for named in [false, true] {
            let e = settings_from(dir.path().to_path_buf(), named).map(|_| ());
            assert!(
                matches!(e, Err(ConfigError::Read { ref path, .. }) if path == dir.path()),
                "{e:?}"
            );
        }
    }

    #[test]
    fn settings_made_in_code_say_config() {
        let settings = Settings {
            theme: Some("neon".into()),
            ..Settings::default()
        };
        let e = ui_config(&settings).map(|_| ()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "config: unknown theme 'neon' (dark, light, mono)"
        );
    }

    #[test]
    fn offsets_become_lines_and_columns() {
        let text = "ab\ncdé\nf";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 3), (2, 1));
        assert_eq!(line_and_column(text, 7), (2, 4));
        assert_eq!(line_and_column(text, 8), (3, 1));
        assert_eq!(line_and_column(text, 100), (3, 2));
    }
}
