//! Comparing two images (DESIGN.md section 4b): which layers they share, how their final
//! merged views differ path by path, and how their configs and histories line up, then what
//! that means to a reader: the packages that changed (`packages`), the directories whose bytes
//! moved (`dirs`) and the build steps that made waste grow or shrink (`causes`). Pure.

pub mod causes;
pub mod dirs;
pub mod meta;
pub mod packages;

use std::collections::HashMap;

use super::merge::{listing, Listed};
use super::Analysis;
use crate::tree::{EntryKind, LayerTree};

/// One side of a comparison.
pub struct Side<'a> {
    pub layers: &'a [&'a LayerTree],
    pub analysis: &'a Analysis,
    /// Each layer's diff_id (`sha256:...`), in order.
    pub diff_ids: &'a [String],
    /// Each layer's stored (compressed) size.
    pub compressed: &'a [u64],
    /// Each layer's history step, cleaned for display (`None` when there is none).
    pub commands: &'a [Option<String>],
}

/// How a path differs between A and B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileChange {
    /// Only in B.
    Added,
    /// Only in A.
    Removed,
    /// Kind, content, size or link target differs.
    Changed,
    /// Same kind and content; mode, uid or gid differ (mtime is ignored).
    MetadataOnly,
}

/// One differing path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    /// Normalised path (no leading `/`).
    pub path: String,
    pub change: FileChange,
    pub kind_a: Option<EntryKind>,
    pub kind_b: Option<EntryKind>,
    /// Content bytes (a hardlink shows its target's; a directory 0).
    pub size_a: u64,
    pub size_b: u64,
    /// Permission bits and owner on each side (`None` where absent or implied).
    pub meta_a: Option<Meta>,
    pub meta_b: Option<Meta>,
    /// Content ids (BLAKE3) of regular files, a hardlink's target's for a hardlink.
    pub id_a: Option<[u8; 32]>,
    pub id_b: Option<[u8; 32]>,
}

/// An entry's permission bits and owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Meta {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

impl Meta {
    fn of(l: &Listed<'_>) -> Option<Meta> {
        l.entry.map(|e| Meta {
            mode: e.mode & 0o7777,
            uid: e.uid,
            gid: e.gid,
        })
    }

    /// What changed from `self` to `b`, as a reader says it: `owner 0:0 → 1000:1000`,
    /// `mode 0644 → 0600`, both joined by `, `.
    pub fn change_to(self, b: Meta) -> String {
        let mut parts = Vec::new();
        if (self.uid, self.gid) != (b.uid, b.gid) {
            parts.push(format!(
                "owner {}:{} → {}:{}",
                self.uid, self.gid, b.uid, b.gid
            ));
        }
        if self.mode != b.mode {
            parts.push(format!("mode {:04o} → {:04o}", self.mode, b.mode));
        }
        parts.join(", ")
    }
}

impl FileDiff {
    pub fn delta(&self) -> i64 {
        self.size_b as i64 - self.size_a as i64
    }

    /// For a metadata-only change: what changed (`owner 0:0 → 1000:1000`).
    pub fn meta_change(&self) -> Option<String> {
        match (self.change, self.meta_a, self.meta_b) {
            (FileChange::MetadataOnly, Some(a), Some(b)) => Some(a.change_to(b)),
            _ => None,
        }
    }

    /// A change of `path` with nothing known of either side yet.
    fn bare(path: &str, change: FileChange) -> FileDiff {
        FileDiff {
            path: path.to_string(),
            change,
            kind_a: None,
            kind_b: None,
            size_a: 0,
            size_b: 0,
            meta_a: None,
            meta_b: None,
            id_a: None,
            id_b: None,
        }
    }

    #[cfg(test)]
    pub(crate) fn for_test(path: &str, change: FileChange) -> FileDiff {
        FileDiff {
            kind_a: (change != FileChange::Added).then_some(EntryKind::File),
            kind_b: (change != FileChange::Removed).then_some(EntryKind::File),
            ..FileDiff::bare(path, change)
        }
    }
}

/// A layer of either image, by diff_id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerShare {
    pub diff_id: String,
    /// Index in A / in B.
    pub in_a: Option<usize>,
    pub in_b: Option<usize>,
    /// Uncompressed content bytes of the layer.
    pub size: u64,
    pub compressed: u64,
}

