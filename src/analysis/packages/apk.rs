//! Alpine's database of installed packages, `lib/apk/db/installed` (DESIGN section 3b): one
//! paragraph per package, one `X:value` line per field
//! (<https://wiki.alpinelinux.org/wiki/Apk_spec>). Only the fields the inventory needs are
//! kept: `P:` name, `V:` version, `A:` arch, `L:` licence, `o:` origin (the source package, kept
//! when it differs from the name), and the files: each `F:` line names a directory (relative
//! to the root) and each `R:` line a file in the last `F:` directory.
//!
//! `Record::files` holds the directories as well as the files, as syft lists them (syft
//! v1.18.0, syft/pkg/cataloger/alpine/parse_apk_db.go lines 263-293): a directory only one
//! package created is that package's, and only regular files carry bytes anyway. An `R:`
//! before any `F:` is a file at the root (syft does the same, line 285).
//!
//! Which entries count follows syft where it can (parse_apk_db.go lines 64-109): paragraphs
//! are split by empty lines, a line is a field when it has a colon, a field with an empty
//! value is ignored, a repeated field keeps its last value. Two rules are stricter than
//! syft's: a paragraph without `P:` or `V:` is skipped (syft reports a package with an empty
//! name or version), and a last line without a newline is dropped (syft's scanner keeps it):
//! apk ends every line, so such a line was cut, and a cut `V:` line is a wrong version.
//!
//! One pass, no backtracking, the files of a package gathered into one string: a database of
//! 100k packages costs time and memory in proportion to its size.

use super::dpkg::complete_lines;
use crate::model::packages::{Ecosystem, Files, Record};
use crate::model::path::name_from_bytes;

/// The packages of an apk `installed` database, in file order.
///
/// `Err` only when the file cannot be such a database: it has text but no `P:` line. An
/// empty file is `Ok(vec![])`.
pub fn installed(bytes: &[u8]) -> Result<Vec<Record>, String> {
    let mut records = Vec::new();
    let mut saw_package = false;
    let mut entry = Entry::default();
    for line in complete_lines(bytes) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            saw_package |= entry.name.is_some();
            records.extend(std::mem::take(&mut entry).into_record());
            continue;
        }
        if let Some((key, value)) = field(line) {
            entry.apply(key, value);
        }
    }
    saw_package |= entry.name.is_some();
    records.extend(entry.into_record());
    if !saw_package && !bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("no package (P:) line".to_string());
    }
    Ok(records)
}

/// A field line's one-letter key and its value. Longer keys are no field apk writes, and an
/// empty value is no value (syft skips both).
fn field(line: &[u8]) -> Option<(u8, &[u8])> {
    match line {
        [key, b':', value @ ..] if !value.is_empty() => Some((*key, value)),
        _ => None,
    }
}

/// One paragraph as it is read.
#[derive(Debug, Default)]
struct Entry {
    name: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    origin: Option<String>,
    license: Option<String>,
    /// Directories and files, each joined to its directory, separated by `\n`.
    files: String,
    /// The last `F:` directory, for the `R:` lines after it.
    dir: String,
}

impl Entry {
    fn apply(&mut self, key: u8, value: &[u8]) {
        match key {
            b'P' => self.name = Some(text(value)),
            b'V' => self.version = Some(text(value)),
            b'A' => self.arch = Some(text(value)),
            b'o' => self.origin = Some(text(value)),
            b'L' => self.license = Some(text(value)),
            b'F' => {
                self.dir = name_from_bytes(value);
                push_path(&mut self.files, &self.dir, "");
            }
            b'R' => push_path(&mut self.files, &self.dir, &name_from_bytes(value)),
            _ => {}
        }
    }

    fn into_record(self) -> Option<Record> {
        let name = self.name?;
        let version = self.version?;
        let mut record = Record::new(Ecosystem::Apk, &name, &version);
        record.arch = self.arch;
        record.source = self.origin.filter(|origin| *origin != name);
        record.license = self.license;
        record.files = Files::from_paths(self.files.split('\n'));
        Some(record)
    }
}

