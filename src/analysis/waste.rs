//! The figures of DESIGN.md section 3, from a stack: what the image stores, what a container
//! sees, and where the difference goes, by cause.

use std::collections::{BTreeMap, BTreeSet};

use super::merge::{entry, Cause, Loc, Stack};
use crate::tree::paths::PathId;
use crate::tree::{Entry, EntryKind, LayerTree};

/// Merged-view directories whose files are package-manager caches.
pub const CACHE_DIRS: &[&str] = &[
    "var/lib/apt/lists",
    "var/cache/apt",
    "var/cache/apk",
    "root/.cache",
    "root/.npm",
    "usr/local/share/.cache",
    "var/cache/yum",
    "var/cache/dnf",
];

/// Where the wasted bytes are, by cause.
#[derive(Debug, Clone, PartialEq)]
pub struct Waste {
    pub total_bytes: u64,
    pub final_bytes: u64,
    pub unreachable_bytes: u64,
    pub overwritten: u64,
    pub copy_up: u64,
    pub removed: u64,
    pub duplicate: u64,
    pub cache: u64,
    pub efficiency: f64,
    /// Regular files (hardlinks excluded) in the final view.
    pub final_files: u64,
    /// The biggest wasted paths, largest first.
    pub top: Vec<WastedPath>,
}

impl Waste {
    /// No figure at all, for an analysis that does not measure the waste (a snapshot of an
    /// image still loading; nothing shows it).
    pub fn not_measured() -> Waste {
        Waste {
            total_bytes: 0,
            final_bytes: 0,
            unreachable_bytes: 0,
            overwritten: 0,
            copy_up: 0,
            removed: 0,
            duplicate: 0,
            cache: 0,
            efficiency: f64::NAN,
            final_files: 0,
            top: Vec::new(),
        }
    }
}

/// Why bytes at a path are wasted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WasteCause {
    Hidden(Cause),
    /// The same content is stored at another path of the final view.
    Duplicate,
    /// A package-manager cache left in the final view.
    Cache,
}

impl WasteCause {
    /// Every cause, in the order the views list them (and the themes colour them).
    pub const ALL: [WasteCause; 5] = [
        WasteCause::Hidden(Cause::Overwritten),
        WasteCause::Hidden(Cause::CopyUp),
        WasteCause::Hidden(Cause::Removed),
        WasteCause::Duplicate,
        WasteCause::Cache,
    ];

    /// Its place in `ALL`.
    pub fn index(self) -> usize {
        match self {
            WasteCause::Hidden(Cause::Overwritten) => 0,
            WasteCause::Hidden(Cause::CopyUp) => 1,
            WasteCause::Hidden(Cause::Removed) => 2,
            WasteCause::Duplicate => 3,
            WasteCause::Cache => 4,
        }
    }

    /// How a person reads it: `copy-up` (the JSON value `name` is `copy_up`).
    pub fn label(self) -> &'static str {
        match self {
            WasteCause::Hidden(c) => c.label(),
            other => other.name(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            WasteCause::Hidden(c) => c.name(),
            WasteCause::Duplicate => "duplicate",
            WasteCause::Cache => "cache",
        }
    }
}

/// One row of the top wasted paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WastedPath {
    /// Normalised path (no leading `/`).
    pub path: String,
    pub bytes: u64,
    pub cause: WasteCause,
    /// Layers involved: where the wasted copies are stored and, for hidden copies, the layer
    /// that hid them.
    pub layers: Vec<usize>,
    /// For duplicates: the path whose copy is kept as the original.
    pub same_as: Option<String>,
    /// How many files the row stands for: 1, or for a removed directory, the files under it
    /// whose copies its removal left behind (the row is the directory that explains them).
    pub files: u64,
}

/// How many rows `top` keeps.
pub const TOP_ROWS: usize = 50;

/// One stored copy of a content: path, layer, size.
pub(crate) type StoredCopy = (PathId, u32, u64);

/// `Waste::final_bytes` alone: the bytes of the regular files a container sees (those only a
/// hardlink still names included).
pub fn final_bytes(layers: &[&LayerTree], stack: &Stack) -> u64 {
    visible_files(layers, stack).map(|(_, _, e)| e.size).sum()
}

