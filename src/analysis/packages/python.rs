//! Installed Python distributions: a `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` or a
//! single-file `*.egg-info` says which package and version is installed, and the `RECORD` (or
//! an egg's `installed-files.txt`) beside it which files it owns.
//!
//! The reference is syft 1.18.1's python-installed-package-cataloger
//! (`syft/pkg/cataloger/python/`), followed rule by rule so the inventory lists what syft
//! lists:
//! - headers (`parse_wheel_egg_metadata.go`): `Key: value` lines up to the first blank line
//!   once a field was read (the body after it is the long description); a line starting with a
//!   space continues the previous field, joined with `"\n "`; keys lose their dashes and are
//!   matched without regard to case (mapstructure); a line over 64 KiB ends the headers
//!   (Go's line scanner stops there and syft does not check its error);
//! - a field whose Go type is not a string (`Files`, `TopLevelPackages`, ...) or a plural field
//!   spelled in another case, and a continuation line before any field, make syft's decoding
//!   fail: the file is unreadable here too;
//! - no `Name`: syft drops the file silently; here it is unreadable (`Err`), so the report
//!   says why a package is missing. `Name: Python` (Python 2.7's own egg-info) is not a
//!   package (`Ok(None)`), as `parse_wheel_egg.go` has it;
//! - the name is normalised as `package.go` does (runs of `-_.` to `-`, lower case), so
//!   `PyYAML` is `pyyaml`; the version is kept as written, or syft's `UNKNOWN` when empty (its
//!   compliance step, `internal/task/package_task_factory.go`);
//! - the licence is `License-Expression`, else `License` (`package.go` `findLicenses`); a
//!   `License-File` is not read (only one file is at hand), so such packages have none;
//! - `RECORD` (`parse_wheel_egg_record.go`) is CSV as Go's `encoding/csv` reads it: a row
//!   counts only if it parses and has exactly 3 fields, and the first row's field count is
//!   the one every later row must have. syft keeps the paths as written (relative to
//!   site-packages); here they are resolved to image paths, as the inventory needs them.
//! - syft reads `installed-files.txt` only when `RECORD` gave no rows; that choice belongs to
//!   the inventory, which has both files.

use crate::model::packages::{Ecosystem, Files, Record};
use std::collections::HashMap;

/// The version syft gives a package that states none.
const UNKNOWN: &str = "UNKNOWN";

/// Go's `bufio.Scanner` refuses longer lines; syft then stops reading the headers.
const MAX_LINE: usize = 64 * 1024;

/// The package a metadata file describes. `Ok(None)`: a metadata file that is not a package
/// (Python's own `Python-2.7.egg-info`). Invalid UTF-8 is read lossily (old PKG-INFO files
/// carry Latin-1 author names), except in `Name` and `Version`: a package strata cannot name
/// exactly is reported unreadable rather than listed under a made-up name (syft would list
/// the bytes as they are).
pub fn metadata(bytes: &[u8]) -> Result<Option<Record>, String> {
    let text = String::from_utf8_lossy(bytes);
    let headers = Headers::parse(&text)?;
    let name = headers.get("Name").unwrap_or_default();
    if name.is_empty() {
        return Err("no Name header".to_string());
    }
    for (field, value) in [("Name", Some(name)), ("Version", headers.get("Version"))] {
        if value.is_some_and(|v| v.contains(char::REPLACEMENT_CHARACTER)) {
            return Err(format!("its {field} is not UTF-8"));
        }
    }
    if name == "Python" {
        return Ok(None);
    }
    let version = headers.get("Version").unwrap_or_default();
    let version = if version.trim().is_empty() {
        UNKNOWN
    } else {
        version
    };
    let mut record = Record::new(Ecosystem::Python, &normalize_name(name), version);
    record.license = [headers.get("LicenseExpression"), headers.get("License")]
        .into_iter()
        .flatten()
        .find(|l| !l.is_empty())
        .map(str::to_string);
    Ok(Some(record))
}

/// The files a dist-info `RECORD` lists, as image paths. `dist_info_dir` is the normalised
/// path of the `*.dist-info` directory; rows are relative to the directory holding it.
pub fn record(bytes: &[u8], dist_info_dir: &str) -> Files {
    let base = crate::model::path::parent(dist_info_dir).unwrap_or("");
    let mut paths = Vec::new();
    let mut csv = GoCsv::new(bytes);
    while let Some(row) = csv.next_record() {
        if let Some(fields) = row {
            // `Files` joins paths with newlines: a path holding one (possible only quoted)
            // cannot be kept without becoming two.
            if fields.len() == 3 && !fields[0].contains(&b'\n') {
                paths.push(resolve(base, &String::from_utf8_lossy(&fields[0])));
            }
        }
    }
    Files::from_paths(paths.iter().map(String::as_str))
}

