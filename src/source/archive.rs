//! The one walker over outer archives: a `docker save` tar or an OCI layout packed in a tar,
//! whether it is a file (indexed by seeking past each entry's data) or an engine's stream (read
//! once, front to back). Both see the same entries: regular files only, by normalised name.
//! Layer tars inside are not walked here; `tree::tar` reads those.

use std::io::{self, Read, Seek, SeekFrom};

use crate::model::path::normalize;
use crate::model::tar_header::{self, HeaderProblem};

/// One file of an archive, as the walker hands it to its visitor.
pub struct ArchiveFile<'a> {
    /// The normalised name (`blobs/sha256/HEX`, `HEX/layer.tar`, `manifest.json`).
    pub name: String,
    pub size: u64,
    /// Where the data starts in the archive.
    pub offset: u64,
    pub content: &'a mut dyn Read,
}

/// What the visitor wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Continue,
    Stop,
}

/// Why an archive could not be walked.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    /// A header block that is not a tar header.
    #[error("{0}")]
    Header(HeaderProblem),
    /// The archive ends inside an entry (its header, its data or an extension header before
    /// it); `after` names the last entry whose header was read, `read` counts the bytes there
    /// were.
    #[error("the archive ends early (truncated){} (read {read} bytes)", crate::model::error::after_entry(.after))]
    Truncated { after: Option<String>, read: u64 },
    /// The bytes could not be read (a file error, an engine's stream breaking off) or the tar
    /// crate refused them for a reason no header check names.
    #[error("{0}")]
    Read(#[source] io::Error),
    /// The visitor's own error, passed through.
    #[error("{0}")]
    Visit(#[source] io::Error),
}

/// How a walk over a file ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// At the end-of-archive marker (a zero block), or where the visitor stopped.
    Marked,
    /// At the end of the file, right after a whole entry, with no end-of-archive marker:
    /// every tar writer ends with two zero blocks, and a copy cut between two entries looks
    /// exactly like this. Whether it was cut is the caller's to say: when what it needs is
    /// missing, it was.
    Unmarked { after: Option<String>, read: u64 },
}

/// Walks the archive in `file` with the data of each entry skipped by seeking. A broken header
/// is read again and named (see `model::tar_header`); a file that ends inside an entry is
/// `Truncated`.
pub fn walk_file<F: Read + Seek>(
    mut file: F,
    visit: impl FnMut(ArchiveFile) -> io::Result<Next>,
) -> Result<Ending, WalkError> {
    let mut walk = Walk::default();
    let outcome = {
        let mut archive = tar::Archive::new(io::BufReader::new(&mut file));
        match archive.entries_with_seek() {
            Ok(entries) => walk_entries(entries, &mut walk, visit),
            Err(e) => Err(WalkError::Read(e)),
        }
    };
    match outcome {
        Ok(()) if walk.stopped => Ok(Ending::Marked),
        Ok(()) => {
            // Seeking past the end of the file and finding no header there is the end of the
            // archive to the tar crate: a file cut inside an entry's data ends without an error.
            let len = file.seek(SeekFrom::End(0)).map_err(WalkError::Read)?;
            if walk.next_header > len {
                Err(WalkError::Truncated {
                    after: walk.last,
                    read: len,
                })
            } else if walk.next_header == len {
                Ok(Ending::Unmarked {
                    after: walk.last,
                    read: len,
                })
            } else {
                Ok(Ending::Marked)
            }
        }
        Err(WalkError::Read(e)) => Err(diagnose(&mut file, walk.next_header, e, walk.last)),
        Err(e) => Err(e),
    }
}

