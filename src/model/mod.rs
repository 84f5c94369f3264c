//! The bottom layer: values every other layer shares and small pure utilities. Nothing here
//! does I/O or knows where an image comes from.
//!
//! - `image`: image metadata (manifest, config, layer descriptors) as sources yield it;
//! - `history`, `build_step`: the config's history steps, cleaned and read once;
//! - `digest`: `sha256:` digests;
//! - `limits`: the bounds a hostile image must stay within;
//! - `listing`: one archive entry as its listing (a tar header, a TOC) gives it, not yet normalised;
//! - `units`: byte sizes, parsed as dive parses them and formatted for each place they show;
//! - `error`: the engine's error kinds;
//! - `path`, `text`: normalised image paths and how to show image text safely;
//! - `gocompat`: Go's sort and float formatting, for dive's figures in dive's order and form;
//! - `packages`: package records, the files a layer keeps for them, the inventory's values;
//! - `tar_header`: the checks a tar header block must pass, worded once for both tar readers.

pub mod build_step;
pub mod civil;
pub mod digest;
pub mod error;
pub mod gocompat;
pub mod history;
pub mod image;
pub mod limits;
pub mod listing;
pub mod packages;
pub mod path;
pub mod tar_header;
pub mod text;
pub mod units;
