//! zstd:chunked: a zstd layer whose files' contents are each in their own zstd frames (the tar
//! headers in frames between them), followed by skippable frames: the TOC (a zstd-compressed
//! JSON), in newer writers a tar-split, and a footer. The layer descriptor's annotations say
//! where the TOC is and what its compressed bytes hash to.
//!
//! Followed: containers/storage `pkg/chunked/internal/minimal/compression.go` (commit
//! 57eb235a) and `pkg/chunked/compressor/compressor.go` (commit 1a704f7c), the older layout
//! of `pkg/chunked/internal/compression.go` (commit 048f7c08), `pkg/chunked/
//! compression_linux.go` (the reader), and what Debian's skopeo 1.9.3 writes; there is no
//! separate published description, only these sources and their comments.
//!
//! - Annotations: `io.github.containers.zstd-chunked.manifest-position` =
//!   `offset:length:uncompressedLength:type` (decimal, type 1), `...manifest-checksum` =
//!   `sha256:<hex>` of the TOC's *compressed* bytes (unlike eStargz, which hashes the JSON).
//!   Older writers (skopeo 1.9) use the prefix `io.containers.zstd-chunked.`; both are read.
//! - Footer, the last skippable frame: newer writers 64 bytes of data (offset, length,
//!   uncompressed length, type, then the tar-split's offset, length, uncompressed length,
//!   all u64 LE, then the magic `GNUlInUx`); older ones 40 bytes (the first four, then
//!   `GnUlInUx`). containers/storage itself never reads it (it trusts the annotations, which
//!   the manifest's digest covers); it is read here for blobs whose annotations were lost.
//! - A `reg` record of a file in one chunk has `offset`..`endOffset` and `digest`; a file in
//!   several chunks has `chunkSize`, `chunkOffset`, `chunkDigest` on its `reg` record (the
//!   first chunk) and on the `chunk` records that follow it, each chunk its own frame from its
//!   `offset` to the next chunk's, the last to the `reg` record's `endOffset`.

use std::collections::HashMap;

use super::json::{for_each_entry, RawEntry};
use super::{
    check_layout, check_toc_length, digest_field, entry_of, inflate_bounded, non_negative, Chunk,
    Format, Toc, TocEntry, TocError, TocLocation,
};
use crate::model::digest::Digest;
use crate::model::limits::Limits;
use crate::model::listing::ListedKind;

/// The annotation keys, newer prefix first.
pub const POSITION_ANNOTATIONS: [&str; 2] = [
    "io.github.containers.zstd-chunked.manifest-position",
    "io.containers.zstd-chunked.manifest-position",
];
pub const CHECKSUM_ANNOTATIONS: [&str; 2] = [
    "io.github.containers.zstd-chunked.manifest-checksum",
    "io.containers.zstd-chunked.manifest-checksum",
];

const SKIPPABLE_MAGIC: [u8; 4] = [0x50, 0x2a, 0x4d, 0x18];
const MAGIC: &[u8; 8] = b"GNUlInUx";
const OLD_MAGIC: &[u8; 8] = b"GnUlInUx";
/// The header of a skippable frame: its magic and its length.
const FRAME_HEADER: u64 = 8;

const NOT_FOUND: &str = "zstd:chunked";

fn not_found(why: impl Into<String>) -> TocError {
    TocError::NotFound {
        format: NOT_FOUND,
        why: why.into(),
    }
}

/// The TOC's location and expected digest from a layer descriptor's annotations; `None` when
/// they do not describe a zstd:chunked layer.
pub fn location(
    annotations: &HashMap<String, String>,
) -> Result<Option<(TocLocation, Option<Digest>)>, TocError> {
    let Some(position) = POSITION_ANNOTATIONS
        .iter()
        .find_map(|k| annotations.get(*k))
    else {
        return Ok(None);
    };
    let fields: Vec<&str> = position.split(':').collect();
    let numbers: Option<Vec<u64>> = fields
        .iter()
        .map(|f| {
            f.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| f.parse().ok())
                .flatten()
        })
        .collect();
    let Some([offset, length, uncompressed, kind]) = numbers
        .as_deref()
        .and_then(|n| <[u64; 4]>::try_from(n).ok())
    else {
        return Err(not_found(format!(
            "its manifest-position annotation {position:.80?} is not offset:length:uncompressed:type"
        )));
    };
    if kind != 1 {
        return Err(not_found(format!("its TOC is of type {kind}, not 1")));
    }
    let digest = match CHECKSUM_ANNOTATIONS
        .iter()
        .find_map(|k| annotations.get(*k))
    {
        Some(s) => Some(Digest::parse(s).ok_or_else(|| {
            not_found(format!(
                "its manifest-checksum annotation {s:.80?} is not a sha256 digest"
            ))
        })?),
        None => None,
    };
    Ok(Some((
        TocLocation {
            offset,
            length,
            uncompressed: Some(uncompressed),
        },
        digest,
    )))
}

