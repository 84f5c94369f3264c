//! What the Files panel's keys do beyond moving: open a file (the runtime reads it), diff it
//! against its version below, show its history, ask where to extract it, and jump to a path
//! (the next biggest waste, a hint's path, a layer of the history).

use super::{Explorer, Panel};
use crate::analysis::merge::{entry, path_history};
use crate::analysis::waste::WasteCause;
use crate::model::text::printable;
use crate::tree::EntryKind;
use crate::tui::app::filetree::{FileMode, Node, Status};
use crate::tui::app::popups::{viewer, Awaits, PathHistory, Popup, Prompt, PromptKind, Viewer};
use crate::tui::app::{Effect, ReadPurpose};

impl Explorer {
    pub(super) fn open_selected(&mut self) -> Vec<Effect> {
        let Some(node) = self.selected_node() else {
            return Vec::new();
        };
        if node.children > 0 || node.kind == EntryKind::Dir {
            let paths = &self.analysis.stack.paths;
            self.nav.fold(paths, None);
            return Vec::new();
        }
        if !matches!(node.kind, EntryKind::File | EntryKind::Hardlink) {
            let what = match &node.link {
                Some(l) => format!("{} -> {l}", node.kind.name()),
                None => node.kind.name().to_string(),
            };
            self.open(Popup::Message(format!(
                "/{}: {what}",
                printable(&self.selected_path_str(), 200)
            )));
            return Vec::new();
        }
        let path = self.selected_path_str();
        let (layer, title) = self.source_of(&node, &path);
        self.open(Popup::Viewer(Viewer::reading(
            title,
            Awaits::View {
                layer,
                path: path.clone(),
            },
        )));
        vec![Effect::ReadFile {
            layer,
            path,
            purpose: ReadPurpose::View,
        }]
    }

    /// Where the bytes a node shows are read from, and the viewer's title naming the layer
    /// that wrote them: the view this layer shows, or for a path this layer removed, the view
    /// below it (the last copy, which still ships).
    fn source_of(&self, node: &Node, path: &str) -> (usize, String) {
        let n = self.nav.tree.layer;
        let written = node.layer.unwrap_or(n);
        if node.status == Status::Removed {
            let below = n.saturating_sub(1);
            (
                below,
                format!("/{path} (removed in layer {n}; the copy from layer {written})"),
            )
        } else {
            (n, format!("/{path} (layer {written})"))
        }
    }

    /// `d`: the selected file against its version in the view below this layer.
    pub(super) fn diff_selected(&mut self) -> Vec<Effect> {
        let Some(node) = self.selected_node() else {
            return Vec::new();
        };
        let path = self.selected_path_str();
        let n = self.nav.tree.layer;
        if node.status == Status::Removed
            && matches!(node.kind, EntryKind::File | EntryKind::Hardlink)
        {
            // What the removal did: the last copy against nothing.
            let (below, _) = self.source_of(&node, &path);
            let written = node.layer.unwrap_or(below);
            self.open(Popup::Viewer(Viewer::reading(
                format!("diff /{path}: layer {written} -> removed in layer {n}"),
                Awaits::Diff {
                    old: below,
                    new: n,
                    path: path.clone(),
                },
            )));
            return vec![Effect::ReadFile {
                layer: below,
                path,
                purpose: ReadPurpose::DiffRemoved,
            }];
        }
        let trees = self.image().trees();
        let history = path_history(&trees, &self.analysis.stack.paths, node.path);
        let at = |k: usize| history.get(k).copied().flatten();
        let older = (0..n).rev().find(|&k| at(k).is_some());
        let shown = at(n).is_some();
        match (node.kind, older, shown) {
            (EntryKind::File | EntryKind::Hardlink, Some(old), true) => {
                let entry_at = |k: usize| at(k).and_then(|l| entry(&trees, l));
                // The layer that wrote the older version, not merely one that still shows it.
                let written = at(old).map_or(old, |l| l.layer as usize);
                let meta = match (entry_at(old), entry_at(n)) {
                    (Some(a), Some(b)) => viewer::metadata_change(a, b),
                    _ => String::new(),
                };
                self.open(Popup::Viewer(Viewer::reading(
                    format!("diff /{path}: layer {written} -> {n}{meta}"),
                    Awaits::Diff {
                        old,
                        new: n,
                        path: path.clone(),
                    },
                )));
                vec![Effect::ReadFile {
                    layer: old,
                    path,
                    purpose: ReadPurpose::DiffOld { new_layer: n },
                }]
            }
            (EntryKind::File | EntryKind::Hardlink, None, _) => {
                self.open(Popup::Message(format!(
                    "/{}: no earlier version below layer {n}",
                    printable(&path, 200)
                )));
                Vec::new()
            }
            _ => {
                self.open(Popup::Message(
                    "diff works on files present in the selected layer's view".into(),
                ));
                Vec::new()
            }
        }
    }

