//! GNU sparse files, in the three forms GNU tar writes them: old GNU (`S` headers, the map in
//! the header and in extension blocks after it), PAX 0.1 (the map in a record) and PAX 1.0 (the
//! map at the start of the content). A sparse file is read as its logical content, holes as
//! zeros, as Go's archive/tar (and so dive and umoci) reads it, so its content id is the file's.
//!
//! Every map is untrusted: segments must be in order, must not overlap and must stay inside
//! the logical size, and their number is bounded, before a byte of the file is handed out.

use std::io::{self, Read};

use super::error::{Ended, SparseDataEnded, SparseProblem, TreeError};
use super::forward::{padding, Forward};
use super::Corrupt;

/// Where a sparse file's map of data segments is.
pub(super) enum SparseMap {
    /// Given: (offset, length) of each data segment, and the file's logical size.
    Known(Vec<(u64, u64)>, u64),
    /// At the start of the content (PAX sparse 1.0); the logical size.
    InData(u64),
}

/// Sparse-file records of a PAX header (GNU tar's 0.1 and 1.0 formats).
#[derive(Debug, Default)]
pub(super) struct PaxSparse {
    pub major: Option<u64>,
    pub real_size: Option<u64>,
    pub map: Option<Vec<u64>>,
}

impl PaxSparse {
    pub(super) fn into_map(self) -> SparseMap {
        let real = self.real_size.unwrap_or(0);
        match (self.major, self.map) {
            (_, Some(numbers)) => SparseMap::Known(
                numbers.chunks_exact(2).map(|c| (c[0], c[1])).collect(),
                real,
            ),
            (Some(1), None) => SparseMap::InData(real),
            // No map: all of the file is a hole.
            _ => SparseMap::Known(Vec::new(), real),
        }
    }
}

/// More segments than this in one file is not a real sparse file.
const MAX_SPARSE_SEGMENTS: usize = 1 << 20;

fn bad(problem: SparseProblem) -> TreeError {
    Corrupt::Sparse(problem).into()
}

/// The map of an old GNU sparse header (type `S`): four segments in the header, then 21 in
/// each extension block for as long as the "extended" flag is set; and the logical size.
pub(super) fn gnu_sparse_map<R: Read>(
    header: &[u8; 512],
    input: &mut Forward<R>,
) -> Result<SparseMap, TreeError> {
    let mut map = Vec::new();
    let mut push = |raw: &[u8]| -> Result<(), TreeError> {
        let offset = octal(&raw[..12]).ok_or_else(|| bad(SparseProblem::Offset))?;
        let length = octal(&raw[12..24]).ok_or_else(|| bad(SparseProblem::Length))?;
        if length > 0 {
            map.push((offset, length));
        }
        if map.len() > MAX_SPARSE_SEGMENTS {
            return Err(bad(SparseProblem::TooManySegments));
        }
        Ok(())
    };
    for i in 0..4 {
        push(&header[386 + 24 * i..386 + 24 * (i + 1)])?;
    }
    let real = octal(&header[483..495]).ok_or_else(|| bad(SparseProblem::RealSize))?;
    let mut extended = header[482] == 1;
    let mut block = [0u8; 512];
    while extended {
        if !input.block(&mut block)? {
            return Err(TreeError::ended(Ended::InSparseMap));
        }
        for i in 0..21 {
            push(&block[24 * i..24 * (i + 1)])?;
        }
        extended = block[504] == 1;
    }
    Ok(SparseMap::Known(map, real))
}

/// A numeric field of a GNU sparse map as GNU tar and Go read it: octal digits (NUL- or
/// space-terminated, empty is 0) or base-256. Stricter than `model::tar_header::numeric` on
/// overflow, as these numbers are offsets the reader then trusts.
fn octal(raw: &[u8]) -> Option<u64> {
    if raw.first().is_some_and(|b| b & 0x80 != 0) {
        let mut n: u64 = u64::from(raw[0] & 0x7f);
        for &b in &raw[1..] {
            n = n.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(n);
    }
    let text = std::str::from_utf8(raw).ok()?;
    let digits = text.trim_matches(|c: char| c == '\0' || c == ' ');
    if digits.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(digits, 8).ok()
}

/// The map at the start of a PAX sparse 1.0 file's content: decimal numbers, one per line
/// (the count, then offset and length of each segment), padded to a 512-byte block.
pub(super) fn read_sparse_map(content: &mut impl Read) -> Result<Vec<(u64, u64)>, TreeError> {
    let mut consumed = 0u64;
    let mut number = || -> Result<u64, TreeError> {
        let mut digits = Vec::new();
        loop {
            let mut byte = [0u8; 1];
            if content.read(&mut byte).map_err(TreeError::from_io)? == 0 {
                return Err(TreeError::ended(Ended::InSparseMap));
            }
            consumed += 1;
            if byte[0] == b'\n' {
                break;
            }
            if digits.len() >= 20 {
                return Err(bad(SparseProblem::Map));
            }
            digits.push(byte[0]);
        }
        std::str::from_utf8(&digits)
            .ok()
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| bad(SparseProblem::Map))
    };
    let count = number()?;
    if count > MAX_SPARSE_SEGMENTS as u64 {
        return Err(bad(SparseProblem::TooManySegments));
    }
    let mut map = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let offset = number()?;
        let length = number()?;
        map.push((offset, length));
    }
    let pad = padding(consumed);
    io::copy(&mut content.take(pad), &mut io::sink()).map_err(TreeError::from_io)?;
    Ok(map)
}

