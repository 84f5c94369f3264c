//! The checks a 512-byte tar header block must pass, as typed problems: the archive source
//! (outer `docker save` / OCI archives) and the layer walker (`tree::tar`) both read tars, sit
//! in different layers, and must word a broken header the same way. Pure functions over the
//! block's bytes, read the way the tar crate and Go's archive/tar read them.

/// What is wrong with a header block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderProblem {
    #[error("checksum mismatch")]
    Checksum,
    /// A numeric field holding bytes that are not text.
    #[error("numeric field did not have utf-8 text in its {field} field")]
    NotText { field: &'static str },
    /// A numeric field holding text that is not an octal number.
    #[error("numeric field was not a number in its {field} field")]
    NotANumber { field: &'static str },
}

/// Where a field lies in the block.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    start: usize,
    end: usize,
}

// The v7 fields every header has, named as the tar crate names them in its errors.
pub const MODE: Field = Field {
    name: "mode",
    start: 100,
    end: 108,
};
pub const UID: Field = Field {
    name: "uid",
    start: 108,
    end: 116,
};
pub const GID: Field = Field {
    name: "gid",
    start: 116,
    end: 124,
};
pub const SIZE: Field = Field {
    name: "size",
    start: 124,
    end: 136,
};
pub const MTIME: Field = Field {
    name: "mtime",
    start: 136,
    end: 148,
};
pub const CHECKSUM: Field = Field {
    name: "cksum",
    start: 148,
    end: 156,
};
// Only in ustar and GNU headers (see `has_device_fields`).
pub const DEVICE_MAJOR: Field = Field {
    name: "device_major",
    start: 329,
    end: 337,
};
pub const DEVICE_MINOR: Field = Field {
    name: "device_minor",
    start: 337,
    end: 345,
};

/// Whether the block is a ustar or GNU header (magic and version as the tar crate tells
/// them apart): only those have device numbers; in a v7 header the bytes are part of nothing.
pub fn has_device_fields(block: &[u8; 512]) -> bool {
    let (magic, version) = (&block[257..263], &block[263..265]);
    (magic == b"ustar\0" && version == b"00") || (magic == b"ustar " && version == b" \0")
}

/// Whether a field holds nothing but NULs and spaces: some writers leave uid and gid so, and
/// GNU tar and Go's archive/tar read that as 0 where the tar crate sees no number.
pub fn is_blank(block: &[u8; 512], field: Field) -> bool {
    block[field.start..field.end]
        .iter()
        .all(|&b| b == 0 || b == b' ')
}

/// Whether the block is all zeros (the end-of-archive marker).
pub fn is_end(block: &[u8; 512]) -> bool {
    block.iter().all(|&b| b == 0)
}

/// An octal field as the tar crate reads one: up to the first NUL, trimmed of spaces.
pub fn octal(block: &[u8; 512], field: Field) -> Result<u64, HeaderProblem> {
    let raw = &block[field.start..field.end];
    let text = raw.split(|&b| b == 0).next().unwrap_or(&[]);
    let text =
        std::str::from_utf8(text).map_err(|_| HeaderProblem::NotText { field: field.name })?;
    u64::from_str_radix(text.trim(), 8).map_err(|_| HeaderProblem::NotANumber { field: field.name })
}

/// A numeric field that may also be base-256 (a set high bit: GNU's form for values too big
/// for octal), read as the tar crate reads size, uid, gid and mtime.
pub fn numeric(block: &[u8; 512], field: Field) -> Result<u64, HeaderProblem> {
    let raw = &block[field.start..field.end];
    if raw[0] & 0x80 != 0 {
        // The low 8 bytes carry the value; in a 12-byte field the rest is sign extension, in
        // an 8-byte one the flag bit is the top bit of the value's first byte and not part of it.
        let low = &raw[raw.len().saturating_sub(8)..];
        let value = low.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b));
        if raw.len() <= 8 {
            return Ok(value & !(0x80u64 << (8 * (low.len() - 1))));
        }
        return Ok(value);
    }
    octal(block, field)
}

