//! The explorer while its image is still loading. It opens on the first snapshot (the
//! manifest and config, every layer pending) and takes each newer one as layers arrive,
//! keeping the selected layer, the mode, the cursor's path, the folds and the filter. Until
//! the load ends it knows which layers are in (`Session::pending`) and says what each view and
//! figure waits for rather than show a figure summed over the layers that happen to be in:
//!
//! - a layer's own changes show as soon as the layer is in; their statuses (added, modified)
//!   need the layers below, and the panel says when those are not in yet;
//! - the merged view after a layer waits for that layer and every layer below it;
//! - the final view and the image's figures (waste, efficiency, hints, packages, the
//!   pictures) wait for every layer.
//!
//! The selected layer is read next (`Effect::Prioritise`), so what the user looks at comes
//! first.

use super::{Effect, Explorer, ImageParts, Loaded};
use crate::load::LoadEvent;
use crate::tui::app::filetree::FileMode;
use crate::tui::app::keymap::Action;
use crate::tui::app::loading::{LayerLoad, Phase};

impl Explorer {
    /// Whether the image is still loading.
    pub fn loading(&self) -> bool {
        !self.session.pending().is_empty()
    }

    /// The layers still loading, bottom first.
    pub fn pending(&self) -> &[usize] {
        self.session.pending()
    }

    /// Whether layer `i`'s tree is in: read and verified, or listed from its table of contents
    /// while its blob downloads.
    pub fn has_tree(&self, i: usize) -> bool {
        !self.pending().contains(&i) || self.session.listed(i)
    }

    /// The layers at or below `layer` whose tree is not in yet.
    fn trees_missing_through(&self, layer: usize) -> Vec<usize> {
        (0..=layer).filter(|&i| !self.has_tree(i)).collect()
    }

    /// The pending layers at or below `layer`.
    pub fn pending_through(&self, layer: usize) -> Vec<usize> {
        self.pending()
            .iter()
            .copied()
            .filter(|&i| i <= layer)
            .collect()
    }

    /// How the load of `layer` stands, for the panels.
    pub fn layer_load(&self, layer: usize) -> Option<LayerLoad> {
        let load = self.arrival.as_ref()?.layers.get(layer).copied();
        if self.pending().contains(&layer) {
            load.or(Some(LayerLoad::default()))
        } else {
            None
        }
    }

    /// What the Files panel's view waits for, or `None` when it can be shown.
    pub fn files_wait(&self) -> Option<String> {
        if !self.loading() {
            return None;
        }
        let layer = self.layer;
        match self.mode {
            FileMode::Layer if self.has_tree(layer) => None,
            FileMode::Layer => self
                .layer_load(layer)
                .map(|l| format!("layer {layer} is {}", load_words(&l))),
            FileMode::Merged => {
                let wait = self.trees_missing_through(layer);
                (!wait.is_empty()).then(|| {
                    format!(
                        "the merged view after layer {layer} waits for {}",
                        layer_list(&wait)
                    )
                })
            }
            FileMode::Final => Some(format!(
                "the final view waits for {}",
                layer_list(self.pending())
            )),
        }
    }

    /// What the Files panel's title says of a view that shows before every layer is in: the
    /// statuses of a layer's own changes wait for the layers below it; a tree listed from its
    /// table of contents is not verified yet.
    pub fn statuses_wait(&self) -> Option<String> {
        if !self.loading() || self.mode == FileMode::Final || !self.has_tree(self.layer) {
            return None;
        }
        let mut notes = Vec::new();
        let listed: Vec<usize> = (0..=self.layer)
            .filter(|&i| {
                self.session.listed(i) && (i == self.layer || self.mode == FileMode::Merged)
            })
            .collect();
        if self.mode == FileMode::Layer && !listed.is_empty() {
            notes.push("listed from its table of contents, verifying".to_string());
        } else if !listed.is_empty() {
            notes.push(format!(
                "{} listed from {} table of contents, verifying",
                layer_list(&listed),
                if listed.len() == 1 { "its" } else { "their" }
            ));
        }
        if self.mode == FileMode::Layer {
            let below = self.trees_missing_through(self.layer);
            if !below.is_empty() {
                notes.push(format!("added/modified pending: {}", layer_list(&below)));
            }
        }
        (!notes.is_empty()).then(|| notes.join(" · "))
    }