/// Walks an archive that arrives as a stream, every byte read once.
pub fn walk_stream<R: Read>(
    stream: R,
    visit: impl FnMut(ArchiveFile) -> io::Result<Next>,
) -> Result<(), WalkError> {
    let mut ended = false;
    let mut read = 0;
    let mut walk = Walk::default();
    let outcome = {
        let watched = EndWatch {
            inner: stream,
            ended: &mut ended,
            read: &mut read,
        };
        let mut archive = tar::Archive::new(io::BufReader::with_capacity(256 * 1024, watched));
        match archive.entries() {
            Ok(entries) => walk_entries(entries, &mut walk, visit),
            Err(e) => Err(WalkError::Read(e)),
        }
    };
    outcome.map_err(|e| match e {
        // The stream ended and the tar crate still wanted bytes: the archive is cut short.
        WalkError::Read(_) if ended => WalkError::Truncated {
            after: walk.last,
            read,
        },
        e => e,
    })
}

/// Notes when the stream below has ended, and how many bytes it gave, so that an error of the
/// tar crate right after can be told to be an archive cut short without reading its message.
struct EndWatch<'a, R> {
    inner: R,
    ended: &'a mut bool,
    read: &'a mut u64,
}

impl<R: Read> Read for EndWatch<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            *self.ended = true;
        }
        *self.read += n as u64;
        Ok(n)
    }
}

/// Where a walk has got to.
#[derive(Default)]
struct Walk {
    /// Where the header after the last entry read starts (its data rounded up to blocks).
    next_header: u64,
    /// The raw name of the last entry whose header was read.
    last: Option<String>,
    /// The visitor asked to stop.
    stopped: bool,
}

fn walk_entries<R: Read>(
    entries: tar::Entries<'_, R>,
    walk: &mut Walk,
    mut visit: impl FnMut(ArchiveFile) -> io::Result<Next>,
) -> Result<(), WalkError> {
    for entry in entries {
        let mut entry = entry.map_err(WalkError::Read)?;
        let size = entry.size();
        let offset = entry.raw_file_position();
        walk.next_header = offset.saturating_add(size.div_ceil(512) * 512);
        let kind = entry.header().entry_type();
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        walk.last = Some(raw_name.clone());
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            continue;
        }
        let Some(name) = normalize(&raw_name) else {
            continue;
        };
        let next = visit(ArchiveFile {
            name,
            size,
            offset,
            content: &mut entry,
        })
        .map_err(WalkError::Visit)?;
        if next == Next::Stop {
            walk.stopped = true;
            break;
        }
    }
    Ok(())
}

/// Extension headers (GNU long name and link, pax) an entry's own header may follow, at most.
const MAX_EXTENSIONS: usize = 8;

