//! dive 0.13.1's own figures, reproduced to the byte (see `shared/dive-compat.md`), so a
//! pipeline can move from dive without changing its thresholds. dive's quirks are kept on
//! purpose: it counts every copy of a path seen in two or more layers as wasted (the visible
//! one too), ignores opaque markers, sizes a directory whiteout only when the directory had a
//! tar entry of its own, and abandons the rest of a layer at a whiteout of a missing path.
//! strata's own figures live in `waste.rs`; nothing here feeds them.

use std::collections::{BTreeMap, HashMap};

use super::gosort::go_sort;
use crate::tree::path::{file_name, parent};
use crate::tree::{EntryKind, LayerTree};

const WHITEOUT_PREFIX: &str = ".wh.";
const DOUBLE_WHITEOUT_PREFIX: &str = ".wh..wh..";

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
    let trees: Vec<DiveTree> = layers.iter().map(|l| DiveTree::from_layer(l)).collect();
    let layer_sizes: Vec<u64> = layers.iter().map(|l| l.header_bytes).collect();

    let mut paths: HashMap<String, Tally> = HashMap::new();
    let mut inefficient: Vec<String> = Vec::new();
    // The tree a whiteout of layer i is sized against: layer 0, then layers 0..i-1 stacked
    // on it (layer 0 twice, as dive does).
    let mut stacked: Option<DiveTree> = None;
    for (i, tree) in trees.iter().enumerate() {
        if i >= 1 {
            let s = stacked.get_or_insert_with(|| trees[0].clone());
            s.stack(&trees[i - 1]);
        }
        for node in tree.post_order() {
            if !tree.nodes[node].children.is_empty() {
                continue;
            }
            let p = tree.path(node);
            let tally = paths.entry(p.clone()).or_insert(Tally {
                cum: 0,
                min: -1,
                count: 0,
            });
            let size = if tree.nodes[node].is_whiteout() {
                let s = stacked.as_ref().unwrap_or(&trees[0]);
                let Some(prev) = s.lookup(&p) else {
                    // dive's visitor returns an error here and the rest of the layer is skipped.
                    break;
                };
                if s.nodes[prev].is_dir {
                    s.subtree_size(prev)
                } else {
                    0
                }
            } else {
                tree.nodes[node].size
            };
            tally.cum += size;
            let size = size as i64;
            if tally.min < 0 || size < tally.min {
                tally.min = size;
            }
            tally.count += 1;
            if tally.count == 2 {
                inefficient.push(p);
            }
        }
    }

    let sum_min: i64 = paths.values().map(|t| t.min).sum();
    let sum_cum: u64 = paths.values().map(|t| t.cum).sum();
    let efficiency = if sum_cum == 0 {
        1.0
    } else {
        sum_min as f64 / sum_cum as f64
    };
    let mut files: Vec<InefficientFile> = inefficient
        .into_iter()
        .filter_map(|p| {
            let t = paths.get(&p)?;
            Some(InefficientFile {
                path: p,
                count: t.count,
                size_bytes: t.cum,
            })
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
        user_wasted_percent: wasted_bytes as f64 / user_size_bytes as f64,
        size_bytes,
        user_size_bytes,
        layer_sizes,
        inefficient_files: files,
    }
}

#[derive(Debug, Clone, Copy)]
struct Tally {
    cum: u64,
    min: i64,
    count: u64,
}

/// dive's per-layer `FileTree`: children by name (byte order), a payload per node, and
/// implicit parents with an empty payload (size 0, not a directory).
#[derive(Debug, Clone)]
struct DiveTree {
    nodes: Vec<DiveNode>,
}

#[derive(Debug, Clone)]
struct DiveNode {
    name: String,
    parent: usize,
    size: u64,
    is_dir: bool,
    children: BTreeMap<String, usize>,
}

impl DiveNode {
    fn is_whiteout(&self) -> bool {
        self.name.starts_with(WHITEOUT_PREFIX)
    }
}

