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
mod streamed;
pub mod tree;
pub mod ui;

pub use analysis::Analysis;
pub use error::{Error, Result};
pub use image::{load, Image, Layer, LoadEvent};
pub use source::SourceOptions;
