//! dive 0.13.1's own figures, reproduced to the byte (see `shared/dive-compat.md`), so a
//! pipeline can move from dive without changing its thresholds. dive's quirks are kept on
//! purpose: it counts every copy of a path seen in two or more layers as wasted (the visible
//! one too), ignores opaque markers, sizes a directory whiteout only when the directory had a
//! tar entry of its own, and abandons the rest of a layer at a whiteout of a missing path.
//! strata's own figures live in `waste.rs`; nothing here feeds them.

use std::borrow::Cow;
use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::model::gocompat::go_sort;
use crate::model::path::{file_name, parent};
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

impl DiveCompat {
    /// No figure at all, for an analysis that does not compute dive's (a snapshot of an image
    /// still loading; nothing shows it).
    pub fn not_measured() -> DiveCompat {
        DiveCompat {
            efficiency: f64::NAN,
            wasted_bytes: 0,
            user_wasted_percent: f64::NAN,
            size_bytes: 0,
            user_size_bytes: 0,
            layer_sizes: Vec::new(),
            inefficient_files: Vec::new(),
        }
    }
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
    let layer_sizes: Vec<u64> = layers.iter().map(|l| l.header_bytes).collect();
    // A whiteout is sized against layer 0 with layers 0..i-1 stacked on it (layer 0 twice, as
    // dive does). That stack is kept only up to the last layer that may hold a whiteout, and
    // the layers' own trees one at a time, so the memory held is one layer's tree plus the
    // union of all paths.
    let last_whiteout = layers.iter().rposition(|l| may_hold_whiteouts(l));

