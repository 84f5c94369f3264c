//! Extraction of paths of a merged view into a directory, and capped reads of one file (the
//! explorer's viewer).
//!
//! Three steps, one file each, so the part that touches the user's disk stays small enough to
//! audit: `plan` decides from the loaded trees what goes where, `destination` checks and writes
//! below the chosen directory and never anywhere else, and `reread` streams the layers holding
//! wanted bytes again through the session, which checks each against the digest it was loaded
//! with. Everything that can be refused is refused before the first byte is written; a layer
//! that fails its check after its bytes were written takes those files away again.

mod destination;
mod plan;
mod reread;

use std::fs;
use std::io::Read;
use std::path::Path;

use crate::analysis::merge;
use crate::analysis::Analysis;
use crate::load::Session;
use crate::model::error::{Error, Result};
use crate::model::path::normalize;
use crate::model::text::printable;
use crate::tree::Flow;
use destination::{dest_error, precheck, Writer};
use plan::{chosen_view, selected_roots, LinkResolver, Plan};
use reread::{stream_layer, vanished, with_entries};

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
    session: &Session,
    analysis: &Analysis,
    paths: &[String],
    dir: &Path,
    opts: &ExtractOptions,
) -> Result<Summary> {
    extract_unnamed(session, analysis, paths, dir, opts).map_err(|e| e.about(session.input()))
}

fn extract_unnamed(
    session: &Session,
    analysis: &Analysis,
    paths: &[String],
    dir: &Path,
    opts: &ExtractOptions,
) -> Result<Summary> {
    let image = session.image();
    let trees = image.trees();
    let table = &analysis.stack.paths;
    let view = chosen_view(&trees, analysis, opts.layer)?;
    let roots = selected_roots(table, &view, paths, opts.layer)?;
    let plan = Plan::build(&trees, table, &view, &roots);

    // Everything that can be refused is refused before the first byte is written.
    precheck(dir, &plan, opts.overwrite)?;
    fs::create_dir_all(dir).map_err(|e| dest_error(dir, e))?;

    let mut out = Writer::new(dir, opts.overwrite);
    out.summary.skipped = plan.skipped.clone();
    for d in &plan.dirs {
        out.make_dir(d)?;
    }
    for (&layer, wanted) in &plan.contents {
        stream_layer(session, layer, wanted, &mut out)?;
    }
    for s in &plan.symlinks {
        out.make_symlink(s)?;
    }
    out.finish_dirs()?;
    Ok(out.summary)
}

/// Reads up to `limit` bytes of `path` as the merged view after `layer` shows it.
pub fn read_file(
    session: &Session,
    analysis: &Analysis,
    layer: usize,
    path: &str,
    limit: u64,
) -> Result<FileContent> {
    read_file_unnamed(session, analysis, layer, path, limit).map_err(|e| e.about(session.input()))
}

fn read_file_unnamed(
    session: &Session,
    analysis: &Analysis,
    layer: usize,
    path: &str,
    limit: u64,
) -> Result<FileContent> {
    let image = session.image();
    let trees = image.trees();
    let table = &analysis.stack.paths;
    let view = chosen_view(&trees, analysis, Some(layer))?;
    let norm = normalize(path).unwrap_or_default();
    let not_a_file = |reason: String| Error::Unsupported {
        reason: format!("{}: {reason}", shown(&norm)),
    };
    if norm.is_empty() {
        return Err(not_a_file("is a directory, not a file".into()));
    }
    let Some(loc) = table.get(&norm).and_then(|id| view.get(id)) else {
        return Err(not_in_view(&norm, Some(layer)));
    };
    let src = LinkResolver::new(&trees, table)
        .content_source(loc)
        .map_err(|why| not_a_file(why.to_string()))?;
    let Some(stored) = merge::entry(&trees, src) else {
        return Err(not_a_file("is not a file".into()));
    };
    let mut got = None;
    // A layer listed from its table of contents while it downloads: just the file's chunks,
    // each checked against the table's digest.
    if session.listed(src.layer as usize) {
        let tar_path = trees[src.layer as usize]
            .tar_path(src.entry as usize)
            .unwrap_or(&stored.path);
        match session.read_listed_file(src.layer as usize, tar_path, limit) {
            Ok(bytes) => got = Some(bytes),
            Err(e) if matches!(e.kind(), Error::Unsupported { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    // Nothing read here is shown before `read_layer` returns, and it returns the layer's
    // digest mismatch instead of the bytes when the blob changed since loading.
    if got.is_none() {
        with_entries(session, src.layer, |index, entry, content| {
            if index != src.entry {
                return Ok(Flow::Continue);
            }
            // The reread must show what loading showed, or the bytes belong to another path.
            let tar_path = trees[src.layer as usize].tar_path(src.entry as usize);
            if Some(&*entry.path) == tar_path {
                let mut bytes = Vec::new();
                content.take(limit).read_to_end(&mut bytes)?;
                got = Some(bytes);
            }
            Ok(Flow::Stop)
        })?;
    }
    let Some(bytes) = got else {
        return Err(vanished(image, src.layer, &stored.path));
    };
    let truncated = (bytes.len() as u64) < stored.size;
    Ok(FileContent {
        bytes,
        total: stored.size,
        truncated,
    })
}

fn not_in_view(path: &str, layer: Option<usize>) -> Error {
    let view = match layer {
        Some(n) => format!("the view after layer {n}"),
        None => "the image's final view".into(),
    };
    Error::Unsupported {
        reason: format!("{}: no such path in {view}", shown(path)),
    }
}

/// A path of the image as messages show it: absolute, with control characters escaped.
fn shown(path: &str) -> String {
    format!("/{}", printable(path, 300))
}
