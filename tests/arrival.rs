//! An image that opens before it has loaded (issue 24, points 1 and 2): the watched load
//! (`Session::open_watched`) hands out snapshots, first with every layer pending, then one per
//! layer as it is read and verified; the explorer opens on the first, takes each newer one
//! without moving the cursor, says what each view and figure waits for, and asks for the
//! selected layer first. Run in-process on the demo image; the real binary over a throttled
//! registry is in `tui_tmux`.

use std::sync::{Arc, Mutex};

use strata::load::{LoadEvent, Order, Session, Watcher};
use strata::tui::app::keymap::Keymap;
use strata::tui::app::theme::Theme;
use strata::tui::app::{update, Effect, Loaded, Msg, Screen, State};

use crate::support::uncached;
use crate::ui::{key, render};

const DEMO: &str = "assets/demo.tar";

/// The demo loaded with a watch: every snapshot it handed out, in order, the progress events,
/// and the loaded session. `in_order`: layer `i` starts only once the layers below it are in,
/// so that snapshot `k` has exactly layers `0..k` (the workers otherwise race).
fn watched(order: &Order, in_order: bool) -> (Vec<Arc<Session>>, Vec<LoadEvent>, Session) {
    let n = 64;
    watched_in(order, in_order.then(|| (0..n).collect()))
}

/// As `watched`; with `sequence`, layer `sequence[k]` starts only once `sequence[..k]` are in.
fn watched_in(
    order: &Order,
    sequence: Option<Vec<usize>>,
) -> (Vec<Arc<Session>>, Vec<LoadEvent>, Session) {
    let snapshots = Mutex::new(Vec::new());
    let arrived = std::sync::Condvar::new();
    let events = Mutex::new(Vec::new());
    let session = Session::open_watched(
        DEMO,
        &uncached(),
        &Watcher {
            progress: &|e| {
                if let (Some(seq), LoadEvent::LayerStarted { index }) = (&sequence, &e) {
                    let before: Vec<usize> =
                        seq.iter().take_while(|l| *l != index).copied().collect();
                    let shots = snapshots.lock().unwrap();
                    let (_shots, waited) = arrived
                        .wait_timeout_while(shots, std::time::Duration::from_secs(60), |s| {
                            let pending = s.last().map_or(&[][..], |l: &Arc<Session>| l.pending());
                            s.is_empty() || before.iter().any(|b| pending.contains(b))
                        })
                        .unwrap();
                    assert!(!waited.timed_out(), "layer {index} waited for {before:?}");
                }
                events.lock().unwrap().push(e)
            },
            order,
            snapshot: &|s| {
                snapshots.lock().unwrap().push(s);
                arrived.notify_all();
            },
            tables_of_contents: true,
        },
    )
    .unwrap();
    (
        snapshots.into_inner().unwrap(),
        events.into_inner().unwrap(),
        session,
    )
}

fn analysed(session: Arc<Session>) -> Loaded {
    let analysis = session.analyse();
    Loaded {
        session,
        analysis: Arc::new(analysis),
    }
}

