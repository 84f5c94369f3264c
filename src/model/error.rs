//! The engine's errors. Every variant a user can cause names the input and the problem in one
//! line, because the binary prints exactly `Display` and exits 2.

use std::io;

/// Anything that stops an image from being opened or analysed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{input}: {source}")]
    Open { input: String, source: io::Error },

    #[error("{input}: not a container image: {reason}")]
    NotAnImage { input: String, reason: String },

    #[error("{input}: {reason}")]
    Unsupported { input: String, reason: String },

    #[error("{input}: {what}: {reason}")]
    Format {
        input: String,
        what: String,
        reason: String,
    },

    #[error("{input}: {what} refers to blob {blob}, which is not in the image")]
    MissingBlob {
        input: String,
        what: String,
        blob: String,
    },

    #[error("{input}: {what}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        input: String,
        what: String,
        expected: String,
        actual: String,
    },

    #[error("{input}: layer {index} ({blob}): {reason}")]
    Layer {
        input: String,
        index: usize,
        blob: String,
        reason: String,
    },

    /// Extraction would replace a file the user has; the caller may ask and retry with
    /// overwrite.
    #[error("{path}: already exists; use --force to replace it (nothing was written)")]
    Exists { path: String },

    /// Extraction refused or failed at a destination path.
    #[error("{path}: {reason}")]
    Extract { path: String, reason: String },

    /// The registry could not be reached or answered with an error.
    #[error("{input}: registry {registry}: {reason}")]
    Registry {
        input: String,
        registry: String,
        reason: String,
    },

    /// The registry wants credentials strata does not have, or refused the ones it sent.
    #[error("{input}: registry {registry} {reason}; log in with `docker login {registry}` (or pass --username NAME --password-stdin)")]
    Auth {
        input: String,
        registry: String,
        reason: String,
    },

    /// A local Docker or Podman engine could not be asked for the image.
    #[error("{input}: {reason}")]
    Engine { input: String, reason: String },

    #[error("{input}: no image for platform {wanted}; available: {available}")]
    Platform {
        input: String,
        wanted: String,
        available: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
