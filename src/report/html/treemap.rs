//! The treemap's data: the final view's directories and files with their rolled-up bytes
//! (`analysis::sizes`), cut down to what a page can carry and draw at once.
//!
//! node-app has 113k files; a page that embeds all of them is megabytes of data and a long
//! parse. So directories are listed best first (the largest directory not yet listed is
//! listed next) until `NODE_BUDGET` entries are in, and inside each directory only the
//! entries that would make a visible cell are listed:
//! - an entry is listed when it holds at least 1/`MIN_SHARE` of its directory's bytes (a
//!   cell of at least about 26x26 px when the directory fills a 1280x560 map), at most
//!   `MAX_CHILDREN` of them, largest first; the rest of the directory is one "other" cell
//!   with their bytes and count. Entries of 0 bytes (empty files, links, empty directories)
//!   have no area and are not listed. The root lists every entry that has bytes (up to
//!   `MAX_CHILDREN`), so the top level is whole;
//! - directories deeper than `MAX_DEPTH`, and those left when the budget ran out, are listed
//!   with their size but not their contents (the page says so).
//!
//! The page's data is then at most `NODE_BUDGET` entries of a name and two or three numbers:
//! under 1 MB whatever the image.
//!
//! On the wire each node is a JSON array, the shortest form that parses fast: a file
//! `[name, bytes]`, a directory `[name, bytes, files, children]` (`children` is `0` when
//! not listed), the rest of a directory `[0, bytes, entries]`. Names are escaped for display
//! (`printable`); the whole is made safe for a `<script>` block by `escape::script_json`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use serde_json::{json, Value};

use crate::analysis::merge::{kind_at, Stack};
use crate::analysis::sizes::{self, Sizes};
use crate::analysis::Analysis;
use crate::load::Image;
use crate::model::path::file_name;
use crate::model::text::printable;
use crate::tree::paths::{PathId, ROOT};
use crate::tree::{EntryKind, LayerTree};

/// Most entries listed in the whole page.
pub const NODE_BUDGET: usize = 20_000;
/// Most entries listed in one directory; the rest are its "other" cell.
pub const MAX_CHILDREN: usize = 300;
/// An entry below 1/`MIN_SHARE` of its directory's bytes goes to "other" (not at the root).
pub const MIN_SHARE: u64 = 1_000;
/// Directories below this depth are listed without their contents.
pub const MAX_DEPTH: usize = 32;

/// What the treemap draws, ready to embed.
#[derive(Debug, Clone)]
pub struct Treemap {
    /// The root node (see the module comment for the form).
    pub root: Value,
    /// Entries listed, the root not counted.
    pub listed: usize,
    /// Directories with bytes whose contents are not listed (too deep, or past the budget).
    pub unlisted_dirs: usize,
}

/// One directory's listing: the entries kept, and the rest as (bytes, count).
struct Listing {
    kids: Vec<PathId>,
    other: (u64, u64),
}

impl Treemap {
    /// The treemap of `image`'s final view.
    pub fn of(image: &Image, analysis: &Analysis) -> Treemap {
        let trees = image.trees();
        Treemap::of_layers(&trees, &analysis.stack)
    }

    pub fn of_layers(layers: &[&LayerTree], stack: &Stack) -> Treemap {
        let sizes = sizes::final_view(layers, stack);
        let is_dir = |id: PathId| {
            stack
                .top
                .get(id)
                .is_some_and(|loc| kind_at(layers, loc) == EntryKind::Dir)
        };
        let listings = list(stack, &sizes, &is_dir);
        let listed = listings.values().map(|l| l.kids.len()).sum();
        let unlisted_dirs = listings
            .values()
            .flat_map(|l| &l.kids)
            .filter(|&&k| is_dir(k) && sizes.bytes(k) > 0 && !listings.contains_key(&k))
            .count();
        let root = node(stack, &sizes, &listings, &is_dir, ROOT, 0);
        Treemap {
            root,
            listed,
            unlisted_dirs,
        }
    }
}

/// Lists directories best first within the budget (see the module comment).
fn list(stack: &Stack, sizes: &Sizes, is_dir: &dyn Fn(PathId) -> bool) -> HashMap<PathId, Listing> {
    let mut listings = HashMap::new();
    let mut queue = BinaryHeap::new();
    queue.push((sizes.bytes(ROOT), Reverse(ROOT), 0usize));
    let mut budget = NODE_BUDGET;
    while let Some((bytes, Reverse(dir), depth)) = queue.pop() {
        if budget == 0 {
            break;
        }
        let mut kids: Vec<PathId> = stack
            .paths
            .children(dir)
            .filter(|&k| stack.top.get(k).is_some() && sizes.bytes(k) > 0)
            .collect();
        kids.sort_by(|&a, &b| {
            sizes
                .bytes(b)
                .cmp(&sizes.bytes(a))
                .then_with(|| stack.paths.path(a).cmp(stack.paths.path(b)))
        });
        let keep = kids
            .iter()
            .take(MAX_CHILDREN.min(budget))
            .take_while(|&&k| dir == ROOT || sizes.bytes(k).saturating_mul(MIN_SHARE) >= bytes)
            .count();
        budget -= keep;
        let rest = &kids[keep..];
        let other = (
            rest.iter().map(|&k| sizes.bytes(k)).sum(),
            rest.len() as u64,
        );
        kids.truncate(keep);
        if depth + 1 < MAX_DEPTH {
            for &k in &kids {
                if is_dir(k) {
                    queue.push((sizes.bytes(k), Reverse(k), depth + 1));
                }
            }
        }
        listings.insert(dir, Listing { kids, other });
    }
    listings
}

