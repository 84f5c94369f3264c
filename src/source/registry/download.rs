//! A blob (a layer, or a config) streaming from the registry into its reader, and into the
//! blob cache on the way.
//!
//! The reader is blocking (the tree builder reads with `std::io::Read`), the client async:
//! each read waits on the store's runtime for the next chunk. A failure, of the request or in
//! the middle of the stream, counts against the download's one `Tries`; the next try resumes
//! at the byte the last one stopped at (HTTP Range), or restarts and skips what was already
//! delivered when the registry ignores ranges. The cache keeps the blob only if the whole of
//! it matches its digest.

use std::io::{self, Read};

use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use oci_client::client::BlobResponse;

use super::failure::{Failure, Kind};
use super::retry::Tries;
use super::{RegistryMiss, RegistryStore};
use crate::blob::store::BlobWriter;
use crate::model::digest::Digest;

/// Why a download stopped for good: a transfer error (see `source::TransferError`), not
/// bytes that fail to decode.
#[derive(Debug, thiserror::Error)]
pub(super) enum DownloadError {
    /// The request for the blob (or for the rest of it) failed.
    #[error("download from {registry} failed: {failure}")]
    Request {
        registry: String,
        #[source]
        failure: Failure,
    },
    /// The blob's stream kept breaking off.
    #[error("download from {registry} failed after {attempts} attempts at byte {offset}: {}", .failure.detail)]
    Stream {
        registry: String,
        attempts: u32,
        offset: u64,
        #[source]
        failure: Failure,
    },
}

/// What a blob's stream gives next.
enum Next {
    Bytes(bytes::Bytes),
    /// The response ended cleanly.
    End,
    /// The connection broke.
    Broke(io::Error),
    /// Nothing came within the timeout.
    Silent,
}

/// A blob streaming from the registry (see the module's comment).
pub(super) struct Download<'a> {
    store: &'a RegistryStore,
    digest: Digest,
    size: Option<u64>,
    stream: Option<BoxStream<'static, io::Result<bytes::Bytes>>>,
    chunk: bytes::Bytes,
    /// Bytes still to drop from a restarted (non-ranged) response.
    skip: u64,
    /// Bytes delivered so far.
    offset: u64,
    tries: Tries,
    writer: Option<BlobWriter>,
}

impl<'a> Download<'a> {
    pub(super) fn new(store: &'a RegistryStore, digest: &Digest, size: Option<u64>) -> Self {
        Download {
            store,
            digest: digest.clone(),
            size,
            stream: None,
            chunk: bytes::Bytes::new(),
            skip: 0,
            offset: 0,
            tries: Tries::default(),
            writer: store
                .cache
                .as_ref()
                .and_then(|c| c.blob_writer(digest).ok()),
        }
    }

    /// Asks for the blob from the byte delivered last, once; a failure counts against the
    /// download's tries like a broken stream does.
    fn connect(&mut self) -> io::Result<()> {
        let store = self.store;
        let digest = self.digest.to_string();
        let offset = self.offset;
        let client = store.client();
        let response = store
            .rt
            .block_on(store.policy.once(client.pull_blob_stream_partial(
                &store.reference,
                digest.as_str(),
                offset,
                None,
            )));
        match response {
            Ok(BlobResponse::Full(s)) => {
                self.skip = offset;
                self.stream = Some(s.stream);
            }
            Ok(BlobResponse::Partial(s)) => {
                self.skip = 0;
                self.stream = Some(s.stream);
            }
            Err((failure, _)) => self.wait_or_give_up(failure, false)?,
        }
        Ok(())
    }

