//! The inventory: the package files each layer kept (`LayerTree::packages`), stacked layer by
//! layer the way the filesystem is (a later copy of a database replaces the earlier one, a
//! whiteout deletes it), read as the set of packages installed in each layer's merged view.
//! Two neighbouring sets give a layer's changes; the last set, measured against the final
//! view, gives each package's files and size, and what no package owns.
//!
//! A package is known by its ecosystem, name, arch and where it is installed (its "scope": the
//! dpkg, apk or rpm database directory; the site-packages directory of a Python package; the
//! directory of a `package.json`; the Go binary), so an upgrade that renames a dist-info
//! directory is still an upgrade, and the same npm package in two `node_modules` trees is two
//! packages, as it is two installs.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{dpkg, purl, python, toolchain, version, Inventory, LayerDelta};
use crate::analysis::merge::{entry as entry_at, Stack, View, ViewCache};
use crate::model::packages::{
    Change, Distro, Ecosystem, Files, Found, Fragment, Package, PackageChange, Record, Unreadable,
};
use crate::model::path::{file_name, normalize, parent};
use crate::tree::paths::{PathId, PathTable, ROOT};
use crate::tree::{EntryKind, LayerTree};

/// Where a package is installed, what it is named and for which arch.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key {
    ecosystem: Ecosystem,
    name: String,
    arch: Option<String>,
    scope: String,
}

/// A package in one layer's merged view.
#[derive(Debug, Clone)]
struct Installed<'a> {
    record: &'a Record,
    /// The file that records it.
    location: &'a str,
    /// The layer that wrote that file.
    record_layer: u32,
    /// Whether that file records this package alone (Python metadata, a `package.json`,
    /// `status.d/NAME`, a Go binary), so rewriting it rewrites the package.
    own_record: bool,
    /// File lists kept apart from the record, and the layers that wrote them.
    lists: Vec<(&'a Files, u32)>,
}

/// The package files live in a merged view: path -> (layer, fragment).
struct LiveFiles<'a> {
    files: BTreeMap<&'a str, (u32, &'a Fragment)>,
    /// `remove_below`'s `DIR/`, kept to spare an allocation per layer entry.
    prefix: String,
    /// By path id: a package file was made live at this path (`LIVE`), or below it
    /// (`ABOVE`). Never cleared, so a bit may be stale; it only saves the map lookups of the
    /// layer entries that cannot touch a package file, which are nearly all of them.
    marks: Vec<u8>,
    /// A package file the path table does not know (no layer lists it as an entry): the
    /// marks cannot speak for it, every entry is then checked the slow way.
    unmarked: bool,
    paths: &'a PathTable,
}

const LIVE: u8 = 1;
const ABOVE: u8 = 2;

