//! dive 0.13.1's own figures, reproduced to the byte (see `shared/dive-compat.md`), so a
//! pipeline can move from dive without changing its thresholds. dive's quirks are kept on
//! purpose: it counts every copy of a path seen in two or more layers as wasted (the visible
//! one too), ignores opaque markers, sizes a directory whiteout only when the directory had a
//! tar entry of its own, and abandons the rest of a layer at a whiteout of a missing path.
//! strata's own figures live in `waste.rs`; nothing here feeds them.

use std::borrow::Cow;
use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::gosort::go_sort;
use crate::tree::path::{file_name, parent};
use crate::tree::{EntryKind, LayerTree};

const WHITEOUT_PREFIX: &str = ".wh.";
const DOUBLE_WHITEOUT_PREFIX: &str = ".wh..wh..";

/// Bumped whenever `figures` gives a different answer for the same trees: it names the
/// cached figures (`Cache::dive_key`), so old ones are not read back.
pub const VERSION: u32 = 1;

/// `wasted / user_size` as dive computes it: NaN for 0/0, +Inf for x/0.
pub fn user_wasted_percent(wasted_bytes: u64, user_size_bytes: u64) -> f64 {
    wasted_bytes as f64 / user_size_bytes as f64
}

/// dive's image-level figures.
#[derive(Debug, Clone, PartialEq)]
pub struct DiveCompat {
    pub efficiency: f64,
    pub wasted_bytes: u64,
    /// `wasted_bytes / user_size_bytes`: NaN for 0/0 and +Inf for x/0, as dive computes it.
    pub user_wasted_percent: f64,
    pub size_bytes: u64,
    /// Bytes of every layer but the first (dive's "user" layers).
    pub user_size_bytes: u64,
    pub layer_sizes: Vec<u64>,
    /// Largest first, in dive's order.
    pub inefficient_files: Vec<InefficientFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InefficientFile {
    /// With a leading `/`, as dive prints it.
    pub path: String,
    pub count: u64,
    pub size_bytes: u64,
}

pub fn figures(layers: &[&LayerTree]) -> DiveCompat {
    let keys = Keys::default();
    let trees: Vec<DiveTree> = layers
        .iter()
        .map(|l| DiveTree::from_layer(l, keys.clone()))
        .collect();
    let orders: Vec<Vec<u32>> = trees.iter().map(DiveTree::post_order).collect();
    let layer_sizes: Vec<u64> = layers.iter().map(|l| l.header_bytes).collect();

    // Every path of every layer gets an id in one union trie, so tallies are a vector and
    // a path string is only built for a whiteout or a reported file.
    let mut union = Union::new(trees.iter().map(|t| t.nodes.len()).sum());
    let mut tallies: Vec<Tally> = Vec::new();
    let mut inefficient: Vec<u32> = Vec::new();
    // The tree a whiteout of layer i is sized against: layer 0, then layers 0..i-1 stacked
    // on it (layer 0 twice, as dive does). Built only as far as a whiteout needs it.
    let mut stacked = Stacked {
        tree: None,
        layers: 0,
    };
    for (i, tree) in trees.iter().enumerate() {
        let ids = union.map_tree(tree);
        for &node in &orders[i] {
            let n = &tree.nodes[node as usize];
            if !n.is_leaf() {
                continue;
            }
            let id = if n.is_whiteout() {
                let stripped = n.name.strip_prefix(WHITEOUT_PREFIX).unwrap_or(&n.name);
                union.child(ids[n.parent as usize], stripped, keys.name(stripped))
            } else {
                ids[node as usize]
            };
            if tallies.len() <= id as usize {
                tallies.resize(union.len(), Tally::default());
            }
            tallies[id as usize].present = true;
            let size = if n.is_whiteout() {
                let s = stacked.at(&trees, &orders, i);
                let Some(prev) = s.lookup(&union.path(id)) else {
                    // dive's visitor returns an error here and the rest of the layer is skipped.
                    break;
                };
                if s.nodes[prev as usize].is_dir {
                    s.subtree_size(prev)
                } else {
                    0
                }
            } else {
                n.size
            };
            let tally = &mut tallies[id as usize];
            tally.cum += size;
            let size = size as i64;
            if tally.min < 0 || size < tally.min {
                tally.min = size;
            }
            tally.count += 1;
            if tally.count == 2 {
                inefficient.push(id);
            }
        }
    }

    let present = tallies.iter().filter(|t| t.present);
    let sum_min: i64 = present.clone().map(|t| t.min).sum();
    let sum_cum: u64 = present.map(|t| t.cum).sum();
    let efficiency = if sum_cum == 0 {
        1.0
    } else {
        sum_min as f64 / sum_cum as f64
    };
    let mut files: Vec<InefficientFile> = inefficient
        .into_iter()
        .map(|id| {
            let t = &tallies[id as usize];
            InefficientFile {
                path: union.path(id),
                count: t.count,
                size_bytes: t.cum,
            }
        })
        .collect();
    go_sort(&mut files, |a, b| a.size_bytes < b.size_bytes);
    files.reverse();

    let size_bytes: u64 = layer_sizes.iter().sum();
    let user_size_bytes: u64 = layer_sizes.iter().skip(1).sum();
    let wasted_bytes: u64 = files.iter().map(|f| f.size_bytes).sum();
    DiveCompat {
        efficiency,
        wasted_bytes,
        user_wasted_percent: user_wasted_percent(wasted_bytes, user_size_bytes),
        size_bytes,
        user_size_bytes,
        layer_sizes,
        inefficient_files: files,
    }
}

/// dive's tally of one path over all layers. `present` once the path was visited, even when
/// dive then skipped the rest of the layer (its -1 minimum still counts, as in dive).
#[derive(Debug, Clone, Copy)]
struct Tally {
    present: bool,
    cum: u64,
    min: i64,
    count: u64,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            present: false,
            cum: 0,
            min: -1,
            count: 0,
        }
    }
}