    pub(super) fn open_history(&mut self) {
        let Some(node) = self.selected_node() else {
            return;
        };
        let trees = self.image().trees();
        let history = PathHistory::of(&trees, &self.analysis, node.path, self.selected_path_str());
        self.open(Popup::History(history));
    }

    /// `x`: asks where to extract the selection (a removed path from the view below, which
    /// still has it); with nothing selected, says so.
    pub(super) fn ask_extract(&mut self) {
        let Some(node) = self.selected_node() else {
            self.notice = Some("nothing selected to extract".into());
            return;
        };
        let path = self.selected_path_str();
        let (layer, _) = self.source_of(&node, &path);
        self.open(Popup::Prompt(Prompt {
            kind: PromptKind::Extract {
                layer,
                path,
                image: 0,
                compare: false,
            },
            input: "./strata-extract".into(),
            error: None,
            selected: false,
        }));
    }

    /// `w` / `W`: the next (`forward`) or previous of the biggest wasted paths, in the layer
    /// holding the wasted copy.
    pub(super) fn jump_to_waste(&mut self, forward: bool) {
        let top = &self.analysis.waste.top;
        if top.is_empty() {
            self.open(Popup::Message("no wasted bytes in this image".into()));
            return;
        }
        let n = top.len();
        let at = match (self.waste_at, forward) {
            (None, true) => 0,
            (None, false) => n - 1,
            (Some(i), true) => (i + 1) % n,
            (Some(i), false) => (i + n - 1) % n,
        };
        self.waste_at = Some(at);
        let row = top[at].clone();
        self.notice = Some(format!(
            "waste {}/{}: {} {} of /{} ({} {})",
            at + 1,
            top.len(),
            crate::model::units::decimal(row.bytes),
            row.cause.label(),
            printable(&row.path, 200),
            if row.layers.len() == 1 {
                "layer"
            } else {
                "layers"
            },
            row.layers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let layer = row.layers.first().copied().unwrap_or(0);
        let mode = match row.cause {
            WasteCause::Hidden(_) => FileMode::Layer,
            WasteCause::Duplicate | WasteCause::Cache => FileMode::Final,
        };
        self.jump_to(layer, Some(&row.path), mode);
    }

    /// Shows `path` (normalised) in the Files panel of `layer`, unfolding what hides it.
    pub(super) fn jump_to(&mut self, layer: usize, path: Option<&str>, mode: FileMode) {
        self.mode = mode;
        self.layer = layer.min(self.layer_count().saturating_sub(1));
        self.focus = Panel::Files;
        let target = path.and_then(|p| self.analysis.stack.paths.get(p));
        if let Some(t) = target {
            let paths = &self.analysis.stack.paths;
            self.nav.reveal(paths, t);
        }
        // The target must show: filters go, and the footer says so.
        if self.nav.clear_filters() {
            let note = "filters cleared to show it";
            self.notice = Some(match self.notice.take() {
                // First: a long note is cut at the footer's end.
                Some(n) => format!("{note} · {n}"),
                None => note.to_string(),
            });
        }
        self.build_tree();
        let paths = &self.analysis.stack.paths;
        self.nav.refresh(paths, target);
    }

    /// Enter on a row of the history popup: the Files panel of that layer.
    pub(super) fn show_layer_of_history(&mut self, layer: usize) {
        if self.mode == FileMode::Final {
            self.mode = FileMode::Layer;
        }
        let keep = self.nav.selected();
        self.layer = layer;
        self.build_tree();
        let paths = &self.analysis.stack.paths;
        self.nav.refresh(paths, keep);
    }
}
