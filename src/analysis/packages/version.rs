//! Version order per ecosystem, for the inventory's upgraded / downgraded verdicts (DESIGN
//! section 3b). Each comparator is what the ecosystem's own tool does for well-formed
//! versions, and for any two strings at all a consistent total order (a total preorder: two
//! different strings may compare equal where the ecosystem says they are the same version,
//! `1.0` and `1.0.0` in Python, `1.0` and `1.0-0` in dpkg). It never panics, never allocates
//! in proportion to more than its inputs, and `compare(a, b)` is always
//! `compare(b, a).reverse()`.
//!
//! Consistency is by construction: each comparator reads each string on its own into a
//! sequence of tokens (or a parsed version) and compares those with one fixed order, so no
//! comparison can depend on the other string's shape. Where a tool's own algorithm is not
//! transitive, the order here is the nearest transitive one, named below.
//!
//! Where the work comes from:
//! - dpkg: hand-written from Debian Policy 5.6.12 and dpkg's `verrevcmp`. The crates that do
//!   it are GPL (`deb-version7`, not compatible with strata's licence), unmaintained since
//!   2019 (`deb-version`) or pull regex and chrono for it (`debversion`); the algorithm is
//!   forty lines.
//! - rpm: hand-written `rpmvercmp` (rpm's lib/rpmvercmp.c), read as tokens ordered
//!   `~` < end < `^` < letters < digits, which is exactly what its loop does. No crate does
//!   it. rpm's EVR comparison skips the release when either side has none, which is not
//!   transitive (`1.0-1` = `1.0` = `1.0-2`); here a missing release sorts first, as rpm's
//!   `rpmEVRcmp` (`compare_values`) does.
//! - apk: hand-written from apk-tools 3's src/version.c (token types, Gentoo-style leading
//!   zero rule, `_alpha`..`_rc` before the release and `_cvs`..`_p` after, `~hash`, `-rN`).
//!   Versions that apk calls invalid compare equal to each other in apk from the invalid
//!   token on; here the rest is compared bytewise instead, so they still order.
//! - python: the `pep440_rs` crate (PEP 440, the parser uv grew from). Strings that are not
//!   PEP 440 sort before every valid version, as `packaging`'s `LegacyVersion` did, and among
//!   themselves by the dpkg algorithm (a sensible natural order), then bytewise.
//! - npm: the `semver` crate's SemVer 2.0.0 precedence (build metadata ignored), after
//!   node-semver's `clean` (leading `=`/`v` and blanks dropped). Invalid strings sort before
//!   valid versions, then naturally as for python.
//! - go: golang.org/x/mod/semver's rules (a `v` prefix required, `v1` and `v1.2` short for
//!   `v1.0.0` and `v1.2.0`, `+incompatible` and other build metadata ignored) on the
//!   `semver` crate; pseudo-versions are prereleases, so they sort as Go sorts them. Invalid
//!   versions sort before valid ones, as in Go; Go calls them all equal, here they still
//!   order naturally. Numbers past u64 make a version invalid here, where Go would compare
//!   them.

use std::cmp::Ordering;

use crate::model::packages::Ecosystem;

/// Orders two versions of one ecosystem; see the module comment for each ecosystem's rules.
pub fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Ordering {
    match ecosystem {
        Ecosystem::Dpkg => dpkg(a, b),
        Ecosystem::Rpm => rpm(a, b),
        Ecosystem::Apk => apk(a, b),
        Ecosystem::Python => python(a, b),
        Ecosystem::Npm => npm(a, b),
        Ecosystem::Go => go(a, b),
    }
}

/// Digit strings by value, however long: leading zeros dropped, then the longer is larger,
/// then the first differing digit.
fn numeric(a: &[u8], b: &[u8]) -> Ordering {
    let a = strip_zeros(a);
    let b = strip_zeros(b);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn strip_zeros(digits: &[u8]) -> &[u8] {
    let start = digits
        .iter()
        .position(|&d| d != b'0')
        .unwrap_or(digits.len());
    &digits[start..]
}

fn digit_run(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_digit()).count()
}

// ---- dpkg ---------------------------------------------------------------------------------

