//! One rpm header blob, as every rpmdb backend stores it (no lead, no 8-byte header magic):
//! `il` and `dl` (big-endian u32), `il` index entries of 16 bytes (tag, type, offset, count),
//! then `dl` bytes of data. Installed headers begin with a region entry (tag 61-63) whose
//! entries come first, followed by "dribble" entries rpm added at install time; a later entry
//! of a tag replaces an earlier one, as rpm's `hdrblobImport` (and go-rpmdb, which syft uses)
//! merge them.
//!
//! Hand-written (the `rpmdb` crate's header code slices without bounds checks and reads from
//! files): the checks follow rpm's `hdrblobInit`/`hdrblobVerifyInfo` (tags, types, alignment,
//! every entry's data inside `dl`, strings terminated inside it), so a lying count, offset or
//! length is an error, and nothing is allocated from a count before the bytes it claims were
//! seen to exist.

use crate::model::packages::{Ecosystem, Files, Record};
use crate::model::path::name_from_bytes;

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_LICENSE: u32 = 1014;
const TAG_ARCH: u32 = 1022;
const TAG_OLDFILENAMES: u32 = 1027;
const TAG_SOURCERPM: u32 = 1044;
const TAG_DIRINDEXES: u32 = 1116;
const TAG_BASENAMES: u32 = 1117;
const TAG_DIRNAMES: u32 = 1118;

const TYPE_CHAR: u32 = 1;
const TYPE_INT8: u32 = 2;
const TYPE_INT16: u32 = 3;
const TYPE_INT32: u32 = 4;
const TYPE_INT64: u32 = 5;
const TYPE_STRING: u32 = 6;
const TYPE_BIN: u32 = 7;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm's `HEADER_I18NTABLE`: tags below it are region markers (61-63) or signature tags,
/// never package data.
const FIRST_DATA_TAG: u32 = 100;
/// rpm refuses headers of 256 MiB or more (`headerMaxbytes`).
const MAX_HEADER_BYTES: usize = 256 << 20;
const ENTRY_BYTES: usize = 16;

/// One index entry whose data was checked to lie inside the data area.
#[derive(Clone, Copy)]
struct Entry<'a> {
    tag: u32,
    kind: u32,
    count: u32,
    data: &'a [u8],
}

/// The entries of a header blob, checked.
struct Header<'a> {
    entries: Vec<Entry<'a>>,
}

impl<'a> Header<'a> {
    fn parse(blob: &'a [u8]) -> Result<Header<'a>, String> {
        let il = be32(blob, 0).ok_or("header shorter than its lengths")? as usize;
        let dl = be32(blob, 4).ok_or("header shorter than its lengths")? as usize;
        if il == 0 {
            return Err("header without entries".into());
        }
        // Checked before anything is sized from `il`: the entries must be in the blob.
        let index_end = il
            .checked_mul(ENTRY_BYTES)
            .and_then(|n| n.checked_add(8))
            .filter(|&n| n <= blob.len())
            .ok_or_else(|| format!("header claims {il} entries, more than its bytes hold"))?;
        let total = index_end
            .checked_add(dl)
            .filter(|&n| n <= blob.len() && n < MAX_HEADER_BYTES)
            .ok_or_else(|| format!("header claims {dl} data bytes, more than it holds"))?;
        let data = &blob[index_end..total];

        let mut entries = Vec::with_capacity(il);
        for i in 0..il {
            let at = 8 + i * ENTRY_BYTES;
            let field = |k: usize| be32(blob, at + 4 * k).unwrap_or(u32::MAX);
            let (tag, kind, offset, count) = (field(0), field(1), field(2), field(3));
            if tag < FIRST_DATA_TAG {
                // Region entries: their trailer must at least lie inside the data.
                if !(61..=63).contains(&tag) {
                    return Err(format!("header entry {i} has tag {tag}"));
                }
                if kind != TYPE_BIN || count != ENTRY_BYTES as u32 {
                    return Err(format!("header region {tag} is malformed"));
                }
                let end = (offset as usize).checked_add(ENTRY_BYTES);
                if end.is_none_or(|end| end > dl) {
                    return Err(format!("header region {tag} lies outside the data"));
                }
                continue;
            }
            let data = entry_data(data, kind, offset as usize, count)
                .map_err(|why| format!("header entry {i} (tag {tag}): {why}"))?;
            entries.push(Entry {
                tag,
                kind,
                count,
                data,
            });
        }
        Ok(Header { entries })
    }

    /// The last entry of `tag`: dribble entries come after the region's and override them.
    fn get(&self, tag: u32) -> Option<&Entry<'a>> {
        self.entries.iter().rev().find(|e| e.tag == tag)
    }

