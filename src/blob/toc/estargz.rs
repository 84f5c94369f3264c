//! eStargz: a gzip layer whose files each start a gzip member, followed by one gzip member
//! holding a tar of one file, `stargz.index.json` (the TOC), and a footer: an empty gzip
//! member whose Extra field holds the TOC's offset as `%016xSTARGZ`.
//!
//! Followed: containerd/stargz-snapshotter `docs/estargz.md` and its `estargz` Go package
//! (`types.go`, `gzip.go`, `estargz.go`) at commit 7cf47cba (2026-08-21); the legacy stargz
//! footer as that package's `LegacyGzipDecompressor` reads it (google/crfs).
//!
//! - Footer, 51 bytes: gzip header with FLG.FEXTRA, XLEN = 26, subfield `SG` of 22 bytes
//!   (`%016xSTARGZ`), a stored empty deflate block, CRC32 and ISIZE zero. Legacy stargz, 47
//!   bytes: XLEN = 22 and the 22 bytes without a subfield header.
//! - The TOC's compressed bytes run from its offset to the footer.
//! - `containerd.io/snapshot/stargz/toc.digest` is the sha256 of the TOC's *uncompressed
//!   JSON* (not of the gzip member, nor of the tar around it): the Go writer returns
//!   `digest.FromBytes(tocJSON)`; the document only says "the digest of the TOC".
//! - A file's content is in chunks: the `reg` record is the first, `chunk` records follow it
//!   in order. A chunk's data starts `innerOffset` bytes into the gzip member at `offset`; its
//!   compressed extent is not recorded, and ends where the next member holding a chunk
//!   starts (or at the TOC), as the Go reader's `nextOffset` works it out. `chunkSize` 0
//!   means "to the end of the file" (the document says the last chunk MUST set it to zero and
//!   also that `chunk` records MUST set it; the Go reader treats 0 as the rest of the file).
//! - `stargz.index.json` is an entry of the layer's tar (its last) that the TOC does not list.
//!   A runtime that unpacks the layer as a plain tar (docker, containerd's overlayfs
//!   snapshotter, umoci) puts it in the root filesystem; stargz-snapshotter's lazy mount,
//!   built from the TOC, does not show it. strata reads layers as tars (the merged view is
//!   umoci's, dive's figures count every tar entry), so `Toc::own` gives the listing that entry
//!   too, from the header of the tar in the TOC's member: a layer's tree is the same read from
//!   its TOC or from its bytes. (`.prefetch.landmark` and `.no.prefetch.landmark` are listed by
//!   both, and shown by both.)

use super::json::{for_each_entry, RawEntry};
use super::{
    check_layout, check_toc_length, digest_field, entry_of, inflate_bounded, non_negative, Chunk,
    Format, Toc, TocEntry, TocError, TocLocation,
};
use crate::model::digest::Digest;
use crate::model::limits::Limits;
use crate::model::listing::ListedKind;
use crate::model::tar_header::{self, GID, MODE, MTIME, SIZE, UID};

/// The annotation of a layer descriptor naming the digest of its TOC's JSON.
pub const TOC_DIGEST_ANNOTATION: &str = "containerd.io/snapshot/stargz/toc.digest";
/// eStargz's footer.
pub const FOOTER_SIZE: u64 = 51;
/// The legacy stargz footer.
pub const LEGACY_FOOTER_SIZE: u64 = 47;
/// The TOC's name inside its tar.
pub const TOC_TAR_NAME: &str = "stargz.index.json";

const NOT_FOUND: &str = "eStargz";

