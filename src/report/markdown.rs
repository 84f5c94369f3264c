//! `strata report IMAGE --format markdown`: the report as a pull-request comment or a
//! `$GITHUB_STEP_SUMMARY`. A summary table (image, size, layers, efficiency, wasted bytes),
//! waste by cause, the top hints and the top wasted paths as tables, and the layers folded in
//! `<details>`. `strata ci --format markdown` puts its verdict above the same sections
//! (`body`), so a gate's summary and a report read alike.
//!
//! Whatever the image, the whole stays under GitHub's 65,536 characters: each table takes
//! rows while its share of what is left allows and says how many it left out, and every cell
//! is cut to a length. Every name, command and message from the image goes through
//! `markdown_util::cell`, so nothing in an image can add markup, a link or a table cell.

use std::fmt::Write as _;

use super::markdown_util::{cell, footer, share, table, RESERVE};
use super::text::percent;
use super::{Hint, Report};
use crate::model::units;

pub use super::markdown_util::COMMENT_LIMIT;

/// The report as GitHub-flavoured markdown, at most `limit` bytes (`COMMENT_LIMIT` for a
/// comment); `top` caps the hints and the wasted paths listed.
pub fn render(doc: &Report, top: usize, limit: usize) -> String {
    let limit = limit.max(4 * RESERVE);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "### strata report: {}\n",
        cell(&doc.image.reference, 200)
    );
    body(&mut o, doc, top, limit);
    footer(&mut o);
    o
}

/// The sections under the heading, written into `o` while the whole stays within `limit`
/// bytes (less the closing line's `RESERVE`).
pub(crate) fn body(o: &mut String, doc: &Report, top: usize, limit: usize) {
    let limit = limit.max(4 * RESERVE);
    summary(o, doc);
    causes(o, doc);
    let budget = share(o, limit, 3);
    hints(o, doc, top, budget);
    let budget = share(o, limit, 2);
    wasted_paths(o, doc, top, budget);
    layers(o, doc, limit - RESERVE);
}

fn summary(o: &mut String, doc: &Report) {
    let (t, w) = (&doc.totals, &doc.waste);
    table(
        o,
        usize::MAX,
        &["Image", "Size", "Layers", "Efficiency", "Wasted"],
        std::iter::once(format!(
            "| {} | {} | {} | {:.1} % | {} |",
            cell(&doc.image.reference, 200),
            units::decimal(t.total_bytes),
            doc.layers.len(),
            w.efficiency * 100.0,
            units::decimal(w.unreachable_bytes)
        )),
        "images",
    );
    let d = &doc.dive_compat;
    let _ = writeln!(
        o,
        "{} visible in {}, {} as compressed blobs; {} of the bytes in layers are hidden by a \
         later layer but still ship. dive's figures: efficiency {:.4} %, wasted {}.\n",
        units::decimal(t.final_bytes),
        units::counted(t.files, "file", "files"),
        units::decimal(t.compressed_bytes),
        percent(w.unreachable_bytes, t.total_bytes),
        d.efficiency * 100.0,
        units::decimal(d.wasted_bytes)
    );
}

fn causes(o: &mut String, doc: &Report) {
    let (w, total) = (&doc.waste, doc.totals.total_bytes);
    let _ = writeln!(o, "#### Waste by cause\n");
    table(
        o,
        usize::MAX,
        &["Cause", "Bytes", "Share", "What"],
        w.causes().into_iter().map(|(name, bytes, why)| {
            format!(
                "| {name} | {} | {} | {why} |",
                units::decimal(bytes),
                percent(bytes, total)
            )
        }),
        "causes",
    );
}

/// The image's own hints first, then its base's, at most `top`.
fn hints(o: &mut String, doc: &Report, top: usize, budget: usize) {
    if doc.hints.is_empty() {
        return;
    }
    let (base, mine): (Vec<&Hint>, Vec<&Hint>) = doc.hints.iter().partition(|h| h.from_base);
    let listed: Vec<&Hint> = mine.into_iter().chain(base).collect();
    let _ = writeln!(o, "#### Hints ({})\n", units::count(listed.len() as u64));
    let shown = listed.len().min(top);
    table(
        o,
        budget,
        &["Severity", "Hint", "Bytes", "Layer", "Message"],
        listed[..shown].iter().map(|h| {
            let layer = match (h.layer, h.from_base) {
                (Some(l), false) => l.to_string(),
                (Some(l), true) => format!("{l} (base)"),
                (None, false) => String::new(),
                (None, true) => "(base)".into(),
            };
            let bytes = if h.bytes == 0 {
                String::new()
            } else {
                units::decimal(h.bytes)
            };
            // The message names the paths already (the first few, and how many more).
            format!(
                "| {} | {} | {bytes} | {layer} | {} |",
                h.severity.name(),
                cell(&h.id, 60),
                cell(&h.message, 500)
            )
        }),
        "hints",
    );
    left_out(o, listed.len() - shown, "hints", top);
}

fn wasted_paths(o: &mut String, doc: &Report, top: usize, budget: usize) {
    let rows = &doc.waste.top;
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(o, "#### Top wasted paths\n");
    let shown = rows.len().min(top);
    table(
        o,
        budget,
        &["Bytes", "Cause", "Layers", "Path"],
        rows[..shown].iter().map(|r| {
            let layers = r
                .layers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let path = match (&r.same_as, r.files) {
                (Some(same), _) => format!("{} (same as {})", cell(&r.path, 300), cell(same, 300)),
                (None, n) if n > 1 => format!(
                    "{}/ ({})",
                    cell(r.path.trim_end_matches('/'), 300),
                    units::counted(n, "file", "files")
                ),
                (None, _) => cell(&r.path, 300),
            };
            format!(
                "| {} | {} | {layers} | {path} |",
                units::decimal(r.bytes),
                r.cause.replace('_', "-")
            )
        }),
        "paths",
    );
    left_out(o, rows.len() - shown, "paths", top);
}

fn layers(o: &mut String, doc: &Report, budget: usize) {
    if doc.layers.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "<details><summary>Layers ({})</summary>\n",
        doc.layers.len()
    );
    table(
        o,
        budget.saturating_sub(16),
        &["Layer", "Size", "Blob", "Hides", "Step"],
        doc.layers.iter().map(|l| {
            let hides = if l.unreachable_bytes > 0 {
                units::decimal(l.unreachable_bytes)
            } else {
                String::new()
            };
            format!(
                "| {} | {} | {} | {hides} | {} |",
                l.index,
                units::decimal(l.size),
                units::decimal(l.compressed_size),
                cell(
                    &crate::model::history::short_command(
                        l.command.as_deref().unwrap_or("(no history)")
                    ),
                    200
                )
            )
        }),
        "layers",
    );
    let _ = writeln!(o, "</details>\n");
}

/// Says how many rows `top` left out of a table (the rows the budget cut are counted by the
/// table itself).
fn left_out(o: &mut String, n: usize, what: &str, top: usize) {
    if n > 0 {
        let _ = writeln!(
            o,
            "{} more {what} after the first {top} (strata report --top N lists more)\n",
            units::count(n as u64)
        );
    }
}