/// `[epoch:]upstream[-revision]`. A version dpkg would reject (an epoch that is not a number)
/// is read with epoch 0 and the whole string as upstream, so it still has a place.
fn dpkg(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = dpkg_parts(a.as_bytes());
    let (eb, ub, rb) = dpkg_parts(b.as_bytes());
    numeric(ea, eb)
        .then_with(|| verrevcmp(ua, ub))
        .then_with(|| verrevcmp(ra, rb))
}

fn dpkg_parts(version: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let version = version.trim_ascii();
    let (epoch, rest) = match version.iter().position(|&c| c == b':') {
        Some(colon) if colon > 0 && version[..colon].iter().all(u8::is_ascii_digit) => {
            (&version[..colon], &version[colon + 1..])
        }
        _ => (&b""[..], version),
    };
    match rest.iter().rposition(|&c| c == b'-') {
        Some(dash) => (epoch, &rest[..dash], &rest[dash + 1..]),
        None => (epoch, rest, &b""[..]),
    }
}

/// dpkg's `verrevcmp`: alternating non-digit and digit runs; non-digits compare by
/// `dpkg_order`, digit runs by value.
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        loop {
            let ca = a.get(i).filter(|c| !c.is_ascii_digit());
            let cb = b.get(j).filter(|c| !c.is_ascii_digit());
            if ca.is_none() && cb.is_none() {
                break;
            }
            let order = dpkg_order(ca).cmp(&dpkg_order(cb));
            if order != Ordering::Equal {
                return order;
            }
            // Equal orders mean both are non-digits (a missing one orders 0, a present one
            // never does).
            i += 1;
            j += 1;
        }
        let da = digit_run(&a[i..]);
        let db = digit_run(&b[j..]);
        let order = numeric(&a[i..i + da], &b[j..j + db]);
        if order != Ordering::Equal {
            return order;
        }
        i += da;
        j += db;
    }
    Ordering::Equal
}

/// `~` before the end of a part, the end (or a digit) before letters, letters before
/// everything else.
fn dpkg_order(c: Option<&u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(&c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(&c) => i32::from(c) + 256,
    }
}

// ---- rpm ----------------------------------------------------------------------------------

/// `[epoch:]version[-release]`, split as rpm's `rpmEVRparse` does: the epoch is the leading
/// digits before a `:`, the release what follows the last `-` after it.
fn rpm(a: &str, b: &str) -> Ordering {
    let (ea, va, ra) = rpm_parts(a.as_bytes());
    let (eb, vb, rb) = rpm_parts(b.as_bytes());
    numeric(ea, eb)
        .then_with(|| rpmvercmp(va, vb))
        .then_with(|| match (ra, rb) {
            (Some(ra), Some(rb)) => rpmvercmp(ra, rb),
            (ra, rb) => ra.is_some().cmp(&rb.is_some()),
        })
}

fn rpm_parts(evr: &[u8]) -> (&[u8], &[u8], Option<&[u8]>) {
    let digits = digit_run(evr);
    let (epoch, rest) = match evr.get(digits) {
        Some(b':') => (&evr[..digits], &evr[digits + 1..]),
        _ => (&b""[..], evr),
    };
    match rest.iter().rposition(|&c| c == b'-') {
        Some(dash) => (epoch, &rest[..dash], Some(&rest[dash + 1..])),
        None => (epoch, rest, None),
    }
}

/// One token of `rpmvercmp`; the declaration order is the order of tokens of different
/// kinds (the end of a version sits between `Tilde` and `Caret`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum RpmToken<'a> {
    Tilde,
    End,
    Caret,
    Alpha(&'a [u8]),
    Number(&'a [u8]),
}

struct RpmTokens<'a> {
    rest: &'a [u8],
}