/// Names what the tar crate refused at `at` (where the next header should start): a header
/// problem, an archive that ends early (inside a header, or inside the data of an extension
/// header the tar crate reads whole), or the read error itself.
fn diagnose<F: Read + Seek>(
    file: &mut F,
    mut at: u64,
    e: io::Error,
    after: Option<String>,
) -> WalkError {
    let Ok(len) = file.seek(SeekFrom::End(0)) else {
        return WalkError::Read(e);
    };
    let truncated = WalkError::Truncated { after, read: len };
    for _ in 0..MAX_EXTENSIONS {
        // Less than a header's worth of bytes where one must start.
        if at.saturating_add(512) > len {
            return truncated;
        }
        let mut block = [0u8; 512];
        let read = file
            .seek(SeekFrom::Start(at))
            .and_then(|_| file.read_exact(&mut block));
        if read.is_err() {
            return WalkError::Read(e);
        }
        if let Some(problem) = tar_header::diagnose(&block) {
            return WalkError::Header(problem);
        }
        let Ok(size) = tar_header::numeric(&block, tar_header::SIZE) else {
            return WalkError::Read(e);
        };
        let data = at.saturating_add(512);
        if data.saturating_add(size) > len {
            return truncated;
        }
        // Only an extension header is followed by the header it extends.
        if !matches!(block[156], b'L' | b'K' | b'x' | b'g') {
            break;
        }
        at = data.saturating_add(size.div_ceil(512) * 512);
    }
    WalkError::Read(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, *data).unwrap_or_default();
        }
        b.into_inner().unwrap_or_default()
    }

    fn names_by_file(bytes: &[u8]) -> Result<Vec<(String, u64, Vec<u8>)>, WalkError> {
        let mut out = Vec::new();
        walk_file(io::Cursor::new(bytes), |f| {
            let mut data = Vec::new();
            f.content.read_to_end(&mut data)?;
            out.push((f.name, f.size, data));
            Ok(Next::Continue)
        })?;
        Ok(out)
    }

    #[test]
    fn files_and_streams_see_the_same_entries() {
        let bytes = archive(&[("./manifest.json", b"[]"), ("a/layer.tar", &[7u8; 700])]);
        let by_file = names_by_file(&bytes).unwrap_or_default();
        let mut by_stream = Vec::new();
        let walked = walk_stream(&bytes[..], |f| {
            let mut data = Vec::new();
            f.content.read_to_end(&mut data)?;
            by_stream.push((f.name, f.size, data));
            Ok(Next::Continue)
        });
        assert!(walked.is_ok());
        assert_eq!(by_file, by_stream);
        assert_eq!(by_file[0].0, "manifest.json");
        assert_eq!(by_file[1], ("a/layer.tar".to_string(), 700, vec![7u8; 700]));
    }

    #[test]
    fn a_broken_header_is_named_and_a_cut_archive_is_truncated() {
        let bytes = archive(&[("a", b"x"), ("b", b"y")]);
        let mut bad = bytes.clone();
        // The second header's checksum field.
        bad[1024 + 148] = 0xff;
        let e = names_by_file(&bad).err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("numeric field did not have utf-8 text in its cksum field")
        );
        let cut = &bytes[..1024 + 300];
        let e = names_by_file(cut).err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("the archive ends early (truncated) after 'a' (read 1324 bytes)")
        );
        let mut stream_err = None;
        if let Err(e) = walk_stream(cut, |_| Ok(Next::Continue)) {
            stream_err = Some(e.to_string());
        }
        assert_eq!(
            stream_err.as_deref(),
            Some("the archive ends early (truncated) after 'a' (read 1324 bytes)")
        );
    }

    /// What a walk over a file says where it is cut: inside an entry's data (the tar crate,
    /// seeking past the end, sees no error), inside a long name's data, or between entries.
    #[test]
    fn a_file_cut_inside_data_is_truncated_and_one_cut_between_entries_is_unmarked() {
        let long = format!("{}/layer.tar", "d".repeat(120));
        let bytes = archive(&[("a", &[1u8; 700]), (&long, b"y"), ("c", b"z")]);
        let ending = |bytes: &[u8]| walk_file(io::Cursor::new(bytes), |_| Ok(Next::Continue));
        let truncated = |bytes: &[u8]| match ending(bytes) {
            Err(WalkError::Truncated { after, read }) => Some((after, read)),
            _ => None,
        };
        // Inside a's data, and inside its padding.
        assert_eq!(truncated(&bytes[..600]), Some((Some("a".into()), 600)));
        assert_eq!(truncated(&bytes[..1300]), Some((Some("a".into()), 1300)));
        // Inside the long name that precedes the second entry's header.
        assert_eq!(
            truncated(&bytes[..1536 + 600]),
            Some((Some("a".into()), 2136))
        );
        // Right after a whole entry, and after the last one: no marker, no error.
        assert_eq!(
            ending(&bytes[..1536]).ok(),
            Some(Ending::Unmarked {
                after: Some("a".into()),
                read: 1536
            })
        );
        let whole = archive(&[("a", &[1u8; 700])]);
        assert_eq!(ending(&whole).ok(), Some(Ending::Marked));
        assert_eq!(
            ending(&whole[..1536]).ok(),
            Some(Ending::Unmarked {
                after: Some("a".into()),
                read: 1536
            })
        );
        assert_eq!(
            ending(&[]).ok(),
            Some(Ending::Unmarked {
                after: None,
                read: 0
            })
        );
        // A visitor that stops has what it wanted, wherever the file ends.
        let stopped = walk_file(io::Cursor::new(&bytes[..600]), |_| Ok(Next::Stop));
        assert_eq!(stopped.ok(), Some(Ending::Marked));
    }
}
