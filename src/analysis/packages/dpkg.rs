//! dpkg's own records of what is installed (DESIGN section 3b): the `status` database
//! (`var/lib/dpkg/status`, or one `status.d/NAME` file per package as distroless writes them)
//! and the per-package file lists (`info/NAME[:ARCH].list`, `info/NAME.md5sums`,
//! `status.d/NAME.md5sums`).
//!
//! Which paragraphs count as installed follows DESIGN section 3b ("what a package manager
//! says is installed") and dpkg's own states (dpkg(1), "package states"): a paragraph whose
//! `Status` ends in `not-installed` or `config-files` (removed, only its conffiles left) is
//! not a package, whatever syft 1.18 says. syft 1.18.1, the tool strata's inventories are
//! checked against, keeps them (syft/pkg/cataloger/debian/parse_dpkg_db.go never looks at
//! `Status`); it started dropping `deinstall` entries in v1.37.0 (anchore/syft#4231), so the
//! test against syft lists them as a deliberate difference. Every other state (`installed`,
//! `unpacked`, `half-configured`, `triggers-*`, `half-installed`) has files on disk and is
//! kept, and so is a paragraph with no `Status` at all (some distroless `status.d` files).
//! Two rules are stricter than syft's, so no record carries a made-up value: a paragraph
//! without a `Version` is skipped (syft 1.18 reports it with an empty version), and so is one
//! without a `Package` (syft does the same).
//!
//! The file is read the way syft reads it, without its failures: field names match without
//! regard to case (syft's mapstructure decode, and Debian Policy 5.1), lines without a colon
//! are skipped, continuation lines start with a space (or a tab, as Policy allows). Where
//! syft gives up on the whole file (a duplicate field, a continuation line with no field
//! before it) strata keeps the first value and reads on: one odd paragraph should not hide
//! the other few hundred packages. A last line with no newline is dropped, as syft's
//! `ReadString` loop drops it: a file cut mid-line would otherwise yield a cut version.
//!
//! A status paragraph's `Conffiles` are files the record lists itself, so they go to
//! `Record::files` (syft lists them too): `md5sums` leaves conffiles out, and a distroless
//! image has no `.list` to name them.

use crate::model::packages::{Ecosystem, Files, Record};
use crate::model::path::name_from_bytes;

/// Records of a dpkg `status` (or `status.d/NAME`) file, in file order.
///
/// `Err` only when the file cannot be a status file at all: it has text but no paragraph
/// with a `Package` field (binary garbage, some other file). An empty file is `Ok(vec![])`:
/// dpkg writes one when nothing is installed.
pub fn status(bytes: &[u8]) -> Result<Vec<Record>, String> {
    let mut records = Vec::new();
    let mut saw_package = false;
    let mut paragraph = Paragraph::default();
    for line in complete_lines(bytes) {
        let line = trim_cr(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            saw_package |= paragraph.package.is_some();
            records.extend(paragraph.take().into_record());
        } else {
            paragraph.read_line(line);
        }
    }
    saw_package |= paragraph.package.is_some();
    records.extend(paragraph.into_record());
    if !saw_package && !bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("no paragraph with a Package field".to_string());
    }
    Ok(records)
}

/// The paths a `.list` or `.md5sums` file names, told apart line by line: a line starting
/// with `/` is a `.list` path (the whole line: paths may hold spaces), a line of hex digits,
/// blanks and a path is an `md5sums` line (the path relative to the root). Anything else is
/// skipped. Judging each line, not the file name, keeps the caller from having to say which
/// it read and copes with a file that is neither.
pub fn owned_files(bytes: &[u8]) -> Files {
    // UTF-8 lines (all but a few) are borrowed, not copied.
    let paths: Vec<std::borrow::Cow<str>> = complete_lines(bytes)
        .filter_map(owned_path)
        .map(|line| match std::str::from_utf8(line) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => std::borrow::Cow::Owned(name_from_bytes(line)),
        })
        .collect();
    Files::from_paths(paths.iter().map(|p| p.as_ref()))
}

/// The package (and architecture) a file list belongs to, by its name:
/// `libc6:amd64.list` is libc6 for amd64, `adduser.md5sums` is adduser. A path is accepted
/// too (its last component is used). `None` for a name that is not a file list.
pub fn list_owner(file_name: &str) -> Option<(String, Option<String>)> {
    let name = file_name.rsplit('/').next().unwrap_or(file_name);
    let stem = name
        .strip_suffix(".list")
        .or_else(|| name.strip_suffix(".md5sums"))?;
    let (package, arch) = match stem.split_once(':') {
        Some((package, arch)) => (package, Some(arch).filter(|a| !a.is_empty())),
        None => (stem, None),
    };
    if package.is_empty() {
        return None;
    }
    Some((package.to_string(), arch.map(str::to_string)))
}

