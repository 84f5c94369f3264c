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

pub const SIZE: Field = Field {
    name: "size",
    start: 124,
    end: 136,
};
pub const CHECKSUM: Field = Field {
    name: "cksum",
    start: 148,
    end: 156,
};

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
/// for octal).
pub fn numeric(block: &[u8; 512], field: Field) -> Result<u64, HeaderProblem> {
    let raw = &block[field.start..field.end];
    if raw[0] & 0x80 != 0 {
        // The low 8 bytes carry the value; the rest is sign extension.
        let mut out = 0u64;
        for &b in &raw[raw.len().saturating_sub(8)..] {
            out = (out << 8) | u64::from(b);
        }
        return Ok(out);
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
    }
}