/// Hashes of names, shared by every tree so a node's name is hashed once; a child's key
/// mixes its name's hash with its parent's id.
#[derive(Debug, Clone, Default)]
struct Keys(foldhash::fast::RandomState);

impl Keys {
    fn name(&self, name: &str) -> u64 {
        self.0.hash_one(name)
    }

    fn child(name: u64, parent: u32) -> u64 {
        let h = name ^ u64::from(parent).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let h = (h ^ (h >> 32)).wrapping_mul(0xD6E8_FEB8_6659_FD93);
        h ^ (h >> 32)
    }
}

/// The union of the paths of all dive trees: id 0 is the root.
struct Union<'a> {
    parents: Vec<u32>,
    names: Vec<&'a str>,
    hashes: Vec<u64>,
    lookup: HashTable<u32>,
}

impl<'a> Union<'a> {
    fn new(capacity: usize) -> Union<'a> {
        let mut parents = Vec::with_capacity(capacity + 1);
        let mut names = Vec::with_capacity(capacity + 1);
        let mut hashes = Vec::with_capacity(capacity + 1);
        parents.push(0);
        names.push("");
        hashes.push(0);
        Union {
            parents,
            names,
            hashes,
            lookup: HashTable::with_capacity(capacity),
        }
    }

    fn len(&self) -> usize {
        self.names.len()
    }

    fn child(&mut self, parent: u32, name: &'a str, name_hash: u64) -> u32 {
        let hash = Keys::child(name_hash, parent);
        let (parents, names) = (&self.parents, &self.names);
        let found = self.lookup.find(hash, |&i| {
            parents[i as usize] == parent && names[i as usize] == name
        });
        if let Some(&id) = found {
            return id;
        }
        let id = self.names.len() as u32;
        self.parents.push(parent);
        self.names.push(name);
        self.hashes.push(name_hash);
        let (parents, hashes) = (&self.parents, &self.hashes);
        self.lookup.insert_unique(hash, id, |&i| {
            Keys::child(hashes[i as usize], parents[i as usize])
        });
        id
    }

    /// The union id of every node of `tree` (parents always come before their children).
    fn map_tree(&mut self, tree: &'a DiveTree<'a>) -> Vec<u32> {
        let mut ids = Vec::with_capacity(tree.nodes.len());
        ids.push(0);
        for n in &tree.nodes[1..] {
            let id = self.child(ids[n.parent as usize], &n.name, n.hash);
            ids.push(id);
        }
        ids
    }

    /// dive's path string: `/a/b`, with `//` made `/` (an empty whiteout name leaves one).
    fn path(&self, id: u32) -> String {
        let mut names = Vec::new();
        let mut cur = id;
        while cur != 0 {
            names.push(self.names[cur as usize]);
            cur = self.parents[cur as usize];
        }
        names.reverse();
        format!("/{}", names.join("/")).replace("//", "/")
    }
}

