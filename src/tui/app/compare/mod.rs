//! The compare screen of `strata diff A B`: a summary that leads with what a reviewer reads
//! first (packages, layers, waste by cause and step), the layers both images share, and the
//! list of differences grouped by package, by directory or flat (`lists`). A reviewer drills
//! in: Enter or `d` on a file opens its content diff A -> B, Enter on a directory narrows the
//! list to it, Enter on a package or a folded group of metadata changes opens it; `x`
//! extracts a path from A or B. Moving, filtering, sorting and the size floor are `TreeNav`'s,
//! as in the explorer.

pub mod lists;

use std::sync::Arc;

use super::filetree::{Only, SortBy, Status};
use super::keymap::Action;
use super::keys::{Context, Input};
use super::layout::{compare_areas, compare_details_area, list_rows, popup_area};
use super::nav::TreeNav;
use super::popups::pair_diff::{render_pair, Side};
use super::popups::prompt::Answer;
use super::popups::{Prompt, PromptKind, Scroll, Viewer};
use super::{Effect, ExtractFailure, ExtractRequest, Loaded};
use crate::analysis::compare::{Comparison, FileChange};
use crate::extract::{FileContent, Summary};
use crate::model::text::printable;
use crate::report::diff::DiffReport;
use crate::tree::paths::{PathId, ROOT};
use crate::tree::EntryKind;
use lists::{CompareList, Grouping, Target};

#[derive(Debug, Clone, PartialEq)]
pub enum ComparePopup {
    Help,
    /// Config, history and waste differences.
    Details(Scroll),
    /// A file's content diff A -> B (or, while it is read, a note saying so).
    Viewer(Viewer),
    Prompt(Prompt),
    Message(String),
}

pub struct CompareView {
    pub report: DiffReport,
    pub cmp: Comparison,
    pub list: CompareList,
    pub nav: TreeNav,
    pub sort: SortBy,
    pub popup: Option<ComparePopup>,
    /// Both images, for content diffs and extraction (`None` in tests that draw only).
    pub sides: Option<Arc<[Loaded; 2]>>,
    /// The directory the list is narrowed to (Enter on a directory; Esc leaves it).
    pub narrowed: Option<String>,
    /// The path a content diff is being read for.
    reading: Option<String>,
    /// A line for the footer until the next key (a search's result, an extraction's): it
    /// captures no key, so the next one does what it says.
    pub notice: Option<String>,
    /// The terminal's size, from the last resize.
    size: (u16, u16),
}

impl CompareView {
    pub fn new(
        report: DiffReport,
        cmp: Comparison,
        sides: Option<Arc<[Loaded; 2]>>,
        width: u16,
        height: u16,
    ) -> CompareView {
        // A reviewer reads packages first, when any changed.
        let grouping = if cmp.packages.is_empty() {
            Grouping::Dirs
        } else {
            Grouping::Packages
        };
        let list = lists::build(&cmp, grouping);
        let mut v = CompareView {
            nav: TreeNav::new(list.tree.clone()),
            list,
            report,
            cmp,
            sort: SortBy::Delta,
            popup: None,
            sides,
            narrowed: None,
            reading: None,
            notice: None,
            size: (width, height),
        };
        v.regroup(grouping);
        v
    }

    /// Shows the list grouped by `grouping`, keeping the filter, sort and size floor.
    fn regroup(&mut self, grouping: Grouping) {
        self.list = lists::build(&self.cmp, grouping);
        let mut nav = TreeNav::new(self.list.tree.clone());
        nav.filter = self.nav.filter.clone();
        nav.filter.only = None;
        self.narrowed = None;
        for &id in &self.list.folded {
            nav.folds.set(id, true);
        }
        self.nav = nav;
        self.nav.tree.sort(self.sort);
        let text = self.nav.filter.text.clone();
        self.nav.set_filter_text(&self.list.paths, &text);
        self.nav.refresh(&self.list.paths, None);
        self.fit(self.size.0, self.size.1);
    }

    /// Rows the details popup holds: the config keys (or "no difference"), the layers, the
    /// waste by cause and step (or a line saying none), the history aligned, the waste
    /// figures, each under its heading and after a blank line.
    pub fn details_len(&self) -> usize {
        let r = &self.report;
        let config = r.config.len().max(1);
        let causes = r.waste_causes.len().max(1);
        1 + config + 2 + r.layers.len() + 2 + causes + 2 + r.history.len() + 2 + r.waste.len()
    }

