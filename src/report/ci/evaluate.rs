//! Turning rules and a report into a verdict: one `RuleResult` per rule, in dive's order
//! (dive's three alphabetically, then strata's), with no output format in sight.
//!
//! Every threshold rule, dive's and strata's, goes through the one `threshold` check: a
//! measured figure, a bound (at most / at least) and the setting. What differs between dive's
//! rules and strata's is data (`Origin`): dive's are always reported (SKIP when disabled) and
//! say nothing when they pass, as dive's output does; strata's are reported only when set and
//! state the figure when they pass. The comparisons are dive's: a value equal to its threshold
//! passes, and a NaN figure (dive's 0/0 user-wasted ratio) never fails.

use std::fmt::Write as _;

use super::rules::{Rules, Setting};
use crate::model::gocompat::go_float;
use crate::model::text::printable;
use crate::model::units;
use crate::report::{Hint, Report};

/// The outcome of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Skip,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RuleResult {
    /// The key of the rule, as spelled in the documentation (`lowestEfficiency`, `max_size`).
    pub rule: String,
    pub status: Status,
    /// dive's message for dive's rules (empty when one passes, like dive); for strata's rules
    /// the measured value against the threshold. Anything from the image is already escaped.
    pub message: String,
    /// What strata adds to dive's message for a failure: that its threshold is dive's default
    /// (nothing set it), and byte figures in readable units. Shown after the message in the
    /// text formats; absent from the JSON when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The figure the rule measured and the bound it holds the image to, as a person reads
    /// them, for the markdown verdict (not in the JSON, whose messages say it in dive's
    /// words). `None` for a rule that measures nothing.
    #[serde(skip)]
    pub measured: Option<Measured>,
}

impl RuleResult {
    /// The message, and the note in parentheses after it where there is one, as every
    /// format but the JSON writes it.
    pub fn with_note(&self) -> String {
        match &self.note {
            Some(note) => format!("{} ({note})", self.message),
            None => self.message.clone(),
        }
    }
}

/// A rule's figure against its threshold: `544.75 MB` against `≤ 500 MB`, `98.1 %` against
/// `≥ 90 %`, `3 layers` against `disabled`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measured {
    pub figure: String,
    pub threshold: String,
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
}

/// Whose rule a threshold is; decides how an unset rule and a pass are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Always reported (unset counts as disabled); a pass has no message.
    Dive,
    /// Reported only when set; a pass states the figure against the threshold.
    Strata,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    /// FAIL when the figure is above the threshold.
    AtMost,
    /// FAIL when the figure is below the threshold.
    AtLeast,
}

/// A figure a threshold is checked against, written as dive writes it: integers plainly,
/// floats as Go's `%v`.
trait Figure: Copy + PartialOrd {
    fn show(self) -> String;
    /// As a size, with its bytes counted and in decimal units (`544,749,398 B (544.75 MB)`);
    /// `None` for a figure that is no byte count.
    fn bytes(self) -> Option<String>;
    /// As a person reads it: a byte count in decimal units (`bytes`), a count with its
    /// thousands separated, a ratio as a percentage.
    fn readable(self, bytes: bool) -> String;
    /// As `readable`, to the last unit: where the readable forms of a figure and its
    /// threshold look equal but are not.
    fn precise(self, bytes: bool) -> String;
}

impl Figure for u64 {
    fn show(self) -> String {
        self.to_string()
    }

    fn bytes(self) -> Option<String> {
        Some(format!(
            "{} B ({})",
            units::count(self),
            units::decimal(self)
        ))
    }

    fn readable(self, bytes: bool) -> String {
        if bytes {
            units::decimal(self)
        } else {
            units::count(self)
        }
    }

    fn precise(self, bytes: bool) -> String {
        if bytes {
            format!("{} B", units::count(self))
        } else {
            units::count(self)
        }
    }
}

impl Figure for f64 {
    fn show(self) -> String {
        go_float(self)
    }

