//! The explorer screen: which layer and file are selected, the Files panel's mode, sort,
//! filter and collapsed directories, and the open popup. View state lives here, keyed by path
//! id, never in the analysis.

use std::sync::Arc;

use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::filetree::{FileMode, FileTree, Filter, Folds, Node, Row, Rows, SortBy, Status};
use super::keymap::{Action, Keymap, Scope};
use super::layout::{areas, list_rows, Areas};
use super::{Effect, ExtractRequest, Loaded, ReadPurpose};
use crate::analysis::merge::{path_history, Change, ViewCache};
use crate::analysis::waste::WasteCause;
use crate::analysis::Analysis;
use crate::extract::{FileContent, Summary};
use crate::load::{Image, Session};
use crate::model::text::printable;
use crate::report::Report;
use crate::tree::paths::{PathId, PathTable, ROOT};
use crate::tree::EntryKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    Layers,
    Files,
}

/// A row of the Layers panel: a real layer, or a history step that made no layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerEntry {
    Layer(usize),
    Empty(usize),
}

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

/// One line of the path history popup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub layer: usize,
    pub status: Status,
    pub kind: Option<EntryKind>,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    Help {
        scroll: usize,
    },
    Config {
        scroll: usize,
    },
    Prompt(Prompt),
    Viewer {
        title: String,
        lines: Vec<String>,
        scroll: usize,
        /// The read this viewer waits for: results of reads for another file (an earlier
        /// viewer's, finishing late) are dropped.
        awaits: Awaits,
    },
    History {
        path: String,
        rows: Vec<HistoryRow>,
        cursor: usize,
    },
    /// The hints of the report, one selected.
    Hints {
        cursor: usize,
    },
    Message(String),
}

/// The file read a viewer shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Awaits {
    View {
        layer: usize,
        path: String,
    },
    /// Two reads: the version in layer `old`, then the one in layer `new`.
    Diff {
        old: usize,
        new: usize,
        path: String,
    },
}

impl Awaits {
    fn wants(&self, layer: usize, path: &str, purpose: &ReadPurpose) -> bool {
        match (self, purpose) {
            (Awaits::View { layer: l, path: p }, ReadPurpose::View) => *l == layer && p == path,
            (Awaits::Diff { old, new, path: p }, ReadPurpose::DiffOld { new_layer }) => {
                *old == layer && new == new_layer && p == path
            }
            (Awaits::Diff { new, path: p, .. }, ReadPurpose::DiffNew { .. }) => {
                *new == layer && p == path
            }
            _ => false,
        }
    }
}

pub struct Explorer {
    pub session: Arc<Session>,
    pub analysis: Arc<Analysis>,
    pub report: Report,
    pub focus: Panel,
    pub layer: usize,
    pub layer_rows: Vec<LayerEntry>,
    pub layers_offset: usize,
    pub mode: FileMode,
    pub sort: SortBy,
    sort_chosen: bool,
    pub tree: FileTree,
    /// Merged views kept between trees, so walking the layers replays little.
    views: ViewCache,
    pub rows: Rows,
    pub cursor: usize,
    pub offset: usize,
    pub folds: Folds,
    pub filter: Filter,
    pub editing_filter: bool,
    pub popup: Option<Popup>,
    /// A one-line note for the footer (what `w` or a hint jumped to), cleared by the next key
    /// (another `w` puts the next one there).
    pub notice: Option<String>,
    waste_next: usize,
    pub quit: bool,
    /// The last scroll offset of the open scrolling popup that still fills it, as its last
    /// draw measured it (the keys keep the offset within it).
    pub popup_scroll_max: std::cell::Cell<usize>,
}

impl Explorer {
    /// The explorer of a loaded image, the files panel in `mode`.
    pub fn new(loaded: Loaded, mode: FileMode, width: u16, height: u16) -> Explorer {
        let report = Report::new(loaded.session.image(), &loaded.analysis);
        let layer_rows = layer_rows(loaded.session.image());
        let mut views = ViewCache::default();
        let tree = {
            let trees = loaded.session.image().trees();
            FileTree::build(&trees, &loaded.analysis, 0, mode, &mut views)
        };
        let mut ex = Explorer {
            session: loaded.session,
            analysis: loaded.analysis,
            report,
            focus: Panel::Layers,
            layer: 0,
            layer_rows,
            layers_offset: 0,
            mode,
            sort: SortBy::Name,
            sort_chosen: false,
            tree,
            views,
            rows: Rows::default(),
            cursor: 0,
            offset: 0,
            folds: Folds::default(),
            filter: Filter::default(),
            editing_filter: false,
            popup: None,
            notice: None,
            waste_next: 0,
            popup_scroll_max: std::cell::Cell::new(usize::MAX / 2),
            quit: false,
        };
        ex.rebuild();
        ex.fit(width, height);
        ex
    }

