//! The engine's errors, as kinds a caller can match on, each keeping its source (an io error,
//! a limit, a registry's answer, the two digests of a mismatch).
//!
//! No kind names the input: a source or a layer reader does not know what the user typed. The
//! load session, which does, wraps what goes wrong in `Error::Input` once, so a user always
//! reads one line naming the input, the problem and, where there is one, what to do; the binary
//! prints exactly `Display` and exits 2.

use std::io;

use super::digest::Digest;
use super::limits::LimitHit;

/// Anything that stops an image from being opened, read or extracted.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One of the kinds below, about the image the user named `input`.
    #[error("{input}: {source}")]
    Input {
        input: String,
        #[source]
        source: Box<Error>,
    },

    /// The input could not be opened (a path that does not exist, no permission, ...).
    #[error("{0}")]
    Open(#[source] io::Error),

    #[error("not a container image: {reason}")]
    NotAnImage { reason: String },

    /// An archive file that ends before its last entry does, or without its end-of-archive
    /// marker and without what the image needs (a copy or download cut short); `after` names
    /// the last entry whose header was read, `read` the bytes there were.
    #[error("the archive ends early (truncated){} (read {read} bytes)", after_entry(.after))]
    Truncated { after: Option<String>, read: u64 },

    /// A well-formed request strata does not do (a reference it cannot parse, a compression
    /// it does not read, a path that is not in the image).
    #[error("{reason}")]
    Unsupported { reason: String },

    /// The image went past one of the limits; the message names the flag that raises it.
    #[error(transparent)]
    Limit(#[from] LimitHit),

    /// A metadata file (manifest, index, config) that does not say what the format says.
    #[error("{what}: {reason}")]
    Format { what: String, reason: String },

    #[error("{what}: invalid JSON ({source})")]
    Json {
        what: String,
        #[source]
        source: serde_json::Error,
    },

    #[error("{what} refers to blob {blob}, which is not in the image")]
    MissingBlob { what: String, blob: String },

    /// Bytes that are not the ones their digest names: tampered, or another image's.
    #[error("{what}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        expected: Digest,
        actual: Digest,
    },

    /// A layer could not be read; `blob` is where it is stored.
    #[error("layer {index} ({blob}): {problem}")]
    Layer {
        index: usize,
        blob: String,
        #[source]
        problem: LayerProblem,
    },

    /// The registry could not be reached or answered with an error.
    #[error("registry {registry}: {reason}")]
    Registry { registry: String, reason: String },

    /// The registry kept answering 429 Too Many Requests until strata gave up; `answer` is
    /// what it said besides the status, if anything.
    #[error("registry {registry}: HTTP 429{} (gave up after {attempts} attempts)", spaced(.answer))]
    RateLimited {
        registry: String,
        answer: String,
        attempts: u32,
    },

    /// The registry wants credentials strata does not have, or refused the ones it sent.
    #[error("registry {registry} {reason}; log in with `docker login {registry}` (or pass --username NAME --password-stdin)")]
    Auth { registry: String, reason: String },

    /// A bare name no local engine had (`engines`: what each said) and the registry did not
    /// give either (`registry`: why).
    #[error("{registry}; no local engine has it either ({engines})")]
    NotLocal {
        #[source]
        registry: Box<Error>,
        engines: String,
    },

    /// A local Docker or Podman engine could not be asked for the image.
    #[error("{reason}")]
    Engine { reason: String },

    #[error("no image for platform {wanted}; available: {available}")]
    Platform { wanted: String, available: String },

    /// Extraction would replace a file the user has; the caller may ask and retry with
    /// overwrite.
    #[error("{path}: already exists; use --force to replace it (nothing was written)")]
    Exists { path: String },

    /// Extraction refused or failed at a destination path.
    #[error("{path}: {reason}")]
    Extract { path: String, reason: String },
}

/// Why one layer could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LayerProblem {
    #[error(transparent)]
    Limit(#[from] LimitHit),

    /// The layer's tar does not parse (`source` is the tree reader's error), in a blob of
    /// this compression.
    #[error("{source} in the {compression} layer")]
    Tar {
        compression: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The blob's bytes do not decompress.
    #[error("corrupt {compression} data: {source}")]
    Decode {
        compression: &'static str,
        #[source]
        source: io::Error,
    },

    /// The blob's first bytes show a compression strata does not read, or could not be read.
    #[error("{0}")]
    Undecodable(#[source] io::Error),

    /// The blob could not be opened or fetched (a file, a download, an engine's stream).
    #[error("{0}")]
    Read(#[source] io::Error),

    #[error("the blob is {actual} bytes, the manifest says {expected}")]
    Size { actual: u64, expected: u64 },

    /// An engine's archive named a layer file after a diff_id that is not the layer's.
    #[error("is named after {0}, which the config does not give as its diff_id")]
    NamedAfter(Digest),

    /// Reading the layer again did not find an entry where loading found it.
    #[error("{path} is no longer where it was when the image was loaded; did the image change?")]
    Vanished { path: String },

    #[error("was not read")]
    NotRead,

    /// Neither a blob digest nor a diff_id names the layer: nothing can vouch for its bytes.
    #[error("no digest names this layer, so its bytes cannot be checked")]
    Unnamed,

    #[error("the indexing thread panicked (a bug in strata)")]
    Panicked,
}

impl Error {
    /// This error about the input the user named `input` (once: an error that already names
    /// its input keeps that name).
    pub fn about(self, input: &str) -> Error {
        match self {
            e @ Error::Input { .. } => e,
            // Destination errors name the destination path, not the image.
            e @ (Error::Exists { .. } | Error::Extract { .. }) => e,
            e => Error::Input {
                // An empty reference still reads as one.
                input: if input.is_empty() {
                    "''".to_string()
                } else {
                    input.to_string()
                },
                source: Box::new(e),
            },
        }
    }

    /// The kind, whether or not an input is named.
    pub fn kind(&self) -> &Error {
        match self {
            Error::Input { source, .. } => source.kind(),
            e => e,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// ` after 'NAME'` (printable), or ` before its first entry`: where an archive was cut.
pub(crate) fn after_entry(after: &Option<String>) -> String {
    match after {
        Some(name) => format!(" after '{}'", super::text::printable(name, 200)),
        None => " before its first entry".to_string(),
    }
}

/// `text` after a space, or nothing: a registry's 429 may come without a word.
fn spaced(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!(" {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_input_is_named_once_and_destinations_keep_their_own_name() {
        let e = Error::NotAnImage {
            reason: "no manifest".into(),
        }
        .about("a.tar")
        .about("b.tar");
        assert_eq!(e.to_string(), "a.tar: not a container image: no manifest");
        assert!(matches!(e.kind(), Error::NotAnImage { .. }));
        let e = Error::Exists {
            path: "out/x".into(),
        }
        .about("a.tar");
        assert!(e.to_string().starts_with("out/x: already exists"));
    }
}
