//! Tars written header by header for the walker's tests, so names can be absolute,
//! `./`-prefixed or not UTF-8 as real layers have them (the tar crate's builder refuses those).

use ::tar::EntryType;

/// A tar of `entries` (name, type, content), ended by the end-of-archive marker.
pub(super) fn tar_of(entries: &[(&str, EntryType, &[u8])]) -> Vec<u8> {
    let raw: Vec<(&[u8], EntryType, &[u8])> = entries
        .iter()
        .map(|(p, t, d)| (p.as_bytes(), *t, *d))
        .collect();
    tar_of_bytes(&raw)
}

/// Like `tar_of`, with names as raw bytes (non-UTF-8, NUL...).
pub(super) fn tar_of_bytes(entries: &[(&[u8], EntryType, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (path, t, data) in entries {
        let mut h = ::tar::Header::new_gnu();
        h.as_old_mut().name[..path.len()].copy_from_slice(path);
        h.set_entry_type(*t);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// A header block for `name` of `kind`, with `size` in its size field.
pub(super) fn header(name: &str, kind: EntryType, size: u64) -> ::tar::Header {
    let mut h = ::tar::Header::new_gnu();
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_cksum();
    h
}

/// One PAX record, `"<len> <key>=<value>\n"`, its length counting itself.
pub(super) fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while len.to_string().len() + body.len() != len {
        len += 1;
    }
    format!("{len}{body}").into_bytes()
}

/// `data` padded with zeros to whole 512-byte blocks.
pub(super) fn block_padded(mut data: Vec<u8>) -> Vec<u8> {
    data.resize(data.len().div_ceil(512) * 512, 0);
    data
}

/// A PAX header of `records`, then the file `name` holding `data` (no end marker).
pub(super) fn pax_file(records: &[(&str, &str)], name: &str, data: &[u8]) -> Vec<u8> {
    let records: Vec<u8> = records.iter().flat_map(|(k, v)| pax_record(k, v)).collect();
    let mut t = header("PaxHeaders/x", EntryType::XHeader, records.len() as u64)
        .as_bytes()
        .to_vec();
    t.extend(block_padded(records));
    t.extend_from_slice(header(name, EntryType::Regular, data.len() as u64).as_bytes());
    t.extend(block_padded(data.to_vec()));
    t
}
