//! What every markdown output shares (`strata diff`, `report` and `ci --format markdown`):
//! escaping an image's text for a table cell, tables that stop at a byte budget and say how
//! many rows they left out, and the closing line.
//!
//! The outputs go into pull-request comments and `$GITHUB_STEP_SUMMARY`, which GitHub renders
//! as GFM with raw HTML allowed: anything from an image (a path, a command, a package name)
//! must reach the reader as text, never as markup, a link or a broken table. One escaping
//! function and one table writer keep that true for every output at once.

use std::fmt::Write as _;

use crate::model::text::printable;
use crate::model::units;

/// GitHub's limit on a comment's body, in characters.
pub const COMMENT_LIMIT: usize = 65_536;

/// Room kept for the closing lines after the last table.
pub const RESERVE: usize = 512;

/// Text from an image, safe in a table cell: no markup, no HTML, no line breaks, no `|`.
pub fn cell(s: &str, max: usize) -> String {
    let s = printable(s, max);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("&#124;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '!' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Headers of columns of figures, right-aligned (besides any header starting with `Δ`).
const FIGURE_HEADERS: [&str; 14] = [
    "A",
    "B",
    "Size",
    "Files",
    "Bytes",
    "Share",
    "Figure",
    "Threshold",
    "Layer",
    "Layers",
    "Blob",
    "Hides",
    "Efficiency",
    "Wasted",
];

/// A table written into `out` while it fits in `budget` bytes of `out`: the header, then
/// rows; rows that do not fit are counted in a line after the table (`… 12 more {what} not
/// shown`). Columns of figures (`FIGURE_HEADERS`) are right-aligned.
pub fn table(
    out: &mut String,
    budget: usize,
    header: &[&str],
    rows: impl ExactSizeIterator<Item = String>,
    what: &str,
) {
    let total = rows.len();
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let aligns: Vec<&str> = header
        .iter()
        .map(|h| {
            if h.starts_with('Δ') || FIGURE_HEADERS.contains(h) {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    let _ = writeln!(out, "|{}|", aligns.join("|"));
    let mut written = 0;
    for row in rows {
        if out.len() + row.len() + 64 > budget {
            break;
        }
        out.push_str(&row);
        out.push('\n');
        written += 1;
    }
    if written < total {
        let _ = writeln!(
            out,
            "\n… {} more {what} not shown",
            units::count((total - written) as u64)
        );
    }
    out.push('\n');
}

/// Where a section may end: `out`'s length plus a `part`th of what is left before the
/// closing lines, when the whole may take `limit` bytes.
pub fn share(out: &str, limit: usize, part: usize) -> usize {
    out.len() + (limit - RESERVE).saturating_sub(out.len()) / part
}

/// The closing line every markdown output ends with (tests check an output ends with it,
/// so a cut one shows).
pub fn footer(out: &mut String) {
    let _ = writeln!(out, "<sub>strata {}</sub>", env!("CARGO_PKG_VERSION"));
}
