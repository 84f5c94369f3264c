//! Compression is read from the first bytes of a blob, never trusted from a media type.

use std::io::{self, BufRead, Read};

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    /// gzip, including multi-member streams (eStargz, pigz).
    Gzip,
    Zstd,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "uncompressed",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// Looks at the magic bytes. Formats strata cannot read are an error that names them.
pub fn detect(head: &[u8]) -> Result<Compression, String> {
    match head {
        [0x1f, 0x8b, ..] => Ok(Compression::Gzip),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Ok(Compression::Zstd),
        // A zstd skippable frame (magic 0x184D2A50..=0x184D2A5F, RFC 8878 3.1.2) may come
        // first: zstd:chunked and seekable-zstd writers put metadata in them.
        [0x50..=0x5f, 0x2a, 0x4d, 0x18, ..] => Ok(Compression::Zstd),
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => {
            Err("xz-compressed data is not supported".into())
        }
        [b'B', b'Z', b'h', ..] => Err("bzip2-compressed data is not supported".into()),
        _ => Ok(Compression::None),
    }
}

/// What a media type says the compression is, when it says (`+gzip`, `.tar`, ...). Only for
/// blobs whose bytes are not at hand: the bytes decide otherwise.
pub fn from_media_type(media_type: &str) -> Option<Compression> {
    let m = media_type.to_ascii_lowercase();
    if m.ends_with("+gzip") || m.ends_with(".gzip") || m.ends_with("tar.gzip") {
        Some(Compression::Gzip)
    } else if m.ends_with("+zstd") || m.ends_with(".zstd") {
        Some(Compression::Zstd)
    } else if m.ends_with(".tar") || m.ends_with("diff.tar") {
        Some(Compression::None)
    } else {
        None
    }
}

/// Wraps `input` in the decoder its first bytes call for.
pub fn decoder<'a, R: BufRead + 'a>(mut input: R) -> io::Result<(Compression, Box<dyn Read + 'a>)> {
    let head = fill_at_least(&mut input, 6)?;
    let kind = detect(&head).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    let reader: Box<dyn Read + 'a> = match kind {
        Compression::None => Box::new(input),
        // MultiGzDecoder, not GzDecoder: eStargz and pigz write many gzip members.
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(input)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(input)?),
    };
    Ok((kind, reader))
}

/// Returns (a copy of) up to `n` leading bytes without consuming them. A `BufRead` hands out
/// at least one full buffer on the first fill for files, which is all detection needs.
fn fill_at_least<R: BufRead>(input: &mut R, n: usize) -> io::Result<Vec<u8>> {
    let buf = input.fill_buf()?;
    Ok(buf[..buf.len().min(n)].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_magic() {
        assert_eq!(detect(&[0x1f, 0x8b, 8, 0]), Ok(Compression::Gzip));
        assert_eq!(detect(&[0x28, 0xb5, 0x2f, 0xfd]), Ok(Compression::Zstd));
        assert_eq!(detect(b"etc/\0\0\0"), Ok(Compression::None));
        assert!(detect(&[0xfd, b'7', b'z', b'X', b'Z', 0]).is_err());
    }

    #[test]
    fn zstd_that_starts_with_a_skippable_frame_is_zstd() {
        let mut blob = vec![0x5e, 0x2a, 0x4d, 0x18, 4, 0, 0, 0];
        blob.extend_from_slice(b"meta");
        blob.extend(zstd::encode_all(&b"the tar"[..], 3).unwrap_or_default());
        let (kind, mut r) =
            decoder(&blob[..]).unwrap_or_else(|_| (Compression::None, Box::new(&b""[..])));
        let mut s = String::new();
        r.read_to_string(&mut s).ok();
        assert_eq!(kind, Compression::Zstd);
        assert_eq!(s, "the tar");
    }

    #[test]
    fn gzip_with_several_members_is_read_to_the_end() {
        use flate2::{write::GzEncoder, Compression as Level};
        use std::io::Write;
        let mut out = Vec::new();
        for part in [b"first ".as_slice(), b"second"] {
            let mut enc = GzEncoder::new(Vec::new(), Level::fast());
            enc.write_all(part).ok();
            out.extend(enc.finish().unwrap_or_default());
        }
        let (kind, mut r) =
            decoder(&out[..]).unwrap_or_else(|_| (Compression::None, Box::new(&b""[..])));
        let mut s = String::new();
        r.read_to_string(&mut s).ok();
        assert_eq!(kind, Compression::Gzip);
        assert_eq!(s, "first second");
    }
}
