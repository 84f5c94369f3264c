//! The rules of `strata ci` and how a rules file is read (the format is documented in
//! `ci/mod.rs`).
//!
//! One reader serves two readings, because the file is the same YAML: a `.dive-ci` found in
//! the current directory is dive's and read as dive reads it (what dive ignores is ignored,
//! and named in an `Ignored` note), a `--rules` file is strata's and read strictly (what dive
//! would ignore is an error, since a misspelt rule would gate nothing). Values are converted
//! as dive's configuration loader converts them (viper and `cast`), so a threshold means the
//! same number to both tools; every error is a `RulesError` naming the key.

use std::fmt;

use serde_norway::Value;

use crate::model::gocompat::go_float;
use crate::model::text::printable;
use crate::model::units::{self, SizeError};

/// One rule's setting.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Setting<T> {
    /// Not in the file: strata's rules are then not evaluated (dive's take their default).
    #[default]
    Unset,
    /// `"disabled"` (or `false` for the boolean rules): reported as SKIP.
    Disabled,
    On(T),
}

/// The rules to apply. `Rules::default()` is dive's defaults and none of strata's rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub lowest_efficiency: Setting<f64>,
    pub highest_wasted_bytes: Setting<u64>,
    pub highest_user_wasted_percent: Setting<f64>,
    pub max_size: Setting<u64>,
    pub max_layers: Setting<u64>,
    pub min_efficiency: Setting<f64>,
    pub max_unreachable_bytes: Setting<u64>,
    pub max_unreachable_percent: Setting<f64>,
    pub max_cache_bytes: Setting<u64>,
    pub deny_root_user: Setting<()>,
    pub deny_secrets: Setting<()>,
    /// Which of dive's rules hold dive's default because neither the file nor a flag set them
    /// (a failure then says where its threshold came from).
    pub dive_defaults: DiveDefaults,
}

/// For each of dive's three rules, whether it is at dive's default (nothing set it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiveDefaults {
    pub lowest_efficiency: bool,
    pub highest_wasted_bytes: bool,
    pub highest_user_wasted_percent: bool,
}

impl Default for DiveDefaults {
    /// All three at dive's default.
    fn default() -> DiveDefaults {
        DiveDefaults {
            lowest_efficiency: true,
            highest_wasted_bytes: true,
            highest_user_wasted_percent: true,
        }
    }
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            lowest_efficiency: Setting::On(0.9),
            highest_wasted_bytes: Setting::Disabled,
            highest_user_wasted_percent: Setting::On(0.1),
            max_size: Setting::Unset,
            max_layers: Setting::Unset,
            min_efficiency: Setting::Unset,
            max_unreachable_bytes: Setting::Unset,
            max_unreachable_percent: Setting::Unset,
            max_cache_bytes: Setting::Unset,
            deny_root_user: Setting::Unset,
            deny_secrets: Setting::Unset,
            dive_defaults: DiveDefaults::default(),
        }
    }
}

const DIVE_KEYS: [&str; 3] = [
    "lowestEfficiency",
    "highestWastedBytes",
    "highestUserWastedPercent",
];
const STRATA_KEYS: [&str; 8] = [
    "max_size",
    "max_layers",
    "min_efficiency",
    "max_unreachable_bytes",
    "max_unreachable_percent",
    "max_cache_bytes",
    "deny_root_user",
    "deny_secrets",
];

/// Why a rules file was refused. `Display` is one line naming the key (escaped); the caller
/// adds the file's name.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("not valid YAML: {}", one_line(&.0.to_string()))]
    Yaml(#[source] serde_norway::Error),
    #[error("expected a mapping with a `rules:` key")]
    NotAMapping,
    /// A key is a list, a mapping or null, which no loader turns into a name.
    #[error("keys must be plain names")]
    KeyNotAName,
    /// `rules:` twice (keys match case-insensitively); `key` is the second as written.
    #[error("{}: duplicate key", shown(.key))]
    DuplicateRules { key: String },
    #[error("rules: expected a mapping of rule names to thresholds")]
    RulesNotAMapping,
    /// A known rule outside `rules:` (dive ignores it).
    #[error("{}: rules belong under `rules:`, not at the top level", shown(.key))]
    OutsideRules { key: String },
    /// Another top-level key (dive ignores it).
    #[error("{}: unknown key (the file holds one `rules:` mapping)", shown(.key))]
    UnknownTopKey { key: String },
    /// A key under `rules:` that is no rule (dive ignores it).
    #[error(
        "rules.{}: unknown key (known: {}, {})",
        shown(.key),
        DIVE_KEYS.join(", "),
        STRATA_KEYS.join(", ")
    )]
    UnknownRule { key: String },
    /// The same rule twice, in any case.
    #[error("rules.{rule}: duplicate key")]
    DuplicateRule { rule: &'static str },
    #[error("rules.{rule}: {source}")]
    Value {
        rule: &'static str,
        source: ValueError,
    },
}

