//! Load progress on stderr for the non-interactive commands (`report`, `ci`, `diff`,
//! `extract`): one line redrawn in place while layers download and decompress, cleared before
//! anything else is printed. Only when stderr is a terminal (captured stderr stays clean for
//! scripts: errors and notices only), only for loads that take over a second, never with
//! `--quiet`; stdout is never touched.
//!
//! `STRATA_TEST_PROGRESS=1` draws from the first event and at every event (no quiet first
//! second, no 100 ms between draws), so the tests see the line on a load that takes
//! milliseconds.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use strata::model::units;
use strata::LoadEvent;

/// Nothing is drawn before a load has run this long.
const QUIET_START: Duration = Duration::from_secs(1);

/// The width assumed when the terminal's cannot be read.
const DEFAULT_COLUMNS: usize = 80;

/// The bar is drawn only if the image's name keeps at least this many columns beside it.
const NAME_WITH_BAR: usize = 20;

/// The image's name is never cut shorter than this (on a terminal too narrow for the figures
/// too, the line is cut at its end).
const NAME_AT_LEAST: usize = 8;

pub struct Progress {
    label: String,
    quiet: bool,
    tty: bool,
    /// `STRATA_TEST_PROGRESS`: draw at once and at every event.
    eager: bool,
    state: Mutex<State>,
}

struct State {
    started: Instant,
    last_draw: Option<Instant>,
    /// The terminal's width could not be read once: not asked again (crossterm falls back to
    /// running `tput`, not something to do ten times a second).
    no_width: bool,
    read: Vec<u64>,
    total: Vec<u64>,
    done: Vec<bool>,
    drew_line: bool,
}

impl Progress {
    pub fn new(label: &str, quiet: bool) -> Progress {
        Progress {
            label: strata::model::text::printable(label, 120),
            quiet,
            tty: std::io::stderr().is_terminal(),
            eager: std::env::var_os("STRATA_TEST_PROGRESS").is_some_and(|v| v == "1"),
            state: Mutex::new(State {
                started: Instant::now(),
                last_draw: None,
                no_width: false,
                read: Vec::new(),
                total: Vec::new(),
                done: Vec::new(),
                drew_line: false,
            }),
        }
    }

    pub fn event(&self, ev: LoadEvent) {
        if self.quiet {
            return;
        }
        let Ok(mut guard) = self.state.lock() else {
            return;
        };
        let s = &mut *guard;
        match ev {
            LoadEvent::Notice(text) => {
                s.clear_line(self.tty);
                eprintln!(
                    "strata: note: {}",
                    strata::model::text::printable(&text, 1000)
                );
            }
            LoadEvent::Opened { layer_bytes } => {
                s.read = vec![0; layer_bytes.len()];
                s.done = vec![false; layer_bytes.len()];
                s.total = layer_bytes;
            }
            LoadEvent::LayerStarted { .. } => {}
            LoadEvent::LayerProgress { index, read, total } => {
                if let (Some(r), Some(t)) = (s.read.get_mut(index), s.total.get_mut(index)) {
                    *r = read;
                    *t = (*t).max(total);
                }
            }
            LoadEvent::LayerFinished { index, .. } => {
                if let Some(d) = s.done.get_mut(index) {
                    *d = true;
                }
                if let (Some(&t), Some(r)) = (s.total.get(index), s.read.get_mut(index)) {
                    *r = t;
                }
            }
        }
        self.maybe_draw(s);
    }

    fn maybe_draw(&self, s: &mut State) {
        let now = Instant::now();
        if now.duration_since(s.started) < QUIET_START && !self.eager {
            return;
        }
        if !self.tty {
            return;
        }
        if s.last_draw
            .is_some_and(|t| now.duration_since(t) < Duration::from_millis(100))
            && !self.eager
        {
            return;
        }
        s.last_draw = Some(now);
        let read: u64 = s.read.iter().zip(&s.total).map(|(r, t)| (*r).min(*t)).sum();
        let total: u64 = s.total.iter().sum();
        let layers_done = s.done.iter().filter(|d| **d).count();
        let pct = if total == 0 {
            0.0
        } else {
            read as f64 * 100.0 / total as f64
        };
        let figures = format!(
            "layers {layers_done}/{}  {} / {}  {pct:>5.1} %",
            s.total.len(),
            units::decimal(read),
            units::decimal(total),
        );
        let filled = ((pct / 5.0).round() as usize).min(20);
        let bar = format!(" [{}{}]", "#".repeat(filled), ".".repeat(20 - filled));
        // Read at every draw: a terminal resized during the load is honoured at once.
        let columns = if s.no_width {
            None
        } else {
            strata::tui::runtime::terminal_columns()
        };
        s.no_width = columns.is_none();
        let columns = columns.map_or(DEFAULT_COLUMNS, usize::from);
        let line = fit(&self.label, &figures, &bar, columns);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K{line}");
        s.drew_line = true;
        let _ = err.flush();
    }

