//! Extraction of paths of a merged view into a directory, and capped reads of one file.
//!
//! The image is hostile input: its names, symlinks and hardlinks may all try to reach outside
//! the destination. Paths are already normalised (no `..`, no leading `/`), the merged view never
//! shows a path below a non-directory, and on top of that every create below the destination
//! first walks the path's components with `lstat` and refuses any symlink or non-directory on
//! the way, files are opened with `O_EXCL` (an existing symlink at the leaf is never followed),
//! and the image's symlinks are created last, so nothing strata writes afterwards can pass
//! through one of them.
//!
//! Content is streamed: each layer holding a wanted entry is read once, in order, and the
//! stream stops as soon as the last wanted entry of that layer is written.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fs::{self, DirBuilder, File, OpenOptions, Permissions};
use std::io::{self, Read};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::analysis::merge::{self, Loc, View};
use crate::analysis::Analysis;
use crate::load::{Image, Session};
use crate::model::error::{Error, LayerProblem, Result};
use crate::model::path::normalize;
use crate::model::text::printable;
use crate::tree::paths::{PathId, PathTable, ROOT};
use crate::tree::{for_each_entry, Entry, EntryKind, Flow, LayerTree, TreeError};

/// What to extract and how.
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    /// The merged view after this layer; `None` is the final view.
    pub layer: Option<usize>,
    /// Replace existing files in the destination (the caller asked the user).
    pub overwrite: bool,
}

/// What an extraction wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    pub hardlinks: u64,
    pub bytes: u64,
    /// Paths not written, each with the reason (devices, fifos, ...).
    pub skipped: Vec<(String, String)>,
}

/// The content of one file, capped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileContent {
    pub bytes: Vec<u8>,
    /// The file's full size.
    pub total: u64,
    pub truncated: bool,
}

/// Files and directories are private while strata writes them; their modes are applied once
/// their content (or, for directories, everything below them) is in place.
const WORK_MODE: u32 = 0o700;
/// The mode of a directory no layer listed.
const IMPLICIT_DIR_MODE: u32 = 0o755;
/// Hardlink chains longer than this are a loop (or an attack), not a filesystem.
const MAX_LINK_DEPTH: usize = 32;

/// Extracts `paths` (as the user typed them; `/` is everything) into `dir`.
pub fn extract(
    session: &Session,
    analysis: &Analysis,
    paths: &[String],
    dir: &Path,
    opts: &ExtractOptions,
) -> Result<Summary> {
    extract_unnamed(session, analysis, paths, dir, opts).map_err(|e| e.about(session.input()))
}

fn extract_unnamed(
    session: &Session,
    analysis: &Analysis,
    paths: &[String],
    dir: &Path,
    opts: &ExtractOptions,
) -> Result<Summary> {
    let image = session.image();
    let trees = image.trees();
    let table = &analysis.stack.paths;
    let view = chosen_view(&trees, analysis, opts.layer)?;
    let roots = selected_roots(table, &view, paths, opts.layer)?;
    let plan = Plan::build(&trees, table, &view, &roots);

    // Everything that can be refused is refused before the first byte is written.
    precheck(dir, &plan, opts.overwrite)?;
    fs::create_dir_all(dir).map_err(|e| dest_error(dir, e))?;

    let mut out = Writer::new(dir, opts.overwrite);
    out.summary.skipped = plan.skipped.clone();
    for d in &plan.dirs {
        out.make_dir(d)?;
    }
    for (&layer, wanted) in &plan.contents {
        stream_layer(session, layer, wanted, &mut out)?;
    }
    for s in &plan.symlinks {
        out.make_symlink(s)?;
    }
    out.finish_dirs()?;
    Ok(out.summary)
}

/// Reads up to `limit` bytes of `path` as the merged view after `layer` shows it.
pub fn read_file(
    session: &Session,
    analysis: &Analysis,
    layer: usize,
    path: &str,
    limit: u64,
) -> Result<FileContent> {
    read_file_unnamed(session, analysis, layer, path, limit).map_err(|e| e.about(session.input()))
}

