//! Pure analysis of layer trees: stacking, classification, waste and dive's figures.
//! No I/O and no knowledge of sources, blobs or drawing.

pub mod compare;
pub mod dive_compat;
mod gosort;
pub mod hints;
pub mod merge;
pub mod paths;
pub mod waste;

use crate::history::HistoryStep;
use crate::tree::LayerTree;
use dive_compat::DiveCompat;
use hints::Hint;
use merge::{Change, Stack};
use waste::Waste;

/// Per-layer counts and byte figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerStats {
    pub added: u64,
    pub modified: u64,
    pub metadata_only: u64,
    pub unchanged: u64,
    pub removed: u64,
    /// Regular-file content bytes this layer stores.
    pub size: u64,
    /// Bytes of lower layers that this layer made unreachable.
    pub unreachable_bytes: u64,
    /// Bytes of this layer that later layers hid.
    pub hidden_later_bytes: u64,
}

/// Everything strata knows about an image's contents.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub stack: Stack,
    pub layers: Vec<LayerStats>,
    pub waste: Waste,
    pub dive: DiveCompat,
    /// Most important first.
    pub hints: Vec<Hint>,
}

impl Analysis {
    /// The analysis of bare layers: the hints that read the history or the config's user
    /// see none.
    pub fn new(layers: &[&LayerTree]) -> Analysis {
        Analysis::of_image(layers, &[], None)
    }

    /// The analysis of an image's layers, its history (each step mapped to its layer) and
    /// its config's `User`.
    pub fn of_image(
        layers: &[&LayerTree],
        history: &[HistoryStep],
        user: Option<&str>,
    ) -> Analysis {
        // dive's figures need nothing of strata's own: they are computed on a second core
        // while this one stacks the layers, sizes the waste and finds the hints.
        std::thread::scope(|scope| {
            let dive = scope.spawn(|| dive_compat::figures(layers));
            let (stack, layers_stats, waste) = Self::strata_figures(layers);
            let hints = hints::hints(&hints::HintInput {
                layers,
                stack: &stack,
                stats: &layers_stats,
                history,
                user,
            });
            // A panic in the dive thread is a bug: it goes on here, with its own message.
            let dive = dive
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            Analysis {
                stack,
                layers: layers_stats,
                waste,
                dive,
                hints,
            }
        })
    }

    fn strata_figures(layers: &[&LayerTree]) -> (Stack, Vec<LayerStats>, Waste) {
        let stack = merge::stack(layers);
        let mut stats: Vec<LayerStats> = layers
            .iter()
            .zip(&stack.changes)
            .map(|(tree, changes)| {
                let mut s = LayerStats {
                    size: tree.content_bytes(),
                    ..Default::default()
                };
                for c in changes {
                    match c {
                        Change::Added => s.added += 1,
                        Change::Modified => s.modified += 1,
                        Change::MetadataOnly => s.metadata_only += 1,
                        Change::Unchanged => s.unchanged += 1,
                        Change::Removed => s.removed += 1,
                    }
                }
                s
            })
            .collect();
        for h in &stack.hidden {
            stats[h.by_layer as usize].unreachable_bytes += h.bytes;
            stats[h.copy.layer as usize].hidden_later_bytes += h.bytes;
        }
        let waste = waste::figures(layers, &stack);
        (stack, stats, waste)
    }
}
