//! Advice with evidence: every hint names the bytes at stake, the layer to look at, the paths
//! involved and a concrete fix. Pure and deterministic: the same image gives the same hints
//! in the same order. Secret hints name the kind of credential, its path and its layer, never
//! any of its content (the tree builder keeps only flags, not bytes).

use std::collections::{BTreeMap, BTreeSet};

use humansize::{format_size, DECIMAL};

use super::merge::Stack;
use super::merge::{entry, Cause};
use super::waste::digest_key;
use super::LayerStats;
use crate::model::history::HistoryStep;
use crate::tree::{secrets, Entry, EntryKind, LayerTree, FLAG_PRIVATE_KEY, FLAG_TOKEN};

/// How much a hint matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
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

/// Every hint for an image, most severe first, then by bytes.
pub fn hints(input: &HintInput<'_>) -> Vec<Hint> {
    let mut out = Vec::new();
    deleted_later(input, &mut out);
    metadata_copy_up(input, &mut out);
    package_cache(input, &mut out);
    build_toolchain(input, &mut out);
    cache_busting_order(input, &mut out);
    root_user(input, &mut out);
    secrets_found(input, &mut out);
    duplicate_content(input, &mut out);
    permissions(input, &mut out);
    tiny_layers(input, &mut out);
    written_below_non_directories(input, &mut out);
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
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
    format_size(bytes, DECIMAL)
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

// ---------------------------------------------------------------------------------------------
// 1, 2: bytes hidden by a later layer.

fn deleted_later(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    let stack = &input.stack;
    let mut groups: BTreeMap<(usize, usize), Paths> = BTreeMap::new();
    for h in stack.hidden.iter().filter(|h| h.cause == Cause::Removed) {
        groups
            .entry((h.copy.layer as usize, h.by_layer as usize))
            .or_default()
            .add(stack.paths.path(h.path), h.bytes);
    }
    for ((stored, deleted), paths) in groups {
        let bytes = paths.total();
        if bytes < WASTE_FLOOR {
            continue;
        }
        let top = paths.top();
        let fix = if stored == 0 && input.layers.len() > 1 {
            "files of the base layer cannot be removed this way: pick a slimmer base image, or \
             use a multi-stage build and COPY only what the app needs"
        } else {
            "delete in the same RUN that creates the files, or use a multi-stage build"
        };
        out.push(Hint {
            id: "deleted-later",
            severity: waste_severity(bytes),
            message: format!(
                "{} does not shrink the image: {} still ship in layer {stored} ({}); {fix}",
                step_in_layer(input.history, deleted),
                size(bytes),
                path_list(&top, paths.len(), 3),
            ),
            bytes,
            layer: Some(stored),
            paths: top,
            paths_total: paths.len(),
        });
    }
}

fn metadata_copy_up(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    let stack = &input.stack;
    let mut groups: BTreeMap<usize, Paths> = BTreeMap::new();
    for h in stack.hidden.iter().filter(|h| h.cause == Cause::CopyUp) {
        groups
            .entry(h.by_layer as usize)
            .or_default()
            .add(stack.paths.path(h.path), h.bytes);
    }
    for (layer, paths) in groups {
        let bytes = paths.total();
        if bytes < WASTE_FLOOR {
            continue;
        }
        let top = paths.top();
        out.push(Hint {
            id: "metadata-copy-up",
            severity: waste_severity(bytes),
            message: format!(
                "chmod/chown in {} copied {} of unchanged files ({}); use COPY --chmod/--chown, \
                 or chmod in the layer that creates the files",
                step_in_layer(input.history, layer),
                size(bytes),
                path_list(&top, paths.len(), 3),
            ),
            bytes,
            layer: Some(layer),
            paths: top,
            paths_total: paths.len(),
        });
    }
}

// ---------------------------------------------------------------------------------------------
// 3: package-manager caches left in the final view.

/// A package manager: its cache directories and how to keep them out of the image.
struct Manager {
    name: &'static str,
    dirs: &'static [&'static str],
    fix: &'static str,
}