impl<'a> LiveFiles<'a> {
    fn new(paths: &'a PathTable) -> LiveFiles<'a> {
        LiveFiles {
            files: BTreeMap::new(),
            prefix: String::new(),
            marks: vec![0; paths.len()],
            unmarked: false,
            paths,
        }
    }

    fn marked(&self, id: Option<PathId>, mark: u8) -> bool {
        // A path the table does not know is checked the slow way.
        self.unmarked
            || id.is_none_or(|id| self.marks.get(id as usize).is_none_or(|m| m & mark != 0))
    }

    /// Applies layer `n`: its deletions and replacements first (they act on the layers
    /// below), then its own package files.
    fn apply(&mut self, n: u32, layer: &'a LayerTree) {
        if !self.files.is_empty() {
            for (i, e) in layer.entries.iter().enumerate() {
                let id = self.paths.entry_id(n as usize, i);
                let (live, above) = (self.marked(id, LIVE), self.marked(id, ABOVE));
                match e.kind {
                    EntryKind::Opaque if above => self.remove_below(&e.path),
                    EntryKind::Opaque | EntryKind::Dir => {}
                    _ => {
                        if live {
                            self.files.remove(&*e.path);
                        }
                        if above {
                            self.remove_below(&e.path);
                        }
                    }
                }
                if e.kind == EntryKind::Dir && live {
                    self.files.remove(&*e.path);
                }
            }
        }
        // Paths the merge moved (written through a symlinked directory) are where the
        // kept file really is.
        let moved: HashMap<&str, &str> = layer
            .moved
            .iter()
            .filter_map(|(i, tar)| Some((&**tar, &*layer.entries.get(*i as usize)?.path)))
            .collect();
        for fragment in &layer.packages {
            // What could not be read stands for nothing (the file it replaced is gone all the
            // same); it is reported apart.
            if matches!(fragment.found, Found::Unreadable(_)) {
                continue;
            }
            let path = moved
                .get(&*fragment.path)
                .copied()
                .unwrap_or(&fragment.path);
            self.mark(path);
            self.files.insert(path, (n, fragment));
        }
    }

    fn mark(&mut self, path: &str) {
        let Some(id) = self.paths.get(path) else {
            self.unmarked = true;
            return;
        };
        if let Some(m) = self.marks.get_mut(id as usize) {
            *m |= LIVE;
        }
        let mut at = id;
        while at != ROOT {
            at = self.paths.parent(at);
            match self.marks.get_mut(at as usize) {
                Some(m) if *m & ABOVE == 0 => *m |= ABOVE,
                // Its ancestors are marked already.
                _ => break,
            }
        }
    }

    fn remove_below(&mut self, dir: &str) {
        self.prefix.clear();
        self.prefix.push_str(dir);
        self.prefix.push('/');
        let prefix = self.prefix.as_str();
        let mut below = self
            .files
            .range::<&str, _>(prefix..)
            .take_while(|(p, _)| p.starts_with(prefix))
            .map(|(p, _)| *p)
            .peekable();
        if below.peek().is_none() {
            return;
        }
        let gone: Vec<&str> = below.collect();
        for p in gone {
            self.files.remove(p);
        }
    }
}

/// The package database directory a dpkg file belongs to (`var/lib/dpkg` for its
/// `status`, `status.d/*` and `info/*`).
fn dpkg_root(path: &str) -> &str {
    let dir = parent(path).unwrap_or("");
    match file_name(dir) {
        "status.d" | "info" => parent(dir).unwrap_or(""),
        _ => dir,
    }
}

/// Where a record found in `path` is installed, and whether the file records it alone.
fn scope_of(record: &Record, path: &str) -> (String, bool) {
    let dir = parent(path).unwrap_or("");
    match record.ecosystem {
        Ecosystem::Dpkg => (dpkg_root(path).to_string(), file_name(dir) == "status.d"),
        Ecosystem::Apk | Ecosystem::Rpm => (dir.to_string(), false),
        // `site-packages/X.dist-info/METADATA`, or a single-file `site-packages/X.egg-info`.
        Ecosystem::Python if file_name(path).ends_with(".egg-info") => (dir.to_string(), true),
        Ecosystem::Python => (parent(dir).unwrap_or("").to_string(), true),
        Ecosystem::Npm => (dir.to_string(), true),
        Ecosystem::Go => (path.to_string(), true),
    }
}

fn key_of(record: &Record, scope: String) -> Key {
    let name = match record.ecosystem {
        Ecosystem::Python => python::normalize_name(&record.name),
        _ => record.name.clone(),
    };
    Key {
        ecosystem: record.ecosystem,
        name,
        arch: record.arch.clone(),
        scope,
    }
}

/// The packages of one merged view, and its os-release.
struct ViewPackages<'a> {
    installed: HashMap<Key, Installed<'a>>,
    distro: Option<(&'a str, &'a Distro)>,
}

fn packages_of<'a>(live: &LiveFiles<'a>) -> ViewPackages<'a> {
    let mut installed: HashMap<Key, Installed<'a>> = HashMap::new();
    let mut lists: Vec<(&'a str, &'a Files, u32)> = Vec::new();
    let mut distro = None;
    for (&path, &(layer, fragment)) in &live.files {
        match &fragment.found {
            Found::Packages(records) => {
                for record in records {
                    let (scope, own_record) = scope_of(record, path);
                    let mut key = key_of(record, scope);
                    // Two records claiming one install (two dist-info directories of one
                    // project side by side): both are kept, the second by its own file.
                    if installed.contains_key(&key) {
                        key.scope = format!("{}#{path}", key.scope);
                    }
                    installed.insert(
                        key,
                        Installed {
                            record,
                            location: path,
                            record_layer: layer,
                            own_record,
                            lists: Vec::new(),
                        },
                    );
                }
            }
            Found::Files(files) => lists.push((path, files, layer)),
            Found::Distro(d) => {
                // `etc/os-release` wins over `usr/lib/os-release`, as systemd reads them.
                if distro.is_none() || path == "etc/os-release" {
                    distro = Some((path, d));
                }
            }
            Found::Unreadable(_) => {}
        }
    }
    join_lists(&mut installed, &lists);
    ViewPackages { installed, distro }
}

