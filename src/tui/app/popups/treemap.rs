//! The treemap popup: the selected directory of the Files panel's tree (the final view, the
//! merged view or one layer's changes, as the panel shows it) as rectangles sized by bytes,
//! each child of the directory one cell, with its wasted bytes by cause. Enter goes into a
//! directory, Backspace up to its parent, the arrows move between neighbouring cells.
//!
//! Children too small to hold a labelled cell share one "other" cell, so a directory of
//! thousands of small files is still a picture. The popup keeps the cells' figures (from the
//! tree when it opened or went into a directory) and lays them out again for a new size of
//! the terminal without going back to the tree. Entries without bytes (empty files and
//! directories, links) take no room and are counted in the title, not drawn.

use ratatui::layout::Rect;

use crate::model::path::file_name;
use crate::model::text::printable;
use crate::tree::paths::{PathId, PathTable, ROOT};
use crate::tui::app::filetree::waste::{ByCause, WasteShares};
use crate::tui::app::filetree::{FileTree, Status};
use crate::tui::app::keymap::Action;
use crate::tui::app::squarify;

/// Where the cells go in the popup `popup` (its border, a line of figures above them, a line
/// naming the causes below).
pub fn cell_area(popup: Rect) -> Rect {
    Rect::new(
        popup.x + 1,
        popup.y + 2,
        popup.width.saturating_sub(2),
        popup.height.saturating_sub(4),
    )
}

/// A cell is drawn with a border and a label when it has at least this many character cells
/// (6 x 4: a border round two lines of a few characters); smaller children go to "other".
pub const MIN_CELL_AREA: u32 = 24;

/// At most this many cells besides "other".
pub const MAX_CELLS: usize = 60;

#[derive(Debug, Clone, PartialEq)]
pub struct Treemap {
    /// The directory shown.
    pub dir: PathId,
    /// Its path, escaped for the title (`/` for the root).
    pub title: String,
    /// Bytes under it, and the wasted bytes among them by cause.
    pub total: u64,
    pub waste: ByCause,
    /// Its children with bytes, largest first, then "other"; `rect` relative to the area
    /// the popup's cells fill.
    pub cells: Vec<Cell>,
    pub cursor: usize,
    /// Children without bytes, not drawn.
    pub empty: usize,
    /// The area the cells were laid out in.
    pub area: (u16, u16),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// `None`: the "other" cell.
    pub path: Option<PathId>,
    /// Its name, escaped, `/` after a directory; "other" says how many it holds.
    pub name: String,
    pub size: u64,
    pub waste: ByCause,
    /// A directory with children to go into.
    pub dir: bool,
    pub rect: Rect,
}

impl Treemap {
    /// The treemap of `dir` in `tree`, laid out in `area` cells, the cursor on `select`
    /// when it has a cell of its own.
    pub fn of(
        tree: &mut FileTree,
        paths: &PathTable,
        shares: &WasteShares,
        dir: PathId,
        select: Option<PathId>,
        area: (u16, u16),
    ) -> Treemap {
        let kids = tree.children(dir, paths);
        let mut sized: Vec<(PathId, u64)> = Vec::new();
        let mut empty = 0;
        for &k in kids.iter() {
            let Some(node) = tree.node(k, &[]) else {
                continue;
            };
            // A removed entry's bytes are in the layers below, not under this directory.
            if node.status == Status::Removed {
                continue;
            }
            if node.size == 0 {
                empty += 1;
            } else {
                sized.push((k, node.size));
            }
        }
        sized.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let total: u64 = sized.iter().map(|s| s.1).sum();
        // What gets a cell of its own: enough of the area for a label, in the first cells.
        let room = u64::from(area.0) * u64::from(area.1);
        let own = sized
            .iter()
            .take(MAX_CELLS)
            .take_while(|(_, size)| {
                total > 0
                    && u128::from(*size) * u128::from(room)
                        >= u128::from(MIN_CELL_AREA) * u128::from(total)
            })
            .count();
        let mut cells: Vec<Cell> = sized[..own]
            .iter()
            .map(|&(k, size)| {
                let mut name = printable(file_name(paths.path(k)), 300);
                let dir = tree.child_count(k) > 0;
                if dir {
                    name.push('/');
                }
                Cell {
                    path: Some(k),
                    name,
                    size,
                    waste: shares.get(k),
                    dir,
                    rect: Rect::default(),
                }
            })
            .collect();
        let rest = &sized[own..];
        if !rest.is_empty() {
            let mut waste = ByCause::default();
            for &(k, _) in rest {
                for (w, x) in waste.iter_mut().zip(shares.get(k)) {
                    *w += x;
                }
            }
            cells.push(Cell {
                path: None,
                name: format!(
                    "{} smaller",
                    crate::model::units::counted(rest.len() as u64, "entry", "entries")
                ),
                size: rest.iter().map(|r| r.1).sum(),
                waste,
                dir: false,
                rect: Rect::default(),
            });
        }
        let cursor = select
            .and_then(|s| cells.iter().position(|c| c.path == Some(s)))
            .unwrap_or(0);
        let title = if dir == ROOT {
            "/".to_string()
        } else {
            printable(&format!("/{}/", paths.path(dir)), 1000)
        };
        let mut map = Treemap {
            dir,
            title,
            total,
            waste: shares.get(dir),
            cells,
            cursor,
            empty,
            area: (0, 0),
        };
        map.fit(area);
        map
    }

