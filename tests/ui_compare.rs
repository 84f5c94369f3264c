//! The compare screen of `strata diff A B`, drawn on a fixed `TestBackend` at 80x24 and
//! 160x48, on a generated pair with every kind of change.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use std::sync::Arc;
use strata::tui::app::compare::CompareView;
use strata::tui::app::keymap::Keymap;
use strata::tui::app::layout::compare_areas;
use strata::tui::app::theme::Theme;
use strata::tui::app::{update, Effect, Loaded, Msg, Screen, State};
use support::*;

/// The dpkg status and file list of one package `pkg` at `version`.
fn dpkg(version: &str) -> Vec<Item> {
    vec![
        Item::File(
            "var/lib/dpkg/status",
            format!(
                "Package: pkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: {version}\n\n"
            )
            .into_bytes(),
        ),
        file(
            "var/lib/dpkg/info/pkg.list",
            b"/usr/lib/pkg\n/usr/lib/pkg/core.so\n/usr/lib/pkg/util.so\n",
        ),
    ]
}

/// Two images with every kind of change: a package upgraded (its library rewritten), files
/// moved, a mode change, a directory replaced by a file, a text file edited, and a chmod of
/// three certificates (one folded row).
pub fn pair() -> (tempfile::TempDir, String, String) {
    let dir = tempdir();
    let base = || {
        vec![
            Item::Dir("usr"),
            file("usr/bin/sh", &noise(1, 5000)),
            file("etc/os-release", b"ID=test\n"),
        ]
    };
    let tool = noise(7, 4000);
    let certs = |mode: u32| {
        ["one", "two", "three"]
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let path: &'static str = Box::leak(format!("etc/ssl/{n}.pem").into_boxed_str());
                Item::FileMode(path, noise(30 + i as u64, 300), mode)
            })
            .collect::<Vec<_>>()
    };
    let mut pkg_a = vec![
        file("usr/lib/pkg/core.so", &noise(10, 20_000)),
        file("usr/lib/pkg/util.so", &noise(11, 3000)),
    ];
    pkg_a.extend(dpkg("1.0-1"));
    let mut pkg_b = vec![
        file("usr/lib/pkg/core.so", &noise(20, 26_000)),
        file("usr/lib/pkg/util.so", &noise(11, 3000)),
    ];
    pkg_b.extend(dpkg("1.1-1"));
    let mut app_a = vec![
        file("srv/app/main.py", &noise(5, 700)),
        Item::FileMode("usr/bin/tool", tool.clone(), 0o644),
        file("etc/app/a.conf", b"a"),
        file("etc/motd", b"Welcome\nto the\ntest image\n"),
    ];
    app_a.extend(certs(0o644));
    let mut app_b = vec![
        file("opt/app/main.py", &noise(5, 700)),
        Item::FileMode("usr/bin/tool", tool, 0o755),
        file("etc/app", b"one file"),
        file("etc/motd", b"Welcome!\nto the\ntest image\nversion 2\n"),
    ];
    app_b.extend(certs(0o600));
    let a = Spec::new()
        .layer("base", base())
        .layer("RUN install pkg 1.0", pkg_a)
        .layer("COPY app", app_a);
    let b = Spec::new()
        .layer("base", base())
        .layer("RUN install pkg 1.1", pkg_b)
        .layer("COPY app", app_b);
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
    let side = |session, analysis| Loaded {
        session: Arc::new(session),
        analysis: Arc::new(analysis),
    };
    let mut s = State::new("a.tar and b.tar", Keymap::new(None).0, Theme::dark(), w, h);
    update(
        &mut s,
        Msg::Compared {
            report: Box::new(doc),
            comparison: Box::new(cmp),
            sides: Some(Arc::new([side(ia, aa), side(ib, ab)])),
        },
    );
    (s, dir)
}

/// Keys typed; the effects the last one asked for.
fn keys(s: &mut State, keys: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\u{1b}' => KeyCode::Esc,
            '\t' => KeyCode::Tab,
            c => KeyCode::Char(c),
        };
        effects = update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }
    effects
}

/// Does what the compare screen asked the runtime for, as the runtime does it.
fn run(s: &mut State, effects: Vec<Effect>) {
    for e in effects {
        let Effect::ReadPair { path, a, b } = e else {
            panic!("unexpected effect {e:?}")
        };
        let Screen::Compare(v) = &s.screen else {
            panic!()
        };
        let sides = v.sides.clone().unwrap();
        let msg = strata::tui::runtime::pair_read(&sides[0], &sides[1], path, a, b);
        update(s, msg);
    }
}

