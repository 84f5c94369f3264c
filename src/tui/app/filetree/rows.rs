//! The rows on screen of a `FileTree` under the current folds and filter: counted per
//! subtree in one pass, never listed whole, so the window on screen, the row of a path and the
//! path of a row are found by walking down from the root. Walks take the tree `&mut`: they
//! sort directories as they first list them, which only `update` does.

use std::collections::HashSet;

use super::{FileTree, Filter};
use crate::tree::paths::{PathId, PathTable, ROOT};

/// Which directories are folded: all or none, with exceptions. Kept across layers and modes.
#[derive(Debug, Clone, Default)]
pub struct Folds {
    all: bool,
    flipped: HashSet<PathId>,
}

impl Folds {
    pub fn is_folded(&self, dir: PathId) -> bool {
        self.all != self.flipped.contains(&dir)
    }

    pub fn set(&mut self, dir: PathId, folded: bool) {
        if folded == self.all {
            self.flipped.remove(&dir);
        } else {
            self.flipped.insert(dir);
        }
    }

    pub fn fold_all(&mut self) {
        self.all = true;
        self.flipped.clear();
    }

    pub fn unfold_all(&mut self) {
        self.all = false;
        self.flipped.clear();
    }

    fn none(&self) -> bool {
        !self.all && self.flipped.is_empty()
    }

    /// The same folds over another path table (a newer snapshot of a loading image):
    /// `to_new` names each directory's id there, if it has one.
    pub fn remap(&self, to_new: impl Fn(PathId) -> Option<PathId>) -> Folds {
        Folds {
            all: self.all,
            flipped: self.flipped.iter().filter_map(|&d| to_new(d)).collect(),
        }
    }

    /// Every directory folded: what collapse-all leaves until one is opened again.
    pub fn all_folded(&self) -> bool {
        self.all && self.flipped.is_empty()
    }
}

/// One visible row of the Files panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub path: PathId,
    pub depth: u16,
    /// Bit `d` set: the ancestor at depth `d` was the last of its siblings (no guide line).
    pub guides: u64,
    pub last: bool,
}

/// The rows on screen, counted rather than listed: nodes that pass the filter (with the
/// ancestors of those that do), depth first in the tree's order, children of folded
/// directories hidden unless a text filter is active (then matches always show).
#[derive(Debug, Clone, Default)]
pub struct Rows {
    /// Rows of each path's subtree, its own included (0: not shown).
    count: Vec<u32>,
    /// Whether a directory's children are listed.
    open: Vec<bool>,
    len: usize,
}

