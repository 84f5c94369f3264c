//! The Waste section: the bytes by cause as one bar and a legend, then, cause by cause, the
//! largest wasted paths with the layers and build steps behind them. Each cause has one
//! colour, named by `WasteCause::name` (`c-overwritten`, `c-copy_up`, ...; page.css), the
//! same in the bar, the legend, the headings and the treemap's outlines (`marks`).

use std::fmt::Write as _;

use super::escape::text;
use super::layers;
use crate::model::units::{count, decimal};
use crate::report::{Report, TopRow};

/// The causes in the order the text report lists them: (name, label, what it means).
const CAUSES: [(&str, &str, &str); 5] = [
    (
        "overwritten",
        "overwritten",
        "a later layer wrote the path with new content; the old copy still ships",
    ),
    (
        "copy_up",
        "copy-up",
        "a later layer changed only metadata (chmod/chown/touch) and stored the file again",
    ),
    (
        "removed",
        "removed",
        "deleted by a later layer, but its bytes still ship in the layer below",
    ),
    (
        "duplicate",
        "duplicate",
        "visible, the same content at several paths",
    ),
    ("cache", "cache", "visible, package-manager caches"),
];

fn bytes_of(r: &Report, cause: &str) -> u64 {
    let w = &r.waste;
    match cause {
        "overwritten" => w.overwritten,
        "copy_up" => w.copy_up,
        "removed" => w.removed,
        "duplicate" => w.duplicate,
        _ => w.cache,
    }
}

/// The final-view paths the treemap outlines, `{path: cause}` as JSON: the duplicate and
/// cache rows (the other causes' bytes are not in the final view).
pub fn marks(r: &Report) -> String {
    let marks: serde_json::Map<String, serde_json::Value> = r
        .waste
        .top
        .iter()
        .filter(|t| matches!(t.cause, "duplicate" | "cache"))
        .map(|t| {
            (
                crate::model::text::printable(&t.path, usize::MAX),
                t.cause.into(),
            )
        })
        .collect();
    serde_json::Value::Object(marks).to_string()
}

pub fn section(o: &mut String, r: &Report) {
    let w = &r.waste;
    let _ = writeln!(o, "<section id=\"waste\"><h2>Waste</h2>");
    let _ = writeln!(
        o,
        "<p>{} unreachable: stored in layers but hidden from the final view ({:.1} % of the \
         bytes in layers); efficiency {:.1} %. Duplicates and caches are in the final view.</p>",
        decimal(w.unreachable_bytes),
        if r.totals.total_bytes == 0 {
            0.0
        } else {
            w.unreachable_bytes as f64 * 100.0 / r.totals.total_bytes as f64
        },
        w.efficiency * 100.0
    );
    let all: u64 = CAUSES.iter().map(|c| bytes_of(r, c.0)).sum();
    if all > 0 {
        let _ = write!(o, "<div class=\"wastebar\">");
        for (name, label, _) in CAUSES {
            let b = bytes_of(r, name);
            if b > 0 {
                let _ = write!(
                    o,
                    "<div class=\"c-{name}\" style=\"width:{:.3}%\" title=\"{label}: {}\"></div>",
                    b as f64 * 100.0 / all as f64,
                    decimal(b)
                );
            }
        }
        let _ = writeln!(o, "</div>");
    }
    let _ = writeln!(
        o,
        "<table><thead><tr><th>Cause</th><th class=\"num\">Bytes</th><th>Meaning</th></tr></thead><tbody>"
    );
    for (name, label, why) in CAUSES {
        let _ = writeln!(
            o,
            "<tr><td><span class=\"swatch c-{name}\"></span><a href=\"#waste-{name}\">{label}</a></td>\
             <td class=\"num\">{}</td><td>{why}</td></tr>",
            decimal(bytes_of(r, name))
        );
    }
    let _ = writeln!(o, "</tbody></table>");
    for (name, label, _) in CAUSES {
        let rows: Vec<&TopRow> = w.top.iter().filter(|t| t.cause == name).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(
            o,
            "<h3 id=\"waste-{name}\"><span class=\"swatch c-{name}\"></span>{label}: {}</h3>",
            decimal(bytes_of(r, name))
        );
        let _ = writeln!(
            o,
            "<table><thead><tr><th>Path</th><th class=\"num\">Bytes</th><th class=\"num\">Files</th>\
             <th>Steps</th></tr></thead><tbody>"
        );
        for t in rows {
            let _ = write!(o, "<tr><td class=\"path\">{}", text(&t.path));
            if let Some(same) = &t.same_as {
                let _ = write!(o, "<br><span class=\"meta\">same as {}</span>", text(same));
            }
            let _ = write!(
                o,
                "</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>",
                decimal(t.bytes),
                count(t.files)
            );
            steps(o, r, t);
            let _ = writeln!(o, "</td></tr>");
        }
        let _ = writeln!(o, "</tbody></table>");
    }
    let _ = writeln!(o, "</section>");
}

/// The layers behind a row, each with its command: for a hidden copy, where it is stored and
/// the step that hid it (the last layer of the row: a layer hides only what is below it).
fn steps(o: &mut String, r: &Report, t: &TopRow) {
    let step = |i: usize| {
        format!(
            "layer {}: <span class=\"cmd\">{}</span>",
            layers::link(r, i),
            text(&short(&layers::command(r, i)))
        )
    };
    match (t.cause, t.layers.split_last()) {
        ("overwritten" | "copy_up" | "removed", Some((&by, stored))) if !stored.is_empty() => {
            let stored: Vec<String> = stored.iter().map(|&i| layers::link(r, i)).collect();
            let verb = match t.cause {
                "removed" => "removed by",
                "copy_up" => "copied up by",
                _ => "overwritten by",
            };
            let _ = write!(
                o,
                "stored in layer {}; {verb} {}",
                stored.join(", "),
                step(by)
            );
        }
        _ => {
            let lines: Vec<String> = t.layers.iter().map(|&i| step(i)).collect();
            let _ = write!(o, "{}", lines.join("<br>"));
        }
    }
}

/// A command cut to one line of a table cell.
fn short(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= 90 {
        one_line
    } else {
        one_line.chars().take(89).collect::<String>() + "…"
    }
}
