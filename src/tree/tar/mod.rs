//! One streaming pass over a layer tar. Memory grows with the number of entries only: file
//! content is hashed in fixed-size chunks and dropped.

use crate::model::text::printable;
use std::io::{self, Read};

use ::tar::EntryType;
use sha2::{Digest as _, Sha256};

use super::{secrets, Entry, EntryKind, LayerTree, FLAG_AUFS};
use crate::model::limits::{LimitHit, Limits};
use crate::model::path::{file_name, join, name_from_bytes, normalize, parent};

const WHITEOUT_PREFIX: &str = ".wh.";
const OPAQUE_MARKER: &str = ".wh..wh..opq";

/// Why a layer tar could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("{0}")]
    Corrupt(String),
    /// The layer went past one of the `Limits`.
    #[error("{0}")]
    Limit(LimitHit),
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Credential-like files larger than this are not looked into.
const SECRET_SCAN_LIMIT: u64 = 64 * 1024;

/// What a visitor of `for_each_entry` wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Reads a whole layer tar from `input`, in order, hashing every regular file's content.
/// Entries and paths past `limits` stop it with `TreeError::Limit`.
pub fn read_layer<R: Read>(input: R, limits: &Limits) -> Result<LayerTree, TreeError> {
    let mut entries = Vec::new();
    let mut header_bytes = 0u64;
    let mut buf = vec![0u8; 128 * 1024];
    let skipped = for_each_entry(input, |mut entry, header_size, content| {
        check_entry(&entry, entries.len() as u64, limits).map_err(LimitHit::into_io)?;
        header_bytes = header_bytes.saturating_add(header_size);
        // What the files unpack to, before any is hashed: a sparse file's holes cost no
        // stored bytes (which `Bounded` counts), but hashing them costs their whole size.
        if let Some(hit) = limits.layer_bytes(header_bytes, u64::MAX) {
            return Err(hit.into_io());
        }
        if entry.kind == EntryKind::File {
            let mut hasher = Sha256::new();
            let inspect = entry.size <= SECRET_SCAN_LIMIT && secrets::candidate(&entry.path);
            let mut head = Vec::new();
            loop {
                let n = content.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                if inspect && head.len() < SECRET_SCAN_LIMIT as usize {
                    head.extend_from_slice(&buf[..n]);
                }
            }
            entry.digest = Some(hasher.finalize().into());
            if inspect {
                entry.flags = secrets::scan(&head);
            }
        }
        entries.push(entry);
        Ok(Flow::Continue)
    })?;
    // A vector grown by doubling holds up to twice the room its entries need, for as long as
    // the image is open (a layer of 76k entries kept room for 131k: 6 MB).
    entries.shrink_to_fit();
    Ok(LayerTree {
        entries,
        header_bytes: header_bytes.saturating_add(skipped),
        moved: Vec::new(),
    })
}

/// The limits a layer read earlier (from the cache) must stay within: the same as while it
/// is read, for its entries and paths, and for its size (content bytes, as the tar's size is
/// not kept) against the bytes it is stored in. The limits of this run may be lower than
/// those of the run that cached it.
pub fn check_read_layer(
    tree: &LayerTree,
    stored_bytes: u64,
    limits: &Limits,
) -> Result<(), LimitHit> {
    for (seen, entry) in tree.entries.iter().enumerate() {
        check_entry(entry, seen as u64, limits)?;
    }
    match limits.layer_bytes(tree.header_bytes, stored_bytes) {
        Some(hit) => Err(hit),
        None => Ok(()),
    }
}

/// The limits one more entry (after `seen` others) must stay within.
fn check_entry(entry: &Entry, seen: u64, limits: &Limits) -> Result<(), LimitHit> {
    if seen >= limits.entries {
        return Err(LimitHit::new(
            format!("its entry count (more than {seen})"),
            limits.entries.to_string(),
            "--max-entries",
        ));
    }
    let length = entry.path.len() as u64;
    if length > limits.path_length {
        return Err(LimitHit::new(
            format!("a path of {length} bytes"),
            format!("{} bytes", limits.path_length),
            "--max-path-length",
        ));
    }
    let depth = entry.path.split('/').count() as u64;
    if depth > limits.path_depth {
        return Err(LimitHit::new(
            format!("a path {depth} levels deep"),
            format!("{} levels", limits.path_depth),
            "--max-path-depth",
        ));
    }
    Ok(())
}

/// The layer stream, read forward only: skipped bytes (content not read, padding) are read
/// into one scratch buffer.
struct Forward<R> {
    inner: R,
    scratch: Vec<u8>,
}

impl<R: Read> Forward<R> {
    fn new(inner: R) -> Self {
        Forward {
            inner,
            scratch: vec![0; 32 * 1024],
        }
    }

