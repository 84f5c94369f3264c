//! Advice with evidence: every hint names the bytes at stake, the layer to look at, the paths
//! involved and a concrete fix. Pure and deterministic: the same image gives the same hints
//! in the same order. Secret hints name the kind of credential, its path and its layer, never
//! any of its content (the tree builder keeps only flags, not bytes).
//!
//! The rules live in groups by what they look at and what their fix is: `waste` (bytes hidden
//! or stored twice), `caches` (package managers' caches), `toolchain` (build tools left in),
//! `steps` (the order and size of build steps, the only rules reading the history's
//! commands), `security` (user, credentials, permissions) and `layout` (layers an engine
//! would refuse). This file holds what they share: the `Hint` they produce, the thresholds
//! (one table, so they are tuned side by side), the evidence helpers that make every message
//! look alike, and the one entry point that runs every group and orders the result.
//!
//! Findings in the base image's layers (the layers the user's Dockerfile did not write; `base`
//! says how they are told apart) are the same hints as anywhere else, marked `from_base` and
//! ordered after the user's own, so they never crowd those out and the same base layer gets
//! the same hints in every image built on it. A rule that sums over the whole image (identical
//! files, build tools, caches) sums the base's findings and the user's apart.

mod base;
mod caches;
mod layout;
mod packages;
mod security;
mod steps;
mod toolchain;
mod volumes;
mod waste;

use std::collections::BTreeMap;

use super::merge::entry;
use super::merge::Stack;
use super::LayerStats;
use crate::model::history::HistoryStep;
use crate::tree::{Entry, LayerTree};

pub use base::{BaseFrom, BaseLayers};
pub use security::runs_as_root;

/// How much a hint matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    /// As the JSON writes it: `info`, `warning`, `error`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One piece of advice, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// Stable identifier of the kind of hint (`deleted-later`, `secret-removed`, ...).
    pub id: &'static str,
    pub severity: Severity,
    /// What was found and what to do, one or two sentences; no secret content ever.
    pub message: String,
    /// Bytes at stake (0 when the hint is not about size).
    pub bytes: u64,
    /// The layer to look at.
    pub layer: Option<usize>,
    /// Normalised paths (no leading `/`), most important first, at most `MAX_PATHS`.
    pub paths: Vec<String>,
    /// How many paths the hint is about in all (`paths` may list only the first of them).
    pub paths_total: usize,
    /// Every layer the finding is in is the base image's (see `base`): the user's Dockerfile
    /// did not make it.
    pub from_base: bool,
}

/// What the hints look at.
pub struct HintInput<'a> {
    pub layers: &'a [&'a LayerTree],
    pub stack: &'a Stack,
    /// Per-layer figures, bottom first.
    pub stats: &'a [LayerStats],
    /// The config history, each step mapped to its layer.
    pub history: &'a [HistoryStep],
    /// The config's `User` (None or "" when unset).
    pub user: Option<&'a str>,
    /// The packages by layer, for hints that name the packages behind paths.
    pub packages: &'a crate::analysis::packages::Inventory,
    /// The bottom layers that are the base image's.
    pub base: BaseLayers,
}

// Thresholds. Sizes are decimal, like every size strata prints (1 kB = 1000 bytes).

/// Hidden bytes (deleted later, copied up) and package caches below this, per group, are not
/// worth a hint: a few config files rewritten by a chmod are normal.
pub const WASTE_FLOOR: u64 = 10_000;
/// From this many bytes on, a waste hint is a warning rather than an info.
pub const WARNING_BYTES: u64 = 1_000_000;
/// Compilers and headers below this are a couple of stray files, not a toolchain.
pub const TOOLCHAIN_FLOOR: u64 = 1_000_000;
/// Identical files are reported when one content hash wastes at least this much.
pub const DUPLICATE_FLOOR: u64 = 100_000;
/// A RUN layer storing less than this is "tiny"...
pub const TINY_LAYER_BYTES: u64 = 64_000;
/// ...and this many tiny RUN layers in a row could be one.
pub const TINY_RUN_STEPS: usize = 4;
/// A `COPY dir:<hash>` counts as a broad copy when an install follows within this many
/// layer-making steps (the classic builder hides what the directory was).
pub const DIR_COPY_LOOKAHEAD: usize = 3;
/// Paths listed per hint, biggest first.
pub const MAX_PATHS: usize = 20;
/// Commands quoted in messages are cut to this many characters.
const COMMAND_CHARS: usize = 60;

