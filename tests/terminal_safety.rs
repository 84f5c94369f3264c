//! No byte of an image reaches the terminal unescaped: file names, link targets, history
//! commands, the user, env, labels, working dir and command of the config, in every panel and
//! popup of the explorer, in the text report, in `ci` and `diff` output, and in errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::sync::Arc;

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use strata::tui::app::keymap::Keymap;
use strata::tui::app::theme::Theme;
use strata::tui::app::{update, Loaded, Msg, State};
use support::{file, Item, Spec};

/// Clear screen, set the window title, ring the bell, an 8-bit CSI, a carriage return and a
/// right-to-left override: each would change what the user sees if printed raw.
const EVIL: &str = "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}31m\r\u{202e}x";

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn evil_image(dir: &std::path::Path) -> String {
    let path = dir.join("evil.tar");
    Spec::new()
        .layer(
            leak(format!("RUN touch {EVIL}")),
            vec![
                file(leak(format!("srv/name{EVIL}")), b"one"),
                file("srv/dup-a", b"same bytes"),
                Item::Symlink(
                    leak(format!("srv/link{EVIL}")),
                    leak(format!("/target{EVIL}")),
                ),
            ],
        )
        .layer(
            leak(format!("COPY {EVIL} /srv/")),
            vec![file(leak(format!("srv/name{EVIL}")), b"two, bigger")],
        )
        .runtime_config(serde_json::json!({
            "User": EVIL,
            "Env": [format!("EVIL={EVIL}")],
            "Cmd": ["sh", "-c", EVIL],
            "Entrypoint": [EVIL],
            "WorkingDir": format!("/srv/{EVIL}"),
            "Labels": {format!("label{EVIL}"): EVIL},
            "ExposedPorts": {format!("80{EVIL}/tcp"): {}},
        }))
        .docker_archive(&path);
    path.to_str().unwrap().to_string()
}

/// The first character a terminal would act on rather than print, with its position.
fn control(text: &str) -> Option<(usize, char)> {
    text.char_indices().find(|(_, c)| {
        (c.is_control() && *c != '\n')
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

fn assert_clean(what: &str, text: &str) {
    if let Some((at, c)) = control(text) {
        let around = &text[at.saturating_sub(60)..(at + 20).min(text.len())];
        panic!("{what}: raw {c:?} at byte {at}: ...{around:?}...");
    }
}

#[test]
fn every_panel_and_popup_of_the_explorer_escapes_image_bytes() {
    let dir = support::tempdir();
    let archive = evil_image(dir.path());
    let session = support::load_image(&archive);
    let analysis = session.analyse();
    let loaded = Loaded {
        session: Arc::new(session),
        analysis: Arc::new(analysis),
    };
    let keys: &[(&str, &[KeyCode])] = &[
        ("layers", &[]),
        ("second layer", &[KeyCode::Char('j')]),
        ("files", &[KeyCode::Tab]),
        ("merged files", &[KeyCode::Tab, KeyCode::Char('m')]),
        (
            "final files",
            &[KeyCode::Tab, KeyCode::Char('m'), KeyCode::Char('m')],
        ),
        ("config popup", &[KeyCode::Char('i')]),
        ("hints", &[KeyCode::Char('a')]),
        (
            "path history",
            &[KeyCode::Tab, KeyCode::Char('j'), KeyCode::Char('h')],
        ),
    ];
    for (what, keys) in keys {
        for (w, h) in [(80, 24), (200, 60)] {
            let mut s = State::new(&archive, Keymap::new(None).0, Theme::dark(), w, h);
            let loaded = Loaded {
                session: loaded.session.clone(),
                analysis: loaded.analysis.clone(),
            };
            update(&mut s, Msg::Loaded(loaded));
            for k in *keys {
                update(&mut s, Msg::Key(KeyEvent::new(*k, KeyModifiers::NONE)));
            }
            let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
            t.draw(|f| strata::tui::ui::draw(f, &s)).unwrap();
            let text = format!("{}", t.backend());
            assert_clean(&format!("{what} at {w}x{h}"), &text);
            // Where a view shows the image's text, it is there, escaped.
            let shown = match *what {
                "files" | "final files" => Some("name\\u{1b}[2J"),
                "config popup" => Some("EVIL=\\u{1b}[2J"),
                "layers" => Some("touch \\u{1b}[2J"),
                _ => None,
            };
            if let (Some(shown), 200) = (shown, w) {
                assert!(text.contains(shown), "{what}: {shown} not shown: {text}");
            }
        }
    }
}

#[test]
fn report_ci_diff_and_errors_escape_image_bytes() {
    let dir = support::tempdir();
    let archive = evil_image(dir.path());
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo.tar");

    let (code, out, err) = support::strata(&["report", &archive]);
    assert_eq!(code, 0, "{err}");
    assert_clean("report", &out);
    assert_clean("report stderr", &err);
    assert!(
        out.contains("\\u{1b}[2J"),
        "the text is shown, escaped: {out}"
    );

    // A failing rule, so the gate really ran (tests/ci.rs covers each output format).
    let (code, out, err) = support::strata(&["ci", &archive, "--lowestEfficiency", "0.99"]);
    assert_eq!(code, 1, "the gate ran and failed: {err}");
    assert!(out.contains("FAIL: lowestEfficiency"), "{out}");
    assert_clean("ci", &out);
    assert_clean("ci stderr", &err);

    let (code, out, err) = support::strata(&["diff", &archive, demo]);
    assert_eq!(code, 0, "{err}");
    assert_clean("diff", &out);

    // JSON escapes C0 controls itself; the parsed text is the image's, byte for byte.
    let (_, out, _) = support::strata(&["report", "--json", &archive]);
    assert!(!out.contains('\u{1b}') && !out.contains('\r') && !out.contains('\u{7}'));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["image"]["config"]["user"], EVIL);

    // An error quoting the image: the path inside `docker-archive:PATH:NAME`.
    let (code, _, err) = support::strata(&["report", &format!("docker-archive:{archive}:{EVIL}")]);
    assert_eq!(code, 2);
    assert_clean("error", &err);
    assert!(err.contains("no image named \\u{1b}[2J"), "{err}");
}
