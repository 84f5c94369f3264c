//! Load progress on stderr for the non-interactive commands (`report`, `ci`, `diff`,
//! `extract`): one line redrawn in place while layers download and decompress, cleared before
//! anything else is printed. Only when stderr is a terminal (captured stderr stays clean for
//! scripts: errors and notices only), only for loads that take over a second, never with
//! `--quiet`; stdout is never touched.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use strata::model::units;
use strata::LoadEvent;

/// Nothing is drawn before a load has run this long.
const QUIET_START: Duration = Duration::from_secs(1);

pub struct Progress {
    label: String,
    quiet: bool,
    tty: bool,
    state: Mutex<State>,
}

struct State {
    started: Instant,
    last_draw: Option<Instant>,
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
            state: Mutex::new(State {
                started: Instant::now(),
                last_draw: None,
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
        if now.duration_since(s.started) < QUIET_START {
            return;
        }
        if !self.tty {
            return;
        }
        if s.last_draw
            .is_some_and(|t| now.duration_since(t) < Duration::from_millis(100))
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
        let text = format!(
            "strata: {}: layers {layers_done}/{}  {} / {}  {pct:>5.1} %",
            self.label,
            s.total.len(),
            units::decimal(read),
            units::decimal(total),
        );
        let mut err = std::io::stderr().lock();
        let filled = ((pct / 5.0).round() as usize).min(20);
        let _ = write!(
            err,
            "\r\x1b[K{text} [{}{}]",
            "#".repeat(filled),
            ".".repeat(20 - filled)
        );
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

impl State {
    fn clear_line(&mut self, tty: bool) {
        if tty && self.drew_line {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
            self.drew_line = false;
        }
    }
}