/// The TOC's offset and the footer's size, from the last bytes of the blob (at least 51, or 47
/// for a legacy stargz blob; more are fine).
pub fn footer(tail: &[u8]) -> Result<(u64, u64), TocError> {
    let not_found = |why: &str| TocError::NotFound {
        format: NOT_FOUND,
        why: why.into(),
    };
    if tail.len() >= FOOTER_SIZE as usize {
        let f = &tail[tail.len() - FOOTER_SIZE as usize..];
        if let Some(offset) = parse_footer(f, 26, Some(b"SG")) {
            return Ok((offset, FOOTER_SIZE));
        }
    }
    if tail.len() >= LEGACY_FOOTER_SIZE as usize {
        let f = &tail[tail.len() - LEGACY_FOOTER_SIZE as usize..];
        if let Some(offset) = parse_footer(f, 22, None) {
            return Ok((offset, LEGACY_FOOTER_SIZE));
        }
        return Err(not_found(
            "the blob does not end in an eStargz or stargz footer",
        ));
    }
    Err(not_found("the blob is smaller than a footer"))
}

/// A footer of `xlen` bytes of Extra field (with the `SG` subfield header, or bare).
fn parse_footer(f: &[u8], xlen: u16, subfield: Option<&[u8; 2]>) -> Option<u64> {
    let (head, rest) = f.split_at_checked(10)?;
    // ID1 ID2 CM=deflate FLG=FEXTRA only; MTIME, XFL and OS are not looked at.
    if head[..4] != [0x1f, 0x8b, 8, 4] {
        return None;
    }
    let (len, rest) = rest.split_at_checked(2)?;
    if u16::from_le_bytes([len[0], len[1]]) != xlen {
        return None;
    }
    let (extra, tail) = rest.split_at_checked(usize::from(xlen))?;
    let payload = match subfield {
        Some(id) => {
            let (sub, payload) = extra.split_at_checked(4)?;
            if sub[..2] != id[..] || u16::from_le_bytes([sub[2], sub[3]]) != 22 {
                return None;
            }
            payload
        }
        None => extra,
    };
    let (hex, magic) = payload.split_at_checked(16)?;
    // A stored, final, empty deflate block; then CRC32 and ISIZE of nothing.
    if magic != b"STARGZ" || tail != [1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0] {
        return None;
    }
    if !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
}

/// Where the TOC is in a blob of `blob_size` bytes ending in `tail`, checked against the blob
/// and `--max-json-size` before anything is fetched.
pub fn locate(tail: &[u8], blob_size: u64, limits: &Limits) -> Result<TocLocation, TocError> {
    let (offset, footer_size) = footer(tail)?;
    let length = blob_size
        .checked_sub(footer_size)
        .and_then(|end| end.checked_sub(offset))
        .filter(|l| *l > 0)
        .ok_or_else(|| TocError::NotFound {
            format: NOT_FOUND,
            why: format!(
                "its footer places the TOC at {offset}, past the blob's {blob_size} bytes"
            ),
        })?;
    check_toc_length(length, limits)?;
    Ok(TocLocation {
        offset,
        length,
        uncompressed: None,
    })
}

/// The TOC from its compressed bytes (`location.length` bytes at `location.offset` of a blob
/// of `blob_size` bytes), checked against `expected` (the `toc.digest` annotation) when given,
/// and against the blob.
pub fn parse_toc(
    compressed: &[u8],
    location: &TocLocation,
    blob_size: u64,
    expected: Option<&Digest>,
    limits: &Limits,
) -> Result<Toc, TocError> {
    check_toc_length(compressed.len() as u64, limits)?;
    if compressed.len() as u64 != location.length {
        return Err(TocError::Unreadable(format!(
            "{} bytes given for a TOC of {}",
            compressed.len(),
            location.length
        )));
    }
    // The tar around the JSON: a header, the padding, the end-of-archive blocks.
    let tar = inflate_bounded(flate2::read::GzDecoder::new(compressed), 4 * 512, limits)?;
    let (json, own) = toc_json(&tar, limits)?;
    let actual = Digest::of(json);
    if let Some(expected) = expected {
        if &actual != expected {
            return Err(TocError::TocDigest {
                expected: expected.clone(),
                actual,
            });
        }
    }
    let mut entries: Vec<TocEntry> = Vec::new();
    let version = for_each_entry(json, limits, &mut |raw| add(&mut entries, &raw))?;
    if version != 1 {
        return Err(TocError::Unreadable(format!("version {version}, not 1")));
    }
    set_extents(&mut entries, location.offset);
    check_layout(&entries, location.offset, blob_size, limits)?;
    Ok(Toc {
        format: Format::Estargz,
        entries,
        own: Some(own),
    })
}

