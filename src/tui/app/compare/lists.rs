//! The compare screen's list of differences in its three groupings, each a tree over a path
//! table of its own so that the explorer's navigation (`TreeNav`: folds, filter, sort, size
//! floor) runs every one of them:
//! - by directory: the differing paths in their directory tree;
//! - by package: one row per package that changed, holding the differing paths it owns (whole
//!   paths), then one row for the changes no changed package owns;
//! - flat: every differing path that is not a directory, whole, under the root.
//!
//! In each, metadata-only changes that `compare::meta` grouped (a `chown -R` over 4,720
//! entries) are one folded row with the kind of change, holding its entries.
//!
//! `targets` says what each row stands for, so a key acts on the path, package or group.

use std::collections::HashSet;

use crate::analysis::compare::packages::PackageChange;
use crate::analysis::compare::{Comparison, FileChange};
use crate::model::units;
use crate::tree::paths::{PathId, PathTable, ROOT};
use crate::tree::EntryKind;
use crate::tui::app::filetree::{FileTree, NodeSpec, Status};

/// How the list of differences is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    Packages,
    Dirs,
    Flat,
}

impl Grouping {
    pub fn next(self) -> Grouping {
        match self {
            Grouping::Packages => Grouping::Dirs,
            Grouping::Dirs => Grouping::Flat,
            Grouping::Flat => Grouping::Packages,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Grouping::Packages => "by package",
            Grouping::Dirs => "by directory",
            Grouping::Flat => "flat",
        }
    }
}

/// What a row stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A directory of the tree that is no differing path itself (context).
    Context,
    /// `Comparison::files[i]`.
    File(usize),
    /// `Comparison::packages[i]`.
    Package(usize),
    /// `Comparison::meta[i]`, folded into one row.
    Meta(usize),
    /// The changes no changed package owns.
    Unowned,
}

/// One grouping's list.
pub struct CompareList {
    pub grouping: Grouping,
    pub paths: PathTable,
    pub tree: FileTree,
    /// By path id.
    pub targets: Vec<Target>,
    /// Rows that start folded (packages, metadata groups).
    pub folded: Vec<PathId>,
}

impl CompareList {
    pub fn target(&self, id: PathId) -> Target {
        self.targets
            .get(id as usize)
            .copied()
            .unwrap_or(Target::Context)
    }

    /// What a row shows as its name: the path's last name in the directory tree, the whole
    /// path in the flat list and under a package, a package's or group's label.
    pub fn name(&self, id: PathId) -> &str {
        let text = self.paths.path(id);
        let in_group = matches!(self.target(self.paths.parent(id)), Target::Meta(_));
        match self.grouping {
            Grouping::Dirs if !in_group && !matches!(self.target(id), Target::Meta(_)) => {
                crate::model::path::file_name(text)
            }
            _ => {
                let parent = self.paths.parent(id);
                if parent == ROOT {
                    text
                } else {
                    let skip = self.paths.path(parent).len() + 1;
                    text.get(skip..).unwrap_or(text)
                }
            }
        }
    }
}

/// The label of a metadata group's row: `4,720 entries: owner 0:0 → 1000:1000`.
pub fn meta_label(entries: usize, change: &str) -> String {
    format!(
        "{}: {change}",
        units::counted(entries as u64, "entry", "entries")
    )
}

struct Builder<'a> {
    cmp: &'a Comparison,
    paths: PathTable,
    nodes: Vec<NodeSpec>,
    targets: Vec<(PathId, Target)>,
    folded: Vec<PathId>,
    /// The metadata group each file is shown in (then not again on its own).
    group_of: Vec<Option<usize>>,
    /// Directories with a differing path under them.
    dirs_with_changes: HashSet<&'a str>,
}