    /// Why `action` cannot be done yet, while the image loads.
    pub(super) fn wait_for(&self, action: Action) -> Option<String> {
        if !self.loading() {
            return None;
        }
        let below = |what: &str| {
            let wait = self.pending_through(self.layer);
            (!wait.is_empty()).then(|| format!("{what} waits for {}", layer_list(&wait)))
        };
        match action {
            Action::Hints => self.whole_image_wait("the hints"),
            Action::Packages => self.whole_image_wait("the packages"),
            Action::Waste | Action::WastePrev => self.whole_image_wait("the wasted bytes"),
            Action::Treemap => self.whole_image_wait("the treemap"),
            Action::SizeBars => self.whole_image_wait("the size bars"),
            Action::History => self.whole_image_wait("a path's history"),
            Action::Extract => below("extracting"),
            Action::Diff => below("the diff"),
            _ => None,
        }
    }

    /// The sentence a key that needs the whole image gets while it loads.
    pub(super) fn whole_image_wait(&self, what: &str) -> Option<String> {
        self.loading().then(|| {
            format!(
                "{what} waits for every layer: {} still loading",
                layer_list(self.pending())
            )
        })
    }

    /// A load event: the layers' download states.
    pub fn on_load_event(&mut self, ev: LoadEvent) {
        if let Some(arrival) = &mut self.arrival {
            arrival.on_event(ev, false);
        }
    }

    /// A newer snapshot of the loading image, or the loaded image itself (`Msg::Loaded`): the
    /// view state stays where it is. An older snapshot than the one shown (the analyses of two
    /// snapshots race) is dropped.
    pub fn on_snapshot(&mut self, loaded: Loaded) {
        let (now, shown) = (
            loaded.session.snapshot_number(),
            self.session.snapshot_number(),
        );
        if !self.loading() || now <= shown {
            return;
        }
        let keep = self
            .nav
            .selected()
            .map(|id| self.paths().path(id).to_string());
        // Everything derived from the image comes anew; the view state stays. Folds and the
        // cursor are kept by path name: path ids differ between snapshots.
        let parts = ImageParts::of(&loaded);
        let (old, new) = (&self.analysis.stack.paths, &loaded.analysis.stack.paths);
        self.nav.folds = self.nav.folds.remap(|id| new.get(old.path(id)));
        self.nav.filter.only = None;
        self.session = loaded.session;
        self.analysis = loaded.analysis;
        self.layer_info = parts.layer_info;
        self.layer_rows = parts.layer_rows;
        self.compressed_bytes = parts.compressed_bytes;
        self.config = parts.config;
        self.owners = parts.owners;
        self.views = Default::default();
        self.wasted = None;
        self.shares = None;
        // Force the tree of the selected layer and mode to be built anew.
        self.nav.tree = crate::tui::app::filetree::FileTree::empty(0, usize::MAX, self.mode);
        self.build_tree();
        let keep = keep.and_then(|p| self.analysis.stack.paths.get(&p));
        let paths = &self.analysis.stack.paths;
        self.nav.refresh(paths, keep);
        if !self.loading() {
            self.arrival = None;
        }
        self.fit(self.size.0, self.size.1);
    }

    /// The effect that reads the selected layer next, if it is still to come.
    pub(super) fn prioritise(&self, before: usize) -> Option<Effect> {
        (self.layer != before && self.pending().contains(&self.layer))
            .then_some(Effect::Prioritise(self.layer))
    }
}

/// `queued`, `loading: 45 % of 12 MB`, `being read`.
pub fn load_words(l: &LayerLoad) -> String {
    match l.phase {
        Phase::Queued => "queued".into(),
        Phase::Reading if l.total > 0 => format!(
            "loading: {} % of {}",
            l.read.min(l.total) * 100 / l.total,
            crate::model::units::decimal_short(l.total)
        ),
        Phase::Reading => "loading".into(),
        Phase::Done => "being read".into(),
    }
}

/// `layer 3`, `layers 2, 5`, `layers 0–4, 7`.
pub fn layer_list(layers: &[usize]) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &i in layers {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == i => *end = i,
            _ => runs.push((i, i)),
        }
    }
    let parts: Vec<String> = runs
        .iter()
        .map(|&(a, b)| match b - a {
            0 => a.to_string(),
            1 => format!("{a}, {b}"),
            _ => format!("{a}–{b}"),
        })
        .collect();
    let noun = if layers.len() == 1 { "layer" } else { "layers" };
    format!("{noun} {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_lists_read_as_runs() {
        assert_eq!(layer_list(&[3]), "layer 3");
        assert_eq!(layer_list(&[2, 5]), "layers 2, 5");
        assert_eq!(layer_list(&[0, 1, 2, 3, 4, 7]), "layers 0–4, 7");
        assert_eq!(layer_list(&[4, 5]), "layers 4, 5");
    }
}
