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
    /// The offered input is selected: the first character typed replaces it.
    pub selected: bool,
}

/// What a key did to a prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Still open.
    Open,
    /// Closed without an answer.
    Cancelled,
    /// A size floor (`None`: all sizes) and the text it was typed as.
    SizeFloor { min: Option<u64>, typed: String },
    /// Where to extract (an overwrite is confirmed when `overwrite` is set).
    Extract(ExtractRequest),
}

impl Prompt {
    /// The size floor's question, offering the floor set now as it was typed, selected.
    pub fn size_floor(filter: &crate::tui::app::filetree::Filter) -> Prompt {
        let input = match (&filter.min_size_text, filter.min_size) {
            (Some(typed), Some(_)) => typed.clone(),
            (_, Some(m)) => m.to_string(),
            _ => String::new(),
        };
        Prompt {
            kind: PromptKind::SizeFloor,
            selected: !input.is_empty(),
            input,
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
        // An offered input is selected: typing replaces it, any other edit keeps it.
        if std::mem::replace(&mut self.selected, false) && matches!(edit, Edit::Push(_)) {
            self.input.clear();
        }
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
                        return Answer::SizeFloor {
                            min: None,
                            typed: String::new(),
                        };
                    }
                    match crate::model::units::parse_size(typed) {
                        Ok(min) => {
                            return Answer::SizeFloor {
                                min: Some(min),
                                typed: typed.to_string(),
                            }
                        }
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
