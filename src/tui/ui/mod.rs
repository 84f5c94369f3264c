//! Drawing. Every function here reads `&State` and writes to the frame; nothing here changes
//! state or does I/O.

mod bars;
mod compare;
mod compare_popups;
mod details;
mod files;
mod layers;
mod loading;
mod popups;
mod treemap;

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};
use ratatui::Frame;

use crate::model::units;
use crate::tui::app::explorer::{Explorer, Panel};
use crate::tui::app::keymap::Action;
use crate::tui::app::{Screen, State};

pub fn draw(frame: &mut Frame, state: &State) {
    match &state.screen {
        Screen::Loading(l) => loading::draw(frame, state, l),
        Screen::Failed(e) => loading::draw_failed(frame, state, e),
        Screen::Explorer(ex) => draw_explorer(frame, state, ex),
        Screen::Compare(v) => compare::draw(frame, state, v),
    }
}

fn draw_explorer(frame: &mut Frame, state: &State, ex: &Explorer) {
    use crate::tui::app::layout::{MIN_HEIGHT, MIN_WIDTH};
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, state, MIN_WIDTH, MIN_HEIGHT);
        return;
    }
    let a = ex.areas();
    // A zoomed panel has the screen; the others are empty and not drawn.
    if !a.layers.is_empty() {
        layers::draw(frame, a.layers, state, ex);
    }
    if !a.layer_details.is_empty() {
        details::draw_layer(frame, a.layer_details, state, ex);
    }
    if !a.image_details.is_empty() {
        details::draw_image(frame, a.image_details, state, ex);
    }
    if !a.files.is_empty() {
        files::draw(frame, a.files, state, ex);
    }
    draw_footer(frame, a.footer, state, ex);
    if let Some(p) = &ex.popup {
        popups::draw(frame, state, ex, p);
    }
}

