//! Reading a layer again for its bytes, through `Session::read_layer`, which hands over exactly
//! the blob that was loaded and checks its digest once the walk is done.
//!
//! The loaded tree says which entry holds which bytes; the tar read again must agree entry by
//! entry (same index, same path) or the image changed underneath and the bytes belong to
//! something else. Because the digest can only be checked at the end of the stream, what was
//! written from a layer stays only once its check passed; until then the writer keeps the list
//! of what to take away.

use std::io::{self, Read};

use super::destination::Writer;
use super::plan::LayerContents;
use super::shown;
use crate::load::{Image, Session};
use crate::model::error::{Error, LayerProblem, Result};
use crate::tree::{for_each_entry, Entry, Flow, TreeError};

/// Streams layer `layer` once, writing each wanted entry's content as it passes. When the
/// layer cannot be read to its end or its digest does not match, the files written from it
/// are removed and the layer's error is returned.
pub(super) fn stream_layer(
    session: &Session,
    layer: u32,
    wanted: &LayerContents,
    out: &mut Writer,
) -> Result<()> {
    let image = session.image();
    let tree = image.layers.get(layer as usize).map(|l| &l.tree);
    // As the tar names it (a path through a symlinked directory was moved when loading).
    let expected_path = |i: u32| tree.and_then(|t| t.tar_path(i as usize)).unwrap_or("");
    let mut remaining = wanted.len();
    let mut next = 0u32;
    let mut outcome = Ok(());
    let streamed = with_entries(session, layer, |index, entry, content| {
        next = index + 1;
        let Some(dests) = wanted.get(&index) else {
            return Ok(Flow::Continue);
        };
        // The reread must show what loading showed, or the bytes belong to another path.
        if *entry.path != *expected_path(index) {
            outcome = Err(vanished(image, layer, expected_path(index)));
            return Ok(Flow::Stop);
        }
        let mut content = SourceReader {
            inner: content,
            failed: None,
        };
        if let Err(e) = out.write_content(&entry, &mut content, dests) {
            // A failed read is the image's fault: report it as the layer's error.
            if let Some(read_error) = content.failed {
                return Err(read_error);
            }
            outcome = Err(e);
            return Ok(Flow::Stop);
        }
        remaining -= 1;
        Ok(if remaining == 0 {
            Flow::Stop
        } else {
            Flow::Continue
        })
    });
    if let Err(e) = streamed {
        out.discard_unverified(&e)?;
        return Err(e);
    }
    out.keep_verified();
    outcome?;
    if remaining > 0 {
        // Entries are visited in order: the ones never written are those past the tar's end.
        let missing = wanted.keys().filter(|&&i| i >= next).min().copied();
        return Err(vanished(
            image,
            layer,
            expected_path(missing.unwrap_or(next)),
        ));
    }
    Ok(())
}

/// Keeps the error of a failed read, so a write that fails because its source did is blamed on
/// the layer, not on the destination.
struct SourceReader<'r> {
    inner: &'r mut dyn Read,
    failed: Option<io::Error>,
}

impl Read for SourceReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if e.kind() != io::ErrorKind::Interrupted {
                self.failed = Some(io::Error::new(e.kind(), e.to_string()));
            }
        })
    }
}

/// Walks the entries of layer `layer` with their index (which is their index in the layer's
/// tree), until the visitor says stop or the tar ends.
pub(super) fn with_entries(
    session: &Session,
    layer: u32,
    mut visit: impl FnMut(u32, Entry, &mut dyn Read) -> io::Result<Flow>,
) -> Result<()> {
    session.read_layer(layer as usize, |tar| {
        let mut index = 0u32;
        for_each_entry(tar, |entry, _, content| {
            let flow = visit(index, entry, content)?;
            index += 1;
            Ok(flow)
        })
        .map_err(|e| match e {
            TreeError::Io(io) => io,
            TreeError::Corrupt(m) => io::Error::new(io::ErrorKind::InvalidData, m),
            TreeError::Limit(hit) => hit.into_io(),
        })?;
        Ok(())
    })
}

/// The layer reread does not hold what loading it found: the image changed underneath.
pub(super) fn vanished(image: &Image, layer: u32, path: &str) -> Error {
    Error::Layer {
        index: layer as usize,
        blob: image
            .layers
            .get(layer as usize)
            .map(|l| l.desc.blob.clone())
            .unwrap_or_default(),
        problem: LayerProblem::Vanished { path: shown(path) },
    }
}