const MANAGERS: &[Manager] = &[
    Manager {
        name: "apt",
        dirs: &["var/lib/apt/lists", "var/cache/apt"],
        fix: "end the RUN that runs apt-get install with `apt-get clean && rm -rf \
              /var/lib/apt/lists/*` (same RUN, or the files stay in the layer)",
    },
    Manager {
        name: "apk",
        dirs: &["var/cache/apk"],
        fix: "use `apk add --no-cache` so the index never lands in a layer",
    },
    Manager {
        name: "pip",
        dirs: &["root/.cache/pip", "home/*/.cache/pip"],
        fix: "use `pip install --no-cache-dir` (or ENV PIP_NO_CACHE_DIR=1)",
    },
    Manager {
        name: "npm",
        dirs: &["root/.npm", "home/*/.npm"],
        fix: "run `npm cache clean --force` in the same RUN as the install, or use \
              `RUN --mount=type=cache,target=/root/.npm`",
    },
    Manager {
        name: "yarn",
        dirs: &[
            "usr/local/share/.cache/yarn",
            "root/.cache/yarn",
            "home/*/.cache/yarn",
        ],
        fix: "run `yarn cache clean` in the same RUN as `yarn install`, or use \
              `RUN --mount=type=cache`",
    },
    Manager {
        name: "dnf/yum",
        dirs: &["var/cache/dnf", "var/cache/yum"],
        fix: "end the RUN that installs packages with `dnf clean all` (`yum clean all`)",
    },
    Manager {
        name: "go build",
        dirs: &["root/.cache/go-build", "home/*/.cache/go-build"],
        fix: "run `go clean -cache` in the same RUN as `go build`, or use \
              `RUN --mount=type=cache,target=/root/.cache/go-build`",
    },
];

fn package_cache(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    let mut found: Vec<(Paths, BTreeMap<usize, u64>)> = MANAGERS
        .iter()
        .map(|_| (Paths::default(), BTreeMap::new()))
        .collect();
    // The top-level directories the caches live in: most paths are ruled out by one compare.
    let mut tops: Vec<&str> = MANAGERS
        .iter()
        .flat_map(|m| m.dirs.iter())
        .map(|d| d.split('/').next().unwrap_or(d))
        .collect();
    tops.sort_unstable();
    tops.dedup();
    for (path, e, layer) in final_entries(input) {
        if e.kind != EntryKind::File || e.size == 0 {
            continue;
        }
        let top = path.split('/').next().unwrap_or(path);
        if !tops.contains(&top) {
            continue;
        }
        if let Some(i) = MANAGERS
            .iter()
            .position(|m| m.dirs.iter().any(|d| under(path, d) && path != *d))
        {
            found[i].0.add(path, e.size);
            *found[i].1.entry(layer).or_default() += e.size;
        }
    }
    for (m, (paths, layers)) in MANAGERS.iter().zip(found) {
        let bytes = paths.total();
        if bytes < WASTE_FLOOR {
            continue;
        }
        let layer = main_layer(&layers);
        let top = paths.top();
        let dirs: BTreeSet<String> = top
            .iter()
            .filter_map(|p| m.dirs.iter().find(|d| under(p, d)).map(|d| (p, d)))
            .map(|(p, d)| {
                let n = d.split('/').count();
                format!("/{}", p.split('/').take(n).collect::<Vec<_>>().join("/"))
            })
            .collect();
        out.push(Hint {
            id: "package-cache",
            severity: waste_severity(bytes),
            message: format!(
                "the {} cache ({}) keeps {} in the image{}; {}",
                m.name,
                dirs.into_iter().collect::<Vec<_>>().join(", "),
                size(bytes),
                layer.map_or(String::new(), |l| format!(", mostly from layer {l}")),
                m.fix,
            ),
            bytes,
            layer,
            paths: top,
            paths_total: paths.len(),
        });
    }
}

// ---------------------------------------------------------------------------------------------
// 4: compilers and development files in the final view.

/// What part of a build toolchain a path belongs to.
fn toolchain_part(path: &str) -> Option<&'static str> {
    let name = crate::model::path::file_name(path);
    if path.starts_with("usr/lib/gcc/")
        || path.starts_with("usr/libexec/gcc/")
        || (under(path, "usr/bin")
            && path.matches('/').count() == 2
            && (name.starts_with("gcc")
                || name.starts_with("g++")
                || name.starts_with("cc1")
                || name.contains("-gcc")
                || name.contains("-g++")))
    {
        return Some("gcc");
    }
    if path.starts_with("usr/include/") || path.starts_with("usr/local/include/") {
        return Some("C headers");
    }
    if path.starts_with("usr/local/go/") {
        return Some("Go toolchain");
    }
    if [
        "root/.rustup/",
        "root/.cargo/",
        "usr/local/rustup/",
        "usr/local/cargo/",
    ]
    .iter()
    .any(|p| path.starts_with(p))
    {
        return Some("Rust toolchain");
    }
    if path.starts_with("node_modules/node-gyp/")
        || path.contains("/node_modules/node-gyp/")
        || path.starts_with("root/.cache/node-gyp/")
    {
        return Some("node-gyp");
    }
    None
}

