//! The Layers and Layer panels' view model: one row per layer with its figures and command,
//! and the order the Layers panel lists them in (history order, with the steps that made no
//! layer between them).

use crate::analysis::packages::LayerDelta;
use crate::analysis::Analysis;
use crate::load::Image;
use crate::model::history;

/// A row of the Layers panel: a real layer, or a history step that made no layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerEntry {
    Layer(usize),
    Empty(usize),
}

/// What the Layers and Layer panels show of one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerInfo {
    /// Content bytes the layer stores.
    pub size: u64,
    /// Bytes of its blob.
    pub compressed_size: u64,
    /// The cleaned history command, if the history names one.
    pub command: Option<String>,
    pub created: Option<String>,
    pub digest: Option<String>,
    pub diff_id: Option<String>,
    pub entries: u64,
    pub added: u64,
    pub modified: u64,
    pub metadata_only: u64,
    pub removed: u64,
    /// Directories the layer lists again without changing them.
    pub unchanged: u64,
    /// Bytes of lower layers this layer made unreachable.
    pub unreachable_bytes: u64,
    /// Bytes of this layer later layers hid.
    pub hidden_later_bytes: u64,
    /// Packages it added, removed and changed.
    pub packages: LayerDelta,
    /// Those changes, one line each: `+ curl 7.88.1-10`, `~ requests 2.31.0 → 2.32.3`,
    /// `- gcc-12 12.2.0-14`, added first, then changed, then removed, by name.
    pub package_lines: Vec<String>,
}

/// One layer's package changes as lines (see `LayerInfo::package_lines`).
fn package_lines(analysis: &Analysis, layer: usize) -> Vec<String> {
    use crate::model::packages::Change;
    let mut lines: Vec<(u8, String)> = Vec::new();
    for p in &analysis.packages.packages {
        let mut before: Option<&str> = None;
        for c in &p.changes {
            if c.layer == layer {
                let name = crate::model::text::printable(&p.name, 200);
                let (order, line) = match c.change {
                    Change::Added => (0, format!("+ {name} {}", c.version)),
                    Change::Removed => (2, format!("- {name} {}", c.version)),
                    Change::Reinstalled => (1, format!("~ {name} {} (reinstalled)", c.version)),
                    Change::Upgraded | Change::Downgraded => (
                        1,
                        format!("~ {name} {} → {}", before.unwrap_or("?"), c.version),
                    ),
                };
                lines.push((order, crate::model::text::printable(&line, 400)));
            }
            before = Some(&c.version);
        }
    }
    lines.sort();
    lines.into_iter().map(|(_, l)| l).collect()
}

/// Every layer's row, bottom first.
pub fn infos(image: &Image, analysis: &Analysis) -> Vec<LayerInfo> {
    let steps = history::by_layer(&image.history, image.layers.len());
    image
        .layers
        .iter()
        .zip(&analysis.layers)
        .zip(steps)
        .enumerate()
        .map(|(i, ((layer, stats), step))| LayerInfo {
            size: stats.size,
            compressed_size: layer.desc.compressed_size,
            command: step.map(|s| s.command.clone()),
            created: step.and_then(|s| s.created.clone()),
            digest: layer.desc.digest.as_ref().map(ToString::to_string),
            diff_id: layer.desc.diff_id.as_ref().map(ToString::to_string),
            entries: layer.tree.entries.len() as u64,
            added: stats.added,
            modified: stats.modified,
            metadata_only: stats.metadata_only,
            removed: stats.removed,
            unchanged: stats.unchanged,
            unreachable_bytes: stats.unreachable_bytes,
            hidden_later_bytes: stats.hidden_later_bytes,
            packages: analysis.packages.layers.get(i).copied().unwrap_or_default(),
            package_lines: package_lines(analysis, i),
        })
        .collect()
}

/// Layers in history order, with the steps that made no layer between them.
pub fn rows(image: &Image) -> Vec<LayerEntry> {
    let mut rows = Vec::new();
    let mut seen = vec![false; image.layers.len()];
    for (i, step) in image.history.iter().enumerate() {
        match step.layer {
            Some(l) if l < seen.len() => {
                seen[l] = true;
                rows.push(LayerEntry::Layer(l));
            }
            _ => rows.push(LayerEntry::Empty(i)),
        }
    }
    // Layers the history does not mention still show, in order.
    for (l, s) in seen.iter().enumerate() {
        if !s {
            let at = rows
                .iter()
                .position(|r| matches!(r, LayerEntry::Layer(x) if *x > l))
                .unwrap_or(rows.len());
            rows.insert(at, LayerEntry::Layer(l));
        }
    }
    rows
}
