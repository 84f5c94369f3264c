//! Byte sizes: the one parser for every size a user writes (rules files, flags,
//! `STRATA_CACHE_MAX_SIZE`) and the named formats strata prints sizes in.
//!
//! The parser is dive's (Go's `humanize.ParseBytes`), because `.dive-ci` files must mean here
//! what they mean to dive, and one grammar for every size keeps a flag and a rules file from
//! disagreeing about `20MB`. The formatters stay distinct where their outputs differ: reports
//! and progress use decimal units like dive (`2.55 MB`), narrow columns one decimal
//! (`2.5 MB`), and limits the unit a flag can be given back in (`64 GiB`).

use humansize::{format_size, FormatSizeOptions, BINARY, DECIMAL};

use crate::model::text::printable;

/// Why a size did not parse. `Display` is one line naming the offending text, escaped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    /// The text does not start with a digit, `.` or `,` (leading blanks and signs included).
    #[error("no number at the start of '{}'", printable(.input, 80))]
    NoNumber { input: String },
    /// What follows the number is not a unit; `unit` is lower-cased and trimmed.
    #[error("unknown unit '{}'", printable(.unit, 40))]
    UnknownUnit { unit: String },
    /// 2^64 bytes or more.
    #[error("too large")]
    TooLarge,
}

/// Parses a size as Go's `humanize.ParseBytes` (go-humanize 1.0, dive 0.13.1) does:
///
/// - a number first: digits, `.` and `,` (commas dropped: `2,000` is 2000); no sign, no
///   exponent, no leading blank;
/// - then an optional unit, trimmed and case-insensitive: none or `b` (bytes); `k`/`kb`, `m`/
///   `mb`, `g`/`gb`, `t`/`tb`, `p`/`pb`, `e`/`eb` (powers of 1000); `ki`/`kib`, `mi`/`mib`,
///   `gi`/`gib`, `ti`/`tib`, `pi`/`pib`, `ei`/`eib` (powers of 1024);
/// - the product truncated to whole bytes (`0.002MiB` is 2097), and refused from 2^64 up.
pub fn parse_size(s: &str) -> Result<u64, SizeError> {
    let digits = s
        .bytes()
        .take_while(|b| b.is_ascii_digit() || matches!(b, b'.' | b','))
        .count();
    let num: String = s[..digits].chars().filter(|&c| c != ',').collect();
    let f: f64 = num.parse().map_err(|_| SizeError::NoNumber {
        input: s.to_string(),
    })?;
    let unit = s[digits..].trim().to_ascii_lowercase();
    let k: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "ki" | "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mi" | "mib" => 1024f64.powi(2),
        "g" | "gb" => 1e9,
        "gi" | "gib" => 1024f64.powi(3),
        "t" | "tb" => 1e12,
        "ti" | "tib" => 1024f64.powi(4),
        "p" | "pb" => 1e15,
        "pi" | "pib" => 1024f64.powi(5),
        "e" | "eb" => 1e18,
        "ei" | "eib" => 1024f64.powi(6),
        _ => return Err(SizeError::UnknownUnit { unit }),
    };
    let bytes = f * k;
    // `f >= math.MaxUint64` in Go compares against 2^64.
    if bytes >= 18_446_744_073_709_551_616.0 {
        return Err(SizeError::TooLarge);
    }
    Ok(bytes as u64)
}

/// Decimal units with up to two decimals, as dive shows sizes: `975 B`, `10.53 kB`, `2.55 MB`,
/// `10.74 GB`. Reports, progress lines, notices and `strata cache`.
pub fn decimal(n: u64) -> String {
    format_size(n, DECIMAL)
}

/// Decimal units with one decimal, for narrow columns: `975 B`, `10.5 kB`, `2.5 MB`.
pub fn decimal_short(n: u64) -> String {
    format_size(n, FormatSizeOptions::from(DECIMAL).decimal_places(1))
}

/// A change in size, `decimal` with its sign: `+2.55 MB`, `-975 B`, and `+0 B` for no change
/// (the diff report's columns keep their sign).
pub fn signed_decimal(d: i64) -> String {
    if d >= 0 {
        format!("+{}", decimal(d.unsigned_abs()))
    } else {
        format!("-{}", decimal(d.unsigned_abs()))
    }
}

/// A change in size, `decimal_short` with its sign: `+2.5 MB`, `-3 kB`, and `0 B` unsigned
/// for no change.
pub fn signed_short(d: i64) -> String {
    match d.signum() {
        1 => format!("+{}", decimal_short(d.unsigned_abs())),
        -1 => format!("-{}", decimal_short(d.unsigned_abs())),
        _ => "0 B".into(),
    }
}

