//! The compare screen: the summary a reviewer reads first, the layers both images share (on
//! wide terminals), and the list of differences in its grouping, with the content diff,
//! prompts and the details popup over them.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::popups::{draw_message, draw_prompt, draw_viewer};
use super::{fit, panel, styled};
use crate::analysis::compare::FileChange;
use crate::model::text::printable;
use crate::model::units;
use crate::report::diff::share_mark;
use crate::tui::app::compare::lists::{Grouping, Target};
use crate::tui::app::compare::{ComparePopup, CompareView};
use crate::tui::app::filetree::Status;
use crate::tui::app::keymap::Action;
use crate::tui::app::layout::compare_areas;
use crate::tui::app::State;

pub fn draw(frame: &mut Frame, state: &State, v: &CompareView) {
    let area = frame.area();
    let a = compare_areas(area.width, area.height);
    if a.summary.area() > 0 {
        draw_summary(frame, a.summary, state, v);
    }
    if a.layers.area() > 0 {
        draw_layers(frame, a.layers, state, v);
    }
    draw_files(frame, a.files, state, v);
    draw_footer(frame, a.footer, state, v);
    match &v.popup {
        Some(ComparePopup::Help) => super::compare_popups::draw_help(frame, state),
        Some(ComparePopup::Details(scroll)) => {
            super::compare_popups::draw_details(frame, state, v, scroll.offset)
        }
        Some(ComparePopup::Viewer(viewer)) => draw_viewer(frame, state, viewer),
        Some(ComparePopup::Prompt(p)) => draw_prompt(frame, state, p),
        Some(ComparePopup::Message(m)) => draw_message(frame, state, m),
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
    let room = w.saturating_sub(11);
    let label = |x: &str| styled(format!("{x:<11}"), t.dim);
    let text = |x: String| Span::raw(fit(&x, room));
    let only_a = r.layers.iter().filter(|l| l.in_b.is_none()).count();
    let only_b = r.layers.iter().filter(|l| l.in_a.is_none()).count();
    let mut packages = s.packages_line();
    let mut biggest: Vec<_> = r.packages.iter().collect();
    biggest.sort_by_key(|p| std::cmp::Reverse(p.delta().unsigned_abs()));
    for p in biggest.into_iter().take(3) {
        packages.push_str(&format!(" · {} {}", printable(&p.name, 60), p.versions()));
    }
    let waste = r.waste_causes.first().map_or_else(
        || "no step's waste changed".to_string(),
        |c| {
            format!(
                "{} {} by {}`{}`",
                units::signed_short(c.delta),
                c.cause.label(),
                if c.new_step { "new step " } else { "" },
                printable(&c.step, 300)
            )
        },
    );
    // Room for nine lines (the wide layout): efficiency on a line of its own.
    let tall = inner.height >= 9;
    let mut size = format!(
        "{} → {} ({})",
        units::decimal_short(s.bytes_a),
        units::decimal_short(s.bytes_b),
        units::signed_short(s.bytes_b as i64 - s.bytes_a as i64),
    );
    if let (false, Some(e)) = (tall, r.waste.get("efficiency")) {
        size = format!(
            "{size} · eff. {:.1} → {:.1} % ({:+.1} pp)",
            e.a * 100.0,
            e.b * 100.0,
            e.delta
        );
    }
    let mut layers = format!(
        "{} shared, {only_a} only in A, {only_b} only in B",
        s.shared_layers
    );
    let fetch = format!(
        " · fetch {} for B",
        units::decimal_short(s.fetch_compressed_bytes)
    );
    if layers.chars().count() + fetch.chars().count() <= room {
        layers.push_str(&fetch);
    }
    let mut lines = vec![
        Line::from(vec![label("A"), text(printable(&r.a.image.reference, 500))]),
        Line::from(vec![label("B"), text(printable(&r.b.image.reference, 500))]),
        Line::from(vec![label("Size"), text(size)]),
        Line::from(vec![label("Packages"), text(packages)]),
        Line::from(vec![label("Layers"), text(layers)]),
        Line::from(vec![label("Waste"), text(waste)]),
        Line::from(vec![
            label("Files"),
            styled(format!("+{} ", units::count(s.added)), t.added),
            styled(format!("-{} ", units::count(s.removed)), t.removed),
            styled(format!("~{} ", units::count(s.changed)), t.modified),
            styled(format!("m{}", units::count(s.metadata_only)), t.metadata),
        ]),
    ];
    if tall {
        lines.insert(
            3,
            Line::from(vec![label("Efficiency"), text(r.efficiency_line())]),
        );
    }
    if inner.height as usize > lines.len() {
        let steps = r.history.iter().filter(|h| h.op != "equal").count();
        lines.push(Line::from(vec![
            label("Config"),
            text(format!(
                "{} and {} differ ({})",
                units::counted(r.config.len() as u64, "key", "keys"),
                units::counted(steps as u64, "history step", "history steps"),
                state.keymap.first_key(Action::Config)
            )),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_layers(frame: &mut Frame, area: Rect, state: &State, v: &CompareView) {
    let t = &state.theme;
    let block = panel("Layers (= both, - only A, + only B)".into(), false, state);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = inner.width as usize;
    let mut lines = vec![Line::from(styled(
        fit("    A   B      Size  Step", w),
        t.dim,
    ))];
    let idx = |i: Option<usize>| i.map_or("-".to_string(), |x| x.to_string());
    for l in v
        .report
        .layers
        .iter()
        .take(inner.height.saturating_sub(1) as usize)
    {
        let mark = share_mark(l);
        let style = match mark {
            "=" => t.unchanged,
            "-" => t.removed,
            _ => t.added,
        };
        let head = format!(
            " {mark} {:>3} {:>3} {:>9}  ",
            idx(l.in_a),
            idx(l.in_b),
            units::decimal_short(l.size)
        );
        let step = l.command.as_deref().map_or_else(
            || l.diff_id.trim_start_matches("sha256:").to_string(),
            crate::model::history::short_command,
        );
        lines.push(Line::from(Span::styled(
            fit(&format!("{head}{}", printable(&step, 500)), w),
            style,
        )));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The list's columns before the name, in the order they are dropped when the name needs
/// the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Perms,
    Size,
    Change,
    Delta,
}

impl Column {
    const DROP_ORDER: [Column; 3] = [Column::Perms, Column::Size, Column::Change];

    fn width(self) -> usize {
        match self {
            Column::Perms => 12,
            Column::Size => 10,
            Column::Change => 11,
            Column::Delta => 10,
        }
    }

    fn header(self) -> &'static str {
        match self {
            Column::Perms => "Mode",
            Column::Size => "Size",
            Column::Change => "Change",
            Column::Delta => "Delta",
        }
    }
}

/// The columns shown in a list `w` wide whose widest name on screen takes `name` columns:
/// each column in `DROP_ORDER` goes before the name would get less than it needs (at least
/// 16 columns and at most 40 of it).
fn columns(w: usize, name: usize) -> Vec<Column> {
    let mut cols = vec![Column::Change, Column::Perms, Column::Size, Column::Delta];
    let want = name.clamp(16, 40).min(w);
    for drop in Column::DROP_ORDER {
        let used: usize = cols.iter().map(|c| c.width()).sum();
        if w.saturating_sub(used) >= want {
            break;
        }
        cols.retain(|c| *c != drop);
    }
    cols
}

fn draw_files(frame: &mut Frame, area: Rect, state: &State, v: &CompareView) {
    let t = &state.theme;
    let mut title = format!(
        "Differences {} ({}, by {})",
        v.list.grouping.name(),
        units::counted(v.report.files.len() as u64, "path", "paths"),
        v.sort.name()
    );
    if let Some(dir) = &v.narrowed {
        title = format!("{title} in /{} (Esc: all)", printable(dir, 200));
    }
    let block = panel(title, v.popup.is_none(), state);
    let shown = block.inner(area).height.saturating_sub(1) as usize;
    let block = super::scroll_marks(block, v.nav.offset, shown, v.nav.rows.len(), state);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = inner.width as usize;
    let names: Vec<(String, String, bool)> = v
        .nav
        .window()
        .iter()
        .map(|row| {
            let guide = if v.list.grouping == Grouping::Flat && row.depth == 0 {
                String::new()
            } else {
                super::tree_guide(row)
            };
            (guide, row_name(v, row.path), whole_path(v, row.path))
        })
        .collect();
    let widest = names
        .iter()
        .map(|(g, n, _)| g.chars().count() + n.chars().count())
        .max()
        .unwrap_or(0);
    let cols = columns(w, widest);
    let mut header: String = cols
        .iter()
        .map(|c| match c {
            Column::Change | Column::Perms => format!("{:<w$}", c.header(), w = c.width()),
            _ => format!("{:>w$} ", c.header(), w = c.width() - 1),
        })
        .collect();
    header.push_str(" Name");
    let mut lines = vec![Line::from(styled(fit(&header, w), t.dim))];
    if v.nav.rows.is_empty() {
        let why = if v.nav.filter.is_active() {
            "nothing matches the filter"
        } else {
            "the two images have the same files"
        };
        lines.push(Line::from(styled(format!("  ({why})"), t.dim)));
    }
    for ((i, row), (guide, name, whole)) in (v.nav.offset..).zip(v.nav.window()).zip(names) {
        let Some(n) = v.nav.tree.node(row.path, &[]) else {
            continue;
        };
        let target = v.list.target(row.path);
        let mut style = t.status(n.status);
        if i == v.nav.cursor {
            style = style.patch(t.selected);
        }
        let head: String = cols.iter().map(|c| cell(v, *c, target, &n)).collect();
        let room = w.saturating_sub(head.chars().count() + 1 + guide.chars().count());
        lines.push(Line::from(vec![
            Span::styled(format!("{head} "), style),
            Span::styled(guide, if i == v.nav.cursor { style } else { t.dim }),
            Span::styled(
                format!(
                    "{:<room$}",
                    if whole {
                        super::fit_left(&name, room)
                    } else {
                        fit(&name, room)
                    }
                ),
                style,
            ),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Whether a row's name is a whole path (its end is what to keep when it is cut).
fn whole_path(v: &CompareView, id: crate::tree::paths::PathId) -> bool {
    let in_group = matches!(v.list.target(v.list.paths.parent(id)), Target::Meta(_));
    (v.list.grouping != Grouping::Dirs || in_group) && matches!(v.list.target(id), Target::File(_))
}

/// A row's name as shown: escaped, a directory's with `/`, a folded row with what it holds.
fn row_name(v: &CompareView, id: crate::tree::paths::PathId) -> String {
    let mut name = printable(v.list.name(id), 4096);
    let kids = v.nav.tree.child_count(id);
    let target = v.list.target(id);
    let is_group = matches!(
        target,
        Target::Package(_) | Target::Meta(_) | Target::Unowned
    );
    if !is_group && kids > 0 && v.list.grouping == Grouping::Dirs {
        name.push('/');
    }
    // A filter's matches show inside folded rows: the marker says what is on screen.
    let folded = v.nav.folds.is_folded(id) && v.nav.filter.text.is_empty();
    if kids > 0 && folded {
        let what = if is_group { "changed path" } else { "entry" };
        let many = if is_group { "changed paths" } else { "entries" };
        name = format!("▸ {name}  ({})", units::counted(kids as u64, what, many));
    } else if kids > 0 {
        name = format!("▾ {name}");
    }
    name
}

fn cell(
    v: &CompareView,
    col: Column,
    target: Target,
    n: &crate::tui::app::filetree::Node,
) -> String {
    let w = col.width();
    match col {
        Column::Change => {
            let change = match target {
                Target::Package(k) => v.cmp.packages[k].change.name(),
                Target::Meta(_) => "metadata",
                Target::Unowned | Target::Context => "",
                Target::File(_) => match n.status {
                    Status::Added => "added",
                    Status::Removed => "removed",
                    Status::Modified => "changed",
                    Status::MetadataOnly => "metadata",
                    Status::Unchanged => "",
                },
            };
            format!("{change:<w$}")
        }
        Column::Perms => {
            let perms = match target {
                Target::File(i) => {
                    let f = &v.cmp.files[i];
                    match (f.meta_a, f.meta_b) {
                        (Some(a), Some(b)) if a.mode != b.mode => {
                            format!("{:04o}→{:04o}", a.mode, b.mode)
                        }
                        (_, Some(m)) | (Some(m), None) => format!("{:04o}", m.mode),
                        _ => String::new(),
                    }
                }
                _ => String::new(),
            };
            format!("{perms:<w$}")
        }
        Column::Size => {
            let size = match target {
                Target::Package(k) => {
                    let p = &v.cmp.packages[k];
                    units::decimal_short(p.size_b.max(p.size_a))
                }
                Target::Meta(_) => String::new(),
                _ if n.size == 0 && n.is_dir() => String::new(),
                _ => units::decimal_short(n.size),
            };
            format!("{size:>0$} ", w - 1)
        }
        Column::Delta => {
            let delta = match target {
                Target::Package(k) => v.cmp.packages[k].delta(),
                _ => n.delta,
            };
            let text = if delta == 0 {
                String::new()
            } else {
                units::signed_short(delta)
            };
            format!("{text:>0$} ", w - 1)
        }
    }
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
    let open = match v.selected().map(|s| s.1) {
        Some(Target::File(i)) if v.cmp.files[i].change != FileChange::MetadataOnly => {
            if v.cmp.files[i].kind_b.or(v.cmp.files[i].kind_a) == Some(crate::tree::EntryKind::Dir)
            {
                "narrow"
            } else {
                "diff"
            }
        }
        Some(Target::Context) if v.list.grouping == Grouping::Dirs => "narrow",
        _ => "open",
    };
    let keys: Vec<(Action, String)> = [
        (Action::Open, open),
        (Action::Mode, "group"),
        (Action::Extract, "extract"),
        (Action::Filter, "filter"),
        (Action::Sort, "sort"),
        (Action::SizeFloor, "size floor"),
        (Action::Config, "details"),
    ]
    .iter()
    .map(|(a, l)| (*a, l.to_string()))
    .collect();
    let fixed: &[(Action, &str)] = if v.popup.is_some() {
        &[(Action::Help, "help"), (Action::Quit, "close")]
    } else {
        &[(Action::Help, "help"), (Action::Quit, "quit")]
    };
    let keys = if v.popup.is_some() { Vec::new() } else { keys };
    let lead = v
        .notice
        .iter()
        .map(|n| styled(format!("{}  ", printable(n, 500)), state.theme.warn))
        .collect();
    let line = super::footer_line(state, area.width, lead, &keys, fixed);
    frame.render_widget(Paragraph::new(line), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_drop_in_order_before_names_shrink() {
        use Column::*;
        assert_eq!(columns(160, 60), [Change, Perms, Size, Delta]);
        // 80 columns, a long name: permissions go first, then sizes.
        assert_eq!(columns(78, 60), [Change, Size, Delta]);
        assert_eq!(columns(62, 60), [Change, Delta]);
        assert_eq!(columns(60, 60), [Delta]);
        assert_eq!(columns(40, 60), [Delta]);
        // Short names keep every column while half the width is left for them.
        assert_eq!(columns(100, 10), [Change, Perms, Size, Delta]);
    }
}