    fn string(&self, tag: u32) -> Result<Option<String>, String> {
        let Some(e) = self.get(tag) else {
            return Ok(None);
        };
        match e.kind {
            // I18N strings hold one string per locale; the first is the untranslated one.
            TYPE_STRING | TYPE_I18NSTRING => Ok(strings(e.data)
                .next()
                .map(|s| String::from_utf8_lossy(s).into_owned())),
            kind => Err(format!("tag {tag} has type {kind}, not a string")),
        }
    }

    fn string_array(&self, tag: u32) -> Result<Option<impl Iterator<Item = &'a [u8]>>, String> {
        let Some(e) = self.get(tag) else {
            return Ok(None);
        };
        match e.kind {
            TYPE_STRING_ARRAY => Ok(Some(strings(e.data))),
            kind => Err(format!("tag {tag} has type {kind}, not a string array")),
        }
    }

    fn int32s(&self, tag: u32) -> Result<Option<impl Iterator<Item = u32> + 'a>, String> {
        let Some(e) = self.get(tag) else {
            return Ok(None);
        };
        match e.kind {
            TYPE_INT32 => Ok(Some(
                e.data
                    .chunks_exact(4)
                    .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]])),
            )),
            kind => Err(format!("tag {tag} has type {kind}, not int32")),
        }
    }

    fn count(&self, tag: u32) -> usize {
        self.get(tag).map_or(0, |e| e.count as usize)
    }
}

/// An entry's data, checked as rpm's `hdrblobVerifyInfo` and `dataLength` check it.
fn entry_data(data: &[u8], kind: u32, offset: usize, count: u32) -> Result<&[u8], String> {
    let (size, align) = match kind {
        TYPE_CHAR | TYPE_INT8 | TYPE_BIN => (1, 1),
        TYPE_INT16 => (2, 2),
        TYPE_INT32 => (4, 4),
        TYPE_INT64 => (8, 8),
        TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING => (0, 1),
        _ => return Err(format!("unknown type {kind}")),
    };
    if !offset.is_multiple_of(align) {
        return Err(format!("offset {offset} misaligned"));
    }
    let rest = data.get(offset..).ok_or("offset outside the data")?;
    let len = if size == 0 {
        if kind == TYPE_STRING && count != 1 {
            return Err("a string of count other than 1".into());
        }
        // `count` NUL-terminated strings, each ending inside the data.
        let mut len = 0usize;
        for _ in 0..count {
            let nul = memchr::memchr(0, &rest[len..]).ok_or("string not terminated")?;
            len += nul + 1;
        }
        len
    } else {
        (count as usize)
            .checked_mul(size)
            .filter(|&n| n <= rest.len())
            .ok_or_else(|| format!("{count} elements past the data"))?
    };
    if len == 0 {
        return Err("no data".into());
    }
    Ok(&rest[..len])
}

/// The NUL-terminated strings of checked string data.
fn strings(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.strip_suffix(&[0]).unwrap_or(data).split(|&b| b == 0)
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// rpm writes `(none)` where a header has no value for a tag it shows.
fn some_value(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty() && s != "(none)")
}