    /// Lays the screen out for a `width` x `height` terminal.
    pub fn fit(&mut self, width: u16, height: u16) {
        self.size = (width, height);
        self.nav.fit(
            &self.list.paths,
            list_rows(compare_areas(width, height).files),
        );
        let visible = compare_details_area(width, height).height.saturating_sub(2) as usize;
        let rows = self.details_len();
        match &mut self.popup {
            Some(ComparePopup::Details(scroll)) => scroll.fit(rows, visible),
            Some(ComparePopup::Viewer(v)) => {
                let big = popup_area(ratatui::layout::Rect::new(0, 0, width, height));
                v.fit(
                    big.width.saturating_sub(2) as usize,
                    big.height.saturating_sub(2) as usize,
                );
            }
            _ => {}
        }
    }

    /// Where keys go now.
    pub fn context(&self) -> Context {
        match &self.popup {
            Some(ComparePopup::Prompt(_)) => Context::Typing,
            Some(ComparePopup::Viewer(v)) if v.editing => Context::Typing,
            Some(_) => Context::Popup,
            None if self.nav.editing_filter => Context::Typing,
            None => Context::Keys(None),
        }
    }

    /// The row under the cursor and what it stands for.
    pub fn selected(&self) -> Option<(PathId, Target)> {
        let id = self.nav.selected()?;
        Some((id, self.list.target(id)))
    }

    pub fn on_input(&mut self, input: Input) -> Vec<Effect> {
        let effects = self.on_input_inner(input);
        self.fit(self.size.0, self.size.1);
        effects
    }

    fn on_input_inner(&mut self, input: Input) -> Vec<Effect> {
        self.notice = None;
        if self.nav.editing_filter {
            if let Input::Edit(edit) = input {
                self.nav.edit_filter(&self.list.paths, edit);
            }
            return Vec::new();
        }
        if self.popup.is_some() {
            return self.on_popup_input(input);
        }
        let Some(action) = input.action() else {
            if input == Input::Back {
                self.leave_narrowing();
            }
            return Vec::new();
        };
        let page = self.nav.page() as i64;
        let paths = &self.list.paths;
        match action {
            Action::Help => self.popup = Some(ComparePopup::Help),
            Action::Config => self.popup = Some(ComparePopup::Details(Scroll::default())),
            Action::Up => self.nav.move_by(paths, -1),
            Action::Down => self.nav.move_by(paths, 1),
            Action::PageUp => self.nav.move_by(paths, -page),
            Action::PageDown => self.nav.move_by(paths, page),
            Action::Top => self.nav.move_by(paths, i64::MIN / 2),
            Action::Bottom => self.nav.move_by(paths, i64::MAX / 2),
            Action::Toggle => self.nav.fold(paths, None),
            Action::Collapse => self.nav.collapse_or_parent(paths),
            Action::Expand => self.nav.fold(paths, Some(false)),
            Action::CollapseAll => self.nav.fold_all(paths),
            Action::ExpandAll => self.nav.unfold_all(paths),
            Action::ToggleAll => {
                if self.nav.folds.all_folded() {
                    self.nav.unfold_all(paths)
                } else {
                    self.nav.fold_all(paths)
                }
            }
            Action::Filter => self.nav.editing_filter = true,
            Action::Sort => {
                self.sort = self.sort.next();
                self.nav.set_sort(paths, self.sort);
            }
            Action::SizeFloor => {
                self.popup = Some(ComparePopup::Prompt(Prompt::size_floor(&self.nav.filter)))
            }
            Action::HideAdded => self.nav.hide(paths, Status::Added, None),
            Action::HideModified => self.nav.hide_modified(paths),
            Action::HideRemoved => self.nav.hide(paths, Status::Removed, None),
            // Nothing is unchanged in a comparison: the key hides metadata-only changes.
            Action::HideUnchanged => self.nav.hide(paths, Status::MetadataOnly, None),
            Action::SearchNext | Action::SearchPrev => {
                let needle = self.nav.search.clone();
                let found = self
                    .nav
                    .search_jump(paths, &needle, action == Action::SearchNext);
                if found.is_none() {
                    self.notice = Some(if needle.is_empty() {
                        "type / and a text first: n and N then jump between the paths that contain it".into()
                    } else {
                        format!("no path here contains \"{}\"", printable(&needle, 100))
                    });
                }
            }
            Action::Mode => self.regroup(self.list.grouping.next()),
            Action::ModeLayer => self.regroup(Grouping::Packages),
            Action::ModeMerged => self.regroup(Grouping::Dirs),
            Action::ModeFinal => self.regroup(Grouping::Flat),
            Action::Open => return self.open_selected(),
            Action::Diff => return self.diff_selected(),
            Action::Extract => self.ask_extract(),
            _ => {}
        }
        Vec::new()
    }