    /// Shows the files panel in `mode`.
    pub fn set_mode(&mut self, mode: FileMode) {
        if self.mode != mode {
            self.mode = mode;
            self.rebuild();
        }
    }

    pub fn image(&self) -> &Image {
        self.session.image()
    }

    pub fn layer_count(&self) -> usize {
        self.image().layers.len()
    }

    /// The sort in effect: size for the final view unless the user chose one.
    fn effective_sort(&self) -> SortBy {
        if !self.sort_chosen && self.mode == FileMode::Final {
            SortBy::Size
        } else {
            self.sort
        }
    }

    /// The name of the sort in effect, for the footer.
    pub fn tree_sort_name(&self) -> &'static str {
        self.effective_sort().name()
    }

    /// Rebuilds the Files tree for the selected layer and mode, keeping the cursor's path.
    fn rebuild(&mut self) {
        let keep = self.selected_path();
        self.build_tree();
        self.refresh_rows(keep);
    }

    /// Builds the tree of the selected layer and mode, unless the tree shown is already it
    /// (the final view is the same whatever layer is selected).
    fn build_tree(&mut self) {
        let last = self.layer_count().saturating_sub(1);
        let layer = if self.mode == FileMode::Final {
            last
        } else {
            self.layer.min(last)
        };
        let sort = self.effective_sort();
        if self.tree.mode == self.mode && self.tree.layer == layer && !self.tree.is_empty() {
            self.tree.sort(sort);
            return;
        }
        let trees = self.session.image().trees();
        self.tree = FileTree::build(
            &trees,
            &self.analysis,
            self.layer,
            self.mode,
            &mut self.views,
        );
        self.tree.sort(sort);
    }

    fn paths(&self) -> &PathTable {
        &self.analysis.stack.paths
    }

    /// Recomputes the visible rows; the cursor stays on `keep` if it is still visible.
    fn refresh_rows(&mut self, keep: Option<PathId>) {
        self.rows = Rows::new(&self.tree, self.paths(), &self.folds, &self.filter);
        if let Some(p) = keep {
            if let Some(i) = self.rows.index_of(&self.tree, self.paths(), p) {
                self.cursor = i;
                return;
            }
        }
        self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
    }

    /// The rows on screen, `n` from the top of the panel.
    pub fn window(&self, n: usize) -> Vec<Row> {
        self.rows.window(&self.tree, self.paths(), self.offset, n)
    }

    pub fn selected_node(&self) -> Option<Node> {
        let path = self.selected_path()?;
        self.tree.node(path, &self.image().trees())
    }

    fn selected_path(&self) -> Option<PathId> {
        self.rows
            .get(&self.tree, self.paths(), self.cursor)
            .map(|r| r.path)
    }

    /// Normalised path of the selection ("" for none).
    pub fn selected_path_str(&self) -> String {
        self.selected_path()
            .map(|p| self.analysis.stack.paths.path(p).to_string())
            .unwrap_or_default()
    }

    /// Keeps the cursors inside their panels after a move or a resize, and the panels filled:
    /// no empty rows below while rows above are scrolled away (a terminal grown back).
    pub fn fit(&mut self, width: u16, height: u16) {
        let a = self.areas(width, height);
        self.offset = scroll_to(
            self.offset,
            self.cursor,
            self.rows.len(),
            list_rows(a.files),
        );
        self.layers_offset = scroll_to(
            self.layers_offset,
            self.layer_row_index(),
            self.layer_rows.len(),
            list_rows(a.layers),
        );
    }

    /// Where the panels go on a `width` x `height` terminal for this image.
    pub fn areas(&self, width: u16, height: u16) -> Areas {
        areas(width, height, self.layer_rows.len())
    }

    /// Index in `layer_rows` of the selected layer.
    pub fn layer_row_index(&self) -> usize {
        self.layer_rows
            .iter()
            .position(|r| *r == LayerEntry::Layer(self.layer))
            .unwrap_or(0)
    }

    fn select_layer(&mut self, layer: usize) {
        if layer < self.layer_count() && layer != self.layer {
            self.layer = layer;
            self.rebuild();
        }
    }

    pub fn on_key(
        &mut self,
        key: KeyEvent,
        keymap: &Keymap,
        width: u16,
        height: u16,
    ) -> Vec<Effect> {
        self.notice = None;
        let effects = if self.popup.is_some() {
            self.on_popup_key(key, keymap)
        } else if self.editing_filter {
            self.on_filter_key(key);
            Vec::new()
        } else {
            let focus = match self.focus {
                Panel::Layers => Scope::Layers,
                Panel::Files => Scope::Files,
            };
            match keymap.action_in(&key, focus) {
                Some(action) => self.on_action(action, width, height),
                None => Vec::new(),
            }
        };
        self.fit(width, height);
        effects
    }

    fn on_action(&mut self, action: Action, width: u16, height: u16) -> Vec<Effect> {
        let page = list_rows(self.areas(width, height).files).max(1);
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.popup = Some(Popup::Help { scroll: 0 }),
            Action::Config => self.popup = Some(Popup::Config { scroll: 0 }),
            Action::Hints => self.popup = Some(Popup::Hints { cursor: 0 }),
            Action::NextPanel | Action::PrevPanel => {
                self.focus = match self.focus {
                    Panel::Layers => Panel::Files,
                    Panel::Files => Panel::Layers,
                }
            }
            Action::PrevLayer => self.select_layer(self.layer.saturating_sub(1)),
            Action::NextLayer => self.select_layer(self.layer + 1),
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-(page as i64)),
            Action::PageDown => self.move_by(page as i64),
            Action::Top => self.move_by(i64::MIN / 2),
            Action::Bottom => self.move_by(i64::MAX / 2),
            Action::Open => match self.focus {
                Panel::Layers => self.focus = Panel::Files,
                Panel::Files => return self.open_selected(),
            },
            Action::Toggle => self.toggle_selected(None),
            Action::Collapse => self.collapse_or_parent(),
            Action::Expand => self.toggle_selected(Some(false)),
            Action::ToggleAll if self.folds.all_folded() => {
                return self.on_action(Action::ExpandAll, width, height)
            }
            Action::CollapseAll | Action::ToggleAll => {
                let keep = self.selected_path();
                self.folds.fold_all();
                // The cursor moves to the top-level ancestor of what it was on.
                let top = keep.map(|p| {
                    let mut cur = p;
                    while self.paths().parent(cur) != ROOT {
                        cur = self.paths().parent(cur);
                    }
                    cur
                });
                self.refresh_rows(top);
            }
            Action::ExpandAll => {
                self.folds.unfold_all();
                let keep = self.selected_path();
                self.refresh_rows(keep);
            }
            Action::Filter => {
                self.editing_filter = true;
                self.focus = Panel::Files;
            }
            Action::Mode => {
                self.mode = self.mode.next();
                self.rebuild();
            }
            Action::ModeLayer => self.set_mode(FileMode::Layer),
            Action::ModeMerged => self.set_mode(FileMode::Merged),
            Action::ModeFinal => self.set_mode(FileMode::Final),
            Action::Sort => {
                self.sort = self.effective_sort().next();
                self.sort_chosen = true;
                let keep = self.selected_path();
                self.tree.sort(self.sort);
                self.refresh_rows(keep);
            }
            Action::SizeFloor => {
                self.popup = Some(Popup::Prompt(Prompt {
                    kind: PromptKind::SizeFloor,
                    input: self
                        .filter
                        .min_size
                        .map(|m| m.to_string())
                        .unwrap_or_default(),
                    error: None,
                }))
            }
            Action::HideAdded => self.toggle_hidden(Status::Added),
            Action::HideModified => {
                self.toggle_hidden(Status::Modified);
                self.toggle_hidden_to(
                    Status::MetadataOnly,
                    self.filter.hidden[Status::Modified.index()],
                );
            }
            Action::HideRemoved => self.toggle_hidden(Status::Removed),
            Action::HideUnchanged => self.toggle_hidden(Status::Unchanged),
            Action::Waste => self.jump_to_waste(),
            Action::Extract => {
                let path = self.selected_path_str();
                self.popup = Some(Popup::Prompt(Prompt {
                    kind: PromptKind::Extract {
                        layer: self.tree.layer,
                        path,
                    },
                    input: "./strata-extract".into(),
                    error: None,
                }));
            }
            Action::Diff => return self.diff_selected(),
            Action::History => self.open_history(),
        }
        Vec::new()
    }

    fn move_by(&mut self, delta: i64) {
        match self.focus {
            Panel::Files => {
                let max = self.rows.len().saturating_sub(1) as i64;
                self.cursor = (self.cursor as i64)
                    .saturating_add(delta)
                    .clamp(0, max.max(0)) as usize;
            }
            Panel::Layers => {
                let n = self.layer_count() as i64;
                let target = (self.layer as i64)
                    .saturating_add(delta)
                    .clamp(0, (n - 1).max(0)) as usize;
                self.select_layer(target);
            }
        }
    }

    fn toggle_hidden(&mut self, s: Status) {
        let now = !self.filter.hidden[s.index()];
        self.toggle_hidden_to(s, now);
    }

    fn toggle_hidden_to(&mut self, s: Status, hidden: bool) {
        self.filter.hidden[s.index()] = hidden;
        let keep = self.selected_path();
        self.refresh_rows(keep);
    }

    /// `collapse`: `Some(true)` collapse, `Some(false)` expand, `None` toggle.
    fn toggle_selected(&mut self, collapse: Option<bool>) {
        let Some(node) = self.selected_node() else {
            return;
        };
        if node.children == 0 {
            return;
        }
        let path = node.path;
        let now = collapse.unwrap_or(!self.folds.is_folded(path));
        self.folds.set(path, now);
        self.refresh_rows(Some(path));
    }

    fn collapse_or_parent(&mut self) {
        let Some(node) = self.selected_node() else {
            return;
        };
        if node.children > 0 && !self.folds.is_folded(node.path) {
            self.toggle_selected(Some(true));
            return;
        }
        let parent = self.paths().parent(node.path);
        if let Some(i) = self.rows.index_of(&self.tree, self.paths(), parent) {
            self.cursor = i;
        }
    }

    fn open_selected(&mut self) -> Vec<Effect> {
        let Some(node) = self.selected_node() else {
            return Vec::new();
        };
        if node.children > 0 || node.kind == EntryKind::Dir {
            self.toggle_selected(None);
            return Vec::new();
        }
        if node.status == Status::Removed {
            self.popup = Some(Popup::Message(format!(
                "/{} was removed in layer {}; select a lower layer to view it",
                printable(&self.selected_path_str(), 200),
                self.tree.layer
            )));
            return Vec::new();
        }
        if !matches!(node.kind, EntryKind::File | EntryKind::Hardlink) {
            let what = match &node.link {
                Some(l) => format!("{} -> {l}", node.kind.name()),
                None => node.kind.name().to_string(),
            };
            self.popup = Some(Popup::Message(format!(
                "/{}: {what}",
                printable(&self.selected_path_str(), 200)
            )));
            return Vec::new();
        }
        let path = self.selected_path_str();
        self.popup = Some(Popup::Viewer {
            title: format!("/{path} (layer {})", self.tree.layer),
            lines: vec!["reading…".into()],
            scroll: 0,
            awaits: Awaits::View {
                layer: self.tree.layer,
                path: path.clone(),
            },
        });
        vec![Effect::ReadFile {
            layer: self.tree.layer,
            path,
            purpose: ReadPurpose::View,
        }]
    }

    /// `d`: the selected file against its version in the view below this layer.
    fn diff_selected(&mut self) -> Vec<Effect> {
        let Some(node) = self.selected_node() else {
            return Vec::new();
        };
        let path = self.selected_path_str();
        let n = self.tree.layer;
        let history = path_history(&self.image().trees(), &self.analysis.stack.paths, node.path);
        let older = (0..n)
            .rev()
            .find(|&k| history.get(k).copied().flatten().is_some());
        let shown = history.get(n).copied().flatten().is_some();
        match (node.kind, older, shown) {
            (EntryKind::File | EntryKind::Hardlink, Some(old), true) => {
                let trees = self.image().trees();
                let entry_at = |k: usize| {
                    history
                        .get(k)
                        .copied()
                        .flatten()
                        .and_then(|l| crate::analysis::merge::entry(&trees, l))
                };
                // The layer that wrote the older version, not merely one that still shows it.
                let written = history
                    .get(old)
                    .copied()
                    .flatten()
                    .map_or(old, |l| l.layer as usize);
                let meta = match (entry_at(old), entry_at(n)) {
                    (Some(a), Some(b)) => metadata_change(a, b),
                    _ => String::new(),
                };
                self.popup = Some(Popup::Viewer {
                    title: format!("diff /{path}: layer {written} -> {n}{meta}"),
                    lines: vec!["reading…".into()],
                    scroll: 0,
                    awaits: Awaits::Diff {
                        old,
                        new: n,
                        path: path.clone(),
                    },
                });
                vec![Effect::ReadFile {
                    layer: old,
                    path,
                    purpose: ReadPurpose::DiffOld { new_layer: n },
                }]
            }
            (EntryKind::File | EntryKind::Hardlink, None, _) => {
                self.popup = Some(Popup::Message(format!(
                    "/{}: no earlier version below layer {n}",
                    printable(&path, 200)
                )));
                Vec::new()
            }
            _ => {
                self.popup = Some(Popup::Message(
                    "diff works on files present in the selected layer's view".into(),
                ));
                Vec::new()
            }
        }
    }

    fn open_history(&mut self) {
        let Some(node) = self.selected_node() else {
            return;
        };
        let trees = self.image().trees();
        let history = path_history(&trees, &self.analysis.stack.paths, node.path);
        let mut rows = Vec::new();
        let mut before = None;
        for (k, now) in history.iter().enumerate() {
            let row = match (before, *now) {
                (None, Some(loc)) => Some((Status::Added, Some(loc))),
                (Some(_), None) => Some((Status::Removed, before)),
                (Some(_), Some(loc)) if loc.layer as usize == k => {
                    let change = self.analysis.stack.changes[k]
                        .get(loc.entry as usize)
                        .copied();
                    let status = match change {
                        Some(Change::Modified) => Status::Modified,
                        Some(Change::MetadataOnly) => Status::MetadataOnly,
                        // Deleted (a whiteout or opaque directory) and written again by the
                        // same layer: added, as the layer's own changes show it.
                        Some(Change::Added) if !loc.is_implicit() => Status::Added,
                        _ => Status::Unchanged,
                    };
                    Some((status, Some(loc)))
                }
                _ => None,
            };
            if let Some((status, loc)) = row {
                let e = loc.and_then(|l| crate::analysis::merge::entry(&trees, l));
                rows.push(HistoryRow {
                    layer: k,
                    status,
                    kind: Some(e.map_or(EntryKind::Dir, |e| e.kind)),
                    size: e.map_or(0, |e| e.content_bytes()),
                });
            }
            before = *now;
        }
        self.popup = Some(Popup::History {
            path: self.selected_path_str(),
            rows,
            cursor: 0,
        });
    }

    /// `w`: the next of the biggest wasted paths, in the layer holding the wasted copy.
    fn jump_to_waste(&mut self) {
        let top = &self.analysis.waste.top;
        if top.is_empty() {
            self.popup = Some(Popup::Message("no wasted bytes in this image".into()));
            return;
        }
        let row = top[self.waste_next % top.len()].clone();
        self.notice = Some(format!(
            "waste {}/{}: {} {} of /{} (layers {})",
            self.waste_next % top.len() + 1,
            top.len(),
            crate::report::text::size(row.bytes),
            row.cause.name(),
            printable(&row.path, 200),
            row.layers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
        self.waste_next += 1;
        let layer = row.layers.first().copied().unwrap_or(0);
        let mode = match row.cause {
            WasteCause::Hidden(_) => FileMode::Layer,
            WasteCause::Duplicate | WasteCause::Cache => FileMode::Final,
        };
        self.jump_to(layer, Some(&row.path), mode);
    }

    /// Shows `path` (normalised) in the Files panel of `layer`, unfolding what hides it.
    fn jump_to(&mut self, layer: usize, path: Option<&str>, mode: FileMode) {
        self.mode = mode;
        self.layer = layer.min(self.layer_count().saturating_sub(1));
        self.focus = Panel::Files;
        let target = path.and_then(|p| self.analysis.stack.paths.get(p));
        if let Some(t) = target {
            let mut cur = self.analysis.stack.paths.parent(t);
            while cur != ROOT {
                self.folds.set(cur, false);
                cur = self.analysis.stack.paths.parent(cur);
            }
        }
        // The target must show: filters go, and the footer says so.
        let f = &self.filter;
        if !f.text.is_empty() || f.hidden.iter().any(|h| *h) || f.min_size.is_some() {
            self.filter = Filter::default();
            let note = "filters cleared to show it";
            self.notice = Some(match self.notice.take() {
                // First: a long note is cut at the footer's end.
                Some(n) => format!("{note} · {n}"),
                None => note.to_string(),
            });
        }
        self.build_tree();
        self.refresh_rows(target);
    }

    fn on_filter_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Enter => self.editing_filter = false,
            KeyCode::Esc => {
                self.editing_filter = false;
                self.set_filter_text(String::new());
            }
            KeyCode::Backspace => {
                let mut t = self.filter.text.clone();
                t.pop();
                self.set_filter_text(t);
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                let t = format!("{}{c}", self.filter.text);
                self.set_filter_text(t);
            }
            _ => {}
        }
    }

    fn set_filter_text(&mut self, text: String) {
        let keep = self.selected_path();
        self.filter.set_text(&text);
        self.refresh_rows(keep);
        if self.filter.text.is_empty() {
            return;
        }
        // Live filtering lands on the first matching file.
        self.cursor = self.rows.first_leaf(&self.tree, self.paths()).unwrap_or(0);
    }

    fn on_popup_key(&mut self, key: KeyEvent, keymap: &Keymap) -> Vec<Effect> {
        let action = keymap.action(&key);
        let kind = self.popup.as_ref().map(popup_kind).unwrap_or_default();
        let Some(popup) = self.popup.as_mut() else {
            return Vec::new();
        };
        let close = key.code == KeyCode::Esc || matches!(action, Some(Action::Quit));
        match popup {
            Popup::Prompt(_) => return self.on_prompt_key(key),
            Popup::Message(_) => self.popup = None,
            Popup::Help { scroll } | Popup::Config { scroll } | Popup::Viewer { scroll, .. } => {
                let closes_too = matches!(
                    (&*kind, action),
                    ("help", Some(Action::Help)) | ("config", Some(Action::Config))
                );
                // Kept within what the popup can show, so that a key up after the end (or
                // after End) moves at once.
                let max = self.popup_scroll_max.get();
                *scroll = (*scroll).min(max);
                match action {
                    _ if close || closes_too => self.popup = None,
                    Some(Action::Down) => *scroll = (*scroll + 1).min(max),
                    Some(Action::Up) => *scroll = scroll.saturating_sub(1),
                    Some(Action::PageDown) => *scroll = (*scroll + 20).min(max),
                    Some(Action::PageUp) => *scroll = scroll.saturating_sub(20),
                    Some(Action::Top) => *scroll = 0,
                    Some(Action::Bottom) => *scroll = max,
                    _ => {}
                }
            }
            Popup::Hints { cursor } => match action {
                _ if close || matches!(action, Some(Action::Hints)) => self.popup = None,
                Some(a) if is_list_move(a) => {
                    *cursor = list_move(*cursor, a, self.report.hints.len())
                }
                Some(Action::Open) => {
                    let hint = self.report.hints.get(*cursor).cloned();
                    self.popup = None;
                    if let Some(h) = hint {
                        let path = h
                            .paths
                            .first()
                            .map(|p| p.trim_start_matches('/').to_string());
                        let layer = h.layer.unwrap_or(self.layer);
                        self.notice = Some(format!("{}: {}", h.id, printable(&h.message, 300)));
                        self.jump_to(layer, path.as_deref(), FileMode::Layer);
                    }
                }
                _ => {}
            },
            Popup::History { rows, cursor, .. } => match action {
                _ if close => self.popup = None,
                Some(a) if is_list_move(a) => *cursor = list_move(*cursor, a, rows.len()),
                Some(Action::Open) => {
                    if let Some(row) = rows.get(*cursor) {
                        let layer = row.layer;
                        self.popup = None;
                        if self.mode == FileMode::Final {
                            self.mode = FileMode::Layer;
                        }
                        let keep = self.selected_path();
                        self.layer = layer;
                        self.build_tree();
                        self.refresh_rows(keep);
                    }
                }
                _ => {}
            },
        }
        Vec::new()
    }

    fn on_prompt_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(Popup::Prompt(p)) = self.popup.as_mut() else {
            return Vec::new();
        };
        if let PromptKind::ConfirmOverwrite(req) = &p.kind {
            let req = req.clone();
            self.popup = None;
            if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                return vec![Effect::Extract(ExtractRequest {
                    overwrite: true,
                    ..req
                })];
            }
            return Vec::new();
        }
        match key.code {
            KeyCode::Esc => self.popup = None,
            KeyCode::Backspace => {
                p.input.pop();
                p.error = None;
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                p.input.push(c);
                p.error = None;
            }
            KeyCode::Enter => match p.kind.clone() {
                PromptKind::SizeFloor => {
                    if p.input.trim().is_empty() {
                        self.filter.min_size = None;
                        self.popup = None;
                    } else {
                        match parse_size(&p.input) {
                            Some(n) => {
                                self.filter.min_size = Some(n);
                                self.popup = None;
                            }
                            None => {
                                p.error = Some("sizes look like 500k, 1M, 2.5GB or 1048576".into())
                            }
                        }
                    }
                    let keep = self.selected_path();
                    self.refresh_rows(keep);
                }
                PromptKind::Extract { layer, path } => {
                    let dir = p.input.trim().to_string();
                    if dir.is_empty() {
                        p.error = Some("type a destination directory".into());
                        return Vec::new();
                    }
                    let req = ExtractRequest {
                        layer,
                        path,
                        dir,
                        overwrite: false,
                    };
                    self.popup = Some(Popup::Message(format!(
                        "extracting into {}…",
                        printable(&req.dir, 200)
                    )));
                    return vec![Effect::Extract(req)];
                }
                PromptKind::ConfirmOverwrite(_) => {}
            },
            _ => {}
        }
        Vec::new()
    }

    pub fn on_mouse(&mut self, m: MouseEvent, width: u16, height: u16) {
        if self.popup.is_some() {
            return;
        }
        let a = self.areas(width, height);
        let inside = |r: ratatui::layout::Rect| {
            m.column >= r.x && m.column < r.x + r.width && m.row >= r.y && m.row < r.y + r.height
        };
        match m.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let d = if m.kind == MouseEventKind::ScrollDown {
                    3
                } else {
                    -3
                };
                if inside(a.files) {
                    self.focus = Panel::Files;
                    self.move_by(d);
                } else if inside(a.layers) {
                    self.focus = Panel::Layers;
                    self.move_by(d.signum());
                }
            }
            MouseEventKind::Down(MouseButton::Left) => {
                // Rows start below the border and the header line and end above the bottom
                // border; the side borders are not rows either.
                let first = |r: ratatui::layout::Rect| r.y + 2;
                let in_rows = |r: ratatui::layout::Rect| {
                    m.column > r.x
                        && m.column + 1 < r.x + r.width
                        && m.row >= first(r)
                        && m.row + 1 < r.y + r.height
                };
                if in_rows(a.files) {
                    self.focus = Panel::Files;
                    let i = self.offset + (m.row - first(a.files)) as usize;
                    if i < self.rows.len() {
                        self.cursor = i;
                    }
                } else if in_rows(a.layers) {
                    self.focus = Panel::Layers;
                    let i = self.layers_offset + (m.row - first(a.layers)) as usize;
                    if let Some(LayerEntry::Layer(l)) = self.layer_rows.get(i) {
                        self.select_layer(*l);
                    }
                }
            }
            _ => {}
        }
        self.fit(width, height);
    }

    pub fn on_file_read(
        &mut self,
        layer: usize,
        path: &str,
        purpose: ReadPurpose,
        result: Result<FileContent, String>,
    ) -> Vec<Effect> {
        // A popup closed meanwhile, or another file's viewer took its place: the user moved
        // on. Reads finish in any order.
        let Some(Popup::Viewer { awaits, .. }) = &self.popup else {
            return Vec::new();
        };
        if !awaits.wants(layer, path, &purpose) {
            return Vec::new();
        }
        let content = match result {
            Ok(c) => c,
            Err(e) => {
                self.popup = Some(Popup::Message(printable(&e, 500)));
                return Vec::new();
            }
        };
        match purpose {
            ReadPurpose::View => {
                if let Some(Popup::Viewer { lines, .. }) = &mut self.popup {
                    *lines = render_content(&content);
                }
                Vec::new()
            }
            ReadPurpose::DiffOld { new_layer } => vec![Effect::ReadFile {
                layer: new_layer,
                path: path.to_string(),
                purpose: ReadPurpose::DiffNew {
                    old: Box::new(content),
                },
            }],
            ReadPurpose::DiffNew { old } => {
                if let Some(Popup::Viewer { lines, .. }) = &mut self.popup {
                    *lines = render_diff(&old, &content, path, layer);
                }
                Vec::new()
            }
        }
    }

    pub fn on_extracted(
        &mut self,
        request: ExtractRequest,
        result: Result<Summary, super::ExtractFailure>,
    ) {
        self.popup = Some(match result {
            Ok(s) => Popup::Message(format!(
                "extracted {} files ({}), {} dirs, {} links into {}{}",
                s.files,
                crate::report::text::size(s.bytes),
                s.dirs,
                s.symlinks + s.hardlinks,
                printable(&request.dir, 200),
                if s.skipped.is_empty() {
                    String::new()
                } else {
                    format!("; {} skipped", s.skipped.len())
                }
            )),
            Err(e) if e.exists && !request.overwrite => Popup::Prompt(Prompt {
                kind: PromptKind::ConfirmOverwrite(request),
                input: String::new(),
                error: Some(printable(&e.message, 300)),
            }),
            Err(e) => Popup::Message(printable(&e.message, 500)),
        });
    }
}