    /// Lays the cells out in a `width` x `height` area.
    pub fn fit(&mut self, area: (u16, u16)) {
        if self.area == area {
            return;
        }
        self.area = area;
        let sizes: Vec<u64> = self.cells.iter().map(|c| c.size).collect();
        for (c, r) in self
            .cells
            .iter_mut()
            .zip(squarify::layout(&sizes, area.0, area.1))
        {
            c.rect = r;
        }
    }

    pub fn selected(&self) -> Option<&Cell> {
        self.cells.get(self.cursor)
    }

    /// Moves the cursor for a list key; `false` when `action` is not one. The arrows go to
    /// the nearest cell on that side (Left and Right are the `collapse` and `expand` keys);
    /// page keys walk the cells in size order.
    pub fn on_action(&mut self, action: Action) -> bool {
        let last = self.cells.len().saturating_sub(1);
        self.cursor = match action {
            Action::Up => self.neighbour(0, -1),
            Action::Down => self.neighbour(0, 1),
            Action::Collapse => self.neighbour(-1, 0),
            Action::Expand => self.neighbour(1, 0),
            Action::PageDown => (self.cursor + 1).min(last),
            Action::PageUp => self.cursor.saturating_sub(1),
            Action::Top => 0,
            Action::Bottom => last,
            _ => return false,
        };
        true
    }

    /// The cell nearest the cursor's on the side (`dx`, `dy`) points to: wholly on that
    /// side, then the least gap, then the least offset across; the cursor's when none is.
    fn neighbour(&self, dx: i32, dy: i32) -> usize {
        let Some(cur) = self.cells.get(self.cursor).map(|c| c.rect) else {
            return self.cursor;
        };
        let centre = |r: Rect| {
            (
                i32::from(r.x) * 2 + i32::from(r.width),
                i32::from(r.y) * 2 + i32::from(r.height),
            )
        };
        let (cx, cy) = centre(cur);
        self.cells
            .iter()
            .enumerate()
            .filter(|(i, c)| *i != self.cursor && c.rect.area() > 0)
            .filter_map(|(i, c)| {
                let r = c.rect;
                let gap = match (dx, dy) {
                    (1, _) if r.x >= cur.right() => r.x - cur.right(),
                    (-1, _) if r.right() <= cur.x => cur.x - r.right(),
                    (_, 1) if r.y >= cur.bottom() => r.y - cur.bottom(),
                    (_, -1) if r.bottom() <= cur.y => cur.y - r.bottom(),
                    _ => return None,
                };
                let (x, y) = centre(r);
                let across = if dx != 0 {
                    (y - cy).abs()
                } else {
                    (x - cx).abs()
                };
                Some(((gap, across), i))
            })
            .min()
            .map_or(self.cursor, |(_, i)| i)
    }
}
