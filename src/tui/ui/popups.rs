//! Popups over the explorer: help, image config, prompts, the file viewer, path history and
//! messages.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::{fit, panel, short_size, styled};
use crate::model::text::printable;
use crate::tui::app::explorer::{Explorer, Popup, PromptKind};
use crate::tui::app::filetree::Status;
use crate::tui::app::keymap::ACTIONS;
use crate::tui::app::State;

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    r
}

pub fn draw(frame: &mut Frame, state: &State, ex: &Explorer, popup: &Popup) {
    let area = frame.area();
    let big = centered(
        area,
        area.width.saturating_sub(2).max(20),
        area.height.saturating_sub(2).max(5),
    );
    match popup {
        Popup::Help { scroll } => {
            let km = &state.keymap;
            let lines: Vec<Line> = ACTIONS
                .iter()
                .map(|(action, _, desc)| {
                    Line::from(vec![
                        styled(format!("{:>16}  ", km.keys_of(*action)), state.theme.key),
                        Span::raw(*desc),
                    ])
                })
                .collect();
            scrolled(frame, big, "Keys (Esc closes)", lines, *scroll, state, ex);
        }
        Popup::Config { scroll } => {
            let width = big.width.saturating_sub(2) as usize;
            let lines = config_lines(ex, state, width);
            scrolled(
                frame,
                big,
                "Image config and history (Esc closes)",
                lines,
                *scroll,
                state,
                ex,
            )
        }
        Popup::Viewer {
            title,
            lines,
            scroll,
            ..
        } => {
            let width = big.width.saturating_sub(2) as usize;
            let lines = wrapped(lines, width).into_iter().map(Line::from).collect();
            scrolled(
                frame,
                big,
                &format!("{} (Esc closes)", printable(title, 500)),
                lines,
                *scroll,
                state,
                ex,
            );
        }
        Popup::History { path, rows, cursor } => {
            let t = &state.theme;
            let mut lines = vec![Line::from(styled(
                "Layer  Change          Kind       Size",
                t.dim,
            ))];
            for (i, r) in rows.iter().enumerate() {
                let name = match r.status {
                    Status::Added => "added",
                    Status::Modified => "modified",
                    Status::MetadataOnly => "metadata only",
                    Status::Removed => "removed",
                    Status::Unchanged => "re-listed",
                };
                let mut style = t.status(r.status);
                if i == *cursor {
                    style = style.patch(t.selected);
                }
                lines.push(Line::from(Span::styled(
                    format!(
                        "{:>5}  {:<14}  {:<9} {:>9}",
                        r.layer,
                        name,
                        r.kind.map_or("", |k| k.name()),
                        short_size(r.size)
                    ),
                    style,
                )));
            }
            if rows.is_empty() {
                lines.push(Line::from("(no layer touched this path)"));
            }
            let h = (rows.len() as u16 + 3).max(5);
            let r = centered(area, 60, h);
            frame.render_widget(Clear, r);
            let title = format!(
                "History of /{} (Enter jumps)",
                fit(&printable(path, 300), 30)
            );
            frame.render_widget(Paragraph::new(lines).block(panel(title, true, state)), r);
        }
        Popup::Hints { cursor } => draw_hints(frame, big, state, ex, *cursor),
        Popup::Prompt(p) => {
            let t = &state.theme;
            let (title, label) = match &p.kind {
                PromptKind::Extract { layer, path } => (
                    "Extract".to_string(),
                    format!(
                        "/{} as after layer {layer}, into directory:",
                        printable(path, 200)
                    ),
                ),
                PromptKind::SizeFloor => (
                    "Size floor".to_string(),
                    "Only show files of at least (empty: all):".to_string(),
                ),
                PromptKind::ConfirmOverwrite(req) => (
                    "Overwrite?".to_string(),
                    format!(
                        "Files exist in {}. Overwrite them? [y/N]",
                        printable(&req.dir, 200)
                    ),
                ),
            };
            // Enter confirms a typed answer, but never an overwrite: that takes a `y`.
            let keys = match p.kind {
                PromptKind::ConfirmOverwrite(_) => "y overwrite, Enter/Esc cancel",
                _ => "Enter ok, Esc cancel",
            };
            let mut lines = vec![Line::from(label)];
            if !matches!(p.kind, PromptKind::ConfirmOverwrite(_)) {
                lines.push(Line::from(vec![
                    Span::raw(printable(&p.input, 500)),
                    Span::styled("█", t.key),
                ]));
            }
            if let Some(e) = &p.error {
                lines.push(Line::from(Span::styled(e.clone(), t.warn)));
            }
            let r = centered(area, 64, lines.len() as u16 + 3);
            frame.render_widget(Clear, r);
            frame.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(panel(format!("{title} ({keys})"), true, state)),
                r,
            );
        }
        Popup::Message(m) => {
            let r = centered(area, 64, 5);
            frame.render_widget(Clear, r);
            frame.render_widget(
                Paragraph::new(printable(m, 1000))
                    .wrap(Wrap { trim: false })
                    .block(panel("strata (any key)".into(), true, state)),
                r,
            );
        }
    }
}

