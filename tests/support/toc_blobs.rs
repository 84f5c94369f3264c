//! eStargz and zstd:chunked layer blobs written by a small generator that follows the
//! published layouts (eStargz: a gzip member per file chunk, the TOC's member holding a tar of
//! `stargz.index.json`, the 51-byte footer; zstd:chunked: a zstd frame per chunk, the TOC in a
//! skippable frame, the footer frame, the annotations), for the TOC readers' tests
//! (tests/toc.rs) and the registry ones (tests/toc_registry.rs).

use std::collections::HashMap;
use std::io::Write;

use serde_json::{json, Value};
use strata::blob::toc::estargz;
use strata::model::digest::Digest;

use super::noise;

pub const MTIME: u64 = 1_700_000_000;

/// One entry the generator writes: name as in the tar, type flag, content or link target.
#[derive(Clone)]
pub struct Item {
    pub name: String,
    pub kind: tar::EntryType,
    pub data: Vec<u8>,
    pub link: Option<String>,
}

pub fn item(name: &str, kind: tar::EntryType, data: &[u8], link: Option<&str>) -> Item {
    Item {
        name: name.into(),
        kind,
        data: data.to_vec(),
        link: link.map(Into::into),
    }
}

/// A layer with every kind the readers must tell apart: directories, small and chunked files,
/// an empty file, links, a device, a whiteout and an opaque marker.
pub fn sample() -> Vec<Item> {
    use tar::EntryType as T;
    vec![
        item("etc/", T::Directory, b"", None),
        item(
            "etc/passwd",
            T::Regular,
            b"root:x:0:0:root:/root:/bin/sh\n",
            None,
        ),
        item("etc/empty", T::Regular, b"", None),
        item("./usr/bin/big", T::Regular, &noise(7, 10_000), None),
        item("usr/bin/zeros", T::Regular, &[0u8; 5000], None),
        item("usr/bin/sh", T::Symlink, b"", Some("/bin/busybox")),
        item("usr/bin/sh2", T::Link, b"", Some("usr/bin/big")),
        item("dev/null", T::Char, b"", None),
        item("etc/.wh.old", T::Regular, b"", None),
        item("var/.wh..wh..opq", T::Regular, b"", None),
    ]
}

pub fn header(it: &Item) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_path(&it.name).unwrap();
    h.set_entry_type(it.kind);
    h.set_size(it.data.len() as u64);
    h.set_mode(if it.kind == tar::EntryType::Directory {
        0o755
    } else {
        0o644
    });
    h.set_uid(1000);
    h.set_gid(1000);
    h.set_mtime(MTIME);
    if let Some(l) = &it.link {
        h.set_link_name(l).unwrap();
    }
    if it.kind == tar::EntryType::Char {
        h.set_device_major(1).unwrap();
        h.set_device_minor(3).unwrap();
    }
    h.set_cksum();
    h
}

pub fn toc_type(kind: tar::EntryType) -> &'static str {
    use tar::EntryType as T;
    match kind {
        T::Directory => "dir",
        T::Symlink => "symlink",
        T::Link => "hardlink",
        T::Char => "char",
        T::Block => "block",
        T::Fifo => "fifo",
        _ => "reg",
    }
}

/// The TOC record of an entry's metadata (offsets added by each writer).
pub fn record(it: &Item, h: &tar::Header) -> serde_json::Map<String, Value> {
    let mut r = serde_json::Map::new();
    r.insert("name".into(), json!(it.name));
    r.insert("type".into(), json!(toc_type(it.kind)));
    r.insert("mode".into(), json!(h.mode().unwrap()));
    r.insert("uid".into(), json!(1000));
    r.insert("gid".into(), json!(1000));
    r.insert("modtime".into(), json!("2023-11-14T22:13:20Z")); // MTIME
    if !it.data.is_empty() {
        r.insert("size".into(), json!(it.data.len()));
    }
    if let Some(l) = &it.link {
        r.insert("linkName".into(), json!(l));
    }
    if it.kind == tar::EntryType::Char {
        r.insert("devMajor".into(), json!(1));
        r.insert("devMinor".into(), json!(3));
    }
    r
}

pub fn sha(data: &[u8]) -> String {
    Digest::of(data).to_string()
}

