//! Every panel, mode and popup of the explorer on the demo image, drawn on a fixed
//! `TestBackend` at 80x24 and 160x48 and compared with committed snapshots. Keys go through
//! `app::update` exactly as the runtime sends them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;
use support::{load_image, tempdir, uncached, Item, Spec};

use std::sync::Arc;

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use strata::load::LoadEvent;
use strata::tui::app::keymap::Keymap;
use strata::tui::app::theme::Theme;
use strata::tui::app::{update, Effect, Loaded, Msg, ReadPurpose, Screen, State};

pub(crate) fn loaded(path: &str) -> Loaded {
    let session = load_image(path);
    let analysis = session.analyse();
    Loaded {
        session: Arc::new(session),
        analysis: Arc::new(analysis),
    }
}

fn state(w: u16, h: u16) -> State {
    state_of("assets/demo.tar", "assets/demo.tar", w, h)
}

/// An explorer of the image at `path`, titled `title`, loaded as the runtime loads it.
pub(crate) fn state_of(path: &str, title: &str, w: u16, h: u16) -> State {
    let mut s = State::new(title, Keymap::new(None).0, Theme::dark(), w, h);
    update(&mut s, Msg::Loaded(loaded(path)));
    s
}

/// Types `keys` (space-separated; `<enter>`, `<esc>`, `<tab>`, ... or characters) into the
/// explorer through `app::update`.
pub(crate) fn key(s: &mut State, keys: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for token in keys.split(' ').filter(|t| !t.is_empty()) {
        let code = match token {
            "<tab>" => KeyCode::Tab,
            "<enter>" => KeyCode::Enter,
            "<esc>" => KeyCode::Esc,
            "<down>" => KeyCode::Down,
            "<up>" => KeyCode::Up,
            "<left>" => KeyCode::Left,
            "<right>" => KeyCode::Right,
            "<pagedown>" => KeyCode::PageDown,
            "<pageup>" => KeyCode::PageUp,
            "<bs>" => KeyCode::Backspace,
            "<space>" => KeyCode::Char(' '),
            t => {
                for c in t.chars() {
                    effects.extend(update(
                        s,
                        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
                    ));
                }
                continue;
            }
        };
        effects.extend(update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))));
    }
    effects
}

pub(crate) fn render(s: &State) -> String {
    let mut t = Terminal::new(TestBackend::new(s.width, s.height)).unwrap();
    t.draw(|f| strata::tui::ui::draw(f, s)).unwrap();
    format!("{}", t.backend())
}

/// Renders `keys` typed on a fresh demo explorer at both sizes.
fn snap(name: &str, keys: &str) {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut s = state(w, h);
        key(&mut s, keys);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(&s));
    }
}

#[test]
fn layers_panel_first_layer() {
    snap("layers", "");
}

#[test]
fn layer_three_changes_only() {
    snap("files_layer", "j j j <tab>");
}

#[test]
fn layer_three_merged() {
    snap("files_merged", "j j j <tab> m");
}

#[test]
fn final_view_sorted_by_size() {
    snap("files_final", "<tab> m m");
}

#[test]
fn removed_entries_in_the_rm_layer() {
    snap("files_removed", "j j j j j j <tab>");
}

#[test]
fn opaque_directory_layer() {
    snap("files_opaque", "j j j j j j j j j j j <tab>");
}

#[test]
fn help_popup() {
    snap("help", "?");
}

#[test]
fn config_popup() {
    snap("config", "i");
}

#[test]
fn live_filter() {
    snap("filter", "<tab> m m / l o g o");
}

#[test]
fn glob_filter_and_size_floor() {
    snap(
        "glob_floor",
        "<tab> m m / * . b i n <enter> > 5 0 k <enter>",
    );
}

#[test]
fn extract_prompt() {
    snap("extract", "j j j <tab> G x");
}

#[test]
fn path_history_popup() {
    snap("history", "j j j <tab> G h");
}

#[test]
fn waste_jump_and_hidden_statuses() {
    snap("waste", "w w U");
}

#[test]
fn collapse_all_then_sort() {
    snap("collapsed", "<tab> m c s");
}

#[test]
fn loading_screen() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut s = State::new("assets/demo.tar", Keymap::new(None).0, Theme::dark(), w, h);
        update(
            &mut s,
            Msg::Load(LoadEvent::Opened {
                layer_bytes: vec![1_000_000, 2_000_000, 500_000, 500_000],
            }),
        );
        update(&mut s, Msg::Load(LoadEvent::LayerStarted { index: 0 }));
        update(
            &mut s,
            Msg::Load(LoadEvent::LayerProgress {
                index: 0,
                read: 1_000_000,
                total: 1_000_000,
            }),
        );
        update(
            &mut s,
            Msg::Load(LoadEvent::LayerFinished {
                index: 0,
                entries: 10,
            }),
        );
        update(
            &mut s,
            Msg::Load(LoadEvent::LayerProgress {
                index: 1,
                read: 500_000,
                total: 2_000_000,
            }),
        );
        update(&mut s, Msg::Tick { elapsed_ms: 1500 });
        let text = render(&s);
        assert!(text.contains("37.5 %"), "{text}");
        assert!(text.contains("0 B / 500 kB"), "{text}");
        assert!(text.contains("about 3 s left"), "{text}");
        insta::assert_snapshot!(format!("loading_{w}x{h}"), text);
        // q quits at once while loading.
        key(&mut s, "q");
        assert!(s.quit);
    }
}