/// Why one rule's value was refused. Values quoted from the file are escaped.
#[derive(Debug, thiserror::Error)]
pub enum ValueError {
    #[error("expected a number or a string, not a list or mapping")]
    NotScalar,
    #[error(
        "invalid value '{}': expected a ratio between 0 and 1, or \"disabled\"",
        printable(.given, 80)
    )]
    NotARatio { given: String },
    /// What dive reports as "CI Misconfigured" for its ratios.
    #[error("value outside the allowed range (0-1), given '{}'", go_float(*.value))]
    OutOfRange { value: f64 },
    /// Go's YAML reads a plain `04000` as octal (2048), a quoted "04000" as 4000; the two
    /// cannot be told apart here, so neither is guessed.
    #[error(
        "ambiguous size '{}' (a leading zero is octal to dive's YAML reader): write it \
         without the leading zero",
        printable(.given, 80)
    )]
    Octal { given: String },
    #[error(
        "invalid size '{}': {source} (expected bytes like 20000000, 20MB, \"20 MiB\", or \
         \"disabled\")",
        printable(.given, 80)
    )]
    Size { given: String, source: SizeError },
    #[error(
        "expected a non-negative whole number or \"disabled\", given '{}'",
        printable(.given, 80)
    )]
    NotACount { given: String },
    #[error("expected true or false, given '{}'", printable(.given, 80))]
    NotAFlag { given: String },
}

/// A key of a `.dive-ci` that dive ignores, and so strata too. `Display`: the problem, then
/// "; ignored, as dive ignores it".
#[derive(Debug)]
pub struct Ignored(pub RulesError);

impl fmt::Display for Ignored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; ignored, as dive ignores it", self.0)
    }
}

/// Parses a rules file given with `--rules` (`.dive-ci` YAML, strata's keys too), strictly:
/// an unknown key is an error. `None`: the defaults.
pub fn parse_rules(text: Option<&str>) -> Result<Rules, RulesError> {
    parse(text, &mut None)
}

/// Parses the `.dive-ci` found in the current directory as dive does: keys dive ignores
/// (unknown ones, rules outside `rules:`) are ignored, and each is returned as a note for the
/// user (a misspelt rule gates nothing, under dive as here).
pub fn parse_dive_ci(text: Option<&str>) -> Result<(Rules, Vec<Ignored>), RulesError> {
    let mut notes = Some(Vec::new());
    let rules = parse(text, &mut notes)?;
    Ok((rules, notes.unwrap_or_default()))
}

/// `ignored`: where keys dive ignores are noted instead of refused.
fn parse(text: Option<&str>, ignored: &mut Option<Vec<Ignored>>) -> Result<Rules, RulesError> {
    let mut ignore = |what: RulesError| match ignored {
        Some(notes) => {
            notes.push(Ignored(what));
            Ok(())
        }
        None => Err(what),
    };
    let mut rules = Rules::default();
    let Some(text) = text else {
        return Ok(rules);
    };
    if text.trim().is_empty() {
        return Ok(rules);
    }
    let doc: Value = serde_norway::from_str(text).map_err(RulesError::Yaml)?;
    let top = match doc {
        Value::Null => return Ok(rules),
        Value::Mapping(m) => m,
        _ => return Err(RulesError::NotAMapping),
    };
    let mut body = None;
    for (k, v) in top {
        let key = key_name(&k)?;
        if key.eq_ignore_ascii_case("rules") {
            if body.is_some() {
                return Err(RulesError::DuplicateRules { key });
            }
            body = Some(v);
        } else if is_known(&key) {
            ignore(RulesError::OutsideRules { key })?;
        } else {
            ignore(RulesError::UnknownTopKey { key })?;
        }
    }
    let map = match body {
        None | Some(Value::Null) => return Ok(rules),
        Some(Value::Mapping(m)) => m,
        Some(_) => return Err(RulesError::RulesNotAMapping),
    };
    let mut seen: Vec<&'static str> = Vec::new();
    for (k, v) in map {
        let key = key_name(&k)?;
        let Some(rule) = DIVE_KEYS
            .iter()
            .chain(STRATA_KEYS.iter())
            .find(|n| n.eq_ignore_ascii_case(&key))
            .copied()
        else {
            ignore(RulesError::UnknownRule { key })?;
            continue;
        };
        if seen.contains(&rule) {
            return Err(RulesError::DuplicateRule { rule });
        }
        seen.push(rule);
        // A key with no value keeps its default, as in dive.
        if matches!(v, Value::Null) {
            continue;
        }
        let err = |source| RulesError::Value { rule, source };
        match rule {
            "lowestEfficiency" => {
                rules.lowest_efficiency = dive_ratio(&v).map_err(err)?;
                rules.dive_defaults.lowest_efficiency = false;
            }
            "highestUserWastedPercent" => {
                rules.highest_user_wasted_percent = dive_ratio(&v).map_err(err)?;
                rules.dive_defaults.highest_user_wasted_percent = false;
            }
            "highestWastedBytes" => {
                rules.highest_wasted_bytes = size(&v).map_err(err)?;
                rules.dive_defaults.highest_wasted_bytes = false;
            }
            "max_size" => rules.max_size = size(&v).map_err(err)?,
            "max_unreachable_bytes" => rules.max_unreachable_bytes = size(&v).map_err(err)?,
            "max_cache_bytes" => rules.max_cache_bytes = size(&v).map_err(err)?,
            "min_efficiency" => rules.min_efficiency = ratio(&v).map_err(err)?,
            "max_unreachable_percent" => rules.max_unreachable_percent = ratio(&v).map_err(err)?,
            "max_layers" => rules.max_layers = count(&v).map_err(err)?,
            "deny_root_user" => rules.deny_root_user = flag(&v).map_err(err)?,
            _ => rules.deny_secrets = flag(&v).map_err(err)?,
        }
    }
    Ok(rules)
}