impl<'a> RpmTokens<'a> {
    /// Separators (anything not a letter, digit, `~` or `^`) are skipped, as rpm skips them.
    fn next_token(&mut self) -> RpmToken<'a> {
        let skip = self
            .rest
            .iter()
            .take_while(|c| !c.is_ascii_alphanumeric() && **c != b'~' && **c != b'^')
            .count();
        self.rest = &self.rest[skip..];
        let Some(&first) = self.rest.first() else {
            return RpmToken::End;
        };
        let len = match first {
            b'~' | b'^' => 1,
            c if c.is_ascii_digit() => digit_run(self.rest),
            _ => self
                .rest
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .count(),
        };
        let (token, rest) = self.rest.split_at(len);
        self.rest = rest;
        match first {
            b'~' => RpmToken::Tilde,
            b'^' => RpmToken::Caret,
            c if c.is_ascii_digit() => RpmToken::Number(strip_zeros(token)),
            _ => RpmToken::Alpha(token),
        }
    }
}

fn rpmvercmp(a: &[u8], b: &[u8]) -> Ordering {
    let mut ta = RpmTokens { rest: a };
    let mut tb = RpmTokens { rest: b };
    loop {
        let (x, y) = (ta.next_token(), tb.next_token());
        let order = match (x, y) {
            (RpmToken::Number(x), RpmToken::Number(y)) => numeric(x, y),
            (x, y) => x.cmp(&y),
        };
        if order != Ordering::Equal || x == RpmToken::End {
            return order;
        }
    }
}

// ---- apk ----------------------------------------------------------------------------------

/// apk-tools' token types, in its order (a later type may follow an earlier one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ApkType {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// apk's suffixes in their order; those before `NONE` (index 4) mark a pre-release.
const APK_SUFFIXES: [&[u8]; 9] = [
    b"alpha", b"beta", b"pre", b"rc", b"", b"cvs", b"svn", b"git", b"hg",
];
const APK_SUFFIX_NONE: usize = 4;
/// `p` is the last suffix (after `hg`).
const APK_SUFFIX_P: usize = 9;

#[derive(Debug, Clone, Copy)]
struct ApkToken<'a> {
    kind: ApkType,
    /// The token's text (digits, letter, hash; for `Invalid`, the rest of the version).
    value: &'a [u8],
    suffix: usize,
}

impl ApkToken<'_> {
    /// Where a token stands against a token of another type, as `apk_version_compare`
    /// decides once the types part: a pre-release suffix is below everything; otherwise the
    /// earlier type is greater (`1.0.1` > `1.0a` > `1.0_p1` > `1.0~ab` > `1.0-r1` > `1.0`,
    /// and an invalid rest is below the end).
    fn rank(&self) -> u8 {
        match self.kind {
            ApkType::Suffix if self.suffix < APK_SUFFIX_NONE => 0,
            ApkType::Invalid => 1,
            ApkType::End => 2,
            ApkType::RevisionNo => 3,
            ApkType::CommitHash => 4,
            ApkType::SuffixNo => 5,
            ApkType::Suffix => 6,
            ApkType::Letter => 7,
            ApkType::Digit => 8,
            ApkType::InitialDigit => 9,
        }
    }
}

struct ApkTokens<'a> {
    rest: &'a [u8],
    last: Option<ApkType>,
}

impl<'a> ApkTokens<'a> {
    fn new(version: &'a [u8]) -> Self {
        ApkTokens {
            rest: version,
            last: None,
        }
    }