fn draw_footer(frame: &mut Frame, area: Rect, state: &State, ex: &Explorer) {
    let t = &state.theme;
    if ex.nav.editing_filter {
        let mut spans = vec![
            Span::styled(" Filter: ", t.key),
            Span::raw(ex.nav.filter.text.clone()),
            Span::styled("█", t.key),
        ];
        spans.push(match &ex.nav.filter.note {
            Some(note) => Span::styled(format!("   {note}"), t.warn),
            None => Span::styled(
                "   Enter keep · Esc clear · text, glob (*.so) or regex (\\.so$)",
                t.dim,
            ),
        });
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    use crate::tui::app::explorer::Panel;
    let popup = ex.popup.is_some();
    let mode = match ex.mode {
        crate::tui::app::filetree::FileMode::Layer => "changes",
        crate::tui::app::filetree::FileMode::Merged => "merged",
        crate::tui::app::filetree::FileMode::Final => "final",
    };
    let sort = ex.tree_sort_name();
    // The focused panel's keys, most useful first; what does not fit is left out.
    let treemap = matches!(ex.popup, Some(crate::tui::app::popups::Popup::Treemap(_)));
    let keys: Vec<(Action, String)> = match (popup, ex.focus) {
        (true, _) if treemap => vec![(Action::Open, "into".into())],
        (true, _) => vec![(Action::PageDown, "page".into())],
        (false, Panel::Layers) => vec![
            (Action::NextPanel, "files".into()),
            (Action::Mode, format!("mode:{mode}")),
            (Action::Hints, "hints".into()),
            (Action::Packages, "packages".into()),
            (Action::Waste, "waste".into()),
            (Action::Config, "config".into()),
            (Action::Filter, "filter".into()),
        ],
        (false, Panel::Files) => vec![
            (Action::Open, "open".into()),
            (Action::NextPanel, "layers".into()),
            (Action::Filter, "filter".into()),
            (Action::Mode, format!("mode:{mode}")),
            (Action::Sort, format!("sort:{sort}")),
            (Action::Diff, "diff".into()),
            (Action::Extract, "extract".into()),
            (Action::History, "history".into()),
            (Action::SizeFloor, "size".into()),
            (Action::Waste, "waste".into()),
            (Action::Hints, "hints".into()),
            (Action::Packages, "packages".into()),
            (Action::Config, "config".into()),
            (Action::Treemap, "treemap".into()),
            (Action::SizeBars, "bars".into()),
        ],
    };
    let mut lead = Vec::new();
    if ex.loading() && ex.notice.is_none() {
        let n = ex.layer_count();
        lead.push(Span::styled(
            format!("loading: {} of {n} layers in  ", n - ex.pending().len()),
            t.warn,
        ));
    }
    if treemap && ex.notice.is_none() {
        lead.push(Span::styled("arrows:move  Backspace:up  ", t.dim));
    }
    if let Some(n) = &ex.notice {
        lead.push(Span::styled(
            format!("{}  ", crate::model::text::printable(n, 500)),
            t.warn,
        ));
    } else if !popup {
        let mut chips = Vec::new();
        if let Some(only) = &ex.nav.filter.only {
            chips.push(crate::model::text::printable(&only.label, 200));
        }
        if !ex.nav.filter.text.is_empty() {
            let mut chip = format!(
                "filter \"{}\"",
                crate::model::text::printable(&ex.nav.filter.text, 200)
            );
            if let Some(note) = &ex.nav.filter.note {
                chip.push_str(&format!(" ({note})"));
            }
            chips.push(chip);
        }
        if let Some(m) = ex.nav.filter.min_size {
            chips.push(format!("≥{}", units::decimal_short(m)));
        }
        let hidden: Vec<&str> = ["added", "modified", "meta", "removed", "unchanged"]
            .iter()
            .zip(ex.nav.filter.hidden)
            .filter(|(_, h)| *h)
            .map(|(n, _)| *n)
            .collect();
        if !hidden.is_empty() {
            chips.push(format!("hiding {}", hidden.join(", ")));
        }
        if !chips.is_empty() {
            lead.push(Span::styled(format!("[{}]  ", chips.join(" · ")), t.warn));
        }
        // On a file a package owns, the package comes first: what a user asks of a file.
        if ex.focus == Panel::Files {
            if let Some(p) = ex.selected_owner() {
                let owner = format!(
                    "{} {} {}  ",
                    p.ecosystem.name(),
                    crate::model::text::printable(&p.name, 100),
                    crate::model::text::printable(&p.version, 60)
                );
                lead.push(Span::styled(owner, t.title));
            }
        }
    }
    let fixed: &[(Action, &str)] = if popup {
        &[(Action::Help, "help"), (Action::Quit, "close")]
    } else {
        &[(Action::Help, "help"), (Action::Quit, "quit")]
    };
    let line = footer_line(state, area.width, lead, &keys, fixed);
    frame.render_widget(Paragraph::new(line), area);
}

/// A footer: `lead` (notices, filters), then as many of `keys` as fit, then `fixed`, which
/// always show (`?:help  q:quit`): the lead is cut to make room for them.
pub(crate) fn footer_line(
    state: &State,
    width: u16,
    lead: Vec<Span<'static>>,
    keys: &[(Action, String)],
    fixed: &[(Action, &str)],
) -> Line<'static> {
    let t = &state.theme;
    let km = &state.keymap;
    let item = |a: Action, label: &str| (km.first_key(a), format!(":{label}  "));
    let len = |(k, l): &(String, String)| k.chars().count() + l.chars().count();
    let fixed: Vec<(String, String)> = fixed.iter().map(|(a, l)| item(*a, l)).collect();
    let fixed_len: usize = fixed.iter().map(len).sum();
    let mut room = (width as usize).saturating_sub(1 + fixed_len);
    let mut spans = vec![Span::raw(" ")];
    for span in lead {
        let text = fit(&span.content, room);
        room = room.saturating_sub(text.chars().count());
        spans.push(Span::styled(text, span.style));
    }
    for (a, label) in keys {
        let it = item(*a, label);
        if len(&it) > room {
            continue;
        }
        room -= len(&it);
        spans.push(Span::styled(it.0, t.key));
        spans.push(Span::raw(it.1));
    }
    for (k, l) in fixed {
        spans.push(Span::styled(k, t.key));
        spans.push(Span::raw(l));
    }
    Line::from(spans)
}