/// The JSON inside the TOC's tar (its first entry, which must be `stargz.index.json`), and
/// that entry as the layer's tar shows it.
fn toc_json<'t>(tar: &'t [u8], limits: &Limits) -> Result<(&'t [u8], TocEntry), TocError> {
    let unreadable = |why: &str| TocError::Unreadable(why.into());
    let block: &[u8; 512] = tar
        .get(..512)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| unreadable("no tar header"))?;
    tar_header::check_sum(block).map_err(|e| TocError::Unreadable(format!("tar header: {e}")))?;
    let name_end = block[..100].iter().position(|b| *b == 0).unwrap_or(100);
    if &block[..name_end] != TOC_TAR_NAME.as_bytes() || !matches!(block[156], b'0' | 0) {
        return Err(unreadable("its tar does not start with stargz.index.json"));
    }
    let size = tar_header::numeric(block, SIZE)
        .map_err(|e| TocError::Unreadable(format!("tar header: {e}")))?;
    if size > limits.json_size {
        return Err(super::json_limit(limits).into());
    }
    let json = tar
        .get(512..512 + size as usize)
        .ok_or_else(|| unreadable("stargz.index.json is cut short"))?;
    Ok((json, own_entry(block, size)))
}

/// `stargz.index.json` as the tar walker reads its header (`tree::tar::header`): an owner
/// field left blank is 0, one that does not read is `u32::MAX`.
fn own_entry(block: &[u8; 512], size: u64) -> TocEntry {
    let id = |field| {
        tar_header::numeric(block, field)
            .ok()
            .or_else(|| tar_header::is_blank(block, field).then_some(0))
            .and_then(|id| u32::try_from(id).ok())
            .unwrap_or(u32::MAX)
    };
    TocEntry {
        name: TOC_TAR_NAME.into(),
        kind: ListedKind::Regular,
        size,
        mode: tar_header::octal(block, MODE).map_or(0, |m| m as u32),
        uid: id(UID),
        gid: id(GID),
        mtime: tar_header::numeric(block, MTIME).unwrap_or(0),
        link: None,
        device: None,
        digest: None,
        chunks: Vec::new(),
    }
}

/// One record into `entries`: a file or other entry, or the next chunk of the last file.
fn add(entries: &mut Vec<TocEntry>, raw: &RawEntry) -> Result<(), TocError> {
    let chunk_size = non_negative(raw.chunk_size, "chunk size", &raw.name)?;
    let file_offset = non_negative(raw.chunk_offset, "chunk offset", &raw.name)?;
    let chunk = |file_size: u64| -> Result<Chunk, TocError> {
        let size = match chunk_size {
            0 => file_size.checked_sub(file_offset).ok_or_else(|| {
                TocError::Inconsistent(format!("a chunk of {:?} starts past its end", raw.name))
            })?,
            n => n,
        };
        Ok(Chunk {
            offset: non_negative(raw.offset, "offset", &raw.name)?,
            compressed: 0,
            inner_offset: non_negative(raw.inner_offset, "inner offset", &raw.name)?,
            file_offset,
            size,
            digest: digest_field(&raw.chunk_digest, &raw.name)?,
        })
    };
    if raw.kind == "chunk" {
        let Some(file) = entries.last_mut().filter(|e| e.kind == ListedKind::Regular) else {
            return Err(TocError::Inconsistent(
                "a chunk record follows no regular file".into(),
            ));
        };
        let c = chunk(file.size)?;
        file.chunks.push(c);
        return Ok(());
    }
    let mut e = entry_of(raw)?;
    if e.kind == ListedKind::Regular && e.size > 0 {
        e.chunks.push(chunk(e.size)?);
    }
    entries.push(e);
    Ok(())
}