#[test]
fn failed_screen() {
    let mut s = State::new("x.tar", Keymap::new(None).0, Theme::dark(), 80, 24);
    update(
        &mut s,
        Msg::LoadFailed("x.tar: not a container image: no manifest.json".into()),
    );
    insta::assert_snapshot!("failed_80x24", render(&s));
}

#[test]
fn viewer_and_diff_ask_the_runtime_and_show_what_comes_back() {
    let mut s = state(80, 24);
    // Layer 13 overwrote /opt/app/data/model.bin.
    let effects = key(&mut s, "] ] ] ] ] ] ] ] ] ] ] ] ] <tab> G <enter>");
    let Some(Effect::ReadFile {
        layer,
        path,
        purpose,
    }) = effects.last().cloned()
    else {
        panic!("expected a read, got {effects:?}");
    };
    assert_eq!(
        (layer, path.as_str(), &purpose),
        (13, "opt/app/data/model.bin", &ReadPurpose::View)
    );
    let content = strata::extract::FileContent {
        bytes: b"line one\nline \x1b[31mtwo\n".to_vec(),
        total: 24,
        truncated: false,
    };
    update(
        &mut s,
        Msg::FileRead {
            layer,
            path: path.clone(),
            purpose,
            result: Ok(content),
        },
    );
    let text = render(&s);
    assert!(text.contains("1 │ line one"), "{text}");
    assert!(
        text.contains("\\u{1b}[31mtwo"),
        "escape shown escaped: {text}"
    );
    assert!(!text.contains('\u{1b}'));
    key(&mut s, "<esc>");
    let effects = key(&mut s, "d");
    assert!(
        matches!(
            effects.last(),
            Some(Effect::ReadFile {
                layer: 12,
                purpose: ReadPurpose::DiffOld { new_layer: 13 },
                ..
            })
        ),
        "{effects:?}"
    );
}

/// Reads finish in any order: the content of a file whose viewer was closed never shows in
/// the viewer of the next file (found by the monkey test).
#[test]
fn a_late_read_of_another_file_does_not_fill_the_viewer() {
    let mut s = state(80, 24);
    let read = |effects: Vec<Effect>| match effects.last().cloned() {
        Some(Effect::ReadFile {
            layer,
            path,
            purpose,
        }) => (layer, path, purpose),
        other => panic!("expected a read, got {other:?}"),
    };
    let deliver =
        |s: &mut State, (layer, path, purpose): (usize, String, ReadPurpose), text: &[u8]| {
            update(
                s,
                Msg::FileRead {
                    layer,
                    path,
                    purpose,
                    result: Ok(strata::extract::FileContent {
                        bytes: text.to_vec(),
                        total: text.len() as u64,
                        truncated: false,
                    }),
                },
            );
        };
    let first = read(key(&mut s, "] ] ] ] ] ] ] ] ] ] ] ] ] <tab> G <enter>"));
    key(&mut s, "<esc>");
    // The last file of layer 12's changes.
    let second = read(key(&mut s, "<tab> [ <tab> G <enter>"));
    assert_ne!((first.0, &first.1), (second.0, &second.1), "another read");
    deliver(&mut s, first.clone(), b"FIRST FILE\n");
    let text = render(&s);
    assert!(!text.contains("FIRST FILE"), "{text}");
    assert!(text.contains("reading…"), "{text}");
    deliver(&mut s, second, b"SECOND FILE\n");
    assert!(render(&s).contains("SECOND FILE"));
    // A diff's halves are matched too: a view read of the same file never lands in a diff.
    key(&mut s, "<esc>");
    let diff = read(key(&mut s, "<tab> ] <tab> G d"));
    assert!(matches!(diff.2, ReadPurpose::DiffOld { .. }), "{diff:?}");
    assert_eq!(diff.1, first.1);
    deliver(&mut s, first, b"FIRST FILE\n");
    let text = render(&s);
    assert!(!text.contains("FIRST FILE"), "{text}");
    assert!(text.contains("reading…"), "{text}");
}

