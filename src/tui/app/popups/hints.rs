//! The hints popup's view model: the analysis's hints as the popup lists them (paths shown
//! absolute), with the selected one.

use crate::analysis::hints::{Hint, Severity};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HintList {
    pub rows: Vec<HintRow>,
    pub cursor: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HintRow {
    pub id: &'static str,
    pub severity: Severity,
    pub message: String,
    pub bytes: u64,
    pub layer: Option<usize>,
    /// With a leading `/`, most important first.
    pub paths: Vec<String>,
}

impl HintList {
    pub fn of(hints: &[Hint]) -> HintList {
        HintList {
            rows: hints
                .iter()
                .map(|h| HintRow {
                    id: h.id,
                    severity: h.severity,
                    message: h.message.clone(),
                    bytes: h.bytes,
                    layer: h.layer,
                    paths: h.paths.iter().map(|p| format!("/{p}")).collect(),
                })
                .collect(),
            cursor: 0,
        }
    }

    pub fn selected(&self) -> Option<&HintRow> {
        self.rows.get(self.cursor)
    }
}