    fn bytes(self) -> Option<String> {
        None
    }

    /// Every float figure is a ratio (0-1): a percentage with up to two decimals (`90 %`,
    /// `98.31 %`).
    fn readable(self, _bytes: bool) -> String {
        percent(self, 2)
    }

    fn precise(self, _bytes: bool) -> String {
        percent(self, 8)
    }
}

/// `ratio` as a percentage with at most `decimals` decimals, trailing zeros dropped; dive's
/// 0/0 (NaN) as `n/a`, x/0 as `∞`.
fn percent(ratio: f64, decimals: usize) -> String {
    if ratio.is_nan() {
        return "n/a".into();
    }
    if ratio.is_infinite() {
        return "∞".into();
    }
    let s = format!("{:.*}", decimals, ratio * 100.0);
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    format!("{s} %")
}

/// One threshold rule measured on the image.
struct Threshold<T> {
    rule: &'static str,
    origin: Origin,
    bound: Bound,
    /// The figure's name in messages (`wasted-bytes`, `efficiency`).
    what: &'static str,
    value: T,
    /// What a failure means, before the figures.
    fails_because: &'static str,
    /// The figure is a byte count (shown with readable units too).
    bytes: bool,
    /// The threshold is dive's default: nothing set it.
    defaulted: bool,
}

/// The one threshold check: `None` for a strata rule that is not set.
fn threshold<T: Figure>(t: Threshold<T>, setting: Setting<T>) -> Option<RuleResult> {
    let limit = match (setting, t.origin) {
        (Setting::On(limit), _) => limit,
        (Setting::Unset, Origin::Strata) => return None,
        (Setting::Unset | Setting::Disabled, _) => {
            return Some(RuleResult {
                measured: Some(Measured {
                    figure: t.value.readable(t.bytes),
                    threshold: "disabled".into(),
                }),
                ..disabled(t.rule)
            })
        }
    };
    let measured = Some(readable_bound(&t, limit));
    // dive writes `threshold < value` and `threshold > value`; these are the same comparisons
    // (also for NaN, which fails neither).
    let (fails, fail_op, pass_op) = match t.bound {
        Bound::AtMost => (t.value > limit, ">", "<="),
        Bound::AtLeast => (t.value < limit, "<", ">="),
    };
    // Sizes in strata's messages, and in a note after dive's (whose text stays dive's).
    let sizes = (t.value.bytes(), limit.bytes());
    let sizes = match sizes {
        (Some(v), Some(l)) if t.bytes => Some((v, l)),
        _ => None,
    };
    let (value, limit) = (t.value.show(), limit.show());
    let compared = |op: &str| match (&sizes, t.origin) {
        (Some((v, l)), Origin::Strata) => format!("{} {v} {op} threshold {l}", t.what),
        _ => format!("{}={value} {op} threshold={limit}", t.what),
    };
    Some(if fails {
        let mut notes = Vec::new();
        if let (Some((v, l)), Origin::Dive) = (&sizes, t.origin) {
            notes.push(format!("{v} {fail_op} threshold {l}"));
        }
        if t.defaulted {
            notes.push(format!(
                "dive's default; set {} in the rules file to change it",
                t.rule
            ));
        }
        RuleResult {
            note: (!notes.is_empty()).then(|| notes.join("; ")),
            measured,
            ..result(
                t.rule,
                Status::Fail,
                format!("{} ({})", t.fails_because, compared(fail_op)),
            )
        }
    } else if t.origin == Origin::Dive {
        RuleResult {
            measured,
            ..result(t.rule, Status::Pass, String::new())
        }
    } else {
        RuleResult {
            measured,
            ..result(t.rule, Status::Pass, compared(pass_op))
        }
    })
}

