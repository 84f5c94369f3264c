//! The compare screen: summary, layer sharing, and the tree of differing paths.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::{fit, panel, styled};
use crate::model::text::printable;
use crate::model::units;
use crate::tree::EntryKind;
use crate::tui::app::compare::{ComparePopup, CompareView};
use crate::tui::app::filetree::Status;
use crate::tui::app::keymap::Action;
use crate::tui::app::layout::{compare_areas, compare_details_area};
use crate::tui::app::State;

pub fn draw(frame: &mut Frame, state: &State, v: &CompareView) {
    let area = frame.area();
    let a = compare_areas(area.width, area.height);
    draw_summary(frame, a.summary, state, v);
    draw_layers(frame, a.layers, state, v);
    draw_files(frame, a.files, state, v);
    draw_footer(frame, a.footer, state, v);
    match v.popup {
        Some(ComparePopup::Help) => draw_help(frame, state),
        Some(ComparePopup::Details(scroll)) => draw_details(frame, state, v, scroll.offset),
        None => {}
    }
}

fn draw_summary(frame: &mut Frame, area: Rect, state: &State, v: &CompareView) {
    let t = &state.theme;
    let r = &v.report;
    let s = &r.summary;
    let block = panel("Compare".into(), false, state);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = inner.width as usize;
    let label = |x: &str| styled(format!("{x:<9}"), t.dim);
    let b_layers = r.layers.iter().filter(|l| l.in_b.is_some()).count();
    let unreachable = r.waste.get("unreachable_bytes");
    let history_changes = r.history.iter().filter(|h| h.op != "equal").count();
    let lines = vec![
        Line::from(vec![
            label("A"),
            Span::raw(fit(
                &printable(&r.a.image.reference, 500),
                w.saturating_sub(9),
            )),
        ]),
        Line::from(vec![
            label("B"),
            Span::raw(fit(
                &printable(&r.b.image.reference, 500),
                w.saturating_sub(9),
            )),
        ]),
        Line::from(vec![
            label("Visible"),
            Span::raw(format!(
                "{} → {} ",
                units::decimal_short(s.bytes_a),
                units::decimal_short(s.bytes_b)
            )),
            styled(
                format!(
                    "({})",
                    units::signed_short(s.bytes_b as i64 - s.bytes_a as i64)
                ),
                t.title,
            ),
        ]),
        Line::from(vec![
            label("Stored"),
            Span::raw(format!(
                "{} → {}",
                units::decimal_short(r.a.totals.total_bytes),
                units::decimal_short(r.b.totals.total_bytes)
            )),
        ]),
        Line::from(vec![
            label("Shared"),
            Span::raw(fit(
                &format!(
                    "{} of B's {b_layers} layers ({})",
                    s.shared_layers,
                    units::decimal_short(s.shared_bytes)
                ),
                w.saturating_sub(9),
            )),
        ]),
        Line::from(vec![
            label("Fetch"),
            Span::raw(fit(
                &format!(
                    "{} for B ({} unpacked)",
                    units::decimal_short(s.fetch_compressed_bytes),
                    units::decimal_short(s.fetch_bytes)
                ),
                w.saturating_sub(9),
            )),
        ]),
        Line::from(vec![
            label("Files"),
            styled(format!("+{} ", s.added), t.added),
            styled(format!("-{} ", s.removed), t.removed),
            styled(format!("~{} ", s.changed), t.modified),
            styled(format!("m{}", s.metadata_only), t.metadata),
        ]),
        Line::from(vec![
            label("Waste"),
            Span::raw(fit(
                &unreachable.map_or(String::new(), |u| {
                    format!(
                        "{} → {} unreachable",
                        units::decimal_short(u.a as u64),
                        units::decimal_short(u.b as u64)
                    )
                }),
                w.saturating_sub(9),
            )),
        ]),
        Line::from(vec![
            label("Config"),
            Span::raw(fit(
                &format!(
                    "{} keys, {history_changes} history steps differ ({})",
                    r.config.len(),
                    state.keymap.first_key(Action::Config)
                ),
                w.saturating_sub(9),
            )),
        ]),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_layers(frame: &mut Frame, area: Rect, state: &State, v: &CompareView) {
    let t = &state.theme;
    let block = panel("Layers (= both, - only A, + only B)".into(), false, state);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = inner.width as usize;
    let mut lines = vec![Line::from(styled(
        fit("    A   B      Size  diff_id", w),
        t.dim,
    ))];
    let idx = |i: Option<usize>| i.map_or("-".to_string(), |x| x.to_string());
    for l in v
        .report
        .layers
        .iter()
        .take(inner.height.saturating_sub(1) as usize)
    {
        let (mark, style) = match (l.in_a, l.in_b) {
            (Some(_), Some(_)) => ("=", t.unchanged),
            (Some(_), None) => ("-", t.removed),
            _ => ("+", t.added),
        };
        let head = format!(
            " {mark} {:>3} {:>3} {:>9}  ",
            idx(l.in_a),
            idx(l.in_b),
            units::decimal_short(l.size)
        );
        let id = l.diff_id.trim_start_matches("sha256:");
        lines.push(Line::from(Span::styled(
            fit(&format!("{head}{id}"), w),
            style,
        )));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_files(frame: &mut Frame, area: Rect, state: &State, v: &CompareView) {
    let t = &state.theme;
    let block = panel(
        format!(
            "Differences ({} paths, sorted by {})",
            // The differing paths, not the tree's rows (their directories are rows too).
            v.report.files.len(),
            v.sort.name()
        ),
        v.popup.is_none(),
        state,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = inner.width as usize;
    let mut lines = vec![Line::from(styled(
        fit("Change         Size     Delta  Name", w),
        t.dim,
    ))];
    if v.nav.rows.is_empty() {
        let why = if v.nav.filter.is_active() {
            "nothing matches the filter"
        } else {
            "the two images have the same files"
        };
        lines.push(Line::from(styled(format!("  ({why})"), t.dim)));
    }
    for (i, row) in (v.nav.offset..).zip(v.nav.window()) {
        let Some(n) = v.nav.tree.node(row.path, &[]) else {
            continue;
        };
        let change = match n.status {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Modified => "changed",
            Status::MetadataOnly => "metadata",
            Status::Unchanged => "",
        };
        let mut style = t.status(n.status);
        if i == v.nav.cursor {
            style = style.patch(t.selected);
        }
        let head = format!(
            "{change:<9} {:>9} {:>9}  ",
            units::decimal_short(n.size),
            if n.delta == 0 {
                String::new()
            } else {
                units::signed_short(n.delta)
            }
        );
        let guide = super::tree_guide(row);
        let mut name = printable(crate::model::path::file_name(v.paths.path(n.path)), 4096);
        if n.kind == EntryKind::Dir {
            name.push('/');
        }
        if n.children > 0 && v.nav.folds.is_folded(n.path) && v.nav.filter.text.is_empty() {
            name.push_str(&format!(" (+{})", n.children));
        }
        let room = w.saturating_sub(head.chars().count() + guide.chars().count());
        lines.push(Line::from(vec![
            Span::styled(head, style),
            Span::styled(guide, if i == v.nav.cursor { style } else { t.dim }),
            Span::styled(format!("{:<room$}", fit(&name, room)), style),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_footer(frame: &mut Frame, area: Rect, state: &State, v: &CompareView) {
    let t = &state.theme;
    if v.nav.editing_filter {
        let line = Line::from(vec![
            Span::styled(" Filter: ", t.key),
            Span::raw(v.nav.filter.text.clone()),
            Span::styled("█", t.key),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let km = &state.keymap;
    let mut spans = vec![Span::raw(" ")];
    for (a, label) in [
        (Action::Help, "help"),
        (Action::Filter, "filter"),
        (Action::Sort, "sort"),
        (Action::Toggle, "fold"),
        (Action::Config, "config/history/waste"),
        (Action::Quit, "quit"),
    ] {
        spans.push(Span::styled(km.first_key(a), t.key));
        spans.push(Span::raw(format!(":{label}  ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn draw_help(frame: &mut Frame, state: &State) {
    let km = &state.keymap;
    let t = &state.theme;
    let actions = [
        (Action::Up, "move up"),
        (Action::Down, "move down"),
        (Action::PageUp, "page up"),
        (Action::PageDown, "page down"),
        (Action::Toggle, "fold / unfold a directory"),
        (Action::CollapseAll, "fold all"),
        (Action::ExpandAll, "unfold all"),
        (Action::Filter, "filter paths (text or glob)"),
        (Action::Sort, "sort: name / size / delta"),
        (Action::HideAdded, "hide added"),
        (Action::HideModified, "hide changed"),
        (Action::HideRemoved, "hide removed"),
        (Action::HideUnchanged, "hide metadata-only"),
        (Action::Config, "config, history and waste differences"),
        (Action::Quit, "quit"),
    ];
    let lines: Vec<Line> = actions
        .iter()
        .map(|(a, d)| {
            Line::from(vec![
                styled(format!("{:>14}  ", km.keys_of(*a)), t.key),
                Span::raw(*d),
            ])
        })
        .collect();
    let r = centered(frame.area(), 60, lines.len() as u16 + 2);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines).block(panel("Keys (Esc closes)".into(), true, state)),
        r,
    );
}

fn draw_details(frame: &mut Frame, state: &State, v: &CompareView, scroll: usize) {
    let t = &state.theme;
    let area = frame.area();
    let r = compare_details_area(area.width, area.height);
    let w = r.width.saturating_sub(2) as usize;
    let mut lines = vec![Line::from(styled("Config (A → B)", t.title))];
    if v.report.config.is_empty() {
        lines.push(Line::from("  no difference"));
    }
    for (k, c) in &v.report.config {
        lines.push(Line::from(fit(
            &format!(
                "  {k:<14} {} → {}",
                printable(&c.a.to_string(), 500),
                printable(&c.b.to_string(), 500)
            ),
            w,
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(styled(
        "History (aligned; - only in A, + only in B)",
        t.title,
    )));
    for h in &v.report.history {
        let (mark, style) = match h.op {
            "added" => ("+", t.added),
            "removed" => ("-", t.removed),
            _ => (" ", t.dim),
        };
        lines.push(Line::from(Span::styled(
            fit(&format!("  {mark} {}", printable(&h.command, 1000)), w),
            style,
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(styled(
        format!("Waste {:>27} {:>12} {:>12}", "A", "B", "delta"),
        t.title,
    )));
    for (k, d) in &v.report.waste {
        let line = if k == "efficiency" {
            format!(
                "  {k:<22} {:>11.1}% {:>11.1}% {:>+11.1}%",
                d.a * 100.0,
                d.b * 100.0,
                d.delta * 100.0
            )
        } else {
            format!(
                "  {k:<22} {:>12} {:>12} {:>12}",
                units::decimal_short(d.a as u64),
                units::decimal_short(d.b as u64),
                units::signed_short(d.delta as i64)
            )
        };
        lines.push(Line::from(line));
    }
    let visible = r.height.saturating_sub(2) as usize;
    frame.render_widget(Clear, r);
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(visible).collect();
    frame.render_widget(
        Paragraph::new(shown).block(panel(
            "Config, history and waste (Esc closes)".into(),
            true,
            state,
        )),
        r,
    );
}
