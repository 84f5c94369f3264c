//! The block walker: one forward pass over a layer tar, header block by header block.
//!
//! Headers are walked here rather than by the tar crate: in its raw mode (which leaves the
//! extension headers to us) it steps over content by the header's size field, where a PAX
//! `size` record must win (Go writes files of 8 GiB and more with a size field of 0); and its
//! PAX parser splits records at newlines, so a binary xattr value holding a `\n` (buildah on
//! overlay writes `SCHILY.xattr.user.overlay.origin`) corrupts every record after it. The
//! walker only reads forward (a layer is a decompressing stream), and as it always knows where
//! it is (a header, content it skips, an extension), a stream that ends early is named by
//! that place, never worked out from an error's words.

use std::io::{self, Read};

use ::tar::EntryType;

use super::error::{Corrupt, Ended, TreeError};
use super::forward::{padding, Forward};
use super::header::parse_entry;
use super::pax::{trim_nul, Extensions};
use super::sparse::{check_sparse_map, gnu_sparse_map, read_sparse_map, Holes, SparseMap};
use super::Flow;
use crate::model::tar_header::{self, SIZE};
use crate::tree::listed::Parsed;
use crate::tree::Entry;

/// Walks a layer tar, calling `visit` with each entry (digest not yet known), the size field of
/// its header, and a reader of its content. The root and AUFS bookkeeping entries are not
/// visited; the return value is the header size of the AUFS ones, which dive still counts.
/// An error `visit` returns ends the walk; one that carries a `LimitHit` is `TreeError::Limit`.
pub fn for_each_entry<R: Read>(
    input: R,
    mut visit: impl FnMut(Entry, u64, &mut dyn Read) -> io::Result<Flow>,
) -> Result<u64, TreeError> {
    let mut skipped_bytes = 0u64;
    let mut input = Forward::new(input);
    let mut ext = Extensions::default();
    let mut block = [0u8; 512];
    while input.block(&mut block)? {
        // The end-of-archive marker (and anything after it) ends the layer.
        if tar_header::is_end(&block) {
            break;
        }
        tar_header::check_sum(&block).map_err(Corrupt::Header)?;
        let etype = ::tar::Header::from_byte_slice(&block).entry_type();
        let header_size = tar_header::numeric(&block, SIZE).map_err(Corrupt::Header)?;
        let is_extension = matches!(
            etype,
            EntryType::XHeader
                | EntryType::XGlobalHeader
                | EntryType::GNULongName
                | EntryType::GNULongLink
        );
        if is_extension {
            let data = read_extension(&mut input, header_size)?;
            match etype {
                EntryType::XHeader => ext.apply_pax(&data),
                EntryType::GNULongName => ext.path = Some(trim_nul(data)),
                EntryType::GNULongLink => ext.link = Some(trim_nul(data)),
                // Global PAX headers set defaults nobody relies on for paths; skip them.
                _ => {}
            }
            continue;
        }
        let mut ext = std::mem::take(&mut ext);
        let size = ext.size.unwrap_or(header_size);
        // An old GNU sparse file's map goes on in blocks between its header and its data.
        let sparse = match etype {
            EntryType::GNUSparse => Some(gnu_sparse_map(&block, &mut input)?),
            _ => ext.sparse.take().map(|s| s.into_map()),
        };
        let mut content = (&mut input).take(size);
        let sparse = match sparse {
            Some(SparseMap::InData(real)) => Some((read_sparse_map(&mut content)?, real)),
            Some(SparseMap::Known(map, real)) => Some((map, real)),
            None => None,
        };
        // A sparse file is its logical size, holes read as zeros (as Go's archive/tar, and so
        // dive and umoci, read it).
        let logical = sparse.as_ref().map_or(size, |(_, real)| *real);
        match parse_entry(&block, ext, logical) {
            Parsed::Root => {}
            Parsed::Bookkeeping => skipped_bytes = skipped_bytes.saturating_add(logical),
            Parsed::Entry(e) => {
                let flow = match sparse {
                    Some((map, real)) => {
                        check_sparse_map(&map, real)?;
                        let mut holes = Holes::new(&mut content, map, real);
                        visit(e, logical, &mut holes)
                    }
                    None => visit(e, size, &mut content),
                };
                if flow.map_err(TreeError::from_io)? == Flow::Stop {
                    return Ok(skipped_bytes);
                }
            }
        }
        let left = content.limit();
        input.skip(left.saturating_add(padding(size)))?;
    }
    Ok(skipped_bytes)
}