/// The package an rpm header blob describes. The version is written as syft 1.18 writes it
/// (`toELVersion`): `EPOCH:VERSION-RELEASE` when the header has an epoch (0 included),
/// `VERSION-RELEASE` otherwise. `source` is the source rpm's file name as the header has it
/// (`bash-5.2.26-3.fc40.src.rpm`), what syft puts in the purl's `upstream` qualifier.
pub fn record(blob: &[u8]) -> Result<Record, String> {
    let header = Header::parse(blob)?;
    let name = some_value(header.string(TAG_NAME)?).ok_or("header without a name")?;
    let version = header.string(TAG_VERSION)?.unwrap_or_default();
    let release = header.string(TAG_RELEASE)?.unwrap_or_default();
    let epoch = match header.int32s(TAG_EPOCH)? {
        Some(mut values) => Some(values.next().ok_or("empty epoch")?),
        None => None,
    };
    let mut record = Record::new(Ecosystem::Rpm, &name, "");
    record.version = match epoch {
        // syft reads the epoch as a Go int32 and prints it signed.
        Some(e) => format!("{}:{version}-{release}", e as i32),
        None => format!("{version}-{release}"),
    };
    record.arch = some_value(header.string(TAG_ARCH)?);
    record.license = some_value(header.string(TAG_LICENSE)?);
    record.source = some_value(header.string(TAG_SOURCERPM)?);
    record.files = files(&header, blob.len())?;
    Ok(record)
}

/// The file list: `DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]` (rpm 4 "compressed" file names),
/// or `OLDFILENAMES` in headers older than that.
///
/// Paths are joined from a directory table, so a hostile header could name one long
/// directory a million times; the joined paths may be at most `MAX_PATH_BYTES_PER_BYTE`
/// times the blob's size (real headers stay far below, see the tests).
fn files(header: &Header, blob_len: usize) -> Result<Files, String> {
    let budget = blob_len.saturating_mul(MAX_PATH_BYTES_PER_BYTE);
    let mut spent = 0usize;
    let mut charge = |len: usize| -> Result<(), String> {
        spent += len + 1;
        if spent > budget {
            return Err("file list larger than its header could hold".into());
        }
        Ok(())
    };
    let Some(basenames) = header.string_array(TAG_BASENAMES)? else {
        let Some(old) = header.string_array(TAG_OLDFILENAMES)? else {
            return Ok(Files::default());
        };
        let mut paths = Vec::new();
        for p in old {
            charge(p.len())?;
            paths.push(name_from_bytes(p));
        }
        return Ok(Files::from_paths(paths.iter().map(String::as_str)));
    };
    let dirnames: Vec<&[u8]> = header
        .string_array(TAG_DIRNAMES)?
        .ok_or("base names without directory names")?
        .collect();
    let indexes = header
        .int32s(TAG_DIRINDEXES)?
        .ok_or("base names without directory indexes")?;
    if header.count(TAG_DIRINDEXES) != header.count(TAG_BASENAMES) {
        return Err("directory indexes and base names differ in number".into());
    }
    let mut paths = Vec::new();
    let mut joined = Vec::new();
    for (base, index) in basenames.zip(indexes) {
        let dir = dirnames
            .get(index as usize)
            .ok_or_else(|| format!("directory index {index} out of range"))?;
        charge(dir.len() + base.len())?;
        joined.clear();
        joined.extend_from_slice(dir);
        joined.extend_from_slice(base);
        paths.push(name_from_bytes(&joined));
    }
    Ok(Files::from_paths(paths.iter().map(String::as_str)))
}