/// Two readable figures that a person would take for the same number: `500.00 MB` and
/// `500 MB`.
fn reads_alike(a: &str, b: &str) -> bool {
    let trim = |s: &str| {
        let (number, unit) = s.split_once(' ').unwrap_or((s, ""));
        let number = if number.contains('.') {
            number.trim_end_matches('0').trim_end_matches('.')
        } else {
            number
        };
        format!("{number} {unit}")
    };
    trim(a) == trim(b)
}

/// The figure and the bound a pass needs (`≤ 500 MB`, `≥ 90 %`), readable; a figure that
/// would read the same as its threshold while differing from it is written in full.
fn readable_bound<T: Figure>(t: &Threshold<T>, limit: T) -> Measured {
    let op = match t.bound {
        Bound::AtMost => "≤",
        Bound::AtLeast => "≥",
    };
    let (mut figure, mut bound) = (t.value.readable(t.bytes), limit.readable(t.bytes));
    if reads_alike(&figure, &bound) && t.value != limit {
        figure = t.value.precise(t.bytes);
        bound = limit.precise(t.bytes);
    }
    Measured {
        figure,
        threshold: format!("{op} {bound}"),
    }
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
        note: None,
        measured: None,
    }
}

fn disabled(rule: &str) -> RuleResult {
    RuleResult {
        measured: Some(Measured {
            figure: String::new(),
            threshold: "disabled".into(),
        }),
        ..result(rule, Status::Skip, "rule disabled".into())
    }
}

/// A yes/no rule's figure and what passes.
fn yes_no(figure: String, threshold: &str) -> Option<Measured> {
    Some(Measured {
        figure,
        threshold: threshold.into(),
    })
}

pub fn evaluate(rules: &Rules, report: &Report) -> Verdict {
    let d = &report.dive_compat;
    let t = &report.totals;
    let w = &report.waste;
    let mut out = Vec::new();

    // dive's three, in dive's (alphabetical) order, with dive's text.
    out.extend(threshold(
        Threshold {
            rule: "highestUserWastedPercent",
            origin: Origin::Dive,
            bound: Bound::AtMost,
            what: "%-user-wasted-bytes",
            // float64(wasted) / float64(user), as dive: 0/0 = NaN (passes), x/0 = +Inf (fails).
            value: d.wasted_bytes as f64 / d.user_size_bytes as f64,
            fails_because: "too many bytes wasted, relative to the user bytes added",
            bytes: false,
            defaulted: rules.dive_defaults.highest_user_wasted_percent,
        },
        rules.highest_user_wasted_percent,
    ));
    out.extend(threshold(
        Threshold {
            rule: "highestWastedBytes",
            origin: Origin::Dive,
            bound: Bound::AtMost,
            what: "wasted-bytes",
            value: d.wasted_bytes,
            fails_because: "too many bytes wasted",
            bytes: true,
            defaulted: rules.dive_defaults.highest_wasted_bytes,
        },
        rules.highest_wasted_bytes,
    ));
    out.extend(threshold(
        Threshold {
            rule: "lowestEfficiency",
            origin: Origin::Dive,
            bound: Bound::AtLeast,
            what: "efficiency",
            value: d.efficiency,
            fails_because: "image efficiency is too low",
            bytes: false,
            defaulted: rules.dive_defaults.lowest_efficiency,
        },
        rules.lowest_efficiency,
    ));

    // strata's, only when set.
    out.extend(threshold(
        Threshold {
            rule: "max_size",
            origin: Origin::Strata,
            bound: Bound::AtMost,
            what: "size",
            value: t.total_bytes,
            fails_because: "image is too large",
            bytes: true,
            defaulted: false,
        },
        rules.max_size,
    ));
    out.extend(threshold(
        Threshold {
            rule: "max_layers",
            origin: Origin::Strata,
            bound: Bound::AtMost,
            what: "layers",
            value: report.layers.len() as u64,
            fails_because: "too many layers",
            bytes: false,
            defaulted: false,
        },
        rules.max_layers,
    ));
    out.extend(threshold(
        Threshold {
            rule: "min_efficiency",
            origin: Origin::Strata,
            bound: Bound::AtLeast,
            what: "efficiency",
            value: w.efficiency,
            fails_because: "image efficiency is too low",
            bytes: false,
            defaulted: false,
        },
        rules.min_efficiency,
    ));
    out.extend(threshold(
        Threshold {
            rule: "max_unreachable_bytes",
            origin: Origin::Strata,
            bound: Bound::AtMost,
            what: "unreachable-bytes",
            value: w.unreachable_bytes,
            fails_because: "too many bytes unreachable, hidden or deleted by later layers",
            bytes: true,
            defaulted: false,
        },
        rules.max_unreachable_bytes,
    ));
    out.extend(threshold(
        Threshold {
            rule: "max_unreachable_percent",
            origin: Origin::Strata,
            bound: Bound::AtMost,
            what: "unreachable-ratio",
            value: ratio_of(w.unreachable_bytes, t.total_bytes),
            fails_because: "too many bytes unreachable, relative to all layer bytes",
            bytes: false,
            defaulted: false,
        },
        rules.max_unreachable_percent,
    ));
    out.extend(threshold(
        Threshold {
            rule: "max_cache_bytes",
            origin: Origin::Strata,
            bound: Bound::AtMost,
            what: "cache-bytes",
            value: w.cache,
            fails_because: "package-manager caches left in the image",
            bytes: true,
            defaulted: false,
        },
        rules.max_cache_bytes,
    ));
    out.extend(deny_root_user(rules.deny_root_user, report));
    out.extend(deny_secrets(rules.deny_secrets, report));
    Verdict { results: out }
}