#[test]
fn snapshots_come_first_with_every_layer_pending_then_one_per_layer() {
    let (snapshots, _, loaded) = watched(&Order::default(), true);
    let n = loaded.image().layers.len();
    assert!(n >= 3, "the demo has layers");
    // The metadata's, then one a layer but the last: the loaded session is the last word.
    assert_eq!(snapshots.len(), n);
    assert_eq!(snapshots.last().unwrap().pending().len(), 1);
    let first = &snapshots[0];
    assert_eq!(first.pending(), (0..n).collect::<Vec<_>>());
    assert!(first
        .image()
        .layers
        .iter()
        .all(|l| l.tree.entries.is_empty()));
    // The metadata is whole from the start: layers, blob sizes, history, config.
    assert_eq!(first.image().history, loaded.image().history);
    assert_eq!(
        first.image().meta.config_digest,
        loaded.image().meta.config_digest
    );
    for (a, b) in first.image().layers.iter().zip(&loaded.image().layers) {
        assert_eq!(a.desc.compressed_size, b.desc.compressed_size);
        assert_eq!(a.desc.diff_id, b.desc.diff_id);
    }
    assert!(loaded.pending().is_empty());
    for pair in snapshots.windows(2) {
        let (before, after) = (pair[0].pending(), pair[1].pending());
        assert_eq!(after.len() + 1, before.len(), "one layer a snapshot");
        let arrived: Vec<_> = before.iter().filter(|i| !after.contains(i)).collect();
        let i = *arrived[0];
        // The layer arrived is the loaded one, and the session reads it again already.
        assert_eq!(
            pair[1].image().layers[i].tree.entries,
            loaded.image().layers[i].tree.entries
        );
        assert!(
            pair[1].image().layers[i].verified.digest || pair[1].image().layers[i].verified.diff_id
        );
        pair[1]
            .read_layer(i, |r| std::io::copy(r, &mut std::io::sink()))
            .unwrap();
        // One still to come cannot be read.
        if let Some(&p) = after.first() {
            let e = pair[1].read_layer(p, |_| Ok(())).unwrap_err().to_string();
            assert!(e.contains(&format!("layer {p} is still loading")), "{e}");
        }
    }
    // A snapshot's figures are never kept as the image's (the dive figures' cache).
    let partial = snapshots[1].analyse();
    let whole = loaded.analyse();
    assert_ne!(partial.waste.total_bytes, whole.waste.total_bytes);
}

#[test]
fn a_cancelled_load_stops_and_says_it_ended() {
    let order = Order::default();
    order.cancel();
    let r = Session::open_watched(
        DEMO,
        &uncached(),
        &Watcher {
            progress: &|_| {},
            order: &order,
            snapshot: &|_| {},
            tables_of_contents: true,
        },
    );
    let e = r.err().expect("a cancelled load fails").to_string();
    assert!(e.contains("the load was cancelled"), "{e}");
    assert!(order.wait_finished(std::time::Duration::from_secs(60)));
}

#[test]
fn the_preferred_layer_is_read_before_the_ones_below_it() {
    let order = Order::default();
    let (_, events, loaded) = {
        order.prefer(usize::MAX - 1);
        watched(&order, false)
    };
    let n = loaded.image().layers.len();
    let started = |events: &[LoadEvent]| -> Vec<usize> {
        events
            .iter()
            .filter_map(|e| match e {
                LoadEvent::LayerStarted { index } => Some(*index),
                _ => None,
            })
            .collect()
    };
    // No preference that exists: bottom to top (the workers' events may swap neighbours: a
    // layer starts no later than `workers - 1` places after its turn).
    let workers = std::thread::available_parallelism().unwrap().get().min(n);
    let plain = started(&events);
    assert_eq!(plain.len(), n);
    for (k, &i) in plain.iter().enumerate() {
        assert!(i < k + workers, "layer {i} started {k}th: {plain:?}");
    }
    let order = Order::default();
    order.prefer(n - 1);
    let (_, events, _) = watched(&order, false);
    let started = started(&events);
    let at = started.iter().position(|&i| i == n - 1).unwrap();
    assert!(
        at < workers,
        "layer {} started {at}th of {started:?} with {workers} workers",
        n - 1
    );
}

fn state(w: u16, h: u16) -> State {
    State::new(DEMO, Keymap::new(None).0, Theme::dark(), w, h)
}

fn explorer(s: &State) -> &strata::tui::app::Explorer {
    match &s.screen {
        Screen::Explorer(ex) => ex,
        _ => panic!("not the explorer"),
    }
}