impl DiveTree {
    fn empty() -> DiveTree {
        DiveTree {
            nodes: vec![DiveNode {
                name: String::new(),
                parent: 0,
                size: 0,
                is_dir: false,
                children: BTreeMap::new(),
            }],
        }
    }

    /// The layer's tar headers in archive order, named as dive names them.
    fn from_layer(layer: &LayerTree) -> DiveTree {
        let mut tree = DiveTree::empty();
        for e in &layer.entries {
            let name = match e.kind {
                // dive drops the marker itself, but only after creating its missing parents
                // (empty, so a fresh one is a size-0 leaf that dive counts).
                EntryKind::Opaque if e.path.is_empty() => continue,
                EntryKind::Opaque => format!("{}/{DOUBLE_WHITEOUT_PREFIX}opq", e.path),
                EntryKind::Whiteout => match parent(&e.path) {
                    Some(p) => format!("{p}/{WHITEOUT_PREFIX}{}", file_name(&e.path)),
                    None => format!("{WHITEOUT_PREFIX}{}", e.path),
                },
                _ => e.path.to_string(),
            };
            tree.add_path(&name, e.size, e.kind == EntryKind::Dir);
        }
        tree
    }

    /// dive's `AddPath`: walk or create each component; the payload goes to the last one.
    fn add_path(&mut self, path: &str, size: u64, is_dir: bool) {
        let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        let mut node = 0usize;
        for (idx, c) in comps.iter().enumerate() {
            node = match self.nodes[node].children.get(*c) {
                Some(&child) => child,
                None => {
                    if c.starts_with(DOUBLE_WHITEOUT_PREFIX) {
                        return;
                    }
                    let id = self.nodes.len();
                    self.nodes.push(DiveNode {
                        name: (*c).to_string(),
                        parent: node,
                        size: 0,
                        is_dir: false,
                        children: BTreeMap::new(),
                    });
                    self.nodes[node].children.insert((*c).to_string(), id);
                    id
                }
            };
            if idx == comps.len() - 1 {
                self.nodes[node].size = size;
                self.nodes[node].is_dir = is_dir;
            }
        }
    }

    /// Children before parents, siblings in byte order, the root left out.
    fn post_order(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut stack: Vec<(usize, bool)> = vec![(0, false)];
        while let Some((node, expanded)) = stack.pop() {
            if expanded {
                if node != 0 {
                    out.push(node);
                }
                continue;
            }
            stack.push((node, true));
            for &child in self.nodes[node].children.values().rev() {
                stack.push((child, false));
            }
        }
        out
    }

    /// `/a/b` from the root, with a whiteout leaf's `.wh.` prefix removed.
    fn path(&self, node: usize) -> String {
        let mut names = Vec::new();
        let mut cur = node;
        while cur != 0 {
            let n = &self.nodes[cur];
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

    fn lookup(&self, path: &str) -> Option<usize> {
        let mut node = 0usize;
        for c in path.split('/').filter(|c| !c.is_empty()) {
            node = *self.nodes[node].children.get(c)?;
        }
        Some(node)
    }

    fn subtree_size(&self, node: usize) -> u64 {
        let mut total = 0;
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            total += self.nodes[n].size;
            stack.extend(self.nodes[n].children.values());
        }
        total
    }

    /// dive's `Stack`: every node of `upper` in post-order; whiteouts remove, others add.
    fn stack(&mut self, upper: &DiveTree) {
        for node in upper.post_order() {
            let n = &upper.nodes[node];
            let path = upper.path(node);
            if n.is_whiteout() {
                if let Some(target) = self.lookup(&path) {
                    let parent = self.nodes[target].parent;
                    let name = self.nodes[target].name.clone();
                    self.nodes[parent].children.remove(&name);
                }
            } else {
                self.add_path(&path, n.size, n.is_dir);
            }
        }
    }
}
