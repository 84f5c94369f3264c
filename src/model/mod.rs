//! The bottom layer: values every other layer shares and small pure utilities. Nothing here
//! does I/O or knows where an image comes from.
//!
//! - `image`: image metadata (manifest, config, layer descriptors) as sources yield it;
//! - `history`, `build_step`: the config's history steps, cleaned and read once;
//! - `digest`: `sha256:` digests;
//! - `limits`: the bounds a hostile image must stay within;
//! - `error`: the engine's error kinds;
//! - `path`, `text`: normalised image paths and how to show image text safely;
//! - `gocompat`: Go's sort, for dive's figures in dive's order.

pub mod build_step;
pub mod digest;
pub mod error;
pub mod gocompat;
pub mod history;
pub mod image;
pub mod limits;
pub mod path;
pub mod text;
