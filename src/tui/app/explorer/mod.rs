//! The explorer screen: which layer and file are selected, the Files panel's mode and sort,
//! the tree navigation (cursor, folds, filter: `TreeNav`), and the open popup. View state
//! lives here, keyed by path id, never in the analysis. The panels' view models are built once
//! from the image and the analysis (`layers`, `popups`), not from the JSON report.
//!
//! - `files`: what the Files panel's keys do (open, diff, history, extract, jumps);
//! - `popup_keys`: keys while a popup is open, and the answers of the runtime's reads;
//! - `layers`: the Layers and Layer panels' rows.

mod arrival;
mod files;
pub mod layers;
mod pictures;
mod popup_keys;

use std::sync::Arc;

use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::filetree::{FileMode, FileTree, Node, SortBy, Status};
use super::keymap::{Action, Scope};
use super::keys::{Context, Input};
use super::layout::{list_rows, popup_area, Areas};
use super::nav::{scroll_to, TreeNav};
use super::popups::{help, packages, ConfigView, HintList, PackageList, Popup, Prompt, Scroll};
use super::{Effect, Loaded};
use crate::analysis::merge::ViewCache;
use crate::analysis::Analysis;
use crate::load::{Image, Session};
use crate::model::text::printable;
use crate::tree::paths::PathTable;
pub use arrival::{layer_list, load_words};
pub use layers::{LayerEntry, LayerInfo};
pub use pictures::Bars;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    Layers,
    Files,
}

pub struct Explorer {
    pub session: Arc<Session>,
    pub analysis: Arc<Analysis>,
    /// Each layer's figures and command, bottom first.
    pub layer_info: Vec<LayerInfo>,
    /// Bytes of all layer blobs.
    pub compressed_bytes: u64,
    /// The image config popup's rows.
    pub config: ConfigView,
    pub focus: Panel,
    pub layer: usize,
    pub layer_rows: Vec<LayerEntry>,
    pub layers_offset: usize,
    pub mode: FileMode,
    pub sort: SortBy,
    sort_chosen: bool,
    pub nav: TreeNav,
    /// Merged views kept between trees, so walking the layers replays little.
    views: ViewCache,
    pub popup: Option<Popup>,
    /// A one-line note for the footer (what `w` or a hint jumped to), cleared by the next key
    /// (another `w` puts the next one there).
    pub notice: Option<String>,
    /// Where the user left the Layers list scrolled (resizes scroll from here).
    layers_anchor: usize,
    /// The panel that has the whole screen (`+`), if one does.
    pub zoom: Option<crate::tui::app::layout::Zoom>,
    /// The row of the biggest wasted paths `w`/`W` showed last.
    waste_at: Option<usize>,
    /// The terminal's size, from the last resize: where the panels are.
    size: (u16, u16),
    /// For each path id, the package (index into the inventory) that owns it, or `u32::MAX`.
    pub owners: Vec<u32>,
    /// The Files panel's size bars.
    pub bars: Bars,
    /// Which stored copies are wasted, once a picture asked.
    wasted: Option<Arc<crate::analysis::wasted_copies::WastedCopies>>,
    /// The waste by path of the tree of (layer, mode), once a picture asked.
    shares: Option<(
        usize,
        FileMode,
        Arc<crate::tui::app::filetree::waste::WasteShares>,
    )>,
    /// While the image loads: each layer's download (see `arrival`); `None` once loaded.
    pub arrival: Option<crate::tui::app::loading::Loading>,
}

/// What the explorer derives from an image and its analysis alone, once per image (or per
/// snapshot of a loading one).
pub(super) struct ImageParts {
    pub layer_info: Vec<LayerInfo>,
    pub layer_rows: Vec<LayerEntry>,
    pub config: ConfigView,
    pub compressed_bytes: u64,
    pub owners: Vec<u32>,
}

impl ImageParts {
    pub(super) fn of(loaded: &Loaded) -> ImageParts {
        let image = loaded.session.image();
        ImageParts {
            layer_info: layers::infos(image, &loaded.analysis),
            layer_rows: layers::rows(image),
            config: ConfigView::of(image),
            compressed_bytes: image.layers.iter().map(|l| l.desc.compressed_size).sum(),
            owners: packages::owners(&loaded.analysis.packages, loaded.analysis.stack.paths.len()),
        }
    }
}

