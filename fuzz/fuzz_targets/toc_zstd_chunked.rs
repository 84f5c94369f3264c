#![no_main]
//! A zstd:chunked blob: the footer, the TOC (bounded, digest unchecked), the tree from the
//! TOC, and every chunk it lists read from its range of the blob. The annotation parser gets
//! the input's first line. Nothing may panic, read outside the input or allocate past the
//! limits.
use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use strata::blob::toc::{read_chunk, zstd_chunked};
use strata::model::limits::Limits;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        json_size: 1 << 20,
        layer_size: 64 << 20,
        ..Limits::default()
    };
    if let Some(line) = data.split(|b| *b == b'\n').next() {
        let value = String::from_utf8_lossy(line).into_owned();
        let annotations = HashMap::from([
            (zstd_chunked::POSITION_ANNOTATIONS[0].to_string(), value.clone()),
            (zstd_chunked::CHECKSUM_ANNOTATIONS[0].to_string(), value),
        ]);
        let _ = zstd_chunked::location(&annotations);
    }
    let size = data.len() as u64;
    let Ok(loc) = zstd_chunked::footer(data) else {
        return;
    };
    if zstd_chunked::check_location(&loc, size, &limits).is_err() {
        return;
    }
    let range = data
        .get(loc.offset as usize..(loc.offset + loc.length) as usize)
        .expect("a checked location lies inside the blob");
    let Ok(toc) = zstd_chunked::parse_toc(range, &loc, size, None, &limits) else {
        return;
    };
    let _ = strata::tree::read_listing(toc.listing(), &limits);
    for c in toc.entries.iter().flat_map(|e| &e.chunks) {
        let bytes = data
            .get(c.offset as usize..(c.offset + c.compressed) as usize)
            .expect("a checked chunk lies inside the blob");
        let _ = read_chunk(toc.format, bytes, c, &limits);
    }
});
