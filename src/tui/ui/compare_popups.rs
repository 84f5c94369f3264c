//! The compare screen's own popups: its keys, and the details (config, layers, waste by cause
//! and step, the aligned histories, the waste table). The viewer, prompts and messages are the
//! explorer's (`popups`).

use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::{fit, panel, styled};
use crate::model::text::printable;
use crate::model::units;
use crate::report::diff::{figure_label, share_mark};
use crate::tui::app::compare::CompareView;
use crate::tui::app::keymap::Action;
use crate::tui::app::layout::{centered, compare_details_area};
use crate::tui::app::State;

pub fn draw_help(frame: &mut Frame, state: &State) {
    let km = &state.keymap;
    let t = &state.theme;
    let keys = |actions: &[Action]| {
        actions
            .iter()
            .map(|a| km.first_key(*a))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let rows: Vec<(String, &str)> = vec![
        (keys(&[Action::Up, Action::Down]), "move"),
        (keys(&[Action::PageUp, Action::PageDown]), "page up / down"),
        (
            keys(&[Action::Open]),
            "file: content diff · directory: narrow · package: open",
        ),
        (keys(&[Action::Diff]), "content diff of the file, A → B"),
        (
            keys(&[Action::Extract]),
            "extract from B (Tab in the prompt: A)",
        ),
        (
            keys(&[
                Action::Mode,
                Action::ModeLayer,
                Action::ModeMerged,
                Action::ModeFinal,
            ]),
            "group: next / by package / by directory / flat",
        ),
        (
            keys(&[Action::Toggle, Action::CollapseAll, Action::ExpandAll]),
            "fold / fold all / unfold all",
        ),
        (
            keys(&[Action::Filter]),
            "filter paths (text, glob or regex)",
        ),
        (keys(&[Action::Sort]), "sort: name / size / delta"),
        (
            keys(&[Action::SizeFloor]),
            "size floor (files at least this big)",
        ),
        (
            keys(&[
                Action::HideAdded,
                Action::HideModified,
                Action::HideRemoved,
                Action::HideUnchanged,
            ]),
            "hide added / changed / removed / metadata-only",
        ),
        (
            keys(&[Action::Config]),
            "config, layers, history and waste differences",
        ),
        (
            "Esc".to_string(),
            "leave the narrowed directory, clear filters",
        ),
        (keys(&[Action::Quit]), "quit"),
    ];
    let lines: Vec<Line> = rows
        .into_iter()
        .map(|(k, d)| Line::from(vec![styled(format!("{k:>14}  "), t.key), Span::raw(d)]))
        .collect();
    let r = centered(frame.area(), 80, lines.len() as u16 + 2);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines).block(panel("Keys (Esc closes)".into(), true, state)),
        r,
    );
}

/// The details popup's lines: config, layers with their steps, waste by cause and step, the
/// aligned history and the waste table.
pub fn details_lines(state: &State, v: &CompareView, w: usize) -> Vec<Line<'static>> {
    let t = &state.theme;
    let r = &v.report;
    let mut lines = vec![Line::from(styled("Config (A → B)", t.title))];
    if r.config.is_empty() {
        lines.push(Line::from("  no difference"));
    }
    for (k, c) in &r.config {
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
        "Layers (= both, - only A, + only B)",
        t.title,
    )));
    let idx = |i: Option<usize>| i.map_or("-".to_string(), |x| x.to_string());
    for l in &r.layers {
        let step = l.command.as_deref().unwrap_or(&l.diff_id);
        lines.push(Line::from(fit(
            &format!(
                "  {} {:>3} {:>3} {:>9}  {}",
                share_mark(l),
                idx(l.in_a),
                idx(l.in_b),
                units::decimal_short(l.size),
                printable(step, 1000)
            ),
            w,
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(styled("Waste by cause and step", t.title)));
    if r.waste_causes.is_empty() {
        lines.push(Line::from("  no step's waste changed"));
    }
    for c in &r.waste_causes {
        lines.push(Line::from(fit(
            &format!(
                "  {:<12} {:>10}  {}",
                c.cause.label(),
                units::signed_short(c.delta),
                c.sentence(500)
            ),
            w,
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(styled(
        "History (aligned; - only in A, + only in B)",
        t.title,
    )));
    for h in &r.history {
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
    for (k, d) in &r.waste {
        let line = if k == "efficiency" {
            format!(
                "  {:<22} {:>10.1} % {:>10.1} % {:>+9.1} pp",
                figure_label(k),
                d.a * 100.0,
                d.b * 100.0,
                d.delta
            )
        } else {
            format!(
                "  {:<22} {:>12} {:>12} {:>12}",
                figure_label(k),
                units::decimal_short(d.a as u64),
                units::decimal_short(d.b as u64),
                units::signed_short(d.delta as i64)
            )
        };
        lines.push(Line::from(line));
    }
    lines
}

pub fn draw_details(frame: &mut Frame, state: &State, v: &CompareView, scroll: usize) {
    let area = frame.area();
    let r = compare_details_area(area.width, area.height);
    let w = r.width.saturating_sub(2) as usize;
    let lines = details_lines(state, v, w);
    let visible = r.height.saturating_sub(2) as usize;
    frame.render_widget(Clear, r);
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(visible).collect();
    frame.render_widget(
        Paragraph::new(shown).block(panel(
            "Config, layers, history and waste (Esc closes)".into(),
            true,
            state,
        )),
        r,
    );
}