/// A count with thousands separators: `4,720`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration in nanoseconds as Go's `time.Duration` writes it (and a Dockerfile's
/// `HEALTHCHECK --interval=` takes it): `30s`, `1m30s`, `1h0m0s`, `1.5s`, `500ms`.
pub fn duration_ns(ns: i64) -> String {
    const SECOND: i64 = 1_000_000_000;
    if ns <= 0 {
        return format!("{ns}ns");
    }
    if ns < SECOND {
        return match ns {
            n if n % 1_000_000 == 0 => format!("{}ms", n / 1_000_000),
            n if n % 1_000 == 0 => format!("{}µs", n / 1_000),
            n => format!("{n}ns"),
        };
    }
    let (secs, frac) = (ns / SECOND, ns % SECOND);
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&s.to_string());
    if frac > 0 {
        let digits = format!("{frac:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('s');
    out
}

/// `n` and a noun, the noun in the plural unless `n` is one: `1 file`, `4,720 files`.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// A limit as its flag takes it, so an error's figure can be typed back: the largest unit,
/// binary or decimal, that states `n` exactly (`64 GiB`, `1 MB`, `999 B`), else binary units
/// with two decimals (`2.12 MiB`).
pub fn exact_or_binary(n: u64) -> String {
    for (unit, name) in [
        (1u64 << 40, "TiB"),
        (1_000_000_000_000, "TB"),
        (1 << 30, "GiB"),
        (1_000_000_000, "GB"),
        (1 << 20, "MiB"),
        (1_000_000, "MB"),
        (1 << 10, "KiB"),
        (1_000, "kB"),
    ] {
        if n >= unit && n.is_multiple_of(unit) {
            return format!("{} {name}", n / unit);
        }
    }
    if n < 1024 {
        return format!("{n} B");
    }
    format_size(n, BINARY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_go_writes_them() {
        let s = 1_000_000_000;
        let got: Vec<String> = [30 * s, 90 * s, 3600 * s, s + s / 2, s / 2, 2_000, 7, 0]
            .map(duration_ns)
            .to_vec();
        assert_eq!(
            got,
            ["30s", "1m30s", "1h0m0s", "1.5s", "500ms", "2µs", "7ns", "0ns"]
        );
    }

    #[test]
    fn counts_group_thousands_and_nouns_agree() {
        let got: Vec<String> = [0, 7, 999, 1000, 4720, 1_234_567].map(count).to_vec();
        assert_eq!(got, ["0", "7", "999", "1,000", "4,720", "1,234,567"]);
        assert_eq!(counted(1, "file", "files"), "1 file");
        assert_eq!(counted(4720, "file", "files"), "4,720 files");
    }

    #[test]
    fn parse_accepts_go_humanize_forms() {
        let ok: [(&str, u64); 16] = [
            ("20MB", 20_000_000),
            ("20MiB", 20 << 20),
            ("1 GB", 1_000_000_000),
            ("1gib", 1 << 30),
            ("2,000", 2000),
            ("32kb ", 32_000),
            ("1.5MB", 1_500_000),
            ("32.1k", 32_100),
            ("0.002MiB", 2097),
            ("2299.9", 2299),
            ("5", 5),
            ("7 b", 7),
            (".5k", 500),
            ("1Ti", 1 << 40),
            ("3 EB", 3_000_000_000_000_000_000),
            ("0", 0),
        ];
        for (s, want) in ok {
            assert_eq!(parse_size(s), Ok(want), "{s}");
        }
    }

    #[test]
    fn parse_errors_name_the_problem() {
        let no_number = |s: &str| SizeError::NoNumber {
            input: s.to_string(),
        };
        let unit = |u: &str| SizeError::UnknownUnit {
            unit: u.to_string(),
        };
        let bad = [
            ("", no_number("")),
            (" 32kb", no_number(" 32kb")),
            ("-5", no_number("-5")),
            ("MB", no_number("MB")),
            ("1.2.3", no_number("1.2.3")),
            ("2.3e3", unit("e3")),
            ("1 XB", unit("xb")),
            ("1 0MB", unit("0mb")),
            ("20000000000 EB", SizeError::TooLarge),
        ];
        for (s, want) in bad {
            assert_eq!(parse_size(s), Err(want), "{s:?}");
        }
        assert_eq!(
            parse_size("\u{1b}[2J").map_err(|e| e.to_string()),
            Err("no number at the start of '\\u{1b}[2J'".to_string())
        );
        assert_eq!(
            parse_size("5XB").map_err(|e| e.to_string()),
            Err("unknown unit 'xb'".to_string())
        );
    }

    #[test]
    fn decimal_formats() {
        assert_eq!(decimal(0), "0 B");
        assert_eq!(decimal(975), "975 B");
        assert_eq!(decimal(10_530), "10.53 kB");
        assert_eq!(decimal(2_550_000), "2.55 MB");
        assert_eq!(decimal(10_737_418_240), "10.74 GB");
        assert_eq!(decimal_short(975), "975 B");
        assert_eq!(decimal_short(98_300), "98.3 kB");
        assert_eq!(decimal_short(3_000), "3 kB");
        assert_eq!(signed_decimal(0), "+0 B");
        assert_eq!(signed_decimal(2_550_000), "+2.55 MB");
        assert_eq!(signed_decimal(-975), "-975 B");
        assert_eq!(signed_decimal(i64::MIN), "-9.22 EB");
        assert_eq!(signed_short(0), "0 B");
        assert_eq!(signed_short(1_200_000), "+1.2 MB");
        assert_eq!(signed_short(-3_000), "-3 kB");
    }

    #[test]
    fn limits_read_as_flags_take_them() {
        assert_eq!(exact_or_binary(64 << 30), "64 GiB");
        assert_eq!(exact_or_binary(16 << 20), "16 MiB");
        assert_eq!(exact_or_binary(1_000_000), "1 MB");
        assert_eq!(exact_or_binary(1000), "1 kB");
        assert_eq!(exact_or_binary(999), "999 B");
        assert_eq!(exact_or_binary(2_222_222), "2.12 MiB");
        assert_eq!(exact_or_binary(2_222), "2.17 KiB");
    }
}
