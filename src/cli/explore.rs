//! `strata IMAGE` on a terminal: the explorer. Settings and references are checked before the
//! terminal is taken, so a mistake is a plain error line, not a screen.

use super::args::{ColorArg, SourceArgs};
use super::error::Error;
use super::options;
use strata::tui::config::{self, UiConfig};

pub fn run(image: &str, source: &SourceArgs, color: ColorArg) -> Result<(), Error> {
    let ui = ui_config(&[image], color)?;
    let opts = options::source_options(source)?;
    Ok(strata::tui::runtime::run(image, opts, ui)?)
}

/// The user's keys and theme (in the colours `--color` allows), once `inputs` are known to be
/// references strata can open.
pub fn ui_config(inputs: &[&str], color: ColorArg) -> Result<UiConfig, Error> {
    let ui = config::ui_config_with(&config::load_settings()?, color.into())?;
    for input in inputs {
        strata::source::reference::ImageRef::parse(input).map_err(|e| e.about(input))?;
    }
    Ok(ui)
}