impl Explorer {
    /// The explorer of a loaded image, the files panel in `mode`.
    pub fn new(loaded: Loaded, mode: FileMode, width: u16, height: u16) -> Explorer {
        let image = loaded.session.image();
        let ImageParts {
            layer_info,
            layer_rows,
            config,
            compressed_bytes,
            owners,
        } = ImageParts::of(&loaded);
        let mut views = ViewCache::default();
        let tree = FileTree::build(&image.trees(), &loaded.analysis, 0, mode, &mut views);
        let mut ex = Explorer {
            session: loaded.session,
            analysis: loaded.analysis,
            layer_info,
            compressed_bytes,
            config,
            focus: Panel::Layers,
            layer: 0,
            layer_rows,
            layers_offset: 0,
            mode,
            sort: SortBy::Name,
            sort_chosen: false,
            nav: TreeNav::new(tree),
            views,
            popup: None,
            notice: None,
            layers_anchor: 0,
            zoom: None,
            waste_at: None,
            size: (width, height),
            owners,
            bars: Bars::Off,
            wasted: None,
            shares: None,
            arrival: None,
        };
        ex.rebuild();
        ex.fit(width, height);
        ex
    }

    pub fn image(&self) -> &Image {
        self.session.image()
    }

    fn paths(&self) -> &PathTable {
        &self.analysis.stack.paths
    }

    pub fn layer_count(&self) -> usize {
        self.image().layers.len()
    }

    /// Shows the files panel in `mode`.
    pub fn set_mode(&mut self, mode: FileMode) {
        if self.mode != mode {
            self.mode = mode;
            self.rebuild();
        }
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
        let keep = self.nav.selected();
        self.build_tree();
        let paths = &self.analysis.stack.paths;
        self.nav.refresh(paths, keep);
    }

    /// Builds the tree of the selected layer and mode, unless the tree shown is already it
    /// (the final view is the same whatever layer is selected). Rows are not recounted.
    fn build_tree(&mut self) {
        let last = self.layer_count().saturating_sub(1);
        let layer = if self.mode == FileMode::Final {
            last
        } else {
            self.layer.min(last)
        };
        let sort = self.effective_sort();
        let tree = &self.nav.tree;
        if tree.mode == self.mode && tree.layer == layer && !tree.is_empty() {
            self.nav.tree.sort(sort);
            return;
        }
        // The pictures on screen follow the new tree (`w`, a hint or the history jump here too).
        let trees = self.session.image().trees();
        let mut tree = FileTree::build(
            &trees,
            &self.analysis,
            self.layer,
            self.mode,
            &mut self.views,
        );
        tree.sort(sort);
        self.nav.tree = tree;
        self.refresh_shares();
    }

    /// The package that owns the selected path, for the footer.
    pub fn selected_owner(&self) -> Option<&crate::model::packages::Package> {
        let id = self.nav.selected()?;
        let owner = *self.owners.get(id as usize)?;
        self.analysis.packages.packages.get(owner as usize)
    }

    /// Narrows the Files panel to one row of the Packages view (the final view, where
    /// packages' sizes are measured), or widens it.
    /// An unreadable database is shown in the layer that wrote it (it may be gone from the
    /// final view).
    fn narrow_to(&mut self, row: packages::PackageRow) {
        let paths = &self.analysis.stack.paths;
        let only = packages::narrowed(&self.analysis.packages, row, paths).map(Arc::new);
        if only.is_some() {
            match row {
                packages::PackageRow::Unreadable(i) => {
                    let layer = self.analysis.packages.unreadable.get(i).map(|u| u.layer);
                    self.set_mode(FileMode::Merged);
                    if let Some(layer) = layer {
                        self.select_layer(layer);
                    }
                }
                _ => self.set_mode(FileMode::Final),
            }
            self.focus = Panel::Files;
        }
        let paths = &self.analysis.stack.paths;
        self.nav.set_only(paths, only);
    }

    /// The node under the cursor.
    pub fn selected_node(&self) -> Option<Node> {
        let path = self.nav.selected()?;
        self.nav.tree.node(path, &self.image().trees())
    }

    /// Normalised path of the selection ("" for none).
    pub fn selected_path_str(&self) -> String {
        self.nav
            .selected()
            .map(|p| self.paths().path(p).to_string())
            .unwrap_or_default()
    }

    /// Where the panels are on the terminal.
    pub fn areas(&self) -> Areas {
        crate::tui::app::layout::zoomed_areas(
            self.size.0,
            self.size.1,
            self.layer_rows.len(),
            self.zoom,
        )
    }