/// The result of comparing A with B.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Differing paths, largest absolute size delta first.
    pub files: Vec<FileDiff>,
    /// A's layers in order, then B's layers that A does not have.
    pub layers: Vec<LayerShare>,
    /// Layers of B whose diff_id A also has.
    pub shared_layers: usize,
    /// The first layer index where the stacks differ (the length of the common prefix).
    pub diverge_at: usize,
    /// Uncompressed and stored bytes of B's layers that A already has.
    pub shared_bytes: u64,
    pub shared_compressed: u64,
    /// What a host that has A must still fetch for B.
    pub fetch_bytes: u64,
    pub fetch_compressed: u64,
    /// Packages that differ, by ecosystem and name.
    pub packages: Vec<packages::PackageDiff>,
    /// The directories whose bytes changed most, rolled up.
    pub dirs: Vec<dirs::DirDelta>,
    /// Waste deltas by cause and step, largest first.
    pub causes: Vec<causes::CauseDelta>,
    /// Metadata-only changes, one row per directory and kind of change.
    pub meta: Vec<meta::MetaGroup>,
}

pub fn compare(a: &Side<'_>, b: &Side<'_>) -> Comparison {
    let la = listing(a.layers, &a.analysis.stack, &a.analysis.stack.top);
    let lb = listing(b.layers, &b.analysis.stack, &b.analysis.stack.top);
    let mut files = diff_listings(&la, &lb);
    files.sort_by(|x, y| {
        y.delta()
            .unsigned_abs()
            .cmp(&x.delta().unsigned_abs())
            .then_with(|| x.path.cmp(&y.path))
    });

    let a_ids: HashMap<&str, usize> = a
        .diff_ids
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect();
    let size = |side: &Side<'_>, i: usize| side.analysis.layers.get(i).map_or(0, |l| l.size);
    let mut layers: Vec<LayerShare> = a
        .diff_ids
        .iter()
        .enumerate()
        .map(|(i, d)| LayerShare {
            diff_id: d.clone(),
            in_a: Some(i),
            in_b: b.diff_ids.iter().position(|x| x == d),
            size: size(a, i),
            compressed: a.compressed.get(i).copied().unwrap_or(0),
        })
        .collect();
    let (
        mut shared_layers,
        mut shared_bytes,
        mut shared_compressed,
        mut fetch_bytes,
        mut fetch_compressed,
    ) = (0, 0, 0, 0, 0);
    let mut fetched = std::collections::HashSet::new();
    for (i, d) in b.diff_ids.iter().enumerate() {
        let compressed = b.compressed.get(i).copied().unwrap_or(0);
        if a_ids.contains_key(d.as_str()) {
            shared_layers += 1;
            shared_bytes += size(b, i);
            shared_compressed += compressed;
        } else if fetched.insert(d.as_str()) {
            // A layer B has twice is fetched once.
            fetch_bytes += size(b, i);
            fetch_compressed += compressed;
            layers.push(LayerShare {
                diff_id: d.clone(),
                in_a: None,
                in_b: Some(i),
                size: size(b, i),
                compressed,
            });
        }
    }
    let diverge_at = a
        .diff_ids
        .iter()
        .zip(b.diff_ids)
        .take_while(|(x, y)| x == y)
        .count();
    let packages = packages::diff(
        &packages::Installed {
            inventory: &a.analysis.packages,
            paths: &a.analysis.stack.paths,
        },
        &packages::Installed {
            inventory: &b.analysis.packages,
            paths: &b.analysis.stack.paths,
        },
        &files,
    );
    let dirs = dirs::dirs(&files);
    let meta = meta::groups(&files);
    let causes = causes::cause_deltas(
        &causes::Steps {
            hidden: &a.analysis.stack.hidden,
            commands: a.commands,
        },
        &causes::Steps {
            hidden: &b.analysis.stack.hidden,
            commands: b.commands,
        },
    );
    Comparison {
        meta,
        packages,
        dirs,
        causes,
        files,
        layers,
        shared_layers,
        diverge_at,
        shared_bytes,
        shared_compressed,
        fetch_bytes,
        fetch_compressed,
    }
}

