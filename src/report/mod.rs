//! The `strata.report/v1` document (DESIGN.md section 4): one model, rendered as JSON by serde,
//! as text by `text.rs` and as a page by `html/`. Field names are stable: add fields, never rename.

pub mod ci;
pub mod diff;
pub mod html;
pub mod markdown;
pub mod markdown_util;
pub mod sbom;
pub mod text;

use std::collections::BTreeMap;

use crate::tree::paths::{PathId, PathTable};
use serde::Serialize;

use crate::analysis::Analysis;
use crate::load::Image;
use crate::model::history::{self, HistoryStep};

pub const SCHEMA: &str = "strata.report/v1";

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub image: ImageInfo,
    pub layers: Vec<LayerRow>,
    /// Every config history step, as `model::history` reads it.
    pub history: Vec<HistoryStep>,
    pub totals: Totals,
    pub waste: WasteReport,
    pub dive_compat: DiveReport,
    pub hints: Vec<Hint>,
    /// The bottom layers the hints count as the base image's (`from_base`): `layers`, and
    /// `by` `history` (read from the history's marks) or `--base`.
    pub hints_base: crate::analysis::hints::BaseLayers,
    /// The split between the base image and what this image adds: from `--base IMAGE`, or
    /// only the base's name and digest from the OCI annotations. Absent when neither.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<BaseInfo>,
    /// Every package installed in some layer (DESIGN section 3b), largest first.
    pub packages: Vec<PackageRow>,
    /// Package databases that could not be read.
    pub packages_unreadable: Vec<crate::model::packages::Unreadable>,
    /// Bytes of the final view no package owns (DESIGN's `unowned`).
    pub packages_unowned: u64,
    /// What the final view's os-release says (`ID`, `VERSION_ID`), when it has one.
    pub distro: Option<crate::model::packages::Distro>,
}

/// One package (DESIGN section 3b).
#[derive(Debug, Clone, Serialize)]
pub struct PackageRow {
    pub ecosystem: crate::model::packages::Ecosystem,
    pub name: String,
    pub version: String,
    pub arch: Option<String>,
    pub purl: String,
    /// The first layer in whose merged view it is installed.
    pub layer: usize,
    pub changes: Vec<crate::model::packages::PackageChange>,
    /// With a leading `/`.
    pub files: SlashedFiles,
    /// Bytes of its files in the final view; 0 when removed.
    pub size: u64,
    pub removed: bool,
    /// For a removed package, the bytes of its files the removal hid (still shipped).
    pub hidden_bytes: u64,
    /// A build tool (compiler, headers, build system).
    pub toolchain: bool,
    /// The file that records it, with a leading `/`.
    pub location: String,
    pub license: Option<String>,
    pub source: Option<String>,
}