fn build_toolchain(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    let mut paths = Paths::default();
    let mut layers: BTreeMap<usize, u64> = BTreeMap::new();
    let mut parts: BTreeMap<&'static str, u64> = BTreeMap::new();
    for (path, e, layer) in final_entries(input) {
        if e.kind != EntryKind::File {
            continue;
        }
        if let Some(part) = toolchain_part(path) {
            paths.add(path, e.size);
            *layers.entry(layer).or_default() += e.size;
            *parts.entry(part).or_default() += e.size;
        }
    }
    let bytes = paths.total();
    if bytes < TOOLCHAIN_FLOOR {
        return;
    }
    let mut parts: Vec<(&str, u64)> = parts.into_iter().collect();
    parts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let layer = main_layer(&layers);
    out.push(Hint {
        id: "build-toolchain",
        severity: waste_severity(bytes),
        message: format!(
            "build tools take {} of the final image ({}){}; suggest a multi-stage build: \
             compile in a builder stage and COPY only the artefacts into a slim runtime stage",
            size(bytes),
            parts
                .iter()
                .map(|(p, b)| format!("{p} {}", size(*b)))
                .collect::<Vec<_>>()
                .join(", "),
            layer.map_or(String::new(), |l| format!(", mostly from layer {l}")),
        ),
        bytes,
        layer,
        paths: paths.top(),
        paths_total: paths.len(),
    });
}

// ---------------------------------------------------------------------------------------------
// 5: a broad COPY before a dependency install.

/// What a COPY/ADD step copies, as far as the history tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CopyKind {
    /// The whole build context (`COPY . .`).
    Broad,
    /// A directory the classic builder names only by hash (`COPY dir:<hash> in /app`).
    Dir,
}

fn copy_kind(cmd: &str) -> Option<CopyKind> {
    let mut words = cmd.split_whitespace();
    let verb = words.next()?;
    if !verb.eq_ignore_ascii_case("COPY") && !verb.eq_ignore_ascii_case("ADD") {
        return None;
    }
    let mut args = Vec::new();
    for w in words {
        let w = w.trim_matches(|c| c == '[' || c == ']' || c == '"' || c == ',');
        if w.is_empty() {
            continue;
        }
        if w.starts_with("--") && args.is_empty() {
            // From another stage or image: not the build context.
            if w.starts_with("--from") {
                return None;
            }
            continue;
        }
        args.push(w);
    }
    if args.len() < 2 {
        return None;
    }
    let sources = match args.iter().rposition(|w| *w == "in") {
        Some(i) if i + 2 == args.len() => &args[..i],
        _ => &args[..args.len() - 1],
    };
    if sources
        .iter()
        .any(|s| matches!(*s, "." | "./" | "*" | "./*"))
    {
        return Some(CopyKind::Broad);
    }
    if sources.iter().any(|s| s.starts_with("dir:")) {
        return Some(CopyKind::Dir);
    }
    None
}

/// An ecosystem's dependency install, with the manifests to copy before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Install {
    what: &'static str,
    manifests: &'static str,
}

const NODE: &str = "package.json + lock file";

/// The dependency install a RUN command performs, if any.
fn install_in(cmd: &str) -> Option<Install> {
    let rest = run_body(cmd)?;
    let spaced = rest
        .replace("&&", " ; ")
        .replace("||", " ; ")
        .replace(['|', '\n'], " ; ");
    spaced
        .split(';')
        .find_map(|seg| install_in_segment(&seg.split_whitespace().collect::<Vec<_>>()))
}

/// The shell text of a RUN step: `RUN x`, or the classic builder's `|2 A=1 B=2 /bin/sh -c x`
/// for a RUN with build args (which the cleaned command keeps as is).
fn run_body(cmd: &str) -> Option<&str> {
    if let Some(rest) = cmd.strip_prefix("RUN ") {
        return Some(rest);
    }
    if cmd.starts_with('|') {
        const SHELL: &str = "/bin/sh -c ";
        return cmd.find(SHELL).map(|i| &cmd[i + SHELL.len()..]);
    }
    None
}

/// Words that may precede the program of a shell command: env assignments, wrappers, the
/// shell itself and RUN flags such as `--mount=...`.
fn is_prefix_word(w: &str) -> bool {
    w.starts_with('-')
        || w.contains('=')
        || matches!(
            w,
            "sudo"
                | "exec"
                | "env"
                | "time"
                | "nice"
                | "command"
                | "sh"
                | "bash"
                | "/bin/sh"
                | "/bin/bash"
        )
}

