//! Popups over the explorer: help, image config, prompts, the file viewer, path history, hints
//! and messages. Each draws its view model (`app::popups`) and nothing else: what a popup
//! holds and how far it scrolls was decided in `update`.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::{fit, panel, styled};
use crate::analysis::hints::Hint;
use crate::model::text::printable;
use crate::model::units;
use crate::tui::app::explorer::Explorer;
use crate::tui::app::filetree::Status;
use crate::tui::app::layout::{centered, popup_area};
use crate::tui::app::popups::config::{Row as ConfigRow, LABEL_WIDTH};
use crate::tui::app::popups::{help, viewer, Popup, Prompt, PromptKind};
use crate::tui::app::State;

pub fn draw(frame: &mut Frame, state: &State, ex: &Explorer, popup: &Popup) {
    let area = frame.area();
    let big = popup_area(area);
    match popup {
        Popup::Help(scroll) => {
            let lines: Vec<Line> = help::rows(&state.keymap)
                .into_iter()
                .map(|(keys, desc)| {
                    Line::from(vec![
                        styled(format!("{keys:>16}  "), state.theme.key),
                        Span::raw(desc),
                    ])
                })
                .collect();
            scrolled(frame, big, "Keys (Esc closes)", lines, scroll.offset, state);
        }
        Popup::Config(scroll) => {
            let width = big.width.saturating_sub(2) as usize;
            let lines = config_lines(ex, state, width);
            scrolled(
                frame,
                big,
                "Image config and history (Esc closes)",
                lines,
                scroll.offset,
                state,
            )
        }
        Popup::Viewer(v) => draw_viewer(frame, state, v),
        Popup::History(h) => {
            let t = &state.theme;
            let mut lines = vec![Line::from(styled(
                "Layer  Change          Kind       Size",
                t.dim,
            ))];
            for (i, r) in h.rows.iter().enumerate() {
                let name = match r.status {
                    Status::Added => "added",
                    Status::Modified => "modified",
                    Status::MetadataOnly => "metadata only",
                    Status::Removed => "removed",
                    Status::Unchanged => "re-listed",
                };
                let mut style = t.status(r.status);
                if i == h.cursor {
                    style = style.patch(t.selected);
                }
                lines.push(Line::from(Span::styled(
                    format!(
                        "{:>5}  {:<14}  {:<9} {:>9}",
                        r.layer,
                        name,
                        r.kind.map_or("", |k| k.name()),
                        units::decimal_short(r.size)
                    ),
                    style,
                )));
            }
            if h.rows.is_empty() {
                lines.push(Line::from("(no layer touched this path)"));
            }
            let height = (h.rows.len() as u16 + 3).max(5);
            let r = centered(area, 60, height);
            frame.render_widget(Clear, r);
            let title = format!(
                "History of /{} (Enter jumps)",
                fit(&printable(&h.path, 300), 30)
            );
            frame.render_widget(Paragraph::new(lines).block(panel(title, true, state)), r);
        }
        Popup::Hints(list) => draw_hints(frame, big, state, &ex.analysis.hints, list.cursor),
        Popup::Packages(list) => draw_packages(frame, big, state, ex, list),
        Popup::Prompt(p) => draw_prompt(frame, state, p),
        Popup::Message(m) => draw_message(frame, state, m),
        Popup::Treemap(map) => super::treemap::draw(frame, state, ex, map),
    }
}

/// The file viewer (content or a diff), scrolled and wrapped: over the explorer and the
/// compare screen alike.
pub fn draw_viewer(frame: &mut Frame, state: &State, v: &viewer::Viewer) {
    let big = popup_area(frame.area());
    let width = big.width.saturating_sub(2) as usize;
    let lines = viewer::wrapped(&v.lines, width)
        .into_iter()
        .map(Line::from)
        .collect();
    scrolled(
        frame,
        big,
        &{
            let search = if v.editing {
                format!(" · search: {}█", printable(&v.search, 100))
            } else if !v.search.is_empty() {
                format!(" · \"{}\" (n/N)", printable(&v.search, 100))
            } else {
                " · / searches".to_string()
            };
            format!("{}{search} (Esc closes)", printable(&v.title, 500))
        },
        lines,
        v.scroll.offset,
        state,
    );
}