/// What of an image comes from its base (layers matched by diff_id, in order from the
/// bottom) and what the image adds on top.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BaseInfo {
    /// `--base` as given, or the `org.opencontainers.image.base.name` annotation.
    pub reference: Option<String>,
    /// The `org.opencontainers.image.base.digest` annotation.
    pub digest: Option<String>,
    /// Layers of this image that are the base's (`null` when only the annotations are known).
    pub layers: Option<usize>,
    /// Whether every layer of the given base was found at the bottom of this image.
    pub complete: Option<bool>,
    pub base_bytes: Option<u64>,
    pub base_compressed_bytes: Option<u64>,
    pub added_bytes: Option<u64>,
    pub added_compressed_bytes: Option<u64>,
    /// Unreachable bytes hidden by the image's own layers (what its Dockerfile wastes),
    /// split by cause; the rest of `waste.unreachable_bytes` comes with the base.
    pub added_unreachable_bytes: Option<u64>,
    pub added_overwritten: Option<u64>,
    pub added_copy_up: Option<u64>,
    pub added_removed: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageInfo {
    pub reference: String,
    /// Manifest digest where the source has one (OCI layouts); `null` for docker archives.
    pub digest: Option<String>,
    /// Config digest: the image ID.
    pub id: String,
    pub format: &'static str,
    pub names: Vec<String>,
    pub platform: String,
    pub created: Option<String>,
    pub config: ConfigInfo,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ConfigInfo {
    pub user: Option<String>,
    pub env: Vec<String>,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub workdir: Option<String>,
    pub exposed_ports: Vec<String>,
    pub labels: BTreeMap<String, String>,
    // The rest of the config, each present only when the image's config has it (so a
    // document of an image without them is as it was).
    /// `VOLUME` mount points.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<HealthcheckInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shell: Option<Vec<String>>,
    /// `ONBUILD` instructions, as recorded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub on_build: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub args_escaped: Option<bool>,
}

impl ConfigInfo {
    /// What the config says (`None`: a config without one), with the empty forms of "not
    /// set" left out.
    pub fn of(rc: Option<&crate::model::image::RuntimeConfig>) -> ConfigInfo {
        let rc = rc.cloned().unwrap_or_default();
        ConfigInfo {
            user: rc.user,
            env: rc.env.unwrap_or_default(),
            entrypoint: rc.entrypoint,
            cmd: rc.cmd,
            workdir: rc.working_dir.filter(|w| !w.is_empty()),
            exposed_ports: rc.exposed_ports.unwrap_or_default().into_keys().collect(),
            labels: rc.labels.unwrap_or_default(),
            volumes: rc.volumes.unwrap_or_default().into_keys().collect(),
            stop_signal: rc.stop_signal,
            healthcheck: rc.healthcheck.map(HealthcheckInfo::of),
            shell: rc.shell,
            on_build: rc.on_build.unwrap_or_default(),
            args_escaped: rc.args_escaped,
        }
    }

    /// The config as (label, value) rows, in `docker inspect`'s words: User, Workdir,
    /// Entrypoint, Cmd and Ports always (empty when unset; an unset user is `(root)`), then
    /// one row per Env variable and Label, then Volumes, StopSignal, Healthcheck, Shell, each
    /// OnBuild step and ArgsEscaped where the config has them. Values are as recorded (the
    /// caller escapes them for the terminal).
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        let list =
            |v: &Option<Vec<String>>| v.as_ref().map(|e| format!("{e:?}")).unwrap_or_default();
        let mut rows = vec![
            (
                "User",
                self.user
                    .clone()
                    .filter(|u| !u.is_empty())
                    .unwrap_or_else(|| "(root)".into()),
            ),
            ("Workdir", self.workdir.clone().unwrap_or_default()),
            ("Entrypoint", list(&self.entrypoint)),
            ("Cmd", list(&self.cmd)),
            ("Ports", self.exposed_ports.join(", ")),
        ];
        rows.extend(self.env.iter().map(|e| ("Env", e.clone())));
        rows.extend(
            self.labels
                .iter()
                .map(|(k, v)| ("Label", format!("{k}={v}"))),
        );
        if !self.volumes.is_empty() {
            rows.push(("Volumes", self.volumes.join(", ")));
        }
        if let Some(s) = &self.stop_signal {
            rows.push(("StopSignal", s.clone()));
        }
        if let Some(h) = &self.healthcheck {
            rows.push(("Healthcheck", h.summary()));
        }
        if self.shell.is_some() {
            rows.push(("Shell", list(&self.shell)));
        }
        rows.extend(self.on_build.iter().map(|o| ("OnBuild", o.clone())));
        if let Some(a) = self.args_escaped {
            rows.push(("ArgsEscaped", a.to_string()));
        }
        rows
    }
}

/// The config's `Healthcheck`; durations in nanoseconds as the config records them (absent or
/// 0: docker's default).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HealthcheckInfo {
    /// `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`.
    pub test: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_period: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<i64>,
}

impl HealthcheckInfo {
    fn of(h: crate::model::image::Healthcheck) -> HealthcheckInfo {
        HealthcheckInfo {
            test: h.test.unwrap_or_default(),
            interval: h.interval,
            timeout: h.timeout,
            start_period: h.start_period,
            start_interval: h.start_interval,
            retries: h.retries,
        }
    }