/// The keys that move a popup list's cursor (see `list_move`).
fn is_list_move(action: Action) -> bool {
    matches!(
        action,
        Action::Down
            | Action::Up
            | Action::PageDown
            | Action::PageUp
            | Action::Top
            | Action::Bottom
    )
}

/// A popup list's cursor after a move key, within `len` rows (pages of 10).
fn list_move(cursor: usize, action: Action, len: usize) -> usize {
    let last = len.saturating_sub(1);
    match action {
        Action::Down => (cursor + 1).min(last),
        Action::Up => cursor.saturating_sub(1),
        Action::PageDown => (cursor + 10).min(last),
        Action::PageUp => cursor.saturating_sub(10),
        Action::Top => 0,
        Action::Bottom => last,
        _ => cursor,
    }
}

/// The scroll offset of a list of `len` rows, `shown` at a time, that keeps `cursor` on screen
/// and leaves no empty rows below while rows above are hidden. Moves as little as it can.
pub fn scroll_to(offset: usize, cursor: usize, len: usize, shown: usize) -> usize {
    let shown = shown.max(1);
    let offset = if cursor < offset {
        cursor
    } else if cursor >= offset + shown {
        cursor + 1 - shown
    } else {
        offset
    };
    offset.min(len.saturating_sub(shown))
}