/// Viewer lines wrapped to `width` columns; a text line's continuations are indented past its
/// line number (`  12 │ `), so the numbers still stand out.
fn wrapped(lines: &[String], width: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let chars: Vec<char> = line.chars().collect();
        if chars.len() <= width || width < 8 {
            out.push(line.clone());
            continue;
        }
        let gutter = line
            .char_indices()
            .take(16)
            .find(|(i, _)| line[*i..].starts_with(" │ "))
            .map_or(0, |(i, _)| line[..i].chars().count() + 3);
        let gutter = if gutter * 2 > width { 0 } else { gutter };
        out.push(chars[..width].iter().collect());
        let mut at = width;
        while at < chars.len() {
            let take = (width - gutter).min(chars.len() - at);
            let mut row = " ".repeat(gutter.saturating_sub(2));
            if gutter >= 2 {
                row.push_str("│ ");
            }
            row.extend(&chars[at..at + take]);
            out.push(row);
            at += take;
        }
    }
    out
}

fn scrolled(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    lines: Vec<Line<'static>>,
    scroll: usize,
    state: &State,
    ex: &Explorer,
) {
    let visible = area.height.saturating_sub(2) as usize;
    let max = lines.len().saturating_sub(visible);
    ex.popup_scroll_max.set(max);
    let scroll = scroll.min(max);
    frame.render_widget(Clear, area);
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(visible).collect();
    frame.render_widget(
        Paragraph::new(shown).block(panel(title.to_string(), true, state)),
        area,
    );
}

fn config_lines(ex: &Explorer, state: &State, width: usize) -> Vec<Line<'static>> {
    let t = &state.theme;
    let img = &ex.report.image;
    let c = &img.config;
    let mut out = Vec::new();
    let kv = |k: &str, v: String| {
        Line::from(vec![
            styled(format!("{k:<12}"), t.dim),
            Span::raw(fit(&printable(&v, 2000), width.saturating_sub(12))),
        ])
    };
    out.push(kv("Image", img.reference.clone()));
    out.push(kv("ID", img.id.clone()));
    if let Some(d) = &img.digest {
        out.push(kv("Digest", d.clone()));
    }
    out.push(kv("Platform", img.platform.clone()));
    out.push(kv("Created", img.created.clone().unwrap_or_default()));
    out.push(kv(
        "User",
        c.user
            .clone()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "(root)".into()),
    ));
    out.push(kv("Workdir", c.workdir.clone().unwrap_or_default()));
    out.push(kv(
        "Entrypoint",
        c.entrypoint
            .as_ref()
            .map(|e| format!("{e:?}"))
            .unwrap_or_default(),
    ));
    out.push(kv(
        "Cmd",
        c.cmd.as_ref().map(|e| format!("{e:?}")).unwrap_or_default(),
    ));
    out.push(kv("Ports", c.exposed_ports.join(", ")));
    for e in &c.env {
        out.push(kv("Env", e.clone()));
    }
    for (k, v) in &c.labels {
        out.push(kv("Label", format!("{k}={v}")));
    }
    out.push(Line::from(""));
    out.push(Line::from(styled(
        "History  (layer, created, command as recorded)",
        t.title,
    )));
    for h in &ex.report.history {
        let layer = h.layer.map_or("  -".to_string(), |l| format!("{l:>3}"));
        let style = if h.empty_layer {
            t.dim
        } else {
            ratatui::style::Style::new()
        };
        out.push(Line::from(Span::styled(
            fit(
                &format!(
                    "{layer}  {:<20}  {}",
                    printable(h.created.as_deref().unwrap_or(""), 20),
                    printable(&h.created_by, 4000)
                ),
                width,
            ),
            style,
        )));
    }
    out
}

