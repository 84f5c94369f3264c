//! A reader that hashes what passes through it, for checking blobs against their digests
//! while they stream.

use std::io::{self, Read};

use sha2::{Digest as _, Sha256};

use crate::model::digest::Digest;

/// Hashes every byte read through it; `finish` gives the digest of the whole stream.
pub struct HashingReader<R> {
    inner: R,
    hasher: Option<Sha256>,
    bytes: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Some(Sha256::new()),
            bytes: 0,
        }
    }

    /// Hashes only if `hash`; else only counts (`finish_maybe` then gives no digest).
    pub fn maybe(inner: R, hash: bool) -> Self {
        HashingReader {
            inner,
            hasher: hash.then(Sha256::new),
            bytes: 0,
        }
    }

    /// Bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Reads the rest of the stream (so the digest covers all of it) and returns the digest.
    pub fn finish(self) -> io::Result<(Digest, u64)> {
        match self.finish_maybe()? {
            (Some(d), n) => Ok((d, n)),
            (None, _) => Err(io::Error::other(
                "finish() on a HashingReader that does not hash",
            )),
        }
    }

    /// Like `finish`, for a reader made with `maybe`.
    pub fn finish_maybe(mut self) -> io::Result<(Option<Digest>, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        let digest = self.hasher.map(|h| Digest::from_bytes(h.finalize().into()));
        Ok((digest, self.bytes))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        self.bytes += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_sha256_with_64_hex_digits() {
        let empty = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            Digest::parse(empty).map(|d| d.to_string()).as_deref(),
            Some(empty)
        );
        assert!(Digest::parse("sha512:abcd").is_none());
        assert!(Digest::parse("sha256:xyz").is_none());
        assert!(Digest::parse(&empty[..70]).is_none());
    }

    #[test]
    fn hashing_reader_covers_the_unread_tail() {
        let data = b"hello world".to_vec();
        let mut r = HashingReader::new(&data[..]);
        let mut first = [0u8; 5];
        r.read_exact(&mut first).unwrap();
        let (d, n) = r.finish().unwrap();
        assert_eq!(n, 11);
        assert_eq!(d, Digest::of(b"hello world"));
    }
}