#[test]
fn the_explorer_opens_on_the_metadata_and_fills_in_as_layers_arrive() {
    let (snapshots, _, loaded) = watched(&Order::default(), true);
    let n = loaded.image().layers.len();
    let sizes: Vec<u64> = loaded
        .image()
        .layers
        .iter()
        .map(|l| l.desc.compressed_size)
        .collect();
    for (w, h) in [(80, 24), (160, 48)] {
        let mut s = state(w, h);
        update(
            &mut s,
            Msg::Load(LoadEvent::Opened {
                layer_bytes: sizes.clone(),
            }),
        );
        update(&mut s, Msg::Snapshot(analysed(snapshots[0].clone())));
        update(&mut s, Msg::Load(LoadEvent::LayerStarted { index: 0 }));
        update(
            &mut s,
            Msg::Load(LoadEvent::LayerProgress {
                index: 0,
                read: sizes[0] / 2,
                total: sizes[0],
            }),
        );
        update(&mut s, Msg::Tick { elapsed_ms: 2000 });
        let text = render(&s);
        assert!(explorer(&s).loading());
        // The rate so far gives the time left (where the line has room).
        assert!(w < 160 || text.contains("s left"), "{text}");
        assert!(
            text.contains(&format!("loading: 0 of {n} layers in")),
            "{text}"
        );
        assert!(text.contains("layer 0 is loading: 50 %"), "{text}");
        assert!(text.contains("queued"), "{text}");
        // The history's commands are there before any layer.
        let cmd = loaded
            .image()
            .history
            .iter()
            .find(|h| !h.empty_layer)
            .unwrap();
        let short = strata::model::history::short_command(&cmd.command);
        assert!(
            text.contains(&short.chars().take(9).collect::<String>()),
            "{short}\n{text}"
        );
        insta::assert_snapshot!(format!("arrival_metadata_{w}x{h}"), text);

        // Layer 0 arrives: its own changes show; the figures still wait.
        update(
            &mut s,
            Msg::Load(LoadEvent::LayerFinished {
                index: 0,
                entries: 1,
            }),
        );
        update(&mut s, Msg::Snapshot(analysed(snapshots[1].clone())));
        let text = render(&s);
        assert!(!text.contains("layer 0 is"), "{text}");
        assert!(
            text.contains(&format!("loading: 1 of {n} layers in")),
            "{text}"
        );
        assert!(text.contains("pending:"), "{text}");
        assert!(
            text.contains("Efficiency pending"),
            "no figure before every layer:\n{text}"
        );
        insta::assert_snapshot!(format!("arrival_layer0_{w}x{h}"), text);
    }
}