/// Merge-joins two sorted listings.
fn diff_listings(a: &[Listed<'_>], b: &[Listed<'_>]) -> Vec<FileDiff> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let ord = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => x.path.cmp(y.path),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match ord {
            std::cmp::Ordering::Less => {
                out.push(one_sided(&a[i], FileChange::Removed));
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(one_sided(&b[j], FileChange::Added));
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                if let Some(change) = change_between(&a[i], &b[j]) {
                    out.push(FileDiff {
                        path: a[i].path.to_string(),
                        change,
                        kind_a: Some(a[i].kind),
                        kind_b: Some(b[j].kind),
                        size_a: a[i].size,
                        size_b: b[j].size,
                        meta_a: Meta::of(&a[i]),
                        meta_b: Meta::of(&b[j]),
                        id_a: content_id(&a[i]),
                        id_b: content_id(&b[j]),
                    });
                }
                i += 1;
                j += 1;
            }
        }
    }
    out
}

fn one_sided(l: &Listed<'_>, change: FileChange) -> FileDiff {
    let (kind, size, meta, id) = (Some(l.kind), l.size, Meta::of(l), content_id(l));
    let mut d = FileDiff::bare(l.path, change);
    if change == FileChange::Removed {
        (d.kind_a, d.size_a, d.meta_a, d.id_a) = (kind, size, meta, id);
    } else {
        (d.kind_b, d.size_b, d.meta_b, d.id_b) = (kind, size, meta, id);
    }
    d
}

/// The content id of a listed file (a hardlink's target's).
fn content_id(l: &Listed<'_>) -> Option<[u8; 32]> {
    l.content.and_then(|c| c.digest)
}

/// `None` when the two are the same for a diff (mtime never counts).
fn change_between(a: &Listed<'_>, b: &Listed<'_>) -> Option<FileChange> {
    if a.kind != b.kind || a.size != b.size {
        return Some(FileChange::Changed);
    }
    match (a.entry, b.entry) {
        // Directories no layer listed carry no metadata to compare.
        (None, _) | (_, None) => None,
        (Some(x), Some(y)) => {
            let same_content = match x.kind {
                EntryKind::File => x.digest == y.digest,
                EntryKind::Symlink => x.link == y.link,
                // The same name linked, and the same bytes there.
                EntryKind::Hardlink => {
                    x.link == y.link && a.content.map(|c| c.digest) == b.content.map(|c| c.digest)
                }
                EntryKind::CharDevice | EntryKind::BlockDevice => x.device == y.device,
                _ => true,
            };
            if !same_content {
                Some(FileChange::Changed)
            } else if x.mode != y.mode || x.uid != y.uid || x.gid != y.gid {
                Some(FileChange::MetadataOnly)
            } else {
                None
            }
        }
    }
}

/// A step of the aligned histories.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryAlign {
    /// `equal`, `removed` (only in A) or `added` (only in B).
    pub op: &'static str,
    pub a: Option<usize>,
    pub b: Option<usize>,
    pub command: String,
}

/// Aligns two histories by their commands (longest common subsequence).
pub fn align_history(a: &[String], b: &[String]) -> Vec<HistoryAlign> {
    use similar::{capture_diff_slices, Algorithm, DiffOp};
    let mut out = Vec::new();
    let mut push = |op: &'static str, a_at: Option<usize>, b_at: Option<usize>| {
        let command = a_at
            .map(|i| &a[i])
            .or(b_at.map(|i| &b[i]))
            .cloned()
            .unwrap_or_default();
        out.push(HistoryAlign {
            op,
            a: a_at,
            b: b_at,
            command,
        });
    };
    for op in capture_diff_slices(Algorithm::Myers, a, b) {
        match op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => (0..len).for_each(|k| push("equal", Some(old_index + k), Some(new_index + k))),
            DiffOp::Delete {
                old_index, old_len, ..
            } => (0..old_len).for_each(|k| push("removed", Some(old_index + k), None)),
            DiffOp::Insert {
                new_index, new_len, ..
            } => (0..new_len).for_each(|k| push("added", None, Some(new_index + k))),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                (0..old_len).for_each(|k| push("removed", Some(old_index + k), None));
                (0..new_len).for_each(|k| push("added", None, Some(new_index + k)));
            }
        }
    }
    out
}