/// The files an egg-info `installed-files.txt` lists (one path a line, relative to the
/// `*.egg-info` directory `egg_info_dir`), as image paths.
///
/// Unlike syft, the last line counts without a newline after it (syft's `ReadString` loop
/// drops it) and a `\r` before the newline is not part of the path.
pub fn installed_files(bytes: &[u8], egg_info_dir: &str) -> Files {
    let text = String::from_utf8_lossy(bytes);
    let paths: Vec<String> = text
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .filter(|line| !line.is_empty())
        .map(|line| resolve(egg_info_dir, line))
        .collect();
    Files::from_paths(paths.iter().map(String::as_str))
}

/// A path as Python's `os.path.join(base, path)` has it: an absolute one stands alone.
/// `Files::from_paths` then resolves the `..` (`../../../bin/flask`).
fn resolve(base: &str, path: &str) -> String {
    if path.starts_with('/') || base.is_empty() {
        path.to_string()
    } else {
        format!("{base}/{path}")
    }
}

/// The name as syft reports it (PEP 503 normalisation): each run of `-`, `_` and `.` becomes
/// one `-`, and the name is lower-cased.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            in_run = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The header fields of a metadata file, as syft's `extractRFC5322Fields` and mapstructure
/// see them: only the singular string fields read here are kept; the others are checked for
/// the type errors that make syft's decoding fail.
struct Headers {
    /// Key (dashes removed, case kept) to value, for the keys read here.
    values: HashMap<String, String>,
}

/// The string fields read, by the name mapstructure matches them against.
const READ: [&str; 4] = ["Name", "Version", "License", "LicenseExpression"];
/// Fields of syft's metadata struct that are not strings: any value (always a string here)
/// for them fails the decoding.
const NOT_STRINGS: [&str; 4] = [
    "Files",
    "TopLevelPackages",
    "DirectURLOrigin",
    "LicenseLocation",
];
/// List fields: syft reads them as lists only under exactly this spelling; in another case
/// the string value fails the decoding.
const PLURAL: [&str; 2] = ["RequiresDist", "ProvidesExtra"];

impl Headers {
    fn parse(text: &str) -> Result<Headers, String> {
        let mut values: HashMap<String, String> = HashMap::new();
        let mut any_field = false;
        // The field a continuation line extends; "" before the first (or after a blank key).
        let mut key = String::new();
        let mut plural_exact = [false; PLURAL.len()];
        let mut plural_other = [false; PLURAL.len()];
        let mut rest = text;
        while !rest.is_empty() {
            let (line, next, complete) = match rest.find('\n') {
                Some(i) => (&rest[..i], &rest[i + 1..], true),
                None => (rest, "", false),
            };
            rest = next;
            if line.len() >= MAX_LINE && (complete || line.len() > MAX_LINE) {
                break;
            }
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                if any_field {
                    break;
                }
                continue;
            }
            if let Some(more) = line.strip_prefix(' ') {
                if key.is_empty() {
                    return Err("continuation line before any field".to_string());
                }
                if let Some(value) = values.get_mut(&key) {
                    value.push_str("\n ");
                    value.push_str(more.trim());
                }
                continue;
            }
            let Some(colon) = line.find(':').filter(|&i| i > 0) else {
                // syft logs and skips it; the field before it stays the one continued.
                continue;
            };
            key = line[..colon].trim().replace('-', "");
            any_field = true;
            if NOT_STRINGS.iter().any(|f| f.eq_ignore_ascii_case(&key)) {
                return Err(format!("header {key} is not a string field"));
            }
            for (i, f) in PLURAL.iter().enumerate() {
                if *f == key {
                    plural_exact[i] = true;
                } else if f.eq_ignore_ascii_case(&key) {
                    plural_other[i] = true;
                }
            }
            if READ.iter().any(|f| f.eq_ignore_ascii_case(&key)) {
                values.insert(key.clone(), line[colon + 1..].trim().to_string());
            }
        }
        for i in 0..PLURAL.len() {
            if plural_other[i] && !plural_exact[i] {
                return Err(format!("header {} spelled in another case", PLURAL[i]));
            }
        }
        Ok(Headers { values })
    }

    /// A field's value: the key spelled exactly as the field, else any spelling of it.
    fn get(&self, field: &str) -> Option<&str> {
        if let Some(v) = self.values.get(field) {
            return Some(v);
        }
        // mapstructure takes whichever other spelling its map iteration meets first; the
        // smallest key is a stable stand-in.
        self.values
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(field))
            .min_by(|a, b| a.0.cmp(b.0))
            .map(|(_, v)| v.as_str())
    }
}

