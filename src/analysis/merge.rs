//! Stacks layer trees bottom to top (OCI "Representing Changes"): classifies every entry
//! against the view below it and records, for every stored copy of a file that ends up
//! hidden, which later event hid it and why.

use std::collections::HashMap;

use crate::tree::paths::{PathId, PathTable, ROOT};
use crate::tree::{Entry, EntryKind, LayerTree, FLAG_AUFS};

/// Where a live path comes from: an entry of a layer, or a directory that layer implied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Loc {
    pub layer: u32,
    pub entry: u32,
}

impl Loc {
    pub const IMPLICIT: u32 = u32::MAX;

    pub fn is_implicit(self) -> bool {
        self.entry == Loc::IMPLICIT
    }
}

/// How an entry of layer N relates to the merged view of layers below N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The path was absent below.
    Added,
    /// Kind or content differs from below.
    Modified,
    /// Same kind and content; mode, owner or mtime differ: a copy-up.
    MetadataOnly,
    /// A directory re-listed, or a file re-added byte- and metadata-identical.
    Unchanged,
    /// A whiteout or opaque marker.
    Removed,
}

/// Why a stored copy of a file is not in the view above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// A later layer wrote the path with different content (or another kind).
    Overwritten,
    /// A later layer wrote the path with the same content (chmod/chown/touch).
    CopyUp,
    /// A later whiteout or opaque dir, or a non-directory replacing a parent directory.
    Removed,
}

impl Cause {
    /// How a person reads it: `copy-up` (the JSON key `name` is `copy_up`).
    pub fn label(self) -> &'static str {
        match self {
            Cause::Overwritten => "overwritten",
            Cause::CopyUp => "copy-up",
            Cause::Removed => "removed",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Cause::Overwritten => "overwritten",
            Cause::CopyUp => "copy_up",
            Cause::Removed => "removed",
        }
    }
}

/// A stored copy of a file that the final view does not show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hidden {
    pub path: PathId,
    /// The layer entry holding the bytes.
    pub copy: Loc,
    /// The layer whose change hid it.
    pub by_layer: u32,
    pub bytes: u64,
    pub cause: Cause,
}

/// A merged view: for every path id, what is visible there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    pub live: Vec<Option<Loc>>,
}

impl View {
    pub fn get(&self, id: PathId) -> Option<Loc> {
        self.live.get(id as usize).copied().flatten()
    }
}

/// The result of stacking all layers.
#[derive(Debug, Clone)]
pub struct Stack {
    /// Shared: a report's package rows name their files by id in it.
    pub paths: std::sync::Arc<PathTable>,
    /// The merged view of all layers.
    pub top: View,
    /// The merged view below the last layer (what the final view's changes are measured
    /// against; kept so opening the final view replays nothing).
    pub below_top: View,
    /// `changes[layer][entry]`, parallel to each layer's entries.
    pub changes: Vec<Vec<Change>>,
    /// Every hidden copy, in the order the hiding happened, but for those still reachable
    /// through a hardlink (`linked_only`).
    pub hidden: Vec<Hidden>,
    /// Copies of files whose own path no longer shows them, but which a hardlink of the
    /// final view still names (the inode lives on under the link's path): the link's path
    /// and the copy, one per copy. Their bytes are part of what a container sees.
    pub linked_only: Vec<(PathId, Loc)>,
    /// The file each hardlink entry links to (see `Links`).
    pub links: Links,
    /// Entries written below something a lower layer (or an earlier entry of the same layer)
    /// left there that is not a directory, in layer order. strata makes that path a
    /// directory; Docker and containerd refuse to unpack such a layer ("not a directory").
    pub under_non_dirs: Vec<UnderNonDir>,
}

/// An entry whose parent path held a file, link or device when its layer wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnderNonDir {
    /// The entry written below it.
    pub entry: Loc,
    /// The nearest ancestor that was not a directory, and what was there.
    pub ancestor: PathId,
    pub was: Loc,
}

/// For each hardlink entry (layer, entry): the path and the copy of the file it links to, as
/// the view showed them when the link was made. The copy is the link's content in every view,
/// whatever later layers do to the path.
pub type Links = HashMap<(u32, u32), (PathId, Loc)>;

