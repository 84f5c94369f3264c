//! `rpmdb.sqlite` (rpm 4.16 and later: Fedora 33+, RHEL/UBI 9, Amazon Linux 2023, CBL-Mariner
//! 2): the table `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`, one header blob per row,
//! plus the committed pages of a `rpmdb.sqlite-wal` beside it, read from bytes in memory.
//!
//! A small read-only reader of SQLite's file format (https://www.sqlite.org/fileformat2.html):
//! the header, `sqlite_schema` on page 1 to find the table's root page, interior and leaf
//! table b-tree pages, overflow chains, record varints, and the WAL (section 4) whose
//! committed frames override the main file's pages. No SQL, no indexes, no writes.
//!
//! Why not a crate (measured on this 2-core machine, 2026-12):
//! - rusqlite 0.39 with `bundled` + `serialize` (`sqlite3_deserialize`) adds 61 s to a clean
//!   build with the project's test profile (dependencies at -O2; 70 s in release), nearly all
//!   of it one serial C compile of sqlite3.c; its current release (0.43) needs Rust 1.89
//!   (strata's floor is 1.88). And it does not do the job alone: every rpm sqlite database is
//!   in WAL mode (header bytes 18-19 = 2), and a deserialized WAL-mode database fails its
//!   first query with "unable to open database file" until those bytes are patched to 1
//!   (tried on `scripts/rpm-fixture.sh`'s database); in-memory databases never read a -wal
//!   file, so the WAL overlay below would be hand-written anyway. The b-tree walk it would
//!   replace is the smaller half of this file, and C code is invisible to the fuzzer.
//! - Pure-Rust readers: `sqlite_wasm_reader` 0.3 opens paths only (no byte-slice API) and
//!   panics on bad input (`unwrap`); `graphitesql` 0.1 is a young 110k-line reimplementation
//!   of all of SQLite needing Rust 1.89; `sqlite-rs` is unfinished (yanked releases).
//! - The `rpmdb` crate (0.1.1) reads through rusqlite from a path, so no -wal from memory.
//!
//! Bounds: every page is visited at most once per tree (a page met twice is a loop: an error,
//! never a hang), the walk keeps its own stack (no recursion), and the payload bytes put
//! together over the whole read may not exceed the input's size (in a sound file each
//! payload byte is stored once), so a claimed payload size never allocates more than that.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};

use super::Each;
use crate::model::packages::Record;

const MAGIC: &[u8; 16] = b"SQLite format 3\0";
const HEADER_BYTES: usize = 100;
const WAL_HEADER_BYTES: usize = 32;
const WAL_FRAME_HEADER_BYTES: usize = 24;

const INTERIOR_TABLE: u8 = 0x05;
const LEAF_TABLE: u8 = 0x0d;

/// The packages of an rpm sqlite database, in `hnum` order. With `wal`, the pages of its
/// committed transactions are read instead of the main file's, as SQLite would read them.
pub fn sqlite(db: &[u8], wal: Option<&[u8]>) -> Result<Vec<Record>, String> {
    super::records(|each| blobs(db, wal, each))
}

/// Calls `each` with every header blob, in `hnum` order.
pub(super) fn blobs(db: &[u8], wal: Option<&[u8]>, each: &mut Each) -> Result<(), String> {
    let file = File::open(db, wal)?;
    let root = file.table_root("Packages")?;
    file.walk(root, &mut |rowid, payload| {
        let columns = columns(&payload)?;
        // hnum is the rowid (an INTEGER PRIMARY KEY is stored as NULL); the blob follows.
        match columns.get(1) {
            Some(Value::Bytes(blob)) => each(blob).map_err(|e| format!("package {rowid}: {e}")),
            _ => Err(format!("package {rowid}: no header blob")),
        }
    })
}

struct File<'a> {
    main: &'a [u8],
    page_size: usize,
    /// Bytes of each page b-trees may use (the page less its reserved tail).
    usable: usize,
    /// The database's size in pages (the last commit's, when a WAL has one).
    pages: u32,
    /// Committed page images from the WAL, by page number.
    wal: HashMap<u32, &'a [u8]>,
    /// Payload bytes that may still be put together (see the module comment).
    budget: Cell<usize>,
}

