//! The file tree the Files panel shows for one layer and mode, built from the analysis, and
//! the rows on screen under the current filter and folds. Pure: no drawing, no I/O.
//!
//! Sized for trees of hundreds of thousands of paths at frame rate. A tree is a set of flat
//! arrays indexed by path id (status, kind, own and rolled-up size, size delta against the
//! layer below, where the entry lives), filled in one pass. A directory's children are sorted
//! only when the directory is first listed on screen, by `update` (the walks below take the
//! tree `&mut` for that; drawing reads the rows `update` listed and never sorts). [`Rows`] counts the rows under every
//! path (one pass) instead of listing them, so the window on screen, the row of a path and
//! the path of a row are found by walking down from the root.

use std::collections::HashMap;
use std::sync::Arc;

use crate::analysis::merge::{entry, Change, Loc, View, ViewCache};
use crate::analysis::Analysis;
use crate::model::path::file_name;
use crate::model::text::printable;
use crate::tree::paths::{PathId, PathTable, ROOT};
use crate::tree::{EntryKind, LayerTree};

pub use filter::{Filter, Only};
pub use rows::{Folds, Row, RowIter, Rows};

mod filter;
mod rows;
pub mod waste;

/// What the Files panel shows of the selected layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileMode {
    /// Only what this layer changed (with removed paths, and parent dirs as context).
    Layer,
    /// The merged filesystem after this layer, this layer's changes coloured.
    Merged,
    /// The final merged filesystem, whatever layer is selected.
    Final,
}

impl FileMode {
    pub fn next(self) -> FileMode {
        match self {
            FileMode::Layer => FileMode::Merged,
            FileMode::Merged => FileMode::Final,
            FileMode::Final => FileMode::Layer,
        }
    }

    /// The mode config.toml's `mode` names.
    pub fn by_name(name: &str) -> Option<FileMode> {
        match name {
            "layer" => Some(FileMode::Layer),
            "merged" => Some(FileMode::Merged),
            "final" => Some(FileMode::Final),
            _ => None,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            FileMode::Layer => "changes in this layer",
            FileMode::Merged => "merged up to this layer",
            FileMode::Final => "final filesystem",
        }
    }
}

/// How a node relates to the layer below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Added,
    Modified,
    MetadataOnly,
    Removed,
    Unchanged,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Added,
        Status::Modified,
        Status::MetadataOnly,
        Status::Removed,
        Status::Unchanged,
    ];

    pub fn index(self) -> usize {
        match self {
            Status::Added => 0,
            Status::Modified => 1,
            Status::MetadataOnly => 2,
            Status::Removed => 3,
            Status::Unchanged => 4,
        }
    }

    fn from_change(c: Change) -> Status {
        match c {
            Change::Added => Status::Added,
            Change::Modified => Status::Modified,
            Change::MetadataOnly => Status::MetadataOnly,
            Change::Removed => Status::Removed,
            Change::Unchanged => Status::Unchanged,
        }
    }
}

/// Sort orders of the Files panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Name,
    /// Largest (rolled-up) size first.
    Size,
    /// Largest absolute size change against the layer below first.
    Delta,
}

impl SortBy {
    pub fn next(self) -> SortBy {
        match self {
            SortBy::Name => SortBy::Size,
            SortBy::Size => SortBy::Delta,
            SortBy::Delta => SortBy::Name,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SortBy::Name => "name",
            SortBy::Size => "size",
            SortBy::Delta => "size delta",
        }
    }
}

/// A node to put in a tree built by `FileTree::from_nodes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeSpec {
    pub path: PathId,
    pub status: Status,
    pub kind: EntryKind,
    pub size: u64,
    pub delta: i64,
}

impl NodeSpec {
    /// A differing path of a comparison: sized by B (by A when removed).
    pub fn of_diff(path: PathId, f: &crate::analysis::compare::FileDiff) -> NodeSpec {
        use crate::analysis::compare::FileChange;
        let status = match f.change {
            FileChange::Added => Status::Added,
            FileChange::Removed => Status::Removed,
            FileChange::Changed => Status::Modified,
            FileChange::MetadataOnly => Status::MetadataOnly,
        };
        NodeSpec {
            path,
            status,
            kind: f.kind_b.or(f.kind_a).unwrap_or(EntryKind::File),
            size: if f.change == FileChange::Removed {
                f.size_a
            } else {
                f.size_b
            },
            delta: f.delta(),
        }
    }
}