impl Rows {
    pub fn new(tree: &FileTree, paths: &PathTable, folds: &Folds, filter: &Filter) -> Rows {
        let n = tree.status.len();
        let keep = filter.is_active().then(|| filter.keep(tree, paths));
        let unfold_all = !filter.text.is_empty() || folds.none();
        let mut count = vec![0u32; n];
        let mut open = vec![false; n];
        // Children have higher ids than their parents: a reverse pass adds up every
        // subtree before its parent is reached; `count[i]` holds the children's rows until
        // `i` itself is reached.
        for i in (1..n).rev() {
            if tree.status[i].is_none() || keep.as_ref().is_some_and(|k| !k[i]) {
                continue;
            }
            let o = tree.kids[i] > 0 && (unfold_all || !folds.is_folded(i as PathId));
            open[i] = o;
            let rows = 1 + if o { count[i] } else { 0 };
            count[i] = rows;
            count[paths.parent(i as PathId) as usize] += rows;
        }
        let len = count.first().copied().unwrap_or(0) as usize;
        Rows { count, open, len }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn shown(&self, path: PathId) -> bool {
        self.count.get(path as usize).is_some_and(|&c| c > 0)
    }

    /// The shown children of `dir`, in order.
    fn children(&self, tree: &mut FileTree, paths: &PathTable, dir: PathId) -> Vec<PathId> {
        let all = tree.children(dir, paths);
        all.iter().copied().filter(|&c| self.shown(c)).collect()
    }

    /// The rows from `start` on, in order.
    pub fn iter_from<'a>(
        &'a self,
        tree: &'a mut FileTree,
        paths: &'a PathTable,
        start: usize,
    ) -> RowIter<'a> {
        let mut it = RowIter {
            rows: self,
            tree,
            paths,
            stack: Vec::new(),
        };
        if start >= self.len {
            return it;
        }
        // Walk down to the row: skip whole subtrees by their counts.
        let (mut dir, mut depth, mut guides, mut r) = (ROOT, 0u16, 0u64, start);
        loop {
            let kids = self.children(it.tree, paths, dir);
            let mut pos = 0;
            while let Some(&c) = kids.get(pos) {
                let rows = self.count[c as usize] as usize;
                if r < rows {
                    break;
                }
                r -= rows;
                pos += 1;
            }
            let Some(&c) = kids.get(pos) else {
                // Counts and children disagree: cannot happen; list nothing rather than panic.
                it.stack.clear();
                return it;
            };
            let last = pos + 1 == kids.len();
            it.stack.push(Frame {
                kids,
                pos,
                depth,
                guides,
            });
            if r == 0 {
                return it;
            }
            r -= 1;
            guides = child_guides(guides, depth, last);
            depth += 1;
            dir = c;
        }
    }

    /// Rows `start..start + n` (fewer at the end).
    pub fn window(
        &self,
        tree: &mut FileTree,
        paths: &PathTable,
        start: usize,
        n: usize,
    ) -> Vec<Row> {
        self.iter_from(tree, paths, start).take(n).collect()
    }

    /// The row at `index`.
    pub fn get(&self, tree: &mut FileTree, paths: &PathTable, index: usize) -> Option<Row> {
        self.iter_from(tree, paths, index).next()
    }

    /// The row showing `path`, if it is shown.
    pub fn index_of(&self, tree: &mut FileTree, paths: &PathTable, path: PathId) -> Option<usize> {
        if path == ROOT || !self.shown(path) {
            return None;
        }
        let mut chain = vec![path];
        let mut cur = path;
        while paths.parent(cur) != ROOT {
            cur = paths.parent(cur);
            chain.push(cur);
        }
        let mut index = 0;
        let mut dir = ROOT;
        for &c in chain.iter().rev() {
            if dir != ROOT {
                if !self.open[dir as usize] {
                    return None;
                }
                index += 1;
            }
            for &k in tree.children(dir, paths).iter() {
                if k == c {
                    break;
                }
                index += self.count[k as usize] as usize;
            }
            dir = c;
        }
        Some(index)
    }

    /// The first row that is not a directory with children.
    pub fn first_leaf(&self, tree: &mut FileTree, paths: &PathTable) -> Option<usize> {
        let mut it = self.iter_from(tree, paths, 0);
        let mut i = 0;
        while let Some(r) = it.next() {
            if it.tree.child_count(r.path) == 0 {
                return Some(i);
            }
            i += 1;
        }
        None
    }
}

fn child_guides(guides: u64, depth: u16, last: bool) -> u64 {
    if last && depth < 64 {
        guides | (1 << depth)
    } else {
        guides
    }
}

/// One directory being listed: its shown children and the one the walk is at.
struct Frame {
    kids: Vec<PathId>,
    pos: usize,
    depth: u16,
    guides: u64,
}

/// Rows in order from a starting row; see [`Rows::iter_from`].
pub struct RowIter<'a> {
    rows: &'a Rows,
    tree: &'a mut FileTree,
    paths: &'a PathTable,
    stack: Vec<Frame>,
}

impl Iterator for RowIter<'_> {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        let f = self.stack.last()?;
        let path = *f.kids.get(f.pos)?;
        let row = Row {
            path,
            depth: f.depth,
            guides: f.guides,
            last: f.pos + 1 == f.kids.len(),
        };
        if self.rows.open.get(path as usize).copied().unwrap_or(false) {
            let kids = self.rows.children(self.tree, self.paths, path);
            if !kids.is_empty() {
                self.stack.push(Frame {
                    kids,
                    pos: 0,
                    depth: row.depth + 1,
                    guides: child_guides(row.guides, row.depth, row.last),
                });
                return Some(row);
            }
        }
        // Step to the next sibling, climbing out of finished directories.
        while let Some(f) = self.stack.last_mut() {
            f.pos += 1;
            if f.pos < f.kids.len() {
                break;
            }
            self.stack.pop();
        }
        Some(row)
    }
}

#[cfg(test)]
mod tests {
    use globset::Glob;

    use super::*;
    use crate::analysis::compare::{FileChange, FileDiff};
    use crate::model::path::file_name;
    use crate::tree::EntryKind;
    use crate::tui::app::filetree::{SortBy, Status};

