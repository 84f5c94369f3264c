//! Content-id hashing speed on one core, SHA-256 (sha2, SHA-NI where the CPU has it) against
//! BLAKE3 (blake3, SIMD picked at run time), over the file sizes layers are made of: many
//! small files (node_modules is mostly under 4 KiB) and a few big ones. Each size hashes the
//! same 256 MiB in pieces of that size, a fresh hasher per piece, as the tar walker does per
//! file. For `bench/hashing.md`; not a test.
//!
//!     cargo run --release --example hash_speed

use std::time::Instant;

use sha2::{Digest as _, Sha256};

fn main() {
    let total: usize = 256 << 20;
    let data: Vec<u8> = (0..total)
        .map(|i| (i as u32).wrapping_mul(2654435761).to_le_bytes()[1])
        .collect();
    println!("| file size | files | SHA-256 MB/s | BLAKE3 MB/s | BLAKE3 / SHA-256 |");
    println!("| ---: | ---: | ---: | ---: | ---: |");
    for size in [
        256usize,
        1 << 10,
        4 << 10,
        16 << 10,
        64 << 10,
        1 << 20,
        64 << 20,
    ] {
        let files = total / size;
        let best = |f: &dyn Fn() -> u8| {
            (0..3)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(f());
                    t.elapsed().as_secs_f64()
                })
                .fold(f64::MAX, f64::min)
        };
        let sha = best(&|| {
            let mut x = 0u8;
            for chunk in data.chunks(size) {
                x ^= Sha256::digest(chunk)[0];
            }
            x
        });
        let b3 = best(&|| {
            let mut x = 0u8;
            for chunk in data.chunks(size) {
                let mut h = blake3::Hasher::new();
                h.update(chunk);
                x ^= h.finalize().as_bytes()[0];
            }
            x
        });
        let mbs = |secs: f64| total as f64 / secs / 1e6;
        println!(
            "| {} | {files} | {:.0} | {:.0} | {:.2}x |",
            if size >= 1 << 20 {
                format!("{} MiB", size >> 20)
            } else if size >= 1 << 10 {
                format!("{} KiB", size >> 10)
            } else {
                format!("{size} B")
            },
            mbs(sha),
            mbs(b3),
            sha / b3
        );
    }
}