/// Stacks all layers.
pub fn stack(layers: &[&LayerTree]) -> Stack {
    // Room for every entry: most paths are in one layer only.
    let entries = layers.iter().flat_map(|l| &l.entries);
    let mut paths =
        PathTable::with_capacity(entries.clone().count(), entries.map(|e| e.path.len()).sum());
    for layer in layers {
        let ids = layer
            .entries
            .iter()
            .map(|e| paths.intern(&e.path))
            .collect();
        paths.push_layer_ids(ids);
    }
    paths.shrink_to_fit();
    let mut stacker = Stacker::new(layers, &paths, true);
    let mut changes = Vec::with_capacity(layers.len());
    let mut below_top = View::default();
    for n in 0..layers.len() {
        if n + 1 == layers.len() {
            below_top = stacker.view.clone();
        }
        changes.push(stacker.apply(n));
    }
    let Stacker {
        view,
        mut hidden,
        links,
        under_non_dirs,
        ..
    } = stacker;
    let linked_only = linked_only(layers, &view, &links);
    if !linked_only.is_empty() {
        let kept: std::collections::HashSet<(u32, u32)> = linked_only
            .iter()
            .map(|(_, copy)| (copy.layer, copy.entry))
            .collect();
        hidden.retain(|h| !kept.contains(&(h.copy.layer, h.copy.entry)));
    }
    Stack {
        paths: std::sync::Arc::new(paths),
        top: view,
        below_top,
        changes,
        hidden,
        linked_only,
        links,
        under_non_dirs,
    }
}

/// The file copies that the final view shows only through hardlinks (see
/// `Stack::linked_only`), in path-id order of the first link to each.
fn linked_only(layers: &[&LayerTree], top: &View, links: &Links) -> Vec<(PathId, Loc)> {
    if links.is_empty() {
        return Vec::new();
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (id, loc) in top.live.iter().enumerate() {
        let Some(loc) = loc else { continue };
        if entry(layers, *loc).map(|e| e.kind) != Some(EntryKind::Hardlink) {
            continue;
        }
        let Some(&(source_path, copy)) = links.get(&(loc.layer, loc.entry)) else {
            continue;
        };
        if top.get(source_path) != Some(copy) && seen.insert((copy.layer, copy.entry)) {
            out.push((id as PathId, copy));
        }
    }
    out
}

/// The merged view of layers `0..=upto` (a replay; the paths come from a full stack).
pub fn view_at(layers: &[&LayerTree], paths: &PathTable, upto: usize) -> View {
    let mut stacker = Stacker::new(layers, paths, false);
    if !layers.is_empty() {
        for n in 0..=upto.min(layers.len() - 1) {
            stacker.apply(n);
        }
    }
    stacker.view
}

/// The merged views before and after layer `n` (one replay for both).
pub fn views_around(layers: &[&LayerTree], paths: &PathTable, n: usize) -> (View, View) {
    let mut stacker = Stacker::new(layers, paths, false);
    let n = n.min(layers.len().saturating_sub(1));
    for k in 0..n {
        stacker.apply(k);
    }
    let below = stacker.view.clone();
    if !layers.is_empty() {
        stacker.apply(n);
    }
    (below, stacker.view)
}

/// Merged views at any layer without a replay from the bottom each time: the views at a few
/// evenly spaced layers are kept, and any other view is the nearest kept one below it with
/// the layers in between applied (walking the layers one by one applies one or a few).
#[derive(Debug, Clone, Default)]
pub struct ViewCache {
    /// The view after layer `k`, by `k`, ascending.
    kept: Vec<(usize, View)>,
}

impl ViewCache {
    /// At most this many views are kept (each is 12 bytes a path).
    const KEPT: usize = 8;

    /// The merged view of layers `0..=upto`, as `view_at` gives it.
    pub fn view_at(&mut self, layers: &[&LayerTree], paths: &PathTable, upto: usize) -> View {
        let empty = || View {
            live: vec![None; paths.len()],
        };
        if layers.is_empty() {
            return empty();
        }
        let upto = upto.min(layers.len() - 1);
        let spacing = layers.len().div_ceil(Self::KEPT).max(1);
        let (next, view) = match self.kept.iter().rev().find(|(k, _)| *k <= upto) {
            Some((k, view)) => (k + 1, view.clone()),
            None => (0, empty()),
        };
        let mut stacker = Stacker::from_view(layers, paths, view);
        for n in next..=upto {
            stacker.apply(n);
            if (n + 1) % spacing == 0 {
                if let Err(at) = self.kept.binary_search_by_key(&n, |(k, _)| *k) {
                    self.kept.insert(at, (n, stacker.view.clone()));
                }
            }
        }
        stacker.view
    }

    /// The merged views before and after layer `n`, as `views_around` gives them.
    pub fn around(&mut self, layers: &[&LayerTree], paths: &PathTable, n: usize) -> (View, View) {
        let n = n.min(layers.len().saturating_sub(1));
        let below = match n.checked_sub(1) {
            Some(b) => self.view_at(layers, paths, b),
            None => View {
                live: vec![None; paths.len()],
            },
        };
        let mut stacker = Stacker::from_view(layers, paths, below.clone());
        if !layers.is_empty() {
            stacker.apply(n);
        }
        (below, stacker.view)
    }
}

/// The entry behind a location, `None` for an implicit directory.
pub fn entry<'a>(layers: &[&'a LayerTree], loc: Loc) -> Option<&'a Entry> {
    if loc.is_implicit() {
        return None;
    }
    layers
        .get(loc.layer as usize)
        .and_then(|l| l.entries.get(loc.entry as usize))
}