fn is_known(key: &str) -> bool {
    DIVE_KEYS
        .iter()
        .chain(STRATA_KEYS.iter())
        .any(|n| n.eq_ignore_ascii_case(key))
}

/// The YAML parser's message on one line: the error line the binary prints is one line.
fn one_line(s: &str) -> String {
    printable(&s.split_whitespace().collect::<Vec<_>>().join(" "), 300)
}

fn shown(key: &str) -> String {
    printable(key, 80)
}

fn key_name(k: &Value) -> Result<String, RulesError> {
    match k {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(RulesError::KeyNotAName),
    }
}

/// The string dive's loader (viper, `cast.ToString`) makes of a YAML scalar; `None` for
/// sequences and mappings.
fn go_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Some(u.to_string())
            } else if let Some(i) = n.as_i64() {
                Some(i.to_string())
            } else {
                // strconv.FormatFloat(f, 'f', -1, 64): shortest digits, never an exponent,
                // which is what Rust's `Display` writes.
                n.as_f64().map(|f| {
                    if f.is_nan() {
                        "NaN".to_string()
                    } else if f == f64::INFINITY {
                        "+Inf".to_string()
                    } else if f == f64::NEG_INFINITY {
                        "-Inf".to_string()
                    } else {
                        f.to_string()
                    }
                })
            }
        }
        _ => None,
    }
}

fn scalar(v: &Value) -> Result<String, ValueError> {
    go_string(v).ok_or(ValueError::NotScalar)
}

/// Go's `strconv.ParseFloat` for the decimal and named forms (`1e-1`, `.5`, `NaN`, `+Inf`).
fn go_parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let ok_chars = body
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    let named = ["inf", "infinity", "nan"]
        .iter()
        .any(|n| body.eq_ignore_ascii_case(n));
    if body.is_empty() || !(ok_chars || named) {
        return None;
    }
    s.parse::<f64>().ok()
}

/// dive's `lowestEfficiency` / `highestUserWastedPercent`: a float in 0-1 (NaN is let through,
/// as dive does; it never fails).
fn dive_ratio(v: &Value) -> Result<Setting<f64>, ValueError> {
    let s = scalar(v)?;
    if s == "disabled" {
        return Ok(Setting::Disabled);
    }
    let f = go_parse_float(&s).ok_or(ValueError::NotARatio { given: s })?;
    if !f.is_nan() && !(0.0..=1.0).contains(&f) {
        return Err(ValueError::OutOfRange { value: f });
    }
    Ok(Setting::On(f))
}

/// strata's ratios: a finite float in 0-1.
fn ratio(v: &Value) -> Result<Setting<f64>, ValueError> {
    let s = scalar(v)?;
    if s == "disabled" {
        return Ok(Setting::Disabled);
    }
    match go_parse_float(&s) {
        Some(f) if (0.0..=1.0).contains(&f) => Ok(Setting::On(f)),
        Some(f) if !f.is_nan() => Err(ValueError::OutOfRange { value: f }),
        _ => Err(ValueError::NotARatio { given: s }),
    }
}

fn size(v: &Value) -> Result<Setting<u64>, ValueError> {
    let s = scalar(v)?;
    if s == "disabled" {
        return Ok(Setting::Disabled);
    }
    if let Value::String(raw) = v {
        if raw.len() > 1 && raw.starts_with('0') && raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValueError::Octal { given: raw.clone() });
        }
    }
    match units::parse_size(&s) {
        Ok(n) => Ok(Setting::On(n)),
        Err(source) => Err(ValueError::Size { given: s, source }),
    }
}

fn count(v: &Value) -> Result<Setting<u64>, ValueError> {
    match v {
        Value::String(s) if s == "disabled" => return Ok(Setting::Disabled),
        Value::Number(n) => {
            if let Some(c) = n.as_u64() {
                return Ok(Setting::On(c));
            }
        }
        _ => {}
    }
    Err(ValueError::NotACount {
        given: go_string(v).unwrap_or_default(),
    })
}

fn flag(v: &Value) -> Result<Setting<()>, ValueError> {
    match v {
        Value::Bool(true) => Ok(Setting::On(())),
        Value::Bool(false) => Ok(Setting::Disabled),
        _ => Err(ValueError::NotAFlag {
            given: go_string(v).unwrap_or_default(),
        }),
    }
}
