//! Bars of bytes coloured by waste cause: the Files panel's size bars and the causes' legend
//! the treemap shows under its cells. A bar's filled part is the entry's share; within it
//! the wasted bytes come first, one run per cause in `WasteCause::ALL` order, in the cause's
//! style and fill (a pattern per cause without colour), then the bytes nobody wastes.

use ratatui::text::Span;

use super::styled;
use crate::analysis::waste::WasteCause;
use crate::tui::app::filetree::waste::ByCause;
use crate::tui::app::theme::Theme;

/// Fill of the bytes that are not wasted.
pub const KEPT: char = '█';

/// A bar `width` cells wide for `size` bytes out of `whole`, `waste` of them wasted by cause.
pub fn size_bar(
    width: usize,
    size: u64,
    whole: u64,
    waste: &ByCause,
    t: &Theme,
) -> Vec<Span<'static>> {
    let share = if whole == 0 {
        0.0
    } else {
        (size as f64 / whole as f64).min(1.0)
    };
    let filled = (share * width as f64).round() as usize;
    // A share too small for a cell still shows, as a sliver in its main cause's style.
    if filled == 0 && size > 0 && width > 0 {
        let main = (0..5).filter(|&k| waste[k] > 0).max_by_key(|&k| waste[k]);
        let style = main.map_or(t.dim, |k| t.bar[k]);
        return vec![styled("▏", style), styled(" ".repeat(width - 1), t.dim)];
    }
    // A run per cause: the cells its bytes take of the filled part, rounded on the running
    // sum so that the runs add up to what they cover.
    let mut spans = Vec::new();
    let (mut upto, mut drawn) = (0u64, 0usize);
    for (k, bytes) in waste.iter().enumerate() {
        if *bytes == 0 || size == 0 {
            continue;
        }
        upto += (*bytes).min(size);
        let end = ((upto.min(size) as f64 / size as f64) * filled as f64).round() as usize;
        if end > drawn {
            spans.push(styled(
                t.waste_fill[k].to_string().repeat(end - drawn),
                t.bar[k],
            ));
            drawn = end;
        }
    }
    if filled > drawn {
        spans.push(styled(KEPT.to_string().repeat(filled - drawn), t.dim));
    }
    if width > filled {
        spans.push(styled(" ".repeat(width - filled), t.dim));
    }
    spans
}

/// The causes with their fills, as a line's spans: `wasted: █ overwritten  █ copy-up ...`.
pub fn legend(t: &Theme) -> Vec<Span<'static>> {
    let mut spans = vec![styled("wasted: ", t.dim)];
    for cause in WasteCause::ALL {
        let k = cause.index();
        spans.push(styled(t.waste_fill[k].to_string(), t.bar[k]));
        spans.push(Span::raw(format!(" {}  ", cause.label())));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(spans: &[Span]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn a_bar_is_its_share_with_the_wasted_part_first() {
        let t = Theme::mono();
        // Half the whole, a quarter of it copied up and a quarter a duplicate.
        let bar = size_bar(8, 400, 800, &[0, 100, 0, 100, 0], &t);
        assert_eq!(text(&bar), "▒╳██    ");
        let full = size_bar(4, 10, 10, &[0; 5], &t);
        assert_eq!(text(&full), "████");
        assert_eq!(text(&size_bar(4, 0, 0, &[0; 5], &t)), "    ");
        // 1 % of 4 cells: a sliver, not nothing.
        assert_eq!(text(&size_bar(4, 1, 100, &[0, 0, 0, 0, 1], &t)), "▏   ");
        // Waste beyond the size (never, by construction) cannot overflow the bar.
        assert_eq!(text(&size_bar(4, 10, 10, &[50, 0, 0, 0, 0], &t)), "▓▓▓▓");
    }
}
