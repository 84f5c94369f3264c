//! The `strata.diff/v1` document (DESIGN.md section 4b), and the sentences its text and
//! markdown forms (`text`, `markdown`) share: they lead with what a reviewer reads first
//! (packages, layers, config, waste by cause and step), then directories, then files.

pub mod markdown;
mod text;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::{ImageInfo, Report, Totals};
use crate::analysis::compare::packages::PackageChange;
use crate::analysis::compare::{align_history, Comparison, FileChange, HistoryAlign};
use crate::model::text::printable;
use crate::model::units;

pub const SCHEMA: &str = "strata.diff/v1";

#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    pub schema: &'static str,
    pub a: SideInfo,
    pub b: SideInfo,
    pub summary: Summary,
    pub layers: Vec<LayerRow>,
    pub files: Vec<FileRow>,
    /// Changed config keys, each `{ "a": .., "b": .. }`.
    pub config: BTreeMap<String, Changed>,
    pub history: Vec<HistoryAlign>,
    /// Each waste figure for A, B and the delta (`efficiency`'s in percentage points).
    pub waste: BTreeMap<String, WasteDelta>,
    /// Packages added, removed, upgraded or downgraded, by ecosystem and name.
    pub packages: Vec<PackageRow>,
    /// The directories whose bytes changed most, rolled up.
    pub dirs: Vec<DirRow>,
    /// Waste deltas by cause and the history step that caused them, largest first.
    pub waste_causes: Vec<CauseRow>,
    /// Metadata-only changes, one row per directory and kind of change.
    pub metadata_only_dirs: Vec<MetaRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PackageRow {
    pub ecosystem: crate::model::packages::Ecosystem,
    pub name: String,
    pub change: PackageChange,
    pub version_a: Option<String>,
    pub version_b: Option<String>,
    pub size_a: u64,
    pub size_b: u64,
    /// The layer of each image that brought the version shown.
    pub layer_a: Option<usize>,
    pub layer_b: Option<usize>,
    /// Differing paths it owns on either side.
    pub changed_files: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct DirRow {
    /// With a leading `/`.
    pub path: String,
    pub files: u64,
    pub bytes_a: u64,
    pub bytes_b: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CauseRow {
    pub cause: crate::analysis::merge::Cause,
    pub delta: i64,
    /// The history step (B's, or A's for a step only A runs).
    pub step: String,
    pub bytes_a: u64,
    pub bytes_b: u64,
    pub layer_a: Option<usize>,
    pub layer_b: Option<usize>,
    /// Only B runs this step.
    pub new_step: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetaRow {
    /// With a leading `/`.
    pub path: String,
    pub entries: usize,
    pub change: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SideInfo {
    #[serde(flatten)]
    pub image: ImageInfo,
    pub totals: Totals,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
    pub metadata_only: u64,
    /// final_bytes of each image.
    pub bytes_a: u64,
    pub bytes_b: u64,
    pub shared_layers: usize,
    /// Uncompressed bytes of B's layers that A has too.
    pub shared_bytes: u64,
    pub shared_compressed_bytes: u64,
    /// What a host that has A must still fetch for B.
    pub fetch_bytes: u64,
    pub fetch_compressed_bytes: u64,
    /// Layers the two stacks have in common before they diverge.
    pub common_prefix_layers: usize,
    pub packages_added: usize,
    pub packages_removed: usize,
    pub packages_upgraded: usize,
    pub packages_downgraded: usize,
    /// How many layers each image has (for the text summary; not in the JSON document).
    #[serde(skip)]
    pub layers_a: usize,
    #[serde(skip)]
    pub layers_b: usize,
}

impl Summary {
    /// How the two layer stacks line up, for the text summary: identical, sharing their first
    /// layers, or different from the bottom up.
    pub fn stacks(&self) -> String {
        let k = self.common_prefix_layers;
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        if k > 0 && k == self.layers_a && k == self.layers_b {
            format!("the stacks are the same {k} layer{}", plural(k))
        } else if k == 0 && self.shared_layers == 0 {
            "the stacks have no layers in common".to_string()
        } else if k == 0 {
            "the stacks already differ at their first layer".to_string()
        } else if k == 1 {
            "the stacks share their first layer".to_string()
        } else {
            format!("the stacks share their first {k} layers")
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LayerRow {
    pub diff_id: String,
    pub in_a: Option<usize>,
    pub in_b: Option<usize>,
    pub size: u64,
    pub compressed_size: u64,
    /// The history step that made it (B's when B has it), cleaned for display.
    pub command: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileRow {
    /// With a leading `/`.
    pub path: String,
    pub change: FileChange,
    pub kind_a: Option<&'static str>,
    pub kind_b: Option<&'static str>,
    pub size_a: u64,
    pub size_b: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Changed {
    pub a: Value,
    pub b: Value,
}

/// One waste figure of A and B and how it changed. Byte counts are written as JSON integers,
/// ratios (`efficiency`) as floats.
#[derive(Debug, Clone, PartialEq)]
pub struct WasteDelta {
    pub a: f64,
    pub b: f64,
    pub delta: f64,
    /// A byte count (written as integers), not a ratio.
    pub bytes: bool,
}

impl Serialize for WasteDelta {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("WasteDelta", 3)?;
        if self.bytes {
            // Byte counts are integers, well within f64's exact range (2^53).
            st.serialize_field("a", &(self.a as u64))?;
            st.serialize_field("b", &(self.b as u64))?;
            st.serialize_field("delta", &(self.delta as i64))?;
        } else {
            st.serialize_field("a", &self.a)?;
            st.serialize_field("b", &self.b)?;
            st.serialize_field("delta", &self.delta)?;
        }
        st.end()
    }
}

/// Compares two loaded images: the comparison and its document.
pub fn compare_images(
    a: &crate::load::Image,
    an_a: &crate::analysis::Analysis,
    b: &crate::load::Image,
    an_b: &crate::analysis::Analysis,
) -> (DiffReport, Comparison) {
    use crate::analysis::compare::{compare, Side};
    let ids = |img: &crate::load::Image| -> Vec<String> {
        img.layers
            .iter()
            .map(|l| {
                l.desc
                    .diff_id
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            })
            .collect()
    };
    let compressed = |img: &crate::load::Image| -> Vec<u64> {
        img.layers.iter().map(|l| l.desc.compressed_size).collect()
    };
    let (ids_a, ids_b, comp_a, comp_b) = (ids(a), ids(b), compressed(a), compressed(b));
    let (ra, rb) = (Report::new(a, an_a), Report::new(b, an_b));
    let commands = |r: &Report| -> Vec<Option<String>> {
        r.layers.iter().map(|l| l.command.clone()).collect()
    };
    let (cmd_a, cmd_b) = (commands(&ra), commands(&rb));
    let (trees_a, trees_b) = (a.trees(), b.trees());
    let cmp = compare(
        &Side {
            layers: &trees_a,
            analysis: an_a,
            diff_ids: &ids_a,
            compressed: &comp_a,
            commands: &cmd_a,
        },
        &Side {
            layers: &trees_b,
            analysis: an_b,
            diff_ids: &ids_b,
            compressed: &comp_b,
            commands: &cmd_b,
        },
    );
    let doc = DiffReport::new(&ra, &rb, &cmp);
    (doc, cmp)
}

/// A config value, with the empty forms of "not set" (`""`, `[]`, `{}`, absent) as `null`:
/// builders and converters write them interchangeably (skopeo drops `"User": ""`).
fn unset_as_null(v: Option<Value>) -> Value {
    match v {
        Some(Value::String(s)) if s.is_empty() => Value::Null,
        Some(Value::Array(a)) if a.is_empty() => Value::Null,
        Some(Value::Object(o)) if o.is_empty() => Value::Null,
        Some(v) => v,
        None => Value::Null,
    }
}

impl DiffReport {
    pub fn new(a: &Report, b: &Report, cmp: &Comparison) -> DiffReport {
        let count = |c: FileChange| cmp.files.iter().filter(|f| f.change == c).count() as u64;
        let packages = |c: PackageChange| cmp.packages.iter().filter(|p| p.change == c).count();
        let mut config = BTreeMap::new();
        let ca = serde_json::to_value(&a.image.config).unwrap_or(Value::Null);
        let cb = serde_json::to_value(&b.image.config).unwrap_or(Value::Null);
        for key in [
            "user",
            "env",
            "entrypoint",
            "cmd",
            "workdir",
            "exposed_ports",
            "labels",
            "volumes",
            "stop_signal",
            "healthcheck",
            "shell",
            "on_build",
            "args_escaped",
        ] {
            let (x, y) = (
                unset_as_null(ca.get(key).cloned()),
                unset_as_null(cb.get(key).cloned()),
            );
            if x != y {
                config.insert(key.to_string(), Changed { a: x, b: y });
            }
        }
        let commands = |r: &Report| {
            r.history
                .iter()
                .map(|h| h.command.clone())
                .collect::<Vec<_>>()
        };
        let (wa, wb) = (&a.waste, &b.waste);
        let mut waste = BTreeMap::new();
        let figures = [
            (
                "total_bytes",
                a.totals.total_bytes as f64,
                b.totals.total_bytes as f64,
            ),
            (
                "final_bytes",
                a.totals.final_bytes as f64,
                b.totals.final_bytes as f64,
            ),
            (
                "unreachable_bytes",
                wa.unreachable_bytes as f64,
                wb.unreachable_bytes as f64,
            ),
            ("overwritten", wa.overwritten as f64, wb.overwritten as f64),
            ("copy_up", wa.copy_up as f64, wb.copy_up as f64),
            ("removed", wa.removed as f64, wb.removed as f64),
            ("duplicate", wa.duplicate as f64, wb.duplicate as f64),
            ("cache", wa.cache as f64, wb.cache as f64),
            ("efficiency", wa.efficiency, wb.efficiency),
        ];
        for (name, x, y) in figures {
            waste.insert(
                name.to_string(),
                WasteDelta {
                    a: x,
                    b: y,
                    // Efficiency is a ratio; its change is read in percentage points.
                    delta: if name == "efficiency" {
                        (y - x) * 100.0
                    } else {
                        y - x
                    },
                    bytes: name != "efficiency",
                },
            );
        }
        DiffReport {
            schema: SCHEMA,
            a: SideInfo {
                image: a.image.clone(),
                totals: a.totals.clone(),
            },
            b: SideInfo {
                image: b.image.clone(),
                totals: b.totals.clone(),
            },
            summary: Summary {
                added: count(FileChange::Added),
                removed: count(FileChange::Removed),
                changed: count(FileChange::Changed),
                metadata_only: count(FileChange::MetadataOnly),
                bytes_a: a.totals.final_bytes,
                bytes_b: b.totals.final_bytes,
                shared_layers: cmp.shared_layers,
                shared_bytes: cmp.shared_bytes,
                shared_compressed_bytes: cmp.shared_compressed,
                fetch_bytes: cmp.fetch_bytes,
                fetch_compressed_bytes: cmp.fetch_compressed,
                common_prefix_layers: cmp.diverge_at,
                packages_added: packages(PackageChange::Added),
                packages_removed: packages(PackageChange::Removed),
                packages_upgraded: packages(PackageChange::Upgraded),
                packages_downgraded: packages(PackageChange::Downgraded),
                layers_a: a.layers.len(),
                layers_b: b.layers.len(),
            },
            layers: cmp
                .layers
                .iter()
                .map(|l| LayerRow {
                    diff_id: l.diff_id.clone(),
                    in_a: l.in_a,
                    in_b: l.in_b,
                    size: l.size,
                    compressed_size: l.compressed,
                    command: l
                        .in_b
                        .and_then(|i| b.layers.get(i))
                        .or_else(|| l.in_a.and_then(|i| a.layers.get(i)))
                        .and_then(|r| r.command.clone()),
                })
                .collect(),
            files: cmp
                .files
                .iter()
                .map(|f| FileRow {
                    path: format!("/{}", f.path),
                    change: f.change,
                    kind_a: f.kind_a.map(|k| k.name()),
                    kind_b: f.kind_b.map(|k| k.name()),
                    size_a: f.size_a,
                    size_b: f.size_b,
                })
                .collect(),
            config,
            history: align_history(&commands(a), &commands(b)),
            waste,
            packages: cmp
                .packages
                .iter()
                .map(|p| PackageRow {
                    ecosystem: p.ecosystem,
                    name: p.name.clone(),
                    change: p.change,
                    version_a: p.version_a.clone(),
                    version_b: p.version_b.clone(),
                    size_a: p.size_a,
                    size_b: p.size_b,
                    layer_a: p.layer_a,
                    layer_b: p.layer_b,
                    changed_files: p.files.len(),
                })
                .collect(),
            dirs: cmp
                .dirs
                .iter()
                .map(|d| DirRow {
                    path: format!("/{}", d.path),
                    files: d.files,
                    bytes_a: d.bytes_a,
                    bytes_b: d.bytes_b,
                })
                .collect(),
            waste_causes: cmp
                .causes
                .iter()
                .map(|c| CauseRow {
                    cause: c.cause,
                    delta: c.delta(),
                    step: c.step.clone(),
                    bytes_a: c.bytes_a,
                    bytes_b: c.bytes_b,
                    layer_a: c.layer_a,
                    layer_b: c.layer_b,
                    new_step: c.new_step(),
                })
                .collect(),
            metadata_only_dirs: cmp
                .meta
                .iter()
                .map(|m| MetaRow {
                    path: format!("/{}", m.dir),
                    entries: m.files.len(),
                    change: m.change.clone(),
                })
                .collect(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

/// What a cause did to the bytes, as a verb in the past.
fn cause_verb(cause: crate::analysis::merge::Cause) -> &'static str {
    use crate::analysis::merge::Cause;
    match cause {
        Cause::CopyUp => "copied up",
        Cause::Overwritten => "overwrote",
        Cause::Removed => "left behind by removing",
    }
}

impl CauseRow {
    /// The step and what it did, for a person: "new step `RUN chown -R app:app /app` copied up
    /// 168.24 MB"; the step's command cut to `max` characters.
    pub fn sentence(&self, max: usize) -> String {
        let step = printable(&self.step, max);
        let verb = cause_verb(self.cause);
        match (self.layer_a, self.layer_b) {
            (None, _) => format!("new step `{step}` {verb} {}", units::decimal(self.bytes_b)),
            (_, None) => format!(
                "step `{step}`, only in A, {verb} {} there",
                units::decimal(self.bytes_a)
            ),
            _ => format!(
                "step `{step}` {verb} {} → {} ({})",
                units::decimal(self.bytes_a),
                units::decimal(self.bytes_b),
                units::signed_decimal(self.delta)
            ),
        }
    }
}

impl PackageRow {
    /// `2.31.0 → 2.32.3`, or the one version a side has.
    pub fn versions(&self) -> String {
        match (&self.version_a, &self.version_b) {
            (Some(a), Some(b)) => format!("{} → {}", printable(a, 100), printable(b, 100)),
            (Some(v), None) | (None, Some(v)) => printable(v, 100),
            (None, None) => String::new(),
        }
    }

    pub fn delta(&self) -> i64 {
        self.size_b as i64 - self.size_a as i64
    }
}

impl Summary {
    /// `1 upgraded, 2 added` (the kinds that happened), or `no change`.
    pub fn packages_line(&self) -> String {
        let parts: Vec<String> = [
            (self.packages_upgraded, "upgraded"),
            (self.packages_downgraded, "downgraded"),
            (self.packages_added, "added"),
            (self.packages_removed, "removed"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{} {what}", units::count(*n as u64)))
        .collect();
        if parts.is_empty() {
            "no change".into()
        } else {
            parts.join(", ")
        }
    }
}

impl DiffReport {
    /// `99.6 % → 68.8 % (-30.8 pp)`.
    pub fn efficiency_line(&self) -> String {
        match self.waste.get("efficiency") {
            Some(e) => format!(
                "{:.1} % → {:.1} % ({:+.1} pp)",
                e.a * 100.0,
                e.b * 100.0,
                e.delta
            ),
            None => String::new(),
        }
    }

    /// Counts of each kind of file change, in words.
    pub fn files_line(&self) -> String {
        let s = &self.summary;
        format!(
            "{} added, {} removed, {} changed, {} metadata only",
            units::count(s.added),
            units::count(s.removed),
            units::count(s.changed),
            units::count(s.metadata_only)
        )
    }
}

/// A waste figure's name as a person reads it: `copy-up`, `final bytes` (the JSON keys are
/// `copy_up`, `final_bytes`).
pub fn figure_label(key: &str) -> String {
    if key == "copy_up" {
        "copy-up".into()
    } else {
        key.replace('_', " ")
    }
}

/// `=`, `-` or `+`: a layer both images have, only A has, or only B has.
pub fn share_mark(l: &LayerRow) -> &'static str {
    match (l.in_a, l.in_b) {
        (Some(_), Some(_)) => "=",
        (Some(_), None) => "-",
        _ => "+",
    }
}

/// A change's name as JSON writes it.
pub fn change_name(c: FileChange) -> &'static str {
    match c {
        FileChange::Added => "added",
        FileChange::Removed => "removed",
        FileChange::Changed => "changed",
        FileChange::MetadataOnly => "metadata_only",
    }
}