impl<'a> File<'a> {
    fn open(main: &'a [u8], wal: Option<&'a [u8]>) -> Result<File<'a>, String> {
        if main.len() < HEADER_BYTES || &main[..16] != MAGIC {
            return Err("not an SQLite database".into());
        }
        let page_size = match u16::from_be_bytes([main[16], main[17]]) {
            1 => 65536,
            n => usize::from(n),
        };
        if !page_size.is_power_of_two() || page_size < 512 {
            return Err(format!("SQLite page size {page_size} is invalid"));
        }
        let usable = page_size - usize::from(main[20]);
        if usable < 480 {
            return Err("SQLite reserves too much of each page".into());
        }
        // The header's size is trusted only when written by a version that keeps it (the
        // change counter and the "version valid for" field agree), as SQLite does.
        let in_header = be32(main, 28).unwrap_or(0);
        let mut pages = if in_header != 0 && be32(main, 24) == be32(main, 92) {
            in_header
        } else {
            u32::try_from(main.len() / page_size).unwrap_or(u32::MAX)
        };
        let mut committed = HashMap::new();
        if let Some(wal) = wal {
            if let Some((frames, size)) = wal_frames(wal, page_size)? {
                committed = frames;
                pages = size;
            }
        }
        Ok(File {
            main,
            page_size,
            usable,
            pages,
            wal: committed,
            budget: Cell::new(main.len().saturating_add(wal.map_or(0, <[u8]>::len))),
        })
    }

    fn page(&self, n: u32) -> Result<&'a [u8], String> {
        if n == 0 || n > self.pages {
            return Err(format!(
                "page {n} outside the database ({} pages)",
                self.pages
            ));
        }
        if let Some(page) = self.wal.get(&n) {
            return Ok(page);
        }
        (n as usize - 1)
            .checked_mul(self.page_size)
            .and_then(|start| self.main.get(start..start.checked_add(self.page_size)?))
            .ok_or_else(|| format!("page {n} past the end of the file"))
    }

    /// The root page of the rowid table `name`, from `sqlite_schema`.
    fn table_root(&self, name: &str) -> Result<u32, String> {
        let mut root = None;
        self.walk(1, &mut |_, payload| {
            let columns = columns(&payload)?;
            let text = |i: usize| match columns.get(i) {
                Some(Value::Bytes(b)) => *b,
                _ => b"",
            };
            if root.is_none()
                && text(0) == b"table"
                && text(1).eq_ignore_ascii_case(name.as_bytes())
            {
                root = match columns.get(3) {
                    Some(&Value::Int(n)) => u32::try_from(n).ok().filter(|&n| n > 0),
                    _ => None,
                };
                if root.is_none() {
                    return Err(format!("table {name} has no root page"));
                }
            }
            Ok(())
        })?;
        root.ok_or_else(|| format!("no {name} table"))
    }

    /// Calls `each` with every row (rowid, payload) of the table b-tree rooted at `root`, in
    /// rowid order.
    fn walk(
        &self,
        root: u32,
        each: &mut dyn FnMut(i64, Vec<u8>) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut seen = HashSet::new();
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                return Err(format!("page {n} is reached twice: the b-tree loops"));
            }
            let page = &self.page(n)?[..self.usable];
            let at = if n == 1 { HEADER_BYTES } else { 0 };
            let kind = *page.get(at).ok_or("page too small")?;
            let cells = usize::from(be16(page, at + 3).ok_or("page too small")?);
            let pointers = at + if kind == INTERIOR_TABLE { 12 } else { 8 };
            let cell_at = |i: usize| -> Result<usize, String> {
                let p =
                    usize::from(be16(page, pointers + 2 * i).ok_or("cell pointers past the page")?);
                if p < pointers + 2 * cells || p >= page.len() {
                    return Err(format!("page {n}: cell {i} points outside the cell area"));
                }
                Ok(p)
            };
            match kind {
                INTERIOR_TABLE => {
                    stack.push(be32(page, at + 8).ok_or("page too small")?);
                    for i in (0..cells).rev() {
                        let p = cell_at(i)?;
                        stack.push(be32(page, p).ok_or("cell past the page")?);
                    }
                }
                LEAF_TABLE => {
                    for i in 0..cells {
                        let p = cell_at(i)?;
                        let (len, used) = varint(page, p).ok_or("cell past the page")?;
                        let (rowid, used2) = varint(page, p + used).ok_or("cell past the page")?;
                        let payload = self.payload(page, p + used + used2, len)?;
                        each(rowid as i64, payload)?;
                    }
                }
                other => return Err(format!("page {n} is of type {other}, not a table page")),
            }
        }
        Ok(())
    }

    /// A table leaf cell's payload of `len` bytes starting at `at`, with its overflow pages.
    fn payload(&self, page: &[u8], at: usize, len: u64) -> Result<Vec<u8>, String> {
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= self.budget.get())
            .ok_or_else(|| format!("a row claims {len} bytes, more than the file holds"))?;
        self.budget.set(self.budget.get() - len);
        // How much of the payload stays on the leaf page (fileformat2 section 1.6).
        let u = self.usable;
        let max_local = u - 35;
        let local = if len <= max_local {
            len
        } else {
            let min_local = (u - 12) * 32 / 255 - 23;
            let k = min_local + (len - min_local) % (u - 4);
            if k <= max_local {
                k
            } else {
                min_local
            }
        };
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(page.get(at..at + local).ok_or("payload past its page")?);
        if local == len {
            return Ok(out);
        }
        let mut next = be32(page, at + local).ok_or("overflow pointer past its page")?;
        let mut seen = HashSet::new();
        while out.len() < len {
            if next == 0 {
                return Err("overflow chain ends before its payload".into());
            }
            if !seen.insert(next) {
                return Err(format!("overflow chain loops at page {next}"));
            }
            let overflow = self.page(next)?;
            let take = (u - 4).min(len - out.len());
            out.extend_from_slice(&overflow[4..4 + take]);
            next = be32(overflow, 0).unwrap_or(0);
        }
        Ok(out)
    }
}