/// Each chunk's compressed extent: up to the next gzip member holding a chunk (records that
/// share a member by `innerOffset` share its extent), the last up to the TOC. Records out of
/// order get an empty extent, which `check_layout` refuses.
fn set_extents(entries: &mut [TocEntry], toc_offset: u64) {
    let mut end = toc_offset;
    let mut member: Option<(u64, u64)> = None;
    for c in entries
        .iter_mut()
        .rev()
        .flat_map(|e| e.chunks.iter_mut().rev())
    {
        if let Some((start, stop)) = member.filter(|(start, _)| *start == c.offset) {
            c.compressed = stop - start;
            continue;
        }
        c.compressed = end.saturating_sub(c.offset);
        member = Some((c.offset, end.max(c.offset)));
        end = end.min(c.offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn footer_of(offset: u64) -> Vec<u8> {
        let mut f = vec![
            0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 26, 0, b'S', b'G', 22, 0,
        ];
        f.extend_from_slice(format!("{offset:016x}STARGZ").as_bytes());
        f.extend_from_slice(&[1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
        f
    }

    #[test]
    fn footers_new_and_legacy_are_read_and_others_refused() {
        let mut tail = b"before".to_vec();
        tail.extend(footer_of(0x1234));
        assert_eq!(footer(&tail).ok(), Some((0x1234, FOOTER_SIZE)));
        // Legacy stargz: XLEN 22, no subfield header.
        let mut legacy = vec![0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 22, 0];
        legacy.extend_from_slice(b"00000000000000ffSTARGZ");
        legacy.extend_from_slice(&[1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(footer(&legacy).ok(), Some((0xff, LEGACY_FOOTER_SIZE)));
        let mut signed = footer_of(0);
        signed[16..32].copy_from_slice(b"+000000000000001");
        let mut wrong_magic = footer_of(1);
        wrong_magic[37] = b'X';
        for bad in [signed, wrong_magic, vec![0; 10]] {
            assert!(matches!(footer(&bad), Err(TocError::NotFound { .. })));
        }
        // A TOC offset past the blob, or a TOC over the JSON limit, is refused before a fetch.
        let limits = Limits::default();
        assert!(locate(&footer_of(100), 120, &limits).is_err());
        assert_eq!(
            locate(&footer_of(100), 200, &limits).ok().map(|l| l.length),
            Some(49)
        );
        let small = Limits {
            json_size: 10,
            ..limits
        };
        assert!(matches!(
            locate(&footer_of(100), 200, &small),
            Err(TocError::Limit(_))
        ));
    }

    fn file(name: &str, size: u64, offset: u64, inner: u64) -> TocEntry {
        TocEntry {
            name: name.into(),
            kind: ListedKind::Regular,
            size,
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
            link: None,
            device: None,
            digest: None,
            chunks: vec![Chunk {
                offset,
                compressed: 0,
                inner_offset: inner,
                file_offset: 0,
                size,
                digest: None,
            }],
        }
    }

    /// Small files packed in one member by `innerOffset` share its extent; payloads that
    /// overlap inside it, or members out of order, are refused.
    #[test]
    fn files_sharing_a_member_share_its_extent_but_not_its_bytes() {
        let limits = Limits::default();
        let mut packed = vec![
            file("a", 10, 100, 512),
            file("b", 5, 100, 1024),
            file("c", 7, 300, 0),
        ];
        set_extents(&mut packed, 400);
        let extents: Vec<u64> = packed.iter().map(|e| e.chunks[0].compressed).collect();
        assert_eq!(extents, [200, 200, 100]);
        assert!(check_layout(&packed, 400, 500, &limits).is_ok());
        let mut overlapping = vec![file("a", 600, 100, 512), file("b", 5, 100, 1024)];
        set_extents(&mut overlapping, 400);
        assert!(check_layout(&overlapping, 400, 500, &limits).is_err());
        let mut backwards = vec![file("a", 1, 300, 0), file("b", 1, 100, 0)];
        set_extents(&mut backwards, 400);
        assert!(check_layout(&backwards, 400, 500, &limits).is_err());
    }
}