pub fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn zst(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

/// A generated blob, what a descriptor would say of it, and its uncompressed tar.
pub struct Blob {
    pub bytes: Vec<u8>,
    pub toc_digest: String,
    pub annotations: HashMap<String, String>,
}

pub const CHUNK: usize = 4096;

/// An eStargz blob of `items` (files in chunks of `CHUNK` bytes); `edit` may change the TOC
/// before it is written (hostile cases).
pub fn estargz_blob(items: &[Item], edit: impl FnOnce(&mut Value)) -> Blob {
    let mut blob = Vec::new();
    let mut member = Vec::new(); // uncompressed bytes of the gzip member being written
    let mut entries = Vec::new();
    for it in items {
        let h = header(it);
        member.extend_from_slice(h.as_bytes());
        let mut rec = record(it, &h);
        if it.kind == tar::EntryType::Regular && !it.data.is_empty() {
            rec.insert("digest".into(), json!(sha(&it.data)));
            let chunks: Vec<&[u8]> = it.data.chunks(CHUNK).collect();
            for (i, c) in chunks.iter().enumerate() {
                blob.extend(gz(&std::mem::take(&mut member)));
                let mut r = if i == 0 {
                    std::mem::take(&mut rec)
                } else {
                    let mut r = serde_json::Map::new();
                    r.insert("name".into(), json!(it.name));
                    r.insert("type".into(), json!("chunk"));
                    r
                };
                r.insert("offset".into(), json!(blob.len()));
                r.insert("chunkOffset".into(), json!(i * CHUNK));
                if chunks.len() > 1 && i + 1 < chunks.len() {
                    r.insert("chunkSize".into(), json!(c.len()));
                }
                r.insert("chunkDigest".into(), json!(sha(c)));
                entries.push(Value::Object(r));
                member.extend_from_slice(c);
            }
            member.resize(member.len().div_ceil(512) * 512, 0);
        } else {
            entries.push(Value::Object(rec));
        }
    }
    blob.extend(gz(&member));
    let mut toc = json!({"version": 1, "entries": entries});
    edit(&mut toc);
    let toc_json = serde_json::to_vec_pretty(&toc).unwrap();
    let toc_offset = blob.len();
    let mut h = tar::Header::new_ustar();
    h.set_path(estargz::TOC_TAR_NAME).unwrap();
    h.set_size(toc_json.len() as u64);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mode(0o644);
    h.set_cksum();
    let mut toc_tar = h.as_bytes().to_vec();
    toc_tar.extend_from_slice(&toc_json);
    toc_tar.resize(toc_tar.len().div_ceil(512) * 512 + 1024, 0);
    blob.extend(gz(&toc_tar));
    blob.extend(estargz_footer(toc_offset as u64));
    Blob {
        bytes: blob,
        toc_digest: sha(&toc_json),
        annotations: HashMap::new(),
    }
}

/// The 51-byte footer of `docs/estargz.md`.
pub fn estargz_footer(toc_offset: u64) -> Vec<u8> {
    let mut f = vec![
        0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 26, 0, b'S', b'G', 22, 0,
    ];
    f.extend_from_slice(format!("{toc_offset:016x}STARGZ").as_bytes());
    f.extend_from_slice(&[1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(f.len(), 51);
    f
}

pub fn skippable(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x50, 0x2a, 0x4d, 0x18];
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    out
}

/// A zstd:chunked blob of `items` (files in chunks of `CHUNK` bytes, each its own frame),
/// with the newer 64-byte footer or the older 40-byte one.
pub fn zstd_chunked_blob(items: &[Item], new_footer: bool, edit: impl FnOnce(&mut Value)) -> Blob {
    let mut blob = Vec::new();
    let mut pending = Vec::new(); // tar headers and padding not yet in a frame
    let mut entries = Vec::new();
    for it in items {
        let h = header(it);
        pending.extend_from_slice(h.as_bytes());
        let mut rec = record(it, &h);
        if it.kind == tar::EntryType::Regular && !it.data.is_empty() {
            blob.extend(zst(&std::mem::take(&mut pending)));
            rec.insert("digest".into(), json!(sha(&it.data)));
            rec.insert("offset".into(), json!(blob.len()));
            let chunks: Vec<&[u8]> = it.data.chunks(CHUNK).collect();
            let mut records = vec![];
            for (i, c) in chunks.iter().enumerate() {
                let mut r = serde_json::Map::new();
                r.insert("offset".into(), json!(blob.len()));
                r.insert("chunkOffset".into(), json!(i * CHUNK));
                r.insert("chunkSize".into(), json!(c.len()));
                r.insert("chunkDigest".into(), json!(sha(c)));
                records.push(r);
                blob.extend(zst(c));
            }
            rec.insert("endOffset".into(), json!(blob.len()));
            if chunks.len() > 1 {
                for (i, r) in records.into_iter().enumerate() {
                    if i == 0 {
                        rec.extend(r);
                        entries.push(Value::Object(std::mem::take(&mut rec)));
                    } else {
                        let mut c = r;
                        c.insert("name".into(), json!(it.name));
                        c.insert("type".into(), json!("chunk"));
                        entries.push(Value::Object(c));
                    }
                }
            } else {
                entries.push(Value::Object(rec));
            }
            pending.resize(it.data.len().div_ceil(512) * 512 - it.data.len(), 0);
        } else {
            entries.push(Value::Object(rec));
        }
    }
    pending.extend_from_slice(&[0u8; 1024]);
    blob.extend(zst(&pending));
    let mut toc = json!({"version": 1, "entries": entries});
    edit(&mut toc);
    let toc_json = serde_json::to_vec(&toc).unwrap();
    let compressed = zst(&toc_json);
    let offset = blob.len() as u64 + 8;
    blob.extend(skippable(&compressed));
    let words = [offset, compressed.len() as u64, toc_json.len() as u64, 1];
    let mut footer: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    if new_footer {
        // No tar-split here: its position words are zero.
        footer.extend_from_slice(&[0u8; 24]);
        footer.extend_from_slice(b"GNUlInUx");
    } else {
        footer.extend_from_slice(b"GnUlInUx");
    }
    blob.extend(skippable(&footer));
    let prefix = if new_footer {
        "io.github.containers"
    } else {
        "io.containers"
    };
    let annotations = HashMap::from([
        (
            format!("{prefix}.zstd-chunked.manifest-position"),
            format!("{offset}:{}:{}:1", compressed.len(), toc_json.len()),
        ),
        (
            format!("{prefix}.zstd-chunked.manifest-checksum"),
            sha(&compressed),
        ),
    ]);
    Blob {
        bytes: blob,
        toc_digest: sha(&compressed),
        annotations,
    }
}
