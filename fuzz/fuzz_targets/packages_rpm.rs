#![no_main]
//! rpm databases (strata::analysis::packages::rpm): the input is read as an rpmdb.sqlite, as
//! one with a -wal (split where the input first holds the WAL magic, so a database and its
//! WAL concatenated is a seed), as a Berkeley DB `Packages`, as an ndb `Packages.db` and as
//! one header blob. Each must give records or an error, never panic, hang or allocate past
//! its input's size. Seeds: `scripts/rpm-fixture.sh OUT` writes small ones to OUT/fuzz-seeds.
use libfuzzer_sys::fuzz_target;
use strata::analysis::packages::rpm;

/// The WAL magic's first three bytes (the fourth is 0x82 or 0x83).
const WAL_MAGIC: [u8; 3] = [0x37, 0x7f, 0x06];

fuzz_target!(|data: &[u8]| {
    let _ = rpm::header::record(data);
    let _ = rpm::berkeley(data);
    let _ = rpm::ndb(data);
    let _ = rpm::sqlite(data, None);
    if let Some(at) = data.windows(3).position(|w| w == WAL_MAGIC) {
        let _ = rpm::sqlite(&data[..at], Some(&data[at..]));
    }
});