    fn next_token(&mut self) -> ApkToken<'a> {
        let token = match self.last {
            None => self.digits(ApkType::InitialDigit),
            Some(last) => self.after(last),
        };
        self.last = Some(token.kind);
        token
    }

    fn token(kind: ApkType, value: &'a [u8]) -> ApkToken<'a> {
        ApkToken {
            kind,
            value,
            suffix: 0,
        }
    }

    fn invalid(&self) -> ApkToken<'a> {
        Self::token(ApkType::Invalid, self.rest)
    }

    fn digits(&mut self, kind: ApkType) -> ApkToken<'a> {
        let (digits, rest) = self.rest.split_at(digit_run(self.rest));
        if digits.is_empty() {
            return self.invalid();
        }
        self.rest = rest;
        Self::token(kind, digits)
    }

    /// apk-tools' `token_next`: the next token's type from its first character, checked
    /// against the type before it.
    fn after(&mut self, last: ApkType) -> ApkToken<'a> {
        let Some(&first) = self.rest.first() else {
            return Self::token(ApkType::End, b"");
        };
        match first {
            b'a'..=b'z' if last <= ApkType::Digit => {
                let (letter, rest) = self.rest.split_at(1);
                self.rest = rest;
                Self::token(ApkType::Letter, letter)
            }
            b'.' | b'0'..=b'9' => {
                let kind = match last {
                    ApkType::InitialDigit | ApkType::Digit => ApkType::Digit,
                    ApkType::Suffix if first != b'.' => ApkType::SuffixNo,
                    _ => return self.invalid(),
                };
                if first == b'.' {
                    self.rest = &self.rest[1..];
                }
                self.digits(kind)
            }
            b'_' if last <= ApkType::SuffixNo => {
                let rest = &self.rest[1..];
                let len = rest.iter().take_while(|c| c.is_ascii_lowercase()).count();
                let (name, after) = rest.split_at(len);
                let Some(suffix) = apk_suffix(name) else {
                    return self.invalid();
                };
                self.rest = after;
                ApkToken {
                    kind: ApkType::Suffix,
                    value: name,
                    suffix,
                }
            }
            b'~' if last < ApkType::CommitHash => {
                let rest = &self.rest[1..];
                let len = rest.iter().take_while(|c| is_apk_hex(c)).count();
                if len == 0 {
                    return self.invalid();
                }
                let (hash, after) = rest.split_at(len);
                self.rest = after;
                Self::token(ApkType::CommitHash, hash)
            }
            b'-' if last < ApkType::RevisionNo && self.rest.starts_with(b"-r") => {
                self.rest = &self.rest[2..];
                self.digits(ApkType::RevisionNo)
            }
            _ => self.invalid(),
        }
    }
}

/// apk's hex digits for a commit hash: lowercase only.
fn is_apk_hex(c: &u8) -> bool {
    matches!(c, b'0'..=b'9' | b'a'..=b'f')
}

fn apk_suffix(name: &[u8]) -> Option<usize> {
    if name == b"p" {
        return Some(APK_SUFFIX_P);
    }
    APK_SUFFIXES
        .iter()
        .position(|s| !s.is_empty() && *s == name)
}

/// Two tokens of one type, as apk-tools' `token_cmp` orders them.
fn apk_same_type(a: &ApkToken, b: &ApkToken) -> Ordering {
    match a.kind {
        // A leading zero makes both compare as text, as in Gentoo's rules.
        ApkType::Digit if a.value.first() == Some(&b'0') || b.value.first() == Some(&b'0') => {
            a.value.cmp(b.value)
        }
        ApkType::InitialDigit | ApkType::Digit | ApkType::SuffixNo | ApkType::RevisionNo => {
            numeric(a.value, b.value)
        }
        ApkType::Suffix => a.suffix.cmp(&b.suffix),
        ApkType::End => Ordering::Equal,
        ApkType::Letter | ApkType::CommitHash | ApkType::Invalid => a.value.cmp(b.value),
    }
}

fn apk(a: &str, b: &str) -> Ordering {
    let mut ta = ApkTokens::new(a.as_bytes());
    let mut tb = ApkTokens::new(b.as_bytes());
    loop {
        let (x, y) = (ta.next_token(), tb.next_token());
        let order = x.rank().cmp(&y.rank()).then_with(|| apk_same_type(&x, &y));
        if order != Ordering::Equal || matches!(x.kind, ApkType::End | ApkType::Invalid) {
            return order;
        }
    }
}

// ---- python, npm, go ----------------------------------------------------------------------

/// Strings no parser accepts: a natural order (dpkg's, which orders digit runs by value),
/// then bytewise so different strings never tie.
fn natural(a: &str, b: &str) -> Ordering {
    verrevcmp(a.as_bytes(), b.as_bytes()).then_with(|| a.cmp(b))
}

/// Valid versions (by `parse`) after invalid ones; valid ones by `order`, invalid ones
/// naturally.
fn valid_first_by<T>(
    a: &str,
    b: &str,
    parse: impl Fn(&str) -> Option<T>,
    order: impl Fn(&T, &T) -> Ordering,
) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => order(&x, &y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => natural(a, b),
    }
}

fn python(a: &str, b: &str) -> Ordering {
    valid_first_by(
        a,
        b,
        |v| v.trim().parse::<pep440_rs::Version>().ok(),
        Ord::cmp,
    )
}

