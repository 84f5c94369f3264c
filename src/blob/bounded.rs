//! The decompressed stream of a layer, bounded: a layer that unpacks past `--max-layer-size`,
//! or past `--max-ratio` times its compressed bytes (a decompression bomb), stops with a
//! `LimitHit` carried through `io::Error` (see `LimitHit::into_io`).

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::model::limits::Limits;

/// Wraps a decoder: fails once the decoded bytes pass `layer_size`, or pass `ratio` times the
/// compressed bytes `compressed` has counted so far (after `RATIO_GRACE`).
pub struct Bounded<'a, R> {
    inner: R,
    out: u64,
    compressed: &'a AtomicU64,
    limits: Limits,
}

impl<'a, R> Bounded<'a, R> {
    pub fn new(inner: R, compressed: &'a AtomicU64, limits: Limits) -> Self {
        Bounded {
            inner,
            out: 0,
            compressed,
            limits,
        }
    }
}

impl<R: Read> Read for Bounded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out = self.out.saturating_add(n as u64);
        let compressed = self.compressed.load(Ordering::Relaxed);
        match self.limits.layer_bytes(self.out, compressed) {
            Some(hit) => Err(hit.into_io()),
            None => Ok(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::limits::{LimitHit, RATIO_GRACE};

    fn drain(r: &mut impl Read) -> io::Result<u64> {
        io::copy(r, &mut io::sink())
    }

    #[test]
    fn layer_size_is_enforced_and_named() {
        let count = AtomicU64::new(1 << 30);
        let limits = Limits {
            layer_size: 1000,
            ..Limits::default()
        };
        let data = vec![0u8; 1000];
        assert_eq!(
            drain(&mut Bounded::new(&data[..], &count, limits)).ok(),
            Some(1000)
        );
        let data = vec![0u8; 1001];
        let err = drain(&mut Bounded::new(&data[..], &count, limits)).err();
        let hit = err
            .as_ref()
            .and_then(LimitHit::from_io)
            .map(ToString::to_string);
        assert_eq!(
            hit.as_deref(),
            Some("its uncompressed size is over the limit of 1 kB; raise it with --max-layer-size")
        );
    }

    #[test]
    fn ratio_counts_only_past_the_grace() {
        let count = AtomicU64::new(1);
        let limits = Limits::default();
        let small = vec![0u8; 1 << 20];
        assert!(drain(&mut Bounded::new(&small[..], &count, limits)).is_ok());
        let big = io::repeat(0).take(RATIO_GRACE + (1 << 20));
        let err = drain(&mut Bounded::new(big, &count, limits)).err();
        let hit = err.as_ref().and_then(LimitHit::from_io).map(|h| h.flag);
        assert_eq!(hit, Some("--max-ratio"));
        let fair = AtomicU64::new(RATIO_GRACE);
        let big = io::repeat(0).take(RATIO_GRACE + (1 << 20));
        assert!(drain(&mut Bounded::new(big, &fair, limits)).is_ok());
    }
}
