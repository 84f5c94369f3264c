//! The Layers section: one row per layer with the command that made it, its sizes, what it
//! changed, the bytes of lower layers it hid, and the packages it added, removed or changed
//! (from each package's `changes`), names listed under a fold. Other sections name a layer
//! with `link`, which points here and carries the command as its tooltip.

use std::fmt::Write as _;

use super::escape::text;
use crate::model::history::short_command;
use crate::model::packages::Change;
use crate::model::units::{count, decimal};
use crate::report::Report;

/// Widest command shown in the table; the whole command is under a fold.
const COMMAND_CHARS: usize = 160;
/// Package names listed per layer and kind of change.
const PACKAGE_NAMES: usize = 200;

/// The command of layer `i` as the table shows it.
pub fn command(r: &Report, i: usize) -> String {
    r.layers
        .get(i)
        .and_then(|l| l.command.as_deref())
        .map(short_command)
        .unwrap_or_else(|| "(no history)".into())
}

/// A link to layer `i`'s row, its command as the tooltip.
pub fn link(r: &Report, i: usize) -> String {
    format!(
        "<a href=\"#layer-{i}\" title=\"{}\">{i}</a>",
        text(&command(r, i))
    )
}

/// The packages layer `i` changed: (added, removed, other changes), as `name version`.
fn package_changes(r: &Report) -> Vec<[Vec<String>; 3]> {
    let mut by_layer: Vec<[Vec<String>; 3]> = vec![Default::default(); r.layers.len()];
    for p in &r.packages {
        for c in &p.changes {
            let Some(slot) = by_layer.get_mut(c.layer) else {
                continue;
            };
            let k = match c.change {
                Change::Added => 0,
                Change::Removed => 1,
                _ => 2,
            };
            let what = match c.change {
                Change::Added | Change::Removed => format!("{} {}", p.name, c.version),
                other => format!("{} {} ({})", p.name, c.version, other.name()),
            };
            slot[k].push(what);
        }
    }
    by_layer
}

pub fn section(o: &mut String, r: &Report) {
    let _ = writeln!(o, "<section id=\"layers\"><h2>Layers</h2>");
    let _ = writeln!(
        o,
        "<table><thead><tr><th class=\"num\">#</th><th class=\"num\">Size</th>\
         <th class=\"num\">Blob</th><th class=\"num\">Hides</th><th>Changes</th>\
         <th>Packages</th><th>Command</th></tr></thead><tbody>"
    );
    let changes = package_changes(r);
    for (l, pk) in r.layers.iter().zip(&changes) {
        let hides = if l.unreachable_bytes > 0 {
            decimal(l.unreachable_bytes)
        } else {
            "-".into()
        };
        let mut what = vec![format!("<span class=\"added\">+{}</span>", count(l.added))];
        if l.modified > 0 {
            what.push(format!(
                "<span class=\"changed\">~{}</span>",
                count(l.modified)
            ));
        }
        if l.removed > 0 {
            what.push(format!(
                "<span class=\"removed-pkg\">-{}</span>",
                count(l.removed)
            ));
        }
        if l.metadata_only > 0 {
            what.push(format!("{} metadata only", count(l.metadata_only)));
        }
        let _ = write!(
            o,
            "<tr id=\"layer-{i}\"><td class=\"num\">{i}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{hides}</td><td>{}</td><td>",
            decimal(l.size),
            decimal(l.compressed_size),
            what.join(" "),
            i = l.index,
        );
        packages_cell(o, l, pk);
        let _ = write!(o, "</td><td class=\"cmd\">");
        command_cell(o, r, l.index);
        let _ = writeln!(o, "</td></tr>");
    }
    let _ = writeln!(o, "</tbody></table></section>");
}

/// `+3 -1 ~2`, with the names under a fold.
fn packages_cell(o: &mut String, l: &crate::report::LayerRow, pk: &[Vec<String>; 3]) {
    if l.packages_added + l.packages_removed + l.packages_changed == 0 {
        let _ = write!(o, "-");
        return;
    }
    let mut counts = Vec::new();
    for (n, class, sign) in [
        (l.packages_added, "added", '+'),
        (l.packages_removed, "removed-pkg", '-'),
        (l.packages_changed, "changed", '~'),
    ] {
        if n > 0 {
            counts.push(format!(
                "<span class=\"{class}\">{sign}{}</span>",
                count(n.into())
            ));
        }
    }
    let _ = write!(o, "<details><summary>{}</summary>", counts.join(" "));
    for (names, class, sign) in [
        (&pk[0], "added", '+'),
        (&pk[1], "removed-pkg", '-'),
        (&pk[2], "changed", '~'),
    ] {
        if names.is_empty() {
            continue;
        }
        let _ = write!(o, "<ul class=\"pkgs {class}\">");
        for name in names.iter().take(PACKAGE_NAMES) {
            let _ = write!(o, "<li>{sign} {}</li>", text(name));
        }
        if names.len() > PACKAGE_NAMES {
            let _ = write!(
                o,
                "<li>… {} more</li>",
                count((names.len() - PACKAGE_NAMES) as u64)
            );
        }
        let _ = write!(o, "</ul>");
    }
    let _ = write!(o, "</details>");
}

/// The short command, cut to `COMMAND_CHARS`, and the recorded one under a fold when they
/// differ.
fn command_cell(o: &mut String, r: &Report, i: usize) {
    let short = command(r, i);
    let one_line = short.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = one_line.chars().take(COMMAND_CHARS).collect();
    let raw = r.layers[i].created_by.as_deref().unwrap_or("");
    if cut == raw {
        let _ = write!(o, "{}", text(&cut));
        return;
    }
    let more = if cut.chars().count() < one_line.chars().count() {
        "…"
    } else {
        ""
    };
    if raw.is_empty() {
        let _ = write!(o, "{}{more}", text(&cut));
    } else {
        let _ = write!(
            o,
            "<details><summary>{}{more}</summary><pre class=\"mono\">{}</pre></details>",
            text(&cut),
            // The recorded command keeps its lines; in each, control characters are shown
            // and markup escaped.
            super::escape::markup(&printable_lines(raw))
        );
    }
}

/// `printable` for each line, the newlines kept.
fn printable_lines(s: &str) -> String {
    s.split('\n')
        .map(|line| crate::model::text::printable(line, usize::MAX))
        .collect::<Vec<_>>()
        .join("\n")
}
