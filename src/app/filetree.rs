//! The file tree the Files panel shows for one layer and mode, built from the analysis: every
//! node with its status, own and rolled-up size, size delta against the layer below, children
//! sorted; and the flattening of that tree into the rows on screen under the current filter
//! and collapsed set. Pure: no drawing, no I/O.

use std::collections::HashSet;

use globset::{Glob, GlobMatcher};

use crate::analysis::merge::{entry, view_at, views_around, Change, Loc, View};
use crate::analysis::paths::{PathId, ROOT};
use crate::analysis::Analysis;
use crate::tree::{printable, EntryKind, LayerTree};

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

/// One node of the displayed tree.
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
    pub parent: u32,
    pub children: Vec<u32>,
}

impl Node {
    /// A directory node with no metadata of its own (the root, or a parent for context).
    fn dir(path: PathId, parent: u32) -> Node {
        Node {
            path,
            kind: EntryKind::Dir,
            status: Status::Unchanged,
            size: 0,
            delta: 0,
            mode: 0o755,
            uid: 0,
            gid: 0,
            link: None,
            layer: None,
            parent,
            children: Vec::new(),
        }
    }

    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Dir
    }
}

/// The displayed tree: node 0 is the root.
#[derive(Debug, Clone)]
pub struct FileTree {
    pub nodes: Vec<Node>,
    /// Node index by path id (`u32::MAX` when the path is not in this tree).
    index: Vec<u32>,
    pub layer: usize,
    pub mode: FileMode,
}

const NONE: u32 = u32::MAX;

/// Where a node's data comes from while building.
#[derive(Clone, Copy)]
enum Source {
    Live(Loc),
    Removed(Loc),
}

impl FileTree {
    /// Builds the tree of `mode` for layer `layer`.
    pub fn build(
        trees: &[&LayerTree],
        analysis: &Analysis,
        layer: usize,
        mode: FileMode,
    ) -> FileTree {
        let last = trees.len().saturating_sub(1);
        let n = if mode == FileMode::Final {
            last
        } else {
            layer.min(last)
        };
        let paths = &analysis.stack.paths;
        let owned_at;
        let (below, at): (View, &View) = if trees.is_empty() {
            owned_at = View {
                live: vec![None; paths.len()],
            };
            (owned_at.clone(), &owned_at)
        } else if n == last {
            let below = if n == 0 {
                View {
                    live: vec![None; paths.len()],
                }
            } else {
                view_at(trees, paths, n - 1)
            };
            (below, &analysis.stack.top)
        } else {
            let (below, now) = views_around(trees, paths, n);
            owned_at = now;
            (below, &owned_at)
        };
        let mut tree = FileTree {
            nodes: Vec::with_capacity(match mode {
                FileMode::Layer => trees.get(n).map_or(0, |t| t.entries.len()) + 1,
                FileMode::Merged | FileMode::Final => at.live.len(),
            }),
            index: vec![NONE; paths.len()],
            layer: n,
            mode,
        };
        tree.nodes.push(Node::dir(ROOT, 0));
        tree.index[ROOT as usize] = 0;
        let changes = analysis.stack.changes.get(n);
        let status_of = |loc: Loc| -> Status {
            if loc.layer as usize == n && !loc.is_implicit() {
                changes
                    .and_then(|c| c.get(loc.entry as usize))
                    .map_or(Status::Unchanged, |c| Status::from_change(*c))
            } else {
                Status::Unchanged
            }
        };
        let add = |tree: &mut FileTree, id: PathId, src: Source| {
            tree.insert(trees, analysis, &below, at, id, src, &status_of);
        };

        if trees.is_empty() {
            return tree;
        }
        match mode {
            FileMode::Layer => {
                for e in &trees[n].entries {
                    let Some(id) = paths.get(&e.path) else {
                        continue;
                    };
                    if !e.kind.is_deletion() {
                        if let Some(loc) = at.get(id) {
                            add(&mut tree, id, Source::Live(loc));
                        }
                    }
                }
            }
            FileMode::Merged | FileMode::Final => {
                for (id, loc) in at.live.iter().enumerate() {
                    if let Some(loc) = loc {
                        add(&mut tree, id as PathId, Source::Live(*loc));
                    }
                }
            }
        }
        // Removed paths: what this layer's whiteouts and opaque markers hid from below.
        for e in &trees[n].entries {
            let Some(id) = paths.get(&e.path) else {
                continue;
            };
            let roots: Vec<PathId> = match e.kind {
                EntryKind::Whiteout => vec![id],
                EntryKind::Opaque => paths.children(id).to_vec(),
                _ => continue,
            };
            let mut stack = roots;
            while let Some(cur) = stack.pop() {
                if let Some(loc) = below.get(cur) {
                    if at.get(cur).is_none() {
                        add(&mut tree, cur, Source::Removed(loc));
                    }
                    stack.extend_from_slice(paths.children(cur));
                }
            }
        }
        tree.roll_up();
        tree
    }

