#![no_main]
//! An eStargz blob: the footer, the TOC (bounded, digest unchecked), the tree from the TOC,
//! and every chunk it lists read from its range of the blob. Nothing may panic, read outside
//! the input or allocate past the limits.
use libfuzzer_sys::fuzz_target;
use strata::blob::toc::{estargz, read_chunk};
use strata::model::limits::Limits;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        json_size: 1 << 20,
        layer_size: 64 << 20,
        ..Limits::default()
    };
    let size = data.len() as u64;
    let Ok(loc) = estargz::locate(data, size, &limits) else {
        return;
    };
    let Some(range) = data.get(loc.offset as usize..(loc.offset + loc.length) as usize) else {
        panic!("locate gave a range outside the blob");
    };
    let Ok(toc) = estargz::parse_toc(range, &loc, size, None, &limits) else {
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