/// The Hints panel: each hint's severity, id, bytes and layer, its message wrapped, and its
/// first paths; the selected one highlighted and kept in view.
fn draw_hints(frame: &mut Frame, area: Rect, state: &State, ex: &Explorer, cursor: usize) {
    use crate::analysis::hints::Severity;
    let t = &state.theme;
    let width = area.width.saturating_sub(2) as usize;
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut starts = Vec::new();
    for (i, h) in ex.report.hints.iter().enumerate() {
        starts.push(lines.len());
        let sev = match h.severity {
            Severity::Error => ("error  ", t.removed),
            Severity::Warning => ("warning", t.modified),
            Severity::Info => ("info   ", t.dim),
        };
        let mut head = vec![
            Span::styled(sev.0.to_string(), sev.1.patch(t.title)),
            Span::raw(format!(" {:<20}", h.id)),
            Span::raw(format!(
                "{:>10}",
                if h.bytes > 0 {
                    short_size(h.bytes)
                } else {
                    String::new()
                }
            )),
            Span::styled(
                h.layer.map(|l| format!("  layer {l}")).unwrap_or_default(),
                t.dim,
            ),
        ];
        if i == cursor {
            head = head
                .into_iter()
                .map(|s| Span::styled(s.content, s.style.patch(t.selected)))
                .collect();
        }
        lines.push(Line::from(head));
        for chunk in wrap(&printable(&h.message, 2000), width.saturating_sub(4)) {
            lines.push(Line::from(format!("    {chunk}")));
        }
        for p in h.paths.iter().take(3) {
            lines.push(Line::from(Span::styled(
                format!("    {}", fit(&printable(p, 1000), width.saturating_sub(4))),
                t.dim,
            )));
        }
        if h.paths.len() > 3 {
            lines.push(Line::from(Span::styled(
                format!("    … {} more paths", h.paths.len() - 3),
                t.dim,
            )));
        }
    }
    if lines.is_empty() {
        lines.push(Line::from(
            "No hints: nothing to improve that strata can see.",
        ));
    }
    let visible = area.height.saturating_sub(2) as usize;
    let start = starts.get(cursor).copied().unwrap_or(0);
    let end = starts.get(cursor + 1).copied().unwrap_or(lines.len());
    let scroll = if end > visible {
        (end - visible).min(start)
    } else {
        0
    };
    frame.render_widget(Clear, area);
    let title = format!(
        "Hints ({}): Enter jumps to the layer and path, Esc closes",
        ex.report.hints.len()
    );
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(visible).collect();
    frame.render_widget(Paragraph::new(shown).block(panel(title, true, state)), area);
}

/// Greedy word wrap to `width` columns (words longer than a line are cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(10);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&fit(word, width));
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::wrapped;

    #[test]
    fn long_viewer_lines_wrap_past_their_line_number() {
        let long = format!("  12 │ {}", "x".repeat(30));
        let lines = vec!["   1 │ short".to_string(), long];
        let got = wrapped(&lines, 20);
        assert_eq!(
            got,
            [
                "   1 │ short",
                "  12 │ xxxxxxxxxxxxx",
                "     │ xxxxxxxxxxxxx",
                "     │ xxxx",
            ]
        );
        // Every character is still there, in order.
        let text: String = got[1..]
            .iter()
            .map(|l| &l[l.find("│ ").unwrap() + "│ ".len()..])
            .collect();
        assert_eq!(text, "x".repeat(30));
        // A hex dump line (no gutter) wraps flush left.
        let hex = vec!["0123456789abcdef0123".to_string()];
        assert_eq!(wrapped(&hex, 8), ["01234567", "89abcdef", "0123"]);
    }
}
