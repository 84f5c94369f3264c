#![no_main]
//! Image reference parsing.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = strata::reference::ImageRef::parse(&String::from_utf8_lossy(data));
});