/// Gives each file list to the package it belongs to: `dpkg/info/NAME[:ARCH].list` (and
/// distroless `status.d/NAME.md5sums`) to that dpkg package of the same database, a
/// dist-info `RECORD` or egg-info `installed-files.txt` to the Python package whose metadata
/// sits beside it.
fn join_lists<'a>(
    installed: &mut HashMap<Key, Installed<'a>>,
    lists: &[(&'a str, &'a Files, u32)],
) {
    if lists.is_empty() {
        return;
    }
    let mut by_dpkg_name: HashMap<(&str, &str), Vec<Key>> = HashMap::new();
    let mut by_metadata_dir: HashMap<&str, Key> = HashMap::new();
    for (key, p) in installed.iter() {
        match key.ecosystem {
            Ecosystem::Dpkg => by_dpkg_name
                .entry((dpkg_root(p.location), p.record.name.as_str()))
                .or_default()
                .push(key.clone()),
            Ecosystem::Python => {
                by_metadata_dir.insert(parent(p.location).unwrap_or(""), key.clone());
            }
            _ => {}
        }
    }
    for &(path, files, layer) in lists {
        let dir = parent(path).unwrap_or("");
        let target = if dir.ends_with(".dist-info") || dir.ends_with(".egg-info") {
            by_metadata_dir.get(dir).cloned()
        } else {
            let Some((name, arch)) = dpkg::list_owner(path) else {
                continue;
            };
            by_dpkg_name
                .get(&(dpkg_root(path), name.as_str()))
                .and_then(|keys| match arch.as_deref() {
                    Some(a) => keys.iter().find(|k| k.arch.as_deref() == Some(a)),
                    // `NAME.list` is the list of the one arch installed (dpkg adds `:ARCH`
                    // only to Multi-Arch: same packages).
                    None => keys.first(),
                })
                .cloned()
        };
        if let Some(p) = target.and_then(|k| installed.get_mut(&k)) {
            p.lists.push((files, layer));
        }
    }
}

/// What accumulates about one package across the layers.
struct Acc<'a> {
    first_layer: usize,
    changes: Vec<PackageChange>,
    last: Installed<'a>,
    present: bool,
}

