//! The explorer's defects found in a new user's trial (issue "Polish from a new user's
//! trial"), each pinned by a test that failed before its fix. Keys go through `app::update`
//! as the runtime sends them; what the user reads is the rendered screen.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::{self, file, noise, tempdir, Item, Spec};
use crate::ui::{key, render, state_of};

use strata::tui::app::popups::{Popup, PromptKind};
use strata::tui::app::{update, Effect, ExtractRequest, Msg, ReadPurpose, Screen, State};

fn demo(w: u16, h: u16) -> State {
    state_of("assets/demo.tar", "assets/demo.tar", w, h)
}

fn explorer(s: &State) -> &strata::tui::app::Explorer {
    let Screen::Explorer(ex) = &s.screen else {
        panic!("not the explorer")
    };
    ex
}

fn footer(s: &State) -> String {
    support::title_and_footer(&render(s)).1
}

/// The read the last of `effects` asks the runtime for: layer, path, purpose.
fn last_read(effects: &[Effect]) -> (usize, String, ReadPurpose) {
    match effects.last().cloned() {
        Some(Effect::ReadFile {
            layer,
            path,
            purpose,
        }) => (layer, path, purpose),
        _ => panic!("expected a read, got {effects:?}"),
    }
}

/// Answers the read the last of `effects` asked for with `bytes`, as the runtime would.
fn answer_read(s: &mut State, effects: &[Effect], bytes: &[u8]) {
    let (layer, path, purpose) = last_read(effects);
    let content = strata::extract::FileContent {
        bytes: bytes.to_vec(),
        total: bytes.len() as u64,
        truncated: false,
    };
    update(
        s,
        Msg::FileRead {
            layer,
            path,
            purpose,
            result: Ok(content),
        },
    );
}

/// Defect 2: The viewer names the layer whose bytes it shows: /bin/busybox comes from layer 0, even
/// in the final view (the view after layer 14).
#[test]
fn the_viewer_names_the_layer_the_bytes_come_from() {
    let mut s = demo(120, 40);
    let effects = key(&mut s, "3 <tab> / b u s y b o x <enter> <enter>");
    assert!(
        matches!(effects.last(), Some(Effect::ReadFile { path, .. }) if path == "bin/busybox"),
        "{effects:?}"
    );
    let screen = render(&s);
    assert!(screen.contains("/bin/busybox (layer 0)"), "{screen}");
    assert!(!screen.contains("(layer 14)"), "{screen}");
}

/// Defect 5: `x` with nothing selected refuses in the footer instead of offering the whole image.
#[test]
fn extract_with_nothing_selected_refuses() {
    let mut s = demo(120, 40);
    let effects = key(&mut s, "<tab> / z z z q q <enter> x");
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(explorer(&s).popup, None, "no prompt");
    assert!(
        footer(&s).contains("nothing selected to extract"),
        "{}",
        footer(&s)
    );
}

/// Defect 6: A removed file is not a dead end: Enter views the last copy below, `d` diffs that copy
/// against nothing, `x` extracts it from the view that still has it.
#[test]
fn a_removed_file_opens_diffs_and_extracts_its_last_copy() {
    let mut s = demo(120, 40);
    // Layer 6 ran `rm -rf /tmp/build`; layer 5 wrote libdemo.a.
    let effects = key(&mut s, "] ] ] ] ] ] <tab> / l i b d e m o <enter> <enter>");
    let (layer, path, purpose) = last_read(&effects);
    assert_eq!((layer, path.as_str()), (5, "tmp/build/libdemo.a"));
    assert_eq!(purpose, ReadPurpose::View);
    let screen = render(&s);
    assert!(
        screen.contains("/tmp/build/libdemo.a (removed in layer 6; the copy from layer 5)"),
        "{screen}"
    );
    key(&mut s, "<esc>");
    let effects = key(&mut s, "d");
    assert!(
        matches!(effects.last(), Some(Effect::ReadFile { layer: 5, .. })),
        "d reads the last copy: {effects:?}"
    );
    answer_read(&mut s, &effects, b"one\ntwo\n");
    let screen = render(&s);
    assert!(screen.contains("-one"), "removed lines: {screen}");
    assert!(screen.contains("-two"), "{screen}");
    key(&mut s, "<esc>");
    key(&mut s, "x");
    let Some(Popup::Prompt(p)) = &explorer(&s).popup else {
        panic!("x asks where: {}", render(&s))
    };
    assert!(
        matches!(&p.kind, PromptKind::Extract { layer: 5, path, .. } if path == "tmp/build/libdemo.a"),
        "{:?}",
        p.kind
    );
}