    // Every path of every layer gets an id in one union trie, so tallies are a vector and
    // a path string is only built for a reported file.
    // Sized for every entry up front: growing these vectors would copy them, and the old
    // and new copies would both be counted against the peak.
    let capacity: usize = layers.iter().map(|l| l.entries.len()).sum();
    let mut union = Union::new(capacity);
    let mut stacked = Stacked::default();
    let mut tallies: Vec<Tally> = Vec::with_capacity(capacity);
    let mut inefficient: Vec<u32> = Vec::new();
    for (i, layer) in layers.iter().enumerate() {
        let tree = DiveTree::from_layer(layer, keys.clone());
        let order = tree.post_order();
        let ids = union.map_tree(&tree);
        if i == 0 && last_whiteout.is_some() {
            stacked.start(&tree, &ids, capacity);
        }
        for &node in &order {
            let n = &tree.nodes[node as usize];
            if !n.is_leaf() {
                continue;
            }
            let (id, size) = if n.is_whiteout() {
                let (id, target) = union.whiteout(ids[n.parent as usize], n.name.clone(), &keys);
                if !stacked.holds(target) {
                    // dive's visitor returns an error here and the rest of the layer is skipped.
                    tallies.resize(tallies.len().max(union.len()), Tally::default());
                    tallies[id as usize].present = true;
                    break;
                }
                (id, stacked.sized(target, &union))
            } else {
                (ids[node as usize], n.size)
            };
            if tallies.len() <= id as usize {
                tallies.resize(union.len(), Tally::default());
            }
            let tally = &mut tallies[id as usize];
            tally.present = true;
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
        if last_whiteout.is_some_and(|last| i < last) {
            stacked.stack(&tree, &order, &ids, &mut union, &keys);
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
                count: u64::from(t.count),
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

/// Whether a layer's dive tree may have a node named `.wh.*` (a whiteout, or a directory
/// a tar named so): erring towards yes only costs memory.
fn may_hold_whiteouts(layer: &LayerTree) -> bool {
    let named = |p: &str| p.contains(WHITEOUT_PREFIX);
    layer.entries.iter().enumerate().any(|(i, e)| {
        e.kind == EntryKind::Whiteout
            || named(&e.path)
            || (!layer.moved.is_empty() && layer.tar_path(i).is_some_and(named))
    })
}

/// dive's tally of one path over all layers. `present` once the path was visited, even when
/// dive then skipped the rest of the layer (its -1 minimum still counts, as in dive).
#[derive(Debug, Clone, Copy)]
struct Tally {
    cum: u64,
    min: i64,
    count: u32,
    present: bool,
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

/// The union of the paths of all dive trees: id 0 is the root. Children are linked in a
/// list so the stacked tree can walk a subtree.
struct Union<'a> {
    parents: Vec<u32>,
    names: Vec<Cow<'a, str>>,
    hashes: Vec<u64>,
    first_child: Vec<u32>,
    next: Vec<u32>,
    lookup: HashTable<u32>,
}

impl<'a> Union<'a> {
    fn new(capacity: usize) -> Union<'a> {
        let mut union = Union {
            parents: Vec::with_capacity(capacity + 1),
            names: Vec::with_capacity(capacity + 1),
            hashes: Vec::with_capacity(capacity + 1),
            first_child: Vec::with_capacity(capacity + 1),
            next: Vec::with_capacity(capacity + 1),
            lookup: HashTable::with_capacity(capacity),
        };
        union.parents.push(0);
        union.names.push(Cow::Borrowed(""));
        union.hashes.push(0);
        union.first_child.push(NONE);
        union.next.push(NONE);
        union
    }

    fn len(&self) -> usize {
        self.names.len()
    }

    /// The id of the child `name` of `parent`, if any layer had it.
    fn find(&self, parent: u32, name: &str, name_hash: u64) -> Option<u32> {
        let (parents, names) = (&self.parents, &self.names);
        self.lookup
            .find(Keys::child(name_hash, parent), |&i| {
                parents[i as usize] == parent && names[i as usize] == name
            })
            .copied()
    }

    fn child(&mut self, parent: u32, name: Cow<'a, str>, name_hash: u64) -> u32 {
        if let Some(id) = self.find(parent, &name, name_hash) {
            return id;
        }
        let hash = Keys::child(name_hash, parent);
        let id = self.names.len() as u32;
        self.parents.push(parent);
        self.names.push(name);
        self.hashes.push(name_hash);
        self.first_child.push(NONE);
        self.next.push(self.first_child[parent as usize]);
        self.first_child[parent as usize] = id;
        let (parents, hashes) = (&self.parents, &self.hashes);
        self.lookup.insert_unique(hash, id, |&i| {
            Keys::child(hashes[i as usize], parents[i as usize])
        });
        id
    }

    /// The union id of every node of `tree` (parents always come before their children).
    fn map_tree(&mut self, tree: &DiveTree<'a>) -> Vec<u32> {
        let mut ids = Vec::with_capacity(tree.nodes.len());
        ids.push(0);
        for n in &tree.nodes[1..] {
            let id = self.child(ids[n.parent as usize], n.name.clone(), n.hash);
            ids.push(id);
        }
        ids
    }

    /// For a whiteout node named `name` under `parent`: the id it is tallied under (its
    /// name without `.wh.`) and the id of the path dive looks it up at, which is the parent
    /// itself for an empty name (dive drops empty path components).
    fn whiteout(&mut self, parent: u32, name: Cow<'a, str>, keys: &Keys) -> (u32, u32) {
        let stripped: Cow<'a, str> = match name {
            Cow::Borrowed(n) => Cow::Borrowed(n.strip_prefix(WHITEOUT_PREFIX).unwrap_or(n)),
            Cow::Owned(n) => Cow::Owned(n.strip_prefix(WHITEOUT_PREFIX).unwrap_or(&n).to_owned()),
        };
        let empty = stripped.is_empty();
        let hash = keys.name(&stripped);
        let id = self.child(parent, stripped, hash);
        (id, if empty { parent } else { id })
    }

    fn children(&self, node: u32) -> impl Iterator<Item = u32> + '_ {
        let mut cur = self.first_child[node as usize];
        std::iter::from_fn(move || {
            let c = cur;
            (c != NONE).then(|| {
                cur = self.next[c as usize];
                c
            })
        })
    }

    /// dive's path string: `/a/b`, with `//` made `/` (an empty whiteout name leaves one).
    fn path(&self, id: u32) -> String {
        let mut names = Vec::new();
        let mut cur = id;
        while cur != 0 {
            names.push(&*self.names[cur as usize]);
            cur = self.parents[cur as usize];
        }
        names.reverse();
        format!("/{}", names.join("/")).replace("//", "/")
    }
}

/// dive's stacked tree (layer 0, then each layer's nodes in post-order: whiteouts remove a
/// subtree, other nodes are created with their missing parents and take the node's payload),
/// kept as flags and payloads over union ids: a node is in the tree while `live`, and a live
/// node's parent is always live.
#[derive(Default)]
struct Stacked {
    live: Vec<bool>,
    size: Vec<u64>,
    is_dir: Vec<bool>,
}

impl Stacked {
    /// The stack as layer 0 alone.
    fn start(&mut self, tree: &DiveTree, ids: &[u32], capacity: usize) {
        self.live.reserve(capacity);
        self.size.reserve(capacity);
        self.is_dir.reserve(capacity);
        self.grow(ids.len());
        self.live[0] = true;
        for (n, &id) in tree.nodes.iter().zip(ids) {
            self.set(id, n);
        }
    }

