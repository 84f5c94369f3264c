//! A one-line question: where to extract to, the size floor, or whether to overwrite. What
//! the keys do to it is here too, for the explorer and the compare screen alike; each screen
//! acts on what `Prompt::on_input` says was answered.

use crate::tui::app::keys::{Edit, Input};
use crate::tui::app::ExtractRequest;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    /// Extract `path` as the view after `layer` of image `image` shows it (`image`: 0 for the
    /// explorer's one image or A, 1 for B).
    Extract {
        layer: usize,
        path: String,
        image: usize,
        /// On the compare screen: which image it comes from can be switched (Tab).
        compare: bool,
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

/// What a key did to a prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Still open.
    Open,
    /// Closed without an answer.
    Cancelled,
    /// A size floor (`None`: all sizes).
    SizeFloor(Option<u64>),
    /// Where to extract (an overwrite is confirmed when `overwrite` is set).
    Extract(ExtractRequest),
}

impl Prompt {
    /// The size floor's question, offering the floor set now.
    pub fn size_floor(now: Option<u64>) -> Prompt {
        Prompt {
            kind: PromptKind::SizeFloor,
            input: now.map(|m| m.to_string()).unwrap_or_default(),
            error: None,
        }
    }

    /// Whether the prompt takes a typed line (a yes/no question does not).
    pub fn takes_text(&self) -> bool {
        !matches!(self.kind, PromptKind::ConfirmOverwrite(_))
    }

    /// The prompt after one key.
    pub fn on_input(&mut self, input: Input) -> Answer {
        if let PromptKind::ConfirmOverwrite(req) = &self.kind {
            // Enter confirms a typed answer, but never an overwrite: that takes a `y`.
            if matches!(input, Input::Edit(Edit::Push('y' | 'Y'))) {
                return Answer::Extract(ExtractRequest {
                    overwrite: true,
                    ..req.clone()
                });
            }
            return Answer::Cancelled;
        }
        if let (
            Input::Other(key),
            PromptKind::Extract {
                image,
                compare: true,
                ..
            },
        ) = (input, &mut self.kind)
        {
            if key.code == ratatui::crossterm::event::KeyCode::Tab {
                *image = 1 - (*image).min(1);
            }
            return Answer::Open;
        }
        let Input::Edit(edit) = input else {
            return Answer::Open;
        };
        match edit {
            Edit::Cancel => return Answer::Cancelled,
            Edit::Pop => {
                self.input.pop();
                self.error = None;
            }
            Edit::Push(c) => {
                self.input.push(c);
                self.error = None;
            }
            Edit::Submit => match &self.kind {
                PromptKind::SizeFloor => {
                    let typed = self.input.trim();
                    if typed.is_empty() {
                        return Answer::SizeFloor(None);
                    }
                    match crate::model::units::parse_size(typed) {
                        Ok(min) => return Answer::SizeFloor(Some(min)),
                        Err(_) => {
                            self.error = Some("sizes look like 500k, 1M, 2.5GB or 1048576".into())
                        }
                    }
                }
                PromptKind::Extract {
                    layer, path, image, ..
                } => {
                    let dir = self.input.trim().to_string();
                    if dir.is_empty() {
                        self.error = Some("type a destination directory".into());
                        return Answer::Open;
                    }
                    return Answer::Extract(ExtractRequest {
                        layer: *layer,
                        path: path.clone(),
                        dir,
                        overwrite: false,
                        image: *image,
                    });
                }
                PromptKind::ConfirmOverwrite(_) => {}
            },
        }
        Answer::Open
    }
}
