//! The Layers panel: one row per layer (size, blob size, waste marker, command), with the
//! history steps that made no layer dimmed between them.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{fit, focused, panel, styled};
use crate::model::units;
use crate::tui::app::explorer::{Explorer, LayerEntry, Panel};
use crate::tui::app::State;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ex: &Explorer) {
    let t = &state.theme;
    let block = panel(
        format!("Layers ({})", ex.layer_count()),
        focused(ex, Panel::Layers),
        state,
    );
    let shown = block.inner(area).height.saturating_sub(1) as usize;
    let block = super::scroll_marks(block, ex.layers_offset, shown, ex.layer_rows.len(), state);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    // A narrow panel drops the Blob column so the commands keep some room, and shows
    // the package delta in five columns (its biggest figure) instead of eleven.
    let stored = width >= 44;
    // Package changes wait for the layers below: none while the image loads.
    let packages = !ex.loading()
        && ex
            .layer_info
            .iter()
            .any(|l| l.packages != Default::default());
    let pkg_width = match (packages, width >= 56) {
        (false, _) => 0,
        (true, true) => 11,
        (true, false) => 5,
    };
    let pkg_head = if pkg_width > 0 {
        format!("{:<pkg_width$} ", "Pkgs")
    } else {
        String::new()
    };
    let header = if stored {
        format!("  #     Size     Blob {pkg_head}W  Command")
    } else {
        format!("  #     Size {pkg_head}W  Command")
    };
    let mut lines = vec![Line::from(styled(fit(&header, width), t.dim))];
    let rows = inner.height.saturating_sub(1) as usize;
    for entry in ex.layer_rows.iter().skip(ex.layers_offset).take(rows) {
        let line = match *entry {
            LayerEntry::Layer(i) => {
                let row = &ex.layer_info[i];
                let selected = i == ex.layer;
                let load = ex.layer_load(i);
                // ● its bytes are hidden by a later layer (wasted); ✕ it hides bytes of the
                // layers below (the report's HIDES). Both wait for every layer.
                let marker = if ex.loading() {
                    "  ".to_string()
                } else {
                    format!(
                        "{}{}",
                        if row.hidden_later_bytes > 0 {
                            "●"
                        } else {
                            " "
                        },
                        if row.unreachable_bytes > 0 {
                            "✕"
                        } else {
                            " "
                        }
                    )
                };
                // A layer still to come shows how far its download is instead of its size.
                let size = match load {
                    Some(l)
                        if l.phase == crate::tui::app::Phase::Queued && ex.session.stored(i) =>
                    {
                        "cached".to_string()
                    }
                    Some(l) => load_cell(&l),
                    None => units::decimal_short(row.size),
                };
                let cmd = crate::model::text::printable(
                    &crate::model::history::short_command(
                        row.command.as_deref().unwrap_or("(no history)"),
                    ),
                    500,
                );
                let pkgs = if pkg_width > 0 {
                    format!("{:<pkg_width$} ", package_delta(&row.packages, pkg_width))
                } else {
                    String::new()
                };
                let head = if stored {
                    format!(
                        "{:>3} {:>8} {:>8} {pkgs}",
                        i,
                        size,
                        units::decimal_short(row.compressed_size)
                    )
                } else {
                    format!("{:>3} {:>8} {pkgs}", i, size)
                };
                let rest = width.saturating_sub(head.chars().count() + 3);
                let style = if selected {
                    if focused(ex, Panel::Layers) {
                        t.selected
                    } else {
                        t.title
                    }
                } else {
                    ratatui::style::Style::new()
                };
                Line::from(vec![
                    Span::styled(head, style),
                    Span::styled(
                        marker,
                        if selected {
                            style.patch(t.warn)
                        } else {
                            t.warn
                        },
                    ),
                    Span::styled(format!(" {:<rest$}", fit(&cmd, rest)), style),
                ])
            }
            LayerEntry::Empty(h) => {
                let cmd = ex
                    .image()
                    .history
                    .get(h)
                    .map(|s| crate::model::text::printable(&s.command, 500))
                    .unwrap_or_default();
                let pad =
                    if stored { 23 } else { 14 } + if pkg_width > 0 { pkg_width + 1 } else { 0 };
                Line::from(styled(fit(&format!("{:pad$}  {cmd}", ""), width), t.dim))
            }
        };
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The Size cell of a layer still to come: `queued`, `45 %`, `reading`.
fn load_cell(l: &crate::tui::app::LayerLoad) -> String {
    use crate::tui::app::Phase;
    match l.phase {
        Phase::Queued => "queued".into(),
        Phase::Reading if l.total > 0 => format!("{} %", l.read.min(l.total) * 100 / l.total),
        Phase::Reading | Phase::Done => "reading".into(),
    }
}

/// A layer's package changes in `width` columns: `+312 ~4 -1` (zeros left out), or in a
/// narrow column its biggest figure with a `*` when there are others.
pub fn package_delta(d: &crate::analysis::packages::LayerDelta, width: usize) -> String {
    let parts: Vec<(u32, String)> = [
        (d.added, format!("+{}", d.added)),
        (d.changed, format!("~{}", d.changed)),
        (d.removed, format!("-{}", d.removed)),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .collect();
    let all = parts
        .iter()
        .map(|(_, s)| s.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    if all.chars().count() <= width {
        return all;
    }
    let Some((_, biggest)) = parts.iter().max_by_key(|(n, _)| *n) else {
        return String::new();
    };
    fit(&format!("{biggest}*"), width)
}
