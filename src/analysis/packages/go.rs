//! Go binaries: the build info the Go linker embeds (`runtime/debug.BuildInfo`) names the
//! main module, every module compiled in (with replacements) and the Go version, so a binary
//! copied into an image still says what it is made of.
//!
//! The tree walker finds the 16-byte-aligned magic `\xff Go buildinf:` while an ELF file
//! streams by and keeps up to 256 KiB from there; this module reads that slice. Since Go
//! 1.18 the 32-byte header (magic, pointer size, flags) is followed, when `flags & 2` is set,
//! by the Go version and the module info as varint-length-prefixed strings, which is all this
//! needs. Binaries built before Go 1.18 store two pointers into the data segment instead:
//! reading them would need the ELF program headers, which a slice does not have, so they are
//! reported as unreadable ("built before Go 1.18").
//!
//! The reference is syft 1.18.1's go-module-binary-cataloger
//! (`syft/pkg/cataloger/golang/`) on top of Go's `debug/buildinfo.Read` and
//! `debug.ParseBuildInfo`, reproduced here:
//! - the module info must be framed by 16-byte sentinels (`mod[len-17] == '\n'`) or it is
//!   empty, and then syft lists nothing for the binary;
//! - `ParseBuildInfo`'s errors (a `mod`/`dep` line without 2 or 3 columns, a `=>` line
//!   without 3 or with no module before it, a malformed `build` line, including Go's rules
//!   for quoted keys and values) make the whole binary unreadable, as they make syft skip it;
//! - each dep is reported under its replacement's path and version when it has one
//!   (`package.go`), so `example.com/a => ../a` is a package named `../a`;
//! - a binary built from files (`command-line-arguments`) or without a `mod` line takes its
//!   main module from the one dep whose version is `(devel)`, else from `path`
//!   (`createMainModuleFromPath`);
//! - a main module whose version is `(devel)` (all builds before Go 1.24) gets a version
//!   from `-X ...version=1.2.3`-like linker flags (syft's two patterns, `regex` here as Go's
//!   `regexp` there, both leftmost-first), else the `v0.0.0-TIME-REVISION` pseudo-version
//!   from `vcs.time` and `vcs.revision`, else stays `(devel)`. syft tries one more source
//!   between those two, a scan of the whole binary for a NUL-delimited version string; only
//!   the build info is at hand here, so that step is skipped, and a binary where syft's scan
//!   finds something has the pseudo-version (or `(devel)`) here instead;
//! - a `stdlib` package with the Go version as syft writes it (`go1.22.1`; its purl drops the
//!   `go`: `pkg:golang/stdlib@1.22.1`), licence BSD-3-Clause, when the binary gave any
//!   package and the version has a digit (`stdlib_package.go`);
//! - syft's compliance step: packages without a name are dropped, empty versions become
//!   `UNKNOWN`.
//!
//! Licences of modules (syft looks them up in a module cache or a proxy) and the
//! architecture are not read.

use crate::model::civil::{civil_to_days, days_to_civil};
use crate::model::packages::{Ecosystem, Record};
use std::borrow::Cow;

/// What the build info starts with, at a 16-byte-aligned offset of the binary's data.
pub const BUILDINFO_MAGIC: &[u8] = b"\xff Go buildinf:";

/// Magic, pointer size, flags, then two pointers (unused in the inline form).
const HEADER_LEN: usize = 32;
/// The flag saying the strings follow the header inline (Go 1.18 and later).
const FLAG_INLINE: u8 = 2;
const DEVEL: &str = "(devel)";
const UNKNOWN: &str = "UNKNOWN";

/// The Go version a binary was built with (`go1.22.1`, possibly followed by build
/// experiments), if the build info is readable.
pub fn go_version(bytes: &[u8]) -> Option<String> {
    raw(bytes)
        .ok()
        .map(|raw| String::from_utf8_lossy(raw.version).into_owned())
}

/// The packages a Go binary's build info names: the main module, each dependency (as
/// replaced), then `stdlib`. `bytes` starts at `BUILDINFO_MAGIC`.
pub fn build_info(bytes: &[u8]) -> Result<Vec<Record>, String> {
    let raw = raw(bytes)?;
    let modinfo = String::from_utf8_lossy(raw.modinfo);
    let info = parse_build_info(&modinfo)?;
    let go_version = String::from_utf8_lossy(raw.version);
    Ok(records(info, &go_version))
}

/// The two strings of the build info, as `debug/buildinfo.readRawBuildInfo` returns them.
struct Raw<'a> {
    version: &'a [u8],
    /// Without its sentinels; empty when it had none (not built in module mode).
    modinfo: &'a [u8],
}