    /// Lays the screen out for a `width` x `height` terminal: the cursors stay inside their
    /// panels and the panels filled (no empty rows below while rows above are scrolled away, as
    /// after the terminal grew back), and an open popup knows how far it scrolls.
    pub fn fit(&mut self, width: u16, height: u16) {
        let resized = self.size != (width, height);
        self.size = (width, height);
        let a = self.areas();
        let paths = &self.analysis.stack.paths;
        // A resize scrolls from where the user left each list (a shrink to nothing scrolls it
        // to the cursor; grown back, it is where it was); a key moves that place, unless the
        // terminal is too small to show the lists at all.
        use crate::tui::app::layout::{MIN_HEIGHT, MIN_WIDTH};
        let keep = resized || width < MIN_WIDTH || height < MIN_HEIGHT;
        if keep {
            self.nav.refit(paths, list_rows(a.files));
        } else {
            self.nav.fit(paths, list_rows(a.files));
        }
        let from = if keep {
            self.layers_anchor
        } else {
            self.layers_offset
        };
        self.layers_offset = scroll_to(
            from,
            self.layer_row_index(),
            self.layer_rows.len(),
            list_rows(a.layers),
        );
        if !keep {
            self.layers_anchor = self.layers_offset;
        }
        // A popup's limit depends on its size and content only: it is set when it opens, when
        // its content arrives and here when the terminal changed (a viewer re-wraps its text).
        if resized {
            self.fit_popup();
        }
    }

    /// The open popup's scroll limit, for the popup area of this terminal.
    fn fit_popup(&mut self) {
        let big = popup_area(Rect::new(0, 0, self.size.0, self.size.1));
        let visible = big.height.saturating_sub(2) as usize;
        let width = big.width.saturating_sub(2) as usize;
        match &mut self.popup {
            Some(Popup::Help(scroll)) => scroll.fit(help::len(), visible),
            Some(Popup::Config(scroll)) => scroll.fit(self.config.len(width), visible),
            Some(Popup::Viewer(v)) => v.fit(width, visible),
            Some(Popup::Treemap(_)) => {
                let area = self.treemap_area();
                if let Some(Popup::Treemap(map)) = &mut self.popup {
                    map.fit(area);
                }
            }
            _ => {}
        }
    }

