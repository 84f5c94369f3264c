//! The Files panel: the tree of the selected layer in the chosen mode. Only the rows on screen
//! are formatted, whatever the size of the tree.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{fit, focused, panel, styled};
use crate::model::text::printable;
use crate::model::units;
use crate::tree::EntryKind;
use crate::tui::app::explorer::{Bars, Explorer, Panel};
use crate::tui::app::filetree::{FileMode, Node, Row, SortBy, Status};
use crate::tui::app::State;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ex: &Explorer) {
    let t = &state.theme;
    let mut title = match ex.mode {
        FileMode::Final => format!("Files: {}", ex.mode.title()),
        _ => format!("Files: layer {}, {}", ex.nav.tree.layer, ex.mode.title()),
    };
    // While the image loads: what this view waits for, instead of a view of what came in.
    if let Some(wait) = ex.files_wait() {
        let block = panel(title, focused(ex, Panel::Files), state);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let lines = vec![
            Line::from(""),
            Line::from(styled(fit(&format!("  {wait}"), inner.width as usize), t.warn)),
            Line::from(styled(
                fit(
                    "  it shows here as soon as it is in; the other layers can be browsed meanwhile",
                    inner.width as usize,
                ),
                t.dim,
            )),
        ];
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    if let Some(wait) = ex.statuses_wait() {
        title.push_str(&format!(" · {wait}"));
    }
    let mut block = panel(title, focused(ex, Panel::Files), state);
    // The selection's whole path on the bottom border: deep trees cut names short.
    let selected = ex.selected_path_str();
    let room = (area.width as usize).saturating_sub(4);
    if !selected.is_empty() && room > 8 {
        let full = printable(&format!("/{selected}"), 4096);
        let shown = if full.chars().count() > room {
            let tail: String = {
                let chars: Vec<char> = full.chars().collect();
                chars[chars.len() - (room - 1)..].iter().collect()
            };
            format!("…{tail}")
        } else {
            full
        };
        block = block.title_bottom(Line::from(styled(format!(" {shown} "), t.dim)).right_aligned());
    }
    let shown = block.inner(area).height.saturating_sub(1) as usize;
    let block = super::scroll_marks(block, ex.nav.offset, shown, ex.nav.rows.len(), state);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    // Size bars take the owner column's room.
    let show_owner = width >= 56 && ex.bars == Bars::Off;
    let show_delta = width >= 100 || ex.tree_sort_name() == SortBy::Delta.name();
    let mut header = String::from("Permission ");
    if show_owner {
        header.push_str("  UID:GID ");
    }
    header.push_str("    Size ");
    let bar = bar_width(ex, width);
    if bar > 0 {
        let w = bar + if width >= 60 { 7 } else { 0 };
        header.push_str(&format!("{:<w$} ", "Share"));
    }
    if show_delta {
        header.push_str("   Delta ");
    }
    header.push_str(" Name");
    let mut lines = vec![Line::from(styled(fit(&header, width), t.dim))];
    if ex.nav.rows.is_empty() {
        let why = if ex.nav.filter.is_active() {
            "nothing matches the filter"
        } else {
            "this layer changes nothing"
        };
        lines.push(Line::from(styled(format!("  ({why})"), t.dim)));
    }
    let trees = ex.image().trees();
    for (i, row) in (ex.nav.offset..).zip(ex.nav.window()) {
        let Some(node) = ex.nav.tree.node(row.path, &trees) else {
            continue;
        };
        let selected = i == ex.nav.cursor;
        lines.push(file_line(
            ex, row, &node, selected, width, show_owner, show_delta, state,
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

#[allow(clippy::too_many_arguments)]
fn file_line<'a>(
    ex: &Explorer,
    row: &Row,
    node: &Node,
    selected: bool,
    width: usize,
    show_owner: bool,
    show_delta: bool,
    state: &State,
) -> Line<'a> {
    let t = &state.theme;
    let mut style = t.status(node.status);
    if selected {
        style = if focused(ex, Panel::Files) {
            style.patch(t.selected)
        } else {
            style.patch(t.selected_unfocused)
        };
    }
    let mut head = format!("{} ", permissions(node.kind, node.mode));
    if show_owner {
        head.push_str(&format!("{:>9} ", format!("{}:{}", node.uid, node.gid)));
    }
    head.push_str(&format!("{:>8} ", units::decimal_short(node.size)));
    let mut share = Vec::new();
    let bar = bar_width(ex, width);
    if bar > 0 {
        let whole = match ex.bars {
            Bars::Parent => {
                let paths = &ex.analysis.stack.paths;
                ex.nav.tree.size_of(paths.parent(node.path))
            }
            _ => ex.nav.tree.size_of(crate::tree::paths::ROOT),
        };
        let pct = if whole == 0 {
            0.0
        } else {
            node.size as f64 / whole as f64 * 100.0
        };
        let waste = ex.shares().map(|s| s.get(node.path)).unwrap_or_default();
        if width >= 60 {
            share.push(Span::styled(format!("{pct:>5.1}% "), style));
        }
        share.extend(super::bars::size_bar(
            bar,
            node.size,
            whole,
            &waste,
            &state.theme,
        ));
        share.push(Span::raw(" "));
    }
    let mut tail = String::new();
    if show_delta {
        tail.push_str(&format!(
            "{:>8} ",
            if node.delta == 0 {
                String::new()
            } else {
                units::signed_short(node.delta)
            }
        ));
    }
    let guide = super::tree_guide(row);
    let collapsed =
        node.children > 0 && ex.nav.folds.is_folded(node.path) && ex.nav.filter.text.is_empty();
    let mut name = crate::model::text::printable(
        crate::model::path::file_name(ex.analysis.stack.paths.path(node.path)),
        4096,
    );
    if node.kind == EntryKind::Dir {
        name.push('/');
    }
    // Fold marks: ▸ folded (with what it holds), ▾ open.
    if collapsed {
        name = format!(
            "▸ {name}  ({})",
            units::counted(node.children as u64, "entry", "entries")
        );
    } else if node.children > 0 {
        name = format!("▾ {name}");
    }
    if let Some(l) = &node.link {
        name.push_str(if node.kind == EntryKind::Hardlink {
            " => "
        } else {
            " -> "
        });
        name.push_str(l);
    }
    if node.status == Status::Removed {
        name.push_str(" (removed)");
    }
    let used: usize = share.iter().map(|s| s.content.chars().count()).sum();
    let room = width
        .saturating_sub(head.chars().count() + used + tail.chars().count() + guide.chars().count());
    let mut spans = vec![Span::styled(head, style)];
    spans.extend(share);
    spans.extend([
        Span::styled(tail, style),
        Span::styled(guide, if selected { style } else { t.dim }),
        Span::styled(format!("{:<room$}", fit(&name, room)), style),
    ]);
    Line::from(spans)
}

/// Cells of the size bar at this width of the panel; 0 when the bars are off.
fn bar_width(ex: &Explorer, width: usize) -> usize {
    match ex.bars {
        Bars::Off => 0,
        _ if width >= 110 => 30,
        _ if width >= 70 => 20,
        _ if width >= 56 => 10,
        _ => 5,
    }
}

/// `drwxr-xr-x`, with setuid/setgid/sticky shown as `ls` does.
pub fn permissions(kind: EntryKind, mode: u32) -> String {
    let t = match kind {
        EntryKind::Dir => 'd',
        EntryKind::Symlink => 'l',
        EntryKind::Hardlink => 'h',
        EntryKind::CharDevice => 'c',
        EntryKind::BlockDevice => 'b',
        EntryKind::Fifo => 'p',
        _ => '-',
    };
    let bit = |b: u32, c: char| if mode & b != 0 { c } else { '-' };
    let special = |x: u32, s: u32, lower: char, upper: char| match (mode & x != 0, mode & s != 0) {
        (true, true) => lower,
        (false, true) => upper,
        (true, false) => 'x',
        (false, false) => '-',
    };
    [
        t,
        bit(0o400, 'r'),
        bit(0o200, 'w'),
        special(0o100, 0o4000, 's', 'S'),
        bit(0o040, 'r'),
        bit(0o020, 'w'),
        special(0o010, 0o2000, 's', 'S'),
        bit(0o004, 'r'),
        bit(0o002, 'w'),
        special(0o001, 0o1000, 't', 'T'),
    ]
    .iter()
    .collect()
}