/// Defect 7: A regex that does not compile says so, and how the text is matched instead.
#[test]
fn an_invalid_regex_says_it_does_not_compile() {
    let mut s = demo(120, 40);
    key(&mut s, "<tab> / ( l o g o");
    let f = footer(&s);
    assert!(f.contains("not a valid regex"), "{f}");
    assert!(f.contains("matched as text"), "{f}");
    key(&mut s, "<enter>");
    let screen = render(&s);
    assert!(screen.contains("not a valid regex"), "{screen}");
}

/// Defect 8: After an extraction, the next key does what it says: success is a footer notice, not a
/// popup that swallows the key.
#[test]
fn the_extraction_notice_does_not_eat_the_next_key() {
    let mut s = demo(120, 40);
    let request = ExtractRequest {
        layer: 14,
        path: "etc".into(),
        dir: "out".into(),
        overwrite: false,
        image: 0,
    };
    let summary = strata::extract::Summary {
        files: 1,
        bytes: 10,
        ..Default::default()
    };
    key(&mut s, "<tab>");
    update(
        &mut s,
        Msg::Extracted {
            request,
            result: Ok(summary),
        },
    );
    assert!(footer(&s).contains("extracted 1 file"), "{}", footer(&s));
    assert_eq!(explorer(&s).popup, None);
    key(&mut s, "x");
    assert!(
        matches!(explorer(&s).popup, Some(Popup::Prompt(_))),
        "x opened the extract prompt: {}",
        render(&s)
    );
}

/// Defect 9: The size floor's prompt offers what was typed, selected: typing replaces it.
#[test]
fn the_size_floor_prompt_offers_what_was_typed_and_typing_replaces_it() {
    let mut s = demo(120, 40);
    key(&mut s, "<tab> > 5 0 k <enter>");
    assert_eq!(explorer(&s).nav.filter.min_size, Some(50_000));
    key(&mut s, ">");
    let Some(Popup::Prompt(p)) = &explorer(&s).popup else {
        panic!()
    };
    assert_eq!(p.input, "50k");
    key(&mut s, "1 <enter>");
    assert_eq!(explorer(&s).nav.filter.min_size, Some(1));
    // Backspace edits what is offered instead.
    key(&mut s, "> <bs> 0 <enter>");
    assert_eq!(explorer(&s).nav.filter.min_size, Some(0));
}

/// Defect 10: The footer never loses `?:help` and `q:quit`, whatever the width and filter.
#[test]
fn the_footer_keeps_help_and_quit() {
    for (w, typed) in [
        (140, "<tab> / b i n <enter>"),
        (80, ""),
        (80, "<tab>"),
        (60, "<tab> / b i n <enter> > 1 k <enter>"),
    ] {
        let mut s = demo(w, 24);
        key(&mut s, typed);
        let f = footer(&s);
        assert!(f.contains("?:help"), "{w} {typed:?}: {f}");
        assert!(f.contains("q:quit"), "{w} {typed:?}: {f}");
    }
    // Defect 15's `hiding modified,meta`: the hidden kinds are a list a person reads.
    let mut s = demo(160, 24);
    key(&mut s, "<tab> M U");
    assert!(
        footer(&s).contains("hiding modified, meta, unchanged"),
        "{}",
        footer(&s)
    );
}

/// Defect 13: The final view shows what a container sees: nothing the last layer removed.
#[test]
fn the_final_view_lists_no_removed_entries() {
    let dir = tempdir();
    let path = dir.path().join("img.tar");
    Spec::new()
        .layer(
            "COPY root",
            vec![
                Item::Dir("root"),
                file("root/keep", b"keep"),
                file("root/.npm/_cacache/blob", &noise(3, 50_000)),
            ],
        )
        .layer("RUN npm cache clean", vec![Item::Whiteout("root/.npm")])
        .docker_archive(&path);
    let p = path.to_str().unwrap();
    let mut s = state_of(p, p, 120, 30);
    key(&mut s, "3 <tab>");
    let screen = render(&s);
    assert!(screen.contains("keep"), "{screen}");
    assert!(!screen.contains(".npm"), "{screen}");
    assert!(!screen.contains("_cacache"), "{screen}");
    // The layer's own view still lists what it removed.
    key(&mut s, "1");
    assert!(render(&s).contains(".npm"), "{}", render(&s));
}

