//! Pure analysis of layer trees: stacking, classification, waste and dive's figures.
//! No I/O and no knowledge of sources, blobs or drawing.

pub mod compare;
pub mod dive_compat;

pub mod hints;
pub mod merge;
pub mod packages;
pub mod sizes;

pub mod waste;
pub mod wasted_copies;

use crate::model::history::HistoryStep;
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
    /// Packages by layer (DESIGN section 3b).
    pub packages: packages::Inventory,
    /// The bottom layers that are the base image's, as the hints count them.
    pub base: hints::BaseLayers,
}

impl Analysis {
    /// The analysis of bare layers: the hints that read the history or the config's user
    /// see none.
    pub fn new(layers: &[&LayerTree]) -> Analysis {
        Analysis::of_image(layers, &[], None, None, None)
    }

    /// The analysis of an image's layers, its history (each step mapped to its layer) and
    /// its config's `User`. `known_dive` is dive's figures for these same layers when they
    /// were computed before (they depend on the layers alone); they are computed otherwise.
    /// `base_layers` is how many bottom layers are the base image's when the caller knows
    /// (`--base`); the history tells otherwise (`hints::BaseLayers`).
    pub fn of_image(
        layers: &[&LayerTree],
        history: &[HistoryStep],
        user: Option<&str>,
        known_dive: Option<DiveCompat>,
        base_layers: Option<usize>,
    ) -> Analysis {
        let base = match base_layers {
            Some(n) => hints::BaseLayers::given(n.min(layers.len())),
            None => hints::BaseLayers::from_history(history, layers.len()),
        };
        // dive's figures need nothing of strata's own: they are computed on a second core
        // while this one stacks the layers, takes the package inventory, sizes the waste and
        // the hints. When they are known already, the waste (which needs only the stack) takes
        // the second core while this one takes the inventory and the hints (which read both).
        std::thread::scope(|scope| {
            let dive = known_dive.ok_or_else(|| scope.spawn(|| dive_compat::figures(layers)));
            let stack = merge::stack(layers);
            let stats = Self::layer_stats(layers, &stack);
            let hints_of = |packages: &packages::Inventory| {
                hints::hints(&hints::HintInput {
                    layers,
                    stack: &stack,
                    stats: &stats,
                    history,
                    user,
                    packages,
                    base,
                })
            };
            let (waste, packages, hints) = if dive.is_ok() {
                std::thread::scope(|inner| {
                    let waste = inner.spawn(|| waste::figures(layers, &stack));
                    let packages = packages::inventory::inventory(layers, &stack);
                    let hints = hints_of(&packages);
                    (join(waste), packages, hints)
                })
            } else {
                // The other core computes dive's figures: one thing at a time here also keeps
                // the waste's and the inventory's working sets from peaking together.
                let packages = packages::inventory::inventory(layers, &stack);
                let waste = waste::figures(layers, &stack);
                let hints = hints_of(&packages);
                (waste, packages, hints)
            };
            let dive = dive.unwrap_or_else(join);
            Analysis {
                stack,
                layers: stats,
                waste,
                dive,
                hints,
                packages,
                base,
            }
        })
    }

    /// The analysis of a snapshot of an image still loading (the layers not in yet are empty
    /// trees): the stack and each layer's own figures, all the explorer shows before every
    /// layer is in. The image's figures (waste, dive's, hints, packages) wait for every layer
    /// and are left empty here: computing them for each snapshot took a core from the load it
    /// shows (a 2 GB docker archive loaded in 4.4 s instead of 2.8 s on 2 cores).
    pub fn of_snapshot(layers: &[&LayerTree], history: &[HistoryStep]) -> Analysis {
        let stack = merge::stack(layers);
        let stats = Self::layer_stats(layers, &stack);
        Analysis {
            stack,
            layers: stats,
            waste: Waste::not_measured(),
            dive: DiveCompat::not_measured(),
            hints: Vec::new(),
            packages: packages::Inventory::default(),
            base: hints::BaseLayers::from_history(history, layers.len()),
        }
    }

    fn layer_stats(layers: &[&LayerTree], stack: &Stack) -> Vec<LayerStats> {
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
        stats
    }
}

/// A panic in a worker thread is a bug: it goes on here, with its own message.
fn join<T>(thread: std::thread::ScopedJoinHandle<'_, T>) -> T {
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}
