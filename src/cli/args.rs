//! Command-line arguments, as clap reads them. Parsing only; `cli/mod.rs` dispatches.

use clap::{Args, Parser, Subcommand};
use strata::model::units::{self, SizeError};
use strata::report::ci::Setting;

/// Open a container image and see what is inside it, layer by layer, and where the bytes are
/// wasted.
#[derive(Debug, Parser)]
// The version names the commit it was built from where build.rs could read it.
#[command(
    name = "strata",
    version = env!("STRATA_VERSION"),
    about,
    // `--color` is global and may come before a command's name; the image and the source
    // flags of `strata IMAGE` may not (`cli::run` refuses them with a command).
    subcommand_negates_reqs = true,
    override_usage = "strata [OPTIONS] [IMAGE]\n       strata [--color <WHEN>] <COMMAND>"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Image to open: a `docker save` tar, an OCI archive or layout directory, a registry
    /// name (nginx:alpine, host:port/app:tag), or a reference with a transport prefix
    /// (docker-archive:, oci-archive:, oci:, docker://, docker-daemon:, podman:).
    pub image: Option<String>,

    #[command(flatten)]
    pub source: SourceArgs,

    /// When to colour: auto (on a terminal, unless NO_COLOR is set), always (even with
    /// NO_COLOR or TERM=dumb), never. Wins over NO_COLOR. Only the explorer and the compare
    /// screen draw colour; reports, verdicts and documents never carry colour codes.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value = "auto"
    )]
    pub color: ColorArg,
}

/// `--color`; a type of its own so that the library's `ColorChoice` knows nothing of clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

