//! What an extraction writes, decided from the loaded trees alone before a byte is written:
//! the view asked for, the selected paths in it, and for each path what it becomes
//! (directory, content of a stored file, symlink, or skipped with a reason).
//!
//! Deciding first is what lets the destination refuse a conflict before touching the disk, and
//! lets content be grouped by the layer and entry that hold it, so each layer is streamed once.
//! Hardlinks are resolved here, against the trees, to the stored file whose bytes they show:
//! the layer tar is only read again to copy bytes, never to decide anything.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use super::{not_in_view, shown};
use crate::analysis::merge::{self, Loc, View};
use crate::analysis::Analysis;
use crate::model::error::{Error, Result};
use crate::model::path::normalize;
use crate::tree::paths::{PathId, PathTable, ROOT};
use crate::tree::{EntryKind, LayerTree};

/// The mode of a directory no layer listed.
const IMPLICIT_DIR_MODE: u32 = 0o755;
/// Hardlink chains longer than this are a loop (or an attack), not a filesystem.
const MAX_LINK_DEPTH: usize = 32;

/// The final view, or the replayed view after `layer`.
pub(super) fn chosen_view<'a>(
    trees: &[&LayerTree],
    analysis: &'a Analysis,
    layer: Option<usize>,
) -> Result<Cow<'a, View>> {
    let Some(n) = layer else {
        return Ok(Cow::Borrowed(&analysis.stack.top));
    };
    if n >= trees.len() {
        let reason = match trees.len() {
            0 => format!("no layer {n}: the image has no layers"),
            len => format!(
                "no layer {n}: the image has {len} layers (0 to {})",
                len - 1
            ),
        };
        return Err(Error::Unsupported { reason });
    }
    Ok(Cow::Owned(merge::view_at(trees, &analysis.stack.paths, n)))
}

/// The live path ids the user asked for (`ROOT` for everything), each checked against the view.
pub(super) fn selected_roots(
    table: &PathTable,
    view: &View,
    paths: &[String],
    layer: Option<usize>,
) -> Result<Vec<PathId>> {
    if paths.is_empty() {
        return Ok(vec![ROOT]);
    }
    let mut roots = Vec::with_capacity(paths.len());
    for raw in paths {
        let Some(norm) = normalize(raw) else {
            roots.push(ROOT);
            continue;
        };
        match table.get(&norm).filter(|&id| view.get(id).is_some()) {
            Some(id) => roots.push(id),
            None => return Err(not_in_view(&norm, layer)),
        }
    }
    Ok(roots)
}

/// A directory to create, with the mode and mtime it gets at the end (an implicit directory
/// has no mtime of its own and keeps the time it was made).
pub(super) struct DirPlan {
    pub rel: String,
    pub mode: u32,
    pub mtime: Option<u64>,
}

/// How a destination of stored content is counted in the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DestKind {
    File,
    Hardlink,
}

/// One destination of a stored file's content.
pub(super) struct Dest {
    pub rel: String,
    pub kind: DestKind,
}

/// A symlink of the image, created after everything else so nothing is written through it.
pub(super) struct SymlinkPlan<'a> {
    pub rel: String,
    pub target: &'a str,
}

/// One selected path, for the pre-check.
pub(super) struct Target {
    pub rel: String,
    pub is_dir: bool,
}

/// The stored content to copy from one layer: entry index to its destinations, the first of
/// which gets the bytes while the others are hardlinked to it.
pub(super) type LayerContents = HashMap<u32, Vec<Dest>>;

/// Everything an extraction will write, decided before the first write.
pub(super) struct Plan<'a> {
    /// Selected roots other than the image root: their ancestors must be usable directories.
    pub roots: Vec<String>,
    /// Every selected path, sorted.
    pub targets: Vec<Target>,
    /// Sorted, so parents come before their children.
    pub dirs: Vec<DirPlan>,
    /// By layer, bottom first: the order the layers are streamed in.
    pub contents: BTreeMap<u32, LayerContents>,
    pub symlinks: Vec<SymlinkPlan<'a>>,
    pub skipped: Vec<(String, String)>,
}