fn install_in_segment(words: &[&str]) -> Option<Install> {
    // Only the program of the command counts (`echo yarn` installs nothing).
    let mut k = words.iter().position(|w| !is_prefix_word(w))?;
    let mut tool = crate::model::path::file_name(words[k]);
    if tool.starts_with("python") && words.get(k + 1) == Some(&"-m") {
        k += 2;
        tool = words.get(k).copied()?;
    }
    let rest = &words[k + 1..];
    let args: Vec<&str> = rest
        .iter()
        .copied()
        .filter(|w| !w.starts_with('-'))
        .collect();
    let first = args.first().copied();
    match tool {
        "npm"
            if matches!(first, Some("install" | "i" | "ci"))
                && !rest.iter().any(|w| *w == "-g" || *w == "--global") =>
        {
            Some(Install {
                what: "npm install",
                manifests: NODE,
            })
        }
        "pnpm" if matches!(first, Some("install" | "i")) => Some(Install {
            what: "pnpm install",
            manifests: NODE,
        }),
        "yarn" if matches!(first, None | Some("install")) => Some(Install {
            what: "yarn install",
            manifests: NODE,
        }),
        "pip" | "pip3" | "pip2"
            if first == Some("install")
                && rest
                    .iter()
                    .any(|w| w.starts_with("-r") || w.starts_with("--requirement")) =>
        {
            Some(Install {
                what: "pip install -r",
                manifests: "requirements.txt",
            })
        }
        "go" if args.starts_with(&["mod", "download"]) => Some(Install {
            what: "go mod download",
            manifests: "go.mod/go.sum",
        }),
        "bundle" if matches!(first, None | Some("install")) => Some(Install {
            what: "bundle install",
            manifests: "Gemfile + Gemfile.lock",
        }),
        "mvn" | "mvnw" if args.iter().any(|a| a.starts_with("dependency:")) => Some(Install {
            what: "mvn dependency:",
            manifests: "pom.xml",
        }),
        "composer" if first == Some("install") => Some(Install {
            what: "composer install",
            manifests: "composer.json + composer.lock",
        }),
        "cargo" if matches!(first, Some("fetch" | "build")) => Some(Install {
            what: "cargo fetch/build",
            manifests: "Cargo.toml + Cargo.lock",
        }),
        "poetry" if first == Some("install") => Some(Install {
            what: "poetry install",
            manifests: "pyproject.toml + poetry.lock",
        }),
        "pipenv" if first == Some("install") => Some(Install {
            what: "pipenv install",
            manifests: "Pipfile + Pipfile.lock",
        }),
        _ => None,
    }
}

/// File names that declare dependencies: what to copy before the install.
const MANIFESTS: &[&str] = &[
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "requirements.txt",
    "pyproject.toml",
    "poetry.lock",
    "Pipfile",
    "Pipfile.lock",
    "go.mod",
    "go.sum",
    "Gemfile",
    "Gemfile.lock",
    "pom.xml",
    "composer.json",
    "composer.lock",
    "Cargo.toml",
    "Cargo.lock",
];

fn is_manifest(path: &str) -> bool {
    let name = crate::model::path::file_name(path);
    (MANIFESTS.contains(&name) || (name.starts_with("requirements") && name.ends_with(".txt")))
        && !path
            .split('/')
            .any(|c| c == "node_modules" || c == "vendor")
}

fn cache_busting_order(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    // Layer-making steps, in order.
    let steps: Vec<&HistoryStep> = input
        .history
        .iter()
        .filter(|s| !s.empty_layer && s.layer.is_some())
        .collect();
    let mut broad: Option<&HistoryStep> = None;
    let mut reported = BTreeSet::new();
    for (i, step) in steps.iter().enumerate() {
        if let Some(install) = install_in(&step.command) {
            if let (Some(copy), Some(layer)) = (broad, step.layer) {
                if reported.insert(layer) {
                    out.push(busting_hint(input, copy, step, layer, install));
                }
            }
        }
        if broad.is_none() {
            broad = match copy_kind(&step.command) {
                Some(CopyKind::Broad) => Some(step),
                Some(CopyKind::Dir)
                    if steps[i + 1..]
                        .iter()
                        .take(DIR_COPY_LOOKAHEAD)
                        .any(|s| install_in(&s.command).is_some()) =>
                {
                    Some(step)
                }
                _ => None,
            };
        }
    }
}