    /// Reads past `amt` bytes; a stream that ends first is truncated.
    fn skip(&mut self, mut amt: u64) -> io::Result<()> {
        while amt > 0 {
            let want = amt.min(self.scratch.len() as u64) as usize;
            let n = match self.inner.read(&mut self.scratch[..want]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "unexpected EOF during skip",
                ));
            }
            amt -= n as u64;
        }
        Ok(())
    }

    /// Reads one 512-byte header block: `false` at a clean end of the stream, an error when
    /// it ends inside the block.
    fn block(&mut self, block: &mut [u8; 512]) -> io::Result<bool> {
        let mut got = 0;
        while got < block.len() {
            match self.inner.read(&mut block[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "unexpected EOF in a tar header",
                    ))
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}

impl<R: Read> Read for Forward<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

/// Bytes of padding after `size` bytes of content, up to the next 512-byte block.
fn padding(size: u64) -> u64 {
    (512 - size % 512) % 512
}

/// Walks a layer tar, calling `visit` with each entry (digest not yet known), the size field of
/// its header, and a reader of its content. The root and AUFS bookkeeping entries are not
/// visited; the return value is the header size of the AUFS ones, which dive still counts.
///
/// Extension headers (PAX `x`, GNU long names) are read here rather than by the tar crate:
/// its PAX parser splits records at newlines, so a binary xattr value holding a `\n` (buildah
/// on overlay writes `SCHILY.xattr.user.overlay.origin`) corrupts every record after it and
/// long paths come out truncated. Records are parsed by their length, as POSIX and Go do.
pub fn for_each_entry<R: Read>(
    input: R,
    mut visit: impl FnMut(Entry, u64, &mut dyn Read) -> io::Result<Flow>,
) -> Result<u64, TreeError> {
    let mut skipped_bytes = 0u64;
    let mut input = Forward::new(input);
    let mut ext = Extensions::default();
    let mut block = [0u8; 512];
    // Headers are walked here, not by the tar crate: in its raw mode (which leaves the
    // extension headers to us) it steps over content by the header's size field, where a
    // PAX `size` record must win (Go writes files of 8 GiB and more with a size field of 0).
    while input.block(&mut block).map_err(classify)? {
        // The end-of-archive marker (and anything after it) ends the layer.
        if block.iter().all(|&b| b == 0) {
            break;
        }
        let header = ::tar::Header::from_byte_slice(&block);
        check_sum(header)?;
        let etype = header.entry_type();
        let header_size = header.entry_size().map_err(classify)?;
        let is_extension = matches!(
            etype,
            EntryType::XHeader
                | EntryType::XGlobalHeader
                | EntryType::GNULongName
                | EntryType::GNULongLink
        );
        if is_extension {
            let data = read_extension(&mut input, header_size)?;
            match etype {
                EntryType::XHeader => ext.apply_pax(&data),
                EntryType::GNULongName => ext.path = Some(trim_nul(data)),
                EntryType::GNULongLink => ext.link = Some(trim_nul(data)),
                // Global PAX headers set defaults nobody relies on for paths; skip them.
                _ => {}
            }
            continue;
        }
        let mut ext = std::mem::take(&mut ext);
        let size = ext.size.unwrap_or(header_size);
        // An old GNU sparse file's map goes on in blocks between its header and its data.
        let sparse = match etype {
            EntryType::GNUSparse => Some(gnu_sparse_map(&block, &mut input)?),
            _ => ext.sparse.take().map(|s| s.into_map()),
        };
        let mut content = (&mut input).take(size);
        let sparse = match sparse {
            Some(SparseMap::InData(real)) => Some((read_sparse_map(&mut content)?, real)),
            Some(SparseMap::Known(map, real)) => Some((map, real)),
            None => None,
        };
        // A sparse file is its logical size, holes read as zeros (as Go's archive/tar, and so
        // dive and umoci, read it).
        let logical = sparse.as_ref().map_or(size, |(_, real)| *real);
        match parse_entry(header, ext, logical) {
            Parsed::Root => {}
            Parsed::Bookkeeping => skipped_bytes = skipped_bytes.saturating_add(logical),
            Parsed::Entry(e) => {
                let flow = match sparse {
                    Some((map, real)) => {
                        check_sparse_map(&map, real)?;
                        let mut holes = Holes::new(&mut content, map, real);
                        visit(e, logical, &mut holes)
                    }
                    None => visit(e, size, &mut content),
                };
                if flow.map_err(classify)? == Flow::Stop {
                    return Ok(skipped_bytes);
                }
            }
        }
        let left = content.limit();
        input
            .skip(left.saturating_add(padding(size)))
            .map_err(classify)?;
    }
    Ok(skipped_bytes)
}

/// Where a sparse file's map of data segments is.
enum SparseMap {
    /// Given: (offset, length) of each data segment, and the file's logical size.
    Known(Vec<(u64, u64)>, u64),
    /// At the start of the content (PAX sparse 1.0); the logical size.
    InData(u64),
}

/// Sparse-file records of a PAX header (GNU tar's 0.1 and 1.0 formats).
#[derive(Debug, Default)]
struct PaxSparse {
    major: Option<u64>,
    real_size: Option<u64>,
    map: Option<Vec<u64>>,
}

impl PaxSparse {
    fn into_map(self) -> SparseMap {
        let real = self.real_size.unwrap_or(0);
        match (self.major, self.map) {
            (_, Some(numbers)) => SparseMap::Known(
                numbers.chunks_exact(2).map(|c| (c[0], c[1])).collect(),
                real,
            ),
            (Some(1), None) => SparseMap::InData(real),
            // No map: all of the file is a hole.
            _ => SparseMap::Known(Vec::new(), real),
        }
    }
}

/// More segments than this in one file is not a real sparse file.
const MAX_SPARSE_SEGMENTS: usize = 1 << 20;

fn bad_sparse(what: &str) -> TreeError {
    TreeError::Corrupt(format!("corrupt tar header (sparse file: {what})"))
}

/// The map of an old GNU sparse header (type `S`): four segments in the header, then 21 in
/// each extension block for as long as the "extended" flag is set; and the logical size.
fn gnu_sparse_map<R: Read>(
    header: &[u8; 512],
    input: &mut Forward<R>,
) -> Result<SparseMap, TreeError> {
    let mut map = Vec::new();
    let mut push = |raw: &[u8]| -> Result<(), TreeError> {
        let offset = octal(&raw[..12]).ok_or_else(|| bad_sparse("offset"))?;
        let length = octal(&raw[12..24]).ok_or_else(|| bad_sparse("length"))?;
        if length > 0 {
            map.push((offset, length));
        }
        if map.len() > MAX_SPARSE_SEGMENTS {
            return Err(bad_sparse("too many segments"));
        }
        Ok(())
    };
    for i in 0..4 {
        push(&header[386 + 24 * i..386 + 24 * (i + 1)])?;
    }
    let real = octal(&header[483..495]).ok_or_else(|| bad_sparse("real size"))?;
    let mut extended = header[482] == 1;
    let mut block = [0u8; 512];
    while extended {
        if !input.block(&mut block).map_err(classify)? {
            return Err(TreeError::Corrupt(
                "truncated data (unexpected EOF in a sparse map)".into(),
            ));
        }
        for i in 0..21 {
            push(&block[24 * i..24 * (i + 1)])?;
        }
        extended = block[504] == 1;
    }
    Ok(SparseMap::Known(map, real))
}

/// A numeric header field: octal digits (NUL- or space-terminated, empty is 0) or GNU's
/// base-256.
fn octal(raw: &[u8]) -> Option<u64> {
    if raw.first().is_some_and(|b| b & 0x80 != 0) {
        let mut n: u64 = u64::from(raw[0] & 0x7f);
        for &b in &raw[1..] {
            n = n.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(n);
    }
    let text = std::str::from_utf8(raw).ok()?;
    let digits = text.trim_matches(|c: char| c == '\0' || c == ' ');
    if digits.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(digits, 8).ok()
}

/// The map at the start of a PAX sparse 1.0 file's content: decimal numbers, one per line
/// (the count, then offset and length of each segment), padded to a 512-byte block.
fn read_sparse_map(content: &mut impl Read) -> Result<Vec<(u64, u64)>, TreeError> {
    let mut consumed = 0u64;
    let mut number = || -> Result<u64, TreeError> {
        let mut digits = Vec::new();
        loop {
            let mut byte = [0u8; 1];
            if content.read(&mut byte).map_err(classify)? == 0 {
                return Err(TreeError::Corrupt(
                    "truncated data (unexpected EOF in a sparse map)".into(),
                ));
            }
            consumed += 1;
            if byte[0] == b'\n' {
                break;
            }
            if digits.len() >= 20 {
                return Err(bad_sparse("map"));
            }
            digits.push(byte[0]);
        }
        std::str::from_utf8(&digits)
            .ok()
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| bad_sparse("map"))
    };
    let count = number()?;
    if count > MAX_SPARSE_SEGMENTS as u64 {
        return Err(bad_sparse("too many segments"));
    }
    let mut map = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let offset = number()?;
        let length = number()?;
        map.push((offset, length));
    }
    let pad = padding(consumed);
    io::copy(&mut content.take(pad), &mut io::sink()).map_err(classify)?;
    Ok(map)
}

