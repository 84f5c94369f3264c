//! The Hints section: the image's own hints, then the base image's under their own heading
//! (as the text report splits them), each with its severity, bytes, layer and paths.

use std::fmt::Write as _;

use super::escape::text;
use super::layers;
use crate::analysis::hints::{BaseFrom, Severity};
use crate::model::units::{count, decimal};
use crate::report::{Hint, Report};

/// Paths shown before the fold.
const PATHS_SHOWN: usize = 3;

pub fn section(o: &mut String, r: &Report) {
    let _ = writeln!(o, "<section id=\"hints\"><h2>Hints</h2>");
    if r.hints.is_empty() {
        let _ = writeln!(o, "<p class=\"note\">None.</p></section>");
        return;
    }
    let (base, mine): (Vec<&Hint>, Vec<&Hint>) = r.hints.iter().partition(|h| h.from_base);
    if mine.is_empty() {
        let _ = writeln!(o, "<p class=\"note\">None in this image's own layers.</p>");
    }
    list(o, r, &mine);
    if !base.is_empty() {
        let n = r.hints_base.layers;
        let _ = writeln!(
            o,
            "<h3>From the base image ({}, {})</h3><p class=\"note\">Fix them in the base, or \
             pick a slimmer one.</p>",
            if n == 1 {
                "layer 0".to_string()
            } else {
                format!("layers 0-{}", n.saturating_sub(1))
            },
            match r.hints_base.by {
                BaseFrom::History => "as the history shows it",
                BaseFrom::Given => "as --base matched it",
            }
        );
        list(o, r, &base);
    }
    let _ = writeln!(o, "</section>");
}

fn list(o: &mut String, r: &Report, hints: &[&Hint]) {
    if hints.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "<table><thead><tr><th>Severity</th><th>Hint</th><th class=\"num\">Bytes</th>\
         <th class=\"num\">Layer</th></tr></thead><tbody>"
    );
    for h in hints {
        let sev = match h.severity {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        let bytes = if h.bytes > 0 {
            decimal(h.bytes)
        } else {
            String::new()
        };
        let layer = h.layer.map(|l| layers::link(r, l)).unwrap_or_default();
        let _ = write!(
            o,
            "<tr><td><span class=\"badge {sev}\">{sev}</span></td><td><code>{}</code> {}",
            text(&h.id),
            text(&h.message)
        );
        paths(o, h);
        let _ = writeln!(
            o,
            "</td><td class=\"num\">{bytes}</td><td class=\"num\">{layer}</td></tr>"
        );
    }
    let _ = writeln!(o, "</tbody></table>");
}

/// The first paths, the rest of those the report lists under a fold, and how many it left out.
fn paths(o: &mut String, h: &Hint) {
    if h.paths.is_empty() {
        return;
    }
    let item = |p: &String| format!("<li class=\"mono\">{}</li>", text(p));
    let _ = write!(o, "<ul class=\"pkgs\" style=\"columns:1\">");
    for p in h.paths.iter().take(PATHS_SHOWN) {
        let _ = write!(o, "{}", item(p));
    }
    let _ = write!(o, "</ul>");
    let total = h.paths_total.max(h.paths.len());
    if total > PATHS_SHOWN {
        let _ = write!(
            o,
            "<details><summary>{} more</summary><ul class=\"pkgs\" style=\"columns:1\">",
            count((total - PATHS_SHOWN) as u64)
        );
        for p in h.paths.iter().skip(PATHS_SHOWN) {
            let _ = write!(o, "{}", item(p));
        }
        if total > h.paths.len() {
            let _ = write!(
                o,
                "<li>… {} more (the explorer lists them all)</li>",
                count((total - h.paths.len()) as u64)
            );
        }
        let _ = write!(o, "</ul></details>");
    }
}