/// The lines of a text database that end in a newline. The last line without one is
/// dropped: package managers end every line, so an unterminated one was cut short.
pub(super) fn complete_lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let complete = match bytes.iter().rposition(|&b| b == b'\n') {
        Some(end) => &bytes[..end],
        None => &[],
    };
    // An empty `complete` still yields one empty line, which reads as a blank line.
    complete.split(|&b| b == b'\n')
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// The path one line of a `.list` or `.md5sums` file names.
fn owned_path(line: &[u8]) -> Option<&[u8]> {
    if line.first() == Some(&b'/') {
        return Some(line);
    }
    let hex_end = line.iter().position(|b| !b.is_ascii_hexdigit())?;
    let (digest, rest) = line.split_at(hex_end);
    if digest.is_empty() || !matches!(rest.first(), Some(b' ' | b'\t')) {
        return None;
    }
    let path = rest.trim_ascii_start();
    (!path.is_empty()).then_some(path)
}

/// The field a continuation line belongs to, where strata needs its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Open {
    #[default]
    Other,
    Conffiles,
}

/// The fields of one paragraph strata keeps, first value of each.
#[derive(Debug, Default)]
struct Paragraph {
    package: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    source: Option<String>,
    status: Option<String>,
    conffiles: Vec<String>,
    saw_conffiles: bool,
    open: Option<Open>,
}

impl Paragraph {
    fn take(&mut self) -> Paragraph {
        std::mem::take(self)
    }

    fn read_line(&mut self, line: &[u8]) {
        if matches!(line.first(), Some(b' ' | b'\t')) {
            if self.open == Some(Open::Conffiles) {
                self.conffiles
                    .extend(conffile_path(line).map(name_from_bytes));
            }
            return;
        }
        // A line without a colon (or starting with one) names no field: skipped, as syft does.
        let Some(colon) = line.iter().position(|&b| b == b':').filter(|&c| c > 0) else {
            return;
        };
        let key = trim(&line[..colon]);
        let value = trim(&line[colon + 1..]);
        self.open = Some(Open::Other);
        if key.eq_ignore_ascii_case(b"Package") {
            set_first(&mut self.package, value);
        } else if key.eq_ignore_ascii_case(b"Version") {
            set_first(&mut self.version, value);
        } else if key.eq_ignore_ascii_case(b"Architecture") {
            set_first(&mut self.arch, value);
        } else if key.eq_ignore_ascii_case(b"Status") {
            set_first(&mut self.status, value);
        } else if key.eq_ignore_ascii_case(b"Source") {
            set_first(&mut self.source, source_name(value));
        } else if key.eq_ignore_ascii_case(b"Conffiles") && !self.saw_conffiles {
            self.saw_conffiles = true;
            self.open = Some(Open::Conffiles);
        }
    }

    fn into_record(self) -> Option<Record> {
        let name = self.package?;
        let version = self.version?;
        // `want flag state`: the state is the last word.
        let state = self
            .status
            .as_deref()
            .and_then(|s| s.split_whitespace().last());
        if matches!(state, Some("not-installed" | "config-files")) {
            return None;
        }
        let mut record = Record::new(Ecosystem::Dpkg, &name, &version);
        record.arch = self.arch;
        record.source = self.source.filter(|source| *source != name);
        record.files = Files::from_paths(self.conffiles.iter().map(String::as_str));
        Some(record)
    }
}

/// Keeps the first non-empty value of a field: dpkg never writes a field twice, and an empty
/// value is no value.
fn set_first(slot: &mut Option<String>, value: &[u8]) {
    if slot.is_none() && !value.is_empty() {
        *slot = Some(String::from_utf8_lossy(value).into_owned());
    }
}

/// `Source: name` or `Source: name (version)`: the name, as syft's sourceRegexp takes it
/// (the first run of non-blanks).
fn source_name(value: &[u8]) -> &[u8] {
    let end = value
        .iter()
        .position(u8::is_ascii_whitespace)
        .unwrap_or(value.len());
    &value[..end]
}

