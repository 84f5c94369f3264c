//! Keys while a popup is open, and what comes back from the runtime for one (a file read, an
//! extraction).

use super::Explorer;
use crate::extract::{FileContent, Summary};
use crate::model::text::printable;
use crate::tui::app::filetree::FileMode;
use crate::tui::app::keymap::Action;
use crate::tui::app::keys::{Edit, Input};
use crate::tui::app::popups::prompt::Answer;
use crate::tui::app::popups::{is_list_move, list_move, viewer, Popup, Prompt, PromptKind};
use crate::tui::app::{Effect, ExtractFailure, ExtractRequest, ReadPurpose};

impl Explorer {
    pub(super) fn on_popup_input(&mut self, input: Input) -> Vec<Effect> {
        let Some(popup) = self.popup.as_mut() else {
            return Vec::new();
        };
        // The viewer's own search takes `/`, typing, `n` and `N` first.
        if let Popup::Viewer(v) = popup {
            if v.on_search_input(input) {
                return Vec::new();
            }
        }
        let close = input.closes();
        let action = input.action();
        match popup {
            Popup::Prompt(_) => return self.on_prompt_input(input),
            Popup::Treemap(_) => self.on_treemap_input(input),
            Popup::Message(_) => self.popup = None,
            Popup::Help(_) | Popup::Config(_) | Popup::Viewer(_) => {
                // The key that opened help or the config closes it too.
                let again = matches!(
                    (&*popup, action),
                    (Popup::Help(_), Some(Action::Help)) | (Popup::Config(_), Some(Action::Config))
                );
                if close || again {
                    self.popup = None;
                } else if let Some(a) = action {
                    if let Popup::Help(scroll)
                    | Popup::Config(scroll)
                    | Popup::Viewer(viewer::Viewer { scroll, .. }) = popup
                    {
                        scroll.on_action(a);
                    }
                }
            }
            Popup::Hints(list) => match action {
                _ if close || matches!(action, Some(Action::Hints)) => self.popup = None,
                Some(a) if is_list_move(a) => list.cursor = list_move(list.cursor, a, list.len),
                Some(Action::Open) => {
                    let hint = list.selected(&self.analysis.hints).cloned();
                    self.popup = None;
                    if let Some(h) = hint {
                        let path = h.paths.first().cloned();
                        let layer = h.layer.unwrap_or(self.layer);
                        self.notice = Some(format!("{}: {}", h.id, printable(&h.message, 300)));
                        self.jump_to(layer, path.as_deref(), FileMode::Layer);
                    }
                }
                _ => {}
            },
            Popup::Packages(list) if list.editing => {
                if let Input::Edit(edit) = input {
                    match edit {
                        Edit::Push(c) => list.filter.push(c),
                        Edit::Pop => {
                            list.filter.pop();
                        }
                        Edit::Cancel => list.filter.clear(),
                        Edit::Submit => {}
                    }
                    list.editing = !matches!(edit, Edit::Submit | Edit::Cancel);
                    list.cursor = 0;
                    list.refilter(&self.analysis.packages);
                }
            }
            Popup::Packages(list) => match action {
                _ if close || matches!(action, Some(Action::Packages)) => self.popup = None,
                Some(a) if is_list_move(a) => {
                    list.cursor = list_move(list.cursor, a, list.rows.len())
                }
                Some(Action::Filter) => list.editing = true,
                Some(Action::Open) => {
                    let row = list.selected();
                    self.popup = None;
                    if let Some(row) = row {
                        self.narrow_to(row);
                    }
                }
                _ => {}
            },
            Popup::History(history) => match action {
                _ if close => self.popup = None,
                Some(a) if is_list_move(a) => {
                    history.cursor = list_move(history.cursor, a, history.rows.len())
                }
                Some(Action::Open) => {
                    if let Some(row) = history.rows.get(history.cursor) {
                        let layer = row.layer;
                        self.popup = None;
                        self.show_layer_of_history(layer);
                    }
                }
                _ => {}
            },
        }
        Vec::new()
    }