/// The regular files a container sees: each path of the final view that is a file, and each
/// copy visible only through a hardlink (under the link's path), with where it is stored.
pub(crate) fn visible_files<'a>(
    layers: &'a [&'a LayerTree],
    stack: &'a Stack,
) -> impl Iterator<Item = (PathId, Loc, &'a Entry)> + 'a {
    let linked = stack.linked_only.iter().map(|&(id, copy)| (id, Some(copy)));
    stack
        .top
        .live
        .iter()
        .enumerate()
        .map(|(id, loc)| (id as PathId, *loc))
        .chain(linked)
        .filter_map(move |(id, loc)| {
            let loc = loc?;
            let e = entry(layers, loc)?;
            (e.kind == EntryKind::File).then_some((id, loc, e))
        })
}

/// The cache directory of `CACHE_DIRS` that `path` lies under.
pub fn cache_root(path: &str) -> Option<&'static str> {
    CACHE_DIRS
        .iter()
        .copied()
        .find(|c| path.len() > c.len() && path.starts_with(*c) && path.as_bytes()[c.len()] == b'/')
}

/// The copies of the final view whose content an earlier copy already holds: `dup(original,
/// copy)` for each, where `copies` are the stored files by content (sorted here) and the
/// original of a content is its earliest stored copy (then by path), as the hints say.
pub(crate) fn duplicates<'s>(
    copies: &mut [(u64, &[u8; 32], StoredCopy)],
    stack: &'s Stack,
    mut dup: impl FnMut(&'s str, StoredCopy),
) {
    copies.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    for run in copies.chunk_by(|a, b| a.1 == b.1).filter(|c| c.len() > 1) {
        let mut run: Vec<StoredCopy> = run.iter().map(|x| x.2).collect();
        run.sort_by(|a, b| {
            a.1.cmp(&b.1)
                .then_with(|| stack.paths.path(a.0).cmp(stack.paths.path(b.0)))
        });
        let original = stack.paths.path(run[0].0);
        for &copy in &run[1..] {
            dup(original, copy);
        }
    }
}

pub fn figures(layers: &[&LayerTree], stack: &Stack) -> Waste {
    let total_bytes: u64 = layers.iter().map(|l| l.content_bytes()).sum();
    let mut final_bytes = 0u64;
    let mut final_files = 0u64;
    // Stored files by content: sorted into runs later, no map and no Vec per file. Room for
    // every path up front (growing would copy it; the room no file takes is never touched).
    let mut by_digest: Vec<(u64, &[u8; 32], StoredCopy)> =
        Vec::with_capacity(stack.top.live.len() + stack.linked_only.len());
    let mut cache: BTreeMap<&str, (u64, BTreeSet<usize>, u64)> = BTreeMap::new();
    for (id, loc, e) in visible_files(layers, stack) {
        final_bytes += e.size;
        final_files += 1;
        if let Some(d) = &e.digest {
            if e.size > 0 {
                by_digest.push((digest_key(d), d, (id, loc.layer, e.size)));
            }
        }
        if let Some(root) = cache_root(stack.paths.path(id)) {
            let slot = cache.entry(root).or_default();
            slot.0 += e.size;
            slot.1.insert(loc.layer as usize);
            slot.2 += 1;
        }
    }

    // A removed file rolls up to the topmost directory above it that the final view no
    // longer has (`rm -rf /root/.npm/_cacache` is one row, not 2,472), when that directory
    // holds two or more of them.
    let rolled_dir = |path: PathId| {
        let mut dir = None;
        let mut cur = stack.paths.parent(path);
        while cur != crate::tree::paths::ROOT
            && stack.top.live.get(cur as usize).is_none_or(Option::is_none)
        {
            dir = Some(cur);
            cur = stack.paths.parent(cur);
        }
        dir
    };
    let mut under: foldhash::HashMap<PathId, u64> = Default::default();
    for h in stack.hidden.iter().filter(|h| h.cause == Cause::Removed) {
        if let Some(d) = rolled_dir(h.path) {
            *under.entry(d).or_default() += 1;
        }
    }
    let mut rows: foldhash::HashMap<(PathId, Cause), (u64, BTreeSet<usize>, u64)> =
        Default::default();
    let (mut overwritten, mut copy_up, mut removed) = (0u64, 0u64, 0u64);
    for h in &stack.hidden {
        match h.cause {
            Cause::Overwritten => overwritten += h.bytes,
            Cause::CopyUp => copy_up += h.bytes,
            Cause::Removed => removed += h.bytes,
        }
        let at = match h.cause {
            Cause::Removed => rolled_dir(h.path)
                .filter(|d| under.get(d).is_some_and(|&n| n >= 2))
                .unwrap_or(h.path),
            _ => h.path,
        };
        let row = rows.entry((at, h.cause)).or_default();
        row.0 += h.bytes;
        row.1.insert(h.copy.layer as usize);
        row.1.insert(h.by_layer as usize);
        row.2 += 1;
    }
    let mut top = Top::default();
    for ((path, cause), (bytes, layers, files)) in rows {
        top.push(Row {
            bytes,
            path: stack.paths.path(path),
            cause: WasteCause::Hidden(cause),
            layers: RowLayers::Set(layers),
            same_as: None,
            files,
        });
    }

    let mut duplicate = 0u64;
    duplicates(&mut by_digest, stack, |original, (id, layer, size)| {
        duplicate += size;
        top.push(Row {
            bytes: size,
            path: stack.paths.path(id),
            cause: WasteCause::Duplicate,
            layers: RowLayers::One(layer as usize),
            same_as: Some(original),
            files: 1,
        });
    });
    let mut cache_bytes = 0u64;
    for (root, (bytes, layers, files)) in cache {
        cache_bytes += bytes;
        top.push(Row {
            bytes,
            path: root,
            cause: WasteCause::Cache,
            layers: RowLayers::Set(layers),
            same_as: None,
            files,
        });
    }
    let top = top.finish();

    Waste {
        total_bytes,
        final_bytes,
        unreachable_bytes: total_bytes.saturating_sub(final_bytes),
        overwritten,
        copy_up,
        removed,
        duplicate,
        cache: cache_bytes,
        efficiency: if total_bytes == 0 {
            1.0
        } else {
            final_bytes as f64 / total_bytes as f64
        },
        final_files,
        top,
    }
}

