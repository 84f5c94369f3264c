//! A loaded image: its metadata, the history steps and every layer's tree. A plain model: it
//! knows nothing of where it came from (the `Session` does) and computes nothing (the
//! analysis does).

use std::sync::Arc;

use crate::blob::decompress::Compression;
use crate::model::history::HistoryStep;
use crate::model::image::{ImageMeta, LayerDesc, Verified};
use crate::tree::LayerTree;

/// One layer: how it is stored and what it contains.
#[derive(Debug, Clone)]
pub struct Layer {
    pub desc: LayerDesc,
    pub compression: Compression,
    /// Shared with the snapshots the explorer was shown while the image loaded.
    pub tree: Arc<LayerTree>,
    /// The digests its bytes were checked against, in this run or when they entered the
    /// cache.
    pub verified: Verified,
}

/// An image with every layer read.
#[derive(Debug, Clone)]
pub struct Image {
    pub meta: ImageMeta,
    pub layers: Vec<Layer>,
    pub history: Vec<HistoryStep>,
}

impl Image {
    /// The layer trees, bottom first, as the analysis takes them.
    pub fn trees(&self) -> Vec<&LayerTree> {
        self.layers.iter().map(|l| &*l.tree).collect()
    }

    /// The user the image's config runs as, if it names one.
    pub fn user(&self) -> Option<&str> {
        self.meta
            .config
            .config
            .as_ref()
            .and_then(|c| c.user.as_deref())
    }
}