/// Defect 1: one word for each size. "Stored" meant the blob size in the Layers panel and the
/// unpacked total in the Image panel; now the unpacked bytes are "in layers", the merged
/// view's "visible", the compressed blobs "Blob"/"as blobs", in the explorer and the report.
#[test]
fn sizes_have_one_name_each_in_every_view() {
    let s = demo(160, 48);
    let screen = render(&s);
    assert!(!screen.contains("Stored"), "{screen}");
    assert!(!screen.contains("stored"), "{screen}");
    assert!(screen.contains("Blob"), "{screen}");
    assert!(
        screen.contains("2.5 MB in layers, 2.3 MB visible, 2.8 MB as blobs"),
        "{screen}"
    );
    let (code, out, err) = support::strata(&["report", "assets/demo.tar"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(
            "Size       2.55 MB in 15 layers, 2.29 MB visible in 20 files, 2.76 MB as blobs"
        ),
        "{out}"
    );
    assert!(out.contains("  SIZE        BLOB"), "{out}");
    assert!(!out.contains("COMPRESSED"), "{out}");
}

/// Defect 15: one spelling of each cause for a person ("copy-up"), counts that agree with
/// their nouns, and the Top wasted list aligned whatever the cause.
#[test]
fn causes_are_spelled_one_way_counts_agree_and_columns_align() {
    // An image whose two biggest wastes are an overwrite and a copy-up.
    let dir = tempdir();
    let img = dir.path().join("img.tar");
    Spec::new()
        .layer(
            "COPY data",
            vec![
                file("data/model.bin", &noise(1, 60_000)),
                file("data/set.bin", &noise(2, 50_000)),
            ],
        )
        .layer(
            "COPY model",
            vec![
                file("data/model.bin", &noise(3, 60_000)),
                Item::FileMode("data/set.bin", noise(2, 50_000), 0o600),
            ],
        )
        .docker_archive(&img);
    let p = img.to_str().unwrap();
    let screen = render(&state_of(p, p, 160, 48));
    assert!(!screen.contains("copy_up"), "{screen}");
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains(" kB copy-up ") || l.contains(" kB overwritten "))
        .collect();
    assert_eq!(rows.len(), 2, "{screen}");
    let col = |l: &str| l.find("/data/").unwrap();
    assert_eq!(col(rows[0]), col(rows[1]), "{rows:?}");
    let mut s = demo(160, 48);
    // `w` names one layer as a layer.
    key(&mut s, "w w w w w w w");
    let notices: Vec<String> = (0..10)
        .map(|_| {
            key(&mut s, "w");
            footer(&s)
        })
        .collect();
    assert!(
        notices.iter().any(|n| n.contains("(layer 9)")),
        "{notices:?}"
    );
    assert!(
        !notices.iter().any(|n| n.contains("(layers 9)")),
        "{notices:?}"
    );
    assert!(
        !notices.iter().any(|n| n.contains("copy_up")),
        "{notices:?}"
    );
    let (code, out, err) = support::strata(&["report", "assets/demo.tar"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("copy_up"), "{out}");
    // The diff's waste table too.
    let (code, out, err) = support::strata(&["diff", "assets/demo.tar", "assets/demo.tar"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("copy-up"), "{out}");
    assert!(!out.contains("copy_up"), "{out}");
    // The CLI's extract summary counts in words that agree.
    let dir = tempdir();
    let to = dir.path().join("out");
    let (code, _, err) = support::strata(&[
        "extract",
        "assets/demo.tar",
        "/opt/app/VERSION",
        "--to",
        to.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("extracted 1 file ("), "{err}");
    assert!(!err.contains("1 files"), "{err}");
}

/// Defect 12: small terminals. Every list says what it hides above and below; below a minimum
/// size a notice says so; `+` gives the focused panel the whole screen; the loading screen's
/// phase is whole when there is room.
#[test]
fn small_terminals_show_what_is_hidden_and_say_when_too_small() {
    // 140x42: the Layers panel holds 13 of its 22 rows (15 layers, 7 steps that made none).
    let mut s = demo(140, 42);
    let rows = explorer(&s).layer_rows.len();
    let screen = render(&s);
    assert!(
        screen.contains(&format!("▼ {} more", rows - 13)),
        "{screen}"
    );
    key(&mut s, "G");
    let offset = explorer(&s).layers_offset;
    assert!(offset > 0);
    let screen = render(&s);
    assert!(screen.contains(&format!("▲ {offset} more")), "{screen}");
    // The Files panel of the final view scrolls too.
    key(&mut s, "3 <tab>");
    assert!(render(&s).contains("more"), "{}", render(&s));
    // Too small: a notice, and keys still work.
    let mut s = demo(50, 12);
    let screen = render(&s);
    assert!(screen.contains("too small"), "{screen}");
    key(&mut s, "q");
    assert!(s.quit);
    // `+` zooms the focused panel to the whole screen and back.
    let mut s = demo(80, 24);
    key(&mut s, "<tab> +");
    let screen = render(&s);
    assert!(!screen.contains("Layers (15)"), "{screen}");
    assert!(screen.contains("Files: layer 0"), "{screen}");
    key(&mut s, "+");
    assert!(render(&s).contains("Layers (15)"));
}

#[test]
fn the_loading_screen_keeps_the_phase_whole() {
    use strata::load::LoadEvent;
    use strata::tui::app::keymap::Keymap;
    use strata::tui::app::theme::Theme;
    let mut s = State::new("x.tar", Keymap::new(None).0, Theme::dark(), 100, 24);
    update(
        &mut s,
        Msg::Load(LoadEvent::Opened {
            layer_bytes: vec![1_000_000, 2_000_000],
        }),
    );
    update(&mut s, Msg::Load(LoadEvent::LayerStarted { index: 0 }));
    update(
        &mut s,
        Msg::Load(LoadEvent::LayerProgress {
            index: 0,
            read: 500_000,
            total: 1_000_000,
        }),
    );
    let screen = render(&s);
    assert!(screen.contains("decompress + index"), "{screen}");
}

/// Friction: a `COPY file:<hash> in /dest` step reads as `COPY file → /dest` in the Layers
/// panel and the report; the hash stays in the layer's details.
#[test]
fn copies_read_as_their_destination_and_the_hash_stays_in_the_details() {
    let s = demo(160, 48);
    let screen = render(&s);
    assert!(screen.contains("COPY file → /bin/busybox"), "{screen}");
    assert!(
        screen.contains("file:01b0553b128d"),
        "details keep the hash: {screen}"
    );
    let (code, out, err) = support::strata(&["report", "assets/demo.tar"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("COPY file → /bin/busybox"), "{out}");
    assert!(out.contains("COPY dir → /srv/www/"), "{out}");
}

/// Friction: what the panels' marks and counts mean is on screen. A folded directory reads
/// `▸ bin/  (77 entries)`, not `bin/ (+77)` (which read as "77 added"); a layer's change
/// counts add up to what its total counts; the two efficiencies say which is dive's; the
/// Layers panel marks a layer whose bytes a later one hid (●) apart from one that hides
/// bytes below (✕), and help explains both.
#[test]
fn marks_and_counts_say_what_they_mean() {
    let mut s = demo(160, 48);
    let screen = render(&s);
    assert!(screen.contains("% as dive counts)"), "{screen}");
    // Layer 0 writes 2 entries, both added.
    assert!(
        screen.contains("+2 ~0 m0 -0 =0  (2 tar entries)"),
        "{screen}"
    );
    // Layer 4 (chmod) hides dataset.bin of layer 3; layer 3's bytes are hidden later.
    let row = |screen: &str, n: &str| {
        screen
            .lines()
            .find(|l| l.contains(&format!("┃{n:>3} ")) || l.contains(&format!("│{n:>3} ")))
            .map(str::to_string)
            .unwrap_or_default()
    };
    assert!(row(&screen, "3").contains("● "), "{}", row(&screen, "3"));
    assert!(row(&screen, "4").contains(" ✕"), "{}", row(&screen, "4"));
    key(&mut s, "3 <tab> c");
    let screen = render(&s);
    assert!(screen.contains("▸ bin/"), "{screen}");
    assert!(screen.contains("entries)"), "{screen}");
    assert!(!screen.contains("(+"), "{screen}");
    // The legend ends the help (scrolled to with End).
    key(&mut s, "? G");
    let help = render(&s);
    assert!(help.contains("● "), "{help}");
    assert!(help.contains("✕ "), "{help}");
}

/// Friction: `W` goes back through the biggest wasted paths; `y` copies the selected path
/// through the terminal (OSC 52, so it works over ssh).
#[test]
fn w_goes_back_and_y_copies_the_path() {
    let mut s = demo(160, 48);
    key(&mut s, "w w");
    assert!(footer(&s).contains("waste 2/"), "{}", footer(&s));
    key(&mut s, "W");
    assert!(footer(&s).contains("waste 1/"), "{}", footer(&s));
    key(&mut s, "W");
    let last = explorer(&s).analysis.waste.top.len();
    assert!(
        footer(&s).contains(&format!("waste {last}/{last}")),
        "{}",
        footer(&s)
    );
    let mut s = demo(160, 48);
    let effects = key(&mut s, "3 <tab> / V E R S I O N <enter> y");
    assert_eq!(
        effects,
        vec![Effect::Copy("/opt/app/VERSION".into())],
        "{}",
        render(&s)
    );
    assert!(
        footer(&s).contains("copied /opt/app/VERSION"),
        "{}",
        footer(&s)
    );
}

/// Friction: `n` / `N` jump between the paths that contain the last filter text, once the
/// filter is cleared too, unfolding what hides them and wrapping at the ends.
#[test]
fn n_and_n_jump_between_matches_without_filtering() {
    let mut s = demo(160, 48);
    key(&mut s, "3 <tab> n");
    assert!(
        footer(&s).contains("type / and a text first"),
        "{}",
        footer(&s)
    );
    key(&mut s, "/ l o g o <enter> / <esc> c");
    assert!(
        explorer(&s).nav.filter.text.is_empty(),
        "the filter is cleared"
    );
    let mut seen = Vec::new();
    for _ in 0..4 {
        key(&mut s, "n");
        let ex = explorer(&s);
        let at = ex.selected_path_str();
        assert!(at.contains("logo"), "{at}: {}", footer(&s));
        seen.push(at);
    }
    assert_eq!(seen[3], seen[0], "wraps: {seen:?}");
    let distinct: std::collections::BTreeSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), 3, "{seen:?}");
    key(&mut s, "N");
    assert_eq!(explorer(&s).selected_path_str(), seen[2]);
    assert!(
        render(&s).contains("logo.png"),
        "revealed though folded: {}",
        render(&s)
    );
}

/// Friction: search inside the viewer: `/` types a text, Enter scrolls to the first line that
/// has it, `n` / `N` to the next / previous one.
#[test]
fn the_viewer_searches_its_text() {
    let mut s = demo(100, 30);
    let effects = key(&mut s, "3 <tab> / V E R S I O N <enter> <enter>");
    let text: String = (1..=300).map(|i| format!("line {i}\n")).collect();
    answer_read(&mut s, &effects, text.as_bytes());
    let first_row = |s: &State| {
        render(s)
            .lines()
            .find(|l| l.contains(" │ line "))
            .map(str::to_string)
            .unwrap_or_default()
    };
    assert!(first_row(&s).contains("│ line 1 "), "{}", first_row(&s));
    key(&mut s, "/ l i n e <space> 2 5 0");
    assert!(render(&s).contains("search: line 250"), "{}", render(&s));
    key(&mut s, "<enter>");
    assert!(first_row(&s).contains("│ line 250 "), "{}", first_row(&s));
    // From line 250 on: 299 is the next line with "99" (the text's end shows it).
    key(&mut s, "/ 9 9 <enter>");
    assert!(render(&s).contains("│ line 299 "), "{}", render(&s));
    key(&mut s, "n");
    assert!(
        first_row(&s).contains("│ line 99 "),
        "wraps: {}",
        first_row(&s)
    );
    key(&mut s, "n");
    assert!(first_row(&s).contains("│ line 199 "), "{}", first_row(&s));
    key(&mut s, "N");
    assert!(first_row(&s).contains("│ line 99 "), "{}", first_row(&s));
    // Esc still closes the viewer.
    key(&mut s, "<esc>");
    assert_eq!(explorer(&s).popup, None);
}

/// Friction: Top wasted paths roll up to the directory that explains them: a removed npm cache
/// is one row (`/root/.npm/_cacache/ (3 files)`), not one per blob; the sums do not change.
#[test]
fn a_removed_directory_is_one_row_of_the_top_wasted_paths() {
    let dir = tempdir();
    let path = dir.path().join("img.tar");
    Spec::new()
        .layer(
            "RUN npm ci",
            vec![
                file("root/.npm/_cacache/content/a", &noise(1, 30_000)),
                file("root/.npm/_cacache/content/b", &noise(2, 20_000)),
                file("root/.npm/_cacache/index/c", &noise(3, 10_000)),
                file("root/.npmrc", b"x"),
                file("tmp/one.log", &noise(4, 5_000)),
            ],
        )
        .layer(
            "RUN npm cache clean --force && rm /tmp/one.log",
            vec![
                Item::Whiteout("root/.npm/_cacache"),
                Item::Whiteout("tmp/one.log"),
            ],
        )
        .docker_archive(&path);
    let p = path.to_str().unwrap();
    let report = support::report_json(p);
    let top = report["waste"]["top"].as_array().unwrap();
    let rows: Vec<(&str, u64, u64)> = top
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap(),
                r["bytes"].as_u64().unwrap(),
                r["files"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("/root/.npm/_cacache", 60_000, 3),
            ("/tmp/one.log", 5_000, 1)
        ],
        "{top:#?}"
    );
    assert_eq!(report["waste"]["removed"], 65_000);
    let (code, out, err) = support::strata(&["report", p]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("/root/.npm/_cacache/  (3 files)"), "{out}");
}