    /// One line, as `docker inspect` users read it: `CMD curl -f http://localhost/ (interval
    /// 30s, timeout 5s, retries 3)`; `NONE` says the inherited check is off.
    pub fn summary(&self) -> String {
        let test = match self.test.split_first() {
            Some((kind, _)) if kind == "NONE" => return "NONE (inherited check disabled)".into(),
            Some((kind, rest)) if kind == "CMD" => format!("CMD {rest:?}"),
            Some((kind, rest)) if kind == "CMD-SHELL" => format!("CMD-SHELL {}", rest.join(" ")),
            Some(_) => format!("{:?}", self.test),
            None => "(inherited test)".into(),
        };
        let mut opts = Vec::new();
        for (name, ns) in [
            ("interval", self.interval),
            ("timeout", self.timeout),
            ("start period", self.start_period),
            ("start interval", self.start_interval),
        ] {
            if let Some(ns) = ns.filter(|n| *n != 0) {
                opts.push(format!("{name} {}", crate::model::units::duration_ns(ns)));
            }
        }
        if let Some(r) = self.retries.filter(|r| *r != 0) {
            opts.push(format!("retries {r}"));
        }
        if opts.is_empty() {
            test
        } else {
            format!("{test} ({})", opts.join(", "))
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LayerRow {
    pub index: usize,
    pub digest: Option<String>,
    pub diff_id: Option<String>,
    pub media_type: String,
    /// Detected from the bytes: `gzip`, `zstd` or `uncompressed`.
    pub compression: &'static str,
    pub compressed_size: u64,
    pub size: u64,
    /// Raw `created_by` of the history step that made the layer.
    pub created_by: Option<String>,
    /// `created_by` cleaned for display.
    pub command: Option<String>,
    pub entries: u64,
    pub added: u64,
    pub modified: u64,
    pub metadata_only: u64,
    pub unchanged: u64,
    pub removed: u64,
    /// Bytes of lower layers this layer made unreachable.
    pub unreachable_bytes: u64,
    /// Bytes of this layer that later layers hid.
    pub hidden_later_bytes: u64,
    /// The digests this layer's bytes were checked against, in this run or when they
    /// entered the cache: `["digest"]`, `["diff_id"]` or both.
    pub verified: Vec<&'static str>,
    /// Packages this layer installed, removed, and upgraded, downgraded or reinstalled.
    pub packages_added: u32,
    pub packages_removed: u32,
    pub packages_changed: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub total_bytes: u64,
    pub final_bytes: u64,
    pub compressed_bytes: u64,
    /// Regular files in the final merged view.
    pub files: u64,
    /// All entries (files, dirs, links, devices) in the final merged view.
    pub entries: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct WasteReport {
    pub unreachable_bytes: u64,
    pub overwritten: u64,
    pub removed: u64,
    pub copy_up: u64,
    pub duplicate: u64,
    pub cache: u64,
    pub efficiency: f64,
    pub top: Vec<TopRow>,
}

impl WasteReport {
    /// The causes in the order every output lists them: the name a person reads (`copy-up`
    /// for the JSON's `copy_up`), the bytes, and what the cause means.
    pub fn causes(&self) -> [(&'static str, u64, &'static str); 5] {
        [
            (
                "overwritten",
                self.overwritten,
                "a later layer wrote the path with new content",
            ),
            (
                "copy-up",
                self.copy_up,
                "a later layer changed only metadata (chmod/chown/touch)",
            ),
            (
                "removed",
                self.removed,
                "deleted by a later layer, but its bytes still ship",
            ),
            (
                "duplicate",
                self.duplicate,
                "visible, same content at several paths",
            ),
            ("cache", self.cache, "visible, package-manager caches"),
        ]
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TopRow {
    pub path: String,
    pub bytes: u64,
    pub cause: &'static str,
    pub layers: Vec<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_as: Option<String>,
    /// The files the row stands for: 1 for a file; for a directory (a cache, or a removed
    /// directory whose files' copies still ship), how many files under it.
    pub files: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiveReport {
    pub efficiency: f64,
    pub wasted_bytes: u64,
    /// `null` where dive's value is NaN (no user layers, nothing wasted) or infinite.
    pub user_wasted_percent: Option<f64>,
    pub size_bytes: u64,
    pub user_size_bytes: u64,
    pub layer_sizes: Vec<u64>,
    pub inefficient_files: Vec<DiveFile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiveFile {
    pub path: String,
    pub count: u64,
    pub size_bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hint {
    pub id: String,
    /// `info`, `warning` or `error`.
    pub severity: crate::analysis::hints::Severity,
    pub message: String,
    pub bytes: u64,
    pub layer: Option<usize>,
    /// With a leading `/`; at most the first 20.
    pub paths: Vec<String>,
    /// How many paths there are in all (the text report counts the ones not listed).
    #[serde(skip)]
    pub paths_total: usize,
    /// Every layer the finding is in is the base image's (`hints_base`): listed after the
    /// image's own hints.
    pub from_base: bool,
}

fn slash(path: &str) -> String {
    format!("/{path}")
}

/// A package's files as the JSON lists them (each with a leading `/`), serialised from what
/// the inventory keeps (the one joined string of a database's list, or an npm package's ids
/// in the image's path table): no string per path, on node-app 113k of them.
#[derive(Debug, Clone)]
pub enum SlashedFiles {
    Listed(crate::model::packages::Files),
    Ids(std::sync::Arc<PathTable>, Vec<PathId>),
}

impl SlashedFiles {
    pub fn iter(&self) -> Box<dyn Iterator<Item = String> + '_> {
        match self {
            SlashedFiles::Listed(files) => Box::new(files.iter().map(slash)),
            SlashedFiles::Ids(table, ids) => Box::new(ids.iter().map(|&id| slash(table.path(id)))),
        }
    }
}

impl Serialize for SlashedFiles {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SlashedFiles::Listed(files) => serializer.collect_seq(files.iter().map(SlashedPath)),
            SlashedFiles::Ids(table, ids) => {
                serializer.collect_seq(ids.iter().map(|&id| SlashedPath(table.path(id))))
            }
        }
    }
}

/// One path, written with its leading `/` without building the string.
struct SlashedPath<'a>(&'a str);

impl Serialize for SlashedPath<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("/{}", self.0))
    }
}

/// How many layers at the bottom of `image` are `base`'s, matched by diff_id in order.
pub fn shared_base_layers(image: &Image, base: &Image) -> usize {
    image
        .layers
        .iter()
        .zip(&base.layers)
        .take_while(|(a, b)| a.desc.diff_id.is_some() && a.desc.diff_id == b.desc.diff_id)
        .count()
}

/// `ids`: the package's files in `table` (`Inventory::owned`), which stand for an installed
/// npm package's list.
fn package_row(
    p: &crate::model::packages::Package,
    ids: &[PathId],
    table: &std::sync::Arc<PathTable>,
) -> PackageRow {
    let files = if p.ecosystem == crate::model::packages::Ecosystem::Npm && !p.removed {
        // In the path table's order (the order the layers list them), as a listed package's
        // files are in its list's order: sorting 113k paths by name cost more than it says.
        SlashedFiles::Ids(table.clone(), ids.to_vec())
    } else {
        SlashedFiles::Listed(p.files.clone())
    };
    PackageRow {
        ecosystem: p.ecosystem,
        name: p.name.clone(),
        version: p.version.clone(),
        arch: p.arch.clone(),
        purl: p.purl.clone(),
        layer: p.layer,
        changes: p.changes.clone(),
        files,
        size: p.size,
        removed: p.removed,
        hidden_bytes: p.hidden_bytes,
        toolchain: p.toolchain,
        location: p.location.clone(),
        license: p.license.clone(),
        source: p.source.clone(),
    }
}

impl Report {
    /// The packages the final view has, counted and sized by ecosystem (by its name, in name
    /// order): the text and HTML reports' summary line.
    pub fn installed_by_ecosystem(&self) -> BTreeMap<&'static str, (u64, u64)> {
        let mut by: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
        for p in self.packages.iter().filter(|p| !p.removed) {
            let e = by.entry(p.ecosystem.name()).or_default();
            e.0 += 1;
            e.1 += p.size;
        }
        by
    }

    /// The packages a later layer removed, those whose files still ship the most bytes first
    /// (then by name): the order the text and HTML reports list them in.
    pub fn removed_packages(&self) -> Vec<&PackageRow> {
        let mut removed: Vec<&PackageRow> = self.packages.iter().filter(|p| p.removed).collect();
        removed.sort_by(|a, b| {
            b.hidden_bytes
                .cmp(&a.hidden_bytes)
                .then(a.name.cmp(&b.name))
        });
        removed
    }

    pub fn new(image: &Image, analysis: &Analysis) -> Report {
        let meta = &image.meta;
        let steps = history::by_layer(&image.history, image.layers.len());
        let config = ConfigInfo::of(meta.config.config.as_ref());
        let layers = image
            .layers
            .iter()
            .zip(&analysis.layers)
            .enumerate()
            .map(|(i, (layer, stats))| LayerRow {
                index: i,
                digest: layer.desc.digest.as_ref().map(ToString::to_string),
                diff_id: layer.desc.diff_id.as_ref().map(ToString::to_string),
                media_type: layer.desc.media_type.clone(),
                compression: layer.compression.name(),
                compressed_size: layer.desc.compressed_size,
                size: stats.size,
                created_by: steps[i].map(|s| s.created_by.clone()),
                command: steps[i].map(|s| s.command.clone()),
                entries: layer.tree.entries.len() as u64,
                added: stats.added,
                modified: stats.modified,
                metadata_only: stats.metadata_only,
                unchanged: stats.unchanged,
                removed: stats.removed,
                unreachable_bytes: stats.unreachable_bytes,
                hidden_later_bytes: stats.hidden_later_bytes,
                verified: layer.verified.names(),
                packages_added: analysis.packages.layers.get(i).map_or(0, |d| d.added),
                packages_removed: analysis.packages.layers.get(i).map_or(0, |d| d.removed),
                packages_changed: analysis.packages.layers.get(i).map_or(0, |d| d.changed),
            })
            .collect();
        let history = image.history.clone();
        let w = &analysis.waste;
        let entries = analysis.stack.top.live.iter().flatten().count() as u64;
        let d = &analysis.dive;
        Report {
            schema: SCHEMA,
            image: ImageInfo {
                reference: meta.reference.clone(),
                digest: meta.manifest_digest.as_ref().map(ToString::to_string),
                id: meta.config_digest.to_string(),
                format: meta.format.name(),
                names: meta.names.clone(),
                platform: meta.config.platform(),
                created: meta.config.created.clone(),
                config,
            },
            layers,
            history,
            totals: Totals {
                total_bytes: w.total_bytes,
                final_bytes: w.final_bytes,
                compressed_bytes: image.layers.iter().map(|l| l.desc.compressed_size).sum(),
                files: w.final_files,
                entries,
            },
            waste: WasteReport {
                unreachable_bytes: w.unreachable_bytes,
                overwritten: w.overwritten,
                removed: w.removed,
                copy_up: w.copy_up,
                duplicate: w.duplicate,
                cache: w.cache,
                efficiency: w.efficiency,
                top: w
                    .top
                    .iter()
                    .map(|t| TopRow {
                        path: slash(&t.path),
                        bytes: t.bytes,
                        cause: t.cause.name(),
                        layers: t.layers.clone(),
                        same_as: t.same_as.as_deref().map(slash),
                        files: t.files,
                    })
                    .collect(),
            },
            dive_compat: DiveReport {
                efficiency: d.efficiency,
                wasted_bytes: d.wasted_bytes,
                user_wasted_percent: Some(d.user_wasted_percent).filter(|v| v.is_finite()),
                size_bytes: d.size_bytes,
                user_size_bytes: d.user_size_bytes,
                layer_sizes: d.layer_sizes.clone(),
                inefficient_files: d
                    .inefficient_files
                    .iter()
                    .map(|f| DiveFile {
                        path: f.path.clone(),
                        count: f.count,
                        size_bytes: f.size_bytes,
                    })
                    .collect(),
            },
            hints: analysis
                .hints
                .iter()
                .map(|h| Hint {
                    id: h.id.to_string(),
                    severity: h.severity,
                    message: h.message.clone(),
                    bytes: h.bytes,
                    layer: h.layer,
                    paths: h.paths.iter().map(|p| slash(p)).collect(),
                    paths_total: h.paths_total.max(h.paths.len()),
                    from_base: h.from_base,
                })
                .collect(),
            hints_base: analysis.base,
            base: {
                let name = meta
                    .annotations
                    .get("org.opencontainers.image.base.name")
                    .cloned();
                let digest = meta
                    .annotations
                    .get("org.opencontainers.image.base.digest")
                    .cloned();
                (name.is_some() || digest.is_some()).then(|| BaseInfo {
                    reference: name,
                    digest,
                    ..Default::default()
                })
            },
            packages: {
                let inv = &analysis.packages;
                let table = &analysis.stack.paths;
                (inv.packages.iter().enumerate())
                    .map(|(i, p)| {
                        let ids = inv.owned.get(i).map_or(&[][..], Vec::as_slice);
                        package_row(p, ids, table)
                    })
                    .collect()
            },
            packages_unreadable: analysis.packages.unreadable.clone(),
            packages_unowned: analysis.packages.unowned,
            distro: analysis.packages.distro.clone(),
        }
    }

    /// Splits the figures at the layers this image shares with `base` (bottom-up, by diff_id).
    pub fn set_base(
        &mut self,
        base_reference: &str,
        base: &Image,
        image: &Image,
        analysis: &Analysis,
    ) {
        let n = shared_base_layers(image, base);
        let sum = |range: std::ops::Range<usize>, compressed: bool| -> u64 {
            range
                .map(|i| {
                    if compressed {
                        image.layers[i].desc.compressed_size
                    } else {
                        analysis.layers[i].size
                    }
                })
                .sum()
        };
        let all = image.layers.len();
        let added = analysis
            .stack
            .hidden
            .iter()
            .filter(|h| h.by_layer as usize >= n);
        let by = |cause: crate::analysis::merge::Cause| -> u64 {
            analysis
                .stack
                .hidden
                .iter()
                .filter(|h| h.by_layer as usize >= n && h.cause == cause)
                .map(|h| h.bytes)
                .sum()
        };
        let previous = self.base.take().unwrap_or_default();
        self.base = Some(BaseInfo {
            reference: Some(base_reference.to_string()),
            digest: previous.digest,
            layers: Some(n),
            complete: Some(n == base.layers.len()),
            base_bytes: Some(sum(0..n, false)),
            base_compressed_bytes: Some(sum(0..n, true)),
            added_bytes: Some(sum(n..all, false)),
            added_compressed_bytes: Some(sum(n..all, true)),
            added_unreachable_bytes: Some(added.map(|h| h.bytes).sum()),
            added_overwritten: Some(by(crate::analysis::merge::Cause::Overwritten)),
            added_copy_up: Some(by(crate::analysis::merge::Cause::CopyUp)),
            added_removed: Some(by(crate::analysis::merge::Cause::Removed)),
        });
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The document as `to_json` gives it, and a newline, written as it is serialised: on
    /// node-app the document is 17 MB (its packages' file lists), which need not be in memory
    /// at once.
    pub fn write_json(&self, out: impl std::io::Write) -> std::io::Result<()> {
        use std::io::Write;
        let mut out = std::io::BufWriter::with_capacity(64 << 10, out);
        serde_json::to_writer_pretty(&mut out, self)?;
        out.write_all(b"\n")?;
        out.flush()
    }
}
