//! The compare screen of `strata diff A B`, drawn on a fixed `TestBackend` at 80x24 and
//! 160x48, on a generated pair with every kind of change.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use strata::tui::app::keymap::Keymap;
use strata::tui::app::layout::compare_areas;
use strata::tui::app::theme::Theme;
use strata::tui::app::{update, Msg, Screen, State};
use support::*;

fn pair() -> (tempfile::TempDir, String, String) {
    let dir = tempdir();
    let base = || {
        vec![
            Item::Dir("usr"),
            file("usr/bin/sh", &noise(1, 5000)),
            file("etc/os-release", b"ID=test\n"),
        ]
    };
    let tool = noise(7, 4000);
    let a = Spec::new()
        .layer("base", base())
        .layer(
            "RUN install pkg 1.0",
            vec![
                file("usr/lib/pkg/core.so", &noise(10, 20_000)),
                file("usr/lib/pkg/util.so", &noise(11, 3000)),
            ],
        )
        .layer(
            "COPY app",
            vec![
                file("srv/app/main.py", &noise(5, 700)),
                Item::FileMode("usr/bin/tool", tool.clone(), 0o644),
                file("etc/app/a.conf", b"a"),
            ],
        );
    let b = Spec::new()
        .layer("base", base())
        .layer(
            "RUN install pkg 1.1",
            vec![
                file("usr/lib/pkg/core.so", &noise(20, 26_000)),
                file("usr/lib/pkg/util.so", &noise(11, 3000)),
            ],
        )
        .layer(
            "COPY app",
            vec![
                file("opt/app/main.py", &noise(5, 700)),
                Item::FileMode("usr/bin/tool", tool, 0o755),
                file("etc/app", b"one file"),
            ],
        );
    let (pa, pb) = (dir.path().join("a.tar"), dir.path().join("b.tar"));
    a.docker_archive(&pa);
    b.docker_archive(&pb);
    (
        dir,
        pa.to_str().unwrap().to_string(),
        pb.to_str().unwrap().to_string(),
    )
}

fn state(w: u16, h: u16) -> (State, tempfile::TempDir) {
    let (dir, a, b) = pair();
    let (ia, ib) = (load_image(&a), load_image(&b));
    let (aa, ab) = (ia.analyse(), ib.analyse());
    let (mut doc, cmp) = strata::report::diff::compare_images(ia.image(), &aa, ib.image(), &ab);
    // Stable names in snapshots, whatever the temp dir.
    doc.a.image.reference = "a.tar".into();
    doc.b.image.reference = "b.tar".into();
    let mut s = State::new("a.tar and b.tar", Keymap::new(None).0, Theme::dark(), w, h);
    update(
        &mut s,
        Msg::Compared {
            report: Box::new(doc),
            comparison: Box::new(cmp),
        },
    );
    (s, dir)
}

fn keys(s: &mut State, keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\u{1b}' => KeyCode::Esc,
            c => KeyCode::Char(c),
        };
        update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }
}

fn render(s: &State) -> String {
    let mut t = Terminal::new(TestBackend::new(s.width, s.height)).unwrap();
    t.draw(|f| strata::tui::ui::draw(f, s)).unwrap();
    format!("{}", t.backend())
}

fn snap(name: &str, typed: &str) {
    for (w, h) in [(80, 24), (160, 48)] {
        let (mut s, _dir) = state(w, h);
        keys(&mut s, typed);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(&s));
    }
}

#[test]
fn compare_summary_layers_and_differences() {
    snap("compare", "");
}

#[test]
fn compare_details_popup() {
    snap("compare_details", "i");
}

#[test]
fn compare_filter_and_sort() {
    snap("compare_filter", "/pkg\ns");
}

#[test]
fn compare_help() {
    snap("compare_help", "?");
}

#[test]
fn compare_keys_fold_and_quit() {
    let (mut s, _dir) = state(100, 30);
    let Screen::Compare(v) = &s.screen else {
        panic!()
    };
    let rows = v.nav.rows.len();
    keys(&mut s, "c");
    let Screen::Compare(v) = &s.screen else {
        panic!()
    };
    assert!(v.nav.rows.len() < rows, "folding all hides rows");
    keys(&mut s, "e");
    let Screen::Compare(v) = &s.screen else {
        panic!()
    };
    assert_eq!(v.nav.rows.len(), rows);
    keys(&mut s, "q");
    assert!(s.quit);
}

/// The compare view at sizes down to nothing draws without a panic, and grown back it shows
/// what a screen drawn at that size from the start shows.
#[test]
fn compare_draws_at_any_terminal_size() {
    for typed in ["", "i", "/pkg\n", "/pkg\ns", "?", "c"] {
        for (w, h) in [
            (0, 0),
            (0, 6),
            (8, 0),
            (1, 1),
            (3, 2),
            (9, 3),
            (17, 5),
            (28, 7),
            (45, 12),
            (79, 23),
        ] {
            let (mut s, _dir) = state(w, h);
            keys(&mut s, typed);
            // Drawn, not printed: ratatui's `TestBackend` cannot print a 0-wide buffer.
            let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
            t.draw(|f| strata::tui::ui::draw(f, &s)).unwrap();
            let drawn = t
                .backend()
                .buffer()
                .content
                .iter()
                .filter(|c| !c.symbol().trim().is_empty())
                .count();
            assert_eq!(
                drawn > 0,
                w > 0 && h > 0,
                "{typed:?} at {w}x{h}: {drawn} cells"
            );
            update(&mut s, Msg::Resize(80, 24));
            let (mut fresh, _dir2) = state(80, 24);
            keys(&mut fresh, typed);
            assert_eq!(
                support::title_and_footer(&render(&s)),
                support::title_and_footer(&render(&fresh)),
                "{typed:?} back from {w}x{h}"
            );
        }
    }
}

/// Shrunk with the cursor on the last row, then grown back: the list is filled again (no
/// empty rows below while rows above are hidden), with the cursor in view.
#[test]
fn compare_list_refills_when_the_terminal_grows_back() {
    let (mut s, _dir) = state(100, 12);
    keys(&mut s, "G");
    let Screen::Compare(v) = &s.screen else {
        panic!()
    };
    let page = strata::tui::app::layout::list_rows(compare_areas(100, 12).files);
    assert!(
        v.nav.rows.len() > page,
        "the pair's differences must scroll at 100x12"
    );
    let before = render(&s);
    for (w, h) in [(100, 6), (30, 5), (100, 12)] {
        update(&mut s, Msg::Resize(w, h));
    }
    assert_eq!(render(&s), before);
    // Shrunk, the selection stays on screen.
    update(&mut s, Msg::Resize(100, 6));
    let Screen::Compare(v) = &s.screen else {
        panic!()
    };
    assert!(
        v.nav.cursor >= v.nav.offset
            && v.nav.cursor
                < v.nav.offset + strata::tui::app::layout::list_rows(compare_areas(100, 6).files)
    );
}

/// Scrolling the details popup stops at its end: one key up after many down shows the line
/// above the last page at once (found by the monkey test: 80 keys up changed nothing).
#[test]
fn compare_details_scroll_stops_at_the_end() {
    let (mut s, _dir) = state(80, 12);
    keys(&mut s, "i");
    let top = render(&s);
    keys(&mut s, "j");
    let scrolled = render(&s);
    assert_ne!(top, scrolled, "the details are longer than the popup");
    keys(&mut s, &"j".repeat(200));
    let end = render(&s);
    keys(&mut s, "j");
    assert_eq!(render(&s), end, "the end does not move");
    keys(&mut s, "k");
    assert_ne!(render(&s), end, "one key up scrolls back at once");
}