fn read_file_unnamed(
    session: &Session,
    analysis: &Analysis,
    layer: usize,
    path: &str,
    limit: u64,
) -> Result<FileContent> {
    let image = session.image();
    let trees = image.trees();
    let table = &analysis.stack.paths;
    let view = chosen_view(&trees, analysis, Some(layer))?;
    let norm = normalize(path).unwrap_or_default();
    let not_a_file = |reason: String| Error::Unsupported {
        reason: format!("{}: {reason}", shown(&norm)),
    };
    if norm.is_empty() {
        return Err(not_a_file("is a directory, not a file".into()));
    }
    let Some(loc) = table.get(&norm).and_then(|id| view.get(id)) else {
        return Err(not_in_view(&norm, Some(layer)));
    };
    let src = LinkResolver::new(&trees, table)
        .content_source(loc)
        .map_err(not_a_file)?;
    let Some(stored) = merge::entry(&trees, src) else {
        return Err(not_a_file("is not a file".into()));
    };
    let mut got = None;
    with_entries(session, src.layer, |index, entry, content| {
        if index != src.entry {
            return Ok(Flow::Continue);
        }
        // The reread must show what loading showed, or the bytes belong to another path.
        let tar_path = trees[src.layer as usize].tar_path(src.entry as usize);
        if Some(&*entry.path) == tar_path {
            let mut bytes = Vec::new();
            content.take(limit).read_to_end(&mut bytes)?;
            got = Some(bytes);
        }
        Ok(Flow::Stop)
    })?;
    let Some(bytes) = got else {
        return Err(vanished(image, src.layer, &stored.path));
    };
    let truncated = (bytes.len() as u64) < stored.size;
    Ok(FileContent {
        bytes,
        total: stored.size,
        truncated,
    })
}

