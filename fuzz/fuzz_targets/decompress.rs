#![no_main]
//! Compression detection and decoding; output is read to the end, bounded at 64 MiB.
use std::io::Read;

use libfuzzer_sys::fuzz_target;

const LIMIT: u64 = 64 * 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    if let Ok((_kind, reader)) = strata::blob::decompress::decoder(data) {
        let mut limited = reader.take(LIMIT);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match limited.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
});