/// The node of `id` and, when listed, its children's (recursion at most `MAX_DEPTH` deep).
fn node(
    stack: &Stack,
    sizes: &Sizes,
    listings: &HashMap<PathId, Listing>,
    is_dir: &dyn Fn(PathId) -> bool,
    id: PathId,
    depth: usize,
) -> Value {
    let name = if id == ROOT {
        "/".to_string()
    } else {
        printable(file_name(stack.paths.path(id)), usize::MAX)
    };
    let bytes = sizes.bytes(id);
    if !is_dir(id) && id != ROOT {
        return json!([name, bytes]);
    }
    let kids = match listings.get(&id) {
        Some(l) if depth < MAX_DEPTH => {
            let mut kids: Vec<Value> = l
                .kids
                .iter()
                .map(|&k| node(stack, sizes, listings, is_dir, k, depth + 1))
                .collect();
            if l.other.1 > 0 {
                kids.push(json!([0, l.other.0, l.other.1]));
            }
            Value::Array(kids)
        }
        _ => json!(0),
    };
    json!([name, bytes, sizes.files(id), kids])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::merge;
    use crate::tree::Entry;

    fn file(path: &str, size: u64) -> Entry {
        Entry {
            size,
            ..Entry::for_test(path, EntryKind::File)
        }
    }

    fn names(v: &Value) -> Vec<String> {
        v[3].as_array()
            .unwrap()
            .iter()
            .map(|k| k[0].as_str().map_or("(other)".into(), str::to_string))
            .collect()
    }

    #[test]
    fn small_entries_become_one_other_cell_per_directory() {
        let mut entries = vec![file("big/a", 1_000_000), file("tiny", 1)];
        for i in 0..2000 {
            entries.push(file(&format!("big/many/f{i}"), 10));
        }
        let tree = LayerTree {
            entries,
            ..Default::default()
        };
        let layers = [&tree];
        let stack = merge::stack(&layers);
        let map = Treemap::of_layers(&layers, &stack);
        // The root lists every entry that has bytes, however small.
        assert_eq!(names(&map.root), ["big", "tiny"]);
        assert_eq!(map.root[1], 1_000_000 + 1 + 20_000);
        let big = &map.root[3][0];
        assert_eq!(names(big), ["a", "many"]);
        // Each 10-byte file is 1/2000 of `many`'s bytes: all of them are one other cell,
        // with their bytes and count.
        let many = &big[3][1];
        assert_eq!(many[3].as_array().unwrap().len(), 1);
        assert_eq!(many[3][0], json!([0, 20_000, 2000]));
        assert_eq!(map.listed, 4);
    }

    #[test]
    fn the_budget_bounds_the_entries_listed() {
        // 100 directories of 300 equal files: 30,100 entries would be listed without it.
        let mut entries = Vec::new();
        for d in 0..100 {
            for f in 0..300 {
                entries.push(file(&format!("d{d:03}/f{f:03}"), 1000 + d));
            }
        }
        let tree = LayerTree {
            entries,
            ..Default::default()
        };
        let layers = [&tree];
        let stack = merge::stack(&layers);
        let map = Treemap::of_layers(&layers, &stack);
        assert!(map.listed <= NODE_BUDGET, "{}", map.listed);
        assert!(map.unlisted_dirs > 0);
        // The largest directories were listed first.
        assert!(map.root[3][0][3].is_array());
        assert_eq!(map.root[3][0][0], "d099");
        let text = crate::report::html::escape::script_json(&map.root.to_string());
        assert!(text.len() < 1_000_000, "{}", text.len());
    }

    #[test]
    fn hostile_names_are_shown_escaped_and_cannot_close_the_script() {
        let tree = LayerTree {
            entries: vec![file(
                "srv/<script>&<img src=x onerror=alert(1)>\u{2028}\u{1b}[2J",
                5,
            )],
            ..Default::default()
        };
        let layers = [&tree];
        let stack = merge::stack(&layers);
        let map = Treemap::of_layers(&layers, &stack);
        let text = crate::report::html::escape::script_json(&map.root.to_string());
        for raw in ['<', '>', '&', '\u{2028}', '\u{1b}'] {
            assert!(!text.contains(raw), "{raw:?} in {text}");
        }
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            back[3][0][3][0][0],
            "<script>&<img src=x onerror=alert(1)>\u{2028}\\u{1b}[2J"
        );
    }
}