/// The final view, or the replayed view after `layer`.
fn chosen_view<'a>(
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
fn selected_roots(
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

fn not_in_view(path: &str, layer: Option<usize>) -> Error {
    let view = match layer {
        Some(n) => format!("the view after layer {n}"),
        None => "the image's final view".into(),
    };
    Error::Unsupported {
        reason: format!("{}: no such path in {view}", shown(path)),
    }
}

/// A path of the image as messages show it: absolute, with control characters escaped.
fn shown(path: &str) -> String {
    format!("/{}", printable(path, 300))
}

/// A destination path as messages show it (it contains names chosen by the image).
fn shown_dest(path: &Path) -> String {
    printable(&path.display().to_string(), 1000)
}

fn dest_error(path: &Path, e: io::Error) -> Error {
    refuse(path, e.to_string())
}

fn refuse(path: &Path, reason: impl Into<String>) -> Error {
    Error::Extract {
        path: shown_dest(path),
        reason: reason.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Planning: what goes where, decided before anything is written.

/// A directory to create, with the mode and mtime it gets at the end (an implicit directory
/// has no mtime of its own and keeps the time it was made).
struct DirPlan {
    rel: String,
    mode: u32,
    mtime: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DestKind {
    File,
    Hardlink,
}

/// One destination of a stored file's content.
struct Dest {
    rel: String,
    kind: DestKind,
}

struct SymlinkPlan<'a> {
    rel: String,
    target: &'a str,
}

/// One selected path, for the pre-check.
struct Target {
    rel: String,
    is_dir: bool,
}

struct Plan<'a> {
    /// Selected roots other than the image root: their ancestors must be usable directories.
    roots: Vec<String>,
    /// Every selected path, sorted.
    targets: Vec<Target>,
    /// Sorted, so parents come before their children.
    dirs: Vec<DirPlan>,
    /// `contents[layer][entry]`: where that stored file's bytes go; the first destination gets
    /// the bytes, the others are hardlinked to it.
    contents: BTreeMap<u32, HashMap<u32, Vec<Dest>>>,
    symlinks: Vec<SymlinkPlan<'a>>,
    skipped: Vec<(String, String)>,
}

impl<'a> Plan<'a> {
    fn build(
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
                    None => plan.skip(rel, &reason),
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

/// Finds the stored bytes behind a file or hardlink.
///
/// A hardlink in a layer tar names an earlier entry of the same tar; failing that (some
/// builders), the path as the layers below showed it. This is what the link's bytes were when
/// the layer was made, even if a later layer replaced the target path.
struct LinkResolver<'a> {
    trees: &'a [&'a LayerTree],
    table: &'a PathTable,
    /// For each layer holding a hardlink: the indices of its entries at each path, ascending,
    /// so a layer with many links is not scanned once per link.
    by_path: HashMap<u32, HashMap<&'a str, Vec<u32>>>,
    /// The view below each layer, replayed only for links that need it.
    below: HashMap<u32, View>,
}

impl<'a> LinkResolver<'a> {
    fn new(trees: &'a [&'a LayerTree], table: &'a PathTable) -> LinkResolver<'a> {
        LinkResolver {
            trees,
            table,
            by_path: HashMap::new(),
            below: HashMap::new(),
        }
    }

    /// The location of the regular file whose bytes `loc` shows; `Err` says why there is none.
    fn content_source(&mut self, loc: Loc) -> std::result::Result<Loc, String> {
        let mut cur = loc;
        // Every step goes to an earlier entry, so a chain ends, but a crafted one can be long.
        for _ in 0..MAX_LINK_DEPTH {
            let Some(e) = merge::entry(self.trees, cur) else {
                return Err("is a directory, not a file".into());
            };
            match e.kind {
                EntryKind::File => return Ok(cur),
                EntryKind::Hardlink => {
                    let target = e.link.as_deref().unwrap_or("");
                    let next = self.link_target(cur, target);
                    match next.map(|l| (l, merge::kind_at(self.trees, l))) {
                        Some((l, EntryKind::File | EntryKind::Hardlink)) => cur = l,
                        Some((_, kind)) => {
                            return Err(format!(
                                "a hardlink to {}, which is {}",
                                shown(target),
                                kind_text(kind)
                            ))
                        }
                        None => {
                            return Err(format!(
                                "a hardlink to {}, which is not in the image",
                                shown(target)
                            ))
                        }
                    }
                }
                kind => return Err(format!("is {}, not a file", kind_text(kind))),
            }
        }
        Err("a hardlink chain that does not end".into())
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

// ---------------------------------------------------------------------------------------------
// The destination: every check and every write below `dir`.

/// `dir` joined with a normalised image path, refusing any component that could climb out.
/// A name of the image as the bytes its tar had (see `tree::path::name_from_bytes`).
fn os_name(name: &str) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    std::ffi::OsString::from_vec(crate::model::path::name_to_bytes(name).into_owned())
}

fn dest(dir: &Path, rel: &str) -> Result<PathBuf> {
    let mut out = dir.to_path_buf();
    for comp in rel.split('/') {
        if comp.is_empty() || comp == "." || comp == ".." || comp.contains('\0') {
            return Err(refuse(
                &dir.join(rel),
                "refusing an unsafe name from the image",
            ));
        }
        out.push(os_name(comp));
    }
    Ok(out)
}

/// Checks that every existing ancestor of `rel` below `dir` is a real directory. With `create`,
/// missing ancestors are made (as `mkdir -p` would); without, the walk stops at the first
/// missing one, since nothing below it can exist.
fn check_ancestors(dir: &Path, rel: &str, create: bool) -> Result<()> {
    let mut cur = dir.to_path_buf();
    let comps: Vec<&str> = rel.split('/').collect();
    let Some((_, ancestors)) = comps.split_last() else {
        return Ok(());
    };
    for comp in ancestors {
        cur.push(os_name(comp));
        match fs::symlink_metadata(&cur) {
            Ok(m) if m.file_type().is_dir() => {}
            Ok(m) if m.file_type().is_symlink() => {
                return Err(refuse(
                    &dir.join(rel),
                    format!("refusing to write through the symlink {}", shown_dest(&cur)),
                ))
            }
            Ok(_) => {
                return Err(refuse(
                    &dir.join(rel),
                    format!("{} exists and is not a directory", shown_dest(&cur)),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if !create {
                    return Ok(());
                }
                match fs::create_dir(&cur) {
                    Ok(()) => {}
                    // Lost a race with someone else's mkdir: check what is there now.
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        let m = fs::symlink_metadata(&cur).map_err(|e| dest_error(&cur, e))?;
                        if !m.file_type().is_dir() {
                            return Err(refuse(&cur, "exists and is not a directory"));
                        }
                    }
                    Err(e) => return Err(dest_error(&cur, e)),
                }
            }
            Err(e) => return Err(dest_error(&cur, e)),
        }
    }
    Ok(())
}

/// Refuses, before anything is written: a selected root below a symlink or a file of the
/// destination, any existing path (unless it is a directory where a directory goes) without
/// `overwrite`, and with `overwrite` any directory where a non-directory goes.
fn precheck(dir: &Path, plan: &Plan, overwrite: bool) -> Result<()> {
    for root in &plan.roots {
        check_ancestors(dir, root, false)?;
    }
    for t in &plan.targets {
        let path = dest(dir, &t.rel)?;
        let Ok(m) = fs::symlink_metadata(&path) else {
            continue;
        };
        let is_real_dir = m.file_type().is_dir();
        if is_real_dir && t.is_dir {
            continue;
        }
        if is_real_dir {
            return Err(refuse(
                &path,
                "is a directory and strata does not replace directories; remove it first",
            ));
        }
        if !overwrite {
            return Err(Error::Exists {
                path: shown_dest(&path),
            });
        }
    }
    Ok(())
}

/// A directory this extraction made, and what it gets once everything below it is written.
struct CreatedDir {
    rel: String,
    path: PathBuf,
    mode: u32,
    mtime: Option<u64>,
}

/// Does the writing and counts what it wrote.
struct Writer<'d> {
    dir: &'d Path,
    overwrite: bool,
    summary: Summary,
    /// Directories created here, with the mode and mtime to apply at the very end.
    created_dirs: Vec<CreatedDir>,
}

impl<'d> Writer<'d> {
    fn new(dir: &'d Path, overwrite: bool) -> Writer<'d> {
        Writer {
            dir,
            overwrite,
            summary: Summary::default(),
            created_dirs: Vec::new(),
        }
    }

    /// Makes `rel`'s ancestors safe and clears its place: an existing non-directory is removed
    /// with `overwrite` (a symlink is unlinked, never followed); a directory is never removed.
    /// Returns the destination path and whether a directory is already there.
    fn prepare(&self, rel: &str) -> Result<(PathBuf, bool)> {
        check_ancestors(self.dir, rel, true)?;
        let path = dest(self.dir, rel)?;
        match fs::symlink_metadata(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok((path, false)),
            Err(e) => Err(dest_error(&path, e)),
            Ok(m) if m.file_type().is_dir() => Ok((path, true)),
            Ok(_) if self.overwrite => {
                fs::remove_file(&path).map_err(|e| dest_error(&path, e))?;
                Ok((path, false))
            }
            Ok(_) => Err(Error::Exists {
                path: shown_dest(&path),
            }),
        }
    }

    /// `prepare` for anything but a directory: a directory in the way stays and is an error.
    fn prepare_leaf(&self, rel: &str) -> Result<PathBuf> {
        match self.prepare(rel)? {
            (path, true) => Err(refuse(
                &path,
                "is a directory; strata does not replace directories",
            )),
            (path, false) => Ok(path),
        }
    }

    fn make_dir(&mut self, d: &DirPlan) -> Result<()> {
        let (path, exists) = self.prepare(&d.rel)?;
        // A directory the user already had keeps its own mode.
        if !exists {
            DirBuilder::new()
                .mode(WORK_MODE)
                .create(&path)
                .map_err(|e| dest_error(&path, e))?;
            self.created_dirs.push(CreatedDir {
                rel: d.rel.clone(),
                path,
                mode: d.mode,
                mtime: d.mtime,
            });
        }
        self.summary.dirs += 1;
        Ok(())
    }

    /// Writes one stored file's content to its first destination and links the others to it.
    fn write_content(
        &mut self,
        entry: &Entry,
        content: &mut dyn Read,
        dests: &[Dest],
    ) -> Result<()> {
        let Some((first, rest)) = dests.split_first() else {
            return Ok(());
        };
        let path = self.prepare_leaf(&first.rel)?;
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(WORK_MODE)
            .open(&path)
            .map_err(|e| dest_error(&path, e))?;
        let written = io::copy(content, &mut file).map_err(|e| dest_error(&path, e))?;
        // Permission bits only: setuid, setgid and sticky from an image have no business on
        // the user's disk.
        file.set_permissions(Permissions::from_mode(entry.mode & 0o777))
            .map_err(|e| dest_error(&path, e))?;
        if let Some(time) = mtime(entry.mtime) {
            file.set_modified(time).map_err(|e| dest_error(&path, e))?;
        }
        self.summary.bytes += written;
        self.count(first.kind);
        for link in rest {
            self.link_to(&first.rel, link)?;
        }
        Ok(())
    }

    /// Hardlinks `link` to `target`, a regular file this extraction just wrote inside `dir`.
    fn link_to(&mut self, target: &str, link: &Dest) -> Result<()> {
        check_ancestors(self.dir, target, false)?;
        let from = dest(self.dir, target)?;
        let m = fs::symlink_metadata(&from).map_err(|e| dest_error(&from, e))?;
        if !m.file_type().is_file() {
            return Err(refuse(
                &from,
                "is no longer a regular file; not linking to it",
            ));
        }
        let path = self.prepare_leaf(&link.rel)?;
        fs::hard_link(&from, &path).map_err(|e| dest_error(&path, e))?;
        self.count(link.kind);
        Ok(())
    }

    fn count(&mut self, kind: DestKind) {
        match kind {
            DestKind::File => self.summary.files += 1,
            DestKind::Hardlink => self.summary.hardlinks += 1,
        }
    }

    fn make_symlink(&mut self, s: &SymlinkPlan) -> Result<()> {
        let path = self.prepare_leaf(&s.rel)?;
        // The target is stored verbatim and never resolved: `/etc/passwd` stays a dangling or
        // host-pointing name inside `dir`, which strata itself never opens again.
        std::os::unix::fs::symlink(os_name(s.target), &path).map_err(|e| dest_error(&path, e))?;
        self.summary.symlinks += 1;
        Ok(())
    }

    /// Applies directory mtimes and modes, deepest first, now that nothing more is written
    /// inside them (a 0555 directory would have blocked its own children).
    fn finish_dirs(&mut self) -> Result<()> {
        for d in self.created_dirs.iter().rev() {
            let path = &d.path;
            check_ancestors(self.dir, &d.rel, false)?;
            let m = fs::symlink_metadata(path).map_err(|e| dest_error(path, e))?;
            if !m.file_type().is_dir() {
                return Err(refuse(path, "is no longer a directory"));
            }
            let handle = File::open(path).map_err(|e| dest_error(path, e))?;
            if let Some(time) = d.mtime.and_then(mtime) {
                handle.set_modified(time).map_err(|e| dest_error(path, e))?;
            }
            handle
                .set_permissions(Permissions::from_mode(d.mode))
                .map_err(|e| dest_error(path, e))?;
        }
        Ok(())
    }
}

/// An image's mtime as a time the filesystem can take; `None` for one too far out to represent
/// (a crafted header must not abort the extraction, let alone panic).
fn mtime(secs: u64) -> Option<SystemTime> {
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

// ---------------------------------------------------------------------------------------------
// Reading layers.

/// Streams layer `layer` once, writing each wanted entry's content as it passes.
fn stream_layer(
    session: &Session,
    layer: u32,
    wanted: &HashMap<u32, Vec<Dest>>,
    out: &mut Writer,
) -> Result<()> {
    let image = session.image();
    let tree = image.layers.get(layer as usize).map(|l| &l.tree);
    // As the tar names it (a path through a symlinked directory was moved when loading).
    let expected_path = |i: u32| tree.and_then(|t| t.tar_path(i as usize)).unwrap_or("");
    let mut remaining = wanted.len();
    let mut next = 0u32;
    let mut outcome = Ok(());
    with_entries(session, layer, |index, entry, content| {
        next = index + 1;
        let Some(dests) = wanted.get(&index) else {
            return Ok(Flow::Continue);
        };
        // The reread must show what loading showed, or the bytes belong to another path.
        if *entry.path != *expected_path(index) {
            outcome = Err(vanished(image, layer, expected_path(index)));
            return Ok(Flow::Stop);
        }
        let mut content = SourceReader {
            inner: content,
            failed: None,
        };
        if let Err(e) = out.write_content(&entry, &mut content, dests) {
            // A failed read is the image's fault: report it as the layer's error.
            if let Some(read_error) = content.failed {
                return Err(read_error);
            }
            outcome = Err(e);
            return Ok(Flow::Stop);
        }
        remaining -= 1;
        Ok(if remaining == 0 {
            Flow::Stop
        } else {
            Flow::Continue
        })
    })?;
    outcome?;
    if remaining > 0 {
        // Entries are visited in order: the ones never written are those past the tar's end.
        let missing = wanted.keys().filter(|&&i| i >= next).min().copied();
        return Err(vanished(
            image,
            layer,
            expected_path(missing.unwrap_or(next)),
        ));
    }
    Ok(())
}

/// Keeps the error of a failed read, so a write that fails because its source did is blamed on
/// the layer, not on the destination.
struct SourceReader<'r> {
    inner: &'r mut dyn Read,
    failed: Option<io::Error>,
}

impl Read for SourceReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if e.kind() != io::ErrorKind::Interrupted {
                self.failed = Some(io::Error::new(e.kind(), e.to_string()));
            }
        })
    }
}

/// Walks the entries of layer `layer` with their index (which is their index in the layer's
/// tree), until the visitor says stop or the tar ends.
fn with_entries(
    session: &Session,
    layer: u32,
    mut visit: impl FnMut(u32, Entry, &mut dyn Read) -> io::Result<Flow>,
) -> Result<()> {
    session.read_layer(layer as usize, |tar| {
        let mut index = 0u32;
        for_each_entry(tar, |entry, _, content| {
            let flow = visit(index, entry, content)?;
            index += 1;
            Ok(flow)
        })
        .map_err(|e| match e {
            TreeError::Io(io) => io,
            TreeError::Corrupt(m) => io::Error::new(io::ErrorKind::InvalidData, m),
            TreeError::Limit(hit) => hit.into_io(),
        })?;
        Ok(())
    })
}

/// The layer reread does not hold what loading it found: the image changed underneath.
fn vanished(image: &Image, layer: u32, path: &str) -> Error {
    Error::Layer {
        index: layer as usize,
        blob: image
            .layers
            .get(layer as usize)
            .map(|l| l.desc.blob.clone())
            .unwrap_or_default(),
        problem: LayerProblem::Vanished { path: shown(path) },
    }
}
