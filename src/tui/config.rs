//! The user's settings for the terminal program: `config.toml` (`dirs::config_dir()/strata/`,
//! or `$STRATA_CONFIG`) gives the keys, the theme and the mode an image opens in; the
//! environment (`NO_COLOR`, `TERM`, `COLORTERM`) gives the colours a terminal can show.

use std::path::PathBuf;

use super::app::filetree::FileMode;
use super::app::keymap::Keymap;
use super::app::theme::{Colours, Theme};

/// User settings from `config.toml`.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub keys: Option<toml::Table>,
    pub theme: Option<String>,
    /// The files panel's mode when an image opens: `layer` (default), `merged`, `final`.
    pub mode: Option<toml::Value>,
}

/// How the explorer looks and answers keys, from the settings.
#[derive(Debug, Clone)]
pub struct UiConfig {
    pub keymap: Keymap,
    pub theme: Theme,
    pub mode: FileMode,
}

/// A config file that cannot be used, named with what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    /// A `[keys]` entry the keymap cannot take.
    #[error("config: {0}")]
    Keys(String),
    #[error("config: unknown theme '{0}' (dark, light, mono)")]
    Theme(String),
    #[error("config: unknown mode {0} (\"layer\", \"merged\", \"final\")")]
    Mode(toml::Value),
}

/// Reads `dirs::config_dir()/strata/config.toml` (or `$STRATA_CONFIG`). A missing file is
/// fine; a broken one is an error that names it.
pub fn load_settings() -> Result<Settings, ConfigError> {
    let path = match std::env::var_os("STRATA_CONFIG") {
        Some(p) => PathBuf::from(p),
        None => match dirs::config_dir() {
            Some(d) => d.join("strata").join("config.toml"),
            None => return Ok(Settings::default()),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    let table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::Parse {
        message: e.message().to_string(),
        path,
    })?;
    Ok(Settings {
        keys: table.get("keys").and_then(|k| k.as_table()).cloned(),
        theme: table
            .get("theme")
            .and_then(|t| t.as_str())
            .map(str::to_string),
        mode: table.get("mode").cloned(),
    })
}

/// Keymap, theme and starting mode from settings and the environment.
pub fn ui_config(settings: &Settings) -> Result<UiConfig, ConfigError> {
    let (keymap, warnings) = Keymap::new(settings.keys.as_ref());
    if let Some(w) = warnings.into_iter().next() {
        return Err(ConfigError::Keys(w));
    }
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let term = std::env::var("TERM").ok();
    let colorterm = std::env::var("COLORTERM").ok();
    let colours = Colours::from_env(no_color, term.as_deref(), colorterm.as_deref());
    let theme = Theme::by_name(settings.theme.as_deref(), colours)
        .ok_or_else(|| ConfigError::Theme(settings.theme.clone().unwrap_or_default()))?;
    let mode = match &settings.mode {
        None => FileMode::Layer,
        Some(value) => value
            .as_str()
            .and_then(FileMode::by_name)
            .ok_or_else(|| ConfigError::Mode(value.clone()))?,
    };
    Ok(UiConfig {
        keymap,
        theme,
        mode,
    })
}