fn raw(bytes: &[u8]) -> Result<Raw<'_>, String> {
    if !bytes.starts_with(BUILDINFO_MAGIC) {
        return Err("no Go build info magic".to_string());
    }
    if bytes.len() < HEADER_LEN {
        return Err("Go build info header cut short".to_string());
    }
    if bytes[15] & FLAG_INLINE == 0 {
        return Err(
            "built before Go 1.18: its build info points into the data segment".to_string(),
        );
    }
    let (version, rest) = varint_string(&bytes[HEADER_LEN..])
        .ok_or_else(|| "Go version runs past the end of the build info".to_string())?;
    let (modinfo, _) =
        varint_string(rest).ok_or_else(|| "module info runs past the bytes read".to_string())?;
    if version.is_empty() {
        return Err("no Go version in the build info".to_string());
    }
    let n = modinfo.len();
    let modinfo = if n >= 33 && modinfo[n - 17] == b'\n' {
        &modinfo[16..n - 16]
    } else {
        &[][..]
    };
    Ok(Raw { version, modinfo })
}

/// A string prefixed by its length as an unsigned varint (Go's `binary.Uvarint`), and the
/// bytes after it; `None` if either runs past the end or the varint overflows.
fn varint_string(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut len: u64 = 0;
    let mut shift = 0u32;
    let mut used = None;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        if b < 0x80 {
            if i == 9 && b > 1 {
                return None;
            }
            len |= u64::from(b) << shift;
            used = Some(i + 1);
            break;
        }
        len |= u64::from(b & 0x7f) << shift;
        shift += 7;
    }
    let used = used?;
    let rest = &bytes[used..];
    let len = usize::try_from(len).ok().filter(|&l| l <= rest.len())?;
    Some(rest.split_at(len))
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Module {
    path: String,
    version: String,
    sum: String,
    replace: Option<Box<Module>>,
}

impl Module {
    fn is_empty(&self) -> bool {
        *self == Module::default()
    }

    /// The module as it was built: its replacement when it has one.
    fn effective(&self) -> &Module {
        self.replace.as_deref().unwrap_or(self)
    }
}

#[derive(Debug, Default)]
struct BuildInfo {
    path: String,
    main: Module,
    deps: Vec<Module>,
    settings: Vec<(String, String)>,
}

impl BuildInfo {
    /// A build setting; the first of a repeated key, as syft's `KeyValues.Get`.
    fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Go's `runtime/debug.ParseBuildInfo`, minus the Go version line it does not read either.
fn parse_build_info(data: &str) -> Result<BuildInfo, String> {
    /// The module a `=>` line replaces.
    enum Last {
        None,
        Main,
        Dep(usize),
    }
    let mut info = BuildInfo::default();
    let mut last = Last::None;
    let mut rest = data;
    let mut line_num = 1usize;
    while !rest.is_empty() {
        // A last line without a newline is not read.
        let Some((line, next)) = rest.split_once('\n') else {
            break;
        };
        rest = next;
        let fail = |why: &str| format!("Go build info line {line_num}: {why}");
        if let Some(elem) = line.strip_prefix("path\t") {
            info.path = elem.to_string();
        } else if let Some(elem) = line.strip_prefix("mod\t") {
            info.main = module_line(elem).ok_or_else(|| fail("expected 2 or 3 columns"))?;
            last = Last::Main;
        } else if let Some(elem) = line.strip_prefix("dep\t") {
            info.deps
                .push(module_line(elem).ok_or_else(|| fail("expected 2 or 3 columns"))?);
            last = Last::Dep(info.deps.len() - 1);
        } else if let Some(elem) = line.strip_prefix("=>\t") {
            let cols: Vec<&str> = elem.split('\t').collect();
            let [path, version, sum] = cols[..] else {
                return Err(fail("expected 3 columns for replacement"));
            };
            let replace = Some(Box::new(Module {
                path: path.to_string(),
                version: version.to_string(),
                sum: sum.to_string(),
                replace: None,
            }));
            match last {
                Last::Main => info.main.replace = replace,
                Last::Dep(i) => {
                    if let Some(dep) = info.deps.get_mut(i) {
                        dep.replace = replace;
                    }
                }
                Last::None => return Err(fail("replacement with no module before it")),
            }
            last = Last::None;
        } else if let Some(kv) = line.strip_prefix("build\t") {
            info.settings.push(build_setting(kv).map_err(fail)?);
        }
        line_num += 1;
    }
    Ok(info)
}

/// `PATH\tVERSION[\tSUM]`.
fn module_line(elem: &str) -> Option<Module> {
    let mut cols = elem.split('\t');
    let (path, version) = (cols.next()?, cols.next()?);
    let sum = cols.next().unwrap_or("");
    if cols.next().is_some() {
        return None;
    }
    Some(Module {
        path: path.to_string(),
        version: version.to_string(),
        sum: sum.to_string(),
        replace: None,
    })
}

/// `KEY=VALUE`, either side possibly a Go-quoted string, with `ParseBuildInfo`'s checks.
fn build_setting(kv: &str) -> Result<(String, String), &'static str> {
    let (key, raw_value) = match kv.as_bytes().first() {
        None => return Err("build line missing '='"),
        Some(b'=') => return Err("build line with missing key"),
        Some(b'`' | b'"') => {
            let (key, used) = go_unquote_prefix(kv).ok_or("invalid quoted key in build line")?;
            match kv.as_bytes().get(used) {
                None => return Err("build line missing '=' after quoted key"),
                Some(b'=') => {}
                Some(_) => return Err("unexpected character after quoted key"),
            }
            (key, &kv[used + 1..])
        }
        Some(_) => {
            let (key, value) = kv
                .split_once('=')
                .ok_or("build line missing '=' after key")?;
            if key.is_empty() || key.contains(['=', ' ', '\t', '\r', '\n', '"', '`']) {
                return Err("unquoted key must be quoted");
            }
            (key.to_string(), value)
        }
    };
    let value = match raw_value.as_bytes().first() {
        None => String::new(),
        Some(b'`' | b'"') => match go_unquote_prefix(raw_value) {
            Some((value, used)) if used == raw_value.len() => value,
            _ => return Err("invalid quoted value in build line"),
        },
        Some(_) => {
            if raw_value.contains([' ', '\t', '\r', '\n', '"', '`']) {
                return Err("unquoted value must be quoted");
            }
            raw_value.to_string()
        }
    };
    Ok((key, value))
}

