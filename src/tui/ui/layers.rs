//! The Layers panel: one row per layer (size, stored size, waste marker, command), with the
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
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    // A narrow panel drops the Stored column so the commands keep some room.
    let stored = width >= 44;
    let header = if stored {
        "  #     Size   Stored W Command"
    } else {
        "  #     Size W Command"
    };
    let mut lines = vec![Line::from(styled(fit(header, width), t.dim))];
    let rows = inner.height.saturating_sub(1) as usize;
    for entry in ex.layer_rows.iter().skip(ex.layers_offset).take(rows) {
        let line = match *entry {
            LayerEntry::Layer(i) => {
                let row = &ex.layer_info[i];
                let selected = i == ex.layer;
                let marker = if row.hidden_later_bytes > 0 {
                    "●"
                } else {
                    " "
                };
                let cmd = crate::model::text::printable(
                    row.command.as_deref().unwrap_or("(no history)"),
                    500,
                );
                let head = if stored {
                    format!(
                        "{:>3} {:>8} {:>8} ",
                        i,
                        units::decimal_short(row.size),
                        units::decimal_short(row.compressed_size)
                    )
                } else {
                    format!("{:>3} {:>8} ", i, units::decimal_short(row.size))
                };
                let rest = width.saturating_sub(head.chars().count() + 2);
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
                let pad = if stored { 22 } else { 13 };
                Line::from(styled(fit(&format!("{:pad$}  {cmd}", ""), width), t.dim))
            }
        };
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
