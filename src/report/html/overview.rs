//! The top of the page (the image's names and the headline figures as cards, and the split
//! against a base image) and the Config section at its end.

use std::fmt::Write as _;

use super::escape::text;
use crate::model::units::{count, counted, decimal};
use crate::report::Report;

pub fn header(o: &mut String, r: &Report) {
    let img = &r.image;
    let _ = writeln!(
        o,
        "<header><h1>strata report <span class=\"ref\">{}</span></h1>",
        text(&img.reference)
    );
    let mut meta = vec![img.format.to_string()];
    if !img.names.is_empty() {
        meta.push(text(&img.names.join(", ")));
    }
    meta.push(format!("ID {}", text(&img.id)));
    if let Some(d) = &img.digest {
        meta.push(format!("digest {}", text(d)));
    }
    meta.push(text(&img.platform));
    if let Some(c) = &img.created {
        meta.push(format!("created {}", text(c)));
    }
    let _ = writeln!(o, "<div class=\"meta\">{}</div>", meta.join(" · "));
    let _ = writeln!(
        o,
        "<nav><a href=\"#treemap\">Where the bytes are</a><a href=\"#layers\">Layers</a>\
         <a href=\"#waste\">Waste</a><a href=\"#hints\">Hints</a><a href=\"#packages\">Packages</a>\
         <a href=\"#config\">Config</a></nav>"
    );
    let t = &r.totals;
    let w = &r.waste;
    let installed = r.packages.iter().filter(|p| !p.removed).count() as u64;
    let cards = [
        (
            decimal(t.total_bytes),
            format!("in {}", counted(r.layers.len() as u64, "layer", "layers")),
        ),
        (
            decimal(t.final_bytes),
            format!("visible in {}", counted(t.files, "file", "files")),
        ),
        (decimal(t.compressed_bytes), "as blobs".to_string()),
        (decimal(w.unreachable_bytes), "unreachable".to_string()),
        (
            format!("{:.1} %", w.efficiency * 100.0),
            "efficiency".to_string(),
        ),
        (count(installed), "packages".to_string()),
        (count(r.hints.len() as u64), "hints".to_string()),
    ];
    let _ = write!(o, "<div class=\"cards\">");
    for (value, what) in cards {
        let _ = write!(
            o,
            "<div class=\"card\"><b>{value}</b><span>{what}</span></div>"
        );
    }
    let _ = writeln!(o, "</div>");
    if let Some(b) = &r.base {
        let name = b
            .reference
            .as_deref()
            .map(text)
            .unwrap_or_else(|| "(unnamed)".into());
        let line = match (b.layers, b.added_bytes, b.base_bytes) {
            (Some(0), _, _) => format!(
                "Base {name}: none of its layers is at the bottom of this image (not its base?)"
            ),
            (Some(n), Some(added), Some(from_base)) => format!(
                "Base {name}: {} ({}) from the base; {} added by this image, {} of it unreachable",
                if n == 1 {
                    "layer 0".to_string()
                } else {
                    format!("layers 0-{}", n - 1)
                },
                decimal(from_base),
                decimal(added),
                decimal(b.added_unreachable_bytes.unwrap_or(0))
            ),
            _ => format!(
                "Base {name}{} (from the image's annotations)",
                b.digest
                    .as_deref()
                    .map(|d| format!(" {}", text(d)))
                    .unwrap_or_default()
            ),
        };
        let _ = writeln!(o, "<p class=\"meta\">{line}</p>");
    }
    let _ = writeln!(o, "</header>");
}

pub fn config(o: &mut String, r: &Report) {
    let _ = writeln!(o, "<section id=\"config\"><h2>Config</h2><table><tbody>");
    for (label, value) in r.image.config.rows() {
        if value.is_empty() {
            continue;
        }
        let _ = writeln!(
            o,
            "<tr><th style=\"width:9em\">{label}</th><td class=\"mono\">{}</td></tr>",
            text(&value)
        );
    }
    let _ = writeln!(o, "</tbody></table></section>");
}
