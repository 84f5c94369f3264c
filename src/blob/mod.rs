//! Blobs: digests checked while the bytes stream, and compression read from the bytes.

pub mod bounded;
pub mod decompress;
pub mod digest;
pub mod origin;
pub mod store;
