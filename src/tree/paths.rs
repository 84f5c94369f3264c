//! Every path seen in any layer gets a small integer id, with its parent and children, so the
//! merged view is a flat vector indexed by id and subtree operations walk child lists.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::model::path::parent;

pub type PathId = u32;

/// The union of all paths of all layers. Id 0 is the root.
#[derive(Debug, Clone)]
pub struct PathTable {
    /// Every path, one after another: path `id` ends at `ends[id]` and starts where path
    /// `id - 1` ends (one string for all, not an allocation each).
    text: String,
    ends: Vec<usize>,
    parents: Vec<PathId>,
    /// Children in the order they were added, as a list: `first_child`/`last_child` of a
    /// path, `next_sibling` of each child (`NONE` ends it). Three integers a path, where a
    /// vector each cost 24 bytes and an allocation per directory.
    first_child: Vec<PathId>,
    last_child: Vec<PathId>,
    next_sibling: Vec<PathId>,
    /// Ids by path, hashing the text of path `id`: each path is stored once.
    lookup: HashTable<PathId>,
    hasher: foldhash::fast::RandomState,
    /// The id of every layer entry, `entry_ids[layer][entry]`, so replays never hash paths.
    entry_ids: Vec<Vec<PathId>>,
}

pub const ROOT: PathId = 0;

/// No path: the end of a child list.
const NONE: PathId = PathId::MAX;

/// Path `id` of `text`, as `ends` delimits it.
fn slice<'t>(text: &'t str, ends: &[usize], id: PathId) -> &'t str {
    let id = id as usize;
    let start = if id == 0 { 0 } else { ends[id - 1] };
    &text[start..ends[id]]
}

impl Default for PathTable {
    fn default() -> Self {
        PathTable::with_capacity(0, 0)
    }
}

impl PathTable {
    /// A table with room for `n` paths of `bytes` bytes in all (growing a table of 300k
    /// paths re-hashes every path string a dozen times over, and growing its text copies it).
    pub fn with_capacity(n: usize, bytes: usize) -> PathTable {
        let mut table = PathTable {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(n + 1),
            parents: Vec::with_capacity(n + 1),
            first_child: Vec::with_capacity(n + 1),
            last_child: Vec::with_capacity(n + 1),
            next_sibling: Vec::with_capacity(n + 1),
            lookup: HashTable::with_capacity(n + 1),
            hasher: foldhash::fast::RandomState::default(),
            entry_ids: Vec::new(),
        };
        table.push("", ROOT);
        table
    }

    /// The id of a normalised path, adding it (and its missing ancestors) if new.
    pub fn intern(&mut self, path: &str) -> PathId {
        if let Some(id) = self.get(path) {
            return id;
        }
        let parent_id = match parent(path) {
            Some(p) => self.intern(p),
            None => ROOT,
        };
        let id = self.push(path, parent_id);
        let p = parent_id as usize;
        match self.last_child[p] {
            NONE => self.first_child[p] = id,
            last => self.next_sibling[last as usize] = id,
        }
        self.last_child[p] = id;
        id
    }

    /// Adds `text` as a new child of `parent`, slashes and all: for lists that are not one
    /// directory tree (the compare screen lists whole paths under a package or flat under the
    /// root). `text` must be new and, for the filters to read it as a path, start with the
    /// parent's text and a `/` unless `parent` is the root. `None` when `text` is in the table.
    pub fn push_child(&mut self, parent: PathId, text: &str) -> Option<PathId> {
        if self.get(text).is_some() {
            return None;
        }
        let id = self.push(text, parent);
        let p = parent as usize;
        match self.last_child[p] {
            NONE => self.first_child[p] = id,
            last => self.next_sibling[last as usize] = id,
        }
        self.last_child[p] = id;
        Some(id)
    }

