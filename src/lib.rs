//! strata's engine: open a container image, read every layer into a tree, and account for
//! every byte. Data flows one way, and the folders are its layers, each importing only from
//! those below it (DESIGN.md section 5; `tests/architecture.rs` keeps it so):
//!
//! model -> source, blob -> tree -> analysis -> cache -> load -> extract -> report -> tui
//!
//! The binary (`main.rs` with `cli/`) is thin glue over this library.

pub mod analysis;
pub mod blob;
pub mod cache;
pub mod extract;
pub mod load;
pub mod model;
pub mod report;
pub mod source;
pub mod tree;
pub mod tui;

pub use analysis::Analysis;
pub use load::{load, load_pair, Image, Layer, LoadEvent, Session};
pub use model::error::{Error, Result};
pub use source::SourceOptions;
