//! Where each panel goes, as a pure function of the terminal size, shared by drawing and by
//! mouse hit-testing so they always agree.

use ratatui::layout::{Constraint, Direction, Layout, Rect};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub layers: Rect,
    pub layer_details: Rect,
    pub image_details: Rect,
    pub files: Rect,
    pub footer: Rect,
}

pub fn areas(width: u16, height: u16) -> Areas {
    let area = Rect::new(0, 0, width, height);
    let [main, footer] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
    let left_width = (width * 2 / 5).clamp(30.min(width), 72);
    let [left, files] =
        Layout::horizontal([Constraint::Length(left_width), Constraint::Min(10)]).areas(main);
    // Layers get what is left after fixed-height details, at least a few rows.
    let details_h = if height >= 40 { 11 } else { 7 };
    let image_h = if height >= 40 { 14 } else { 9 };
    let chunks = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Min(5),
            Constraint::Length(details_h),
            Constraint::Length(image_h),
        ])
        .split(left);
    Areas {
        layers: chunks[0],
        layer_details: chunks[1],
        image_details: chunks[2],
        files,
        footer,
    }
}

/// Rows of list content inside a bordered panel with a header line.
pub fn list_rows(area: Rect) -> usize {
    area.height.saturating_sub(3) as usize
}
