//! The CI gate (`strata ci`): dive's `.dive-ci` rules, read and judged exactly as dive 0.13.1
//! does, plus strata's own rules, rendered as text, JSON, JUnit XML or GitHub Actions commands.
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
//! Sizes are read like dive's (Go's `humanize.ParseBytes`): a plain number is bytes, `kB`/`MB`/
//! `GB`/... are powers of 1000, `KiB`/`MiB`/`GiB`/... powers of 1024, case-insensitive, with an
//! optional space (`"1 GB"`) and thousands commas (`"2,000"`); fractions are truncated.
//!
//! Every comparison is the one dive makes: a value equal to its threshold passes (efficiency
//! `<` fails, every maximum `>` fails). dive's user-wasted ratio is recomputed from
//! `wasted_bytes / user_size_bytes` in floating point, so 0/0 is NaN (never fails) and x/0 is
//! +Inf (fails every threshold).
//!
//! An empty file, or `rules:` with no value, or a key with no value, means the defaults. What
//! dive reports as "CI Misconfigured" (an unparsable value, a ratio outside 0-1) is an error
//! here, as are what dive silently ignores: unknown keys and keys outside `rules:`. Errors name
//! the key, on one line.

use std::fmt::Write as _;

use serde_norway::Value;

use super::Report;
use crate::model::text::printable;

/// Output formats of `strata ci`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per rule, like `dive --ci`, then a `Result:` summary line.
    Text,
    /// A `strata.ci/v1` JSON document.
    Json,
    /// JUnit XML: one test suite, one test case per rule.
    Junit,
    /// GitHub Actions workflow commands (`::error` per failed rule) and a summary line.
    Github,
}

/// The outcome of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Skip,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RuleResult {
    /// The key of the rule, as spelled in the documentation (`lowestEfficiency`, `max_size`).
    pub rule: String,
    pub status: Status,
    /// dive's message for dive's rules (empty when one passes, like dive); for strata's rules
    /// the measured value against the threshold. Anything from the image is already escaped.
    pub message: String,
}

/// All rules' outcomes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Verdict {
    pub results: Vec<RuleResult>,
}

/// Counts of a verdict, as in dive's `Result:` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Tally {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub warn: usize,
    pub skipped: usize,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.results.iter().all(|r| r.status != Status::Fail)
    }

    pub fn tally(&self) -> Tally {
        let count = |s| self.results.iter().filter(|r| r.status == s).count();
        Tally {
            total: self.results.len(),
            passed: count(Status::Pass),
            failed: count(Status::Fail),
            warn: 0,
            skipped: count(Status::Skip),
        }
    }

    /// dive's summary line: `Result:PASS [Total:3] [Passed:2] [Failed:0] [Warn:0] [Skipped:1]`.
    pub fn summary(&self) -> String {
        let t = self.tally();
        format!(
            "Result:{} [Total:{}] [Passed:{}] [Failed:{}] [Warn:{}] [Skipped:{}]",
            if self.passed() { "PASS" } else { "FAIL" },
            t.total,
            t.passed,
            t.failed,
            t.warn,
            t.skipped
        )
    }
}

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

/// Parses a rules file given with `--rules` (`.dive-ci` YAML, strata's keys too), strictly:
/// an unknown key is an error. `None`: the defaults.
pub fn parse_rules(text: Option<&str>) -> Result<Rules, String> {
    parse(text, &mut None)
}

/// Parses the `.dive-ci` found in the current directory as dive does: keys dive ignores
/// (unknown ones, rules outside `rules:`) are ignored, and each is named in a note for the
/// user (a misspelt rule gates nothing, under dive as here).
pub fn parse_dive_ci(text: Option<&str>) -> Result<(Rules, Vec<String>), String> {
    let mut notes = Some(Vec::new());
    let rules = parse(text, &mut notes)?;
    Ok((rules, notes.unwrap_or_default()))
}