    #[allow(clippy::too_many_arguments)]
    fn insert(
        &mut self,
        trees: &[&LayerTree],
        analysis: &Analysis,
        below: &View,
        at: &View,
        id: PathId,
        src: Source,
        status_of: &dyn Fn(Loc) -> Status,
    ) -> u32 {
        if self.index[id as usize] != NONE {
            return self.index[id as usize];
        }
        let paths = &analysis.stack.paths;
        let parent_id = paths.parent(id);
        let parent = if parent_id == ROOT {
            0
        } else {
            let psrc = match at.get(parent_id) {
                Some(loc) => Source::Live(loc),
                None => match below.get(parent_id) {
                    Some(loc) => Source::Removed(loc),
                    None => Source::Live(Loc {
                        layer: self.layer as u32,
                        entry: Loc::IMPLICIT,
                    }),
                },
            };
            self.insert(trees, analysis, below, at, parent_id, psrc, status_of)
        };
        let (loc, status) = match src {
            Source::Live(loc) => (loc, status_of(loc)),
            Source::Removed(loc) => (loc, Status::Removed),
        };
        let e = entry(trees, loc);
        let kind = e.map_or(EntryKind::Dir, |e| e.kind);
        let size = match (e, status) {
            (_, Status::Removed) | (None, _) => e.map_or(0, |e| e.content_bytes()),
            (Some(e), _) => e.content_bytes(),
        };
        // Most paths of a view are what they were below the layer: same entry, same size,
        // no second lookup into the layers.
        let below_size = match below.get(id) {
            Some(l) if l == loc && status != Status::Removed => size,
            Some(l) => entry(trees, l).map_or(0, |e| e.content_bytes()),
            None => 0,
        };
        let delta = if status == Status::Removed {
            -(size as i64)
        } else {
            size as i64 - below_size as i64
        };
        let idx = self.nodes.len() as u32;
        self.nodes.push(Node {
            path: id,
            kind,
            status,
            size,
            delta: if kind == EntryKind::Dir { 0 } else { delta },
            mode: e.map_or(0o755, |e| e.mode),
            uid: e.map_or(0, |e| e.uid),
            gid: e.map_or(0, |e| e.gid),
            link: e
                .and_then(|e| e.link.as_deref())
                .map(|l| printable(l, 4096)),
            layer: e.map(|_| loc.layer as usize),
            parent,
            children: Vec::new(),
        });
        self.nodes[parent as usize].children.push(idx);
        self.index[id as usize] = idx;
        idx
    }

    /// Directory sizes and deltas roll up; removed children do not count in a live parent.
    fn roll_up(&mut self) {
        for i in (1..self.nodes.len()).rev() {
            let (size, delta, status, parent) = {
                let n = &self.nodes[i];
                (n.size, n.delta, n.status, n.parent as usize)
            };
            let parent_removed = self.nodes[parent].status == Status::Removed;
            if status != Status::Removed || parent_removed {
                self.nodes[parent].size += size;
            }
            self.nodes[parent].delta += delta;
        }
    }