/// Segments in order, not overlapping, inside the logical size.
fn check_sparse_map(map: &[(u64, u64)], real: u64) -> Result<(), TreeError> {
    let mut end = 0u64;
    for &(offset, length) in map {
        let stop = offset
            .checked_add(length)
            .ok_or_else(|| bad_sparse("map"))?;
        if offset < end || stop > real {
            return Err(bad_sparse("map"));
        }
        end = stop;
    }
    Ok(())
}

/// A sparse file's logical content: its data segments from `inner`, zeros between them.
struct Holes<'r, R> {
    inner: &'r mut R,
    map: Vec<(u64, u64)>,
    real: u64,
    pos: u64,
    segment: usize,
}

impl<'r, R: Read> Holes<'r, R> {
    fn new(inner: &'r mut R, map: Vec<(u64, u64)>, real: u64) -> Self {
        Holes {
            inner,
            map,
            real,
            pos: 0,
            segment: 0,
        }
    }
}

impl<R: Read> Read for Holes<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self
            .map
            .get(self.segment)
            .is_some_and(|&(o, l)| o + l <= self.pos)
        {
            self.segment += 1;
        }
        if self.pos >= self.real || buf.is_empty() {
            return Ok(0);
        }
        let left = self.real - self.pos;
        let n = match self.map.get(self.segment) {
            Some(&(offset, length)) if offset <= self.pos => {
                let want = (offset + length - self.pos).min(left).min(buf.len() as u64) as usize;
                let n = self.inner.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "unexpected EOF in sparse file data",
                    ));
                }
                n
            }
            next => {
                let data_at = next.map_or(self.real, |&(offset, _)| offset);
                let n = (data_at - self.pos).min(buf.len() as u64) as usize;
                buf[..n].fill(0);
                n
            }
        };
        self.pos += n as u64;
        Ok(n)
    }
}