/// The kind of what a location holds (implicit directories are directories).
pub fn kind_at(layers: &[&LayerTree], loc: Loc) -> EntryKind {
    entry(layers, loc).map_or(EntryKind::Dir, |e| e.kind)
}

struct Stacker<'a> {
    layers: &'a [&'a LayerTree],
    paths: &'a PathTable,
    view: View,
    hidden: Vec<Hidden>,
    /// For each hardlink entry (layer, entry): the path and copy of the file it links to,
    /// as the view showed them when the link was made. Recorded with `hidden`.
    links: Links,
    /// Recorded with `hidden`.
    under_non_dirs: Vec<UnderNonDir>,
    record: bool,
}

impl<'a> Stacker<'a> {
    /// An empty view over `paths`; `record` keeps the hidden copies (a full stack does, a
    /// replay for a view does not).
    fn new(layers: &'a [&'a LayerTree], paths: &'a PathTable, record: bool) -> Stacker<'a> {
        Stacker {
            layers,
            paths,
            view: View {
                live: vec![None; paths.len()],
            },
            hidden: Vec::new(),
            links: HashMap::new(),
            under_non_dirs: Vec::new(),
            record,
        }
    }

    /// A replay (nothing recorded) going on from `view`.
    fn from_view(layers: &'a [&'a LayerTree], paths: &'a PathTable, view: View) -> Stacker<'a> {
        Stacker {
            layers,
            paths,
            view,
            hidden: Vec::new(),
            links: HashMap::new(),
            under_non_dirs: Vec::new(),
            record: false,
        }
    }

    /// Applies layer `n`: its deletions first (they act on the layers below), then its entries.
    fn apply(&mut self, n: usize) -> Vec<Change> {
        let layer = self.layers[n];
        let by = n as u32;
        let mut changes = vec![Change::Unchanged; layer.entries.len()];
        let id_of = |i: usize, e: &Entry| {
            self.paths
                .entry_id(n, i)
                .or_else(|| self.paths.get(&e.path))
        };
        for (i, e) in layer.entries.iter().enumerate() {
            match e.kind {
                // AUFS bookkeeping removes nothing (see `FLAG_AUFS`).
                EntryKind::Whiteout if e.flags & FLAG_AUFS != 0 => {}
                EntryKind::Whiteout => {
                    changes[i] = Change::Removed;
                    if let Some(id) = id_of(i, e) {
                        self.remove(id, true, by, Cause::Removed);
                    }
                }
                EntryKind::Opaque => {
                    changes[i] = Change::Removed;
                    if let Some(id) = id_of(i, e) {
                        self.remove(id, false, by, Cause::Removed);
                    }
                }
                _ => {}
            }
        }
        for (i, e) in layer.entries.iter().enumerate() {
            if e.kind.is_deletion() || e.path.is_empty() {
                continue;
            }
            let Some(id) = self
                .paths
                .entry_id(n, i)
                .or_else(|| self.paths.get(&e.path))
            else {
                continue;
            };
            // Ancestors that are not live directories yet, nearest first; usually none.
            let mut missing = Vec::new();
            let mut a = self.paths.parent(id);
            while a != ROOT {
                match self.view.get(a) {
                    Some(loc) if kind_at(self.layers, loc) == EntryKind::Dir => break,
                    _ => missing.push(a),
                }
                a = self.paths.parent(a);
            }
            let here = Loc {
                layer: by,
                entry: i as u32,
            };
            for &a in missing.iter().rev() {
                if let Some(loc) = self.view.get(a) {
                    if self.record {
                        self.under_non_dirs.push(UnderNonDir {
                            entry: here,
                            ancestor: a,
                            was: loc,
                        });
                    }
                    self.hide(a, loc, by, Cause::Overwritten);
                }
                self.view.live[a as usize] = Some(implicit(by));
            }
            if self.record && e.kind == EntryKind::Hardlink {
                if let Some(source) = self.link_source(e) {
                    self.links.insert((by, i as u32), source);
                }
            }
            changes[i] = match self.view.get(id) {
                None => Change::Added,
                Some(old) => {
                    let old_entry = entry(self.layers, old);
                    let old_kind = kind_at(self.layers, old);
                    if old_kind == EntryKind::Dir && e.kind != EntryKind::Dir {
                        self.remove(id, false, by, Cause::Removed);
                    }
                    let same_content = old_entry.is_some_and(|o| same_content(o, e));
                    let cause = if same_content {
                        Cause::CopyUp
                    } else {
                        Cause::Overwritten
                    };
                    self.hide(id, old, by, cause);
                    match old_entry {
                        None if e.kind == EntryKind::Dir => Change::Unchanged,
                        None => Change::Modified,
                        Some(_) if !same_content => Change::Modified,
                        Some(o) if same_metadata(o, e) => Change::Unchanged,
                        Some(_) => Change::MetadataOnly,
                    }
                }
            };
            self.view.live[id as usize] = Some(here);
        }
        changes
    }