/// CSV as Go's `encoding/csv` reads it with its defaults (`,`, no comments, strict quotes, the
/// first record fixing the field count), which is what syft's `RECORD` reader uses.
struct GoCsv<'a> {
    rest: &'a [u8],
    /// Fields every record must have; 0 until a record with fields sets it.
    expected: usize,
}

/// One line as Go's `readLine` returns it: `\r\n` normalised to `\n`, a lone `\r` before the
/// end of input dropped. `nl`: the line ended with a newline.
#[derive(Clone, Copy)]
struct Line<'a> {
    body: &'a [u8],
    nl: bool,
}

impl Line<'_> {
    /// Go's `len(line) == lengthNL(line)`: nothing but an optional newline.
    fn is_blank(&self) -> bool {
        self.body.is_empty()
    }
}

impl<'a> GoCsv<'a> {
    fn new(bytes: &'a [u8]) -> GoCsv<'a> {
        GoCsv {
            rest: bytes,
            expected: 0,
        }
    }

    fn read_line(&mut self) -> Option<Line<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        let (raw, nl) = match memchr::memchr(b'\n', self.rest) {
            Some(i) => {
                let raw = &self.rest[..i];
                self.rest = &self.rest[i + 1..];
                (raw, true)
            }
            None => (std::mem::take(&mut self.rest), false),
        };
        let body = raw.strip_suffix(b"\r").unwrap_or(raw);
        Some(Line { body, nl })
    }