/// A header's checksum (the sum of its bytes with the checksum field as spaces).
fn check_sum(header: &::tar::Header) -> Result<(), TreeError> {
    let bytes = header.as_bytes();
    let sum = bytes[..148]
        .iter()
        .chain(&bytes[156..])
        .fold(8 * 32u32, |a, &b| a + u32::from(b));
    if header.cksum().map_err(classify)? != sum {
        return Err(TreeError::Corrupt(
            "corrupt tar header (checksum mismatch)".into(),
        ));
    }
    Ok(())
}

enum Parsed {
    Root,
    /// AUFS bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`), never part of the filesystem.
    Bookkeeping,
    Entry(Entry),
}

/// One header (with its extension values) as an `Entry`.
fn parse_entry(header: &::tar::Header, ext: Extensions, size: u64) -> Parsed {
    let etype = header.entry_type();
    let raw_path_bytes = ext.path.unwrap_or_else(|| header.path_bytes().into_owned());
    let raw_path = name_from_bytes(&raw_path_bytes);
    let Some(path) = normalize(&raw_path) else {
        return Parsed::Root;
    };
    // Permission bits only: some writers (Docker's legacy builder) add the file-type bits
    // (`0100644`), others do not; the kind already says what the entry is.
    let mode = header.mode().unwrap_or(0) & 0o7777;
    let old = header.as_old();
    let uid = ext
        .uid
        .or_else(|| numeric(header.uid(), &old.uid))
        .and_then(|u| u32::try_from(u).ok())
        .unwrap_or(u32::MAX);
    let gid = ext
        .gid
        .or_else(|| numeric(header.gid(), &old.gid))
        .and_then(|g| u32::try_from(g).ok())
        .unwrap_or(u32::MAX);
    let mtime = ext.mtime.or_else(|| header.mtime().ok()).unwrap_or(0);
    let device = match (header.device_major(), header.device_minor()) {
        (Ok(Some(ma)), Ok(Some(mi))) => Some((ma, mi)),
        _ => None,
    };
    let link_raw = ext
        .link
        .or_else(|| header.link_name_bytes().map(|l| l.into_owned()))
        .map(|l| name_from_bytes(&l));
    let meta = (mode, uid, gid, mtime);

    let name = file_name(&path);
    // Whiteouts are recognised by name whatever their type: buildah on overlay writes them as
    // hardlinks to one shared inode.
    if name == OPAQUE_MARKER {
        // `/.wh..wh..opq` would make the root opaque: hide everything below.
        let dir = parent(&path).unwrap_or("").to_string();
        return Parsed::Entry(deletion(dir, EntryKind::Opaque, size, meta));
    }
    if let Some(rest) = name.strip_prefix(".wh..wh.") {
        if rest.is_empty() {
            return Parsed::Bookkeeping;
        }
        let mut aufs = deletion(
            join(parent(&path), &format!(".wh.{rest}")),
            EntryKind::Whiteout,
            size,
            meta,
        );
        aufs.flags = FLAG_AUFS;
        return Parsed::Entry(aufs);
    }
    if let Some(target) = name.strip_prefix(WHITEOUT_PREFIX) {
        if target.is_empty() {
            return Parsed::Bookkeeping;
        }
        let target = join(parent(&path), target);
        return Parsed::Entry(deletion(target, EntryKind::Whiteout, size, meta));
    }

    let kind = match etype {
        EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => EntryKind::File,
        EntryType::Directory => EntryKind::Dir,
        EntryType::Symlink => EntryKind::Symlink,
        EntryType::Link => EntryKind::Hardlink,
        EntryType::Char => EntryKind::CharDevice,
        EntryType::Block => EntryKind::BlockDevice,
        EntryType::Fifo => EntryKind::Fifo,
        // Old tars mark directories only by a trailing slash.
        _ if raw_path.ends_with('/') => EntryKind::Dir,
        _ => EntryKind::File,
    };
    let link = match kind {
        EntryKind::Symlink => link_raw.map(String::into_boxed_str),
        EntryKind::Hardlink => link_raw
            .and_then(|l| normalize(&l))
            .map(String::into_boxed_str),
        _ => None,
    };
    Parsed::Entry(Entry {
        path: path.into_boxed_str(),
        kind,
        size,
        mode,
        uid,
        gid,
        mtime,
        link,
        device: if matches!(kind, EntryKind::CharDevice | EntryKind::BlockDevice) {
            device
        } else {
            None
        },
        digest: None,
        flags: 0,
    })
}

