//! The Layer details and Image details panels.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{fit, panel, styled};
use crate::model::text::printable;
use crate::model::units;
use crate::tui::app::explorer::Explorer;
use crate::tui::app::State;

pub fn draw_layer(frame: &mut Frame, area: Rect, state: &State, ex: &Explorer) {
    let t = &state.theme;
    let i = ex.layer;
    let block = panel(format!("Layer {i} of {}", ex.layer_count()), false, state);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(row) = ex.layer_info.get(i) else {
        return;
    };
    let w = inner.width as usize;
    let label = |s: &str| styled(format!("{s:<9}"), t.dim);
    if ex.loading() {
        draw_loading_layer(frame, inner, state, ex);
        return;
    }
    let mut changes = Line::from(vec![
        label("Changes"),
        styled(format!("+{}", row.added), t.added),
        Span::raw(" "),
        styled(format!("~{}", row.modified), t.modified),
        Span::raw(" "),
        styled(format!("m{}", row.metadata_only), t.metadata),
        Span::raw(" "),
        styled(format!("-{}", row.removed), t.removed),
        Span::raw(" "),
        styled(format!("={}", row.unchanged), t.unchanged),
    ]);
    // The entry count goes where it fits: this line must not wrap over the command. It
    // counts the tar's entries (whiteouts too), which the kinds above add up to.
    let entries = format!(
        "  ({})",
        units::counted(row.entries, "tar entry", "tar entries")
    );
    if changes.width() + entries.chars().count() <= w {
        changes.push_span(styled(entries, t.dim));
    }
    let mut lines = vec![changes];
    if !row.package_lines.is_empty() {
        let delta = super::layers::package_delta(&row.packages, 20);
        let names = row
            .package_lines
            .iter()
            .map(|l| l.split(' ').take(2).collect::<Vec<_>>().join(""))
            .collect::<Vec<_>>()
            .join(" ");
        lines.push(Line::from(vec![
            label("Packages"),
            Span::raw(fit(&format!("{delta}: {names}"), w.saturating_sub(9))),
        ]));
    }
    lines.extend([
        Line::from(vec![
            label("Wastes"),
            Span::raw(fit(
                &format!(
                    "{} below, {} of its own hidden later",
                    units::decimal_short(row.unreachable_bytes),
                    units::decimal_short(row.hidden_later_bytes)
                ),
                w.saturating_sub(9),
            )),
        ]),
        Line::from(vec![
            label("Digest"),
            Span::raw(fit(
                row.digest.as_deref().unwrap_or("-"),
                w.saturating_sub(9),
            )),
        ]),
        Line::from(vec![
            label("DiffID"),
            Span::raw(fit(
                row.diff_id.as_deref().unwrap_or("-"),
                w.saturating_sub(9),
            )),
        ]),
    ]);
    let at = if row.package_lines.is_empty() { 2 } else { 3 };
    draw_with_command(frame, inner, state, lines, row, at);
}