    /// A small deterministic generator (no test dependency needed).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    // Names that share their first 8 bytes check the sort's tie on its integer prefix.
    const NAMES: [&str; 10] = [
        "a",
        "b",
        "ab",
        "lib",
        "x.so",
        "Lib",
        "node_modules",
        "node_modulez",
        "node_mod",
        "é",
    ];

    fn random_tree(seed: u64) -> (FileTree, PathTable) {
        let mut rng = Lcg(seed);
        let mut files = Vec::new();
        let mut seen = HashSet::new();
        for _ in 0..rng.next(60) + 1 {
            let depth = rng.next(5) + 1;
            let path: Vec<&str> = (0..depth)
                .map(|_| NAMES[rng.next(NAMES.len() as u64) as usize])
                .collect();
            let path = path.join("/");
            if !seen.insert(path.clone()) {
                continue;
            }
            let change = [
                FileChange::Added,
                FileChange::Removed,
                FileChange::Changed,
                FileChange::MetadataOnly,
            ][rng.next(4) as usize];
            files.push(FileDiff {
                kind_a: Some(EntryKind::File),
                kind_b: Some(EntryKind::File),
                size_a: rng.next(5000),
                size_b: rng.next(5000),
                ..FileDiff::for_test(&path, change)
            });
        }
        let mut paths = PathTable::default();
        let tree = FileTree::from_diff(&files, &mut paths);
        (tree, paths)
    }

    /// The rows as the panel defines them, listed recursively with no counting.
    fn reference(
        tree: &mut FileTree,
        paths: &PathTable,
        folds: &Folds,
        filter: &Filter,
    ) -> Vec<Row> {
        fn text_ok(filter: &Filter, path: &str) -> bool {
            let hay = format!("/{path}");
            if filter.text.is_empty() {
                true
            } else if filter.text.contains(['*', '?', '[']) {
                let pattern = if filter.text.starts_with(['/', '*']) {
                    filter.text.clone()
                } else {
                    format!("*{}", filter.text)
                };
                Glob::new(&pattern).is_ok_and(|g| g.compile_matcher().is_match(&hay))
            } else if filter.text.chars().any(char::is_uppercase) {
                hay.contains(&filter.text)
            } else {
                hay.to_ascii_lowercase().contains(&filter.text)
            }
        }
        fn keep(tree: &mut FileTree, paths: &PathTable, filter: &Filter, id: PathId) -> bool {
            let kids = tree.children(id, paths);
            if kids.is_empty() {
                let n = tree.node(id, &[]).unwrap();
                !filter.hidden[n.status.index()]
                    && filter.min_size.is_none_or(|m| n.size >= m)
                    && text_ok(filter, paths.path(id))
            } else {
                kids.iter().any(|&k| keep(tree, paths, filter, k))
            }
        }
        #[allow(clippy::too_many_arguments)]
        fn walk(
            tree: &mut FileTree,
            paths: &PathTable,
            folds: &Folds,
            filter: &Filter,
            dir: PathId,
            depth: u16,
            guides: u64,
            out: &mut Vec<Row>,
        ) {
            let kids: Vec<PathId> = tree
                .children(dir, paths)
                .iter()
                .copied()
                .filter(|&k| keep(tree, paths, filter, k))
                .collect();
            for (j, &c) in kids.iter().enumerate() {
                let last = j + 1 == kids.len();
                out.push(Row {
                    path: c,
                    depth,
                    guides,
                    last,
                });
                if tree.child_count(c) > 0 && (!filter.text.is_empty() || !folds.is_folded(c)) {
                    let g = if last { guides | (1 << depth) } else { guides };
                    walk(tree, paths, folds, filter, c, depth + 1, g, out);
                }
            }
        }
        let mut out = Vec::new();
        if !filter.is_active() || keep(tree, paths, filter, ROOT) {
            walk(tree, paths, folds, filter, ROOT, 0, 0, &mut out);
        }
        out
    }