fn busting_hint(
    input: &HintInput<'_>,
    copy: &HistoryStep,
    install_step: &HistoryStep,
    layer: usize,
    install: Install,
) -> Hint {
    let bytes = input.stats.get(layer).map_or(0, |s| s.size);
    let mut manifests = Paths::default();
    if let Some(tree) = copy.layer.and_then(|l| input.layers.get(l)) {
        for e in tree
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::File && is_manifest(&e.path))
        {
            manifests.add(&e.path, e.size);
        }
    }
    let found = manifests.top();
    let named = if found.is_empty() {
        String::new()
    } else {
        format!(": {}", path_list(&found, manifests.len(), 4))
    };
    Hint {
        id: "cache-busting-order",
        severity: waste_severity(bytes),
        message: format!(
            "{} comes before {} ({}), so every source change re-runs the install and re-ships \
             its {}; copy the dependency manifests first ({}{named}), install, then COPY the \
             rest",
            step_in_layer(input.history, copy.layer.unwrap_or(layer)),
            step_in_layer(input.history, layer),
            install.what,
            size(bytes),
            install.manifests,
        ),
        bytes,
        layer: Some(install_step.layer.unwrap_or(layer)),
        paths: found,
        paths_total: manifests.len(),
    }
}

// ---------------------------------------------------------------------------------------------
// 6: the container user.

/// The config's user means root: unset, empty, or a user part of `root` or uid 0 however it
/// is written (`0`, `00`, `+0`, `-0`: runc reads a numeric user with Go's `strconv.Atoi`).
pub fn runs_as_root(user: Option<&str>) -> bool {
    let user = user.unwrap_or("").trim();
    let name = user.split(':').next().unwrap_or("").trim();
    let digits = name.strip_prefix(['+', '-']).unwrap_or(name);
    name.is_empty()
        || name == "root"
        || (!digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && digits.bytes().all(|b| b == b'0'))
}

fn root_user(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    if !runs_as_root(input.user) {
        return;
    }
    let shown = match input.user.map(str::trim) {
        None | Some("") => "User is unset".to_string(),
        Some(u) => format!("User is \"{u}\""),
    };
    out.push(Hint {
        id: "root-user",
        severity: Severity::Warning,
        message: format!(
            "the container runs as root ({shown}); add a USER with a non-root uid (e.g. \
             `USER 1000:1000`) after the steps that need root"
        ),
        bytes: 0,
        layer: None,
        paths: Vec::new(),
        paths_total: 0,
    });
}

// ---------------------------------------------------------------------------------------------
// 7: credentials, visible or merely hidden.

/// What credential a file is, if it is one: by name for files that are secrets whatever they
/// hold, by name and content flags for files that may as well be harmless (a `.pem`
/// certificate, an `.npmrc` naming a registry).
fn secret_kind(e: &Entry) -> Option<String> {
    if e.kind != EntryKind::File {
        return None;
    }
    let kind = secrets::kind(&e.path)?;
    let name = e.name().to_ascii_lowercase();
    let by_name = match kind {
        "SSH private key" | "AWS credentials" => true,
        "environment file" => ![".example", ".sample", ".template", ".dist"]
            .iter()
            .any(|s| name.ends_with(s)),
        _ => name == ".git-credentials",
    };
    let flagged = e.flags & (FLAG_PRIVATE_KEY | FLAG_TOKEN) != 0;
    if !by_name && !flagged {
        return None;
    }
    let what = if e.flags & FLAG_PRIVATE_KEY != 0 && kind != "SSH private key" {
        format!("{kind} holding a private key")
    } else if e.flags & FLAG_TOKEN != 0 {
        format!("{kind} holding a token or password")
    } else {
        kind.to_string()
    };
    Some(what)
}

fn secrets_found(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    // Visible: grouped by layer and kind.
    let mut visible: BTreeMap<(usize, String), Paths> = BTreeMap::new();
    for (path, e, layer) in final_entries(input) {
        if let Some(kind) = secret_kind(e) {
            visible.entry((layer, kind)).or_default().add(path, e.size);
        }
    }
    for ((layer, kind), paths) in visible {
        let top = paths.top();
        out.push(Hint {
            id: "secret",
            severity: Severity::Error,
            message: format!(
                "{kind} in the final image: {} (layer {layer}); remove it from the image and \
                 pass it at build time with `RUN --mount=type=secret` or at run time, and \
                 rotate it if the image was ever pushed",
                path_list(&top, paths.len(), 5),
            ),
            bytes: paths.total(),
            layer: Some(layer),
            paths: top,
            paths_total: paths.len(),
        });
    }

    // Hidden by a later layer but still stored: grouped by storing layer, hiding layer, kind.
    // The hiding step's command is not quoted: it may carry the credential inline.
    // A copy-up leaves the same content visible, which `secret` already reports.
    let stack = &input.stack;
    let mut hidden: BTreeMap<(usize, usize, String), Paths> = BTreeMap::new();
    for h in stack.hidden.iter().filter(|h| h.cause != Cause::CopyUp) {
        let Some(e) = entry(input.layers, h.copy) else {
            continue;
        };
        if let Some(kind) = secret_kind(e) {
            hidden
                .entry((h.copy.layer as usize, h.by_layer as usize, kind))
                .or_default()
                .add(stack.paths.path(h.path), h.bytes);
        }
    }
    for ((stored, by, kind), paths) in hidden {
        let top = paths.top();
        out.push(Hint {
            id: "secret-removed",
            severity: Severity::Error,
            message: format!(
                "{kind} {} is stored in layer {stored}; hiding it in layer {by} does not remove \
                 it: anyone who pulls the image can extract it from layer {stored}; rebuild \
                 without it (`RUN --mount=type=secret`, or a multi-stage build) and rotate it",
                path_list(&top, paths.len(), 5),
            ),
            bytes: paths.total(),
            layer: Some(stored),
            paths: top,
            paths_total: paths.len(),
        });
    }
}