    /// Adds a path known to be new.
    fn push(&mut self, path: &str, parent_id: PathId) -> PathId {
        let id = self.ends.len() as PathId;
        self.text.push_str(path);
        self.ends.push(self.text.len());
        self.parents.push(parent_id);
        self.first_child.push(NONE);
        self.last_child.push(NONE);
        self.next_sibling.push(NONE);
        let hasher = &self.hasher;
        let (text, ends) = (&self.text, &self.ends);
        self.lookup.insert_unique(hasher.hash_one(path), id, |&i| {
            hasher.hash_one(slice(text, ends, i))
        });
        id
    }

    /// Gives back the room `with_capacity` reserved beyond the paths added (the lookup keeps
    /// its size: shrinking it would hash every path again).
    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
        self.parents.shrink_to_fit();
        self.first_child.shrink_to_fit();
        self.last_child.shrink_to_fit();
        self.next_sibling.shrink_to_fit();
    }

    /// Records the ids of one more layer's entries (in order).
    pub fn push_layer_ids(&mut self, ids: Vec<PathId>) {
        self.entry_ids.push(ids);
    }

    /// The id of entry `entry` of layer `layer`, when recorded.
    pub fn entry_id(&self, layer: usize, entry: usize) -> Option<PathId> {
        self.entry_ids
            .get(layer)
            .and_then(|l| l.get(entry))
            .copied()
    }

    pub fn get(&self, path: &str) -> Option<PathId> {
        self.lookup
            .find(self.hasher.hash_one(path), |&i| {
                slice(&self.text, &self.ends, i) == path
            })
            .copied()
    }

    /// The normalised path (no leading `/`; the root is "").
    pub fn path(&self, id: PathId) -> &str {
        slice(&self.text, &self.ends, id)
    }

    pub fn parent(&self, id: PathId) -> PathId {
        self.parents[id as usize]
    }

    /// The children of `id`, in the order they were added.
    pub fn children(&self, id: PathId) -> impl Iterator<Item = PathId> + '_ {
        let mut next = self.first_child[id as usize];
        std::iter::from_fn(move || {
            let cur = next;
            (cur != NONE).then(|| {
                next = self.next_sibling[cur as usize];
                cur
            })
        })
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.len() <= 1
    }

    /// Ancestors of `id`, from the top level down, excluding the root and `id` itself.
    pub fn ancestors(&self, id: PathId) -> Vec<PathId> {
        let mut out = Vec::new();
        let mut cur = self.parent(id);
        while cur != ROOT {
            out.push(cur);
            cur = self.parent(cur);
        }
        out.reverse();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_come_back_whole_with_parents_and_children_in_the_order_added() {
        let mut t = PathTable::with_capacity(2, 4);
        let b = t.intern("a/b");
        let z = t.intern("z");
        let c = t.intern("a/c");
        let d = t.intern("a/b/d");
        let a = t.get("a").unwrap_or(u32::MAX);
        assert_eq!(t.intern("a/b"), b, "a path interned twice keeps its id");
        t.shrink_to_fit();
        assert_eq!(t.len(), 6, "root, a, a/b, z, a/c, a/b/d");
        for (id, path) in [
            (ROOT, ""),
            (a, "a"),
            (b, "a/b"),
            (z, "z"),
            (c, "a/c"),
            (d, "a/b/d"),
        ] {
            assert_eq!(t.path(id), path);
            assert_eq!(t.get(path), Some(id));
        }
        assert_eq!(t.get("a/b/"), None);
        assert_eq!(t.get("a/"), None);
        assert_eq!((t.parent(d), t.parent(b), t.parent(a)), (b, a, ROOT));
        assert_eq!(t.children(ROOT).collect::<Vec<_>>(), vec![a, z]);
        assert_eq!(t.children(a).collect::<Vec<_>>(), vec![b, c]);
        assert_eq!(t.children(b).collect::<Vec<_>>(), vec![d]);
        assert_eq!(t.children(d).count(), 0);
        assert_eq!(t.ancestors(d), vec![a, b]);
    }
}