/// The path of one `Conffiles` line: ` /etc/foo.conf <md5> [obsolete|remove-on-upgrade]`.
/// Read from the end, as dpkg does, so a path with a blank in it stays whole.
fn conffile_path(line: &[u8]) -> Option<&[u8]> {
    let mut rest = trim(line);
    for flag in [&b"obsolete"[..], b"remove-on-upgrade"] {
        if let Some(head) = rest.strip_suffix(flag) {
            if head.last().is_some_and(u8::is_ascii_whitespace) {
                rest = head.trim_ascii_end();
            }
        }
    }
    let path = match rest.iter().rposition(u8::is_ascii_whitespace) {
        Some(blank) => rest[..blank].trim_ascii_end(),
        None => rest,
    };
    (!path.is_empty()).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three paragraphs of debian:bookworm's `/var/lib/dpkg/status` (descriptions cut), and a
    /// fourth, made up, in the state `apt-get remove` (without purge) leaves.
    const STATUS: &str = "\
Package: adduser
Status: install ok installed
Priority: important
Section: admin
Installed-Size: 686
Maintainer: Debian Adduser Developers <adduser@packages.debian.org>
Architecture: all
Multi-Arch: foreign
Version: 3.134
Depends: passwd
Suggests: liblocale-gettext-perl, perl, cron, quota
Conffiles:
 /etc/adduser.conf cc3493ecd2d09837ffdcc3e25fdfff18
 /etc/deluser.conf 11a06baf8245fd8d690b99024d228c1f
Description: add and remove users and groups
 This package includes the 'adduser' and 'deluser' commands for creating
 and removing users.
 .
 Adding users with 'adduser' is much easier than adding them manually.

Package: bsdutils
Essential: yes
Status: install ok installed
Priority: required
Section: utils
Installed-Size: 355
Maintainer: util-linux packagers <util-linux@packages.debian.org>
Architecture: amd64
Multi-Arch: foreign
Source: util-linux (2.38.1-5+deb12u3)
Version: 1:2.38.1-5+deb12u3
Pre-Depends: libc6 (>= 2.34), libsystemd0
Recommends: bsdextrautils
Description: basic utilities from 4.4BSD-Lite
 This package contains the bare minimum of BSD utilities needed for a Debian
 system: logger, renice, script, scriptlive, scriptreplay and wall.
Homepage: https://www.kernel.org/pub/linux/utils/util-linux/

Package: libacl1
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 73
Maintainer: Guillem Jover <guillem@debian.org>
Architecture: amd64
Multi-Arch: same
Source: acl
Version: 2.3.1-3
Depends: libc6 (>= 2.33)
Description: access control list - shared library
 This package contains the shared library containing the POSIX 1003.1e
 draft standard 17 functions for manipulating access control lists.
Homepage: https://savannah.nongnu.org/projects/acl/

Package: nano
Status: deinstall ok config-files
Priority: important
Section: editors
Installed-Size: 2806
Maintainer: Jordi Mallach <jordi@debian.org>
Architecture: amd64
Version: 7.2-1+deb12u1
Conffiles:
 /etc/nanorc a3b0a5a8b4b7e3a5e8f0f5b6a1b2c3d4 obsolete

";

    fn names(records: &[Record]) -> Vec<(&str, &str)> {
        records
            .iter()
            .map(|r| (r.name.as_str(), r.version.as_str()))
            .collect()
    }

    #[test]
    fn reads_a_real_status_file() {
        let records = status(STATUS.as_bytes()).unwrap_or_default();
        assert_eq!(
            names(&records),
            [
                ("adduser", "3.134"),
                ("bsdutils", "1:2.38.1-5+deb12u3"),
                ("libacl1", "2.3.1-3"),
            ]
        );
        let adduser = &records[0];
        assert_eq!(adduser.ecosystem, Ecosystem::Dpkg);
        assert_eq!(adduser.arch.as_deref(), Some("all"));
        assert_eq!(adduser.source, None);
        assert_eq!(adduser.license, None);
        assert_eq!(
            adduser.files.iter().collect::<Vec<_>>(),
            ["etc/adduser.conf", "etc/deluser.conf"]
        );
        assert_eq!(records[1].source.as_deref(), Some("util-linux"));
        assert_eq!(records[1].arch.as_deref(), Some("amd64"));
        assert_eq!(records[2].source.as_deref(), Some("acl"));
    }

    /// dpkg's states: removed packages (`config-files`, `not-installed`) are not installed;
    /// every state with files on disk is, and so is a paragraph without `Status`.
    #[test]
    fn only_packages_with_files_on_disk_are_installed() {
        let para = |name: &str, status: &str| {
            format!("Package: {name}\n{status}Architecture: all\nVersion: 1\n\n")
        };
        let file = [
            para("gone", "Status: deinstall ok config-files\n"),
            para("never", "Status: purge ok not-installed\n"),
            para("unpacked", "Status: install ok unpacked\n"),
            para("pending", "Status: install ok triggers-pending\n"),
            para("leaving", "Status: deinstall ok installed\n"),
            para("distroless", ""),
        ]
        .concat();
        let records = status(file.as_bytes()).unwrap_or_default();
        let kept: Vec<&str> = records.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(kept, ["unpacked", "pending", "leaving", "distroless"]);
    }

    #[test]
    fn a_status_d_file_is_one_paragraph_without_a_trailing_blank_line() {
        let file = "Package: base-files\nStatus: install ok installed\nArchitecture: amd64\n\
                    Version: 12.4+deb12u5\nSource: base-files (12.4+deb12u5)\n";
        let records = status(file.as_bytes()).unwrap_or_default();
        assert_eq!(names(&records), [("base-files", "12.4+deb12u5")]);
        // The source is the package itself: no upstream to name.
        assert_eq!(records[0].source, None);
    }

    #[test]
    fn empty_and_blank_files_hold_no_packages() {
        assert_eq!(status(b""), Ok(vec![]));
        assert_eq!(status(b"\n\n  \n"), Ok(vec![]));
    }

    #[test]
    fn a_file_cut_mid_paragraph_keeps_the_paragraphs_before_the_cut() {
        let whole = STATUS.as_bytes();
        let cut_at = STATUS.find("Version: 2.3.1-3").unwrap_or(0) + "Version: 2.3".len();
        let records = status(&whole[..cut_at]).unwrap_or_default();
        // libacl1's Version line was cut: no record for it, no "2.3" version.
        assert_eq!(
            names(&records),
            [("adduser", "3.134"), ("bsdutils", "1:2.38.1-5+deb12u3")]
        );
        // Cut just after its Version line, the paragraph is whole enough to count.
        let cut_at = STATUS.find("Depends: libc6 (>= 2.33)").unwrap_or(0);
        let records = status(&whole[..cut_at]).unwrap_or_default();
        assert_eq!(records.len(), 3);
        assert_eq!(records[2].version, "2.3.1-3");
    }

    #[test]
    fn every_prefix_of_a_status_file_parses() {
        let whole = STATUS.as_bytes();
        for end in 0..=whole.len() {
            if let Ok(records) = status(&whole[..end]) {
                assert!(records.len() <= 4);
                assert!(records.iter().all(|r| STATUS.contains(&r.version)));
            }
        }
    }

    #[test]
    fn paragraphs_without_package_or_version_are_skipped() {
        let file = b"Package: a\nStatus: purge ok not-installed\n\n\
                     Version: 1.0\nArchitecture: all\n\n\
                     Package: b\nVersion: 2\n\n";
        let records = status(file).unwrap_or_default();
        assert_eq!(names(&records), [("b", "2")]);
        // Packages named but none with a version: a status file, just nothing usable in it.
        assert_eq!(
            status(b"Package: a\nStatus: purge ok not-installed\n\n"),
            Ok(vec![])
        );
    }

    #[test]
    fn field_names_ignore_case_and_odd_lines_are_skipped() {
        let file = b" orphan continuation\nno colon here\n:empty key\n\
                     package: x\nVERSION: 1\nVersion: 2\nPackage: y\n\tcontinued\n\n";
        let records = status(file).unwrap_or_default();
        assert_eq!(names(&records), [("x", "1")]);
    }

    #[test]
    fn crlf_and_invalid_utf8_do_not_fail_the_file() {
        let file = b"Package: caf\xe9\r\nVersion: 1.0\xff\r\nArchitecture: amd64\r\n\r\n\
                     Package: ok\r\nVersion: 2\r\n\r\n";
        let records = status(file).unwrap_or_default();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].name, "caf\u{fffd}");
        assert_eq!(records[0].version, "1.0\u{fffd}");
        assert_eq!(records[0].arch.as_deref(), Some("amd64"));
        assert_eq!(records[1].name, "ok");
    }

    #[test]
    fn garbage_is_not_a_status_file() {
        let garbage: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert!(status(&garbage).is_err());
        assert!(status(b"just some text\nwith lines\n").is_err());
        assert!(status(b"\x7fELF\x02\x01\x01\0\0\0\0").is_err());
    }

    #[test]
    fn many_lines_parse_in_one_pass() {
        let mut file = String::new();
        for i in 0..20_000 {
            file.push_str(&format!(
                "Package: p{i}\nStatus: install ok installed\nVersion: 1.{i}\n\
                 Conffiles:\n /etc/p{i}.conf 0123\nDescription: d\n .\n x\n\n"
            ));
        }
        let records = status(file.as_bytes()).unwrap_or_default();
        assert_eq!(records.len(), 20_000);
        assert_eq!(records[19_999].version, "1.19999");
        let lines = "x\n".repeat(200_000);
        assert!(status(lines.as_bytes()).is_err());
    }

    #[test]
    fn conffile_lines_keep_paths_with_blanks_and_drop_flags() {
        assert_eq!(
            conffile_path(b" /etc/a b.conf 0123abcd obsolete"),
            Some(&b"/etc/a b.conf"[..])
        );
        assert_eq!(
            conffile_path(b" /etc/x 0123 remove-on-upgrade"),
            Some(&b"/etc/x"[..])
        );
        assert_eq!(conffile_path(b" /etc/only"), Some(&b"/etc/only"[..]));
        assert_eq!(conffile_path(b"   "), None);
        assert_eq!(conffile_path(b" obsolete"), Some(&b"obsolete"[..]));
    }

    #[test]
    fn list_files_name_absolute_paths_including_directories() {
        // The start of debian:bookworm's info/adduser.list.
        let list = b"/.\n/etc\n/etc/adduser.conf\n/etc/deluser.conf\n/usr\n/usr/sbin\n\
                     /usr/sbin/adduser\n/usr/share/doc/adduser/examples/adduser.local.conf\n";
        let files = owned_files(list);
        assert_eq!(
            files.iter().collect::<Vec<_>>(),
            [
                "etc",
                "etc/adduser.conf",
                "etc/deluser.conf",
                "usr",
                "usr/sbin",
                "usr/sbin/adduser",
                "usr/share/doc/adduser/examples/adduser.local.conf",
            ]
        );
    }

    #[test]
    fn md5sums_name_paths_relative_to_the_root() {
        // The start of debian:bookworm's info/base-files.md5sums, and a path with a blank.
        let sums = b"07d31e7e63800ab1b7966980709c51eb  usr/lib/os-release\n\
                     0a540d50c157ed0070459b82c358a05a  usr/share/base-files/dot.bashrc\n\
                     d68ce7c7d7d2bb7d48aeb2f137b828e4  usr/share/a file\n";
        assert_eq!(
            owned_files(sums).iter().collect::<Vec<_>>(),
            [
                "usr/lib/os-release",
                "usr/share/base-files/dot.bashrc",
                "usr/share/a file"
            ]
        );
    }

    #[test]
    fn file_lists_skip_odd_lines_and_a_cut_last_line() {
        let text = b"no shape\n\n0123\nzz  not/hex\n0123 usr/bin/a\n/usr/bin/b\n/usr/bin/cu";
        assert_eq!(
            owned_files(text).iter().collect::<Vec<_>>(),
            ["usr/bin/a", "usr/bin/b"]
        );
        assert!(owned_files(b"").is_empty());
        assert!(owned_files(&[0xff; 1000]).is_empty());
    }

    #[test]
    fn file_lists_keep_non_utf8_names_as_the_tree_does() {
        let files = owned_files(b"/usr/share/caf\xe9\n");
        assert_eq!(
            files.iter().collect::<Vec<_>>(),
            [name_from_bytes(b"usr/share/caf\xe9").as_str()]
        );
    }

    #[test]
    fn list_owners_come_from_the_file_name() {
        let owner = |n: &str| list_owner(n);
        assert_eq!(
            owner("libc6:amd64.list"),
            Some(("libc6".into(), Some("amd64".into())))
        );
        assert_eq!(owner("adduser.md5sums"), Some(("adduser".into(), None)));
        assert_eq!(
            owner("var/lib/dpkg/status.d/libssl3.md5sums"),
            Some(("libssl3".into(), None))
        );
        assert_eq!(
            owner("libapt-pkg6.0:amd64.list"),
            Some(("libapt-pkg6.0".into(), Some("amd64".into())))
        );
        assert_eq!(owner("foo:.list"), Some(("foo".into(), None)));
        assert_eq!(owner(".list"), None);
        assert_eq!(owner(":amd64.md5sums"), None);
        assert_eq!(owner("libc6:amd64.postinst"), None);
        assert_eq!(owner(""), None);
    }
}