/// Extension headers are small; a hostile one cannot make strata allocate more than this.
const MAX_EXTENSION_BYTES: u64 = 1 << 20;

/// The content of an extension header (PAX records, a GNU long name), and its padding read.
fn read_extension<R: Read>(input: &mut Forward<R>, size: u64) -> Result<Vec<u8>, TreeError> {
    if size > MAX_EXTENSION_BYTES {
        return Err(Corrupt::ExtensionTooBig { size }.into());
    }
    let mut data = Vec::with_capacity(size as usize);
    (&mut *input)
        .take(size)
        .read_to_end(&mut data)
        .map_err(TreeError::from_io)?;
    if (data.len() as u64) < size {
        return Err(TreeError::ended(Ended::InExtension));
    }
    input.skip(padding(size))?;
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{header, tar_of};
    use super::super::{read_layer, Limits};
    use super::*;
    use crate::model::tar_header::HeaderProblem;

    #[test]
    fn entries_left_unread_are_skipped_and_a_cut_one_is_truncated_data() {
        let big = vec![7u8; 50_000];
        let tar = tar_of(&[
            ("a", EntryType::Regular, &big),
            ("b", EntryType::Regular, b"xyz"),
        ]);
        // The visitor reads nothing: every content is skipped through `Forward`.
        let mut names = Vec::new();
        for_each_entry(&tar[..], |e, _, _| {
            names.push(e.path.to_string());
            Ok(Flow::Continue)
        })
        .unwrap();
        assert_eq!(names, ["a", "b"]);
        let cut = &tar[..30_000];
        let err = for_each_entry(cut, |_, _, _| Ok(Flow::Continue)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "truncated data (unexpected EOF during skip)"
        );
        // Cut inside the second header, and inside an extension header.
        let err = for_each_entry(&tar[..50_800], |_, _, _| Ok(Flow::Continue)).unwrap_err();
        assert!(
            matches!(err, TreeError::Corrupt(Corrupt::Truncated(Ended::InHeader))),
            "{err:?}"
        );
        let pax = tar_of(&[(
            "PaxHeaders/x",
            EntryType::XHeader,
            b"30 path=a-long-name-of-a-file\n",
        )]);
        let err = for_each_entry(&pax[..520], |_, _, _| Ok(Flow::Continue)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "truncated data (unexpected EOF in an extension header)"
        );
    }

    /// An error of the stream below the tar, met in each place the walker reads: a limit comes
    /// back as the limit, a cut stream as truncated data in the stream's words.
    #[test]
    fn errors_below_the_tar_keep_their_kind_wherever_they_are_met() {
        struct FailsAt<'a>(&'a [u8], usize, fn() -> io::Error);
        impl Read for FailsAt<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.1 == 0 {
                    return Err((self.2)());
                }
                let n = buf.len().min(self.1).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                self.1 -= n;
                Ok(n)
            }
        }
        let tar = tar_of(&[("a", EntryType::Regular, &[1u8; 2000])]);
        let hit = || {
            crate::model::limits::LimitHit::new("x".into(), "y".into(), "--max-layer-size")
                .into_io()
        };
        let cut = || io::Error::new(io::ErrorKind::UnexpectedEof, "deflate stream cut");
        // In a header, in content (read by `read_layer`, skipped by the plain walk), in the
        // padding after it.
        for at in [100, 600, 2522] {
            let read = |e| read_layer(FailsAt(&tar, at, e), &Limits::default()).unwrap_err();
            assert!(matches!(read(hit), TreeError::Limit(_)), "{at}");
            assert_eq!(read(cut).to_string(), "truncated data (deflate stream cut)");
            let skip = for_each_entry(FailsAt(&tar, at, cut), |_, _, _| Ok(Flow::Continue));
            assert_eq!(
                skip.unwrap_err().to_string(),
                "truncated data (deflate stream cut)"
            );
        }
        let other = || io::Error::other("corrupt deflate stream");
        let e = read_layer(FailsAt(&tar, 600, other), &Limits::default()).unwrap_err();
        assert!(matches!(e, TreeError::Io(_)), "{e:?}");
    }

    /// Go's archive/tar writes a file of 8 GiB or more with a PAX `size` record and 0 in the
    /// header's size field (Python's tarfile too): the record says how far the content goes.
    #[test]
    fn a_pax_size_record_overrides_the_header_size() {
        let record = b"12 size=600\n";
        let mut t = tar_of(&[("PaxHeaders/big", EntryType::XHeader, record)]);
        t.truncate(t.len() - 1024);
        let content: Vec<u8> = (0..600u32).map(|i| (i % 251) as u8).collect();
        t.extend_from_slice(header("big", EntryType::Regular, 0).as_bytes());
        t.extend_from_slice(&content);
        t.resize(t.len().div_ceil(512) * 512, 0);
        t.extend(tar_of(&[("after", EntryType::Regular, b"xyz")]));
        let tree = read_layer(&t[..], &Limits::default()).unwrap();
        let got: Vec<(&str, u64)> = tree.entries.iter().map(|e| (&*e.path, e.size)).collect();
        assert_eq!(got, [("big", 600), ("after", 3)]);
        let digest: [u8; 32] = *blake3::hash(&content).as_bytes();
        assert_eq!(tree.entries[0].digest, Some(digest));
        assert_eq!(tree.header_bytes, 603);
    }

    #[test]
    fn a_bad_checksum_is_a_corrupt_header() {
        let mut t = tar_of(&[("a", EntryType::Regular, b"1")]);
        t[148] = b'7';
        match read_layer(&t[..], &Limits::default()) {
            Err(e @ TreeError::Corrupt(Corrupt::Header(HeaderProblem::Checksum))) => {
                assert_eq!(e.to_string(), "corrupt tar header (checksum mismatch)")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_corrupt_header_is_an_error_not_a_panic() {
        let mut t = tar_of(&[("a", EntryType::Regular, b"xyz")]);
        t[148] ^= 0x55; // checksum field
        match read_layer(&t[..], &Limits::default()) {
            Err(e @ TreeError::Corrupt(Corrupt::Header(_))) => {
                assert!(e.to_string().starts_with("corrupt tar header"), "{e}")
            }
            other => panic!("expected a corrupt header, got {other:?}"),
        }
    }

    #[test]
    fn a_size_field_that_is_no_number_is_named() {
        let mut h = header("a", EntryType::Regular, 0);
        h.as_old_mut().size.copy_from_slice(b"12345678901x");
        h.set_cksum();
        let mut t = h.as_bytes().to_vec();
        t.resize(2048, 0);
        let e = read_layer(&t[..], &Limits::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "corrupt tar header (numeric field was not a number in its size field)"
        );
    }

    #[test]
    fn a_huge_extension_header_is_refused_before_it_is_read() {
        let mut t = header("PaxHeaders/x", EntryType::XHeader, 3 << 20)
            .as_bytes()
            .to_vec();
        t.resize(4096, 0);
        match read_layer(&t[..], &Limits::default()) {
            Err(TreeError::Corrupt(Corrupt::ExtensionTooBig { size })) => {
                assert_eq!(size, 3 << 20)
            }
            other => panic!("{other:?}"),
        }
    }
}