    /// Clears the in-place line, before the command prints anything else.
    pub fn finish(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.clear_line(self.tty);
        }
    }
}

/// The progress line for a terminal `columns` wide, never wider than `columns - 1` (a line
/// that wraps leaves its first rows behind when it is cleared, and some terminals wrap on
/// the last column): the figures whole, the image's name cut in its middle
/// (`strata: /tmp/…/node-app-latest.tar: layers 5/6 …`), the bar left out before the name
/// gets shorter than `NAME_WITH_BAR`. Only a terminal too narrow for the figures and a few
/// characters of the name cuts the line at its end.
fn fit(name: &str, figures: &str, bar: &str, columns: usize) -> String {
    let max = columns.saturating_sub(1);
    let fixed = "strata: ".len() + ": ".len() + figures.width();
    let name_width = name.width();
    let line = |name: &str, bar: &str| format!("strata: {name}: {figures}{bar}");
    if fixed + bar.width() + name_width.min(NAME_WITH_BAR) <= max {
        return line(&cut_middle(name, max - fixed - bar.width()), bar);
    }
    if fixed + name_width.min(NAME_AT_LEAST) <= max {
        return line(&cut_middle(name, max - fixed), "");
    }
    cut_end(&line(&cut_middle(name, NAME_AT_LEAST), ""), max)
}

/// `text` in at most `width` columns: its start and its end (the end, a file's name, gets two
/// thirds) around an ellipsis.
fn cut_middle(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let room = width - 1;
    let head_room = room / 3;
    let mut head = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > head_room {
            break;
        }
        head.push(c);
        used += w;
    }
    let tail_room = room - used;
    let mut tail = Vec::new();
    let mut used = 0;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > tail_room {
            break;
        }
        tail.push(c);
        used += w;
    }
    head.push('…');
    head.extend(tail.into_iter().rev());
    head
}

/// `text` cut to at most `width` columns at its end.
fn cut_end(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out
}

impl State {
    fn clear_line(&mut self, tty: bool) {
        if tty && self.drew_line {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
            self.drew_line = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIGURES: &str = "layers 5/6  726.42 MB / 757.03 MB   95.9 %";
    const BAR: &str = " [###################.]";

    #[test]
    fn a_line_fits_its_terminal_by_cutting_the_name_in_the_middle() {
        let name = "/tmp/fixtures-out/docker-archive/node-app-latest.tar";
        // Wide enough: all of it.
        let wide = fit(name, FIGURES, BAR, 200);
        assert_eq!(wide, format!("strata: {name}: {FIGURES}{BAR}"));
        // 80 columns: the bar goes first, then the name's middle.
        let line = fit(name, FIGURES, BAR, 80);
        assert_eq!(
            line,
            "strata: /tmp/fix…ode-app-latest.tar: layers 5/6  726.42 MB / 757.03 MB   95.9 %"
        );
        assert_eq!(line.width(), 79);
        // A short name keeps the bar.
        assert_eq!(
            fit("app.tar", FIGURES, BAR, 100),
            format!("strata: app.tar: {FIGURES}{BAR}")
        );
        // Every width, down to none: never wider than one column less than the terminal.
        for columns in 0..220 {
            let line = fit(name, FIGURES, BAR, columns);
            assert!(line.width() < columns.max(1), "{columns}: {line:?}");
            if columns >= 70 {
                assert!(line.contains(FIGURES), "{columns}: {line:?}");
            }
        }
        // Wide characters count two columns.
        let wide_name = "/images/画像/とても長い名前のイメージ.tar";
        for columns in 40..120 {
            let line = fit(wide_name, FIGURES, BAR, columns);
            assert!(line.width() < columns, "{columns}: {line:?}");
        }
    }

    #[test]
    fn the_middle_is_what_is_cut() {
        assert_eq!(cut_middle("abcdefghij", 10), "abcdefghij");
        assert_eq!(cut_middle("abcdefghij", 7), "ab…ghij");
        assert_eq!(cut_middle("abcdefghij", 1), "…");
        assert_eq!(cut_middle("abcdefghij", 0), "");
        assert_eq!(cut_end("abcdef", 3), "abc");
    }
}