/// The committed page images of a WAL file and the database size (in pages) its last commit
/// states, or `None` when it has no valid header or no committed transaction: SQLite then
/// reads the main file alone. Frames are read as SQLite's recovery reads them: in order,
/// while their salts match the header's and their cumulative checksums hold; the frames
/// after the last commit frame belong to an unfinished transaction and are left out.
#[allow(clippy::type_complexity)]
fn wal_frames(wal: &[u8], page_size: usize) -> Result<Option<(HashMap<u32, &[u8]>, u32)>, String> {
    let Some(header) = wal.get(..WAL_HEADER_BYTES) else {
        return Ok(None);
    };
    let magic = be32(header, 0).unwrap_or(0);
    if magic & !1 != 0x377f_0682 || be32(header, 4) != Some(3_007_000) {
        return Ok(None);
    }
    let big_endian = magic & 1 == 1;
    let sum = checksum(big_endian, (0, 0), &header[..24]);
    if Some(sum.0) != be32(header, 24) || Some(sum.1) != be32(header, 28) {
        return Ok(None);
    }
    let wal_page = be32(header, 8).unwrap_or(0) as usize;
    if wal_page != page_size {
        return Err(format!(
            "WAL page size {wal_page} differs from the database's {page_size}"
        ));
    }
    let salt = &header[16..24];
    let frame_bytes = WAL_FRAME_HEADER_BYTES + page_size;
    let mut sum = sum;
    let mut pending = HashMap::new();
    let mut committed = HashMap::new();
    let mut size = None;
    for frame in wal[WAL_HEADER_BYTES..].chunks_exact(frame_bytes) {
        let (head, data) = frame.split_at(WAL_FRAME_HEADER_BYTES);
        let page = be32(head, 0).unwrap_or(0);
        if page == 0 || &head[8..16] != salt {
            break;
        }
        sum = checksum(big_endian, checksum(big_endian, sum, &head[..8]), data);
        if Some(sum.0) != be32(head, 16) || Some(sum.1) != be32(head, 20) {
            break;
        }
        pending.insert(page, data);
        let commit = be32(head, 4).unwrap_or(0);
        if commit != 0 {
            committed.extend(pending.drain());
            size = Some(commit);
        }
    }
    Ok(size.map(|size| (committed, size)))
}

