//! Blobs: digests checked while the bytes stream, compression read from the bytes, and the
//! tables of contents of seekable (eStargz, zstd:chunked) layers.

pub mod bounded;
pub mod decompress;
pub mod digest;
pub mod origin;
pub mod store;
pub mod toc;