fn popup_kind(p: &Popup) -> std::borrow::Cow<'static, str> {
    match p {
        Popup::Help { .. } => "help".into(),
        Popup::Config { .. } => "config".into(),
        _ => "other".into(),
    }
}

/// Layers in history order, with the steps that made no layer between them.
fn layer_rows(image: &Image) -> Vec<LayerEntry> {
    let mut rows = Vec::new();
    let mut seen = vec![false; image.layers.len()];
    for (i, step) in image.history.iter().enumerate() {
        match step.layer {
            Some(l) if l < seen.len() => {
                seen[l] = true;
                rows.push(LayerEntry::Layer(l));
            }
            _ => rows.push(LayerEntry::Empty(i)),
        }
    }
    // Layers the history does not mention still show, in order.
    for (l, s) in seen.iter().enumerate() {
        if !s {
            let at = rows
                .iter()
                .position(|r| matches!(r, LayerEntry::Layer(x) if *x > l))
                .unwrap_or(rows.len());
            rows.insert(at, LayerEntry::Layer(l));
        }
    }
    rows
}

/// `500k`, `1M`, `2.5GB`, `1MiB`, `1048576`: decimal units like the rest of the UI, binary
/// ones when asked.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_lowercase().replace(' ', "");
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult: f64 = match unit {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "kib" | "ki" => 1024.0,
        "mib" | "mi" => 1048576.0,
        "gib" | "gi" => 1073741824.0,
        _ => return None,
    };
    Some((n * mult) as u64)
}

