//! Placeholder: being written (extraction and file content reading). See the helper's brief.

use std::path::Path;

use crate::analysis::Analysis;
use crate::error::{Error, Result};
use crate::image::Image;
use crate::source::SourceOptions;

/// What to extract and how.
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    /// The merged view after this layer; `None` is the final view.
    pub layer: Option<usize>,
    /// Replace existing files in the destination (the caller asked the user).
    pub overwrite: bool,
}

/// What an extraction wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    pub hardlinks: u64,
    pub bytes: u64,
    /// Paths not written, each with the reason (devices, fifos, ...).
    pub skipped: Vec<(String, String)>,
}

/// The content of one file, capped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileContent {
    pub bytes: Vec<u8>,
    /// The file's full size.
    pub total: u64,
    pub truncated: bool,
}

/// Extracts `paths` (as the user typed them; `/` is everything) into `dir`.
pub fn extract(
    input: &str,
    _source: &SourceOptions,
    _image: &Image,
    _analysis: &Analysis,
    _paths: &[String],
    _dir: &Path,
    _opts: &ExtractOptions,
) -> Result<Summary> {
    Err(Error::Unsupported {
        input: input.into(),
        reason: "extraction is not implemented yet".into(),
    })
}

/// Reads up to `limit` bytes of `path` as the merged view after `layer` shows it.
pub fn read_file(
    input: &str,
    _source: &SourceOptions,
    _image: &Image,
    _analysis: &Analysis,
    _layer: usize,
    _path: &str,
    _limit: u64,
) -> Result<FileContent> {
    Err(Error::Unsupported {
        input: input.into(),
        reason: "reading files is not implemented yet".into(),
    })
}