impl<'a> Builder<'a> {
    fn new(cmp: &'a Comparison) -> Builder<'a> {
        let mut group_of = vec![None; cmp.files.len()];
        for (g, group) in cmp.meta.iter().enumerate() {
            if group.files.len() > 1 {
                for &i in &group.files {
                    group_of[i] = Some(g);
                }
            }
        }
        let dirs_with_changes = cmp
            .files
            .iter()
            .filter_map(|f| f.path.rfind('/').map(|cut| &f.path[..cut]))
            .collect();
        Builder {
            cmp,
            paths: PathTable::default(),
            nodes: Vec::new(),
            targets: Vec::new(),
            folded: Vec::new(),
            group_of,
            dirs_with_changes,
        }
    }

    /// A child of `parent` named `name` (the parent's text and `/` go before it); a name
    /// its parent has already (a package installed twice at one version) gets a number.
    fn child(&mut self, parent: PathId, name: &str) -> Option<PathId> {
        let prefix = if parent == ROOT {
            String::new()
        } else {
            format!("{}/", self.paths.path(parent))
        };
        if let Some(id) = self.paths.push_child(parent, &format!("{prefix}{name}")) {
            return Some(id);
        }
        (2..100).find_map(|n| {
            self.paths
                .push_child(parent, &format!("{prefix}{name} #{n}"))
        })
    }

    /// A folded row that holds others (a package, a metadata group, the unowned changes).
    fn group_row(&mut self, id: PathId, status: Status, target: Target) {
        self.nodes.push(NodeSpec {
            path: id,
            status,
            kind: EntryKind::Dir,
            size: 0,
            delta: 0,
        });
        self.targets.push((id, target));
        self.folded.push(id);
    }

    fn file_node(&mut self, id: PathId, i: usize) {
        self.nodes.push(NodeSpec::of_diff(id, &self.cmp.files[i]));
        self.targets.push((id, Target::File(i)));
    }

    /// A folded row for metadata group `g` under `parent`, holding its entries by whole path.
    fn meta_group(&mut self, parent: PathId, g: usize) {
        let group = &self.cmp.meta[g];
        let label = meta_label(group.files.len(), &group.change);
        let Some(id) = self.child(parent, &label) else {
            return;
        };
        self.group_row(id, Status::MetadataOnly, Target::Meta(g));
        for &i in &group.files {
            let path = format!("/{}", self.cmp.files[i].path);
            if let Some(f) = self.child(id, &path) {
                self.file_node(f, i);
            }
        }
    }

    /// Files `which` under `parent` by whole path, metadata groups among them as one row.
    fn flat(&mut self, parent: PathId, which: impl Iterator<Item = usize>) {
        let mut groups = HashSet::new();
        let mut shown = Vec::new();
        for i in which {
            let f = &self.cmp.files[i];
            if let Some(g) = self.group_of[i] {
                groups.insert(g);
                continue;
            }
            // A directory is a row of its own only when nothing under it differs.
            let is_dir = f.kind_b.or(f.kind_a) == Some(EntryKind::Dir);
            if is_dir && self.dirs_with_changes.contains(f.path.as_str()) {
                continue;
            }
            shown.push(i);
        }
        for i in shown {
            let path = format!("/{}", self.cmp.files[i].path);
            if let Some(id) = self.child(parent, &path) {
                self.file_node(id, i);
            }
        }
        let mut groups: Vec<usize> = groups.into_iter().collect();
        groups.sort_unstable();
        for g in groups {
            self.meta_group(parent, g);
        }
    }

    fn finish(self, grouping: Grouping) -> CompareList {
        let tree = FileTree::from_nodes(&self.paths, self.nodes);
        let mut targets = vec![Target::Context; self.paths.len()];
        for (id, t) in self.targets {
            targets[id as usize] = t;
        }
        CompareList {
            grouping,
            paths: self.paths,
            tree,
            targets,
            folded: self.folded,
        }
    }
}

/// The list of `cmp`'s differences grouped by `grouping`.
pub fn build(cmp: &Comparison, grouping: Grouping) -> CompareList {
    let mut b = Builder::new(cmp);
    match grouping {
        Grouping::Flat => b.flat(ROOT, 0..cmp.files.len()),
        Grouping::Dirs => {
            for (i, f) in cmp.files.iter().enumerate() {
                if b.group_of[i].is_none() {
                    let id = b.paths.intern(&f.path);
                    b.file_node(id, i);
                }
            }
            for (g, group) in cmp.meta.iter().enumerate() {
                if group.files.len() > 1 {
                    let dir = if group.dir.is_empty() {
                        ROOT
                    } else {
                        b.paths.intern(&group.dir)
                    };
                    b.meta_group(dir, g);
                }
            }
        }
        Grouping::Packages => {
            let mut owned = vec![false; cmp.files.len()];
            for (k, p) in cmp.packages.iter().enumerate() {
                let label = package_label(p);
                let Some(id) = b.child(ROOT, &label) else {
                    continue;
                };
                let status = match p.change {
                    PackageChange::Added => Status::Added,
                    PackageChange::Removed => Status::Removed,
                    PackageChange::Upgraded | PackageChange::Downgraded => Status::Modified,
                };
                b.group_row(id, status, Target::Package(k));
                for &i in &p.files {
                    owned[i] = true;
                }
                b.flat(id, p.files.iter().copied());
            }
            let rest: Vec<usize> = (0..cmp.files.len()).filter(|&i| !owned[i]).collect();
            if !rest.is_empty() {
                if let Some(id) = b.child(ROOT, "(in no changed package)") {
                    b.group_row(id, Status::Unchanged, Target::Unowned);
                    b.flat(id, rest.into_iter());
                }
            }
        }
    }
    b.finish(grouping)
}

/// A package's row: `requests 2.31.0 → 2.32.3 (python)`.
pub fn package_label(p: &crate::analysis::compare::packages::PackageDiff) -> String {
    let versions = match (&p.version_a, &p.version_b) {
        (Some(a), Some(b)) => format!("{a} → {b}"),
        (Some(v), None) | (None, Some(v)) => v.clone(),
        (None, None) => String::new(),
    };
    format!("{} {versions} ({})", p.name, p.ecosystem.name())
}

/// Whether `change` is a file change a content diff can show.
pub fn has_content(change: FileChange) -> bool {
    change != FileChange::MetadataOnly
}
