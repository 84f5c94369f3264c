//! Placeholder: being written (advice with evidence). See the helper's brief.

use crate::history::HistoryStep;
use crate::tree::LayerTree;

use super::Analysis;

/// How much a hint matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// One piece of advice, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// Stable identifier of the kind of hint (`deleted-later`, `secret-removed`, ...).
    pub id: &'static str,
    pub severity: Severity,
    /// What was found and what to do, one or two sentences; no secret content ever.
    pub message: String,
    /// Bytes at stake (0 when the hint is not about size).
    pub bytes: u64,
    /// The layer to look at.
    pub layer: Option<usize>,
    /// Normalised paths (no leading `/`), most important first, at most a few dozen.
    pub paths: Vec<String>,
}

/// What the hints look at.
pub struct HintInput<'a> {
    pub layers: &'a [&'a LayerTree],
    pub analysis: &'a Analysis,
    /// The config history, each step mapped to its layer.
    pub history: &'a [HistoryStep],
    /// The config's `User` (None or "" when unset).
    pub user: Option<&'a str>,
}

/// Every hint for an image, most severe first, then by bytes.
pub fn hints(_input: &HintInput<'_>) -> Vec<Hint> {
    Vec::new()
}
