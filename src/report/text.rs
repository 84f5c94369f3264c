//! The human summary of `strata report`: plain text, sizes in decimal units like dive's.

use std::fmt::Write as _;

use super::Report;
use crate::model::units;

/// Widest command shown in the layers table.
const COMMAND_WIDTH: usize = 72;

/// `part` as a share of `whole`: `12.5 %` (`0.0 %` of nothing).
pub(crate) fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "0.0 %".into()
    } else {
        format!("{:.1} %", part as f64 * 100.0 / whole as f64)
    }
}

/// Image bytes (names, commands) never reach the terminal raw: control characters escaped.
fn safe(s: &str) -> String {
    crate::model::text::printable(s, usize::MAX)
}

fn shorten(s: &str, width: usize) -> String {
    let one_line: String = safe(&s.split_whitespace().collect::<Vec<_>>().join(" "));
    if one_line.chars().count() <= width {
        one_line
    } else {
        let cut: String = one_line.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// Renders the report; `top` limits the wasted-paths table.
pub fn render(r: &Report, top: usize) -> String {
    let mut o = String::new();
    let img = &r.image;
    let names = if img.names.is_empty() {
        String::new()
    } else {
        format!("  ({})", img.names.join(", "))
    };
    let _ = writeln!(
        o,
        "Image      {} [{}]{}",
        safe(&img.reference),
        img.format,
        safe(&names)
    );
    let _ = writeln!(o, "ID         {}", img.id);
    if let Some(d) = &img.digest {
        let _ = writeln!(o, "Digest     {d}");
    }
    let _ = writeln!(
        o,
        "Platform   {}{}",
        img.platform,
        img.created
            .as_deref()
            .map(|c| format!("   created {c}"))
            .unwrap_or_default()
    );
    let t = &r.totals;
    let _ = writeln!(
        o,
        "Size       {} in {}, {} visible in {}, {} as blobs",
        units::decimal(t.total_bytes),
        units::counted(r.layers.len() as u64, "layer", "layers"),
        units::decimal(t.final_bytes),
        units::counted(t.files, "file", "files"),
        units::decimal(t.compressed_bytes),
    );
    if let Some(b) = &r.base {
        let name = b
            .reference
            .as_deref()
            .map(safe)
            .unwrap_or_else(|| "(unnamed)".into());
        match (b.layers, b.added_bytes, b.base_bytes) {
            (Some(0), _, _) => {
                let _ = writeln!(o, "Base       {name}: none of its layers is at the bottom of this image (not its base?)");
            }
            (Some(n), Some(added), Some(from_base)) => {
                let _ = writeln!(
                    o,
                    "Base       {name}: {} ({}) from the base{}; {} added by this image, {} of it unreachable",
                    if n == 1 { "layer 0".to_string() } else { format!("layers 0-{}", n - 1) },
                    units::decimal(from_base),
                    if b.complete == Some(false) { " (the base's layers are not all at the bottom of this image)" } else { "" },
                    units::decimal(added),
                    units::decimal(b.added_unreachable_bytes.unwrap_or(0))
                );
            }
            _ => {
                let digest = b
                    .digest
                    .as_deref()
                    .map(|d| format!(" {}", safe(d)))
                    .unwrap_or_default();
                let _ = writeln!(o, "Base       {name}{digest} (from the image's annotations; --base IMAGE splits the figures)");
            }
        }
    }
    let _ = writeln!(o);

    // Every field the config has; the always-listed ones only when set (User always: unset
    // is root).
    let _ = writeln!(o, "Config");
    for (label, value) in img.config.rows() {
        if value.is_empty() {
            continue;
        }
        let _ = writeln!(o, "  {label:<12} {}", safe(&value));
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "Layers");
    let _ = writeln!(
        o,
        "  {:>3}  {:>9}  {:>10}  {:>9}  COMMAND",
        "#", "SIZE", "BLOB", "HIDES"
    );
    for l in &r.layers {
        let hides = if l.unreachable_bytes > 0 {
            units::decimal(l.unreachable_bytes)
        } else {
            "-".into()
        };
        let _ = writeln!(
            o,
            "  {:>3}  {:>9}  {:>10}  {:>9}  {}",
            l.index,
            units::decimal(l.size),
            units::decimal(l.compressed_size),
            hides,
            shorten(
                &crate::model::history::short_command(
                    l.command.as_deref().unwrap_or("(no history)")
                ),
                COMMAND_WIDTH
            )
        );
    }
    let _ = writeln!(o);

    let w = &r.waste;
    let _ = writeln!(
        o,
        "Waste      {} unreachable ({} of the bytes in layers); efficiency {:.1} %",
        units::decimal(w.unreachable_bytes),
        percent(w.unreachable_bytes, t.total_bytes),
        w.efficiency * 100.0
    );
    for (name, bytes, why) in w.causes() {
        let _ = writeln!(o, "  {name:<12} {:>9}  {why}", units::decimal(bytes));
    }
    let _ = writeln!(o);

    if !w.top.is_empty() && top > 0 {
        let _ = writeln!(o, "Top wasted paths");
        let _ = writeln!(
            o,
            "  {:>9}  {:<11}  {:<9}  PATH",
            "BYTES", "CAUSE", "LAYERS"
        );
        for row in w.top.iter().take(top) {
            let layers = row
                .layers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let same = row
                .same_as
                .as_deref()
                .map(|s| format!("  (same as {})", safe(s)))
                .unwrap_or_else(|| {
                    // A directory row: how many files it stands for.
                    if row.files > 1 {
                        format!("/  ({})", units::counted(row.files, "file", "files"))
                    } else {
                        String::new()
                    }
                });
            let _ = writeln!(
                o,
                "  {:>9}  {:<11}  {:<9}  {}{same}",
                units::decimal(row.bytes),
                // The JSON value is `copy_up`; a person reads `copy-up`.
                row.cause.replace('_', "-"),
                layers,
                safe(&row.path)
            );
        }
        let _ = writeln!(o);
    }

    if !r.hints.is_empty() {
        // The image's own hints, then the base image's under their own heading.
        let (base, mine): (Vec<&super::Hint>, Vec<&super::Hint>) =
            r.hints.iter().partition(|h| h.from_base);
        let _ = writeln!(o, "Hints");
        if mine.is_empty() {
            let _ = writeln!(o, "  none in this image's own layers");
        }
        for h in mine {
            hint(&mut o, h);
        }
        if !base.is_empty() {
            let n = r.hints_base.layers;
            let _ = writeln!(
                o,
                "  From the base image ({}, {}): fix them in the base, or pick a slimmer one",
                if n == 1 {
                    "layer 0".to_string()
                } else {
                    format!("layers 0-{}", n.saturating_sub(1))
                },
                match r.hints_base.by {
                    crate::analysis::hints::BaseFrom::History => "as the history shows it",
                    crate::analysis::hints::BaseFrom::Given => "as --base matched it",
                }
            );
            for h in base {
                hint(&mut o, h);
            }
        }
        let _ = writeln!(o);
    }

    packages(&mut o, r);

    let d = &r.dive_compat;
    let uwp = d
        .user_wasted_percent
        .map(|v| format!("{:.4} %", v * 100.0))
        .unwrap_or_else(|| "n/a".into());
    let _ = writeln!(
        o,
        "dive       efficiency {:.4} %, wasted {}, user wasted {uwp}, {} inefficient files",
        d.efficiency * 100.0,
        units::decimal(d.wasted_bytes),
        d.inefficient_files.len()
    );
    o
}

/// One hint: severity, id, bytes and layer, the message, the first paths.
fn hint(o: &mut String, h: &super::Hint) {
    let sev = h.severity.name();
    let at = match (h.bytes, h.layer) {
        (0, None) => String::new(),
        (0, Some(l)) => format!(" (layer {l})"),
        (b, None) => format!(" ({})", units::decimal(b)),
        (b, Some(l)) => format!(" ({}, layer {l})", units::decimal(b)),
    };
    let _ = writeln!(o, "  [{sev}] {}{at}: {}", h.id, safe(&h.message));
    for p in h.paths.iter().take(3) {
        let _ = writeln!(o, "      {}", safe(p));
    }
    let total = h.paths_total.max(h.paths.len());
    if total > 3 {
        let _ = writeln!(o, "      … {} more", total - 3);
    }
}

/// Rows of each list in the Packages section.
const PACKAGE_ROWS: usize = 10;

/// The Packages section: counts by ecosystem, the largest, what was removed but still ships,
/// and build tools left in the final image.
fn packages(o: &mut String, r: &Report) {
    let installed: Vec<_> = r.packages.iter().filter(|p| !p.removed).collect();
    if installed.is_empty() && r.packages.is_empty() && r.packages_unreadable.is_empty() {
        let _ = writeln!(
            o,
            "Packages   none recorded (no dpkg, apk or rpm database, Python, npm or Go metadata)"
        );
        let _ = writeln!(o);
        return;
    }
    let counts: Vec<String> = r
        .installed_by_ecosystem()
        .iter()
        .map(|(eco, (n, bytes))| format!("{eco} {n} ({})", units::decimal(*bytes)))
        .collect();
    let distro = r
        .distro
        .as_ref()
        .map(|d| format!(" on {} {}", safe(&d.id), safe(&d.version_id)))
        .unwrap_or_default();
    let _ = writeln!(
        o,
        "Packages   {} installed{distro}: {}; {} in files no package owns",
        installed.len(),
        if counts.is_empty() {
            "none".to_string()
        } else {
            counts.join(", ")
        },
        units::decimal(r.packages_unowned)
    );
    let row = |p: &super::PackageRow, bytes: u64| {
        format!(
            "  {:>9}  {:<6}  {:>5}  {} {}",
            units::decimal(bytes),
            p.ecosystem.name(),
            p.layer,
            safe(&p.name),
            safe(&p.version)
        )
    };
    if !installed.is_empty() {
        let _ = writeln!(o, "  Largest");
        let _ = writeln!(
            o,
            "  {:>9}  {:<6}  {:>5}  PACKAGE",
            "BYTES", "KIND", "LAYER"
        );
        for p in installed.iter().take(PACKAGE_ROWS) {
            let _ = writeln!(o, "{}", row(p, p.size));
        }
    }
    let removed = r.removed_packages();
    if !removed.is_empty() {
        let ships: u64 = removed.iter().map(|p| p.hidden_bytes).sum();
        let _ = writeln!(
            o,
            "  Removed by a later layer, {} still shipped in the layers below:",
            units::decimal(ships)
        );
        for p in removed.iter().take(PACKAGE_ROWS) {
            let by = p
                .changes
                .last()
                .map(|c| format!("  (removed in layer {})", c.layer))
                .unwrap_or_default();
            let _ = writeln!(o, "{}{by}", row(p, p.hidden_bytes));
        }
        if removed.len() > PACKAGE_ROWS {
            let _ = writeln!(o, "      … {} more", removed.len() - PACKAGE_ROWS);
        }
    }
    let tools: Vec<_> = installed.iter().filter(|p| p.toolchain).collect();
    if !tools.is_empty() {
        let bytes: u64 = tools.iter().map(|p| p.size).sum();
        let _ = writeln!(
            o,
            "  Build tools in the final image, {} (a multi-stage build leaves them behind):",
            units::decimal(bytes)
        );
        for p in tools.iter().take(PACKAGE_ROWS) {
            let _ = writeln!(o, "{}", row(p, p.size));
        }
        if tools.len() > PACKAGE_ROWS {
            let _ = writeln!(o, "      … {} more", tools.len() - PACKAGE_ROWS);
        }
    }
    for u in &r.packages_unreadable {
        let _ = writeln!(
            o,
            "  unreadable: {} (layer {}): {}",
            safe(&u.path),
            u.layer,
            safe(&u.reason)
        );
    }
    let _ = writeln!(o);
}