/// Segments in order, not overlapping, inside the logical size.
pub(super) fn check_sparse_map(map: &[(u64, u64)], real: u64) -> Result<(), TreeError> {
    let mut end = 0u64;
    for &(offset, length) in map {
        let stop = offset
            .checked_add(length)
            .ok_or_else(|| bad(SparseProblem::Map))?;
        if offset < end || stop > real {
            return Err(bad(SparseProblem::Map));
        }
        end = stop;
    }
    Ok(())
}

/// A sparse file's logical content: its data segments from `inner`, zeros between them.
pub(super) struct Holes<'r, R> {
    inner: &'r mut R,
    map: Vec<(u64, u64)>,
    real: u64,
    pos: u64,
    segment: usize,
}

impl<'r, R: Read> Holes<'r, R> {
    /// `map` must have passed `check_sparse_map` against `real`.
    pub(super) fn new(inner: &'r mut R, map: Vec<(u64, u64)>, real: u64) -> Self {
        Holes {
            inner,
            map,
            real,
            pos: 0,
            segment: 0,
        }
    }
}

impl<R: Read> Read for Holes<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self
            .map
            .get(self.segment)
            .is_some_and(|&(o, l)| o + l <= self.pos)
        {
            self.segment += 1;
        }
        if self.pos >= self.real || buf.is_empty() {
            return Ok(0);
        }
        let left = self.real - self.pos;
        let n = match self.map.get(self.segment) {
            Some(&(offset, length)) if offset <= self.pos => {
                let want = (offset + length - self.pos).min(left).min(buf.len() as u64) as usize;
                let n = self.inner.read(&mut buf[..want])?;
                if n == 0 {
                    // An error, not a short read: the visitor hashes what it is given, and a
                    // file cut inside its data must not pass for one with fewer bytes.
                    return Err(SparseDataEnded.into_io());
                }
                n
            }
            next => {
                let data_at = next.map_or(self.real, |&(offset, _)| offset);
                let n = (data_at - self.pos).min(buf.len() as u64) as usize;
                buf[..n].fill(0);
                n
            }
        };
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{block_padded, header, pax_file, tar_of};
    use super::super::{read_layer, Limits};
    use super::*;
    use ::tar::EntryType;

    /// "DATA" at 0, "TAIL" at 9996 of a 10000-byte file, zeros between.
    fn sparse_content() -> Vec<u8> {
        let mut c = vec![0u8; 10_000];
        c[..4].copy_from_slice(b"DATA");
        c[9_996..].copy_from_slice(b"TAIL");
        c
    }

    fn assert_sparse_read(t: &[u8]) {
        let tree = read_layer(t, &Limits::default()).unwrap();
        let got: Vec<(&str, u64)> = tree.entries.iter().map(|e| (&*e.path, e.size)).collect();
        assert_eq!(got, [("sparse", 10_000), ("after", 3)]);
        let digest: [u8; 32] = *blake3::hash(&sparse_content()).as_bytes();
        assert_eq!(tree.entries[0].digest, Some(digest));
        assert_eq!(tree.header_bytes, 10_003);
    }

    /// An old GNU `S` header of "sparse" whose second segment (9996, 4) is in an extension
    /// block; `data` follows.
    fn old_gnu_sparse(data: &[u8]) -> Vec<u8> {
        let mut h = header("sparse", EntryType::GNUSparse, 8);
        let raw = h.as_mut_bytes();
        raw[386..398].copy_from_slice(b"00000000000\0");
        raw[398..410].copy_from_slice(b"00000000004\0");
        raw[482] = 1;
        raw[483..495].copy_from_slice(format!("{:011o}\0", 10_000).as_bytes());
        h.set_cksum();
        let mut ext = [0u8; 512];
        ext[..12].copy_from_slice(format!("{:011o}\0", 9_996).as_bytes());
        ext[12..24].copy_from_slice(b"00000000004\0");
        let mut t = h.as_bytes().to_vec();
        t.extend_from_slice(&ext);
        t.extend_from_slice(data);
        t
    }

    #[test]
    fn gnu_sparse_files_read_as_their_logical_content() {
        let after = tar_of(&[("after", EntryType::Regular, b"xyz")]);
        // PAX 1.0 (GNU tar --format=posix): the map leads the data.
        let mut data = block_padded(b"2\n0\n4\n9996\n4\n".to_vec());
        data.extend_from_slice(b"DATATAIL");
        let records = [
            ("GNU.sparse.major", "1"),
            ("GNU.sparse.minor", "0"),
            ("GNU.sparse.name", "sparse"),
            ("GNU.sparse.realsize", "10000"),
        ];
        let mut t = pax_file(&records, "GNUSparseFile.0/sparse", &data);
        t.extend_from_slice(&after);
        assert_sparse_read(&t);

        // PAX 0.1: the map in a record.
        let records = [
            ("GNU.sparse.size", "10000"),
            ("GNU.sparse.numblocks", "2"),
            ("GNU.sparse.map", "0,4,9996,4"),
            ("GNU.sparse.name", "sparse"),
        ];
        let mut t = pax_file(&records, "GNUSparseFile.1/sparse", b"DATATAIL");
        t.extend_from_slice(&after);
        assert_sparse_read(&t);

        // Old GNU `S`: the map in the header, and in an extension block when it is longer
        // than four segments.
        let mut t = old_gnu_sparse(&block_padded(b"DATATAIL".to_vec()));
        t.extend_from_slice(&after);
        assert_sparse_read(&t);
    }

    /// A sparse file of 1 EiB of holes is refused before any of it is hashed.
    #[test]
    fn a_huge_sparse_file_is_a_limit_not_an_endless_hash() {
        let records = [
            ("GNU.sparse.size", "1152921504606846976"),
            ("GNU.sparse.map", "0,4"),
            ("GNU.sparse.name", "sparse"),
        ];
        let mut t = pax_file(&records, "GNUSparseFile.1/sparse", b"DATA");
        t.extend(vec![0u8; 1024]);
        match read_layer(&t[..], &Limits::default()) {
            Err(TreeError::Limit(hit)) => assert!(hit.to_string().contains("--max-layer-size")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_sparse_map_outside_the_file_is_corrupt() {
        let records = [
            ("GNU.sparse.size", "100"),
            ("GNU.sparse.map", "0,4,98,4"),
            ("GNU.sparse.name", "sparse"),
        ];
        let mut t = pax_file(&records, "GNUSparseFile.1/sparse", b"DATATAIL");
        t.extend(vec![0u8; 1024]);
        match read_layer(&t[..], &Limits::default()) {
            Err(e @ TreeError::Corrupt(Corrupt::Sparse(SparseProblem::Map))) => {
                assert_eq!(e.to_string(), "corrupt tar header (sparse file: map)")
            }
            other => panic!("{other:?}"),
        }
    }

    /// Each place a sparse file can end early is named as the walker knew it.
    #[test]
    fn a_cut_sparse_file_is_truncated_where_it_was_cut() {
        let truncated = |t: &[u8]| read_layer(t, &Limits::default()).unwrap_err().to_string();
        // In the old GNU map's extension block.
        let t = old_gnu_sparse(&[]);
        assert_eq!(
            truncated(&t[..512]),
            "truncated data (unexpected EOF in a sparse map)"
        );
        // In its data: the second segment is missing.
        assert_eq!(
            truncated(&old_gnu_sparse(b"DATA")),
            "truncated data (unexpected EOF in sparse file data)"
        );
        // In a PAX 1.0 map.
        let records = [
            ("GNU.sparse.major", "1"),
            ("GNU.sparse.name", "sparse"),
            ("GNU.sparse.realsize", "10000"),
        ];
        let t = pax_file(&records, "GNUSparseFile.0/sparse", b"2\n0\n4\n99");
        assert_eq!(
            truncated(&t[..1024 + 512 + 9]),
            "truncated data (unexpected EOF in a sparse map)"
        );
    }

    #[test]
    fn a_map_that_is_no_number_is_corrupt() {
        let mut h = header("sparse", EntryType::GNUSparse, 0);
        h.as_mut_bytes()[483..495].copy_from_slice(b"0000000000z\0");
        h.set_cksum();
        let mut t = h.as_bytes().to_vec();
        t.resize(2048, 0);
        let e = read_layer(&t[..], &Limits::default()).unwrap_err();
        assert_eq!(e.to_string(), "corrupt tar header (sparse file: real size)");
        assert_eq!(octal(b"\x80\0\0\0\0\0\0\0\0\0\x01\0"), Some(256));
        assert_eq!(octal(b"  \0\0"), Some(0));
    }
}