/// The TOC's location from the blob's last bytes (at least 72 for the newer footer, 48 for
/// the older).
pub fn footer(tail: &[u8]) -> Result<TocLocation, TocError> {
    for data_len in [64usize, 40] {
        let Some(frame) = tail.len().checked_sub(data_len + 8).map(|at| &tail[at..]) else {
            continue;
        };
        let (head, data) = frame.split_at(8);
        let magic = &data[data_len - 8..];
        if head[..4] != SKIPPABLE_MAGIC
            || u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize != data_len
            || (magic != MAGIC && magic != OLD_MAGIC)
        {
            continue;
        }
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&data[i * 8..i * 8 + 8]);
            u64::from_le_bytes(b)
        };
        if word(3) != 1 {
            return Err(not_found(format!("its TOC is of type {}, not 1", word(3))));
        }
        return Ok(TocLocation {
            offset: word(0),
            length: word(1),
            uncompressed: Some(word(2)),
        });
    }
    Err(not_found("the blob does not end in a zstd:chunked footer"))
}

/// Checks a location against a blob of `blob_size` bytes and `--max-json-size`, before the
/// TOC is fetched.
pub fn check_location(
    location: &TocLocation,
    blob_size: u64,
    limits: &Limits,
) -> Result<(), TocError> {
    let inside = location
        .offset
        .checked_add(location.length)
        .is_some_and(|end| end <= blob_size)
        && location.offset >= FRAME_HEADER
        && location.length > 0;
    if !inside {
        return Err(not_found(format!(
            "its TOC at {}+{} is not inside the blob's {blob_size} bytes",
            location.offset, location.length
        )));
    }
    check_toc_length(location.length, limits)?;
    check_toc_length(location.uncompressed.unwrap_or(0), limits)
}

/// The TOC from its compressed bytes, checked against `expected` (the manifest-checksum
/// annotation: the sha256 of these compressed bytes, checked before they are decompressed)
/// and against a blob of `blob_size` bytes.
pub fn parse_toc(
    compressed: &[u8],
    location: &TocLocation,
    blob_size: u64,
    expected: Option<&Digest>,
    limits: &Limits,
) -> Result<Toc, TocError> {
    check_location(location, blob_size, limits)?;
    if compressed.len() as u64 != location.length {
        return Err(TocError::Unreadable(format!(
            "{} bytes given for a TOC of {}",
            compressed.len(),
            location.length
        )));
    }
    if let Some(expected) = expected {
        let actual = Digest::of(compressed);
        if &actual != expected {
            return Err(TocError::TocDigest {
                expected: expected.clone(),
                actual,
            });
        }
    }
    let mut decoder = zstd::stream::read::Decoder::new(compressed)
        .map_err(|e| TocError::Unreadable(e.to_string()))?;
    // The window zstd allows by default (128 MiB), as for every zstd layer: writers declare
    // windows larger than the TOC (skopeo 1.9's TOC of 168 kB asks for more than 16 MiB), and
    // what the frame decompresses to stays bounded by `inflate_bounded` whatever it declares.
    decoder
        .window_log_max(27)
        .map_err(|e| TocError::Unreadable(e.to_string()))?;
    let json = inflate_bounded(decoder, 0, limits)?;
    if let Some(claimed) = location.uncompressed.filter(|n| *n != json.len() as u64) {
        return Err(TocError::Inconsistent(format!(
            "it decompresses to {} bytes, not the {claimed} its position says",
            json.len()
        )));
    }
    let mut entries: Vec<TocEntry> = Vec::new();
    let mut ends: Vec<u64> = Vec::new();
    let version = for_each_entry(&json, limits, &mut |raw| add(&mut entries, &mut ends, &raw))?;
    if version != 1 {
        return Err(TocError::Unreadable(format!("version {version}, not 1")));
    }
    set_extents(&mut entries, &ends);
    // File data ends where the TOC's skippable frame begins.
    let data_end = location.offset - FRAME_HEADER;
    check_layout(&entries, data_end, blob_size, limits)?;
    Ok(Toc {
        format: Format::ZstdChunked,
        entries,
        own: None,
    })
}