    /// Drops the broken stream and waits before the next try, or gives up with the error the
    /// reader gets.
    fn wait_or_give_up(&mut self, failure: Failure, in_stream: bool) -> io::Result<()> {
        self.stream = None;
        let failure = match self.tries.failed(failure) {
            Ok(pause) => {
                // A timer belongs to a runtime: made inside `block_on`, never before.
                self.store
                    .rt
                    .block_on(async { tokio::time::sleep(pause).await });
                return Ok(());
            }
            Err(failure) => failure,
        };
        let registry = self.store.registry.clone();
        if failure.kind == Kind::NotFound {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                RegistryMiss {
                    registry,
                    digest: self.digest.clone(),
                    failure,
                },
            ));
        }
        Err(crate::source::transfer_error(if in_stream {
            DownloadError::Stream {
                registry,
                attempts: self.tries.count(),
                offset: self.offset,
                failure,
            }
        } else {
            DownloadError::Request { registry, failure }
        }))
    }

    /// What the current stream gives next; `None` without a stream.
    fn next_chunk(&mut self) -> Option<Next> {
        let timeout = self.store.policy.timeout;
        let s = self.stream.as_mut()?;
        let next = self
            .store
            .rt
            .block_on(async { tokio::time::timeout(timeout, s.next()).await });
        Some(match next {
            Ok(Some(Ok(bytes))) => Next::Bytes(bytes),
            Ok(None) => Next::End,
            Ok(Some(Err(e))) => Next::Broke(e),
            Err(_) => Next::Silent,
        })
    }

    /// Whether bytes follow the last one the manifest's size allows (checked once).
    fn sends_more(&mut self) -> bool {
        if !self.chunk.is_empty() {
            return true;
        }
        while let Some(next) = self.next_chunk() {
            match next {
                Next::Bytes(bytes) if bytes.is_empty() => continue,
                Next::Bytes(_) => return true,
                // The end, or a break after the last byte: the blob is whole.
                _ => break,
            }
        }
        self.stream = None;
        false
    }

    fn finish(&mut self) {
        if let Some(w) = self.writer.take() {
            // A blob that does not match is not kept; the reader's own digest check reports it.
            let _ = w.commit();
        }
    }
}

impl Read for Download<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let remaining = self
                .size
                .map_or(u64::MAX, |s| s.saturating_sub(self.offset));
            if remaining == 0 {
                // The manifest's size is the blob's: a registry that sends more is sending
                // another blob, whatever the digest of its first bytes says.
                if self.size.is_some() && self.sends_more() {
                    self.writer = None;
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "registry {} sent more than the {} bytes the manifest gives for {}",
                            self.store.registry, self.offset, self.digest
                        ),
                    ));
                }
                self.finish();
                return Ok(0);
            }
            if !self.chunk.is_empty() {
                let n = self.chunk.len().min(buf.len()).min(remaining as usize);
                let part = self.chunk.split_to(n);
                buf[..n].copy_from_slice(&part);
                self.offset += n as u64;
                if let Some(w) = &mut self.writer {
                    if w.write(&part).is_err() {
                        // A full or read-only cache never fails the load.
                        self.writer = None;
                    }
                }
                return Ok(n);
            }
            if self.stream.is_none() {
                self.connect()?;
            }
            let Some(next) = self.next_chunk() else {
                continue;
            };
            let broke = match next {
                Next::Bytes(mut bytes) => {
                    if self.skip > 0 {
                        let drop = (self.skip as usize).min(bytes.len());
                        let _ = bytes.split_to(drop);
                        self.skip -= drop as u64;
                    }
                    self.chunk = bytes;
                    continue;
                }
                // A response that ends cleanly is the whole blob as the registry has it, even
                // shorter than the manifest says (a cut connection is an error, below): the
                // digest check then reports a blob that is not the one asked for.
                Next::End if self.skip == 0 => {
                    self.finish();
                    return Ok(0);
                }
                Next::End => Failure::new(
                    Kind::Transient,
                    format!("a restarted download ended before byte {}", self.offset),
                ),
                Next::Broke(e) => Failure::new(Kind::Transient, e.to_string()).caused_by(e),
                Next::Silent => Failure::new(
                    Kind::Transient,
                    format!("no data for {} s", self.store.policy.timeout.as_secs()),
                ),
            };
            self.wait_or_give_up(broke, true)?;
        }
    }
}