/// Extension-header values that apply to the next real entry.
#[derive(Debug, Default)]
struct Extensions {
    path: Option<Vec<u8>>,
    link: Option<Vec<u8>>,
    size: Option<u64>,
    uid: Option<u64>,
    gid: Option<u64>,
    mtime: Option<u64>,
    sparse: Option<PaxSparse>,
}

impl Extensions {
    /// Applies PAX records (`"<len> <key>=<value>\n"`), each delimited by its length.
    fn apply_pax(&mut self, data: &[u8]) {
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

/// Extension headers are small; a hostile one cannot make strata allocate more than this.
const MAX_EXTENSION_BYTES: u64 = 1 << 20;

fn read_extension<R: Read>(input: &mut Forward<R>, size: u64) -> Result<Vec<u8>, TreeError> {
    if size > MAX_EXTENSION_BYTES {
        return Err(TreeError::Corrupt(format!(
            "corrupt tar header (extension header of {size} bytes)"
        )));
    }
    let mut data = Vec::with_capacity(size as usize);
    (&mut *input)
        .take(size)
        .read_to_end(&mut data)
        .map_err(classify)?;
    if (data.len() as u64) < size {
        return Err(TreeError::Corrupt(
            "truncated data (unexpected EOF in an extension header)".into(),
        ));
    }
    input.skip(padding(size)).map_err(classify)?;
    Ok(data)
}

fn trim_nul(mut v: Vec<u8>) -> Vec<u8> {
    while v.last() == Some(&0) {
        v.pop();
    }
    v
}

/// A whiteout or opaque marker; `size` is the header's (dive counts it in layer sizes).
fn deletion(path: String, kind: EntryKind, size: u64, meta: (u32, u32, u32, u64)) -> Entry {
    let (mode, uid, gid, mtime) = meta;
    Entry {
        path: path.into_boxed_str(),
        kind,
        size,
        mode,
        uid,
        gid,
        mtime,
        link: None,
        device: None,
        digest: None,
        flags: 0,
    }
}

/// Sorts a read error: a limit hit, a tar that ends early or has a bad header, or (left as
/// `Io`) an error of the decoder or the source below the tar.
fn classify(e: io::Error) -> TreeError {
    if let Some(hit) = LimitHit::from_io(&e) {
        return TreeError::Limit(hit.clone());
    }
    let msg = e.to_string();
    if let Some(header) = tar_header_problem(&msg) {
        return TreeError::Corrupt(format!("corrupt tar header ({header})"));
    }
    if e.kind() == io::ErrorKind::UnexpectedEof || msg.starts_with("unexpected EOF") {
        return TreeError::Corrupt(format!("truncated data ({})", printable(&msg, 120)));
    }
    TreeError::Io(e)
}

/// The tar crate's header errors quote raw header bytes ("numeric field did not have utf-8
/// text: <bytes> when getting cksum for <name>"): keep the problem and the field, not the
/// bytes. `None` for errors that are not about a tar header.
pub fn tar_header_problem(msg: &str) -> Option<String> {
    if msg.contains("archive header checksum mismatch") {
        return Some("checksum mismatch".into());
    }
    let (problem, rest) = msg.split_once(':')?;
    if !(problem.starts_with("numeric field") || problem.contains("header")) {
        return None;
    }
    let field = rest
        .split_once(" when getting ")
        .map(|(_, f)| f.split_whitespace().next().unwrap_or(""));
    Some(match field {
        Some(field) => format!("{problem} in its {} field", printable(field, 20)),
        None => problem.to_string(),
    })
}

/// A numeric header field as the tar crate reads it (octal or base-256), except that an
/// empty one (all NULs or spaces, as some writers leave uid and gid) is 0, as GNU tar and
/// Go's archive/tar (dive) read it. Anything else unreadable is `None`.
fn numeric(parsed: std::io::Result<u64>, raw: &[u8]) -> Option<u64> {
    parsed
        .ok()
        .or_else(|| raw.iter().all(|&b| b == 0 || b == b' ').then_some(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_skips_read_past_the_bytes() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut f = Forward::new(&data[..]);
        let mut head = [0u8; 10];
        f.read_exact(&mut head).unwrap();
        // Longer than the scratch buffer: several reads.
        f.skip(70_000).unwrap();
        let mut next = [0u8; 1];
        f.read_exact(&mut next).unwrap();
        assert_eq!(next[0], data[70_010]);
        let e = f.skip(40_000).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn entries_left_unread_are_skipped_and_a_cut_one_is_truncated_data() {
        let big = vec![7u8; 50_000];
        let tar = tar_of(&[
            ("a", EntryType::Regular, &big),
            ("b", EntryType::Regular, b"xyz"),
        ]);
        // The visitor reads nothing: every content is skipped through `Forward`.
        let mut names = Vec::new();
        for_each_entry(&tar[..], |e, _, _| {
            names.push(e.path.to_string());
            Ok(Flow::Continue)
        })
        .unwrap();
        assert_eq!(names, ["a", "b"]);
        let cut = &tar[..30_000];
        let err = for_each_entry(cut, |_, _, _| Ok(Flow::Continue)).unwrap_err();
        match err {
            TreeError::Corrupt(m) => assert!(m.starts_with("truncated data"), "{m}"),
            other => panic!("expected truncated data, got {other:?}"),
        }
    }

    /// A tar written header by header, so names can be absolute or `./`-prefixed as real
    /// layers have them (the tar crate's builder refuses those).
    fn tar_of(entries: &[(&str, EntryType, &[u8])]) -> Vec<u8> {
        let raw: Vec<(&[u8], EntryType, &[u8])> = entries
            .iter()
            .map(|(p, t, d)| (p.as_bytes(), *t, *d))
            .collect();
        tar_of_bytes(&raw)
    }

    /// Like `tar_of`, with names as raw bytes (non-UTF-8, NUL...).
    fn tar_of_bytes(entries: &[(&[u8], EntryType, &[u8])]) -> Vec<u8> {
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

    #[test]
    fn hostile_paths_stay_inside_the_layer_root() {
        let t = tar_of_bytes(&[
            (b"../../etc/passwd", EntryType::Regular, b"1"),
            (b"/abs/file", EntryType::Regular, b"2"),
            (b"a//b///c", EntryType::Regular, b"3"),
            (b"./d/./e/../f", EntryType::Regular, b"4"),
            (b"../..", EntryType::Directory, b""),
            (b"bad/\xff\xfe-name", EntryType::Regular, b"5"),
            (b"nul/before\0after", EntryType::Regular, b"6"),
            (b"loop/a", EntryType::Symlink, b""),
        ]);
        let tree = read_layer(&t[..], &Limits::default()).unwrap_or_default();
        let paths: Vec<&str> = tree.entries.iter().map(|e| &*e.path).collect();
        assert_eq!(
            paths,
            [
                "etc/passwd",
                "abs/file",
                "a/b/c",
                "d/f",
                "bad/\u{f7ff}\u{f7fe}-name",
                "nul/before",
                "loop/a"
            ]
        );
        for p in paths {
            assert!(
                !p.starts_with('/') && p.split('/').all(|c| !c.is_empty() && c != "." && c != ".."),
                "{p}"
            );
        }
    }

    #[test]
    fn whiteouts_and_opaque_markers_become_deletions() {
        let t = tar_of(&[
            ("./etc/", EntryType::Directory, b""),
            ("./etc/.wh.passwd", EntryType::Regular, b""),
            ("var/.wh..wh..opq", EntryType::Regular, b""),
            ("var/.wh..wh.plnk", EntryType::Directory, b""),
            ("/usr/bin/x", EntryType::Regular, b"abc"),
        ]);
        let tree = read_layer(&t[..], &Limits::default()).unwrap_or_default();
        let got: Vec<(&str, EntryKind)> = tree.entries.iter().map(|e| (&*e.path, e.kind)).collect();
        assert_eq!(
            got,
            vec![
                ("etc", EntryKind::Dir),
                ("etc/passwd", EntryKind::Whiteout),
                ("var", EntryKind::Opaque),
                // AUFS bookkeeping, kept for dive's figures only (`FLAG_AUFS`).
                ("var/.wh.plnk", EntryKind::Whiteout),
                ("usr/bin/x", EntryKind::File),
            ]
        );
        let flags: Vec<u8> = tree.entries.iter().map(|e| e.flags).collect();
        assert_eq!(flags, [0, 0, 0, FLAG_AUFS, 0]);
        assert_eq!(tree.header_bytes, 3);
        assert_eq!(tree.entries[4].digest, Some(Sha256::digest(b"abc").into()));
    }

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

    /// Go's archive/tar writes a file of 8 GiB or more with a PAX `size` record and 0 in the
    /// header's size field (Python's tarfile too): the record says how far the content goes.
    #[test]
    fn a_pax_size_record_overrides_the_header_size() {
        let record = b"12 size=600\n";
        let mut t = tar_of(&[("PaxHeaders/big", EntryType::XHeader, record)]);
        t.truncate(t.len() - 1024);
        let content: Vec<u8> = (0..600u32).map(|i| (i % 251) as u8).collect();
        let mut h = ::tar::Header::new_gnu();
        h.as_old_mut().name[..3].copy_from_slice(b"big");
        h.set_entry_type(EntryType::Regular);
        h.set_size(0);
        h.set_mode(0o644);
        h.set_cksum();
        t.extend_from_slice(h.as_bytes());
        t.extend_from_slice(&content);
        t.resize(t.len().div_ceil(512) * 512, 0);
        t.extend(tar_of(&[("after", EntryType::Regular, b"xyz")]));
        let tree = read_layer(&t[..], &Limits::default()).unwrap();
        let got: Vec<(&str, u64)> = tree.entries.iter().map(|e| (&*e.path, e.size)).collect();
        assert_eq!(got, [("big", 600), ("after", 3)]);
        let digest: [u8; 32] = Sha256::digest(&content).into();
        assert_eq!(tree.entries[0].digest, Some(digest));
        assert_eq!(tree.header_bytes, 603);
    }

    /// A header block for `name` of `kind`, with `size` in its size field.
    fn header(name: &str, kind: EntryType, size: u64) -> ::tar::Header {
        let mut h = ::tar::Header::new_gnu();
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(0o644);
        h.set_cksum();
        h
    }

    fn pax_record(key: &str, value: &str) -> Vec<u8> {
        let body = format!(" {key}={value}\n");
        let mut len = body.len() + 1;
        while len.to_string().len() + body.len() != len {
            len += 1;
        }
        format!("{len}{body}").into_bytes()
    }

    fn block_padded(mut data: Vec<u8>) -> Vec<u8> {
        data.resize(data.len().div_ceil(512) * 512, 0);
        data
    }

    /// A PAX header of `records`, then the file `name` holding `data`.
    fn pax_file(records: &[(&str, &str)], name: &str, data: &[u8]) -> Vec<u8> {
        let records: Vec<u8> = records.iter().flat_map(|(k, v)| pax_record(k, v)).collect();
        let mut t = header("PaxHeaders/x", EntryType::XHeader, records.len() as u64)
            .as_bytes()
            .to_vec();
        t.extend(block_padded(records));
        t.extend_from_slice(header(name, EntryType::Regular, data.len() as u64).as_bytes());
        t.extend(block_padded(data.to_vec()));
        t
    }

    /// "DATA" at 0, "TAIL" at 9996 of a 10000-byte file, zeros between.
    fn sparse_content() -> Vec<u8> {
        let mut c = vec![0u8; 10_000];
        c[..4].copy_from_slice(b"DATA");
        c[9_996..].copy_from_slice(b"TAIL");
        c
    }

    fn assert_sparse_read(t: &[u8]) {
        let tree = read_layer(t, &Limits::default()).unwrap();
        let got: Vec<(&str, u64)> = tree.entries.iter().map(|e| (&*e.path, e.size)).collect();
        assert_eq!(got, [("sparse", 10_000), ("after", 3)]);
        let digest: [u8; 32] = Sha256::digest(sparse_content()).into();
        assert_eq!(tree.entries[0].digest, Some(digest));
        assert_eq!(tree.header_bytes, 10_003);
    }

    #[test]
    fn gnu_sparse_files_read_as_their_logical_content() {
        let after = tar_of(&[("after", EntryType::Regular, b"xyz")]);
        // PAX 1.0 (GNU tar --format=posix): the map leads the data.
        let mut data = block_padded(b"2\n0\n4\n9996\n4\n".to_vec());
        data.extend_from_slice(b"DATATAIL");
        let records = [
            ("GNU.sparse.major", "1"),
            ("GNU.sparse.minor", "0"),
            ("GNU.sparse.name", "sparse"),
            ("GNU.sparse.realsize", "10000"),
        ];
        let mut t = pax_file(&records, "GNUSparseFile.0/sparse", &data);
        t.extend_from_slice(&after);
        assert_sparse_read(&t);

        // PAX 0.1: the map in a record.
        let records = [
            ("GNU.sparse.size", "10000"),
            ("GNU.sparse.numblocks", "2"),
            ("GNU.sparse.map", "0,4,9996,4"),
            ("GNU.sparse.name", "sparse"),
        ];
        let mut t = pax_file(&records, "GNUSparseFile.1/sparse", b"DATATAIL");
        t.extend_from_slice(&after);
        assert_sparse_read(&t);

        // Old GNU `S`: the map in the header, and in an extension block when it is longer
        // than four segments (here the second segment is in the extension block).
        let mut h = header("sparse", EntryType::GNUSparse, 8);
        let raw = h.as_mut_bytes();
        raw[386..398].copy_from_slice(b"00000000000\0");
        raw[398..410].copy_from_slice(b"00000000004\0");
        raw[482] = 1;
        raw[483..495].copy_from_slice(format!("{:011o}\0", 10_000).as_bytes());
        h.set_cksum();
        let mut ext = [0u8; 512];
        ext[..12].copy_from_slice(format!("{:011o}\0", 9_996).as_bytes());
        ext[12..24].copy_from_slice(b"00000000004\0");
        let mut t = h.as_bytes().to_vec();
        t.extend_from_slice(&ext);
        t.extend(block_padded(b"DATATAIL".to_vec()));
        t.extend_from_slice(&after);
        assert_sparse_read(&t);
    }

    /// A sparse file of 1 EiB of holes is refused before any of it is hashed.
    #[test]
    fn a_huge_sparse_file_is_a_limit_not_an_endless_hash() {
        let records = [
            ("GNU.sparse.size", "1152921504606846976"),
            ("GNU.sparse.map", "0,4"),
            ("GNU.sparse.name", "sparse"),
        ];
        let mut t = pax_file(&records, "GNUSparseFile.1/sparse", b"DATA");
        t.extend(vec![0u8; 1024]);
        match read_layer(&t[..], &Limits::default()) {
            Err(TreeError::Limit(hit)) => assert!(hit.to_string().contains("--max-layer-size")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_sparse_map_outside_the_file_is_corrupt() {
        let records = [
            ("GNU.sparse.size", "100"),
            ("GNU.sparse.map", "0,4,98,4"),
            ("GNU.sparse.name", "sparse"),
        ];
        let mut t = pax_file(&records, "GNUSparseFile.1/sparse", b"DATATAIL");
        t.extend(vec![0u8; 1024]);
        match read_layer(&t[..], &Limits::default()) {
            Err(TreeError::Corrupt(m)) => {
                assert_eq!(m, "corrupt tar header (sparse file: map)")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_bad_checksum_is_a_corrupt_header() {
        let mut t = tar_of(&[("a", EntryType::Regular, b"1")]);
        t[148] = b'7';
        match read_layer(&t[..], &Limits::default()) {
            Err(TreeError::Corrupt(m)) => assert_eq!(m, "corrupt tar header (checksum mismatch)"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn printable_escapes_only_what_could_drive_the_terminal() {
        assert_eq!(
            printable("a\u{1b}[31mred\nb \"q\" ü", 100),
            "a\\u{1b}[31mred\\nb \"q\" ü"
        );
        assert_eq!(printable("\u{202e}txt.exe", 100), "\\u{202e}txt.exe");
        assert_eq!(printable("abcdef", 3), "abc…");
    }

    #[test]
    fn empty_owner_fields_read_as_root_and_garbage_as_unknown() {
        // `tar_of` leaves uid and gid all NULs, as some image generators do.
        let mut t = tar_of(&[
            ("a", EntryType::Regular, b"x"),
            ("b", EntryType::Regular, b"y"),
        ]);
        // The second header's uid becomes text that is not a number.
        let second = 1024;
        t[second + 108..second + 116].copy_from_slice(b"zz     \0");
        let mut h = ::tar::Header::new_old();
        h.as_mut_bytes().copy_from_slice(&t[second..second + 512]);
        h.set_cksum();
        t[second..second + 512].copy_from_slice(h.as_bytes());
        let tree = read_layer(&t[..], &Limits::default()).expect("a readable layer");
        let owner = |p: &str| {
            let e = tree.entries.iter().find(|e| &*e.path == p).expect("entry");
            (e.uid, e.gid)
        };
        assert_eq!(owner("a"), (0, 0));
        assert_eq!(owner("b"), (u32::MAX, 0));
    }

    #[test]
    fn a_corrupt_header_is_an_error_not_a_panic() {
        let mut t = tar_of(&[("a", EntryType::Regular, b"xyz")]);
        t[148] ^= 0x55; // checksum field
        match read_layer(&t[..], &Limits::default()) {
            Err(TreeError::Corrupt(m)) => assert!(m.starts_with("corrupt tar header"), "{m}"),
            other => panic!("expected a corrupt header, got {other:?}"),
        }
    }
}