// ---------------------------------------------------------------------------------------------
// 8: the same content at several paths.

/// One stored copy of a content: layer, path, size.
type Stored<'a> = (usize, &'a str, u64);

fn duplicate_content(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    // Every stored file by content, then runs of one content: no map, no Vec per file.
    let mut files: Vec<(u64, &[u8; 32], Stored<'_>)> = final_entries(input)
        .filter(|(_, e, _)| e.kind == EntryKind::File && e.size > 0)
        .filter_map(|(path, e, layer)| {
            let d = e.digest.as_ref()?;
            Some((digest_key(d), d, (layer, path, e.size)))
        })
        .collect();
    files.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    // Per group: the first stored copy is the original, later ones are the waste.
    let mut groups: Vec<(u64, Vec<Stored<'_>>)> = files
        .chunk_by(|a, b| a.1 == b.1)
        .filter(|run| run.len() > 1)
        .map(|run| {
            let mut c: Vec<Stored<'_>> = run.iter().map(|x| x.2).collect();
            c.sort();
            let wasted = c[1..].iter().map(|x| x.2).sum::<u64>();
            (wasted, c)
        })
        .filter(|(w, _)| *w >= DUPLICATE_FLOOR)
        .collect();
    if groups.is_empty() {
        return;
    }
    groups.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1[0].1.cmp(b.1[0].1)));
    let bytes: u64 = groups.iter().map(|g| g.0).sum();
    let mut layers: BTreeMap<usize, u64> = BTreeMap::new();
    for (_, copies) in &groups {
        for &(layer, _, size) in &copies[1..] {
            *layers.entry(layer).or_default() += size;
        }
    }
    let files_total = groups.iter().map(|(_, c)| c.len()).sum();
    let paths: Vec<String> = groups
        .iter()
        .flat_map(|(_, c)| c.iter().map(|x| x.1.to_string()))
        .take(MAX_PATHS)
        .collect();
    let (_, first) = &groups[0];
    let example = format!(
        "{} is the same {} as {}",
        path_list(&[first[1].1.to_string()], 1, 1),
        size(first[0].2),
        path_list(&[first[0].1.to_string()], 1, 1),
    );
    let layer = main_layer(&layers);
    out.push(Hint {
        id: "duplicate-content",
        severity: waste_severity(bytes),
        message: format!(
            "{} group{} of identical files waste {} ({example}){}; keep one copy and symlink \
             or hardlink the others, or stop copying the same files twice",
            groups.len(),
            if groups.len() == 1 { "" } else { "s" },
            size(bytes),
            layer.map_or(String::new(), |l| format!(", mostly added in layer {l}")),
        ),
        bytes,
        layer,
        paths,
        paths_total: files_total,
    });
}

// ---------------------------------------------------------------------------------------------
// Layers that write below a file, link or device without deleting it first.

