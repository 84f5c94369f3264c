//! A one-line question: where to extract to, the size floor, or whether to overwrite.

use crate::tui::app::ExtractRequest;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    /// Extract `path` as the view after `layer` shows it.
    Extract {
        layer: usize,
        path: String,
    },
    SizeFloor,
    ConfirmOverwrite(ExtractRequest),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: String,
    pub error: Option<String>,
}

impl Prompt {
    /// Whether the prompt takes a typed line (a yes/no question does not).
    pub fn takes_text(&self) -> bool {
        !matches!(self.kind, PromptKind::ConfirmOverwrite(_))
    }
}