#[test]
fn names_with_escape_sequences_and_newlines_show_escaped() {
    let dir = support::tempdir();
    let archive = dir.path().join("evil.tar");
    support::Spec::new()
        .layer(
            "evil\u{1b}[2J names",
            vec![support::Item::Raw(
                "tmp/evil\u{1b}[31mred\nline".into(),
                tar::EntryType::Regular,
                b"x".to_vec(),
            )],
        )
        .docker_archive(&archive);
    let mut s = State::new("evil", Keymap::new(None).0, Theme::dark(), 100, 30);
    update(&mut s, Msg::Loaded(loaded(archive.to_str().unwrap())));
    key(&mut s, "<tab>");
    let text = render(&s);
    assert!(!text.contains('\u{1b}'), "raw ESC reached the screen");
    assert!(text.contains("evil\\u{1b}[31mred\\nline"), "{text}");
    assert!(text.contains("evil\\u{1b}[2J names"), "{text}");
    // The text report escapes the same way.
    let (code, out, _) = support::strata(&["report", archive.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(!out.contains('\u{1b}'));
    assert!(out.contains("evil\\u{1b}[2J names"), "{out}");
}

/// The analysis, the explorer's tree, its filter and folds walk a path's ancestors
/// recursively: a path as deep as `--max-path-depth` allows must open and browse on a 2 MiB
/// stack (a test thread's, like the loader thread's).
#[test]
fn the_deepest_path_the_limits_allow_opens_filters_and_folds() {
    let depth = strata::model::limits::MAX_PATH_DEPTH as usize;
    let deep = vec!["d"; depth - 1].join("/") + "/f";
    let spec = Spec::new()
        .layer(
            "ADD deep",
            vec![Item::Raw(
                deep.clone(),
                tar::EntryType::Regular,
                b"x".to_vec(),
            )],
        )
        .layer(
            "RUN touch",
            vec![Item::Raw(deep, tar::EntryType::Regular, b"xy".to_vec())],
        );
    let dir = tempdir();
    let archive = dir.path().join("deep.tar");
    spec.docker_archive(&archive);
    let mut opts = uncached();
    opts.limits.path_depth = strata::model::limits::MAX_PATH_DEPTH;
    opts.limits.path_length = 3 * depth as u64;
    let session = strata::load(archive.to_str().unwrap(), &opts, &|_| {}).unwrap();
    let analysis = session.analyse();
    assert_eq!(analysis.dive.inefficient_files.len(), 1);
    let mut s = State::new("deep.tar", Keymap::new(None).0, Theme::dark(), 100, 30);
    update(
        &mut s,
        Msg::Loaded(Loaded {
            session: Arc::new(session),
            analysis: Arc::new(analysis),
        }),
    );
    key(&mut s, "<tab> 3 G");
    let Screen::Explorer(ex) = &s.screen else {
        panic!("the deep image did not open")
    };
    assert_eq!(ex.selected_path_str().split('/').count(), depth);
    key(&mut s, "/f<enter>");
    render(&s);
    key(&mut s, "<space> 2 1");
    render(&s);
}

#[test]
fn keys_move_and_quit() {
    let mut s = state(80, 24);
    key(&mut s, "j j");
    let Screen::Explorer(ex) = &s.screen else {
        panic!()
    };
    assert_eq!(ex.layer, 2);
    key(&mut s, "<tab> m");
    let Screen::Explorer(ex) = &s.screen else {
        panic!()
    };
    assert_eq!(ex.mode, strata::tui::app::filetree::FileMode::Merged);
    assert!(!s.quit);
    key(&mut s, "q");
    assert!(s.quit);
}

#[test]
fn mouse_click_selects_and_wheel_scrolls() {
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut s = state(120, 40);
    let Screen::Explorer(ex) = &s.screen else {
        panic!()
    };
    let a = ex.areas();
    let at = |kind, column, row| {
        Msg::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // Click the row of layer 5 in the Layers panel (rows start below the border and header).
    update(
        &mut s,
        at(
            MouseEventKind::Down(MouseButton::Left),
            a.layers.x + 3,
            a.layers.y + 2 + 5,
        ),
    );
    let Screen::Explorer(ex) = &s.screen else {
        panic!()
    };
    assert_eq!(ex.layer, 5);
    // The wheel over the Files panel moves its cursor and focuses it.
    key(&mut s, "m");
    let Screen::Explorer(ex) = &s.screen else {
        panic!()
    };
    let before = ex.nav.cursor;
    update(
        &mut s,
        at(MouseEventKind::ScrollDown, a.files.x + 5, a.files.y + 5),
    );
    let Screen::Explorer(ex) = &s.screen else {
        panic!()
    };
    assert_eq!(ex.focus, strata::tui::app::explorer::Panel::Files);
    assert_eq!(ex.nav.cursor, before + 3);
    // A click on a file row selects it.
    update(
        &mut s,
        at(
            MouseEventKind::Down(MouseButton::Left),
            a.files.x + 5,
            a.files.y + 2 + 1,
        ),
    );
    let Screen::Explorer(ex) = &s.screen else {
        panic!()
    };
    assert_eq!(ex.nav.cursor, ex.nav.offset + 1);
    // Clicks on a panel's borders select nothing (the bottom border is below the last row
    // shown: selecting it scrolled the list).
    let (cursor, offset, layer) = (ex.nav.cursor, ex.nav.offset, ex.layer);
    for (panel, column, row) in [
        (a.files, a.files.x + 5, a.files.y + a.files.height - 1),
        (a.files, a.files.x, a.files.y + 4),
        (a.files, a.files.x + a.files.width - 1, a.files.y + 4),
        (a.layers, a.layers.x + 3, a.layers.y + a.layers.height - 1),
        (a.layers, a.layers.x, a.layers.y + 3),
    ] {
        update(
            &mut s,
            at(MouseEventKind::Down(MouseButton::Left), column, row),
        );
        let Screen::Explorer(ex) = &s.screen else {
            panic!()
        };
        assert_eq!(
            (ex.nav.cursor, ex.nav.offset, ex.layer),
            (cursor, offset, layer),
            "click at {column},{row} on {panel:?}"
        );
    }
}

#[test]
fn no_color_and_themes() {
    use ratatui::style::Color;
    use strata::tui::app::theme::Colours;
    let colours = |no_color, term, colorterm| Colours::from_env(no_color, term, colorterm);
    let none = colours(true, Some("xterm-256color"), Some("truecolor"));
    assert_eq!(none, Colours::None, "NO_COLOR wins");
    assert_eq!(Theme::by_name(Some("light"), none), Some(Theme::mono()));
    assert_eq!(Theme::by_name(None, none), Some(Theme::mono()));
    for term in ["dumb", "vt100", "vt220"] {
        assert_eq!(colours(false, Some(term), None), Colours::None, "{term}");
    }
    // The light theme's dark yellow, in what the terminal has.
    for (term, colorterm, want) in [
        ("xterm-256color", Some("truecolor"), Color::Rgb(150, 100, 0)),
        ("xterm-direct", None, Color::Rgb(150, 100, 0)),
        ("tmux-256color", None, Color::Indexed(136)),
        ("xterm", None, Color::Yellow),
        ("linux", None, Color::Yellow),
        ("vt220-color", None, Color::Yellow),
    ] {
        let theme = Theme::by_name(Some("light"), colours(false, Some(term), colorterm));
        assert_eq!(theme.map(|t| t.modified.fg), Some(Some(want)), "{term}");
    }
    let c16 = colours(false, Some("xterm"), None);
    assert_eq!(Theme::by_name(None, c16).map(|t| t.name), Some("dark"));
    assert_eq!(Theme::by_name(Some("nope"), c16), None);
    // The other themes stay within the 16 ANSI colours, which every colour terminal has.
    for theme in [Theme::dark(), Theme::light(c16), Theme::mono()] {
        let styles = [
            theme.added,
            theme.modified,
            theme.metadata,
            theme.removed,
            theme.unchanged,
            theme.dim,
            theme.title,
            theme.focus_border,
            theme.border,
            theme.selected,
            theme.selected_unfocused,
            theme.key,
            theme.warn,
        ];
        for style in styles.iter().chain(&theme.bar) {
            for c in [style.fg, style.bg].into_iter().flatten() {
                assert!(
                    !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                    "{}: {c:?}",
                    theme.name
                );
            }
        }
    }
    // Mono keeps every status distinguishable without colour.
    let m = Theme::mono();
    let styles = [m.added, m.modified, m.metadata, m.removed, m.unchanged];
    for (i, a) in styles.iter().enumerate() {
        assert!(a.fg.is_none());
        for b in &styles[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

#[test]
fn hints_panel() {
    snap("hints", "a");
    snap("hints_second", "a <down>");
}

/// The base image's hints come after the image's own, under a heading of their own.
#[test]
fn hints_of_the_base_image_are_listed_under_their_own_heading() {
    let dir = tempdir();
    let path = dir.path().join("image.tar");
    Spec::new()
        .layer(
            "/bin/sh -c #(nop) ADD file:f487632a30525707 in / ",
            vec![Item::FileMode(
                "usr/bin/passwd",
                support::noise(1, 60_000),
                0o4755,
            )],
        )
        .empty_step("/bin/sh -c #(nop)  CMD [\"bash\"]")
        .layer(
            "/bin/sh -c make",
            vec![support::file("tmp/build.o", &support::noise(2, 50_000))],
        )
        .layer(
            "/bin/sh -c rm /tmp/build.o",
            vec![Item::Whiteout("tmp/build.o")],
        )
        .docker_archive(&path);
    let path = path.to_str().unwrap();
    let mut s = state_of(path, path, 120, 40);
    key(&mut s, "a");
    let screen = render(&s);
    let line = |needle: &str| {
        screen
            .lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} on the screen:\n{screen}"))
    };
    let heading = line("From the base image");
    assert!(line("deleted-later") < heading, "{screen}");
    assert!(line("setuid") > heading, "{screen}");
}

#[test]
fn selecting_a_hint_jumps_to_its_layer_and_path() {
    let mut s = state(120, 40);
    let Screen::Explorer(ex) = &s.screen else {
        panic!()
    };
    let hints = ex.analysis.hints.clone();
    assert!(
        !hints.is_empty(),
        "the demo image shows every kind of waste; it must have hints"
    );
    // Pick the first hint that names a layer and a path.
    let (i, hint) = hints
        .iter()
        .enumerate()
        .find(|(_, h)| h.layer.is_some() && !h.paths.is_empty())
        .unwrap();
    key(&mut s, "a");
    for _ in 0..i {
        key(&mut s, "<down>");
    }
    key(&mut s, "<enter>");
    let Screen::Explorer(ex) = &s.screen else {
        panic!()
    };
    assert!(ex.popup.is_none());
    assert_eq!(Some(ex.layer), hint.layer);
    assert_eq!(ex.selected_path_str(), hint.paths[0]);
    assert!(render(&s).contains(hint.id), "the footer names the hint");
}

/// Terminal sizes down to nothing: a user can shrink the window to any size, and every
/// screen and popup must draw without a panic (an underflow in a width computation is one).
const ANY_SIZES: [(u16, u16); 12] = [
    (0, 0),
    (0, 7),
    (9, 0),
    (1, 1),
    (3, 2),
    (8, 3),
    (15, 4),
    (24, 6),
    (33, 9),
    (47, 11),
    (61, 17),
    (79, 23),
];

/// Draws a frame (without printing it: ratatui's `TestBackend` cannot print a 0-wide buffer)
/// and returns how many cells it filled.
fn cells_drawn(s: &State) -> usize {
    let mut t = Terminal::new(TestBackend::new(s.width, s.height)).unwrap();
    t.draw(|f| strata::tui::ui::draw(f, s)).unwrap();
    t.backend()
        .buffer()
        .content
        .iter()
        .filter(|c| !c.symbol().trim().is_empty())
        .count()
}

#[test]
fn every_screen_draws_at_any_terminal_size() {
    let screens = [
        "",
        "j j j <tab>",
        "<tab> m m",
        "?",
        "i",
        "a",
        "<tab> m m / l o g o",
        "<tab> m m / * . b i n <enter> > 5 0 k <enter>",
        "j j j <tab> G x",
        "j j j <tab> G h",
        "w w U",
        "<tab> m c s",
    ];
    for keys in screens {
        for (w, h) in ANY_SIZES {
            let mut s = state(w, h);
            key(&mut s, keys);
            // Something is drawn on any screen that has a cell to draw on.
            let drawn = cells_drawn(&s);
            assert_eq!(
                drawn > 0,
                w > 0 && h > 0,
                "{keys:?} at {w}x{h}: {drawn} cells"
            );
            // Shrunk and grown back: the same panels, layer, mode and footer as a screen
            // drawn at that size from the start (scroll offsets may differ).
            update(&mut s, Msg::Resize(80, 24));
            let mut fresh = state(80, 24);
            key(&mut fresh, keys);
            assert_eq!(
                support::title_and_footer(&render(&s)),
                support::title_and_footer(&render(&fresh)),
                "{keys:?} back from {w}x{h}"
            );
        }
    }
    let mut loading = State::new("img", Keymap::new(None).0, Theme::dark(), 80, 24);
    update(
        &mut loading,
        Msg::Load(LoadEvent::Opened {
            layer_bytes: vec![1 << 20, 2 << 20],
        }),
    );
    let mut failed = State::new("img", Keymap::new(None).0, Theme::dark(), 80, 24);
    update(
        &mut failed,
        Msg::LoadFailed("no such image: a very long reason ".repeat(5)),
    );
    for s in [&mut loading, &mut failed] {
        for (w, h) in ANY_SIZES {
            update(s, Msg::Resize(w, h));
            let drawn = cells_drawn(s);
            assert_eq!(drawn > 0, w > 0 && h > 0, "at {w}x{h}: {drawn} cells");
        }
    }
}

/// The last line of a rendered screen: the footer.
fn footer(s: &State) -> String {
    support::title_and_footer(&render(s)).1
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

#[test]
fn a_notice_goes_at_the_next_key_that_is_not_another_step_of_its_jump() {
    let mut s = state(160, 48);
    key(&mut s, "w");
    assert!(footer(&s).contains("waste 1/"), "{}", footer(&s));
    key(&mut s, "w");
    assert!(footer(&s).contains("waste 2/"), "{}", footer(&s));
    // Any other key: the footer's indicators come back, and stay.
    key(&mut s, "m");
    let f = footer(&s);
    assert!(!f.contains("waste 2/") && f.contains("mode:"), "{f}");
    key(&mut s, "s / b i n <enter> A");
    let f = footer(&s);
    assert!(
        f.contains("[filter \"bin\" · hiding added]") && f.contains("sort:"),
        "{f}"
    );
    // The same for the note a hint's jump leaves.
    let mut s = state(160, 48);
    key(&mut s, "a <enter>");
    let Screen::Explorer(ex) = &s.screen else {
        panic!()
    };
    let id = ex.analysis.hints[0].id.to_string();
    assert!(footer(&s).contains(id.as_str()), "{}", footer(&s));
    key(&mut s, "m");
    let f = footer(&s);
    assert!(!f.contains(id.as_str()) && f.contains("mode:"), "{f}");
}

/// Rows the Layers and Files panels hide above, and rows left empty below, at `w`x`h`.
fn scroll_state(s: &State) -> [(usize, usize, usize); 2] {
    let Screen::Explorer(ex) = &s.screen else {
        panic!()
    };
    let a = ex.areas();
    let panel = |offset: usize, len: usize, shown: usize, selected: usize| {
        assert!(
            (offset..offset + shown).contains(&selected),
            "selection {selected} off screen (rows {offset}..+{shown})"
        );
        (offset, (offset + shown).saturating_sub(len), shown)
    };
    [
        panel(
            ex.layers_offset,
            ex.layer_rows.len(),
            strata::tui::app::layout::list_rows(a.layers),
            ex.layer_row_index(),
        ),
        panel(
            ex.nav.offset,
            ex.nav.rows.len(),
            strata::tui::app::layout::list_rows(a.files),
            ex.nav.cursor,
        ),
    ]
}

#[test]
fn grown_back_after_a_shrink_the_lists_are_filled_and_the_selection_shown() {
    // The demo has more layer rows than the Layers panel shows at 120x35, and more files in
    // its final view than the Files panel shows.
    for keys in ["G", "<tab> m m G", "<tab> m m G k k k k k k k k k k k k"] {
        let mut s = state(120, 35);
        key(&mut s, keys);
        let before = scroll_state(&s);
        for (w, h) in [(40, 10), (120, 12), (120, 35)] {
            update(&mut s, Msg::Resize(w, h));
            for (panel, (hidden_above, empty_below, shown)) in scroll_state(&s).iter().enumerate() {
                assert!(
                    *hidden_above == 0 || *empty_below == 0,
                    "{keys:?} at {w}x{h}, panel {panel}: {hidden_above} rows hidden above \
                     and {empty_below} of {shown} empty below"
                );
            }
        }
        let after = scroll_state(&s);
        // The Layers panel: the selected last layer still shown, the list filled.
        assert_eq!(after[0].1, 0, "{keys:?}");
        assert!(before[0].0 <= after[0].0, "{keys:?}");
        // The Files panel was full before: the same rows again.
        assert_eq!(after[1], before[1], "{keys:?}");
    }
}

#[test]
fn ctrl_c_quits_whatever_the_keymap_and_wherever_the_focus() {
    let user: toml::Table = toml::from_str("quit = [\"Q\"]\nup = [\"ctrl-c\", \"k\"]").unwrap();
    let (km, warnings) = Keymap::new(Some(&user));
    assert!(warnings.is_empty(), "{warnings:?}");
    for keys in ["", "<tab>", "/ b i", "?", "a", "j j j <tab> G x"] {
        let mut s = State::new("assets/demo.tar", km.clone(), Theme::dark(), 80, 24);
        update(&mut s, Msg::Loaded(loaded("assets/demo.tar")));
        key(&mut s, keys);
        assert!(!s.quit);
        update(&mut s, ctrl('c'));
        assert!(s.quit, "{keys:?}: Ctrl-C did not quit");
    }
    // While loading and on the failure screen too.
    let mut s = State::new("x", km.clone(), Theme::dark(), 80, 24);
    update(&mut s, ctrl('c'));
    assert!(s.quit);
    let mut s = State::new("x", km, Theme::dark(), 80, 24);
    update(&mut s, Msg::LoadFailed("x: broken".into()));
    update(&mut s, ctrl('c'));
    assert!(s.quit);
}

#[test]
fn the_overwrite_dialog_says_what_enter_does_and_enter_cancels() {
    use strata::tui::app::popups::Popup;
    use strata::tui::app::{ExtractFailure, ExtractRequest};
    let request = ExtractRequest {
        layer: 3,
        path: "opt".into(),
        dir: "out".into(),
        overwrite: false,
        image: 0,
    };
    let exists = || Msg::Extracted {
        request: request.clone(),
        result: Err(ExtractFailure {
            exists: true,
            message: "out/opt/a exists".into(),
        }),
    };
    let mut s = state(80, 24);
    update(&mut s, exists());
    let screen = render(&s);
    assert!(screen.contains("y overwrite, Enter/Esc cancel"), "{screen}");
    assert!(!screen.contains("Enter ok"), "{screen}");
    // Enter and Esc cancel; only y overwrites.
    for cancel in ["<enter>", "<esc>", "n"] {
        update(&mut s, exists());
        assert!(key(&mut s, cancel).is_empty(), "{cancel} overwrote");
        let Screen::Explorer(ex) = &s.screen else {
            panic!()
        };
        assert_eq!(ex.popup, None::<Popup>);
    }
    update(&mut s, exists());
    assert_eq!(
        key(&mut s, "y"),
        vec![Effect::Extract(ExtractRequest {
            overwrite: true,
            ..request.clone()
        })]
    );
}

/// After End (or scrolling past the end) of a popup, one key up moves one line at once.
#[test]
fn a_popup_scrolled_to_its_end_scrolls_back_at_once() {
    let mut s = state(80, 24);
    key(&mut s, "i");
    let top = render(&s);
    key(&mut s, "G");
    let end = render(&s);
    assert_ne!(top, end, "the config popup is longer than the screen");
    key(&mut s, "j j j j j");
    assert_eq!(render(&s), end, "nothing past the end");
    key(&mut s, "k");
    let up = render(&s);
    assert_ne!(up, end, "one key up after the end moves");
    key(&mut s, "j");
    assert_eq!(render(&s), end);
    key(&mut s, "g");
    assert_eq!(render(&s), top);
}

/// A file its layer deleted (with its directory) and wrote again is "added" in that layer, in
/// the path history as in the layer's changes (it said "re-listed").
#[test]
fn history_calls_a_file_written_again_after_its_directory_was_wiped_added() {
    let mut s = state(160, 45);
    key(&mut s, "j j j j j j j j j j j <tab> /index.html <enter> h");
    let screen = render(&s);
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains(" file ") && (l.contains("   10 ") || l.contains("   11 ")))
        .collect();
    assert_eq!(rows.len(), 2, "{screen}");
    assert!(rows.iter().all(|r| r.contains("added")), "{screen}");
    assert!(!screen.contains("re-listed"), "{screen}");
}

/// `w` clears the filters so that its target shows, and says so (they went silently).
#[test]
fn a_jump_that_clears_the_filters_says_so() {
    let mut s = state(160, 45);
    key(&mut s, "<tab> U");
    assert!(render(&s).contains("hiding unchanged"));
    key(&mut s, "w");
    let screen = render(&s);
    let footer = screen.lines().last().unwrap();
    assert!(
        footer.contains("filters cleared to show it · waste 1/"),
        "{footer}"
    );
    // Without filters, nothing to say.
    let mut s = state(160, 45);
    key(&mut s, "w");
    assert!(!render(&s).contains("filters cleared"));
}

/// Without colours, the cursor of the unfocused Files panel looks unlike a modified row
/// (both were underlined).
#[test]
fn without_colours_the_unfocused_cursor_is_not_a_modified_row() {
    let mut s = State::new(
        "assets/demo.tar",
        Keymap::new(None).0,
        Theme::mono(),
        160,
        45,
    );
    update(&mut s, Msg::Loaded(loaded("assets/demo.tar")));
    // Layer 13 rewrites /opt/app/data/model.bin; the cursor rests on the row above it.
    key(&mut s, "j j j j j j j j j j j j j <tab>");
    key(&mut s, "/model.bin <enter> k <tab>");
    let mut t = Terminal::new(TestBackend::new(160, 45)).unwrap();
    t.draw(|f| strata::tui::ui::draw(f, &s)).unwrap();
    let buf = t.backend().buffer().clone();
    let style_of = |needle: &str| {
        (0..45u16)
            .find_map(|y| {
                let line: String = (0..160u16)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect();
                let x = line.find(needle)?;
                let col = line[..x].chars().count() as u16;
                Some(buf[(col, y)].modifier)
            })
            .unwrap_or_else(|| panic!("{needle} not on screen"))
    };
    let modified = style_of("model.bin");
    let cursor = style_of("data/");
    assert_ne!(modified, cursor, "modified {modified:?}, cursor {cursor:?}");
}

/// A dive user's regex filters the Files panel (`\.png$`: only the PNGs).
#[test]
fn a_regex_filter_as_dive_takes_it() {
    let mut s = state(160, 45);
    key(&mut s, "m m <tab> /\\.png$ <enter>");
    let screen = render(&s);
    // The Files panel: what follows the first heavy border of each line.
    let files: String = screen
        .lines()
        .filter_map(|l| l.split_once('┃').map(|(_, r)| r.to_string()))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(files.matches("logo.png").count(), 3, "{screen}");
    for other in [".bin", ".gz", ".html", ".jpg", ".o ", "busybox"] {
        assert!(!files.contains(other), "{other}: {screen}");
    }
}

/// The whole path of the selection is on the Files panel's bottom border, its start cut with
/// `…` when it does not fit.
#[test]
fn the_selected_path_is_shown_whole() {
    let mut s = state(160, 45);
    key(&mut s, "m m <tab> /dataset.bin <enter>");
    let screen = render(&s);
    let bottom = screen.lines().rfind(|l| l.contains('┛')).unwrap();
    assert!(bottom.contains(" /opt/app/data/dataset.bin ┛"), "{bottom}");
    // The narrowest explorer (60 columns): the path's end stays when it is cut.
    let mut s = state(60, 24);
    key(&mut s, "m m <tab> /app/data/dataset.bin <enter>");
    let screen = render(&s);
    let bottom = screen.lines().rfind(|l| l.contains('┛')).unwrap();
    assert!(bottom.contains("set.bin ┛"), "{bottom}");
}

/// The hints and history popups take End/Home and pages too (only up and down did).
#[test]
fn popup_lists_take_home_end_and_pages() {
    use strata::tui::app::popups::Popup;
    let mut s = state(160, 45);
    let cursor = |s: &State| match &s.screen {
        Screen::Explorer(ex) => match &ex.popup {
            Some(Popup::Hints(list)) => list.cursor,
            other => panic!("{other:?}"),
        },
        _ => panic!("no explorer"),
    };
    key(&mut s, "a");
    let hints = match &s.screen {
        Screen::Explorer(ex) => ex.analysis.hints.len(),
        _ => 0,
    };
    assert!(hints > 2, "{hints}");
    key(&mut s, "G");
    assert_eq!(cursor(&s), hints - 1);
    key(&mut s, "g");
    assert_eq!(cursor(&s), 0);
    key(&mut s, "j");
    assert_eq!(cursor(&s), 1);
}

/// `d` on a chmod copy-up names what changed, and the layer that wrote the older version.
#[test]
fn diff_of_a_copy_up_names_the_metadata_change() {
    let mut s = state(160, 45);
    // Layer 4: `RUN chmod 0600 /opt/app/data/dataset.bin` over the file layer 3 wrote.
    key(&mut s, "j j j j <tab> /dataset.bin <enter> d");
    let screen = render(&s);
    let title = screen
        .lines()
        .find(|l| l.contains("diff /opt/app/data/dataset.bin"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(
        title.contains(": layer 3 -> 4 (mode 0644 -> 0600"),
        "{title}"
    );
}

#[test]
fn the_dive_preset_drives_the_explorer_like_dive() {
    use strata::tui::app::filetree::{FileMode, Status};
    let user: toml::Table = toml::from_str("preset = \"dive\"").unwrap();
    let (km, warnings) = Keymap::new(Some(&user));
    assert!(warnings.is_empty(), "{warnings:?}");
    let mut s = State::new("assets/demo.tar", km, Theme::dark(), 160, 48);
    update(&mut s, Msg::Loaded(loaded("assets/demo.tar")));
    let ex = |s: &State| match &s.screen {
        Screen::Explorer(ex) => (
            ex.mode,
            ex.nav.filter.hidden[Status::Added.index()],
            ex.nav.folds.all_folded(),
            ex.nav.editing_filter,
        ),
        _ => panic!("not the explorer"),
    };
    assert_eq!(ex(&s), (FileMode::Layer, false, false, false));
    // Ctrl-A in the layers panel: the aggregated view; in the files panel: hide added.
    update(&mut s, ctrl('a'));
    assert_eq!(ex(&s), (FileMode::Merged, false, false, false));
    key(&mut s, "<tab>");
    update(&mut s, ctrl('a'));
    assert_eq!(ex(&s), (FileMode::Merged, true, false, false));
    assert!(footer(&s).contains("hiding added"), "{}", footer(&s));
    update(&mut s, ctrl('a'));
    // Ctrl-L is the layer's own changes from either panel; Ctrl-Space folds and unfolds all.
    update(&mut s, ctrl('l'));
    update(&mut s, ctrl(' '));
    assert_eq!(ex(&s), (FileMode::Layer, false, true, false));
    update(&mut s, ctrl(' '));
    assert_eq!(ex(&s), (FileMode::Layer, false, false, false));
    // Ctrl-F opens the filter, as `/` does by default.
    update(&mut s, ctrl('f'));
    assert_eq!(ex(&s), (FileMode::Layer, false, false, true));
    key(&mut s, "etc <enter>");
    let Screen::Explorer(e) = &s.screen else {
        panic!()
    };
    assert_eq!(e.nav.filter.text, "etc");
    // The help popup lists the preset's keys.
    key(&mut s, "?");
    let help = render(&s);
    assert!(help.contains("^a"), "{help}");
}

#[test]
fn config_mode_picks_the_files_panel_mode_an_image_opens_in() {
    use strata::tui::app::filetree::FileMode;
    use strata::tui::config::{ui_config, Settings};
    let settings = |text: &str| Settings {
        mode: toml::from_str::<toml::Table>(text)
            .unwrap()
            .get("mode")
            .cloned(),
        ..Settings::default()
    };
    assert_eq!(
        ui_config(&Settings::default()).unwrap().mode,
        FileMode::Layer
    );
    for (text, want) in [
        ("mode = \"merged\"", FileMode::Merged),
        ("mode = \"final\"", FileMode::Final),
    ] {
        let ui = ui_config(&settings(text)).unwrap();
        assert_eq!(ui.mode, want);
        let mut s = State::new("assets/demo.tar", ui.keymap, ui.theme, 160, 48);
        s.start_mode = ui.mode;
        update(&mut s, Msg::Loaded(loaded("assets/demo.tar")));
        let Screen::Explorer(ex) = &s.screen else {
            panic!()
        };
        assert_eq!(ex.mode, want);
        assert!(render(&s).contains(want.title()), "{text}");
    }
    for text in ["mode = \"aggregated\"", "mode = 2"] {
        let err = ui_config(&settings(text)).unwrap_err().to_string();
        assert!(
            err.starts_with("config: unknown mode ")
                && err.ends_with("(\"layer\", \"merged\", \"final\")"),
            "{err}"
        );
    }
}
