//! One part of a blob, fetched by HTTP Range without the rest of it: the footer and table of
//! contents of an eStargz or zstd:chunked layer, a file's chunks (`load::toc_read`).
//!
//! Same client, credentials and retry policy as a whole download (`download`): a request that
//! fails, or a body that breaks off, counts against one `Tries`, and the next try asks only
//! for what is still missing. The answer is a `206` with exactly the bytes asked for. A `200`
//! means the registry ignores ranges: its body (the whole blob) is not read, the store
//! remembers it and every later call says `None` at once, so the caller reads the blob whole,
//! once. Bytes fetched here never go into the blob cache: a blob enters it only whole, after
//! its digest checks out (the full download), so nothing is stored twice or half.

use std::io;
use std::sync::atomic::Ordering;

use futures_util::StreamExt;
use oci_client::client::BlobResponse;

use super::download::DownloadError;
use super::failure::{Failure, Kind};
use super::retry::Tries;
use super::{blob_digest, RegistryMiss, RegistryStore};
use crate::model::digest::Digest;

/// The largest part asked for: a table of contents is bounded by `--max-json-size`, a file's
/// chunks are fetched a few MiB at a time; more than this is a caller's mistake, and the blob
/// is read whole instead.
pub(super) const MAX_RANGE: u64 = 256 << 20;

/// How one request for a part ended.
enum Attempt {
    /// Every byte asked for has arrived.
    Done,
    /// The registry answered with the whole blob (`200`): it ignores ranges.
    Ignored,
}

impl RegistryStore {
    /// `len` bytes of blob `name` from `offset` (see `Store::range`).
    pub(super) fn fetch_range(
        &self,
        name: &str,
        offset: u64,
        len: u64,
    ) -> Option<io::Result<Vec<u8>>> {
        let digest = blob_digest(name)?;
        if len > MAX_RANGE
            || self.offline
            || self.ranges_ignored.load(Ordering::Relaxed)
            || self.is_manifest(&digest)
            // A cached blob is read from the disk, whole: the ordinary path.
            || self.cache.as_ref().is_some_and(|c| c.blob(&digest).is_some())
        {
            return None;
        }
        if len == 0 {
            return Some(Ok(Vec::new()));
        }
        if offset.checked_add(len).is_none() {
            return Some(Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("no bytes {offset}+{len} in {digest}"),
            )));
        }
        // Room for what arrives, not for what was asked.
        let mut out = Vec::with_capacity(len.min(1 << 20) as usize);
        let mut tries = Tries::default();
        loop {
            let failure = match self.range_once(&digest, offset, len, &mut out) {
                Ok(Attempt::Done) => return Some(Ok(out)),
                Ok(Attempt::Ignored) => {
                    self.ranges_ignored.store(true, Ordering::Relaxed);
                    return None;
                }
                Err(Stop::Fatal(e)) => return Some(Err(e)),
                Err(Stop::Failed(failure)) => failure,
            };
            match tries.failed(failure) {
                Ok(pause) => self.rt.block_on(async { tokio::time::sleep(pause).await }),
                Err(failure) => return Some(Err(self.range_error(&digest, failure))),
            }
        }
    }

    /// One request for what `out` still lacks of `offset..offset + len`.
    fn range_once(
        &self,
        digest: &Digest,
        offset: u64,
        len: u64,
        out: &mut Vec<u8>,
    ) -> Result<Attempt, Stop> {
        let have = out.len() as u64;
        let (from, want) = (offset + have, len - have);
        let client = self.client();
        let digest_text = digest.to_string();
        let response = self
            .rt
            .block_on(self.policy.once(client.pull_blob_stream_partial(
                &self.reference,
                digest_text.as_str(),
                from,
                Some(want),
            )));
        let stream = match response {
            // The body (the whole blob) is dropped unread.
            Ok(BlobResponse::Full(_)) => return Ok(Attempt::Ignored),
            Ok(BlobResponse::Partial(s)) => s,
            Err((failure, _)) => return Err(Stop::Failed(failure)),
        };
        if let Some(n) = stream.content_length.filter(|n| *n != want) {
            return Err(Stop::Fatal(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "registry {} answered {n} bytes for the {want} asked for at byte {from} of {digest}",
                    self.registry
                ),
            )));
        }
        let mut body = stream.stream;
        let timeout = self.policy.timeout;
        loop {
            let next = self
                .rt
                .block_on(async { tokio::time::timeout(timeout, body.next()).await });
            match next {
                Ok(Some(Ok(bytes))) => {
                    if (out.len() + bytes.len()) as u64 > len {
                        return Err(Stop::Fatal(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "registry {} sent more than the {want} bytes asked for at byte {from} of {digest}",
                                self.registry
                            ),
                        )));
                    }
                    out.extend_from_slice(&bytes);
                }
                Ok(None) if out.len() as u64 == len => return Ok(Attempt::Done),
                Ok(None) => {
                    return Err(Stop::Failed(Failure::new(
                        Kind::Transient,
                        format!(
                            "a range ended after {} of {want} bytes",
                            out.len() as u64 - have
                        ),
                    )))
                }
                Ok(Some(Err(e))) => {
                    return Err(Stop::Failed(
                        Failure::new(Kind::Transient, e.to_string()).caused_by(e),
                    ))
                }
                Err(_) => {
                    return Err(Stop::Failed(Failure::new(
                        Kind::Transient,
                        format!("no data for {} s", timeout.as_secs()),
                    )))
                }
            }
        }
    }

    /// The error a reader gets when a range could not be had (as a download's would read).
    fn range_error(&self, digest: &Digest, failure: Failure) -> io::Error {
        let registry = self.registry.clone();
        if failure.kind == Kind::NotFound {
            return io::Error::new(
                io::ErrorKind::NotFound,
                RegistryMiss {
                    registry,
                    digest: digest.clone(),
                    failure,
                },
            );
        }
        crate::source::transfer_error(DownloadError::Request { registry, failure })
    }
}

/// Why a request for a part stopped.
enum Stop {
    /// Worth another try (counted against the part's `Tries`).
    Failed(Failure),
    /// An answer that is not the part asked for: not retried.
    Fatal(io::Error),
}