fn view(s: &State) -> &CompareView {
    let Screen::Compare(v) = &s.screen else {
        panic!("not the compare screen")
    };
    v
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
fn compare_grouped_by_directory_and_flat() {
    snap("compare_by_directory", "2");
    snap("compare_flat", "3");
}

/// Enter on a package row opens it: the paths it owns that differ.
#[test]
fn compare_package_opened() {
    snap("compare_package_open", "1\n");
    let (mut s, _dir) = state(120, 40);
    keys(&mut s, "1");
    let screen = render(&s);
    assert!(screen.contains("upgraded"), "{screen}");
    assert!(screen.contains("pkg 1.0-1 → 1.1-1 (dpkg)"), "{screen}");
    keys(&mut s, "\n");
    let screen = render(&s);
    assert!(screen.contains("/usr/lib/pkg/core.so"), "{screen}");
    // A package's unchanged files are not differences.
    assert!(!screen.contains("util.so"), "{screen}");
}

/// A chmod of three files is one row saying what changed, holding the three.
#[test]
fn metadata_changes_collapse_into_one_row_per_directory() {
    let (mut s, _dir) = state(120, 40);
    keys(&mut s, "2");
    let screen = render(&s);
    assert!(screen.contains("3 entries: mode 0644 → 0600"), "{screen}");
    assert!(!screen.contains("one.pem"), "folded: {screen}");
    keys(&mut s, "/entries\n");
    keys(&mut s, " ");
    let screen = render(&s);
    for n in ["one", "two", "three"] {
        assert!(screen.contains(&format!("/etc/ssl/{n}.pem")), "{screen}");
    }
}

/// The content diff of a text file: unified, with both line numbers, read from the layers.
#[test]
fn content_diff_of_a_text_file() {
    for (w, h) in [(80, 24), (160, 48)] {
        let (mut s, _dir) = state(w, h);
        let effects = keys(&mut s, "3/motd\n\n");
        assert_eq!(
            effects,
            vec![Effect::ReadPair {
                path: "etc/motd".into(),
                a: true,
                b: true
            }]
        );
        run(&mut s, effects);
        let screen = render(&s);
        assert!(screen.contains("1   │ -Welcome"), "{screen}");
        assert!(screen.contains("  1 │ +Welcome!"), "{screen}");
        assert!(screen.contains("  4 │ +version 2"), "{screen}");
        insta::assert_snapshot!(format!("compare_text_diff_{w}x{h}"), screen);
    }
}

/// A binary file's diff: sizes, content ids, the first differing byte and the bytes around.
#[test]
fn content_diff_of_a_binary_file() {
    for (w, h) in [(80, 24), (160, 48)] {
        let (mut s, _dir) = state(w, h);
        let effects = keys(&mut s, "3/core.so\nd");
        run(&mut s, effects);
        let screen = render(&s);
        assert!(screen.contains("binary content differs"), "{screen}");
        assert!(
            screen.contains("first difference at byte 0 (0x0)"),
            "{screen}"
        );
        assert!(screen.contains("B         26 kB"), "{screen}");
        assert!(screen.contains("   blake3:"), "{screen}");
        insta::assert_snapshot!(format!("compare_binary_diff_{w}x{h}"), screen);
    }
}

/// Enter on a directory narrows the list to it; Esc widens it again.
#[test]
fn enter_on_a_directory_narrows_the_list() {
    let (mut s, _dir) = state(120, 40);
    keys(&mut s, "2");
    let all = view(&s).nav.rows.len();
    // The first row, sorted by delta, is usr/.
    keys(&mut s, "g\n");
    let screen = render(&s);
    assert!(screen.contains("in /usr (Esc: all)"), "{screen}");
    assert!(!screen.contains("motd"), "{screen}");
    assert!(view(&s).nav.rows.len() < all);
    keys(&mut s, "\u{1b}");
    assert_eq!(view(&s).nav.rows.len(), all);
    assert!(!render(&s).contains("(Esc: all)"));
}

/// `x` extracts from B; Tab in the prompt switches to A; a removed path comes from A.
#[test]
fn extract_asks_which_image() {
    let (mut s, _dir) = state(120, 40);
    keys(&mut s, "3/motd\nx");
    assert!(render(&s).contains("/etc/motd from B (Tab: from A)"));
    let effects = keys(&mut s, "\t\n");
    let Some(Effect::Extract(req)) = effects.last() else {
        panic!("{effects:?}")
    };
    assert_eq!(
        (req.image, req.path.as_str(), req.layer),
        (0, "etc/motd", 2)
    );
    let (mut s, _dir) = state(120, 40);
    keys(&mut s, "3/srv\nx");
    assert!(
        render(&s).contains("/srv/app/main.py from A"),
        "{}",
        render(&s)
    );
    // Success is a footer notice: the next key does what it says.
    update(
        &mut s,
        Msg::Extracted {
            request: req.clone(),
            result: Ok(strata::extract::Summary {
                files: 1,
                bytes: 37,
                ..Default::default()
            }),
        },
    );
    assert!(
        render(&s).contains("extracted 1 file (37 B) from A"),
        "{}",
        render(&s)
    );
    keys(&mut s, "x");
    assert!(
        matches!(
            view(&s).popup,
            Some(strata::tui::app::compare::ComparePopup::Prompt(_))
        ),
        "x opened the prompt: {}",
        render(&s)
    );
    // Nothing selected: nothing to extract.
    let (mut s, _dir) = state(120, 40);
    keys(&mut s, "3/nothing-matches\nx");
    assert!(render(&s).contains("select a file or directory to extract"));
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
    keys(&mut s, "2");
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
    // Unfolding all opens the folded group of metadata changes too.
    assert_eq!(v.nav.rows.len(), rows + 3);
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
    keys(&mut s, "2G");
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