/// Below the minimum size: what the terminal is and what strata needs; keys still work.
fn draw_too_small(frame: &mut Frame, state: &State, w: u16, h: u16) {
    let area = frame.area();
    let t = &state.theme;
    let text = format!(
        "terminal too small ({}x{}); strata needs {w}x{h}. Enlarge it, or press {} to quit.",
        area.width,
        area.height,
        state.keymap.first_key(Action::Quit)
    );
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(text, t.warn)))
            .wrap(ratatui::widgets::Wrap { trim: true }),
        area,
    );
}

/// A list's scroll marks on its border: `▲ 3 more` at the top right while rows are scrolled
/// away above, `▼ 2 more` at the bottom left while rows are below.
pub(crate) fn scroll_marks<'a>(
    mut block: Block<'a>,
    offset: usize,
    shown: usize,
    total: usize,
    state: &State,
) -> Block<'a> {
    let t = &state.theme;
    if offset > 0 {
        block = block
            .title_top(Line::from(styled(format!(" ▲ {offset} more "), t.dim)).right_aligned());
    }
    let below = total.saturating_sub(offset + shown);
    if below > 0 && shown > 0 {
        block = block
            .title_bottom(Line::from(styled(format!(" ▼ {below} more "), t.dim)).left_aligned());
    }
    block
}

/// A bordered panel; the focused one stands out.
pub(crate) fn panel<'a>(title: String, focused: bool, state: &State) -> Block<'a> {
    let t = &state.theme;
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(if focused { t.focus_border } else { t.border })
        .title(Span::styled(
            format!(" {title} "),
            if focused {
                t.title.patch(t.focus_border)
            } else {
                t.title
            },
        ))
}

/// The tree lines before a row's name: `│ ` for each ancestor with siblings below, then
/// `├─` or `└─`.
pub fn tree_guide(row: &crate::tui::app::filetree::Row) -> String {
    let mut guide = String::new();
    for d in 0..row.depth {
        guide.push_str(if row.guides & (1 << d.min(63)) != 0 {
            "  "
        } else {
            "│ "
        });
    }
    guide.push_str(if row.last { "└─" } else { "├─" });
    guide
}

/// `COPY file:fb0feea065ddebce…f127 in /x` -> `COPY file:fb0feea065dd… in /x`: content hashes
/// in history commands are noise in a narrow column.
pub fn compact_hashes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 32 {
            out.push_str(&run[..12]);
            out.push('…');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Cuts `s` to `width` columns with an ellipsis.
/// `s` cut to `width` columns from the left (`…/requests/adapters.py`): for whole paths,
/// whose end says what they are.
pub fn fit_left(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return s.to_string();
    }
    let mut tail = Vec::new();
    let mut w = 0;
    for c in s.chars().rev() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        w += cw;
        tail.push(c);
    }
    if width == 0 {
        return String::new();
    }
    std::iter::once('…').chain(tail.into_iter().rev()).collect()
}

pub fn fit(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > width.saturating_sub(1)
            && s.chars().map(|c| c.width().unwrap_or(0)).sum::<usize>() > width
        {
            out.push('…');
            return out;
        }
        w += cw;
        out.push(c);
    }
    out
}

pub(crate) fn focused(ex: &Explorer, p: Panel) -> bool {
    ex.focus == p && ex.popup.is_none()
}

pub(crate) fn styled(s: impl Into<String>, style: Style) -> Span<'static> {
    Span::styled(s.into(), style)
}