/// Draws the Layer panel's `lines` with the layer's creation time last and its command at line
/// `at`, wrapped into the rows the other lines leave (at least one) and cut with `…` where it
/// does not fit: a long RUN used to push the digests out of the panel. `i` shows the whole
/// history.
fn draw_with_command(
    frame: &mut Frame,
    inner: Rect,
    state: &State,
    mut lines: Vec<Line<'static>>,
    row: &crate::tui::app::explorer::LayerInfo,
    at: usize,
) {
    let t = &state.theme;
    let label = |s: &str| styled(format!("{s:<9}"), t.dim);
    let w = inner.width as usize;
    if let Some(created) = row.created.as_deref() {
        lines.push(Line::from(vec![
            label("Created"),
            Span::raw(printable(created, 64)),
        ]));
    }
    let cmd = row
        .command
        .as_deref()
        .map(|c| super::compact_hashes(&printable(c, 4000)))
        .unwrap_or_else(|| "(no history)".into());
    let rows = (inner.height as usize).saturating_sub(lines.len()).max(1);
    let room = w.saturating_sub(9) + (rows - 1) * w;
    let cmd = if cmd.chars().count() > room {
        let mut cut: String = cmd.chars().take(room.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        cmd
    };
    lines.insert(
        at.min(lines.len()),
        Line::from(vec![label("Command"), Span::raw(cmd)]),
    );
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// The Layer panel while the image loads: what is known of the layer (its command, digests and
/// blob, how far its download is, its entries once it is in), and what its figures wait for.
fn draw_loading_layer(frame: &mut Frame, inner: Rect, state: &State, ex: &Explorer) {
    let t = &state.theme;
    let i = ex.layer;
    let Some(row) = ex.layer_info.get(i) else {
        return;
    };
    let w = inner.width as usize;
    let label = |s: &str| styled(format!("{s:<9}"), t.dim);
    let value = |s: String| Span::raw(fit(&s, w.saturating_sub(9)));
    let state_line = match ex.layer_load(i) {
        Some(l) if ex.session.listed(i) => match (l.phase, l.total) {
            (crate::tui::app::Phase::Reading, total) if total > 0 => format!(
                "listed; verifying: {} % of {}",
                l.read.min(total) * 100 / total,
                units::decimal_short(total)
            ),
            _ => "listed; verifying".to_string(),
        },
        Some(l) if ex.session.stored(i) => format!(
            "{} (its blob is in the cache)",
            crate::tui::app::explorer::load_words(&l)
        ),
        Some(l) => crate::tui::app::explorer::load_words(&l),
        None => format!(
            "in: {}, blob {} verified",
            units::counted(row.entries, "tar entry", "tar entries"),
            units::decimal_short(row.compressed_size)
        ),
    };
    let figures = format!(
        "pending: {} still loading",
        crate::tui::app::explorer::layer_list(ex.pending())
    );
    let lines = vec![
        Line::from(vec![label("Load"), value(state_line)]),
        Line::from(vec![
            label("Figures"),
            styled(fit(&figures, w.saturating_sub(9)), t.warn),
        ]),
        Line::from(vec![
            label("Digest"),
            value(row.digest.clone().unwrap_or_else(|| "-".into())),
        ]),
        Line::from(vec![
            label("DiffID"),
            value(row.diff_id.clone().unwrap_or_else(|| "-".into())),
        ]),
    ];
    draw_with_command(frame, inner, state, lines, row, 2);
}

/// The Image panel while the image loads: the blobs' bytes and how far the download is; every
/// figure of the whole image waits for every layer.
fn draw_loading_image(frame: &mut Frame, area: Rect, state: &State, ex: &Explorer) {
    let t = &state.theme;
    let block = panel("Image · loading".to_string(), false, state);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let n = ex.layer_count();
    let pending = ex.pending();
    let (read, total) = ex.arrival.as_ref().map_or((0, 0), |a| a.bytes());
    let mut lines = vec![
        Line::from(fit(
            &format!(
                "{} as blobs, {} of {} layers in",
                units::decimal_short(ex.compressed_bytes),
                n - pending.len(),
                n
            ),
            width,
        )),
        Line::from(fit(
            &format!(
                "read {} of {}{}",
                units::decimal_short(read),
                units::decimal_short(total),
                ex.arrival
                    .as_ref()
                    .and_then(|a| a.eta_secs())
                    .map(|s| format!(", about {s} s left"))
                    .unwrap_or_default()
            ),
            width,
        )),
    ];
    let wait = format!(
        "pending: {} still loading",
        crate::tui::app::explorer::layer_list(pending)
    );
    for name in ["Efficiency", "Wasted", "Hints"] {
        lines.push(Line::from(vec![
            styled(format!("{name:<11}"), t.dim),
            styled(fit(&wait, width.saturating_sub(11)), t.warn),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

pub fn draw_image(frame: &mut Frame, area: Rect, state: &State, ex: &Explorer) {
    if ex.loading() {
        draw_loading_image(frame, area, state, ex);
        return;
    }
    let t = &state.theme;
    let hints = ex.analysis.hints.len();
    let title = if hints == 0 {
        "Image".to_string()
    } else {
        format!(
            "Image · {hints} hint{} ({})",
            if hints == 1 { "" } else { "s" },
            state
                .keymap
                .first_key(crate::tui::app::keymap::Action::Hints)
        )
    };
    let block = panel(title, false, state);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = &ex.analysis.waste;
    let width = inner.width as usize;
    let (total, visible, blobs) = (
        units::decimal_short(w.total_bytes),
        units::decimal_short(w.final_bytes),
        units::decimal_short(ex.compressed_bytes),
    );
    let sizes = format!("{total} in layers, {visible} visible, {blobs} as blobs");
    // A narrow panel gives the three sizes more lines rather than cut one of them.
    let mut lines: Vec<Line> = Vec::new();
    if sizes.chars().count() <= width {
        lines.push(Line::from(sizes));
    } else {
        let mut rows = vec![format!("{total} in layers"), format!("{visible} visible")];
        match rows
            .iter_mut()
            .find(|r| r.chars().count() + blobs.len() + 8 <= width)
        {
            Some(row) => row.push_str(&format!(", {blobs} blobs")),
            None => rows.push(format!("{blobs} as blobs")),
        }
        lines.extend(rows.into_iter().map(|r| Line::from(fit(&r, width))));
    }
    lines.extend([Line::from(vec![
        styled("Efficiency ", t.dim),
        styled(format!("{:.1} %", w.efficiency * 100.0), t.title),
        styled(
            fit(
                &{
                    // dive counts every copy of a path seen twice as wasted: its figure
                    // differs, and says whose it is.
                    let dive = ex.analysis.dive.efficiency * 100.0;
                    let long = format!("  ({dive:.1} % as dive counts)");
                    if long.chars().count() + 18 <= width {
                        long
                    } else {
                        format!("  (dive's {dive:.1} %)")
                    }
                },
                width.saturating_sub(18),
            ),
            t.dim,
        ),
    ])]);
    let causes = [
        ("overwritten", w.overwritten),
        ("copy-up", w.copy_up),
        ("removed", w.removed),
        ("duplicate", w.duplicate),
        ("cache", w.cache),
    ];
    let max = causes.iter().map(|c| c.1).max().unwrap_or(0).max(1);
    let bar_w = width.saturating_sub(12 + 10).max(1);
    // A short panel keeps the causes with the most bytes, still in their usual order.
    let room = (inner.height as usize).saturating_sub(lines.len());
    let mut by_size: Vec<usize> = (0..causes.len()).collect();
    by_size.sort_by_key(|&k| std::cmp::Reverse(causes[k].1));
    let shown: Vec<usize> = by_size.into_iter().take(room).collect();
    for (k, (name, bytes)) in causes.iter().enumerate() {
        if !shown.contains(&k) {
            continue;
        }
        let n = ((*bytes as f64 / max as f64) * bar_w as f64).round() as usize;
        let n = if *bytes > 0 { n.max(1) } else { 0 };
        lines.push(Line::from(vec![
            styled(format!("{name:<11} "), t.dim),
            styled("█".repeat(n), t.bar[k]),
            Span::raw(format!(
                "{}{:>9}",
                " ".repeat(bar_w - n.min(bar_w) + 1),
                units::decimal_short(*bytes)
            )),
        ]));
    }
    let room = (inner.height as usize).saturating_sub(lines.len() + 1);
    if room > 0 && !w.top.is_empty() {
        lines.push(Line::from(styled("Top wasted", t.dim)));
        for row in w.top.iter().take(room) {
            let head = format!(
                "{:>9} {:<11} ",
                units::decimal_short(row.bytes),
                row.cause.label()
            );
            let name = if row.files > 1 {
                format!("/{}/ ({} files)", row.path, units::count(row.files))
            } else {
                format!("/{}", row.path)
            };
            lines.push(Line::from(vec![
                Span::raw(head.clone()),
                Span::raw(fit(
                    &printable(&name, 1000),
                    width.saturating_sub(head.chars().count()),
                )),
            ]));
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