/// One record into `entries` (and its file's `endOffset` into `ends`).
fn add(entries: &mut Vec<TocEntry>, ends: &mut Vec<u64>, raw: &RawEntry) -> Result<(), TocError> {
    let name = &raw.name;
    let chunk = |size: u64, digest: Option<Digest>| -> Result<Chunk, TocError> {
        Ok(Chunk {
            offset: non_negative(raw.offset, "offset", name)?,
            compressed: 0,
            inner_offset: 0,
            file_offset: non_negative(raw.chunk_offset, "chunk offset", name)?,
            size,
            digest,
        })
    };
    let chunk_size = non_negative(raw.chunk_size, "chunk size", name)?;
    if raw.kind == "chunk" {
        let Some(file) = entries.last_mut().filter(|e| e.kind == ListedKind::Regular) else {
            return Err(TocError::Inconsistent(
                "a chunk record follows no regular file".into(),
            ));
        };
        if file.chunks.is_empty() || chunk_size == 0 {
            return Err(TocError::Inconsistent(format!(
                "a chunk record of {name:?} follows a file in one chunk, or has no size"
            )));
        }
        let c = chunk(chunk_size, digest_field(&raw.chunk_digest, name)?)?;
        file.chunks.push(c);
        return Ok(());
    }
    let mut e = entry_of(raw)?;
    if e.kind == ListedKind::Regular && e.size > 0 {
        let c = if chunk_size == 0 {
            chunk(e.size, e.digest.clone())?
        } else {
            chunk(chunk_size, digest_field(&raw.chunk_digest, name)?)?
        };
        e.chunks.push(c);
    }
    ends.push(non_negative(raw.end_offset, "end offset", name)?);
    entries.push(e);
    Ok(())
}

/// Each chunk's compressed extent: to the next chunk's frame, the last to its file's
/// `endOffset`. Extents that would be negative are left empty, which `check_layout` refuses.
fn set_extents(entries: &mut [TocEntry], ends: &[u64]) {
    for (e, end) in entries.iter_mut().zip(ends) {
        let starts: Vec<u64> = e.chunks.iter().skip(1).map(|c| c.offset).collect();
        for (c, next) in e.chunks.iter_mut().zip(starts.into_iter().chain([*end])) {
            c.compressed = next.saturating_sub(c.offset);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annotations(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_position_annotation_is_four_decimal_numbers_of_type_1() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let got = location(&annotations(&[
            (POSITION_ANNOTATIONS[1], "100:20:300:1"),
            (CHECKSUM_ANNOTATIONS[1], &digest),
        ]));
        let (loc, d) = got.ok().flatten().unwrap_or_else(|| panic!("not read"));
        assert_eq!(
            (loc.offset, loc.length, loc.uncompressed),
            (100, 20, Some(300))
        );
        assert_eq!(d.map(|d| d.to_string()), Some(digest));
        assert!(matches!(location(&HashMap::new()), Ok(None)));
        for bad in [
            "1:2:3",
            "1:2:3:2",
            " 1:2:3:1",
            "1:2:3:1:5",
            "-1:2:3:1",
            "1:+2:3:1",
        ] {
            let a = annotations(&[(POSITION_ANNOTATIONS[0], bad)]);
            assert!(location(&a).is_err(), "{bad}");
        }
        let a = annotations(&[
            (POSITION_ANNOTATIONS[0], "8:1:1:1"),
            (CHECKSUM_ANNOTATIONS[0], "md5:00"),
        ]);
        assert!(location(&a).is_err());
    }

    #[test]
    fn a_location_outside_the_blob_or_the_limits_is_refused() {
        let limits = Limits::default();
        let at = |offset, length, uncompressed| TocLocation {
            offset,
            length,
            uncompressed: Some(uncompressed),
        };
        assert!(check_location(&at(8, 10, 10), 18, &limits).is_ok());
        assert!(check_location(&at(8, 10, 10), 17, &limits).is_err());
        assert!(check_location(&at(u64::MAX, 10, 10), 100, &limits).is_err());
        assert!(check_location(&at(4, 1, 1), 100, &limits).is_err());
        assert!(matches!(
            check_location(&at(8, 10, 4 << 30), 100, &limits),
            Err(TocError::Limit(_))
        ));
    }
}