    /// The next record: `Some(None)` for one Go reports an error for (syft skips it),
    /// `None` at the end.
    fn next_record(&mut self) -> Option<Option<Vec<Vec<u8>>>> {
        let mut line = loop {
            let line = self.read_line()?;
            if !line.is_blank() {
                break line;
            }
        };
        let mut fields: Vec<Vec<u8>> = Vec::new();
        let mut ok = true;
        'fields: loop {
            if line.body.first() != Some(&b'"') {
                let comma = memchr::memchr(b',', line.body);
                let field = &line.body[..comma.unwrap_or(line.body.len())];
                if field.contains(&b'"') {
                    ok = false;
                    break 'fields;
                }
                fields.push(field.to_vec());
                match comma {
                    Some(i) => line.body = &line.body[i + 1..],
                    None => break 'fields,
                }
            } else {
                line.body = &line.body[1..];
                let mut field = Vec::new();
                loop {
                    if let Some(i) = memchr::memchr(b'"', line.body) {
                        field.extend_from_slice(&line.body[..i]);
                        line.body = &line.body[i + 1..];
                        match line.body.first() {
                            Some(b'"') => {
                                field.push(b'"');
                                line.body = &line.body[1..];
                            }
                            Some(b',') => {
                                line.body = &line.body[1..];
                                fields.push(field);
                                continue 'fields;
                            }
                            None => {
                                fields.push(field);
                                break 'fields;
                            }
                            Some(_) => {
                                ok = false;
                                break 'fields;
                            }
                        }
                    } else if !line.body.is_empty() || line.nl {
                        // The quoted field goes on past the end of the line.
                        field.extend_from_slice(line.body);
                        if line.nl {
                            field.push(b'\n');
                        }
                        line = self.read_line().unwrap_or(Line {
                            body: &[],
                            nl: false,
                        });
                    } else {
                        // Input ended inside quotes.
                        ok = false;
                        break 'fields;
                    }
                }
            }
        }
        if self.expected > 0 {
            if fields.len() != self.expected {
                ok = false;
            }
        } else {
            self.expected = fields.len();
        }
        Some(ok.then_some(fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The headers of `requests-2.31.0.dist-info/METADATA` from the py-app fixture image
    /// (the long description after the blank line cut short).
    const REQUESTS: &str = "Metadata-Version: 2.1
Name: requests
Version: 2.31.0
Summary: Python HTTP for Humans.
Home-page: https://requests.readthedocs.io
Author: Kenneth Reitz
Author-email: me@kennethreitz.org
License: Apache 2.0
Project-URL: Documentation, https://requests.readthedocs.io
Project-URL: Source, https://github.com/psf/requests
Platform: UNKNOWN
Classifier: Development Status :: 5 - Production/Stable
Classifier: License :: OSI Approved :: Apache Software License
Requires-Python: >=3.7
Description-Content-Type: text/markdown
License-File: LICENSE
Requires-Dist: charset-normalizer (<4,>=2)
Requires-Dist: idna (<4,>=2.5)
Provides-Extra: socks
Requires-Dist: PySocks (!=1.5.7,>=1.5.6) ; extra == 'socks'

# Requests

**Requests** is a simple, yet elegant, HTTP library.
Name: not-this
License: nor this
";

    /// `flask-3.0.3.dist-info/METADATA` (fixture image): a capitalised name, no licence
    /// field (only classifiers), as syft reports it: `flask`, no licence.
    const FLASK: &str = "Metadata-Version: 2.1
Name: Flask
Version: 3.0.3
Summary: A simple framework for building complex web applications.
Maintainer-email: Pallets <contact@palletsprojects.com>
Requires-Python: >=3.8
Description-Content-Type: text/markdown
Classifier: Development Status :: 5 - Production/Stable
Classifier: License :: OSI Approved :: BSD License
Requires-Dist: Werkzeug>=3.0.0
Requires-Dist: Jinja2>=3.1.2
Project-URL: Donate, https://palletsprojects.com/donate

# Flask
";

    fn rec(name: &str, version: &str, license: Option<&str>) -> Record {
        let mut r = Record::new(Ecosystem::Python, name, version);
        r.license = license.map(str::to_string);
        r
    }

    #[test]
    fn real_metadata() {
        assert_eq!(
            metadata(REQUESTS.as_bytes()),
            Ok(Some(rec("requests", "2.31.0", Some("Apache 2.0"))))
        );
        assert_eq!(
            metadata(FLASK.as_bytes()),
            Ok(Some(rec("flask", "3.0.3", None)))
        );
        // markupsafe-3.0.4: License-Expression (and no License).
        let markupsafe = "Metadata-Version: 2.4\nName: MarkupSafe\nVersion: 3.0.4\nLicense-Expression: BSD-3-Clause\nLicense-File: LICENSE.txt\n";
        assert_eq!(
            metadata(markupsafe.as_bytes()),
            Ok(Some(rec("markupsafe", "3.0.4", Some("BSD-3-Clause"))))
        );
        // setuptools-66.1.1.egg-info/PKG-INFO (Debian's python3-setuptools).
        let setuptools = "Metadata-Version: 2.1\nName: setuptools\nVersion: 66.1.1\nSummary: Easily download, build, install, upgrade, and uninstall Python packages\nHome-page: https://github.com/pypa/setuptools\nAuthor: Python Packaging Authority\nRequires-Python: >=3.7\nProvides-Extra: testing\nLicense-File: LICENSE\n";
        assert_eq!(
            metadata(setuptools.as_bytes()),
            Ok(Some(rec("setuptools", "66.1.1", None)))
        );
    }

    /// Latin-1 in an author's name reads on; in the name or version, the package cannot be
    /// named exactly and is an error (reported as unreadable).
    #[test]
    fn invalid_utf8_only_matters_in_the_name_and_version() {
        let author = b"Name: old\nVersion: 1.0\nAuthor: Jos\xe9 M\xfcller\n";
        assert_eq!(metadata(author), Ok(Some(rec("old", "1.0", None))));
        let name = b"Name: r\xe9quests\nVersion: 1.0\n";
        assert_eq!(metadata(name), Err("its Name is not UTF-8".to_string()));
        let version = b"Name: a\nVersion: 1.\xff\n";
        assert_eq!(
            metadata(version),
            Err("its Version is not UTF-8".to_string())
        );
    }

    #[test]
    fn license_expression_wins_and_continuations_join() {
        let text = "Name: a\nVersion: 1\nLicense: Copyright (c) 2005, NumPy Developers.\n        All rights reserved.\n \n        Redistribution\nLicense-Expression: MIT\n";
        assert_eq!(
            metadata(text.as_bytes()),
            Ok(Some(rec("a", "1", Some("MIT"))))
        );
        let text = "Name: a\nVersion: 1\nLicense: Copyright (c) 2005, NumPy Developers.\n        All rights reserved.\n \n        Redistribution\n";
        assert_eq!(
            metadata(text.as_bytes()),
            Ok(Some(rec(
                "a",
                "1",
                Some("Copyright (c) 2005, NumPy Developers.\n All rights reserved.\n \n Redistribution")
            )))
        );
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(normalize_name("PyYAML"), "pyyaml");
        assert_eq!(normalize_name("charset_normalizer"), "charset-normalizer");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
        assert_eq!(normalize_name("a-_.-b__c"), "a-b-c");
        assert_eq!(normalize_name("_x_"), "-x-");
    }

    #[test]
    fn syft_header_rules() {
        // Blank lines before the first field are skipped; keys match in any case; the last
        // of a repeated field wins; CRLF line ends.
        let text = "\r\n\r\nname: A_B\r\nVERSION: 0.1\r\nVersion: 0.2\r\n\r\nName: c\r\n";
        assert_eq!(metadata(text.as_bytes()), Ok(Some(rec("a-b", "0.2", None))));
        // A line without a colon is skipped; the continuation after it extends the field
        // before it.
        let text = "Name: a\nVersion: 1\nLicense: MIT\nnonsense\n and more\n";
        assert_eq!(
            metadata(text.as_bytes()),
            Ok(Some(rec("a", "1", Some("MIT\n and more"))))
        );
        // A tab does not continue a field; ": x" has no key.
        let text = "Name: a\n\tVersion: 2\n: x\n";
        assert_eq!(metadata(text.as_bytes()), Ok(Some(rec("a", "2", None))));
        // Python 2.7's own egg-info is not a package.
        assert_eq!(
            metadata(b"Metadata-Version: 1.0\nName: Python\nVersion: 2.7.18\n"),
            Ok(None)
        );
        // No version: syft's stub.
        assert_eq!(metadata(b"Name: a\n"), Ok(Some(rec("a", "UNKNOWN", None))));
        assert_eq!(
            metadata(b"Name: a\nVersion:   \n"),
            Ok(Some(rec("a", "UNKNOWN", None)))
        );
    }

    #[test]
    fn what_syft_cannot_decode_is_unreadable() {
        assert!(metadata(b"").is_err());
        assert!(metadata(b"Version: 1\n").is_err());
        assert!(metadata(b"Name:\nVersion: 1\n").is_err());
        assert!(metadata(b" continued\nName: a\n").is_err());
        assert!(metadata(b"\t: x\n more\nName: a\n").is_err());
        assert!(metadata(b"Name: a\nFiles: x\n").is_err());
        assert!(metadata(b"Name: a\nTop-Level-Packages: x\n").is_err());
        assert!(metadata(b"Name: a\nrequires-dist: x\n").is_err());
        assert!(metadata(b"Name: a\nRequires-Dist: x\nrequires-dist: y\n").is_ok());
    }

    #[test]
    fn long_lines_end_the_headers() {
        let mut text = b"Name: a\nVersion: 1\nSummary: ".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE));
        text.extend_from_slice(b"\nLicense: MIT\n");
        assert_eq!(metadata(&text), Ok(Some(rec("a", "1", None))));
        let mut text = b"Summary: ".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE));
        text.extend_from_slice(b"\nName: a\n");
        assert!(metadata(&text).is_err());
    }

    /// The start of `charset_normalizer-3.5.3.dist-info/RECORD` (fixture image), its script
    /// outside site-packages included.
    const CHARSET_RECORD: &str =
        "../../../bin/normalizer,sha256=O1tLXvRzeuQHDVSDjsuiUko8eeXdZtA_eGTgJcdT5qs,233
