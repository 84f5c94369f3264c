//! Where each panel and popup goes, as a pure function of the terminal size, shared by
//! drawing, `update` (page sizes, how far a popup scrolls, the rows on screen) and mouse
//! hit-testing, so they always agree.

use ratatui::layout::{Constraint, Flex, Layout, Rect};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub layers: Rect,
    pub layer_details: Rect,
    pub image_details: Rect,
    pub files: Rect,
    pub footer: Rect,
}

/// `layer_rows` is how many rows the Layers list holds: on a short terminal the layers get
/// the room they need (up to half the height) before the details panels, which shrink.
pub fn areas(width: u16, height: u16, layer_rows: usize) -> Areas {
    let area = Rect::new(0, 0, width, height);
    let [main, footer] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
    let left_width = (width * 2 / 5).clamp(30.min(width), 72);
    let [left, files] =
        Layout::horizontal([Constraint::Length(left_width), Constraint::Min(10)]).areas(main);
    let (layers_h, details_h, image_h) = left_heights(left.height, layer_rows);
    let [layers, layer_details, image_details] = Layout::vertical([
        Constraint::Length(layers_h),
        Constraint::Length(details_h),
        Constraint::Length(image_h),
    ])
    .areas(left);
    Areas {
        layers,
        layer_details,
        image_details,
        files,
        footer,
    }
}

/// Which panel has the whole screen (`+`), if one does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zoom {
    Layers,
    Files,
}

/// `areas`, or with one panel zoomed, that panel over everything but the footer and the
/// others empty (drawing skips empty panels).
pub fn zoomed_areas(width: u16, height: u16, layer_rows: usize, zoom: Option<Zoom>) -> Areas {
    let mut a = areas(width, height, layer_rows);
    let Some(z) = zoom else {
        return a;
    };
    let main = Rect::new(0, 0, width, height.saturating_sub(1));
    let none = Rect::new(0, 0, 0, 0);
    (a.layers, a.layer_details, a.image_details, a.files) = match z {
        Zoom::Layers => (main, none, none, none),
        Zoom::Files => (none, none, none, main),
    };
    a
}

/// Below this size the explorer says the terminal is too small instead of drawing panels
/// too narrow to hold a name.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

/// Heights of the Layers, Layer and Image panels in a left column `total` rows high. Tall
/// terminals give the details their full size and the layers the rest. Below that the
/// details keep their full size only while every layer row still shows; otherwise the
/// layers take what they need up to half the column, and the two details panels share the
/// remainder (Layer 7 : Image 9, at least a border and one row each).
fn left_heights(total: u16, layer_rows: usize) -> (u16, u16, u16) {
    const BORDERS_AND_HEADER: u16 = 3;
    let (full_details, full_image) = if total >= 39 { (11, 14) } else { (7, 9) };
    let fixed = full_details + full_image;
    let want = u16::try_from(layer_rows)
        .unwrap_or(u16::MAX)
        .saturating_add(BORDERS_AND_HEADER)
        .max(5);
    if total >= 39 || total.saturating_sub(fixed) >= want {
        let layers = total.saturating_sub(fixed).max(5.min(total));
        let rest = total - layers;
        let details = full_details.min(rest);
        return (layers, details, rest - details);
    }
    let layers = want.min(total.saturating_sub(fixed).max(total / 2));
    let rest = total - layers;
    let details = (rest * full_details / fixed).clamp(3.min(rest), full_details);
    (layers, details, rest - details)
}

/// A `w` x `h` box in the middle of `area` (cut to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    r
}

/// The explorer's big popups (help, config, viewer, hints): all of the screen but a margin.
pub fn popup_area(area: Rect) -> Rect {
    centered(
        area,
        area.width.saturating_sub(2).max(20),
        area.height.saturating_sub(2).max(5),
    )
}

/// The compare screen's panels. From 120 columns the summary and the layers stand left of
/// the differences; narrower, the summary goes on top and the differences take the whole
/// width (the layers are a line of the summary and a section of the details popup), so names
/// keep their room at 80x24.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompareAreas {
    pub summary: Rect,
    /// Empty when the terminal is too narrow for it.
    pub layers: Rect,
    pub files: Rect,
    pub footer: Rect,
}

/// Width from which the compare screen shows the layers panel beside the differences.
pub const COMPARE_WIDE: u16 = 120;

pub fn compare_areas(width: u16, height: u16) -> CompareAreas {
    let area = Rect::new(0, 0, width, height);
    let [main, footer] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
    if width < COMPARE_WIDE {
        // The summary gives way on short terminals: the list keeps at least 8 rows.
        let summary_h = match main.height.saturating_sub(8).min(9) {
            h if h < 3 => 0,
            h => h,
        };
        let [summary, files] =
            Layout::vertical([Constraint::Length(summary_h), Constraint::Min(3)]).areas(main);
        return CompareAreas {
            summary,
            layers: Rect::new(0, summary.bottom(), 0, 0),
            files,
            footer,
        };
    }
    let left_w = (width * 2 / 5).clamp(30.min(width), 72);
    let [left, files] =
        Layout::horizontal([Constraint::Length(left_w), Constraint::Min(10)]).areas(main);
    let [summary, layers] =
        Layout::vertical([Constraint::Length(11), Constraint::Min(3)]).areas(left);
    CompareAreas {
        summary,
        layers,
        files,
        footer,
    }
}

/// The compare screen's details popup.
pub fn compare_details_area(width: u16, height: u16) -> Rect {
    let (w, h) = (width.saturating_sub(2), height.saturating_sub(2));
    Rect::new((width - w) / 2, (height - h) / 2, w, h)
}

/// Rows of list content inside a bordered panel with a header line.
pub fn list_rows(area: Rect) -> usize {
    area.height.saturating_sub(3) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer_list_rows(width: u16, height: u16, layer_rows: usize) -> usize {
        list_rows(areas(width, height, layer_rows).layers)
    }

    #[test]
    fn a_short_terminal_gives_the_layers_half_the_column() {
        // 80x24 with 15 layers: 8 rows of layers (was 4), the details shrink.
        assert_eq!(layer_list_rows(80, 24, 15), 8);
        let a = areas(80, 24, 15);
        assert_eq!((a.layer_details.height, a.image_details.height), (5, 7));
        // Few layers: all show and the details keep their full size.
        assert_eq!(layer_list_rows(80, 24, 4), 4);
        let a = areas(80, 24, 4);
        assert_eq!((a.layer_details.height, a.image_details.height), (7, 9));
        // Tall terminals are as before: fixed details, the layers take the rest.
        let a = areas(120, 40, 100);
        assert_eq!((a.layers.height, a.layer_details.height), (14, 11));
        assert_eq!(a.image_details.height, 14);
    }

    #[test]
    fn the_left_column_is_always_filled_exactly() {
        for height in 0..60 {
            for layer_rows in [0, 1, 3, 8, 15, 40, 1000, usize::MAX] {
                let a = areas(80, height, layer_rows);
                let sum = a.layers.height + a.layer_details.height + a.image_details.height;
                assert_eq!(sum, a.files.height, "{height} rows, {layer_rows} layers");
                assert_eq!(a.layer_details.y, a.layers.y + a.layers.height);
            }
        }
    }
}