    fn on_prompt_input(&mut self, input: Input) -> Vec<Effect> {
        let Some(Popup::Prompt(p)) = self.popup.as_mut() else {
            return Vec::new();
        };
        match p.on_input(input) {
            Answer::Open => {
                if p.error.is_some() {
                    let keep = self.nav.selected();
                    self.nav.refresh(&self.analysis.stack.paths, keep);
                }
            }
            Answer::Cancelled => self.popup = None,
            Answer::SizeFloor { min, typed } => {
                self.popup = None;
                self.nav.set_min_size(&self.analysis.stack.paths, min);
                self.nav.filter.min_size_text = Some(typed);
            }
            Answer::Extract(req) => {
                self.popup = Some(Popup::Message(format!(
                    "extracting into {}…",
                    printable(&req.dir, 200)
                )));
                return vec![Effect::Extract(req)];
            }
        }
        Vec::new()
    }

    /// The runtime read a file for a viewer.
    pub fn on_file_read(
        &mut self,
        layer: usize,
        path: &str,
        purpose: ReadPurpose,
        result: Result<FileContent, String>,
    ) -> Vec<Effect> {
        // A popup closed meanwhile, or another file's viewer took its place: the user moved
        // on. Reads finish in any order.
        let Some(Popup::Viewer(v)) = &self.popup else {
            return Vec::new();
        };
        if !v.awaits.wants(layer, path, &purpose) {
            return Vec::new();
        }
        let content = match result {
            Ok(c) => c,
            Err(e) => {
                self.open(Popup::Message(printable(&e, 500)));
                return Vec::new();
            }
        };
        match purpose {
            ReadPurpose::View => {
                if let Some(Popup::Viewer(v)) = &mut self.popup {
                    v.lines = viewer::render_content(&content);
                }
                self.fit_popup();
                Vec::new()
            }
            ReadPurpose::DiffOld { new_layer } => vec![Effect::ReadFile {
                layer: new_layer,
                path: path.to_string(),
                purpose: ReadPurpose::DiffNew {
                    old: Box::new(content),
                },
            }],
            ReadPurpose::DiffRemoved => {
                let gone = FileContent {
                    bytes: Vec::new(),
                    total: 0,
                    truncated: false,
                };
                if let Some(Popup::Viewer(v)) = &mut self.popup {
                    v.lines = viewer::render_diff(&content, &gone, path, layer + 1);
                }
                self.fit_popup();
                Vec::new()
            }
            ReadPurpose::DiffNew { old } => {
                if let Some(Popup::Viewer(v)) = &mut self.popup {
                    v.lines = viewer::render_diff(&old, &content, path, layer);
                }
                self.fit_popup();
                Vec::new()
            }
        }
    }

    /// The runtime finished (or refused) an extraction.
    pub fn on_extracted(
        &mut self,
        request: ExtractRequest,
        result: Result<Summary, ExtractFailure>,
    ) {
        let popup = match result {
            // Success is a notice in the footer: the next key does what it says.
            Ok(s) => {
                self.popup = None;
                self.notice = Some(format!(
                    "extracted {} ({}), {}, {} into {}{}",
                    crate::model::units::counted(s.files, "file", "files"),
                    crate::model::units::decimal(s.bytes),
                    crate::model::units::counted(s.dirs, "directory", "directories"),
                    crate::model::units::counted(s.symlinks + s.hardlinks, "link", "links"),
                    printable(&request.dir, 200),
                    if s.skipped.is_empty() {
                        String::new()
                    } else {
                        format!("; {} skipped", s.skipped.len())
                    }
                ));
                return;
            }
            Err(e) if e.exists && !request.overwrite => Popup::Prompt(Prompt {
                kind: PromptKind::ConfirmOverwrite(request),
                input: String::new(),
                error: Some(printable(&e.message, 300)),
                selected: false,
            }),
            Err(e) => Popup::Message(printable(&e.message, 500)),
        };
        self.open(popup);
    }
}