impl<'a> Plan<'a> {
    pub(super) fn build(
        trees: &[&'a LayerTree],
        table: &'a PathTable,
        view: &View,
        roots: &[PathId],
    ) -> Plan<'a> {
        let ids = live_subtrees(table, view, roots);
        let mut plan = Plan {
            roots: roots
                .iter()
                .filter(|&&r| r != ROOT)
                .map(|&r| table.path(r).to_string())
                .collect(),
            targets: Vec::new(),
            dirs: Vec::new(),
            contents: BTreeMap::new(),
            symlinks: Vec::new(),
            skipped: Vec::new(),
        };
        let mut links = LinkResolver::new(trees, table);
        let mut hardlinks = Vec::new();
        for &id in &ids {
            let Some(loc) = view.get(id) else { continue };
            let rel = table.path(id).to_string();
            // A NUL inside a name (possible in a PAX path) cannot be written; neither can
            // anything below it, as it shares the component.
            if rel.contains('\0') {
                plan.skip(rel, "a name with a NUL byte, which no filesystem can hold");
                continue;
            }
            let entry = merge::entry(trees, loc);
            let kind = entry.map_or(EntryKind::Dir, |e| e.kind);
            match kind {
                EntryKind::Dir => plan.dirs.push(DirPlan {
                    rel: rel.clone(),
                    mode: entry.map_or(IMPLICIT_DIR_MODE, |e| e.mode & 0o777),
                    mtime: entry.map(|e| e.mtime),
                }),
                EntryKind::File => plan.add_content(loc, rel.clone(), DestKind::File),
                // After every file, so a file extracted here is its links' first destination.
                EntryKind::Hardlink => {
                    hardlinks.push((loc, rel));
                    continue;
                }
                EntryKind::Symlink => match entry.and_then(|e| e.link.as_deref()) {
                    Some(target) if !target.is_empty() => plan.symlinks.push(SymlinkPlan {
                        rel: rel.clone(),
                        target,
                    }),
                    _ => {
                        plan.skip(rel, "a symlink with an empty target");
                        continue;
                    }
                },
                EntryKind::CharDevice | EntryKind::BlockDevice | EntryKind::Fifo => {
                    let why = format!(
                        "{}; strata does not create devices or fifos",
                        kind_text(kind)
                    );
                    plan.skip(rel, &why);
                    continue;
                }
                // Deletions never show in a view.
                EntryKind::Whiteout | EntryKind::Opaque => continue,
            }
            plan.targets.push(Target {
                rel,
                is_dir: kind == EntryKind::Dir,
            });
        }
        for (loc, rel) in hardlinks {
            match links.content_source(loc) {
                Ok(src) => {
                    plan.targets.push(Target {
                        rel: rel.clone(),
                        is_dir: false,
                    });
                    plan.add_content(src, rel, DestKind::Hardlink);
                }
                // A hardlink to a symlink is another name of the symlink (as umoci and GNU
                // tar make it): written as a symlink to the same target.
                Err(reason) => match links
                    .linked_symlink(loc)
                    .and_then(|l| merge::entry(trees, l)?.link.as_deref())
                    .filter(|t| !t.is_empty())
                {
                    Some(target) => {
                        plan.targets.push(Target {
                            rel: rel.clone(),
                            is_dir: false,
                        });
                        plan.symlinks.push(SymlinkPlan { rel, target });
                    }
                    None => plan.skip(rel, &reason.to_string()),
                },
            }
        }
        // The pre-check names the first conflict in path order.
        plan.targets.sort_by(|a, b| a.rel.cmp(&b.rel));
        plan
    }

    fn add_content(&mut self, src: Loc, rel: String, kind: DestKind) {
        self.contents
            .entry(src.layer)
            .or_default()
            .entry(src.entry)
            .or_default()
            .push(Dest { rel, kind });
    }

    fn skip(&mut self, rel: String, reason: &str) {
        self.skipped.push((rel, reason.to_string()));
    }
}

/// Every live path at or below `roots`, sorted by path (parents before children), without
/// duplicates when the user names a path and one of its ancestors.
fn live_subtrees(table: &PathTable, view: &View, roots: &[PathId]) -> Vec<PathId> {
    let mut seen = vec![false; table.len()];
    let mut out = Vec::new();
    let mut stack: Vec<PathId> = roots.to_vec();
    while let Some(id) = stack.pop() {
        if std::mem::replace(&mut seen[id as usize], true) {
            continue;
        }
        // The root is never an entry of its own; it stands for "everything".
        if id != ROOT {
            if view.get(id).is_none() {
                continue;
            }
            out.push(id);
        }
        stack.extend(table.children(id));
    }
    out.sort_by(|&a, &b| table.path(a).cmp(table.path(b)));
    out
}

fn kind_text(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::CharDevice => "a character device",
        EntryKind::BlockDevice => "a block device",
        EntryKind::Fifo => "a fifo",
        EntryKind::Dir => "a directory",
        EntryKind::Symlink => "a symlink",
        EntryKind::Hardlink => "a hardlink",
        EntryKind::File => "a file",
        EntryKind::Whiteout | EntryKind::Opaque => "a deletion",
    }
}