fn text(value: &[u8]) -> String {
    String::from_utf8_lossy(value).into_owned()
}

/// Appends `dir/name` (or `dir` alone, or `name` alone) as one more line of `files`;
/// `Files::from_paths` normalises it afterwards.
fn push_path(files: &mut String, dir: &str, name: &str) {
    if !files.is_empty() {
        files.push('\n');
    }
    files.push_str(dir);
    if !dir.is_empty() && !name.is_empty() {
        files.push('/');
    }
    files.push_str(name);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three entries as Alpine 3.19's `lib/apk/db/installed` writes them (checksums
    /// shortened), in the field order of the Apk_spec.
    const INSTALLED: &str = "\
C:Q1PK2Jwj2/uLUTnvFWNOKl7zWTt8k=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407278
I:667648
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1700240032
c:6ee2e9fc5e6a4bb1dbb3fa9e7e4b72eb0be6d3f6
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1ZrBtVrF4OHpJBYK+Is2Rc0tu4Zo=
R:libc.musl-x86_64.so.1
a:0:0:777
Z:Q17yJ3JFNypA4mxhJJr0ou6CzsJVI=

C:Q1rMPYLTr8gZuGEo4Wo2cWQVOJkTc=
P:libcrypto3
V:3.1.4-r5
A:x86_64
S:1726893
I:4943872
T:Crypto library from openssl
U:https://www.openssl.org/
L:Apache-2.0
o:openssl
m:Ariadne Conill <ariadne@dereferenced.org>
t:1705417146
c:3a5d4cd6d71bdb5e4d8cbe2ebe8e0d8e3c4f70f1
D:so:libc.musl-x86_64.so.1
p:so:libcrypto.so.3=3
r:libressl
F:etc
F:etc/ssl
R:ct_log_list.cnf
Z:Q1olh8TpdAi2QnTl4FK3TjdUiSwTo=
F:usr
F:usr/lib
R:libcrypto.so.3
a:0:0:755
Z:Q1SHHH5eRvyHv5obFgHX/bWhBk3Ds=
F:usr/lib/engines-3

C:Q1UrR1PIhtzKj2TbnV6vqXdxMYSUA=
P:busybox-binsh
V:1.36.1-r15
A:x86_64
S:1503
I:1
T:busybox ash /bin/sh
U:https://busybox.net/
L:GPL-2.0-only
o:busybox
m:Sören Tempel <soeren+alpine@soeren-tempel.net>
t:1701366013
c:3ae1f0c11dd7aa1cd5e3f7ba1b0e7c5a5dd6c26b
D:busybox=1.36.1-r15
p:/bin/sh cmd:sh=1.36.1-r15
F:bin
R:sh
a:0:0:777
Z:Q1pcfTfDNEbNKQc2s1tia7da05M8Q=

";

    #[test]
    fn reads_a_real_installed_db() {
        let records = installed(INSTALLED.as_bytes()).unwrap_or_default();
        assert_eq!(records.len(), 3);
        let musl = &records[0];
        assert_eq!(musl.ecosystem, Ecosystem::Apk);
        assert_eq!(
            (musl.name.as_str(), musl.version.as_str()),
            ("musl", "1.2.4_git20230717-r4")
        );
        assert_eq!(musl.arch.as_deref(), Some("x86_64"));
        assert_eq!(musl.license.as_deref(), Some("MIT"));
        // Its origin is itself: no source to name.
        assert_eq!(musl.source, None);
        assert_eq!(
            musl.files.iter().collect::<Vec<_>>(),
            [
                "lib",
                "lib/ld-musl-x86_64.so.1",
                "lib/libc.musl-x86_64.so.1"
            ]
        );
        let crypto = &records[1];
        assert_eq!(crypto.source.as_deref(), Some("openssl"));
        assert_eq!(crypto.license.as_deref(), Some("Apache-2.0"));
        assert_eq!(
            crypto.files.iter().collect::<Vec<_>>(),
            [
                "etc",
                "etc/ssl",
                "etc/ssl/ct_log_list.cnf",
                "usr",
                "usr/lib",
                "usr/lib/libcrypto.so.3",
                "usr/lib/engines-3",
            ]
        );
        assert_eq!(records[2].name, "busybox-binsh");
        assert_eq!(records[2].source.as_deref(), Some("busybox"));
        assert_eq!(
            records[2].files.iter().collect::<Vec<_>>(),
            ["bin", "bin/sh"]
        );
    }

    #[test]
    fn empty_files_hold_no_packages() {
        assert_eq!(installed(b""), Ok(vec![]));
        assert_eq!(installed(b"\n\n"), Ok(vec![]));
    }

    #[test]
    fn a_file_cut_anywhere_keeps_whole_values() {
        let whole = INSTALLED.as_bytes();
        for end in 0..=whole.len() {
            if let Ok(records) = installed(&whole[..end]) {
                for record in &records {
                    assert!(INSTALLED.contains(&format!("V:{}\n", record.version)));
                    assert!(INSTALLED.contains(&format!("P:{}\n", record.name)));
                }
            }
        }
        // Cut inside libcrypto3's V: line: musl alone.
        let cut_at = INSTALLED.find("V:3.1.4").unwrap_or(0) + "V:3.1".len();
        let records = installed(&whole[..cut_at]).unwrap_or_default();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].name, "musl");
    }

    #[test]
    fn entries_without_name_or_version_are_skipped() {
        let db = b"P:a\nA:x86_64\n\nV:1.0\n\nP:b\nV:2-r0\nP:c\n\n";
        let records = installed(db).unwrap_or_default();
        assert_eq!(records.len(), 1);
        // A repeated field keeps its last value, as apk and syft read it.
        assert_eq!(
            (records[0].name.as_str(), records[0].version.as_str()),
            ("c", "2-r0")
        );
    }

    #[test]
    fn a_file_before_any_directory_is_at_the_root_and_odd_lines_are_skipped() {
        let db = b"P:x\nV:1\nR:top\nno colon\nPX:long key\nV:\nF:usr/\nR:a\nF:/opt/\nR:b\n\n";
        let records = installed(db).unwrap_or_default();
        assert_eq!(records[0].version, "1");
        assert_eq!(
            records[0].files.iter().collect::<Vec<_>>(),
            ["top", "usr", "usr/a", "opt", "opt/b"]
        );
    }

    #[test]
    fn crlf_and_invalid_utf8_do_not_fail_the_file() {
        let db = b"P:caf\xe9\r\nV:1\r\nF:usr\r\nR:caf\xe9\r\n\r\n";
        let records = installed(db).unwrap_or_default();
        assert_eq!(records[0].name, "caf\u{fffd}");
        assert_eq!(
            records[0].files.iter().collect::<Vec<_>>(),
            ["usr", name_from_bytes(b"usr/caf\xe9").as_str()]
        );
    }

    #[test]
    fn garbage_is_not_an_installed_db() {
        let garbage: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect();
        assert!(installed(&garbage).is_err());
        assert!(installed(b"Package: dpkg-style\nVersion: 1\n\n").is_err());
    }

    #[test]
    fn a_large_db_parses_in_one_pass() {
        let mut db = String::new();
        for i in 0..100_000 {
            db.push_str(&format!(
                "P:pkg{i}\nV:1.{i}-r0\nA:x86_64\nL:MIT\no:origin{}\nF:usr/lib/pkg{i}\nR:a.so\nR:b.so\n\n",
                i / 10
            ));
        }
        let records = installed(db.as_bytes()).unwrap_or_default();
        assert_eq!(records.len(), 100_000);
        assert_eq!(records[99_999].files.len(), 3);
        let lines = "R:x\n".repeat(200_000);
        assert!(installed(lines.as_bytes()).is_err());
    }
}