/// Every hint for an image: the user's own first, then the base image's; each part most
/// severe first, then by bytes.
pub fn hints(input: &HintInput<'_>) -> Vec<Hint> {
    let mut out = Vec::new();
    waste::deleted_later(input, &mut out);
    waste::metadata_copy_up(input, &mut out);
    caches::package_cache(input, &mut out);
    toolchain::build_toolchain(input, &mut out);
    steps::cache_busting_order(input, &mut out);
    security::root_user(input, &mut out);
    security::secrets_found(input, &mut out);
    waste::duplicate_content(input, &mut out);
    security::permissions(input, &mut out);
    steps::tiny_layers(input, &mut out);
    layout::written_below_non_directories(input, &mut out);
    volumes::written_under_volume(input, &mut out);
    out.sort_by(|a, b| {
        a.from_base
            .cmp(&b.from_base)
            .then_with(|| b.severity.cmp(&a.severity))
            .then_with(|| b.bytes.cmp(&a.bytes))
            .then_with(|| a.id.cmp(b.id))
            .then_with(|| a.layer.cmp(&b.layer))
            .then_with(|| a.message.cmp(&b.message))
    });
    out
}

// ---------------------------------------------------------------------------------------------
// Shared helpers.

fn size(bytes: u64) -> String {
    crate::model::units::decimal(bytes)
}

fn waste_severity(bytes: u64) -> Severity {
    if bytes >= WARNING_BYTES {
        Severity::Warning
    } else {
        Severity::Info
    }
}

/// Path -> bytes, summed; the paths biggest first (then by name), at most `MAX_PATHS`.
#[derive(Default)]
struct Paths(BTreeMap<String, u64>);

impl Paths {
    fn add(&mut self, path: &str, bytes: u64) {
        *self.0.entry(path.to_string()).or_default() += bytes;
    }

    fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// How many paths, all of them (`top` keeps at most `MAX_PATHS`).
    fn len(&self) -> usize {
        self.0.len()
    }

    fn top(&self) -> Vec<String> {
        let mut v: Vec<(&String, &u64)> = self.0.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        v.into_iter()
            .take(MAX_PATHS)
            .map(|(p, _)| p.clone())
            .collect()
    }
}

/// A short list of paths for a message: `/a, /b, /c and 4 more`. `total` is how many paths
/// there are in all: `paths` may be a cut-down list (`Paths::top`).
fn path_list(paths: &[String], total: usize, shown: usize) -> String {
    let listed = paths.iter().take(shown);
    let n = listed.len();
    let mut s = listed
        .map(|p| format!("/{p}"))
        .collect::<Vec<_>>()
        .join(", ");
    let total = total.max(paths.len());
    if total > n {
        s.push_str(&format!(" and {} more", total - n));
    }
    s
}

/// The cleaned command of the step that made `layer`, on one line and cut short.
fn command_of(history: &[HistoryStep], layer: usize) -> Option<&str> {
    history
        .iter()
        .find(|s| s.layer == Some(layer))
        .map(|s| s.command.trim())
        .filter(|c| !c.is_empty())
}

fn quote(cmd: &str) -> String {
    let one_line = cmd.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = one_line
        .chars()
        .filter(|c| !c.is_control())
        .take(COMMAND_CHARS)
        .collect();
    if one_line.chars().count() > COMMAND_CHARS {
        format!("`{cut}…`")
    } else {
        format!("`{cut}`")
    }
}

/// "`RUN x` in layer 3", or "layer 3" without history.
fn step_in_layer(history: &[HistoryStep], layer: usize) -> String {
    match command_of(history, layer) {
        Some(c) => format!("{} in layer {layer}", quote(c)),
        None => format!("layer {layer}"),
    }
}