/// Why a path shows no stored file's bytes. The messages follow the path (`/a: is a ...`), in
/// a skipped list and in the file viewer alike.
#[derive(Debug, thiserror::Error)]
pub(super) enum NoContent {
    #[error("is a directory, not a file")]
    Directory,
    #[error("is {}, not a file", kind_text(*.0))]
    Kind(EntryKind),
    #[error("a hardlink to {}, which is {}", shown(.target), kind_text(*.kind))]
    LinkToKind { target: String, kind: EntryKind },
    #[error("a hardlink to {}, which is not in the image", shown(.target))]
    LinkToNothing { target: String },
    #[error("a hardlink chain that does not end")]
    EndlessChain,
}

/// Finds the stored bytes behind a file or hardlink.
///
/// A hardlink in a layer tar names an earlier entry of the same tar; failing that (some
/// builders), the path as the layers below showed it. This is what the link's bytes were when
/// the layer was made, even if a later layer replaced the target path.
pub(super) struct LinkResolver<'a> {
    trees: &'a [&'a LayerTree],
    table: &'a PathTable,
    /// For each layer holding a hardlink: the indices of its entries at each path, ascending,
    /// so a layer with many links is not scanned once per link.
    by_path: HashMap<u32, HashMap<&'a str, Vec<u32>>>,
    /// The view below each layer, replayed only for links that need it.
    below: HashMap<u32, View>,
}

impl<'a> LinkResolver<'a> {
    pub(super) fn new(trees: &'a [&'a LayerTree], table: &'a PathTable) -> LinkResolver<'a> {
        LinkResolver {
            trees,
            table,
            by_path: HashMap::new(),
            below: HashMap::new(),
        }
    }

    /// The location of the regular file whose bytes `loc` shows.
    pub(super) fn content_source(&mut self, loc: Loc) -> Result<Loc, NoContent> {
        let mut cur = loc;
        // Every step goes to an earlier entry, so a chain ends, but a crafted one can be long.
        for _ in 0..MAX_LINK_DEPTH {
            let Some(e) = merge::entry(self.trees, cur) else {
                return Err(NoContent::Directory);
            };
            match e.kind {
                EntryKind::File => return Ok(cur),
                EntryKind::Hardlink => {
                    let target = e.link.as_deref().unwrap_or("");
                    let next = self.link_target(cur, target);
                    match next.map(|l| (l, merge::kind_at(self.trees, l))) {
                        Some((l, EntryKind::File | EntryKind::Hardlink)) => cur = l,
                        Some((_, kind)) => {
                            return Err(NoContent::LinkToKind {
                                target: target.to_string(),
                                kind,
                            })
                        }
                        None => {
                            return Err(NoContent::LinkToNothing {
                                target: target.to_string(),
                            })
                        }
                    }
                }
                kind => return Err(NoContent::Kind(kind)),
            }
        }
        Err(NoContent::EndlessChain)
    }

    /// The symlink a hardlink chain from `loc` ends at, if it ends at one.
    fn linked_symlink(&mut self, loc: Loc) -> Option<Loc> {
        let mut cur = loc;
        for _ in 0..MAX_LINK_DEPTH {
            let e = merge::entry(self.trees, cur)?;
            match e.kind {
                EntryKind::Hardlink => cur = self.link_target(cur, e.link.as_deref()?)?,
                EntryKind::Symlink => return Some(cur),
                _ => return None,
            }
        }
        None
    }

    /// What the hardlink at `at` names: the last earlier entry of its layer at `target`, else
    /// `target` in the view below that layer.
    fn link_target(&mut self, at: Loc, target: &str) -> Option<Loc> {
        let tree = *self.trees.get(at.layer as usize)?;
        let index = self
            .by_path
            .entry(at.layer)
            .or_insert_with(|| index_by_path(tree));
        if let Some(earlier) = index.get(target) {
            let n = earlier.partition_point(|&i| i < at.entry);
            if let Some(&i) = n.checked_sub(1).and_then(|k| earlier.get(k)) {
                return Some(Loc {
                    layer: at.layer,
                    entry: i,
                });
            }
        }
        let below = at.layer.checked_sub(1)?;
        let id = self.table.get(target)?;
        let (trees, table) = (self.trees, self.table);
        let view = self
            .below
            .entry(at.layer)
            .or_insert_with(|| merge::view_at(trees, table, below as usize));
        view.get(id).filter(|l| !l.is_implicit())
    }
}

/// The indices of a layer's entries (deletions aside) at each path, ascending.
fn index_by_path(tree: &LayerTree) -> HashMap<&str, Vec<u32>> {
    let mut out: HashMap<&str, Vec<u32>> = HashMap::new();
    for (i, e) in tree.entries.iter().enumerate() {
        if !e.kind.is_deletion() {
            out.entry(&e.path).or_default().push(i as u32);
        }
    }
    out
}