/// Layer 0 with layers 0..`layers` stacked on it, advanced only when asked.
struct Stacked<'a> {
    tree: Option<DiveTree<'a>>,
    layers: usize,
}

impl<'a> Stacked<'a> {
    /// The tree a whiteout of layer `i` is sized against.
    fn at<'s>(
        &'s mut self,
        trees: &'s [DiveTree<'a>],
        orders: &[Vec<u32>],
        i: usize,
    ) -> &'s DiveTree<'a> {
        if i == 0 {
            return &trees[0];
        }
        let tree = self.tree.get_or_insert_with(|| {
            // Room for every node of every layer, so the table never re-hashes as it grows.
            let mut t = trees[0].clone();
            let more: usize = trees[1..].iter().map(|t| t.nodes.len()).sum();
            t.nodes.reserve(more);
            let nodes = &t.nodes;
            t.index.reserve(more, |&i| {
                let n = &nodes[i as usize];
                Keys::child(n.hash, n.parent)
            });
            t
        });
        while self.layers < i {
            tree.stack(&trees[self.layers], &orders[self.layers]);
            self.layers += 1;
        }
        tree
    }
}

/// dive's per-layer `FileTree`: a payload per node and implicit parents with an empty
/// payload (size 0, not a directory); siblings are visited in byte order. Names borrow the
/// layer's paths (only whiteout names are built); children are found through one hash table
/// keyed by (parent, name) and linked in a list, sorted only when a walk needs the order.
#[derive(Debug, Clone)]
struct DiveTree<'a> {
    nodes: Vec<DiveNode<'a>>,
    index: HashTable<u32>,
    keys: Keys,
}

#[derive(Debug, Clone)]
struct DiveNode<'a> {
    name: Cow<'a, str>,
    /// `Keys::name` of `name`.
    hash: u64,
    parent: u32,
    first_child: u32,
    next: u32,
    prev: u32,
    size: u64,
    is_dir: bool,
}

impl DiveNode<'_> {
    fn is_whiteout(&self) -> bool {
        self.name.starts_with(WHITEOUT_PREFIX)
    }

    fn is_leaf(&self) -> bool {
        self.first_child == NONE
    }
}

const NONE: u32 = u32::MAX;

