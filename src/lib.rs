//! strata's engine: open a container image, read every layer into a tree, and account for
//! every byte. Data flows one way: reference -> source -> blobs -> layer trees -> analysis ->
//! report. The binary (`main.rs`) is thin glue over this library.

pub mod analysis;
pub mod app;
pub mod blob;
pub mod error;
pub mod extract;
pub mod history;
pub mod image;
pub mod limits;
pub mod reference;
pub mod report;
pub mod runtime;
pub mod source;
pub mod tree;
pub mod ui;

pub use analysis::Analysis;
pub use error::{Error, Result};
pub use image::{load, Image, Layer, LoadEvent};
pub use source::SourceOptions;

impl Image {
    /// The layer trees, bottom first, as the analysis takes them.
    pub fn trees(&self) -> Vec<&tree::LayerTree> {
        self.layers.iter().map(|l| &l.tree).collect()
    }

    /// Analyses the loaded layers.
    pub fn analyse(&self) -> Analysis {
        let user = self
            .meta
            .config
            .config
            .as_ref()
            .and_then(|c| c.user.as_deref());
        Analysis::of_image(&self.trees(), &self.history, user)
    }
}
