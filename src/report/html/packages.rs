//! The Packages section: counts by ecosystem, the installed packages largest first (with the
//! layer that installed each and the build tools marked), the packages a later layer removed
//! with the bytes they still ship, and the databases that could not be read.

use std::fmt::Write as _;

use super::escape::text;
use super::layers;
use crate::model::units::{count, decimal};
use crate::report::{PackageRow, Report};

/// Rows of the installed table (node-app has hundreds of npm packages; the JSON lists all).
const ROWS: usize = 1_000;

pub fn section(o: &mut String, r: &Report) {
    let _ = writeln!(o, "<section id=\"packages\"><h2>Packages</h2>");
    let installed: Vec<&PackageRow> = r.packages.iter().filter(|p| !p.removed).collect();
    if r.packages.is_empty() && r.packages_unreadable.is_empty() {
        let _ = writeln!(
            o,
            "<p class=\"note\">None recorded (no dpkg, apk or rpm database, Python, npm or Go \
             metadata).</p></section>"
        );
        return;
    }
    let counts: Vec<String> = r
        .installed_by_ecosystem()
        .iter()
        .map(|(eco, (n, bytes))| format!("{eco} {} ({})", count(*n), decimal(*bytes)))
        .collect();
    let distro = r
        .distro
        .as_ref()
        .map(|d| format!(" on {} {}", text(&d.id), text(&d.version_id)))
        .unwrap_or_default();
    let _ = writeln!(
        o,
        "<p>{} installed{distro}: {}; {} in files no package owns.</p>",
        count(installed.len() as u64),
        if counts.is_empty() {
            "none".to_string()
        } else {
            counts.join(", ")
        },
        decimal(r.packages_unowned)
    );
    if !installed.is_empty() {
        table(o, r, &installed, false);
    }
    let removed = r.removed_packages();
    if !removed.is_empty() {
        let ships: u64 = removed.iter().map(|p| p.hidden_bytes).sum();
        let _ = writeln!(
            o,
            "<h3>Removed by a later layer, {} still shipped in the layers below</h3>",
            decimal(ships)
        );
        table(o, r, &removed, true);
    }
    for u in &r.packages_unreadable {
        let _ = writeln!(
            o,
            "<p class=\"note\">Unreadable: <span class=\"mono\">{}</span> (layer {}): {}</p>",
            text(&u.path),
            layers::link(r, u.layer),
            text(&u.reason)
        );
    }
    let _ = writeln!(o, "</section>");
}

fn table(o: &mut String, r: &Report, rows: &[&PackageRow], removed: bool) {
    let _ = writeln!(
        o,
        "<table><thead><tr><th>Package</th><th>Version</th><th>Kind</th>\
         <th class=\"num\">Layer</th><th class=\"num\">{}</th><th>Licence</th></tr></thead><tbody>",
        if removed { "Still shipped" } else { "Bytes" }
    );
    for p in rows.iter().take(ROWS) {
        let layer = if removed {
            match p.changes.last() {
                Some(c) => format!(
                    "{} (removed in {})",
                    layers::link(r, p.layer),
                    layers::link(r, c.layer)
                ),
                None => layers::link(r, p.layer),
            }
        } else {
            layers::link(r, p.layer)
        };
        let tool = if p.toolchain {
            " <span class=\"badge\" title=\"a build tool left in the final image\">build tool</span>"
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "<tr><td>{}{tool}</td><td class=\"mono\">{}</td><td>{}</td><td class=\"num\">{layer}</td>\
             <td class=\"num\">{}</td><td>{}</td></tr>",
            text(&p.name),
            text(&p.version),
            p.ecosystem.name(),
            decimal(if removed { p.hidden_bytes } else { p.size }),
            text(p.license.as_deref().unwrap_or(""))
        );
    }
    let _ = writeln!(o, "</tbody></table>");
    if rows.len() > ROWS {
        let _ = writeln!(
            o,
            "<p class=\"note\">… {} more (strata report --json lists them all).</p>",
            count((rows.len() - ROWS) as u64)
        );
    }
}