/// The Go string literal (`"..."` or `` `...` ``) at the start of `s`, unquoted as Go's
/// `strconv.Unquote` does, and its length in `s`; `None` if it is not a valid one.
fn go_unquote_prefix(s: &str) -> Option<(String, usize)> {
    let bytes = s.as_bytes();
    if bytes.first() == Some(&b'`') {
        let end = 1 + s[1..].find('`')?;
        return Some((s[1..end].replace('\r', ""), end + 1));
    }
    if bytes.first() != Some(&b'"') {
        return None;
    }
    let mut out: Vec<u8> = Vec::new();
    let mut i = 1;
    loop {
        let c = *bytes.get(i)?;
        match c {
            b'"' => return Some((String::from_utf8_lossy(&out).into_owned(), i + 1)),
            b'\n' => return None,
            b'\\' => {
                let e = *bytes.get(i + 1)?;
                i += 2;
                match e {
                    b'a' => out.push(0x07),
                    b'b' => out.push(0x08),
                    b'f' => out.push(0x0c),
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'v' => out.push(0x0b),
                    b'\\' | b'"' => out.push(e),
                    b'x' => {
                        out.push(u8::try_from(hex(bytes.get(i..i + 2)?)?).ok()?);
                        i += 2;
                    }
                    b'u' | b'U' => {
                        let n = if e == b'u' { 4 } else { 8 };
                        let c = char::from_u32(hex(bytes.get(i..i + n)?)?)?;
                        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                        i += n;
                    }
                    b'0'..=b'7' => {
                        let digits = bytes.get(i - 1..i + 2)?;
                        let mut v = 0u32;
                        for &d in digits {
                            if !(b'0'..=b'7').contains(&d) {
                                return None;
                            }
                            v = v * 8 + u32::from(d - b'0');
                        }
                        out.push(u8::try_from(v).ok()?);
                        i += 2;
                    }
                    _ => return None,
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
}

fn hex(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |v, &d| {
        let d = char::from(d).to_digit(16)?;
        Some(v * 16 + d)
    })
}

/// syft's `buildGoPkgInfo`, `makeGoMainPackage`, stdlib processor and compliance step.
fn records(mut info: BuildInfo, go_version: &str) -> Vec<Record> {
    let command_line = Module {
        path: "command-line-arguments".to_string(),
        ..Module::default()
    };
    if (info.main.is_empty() && !info.path.is_empty()) || info.main == command_line {
        info.main = main_from_deps(&info.path, &mut info.deps);
    }
    let mut out = Vec::new();
    if !info.main.is_empty() {
        let main = info.main.effective();
        let mut version = Cow::Borrowed(main.version.as_str());
        if version == DEVEL {
            if let Some(v) = main_version(&info) {
                version = Cow::Owned(if v.starts_with('v') {
                    v
                } else {
                    format!("v{v}")
                });
            }
        }
        out.push(Record::new(Ecosystem::Go, &main.path, &version));
    }
    for dep in &info.deps {
        let dep = dep.effective();
        if !dep.path.is_empty() {
            out.push(Record::new(Ecosystem::Go, &dep.path, &dep.version));
        }
    }
    // The version without experiments (`go1.22.0 X:nocoverageredesign`).
    let go = go_version.split(' ').next().unwrap_or("");
    let cpe_version = go.strip_prefix("go").unwrap_or(go);
    if !out.is_empty() && cpe_version.bytes().any(|b| b.is_ascii_digit()) {
        let mut stdlib = Record::new(Ecosystem::Go, "stdlib", go);
        stdlib.license = Some("BSD-3-Clause".to_string());
        out.push(stdlib);
    }
    out.retain(|r| !r.name.trim().is_empty());
    for r in &mut out {
        if r.version.trim().is_empty() {
            r.version = UNKNOWN.to_string();
        }
    }
    out
}

/// syft's `createMainModuleFromPath`: the one dep built as `(devel)` is the main module
/// (and no longer a dep), else a `(devel)` module named by the build's `path`.
fn main_from_deps(path: &str, deps: &mut Vec<Module>) -> Module {
    let mut devel = deps
        .iter()
        .enumerate()
        .filter(|(_, d)| d.version == DEVEL)
        .map(|(i, _)| i);
    if let (Some(i), None) = (devel.next(), devel.next()) {
        return deps.remove(i);
    }
    Module {
        path: path.to_string(),
        version: DEVEL.to_string(),
        ..Module::default()
    }
}

/// syft's `findMainModuleVersion` without the scan of the whole binary: the version in the
/// linker flags, else the pseudo-version of the VCS revision.
fn main_version(info: &BuildInfo) -> Option<String> {
    if let Some(v) = info
        .setting("-ldflags")
        .and_then(|flags| version_from_ldflags(flags, &info.main.path))
    {
        return Some(v);
    }
    let revision = info.setting("vcs.revision")?;
    let time = info.setting("vcs.time")?;
    // Go cuts bytes; a cut inside a character (never in a real revision) is kept lossily.
    let short = match revision.as_bytes().get(..12) {
        Some(bytes) => String::from_utf8_lossy(bytes),
        None => Cow::Borrowed(revision),
    };
    Some(format!("v0.0.0-{}-{short}", pseudo_timestamp(time)))
}

/// Module paths are short; a longer one is no module path and is left out of the pattern
/// (`main.version=...` is still found).
const MAX_MODULE_PATH: usize = 4096;

/// syft's `extractVersionFromLDFlags`: `-X main.version=1.2.3`, `-X MODULE/....Version=v1.2.3`,
/// `-X ....gitTag=...` and the like, with the `v` prefix added. The patterns are syft's, with
/// Go's ASCII `\d`, `\w` and `\s` spelled out; the module path goes in as syft puts it, its dots
/// matching any character.
fn version_from_ldflags(ldflags: &str, main_module: &str) -> Option<String> {
    if ldflags.is_empty() {
        return None;
    }
    let prefix = if main_module.len() > MAX_MODULE_PATH {
        "(main)".to_string()
    } else {
        let module = main_module
            .split('.')
            .map(regex::escape)
            .collect::<Vec<_>>()
            .join(".");
        format!(r"(main|{module}/[^\t\n\f\r ]*)")
    };
    let version = r"(?P<version>v?[0-9]+.[0-9]+.[0-9]+[-0-9A-Za-z_]*)";
    for suffix in [
        r"\.[a-zA-Z0-9]*([rR]elease)?([gG]it)?([bB]uild)?[vV]er(sion)?=([^\t\n\f\r ]+/)*",
        r"\.[a-zA-Z0-9]*([tT]ag)=([^\t\n\f\r ]+/)*",
    ] {
        let Ok(re) = regex::Regex::new(&format!("{prefix}{suffix}{version}")) else {
            continue;
        };
        if let Some(v) = re.captures(ldflags).and_then(|c| c.name("version")) {
            let v = v.as_str();
            return Some(if v.starts_with('v') {
                v.to_string()
            } else {
                format!("v{v}")
            });
        }
    }
    None
}

/// `vcs.time` (RFC 3339) in UTC as `YYYYMMDDhhmmss`, as Go's `time.Parse(time.RFC3339, ...)`
/// then `Format("20060102150405")` gives it; Go's zero time (`00010101000000`) when it does
/// not parse, as syft ignores the error.
fn pseudo_timestamp(time: &str) -> String {
    let (days, secs) = parse_rfc3339(time.as_bytes()).unwrap_or((civil_to_days(1, 1, 1), 0));
    let (y, m, d) = days_to_civil(days);
    let year = if y < 0 {
        format!("-{:04}", -y)
    } else {
        format!("{y:04}")
    };
    format!(
        "{year}{m:02}{d:02}{:02}{:02}{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Days since 1970-01-01 and seconds into that day (UTC), as Go's strict RFC 3339 parser
/// reads them: fixed-width fields in range, optional fraction, `Z` or `±hh:mm`.
fn parse_rfc3339(s: &[u8]) -> Option<(i64, i64)> {
    let num = |range: std::ops::Range<usize>, min: i64, max: i64| -> Option<i64> {
        let digits = s.get(range)?;
        let mut v = 0i64;
        for &d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(d - b'0');
        }
        (min..=max).contains(&v).then_some(v)
    };
    if s.len() < 19 {
        return None;
    }
    let year = num(0..4, 0, 9999)?;
    let month = num(5..7, 1, 12)?;
    let day = num(8..10, 1, days_in_month(year, month))?;
    let hour = num(11..13, 0, 23)?;
    let min = num(14..16, 0, 59)?;
    let sec = num(17..19, 0, 59)?;
    if [s[4], s[7], s[10], s[13], s[16]] != *b"--T::" {
        return None;
    }
    let mut rest = &s[19..];
    if rest.len() >= 2 && rest[0] == b'.' && rest[1].is_ascii_digit() {
        let n = 1 + rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
        rest = &rest[n..];
    }
    let mut total = civil_to_days(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec;
    if rest != b"Z" {
        if rest.len() != 6 || rest[3] != b':' || !matches!(rest[0], b'+' | b'-') {
            return None;
        }
        let hh = std::str::from_utf8(&rest[1..3]).ok()?;
        let mm = std::str::from_utf8(&rest[4..6]).ok()?;
        let (hh, mm) = (parse_fixed(hh, 23)?, parse_fixed(mm, 59)?);
        let offset = (hh * 60 + mm) * 60;
        total -= if rest[0] == b'-' { -offset } else { offset };
    }
    Some((total.div_euclid(86_400), total.rem_euclid(86_400)))
}

fn parse_fixed(digits: &str, max: i64) -> Option<i64> {
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|v| *v <= max)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Build info of a Go 1.19.8 binary (tests/data/go/README.md says how it was built):
    /// main module `example.com/app` at `(devel)`, a vendored dep, a dep replaced by a local
    /// directory and one replaced by another module, built in a git checkout.
    const APP_VCS: &[u8] = include_bytes!("../../../tests/data/go/app-vcs.buildinfo");
    /// The same, linked with `-ldflags "-s -w -X main.version=1.4.2"`.
    const APP_LDFLAGS: &[u8] = include_bytes!("../../../tests/data/go/app-ldflags.buildinfo");

    fn go(name: &str, version: &str) -> Record {
        Record::new(Ecosystem::Go, name, version)
    }

    fn stdlib(version: &str) -> Record {
        let mut r = go("stdlib", version);
        r.license = Some("BSD-3-Clause".to_string());
        r
    }

    /// The walker hands over up to 256 KiB from the magic: whatever follows the build info.
    fn with_tail(bytes: &[u8]) -> Vec<u8> {
        let mut v = bytes.to_vec();
        v.extend((0..4096u32).map(|i| (i * 7) as u8));
        v
    }

    #[test]
    fn real_binaries_as_syft_lists_them() {
        // syft 1.18.1 `scan dir:` of the two binaries gave exactly these (names, versions,
        // licences), the main module's pseudo-version and ldflags version included.
        assert_eq!(
            build_info(&with_tail(APP_VCS)),
            Ok(vec![
                go("example.com/app", "v0.0.0-20261206213106-b8e5bbbb399d"),
                go("example.com/dep", "v1.2.3"),
                go("../local", "(devel)"),
                go("example.com/newdep", "v1.0.1"),
                stdlib("go1.19.8"),
            ])
        );
        assert_eq!(
            build_info(APP_LDFLAGS),
            Ok(vec![
                go("example.com/app", "v1.4.2"),
                go("example.com/dep", "v1.2.3"),
                go("../local", "(devel)"),
                go("example.com/newdep", "v1.0.1"),
                stdlib("go1.19.8"),
            ])
        );
        assert_eq!(go_version(APP_VCS).as_deref(), Some("go1.19.8"));
    }

    /// Build info in the Go 1.18+ inline form around the given module info lines.
    fn blob(version: &str, lines: &str) -> Vec<u8> {
        let mut modinfo = b"0123456789abcdef".to_vec();
        modinfo.extend_from_slice(lines.as_bytes());
        modinfo.extend_from_slice(b"fedcba9876543210");
        let mut v = BUILDINFO_MAGIC.to_vec();
        v.extend_from_slice(&[8, 2]);
        v.resize(HEADER_LEN, 0);
        for s in [version.as_bytes(), &modinfo] {
            let mut n = s.len();
            while n >= 0x80 {
                v.push((n as u8) | 0x80);
                n >>= 7;
            }
            v.push(n as u8);
            v.extend_from_slice(s);
        }
        v
    }

    #[test]
    fn main_module_rules() {
        // A Go 1.24 main module version is taken as it is.
        let b = blob("go1.24.0", "path\tx.io/a\nmod\tx.io/a\tv1.0.0\th1:x\n");
        assert_eq!(
            build_info(&b),
            Ok(vec![go("x.io/a", "v1.0.0"), stdlib("go1.24.0")])
        );
        // `go build main.go`: the one (devel) dep becomes the main module.
        let b = blob(
            "go1.21.0",
            "path\tcommand-line-arguments\nmod\tcommand-line-arguments\t\ndep\tx.io/a\t(devel)\t\ndep\tx.io/b\tv1.0.0\t\n",
        );
        assert_eq!(
            build_info(&b),
            Ok(vec![
                go("x.io/a", "(devel)"),
                go("x.io/b", "v1.0.0"),
                stdlib("go1.21.0")
            ])
        );
        // No mod line: the path, at (devel).
        let b = blob("go1.21.0", "path\tx.io/cmd\n");
        assert_eq!(
            build_info(&b),
            Ok(vec![go("x.io/cmd", "(devel)"), stdlib("go1.21.0")])
        );
        // Nothing at all: no packages, not even stdlib.
        assert_eq!(build_info(&blob("go1.21.0", "")), Ok(vec![]));
        // No module framing: as if not built with modules.
        let mut b = blob("go1.21.0", "");
        b.truncate(HEADER_LEN + 9);
        b.push(0);
        assert_eq!(build_info(&b), Ok(vec![]));
        // Experiments after the version; a development toolchain gives no stdlib.
        let b = blob("go1.22.0 X:nocoverageredesign", "mod\tx.io/a\tv1.0.0\t\n");
        assert_eq!(
            build_info(&b),
            Ok(vec![go("x.io/a", "v1.0.0"), stdlib("go1.22.0")])
        );
        let b = blob("devel go1.23-abc Mon", "mod\tx.io/a\tv1.0.0\t\n");
        assert_eq!(build_info(&b), Ok(vec![go("x.io/a", "v1.0.0")]));
        // Empty names are dropped, empty versions stubbed; the main module's replacement.
        let b = blob(
            "go1.21.0",
            "mod\tx.io/a\tv1\t\n=>\tx.io/fork\t\t\ndep\t\tv1\t\ndep\tx.io/c\t\t\n",
        );
        assert_eq!(
            build_info(&b),
            Ok(vec![
                go("x.io/fork", "UNKNOWN"),
                go("x.io/c", "UNKNOWN"),
                stdlib("go1.21.0")
            ])
        );
    }

    #[test]
    fn main_version_from_build_settings() {
        let v = |settings: &str| {
            let b = blob(
                "go1.21.0",
                &format!("mod\tgithub.com/o/app\t(devel)\t\n{settings}"),
            );
            build_info(&b)
                .ok()
                .and_then(|r| r.first().map(|r| r.version.clone()))
        };
        assert_eq!(
            v("build\tvcs.revision=41bc6bb410352845f22766e27dd48ba93aa825a4\nbuild\tvcs.time=2022-10-14T19:54:57Z\n")
                .as_deref(),
            Some("v0.0.0-20221014195457-41bc6bb41035")
        );
        // Offsets are turned into UTC; a bad time is Go's zero time; short revisions stay.
        assert_eq!(
            v("build\tvcs.revision=abc\nbuild\tvcs.time=2022-01-01T01:30:00.123+02:00\n")
                .as_deref(),
            Some("v0.0.0-20211231233000-abc")
        );
        assert_eq!(
            v("build\tvcs.revision=abc\nbuild\tvcs.time=yesterday\n").as_deref(),
            Some("v0.0.0-00010101000000-abc")
        );
        // No time: (devel).
        assert_eq!(v("build\tvcs.revision=abc\n").as_deref(), Some("(devel)"));
        // Linker flags win over the revision; quoted values are unquoted first.
        assert_eq!(
            v("build\t-ldflags=\"-s -w -X 'github.com/o/app/version.Version=2.3.4'\"\nbuild\tvcs.revision=abc\nbuild\tvcs.time=2022-10-14T19:54:57Z\n")
                .as_deref(),
            Some("v2.3.4")
        );
    }

    #[test]
    fn ldflags_versions_as_syft_finds_them() {
        // Cases from syft 1.18.1's parse_go_binary_test.go (Test_extractVersionFromLDFlags).
        let cases = [
            ("", "", None),
            ("github.com/anchore/syft", r#"	build	-ldflags="-w -s -extldflags '-static' -X github.com/anchore/syft/internal/version.version=0.79.0 -X github.com/anchore/syft/internal/version.gitCommit=b2b332e8b2b66af0905e98b54ebd713a922be1a8 -X github.com/anchore/syft/internal/version.buildDate=2023-04-21T16:20:25Z -X github.com/anchore/syft/internal/version.gitDescription=v0.79.0 ""#, Some("v0.79.0")),
            ("k8s.io/kubernetes/vendor/k8s.io/client-go", "	build	-asmflags=all=-trimpath=/workspace/src/k8s.io/kubernetes/_output/dockerized/go/src/k8s.io/kubernetes\n	build	-ldflags=\"all=-X 'k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version.buildDate=2023-04-12T12:16:51Z' -X 'k8s.io/client-go/pkg/version.gitCommit=a1a87a0a2bcd605820920c6b0e618a8ab7d117d4' -X 'k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version.gitTreeState=clean' -X 'k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version.gitVersion=v1.25.9' -X 'k8s.io/component-base/version.gitVersion=v1.25.9' -X 'k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version.gitMajor=1'  -s -w\"", Some("v1.25.9")),
            ("github.com/containerd/nerdctl", r#"	build	-ldflags="-s -w -X github.com/containerd/nerdctl/pkg/version.Version=v1.3.1 -X github.com/containerd/nerdctl/pkg/version.Revision=b224b280ff3086516763c7335fc0e0997aca617a""#, Some("v1.3.1")),
            ("github.com/hashicorp/terraform", r#"	build	-ldflags="-w -s -X 'github.com/hashicorp/terraform/version.Version=1.4.6' -X 'github.com/hashicorp/terraform/version.Prerelease='""#, Some("v1.4.6")),
            ("github.com/prometheus/common", "	build	-ldflags=\"-X github.com/prometheus/common/version.Version=2.44.0 -X github.com/prometheus/common/version.Revision=1ac5131f698ebc60f13fe2727f89b115a41f6558 -X github.com/prometheus/common/version.Branch=HEAD -X github.com/prometheus/common/version.BuildUser=root@739e8181c5db -X github.com/prometheus/common/version.BuildDate=20230514-06:18:11  -extldflags '-static'\"\n	build	-tags=netgo,builtinassets,stringlabels", Some("v2.44.0")),
            ("github.com/influxdata/influxdb-client-go/v2", r#"	build	-ldflags="-s -w -X main.version=v2.7.1 -X main.commit=407fa622e9 -X main.date=2023-04-28T13:24:27Z -linkmode=external""#, Some("v2.7.1")),
            ("code.gitea.io/gitea", r#"	build	-ldflags=" -X \"main.MakeVersion=GNU Make 4.1\" -X \"main.Version=1.19.3\" -X \"main.Tags=bindata sqlite sqlite_unlock_notify\" ""#, Some("v1.19.3")),
            ("github.com/docker/sbom-cli-plugin", r#"	build	-ldflags="-w -s -extldflags '-static' -X github.com/docker/sbom-cli-plugin/internal/version.version=0.6.1-SNAPSHOT-02cf1c8 -X github.com/docker/sbom-cli-plugin/internal/version.gitCommit=02cf1c888ad6662109ac6e3be618392514a56316 -X github.com/docker/sbom-cli-plugin/internal/version.gitDescription=v0.6.1-dirty ""#, Some("v0.6.1-SNAPSHOT-02cf1c8")),
            ("github.com/influxdata/telegraf", r#"	build	-ldflags="-w -s -X github.com/influxdata/telegraf/internal.Commit=a3a884a1 -X github.com/influxdata/telegraf/internal.Branch=HEAD -X github.com/influxdata/telegraf/internal.Version=1.26.2""#, Some("v1.26.2")),
            ("github.com/argoproj/argo-cd/v2", r#"	build	-ldflags="-X github.com/argoproj/argo-cd/v2/common.version=2.7.2 -X github.com/argoproj/argo-cd/v2/common.buildDate=2023-05-12T14:06:49Z -X github.com/argoproj/argo-cd/v2/common.kubectlVersion=v0.24.2 -extldflags=\"-static\"""#, Some("v2.7.2")),
            ("sigs.k8s.io/kustomize/api", r#"	build	-ldflags="-s -X sigs.k8s.io/kustomize/api/provenance.version=kustomize/v4.5.7 -X sigs.k8s.io/kustomize/api/provenance.gitCommit=56d82a8378dfc8dc3b3b1085e5a6e67b82966bd7 ""#, Some("v4.5.7")),
            ("github.com/pingcap/tidb", r#"build	-ldflags="-X \"github.com/pingcap/tidb/pkg/parser/mysql.TiDBReleaseVersion=v7.5.0\" -X \"github.com/pingcap/tidb/pkg/util/versioninfo.TiDBBuildTS=2023-11-24 08:51:04\" -X \"github.com/pingcap/tidb/pkg/util/versioninfo.TiDBGitBranch=heads/refs/tags/v7.5.0\" ""#, Some("v7.5.0")),
            ("", r#"build	-ldflags="-w -s     -X github.com/kuskoman/logstash-exporter/config.Version=v1.7.0     -X github.com/kuskoman/logstash-exporter/config.BuildDate=2024-07-17T08:12:17Z""#, Some("v1.7.0")),
            ("github.com/gohugoio/hugo", r#"	build	-ldflags="-s -w -X github.com/gohugoio/hugo/common/hugo.vendorInfo=gohugoio""#, None),
            ("github.com/ghostunnel/ghostunnel", r#"	build	-ldflags="-X main.version=77d9aaa""#, None),
            ("github.com/open-policy-agent/opa", r#"build	-ldflags=" -X github.com/open-policy-agent/opa/version.Hostname=9549178459bc""#, None),
            ("github.com/containernetworking/plugins", r#"	build	-ldflags="-extldflags -static -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=v1.2.0""#, Some("v1.2.0")),
            ("github.com/coder/coder", r#"	build	-ldflags="-s -w -X 'github.com/coder/coder/buildinfo.tag=0.23.4'""#, Some("v0.23.4")),
            ("github.com/foo/baz", r#"	build	-ldflags="-extldflags -static -X github.com/foo/bar/buildversion.BuildVersion=v1.2.0 -X github.com/foo/baz/buildversion.BuildVersion=v2.4.5""#, Some("v2.4.5")),
        ];
        for (module, ldflags, want) in cases {
            assert_eq!(
                version_from_ldflags(ldflags, module).as_deref(),
                want,
                "{module}"
            );
        }
        // Regex metacharacters in a module path are literal; dots match any character, as
        // syft leaves them unescaped.
        assert_eq!(
            version_from_ldflags("-X a(b/v.Version=1.2.3", "a(b").as_deref(),
            Some("v1.2.3")
        );
        assert_eq!(
            version_from_ldflags("-X axb/v.Version=1.2.3", "a.b").as_deref(),
            Some("v1.2.3")
        );
        assert_eq!(
            version_from_ldflags("-X main.version=1.2.3", &"x".repeat(5000)).as_deref(),
            Some("v1.2.3")
        );
    }

    #[test]
    fn build_lines_as_go_parses_them() {
        assert_eq!(
            build_setting(r#"-ldflags="-X \"a b\" \x41\101\u00e9\t""#),
            Ok(("-ldflags".to_string(), "-X \"a b\" AAé\t".to_string()))
        );
        assert_eq!(
            build_setting("CGO_CFLAGS="),
            Ok(("CGO_CFLAGS".to_string(), String::new()))
        );
        assert_eq!(
            build_setting("\"a key\"=`raw\r\\n`"),
            Ok(("a key".to_string(), "raw\\n".to_string()))
        );
        for bad in [
            "",
            "=x",
            "key",
            "a b=c",
            "k=a b",
            "k=\"open",
            "k=\"a\"b",
            "\"k\"",
            "\"k\"x=1",
            "\"k=1",
            r#"k="\q""#,
            r#"k="\'""#,
            r#"k="\400""#,
            r#"k="\ud800""#,
            r#"k="\x4""#,
            "k=`a`b",
        ] {
            assert!(build_setting(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn malformed_build_info_is_unreadable() {
        // What ParseBuildInfo refuses makes the binary unreadable.
        for lines in [
            "mod\tx.io/a\n",
            "mod\tx.io/a\tv1\th1\textra\n",
            "dep\tx.io/a\n",
            "=>\tx.io/b\tv1\t\n",
            "dep\tx.io/a\tv1\t\n=>\tx.io/b\tv1\n",
            "dep\tx.io/a\tv1\t\n=>\tx.io/b\tv1\t\n=>\tx.io/c\tv1\t\n",
            "build\tk v=1\n",
        ] {
            assert!(build_info(&blob("go1.21.0", lines)).is_err(), "{lines:?}");
        }
        // Unknown lines are ignored.
        let b = blob("go1.21.0", "junk\nmod\tx.io/a\tv1\t\n\n");
        assert_eq!(
            build_info(&b),
            Ok(vec![go("x.io/a", "v1"), stdlib("go1.21.0")])
        );
        // Module info not ending in a newline before its end sentinel is no module info.
        let b = blob("go1.21.0", "mod\tx.io/a\tv1\t\ndep\tx.io/b\tv2");
        assert_eq!(build_info(&b), Ok(vec![]));
    }

    #[test]
    fn hostile_headers() {
        let good = blob("go1.21.0", "mod\tx.io/a\tv1\t\n");
        // Not at the magic; cut inside the header.
        assert!(build_info(&good[1..]).is_err());
        assert!(build_info(&good[..20]).is_err());
        assert!(build_info(b"").is_err());
        // Before Go 1.18: pointers, not strings.
        let mut old = good.clone();
        old[15] = 0;
        let err = build_info(&old).err().unwrap_or_default();
        assert!(err.contains("before Go 1.18"), "{err}");
        assert_eq!(go_version(&old), None);
        // Lengths past the end, cut strings, varint overflow, no varint at all.
        for cut in [HEADER_LEN, HEADER_LEN + 1, HEADER_LEN + 5, good.len() - 1] {
            assert!(build_info(&good[..cut]).is_err(), "{cut}");
        }
        let mut b = good[..HEADER_LEN].to_vec();
        b.extend_from_slice(&[0xff; 10]);
        b.push(0x01);
        assert!(build_info(&b).is_err());
        let mut b = good[..HEADER_LEN].to_vec();
        b.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        assert!(build_info(&b).is_err());
        // An empty version.
        assert!(build_info(&blob("", "mod\tx.io/a\tv1\t\n")).is_err());
        // Not UTF-8: replaced, never a panic.
        let mut b = blob("go1.21.0", "mod\tx.io/\u{e9}\tv1\t\nbuild\tvcs.revision=\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}x\nbuild\tvcs.time=2022-10-14T19:54:57Z\n");
        for byte in b.iter_mut().filter(|b| **b == 0xc3) {
            *byte = 0xff;
        }
        assert!(build_info(&b).is_ok());
    }

    #[test]
    fn timestamps() {
        assert_eq!(pseudo_timestamp("2022-10-14T19:54:57Z"), "20221014195457");
        assert_eq!(
            pseudo_timestamp("2024-02-29T23:00:00-01:30"),
            "20240301003000"
        );
        assert_eq!(pseudo_timestamp("2023-02-29T00:00:00Z"), "00010101000000");
        assert_eq!(
            pseudo_timestamp("0000-01-01T00:00:00+01:00"),
            "-00011231230000"
        );
        assert_eq!(
            pseudo_timestamp("9999-12-31T23:59:59-23:59"),
            "100000101235859"
        );
        assert_eq!(pseudo_timestamp("2022-10-14T19:54:57"), "00010101000000");
        assert_eq!(pseudo_timestamp("2022-10-14T19:54:57.Z"), "00010101000000");
        assert_eq!(
            pseudo_timestamp("2022-10-14T19:54:57+0100"),
            "00010101000000"
        );
        assert_eq!(pseudo_timestamp("2022-10-14t19:54:57Z"), "00010101000000");
        assert_eq!(
            pseudo_timestamp("\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}"),
            "00010101000000"
        );
    }
}