/// One node of the displayed tree, with the metadata of the entry it shows.
#[derive(Debug, Clone)]
pub struct Node {
    pub path: PathId,
    pub kind: EntryKind,
    pub status: Status,
    /// Content bytes of a file; for a directory, the roll-up of what is under it.
    pub size: u64,
    /// Size change against the merged view below the layer.
    pub delta: i64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Link target, escaped.
    pub link: Option<String>,
    /// The layer whose entry this node shows (`None`: an implied directory).
    pub layer: Option<usize>,
    /// How many children the node has in this tree.
    pub children: usize,
}

impl Node {
    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Dir
    }
}

const IMPLIED: Loc = Loc {
    layer: 0,
    entry: Loc::IMPLICIT,
};

/// The displayed tree, as arrays indexed by path id; the root is always present.
#[derive(Debug, Clone)]
pub struct FileTree {
    pub layer: usize,
    pub mode: FileMode,
    /// `None`: the path is not in this tree.
    pub(super) status: Vec<Option<Status>>,
    pub(super) kind: Vec<EntryKind>,
    pub(super) size: Vec<u64>,
    delta: Vec<i64>,
    /// The entry a node shows (the one below the layer for a removed path).
    pub(super) loc: Vec<Loc>,
    /// Children present in this tree.
    pub(super) kids: Vec<u32>,
    /// Nodes, the root not counted.
    len: usize,
    sort: SortBy,
    /// Children in `sort` order, by directory, filled as directories are listed.
    sorted: HashMap<PathId, Arc<[PathId]>>,
}

/// Where a node's data comes from while building.
#[derive(Clone, Copy)]
enum Source {
    Live(Loc),
    Removed(Loc),
}

/// What building one tree reads.
struct Build<'a> {
    trees: &'a [&'a LayerTree],
    paths: &'a PathTable,
    below: &'a View,
    at: &'a View,
    changes: Option<&'a [Change]>,
}

impl FileTree {
    /// A tree with only the root, over a table of `paths` paths.
    pub(crate) fn empty(paths: usize, layer: usize, mode: FileMode) -> FileTree {
        let n = paths.max(1);
        let mut tree = FileTree {
            layer,
            mode,
            status: vec![None; n],
            kind: vec![EntryKind::Dir; n],
            size: vec![0; n],
            delta: vec![0; n],
            loc: vec![IMPLIED; n],
            kids: vec![0; n],
            len: 0,
            sort: SortBy::Name,
            sorted: HashMap::new(),
        };
        tree.status[ROOT as usize] = Some(Status::Unchanged);
        tree
    }

    /// Builds the tree of `mode` for layer `layer`, sorted by name; `views` keeps merged
    /// views between builds (pass the same one each time).
    pub fn build(
        trees: &[&LayerTree],
        analysis: &Analysis,
        layer: usize,
        mode: FileMode,
        views: &mut ViewCache,
    ) -> FileTree {
        let last = trees.len().saturating_sub(1);
        let n = if mode == FileMode::Final {
            last
        } else {
            layer.min(last)
        };
        let paths = &analysis.stack.paths;
        let mut tree = FileTree::empty(paths.len(), n, mode);
        if trees.is_empty() {
            return tree;
        }
        let owned;
        let (below, at): (&View, &View) = if n == last {
            (&analysis.stack.below_top, &analysis.stack.top)
        } else {
            owned = views.around(trees, paths, n);
            (&owned.0, &owned.1)
        };
        let b = Build {
            trees,
            paths,
            below,
            at,
            changes: analysis.stack.changes.get(n).map(Vec::as_slice),
        };
        match mode {
            FileMode::Layer => {
                for (i, e) in trees[n].entries.iter().enumerate() {
                    let Some(id) = paths.entry_id(n, i) else {
                        continue;
                    };
                    if !e.kind.is_deletion() {
                        if let Some(loc) = at.get(id) {
                            tree.insert(&b, id, Source::Live(loc));
                        }
                    }
                }
            }
            FileMode::Merged | FileMode::Final => {
                for (id, loc) in at.live.iter().enumerate() {
                    if let Some(loc) = loc {
                        tree.insert(&b, id as PathId, Source::Live(*loc));
                    }
                }
            }
        }
        // Removed paths: what this layer's whiteouts and opaque markers hid from below. Not in
        // the final view, which shows what a container sees.
        if mode == FileMode::Final {
            tree.roll_up(paths);
            return tree;
        }
        let mut stack = Vec::new();
        for (i, e) in trees[n].entries.iter().enumerate() {
            let Some(id) = paths.entry_id(n, i) else {
                continue;
            };
            match e.kind {
                EntryKind::Whiteout => stack.push(id),
                EntryKind::Opaque => stack.extend(paths.children(id)),
                _ => continue,
            }
            while let Some(cur) = stack.pop() {
                if let Some(loc) = below.get(cur) {
                    if at.get(cur).is_none() {
                        tree.insert(&b, cur, Source::Removed(loc));
                    }
                    stack.extend(paths.children(cur));
                }
            }
        }
        tree.roll_up(paths);
        tree
    }