/// The inventory of an image's layers (see the module comment).
pub fn inventory(layers: &[&LayerTree], stack: &Stack) -> Inventory {
    let mut live = LiveFiles::new(&stack.paths);
    let mut previous: HashMap<Key, Installed> = HashMap::new();
    let mut acc: HashMap<Key, Acc> = HashMap::new();
    let mut deltas = Vec::with_capacity(layers.len());
    let mut unreadable = Vec::new();
    let mut distro = None;
    for (n, layer) in layers.iter().enumerate() {
        live.apply(n as u32, layer);
        for f in &layer.packages {
            if let Found::Unreadable(reason) = &f.found {
                unreadable.push(Unreadable {
                    path: format!("/{}", f.path),
                    layer: n,
                    reason: reason.clone(),
                });
            }
        }
        let view = packages_of(&live);
        distro = view.distro.map(|(_, d)| d);
        let written = WrittenPaths::new(layer);
        let mut delta = LayerDelta::default();
        for (key, now) in &view.installed {
            let change = match previous.get(key) {
                None => Some(Change::Added),
                Some(before) => changed(before, now, n as u32, &written),
            };
            let Some(change) = change else { continue };
            match change {
                Change::Added => delta.added += 1,
                _ => delta.changed += 1,
            }
            let a = acc.entry(key.clone()).or_insert_with(|| Acc {
                first_layer: n,
                changes: Vec::new(),
                last: now.clone(),
                present: true,
            });
            a.changes.push(PackageChange {
                layer: n,
                change,
                version: now.record.version.clone(),
            });
        }
        for (key, before) in &previous {
            if !view.installed.contains_key(key) {
                delta.removed += 1;
                if let Some(a) = acc.get_mut(key) {
                    a.present = false;
                    a.last = before.clone();
                    a.changes.push(PackageChange {
                        layer: n,
                        change: Change::Removed,
                        version: before.record.version.clone(),
                    });
                }
            }
        }
        for (key, now) in &view.installed {
            if let Some(a) = acc.get_mut(key) {
                a.last = now.clone();
                a.present = true;
            }
        }
        deltas.push(delta);
        previous = view.installed;
    }
    let resolver = Resolver::new(layers, stack, &stack.top);
    let mut owned: HashSet<PathId> = HashSet::new();
    let mut views = ViewCache::default();
    let mut below_removal: BTreeMap<usize, View> = BTreeMap::new();
    let mut packages: Vec<(Package, Vec<PathId>)> = Vec::with_capacity(acc.len());
    for (key, a) in acc {
        let mut size = 0;
        let mut hidden_bytes = 0;
        let mut ids = Vec::new();
        let files = if a.present {
            let files = if key.ecosystem == Ecosystem::Npm {
                ids = resolver.npm_ids(parent(a.last.location).unwrap_or(""));
                Files::default()
            } else {
                let files = files_of(&key, &a.last, &resolver);
                // Two paths of a list may lead to one file (`/bin/bash` and `/usr/bin/bash`
                // in a merged-usr image): counted once.
                ids.extend(files.iter().filter_map(|p| resolver.file(p)));
                files
            };
            ids.sort_unstable();
            ids.dedup();
            for &id in &ids {
                size += resolver.size(id);
                owned.insert(id);
            }
            files
        } else {
            // What its files were in the view just below the layer that removed it.
            let removed_at = a.changes.last().map_or(0, |c| c.layer);
            let view = below_removal.entry(removed_at).or_insert_with(|| {
                views.view_at(layers, &stack.paths, removed_at.saturating_sub(1))
            });
            let before = Resolver::new(layers, stack, view);
            let files = files_of(&key, &a.last, &before);
            let mut before_ids: Vec<PathId> = files.iter().filter_map(|p| before.file(p)).collect();
            before_ids.sort_unstable();
            before_ids.dedup();
            hidden_bytes = before_ids.iter().map(|&id| before.size(id)).sum();
            files
        };
        let record = a.last.record;
        let package = Package {
            ecosystem: key.ecosystem,
            name: record.name.clone(),
            version: record.version.clone(),
            arch: record.arch.clone(),
            purl: purl::purl(record, distro),
            layer: a.first_layer,
            changes: a.changes,
            files,
            size,
            removed: !a.present,
            hidden_bytes,
            toolchain: toolchain::is_toolchain(record),
            location: format!("/{}", a.last.location),
            license: record.license.clone(),
            source: record.source.clone(),
        };
        packages.push((package, ids));
    }
    packages.sort_by(|(a, _), (b, _)| {
        b.size
            .cmp(&a.size)
            .then(a.ecosystem.cmp(&b.ecosystem))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.location.cmp(&b.location))
    });
    let owned_bytes: u64 = owned.iter().map(|&id| resolver.size(id)).sum();
    let final_bytes = crate::analysis::waste::final_bytes(layers, stack);
    let (packages, owned): (Vec<Package>, Vec<Vec<PathId>>) = packages.into_iter().unzip();
    Inventory {
        packages,
        owned,
        unreadable,
        unowned: final_bytes.saturating_sub(owned_bytes),
        distro: distro.cloned(),
        layers: deltas,
    }
}

/// How a package present below and in layer `n` changed there, if it did.
fn changed(before: &Installed, now: &Installed, n: u32, written: &WrittenPaths) -> Option<Change> {
    use std::cmp::Ordering::*;
    match version::compare(
        now.record.ecosystem,
        &before.record.version,
        &now.record.version,
    ) {
        Less => Some(Change::Upgraded),
        Greater => Some(Change::Downgraded),
        Equal if rewritten(now, n, written) => Some(Change::Reinstalled),
        Equal => None,
    }
}