fn written_below_non_directories(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    // Layer -> each non-directory written below, once: its path, what it was, from which layer.
    let mut by_layer: BTreeMap<usize, BTreeMap<&str, (&'static str, usize)>> = BTreeMap::new();
    for u in &input.stack.under_non_dirs {
        let was = entry(input.layers, u.was).map_or("dir", |e| e.kind.name());
        by_layer
            .entry(u.entry.layer as usize)
            .or_default()
            .entry(input.stack.paths.path(u.ancestor))
            .or_insert((was, u.was.layer as usize));
    }
    for (layer, found) in by_layer {
        let n = found.len();
        let listed: Vec<String> = found
            .iter()
            .take(5)
            .map(|(path, (kind, from))| format!("/{path}, a {kind} from layer {from}"))
            .collect();
        let more = if n > listed.len() {
            format!(" and {} more", n - listed.len())
        } else {
            String::new()
        };
        out.push(Hint {
            id: "written-below-non-directory",
            severity: Severity::Error,
            message: format!(
                "{} writes below {n} path{} that {} not a directory there ({}{more}); Docker \
                 and containerd refuse to unpack such a layer (\"not a directory\"), strata \
                 shows a directory. Delete the path in the same step before writing below it, \
                 or rebuild the layer with a standard builder",
                step_in_layer(input.history, layer),
                if n == 1 { "" } else { "s" },
                if n == 1 { "is" } else { "are" },
                listed.join("; "),
            ),
            bytes: 0,
            layer: Some(layer),
            paths: found
                .keys()
                .take(MAX_PATHS)
                .map(|p| p.to_string())
                .collect(),
            paths_total: n,
        });
    }
}

// ---------------------------------------------------------------------------------------------
// 9: setuid/setgid files and world-writable paths the image adds.

fn permissions(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    let skip_base = input.layers.len() > 1;
    let mut setuid: BTreeMap<usize, Paths> = BTreeMap::new();
    let mut writable: BTreeMap<usize, Paths> = BTreeMap::new();
    for (path, e, layer) in final_entries(input) {
        if skip_base && layer == 0 {
            continue;
        }
        if e.kind == EntryKind::File && e.mode & 0o6000 != 0 {
            setuid.entry(layer).or_default().add(path, e.size);
        }
        let sticky_dir = e.kind == EntryKind::Dir && e.mode & 0o1000 != 0;
        if matches!(e.kind, EntryKind::File | EntryKind::Dir) && e.mode & 0o002 != 0 && !sticky_dir
        {
            writable.entry(layer).or_default().add(path, e.size);
        }
    }
    for (layer, paths) in setuid {
        let top = paths.top();
        let n = paths.len();
        out.push(Hint {
            id: "setuid",
            severity: Severity::Warning,
            message: format!(
                "{} adds {n} setuid/setgid file{} ({}); drop the bit with `chmod u-s,g-s` in the \
                 same step (or COPY --chmod=755) unless the program must run with raised \
                 privileges",
                step_in_layer(input.history, layer),
                if n == 1 { "" } else { "s" },
                path_list(&top, paths.len(), 5),
            ),
            bytes: paths.total(),
            layer: Some(layer),
            paths: top,
            paths_total: paths.len(),
        });
    }
    for (layer, paths) in writable {
        let top = paths.top();
        let n = paths.len();
        out.push(Hint {
            id: "world-writable",
            severity: Severity::Warning,
            message: format!(
                "{} adds {n} world-writable path{} ({}); remove the bit with `chmod o-w` (give \
                 the app user ownership with COPY --chown instead), or make shared \
                 directories sticky (chmod 1777)",
                step_in_layer(input.history, layer),
                if n == 1 { "" } else { "s" },
                path_list(&top, paths.len(), 5),
            ),
            bytes: paths.total(),
            layer: Some(layer),
            paths: top,
            paths_total: paths.len(),
        });
    }
}

// ---------------------------------------------------------------------------------------------
// 10: runs of tiny RUN layers.

fn tiny_layers(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    let mut run: Vec<usize> = Vec::new();
    let mut flush = |run: &mut Vec<usize>| {
        if run.len() >= TINY_RUN_STEPS {
            out.push(tiny_hint(input, run));
        }
        run.clear();
    };
    for step in input.history.iter().filter(|s| !s.empty_layer) {
        let Some(layer) = step.layer else { continue };
        let size = input.stats.get(layer).map_or(0, |s| s.size);
        let tiny = run_body(&step.command).is_some() && size < TINY_LAYER_BYTES;
        let follows = run.last().is_none_or(|&l| l + 1 == layer);
        if !tiny || !follows {
            flush(&mut run);
        }
        if tiny {
            run.push(layer);
        }
    }
    flush(&mut run);
}

fn tiny_hint(input: &HintInput<'_>, run: &[usize]) -> Hint {
    let (first, last) = (run[0], run[run.len() - 1]);
    let mut paths = Paths::default();
    let mut bytes = 0;
    for &l in run {
        bytes += input.stats.get(l).map_or(0, |s| s.size);
        if let Some(tree) = input.layers.get(l) {
            for e in tree.entries.iter().filter(|e| e.kind == EntryKind::File) {
                paths.add(&e.path, e.size);
            }
        }
    }
    Hint {
        id: "tiny-layers",
        severity: Severity::Info,
        message: format!(
            "{} RUN steps in layers {first}..{last} could be one RUN (each adds under {}); join \
             their commands with `&&` in a single RUN to drop {} layers",
            run.len(),
            size(TINY_LAYER_BYTES),
            run.len() - 1,
        ),
        bytes,
        layer: Some(first),
        paths: paths.top(),
        paths_total: paths.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_zero_is_root_however_it_is_written() {
        for root in [
            None,
            Some(""),
            Some("root"),
            Some("0"),
            Some("00"),
            Some("+0"),
            Some("000:000"),
            Some(" 0:1000"),
            Some("-0"),
        ] {
            assert!(runs_as_root(root), "{root:?}");
        }
        for user in ["1000", "10", "app", "0app", "+", "1000:0", "-1"] {
            assert!(!runs_as_root(Some(user)), "{user}");
        }
    }

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
    fn broad_copies() {
        assert_eq!(copy_kind("COPY . ."), Some(CopyKind::Broad));
        assert_eq!(
            copy_kind("COPY --chown=app:app . /srv"),
            Some(CopyKind::Broad)
        );
        assert_eq!(copy_kind("ADD . /app"), Some(CopyKind::Broad));
        assert_eq!(copy_kind("COPY [\".\", \"/app\"]"), Some(CopyKind::Broad));
        assert_eq!(copy_kind("COPY dir:0a1b2c in /app"), Some(CopyKind::Dir));
        assert_eq!(copy_kind("COPY file:0a1b2c in /app/"), None);
        assert_eq!(copy_kind("COPY multi:0a1b2c in ./"), None);
        assert_eq!(copy_kind("COPY package*.json ./"), None);
        assert_eq!(copy_kind("COPY --from=build /out . "), None);
        assert_eq!(copy_kind("COPY --from=build . ."), None);
        assert_eq!(copy_kind("RUN cp . /x"), None);
    }

    #[test]
    fn installs() {
        let what = |c: &str| install_in(c).map(|i| i.what);
        assert_eq!(what("RUN npm ci"), Some("npm install"));
        assert_eq!(
            what("RUN apt-get update && npm install --production"),
            Some("npm install")
        );
        assert_eq!(what("RUN npm install -g pm2"), None);
        assert_eq!(what("RUN yarn --frozen-lockfile"), Some("yarn install"));
        assert_eq!(what("RUN yarn build"), None);
        assert_eq!(
            what("RUN pip install --no-cache-dir -r requirements.txt"),
            Some("pip install -r")
        );
        assert_eq!(
            what("RUN python3 -m pip install -rreq.txt"),
            Some("pip install -r")
        );
        assert_eq!(what("RUN pip install flask"), None);
        assert_eq!(what("RUN go mod download"), Some("go mod download"));
        assert_eq!(what("RUN go build ./..."), None);
        assert_eq!(what("RUN bundle install --jobs 4"), Some("bundle install"));
        assert_eq!(
            what("RUN ./mvnw -B dependency:go-offline"),
            Some("mvn dependency:")
        );
        assert_eq!(what("RUN composer install"), Some("composer install"));
        assert_eq!(what("RUN cargo build --release"), Some("cargo fetch/build"));
        assert_eq!(what("COPY npm install"), None);
        assert_eq!(what("RUN echo npm"), None);
        assert_eq!(what("RUN echo yarn"), None);
        assert_eq!(
            what("RUN cd /app && NODE_ENV=production yarn"),
            Some("yarn install")
        );
        assert_eq!(
            what("RUN --mount=type=cache,target=/root/.npm /bin/sh -c npm ci"),
            Some("npm install")
        );
        assert_eq!(
            what("|1 GOFLAGS=-mod=mod /bin/sh -c go mod download"),
            Some("go mod download")
        );
    }

    #[test]
    fn users() {
        for root in [
            None,
            Some(""),
            Some("0"),
            Some("root"),
            Some("0:0"),
            Some("root:root"),
            Some("0:1000"),
        ] {
            assert!(runs_as_root(root), "{root:?}");
        }
        for user in [
            Some("1000"),
            Some("1000:0"),
            Some("app"),
            Some("nobody:nogroup"),
        ] {
            assert!(!runs_as_root(user), "{user:?}");
        }
    }

    #[test]
    fn matching_dirs() {
        assert!(under("home/app/.cache/pip/x", "home/*/.cache/pip"));
        assert!(!under("home/app/.cache/yarn/x", "home/*/.cache/pip"));
        assert!(!under("var/lib/apt/listsx/y", "var/lib/apt/lists"));
        assert_eq!(toolchain_part("usr/bin/gcc-12"), Some("gcc"));
        assert_eq!(
            toolchain_part("usr/bin/x86_64-linux-gnu-gcc-12"),
            Some("gcc")
        );
        assert_eq!(toolchain_part("usr/bin/gcov"), None);
        assert_eq!(
            toolchain_part("app/node_modules/node-gyp/lib/build.js"),
            Some("node-gyp")
        );
        assert!(is_manifest("app/package.json"));
        assert!(!is_manifest("app/node_modules/x/package.json"));
    }
}