    /// The file a hardlink entry names, as the view shows it now (a link to a link names
    /// that link's file).
    fn link_source(&self, link: &Entry) -> Option<(PathId, Loc)> {
        let target = self.paths.get(link.link.as_deref()?)?;
        let loc = self.view.get(target)?;
        match entry(self.layers, loc)?.kind {
            EntryKind::File => Some((target, loc)),
            EntryKind::Hardlink => self.links.get(&(loc.layer, loc.entry)).copied(),
            _ => None,
        }
    }

    /// Removes the subtree at `id` (with `id` itself unless `keep_self`).
    fn remove(&mut self, id: PathId, with_self: bool, by: u32, cause: Cause) {
        let mut stack: Vec<PathId> = if with_self {
            vec![id]
        } else {
            self.paths.children(id).collect()
        };
        if !with_self && id != ROOT && self.view.get(id).is_none() {
            return;
        }
        while let Some(cur) = stack.pop() {
            let Some(loc) = self.view.get(cur) else {
                continue;
            };
            self.hide(cur, loc, by, cause);
            self.view.live[cur as usize] = None;
            stack.extend(self.paths.children(cur));
        }
    }

    fn hide(&mut self, path: PathId, copy: Loc, by: u32, cause: Cause) {
        if !self.record {
            return;
        }
        let bytes = entry(self.layers, copy).map_or(0, Entry::content_bytes);
        if bytes > 0 {
            self.hidden.push(Hidden {
                path,
                copy,
                by_layer: by,
                bytes,
                cause,
            });
        }
    }
}

fn implicit(layer: u32) -> Loc {
    Loc {
        layer,
        entry: Loc::IMPLICIT,
    }
}

/// Same kind and same content (bytes, link target, device numbers).
pub fn same_content(a: &Entry, b: &Entry) -> bool {
    a.kind == b.kind
        && match a.kind {
            EntryKind::File => a.size == b.size && a.digest == b.digest,
            EntryKind::Symlink | EntryKind::Hardlink => a.link == b.link,
            EntryKind::CharDevice | EntryKind::BlockDevice => a.device == b.device,
            _ => true,
        }
}

/// Same mode and owner, and for non-directories the same mtime (directory mtimes change with
/// every write below them, so they are noise).
pub fn same_metadata(a: &Entry, b: &Entry) -> bool {
    a.mode == b.mode
        && a.uid == b.uid
        && a.gid == b.gid
        && (a.kind == EntryKind::Dir || a.mtime == b.mtime)
}

/// One path of a merged view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<'a> {
    pub path: &'a str,
    pub kind: EntryKind,
    /// Content bytes; a hardlink shows its target's.
    pub size: u64,
    /// `None` for a directory no layer listed (created implicitly for its children).
    pub entry: Option<&'a Entry>,
    /// The file whose bytes a hardlink shows (`None` when it names nothing); `entry` else.
    pub content: Option<&'a Entry>,
}

/// Every path visible in `view` (a view of `stack`), sorted by path.
pub fn listing<'a>(layers: &[&'a LayerTree], stack: &'a Stack, view: &View) -> Vec<Listed<'a>> {
    let paths = &stack.paths;
    let mut out: Vec<Listed<'a>> = view
        .live
        .iter()
        .enumerate()
        .filter_map(|(id, loc)| {
            let loc = (*loc)?;
            let e = entry(layers, loc);
            let kind = e.map_or(EntryKind::Dir, |e| e.kind);
            let content = match e {
                Some(e) if e.kind == EntryKind::Hardlink => {
                    let copy = match stack.links.get(&(loc.layer, loc.entry)) {
                        Some(&(_, copy)) => Some(copy),
                        // A link made before its file: whatever the path shows.
                        None => e.link.as_deref().and_then(|t| view.get(paths.get(t)?)),
                    };
                    copy.and_then(|c| entry(layers, c))
                }
                other => other,
            };
            let size = content.map_or(0, Entry::content_bytes);
            Some(Listed {
                path: paths.path(id as PathId),
                kind,
                size,
                entry: e,
                content,
            })
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(b.path));
    out
}

/// What `path` was after each layer: `history[k]` is its location in the view after layer k.
pub fn path_history(layers: &[&LayerTree], paths: &PathTable, id: PathId) -> Vec<Option<Loc>> {
    let mut stacker = Stacker::new(layers, paths, false);
    (0..layers.len())
        .map(|n| {
            stacker.apply(n);
            stacker.view.get(id)
        })
        .collect()
}