charset_normalizer-3.5.3.dist-info/INSTALLER,sha256=zuuue4knoyJ-UwPPXg8fezS7VCrXJQrAP7zeNuwvFQg,4
charset_normalizer-3.5.3.dist-info/METADATA,sha256=4mcP_EkQIuv65NqrlXvgtU_d4p2rvf6h4QTFjWZPmOM,43272
charset_normalizer-3.5.3.dist-info/RECORD,,
charset_normalizer/__pycache__/api.cpython-311.pyc,,
charset_normalizer/api.py,sha256=V07i8aVeCD8T2fSia3C-fn0i9t8qQguEBhsqszg32Ns,22668
";

    #[test]
    fn record_paths_resolve_from_site_packages() {
        let dir = "usr/local/lib/python3.11/dist-packages/charset_normalizer-3.5.3.dist-info";
        let files = record(CHARSET_RECORD.as_bytes(), dir);
        assert_eq!(
            files.iter().collect::<Vec<_>>(),
            [
                "usr/local/bin/normalizer",
                "usr/local/lib/python3.11/dist-packages/charset_normalizer-3.5.3.dist-info/INSTALLER",
                "usr/local/lib/python3.11/dist-packages/charset_normalizer-3.5.3.dist-info/METADATA",
                "usr/local/lib/python3.11/dist-packages/charset_normalizer-3.5.3.dist-info/RECORD",
                "usr/local/lib/python3.11/dist-packages/charset_normalizer/__pycache__/api.cpython-311.pyc",
                "usr/local/lib/python3.11/dist-packages/charset_normalizer/api.py",
            ]
        );
    }

    #[test]
    fn record_csv_as_go_reads_it() {
        let paths = |bytes: &[u8]| {
            record(bytes, "sp/x.dist-info")
                .iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        // Quoted fields (commas and doubled quotes inside, a newline inside), CRLF, blank
        // lines, an absolute path.
        assert_eq!(
            paths(b"\"a,b\",h,1\r\n\r\n\"c\"\"d\",,\n\"e\nf\",,\n/usr/bin/g,,\n"),
            ["sp/a,b", "sp/c\"d", "usr/bin/g"]
        );
        // Rows of other lengths and malformed rows are skipped; the rest still count.
        assert_eq!(
            paths(b"a,,\nb,\nc,,,\nd\"x,,\n\"e\"x,,\n\"f,,\ng,,\n"),
            ["sp/a"]
        );
        assert_eq!(paths(b"a,,\nb,\nc,,\n"), ["sp/a", "sp/c"]);
        // The first record fixes the field count: a two-field first row rules out the rest.
        assert!(paths(b"a,\nb,,\nc,,\n").is_empty());
        // A first row that fails before any field leaves the count unset.
        assert_eq!(paths(b"x\"y,,\nb,,\n"), ["sp/b"]);
        // Last line without a newline, a lone CR at the end.
        assert_eq!(paths(b"a,,\nb,,\r"), ["sp/a", "sp/b"]);
        // Unterminated quote at the end.
        assert_eq!(paths(b"a,,\n\"b,,\n"), ["sp/a"]);
        assert!(paths(b"").is_empty());
        assert!(paths(b"\"").is_empty());
        assert!(paths(b"\n\n\r\n").is_empty());
        // Top-level dist-info (no parent directory).
        assert_eq!(
            record(b"x/y,,\n", "a.dist-info").iter().collect::<Vec<_>>(),
            ["x/y"]
        );
    }

    #[test]
    fn installed_files_resolve_from_the_egg_info() {
        let text = "../gyp/__init__.py\r\n../gyp/common.py\n\nPKG-INFO\n../../../../bin/gyp";
        let files = installed_files(
            text.as_bytes(),
            "usr/lib/python3/dist-packages/gyp-0.1.egg-info",
        );
        assert_eq!(
            files.iter().collect::<Vec<_>>(),
            [
                "usr/lib/python3/dist-packages/gyp/__init__.py",
                "usr/lib/python3/dist-packages/gyp/common.py",
                "usr/lib/python3/dist-packages/gyp-0.1.egg-info/PKG-INFO",
                "usr/bin/gyp",
            ]
        );
        assert!(installed_files(b"\n\n", "a.egg-info").is_empty());
        assert_eq!(
            installed_files(b"../../../../../../../../x\xff", "a/b.egg-info")
                .iter()
                .collect::<Vec<_>>(),
            ["x\u{fffd}"]
        );
    }

    #[test]
    fn hostile_inputs_are_bounded() {
        let big = vec![b'"'; 1 << 20];
        assert!(record(&big, "a/b.dist-info").is_empty());
        let big = vec![b','; 1 << 20];
        assert!(record(&big, "a/b.dist-info").is_empty());
        let big = " x\n".repeat(100_000);
        assert!(metadata(format!("Name: a\n{big}").as_bytes()).is_ok());
        let keys: String = (0..50_000).map(|i| format!("K{i}: v\n")).collect();
        assert!(metadata(keys.as_bytes()).is_err());
    }
}
