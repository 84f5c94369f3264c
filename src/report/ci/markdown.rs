//! `strata ci --format markdown`, and what `strata ci` appends to `$GITHUB_STEP_SUMMARY`: the
//! verdict as a table (each rule, pass or fail, the figure against the threshold), each
//! failure's message, then the report's sections (`report::markdown::body`) so the summary
//! says where the bytes went. Under GitHub's 65,536 characters whatever the image.

use std::fmt::Write as _;

use super::evaluate::{RuleResult, Status, Verdict};
use crate::report::markdown_util::{cell, footer, table, COMMENT_LIMIT};
use crate::report::Report;

/// Rows of hints and wasted paths under the verdict (the report's default `--top`).
const TOP: usize = 10;

/// Room the verdict's table and messages may take; the report's sections get the rest.
const VERDICT_BUDGET: usize = 16 * 1024;

pub fn render(verdict: &Verdict, report: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "### strata ci: {} — {}\n",
        cell(&report.image.reference, 200),
        if verdict.passed() {
            "✅ PASS"
        } else {
            "❌ FAIL"
        }
    );
    table(
        &mut o,
        VERDICT_BUDGET / 2,
        &["Rule", "Result", "Figure", "Threshold"],
        verdict.results.iter().map(|r| {
            let (figure, threshold) = r
                .measured
                .as_ref()
                .map_or((String::new(), String::new()), |m| {
                    (cell(&m.figure, 100), cell(&m.threshold, 100))
                });
            format!(
                "| {} | {} | {figure} | {threshold} |",
                cell(&r.rule, 100),
                status(r.status)
            )
        }),
        "rules",
    );
    let t = verdict.tally();
    let _ = writeln!(
        o,
        "{} rules: {} passed, {} failed, {} skipped.\n",
        t.total, t.passed, t.failed, t.skipped
    );
    let failed: Vec<&RuleResult> = verdict
        .results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .collect();
    for (i, r) in failed.iter().enumerate() {
        let line = format!(
            "- **{}**: {}\n",
            cell(&r.rule, 100),
            cell(&r.with_note(), 1000)
        );
        if o.len() + line.len() + 64 > VERDICT_BUDGET {
            let _ = writeln!(o, "- … {} more failures", failed.len() - i);
            break;
        }
        o.push_str(&line);
    }
    if !failed.is_empty() {
        o.push('\n');
    }
    crate::report::markdown::body(&mut o, report, TOP, COMMENT_LIMIT);
    footer(&mut o);
    o
}

fn status(s: Status) -> &'static str {
    match s {
        Status::Pass => "✅ pass",
        Status::Fail => "❌ fail",
        Status::Skip => "➖ skip",
    }
}