/// `ignored`: where keys dive ignores are noted instead of refused.
fn parse(text: Option<&str>, ignored: &mut Option<Vec<String>>) -> Result<Rules, String> {
    let mut ignore = |what: String| match ignored {
        Some(notes) => {
            notes.push(format!("{what}; ignored, as dive ignores it"));
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
    let doc: Value = serde_norway::from_str(text)
        .map_err(|e| format!("not valid YAML: {}", one_line(&e.to_string())))?;
    let top = match doc {
        Value::Null => return Ok(rules),
        Value::Mapping(m) => m,
        _ => return Err("expected a mapping with a `rules:` key".into()),
    };
    let mut body = None;
    for (k, v) in top {
        let key = key_name(&k)?;
        if key.eq_ignore_ascii_case("rules") {
            if body.is_some() {
                return Err(format!("{}: duplicate key", shown(&key)));
            }
            body = Some(v);
        } else if is_known(&key) {
            ignore(format!(
                "{}: rules belong under `rules:`, not at the top level",
                shown(&key)
            ))?;
        } else {
            ignore(format!(
                "{}: unknown key (the file holds one `rules:` mapping)",
                shown(&key)
            ))?;
        }
    }
    let map = match body {
        None | Some(Value::Null) => return Ok(rules),
        Some(Value::Mapping(m)) => m,
        Some(_) => return Err("rules: expected a mapping of rule names to thresholds".into()),
    };
    let mut seen: Vec<&'static str> = Vec::new();
    for (k, v) in map {
        let key = key_name(&k)?;
        let Some(name) = DIVE_KEYS
            .iter()
            .chain(STRATA_KEYS.iter())
            .find(|n| n.eq_ignore_ascii_case(&key))
            .copied()
        else {
            ignore(format!(
                "rules.{}: unknown key (known: {}, {})",
                shown(&key),
                DIVE_KEYS.join(", "),
                STRATA_KEYS.join(", ")
            ))?;
            continue;
        };
        if seen.contains(&name) {
            return Err(format!("rules.{name}: duplicate key"));
        }
        seen.push(name);
        let err = |msg: String| format!("rules.{name}: {msg}");
        // A key with no value keeps its default, as in dive.
        if matches!(v, Value::Null) {
            continue;
        }
        match name {
            "lowestEfficiency" => rules.lowest_efficiency = dive_ratio(&v).map_err(err)?,
            "highestUserWastedPercent" => {
                rules.highest_user_wasted_percent = dive_ratio(&v).map_err(err)?
            }
            "highestWastedBytes" => rules.highest_wasted_bytes = size(&v).map_err(err)?,
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

fn one_line(s: &str) -> String {
    printable(&s.split_whitespace().collect::<Vec<_>>().join(" "), 300)
}

fn shown(key: &str) -> String {
    printable(key, 80)
}

fn key_name(k: &Value) -> Result<String, String> {
    match k {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err("keys must be plain names".into()),
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

fn scalar(v: &Value) -> Result<String, String> {
    go_string(v).ok_or_else(|| "expected a number or a string, not a list or mapping".into())
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
fn dive_ratio(v: &Value) -> Result<Setting<f64>, String> {
    let s = scalar(v)?;
    if s == "disabled" {
        return Ok(Setting::Disabled);
    }
    let f = go_parse_float(&s).ok_or_else(|| {
        format!(
            "invalid value '{}': expected a ratio between 0 and 1, or \"disabled\"",
            printable(&s, 80)
        )
    })?;
    if !f.is_nan() && !(0.0..=1.0).contains(&f) {
        return Err(format!(
            "value outside the allowed range (0-1), given '{}'",
            go_float(f)
        ));
    }
    Ok(Setting::On(f))
}

/// strata's ratios: a finite float in 0-1.
fn ratio(v: &Value) -> Result<Setting<f64>, String> {
    let s = scalar(v)?;
    if s == "disabled" {
        return Ok(Setting::Disabled);
    }
    match go_parse_float(&s) {
        Some(f) if (0.0..=1.0).contains(&f) => Ok(Setting::On(f)),
        Some(f) if !f.is_nan() => Err(format!(
            "value outside the allowed range (0-1), given '{}'",
            go_float(f)
        )),
        _ => Err(format!(
            "invalid value '{}': expected a ratio between 0 and 1, or \"disabled\"",
            printable(&s, 80)
        )),
    }
}

fn size(v: &Value) -> Result<Setting<u64>, String> {
    let s = scalar(v)?;
    if s == "disabled" {
        return Ok(Setting::Disabled);
    }
    if let Value::String(raw) = v {
        // Go's YAML reads a plain `04000` as octal (2048), a quoted "04000" as 4000; the two
        // cannot be told apart here, so neither is guessed.
        if raw.len() > 1 && raw.starts_with('0') && raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "ambiguous size '{}' (a leading zero is octal to dive's YAML reader): write it \
                 without the leading zero",
                printable(raw, 80)
            ));
        }
    }
    parse_bytes(&s).map(Setting::On).map_err(|e| {
        format!(
            "invalid size '{}': {e} (expected bytes like 20000000, 20MB, \"20 MiB\", or \"disabled\")",
            printable(&s, 80)
        )
    })
}

fn count(v: &Value) -> Result<Setting<u64>, String> {
    match v {
        Value::String(s) if s == "disabled" => return Ok(Setting::Disabled),
        Value::Number(n) => {
            if let Some(c) = n.as_u64() {
                return Ok(Setting::On(c));
            }
        }
        _ => {}
    }
    Err(format!(
        "expected a non-negative whole number or \"disabled\", given '{}'",
        printable(&go_string(v).unwrap_or_default(), 80)
    ))
}

fn flag(v: &Value) -> Result<Setting<()>, String> {
    match v {
        Value::Bool(true) => Ok(Setting::On(())),
        Value::Bool(false) => Ok(Setting::Disabled),
        _ => Err(format!(
            "expected true or false, given '{}'",
            printable(&go_string(v).unwrap_or_default(), 80)
        )),
    }
}

/// Go's `humanize.ParseBytes` (go-humanize, as used by dive): leading digits, dots and commas
/// (commas dropped) form a float; the rest, trimmed and lower-cased, is a unit.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let digits = s
        .bytes()
        .take_while(|b| b.is_ascii_digit() || matches!(b, b'.' | b','))
        .count();
    let num: String = s[..digits].chars().filter(|&c| c != ',').collect();
    let f: f64 = num
        .parse()
        .map_err(|_| format!("no number at the start of '{}'", printable(s, 80)))?;
    let unit = s[digits..].trim().to_ascii_lowercase();
    let k: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "ki" | "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mi" | "mib" => 1024f64.powi(2),
        "g" | "gb" => 1e9,
        "gi" | "gib" => 1024f64.powi(3),
        "t" | "tb" => 1e12,
        "ti" | "tib" => 1024f64.powi(4),
        "p" | "pb" => 1e15,
        "pi" | "pib" => 1024f64.powi(5),
        "e" | "eb" => 1e18,
        "ei" | "eib" => 1024f64.powi(6),
        _ => return Err(format!("unknown unit '{}'", printable(&unit, 40))),
    };
    let bytes = f * k;
    // `f >= math.MaxUint64` in Go compares against 2^64.
    if bytes >= 18_446_744_073_709_551_616.0 {
        return Err("too large".into());
    }
    Ok(bytes as u64)
}

/// Go's `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`), as dive prints thresholds
/// and figures: shortest round-trip digits, in exponent form when the decimal exponent is below
/// -4 or at least 6 (`123456`, `1.234567e+06`, `1e-05`, `0.0001`), and `+Inf`, `NaN`.
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    // Rust's `{:e}` writes the shortest round-trip digits: `d.ddde-x`.
    let e = format!("{f:e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        // `%e`: mantissa, then a signed exponent of at least two digits.
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    f.to_string()
}

fn ratio_of(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn result(rule: &str, status: Status, message: String) -> RuleResult {
    RuleResult {
        rule: rule.to_string(),
        status,
        message,
    }
}

fn disabled(rule: &str) -> RuleResult {
    result(rule, Status::Skip, "rule disabled".into())
}

/// A maximum (`None` when unset): FAIL when `value > limit`, like dive's maxima.
fn at_most(
    rule: &str,
    setting: Setting<u64>,
    what: &str,
    value: u64,
    fail_msg: &str,
) -> Option<RuleResult> {
    match setting {
        Setting::Unset => None,
        Setting::Disabled => Some(disabled(rule)),
        Setting::On(limit) if value > limit => Some(result(
            rule,
            Status::Fail,
            format!("{fail_msg} ({what}={value} > threshold={limit})"),
        )),
        Setting::On(limit) => Some(result(
            rule,
            Status::Pass,
            format!("{what}={value} <= threshold={limit}"),
        )),
    }
}

/// A ratio maximum (`None` when unset): FAIL when `value > limit`.
fn ratio_at_most(
    rule: &str,
    setting: Setting<f64>,
    what: &str,
    value: f64,
    fail_msg: &str,
) -> Option<RuleResult> {
    match setting {
        Setting::Unset => None,
        Setting::Disabled => Some(disabled(rule)),
        Setting::On(limit) if value > limit => Some(result(
            rule,
            Status::Fail,
            format!(
                "{fail_msg} ({what}={} > threshold={})",
                go_float(value),
                go_float(limit)
            ),
        )),
        Setting::On(limit) => Some(result(
            rule,
            Status::Pass,
            format!(
                "{what}={} <= threshold={}",
                go_float(value),
                go_float(limit)
            ),
        )),
    }
}

/// A ratio minimum (`None` when unset): FAIL when `value < limit`, like `lowestEfficiency`.
fn ratio_at_least(
    rule: &str,
    setting: Setting<f64>,
    what: &str,
    value: f64,
    fail_msg: &str,
) -> Option<RuleResult> {
    match setting {
        Setting::Unset => None,
        Setting::Disabled => Some(disabled(rule)),
        Setting::On(limit) if value < limit => Some(result(
            rule,
            Status::Fail,
            format!(
                "{fail_msg} ({what}={} < threshold={})",
                go_float(value),
                go_float(limit)
            ),
        )),
        Setting::On(limit) => Some(result(
            rule,
            Status::Pass,
            format!(
                "{what}={} >= threshold={}",
                go_float(value),
                go_float(limit)
            ),
        )),
    }
}

pub fn evaluate(rules: &Rules, report: &Report) -> Verdict {
    let d = &report.dive_compat;
    let mut out = Vec::new();

    // dive's three, in dive's (alphabetical) order, with dive's exact comparisons and text.
    out.push(match rules.highest_user_wasted_percent {
        Setting::On(limit) => {
            // float64(wasted) / float64(user): 0/0 = NaN (passes), x/0 = +Inf (fails).
            let uwp = d.wasted_bytes as f64 / d.user_size_bytes as f64;
            if limit < uwp {
                result(
                    "highestUserWastedPercent",
                    Status::Fail,
                    format!(
                        "too many bytes wasted, relative to the user bytes added \
                         (%-user-wasted-bytes={} > threshold={})",
                        go_float(uwp),
                        go_float(limit)
                    ),
                )
            } else {
                result("highestUserWastedPercent", Status::Pass, String::new())
            }
        }
        _ => disabled("highestUserWastedPercent"),
    });
    out.push(match rules.highest_wasted_bytes {
        Setting::On(limit) if d.wasted_bytes > limit => result(
            "highestWastedBytes",
            Status::Fail,
            format!(
                "too many bytes wasted (wasted-bytes={} > threshold={limit})",
                d.wasted_bytes
            ),
        ),
        Setting::On(_) => result("highestWastedBytes", Status::Pass, String::new()),
        _ => disabled("highestWastedBytes"),
    });
    out.push(match rules.lowest_efficiency {
        Setting::On(limit) if limit > d.efficiency => result(
            "lowestEfficiency",
            Status::Fail,
            format!(
                "image efficiency is too low (efficiency={} < threshold={})",
                go_float(d.efficiency),
                go_float(limit)
            ),
        ),
        Setting::On(_) => result("lowestEfficiency", Status::Pass, String::new()),
        _ => disabled("lowestEfficiency"),
    });

    // strata's, only when present.
    let t = &report.totals;
    let w = &report.waste;
    out.extend(at_most(
        "max_size",
        rules.max_size,
        "size",
        t.total_bytes,
        "image is too large",
    ));
    out.extend(at_most(
        "max_layers",
        rules.max_layers,
        "layers",
        report.layers.len() as u64,
        "too many layers",
    ));
    out.extend(ratio_at_least(
        "min_efficiency",
        rules.min_efficiency,
        "efficiency",
        w.efficiency,
        "image efficiency is too low",
    ));
    out.extend(at_most(
        "max_unreachable_bytes",
        rules.max_unreachable_bytes,
        "unreachable-bytes",
        w.unreachable_bytes,
        "too many bytes unreachable, hidden or deleted by later layers",
    ));
    out.extend(ratio_at_most(
        "max_unreachable_percent",
        rules.max_unreachable_percent,
        "unreachable-ratio",
        ratio_of(w.unreachable_bytes, t.total_bytes),
        "too many bytes unreachable, relative to all layer bytes",
    ));
    out.extend(at_most(
        "max_cache_bytes",
        rules.max_cache_bytes,
        "cache-bytes",
        w.cache,
        "package-manager caches left in the image",
    ));
    match rules.deny_root_user {
        Setting::Unset => {}
        Setting::Disabled => out.push(disabled("deny_root_user")),
        Setting::On(()) => {
            let user = report.image.config.user.as_deref();
            let shown = match user {
                None => "unset".to_string(),
                Some(u) => format!("\"{}\"", printable(u, 100)),
            };
            out.push(if crate::analysis::hints::runs_as_root(user) {
                result(
                    "deny_root_user",
                    Status::Fail,
                    format!("image runs as root (user={shown}); set USER to a non-root user"),
                )
            } else {
                result("deny_root_user", Status::Pass, format!("user={shown}"))
            });
        }
    }
    match rules.deny_secrets {
        Setting::Unset => {}
        Setting::Disabled => out.push(disabled("deny_secrets")),
        Setting::On(()) => {
            let found: Vec<&super::Hint> = report
                .hints
                .iter()
                .filter(|h| h.id == "secret" || h.id == "secret-removed")
                .collect();
            out.push(if found.is_empty() {
                result("deny_secrets", Status::Pass, "no secrets found".to_string())
            } else {
                let mut paths: Vec<&str> = Vec::new();
                for p in found.iter().flat_map(|h| h.paths.iter()) {
                    if !paths.contains(&p.as_str()) {
                        paths.push(p);
                    }
                }
                let removed = found.iter().filter(|h| h.id == "secret-removed").count();
                let mut msg = format!(
                    "secrets in the image ({} finding{}{}): ",
                    found.len(),
                    if found.len() == 1 { "" } else { "s" },
                    if removed > 0 {
                        format!(", {removed} deleted later but still in a layer")
                    } else {
                        String::new()
                    }
                );
                let shown: Vec<String> = paths.iter().take(5).map(|p| printable(p, 200)).collect();
                msg.push_str(&shown.join(", "));
                if paths.len() > 5 {
                    let _ = write!(msg, ", and {} more", paths.len() - 5);
                }
                result("deny_secrets", Status::Fail, msg)
            });
        }
    }
    Verdict { results: out }
}

fn text_line(r: &RuleResult) -> String {
    if r.message.is_empty() {
        format!("{}: {}", r.status.label(), r.rule)
    } else {
        format!(
            "{}: {}: {}",
            r.status.label(),
            r.rule,
            printable(&r.message, 2000)
        )
    }
}

/// XML text and attribute escaping; characters XML 1.0 cannot carry are written as `\u{..}`.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c if (c as u32) < 0x20 || matches!(c, '\u{fffe}' | '\u{ffff}') => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// GitHub workflow-command data escaping.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub workflow-command property escaping (the title).
fn gh_property(s: &str) -> String {
    gh_data(s).replace(',', "%2C")
}

/// The `schema` of the JSON output.
pub const SCHEMA: &str = "strata.ci/v1";

#[derive(serde::Serialize)]
struct JsonDoc<'a> {
    schema: &'static str,
    image: JsonImage<'a>,
    passed: bool,
    summary: Tally,
    results: &'a [RuleResult],
}

#[derive(serde::Serialize)]
struct JsonImage<'a> {
    reference: &'a str,
    id: &'a str,
    digest: Option<&'a str>,
}

pub fn render(verdict: &Verdict, report: &Report, format: Format) -> String {
    let mut out = String::new();
    match format {
        Format::Text => {
            for r in &verdict.results {
                out.push_str(&text_line(r));
                out.push('\n');
            }
            out.push_str(&verdict.summary());
            out.push('\n');
        }
        Format::Github => {
            for r in &verdict.results {
                if r.status == Status::Fail {
                    let _ = writeln!(
                        out,
                        "::error title={}::{}",
                        gh_property(&format!("strata ci: {}", r.rule)),
                        gh_data(&printable(&r.message, 2000))
                    );
                } else {
                    out.push_str(&text_line(r));
                    out.push('\n');
                }
            }
            out.push_str(&verdict.summary());
            out.push('\n');
        }
        Format::Json => {
            let doc = JsonDoc {
                schema: SCHEMA,
                image: JsonImage {
                    reference: &report.image.reference,
                    id: &report.image.id,
                    digest: report.image.digest.as_deref(),
                },
                passed: verdict.passed(),
                summary: verdict.tally(),
                results: &verdict.results,
            };
            out = serde_json::to_string_pretty(&doc)
                .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
            out.push('\n');
        }
        Format::Junit => {
            let t = verdict.tally();
            let counts = format!(
                "tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\"",
                t.total, t.failed, t.skipped
            );
            out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            let _ = writeln!(out, "<testsuites name=\"strata ci\" {counts}>");
            let _ = writeln!(out, "  <testsuite name=\"strata ci\" {counts}>");
            let _ = writeln!(
                out,
                "    <properties>\n      <property name=\"image\" value=\"{}\"/>\n    </properties>",
                xml(&printable(&report.image.reference, 1000))
            );
            for r in &verdict.results {
                let name = xml(&r.rule);
                let msg = xml(&printable(&r.message, 2000));
                match r.status {
                    Status::Pass => {
                        let _ = writeln!(
                            out,
                            "    <testcase name=\"{name}\" classname=\"strata.ci\"/>"
                        );
                    }
                    Status::Fail => {
                        let _ = writeln!(
                            out,
                            "    <testcase name=\"{name}\" classname=\"strata.ci\">\n      \
                             <failure message=\"{msg}\" type=\"{name}\">{msg}</failure>\n    \
                             </testcase>"
                        );
                    }
                    Status::Skip => {
                        let _ = writeln!(
                            out,
                            "    <testcase name=\"{name}\" classname=\"strata.ci\">\n      \
                             <skipped message=\"{msg}\"/>\n    </testcase>"
                        );
                    }
                }
            }
            out.push_str("  </testsuite>\n</testsuites>\n");
        }
    }
    out
}
