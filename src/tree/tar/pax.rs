//! Extension headers: PAX records (`x`) and GNU long names and link targets (`L`, `K`), whose
//! values apply to the next real entry and win over its header's fields.
//!
//! PAX records are split by the length each one starts with, as POSIX and Go read them, not at
//! newlines as the tar crate does: a binary xattr value may hold a `\n`. A record that does not
//! parse ends the list, and values that are not numbers are dropped, never an error: an
//! extension header this walker does not understand must not cost the user the layer.

use super::sparse::PaxSparse;

/// Extension-header values that apply to the next real entry.
#[derive(Debug, Default)]
pub(super) struct Extensions {
    pub path: Option<Vec<u8>>,
    pub link: Option<Vec<u8>>,
    pub size: Option<u64>,
    pub uid: Option<u64>,
    pub gid: Option<u64>,
    pub mtime: Option<u64>,
    pub sparse: Option<PaxSparse>,
}

impl Extensions {
    /// Applies PAX records (`"<len> <key>=<value>\n"`), each delimited by its length.
    pub(super) fn apply_pax(&mut self, data: &[u8]) {
        for (key, value) in pax_records(data) {
            let number = || {
                std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.split('.').next())
                    .and_then(|v| v.parse::<u64>().ok())
            };
            match key {
                b"path" => self.path = Some(value.to_vec()),
                b"linkpath" => self.link = Some(value.to_vec()),
                b"size" => self.size = number(),
                b"uid" => self.uid = number(),
                b"gid" => self.gid = number(),
                b"mtime" => self.mtime = number(),
                // GNU tar's sparse files: 0.1 (`map`, `size`) and 1.0 (`major`, `realsize`,
                // the map in the data). `name` is the file's real path.
                b"GNU.sparse.name" => self.path = Some(value.to_vec()),
                b"GNU.sparse.major" => self.sparse.get_or_insert_default().major = number(),
                b"GNU.sparse.realsize" | b"GNU.sparse.size" => {
                    self.sparse.get_or_insert_default().real_size = number()
                }
                b"GNU.sparse.map" => {
                    self.sparse.get_or_insert_default().map = std::str::from_utf8(value)
                        .ok()
                        .and_then(|v| v.split(',').map(|n| n.trim().parse().ok()).collect())
                }
                _ => {}
            }
        }
    }
}

/// Splits PAX extended-header data into `(key, value)` records; stops at the first record
/// that does not parse.
fn pax_records(mut data: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let Some(space) = data.iter().position(|&b| b == b' ') else {
            break;
        };
        let Some(len) = std::str::from_utf8(&data[..space])
            .ok()
            .and_then(|l| l.parse::<usize>().ok())
        else {
            break;
        };
        if len <= space + 1 || len > data.len() {
            break;
        }
        let record = &data[space + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(eq) = record.iter().position(|&b| b == b'=') {
            out.push((&record[..eq], &record[eq + 1..]));
        }
        data = &data[len..];
    }
    out
}

/// A GNU long name or link target: the NULs GNU tar pads it with are not part of it.
pub(super) fn trim_nul(mut v: Vec<u8>) -> Vec<u8> {
    while v.last() == Some(&0) {
        v.pop();
    }
    v
}

#[cfg(test)]
mod tests {
    use super::super::testing::{pax_record, tar_of};
    use super::super::{read_layer, Limits};
    use super::*;
    use ::tar::EntryType;

    #[test]
    fn pax_records_are_split_by_length_not_by_newline() {
        let long = "usr/lib/python3/dist-packages/a-rather-long-directory-name/tests/reshape/__pycache__/module.cpython-311.pyc";
        let xattr = b"SCHILY.xattr.user.overlay.origin=\x00\xfb\n\x9f\n";
        let mut pax = Vec::new();
        for rec in [xattr.to_vec(), format!("path={long}").into_bytes()] {
            // "<len> <rec>\n" where len counts itself.
            let mut len = rec.len() + 3;
            if len.to_string().len() + rec.len() + 2 != len {
                len += 1;
            }
            pax.extend(format!("{len} ").into_bytes());
            pax.extend(rec);
            pax.push(b'\n');
        }
        let mut t = tar_of(&[("PaxHeaders/x", EntryType::XHeader, &pax)]);
        t.truncate(t.len() - 1024);
        t.extend(tar_of(&[(&long[..99], EntryType::Regular, b"data")]));
        let tree = read_layer(&t[..], &Limits::default()).unwrap();
        assert_eq!(tree.entries.len(), 1);
        assert_eq!(&*tree.entries[0].path, long);
        assert_eq!(tree.header_bytes, 4);
    }

    #[test]
    fn owner_time_and_link_records_win_and_a_broken_record_ends_the_list() {
        let mut data: Vec<u8> = [
            ("uid", "70000"),
            ("gid", "5"),
            ("mtime", "1700000000.123456"),
            ("linkpath", "target"),
        ]
        .iter()
        .flat_map(|(k, v)| pax_record(k, v))
        .collect();
        data.extend_from_slice(b"99 path=never-read\n");
        let mut ext = Extensions::default();
        ext.apply_pax(&data);
        assert_eq!(
            (ext.uid, ext.gid, ext.mtime, ext.link.as_deref(), ext.path),
            (
                Some(70_000),
                Some(5),
                Some(1_700_000_000),
                Some(&b"target"[..]),
                None
            )
        );
        assert_eq!(trim_nul(b"long/name\0\0".to_vec()), b"long/name");
    }
}
