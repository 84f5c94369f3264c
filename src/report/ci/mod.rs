//! The CI gate (`strata ci`): dive's `.dive-ci` rules, read and judged exactly as dive 0.13.1
//! does, plus strata's own rules, rendered as text, JSON, JUnit XML, GitHub Actions commands
//! or markdown.
//!
//! Three steps, one file each, so that each can be checked against dive on its own: `rules`
//! reads the file into `Rules`, `evaluate` turns `Rules` and a `Report` into a `Verdict`, and
//! `render` writes the verdict in one `Format`. The binary reads the file and picks the format.
//!
//! # The rules file
//!
//! A YAML document with one top-level key, `rules:`, a mapping holding **both** dive's keys and
//! strata's keys (all keys are matched case-insensitively, as dive's configuration loader does):
//!
//! ```yaml
//! rules:
//!   # dive's three rules, evaluated on the dive-compatible figures (`dive_compat`).
//!   # Always evaluated, with dive's defaults unless set; "disabled" turns one off (SKIP).
//!   lowestEfficiency: 0.95            # FAIL if efficiency < value (0-1)           default 0.9
//!   highestWastedBytes: 20MB          # FAIL if wasted bytes > value (a size)      default disabled
//!   highestUserWastedPercent: 0.20    # FAIL if wasted/user bytes > value (0-1)    default 0.1
//!   # strata's rules: evaluated only when present; "disabled" (or `false`) reports SKIP.
//!   max_size: 1GB                     # FAIL if the layers' bytes (totals.total_bytes) > value
//!   max_layers: 20                    # FAIL if the image has more layers
//!   min_efficiency: 0.8               # FAIL if strata's efficiency (final/total) < value (0-1)
//!   max_unreachable_bytes: 50MiB      # FAIL if bytes hidden or deleted by later layers > value
//!   max_unreachable_percent: 0.1      # FAIL if unreachable / total bytes > value (0-1)
//!   max_cache_bytes: 10MB             # FAIL if package-manager caches in the final view > value
//!   deny_root_user: true              # FAIL if the config user is unset, empty, 0 or root
//!   deny_secrets: true                # FAIL if a `secret` or `secret-removed` hint exists
//! ```
//!
//! Sizes are read like dive's (Go's `humanize.ParseBytes`, `model::units::parse_size`): a plain
//! number is bytes, `kB`/`MB`/`GB`/... are powers of 1000, `KiB`/`MiB`/`GiB`/... powers of
//! 1024, case-insensitive, with an optional space (`"1 GB"`) and thousands commas (`"2,000"`);
//! fractions are truncated.
//!
//! Every comparison is the one dive makes: a value equal to its threshold passes (efficiency
//! `<` fails, every maximum `>` fails). dive's user-wasted ratio is recomputed from
//! `wasted_bytes / user_size_bytes` in floating point, so 0/0 is NaN (never fails) and x/0 is
//! +Inf (fails every threshold).
//!
//! A failure's message is dive's for dive's rules, so a pipeline's greps keep working; what
//! strata adds comes after it in parentheses (the `note` of the JSON): byte figures counted and
//! in readable units, and, for a threshold neither the file nor a flag set, that it is dive's
//! default (`(dive's default; set highestUserWastedPercent in the rules file to change it)`).
//! strata's size rules say both forms in their message: `image is too large (size 544,749,398
//! B (544.75 MB) > threshold 500,000,000 B (500 MB))`.
//!
//! An empty file, or `rules:` with no value, or a key with no value, means the defaults. What
//! dive reports as "CI Misconfigured" (an unparsable value, a ratio outside 0-1) is an error
//! here, as are what dive silently ignores: unknown keys and keys outside `rules:`. Errors name
//! the key, on one line.

mod evaluate;
mod markdown;
mod render;
mod rules;

pub use evaluate::{evaluate, Measured, RuleResult, Status, Tally, Verdict};
pub use render::{render, Format, SCHEMA};
pub use rules::{
    parse_dive_ci, parse_rules, DiveDefaults, Ignored, Rules, RulesError, Setting, ValueError,
};
