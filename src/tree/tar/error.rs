//! Why a layer tar could not be read, as kinds a caller matches on. The walker knows what went
//! wrong where it happens (a header check failed, the stream ended inside a header or while
//! skipping content), so it says so in a type there; nothing here reads an error's message.
//! Errors of the reader below the tar (a decoder, the source, a limit of `Bounded`) and of a
//! visitor come back through `io::Error` and are sorted by what they carry, not by their text.
//! Every `Display` is the line users and the hostile-image corpus (tests/hostile/cases.tsv)
//! know, to the byte.

use std::io;

use crate::model::limits::LimitHit;
use crate::model::tar_header::HeaderProblem;
use crate::model::text::printable;

/// Why a layer tar could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// The bytes are not a well-formed tar.
    #[error("{0}")]
    Corrupt(#[from] Corrupt),
    /// The layer went past one of the `Limits`.
    #[error("{0}")]
    Limit(#[from] LimitHit),
    /// The reader below the tar failed (a decoder's or the source's error), or a visitor did.
    #[error("{0}")]
    Io(#[source] io::Error),
}

/// What is wrong with a tar that does not parse.
#[derive(Debug, thiserror::Error)]
pub enum Corrupt {
    #[error("corrupt tar header ({0})")]
    Header(#[from] HeaderProblem),
    /// A PAX or GNU long-name header larger than any real one (it would be held in memory).
    #[error("corrupt tar header (extension header of {size} bytes)")]
    ExtensionTooBig { size: u64 },
    #[error("corrupt tar header (sparse file: {0})")]
    Sparse(SparseProblem),
    /// The stream ended before the tar did.
    #[error("truncated data ({0})")]
    Truncated(Ended),
}

/// What is wrong with a sparse file's map of data segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SparseProblem {
    #[error("offset")]
    Offset,
    #[error("length")]
    Length,
    #[error("real size")]
    RealSize,
    #[error("too many segments")]
    TooManySegments,
    /// Not numbers, or segments out of order, overlapping or past the file's size.
    #[error("map")]
    Map,
}

/// Where the input ended before the tar did.
#[derive(Debug, thiserror::Error)]
pub enum Ended {
    #[error("unexpected EOF in a tar header")]
    InHeader,
    /// While stepping over content the visitor left unread, or padding.
    #[error("unexpected EOF during skip")]
    Skipping,
    #[error("unexpected EOF in an extension header")]
    InExtension,
    #[error("unexpected EOF in a sparse map")]
    InSparseMap,
    #[error("unexpected EOF in sparse file data")]
    InSparseData,
    /// The reader below the tar found its own stream cut short (a gzip or zstd stream that
    /// stops mid-frame): in its own words, which come from the decoder, not the image.
    #[error("{}", printable(&.0.to_string(), 120))]
    Below(#[source] io::Error),
}

/// The error a sparse file's content reader gives when the data ends inside a segment. It
/// travels through the visitor as an `io::Error` and is known again by its type.
#[derive(Debug, thiserror::Error)]
#[error("unexpected EOF in sparse file data")]
pub(super) struct SparseDataEnded;

impl SparseDataEnded {
    pub(super) fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::UnexpectedEof, self)
    }
}

impl TreeError {
    /// Sorts an error of the reader below the tar, or one a visitor passed on: a limit hit and
    /// the walker's own truncation come back by their type, a stream that ended early by its
    /// kind; anything else is left as the decoder's or the source's (`Io`).
    pub fn from_io(e: io::Error) -> TreeError {
        if let Some(hit) = LimitHit::from_io(&e) {
            return TreeError::Limit(hit.clone());
        }
        if e.get_ref()
            .is_some_and(|inner| inner.is::<SparseDataEnded>())
        {
            return Corrupt::Truncated(Ended::InSparseData).into();
        }
        if e.kind() == io::ErrorKind::UnexpectedEof {
            return Corrupt::Truncated(Ended::Below(e)).into();
        }
        TreeError::Io(e)
    }

    /// The walker's input ended at `at`.
    pub(super) fn ended(at: Ended) -> TreeError {
        Corrupt::Truncated(at).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_sorted_by_what_they_carry_not_by_their_words() {
        let hit = LimitHit::new("a path".into(), "1 byte".into(), "--max-path-length");
        assert!(
            matches!(TreeError::from_io(hit.clone().into_io()), TreeError::Limit(h) if h == hit)
        );
        assert!(matches!(
            TreeError::from_io(SparseDataEnded.into_io()),
            TreeError::Corrupt(Corrupt::Truncated(Ended::InSparseData))
        ));
        // A decoder's cut stream keeps its words; they are shown, never read.
        let cut = io::Error::new(io::ErrorKind::UnexpectedEof, "stream\nends");
        let e = TreeError::from_io(cut);
        assert!(matches!(
            &e,
            TreeError::Corrupt(Corrupt::Truncated(Ended::Below(_)))
        ));
        assert_eq!(e.to_string(), "truncated data (stream\\nends)");
        // Words that look like a tar's problem are not one.
        let other = io::Error::other("archive header checksum mismatch");
        assert!(matches!(TreeError::from_io(other), TreeError::Io(_)));
        let other = io::Error::other("unexpected EOF during skip");
        assert!(matches!(TreeError::from_io(other), TreeError::Io(_)));
    }

    #[test]
    fn every_kind_reads_as_users_know_it() {
        let cases: [(TreeError, &str); 6] = [
            (
                Corrupt::Header(HeaderProblem::Checksum).into(),
                "corrupt tar header (checksum mismatch)",
            ),
            (
                Corrupt::Header(HeaderProblem::NotANumber { field: "size" }).into(),
                "corrupt tar header (numeric field was not a number in its size field)",
            ),
            (
                Corrupt::ExtensionTooBig { size: 3_145_728 }.into(),
                "corrupt tar header (extension header of 3145728 bytes)",
            ),
            (
                Corrupt::Sparse(SparseProblem::RealSize).into(),
                "corrupt tar header (sparse file: real size)",
            ),
            (
                TreeError::ended(Ended::Skipping),
                "truncated data (unexpected EOF during skip)",
            ),
            (
                TreeError::ended(Ended::InSparseData),
                "truncated data (unexpected EOF in sparse file data)",
            ),
        ];
        for (e, line) in cases {
            assert_eq!(e.to_string(), line);
        }
    }
}
