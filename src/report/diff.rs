//! The `strata.diff/v1` document (DESIGN.md section 4b) and its text summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use super::{ImageInfo, Report, Totals};
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
    /// Each waste figure for A, B and the delta.
    pub waste: BTreeMap<String, WasteDelta>,
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
    let (trees_a, trees_b) = (a.trees(), b.trees());
    let cmp = compare(
        &Side {
            layers: &trees_a,
            analysis: an_a,
            diff_ids: &ids_a,
            compressed: &comp_a,
        },
        &Side {
            layers: &trees_b,
            analysis: an_b,
            diff_ids: &ids_b,
            compressed: &comp_b,
        },
    );
    let doc = DiffReport::new(&Report::new(a, an_a), &Report::new(b, an_b), &cmp);
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
                    delta: y - x,
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
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The human summary; `top` limits the files table.
    pub fn render_text(&self, top: usize) -> String {
        let mut o = String::new();
        let s = &self.summary;
        let _ = writeln!(
            o,
            "A          {} [{}]",
            printable(&self.a.image.reference, 500),
            self.a.image.format
        );
        let _ = writeln!(
            o,
            "B          {} [{}]",
            printable(&self.b.image.reference, 500),
            self.b.image.format
        );
        let _ = writeln!(
            o,
            "Size       {} -> {} ({}) visible; {} -> {} stored",
            units::decimal(s.bytes_a),
            units::decimal(s.bytes_b),
            units::signed_decimal(s.bytes_b as i64 - s.bytes_a as i64),
            units::decimal(self.a.totals.total_bytes),
            units::decimal(self.b.totals.total_bytes)
        );
        let _ = writeln!(
            o,
            "Layers     {} of B's {} layers are in A ({} shared); {}",
            s.shared_layers,
            s.layers_b,
            units::decimal(s.shared_bytes),
            s.stacks()
        );
        let _ = writeln!(
            o,
            "Fetch      a host with A needs {} ({} uncompressed) more for B",
            units::decimal(s.fetch_compressed_bytes),
            units::decimal(s.fetch_bytes)
        );
        let _ = writeln!(
            o,
            "Files      {} added, {} removed, {} changed, {} metadata only",
            s.added, s.removed, s.changed, s.metadata_only
        );
        let _ = writeln!(o);
        if !self.files.is_empty() && top > 0 {
            let _ = writeln!(o, "Biggest changes");
            let _ = writeln!(
                o,
                "  {:<13} {:>10} {:>10} {:>11}  PATH",
                "CHANGE", "A", "B", "DELTA"
            );
            for f in self.files.iter().take(top) {
                let change = serde_json::to_value(f.change)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let _ = writeln!(
                    o,
                    "  {:<13} {:>10} {:>10} {:>11}  {}",
                    change,
                    if f.kind_a.is_some() {
                        units::decimal(f.size_a)
                    } else {
                        "-".into()
                    },
                    if f.kind_b.is_some() {
                        units::decimal(f.size_b)
                    } else {
                        "-".into()
                    },
                    units::signed_decimal(f.size_b as i64 - f.size_a as i64),
                    printable(&f.path, 1000)
                );
            }
            if self.files.len() > top {
                let _ = writeln!(o, "  … {} more", self.files.len() - top);
            }
            let _ = writeln!(o);
        }
        if !self.config.is_empty() {
            let _ = writeln!(o, "Config");
            for (k, c) in &self.config {
                let _ = writeln!(
                    o,
                    "  {k:<14} {} -> {}",
                    printable(&c.a.to_string(), 300),
                    printable(&c.b.to_string(), 300)
                );
            }
            let _ = writeln!(o);
        }
        let changed_steps: Vec<&HistoryAlign> =
            self.history.iter().filter(|h| h.op != "equal").collect();
        if !changed_steps.is_empty() {
            let _ = writeln!(o, "History");
            for h in changed_steps {
                let mark = if h.op == "added" { "+" } else { "-" };
                let _ = writeln!(o, "  {mark} {}", printable(&h.command, 200));
            }
            let _ = writeln!(o);
        }
        let _ = writeln!(
            o,
            "Waste      {:<18} {:>12} {:>12} {:>12}",
            "", "A", "B", "delta"
        );
        for (k, w) in &self.waste {
            if k == "efficiency" {
                let _ = writeln!(
                    o,
                    "  {k:<25} {:>11.1}% {:>11.1}% {:>+11.1}%",
                    w.a * 100.0,
                    w.b * 100.0,
                    w.delta * 100.0
                );
            } else {
                let _ = writeln!(
                    o,
                    "  {k:<25} {:>12} {:>12} {:>12}",
                    units::decimal(w.a as u64),
                    units::decimal(w.b as u64),
                    units::signed_decimal(w.delta as i64)
                );
            }
        }
        o
    }
}
