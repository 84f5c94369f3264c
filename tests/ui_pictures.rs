//! Where the bytes are, as pictures (issue "Pictures and reports people share", point 1): the
//! Files panel's size bars and the treemap popup, on the demo image, whose layers waste bytes
//! in every way there is. Snapshots at 80x24 and 160x48, in colour and without; keys go
//! through `app::update` as the runtime sends them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::ui::{key, loaded, render, state_of};

use strata::tui::app::keymap::Keymap;
use strata::tui::app::popups::Popup;
use strata::tui::app::theme::Theme;
use strata::tui::app::{update, Msg, Screen, State};

fn demo(w: u16, h: u16) -> State {
    state_of("assets/demo.tar", "assets/demo.tar", w, h)
}

fn mono(w: u16, h: u16) -> State {
    let mut s = State::new("assets/demo.tar", Keymap::new(None).0, Theme::mono(), w, h);
    update(&mut s, Msg::Loaded(loaded("assets/demo.tar")));
    s
}

fn explorer(s: &State) -> &strata::tui::app::Explorer {
    let Screen::Explorer(ex) = &s.screen else {
        panic!("not the explorer")
    };
    ex
}

fn treemap(s: &State) -> &strata::tui::app::popups::treemap::Treemap {
    match &explorer(s).popup {
        Some(Popup::Treemap(m)) => m,
        other => panic!("no treemap open: {other:?}"),
    }
}

/// Every size, both themes, for keys typed on a fresh demo explorer.
fn snap(name: &str, keys: &str) {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut s = demo(w, h);
        key(&mut s, keys);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(&s));
        let mut s = mono(w, h);
        key(&mut s, keys);
        insta::assert_snapshot!(format!("{name}_mono_{w}x{h}"), render(&s));
    }
}

#[test]
fn size_bars_share_of_the_directory_and_of_the_image() {
    snap("bars_parent", "3 <tab> b");
    snap("bars_whole", "3 <tab> b b");
    snap("bars_layer_changes", "j j j j j 1 <tab> b");
}

#[test]
fn treemap_of_the_final_view_and_of_a_directory() {
    snap("treemap_root", "3 <tab> t <bs>");
    snap("treemap_of_bin", "3 <tab> t");
    snap("treemap_into_a_neighbour", "3 <tab> t <bs> l <enter>");
}

/// The cells' figures by cause for the tree on screen.
fn cell_waste(s: &State) -> [u64; 5] {
    let mut sum = [0u64; 5];
    for c in &treemap(s).cells {
        for (a, b) in sum.iter_mut().zip(c.waste) {
            *a += b;
        }
    }
    sum
}

/// The treemap's cells add up to the figures the report gives: in the final view the
/// duplicate and cache bytes; in each layer's changes, the bytes later layers hid.
#[test]
fn the_treemap_shows_the_same_wasted_bytes_as_the_figures() {
    let mut s = demo(160, 48);
    key(&mut s, "3 <tab> t <bs>");
    let a = explorer(&s).analysis.clone();
    assert_eq!(treemap(&s).dir, strata::tree::paths::ROOT);
    let w = cell_waste(&s);
    assert_eq!(
        (w[0], w[1], w[2]),
        (0, 0, 0),
        "nothing the final view shows is hidden"
    );
    assert_eq!(w[3], a.waste.duplicate);
    assert_eq!(w[4], a.waste.cache);
    assert_eq!(treemap(&s).total, a.waste.final_bytes);
    let n = explorer(&s).layer_count();
    let mut hidden_total = 0;
    for layer in 0..n {
        let mut s = demo(160, 48);
        key(&mut s, &"j ".repeat(layer));
        key(&mut s, "1 <tab> t <bs>");
        // From wherever the cursor was, up to the root.
        while treemap(&s).dir != strata::tree::paths::ROOT {
            key(&mut s, "<bs>");
        }
        let w = cell_waste(&s);
        let hidden = w[0] + w[1] + w[2];
        assert_eq!(hidden, a.layers[layer].hidden_later_bytes, "layer {layer}");
        hidden_total += hidden;
    }
    assert_eq!(
        hidden_total,
        a.waste.overwritten + a.waste.copy_up + a.waste.removed
    );
    assert!(hidden_total > 0);
}