/// A candidate row of `top`, borrowing its paths: strings are made only for the rows kept.
struct Row<'s> {
    bytes: u64,
    path: &'s str,
    cause: WasteCause,
    layers: RowLayers,
    same_as: Option<&'s str>,
    files: u64,
}

enum RowLayers {
    One(usize),
    Set(BTreeSet<usize>),
}

/// The biggest rows so far (bytes, then path, then cause: a total order, so trimming as
/// rows come keeps the rows one sort of them all would). An image with 100k duplicate files
/// held a row with two strings for each before.
#[derive(Default)]
struct Top<'s> {
    rows: Vec<Row<'s>>,
}

impl<'s> Top<'s> {
    fn push(&mut self, row: Row<'s>) {
        self.rows.push(row);
        if self.rows.len() >= 4 * TOP_ROWS {
            self.trim();
        }
    }

    fn trim(&mut self) {
        self.rows.sort_by(|a, b| {
            b.bytes
                .cmp(&a.bytes)
                .then_with(|| a.path.cmp(b.path))
                .then_with(|| a.cause.cmp(&b.cause))
        });
        self.rows.truncate(TOP_ROWS);
    }

    fn finish(mut self) -> Vec<WastedPath> {
        self.trim();
        self.rows
            .into_iter()
            .map(|r| WastedPath {
                path: r.path.to_string(),
                bytes: r.bytes,
                cause: r.cause,
                layers: match r.layers {
                    RowLayers::One(l) => vec![l],
                    RowLayers::Set(s) => s.into_iter().collect(),
                },
                same_as: r.same_as.map(str::to_string),
                files: r.files,
            })
            .collect()
    }
}

/// The first 8 bytes of a sha256 as a number: sorting by it and then by the whole digest
/// is the digests' own order, with one integer compare where the digests differ (they
/// almost always do in their first bytes) instead of a `memcmp` behind two pointers.
pub(crate) fn digest_key(d: &[u8; 32]) -> u64 {
    let mut head = [0u8; 8];
    head.copy_from_slice(&d[..8]);
    u64::from_be_bytes(head)
}