/// Whether layer `n` wrote the package again: its own record, its file list, or (for a
/// database recording every package in one file) one of its files.
fn rewritten(p: &Installed, n: u32, written: &WrittenPaths) -> bool {
    if p.own_record && p.record_layer == n {
        return true;
    }
    if !p.lists.is_empty() {
        return p.lists.iter().any(|&(_, layer)| layer == n);
    }
    p.record.files.iter().any(|f| written.contains(f))
}

/// The paths one layer wrote (files and links; not directories, which a layer re-lists
/// whenever it writes below them), built only when asked.
struct WrittenPaths<'a> {
    layer: &'a LayerTree,
    set: std::cell::OnceCell<HashSet<&'a str>>,
}

impl<'a> WrittenPaths<'a> {
    fn new(layer: &'a LayerTree) -> Self {
        WrittenPaths {
            layer,
            set: std::cell::OnceCell::new(),
        }
    }

    fn contains(&self, path: &str) -> bool {
        self.set
            .get_or_init(|| {
                self.layer
                    .entries
                    .iter()
                    .filter(|e| !e.kind.is_deletion() && e.kind != EntryKind::Dir)
                    .map(|e| &*e.path)
                    .collect()
            })
            .contains(path)
    }
}

/// The files a package owns: what its record and lists say (and a Python package's metadata
/// file); for an npm package, which lists none, everything under its directory in the final
/// view but nested `node_modules`.
fn files_of(key: &Key, p: &Installed, resolver: &Resolver) -> Files {
    if key.ecosystem == Ecosystem::Npm {
        return resolver.npm_files(parent(p.location).unwrap_or(""));
    }
    // A Python package's own metadata file is its file, whether or not a RECORD lists it
    // (an egg-info without installed-files.txt lists nothing else).
    let own = (key.ecosystem == Ecosystem::Python).then_some(p.location);
    if p.lists.is_empty() && own.is_none() {
        return p.record.files.clone();
    }
    // The usual cases: one `.list` (dpkg) or a RECORD that lists its METADATA too (Python),
    // nothing in the record: the list itself, shared.
    if let [(list, _)] = p.lists.as_slice() {
        if p.record.files.is_empty() && own.is_none_or(|own| list.iter().any(|f| f == own)) {
            return (*list).clone();
        }
    }
    let all = p
        .record
        .files
        .iter()
        .chain(p.lists.iter().flat_map(|(f, _)| f.iter()))
        .chain(own);
    let mut seen = HashSet::new();
    Files::from_paths(all.filter(|f| seen.insert(*f)))
}

/// Finds what a package's path is in the final view, through symlinked directories (Debian's
/// `/bin/bash` is `usr/bin/bash` where `bin` links to `usr/bin`).
struct Resolver<'a> {
    layers: &'a [&'a LayerTree],
    stack: &'a Stack,
    view: &'a View,
    dirs: std::cell::RefCell<HashMap<String, Option<String>>>,
}

/// Symlinks followed for one path before giving up (Linux's ELOOP limit).
const MAX_HOPS: usize = 40;

