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
    /// The archive ends inside an entry; `after` names the last entry read whole.
    #[error("the archive ends early (truncated{})", after.as_ref().map(|a| format!(" after {a}")).unwrap_or_default())]
    Truncated { after: Option<String> },
    /// The bytes could not be read (a file error, an engine's stream breaking off) or the tar
    /// crate refused them for a reason no header check names.
    #[error("{0}")]
    Read(#[source] io::Error),
    /// The visitor's own error, passed through.
    #[error("{0}")]
    Visit(#[source] io::Error),
}

/// Walks the archive in `file` with the data of each entry skipped by seeking. A broken header
/// is read again and named (see `model::tar_header`).
pub fn walk_file<F: Read + Seek>(
    mut file: F,
    visit: impl FnMut(ArchiveFile) -> io::Result<Next>,
) -> Result<(), WalkError> {
    let mut next_header = 0u64;
    let outcome = {
        let mut archive = tar::Archive::new(io::BufReader::new(&mut file));
        match archive.entries_with_seek() {
            Ok(entries) => walk_entries(entries, &mut next_header, visit),
            Err(e) => Err((WalkError::Read(e), None)),
        }
    };
    match outcome {
        Ok(()) => Ok(()),
        Err((WalkError::Read(e), after)) => Err(diagnose(&mut file, next_header, e, after)),
        Err((e, _)) => Err(e),
    }
}

/// Walks an archive that arrives as a stream, every byte read once.
pub fn walk_stream<R: Read>(
    stream: R,
    visit: impl FnMut(ArchiveFile) -> io::Result<Next>,
) -> Result<(), WalkError> {
    let mut ended = false;
    let outcome = {
        let watched = EndWatch {
            inner: stream,
            ended: &mut ended,
        };
        let mut archive = tar::Archive::new(io::BufReader::with_capacity(256 * 1024, watched));
        let mut next_header = 0;
        match archive.entries() {
            Ok(entries) => walk_entries(entries, &mut next_header, visit),
            Err(e) => Err((WalkError::Read(e), None)),
        }
    };
    outcome.map_err(|(e, after)| match e {
        // The stream ended and the tar crate still wanted bytes: the archive is cut short.
        WalkError::Read(_) if ended => WalkError::Truncated { after },
        e => e,
    })
}

/// Notes when the stream below has ended, so that an error of the tar crate right after can
/// be told to be an archive cut short without reading its message.
struct EndWatch<'a, R> {
    inner: R,
    ended: &'a mut bool,
}

impl<R: Read> Read for EndWatch<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            *self.ended = true;
        }
        Ok(n)
    }
}

type Failed = (WalkError, Option<String>);

fn walk_entries<R: Read>(
    entries: tar::Entries<'_, R>,
    next_header: &mut u64,
    mut visit: impl FnMut(ArchiveFile) -> io::Result<Next>,
) -> Result<(), Failed> {
    let mut last: Option<String> = None;
    for entry in entries {
        let mut entry = entry.map_err(|e| (WalkError::Read(e), last.clone()))?;
        let size = entry.size();
        let offset = entry.raw_file_position();
        *next_header = offset.saturating_add(size.div_ceil(512) * 512);
        let kind = entry.header().entry_type();
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        last = Some(raw_name.clone());
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
        .map_err(|e| (WalkError::Visit(e), last.clone()))?;
        if next == Next::Stop {
            break;
        }
    }
    Ok(())
}

/// Names what the tar crate refused at `at` (where the next header should start): a header
/// problem, an archive that ends early, or the read error itself.
fn diagnose<F: Read + Seek>(
    file: &mut F,
    at: u64,
    e: io::Error,
    after: Option<String>,
) -> WalkError {
    let mut block = [0u8; 512];
    let read = file
        .seek(SeekFrom::Start(at))
        .and_then(|_| file.read_exact(&mut block));
    match read {
        Ok(()) => match tar_header::diagnose(&block) {
            Some(problem) => WalkError::Header(problem),
            None => WalkError::Read(e),
        },
        // Less than a header's worth of bytes where one must start.
        Err(r) if r.kind() == io::ErrorKind::UnexpectedEof => WalkError::Truncated { after },
        Err(_) => WalkError::Read(e),
    }
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
            Some("the archive ends early (truncated after a)")
        );
        let mut stream_err = None;
        if let Err(e) = walk_stream(cut, |_| Ok(Next::Continue)) {
            stream_err = Some(e.to_string());
        }
        assert_eq!(
            stream_err.as_deref(),
            Some("the archive ends early (truncated after a)")
        );
    }
}