    /// Opens `popup` fitted to the screen.
    fn open(&mut self, popup: Popup) {
        self.popup = Some(popup);
        self.fit_popup();
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

    /// Where keys go now.
    pub fn context(&self) -> Context {
        match &self.popup {
            // A yes/no question is typed too: `y` answers, any other key declines.
            Some(Popup::Prompt(_)) => Context::Typing,
            Some(Popup::Viewer(v)) if v.editing => Context::Typing,
            Some(Popup::Packages(list)) if list.editing => Context::Typing,
            Some(_) => Context::Popup,
            None if self.nav.editing_filter => Context::Typing,
            None => Context::Keys(Some(match self.focus {
                Panel::Layers => Scope::Layers,
                Panel::Files => Scope::Files,
            })),
        }
    }

    /// One key, as `keys::input` read it in `self.context()`.
    pub fn on_input(&mut self, input: Input) -> Vec<Effect> {
        self.notice = None;
        let before = self.layer;
        let mut effects = if self.popup.is_some() {
            self.on_popup_input(input)
        } else if self.nav.editing_filter {
            if let Input::Edit(edit) = input {
                let paths = &self.analysis.stack.paths;
                self.nav.edit_filter(paths, edit);
            }
            Vec::new()
        } else {
            match input {
                Input::Action(action) => self.on_action(action),
                _ => Vec::new(),
            }
        };
        self.fit(self.size.0, self.size.1);
        effects.extend(self.prioritise(before));
        effects
    }

    fn on_action(&mut self, action: Action) -> Vec<Effect> {
        if let Some(wait) = self.wait_for(action) {
            self.notice = Some(wait);
            return Vec::new();
        }
        let page = self.nav.page().max(1) as i64;
        let paths = &self.analysis.stack.paths;
        match action {
            // The app quits before a key reaches a screen.
            Action::Quit => {}
            Action::Help => self.open(Popup::Help(Scroll::default())),
            Action::Zoom => {
                use crate::tui::app::layout::Zoom;
                self.zoom = match (self.zoom, self.focus) {
                    (Some(_), _) => None,
                    (None, Panel::Layers) => Some(Zoom::Layers),
                    (None, Panel::Files) => Some(Zoom::Files),
                };
            }
            Action::Config => self.open(Popup::Config(Scroll::default())),
            Action::Hints => self.open(Popup::Hints(HintList::of(&self.analysis.hints))),
            Action::Packages => {
                let narrowed = self.nav.filter.only.is_some();
                self.open(Popup::Packages(PackageList::of(
                    &self.analysis.packages,
                    narrowed,
                )))
            }
            Action::NextPanel | Action::PrevPanel => {
                self.focus = match self.focus {
                    Panel::Layers => Panel::Files,
                    Panel::Files => Panel::Layers,
                };
                // Zoomed, the panel that takes the focus takes the screen.
                if self.zoom.is_some() {
                    use crate::tui::app::layout::Zoom;
                    self.zoom = Some(match self.focus {
                        Panel::Layers => Zoom::Layers,
                        Panel::Files => Zoom::Files,
                    });
                }
            }
            Action::PrevLayer => self.select_layer(self.layer.saturating_sub(1)),
            Action::NextLayer => self.select_layer(self.layer + 1),
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-page),
            Action::PageDown => self.move_by(page),
            Action::Top => self.move_by(i64::MIN / 2),
            Action::Bottom => self.move_by(i64::MAX / 2),
            Action::Open => match self.focus {
                Panel::Layers => self.focus = Panel::Files,
                Panel::Files => return self.open_selected(),
            },
            Action::Toggle => self.nav.fold(paths, None),
            Action::Collapse => self.nav.collapse_or_parent(paths),
            Action::Expand => self.nav.fold(paths, Some(false)),
            Action::ToggleAll if self.nav.folds.all_folded() => self.nav.unfold_all(paths),
            Action::CollapseAll | Action::ToggleAll => self.nav.fold_all(paths),
            Action::ExpandAll => self.nav.unfold_all(paths),
            Action::Filter => {
                self.nav.editing_filter = true;
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
                self.nav.set_sort(paths, self.sort);
            }
            Action::SizeFloor => self.open(Popup::Prompt(Prompt::size_floor(&self.nav.filter))),
            Action::HideAdded => self.nav.hide(paths, Status::Added, None),
            Action::HideModified => self.nav.hide_modified(paths),
            Action::HideRemoved => self.nav.hide(paths, Status::Removed, None),
            Action::HideUnchanged => self.nav.hide(paths, Status::Unchanged, None),
            Action::Waste => self.jump_to_waste(true),
            Action::WastePrev => self.jump_to_waste(false),
            Action::SearchNext | Action::SearchPrev => {
                let needle = self.nav.search.clone();
                let forward = action == Action::SearchNext;
                self.focus = Panel::Files;
                self.notice = Some(if needle.is_empty() {
                    "type / and a text first: n and N then jump between the paths that contain it"
                        .to_string()
                } else {
                    match self.nav.search_jump(paths, &needle, forward) {
                        Some(found) => format!(
                            "search \"{}\": {}",
                            printable(&needle, 100),
                            printable(&format!("/{}", paths.path(found)), 200)
                        ),
                        None => format!(
                            "search \"{}\": no path here contains it",
                            printable(&needle, 100)
                        ),
                    }
                });
            }
            Action::Copy => {
                let Some(path) = self
                    .nav
                    .selected()
                    .map(|p| self.paths().path(p).to_string())
                else {
                    self.notice = Some("nothing selected to copy".into());
                    return Vec::new();
                };
                let path = format!("/{path}");
                self.notice = Some(format!(
                    "copied {} to the clipboard (through the terminal, OSC 52)",
                    printable(&path, 200)
                ));
                return vec![Effect::Copy(path)];
            }
            Action::Extract => self.ask_extract(),
            Action::Diff => return self.diff_selected(),
            Action::History => self.open_history(),
            Action::SizeBars => self.cycle_bars(),
            Action::Treemap => self.open_treemap(),
        }
        Vec::new()
    }

    fn move_by(&mut self, delta: i64) {
        match self.focus {
            Panel::Files => {
                let paths = &self.analysis.stack.paths;
                self.nav.move_by(paths, delta);
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

    /// A mouse event; the effect reads a pending layer the click selected next.
    pub fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        let before = self.layer;
        self.on_mouse_event(m);
        self.prioritise(before).into_iter().collect()
    }

    fn on_mouse_event(&mut self, m: MouseEvent) {
        if self.popup.is_some() {
            return;
        }
        let a = self.areas();
        let inside = |r: Rect| {
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
                let first = |r: Rect| r.y + 2;
                let in_rows = |r: Rect| {
                    m.column > r.x
                        && m.column + 1 < r.x + r.width
                        && m.row >= first(r)
                        && m.row + 1 < r.y + r.height
                };
                if in_rows(a.files) {
                    self.focus = Panel::Files;
                    let i = self.nav.offset + (m.row - first(a.files)) as usize;
                    let paths = &self.analysis.stack.paths;
                    self.nav.select_row(paths, i);
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
        self.fit(self.size.0, self.size.1);
    }
}
