//! The layer stream as the walker reads it: forward only (a layer is a decompressing stream),
//! skipping what nobody reads into one scratch buffer, and naming where a stream that ends
//! early ended (a header block, content being skipped). The walker and the sparse-file
//! reader both read through it.

use std::io::{self, Read};

use super::error::{Ended, TreeError};

/// The layer stream, read forward only: skipped bytes (content not read, padding) are read
/// into one scratch buffer.
pub(super) struct Forward<R> {
    inner: R,
    scratch: Vec<u8>,
}

impl<R: Read> Forward<R> {
    pub(super) fn new(inner: R) -> Self {
        Forward {
            inner,
            scratch: vec![0; 32 * 1024],
        }
    }

    /// Reads past `amt` bytes; a stream that ends first is truncated.
    pub(super) fn skip(&mut self, mut amt: u64) -> Result<(), TreeError> {
        while amt > 0 {
            let want = amt.min(self.scratch.len() as u64) as usize;
            let n = match self.inner.read(&mut self.scratch[..want]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(TreeError::from_io(e)),
            };
            if n == 0 {
                return Err(TreeError::ended(Ended::Skipping));
            }
            amt -= n as u64;
        }
        Ok(())
    }

    /// Reads one 512-byte header block: `false` at a clean end of the stream, an error when
    /// it ends inside the block.
    pub(super) fn block(&mut self, block: &mut [u8; 512]) -> Result<bool, TreeError> {
        let mut got = 0;
        while got < block.len() {
            match self.inner.read(&mut block[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => return Err(TreeError::ended(Ended::InHeader)),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(TreeError::from_io(e)),
            }
        }
        Ok(true)
    }
}

impl<R: Read> Read for Forward<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

/// Bytes of padding after `size` bytes of content, up to the next 512-byte block.
pub(super) fn padding(size: u64) -> u64 {
    (512 - size % 512) % 512
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::tar::error::Corrupt;

    #[test]
    fn forward_skips_read_past_the_bytes() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut f = Forward::new(&data[..]);
        let mut head = [0u8; 10];
        f.read_exact(&mut head).unwrap();
        // Longer than the scratch buffer: several reads.
        f.skip(70_000).unwrap();
        let mut next = [0u8; 1];
        f.read_exact(&mut next).unwrap();
        assert_eq!(next[0], data[70_010]);
        let e = f.skip(40_000).unwrap_err();
        assert!(
            matches!(e, TreeError::Corrupt(Corrupt::Truncated(Ended::Skipping))),
            "{e:?}"
        );
    }
}