fn npm(a: &str, b: &str) -> Ordering {
    valid_first_by(a, b, npm_version, semver::Version::cmp_precedence)
}

/// node-semver's `clean`: blanks around, and any leading `=` and `v`, are not part of it.
fn npm_version(v: &str) -> Option<semver::Version> {
    let v = v.trim().trim_start_matches(['=', 'v']);
    semver::Version::parse(v).ok()
}

fn go(a: &str, b: &str) -> Ordering {
    valid_first_by(a, b, go_version, semver::Version::cmp_precedence)
}

/// golang.org/x/mod/semver's `parse`: `v` required; `vMAJOR` and `vMAJOR.MINOR` alone are
/// short for `.0` patches (with nothing after them).
fn go_version(v: &str) -> Option<semver::Version> {
    let v = v.strip_prefix('v')?;
    let plain = v.bytes().all(|c| c.is_ascii_digit() || c == b'.');
    let padded = match v.bytes().filter(|&c| c == b'.').count() {
        0 if plain => format!("{v}.0.0"),
        1 if plain => format!("{v}.0"),
        _ => return semver::Version::parse(v).ok(),
    };
    semver::Version::parse(&padded).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};

    fn check(ecosystem: Ecosystem, cases: &[(&str, &str, Ordering)]) {
        for &(a, b, want) in cases {
            assert_eq!(compare(ecosystem, a, b), want, "{ecosystem:?}: {a} vs {b}");
            assert_eq!(
                compare(ecosystem, b, a),
                want.reverse(),
                "{ecosystem:?}: {b} vs {a}"
            );
        }
    }

    /// Every pair antisymmetric, every triple transitive.
    fn assert_consistent(ecosystem: Ecosystem, versions: &[&str]) {
        for a in versions {
            assert_eq!(compare(ecosystem, a, a), Equal, "{ecosystem:?}: {a}");
            for b in versions {
                let ab = compare(ecosystem, a, b);
                assert_eq!(ab, compare(ecosystem, b, a).reverse(), "{a} vs {b}");
                for c in versions {
                    let bc = compare(ecosystem, b, c);
                    if ab != Greater && bc != Greater {
                        let ac = compare(ecosystem, a, c);
                        assert_ne!(ac, Greater, "{ecosystem:?}: {a} <= {b} <= {c}");
                        if ab == Less || bc == Less {
                            assert_eq!(ac, Less, "{ecosystem:?}: {a} < {b} <= {c}");
                        }
                    }
                }
            }
        }
    }

    /// Strings every comparator must place somewhere.
    const HOSTILE: &[&str] = &[
        "",
        " ",
        ":",
        "-",
        "~",
        "^",
        "v",
        "1:",
        ":1",
        "1-",
        "-1",
        "a:b:c",
        "1.0-",
        "0",
        "00",
        "v0",
        "99999999999999999999999999",
        "1.99999999999999999999999",
        "\u{e9}",
        "1\u{e9}",
        "1.0\u{0}",
        "_",
        "_p",
        "1_",
        "1-r",
        "1~",
        "=",
        "+",
        "1+",
        "!",
        "1!",
        "1!1",
    ];

    #[test]
    fn dpkg_follows_policy() {
        check(
            Ecosystem::Dpkg,
            &[
                ("1.0", "1.0", Equal),
                ("1.0", "1.0-0", Equal),
                ("1.0", "1.00", Equal),
                ("1:1.0", "2.0", Greater),
                ("0:1.0", "1.0", Equal),
                ("1.0~rc1", "1.0", Less),
                ("1.0~~", "1.0~", Less),
                ("1.0~", "1.0", Less),
                ("1.0", "1.0a", Less),
                ("1.0a", "1.0+", Less),
                ("1.0-1", "1.0-1+b1", Less),
                ("2.36-9+deb12u4", "2.36-9+deb12u14", Less),
                ("1:2.38.1-5+deb12u3", "1:2.38.1-5+deb12u1", Greater),
                ("7.88.1-10+deb12u8", "7.88.1-10+deb12u12", Less),
                ("1.2.3-1", "1.2.3-1ubuntu1", Less),
                ("10", "9", Greater),
                ("1.0-1-2", "1.0-1-10", Less),
                ("1.0.0", "1.0", Greater),
                ("a", "1", Greater),
            ],
        );
    }

    #[test]
    fn rpm_follows_rpmvercmp() {
        check(
            Ecosystem::Rpm,
            &[
                ("1.0-1", "1.0-1", Equal),
                ("1.0-1", "1.0-2", Less),
                ("1.0", "1.0-1", Less),
                ("1:1.0-1", "2.0-1", Greater),
                ("1.0-1.el9", "1.0-1.el9_1", Less),
                ("1.0~rc1-1", "1.0-1", Less),
                ("1.0^post1-1", "1.0-1", Greater),
                ("1.0^post1-1", "1.0.1-1", Less),
                ("1.0~rc1", "1.0~rc1^git1", Less),
                ("1a", "1.a", Equal),
                ("1.0a", "1.0.1", Less),
                ("2.0", "2_0", Equal),
                ("1.010", "1.9", Greater),
                ("1.0", "1.0.0", Less),
                ("a", "1", Less),
                ("5.1.8-6.el9", "5.1.8-9.el9", Less),
            ],
        );
    }

    #[test]
    fn apk_follows_apk_tools() {
        check(
            Ecosystem::Apk,
            &[
                ("1.2.4-r2", "1.2.4-r2", Equal),
                ("1.2.4-r2", "1.2.4-r10", Less),
                ("1.2.4", "1.2.4-r0", Less),
                ("1.2.4_rc1", "1.2.4", Less),
                ("1.2.4_alpha", "1.2.4_beta", Less),
                ("1.2.4_pre2", "1.2.4_rc1", Less),
                ("1.2.4_p1", "1.2.4", Greater),
                ("1.2.4_p1", "1.2.5", Less),
                ("1.2.4_git20230717-r4", "1.2.4-r4", Greater),
                ("1.2a", "1.2b", Less),
                ("1.2", "1.2a", Less),
                ("1.2a", "1.3", Less),
                ("1.10", "1.9", Greater),
                ("1.05", "1.5", Less),
                ("1.05", "1.045", Greater),
                ("3.1.4-r5", "3.1.4-r6", Less),
                ("1.0~abc", "1.0", Greater),
                ("1.0~abc-r1", "1.0~abd-r0", Less),
                ("1.0_rc1_p2", "1.0_rc1", Greater),
                ("01", "1", Equal),
                ("1.0", "1", Greater),
            ],
        );
    }

    #[test]
    fn python_follows_pep_440() {
        check(
            Ecosystem::Python,
            &[
                ("1.0", "1.0.0", Equal),
                ("1.0.dev1", "1.0a1", Less),
                ("1.0a1", "1.0b1", Less),
                ("1.0rc1", "1.0", Less),
                ("1.0", "1.0.post1", Less),
                ("1.0+local", "1.0", Greater),
                ("1!0.1", "2.0", Greater),
                ("2026.10.19.post1", "2026.10.19", Greater),
                ("1.0-alpha1", "1.0a1", Equal),
                ("1.10", "1.9", Greater),
                ("not a version", "0.0.1", Less),
                ("UNKNOWN", "garbage", Less),
            ],
        );
    }

    #[test]
    fn npm_follows_semver_precedence() {
        check(
            Ecosystem::Npm,
            &[
                ("7.26.0", "7.20.12", Greater),
                ("1.0.0-alpha", "1.0.0", Less),
                ("1.0.0-alpha", "1.0.0-alpha.1", Less),
                ("1.0.0-alpha.beta", "1.0.0-beta", Less),
                ("1.0.0-beta.2", "1.0.0-beta.11", Less),
                ("1.0.0-rc.1", "1.0.0", Less),
                ("1.0.0+build.1", "1.0.0+build.2", Equal),
                ("v1.2.3", "1.2.3", Equal),
                ("=1.2.3", "1.2.3", Equal),
                ("UNKNOWN", "0.0.0", Less),
            ],
        );
    }

    #[test]
    fn go_follows_module_versions() {
        check(
            Ecosystem::Go,
            &[
                ("v1.2.3", "v1.2.4", Less),
                ("v1", "v1.0.0", Equal),
                ("v1.2", "v1.2.0", Equal),
                ("v0.0.0-20191109021931-daa7c04131f5", "v0.0.0", Less),
                ("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4", Less),
                ("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.3", Greater),
                ("v2.0.0+incompatible", "v2.0.0", Equal),
                ("v1.0.0-rc.1", "v1.0.0", Less),
                ("1.2.3", "v0.0.1", Less),
                ("(devel)", "v0.0.0", Less),
                ("v1.2-pre", "v0.1.0", Less),
                ("v01.2.3", "v1.2.3", Less),
            ],
        );
    }

    #[test]
    fn every_ecosystem_is_a_consistent_order_on_tricky_strings() {
        let tricky: &[(Ecosystem, &[&str])] = &[
            (
                Ecosystem::Dpkg,
                &[
                    "1.0",
                    "1.0-0",
                    "1.00",
                    "1.0~rc1",
                    "1.0~",
                    "1.0a",
                    "1.0+b1",
                    "1:0.9",
                    "0:1.0",
                    "1.0-1",
                    "1.0-1~bpo1",
                    "2.36-9+deb12u14",
                    "1.0.0",
                    "a1",
                    "~",
                ],
            ),
            (
                Ecosystem::Rpm,
                &[
                    "1.0",
                    "1.0-1",
                    "1.0-2",
                    "1.0~rc1",
                    "1.0^git1",
                    "1.0.0",
                    "1a",
                    "1.a",
                    "1:1.0",
                    "0:1.0",
                    "1.0-1.el9",
                    "2_0",
                    "2.0",
                    "a",
                    "^",
                    "~1",
                ],
            ),
            (
                Ecosystem::Apk,
                &[
                    "1.0",
                    "1.0-r1",
                    "1.0_rc1",
                    "1.0_p1",
                    "1.0a",
                    "1.05",
                    "1.5",
                    "1.045",
                    "1.0~ab",
                    "1.0~ab-r2",
                    "01",
                    "1",
                    "1.0_alpha_p1",
                    "1.0_foo",
                    "1.0-x",
                    "1.0.a",
                    "x1",
                ],
            ),
            (
                Ecosystem::Python,
                &[
                    "1.0",
                    "1.0.0",
                    "1.0a1",
                    "1.0.dev1",
                    "1.0.post1",
                    "1.0+local.7",
                    "1.0+local.a",
                    "1!0.1",
                    "2.0rc1",
                    "nope",
                    "1.0-foo",
                    "UNKNOWN",
                ],
            ),
            (
                Ecosystem::Npm,
                &[
                    "1.0.0",
                    "1.0.0-alpha",
                    "1.0.0-alpha.1",
                    "1.0.0-1",
                    "1.0.0+b",
                    "v1.0.0",
                    "1.0",
                    "UNKNOWN",
                    "2.0.0-rc.1",
                ],
            ),
            (
                Ecosystem::Go,
                &[
                    "v1",
                    "v1.0.0",
                    "v1.2",
                    "v1.2.0-pre",
                    "v0.0.0-20191109021931-daa7c04131f5",
                    "v2.0.0+incompatible",
                    "1.0.0",
                    "(devel)",
                    "v1.2-pre",
                    "v01",
                ],
            ),
        ];
        for (ecosystem, versions) in tricky {
            let mut all: Vec<&str> = versions.to_vec();
            all.extend_from_slice(HOSTILE);
            assert_consistent(*ecosystem, &all);
        }
    }

    #[test]
    fn huge_versions_compare_without_overflow() {
        let long_a = format!("1.{}", "9".repeat(100_000));
        let long_b = format!("1.1{}", "0".repeat(100_000));
        for ecosystem in Ecosystem::ALL {
            let order = compare(ecosystem, &long_a, &long_b);
            assert_eq!(compare(ecosystem, &long_b, &long_a), order.reverse());
        }
        assert_eq!(compare(Ecosystem::Dpkg, &long_a, &long_b), Less);
        assert_eq!(compare(Ecosystem::Rpm, &long_a, &long_b), Less);
        assert_eq!(compare(Ecosystem::Apk, &long_a, &long_b), Less);
    }
}