/// "`RUN x` in layer 3" for one layer; "`RUN x` in layer 3 and the steps in layers 5 and 7"
/// for several (ascending).
fn steps_in_layers(history: &[HistoryStep], layers: &[usize]) -> String {
    match layers {
        [] => String::new(),
        [one] => step_in_layer(history, *one),
        [first, rest @ ..] => {
            let rest: Vec<String> = rest.iter().map(ToString::to_string).collect();
            format!(
                "{} and the steps in layer{} {}",
                step_in_layer(history, *first),
                if rest.len() == 1 { "" } else { "s" },
                and_list(&rest)
            )
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The layer holding the most bytes (lowest index on ties).
fn main_layer(by_layer: &BTreeMap<usize, u64>) -> Option<usize> {
    by_layer
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(l, _)| *l)
}

/// Entries of the final view (implicit directories left out): path, entry, layer.
fn final_entries<'a>(
    input: &'a HintInput<'_>,
) -> impl Iterator<Item = (&'a str, &'a Entry, usize)> {
    let stack = &input.stack;
    stack
        .top
        .live
        .iter()
        .enumerate()
        .filter_map(move |(id, loc)| {
            let loc = (*loc)?;
            let e = entry(input.layers, loc)?;
            Some((stack.paths.path(id as u32), e, loc.layer as usize))
        })
}

/// `path` is `dir` or below it; `*` in `dir` matches one component.
fn under(path: &str, dir: &str) -> bool {
    if !dir.contains('*') {
        // The common case, without splitting: `dir` itself or `dir/...`.
        return path.starts_with(dir)
            && (path.len() == dir.len() || path.as_bytes()[dir.len()] == b'/');
    }
    // What comes before the first `*` must be there as it is.
    if !dir
        .split_once('*')
        .is_some_and(|(lit, _)| path.starts_with(lit))
    {
        return false;
    }
    let mut p = path.split('/');
    for d in dir.split('/') {
        match p.next() {
            Some(c) if d == "*" || c == d => {}
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_matches_whole_components_and_stars_one() {
        assert!(under("var/cache/apk", "var/cache/apk"));
        assert!(under("var/cache/apk/APKINDEX.tar.gz", "var/cache/apk"));
        assert!(!under("var/cache/apkx/a", "var/cache/apk"));
        assert!(!under("var/cache", "var/cache/apk"));
        assert!(under("home/app/.npm/_cacache/x", "home/*/.npm"));
        assert!(under("home/app/.npm", "home/*/.npm"));
        assert!(!under("home/app/x/.npm/y", "home/*/.npm"));
        assert!(!under("homes/app/.npm/y", "home/*/.npm"));
        assert!(!under("root/.npm/y", "home/*/.npm"));
        assert!(!under("home/app", "home/*/.npm"));
    }

    #[test]
    fn path_lists_count_every_path_not_only_the_listed_ones() {
        let mut paths = Paths::default();
        for i in 0..51u64 {
            paths.add(&format!("tmp/f{i:02}"), 100 + i);
        }
        let top = paths.top();
        assert_eq!(top.len(), MAX_PATHS);
        assert_eq!(
            path_list(&top, paths.len(), 3),
            "/tmp/f50, /tmp/f49, /tmp/f48 and 48 more"
        );
        assert_eq!(path_list(&top[..2], 2, 3), "/tmp/f50, /tmp/f49");
        assert_eq!(path_list(&top[..1], 1, 1), "/tmp/f50");
    }

    #[test]
    fn lists_of_steps_read_as_a_sentence() {
        assert_eq!(steps_in_layers(&[], &[3]), "layer 3");
        assert_eq!(
            steps_in_layers(&[], &[1, 2, 3]),
            "layer 1 and the steps in layers 2 and 3"
        );
        assert_eq!(
            steps_in_layers(&[], &[1, 4]),
            "layer 1 and the steps in layer 4"
        );
        let items = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(and_list(&items(&["a", "b", "c"])), "a, b and c");
    }

    #[test]
    fn matching_dirs() {
        assert!(under("home/app/.cache/pip/x", "home/*/.cache/pip"));
        assert!(!under("home/app/.cache/yarn/x", "home/*/.cache/pip"));
        assert!(!under("var/lib/apt/listsx/y", "var/lib/apt/lists"));
    }
}