    /// The tree of a comparison: every differing path (with its parents as unchanged
    /// context), coloured by change, sized by B (A for removed paths), deltas rolled up.
    pub fn from_diff(
        files: &[crate::analysis::compare::FileDiff],
        paths: &mut crate::analysis::paths::PathTable,
    ) -> FileTree {
        use crate::analysis::compare::FileChange;
        let ids: Vec<PathId> = files.iter().map(|f| paths.intern(&f.path)).collect();
        let mut tree = FileTree {
            nodes: vec![Node::dir(ROOT, 0)],
            index: vec![NONE; paths.len()],
            layer: 0,
            mode: FileMode::Final,
        };
        tree.index[ROOT as usize] = 0;
        fn ensure(
            tree: &mut FileTree,
            paths: &crate::analysis::paths::PathTable,
            id: PathId,
        ) -> u32 {
            if tree.index[id as usize] != NONE {
                return tree.index[id as usize];
            }
            let parent = if paths.parent(id) == ROOT {
                0
            } else {
                ensure(tree, paths, paths.parent(id))
            };
            let idx = tree.nodes.len() as u32;
            tree.nodes.push(Node::dir(id, parent));
            tree.nodes[parent as usize].children.push(idx);
            tree.index[id as usize] = idx;
            idx
        }
        for (f, &id) in files.iter().zip(&ids) {
            let idx = ensure(&mut tree, paths, id) as usize;
            let node = &mut tree.nodes[idx];
            node.status = match f.change {
                FileChange::Added => Status::Added,
                FileChange::Removed => Status::Removed,
                FileChange::Changed => Status::Modified,
                FileChange::MetadataOnly => Status::MetadataOnly,
            };
            node.kind = f.kind_b.or(f.kind_a).unwrap_or(EntryKind::File);
            node.size = if f.change == FileChange::Removed {
                f.size_a
            } else {
                f.size_b
            };
            node.delta = f.delta();
        }
        // Directories roll up what changed below them; their own delta is their children's.
        for i in (1..tree.nodes.len()).rev() {
            let (size, delta, status, parent) = {
                let n = &tree.nodes[i];
                (n.size, n.delta, n.status, n.parent as usize)
            };
            // Children come after their parents, so a reverse pass sees every child first.
            if status != Status::Removed || tree.nodes[parent].status == Status::Removed {
                tree.nodes[parent].size += size;
            }
            tree.nodes[parent].delta += delta;
        }
        tree
    }

    /// The node showing `path`, if this tree has it.
    pub fn node_of(&self, path: PathId) -> Option<u32> {
        self.index
            .get(path as usize)
            .copied()
            .filter(|&i| i != NONE)
    }

    /// Sorts every node's children. Names are looked up once per node, not per comparison;
    /// sibling names are unique, so every order is total and an unstable sort is exact.
    pub fn sort(&mut self, by: SortBy, paths: &crate::analysis::paths::PathTable) {
        let names: Vec<&str> = self
            .nodes
            .iter()
            .map(|n| crate::tree::path::file_name(paths.path(n.path)))
            .collect();
        let mut kids: Vec<u32> = Vec::new();
        for i in 0..self.nodes.len() {
            if self.nodes[i].children.len() < 2 {
                continue;
            }
            std::mem::swap(&mut kids, &mut self.nodes[i].children);
            let nodes = &self.nodes;
            let name = |a: u32| names[a as usize];
            match by {
                SortBy::Name => kids.sort_unstable_by(|&a, &b| name(a).cmp(name(b))),
                SortBy::Size => kids.sort_unstable_by(|&a, &b| {
                    let (x, y) = (&nodes[a as usize], &nodes[b as usize]);
                    y.size.cmp(&x.size).then_with(|| name(a).cmp(name(b)))
                }),
                SortBy::Delta => kids.sort_unstable_by(|&a, &b| {
                    let (x, y) = (&nodes[a as usize], &nodes[b as usize]);
                    y.delta
                        .unsigned_abs()
                        .cmp(&x.delta.unsigned_abs())
                        .then_with(|| name(a).cmp(name(b)))
                }),
            }
            std::mem::swap(&mut kids, &mut self.nodes[i].children);
        }
    }
}

/// What the Files panel filters on.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Substring (case-insensitive unless it has capitals) or glob (`*`, `?`, `[`).
    pub text: String,
    glob: Option<GlobMatcher>,
    /// Hidden statuses, by `Status::index`.
    pub hidden: [bool; 5],
    /// Only files of at least this many bytes (directories roll up).
    pub min_size: Option<u64>,
}