/// Enter goes into a directory, Backspace back up with its cell selected, Enter on a file
/// puts the Files panel's cursor on it, the arrows go to the neighbouring cell, Esc and `t`
/// close.
#[test]
fn treemap_keys_go_into_up_to_a_file_and_between_cells() {
    let mut s = demo(160, 48);
    key(&mut s, "3 <tab> t <bs>");
    let root = treemap(&s).clone();
    let first = root.cells[0].clone();
    assert_eq!(first.name, "bin/", "the biggest first");
    // Right of bin/ is a cell whose left edge is at or past bin/'s right edge.
    key(&mut s, "l");
    let right = treemap(&s).selected().unwrap().clone();
    assert!(right.rect.x >= first.rect.right(), "{right:?} vs {first:?}");
    key(&mut s, "<left>");
    assert_eq!(treemap(&s).selected().unwrap().name, "bin/");
    // Into opt/ (by its cell), then back up: opt/ is selected again.
    let opt = root.cells.iter().position(|c| c.name == "opt/").unwrap();
    key(&mut s, &"<pagedown> ".repeat(opt));
    assert_eq!(treemap(&s).selected().unwrap().name, "opt/");
    key(&mut s, "<enter>");
    assert_eq!(treemap(&s).title, "/opt/");
    assert!(render(&s).contains("Treemap /opt/"), "{}", render(&s));
    key(&mut s, "<bs>");
    assert_eq!(treemap(&s).title, "/");
    assert_eq!(treemap(&s).selected().unwrap().name, "opt/");
    // Down to a file: /opt/app/data/dataset.bin, the biggest under /opt/app/data.
    key(&mut s, "<enter> <enter> <enter>");
    assert_eq!(treemap(&s).title, "/opt/app/data/");
    let file = treemap(&s).selected().unwrap().clone();
    assert!(!file.dir, "{file:?}");
    key(&mut s, "<enter>");
    let ex = explorer(&s);
    assert!(ex.popup.is_none());
    assert_eq!(
        ex.selected_path_str(),
        format!("opt/app/data/{}", file.name)
    );
    // `t` opens it on the selected file's directory, `t` and Esc close.
    key(&mut s, "t");
    assert_eq!(treemap(&s).title, "/opt/app/data/");
    key(&mut s, "t");
    assert!(explorer(&s).popup.is_none());
    key(&mut s, "t <esc>");
    assert!(explorer(&s).popup.is_none());
}

/// Without colour the causes still read: each has its own fill in the cells and the legend.
#[test]
fn without_colour_the_causes_have_patterns_of_their_own() {
    let mut s = mono(160, 48);
    key(&mut s, "3 <tab> t <bs>");
    let screen = render(&s);
    let cells: String = screen.lines().skip(4).take(40).collect();
    // /var/cache/apk and /root/.cache: cache; the logos under /opt and /srv: duplicates.
    assert!(cells.contains("=="), "{screen}");
    assert!(cells.contains("╳╳"), "{screen}");
    assert!(screen.contains("wasted: ▓ overwritten  ▒ copy-up  ░ removed  ╳ duplicate  = cache"));
    // Layer 5's /tmp files are all removed by layer 6.
    let mut s = mono(160, 48);
    key(&mut s, "j j j j j 1 <tab> t <bs>");
    let screen = render(&s);
    assert!(screen.contains("░░░░"), "{screen}");
    assert!(!screen.contains("╳╳"), "{screen}");
}

/// The bars' share: of the directory, then of the whole tree; with a cell per 5 % at 160
/// columns (20 cells), busybox is all of /bin and 87 % of the image.
#[test]
fn size_bars_measure_the_parent_then_the_whole() {
    let mut s = demo(160, 48);
    key(&mut s, "3 <tab> b");
    assert_eq!(explorer(&s).bars, strata::tui::app::explorer::Bars::Parent);
    let line = |s: &State, name: &str| {
        render(s)
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} not on screen"))
            .to_string()
    };
    assert!(line(&s, "├─busybox").contains("100.0% ████████████████████ "));
    key(&mut s, "b");
    assert!(line(&s, "├─busybox").contains(" 86.7% █████████████████    "));
    key(&mut s, "b");
    assert!(!render(&s).contains("Share"));
}

/// The bars keep their colours when a jump (`w`, a hint, the history) builds another tree:
/// layer 5's /tmp files, removed by layer 6, show as removed bytes after `w` lands there.
#[test]
fn the_bars_follow_a_jump_to_another_layer() {
    let mut s = mono(160, 48);
    key(&mut s, "3 <tab> b");
    // `w` goes to the biggest wasted paths in turn, in their layers; the removed ones of
    // layer 5 come second (/tmp/build, after dataset.bin's copy-up).
    key(&mut s, "w w");
    let ex = explorer(&s);
    assert_eq!(ex.nav.tree.layer, 5, "{}", render(&s));
    assert!(ex.shares().is_some(), "the waste of the new tree is known");
    assert!(render(&s).contains("░░"), "{}", render(&s));
}