/// Text with line numbers, or a hex dump for binary content; escaped either way.
pub fn render_content(c: &FileContent) -> Vec<String> {
    let head = &c.bytes[..c.bytes.len().min(8192)];
    let binary = head.contains(&0)
        || std::str::from_utf8(head).is_err()
            && std::str::from_utf8(&head[..head.len().saturating_sub(4)]).is_err();
    let mut lines: Vec<String> = if binary {
        c.bytes
            .chunks(16)
            .enumerate()
            .map(|(i, chunk)| {
                let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
                let ascii: String = chunk
                    .iter()
                    .map(|&b| {
                        if (0x20..0x7f).contains(&b) {
                            b as char
                        } else {
                            '.'
                        }
                    })
                    .collect();
                format!("{:08x}  {:<47}  |{ascii}|", i * 16, hex.join(" "))
            })
            .collect()
    } else {
        let text = String::from_utf8_lossy(&c.bytes);
        let width = text.lines().count().to_string().len();
        text.lines()
            .enumerate()
            .map(|(i, l)| {
                format!(
                    "{:>width$} │ {}",
                    i + 1,
                    // Long lines (minified code) wrap in the viewer; beyond this they are cut.
                    printable(&l.replace('\t', "    "), 65_536)
                )
            })
            .collect()
    };
    if c.truncated {
        lines.push(format!(
            "… showing the first {} of {}",
            crate::report::text::size(c.bytes.len() as u64),
            crate::report::text::size(c.total)
        ));
    }
    if lines.is_empty() {
        lines.push("(empty file)".into());
    }
    lines
}