/// The header's checksum against the sum of its bytes (the checksum field counted as spaces).
pub fn check_sum(block: &[u8; 512]) -> Result<(), HeaderProblem> {
    let stored = octal(block, CHECKSUM)?;
    let sum = block[..CHECKSUM.start]
        .iter()
        .chain(&block[CHECKSUM.end..])
        .fold(8 * 32u64, |a, &b| a + u64::from(b));
    if stored != sum {
        return Err(HeaderProblem::Checksum);
    }
    Ok(())
}

/// What is wrong with a header block the tar crate refused, checked in the order it checks:
/// the checksum field, the checksum, the size field. `None`: nothing this can name.
pub fn diagnose(block: &[u8; 512]) -> Option<HeaderProblem> {
    if is_end(block) {
        return None;
    }
    check_sum(block)
        .err()
        .or_else(|| numeric(block, SIZE).err())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(name: &str, size: u64) -> [u8; 512] {
        let mut h = tar::Header::new_gnu();
        h.set_path(name).unwrap_or_default();
        h.set_size(size);
        h.set_cksum();
        let mut out = [0u8; 512];
        out.copy_from_slice(h.as_bytes());
        out
    }

    #[test]
    fn good_headers_pass_and_each_problem_is_named_as_the_tar_crate_names_it() {
        let good = block("a/b", 1000);
        assert_eq!(diagnose(&good), None);
        assert_eq!(numeric(&good, SIZE), Ok(1000));

        let mut bad_sum = good;
        bad_sum[0] ^= 1;
        assert_eq!(diagnose(&bad_sum), Some(HeaderProblem::Checksum));
        assert_eq!(
            diagnose(&bad_sum).map(|p| p.to_string()).as_deref(),
            Some("checksum mismatch")
        );

        let mut not_text = good;
        not_text[148] = 0xff;
        assert_eq!(
            diagnose(&not_text).map(|p| p.to_string()).as_deref(),
            Some("numeric field did not have utf-8 text in its cksum field")
        );

        let mut not_number = good;
        not_number[148..156].copy_from_slice(b"zzzzzzz\0");
        assert_eq!(
            diagnose(&not_number),
            Some(HeaderProblem::NotANumber { field: "cksum" })
        );

        // A size field of garbage under a checksum that matches it.
        let mut bad_size = good;
        bad_size[124..136].copy_from_slice(b"12345678901x");
        let sum: u64 = bad_size[..148]
            .iter()
            .chain(&bad_size[156..])
            .fold(8 * 32, |a, &b| a + u64::from(b));
        bad_size[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        assert_eq!(
            diagnose(&bad_size).map(|p| p.to_string()).as_deref(),
            Some("numeric field was not a number in its size field")
        );
        assert_eq!(diagnose(&[0u8; 512]), None);
    }

    #[test]
    fn base_256_sizes_read_as_gnu_writes_them() {
        let mut b = block("big", 0);
        b[124..136].copy_from_slice(&[0x80, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]);
        assert_eq!(numeric(&b, SIZE), Ok(2 << 32));
        // In an 8-byte field the flag bit is dropped, not read as part of the value.
        let mut h = tar::Header::new_gnu();
        h.set_uid(3 << 40);
        h.set_gid(2_097_152);
        let b = bytes(&h);
        assert_eq!(b[108] & 0x80, 0x80);
        assert_eq!(numeric(&b, UID), Ok(3 << 40));
        assert_eq!(numeric(&b, GID), Ok(2_097_152));
    }

    fn bytes(h: &tar::Header) -> [u8; 512] {
        let mut out = [0u8; 512];
        out.copy_from_slice(h.as_bytes());
        out
    }

    /// The problem as the walkers word it from the tar crate's error for `field` (the raw
    /// field bytes it quotes dropped).
    fn tar_crate_problem(e: &std::io::Error, field: &str) -> String {
        let msg = e.to_string();
        let problem = msg.split(':').next().unwrap_or_default();
        format!("{problem} in its {field} field")
    }

    /// Every field strata reads from a header, against the tar crate's own accessor, over
    /// headers of the three formats with their numeric fields and magic scrambled: the same
    /// value, or a problem worded the same.
    #[test]
    fn fields_read_as_the_tar_crate_reads_them() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet: &[u8] = b"0123456789 \0\t\n+-xZ\x80\xff\xc3\xa9";
        let (mut values, mut problems) = (0, 0);
        for round in 0..20_000u32 {
            let mut h = match round % 3 {
                0 => tar::Header::new_gnu(),
                1 => tar::Header::new_ustar(),
                _ => tar::Header::new_old(),
            };
            h.set_path("some/file").unwrap_or_default();
            h.set_mode((next() % 0o10000) as u32);
            // Big owners and times go base-256, as GNU writes them.
            let big = |n: u64| {
                if n.is_multiple_of(4) {
                    n
                } else {
                    n % 5_000_000
                }
            };
            h.set_uid(big(next()));
            h.set_gid(big(next()));
            h.set_mtime(big(next()));
            h.set_size(next() % (1 << 40));
            h.set_device_major((next() % 300) as u32)
                .unwrap_or_default();
            h.set_device_minor((next() % 300) as u32)
                .unwrap_or_default();
            h.set_cksum();
            let raw = h.as_mut_bytes();
            for _ in 0..next() % 6 {
                let at = match next() % 4 {
                    // The numeric fields, then the magic and version, then the devices.
                    0 | 1 => 100 + (next() % 56) as usize,
                    2 => 257 + (next() % 8) as usize,
                    _ => 329 + (next() % 16) as usize,
                };
                raw[at] = alphabet[(next() % alphabet.len() as u64) as usize];
            }
            let b = bytes(&h);
            let agree = |ours: Result<u64, HeaderProblem>, theirs: std::io::Result<u64>, field| {
                match (&ours, &theirs) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "{field} of {b:?}"),
                    (Err(p), Err(e)) => assert_eq!(p.to_string(), tar_crate_problem(e, field)),
                    _ => panic!("{field}: ours {ours:?}, the tar crate's {theirs:?}"),
                }
                ours.is_ok()
            };
            for read in [
                agree(octal(&b, MODE), h.mode().map(u64::from), "mode"),
                agree(numeric(&b, UID), h.uid(), "uid"),
                agree(numeric(&b, GID), h.gid(), "gid"),
                agree(numeric(&b, MTIME), h.mtime(), "mtime"),
                agree(numeric(&b, SIZE), h.entry_size(), "size"),
                agree(octal(&b, CHECKSUM), h.cksum().map(u64::from), "cksum"),
            ] {
                if read {
                    values += 1;
                } else {
                    problems += 1;
                }
            }
            let devices = (h.device_major(), h.device_minor());
            assert_eq!(
                has_device_fields(&b),
                matches!(devices, (Ok(Some(_)) | Err(_), Ok(Some(_)) | Err(_))),
                "{:?}",
                &b[257..265]
            );
            if has_device_fields(&b) {
                let theirs = |r: std::io::Result<Option<u32>>| r.map(|d| u64::from(d.unwrap_or(0)));
                agree(octal(&b, DEVICE_MAJOR), theirs(devices.0), "device_major");
                agree(octal(&b, DEVICE_MINOR), theirs(devices.1), "device_minor");
            }
            if let Ok(stored) = h.cksum() {
                let sum_ok = stored
                    == h.as_bytes()[..148]
                        .iter()
                        .chain(&h.as_bytes()[156..])
                        .fold(8 * 32u32, |a, &x| a + u32::from(x));
                assert_eq!(check_sum(&b).is_ok(), sum_ok);
            }
        }
        // Both sides of every comparison were exercised.
        assert!(values > 10_000 && problems > 1_000, "{values} {problems}");
    }

    #[test]
    fn blank_fields_are_told_from_garbage() {
        let mut b = block("a", 1);
        b[108..116].copy_from_slice(b"\0 \0   \0\0");
        b[116..124].copy_from_slice(b"0000zz\0 ");
        assert!(is_blank(&b, UID));
        assert!(!is_blank(&b, GID));
        assert!(numeric(&b, UID).is_err());
    }
}