impl<'a> DiveTree<'a> {
    fn empty(keys: Keys, capacity: usize) -> DiveTree<'a> {
        let mut nodes = Vec::with_capacity(capacity + 1);
        nodes.push(DiveNode {
            name: Cow::Borrowed(""),
            hash: 0,
            parent: 0,
            first_child: NONE,
            next: NONE,
            prev: NONE,
            size: 0,
            is_dir: false,
        });
        DiveTree {
            nodes,
            index: HashTable::with_capacity(capacity),
            keys,
        }
    }

    /// The layer's tar headers in archive order, named as dive names them (dive's
    /// `AddPath`: walk or create each component; the payload goes to the last one).
    fn from_layer(layer: &'a LayerTree, keys: Keys) -> DiveTree<'a> {
        let mut tree = DiveTree::empty(keys, layer.entries.len());
        // Consecutive entries mostly share their directory: walk it once.
        let mut last_dir: Option<(&'a str, u32)> = None;
        for (i, e) in layer.entries.iter().enumerate() {
            // dive names an entry as its tar does, not where a symlinked parent sends it.
            let path: &'a str = if layer.moved.is_empty() {
                &e.path
            } else {
                layer.tar_path(i).unwrap_or(&e.path)
            };
            let (dirs, last): (&'a str, Cow<'a, str>) = match e.kind {
                // dive drops the marker itself, but only after creating its missing parents
                // (empty, so a fresh one is a size-0 leaf that dive counts).
                EntryKind::Opaque if path.is_empty() => continue,
                EntryKind::Opaque => (path, Cow::Borrowed(DOUBLE_WHITEOUT_PREFIX)),
                EntryKind::Whiteout => (
                    parent(path).unwrap_or(""),
                    Cow::Owned(format!("{WHITEOUT_PREFIX}{}", file_name(path))),
                ),
                _ => (parent(path).unwrap_or(""), Cow::Borrowed(file_name(path))),
            };
            let dir = match last_dir {
                Some((d, node)) if d == dirs => Some(node),
                _ => tree
                    .walk(dirs)
                    .inspect(|&node| last_dir = Some((dirs, node))),
            };
            let Some(dir) = dir else { continue };
            let target = if last.is_empty() {
                // No last component: the payload goes to the directory, unless there was none.
                (dir != 0).then_some(dir)
            } else {
                let hash = tree.keys.name(&last);
                tree.child_or_create(dir, last, hash)
            };
            if let Some(t) = target {
                tree.nodes[t as usize].size = e.size;
                tree.nodes[t as usize].is_dir = e.kind == EntryKind::Dir;
            }
        }
        tree
    }

    /// Walks `dirs` from the root, creating what is missing; `None` where dive gives up.
    fn walk(&mut self, dirs: &'a str) -> Option<u32> {
        let mut node = 0u32;
        for c in dirs.split('/').filter(|c| !c.is_empty()) {
            node = self.child_or_create(node, Cow::Borrowed(c), self.keys.name(c))?;
        }
        Some(node)
    }

    fn child(&self, parent: u32, name: &str, name_hash: u64) -> Option<u32> {
        self.index
            .find(Keys::child(name_hash, parent), |&i| {
                let n = &self.nodes[i as usize];
                n.parent == parent && n.name == name
            })
            .copied()
    }

    /// The child `name` of `node`, created empty if missing (but never a `.wh..wh..` one:
    /// dive stops there).
    fn child_or_create(&mut self, node: u32, name: Cow<'a, str>, name_hash: u64) -> Option<u32> {
        if let Some(child) = self.child(node, &name, name_hash) {
            return Some(child);
        }
        if name.starts_with(DOUBLE_WHITEOUT_PREFIX) {
            return None;
        }
        let id = self.nodes.len() as u32;
        let hash = Keys::child(name_hash, node);
        let next = self.nodes[node as usize].first_child;
        if next != NONE {
            self.nodes[next as usize].prev = id;
        }
        self.nodes[node as usize].first_child = id;
        self.nodes.push(DiveNode {
            name,
            hash: name_hash,
            parent: node,
            first_child: NONE,
            next,
            prev: NONE,
            size: 0,
            is_dir: false,
        });
        let nodes = &self.nodes;
        self.index.insert_unique(hash, id, |&i| {
            let n = &nodes[i as usize];
            Keys::child(n.hash, n.parent)
        });
        Some(id)
    }

    /// Unlinks `node` (and so its subtree) from its parent.
    fn remove(&mut self, node: u32) {
        let n = &self.nodes[node as usize];
        let (parent, next, prev) = (n.parent, n.next, n.prev);
        if node == 0 {
            return;
        }
        if let Ok(entry) = self
            .index
            .find_entry(Keys::child(n.hash, parent), |&i| i == node)
        {
            entry.remove();
        }
        if prev == NONE {
            self.nodes[parent as usize].first_child = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next != NONE {
            self.nodes[next as usize].prev = prev;
        }
    }

    fn children(&self, node: u32) -> impl Iterator<Item = u32> + '_ {
        let mut cur = self.nodes[node as usize].first_child;
        std::iter::from_fn(move || {
            let c = cur;
            (c != NONE).then(|| {
                cur = self.nodes[c as usize].next;
                c
            })
        })
    }

    /// Children before parents, siblings in byte order, the root left out.
    fn post_order(&self) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut stack: Vec<(u32, bool)> = vec![(0, false)];
        let mut kids: Vec<u32> = Vec::new();
        while let Some((node, expanded)) = stack.pop() {
            if expanded {
                if node != 0 {
                    out.push(node);
                }
                continue;
            }
            stack.push((node, true));
            kids.clear();
            kids.extend(self.children(node));
            // Sibling names are unique, so an unstable sort gives the one byte order.
            kids.sort_unstable_by(|&a, &b| {
                self.nodes[a as usize]
                    .name
                    .cmp(&self.nodes[b as usize].name)
            });
            stack.extend(kids.iter().rev().map(|&c| (c, false)));
        }
        out
    }

    /// `/a/b` from the root, with a whiteout leaf's `.wh.` prefix removed.
    fn path(&self, node: u32) -> String {
        let mut names = Vec::new();
        let mut cur = node;
        while cur != 0 {
            let n = &self.nodes[cur as usize];
            let name = if cur == node {
                n.name.strip_prefix(WHITEOUT_PREFIX).unwrap_or(&n.name)
            } else {
                &n.name
            };
            names.push(name);
            cur = n.parent;
        }
        names.reverse();
        format!("/{}", names.join("/")).replace("//", "/")
    }

    fn lookup(&self, path: &str) -> Option<u32> {
        let mut node = 0u32;
        for c in path.split('/').filter(|c| !c.is_empty()) {
            node = self.child(node, c, self.keys.name(c))?;
        }
        Some(node)
    }

    fn subtree_size(&self, node: u32) -> u64 {
        let mut total = 0;
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            total += self.nodes[n as usize].size;
            stack.extend(self.children(n));
        }
        total
    }

    /// dive's `Stack`: every node of `upper` in post-order (`order`); whiteouts remove,
    /// others add. Where an upper node sits in this tree is remembered (`at`), so adding a
    /// path walks only the part not seen yet; a removal forgets it all, as it may have cut
    /// any branch.
    fn stack(&mut self, upper: &DiveTree<'a>, order: &[u32]) {
        let mut at = vec![NONE; upper.nodes.len()];
        at[0] = 0;
        let mut chain: Vec<u32> = Vec::new();
        for &node in order {
            let n = &upper.nodes[node as usize];
            if n.is_whiteout() {
                if let Some(target) = self.lookup(&upper.path(node)) {
                    self.remove(target);
                    at.fill(NONE);
                    at[0] = 0;
                }
                continue;
            }
            // The upper nodes from `node` up to the nearest one already placed here.
            chain.clear();
            let mut cur = node;
            while at[cur as usize] == NONE {
                chain.push(cur);
                cur = upper.nodes[cur as usize].parent;
            }
            let mut here = at[cur as usize];
            let mut placed = true;
            for &u in chain.iter().rev() {
                let un = &upper.nodes[u as usize];
                match self.child_or_create(here, un.name.clone(), un.hash) {
                    Some(c) => {
                        here = c;
                        at[u as usize] = c;
                    }
                    None => {
                        placed = false;
                        break;
                    }
                }
            }
            if placed {
                self.nodes[here as usize].size = n.size;
                self.nodes[here as usize].is_dir = n.is_dir;
            }
        }
    }
}