    /// Adds `id` (and its missing ancestors) with the data of `src`.
    fn insert(&mut self, b: &Build, id: PathId, src: Source) {
        let i = id as usize;
        if self.status[i].is_some() {
            return;
        }
        let parent = b.paths.parent(id);
        if self.status[parent as usize].is_none() {
            let psrc = match (b.at.get(parent), b.below.get(parent)) {
                (Some(loc), _) => Source::Live(loc),
                (None, Some(loc)) => Source::Removed(loc),
                (None, None) => Source::Live(IMPLIED),
            };
            self.insert(b, parent, psrc);
        }
        let (loc, status) = match src {
            Source::Live(loc) => {
                let status = if loc.layer as usize == self.layer && !loc.is_implicit() {
                    b.changes
                        .and_then(|c| c.get(loc.entry as usize))
                        .map_or(Status::Unchanged, |c| Status::from_change(*c))
                } else {
                    Status::Unchanged
                };
                (loc, status)
            }
            Source::Removed(loc) => (loc, Status::Removed),
        };
        let e = entry(b.trees, loc);
        let kind = e.map_or(EntryKind::Dir, |e| e.kind);
        let size = e.map_or(0, |e| e.content_bytes());
        // Most paths of a view are what they were below the layer: same entry, same size,
        // no second lookup into the layers.
        let below_size = match b.below.get(id) {
            Some(l) if l == loc && status != Status::Removed => size,
            Some(l) => entry(b.trees, l).map_or(0, |e| e.content_bytes()),
            None => 0,
        };
        let delta = if kind == EntryKind::Dir {
            0
        } else if status == Status::Removed {
            -(size as i64)
        } else {
            size as i64 - below_size as i64
        };
        self.set(b.paths, id, status, kind, size, delta);
        self.loc[i] = loc;
    }

    /// Marks `id` present with these figures (its parent must be present).
    fn set(
        &mut self,
        paths: &PathTable,
        id: PathId,
        status: Status,
        kind: EntryKind,
        size: u64,
        delta: i64,
    ) {
        let i = id as usize;
        if self.status[i].is_none() {
            self.kids[paths.parent(id) as usize] += 1;
            self.len += 1;
        }
        self.status[i] = Some(status);
        self.kind[i] = kind;
        self.size[i] = size;
        self.delta[i] = delta;
    }

    /// Directory sizes and deltas roll up; removed children do not count in a live parent.
    /// A path's id is above its parent's, so a reverse pass sees every child first.
    fn roll_up(&mut self, paths: &PathTable) {
        for i in (1..self.status.len()).rev() {
            let Some(status) = self.status[i] else {
                continue;
            };
            let parent = paths.parent(i as PathId) as usize;
            debug_assert!(parent < i);
            if status != Status::Removed || self.status[parent] == Some(Status::Removed) {
                self.size[parent] += self.size[i];
            }
            self.delta[parent] += self.delta[i];
        }
    }

    /// The tree of a comparison: every differing path (with its parents as unchanged
    /// context), coloured by change, sized by B (A for removed paths), deltas rolled up.
    pub fn from_diff(
        files: &[crate::analysis::compare::FileDiff],
        paths: &mut PathTable,
    ) -> FileTree {
        let ids: Vec<PathId> = files.iter().map(|f| paths.intern(&f.path)).collect();
        FileTree::from_nodes(
            paths,
            files
                .iter()
                .zip(ids)
                .map(|(f, id)| NodeSpec::of_diff(id, f)),
        )
    }

