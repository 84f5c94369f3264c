//! Writing a verdict out: dive's text lines, a `strata.ci/v1` JSON document, JUnit XML,
//! GitHub Actions workflow commands, or markdown (`markdown.rs`).
//!
//! Rendering decides nothing: every status and message comes from `evaluate`. What each
//! format adds is its escaping, since a message can quote the image (a user name, a secret's
//! path): control characters are escaped for the terminal, XML and workflow-command syntax
//! for the formats that have one, so no image can forge a line, a tag or an annotation.

use std::fmt::Write as _;

use super::evaluate::{RuleResult, Status, Tally, Verdict};
use crate::model::text::printable;
use crate::report::Report;

/// Output formats of `strata ci`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One line per rule, like `dive --ci`, then a `Result:` summary line.
    Text,
    /// A `strata.ci/v1` JSON document.
    Json,
    /// JUnit XML: one test suite, one test case per rule.
    Junit,
    /// GitHub Actions workflow commands (`::error` per failed rule) and a summary line.
    Github,
    /// GitHub-flavoured markdown for a pull-request comment or `$GITHUB_STEP_SUMMARY`: the
    /// verdict as a table, then the report's summary (`markdown.rs`).
    Markdown,
}

/// The `schema` of the JSON output.
pub const SCHEMA: &str = "strata.ci/v1";

pub fn render(verdict: &Verdict, report: &Report, format: Format) -> String {
    match format {
        Format::Text => text(verdict),
        Format::Github => github(verdict),
        Format::Json => json(verdict, report),
        Format::Junit => junit(verdict, report),
        Format::Markdown => super::markdown::render(verdict, report),
    }
}

fn label(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASS",
        Status::Fail => "FAIL",
        Status::Skip => "SKIP",
    }
}

/// dive's line for one rule: `PASS: lowestEfficiency`, `FAIL: max_size: image is too large...`,
/// with strata's note after dive's message.
fn text_line(r: &RuleResult) -> String {
    if r.message.is_empty() {
        format!("{}: {}", label(r.status), r.rule)
    } else {
        format!(
            "{}: {}: {}",
            label(r.status),
            r.rule,
            printable(&r.with_note(), 2000)
        )
    }
}

/// dive's summary line: `Result:PASS [Total:3] [Passed:2] [Failed:0] [Warn:0] [Skipped:1]`.
fn summary(verdict: &Verdict) -> String {
    let t = verdict.tally();
    format!(
        "Result:{} [Total:{}] [Passed:{}] [Failed:{}] [Warn:{}] [Skipped:{}]",
        if verdict.passed() { "PASS" } else { "FAIL" },
        t.total,
        t.passed,
        t.failed,
        t.warn,
        t.skipped
    )
}

fn text(verdict: &Verdict) -> String {
    let mut out = String::new();
    for r in &verdict.results {
        out.push_str(&text_line(r));
        out.push('\n');
    }
    out.push_str(&summary(verdict));
    out.push('\n');
    out
}

/// Failures as `::error` annotations, the rest as dive's text lines.
fn github(verdict: &Verdict) -> String {
    let mut out = String::new();
    for r in &verdict.results {
        if r.status == Status::Fail {
            let _ = writeln!(
                out,
                "::error title={}::{}",
                gh_property(&format!("strata ci: {}", r.rule)),
                gh_data(&printable(&r.with_note(), 2000))
            );
        } else {
            out.push_str(&text_line(r));
            out.push('\n');
        }
    }
    out.push_str(&summary(verdict));
    out.push('\n');
    out
}

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

fn json(verdict: &Verdict, report: &Report) -> String {
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
    let mut out =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    out.push('\n');
    out
}

fn junit(verdict: &Verdict, report: &Report) -> String {
    let mut out = String::new();
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
        let msg = xml(&printable(&r.with_note(), 2000));
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
    out
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