/// SQLite's WAL checksum (fileformat2 section 4.3), continued from `(s0, s1)` over `data`
/// (a multiple of 8 bytes), its words in the byte order the WAL magic names.
fn checksum(big_endian: bool, (mut s0, mut s1): (u32, u32), data: &[u8]) -> (u32, u32) {
    let word = |b: &[u8]| {
        let w = [b[0], b[1], b[2], b[3]];
        if big_endian {
            u32::from_be_bytes(w)
        } else {
            u32::from_le_bytes(w)
        }
    };
    for pair in data.chunks_exact(8) {
        s0 = s0.wrapping_add(word(&pair[..4])).wrapping_add(s1);
        s1 = s1.wrapping_add(word(&pair[4..])).wrapping_add(s0);
    }
    (s0, s1)
}

/// One column of a record, as far as this reader cares.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value<'a> {
    Null,
    Int(i64),
    Float,
    /// A BLOB or TEXT.
    Bytes(&'a [u8]),
}

/// The columns of a record (fileformat2 section 2.1).
fn columns(payload: &[u8]) -> Result<Vec<Value<'_>>, String> {
    let (header_len, mut at) = varint(payload, 0).ok_or("record header past the payload")?;
    let header_len = usize::try_from(header_len)
        .ok()
        .filter(|&h| h >= at && h <= payload.len())
        .ok_or("record header past the payload")?;
    let mut body = header_len;
    let mut out = Vec::new();
    while at < header_len {
        let (serial, used) = varint(&payload[..header_len], at).ok_or("record header cut")?;
        at += used;
        let size = match serial {
            0 | 8 | 9 => 0,
            1..=4 => serial as usize,
            5 => 6,
            6 | 7 => 8,
            10 | 11 => return Err("record uses a reserved serial type".into()),
            n => usize::try_from((n - 12) / 2).map_err(|_| "record field too large")?,
        };
        let bytes = body
            .checked_add(size)
            .and_then(|end| payload.get(body..end))
            .ok_or("record field past the payload")?;
        body += size;
        out.push(match serial {
            0 => Value::Null,
            8 => Value::Int(0),
            9 => Value::Int(1),
            1..=6 => {
                // Big-endian two's complement of 1-8 bytes.
                let mut v: i64 = if bytes[0] & 0x80 != 0 { -1 } else { 0 };
                for &b in bytes {
                    v = (v << 8) | i64::from(b);
                }
                Value::Int(v)
            }
            7 => Value::Float,
            _ => Value::Bytes(bytes),
        });
    }
    Ok(out)
}

