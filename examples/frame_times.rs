//! Times the explorer's frames on a real image (issue #7: under 16 ms on 300k entries): the
//! image is loaded once, then keys go through `app::update` exactly as the runtime sends
//! them and every frame is drawn on a 160x48 `TestBackend`. Each step is the update plus the
//! draw that follows it, which is what the user waits for after a key.
//!
//!     cargo run --release --example frame_times -- IMAGE
//!
//! Prints one line per scenario (frames, median, p99, max in ms) from a second pass over
//! all scenarios, the worst frame of the first pass (which reads the code from disk when the
//! page cache was dropped), and a last line `max_frame_ms N` for scripts/bench.sh.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use strata::tui::app::keymap::Keymap;
use strata::tui::app::theme::Theme;
use strata::tui::app::{update, Loaded, Msg, State};

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn chars(s: &str) -> Vec<KeyCode> {
    s.chars().map(KeyCode::Char).collect()
}

fn main() -> ExitCode {
    let Some(input) = std::env::args().nth(1) else {
        eprintln!("usage: frame_times IMAGE");
        return ExitCode::from(2);
    };
    let opts = strata::SourceOptions {
        no_cache: true,
        ..Default::default()
    };
    let image = match strata::load(&input, &opts, &|_| {}) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("frame_times: {e}");
            return ExitCode::from(2);
        }
    };
    let analysis = Arc::new(image.analyse());
    let session = Arc::new(image);
    let loaded = || Loaded {
        session: session.clone(),
        analysis: analysis.clone(),
    };
    let (w, h) = (160, 48);
    let Ok(mut terminal) = Terminal::new(TestBackend::new(w, h));

    // (name, keys before timing starts, keys timed one frame each)
    let down = |n| vec![KeyCode::Down; n];
    let tab = KeyCode::Tab;
    let scenarios: Vec<(&str, Vec<KeyCode>, Vec<KeyCode>)> = vec![
        ("open the final view", vec![tab], chars("mm")),
        (
            "scroll the final view (300 rows)",
            [vec![tab], chars("mm")].concat(),
            down(300),
        ),
        (
            "page through the final view",
            [vec![tab], chars("mm")].concat(),
            vec![KeyCode::PageDown; 50],
        ),
        (
            "expand all, collapse all",
            [vec![tab], chars("mm")].concat(),
            chars("ecec"),
        ),
        (
            "type a filter",
            [vec![tab], chars("mm/")].concat(),
            chars("pkg07/mod1"),
        ),
        (
            "type a glob filter",
            [vec![tab], chars("mm/")].concat(),
            chars("*7/*1.bin"),
        ),
        (
            "sort by size",
            [vec![tab], chars("mm")].concat(),
            chars("sss"),
        ),
        ("walk the layers", Vec::new(), down(30)),
    ];

    // Every scenario runs twice and the second pass is reported: the first one pays, once per
    // process, for reading the code of each path through the UI from disk (the bench drops
    // the page cache) and for the allocator's first pages. Its worst frame is printed too.
    let run = |terminal: &mut Terminal<TestBackend>,
               setup: &[KeyCode],
               timed: &[KeyCode]|
     -> Option<Vec<f64>> {
        let mut state = State::new(&input, Keymap::new(None).0, Theme::dark(), w, h);
        update(&mut state, Msg::Loaded(loaded()));
        for k in setup {
            update(&mut state, key(*k));
        }
        terminal.draw(|f| strata::tui::ui::draw(f, &state)).ok()?;
        let mut times = Vec::new();
        for k in timed {
            let start = Instant::now();
            update(&mut state, key(*k));
            terminal.draw(|f| strata::tui::ui::draw(f, &state)).ok()?;
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        Some(times)
    };
    let mut first_pass = 0.0f64;
    for (_, setup, timed) in &scenarios {
        let Some(times) = run(&mut terminal, setup, timed) else {
            return ExitCode::from(2);
        };
        first_pass = first_pass.max(times.last().copied().unwrap_or(0.0));
    }
    let mut worst = 0.0f64;
    for (name, setup, timed) in &scenarios {
        let Some(times) = run(&mut terminal, setup, timed) else {
            return ExitCode::from(2);
        };
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        let max = times.last().copied().unwrap_or(0.0);
        worst = worst.max(max);
        println!(
            "{name:<34} {:>4} frames  median {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms",
            times.len(),
            at(0.5),
            at(0.99),
            max
        );
    }
    println!("first pass (code read from disk)   worst {first_pass:.2} ms");
    let entries = analysis.stack.paths.len();
    println!("entries {entries}");
    println!("max_frame_ms {worst:.2}");
    ExitCode::SUCCESS
}