fn deny_root_user(setting: Setting<()>, report: &Report) -> Option<RuleResult> {
    match setting {
        Setting::Unset => None,
        Setting::Disabled => Some(disabled("deny_root_user")),
        Setting::On(()) => {
            let user = report.image.config.user.as_deref();
            let shown = match user {
                None => "unset".to_string(),
                Some(u) => format!("\"{}\"", printable(u, 100)),
            };
            let r = if crate::analysis::hints::runs_as_root(user) {
                result(
                    "deny_root_user",
                    Status::Fail,
                    format!("image runs as root (user={shown}); set USER to a non-root user"),
                )
            } else {
                result("deny_root_user", Status::Pass, format!("user={shown}"))
            };
            Some(RuleResult {
                measured: yes_no(format!("user {shown}"), "not root"),
                ..r
            })
        }
    }
}

fn deny_secrets(setting: Setting<()>, report: &Report) -> Option<RuleResult> {
    match setting {
        Setting::Unset => None,
        Setting::Disabled => Some(disabled("deny_secrets")),
        Setting::On(()) => {
            let found: Vec<&Hint> = report
                .hints
                .iter()
                .filter(|h| h.id == "secret" || h.id == "secret-removed")
                .collect();
            if found.is_empty() {
                return Some(RuleResult {
                    measured: yes_no("none found".into(), "none"),
                    ..result("deny_secrets", Status::Pass, "no secrets found".to_string())
                });
            }
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
            Some(RuleResult {
                measured: yes_no(
                    units::counted(found.len() as u64, "finding", "findings"),
                    "none",
                ),
                ..result("deny_secrets", Status::Fail, msg)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: Figure>(origin: Origin, bound: Bound, value: T, setting: Setting<T>) -> String {
        let t = Threshold {
            rule: "r",
            origin,
            bound,
            what: "x",
            value,
            fails_because: "bad",
            bytes: false,
            defaulted: false,
        };
        match threshold(t, setting) {
            None => "none".into(),
            Some(r) => format!("{:?} {}", r.status, r.message),
        }
    }

    #[test]
    fn a_value_at_its_threshold_passes() {
        assert_eq!(
            check(Origin::Strata, Bound::AtMost, 5u64, Setting::On(5)),
            "Pass x=5 <= threshold=5"
        );
        assert_eq!(
            check(Origin::Strata, Bound::AtMost, 6u64, Setting::On(5)),
            "Fail bad (x=6 > threshold=5)"
        );
        assert_eq!(
            check(Origin::Strata, Bound::AtLeast, 0.5, Setting::On(0.5)),
            "Pass x=0.5 >= threshold=0.5"
        );
        assert_eq!(
            check(Origin::Dive, Bound::AtLeast, 0.25, Setting::On(0.5)),
            "Fail bad (x=0.25 < threshold=0.5)"
        );
    }

    #[test]
    fn dive_rules_pass_silently_and_are_always_reported() {
        assert_eq!(
            check(Origin::Dive, Bound::AtMost, 1u64, Setting::On(5)),
            "Pass "
        );
        assert_eq!(
            check(Origin::Dive, Bound::AtMost, 1u64, Setting::Unset),
            "Skip rule disabled"
        );
        assert_eq!(
            check(Origin::Strata, Bound::AtMost, 1u64, Setting::Unset),
            "none"
        );
        assert_eq!(
            check(Origin::Strata, Bound::AtMost, 1u64, Setting::Disabled),
            "Skip rule disabled"
        );
    }

    fn bound<T: Figure>(bound: Bound, value: T, limit: T, bytes: bool) -> (String, String) {
        let t = Threshold {
            rule: "r",
            origin: Origin::Dive,
            bound,
            what: "x",
            value,
            fails_because: "bad",
            bytes,
            defaulted: false,
        };
        let m = threshold(t, Setting::On(limit))
            .and_then(|r| r.measured)
            .unwrap();
        (m.figure, m.threshold)
    }

    #[test]
    fn figures_and_thresholds_read_as_a_person_reads_them() {
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            bound(Bound::AtMost, 600_000_000u64, 500_000_000, true),
            s("600 MB", "≤ 500 MB")
        );
        assert_eq!(bound(Bound::AtMost, 21u64, 20, false), s("21", "≤ 20"));
        assert_eq!(bound(Bound::AtLeast, 0.5, 0.9, false), s("50 %", "≥ 90 %"));
        assert_eq!(
            bound(Bound::AtLeast, 0.98314, 0.9, false),
            s("98.31 %", "≥ 90 %")
        );
        // Rounded alike but not equal: written in full, so a failure never reads "90 % ≥ 90 %".
        assert_eq!(
            bound(Bound::AtLeast, 0.8999999, 0.9, false),
            s("89.99999 %", "≥ 90 %")
        );
        assert_eq!(
            bound(Bound::AtMost, 500_000_001u64, 500_000_000, true),
            s("500,000,001 B", "≤ 500,000,000 B")
        );
        assert_eq!(
            bound(Bound::AtMost, f64::NAN, 0.1, false),
            s("n/a", "≤ 10 %")
        );
        let off = threshold(
            Threshold {
                rule: "r",
                origin: Origin::Dive,
                bound: Bound::AtMost,
                what: "x",
                value: 2_000u64,
                fails_because: "bad",
                bytes: true,
                defaulted: false,
            },
            Setting::Disabled,
        )
        .and_then(|r| r.measured)
        .unwrap();
        assert_eq!(
            (off.figure.as_str(), off.threshold.as_str()),
            ("2 kB", "disabled")
        );
    }

    #[test]
    fn nan_never_fails_and_infinity_fails_every_maximum() {
        // dive's user-wasted ratio: 0/0 and x/0.
        for bound in [Bound::AtMost, Bound::AtLeast] {
            assert_eq!(
                check(Origin::Dive, bound, f64::NAN, Setting::On(0.1)),
                "Pass "
            );
        }
        assert_eq!(
            check(Origin::Dive, Bound::AtMost, f64::INFINITY, Setting::On(1.0)),
            "Fail bad (x=+Inf > threshold=1)"
        );
    }
}