impl<'a> Resolver<'a> {
    fn new(layers: &'a [&'a LayerTree], stack: &'a Stack, view: &'a View) -> Self {
        Resolver {
            layers,
            stack,
            view,
            dirs: Default::default(),
        }
    }

    /// What the final view has at `path`: its id and kind (directories a layer only implied
    /// are directories).
    fn live(&self, path: &str) -> Option<(PathId, EntryKind, Option<&'a str>)> {
        let id = self.stack.paths.get(path)?;
        let loc = self.view.get(id)?;
        Some(match entry_at(self.layers, loc) {
            Some(e) => (id, e.kind, e.link.as_deref()),
            None => (id, EntryKind::Dir, None),
        })
    }

    /// The id of the regular file `path` names in the final view.
    fn file(&self, path: &str) -> Option<PathId> {
        let resolved = match self.live(path) {
            Some((id, kind, _)) => return (kind == EntryKind::File).then_some(id),
            None => {
                let dir = self.dir(parent(path)?)?;
                let name = file_name(path);
                if dir.is_empty() {
                    name.to_string()
                } else {
                    format!("{dir}/{name}")
                }
            }
        };
        let (id, kind, _) = self.live(&resolved)?;
        (kind == EntryKind::File).then_some(id)
    }

    fn size(&self, id: PathId) -> u64 {
        self.view
            .get(id)
            .and_then(|loc| entry_at(self.layers, loc))
            .map_or(0, |e| e.content_bytes())
    }

    /// Where directory `dir` really is, its symlinks followed (memoised per directory).
    fn dir(&self, dir: &str) -> Option<String> {
        if let Some(known) = self.dirs.borrow().get(dir) {
            return known.clone();
        }
        let resolved = self.resolve_dir(dir);
        self.dirs
            .borrow_mut()
            .insert(dir.to_string(), resolved.clone());
        resolved
    }

    fn resolve_dir(&self, dir: &str) -> Option<String> {
        let mut pending: Vec<String> = dir.split('/').rev().map(str::to_string).collect();
        let mut at = String::new();
        let mut hops = 0;
        while let Some(part) = pending.pop() {
            let next = if at.is_empty() {
                part.clone()
            } else {
                format!("{at}/{part}")
            };
            match self.live(&next) {
                Some((_, EntryKind::Symlink, link)) => {
                    hops += 1;
                    if hops > MAX_HOPS {
                        return None;
                    }
                    let target = link.unwrap_or("");
                    let joined = if target.starts_with('/') {
                        target.to_string()
                    } else {
                        format!("{at}/{target}")
                    };
                    // The rest of the path goes on from where the link leads.
                    let rest: Vec<String> = std::mem::take(&mut pending);
                    at = String::new();
                    pending = normalize(&joined)
                        .unwrap_or_default()
                        .split('/')
                        .filter(|s| !s.is_empty())
                        .rev()
                        .map(str::to_string)
                        .collect();
                    let mut rest = rest;
                    rest.extend(pending);
                    pending = rest;
                }
                Some(_) => at = next,
                None => return None,
            }
        }
        Some(at)
    }

    /// The files (and links) of an npm package in the final view: everything under its
    /// directory but nested `node_modules` and the directories themselves, by id (paths of
    /// the table: nothing to resolve).
    fn npm_ids(&self, dir: &str) -> Vec<PathId> {
        let Some(root) = self.stack.paths.get(dir) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut todo = vec![root];
        while let Some(id) = todo.pop() {
            for child in self.stack.paths.children(id) {
                let Some(loc) = self.view.get(child) else {
                    continue;
                };
                match entry_at(self.layers, loc).map(|e| e.kind) {
                    // A directory (or one a layer only implied).
                    Some(EntryKind::Dir) | None => {
                        if file_name(self.stack.paths.path(child)) != "node_modules" {
                            todo.push(child);
                        }
                    }
                    // Files, and links (`.bin/x`), which have no bytes of their own.
                    Some(_) => out.push(child),
                }
            }
        }
        out
    }

    /// `npm_ids` as paths (for a removed package, whose files are not in `Inventory::owned`).
    fn npm_files(&self, dir: &str) -> Files {
        let mut paths: Vec<&str> = (self.npm_ids(dir).into_iter())
            .map(|id| self.stack.paths.path(id))
            .collect();
        paths.sort_unstable();
        Files::from_paths(paths)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::merge::stack;
    use crate::tree::Entry;

    fn file(path: &str, size: u64) -> Entry {
        let mut e = Entry::for_test(path, EntryKind::File);
        e.size = size;
        e.digest = Some(*blake3::hash(path.as_bytes()).as_bytes());
        e
    }

    fn link(path: &str, target: &str) -> Entry {
        let mut e = Entry::for_test(path, EntryKind::Symlink);
        e.link = Some(target.into());
        e
    }

    fn dpkg(name: &str, version: &str) -> Record {
        let mut r = Record::new(Ecosystem::Dpkg, name, version);
        r.arch = Some("amd64".into());
        r
    }

    fn fragment(path: &str, found: Found) -> Fragment {
        Fragment {
            path: path.into(),
            found,
        }
    }

    fn layer(entries: Vec<Entry>, packages: Vec<Fragment>) -> LayerTree {
        LayerTree {
            entries,
            packages,
            ..Default::default()
        }
    }

    fn run(layers: &[LayerTree]) -> Inventory {
        let refs: Vec<&LayerTree> = layers.iter().collect();
        let stack = stack(&refs);
        inventory(&refs, &stack)
    }

    fn find<'a>(inv: &'a Inventory, name: &str) -> &'a Package {
        inv.packages
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", inv.packages))
    }

    fn changes(p: &Package) -> Vec<(usize, Change, &str)> {
        p.changes
            .iter()
            .map(|c| (c.layer, c.change, c.version.as_str()))
            .collect()
    }

    /// apt in two layers: an upgrade, a purge whose bytes still ship, a new package, and a
    /// path dpkg lists through a symlinked directory (`/bin` -> `usr/bin`).
    #[test]
    fn dpkg_packages_are_followed_layer_by_layer() {
        let status =
            |records: Vec<Record>| fragment("var/lib/dpkg/status", Found::Packages(records));
        let list = |name: &str, paths: &[&str]| {
            fragment(
                &format!("var/lib/dpkg/info/{name}.list"),
                Found::Files(Files::from_paths(paths.iter().copied())),
            )
        };
        let base = layer(
            vec![
                link("bin", "usr/bin"),
                file("usr/bin/bash", 1000),
                file("usr/lib/libold.so", 300),
                file("etc/unowned.conf", 7),
                file("var/lib/dpkg/status", 50),
                file("var/lib/dpkg/info/bash.list", 10),
                file("var/lib/dpkg/info/old.list", 10),
            ],
            vec![
                status(vec![dpkg("bash", "5.1-2"), dpkg("old", "1.0")]),
                list("bash", &["/.", "/bin", "/bin/bash"]),
                list("old", &["/usr/lib/libold.so"]),
            ],
        );
        let mut gone = Entry::for_test("usr/lib/libold.so", EntryKind::Whiteout);
        gone.size = 0;
        let apt = layer(
            vec![
                file("usr/bin/bash", 1200),
                gone,
                Entry::for_test("var/lib/dpkg/info/old.list", EntryKind::Whiteout),
                file("usr/bin/new", 40),
                file("var/lib/dpkg/status", 60),
                file("var/lib/dpkg/info/bash.list", 10),
                file("var/lib/dpkg/info/new.list", 10),
            ],
            vec![
                status(vec![dpkg("bash", "5.2-1"), dpkg("new", "0.1")]),
                list("bash", &["/bin/bash"]),
                list("new", &["/usr/bin/new"]),
            ],
        );
        let inv = run(&[base, apt]);
        let bash = find(&inv, "bash");
        assert_eq!(
            changes(bash),
            [(0, Change::Added, "5.1-2"), (1, Change::Upgraded, "5.2-1")]
        );
        assert_eq!((bash.layer, bash.size, bash.removed), (0, 1200, false));
        assert_eq!(bash.location, "/var/lib/dpkg/status");
        let old = find(&inv, "old");
        assert_eq!(
            changes(old),
            [(0, Change::Added, "1.0"), (1, Change::Removed, "1.0")]
        );
        assert_eq!((old.size, old.hidden_bytes, old.removed), (0, 300, true));
        let new = find(&inv, "new");
        assert_eq!((new.layer, new.size), (1, 40));
        assert_eq!(
            inv.layers,
            [
                LayerDelta {
                    added: 2,
                    removed: 0,
                    changed: 0
                },
                LayerDelta {
                    added: 1,
                    removed: 1,
                    changed: 1
                },
            ]
        );
        // Largest first; what no package owns is the rest of the final view.
        let names: Vec<&str> = inv.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["bash", "new", "old"]);
        // etc/unowned.conf, the status file and the two lists left.
        assert_eq!(inv.unowned, 7 + 60 + 10 + 10);
        assert!(inv.unreadable.is_empty());
    }

    /// The same version written again is a reinstall; the database deleted removes every
    /// package it recorded.
    #[test]
    fn reinstalls_and_deleted_databases() {
        let status = fragment("var/lib/dpkg/status", Found::Packages(vec![dpkg("a", "1")]));
        let list = fragment(
            "var/lib/dpkg/info/a.list",
            Found::Files(Files::from_paths(["/usr/bin/a"])),
        );
        let l0 = layer(
            vec![file("usr/bin/a", 5), file("var/lib/dpkg/status", 1)],
            vec![status.clone(), list.clone()],
        );
        // Only the status file again: not a reinstall (apt rewrites it for every package).
        let l1 = layer(vec![file("var/lib/dpkg/status", 1)], vec![status.clone()]);
        let l2 = layer(
            vec![file("usr/bin/a", 5), file("var/lib/dpkg/info/a.list", 1)],
            vec![list],
        );
        let l3 = layer(
            vec![Entry::for_test("var/lib/dpkg", EntryKind::Whiteout)],
            vec![],
        );
        let inv = run(&[l0, l1, l2, l3]);
        let a = find(&inv, "a");
        assert_eq!(
            changes(a),
            [
                (0, Change::Added, "1"),
                (2, Change::Reinstalled, "1"),
                (3, Change::Removed, "1")
            ]
        );
        assert!(a.removed);
        assert_eq!(inv.layers[1], LayerDelta::default());
        assert_eq!(inv.layers[3].removed, 1);
    }

    /// pip replacing a dist-info directory with the next version's is an upgrade of one
    /// package; its `RECORD` gives its files, `../` paths included.
    #[test]
    fn python_upgrades_keep_their_identity_across_dist_info_names() {
        let site = "usr/local/lib/python3.11/site-packages";
        let meta = |v: &str| {
            fragment(
                &format!("{site}/requests-{v}.dist-info/METADATA"),
                Found::Packages(vec![Record::new(Ecosystem::Python, "Requests", v)]),
            )
        };
        let record = |v: &str| {
            fragment(
                &format!("{site}/requests-{v}.dist-info/RECORD"),
                Found::Files(Files::from_paths([
                    format!("{site}/requests/api.py").as_str(),
                    format!("{site}/../../../bin/req").as_str(),
                ])),
            )
        };
        let l0 = layer(
            vec![
                file(&format!("{site}/requests/api.py"), 100),
                file("usr/local/bin/req", 3),
            ],
            vec![meta("2.31.0"), record("2.31.0")],
        );
        let l1 = layer(
            vec![
                Entry::for_test(
                    &format!("{site}/requests-2.31.0.dist-info"),
                    EntryKind::Whiteout,
                ),
                file(&format!("{site}/requests/api.py"), 120),
            ],
            vec![meta("2.32.3"), record("2.32.3")],
        );
        let inv = run(&[l0, l1]);
        assert_eq!(inv.packages.len(), 1, "{:?}", inv.packages);
        let p = &inv.packages[0];
        assert_eq!(
            changes(p),
            [
                (0, Change::Added, "2.31.0"),
                (1, Change::Upgraded, "2.32.3")
            ]
        );
        assert_eq!(p.size, 123);
    }

    /// One npm package in two trees is two installs; a package's files leave out the
    /// packages nested in its own `node_modules`.
    #[test]
    fn npm_packages_own_their_directory_but_nested_packages() {
        let pkg = |dir: &str, v: &str| {
            fragment(
                &format!("{dir}/package.json"),
                Found::Packages(vec![Record::new(Ecosystem::Npm, "ms", v)]),
            )
        };
        let l0 = layer(
            vec![
                file("app/node_modules/ms/package.json", 10),
                file("app/node_modules/ms/index.js", 100),
                file("app/node_modules/ms/node_modules/ms/package.json", 20),
                file("app/node_modules/ms/node_modules/ms/index.js", 200),
            ],
            vec![
                pkg("app/node_modules/ms", "2.1.3"),
                pkg("app/node_modules/ms/node_modules/ms", "2.0.0"),
            ],
        );
        let inv = run(&[l0]);
        let sizes: Vec<(&str, u64)> = inv
            .packages
            .iter()
            .map(|p| (p.version.as_str(), p.size))
            .collect();
        assert_eq!(sizes, [("2.0.0", 220), ("2.1.3", 110)]);
        assert_eq!(inv.unowned, 0);
    }
}