/// How many bytes of joined paths one byte of header may yield. Real headers yield less than
/// one (0.58 at most over SLE 15, RHEL 8 and CBL-Mariner 2's 165 packages: each file costs
/// its header far more than its base name, in digests, sizes, modes, owners), so 8 refuses
/// only headers built to multiply one directory name; see
/// `joined_paths_stay_within_their_budget_on_real_headers`.
pub(super) const MAX_PATH_BYTES_PER_BYTE: usize = 8;

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A header blob from (tag, type, count, data) entries, with an immutable region first
    /// when `region` is set, as rpm writes installed headers.
    pub fn blob(entries: &[(u32, u32, u32, Vec<u8>)], region: bool) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        let push = |index: &mut Vec<u8>, tag: u32, kind: u32, offset: usize, count: u32| {
            for v in [tag, kind, offset as u32, count] {
                index.extend_from_slice(&v.to_be_bytes());
            }
        };
        for (tag, kind, count, bytes) in entries {
            let align = match *kind {
                TYPE_INT16 => 2,
                TYPE_INT32 => 4,
                TYPE_INT64 => 8,
                _ => 1,
            };
            while data.len() % align != 0 {
                data.push(0);
            }
            push(&mut index, *tag, *kind, data.len(), *count);
            data.extend_from_slice(bytes);
        }
        let mut il = entries.len();
        if region {
            // The trailer: the region tag again, with minus the region's index size.
            let trailer_at = data.len();
            let neg = (-(((entries.len() + 1) * 16) as i32)) as u32;
            for v in [63u32, TYPE_BIN, neg, 16] {
                data.extend_from_slice(&v.to_be_bytes());
            }
            let mut first = Vec::new();
            push(&mut first, 63, TYPE_BIN, trailer_at, 16);
            first.extend_from_slice(&index);
            index = first;
            il += 1;
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(il as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&index);
        out.extend_from_slice(&data);
        out
    }

    pub fn s(v: &str) -> Vec<u8> {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        b
    }

    pub fn sa(vs: &[&str]) -> Vec<u8> {
        vs.iter().flat_map(|v| s(v)).collect()
    }

    pub fn i32s(vs: &[u32]) -> Vec<u8> {
        vs.iter().flat_map(|v| v.to_be_bytes()).collect()
    }

    pub fn package(name: &str, version: &str, epoch: Option<u32>) -> Vec<u8> {
        let mut entries = vec![
            (TAG_NAME, TYPE_STRING, 1, s(name)),
            (TAG_VERSION, TYPE_STRING, 1, s(version)),
            (TAG_RELEASE, TYPE_STRING, 1, s("1")),
            (TAG_ARCH, TYPE_STRING, 1, s("x86_64")),
        ];
        if let Some(e) = epoch {
            entries.push((TAG_EPOCH, TYPE_INT32, 1, i32s(&[e])));
        }
        blob(&entries, true)
    }

    #[test]
    fn a_header_gives_name_version_arch_source_license_and_files() {
        let b = blob(
            &[
                (TAG_NAME, TYPE_STRING, 1, s("bash")),
                (TAG_VERSION, TYPE_STRING, 1, s("5.2.26")),
                (TAG_RELEASE, TYPE_STRING, 1, s("3.fc40")),
                (TAG_EPOCH, TYPE_INT32, 1, i32s(&[0])),
                (TAG_LICENSE, TYPE_STRING, 1, s("GPL-3.0-or-later")),
                (TAG_ARCH, TYPE_STRING, 1, s("x86_64")),
                (
                    TAG_SOURCERPM,
                    TYPE_STRING,
                    1,
                    s("bash-5.2.26-3.fc40.src.rpm"),
                ),
                (TAG_DIRINDEXES, TYPE_INT32, 3, i32s(&[0, 1, 0])),
                (
                    TAG_BASENAMES,
                    TYPE_STRING_ARRAY,
                    3,
                    sa(&["bash", "bash.1.gz", "sh"]),
                ),
                (
                    TAG_DIRNAMES,
                    TYPE_STRING_ARRAY,
                    2,
                    sa(&["/usr/bin/", "/usr/share/man/man1/"]),
                ),
            ],
            true,
        );
        let r = record(&b).unwrap();
        assert_eq!(r.ecosystem, Ecosystem::Rpm);
        assert_eq!(r.name, "bash");
        assert_eq!(r.version, "0:5.2.26-3.fc40");
        assert_eq!(r.arch.as_deref(), Some("x86_64"));
        assert_eq!(r.license.as_deref(), Some("GPL-3.0-or-later"));
        assert_eq!(r.source.as_deref(), Some("bash-5.2.26-3.fc40.src.rpm"));
        assert_eq!(
            r.files.iter().collect::<Vec<_>>(),
            ["usr/bin/bash", "usr/share/man/man1/bash.1.gz", "usr/bin/sh"]
        );
    }

    #[test]
    fn old_headers_list_whole_file_names_and_may_lack_a_region() {
        let b = blob(
            &[
                (TAG_NAME, TYPE_STRING, 1, s("gpg-pubkey")),
                (TAG_VERSION, TYPE_STRING, 1, s("db42a60e")),
                (TAG_RELEASE, TYPE_STRING, 1, s("37ea5438")),
                (TAG_SOURCERPM, TYPE_STRING, 1, s("(none)")),
                (
                    TAG_OLDFILENAMES,
                    TYPE_STRING_ARRAY,
                    2,
                    sa(&["/etc/a", "/etc/b/"]),
                ),
            ],
            false,
        );
        let r = record(&b).unwrap();
        assert_eq!(r.version, "db42a60e-37ea5438");
        assert_eq!((r.arch, r.source, r.license), (None, None, None));
        assert_eq!(r.files.iter().collect::<Vec<_>>(), ["etc/a", "etc/b"]);
    }

    #[test]
    fn a_later_entry_of_a_tag_overrides_an_earlier_one() {
        // Dribble entries (added at install time) follow the region's and win, as in rpm.
        let b = blob(
            &[
                (TAG_NAME, TYPE_STRING, 1, s("a")),
                (TAG_VERSION, TYPE_STRING, 1, s("1")),
                (TAG_VERSION, TYPE_STRING, 1, s("2")),
            ],
            true,
        );
        assert_eq!(record(&b).unwrap().version, "2-");
    }

    #[test]
    fn lying_headers_are_errors() {
        let good = package("a", "1", Some(1));
        assert_eq!(record(&good).unwrap().version, "1:1-1");
        // Every truncation.
        for n in 0..good.len() {
            assert!(record(&good[..n]).is_err(), "truncated to {n}");
        }
        // A huge index count, a huge data length.
        for (at, v) in [(0, u32::MAX), (0, 0x0fff_ffff), (4, u32::MAX), (0, 0)] {
            let mut b = good.clone();
            b[at..at + 4].copy_from_slice(&v.to_be_bytes());
            assert!(record(&b).is_err(), "field {at} = {v}");
        }
        // Each entry's offset, count and type made to lie.
        let il = u32::from_be_bytes([good[0], good[1], good[2], good[3]]) as usize;
        for i in 0..il {
            for (field, v) in [
                (1, 77),
                (1, TYPE_INT64),
                (2, 0x7fff_fff0),
                (2, 3),
                (3, 0x7fff_ffff),
            ] {
                let at = 8 + i * 16 + field * 4;
                let mut b = good.clone();
                b[at..at + 4].copy_from_slice(&v.to_be_bytes());
                let _ = record(&b); // must not panic; most are errors
            }
            let at = 8 + i * 16 + 8;
            let mut b = good.clone();
            b[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
            assert!(record(&b).is_err(), "entry {i} offset past the data");
        }
        // A string array claiming more strings than there are.
        let b = blob(
            &[
                (TAG_NAME, TYPE_STRING, 1, s("a")),
                (TAG_BASENAMES, TYPE_STRING_ARRAY, 1_000_000, sa(&["x"])),
            ],
            true,
        );
        assert!(record(&b).is_err());
        // Directory index out of range; counts that differ.
        let b = blob(
            &[
                (TAG_NAME, TYPE_STRING, 1, s("a")),
                (TAG_DIRINDEXES, TYPE_INT32, 1, i32s(&[5])),
                (TAG_BASENAMES, TYPE_STRING_ARRAY, 1, sa(&["x"])),
                (TAG_DIRNAMES, TYPE_STRING_ARRAY, 1, sa(&["/"])),
            ],
            true,
        );
        assert!(record(&b).is_err());
        // No name.
        assert!(record(&blob(&[(TAG_VERSION, TYPE_STRING, 1, s("1"))], true)).is_err());
        // A name of the wrong type.
        assert!(record(&blob(&[(TAG_NAME, TYPE_INT32, 1, i32s(&[1]))], true)).is_err());
    }

    #[test]
    fn one_directory_named_many_times_cannot_blow_up_the_file_list() {
        let long = format!("/{}/", "d".repeat(60_000));
        let n = 100_000;
        let b = blob(
            &[
                (TAG_NAME, TYPE_STRING, 1, s("a")),
                (TAG_DIRINDEXES, TYPE_INT32, n, i32s(&vec![0; n as usize])),
                (
                    TAG_BASENAMES,
                    TYPE_STRING_ARRAY,
                    n,
                    sa(&vec!["x"; n as usize]),
                ),
                (TAG_DIRNAMES, TYPE_STRING_ARRAY, 1, sa(&[&long])),
            ],
            true,
        );
        assert!(record(&b).unwrap_err().contains("file list larger"));
    }
}