#[test]
fn keys_work_throughout_and_the_cursor_stays_as_layers_arrive() {
    let (snapshots, _, loaded) = watched(&Order::default(), true);
    let n = loaded.image().layers.len();
    let mut s = state(100, 30);
    update(&mut s, Msg::Snapshot(analysed(snapshots[0].clone())));
    update(&mut s, Msg::Snapshot(analysed(snapshots[1].clone())));
    // Into layer 0's files, two rows down.
    key(&mut s, "<tab> <down> <down>");
    let at = explorer(&s).selected_path_str();
    assert!(!at.is_empty());
    // An older snapshot arriving late is dropped; newer ones keep the cursor.
    update(&mut s, Msg::Snapshot(analysed(snapshots[0].clone())));
    assert_eq!(explorer(&s).pending().len(), n - 1);
    update(&mut s, Msg::Snapshot(analysed(snapshots[2].clone())));
    assert_eq!(explorer(&s).pending().len(), n - 2);
    assert_eq!(explorer(&s).selected_path_str(), at);
    // A layer still to come is asked for first when selected.
    key(&mut s, "<tab>");
    let effects = key(&mut s, "<down> <down>");
    assert_eq!(explorer(&s).layer, 2);
    assert!(effects.contains(&Effect::Prioritise(2)), "{effects:?}");
    let text = render(&s);
    assert!(text.contains("layer 2 is queued"), "{text}");
    // The whole image's figures say what they wait for, and do nothing else.
    for (k, what) in [
        ("w", "the wasted bytes waits for every layer"),
        ("t", "the treemap waits for every layer"),
    ] {
        key(&mut s, k);
        let text = render(&s);
        assert!(text.contains(what), "{k}: {text}");
        assert!(explorer(&s).popup.is_none());
    }
    // The merged view waits for the layers below; the final view for all.
    key(&mut s, "m");
    let text = render(&s);
    assert!(
        text.contains("the merged view after layer 2 waits for layer 2"),
        "{text}"
    );
    key(&mut s, "m");
    let text = render(&s);
    assert!(
        text.contains(&format!("the final view waits for layers 2–{}", n - 1)),
        "{text}"
    );
    key(&mut s, "m <up>");
    // Layer 1 is in, layer 0 below it too: its changes show with their statuses.
    let text = render(&s);
    assert!(!text.contains("added/modified pending"), "{text}");
    assert!(text.contains("Files: layer 1"), "{text}");
    for snap in &snapshots[3..] {
        update(&mut s, Msg::Snapshot(analysed(snap.clone())));
    }
    update(&mut s, Msg::Loaded(analysed(Arc::new(loaded))));
    let ex = explorer(&s);
    assert!(!ex.loading());
    assert!(ex.arrival.is_none());
    assert_eq!(ex.layer, 1);
    let text = render(&s);
    assert!(
        text.contains("Efficiency") && !text.contains("pending"),
        "{text}"
    );
    assert!(!text.contains("loading:"), "{text}");
    // Now the figures' keys work.
    key(&mut s, "t");
    assert!(explorer(&s).popup.is_some());
}

#[test]
fn a_layer_above_one_still_to_come_says_its_statuses_wait() {
    let order = Order::default();
    order.prefer(2);
    // Layer 2, then 0, then the rest: snapshot 2 has layers 0 and 2, not 1. (2 is preferred
    // and first in the sequence, so no worker waits for a layer no other worker can read.)
    let mut seq = vec![2, 0, 1];
    seq.extend(3..64);
    let (snapshots, _, _) = watched_in(&order, Some(seq));
    assert_eq!(snapshots[2].pending().first(), Some(&1));
    let mut s = state(140, 30);
    update(&mut s, Msg::Snapshot(analysed(snapshots[0].clone())));
    update(&mut s, Msg::Snapshot(analysed(snapshots[2].clone())));
    key(&mut s, "<down> <down>");
    assert_eq!(explorer(&s).layer, 2);
    let text = render(&s);
    assert!(text.contains("added/modified pending: layer 1"), "{text}");
    assert!(!text.contains("layer 2 is"), "{text}");
    // Its files are there all the same.
    assert!(!explorer(&s).nav.rows.is_empty());
}

/// The first snapshot says which layers' blobs are in the blob store already: a registry
/// image opened a second time has them all there, a first time none.
#[test]
fn the_first_snapshot_knows_which_blobs_are_cached() {
    let reg = crate::support::registry::Registry::start(None);
    let name = reg.push(&format!("docker-archive:{DEMO}"), "cached:v1", &[]);
    let cache = crate::support::tempdir();
    // Each test runs in a process of its own (nextest): the cache is this test's.
    std::env::set_var("STRATA_CACHE_DIR", cache.path());
    let first_snapshot = || {
        let shots = Mutex::new(Vec::new());
        Session::open_watched(
            &name,
            &strata::SourceOptions::default(),
            &Watcher {
                progress: &|_| {},
                order: &Order::default(),
                snapshot: &|s| shots.lock().unwrap().push(s),
                tables_of_contents: true,
            },
        )
        .unwrap();
        shots.into_inner().unwrap().remove(0)
    };
    let cold = first_snapshot();
    let n = cold.image().layers.len();
    assert!((0..n).all(|i| !cold.stored(i)));
    let warm = first_snapshot();
    assert!((0..n).all(|i| warm.stored(i)));
    assert_eq!(warm.pending().len(), n);
}
