//! The treemap popup (`app::popups::treemap`): each cell a box with the entry's name and
//! bytes, its inside filled, from the bottom, in proportion to its wasted bytes by cause (what
//! stays blank is not wasted); the selected cell's figures above the cells and the causes'
//! legend below them.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::{bars, fit, panel, styled};
use crate::analysis::waste::WasteCause;
use crate::model::units;
use crate::tui::app::explorer::Explorer;
use crate::tui::app::layout::popup_area;
use crate::tui::app::popups::treemap::{cell_area, Cell, Treemap};
use crate::tui::app::State;

pub fn draw(frame: &mut Frame, state: &State, ex: &Explorer, map: &Treemap) {
    let t = &state.theme;
    let big = popup_area(frame.area());
    frame.render_widget(Clear, big);
    let title = format!(
        "Treemap {} · {} · {} (Esc closes)",
        map.title,
        units::decimal_short(map.total),
        ex.nav.tree.mode.title()
    );
    let title = fit(&title, big.width.saturating_sub(4) as usize);
    frame.render_widget(panel(title, true, state), big);
    let width = big.width.saturating_sub(2) as usize;
    let top = Rect::new(big.x + 1, big.y + 1, big.width.saturating_sub(2), 1);
    frame.render_widget(Paragraph::new(Line::from(summary(map, width, state))), top);
    let cells = cell_area(big);
    if map.cells.is_empty() {
        let why = if map.empty > 0 {
            format!(
                "  nothing here takes bytes ({})",
                units::counted(map.empty as u64, "empty entry", "empty entries")
            )
        } else {
            "  nothing here".to_string()
        };
        frame.render_widget(Paragraph::new(styled(why, t.dim)), cells);
    }
    for (i, cell) in map.cells.iter().enumerate() {
        let r = Rect::new(
            cells.x + cell.rect.x,
            cells.y + cell.rect.y,
            cell.rect.width,
            cell.rect.height,
        );
        draw_cell(frame, r, cell, map.total, i == map.cursor, state);
    }
    let legend = Rect::new(
        big.x + 1,
        big.bottom().saturating_sub(2),
        big.width.saturating_sub(2),
        1,
    );
    frame.render_widget(Paragraph::new(Line::from(bars::legend(t))), legend);
}

/// The line above the cells: the selected cell's bytes, its share, and what of it is wasted.
fn summary(map: &Treemap, width: usize, state: &State) -> Vec<Span<'static>> {
    let t = &state.theme;
    let Some(c) = map.selected() else {
        return vec![];
    };
    let share = if map.total == 0 {
        0.0
    } else {
        c.size as f64 / map.total as f64 * 100.0
    };
    let mut text = format!("{}  {}  {share:.1} %", c.name, units::decimal_short(c.size));
    let wasted: u64 = c.waste.iter().sum();
    if wasted > 0 {
        let causes: Vec<String> = WasteCause::ALL
            .iter()
            .filter(|k| c.waste[k.index()] > 0)
            .map(|k| format!("{} {}", k.label(), units::decimal_short(c.waste[k.index()])))
            .collect();
        text.push_str(&format!(
            "  · wasted {} ({})",
            units::decimal_short(wasted),
            causes.join(", ")
        ));
    }
    if c.dir {
        text.push_str("  · Enter: into");
    }
    vec![styled(fit(&text, width), t.title)]
}

fn draw_cell(frame: &mut Frame, r: Rect, cell: &Cell, total: u64, selected: bool, state: &State) {
    let t = &state.theme;
    if r.area() == 0 {
        return;
    }
    let buf = frame.buffer_mut();
    if r.width < 3 || r.height < 3 {
        // Too small for a box: filled with its main cause, or dots.
        let (ch, mut style) = match main_cause(cell) {
            Some(k) => (t.waste_fill[k], t.bar[k]),
            None => ('·', t.dim),
        };
        if selected {
            style = style.patch(t.selected);
        }
        for y in r.top()..r.bottom() {
            for x in r.left()..r.right() {
                buf[(x, y)].set_char(ch).set_style(style);
            }
        }
        return;
    }
    let border = if selected {
        t.focus_border.add_modifier(Modifier::BOLD)
    } else {
        t.border
    };
    let block = Block::default().borders(Borders::ALL).border_style(border);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    // The wasted bytes' share of the inside below the labels, filled from the bottom right,
    // cause by cause.
    let labels = inner.height.min(2);
    let fill = Rect {
        y: inner.y + labels,
        height: inner.height - labels,
        ..inner
    };
    let area = fill.width as usize * fill.height as usize;
    let mut fills = Vec::with_capacity(area);
    let (mut upto, mut done) = (0u64, 0usize);
    for k in 0..5 {
        if cell.waste[k] == 0 || cell.size == 0 {
            continue;
        }
        upto += cell.waste[k];
        let end = ((upto.min(cell.size) as f64 / cell.size as f64) * area as f64).round() as usize;
        fills.extend(std::iter::repeat_n(k, end.saturating_sub(done)));
        done = done.max(end);
    }
    let buf = frame.buffer_mut();
    for (n, k) in fills.into_iter().enumerate() {
        let (w, h) = (fill.width as usize, fill.height as usize);
        let (x, y) = (w - 1 - n % w, h - 1 - n / w);
        buf[(fill.x + x as u16, fill.y + y as u16)]
            .set_char(t.waste_fill[k])
            .set_style(t.bar[k]);
    }
    // No room to fill: the name takes the colour of the cause of most of the bytes.
    let main = main_cause(cell).filter(|_| area == 0);
    let name_style = match (selected, main) {
        (true, _) => t.selected,
        (false, Some(k)) => t.bar[k].add_modifier(Modifier::BOLD),
        (false, None) => t.title,
    };
    let share = if total == 0 {
        0.0
    } else {
        cell.size as f64 / total as f64 * 100.0
    };
    let w = inner.width as usize;
    let lines = [
        Line::from(styled(fit(&cell.name, w), name_style)),
        Line::from(Span::raw(fit(
            &format!("{} {share:.0}%", units::decimal_short(cell.size)),
            w,
        ))),
    ];
    for (i, line) in lines.into_iter().enumerate().take(inner.height as usize) {
        let row = Rect::new(inner.x, inner.y + i as u16, inner.width, 1);
        let len = line.width() as u16;
        frame.render_widget(
            Paragraph::new(line),
            Rect {
                width: len.min(row.width),
                ..row
            },
        );
    }
}

/// The cause of at least half of a cell's bytes, if one is.
fn main_cause(cell: &Cell) -> Option<usize> {
    (0..5)
        .max_by_key(|&k| cell.waste[k])
        .filter(|&k| cell.waste[k] > 0 && cell.waste[k] * 2 >= cell.size)
}
