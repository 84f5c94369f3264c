//! Bounds on what one image can make strata do. Every image is untrusted input: these keep a
//! hostile one (a decompression bomb, millions of empty entries, a 1 GB manifest) from
//! exhausting memory or time. The defaults are far above what real images need; each limit
//! has a flag that raises it, and the error that reports a hit names that flag.

use std::io;

use super::units;

/// The limits of one load. `Limits::default()` holds the defaults documented on each field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Uncompressed bytes of one layer (`--max-layer-size`, default 64 GiB).
    pub layer_size: u64,
    /// Uncompressed / compressed bytes of one layer once it is past `RATIO_GRACE` bytes
    /// (`--max-ratio`, default 250: gzip peaks near 1000:1 on zeros, real layers at 2-10:1).
    pub ratio: u64,
    /// Tar entries in one layer (`--max-entries`, default 5,000,000).
    pub entries: u64,
    /// Tar entries of all layers together, each listing of a layer counted
    /// (`--max-total-entries`, default 10,000,000). Memory grows with this figure, and a
    /// small image listing one layer of many files many times would grow it without end.
    pub total_entries: u64,
    /// Bytes of one path inside a layer (`--max-path-length`, default 4096, Linux's PATH_MAX).
    pub path_length: u64,
    /// Components of one path inside a layer (`--max-path-depth`, default 256, at most
    /// `MAX_PATH_DEPTH`).
    pub path_depth: u64,
    /// Bytes of a manifest, index or config (`--max-json-size`, default 16 MiB; registries
    /// cap manifests at 4 MiB).
    pub json_size: u64,
    /// Layers in one image (`--max-layers`, default 1000; Docker stops at 127).
    pub layers: u64,
}

/// The highest `--max-path-depth` accepted. The path table, the explorer's tree and dive's
/// figures walk a path's ancestors recursively, and must stay well inside the 2 MiB stack of
/// the loader thread; no real filesystem goes deeper: PATH_MAX (4096 bytes) holds at most
/// 2048 levels.
pub const MAX_PATH_DEPTH: u64 = 4096;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            layer_size: 64 << 30,
            ratio: 250,
            entries: 5_000_000,
            total_entries: 10_000_000,
            path_length: 4096,
            path_depth: 256,
            json_size: 16 << 20,
            layers: 1000,
        }
    }
}

/// A layer may expand this much before its compression ratio is looked at: small layers of
/// zeros or repeated text compress far better than bombs' 250:1 and are harmless.
pub const RATIO_GRACE: u64 = 256 << 20;

/// A limit an image went past. `Display`: "{what} is over the limit of {limit}; raise it with
/// {flag}".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} is over the limit of {limit}; raise it with {flag}")]
pub struct LimitHit {
    pub what: String,
    pub limit: String,
    pub flag: &'static str,
}

impl LimitHit {
    pub fn new(what: String, limit: String, flag: &'static str) -> Self {
        LimitHit { what, limit, flag }
    }

    /// As an `io::Error`, to travel through readers; `from_io` gets it back.
    pub fn into_io(self) -> io::Error {
        io::Error::other(self)
    }

    /// The `LimitHit` an `io::Error` carries, if it carries one.
    pub fn from_io(e: &io::Error) -> Option<&LimitHit> {
        e.get_ref()?.downcast_ref::<LimitHit>()
    }
}

impl Limits {
    /// The limit a layer of `out` uncompressed bytes, stored in `compressed` bytes, is past:
    /// its size, or (past `RATIO_GRACE`) its compression ratio.
    pub fn layer_bytes(&self, out: u64, compressed: u64) -> Option<LimitHit> {
        if out > self.layer_size {
            return Some(LimitHit::new(
                "its uncompressed size".into(),
                units::exact_or_binary(self.layer_size),
                "--max-layer-size",
            ));
        }
        let compressed = compressed.max(1);
        if out > RATIO_GRACE && out / compressed >= self.ratio {
            return Some(LimitHit::new(
                format!(
                    "its compression ratio (about {}:1 past its first {}, a decompression bomb?)",
                    two_digits(out / compressed),
                    units::exact_or_binary(RATIO_GRACE)
                ),
                format!("{}:1", self.ratio),
                "--max-ratio",
            ));
        }
        None
    }
}

impl Limits {
    /// The limit the image is past once the layers read so far hold `total` entries.
    pub fn image_entries(&self, total: u64) -> Option<LimitHit> {
        (total > self.total_entries).then(|| {
            LimitHit::new(
                format!(
                    "the entry count of its layers (more than {})",
                    self.total_entries
                ),
                self.total_entries.to_string(),
                "--max-total-entries",
            )
        })
    }
}

/// `n` to two significant digits (1024 -> 1000, 8123 -> 8100): a ratio measured at a read
/// boundary, stated no more precisely than it is.
fn two_digits(n: u64) -> u64 {
    let mut scale = 1;
    while n / scale >= 100 {
        scale *= 10;
    }
    n / scale * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_stated_to_two_digits() {
        assert_eq!(
            [
                two_digits(7),
                two_digits(99),
                two_digits(1024),
                two_digits(1025),
                two_digits(8123)
            ],
            [7, 99, 1000, 1000, 8100]
        );
    }
}