impl Filter {
    pub fn set_text(&mut self, text: &str) {
        self.text = text.to_string();
        self.glob = if text.contains(['*', '?', '[']) {
            let pattern = if text.starts_with('/') || text.starts_with('*') {
                text.to_string()
            } else {
                format!("*{text}")
            };
            Glob::new(&pattern).ok().map(|g| g.compile_matcher())
        } else {
            None
        };
    }

    pub fn is_active(&self) -> bool {
        !self.text.is_empty() || self.min_size.is_some() || self.hidden.iter().any(|h| *h)
    }

    /// Whether `path` (normalised, no leading `/`) matches; the text is matched against
    /// `/path` so a leading `/` anchors at a component boundary.
    fn matches_text(&self, path: &str, buf: &mut String) -> bool {
        if self.text.is_empty() {
            return true;
        }
        buf.clear();
        buf.push('/');
        buf.push_str(path);
        if let Some(g) = &self.glob {
            return g.is_match(buf.as_str());
        }
        if self.text.chars().any(char::is_uppercase) {
            buf.contains(&self.text)
        } else {
            contains_ignore_ascii_case(buf.as_bytes(), self.text.as_bytes())
        }
    }
}

/// Substring search ignoring ASCII case; `needle` is lowercase.
fn contains_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
    if needle.len() > hay.len() {
        return false;
    }
    hay.windows(needle.len()).any(|w| {
        w.iter()
            .zip(needle)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

/// One visible row of the Files panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub node: u32,
    pub depth: u16,
    /// Bit `d` set: the ancestor at depth `d` was the last of its siblings (no guide line).
    pub guides: u64,
    pub last: bool,
}

/// The row showing `path`, if it is on screen.
pub fn row_of(rows: &[Row], tree: &FileTree, path: PathId) -> Option<usize> {
    rows.iter()
        .position(|r| tree.nodes[r.node as usize].path == path)
}

/// The rows on screen: nodes that pass the filter (with the ancestors of those that do),
/// depth first in sorted order, children of collapsed directories hidden unless a text
/// filter is active (then matches always show).
pub fn visible_rows(
    tree: &FileTree,
    paths: &crate::analysis::paths::PathTable,
    collapsed: &HashSet<PathId>,
    filter: &Filter,
) -> Vec<Row> {
    let n = tree.nodes.len();
    let mut keep = vec![!filter.is_active(); n];
    if filter.is_active() {
        let mut buf = String::new();
        for i in (1..n).rev() {
            let node = &tree.nodes[i];
            // A directory with children shows through them; a leaf on its own merit.
            let self_ok = node.children.is_empty()
                && !filter.hidden[node.status.index()]
                && filter.min_size.is_none_or(|m| node.size >= m)
                && filter.matches_text(paths.path(node.path), &mut buf);
            if self_ok {
                keep[i] = true;
            }
            if keep[i] {
                keep[node.parent as usize] = true;
            }
        }
    }
    let expand_all = !filter.text.is_empty();
    let mut rows = Vec::with_capacity(if collapsed.is_empty() { n } else { 0 });
    // (node, depth, guides)
    let mut stack: Vec<(u32, u16, u64, bool)> = Vec::new();
    let push_children =
        |stack: &mut Vec<(u32, u16, u64, bool)>, node: u32, depth: u16, guides: u64| {
            let kids = &tree.nodes[node as usize].children;
            // The last kept child draws the corner.
            let mut last = true;
            for &c in kids.iter().rev() {
                if keep[c as usize] {
                    stack.push((c, depth, guides, last));
                    last = false;
                }
            }
        };
    push_children(&mut stack, 0, 0, 0);
    while let Some((node, depth, guides, last)) = stack.pop() {
        rows.push(Row {
            node,
            depth,
            guides,
            last,
        });
        let nd = &tree.nodes[node as usize];
        if nd.children.is_empty()
            || (!expand_all && !collapsed.is_empty() && collapsed.contains(&nd.path))
        {
            continue;
        }
        let child_guides = if last && depth < 64 {
            guides | (1 << depth)
        } else {
            guides
        };
        push_children(&mut stack, node, depth + 1, child_guides);
    }
    rows
}
