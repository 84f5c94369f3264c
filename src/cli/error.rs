//! What stops a command of the binary. `main` prints `strata: error: ` and `Display` on one
//! line and exits 2, so each variant's text is exactly what the user reads: it names the input
//! (an image, a rules file, a flag) and the problem. The library's kinds are kept whole so the
//! binary adds context without flattening them to text.

use std::io;
use std::path::PathBuf;

use strata::model::units::SizeError;
use strata::report::ci::RulesError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An image could not be opened, analysed or extracted; it names its input itself.
    #[error(transparent)]
    Image(#[from] strata::Error),

    /// `strata` alone: nothing to open.
    #[error("no image given; try `strata IMAGE` to explore one, or `strata --help`")]
    NoImage,

    /// `strata IMAGE` or its flags given with a command: they belong after its name.
    #[error("the image and its options go after the command's name: strata COMMAND [OPTIONS] IMAGE (only --color may come before it)")]
    BeforeCommand,

    /// A rules file (`--rules FILE` or `.dive-ci`) could not be read.
    #[error("{}: {source}", .path.display())]
    ReadRules { path: PathBuf, source: io::Error },

    /// A rules file was read but refused.
    #[error("{}: {source}", .path.display())]
    Rules { path: PathBuf, source: RulesError },

    /// stdout failed for a reason other than a closed pipe.
    #[error("writing the {what}: {source}")]
    Write {
        what: &'static str,
        source: io::Error,
    },

    #[error("--password-stdin: reading stdin: {0}")]
    Stdin(#[source] io::Error),

    #[error("--password-stdin: stdin held no password")]
    NoPassword,

    /// `strata cache prune --max-size` is read after the arguments (0 is allowed: empty all).
    #[error("--max-size {value}: {source}")]
    MaxSize { value: String, source: SizeError },

    #[error("this system has no cache directory (set STRATA_CACHE_DIR)")]
    NoCacheDir,

    /// The explorer's settings (`config.toml`, the environment) cannot be used.
    #[error(transparent)]
    Config(#[from] strata::tui::config::ConfigError),

    /// The terminal program failed, or the load it showed did.
    #[error(transparent)]
    Terminal(#[from] strata::tui::runtime::RunError),

    /// `STRATA_CACHE_MAX_SIZE` is not a size.
    #[error(transparent)]
    CacheSize(#[from] strata::cache::MaxSizeError),
}