/// SQLite's varint: 1-9 bytes, big-endian 7-bit groups, the ninth byte whole.
fn varint(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for i in 0..9 {
        let b = *bytes.get(at + i)?;
        if i == 8 {
            return Some(((v << 8) | u64::from(b), 9));
        }
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::packages::rpm::header::tests::package;

    const PS: usize = 512;

    fn put_varint(v: u64) -> Vec<u8> {
        if v > 0x00ff_ffff_ffff_ffff {
            let mut out: Vec<u8> = (0..8)
                .map(|i| ((v >> (8 + 7 * (7 - i))) as u8 & 0x7f) | 0x80)
                .collect();
            out.push(v as u8);
            return out;
        }
        let mut groups = Vec::new();
        let mut x = v;
        loop {
            groups.push((x & 0x7f) as u8);
            x >>= 7;
            if x == 0 {
                break;
            }
        }
        groups.reverse();
        let last = groups.len() - 1;
        for g in &mut groups[..last] {
            *g |= 0x80;
        }
        groups
    }

    enum Col<'a> {
        Int(u8),
        Text(&'a str),
        Blob(&'a [u8]),
    }

    fn record(cols: &[Col]) -> Vec<u8> {
        let mut head = Vec::new();
        let mut body = Vec::new();
        for c in cols {
            match c {
                Col::Int(n) => {
                    head.push(1);
                    body.push(*n);
                }
                Col::Text(t) => {
                    head.extend(put_varint(13 + 2 * t.len() as u64));
                    body.extend_from_slice(t.as_bytes());
                }
                Col::Blob(b) => {
                    head.extend(put_varint(12 + 2 * b.len() as u64));
                    body.extend_from_slice(b);
                }
            }
        }
        let mut out = put_varint(head.len() as u64 + 1);
        out.extend(head);
        out.extend(body);
        out
    }

    fn cell(rowid: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = put_varint(payload.len() as u64);
        out.extend(put_varint(rowid));
        out.extend_from_slice(payload);
        out
    }

    fn schema(root: u8) -> Vec<u8> {
        cell(
            1,
            &record(&[
                Col::Text("table"),
                Col::Text("Packages"),
                Col::Text("Packages"),
                Col::Int(root),
                Col::Text("CREATE TABLE Packages(hnum INTEGER PRIMARY KEY, blob BLOB)"),
            ]),
        )
    }

    /// A b-tree page: `right` makes it an interior page.
    fn page(first: bool, cells: &[Vec<u8>], right: Option<u32>) -> Vec<u8> {
        let mut p = vec![0; PS];
        let h = if first { HEADER_BYTES } else { 0 };
        p[h] = if right.is_some() {
            INTERIOR_TABLE
        } else {
            LEAF_TABLE
        };
        p[h + 3..h + 5].copy_from_slice(&(cells.len() as u16).to_be_bytes());
        let pointers = h + if let Some(r) = right {
            p[h + 8..h + 12].copy_from_slice(&r.to_be_bytes());
            12
        } else {
            8
        };
        let mut end = PS;
        for (i, c) in cells.iter().enumerate() {
            end -= c.len();
            p[end..end + c.len()].copy_from_slice(c);
            p[pointers + 2 * i..pointers + 2 * i + 2].copy_from_slice(&(end as u16).to_be_bytes());
        }
        p[h + 5..h + 7].copy_from_slice(&(end as u16).to_be_bytes());
        p
    }

    fn interior_cell(child: u32, key: u64) -> Vec<u8> {
        let mut out = child.to_be_bytes().to_vec();
        out.extend(put_varint(key));
        out
    }

    fn file(pages: &[Vec<u8>]) -> Vec<u8> {
        let mut out: Vec<u8> = pages.concat();
        out[..16].copy_from_slice(MAGIC);
        out[16..18].copy_from_slice(&(PS as u16).to_be_bytes());
        out[18] = 1;
        out[19] = 1;
        out[21..24].copy_from_slice(&[64, 32, 32]);
        out[24..28].copy_from_slice(&1u32.to_be_bytes());
        out[28..32].copy_from_slice(&(pages.len() as u32).to_be_bytes());
        out[44..48].copy_from_slice(&4u32.to_be_bytes());
        out[56..60].copy_from_slice(&1u32.to_be_bytes());
        out[92..96].copy_from_slice(&1u32.to_be_bytes());
        out
    }

    fn one_package() -> Vec<u8> {
        let blob = package("a", "1", None);
        let row = cell(7, &record(&[Col::Blob(&[]), Col::Blob(&blob)]));
        file(&[page(true, &[schema(2)], None), page(false, &[row], None)])
    }

    #[test]
    fn a_built_database_reads() {
        let records = sqlite(&one_package(), None).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].name, "a");
    }

    #[test]
    fn no_packages_table_is_an_error() {
        let db = file(&[page(true, &[], None)]);
        assert_eq!(sqlite(&db, None).unwrap_err(), "no Packages table");
        assert!(sqlite(b"SQLite format 3\0", None).is_err());
        assert!(sqlite(&[0; 4096], None).is_err());
    }

    #[test]
    fn page_loops_are_errors_not_hangs() {
        // The table's root page is an interior page pointing at itself...
        let db = file(&[page(true, &[schema(2)], None), page(false, &[], Some(2))]);
        assert!(sqlite(&db, None).unwrap_err().contains("loops"));
        // ...or at the page that points back at it, or at the schema page.
        let db = file(&[
            page(true, &[schema(2)], None),
            page(false, &[interior_cell(3, 1)], Some(3)),
            page(false, &[], Some(2)),
        ]);
        assert!(sqlite(&db, None).unwrap_err().contains("loops"));
        let db = file(&[page(true, &[schema(1)], None)]);
        assert!(sqlite(&db, None).is_err());
        // A schema page whose interior cell points at page 1 itself.
        let db = file(&[page(true, &[interior_cell(1, 1)], Some(1))]);
        assert!(sqlite(&db, None).unwrap_err().contains("loops"));
    }

    #[test]
    fn a_deep_tree_is_walked_without_recursion() {
        // 20000 interior pages in a chain, then the leaf: a recursive walk would be 20000
        // frames deep.
        let depth = 20_000u32;
        let mut pages = vec![page(true, &[schema(2)], None)];
        for n in 2..depth + 2 {
            pages.push(page(false, &[], Some(n + 1)));
        }
        let blob = package("deep", "1", None);
        pages.push(page(
            false,
            &[cell(1, &record(&[Col::Blob(&[]), Col::Blob(&blob)]))],
            None,
        ));
        let records = sqlite(&file(&pages), None).unwrap();
        assert_eq!(records[0].name, "deep");
    }

    #[test]
    fn lying_sizes_and_pointers_are_errors() {
        // A row claiming 2^40 and u64::MAX payload bytes.
        for claim in [1u64 << 40, u64::MAX] {
            let mut c = put_varint(claim);
            c.extend(put_varint(1));
            c.extend_from_slice(&[0; 40]);
            let db = file(&[page(true, &[schema(2)], None), page(false, &[c], None)]);
            assert!(sqlite(&db, None)
                .unwrap_err()
                .contains("more than the file holds"));
        }
        // An overflow chain that loops: 1000 bytes claimed, 39 local, then page 3, whose
        // next page is page 3.
        let mut c = put_varint(1000);
        c.extend(put_varint(1));
        c.extend_from_slice(&[0; 39]);
        c.extend_from_slice(&3u32.to_be_bytes());
        let mut overflow = vec![0; PS];
        overflow[..4].copy_from_slice(&3u32.to_be_bytes());
        let db = file(&[
            page(true, &[schema(2)], None),
            page(false, &[c.clone()], None),
            overflow,
        ]);
        assert!(sqlite(&db, None).unwrap_err().contains("loops"));
        // The same chain ending early, or pointing past the file.
        let mut overflow = vec![0; PS];
        overflow[..4].copy_from_slice(&0u32.to_be_bytes());
        let db = file(&[
            page(true, &[schema(2)], None),
            page(false, &[c.clone()], None),
            overflow,
        ]);
        assert!(sqlite(&db, None).unwrap_err().contains("ends before"));
        let mut far = c.clone();
        let n = far.len();
        far[n - 4..].copy_from_slice(&0x7fff_ffffu32.to_be_bytes());
        let db = file(&[page(true, &[schema(2)], None), page(false, &[far], None)]);
        assert!(sqlite(&db, None).is_err());
        // A cell pointer into the page header; a root page past the file; page size 0.
        let mut db = one_package();
        db[PS + 8..PS + 10].copy_from_slice(&2u16.to_be_bytes());
        assert!(sqlite(&db, None).is_err());
        let db = file(&[page(true, &[schema(9)], None)]);
        assert!(sqlite(&db, None)
            .unwrap_err()
            .contains("outside the database"));
        let mut db = one_package();
        db[16..18].copy_from_slice(&0u16.to_be_bytes());
        assert!(sqlite(&db, None).is_err());
        // Every byte of a small database flipped in turn: errors or records, never a panic.
        let good = one_package();
        for at in 0..good.len() {
            for bit in [0x01, 0x80] {
                let mut bad = good.clone();
                bad[at] ^= bit;
                let _ = sqlite(&bad, None);
            }
        }
    }

    #[test]
    fn varints_follow_sqlite() {
        assert_eq!(varint(&[0x05], 0), Some((5, 1)));
        assert_eq!(varint(&[0x81, 0x00], 0), Some((128, 2)));
        assert_eq!(varint(&[0xff; 9], 0), Some((u64::MAX, 9)));
        assert_eq!(varint(&[0x81], 0), None);
        for v in [
            0,
            127,
            128,
            1 << 40,
            u64::MAX,
            0x00ff_ffff_ffff_ffff,
            0x0100_0000_0000_0000,
        ] {
            let b = put_varint(v);
            assert_eq!(varint(&b, 0), Some((v, b.len())), "{v}");
        }
    }

    #[test]
    fn records_decode_each_serial_type() {
        // header: len 6, types NULL, int8, 0, text(2), blob(1)
        let payload = [6, 0, 1, 8, 17, 14, 0xff, b'h', b'i', 7];
        assert_eq!(
            columns(&payload).unwrap(),
            [
                Value::Null,
                Value::Int(-1),
                Value::Int(0),
                Value::Bytes(b"hi"),
                Value::Bytes(&[7])
            ]
        );
        assert!(columns(&[6, 0, 1, 8, 17, 14]).is_err());
        assert!(columns(&[200]).is_err());
        assert!(columns(&[2, 10]).is_err());
    }
}