    /// A tree of the given nodes of `paths` (any order; ancestors not given are shown as
    /// unchanged directories), sizes and deltas rolled up. For lists built for the compare
    /// screen.
    pub fn from_nodes(paths: &PathTable, nodes: impl IntoIterator<Item = NodeSpec>) -> FileTree {
        let mut tree = FileTree::empty(paths.len(), 0, FileMode::Final);
        for n in nodes {
            let mut chain = Vec::new();
            let mut cur = paths.parent(n.path);
            while tree.status[cur as usize].is_none() {
                chain.push(cur);
                cur = paths.parent(cur);
            }
            for &dir in chain.iter().rev() {
                tree.set(paths, dir, Status::Unchanged, EntryKind::Dir, 0, 0);
            }
            tree.set(paths, n.path, n.status, n.kind, n.size, n.delta);
        }
        tree.roll_up(paths);
        tree
    }

    /// Nodes in the tree, the root not counted.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `path` is in this tree.
    pub fn contains(&self, path: PathId) -> bool {
        self.status.get(path as usize).is_some_and(Option::is_some)
    }

    /// The bytes at or under `path` here (0 for a path not in the tree).
    pub fn size_of(&self, path: PathId) -> u64 {
        self.size.get(path as usize).copied().unwrap_or(0)
    }

    /// How many children `path` has here (0 for a leaf or a path not in the tree).
    pub fn child_count(&self, path: PathId) -> usize {
        self.kids.get(path as usize).map_or(0, |&k| k as usize)
    }

    /// The node showing `path`, with its entry's metadata read from `trees` (the layers the
    /// tree was built from; none for a comparison).
    pub fn node(&self, path: PathId, trees: &[&LayerTree]) -> Option<Node> {
        let i = path as usize;
        let status = (*self.status.get(i)?)?;
        let loc = self.loc[i];
        let e = entry(trees, loc);
        Some(Node {
            path,
            kind: self.kind[i],
            status,
            size: self.size[i],
            delta: self.delta[i],
            mode: e.map_or(0o755, |e| e.mode),
            uid: e.map_or(0, |e| e.uid),
            gid: e.map_or(0, |e| e.gid),
            link: e
                .and_then(|e| e.link.as_deref())
                .map(|l| printable(l, 4096)),
            layer: e.map(|_| loc.layer as usize),
            children: self.kids[i] as usize,
        })
    }

    /// Sets the order children are listed in (sorting happens as directories are listed).
    pub fn sort(&mut self, by: SortBy) {
        self.sort = by;
        self.sorted.clear();
    }

    /// The children of `dir` present here, in the tree's order. Sorted on first use; names
    /// are looked up once per child, and sibling names are unique, so every order is total
    /// and an unstable sort is exact.
    pub fn children(&mut self, dir: PathId, paths: &PathTable) -> Arc<[PathId]> {
        if let Some(kids) = self.sorted.get(&dir) {
            return Arc::clone(kids);
        }
        // (the order's number, the name's first 8 bytes, the name, the id): two integers
        // decide almost every comparison, the name only a tie on both.
        let (size, delta) = (&self.size, &self.delta);
        let primary = |c: PathId| match self.sort {
            SortBy::Name => 0,
            SortBy::Size => u64::MAX - size[c as usize],
            SortBy::Delta => u64::MAX - delta[c as usize].unsigned_abs(),
        };
        let mut kids: Vec<(u64, u64, &str, PathId)> = paths
            .children(dir)
            .filter(|&c| self.contains(c))
            .map(|c| {
                let name = file_name(paths.path(c));
                (primary(c), name_prefix(name), name, c)
            })
            .collect();
        kids.sort_unstable_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
        let kids: Arc<[PathId]> = kids.into_iter().map(|k| k.3).collect();
        self.sorted.insert(dir, Arc::clone(&kids));
        kids
    }
}

/// The first 8 bytes of a name as a big-endian number (zero-padded): ordering by it, then by
/// the whole name, is the names' byte order.
fn name_prefix(name: &str) -> u64 {
    let mut head = [0u8; 8];
    let n = name.len().min(8);
    head[..n].copy_from_slice(&name.as_bytes()[..n]);
    u64::from_be_bytes(head)
}