impl From<ColorArg> for strata::tui::app::theme::ColorChoice {
    fn from(c: ColorArg) -> Self {
        match c {
            ColorArg::Auto => Self::Auto,
            ColorArg::Always => Self::Always,
            ColorArg::Never => Self::Never,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a summary of an image: layers, sizes and wasted bytes by cause.
    Report(ReportArgs),
    /// Extract files from an image into a directory (the final merged view by default).
    Extract(ExtractArgs),
    /// Gate a pipeline: exit 0 if every rule passes, 1 if one fails, 2 if the image could
    /// not be analysed. Reads dive's `.dive-ci` as-is.
    ///
    /// Where $GITHUB_STEP_SUMMARY names a file (as GitHub Actions sets it), the verdict is also
    /// appended to it in markdown, whatever --format says; a file that cannot be written is a
    /// warning on stderr and leaves the exit code to the rules.
    Ci(CiArgs),
    /// Compare two images: shared layers, changed files, config, history and waste.
    Diff(DiffArgs),
    /// Show or empty the cache of downloaded blobs and analysed layers.
    Cache(CacheArgs),
    /// Write the image's installed packages as an SBOM: CycloneDX 1.5 or SPDX 2.3 JSON, each
    /// package with the layer that installed it.
    Sbom(SbomArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    ///
    /// bash: `strata completions bash > ~/.local/share/bash-completion/completions/strata`;
    /// zsh: `strata completions zsh > ~/.zfunc/_strata`, with `fpath+=~/.zfunc` before
    /// `compinit` in ~/.zshrc; fish: `strata completions fish >
    /// ~/.config/fish/completions/strata.fish`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): every command and its options on one page.
    ///
    /// `strata man > ~/.local/share/man/man1/strata.1`, then `man strata`.
    Man,
}

#[derive(Debug, Args)]
pub struct SbomArgs {
    /// Image to read (see `strata --help` for the forms accepted).
    pub image: String,

    /// Document format.
    #[arg(long, value_enum, default_value = "cyclonedx")]
    pub format: SbomFormat,

    /// Write the document to FILE instead of stdout (an existing FILE is kept unless --force).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,

    /// Replace FILE if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,

    #[command(flatten)]
    pub source: SourceArgs,
}

/// `strata sbom --format`; a type of its own so that the library's `Format` knows nothing of
/// clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SbomFormat {
    /// CycloneDX 1.5 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

impl From<SbomFormat> for strata::report::sbom::Format {
    fn from(f: SbomFormat) -> Self {
        match f {
            SbomFormat::Cyclonedx => Self::CycloneDx,
            SbomFormat::Spdx => Self::Spdx,
        }
    }
}

#[derive(Debug, Args)]
pub struct CacheArgs {
    #[command(subcommand)]
    pub action: CacheAction,
}

#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// List what the cache holds, least recently used first, with the images each file was
    /// loaded as.
    Ls,
    /// Remove cached files: all of them, or the least recently used until the cache is at
    /// most --max-size.
    Prune {
        /// Keep up to this much ("2GB", "500MiB").
        #[arg(long, value_name = "SIZE")]
        max_size: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The image to compare from.
    pub a: String,
    /// The image to compare to.
    pub b: String,

    /// Print the `strata.diff/v1` JSON document (the same as `--format json`).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Print the comparison instead of opening the compare screen: text, json (the
    /// `strata.diff/v1` document) or markdown (a pull-request comment, under GitHub's 65,536
    /// characters).
    #[arg(long, value_enum)]
    pub format: Option<DiffFormat>,

    /// Rows of each table (packages, directories, files) in the text summary.
    #[arg(long, default_value_t = 20)]
    pub top: usize,

    /// Write the comparison (text unless --format says otherwise) to FILE instead of stdout;
    /// an existing FILE is kept unless --force. The compare screen does not open.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,

    /// Replace FILE if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,

    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Args)]
pub struct CiArgs {
    /// Image to check.
    pub image: String,

    /// Rules file: dive's `.dive-ci` (lowestEfficiency, highestWastedBytes,
    /// highestUserWastedPercent) and/or strata's rules. Default: `.dive-ci` in the current
    /// directory if present, else dive's default rules.
    #[arg(long, value_name = "FILE", alias = "ci-config")]
    pub rules: Option<std::path::PathBuf>,

    /// dive's flag: fail below this efficiency (0-1, or "disabled"); overrides the file.
    #[arg(long = "lowestEfficiency", value_name = "RATIO", value_parser = dive_ratio)]
    pub lowest_efficiency: Option<Setting<f64>>,

    /// dive's flag: fail above this many wasted bytes ("20MB", or "disabled").
    #[arg(long = "highestWastedBytes", value_name = "SIZE", value_parser = dive_size)]
    pub highest_wasted_bytes: Option<Setting<u64>>,

    /// dive's flag: fail above this ratio of wasted to user bytes (0-1, or "disabled").
    #[arg(long = "highestUserWastedPercent", value_name = "RATIO", value_parser = dive_ratio)]
    pub highest_user_wasted_percent: Option<Setting<f64>>,

    /// Accepted for dive compatibility (`dive --ci`); strata ci always gates.
    #[arg(long = "ci", hide = true)]
    pub ci_flag: bool,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: CiFormat,

    /// Write the verdict to FILE instead of stdout (an existing FILE is kept unless --force).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,

    /// Replace FILE if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,

    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Image to read.
    pub image: String,

    /// Paths inside the image to extract; `/` extracts the whole filesystem.
    #[arg(required = true)]
    pub paths: Vec<String>,

    /// Destination directory (created if missing). Nothing is written outside it.
    #[arg(long = "to", value_name = "DIR")]
    pub to: std::path::PathBuf,

    /// Extract the filesystem as it was after this layer (0-based) instead of the final one.
    #[arg(long)]
    pub layer: Option<usize>,

    /// Replace files that already exist in DIR (otherwise strata refuses and writes nothing).
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Image to analyse (see `strata --help` for the forms accepted).
    pub image: String,

    /// Print the `strata.report/v1` JSON document instead of text (the same as `--format json`).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Output format: text, json (the `strata.report/v1` document), markdown (a pull-request
    /// comment, under GitHub's 65,536 characters) or html (one self-contained page with a
    /// treemap of the final view; works offline).
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,

    /// Write the report to FILE instead of stdout (an existing FILE is kept unless --force).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,

    /// Replace FILE if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,

    /// Rows of the top wasted paths table in the text report (and of the hints in markdown).
    #[arg(long, default_value_t = 10)]
    pub top: usize,

    /// The image this one was built FROM: its layers are matched at the bottom of IMAGE and
    /// the figures split into "from the base" and "added by this image".
    #[arg(long, value_name = "IMAGE")]
    pub base: Option<String>,

    #[command(flatten)]
    pub source: SourceArgs,
}

/// How to read an image: the flags of every command that opens one (not of `cache`, which
/// opens none). Not `global`: a global flag is offered by every subcommand, `cache` too.
#[derive(Debug, Args, Clone, Default, PartialEq, Eq)]
pub struct SourceArgs {
    /// Platform to pick from a multi-platform image: os/arch[/variant] (default: the host's).
    #[arg(long)]
    pub platform: Option<String>,

    /// Where a bare image name is looked up (default: the local engine if it has the image,
    /// else the registry).
    #[arg(long, value_enum)]
    pub source: Option<SourceChoice>,

    /// Accept a registry certificate that does not verify (said on stderr), and plain HTTP
    /// from a registry that does not answer TLS (registries on loopback get the latter anyway).
    #[arg(long)]
    pub insecure: bool,

    /// Registry user name; the password is read from stdin (--password-stdin).
    #[arg(long, requires = "password_stdin")]
    pub username: Option<String>,

    /// Read the registry password (or token) from the first line of stdin.
    #[arg(long, requires = "username")]
    pub password_stdin: bool,

    /// Neither read nor write the cache of downloaded blobs and analysed layers.
    #[arg(long)]
    pub no_cache: bool,

    /// Seconds a registry or engine may stay silent before strata retries or gives up.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: Option<u64>,

    /// Check each compressed layer's uncompressed tar against its diff_id as well (a second
    /// SHA-256 pass over several times the bytes). By default a blob is checked against the
    /// digest it is addressed by, and a diff_id only where nothing else names the layer.
    #[arg(long)]
    pub verify_diff_ids: bool,

    /// No progress or notices on stderr (errors are still printed).
    #[arg(long, short)]
    pub quiet: bool,

    /// Largest uncompressed layer [default: 64GiB].
    #[arg(long, value_name = "SIZE", value_parser = size, help_heading = LIMITS)]
    pub max_layer_size: Option<u64>,

    /// Largest uncompressed:compressed ratio of a layer past its first 256 MiB [default: 250].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), help_heading = LIMITS)]
    pub max_ratio: Option<u64>,

    /// Most entries in one layer [default: 5000000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), help_heading = LIMITS)]
    pub max_entries: Option<u64>,

    /// Most entries in all layers together [default: 10000000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), help_heading = LIMITS)]
    pub max_total_entries: Option<u64>,

    /// Longest path inside a layer, in bytes [default: 4096].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), help_heading = LIMITS)]
    pub max_path_length: Option<u64>,

    /// Deepest path inside a layer, in components, at most 4096 [default: 256].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=strata::model::limits::MAX_PATH_DEPTH), help_heading = LIMITS)]
    pub max_path_depth: Option<u64>,

    /// Largest manifest, index or image config [default: 16MiB].
    #[arg(long, value_name = "SIZE", value_parser = size, help_heading = LIMITS)]
    pub max_json_size: Option<u64>,

    /// Most layers in one image [default: 1000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), help_heading = LIMITS)]
    pub max_layers: Option<u64>,
}

const LIMITS: &str = "Limits (against hostile images)";

/// Why a size flag was refused.
#[derive(Debug, thiserror::Error)]
pub enum SizeFlagError {
    #[error(transparent)]
    Size(#[from] SizeError),
    /// A limit of 0 would refuse every image.
    #[error("must be more than 0")]
    Zero,
}

/// A byte size flag: `512MB`, `2GiB`, `100000`.
fn size(s: &str) -> Result<u64, SizeFlagError> {
    match units::parse_size(s)? {
        0 => Err(SizeFlagError::Zero),
        n => Ok(n),
    }
}

/// A dive ratio flag that is neither a number in 0-1 nor "disabled".
#[derive(Debug, thiserror::Error)]
#[error("expected a ratio between 0 and 1, or \"disabled\"")]
pub struct NotARatio;

/// dive's ratio flags, read while the arguments are parsed so that a bad value is reported
/// as the flag's (`invalid value '2' for '--lowestEfficiency <RATIO>'`), never as the rules
/// file's. A plain float, as dive's flag takes it (not the rules file's Go forms).
fn dive_ratio(s: &str) -> Result<Setting<f64>, NotARatio> {
    if s == "disabled" {
        return Ok(Setting::Disabled);
    }
    match s.trim().parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(Setting::On(x)),
        _ => Err(NotARatio),
    }
}

/// `--highestWastedBytes`: a size (`20MB`, `1048576`) or `disabled`, read like `dive_ratio`.
fn dive_size(s: &str) -> Result<Setting<u64>, SizeError> {
    if s == "disabled" {
        return Ok(Setting::Disabled);
    }
    units::parse_size(s).map(Setting::On)
}

/// `strata diff --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
    Markdown,
}

/// `strata ci --format`; a type of its own so that the library's `Format` knows nothing of
/// clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CiFormat {
    /// One line per rule, like `dive --ci`, then a `Result:` summary line.
    Text,
    /// A `strata.ci/v1` JSON document.
    Json,
    /// JUnit XML: one test suite, one test case per rule.
    Junit,
    /// GitHub Actions workflow commands (`::error` per failed rule) and a summary line.
    Github,
    /// Markdown for a pull-request comment: the verdict as a table (each rule's figure
    /// against its threshold), then the report's summary, under 65,536 characters.
    Markdown,
}