/// What a change did to a file's mode, owner and mtime, as ` (mode 0644 -> 0600, ...)`;
/// empty when none changed.
fn metadata_change(old: &crate::tree::Entry, new: &crate::tree::Entry) -> String {
    let mut parts = Vec::new();
    if old.mode != new.mode {
        parts.push(format!("mode {:04o} -> {:04o}", old.mode, new.mode));
    }
    if (old.uid, old.gid) != (new.uid, new.gid) {
        parts.push(format!(
            "owner {}:{} -> {}:{}",
            old.uid, old.gid, new.uid, new.gid
        ));
    }
    if old.mtime != new.mtime {
        parts.push("mtime changed".to_string());
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

fn render_diff(old: &FileContent, new: &FileContent, path: &str, new_layer: usize) -> Vec<String> {
    if old.bytes == new.bytes {
        return vec!["same content; only metadata (mode, owner or mtime) changed".into()];
    }
    let (a, b) = (
        String::from_utf8_lossy(&old.bytes),
        String::from_utf8_lossy(&new.bytes),
    );
    if old.bytes.contains(&0) || new.bytes.contains(&0) {
        return vec![format!(
            "binary content differs: {} -> {}",
            crate::report::text::size(old.total),
            crate::report::text::size(new.total)
        )];
    }
    let diff = similar::TextDiff::from_lines(a.as_ref(), b.as_ref());
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("a/{path} (below layer {new_layer})"),
            &format!("b/{path} (layer {new_layer})"),
        )
        .to_string();
    text.lines().map(|l| printable(l, 4096)).collect()
}