/// A one-line question (where to extract, the size floor, an overwrite).
pub fn draw_prompt(frame: &mut Frame, state: &State, p: &Prompt) {
    let area = frame.area();
    let t = &state.theme;
    let (title, label) = match &p.kind {
        PromptKind::Extract {
            layer,
            path,
            image,
            compare,
        } => (
            "Extract".to_string(),
            if *compare {
                let (from, other) = if *image == 0 { ("A", "B") } else { ("B", "A") };
                format!(
                    "/{} from {from} (Tab: from {other}), into directory:",
                    printable(path, 200)
                )
            } else {
                format!(
                    "/{} as after layer {layer}, into directory:",
                    printable(path, 200)
                )
            },
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
    let keys = if p.takes_text() {
        "Enter ok, Esc cancel"
    } else {
        "y overwrite, Enter/Esc cancel"
    };
    let mut lines = vec![Line::from(label)];
    if p.takes_text() {
        // An offered answer shows selected: typing replaces it.
        let input = printable(&p.input, 500);
        lines.push(Line::from(vec![
            if p.selected {
                Span::styled(input, t.selected)
            } else {
                Span::raw(input)
            },
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

/// A message that any key closes.
pub fn draw_message(frame: &mut Frame, state: &State, m: &str) {
    let area = frame.area();
    let r = centered(area, 64, 5);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(printable(m, 1000))
            .wrap(Wrap { trim: false })
            .block(panel("strata (any key)".into(), true, state)),
        r,
    );
}

fn scrolled(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    lines: Vec<Line<'static>>,
    scroll: usize,
    state: &State,
) {
    let visible = area.height.saturating_sub(2) as usize;
    frame.render_widget(Clear, area);
    let total = lines.len();
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(visible).collect();
    let block = super::scroll_marks(
        panel(title.to_string(), true, state),
        scroll,
        visible,
        total,
        state,
    );
    frame.render_widget(Paragraph::new(shown).block(block), area);
}

/// The config popup's rows (wrapped by its view model, which the scroll limit counts too).
fn config_lines(ex: &Explorer, state: &State, width: usize) -> Vec<Line<'static>> {
    let t = &state.theme;
    ex.config
        .rows(width)
        .into_iter()
        .map(|row| match row {
            ConfigRow::Field { label, text } => Line::from(vec![
                styled(format!("{label:<LABEL_WIDTH$}"), t.dim),
                Span::raw(text),
            ]),
            ConfigRow::Blank => Line::from(""),
            ConfigRow::Heading => Line::from(styled(
                "History  (layer, created, command as recorded)",
                t.title,
            )),
            ConfigRow::Step { text, empty } => Line::from(Span::styled(
                text,
                if empty {
                    t.dim
                } else {
                    ratatui::style::Style::new()
                },
            )),
        })
        .collect()
}

/// The Hints panel: each hint's severity, id, bytes and layer, its message wrapped, and its
/// first paths; the selected one highlighted and kept in view; the base image's hints after
/// a heading of their own.
fn draw_hints(frame: &mut Frame, area: Rect, state: &State, hints: &[Hint], cursor: usize) {
    use crate::analysis::hints::Severity;
    let t = &state.theme;
    let width = area.width.saturating_sub(2) as usize;
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut starts = Vec::new();
    for (i, h) in hints.iter().enumerate() {
        starts.push(lines.len());
        // The base image's hints come last (the analysis orders them so), under a heading.
        if h.from_base && (i == 0 || !hints[i - 1].from_base) {
            lines.push(Line::from(Span::styled(
                "From the base image: fix them in the base, or pick a slimmer one".to_string(),
                t.title,
            )));
        }
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
                    units::decimal_short(h.bytes)
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
                format!(
                    "    {}",
                    fit(&printable(&format!("/{p}"), 1000), width.saturating_sub(4))
                ),
                t.dim,
            )));
        }
        if h.paths.len() > 3 {
            lines.push(Line::from(Span::styled(
                {
                    let more = h.paths.len() - 3;
                    format!("    … {more} more path{}", if more == 1 { "" } else { "s" })
                },
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
        hints.len()
    );
    let total = lines.len();
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(visible).collect();
    let block = super::scroll_marks(panel(title, true, state), scroll, visible, total, state);
    frame.render_widget(Paragraph::new(shown).block(block), area);
}

/// The Packages view: one row per package (size, ecosystem, installing layer, name and
/// version), installed ones largest first, removed ones after them with the bytes that still
/// ship, and the bytes no package owns; the filter line at the bottom.
fn draw_packages(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    ex: &Explorer,
    list: &crate::tui::app::popups::PackageList,
) {
    use crate::tui::app::popups::packages::PackageRow;
    let t = &state.theme;
    let inv = &ex.analysis.packages;
    let width = area.width.saturating_sub(2) as usize;
    // Columns drop from the right of the fixed part as the popup narrows: the name stays.
    let wide = width >= 70;
    let header = if wide {
        format!(
            "{:>9}  {:<6}  {:>5}  {:<}",
            "SIZE", "KIND", "LAYER", "PACKAGE"
        )
    } else {
        format!("{:>9}  {:>3}  {:<}", "SIZE", "L", "PACKAGE")
    };
    let mut lines: Vec<Line<'static>> = vec![Line::from(styled(fit(&header, width), t.dim))];
    let visible = area.height.saturating_sub(4) as usize;
    let offset = list.cursor.saturating_sub(visible.saturating_sub(1));
    for (i, row) in list.rows.iter().enumerate().skip(offset).take(visible) {
        let (text, style) = match *row {
            PackageRow::AllFiles => (
                format!(
                    "{:>9}  all files (the Files panel is narrowed to a package)",
                    ""
                ),
                t.dim,
            ),
            PackageRow::Unowned => (
                format!(
                    "{:>9}  {}",
                    units::decimal_short(inv.unowned),
                    "(files no package owns)"
                ),
                t.dim,
            ),
            PackageRow::Unreadable(k) => {
                let Some(u) = inv.unreadable.get(k) else {
                    continue;
                };
                let what = format!(
                    "unreadable {} (layer {}): {}",
                    printable(&u.path, 300),
                    u.layer,
                    printable(&u.reason, 300)
                );
                (format!("{:>9}  {what}", "?"), t.warn)
            }
            PackageRow::Package(k) => {
                let Some(p) = inv.packages.get(k) else {
                    continue;
                };
                let (bytes, note, style) = if p.removed {
                    let at = p.changes.last().map_or(0, |c| c.layer);
                    (
                        p.hidden_bytes,
                        format!("  removed in layer {at}, its bytes still ship"),
                        t.removed,
                    )
                } else if p.toolchain {
                    (p.size, "  build tool".to_string(), t.modified)
                } else {
                    (p.size, String::new(), ratatui::style::Style::new())
                };
                let name = format!(
                    "{} {}{note}",
                    printable(&p.name, 200),
                    printable(&p.version, 100)
                );
                let text = if wide {
                    format!(
                        "{:>9}  {:<6}  {:>5}  {name}",
                        units::decimal_short(bytes),
                        p.ecosystem.name(),
                        p.layer
                    )
                } else {
                    format!("{:>9}  {:>3}  {name}", units::decimal_short(bytes), p.layer)
                };
                (text, style)
            }
        };
        let style = if i == list.cursor {
            style.patch(t.selected)
        } else {
            style
        };
        lines.push(Line::from(Span::styled(fit(&text, width), style)));
    }
    if list.rows.is_empty() {
        lines.push(Line::from("No package matches."));
    }
    let filter = if list.editing {
        Line::from(vec![
            Span::styled(" Filter: ", t.key),
            Span::raw(printable(&list.filter, 200)),
            Span::styled("█", t.key),
        ])
    } else if list.filter.is_empty() {
        Line::from(Span::styled(
            format!(
                " {}: filter · Enter: show its files · Esc: close",
                state
                    .keymap
                    .first_key(crate::tui::app::keymap::Action::Filter)
            ),
            t.dim,
        ))
    } else {
        Line::from(Span::styled(
            format!(" filter \"{}\"", printable(&list.filter, 200)),
            t.warn,
        ))
    };
    let body_rows = area.height.saturating_sub(3) as usize;
    lines.resize(body_rows.max(1), Line::default());
    lines.push(filter);
    frame.render_widget(Clear, area);
    let installed = inv.packages.iter().filter(|p| !p.removed).count();
    let mut title = format!(
        "Packages ({installed} installed, {} removed later",
        inv.packages.len() - installed
    );
    if !inv.unreadable.is_empty() {
        title += &format!(", {} unreadable", inv.unreadable.len());
    }
    title.push(')');
    let block = super::scroll_marks(
        panel(title, true, state),
        offset,
        visible,
        list.rows.len(),
        state,
    );
    frame.render_widget(Paragraph::new(lines).block(block), area);
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
    use super::wrap;

    #[test]
    fn words_wrap_greedily_and_long_ones_are_cut() {
        assert_eq!(wrap("a bb ccc dddd", 10), ["a bb ccc", "dddd"]);
        let long = "x".repeat(30);
        assert_eq!(wrap(&long, 10), [format!("{}…", "x".repeat(9))]);
    }
}