    #[test]
    fn counted_rows_match_a_plain_listing() {
        let texts = [
            "*[ab]?c*",
            "*a{b,lib}",
            "/a/*/x.so",
            "?/*",
            "*é*",
            "/[!a]*",
            "*/",
            "[",
            "",
            "a",
            "b/a",
            "/a",
            "lib",
            "Lib",
            "*.so",
            "a*b",
            "s/x",
            "/",
            "é",
            "modules/l",
        ];
        let sorts = [SortBy::Name, SortBy::Size, SortBy::Delta];
        let mut checked = 0;
        for seed in 0..300u64 {
            let (mut tree, paths) = random_tree(seed);
            let mut rng = Lcg(seed ^ 0x5eed);
            tree.sort(sorts[rng.next(3) as usize]);
            let mut folds = Folds::default();
            if rng.next(3) == 0 {
                folds.fold_all();
            }
            for _ in 0..rng.next(4) {
                let id = rng.next(paths.len() as u64) as PathId;
                folds.set(id, rng.next(2) == 0);
            }
            let mut filter = Filter::default();
            filter.set_text(texts[rng.next(texts.len() as u64) as usize]);
            if rng.next(4) == 0 {
                filter.hidden[rng.next(5) as usize] = true;
            }
            if rng.next(4) == 0 {
                filter.min_size = Some(rng.next(5000));
            }
            let rows = Rows::new(&tree, &paths, &folds, &filter);
            let want = reference(&mut tree, &paths, &folds, &filter);
            let all = rows.window(&mut tree, &paths, 0, usize::MAX);
            assert_eq!(all, want, "seed {seed}, filter {:?}", filter.text);
            assert_eq!(rows.len(), want.len());
            assert_eq!(rows.is_empty(), want.is_empty());
            for (i, r) in want.iter().enumerate() {
                assert_eq!(
                    rows.index_of(&mut tree, &paths, r.path),
                    Some(i),
                    "seed {seed}"
                );
                assert_eq!(rows.get(&mut tree, &paths, i), Some(*r));
                assert_eq!(
                    rows.window(&mut tree, &paths, i, 3),
                    want[i..(i + 3).min(want.len())]
                );
            }
            assert_eq!(rows.get(&mut tree, &paths, want.len()), None);
            let shown: HashSet<PathId> = want.iter().map(|r| r.path).collect();
            for id in 0..paths.len() as PathId {
                if !shown.contains(&id) {
                    assert_eq!(rows.index_of(&mut tree, &paths, id), None, "seed {seed}");
                }
            }
            assert_eq!(
                rows.first_leaf(&mut tree, &paths),
                want.iter().position(|r| tree.child_count(r.path) == 0)
            );
            checked += want.len();
        }
        assert!(checked > 1000, "the random trees list rows ({checked})");
    }

    #[test]
    fn children_are_sorted_and_sizes_roll_up() {
        for seed in 0..50u64 {
            let (mut tree, paths) = random_tree(seed);
            for by in [SortBy::Name, SortBy::Size, SortBy::Delta] {
                tree.sort(by);
                for dir in 0..paths.len() as PathId {
                    if !tree.contains(dir) {
                        continue;
                    }
                    let kids = tree.children(dir, &paths);
                    assert_eq!(kids.len(), tree.child_count(dir));
                    let key = |id: PathId| {
                        let n = tree.node(id, &[]).unwrap();
                        let name = file_name(paths.path(id)).to_string();
                        match by {
                            SortBy::Name => (0, name),
                            SortBy::Size => (u64::MAX - n.size, name),
                            SortBy::Delta => (u64::MAX - n.delta.unsigned_abs(), name),
                        }
                    };
                    assert!(
                        kids.windows(2).all(|w| key(w[0]) < key(w[1])),
                        "seed {seed}"
                    );
                    // A directory holds what its children hold (removed ones aside).
                    let node = tree.node(dir, &[]).unwrap();
                    if node.kind == EntryKind::Dir && node.status != Status::Removed {
                        let sum: u64 = kids
                            .iter()
                            .map(|&k| tree.node(k, &[]).unwrap())
                            .filter(|k| k.status != Status::Removed)
                            .map(|k| k.size)
                            .sum();
                        assert_eq!(node.size, sum, "seed {seed}");
                    }
                }
            }
        }
    }

    #[test]
    fn folds_are_all_or_none_with_exceptions() {
        let mut f = Folds::default();
        assert!(!f.is_folded(3));
        f.set(3, true);
        assert!(f.is_folded(3) && !f.is_folded(4));
        f.fold_all();
        assert!(f.is_folded(3) && f.is_folded(4));
        f.set(4, false);
        assert!(f.is_folded(3) && !f.is_folded(4));
        f.unfold_all();
        assert!(!f.is_folded(3) && !f.is_folded(4));
    }
}