    fn grow(&mut self, len: usize) {
        if self.live.len() < len {
            self.live.resize(len, false);
            self.size.resize(len, 0);
            self.is_dir.resize(len, false);
        }
    }

    fn set(&mut self, id: u32, n: &DiveNode) {
        let i = id as usize;
        self.grow(i + 1);
        self.live[i] = true;
        self.size[i] = n.size;
        self.is_dir[i] = n.is_dir;
    }

    fn holds(&self, id: u32) -> bool {
        self.live.get(id as usize).copied().unwrap_or(false)
    }

    /// What a whiteout of a live node weighs in dive: a directory's whole subtree, else 0.
    fn sized(&self, id: u32, union: &Union) -> u64 {
        if !self.is_dir[id as usize] {
            return 0;
        }
        let mut total = 0;
        let mut todo = vec![id];
        while let Some(n) = todo.pop() {
            total += self.size[n as usize];
            todo.extend(union.children(n).filter(|&c| self.holds(c)));
        }
        total
    }

    /// dive's `Stack` of `upper` (its nodes in post-order: `order`; their union ids: `ids`).
    fn stack(
        &mut self,
        upper: &DiveTree<'_>,
        order: &[u32],
        ids: &[u32],
        union: &mut Union<'_>,
        keys: &Keys,
    ) {
        self.grow(union.len());
        for &node in order {
            let n = &upper.nodes[node as usize];
            if n.is_whiteout() {
                let parent = ids[n.parent as usize];
                let stripped = n.name.strip_prefix(WHITEOUT_PREFIX).unwrap_or(&n.name);
                let target = if stripped.is_empty() {
                    Some(parent)
                } else {
                    union.find(parent, stripped, keys.name(stripped))
                };
                if let Some(t) = target.filter(|&t| t != 0 && self.holds(t)) {
                    self.remove(t, union);
                }
                continue;
            }
            // Missing parents are created empty (they are in the union: `upper` has them).
            let id = ids[node as usize];
            let mut cur = union.parents[id as usize];
            while !self.live[cur as usize] {
                self.live[cur as usize] = true;
                self.size[cur as usize] = 0;
                self.is_dir[cur as usize] = false;
                cur = union.parents[cur as usize];
            }
            self.set(id, n);
        }
    }

    fn remove(&mut self, id: u32, union: &Union) {
        let mut todo = vec![id];
        while let Some(n) = todo.pop() {
            self.live[n as usize] = false;
            todo.extend(union.children(n).filter(|&c| self.holds(c)));
        }
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
        self.nodes[node as usize].first_child = id;
        self.nodes.push(DiveNode {
            name,
            hash: name_hash,
            parent: node,
            first_child: NONE,
            next,
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
}