    fn on_popup_input(&mut self, input: Input) -> Vec<Effect> {
        // The viewer's own search takes `/`, typing, `n` and `N` first.
        if let Some(ComparePopup::Viewer(v)) = &mut self.popup {
            if v.on_search_input(input) {
                return Vec::new();
            }
        }
        let action = input.action();
        match &mut self.popup {
            Some(ComparePopup::Prompt(p)) => match p.on_input(input) {
                Answer::Open => {}
                Answer::Cancelled => self.popup = None,
                Answer::SizeFloor { min, typed } => {
                    self.popup = None;
                    self.nav.set_min_size(&self.list.paths, min);
                    self.nav.filter.min_size_text = Some(typed);
                }
                Answer::Extract(req) => {
                    self.popup = Some(ComparePopup::Message(format!(
                        "extracting into {}…",
                        printable(&req.dir, 200)
                    )));
                    return vec![Effect::Extract(req)];
                }
            },
            Some(ComparePopup::Message(_)) => self.popup = None,
            Some(ComparePopup::Help) if action == Some(Action::Help) => self.popup = None,
            Some(ComparePopup::Details(_)) if action == Some(Action::Config) => self.popup = None,
            Some(_) if input.closes() => {
                self.popup = None;
                self.reading = None;
            }
            Some(ComparePopup::Details(scroll)) => {
                if let Some(a) = action {
                    scroll.on_action(a);
                }
            }
            Some(ComparePopup::Viewer(v)) => {
                if let Some(a) = action {
                    v.scroll.on_action(a);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// Enter: a file's content diff; a directory narrows the list to it; a package or a
    /// folded group opens (or closes) in place.
    fn open_selected(&mut self) -> Vec<Effect> {
        let Some((id, target)) = self.selected() else {
            return Vec::new();
        };
        match target {
            Target::File(i)
                if self.cmp.files[i].kind_b.or(self.cmp.files[i].kind_a)
                    != Some(EntryKind::Dir) =>
            {
                return self.diff_file(i);
            }
            Target::File(_) | Target::Context if self.list.grouping == Grouping::Dirs => {
                self.narrow_to(id)
            }
            _ => self.nav.fold(&self.list.paths, None),
        }
        Vec::new()
    }

    /// `d`: the content diff of the file under the cursor.
    fn diff_selected(&mut self) -> Vec<Effect> {
        match self.selected() {
            Some((_, Target::File(i))) => self.diff_file(i),
            _ => {
                self.notice = Some("select a file to see how its content changed".into());
                Vec::new()
            }
        }
    }

    /// Asks the runtime for both versions of `files[i]`.
    fn diff_file(&mut self, i: usize) -> Vec<Effect> {
        let f = &self.cmp.files[i];
        let title = format!("/{} A → B", printable(&f.path, 500));
        let file =
            |k: Option<EntryKind>| k == Some(EntryKind::File) || k == Some(EntryKind::Hardlink);
        let (a, b) = (file(f.kind_a), file(f.kind_b));
        if f.change == FileChange::MetadataOnly || (!a && !b) {
            let mut lines = vec![format!(
                "{} → {}",
                f.kind_a.map_or("absent", |k| k.name()),
                f.kind_b.map_or("absent", |k| k.name())
            )];
            if let Some(m) = f.meta_change() {
                lines.push(format!("same content; {m}"));
            }
            let mut v = Viewer::reading(
                title,
                super::popups::Awaits::View {
                    layer: 0,
                    path: f.path.clone(),
                },
            );
            v.lines = lines;
            self.popup = Some(ComparePopup::Viewer(v));
            return Vec::new();
        }
        if self.sides.is_none() {
            self.popup = Some(ComparePopup::Message(
                "file contents are not loaded here".into(),
            ));
            return Vec::new();
        }
        self.reading = Some(f.path.clone());
        self.popup = Some(ComparePopup::Viewer(Viewer::reading(
            title,
            super::popups::Awaits::View {
                layer: 0,
                path: f.path.clone(),
            },
        )));
        vec![Effect::ReadPair {
            path: f.path.clone(),
            a,
            b,
        }]
    }

    /// The runtime read both versions of `path` (`None`: that side has no such file).
    pub fn on_pair_read(
        &mut self,
        path: &str,
        a: Option<Result<FileContent, String>>,
        b: Option<Result<FileContent, String>>,
    ) {
        if self.reading.as_deref() != Some(path) {
            return;
        }
        self.reading = None;
        let Some(i) = self.cmp.files.iter().position(|f| f.path == path) else {
            return;
        };
        let (id_a, id_b) = (self.cmp.files[i].id_a, self.cmp.files[i].id_b);
        let lines = match (a.transpose(), b.transpose()) {
            (Ok(a), Ok(b)) => render_pair(
                path,
                a.as_ref().map(|c| Side {
                    content: c,
                    id: id_a,
                }),
                b.as_ref().map(|c| Side {
                    content: c,
                    id: id_b,
                }),
            ),
            (Err(e), _) | (_, Err(e)) => vec![printable(&e, 500)],
        };
        if let Some(ComparePopup::Viewer(v)) = &mut self.popup {
            v.lines = lines;
        }
    }

    /// Narrows the list to the directory `id` (in the directory grouping).
    fn narrow_to(&mut self, id: PathId) {
        let paths = &self.list.paths;
        let mut ids = vec![false; paths.len()];
        for (k, slot) in ids.iter_mut().enumerate() {
            let mut cur = k as PathId;
            while cur != ROOT {
                if cur == id {
                    *slot = true;
                    break;
                }
                cur = paths.parent(cur);
            }
        }
        let dir = paths.path(id).to_string();
        self.nav.set_only(
            paths,
            Some(Arc::new(Only {
                label: format!("/{}", printable(&dir, 200)),
                ids,
            })),
        );
        self.nav.fold(paths, Some(false));
        self.narrowed = Some(dir);
    }

    fn leave_narrowing(&mut self) {
        if self.narrowed.take().is_some() {
            let keep = self.nav.selected();
            self.nav.set_only(&self.list.paths, None);
            if let Some(k) = keep {
                self.nav.reveal(&self.list.paths, k);
            }
        } else if self.nav.clear_filters() {
            self.nav.refresh(&self.list.paths, self.nav.selected());
        }
    }

    /// `x`: asks where to extract the path under the cursor, from B (from A when only A has it).
    fn ask_extract(&mut self) {
        let (path, image) = match self.selected() {
            Some((_, Target::File(i))) => {
                let f = &self.cmp.files[i];
                (f.path.clone(), usize::from(f.change != FileChange::Removed))
            }
            Some((id, Target::Context)) if self.list.grouping == Grouping::Dirs => {
                (self.list.paths.path(id).to_string(), 1)
            }
            _ => {
                self.notice = Some("select a file or directory to extract".into());
                return;
            }
        };
        // The final view of each image: its top layer.
        let s = &self.report.summary;
        let top = [s.layers_a, s.layers_b].map(|n| n.saturating_sub(1));
        self.popup = Some(ComparePopup::Prompt(Prompt {
            kind: PromptKind::Extract {
                layer: top[image],
                path,
                image,
                compare: true,
            },
            input: "./strata-extract".into(),
            error: None,
            selected: false,
        }));
    }

    /// The runtime finished (or refused) an extraction.
    pub fn on_extracted(
        &mut self,
        request: ExtractRequest,
        result: Result<Summary, ExtractFailure>,
    ) {
        self.popup = Some(match result {
            // Success is a footer notice: the next key does what it says.
            Ok(s) => {
                self.popup = None;
                self.notice = Some(format!(
                    "extracted {} ({}) from {} into {}",
                    crate::model::units::counted(s.files, "file", "files"),
                    crate::model::units::decimal(s.bytes),
                    ["A", "B"][request.image.min(1)],
                    printable(&request.dir, 200)
                ));
                return;
            }
            Err(e) if e.exists && !request.overwrite => ComparePopup::Prompt(Prompt {
                kind: PromptKind::ConfirmOverwrite(request),
                input: String::new(),
                error: Some(printable(&e.message, 300)),
                selected: false,
            }),
            Err(e) => ComparePopup::Message(printable(&e.message, 500)),
        });
    }
}
