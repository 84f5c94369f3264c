//! The loading screen: overall and per-layer progress with an ETA; and the failure screen.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{fit, panel, styled};
use crate::model::text::printable;
use crate::model::units;
use crate::tui::app::{Loading, Phase, State};

fn bar(fraction: f64, width: usize) -> String {
    let n = ((fraction.clamp(0.0, 1.0)) * width as f64).round() as usize;
    format!("{}{}", "█".repeat(n), "░".repeat(width - n))
}

pub fn draw(frame: &mut Frame, state: &State, l: &Loading) {
    let t = &state.theme;
    let area = frame.area();
    let block = panel(
        format!("strata: opening {}", printable(&state.reference, 200)),
        true,
        state,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = inner.width as usize;
    let (read, total) = l.bytes();
    let frac = if total == 0 {
        0.0
    } else {
        read as f64 / total as f64
    };
    let eta = match (l.analysing, l.eta_secs()) {
        (true, _) => "analysing layers…".to_string(),
        (_, Some(s)) => format!("about {s} s left"),
        _ => String::new(),
    };
    let mut lines = vec![
        Line::from(vec![
            styled("Overall  ", t.dim),
            styled(bar(frac, w.saturating_sub(52).clamp(10, 60)), t.key),
            Span::raw(format!(
                " {:>5.1} %  {} / {}  ",
                frac * 100.0,
                units::decimal_short(read),
                units::decimal_short(total)
            )),
            styled(eta, t.dim),
        ]),
        Line::from(""),
    ];
    let rows = (inner.height as usize).saturating_sub(4);
    let comparing = !l.layers_b.is_empty();
    let all: Vec<(String, &crate::tui::app::LayerLoad)> = l
        .layers
        .iter()
        .enumerate()
        .map(|(i, x)| {
            (
                if comparing {
                    format!("A {i:>3} ")
                } else {
                    format!("layer {i:>3} ")
                },
                x,
            )
        })
        .chain(
            l.layers_b
                .iter()
                .enumerate()
                .map(|(i, x)| (format!("B {i:>3} "), x)),
        )
        .collect();
    for (label, layer) in all.iter().take(rows) {
        let f = if layer.total == 0 {
            if layer.phase == Phase::Done {
                1.0
            } else {
                0.0
            }
        } else {
            layer.read as f64 / layer.total as f64
        };
        let phase = match layer.phase {
            Phase::Queued => "queued",
            Phase::Reading => "decompress + index",
            Phase::Done => "done",
        };
        let bar_w = w.saturating_sub(48).clamp(8, 40);
        // The figures and the phase take what the label and the bar leave.
        let room = w.saturating_sub(label.chars().count() + bar_w);
        lines.push(Line::from(vec![
            styled(label.clone(), t.dim),
            styled(
                bar(f, bar_w),
                if layer.phase == Phase::Done {
                    t.added
                } else {
                    t.key
                },
            ),
            Span::raw(fit(
                &format!(
                    " {:>9} / {:<9} {phase}",
                    units::decimal_short(layer.read.min(layer.total)),
                    units::decimal_short(layer.total)
                ),
                room,
            )),
        ]));
    }
    if l.layers.len() > rows {
        lines.push(Line::from(styled(
            format!("… and {} more layers", l.layers.len() - rows),
            t.dim,
        )));
    }
    if l.layers.is_empty() {
        lines.push(Line::from(styled("reading the manifest…", t.dim)));
    }
    for notice in &l.notices {
        lines.push(Line::from(styled(printable(notice, 300), t.warn)));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        styled("q", t.key),
        Span::raw(" or "),
        styled("Ctrl-C", t.key),
        Span::raw(" quits"),
    ]));
    frame.render_widget(Paragraph::new(lines), inner);
}

pub fn draw_failed(frame: &mut Frame, state: &State, error: &str) {
    let t = &state.theme;
    let area: Rect = frame.area();
    let block = panel("strata: could not open the image".into(), true, state);
    let lines = vec![
        Line::from(Span::styled(printable(error, 2000), t.warn)),
        Line::from(""),
        Line::from(vec![styled("q", t.key), Span::raw(" quits")]),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}