impl From<CiFormat> for strata::report::ci::Format {
    fn from(f: CiFormat) -> Self {
        match f {
            CiFormat::Text => Self::Text,
            CiFormat::Json => Self::Json,
            CiFormat::Junit => Self::Junit,
            CiFormat::Github => Self::Github,
            CiFormat::Markdown => Self::Markdown,
        }
    }
}

impl SourceArgs {
    /// The limits these flags set, defaults elsewhere.
    pub fn limits(&self) -> strata::model::limits::Limits {
        let d = strata::model::limits::Limits::default();
        strata::model::limits::Limits {
            layer_size: self.max_layer_size.unwrap_or(d.layer_size),
            ratio: self.max_ratio.unwrap_or(d.ratio),
            entries: self.max_entries.unwrap_or(d.entries),
            total_entries: self.max_total_entries.unwrap_or(d.total_entries),
            path_length: self.max_path_length.unwrap_or(d.path_length),
            path_depth: self.max_path_depth.unwrap_or(d.path_depth),
            json_size: self.max_json_size.unwrap_or(d.json_size),
            layers: self.max_layers.unwrap_or(d.layers),
        }
    }
}

/// `--source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceChoice {
    Registry,
    Docker,
    Podman,
}

/// `strata report --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Markdown,
    Html,
}
