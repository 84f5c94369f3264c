//! The event loop: owns the terminal, reads keys and mouse, performs the effects `update`
//! asks for on background tasks (loading, comparing, reading a file, extracting), and feeds
//! everything back to `app::update` as messages. The only place that spawns threads for the
//! UI or touches the terminal; it keeps no state of its own beyond the channel.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind,
};
use ratatui::crossterm::execute;
use ratatui::DefaultTerminal;

use super::app::theme::Colours;
use super::app::{
    update, Effect, ExtractFailure, ExtractRequest, Loaded, Msg, ReadPurpose, Screen, State,
    VIEW_LIMIT,
};
use super::config::UiConfig;
use crate::extract::{self, ExtractOptions};
use crate::load::{LoadEvent, Order, Session, Watcher};
use crate::source::SourceOptions;

/// Why the terminal program ended with an error, printed once the terminal is back.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("the terminal: {0}")]
    Terminal(#[from] std::io::Error),
    /// The load failed (the screen said so, and the command exits 2 as `report` does).
    #[error("{0}")]
    Failed(String),
    /// A background task panicked: a bug.
    #[error("{0}")]
    Crashed(String),
}

/// The width of the terminal in columns, asked anew at each call (a resize shows at once), or
/// `None` without a terminal to ask. crossterm asks the controlling terminal, the one whose
/// stderr the commands' progress line is drawn on.
pub fn terminal_columns() -> Option<u16> {
    ratatui::crossterm::terminal::size()
        .ok()
        .map(|(columns, _)| columns)
        .filter(|c| *c > 0)
}

/// The signal (SIGTERM, SIGINT, SIGHUP) that ended the last `run`/`run_compare`, if one did:
/// the caller exits with 128 + its number.
pub fn ended_by_signal() -> Option<i32> {
    let n = signal_slot().load(Ordering::Relaxed);
    (n != 0).then_some(n as i32)
}

fn signal_slot() -> &'static Arc<AtomicUsize> {
    static SLOT: OnceLock<Arc<AtomicUsize>> = OnceLock::new();
    SLOT.get_or_init(|| Arc::new(AtomicUsize::new(0)))
}

/// From now on SIGTERM, SIGINT and SIGHUP only set `signal_slot`; `drive` sees it within a
/// tick and returns, so the terminal is restored before the process exits.
fn catch_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    for sig in [SIGTERM, SIGINT, SIGHUP] {
        let _ = signal_hook::flag::register_usize(sig, signal_slot().clone(), sig as usize);
    }
}

/// Takes the terminal and catches the signals that would otherwise leave it raw. A panic on
/// the UI thread restores the terminal, then prints as usual (ratatui's hook); a panic on
/// another thread leaves the terminal alone (the UI is still drawing on it) and only notes
/// where it happened, for the `Msg::Crashed` that `spawn_task` sends.
fn take_terminal() -> DefaultTerminal {
    catch_signals();
    let terminal = ratatui::init();
    let restore_and_print = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some("main") {
            restore_and_print(info);
        } else if let (Some(at), Ok(mut last)) = (info.location(), PANIC_AT.lock()) {
            *last = Some(format!("{}:{}", at.file(), at.line()));
        }
    }));
    terminal
}

/// Where the last panic off the UI thread happened.
static PANIC_AT: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// `STRATA_TEST_PANIC=load|ui` makes the loader thread or the UI thread panic, so the tests
/// can check that a bug leaves the terminal sane and says what happened.
fn injected_panic(place: &str) {
    if std::env::var_os("STRATA_TEST_PANIC").is_some_and(|v| v == place) {
        panic!("injected by STRATA_TEST_PANIC={place}");
    }
}

/// Runs `task` on its own thread and sends what it returns; if it panics, sends
/// `Msg::Crashed` naming `what` instead, so the UI never waits on a dead task.
fn spawn_task(tx: Sender<Msg>, what: &'static str, task: impl FnOnce() -> Msg + Send + 'static) {
    std::thread::spawn(move || {
        let msg = match catch_unwind(AssertUnwindSafe(task)) {
            Ok(msg) => msg,
            Err(payload) => {
                let detail = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".into());
                let at = PANIC_AT
                    .lock()
                    .ok()
                    .and_then(|mut p| p.take())
                    .map(|p| format!(" at {p}"))
                    .unwrap_or_default();
                Msg::Crashed(format!(
                    "internal error while {what}: {detail}{at} (a bug in strata; please report it)"
                ))
            }
        };
        let _ = tx.send(msg);
    });
}

/// crossterm drops every colour when `NO_COLOR` is set, whatever it is asked to draw; the
/// decision is `UiConfig::colours`' (`--color` wins over `NO_COLOR`), so crossterm is told it.
fn colour_output(ui: &UiConfig) {
    ratatui::crossterm::style::force_color_output(ui.colours != Colours::None);
}

/// Runs the explorer on `input` until the user quits.
pub fn run(input: &str, opts: SourceOptions, ui: UiConfig) -> Result<(), RunError> {
    colour_output(&ui);
    let mut terminal = take_terminal();
    let _ = execute!(std::io::stdout(), EnableMouseCapture);
    let result = terminal.size().map_err(RunError::from).and_then(|size| {
        let mut state = State::new(input, ui.keymap, ui.theme, size.width, size.height);
        state.start_mode = ui.mode;
        let first = Effect::Load {
            input: input.to_string(),
        };
        event_loop(&mut terminal, state, first, opts)
    });
    let _ = execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

/// Runs the compare screen for `a` and `b` until the user quits.
pub fn run_compare(a: &str, b: &str, opts: SourceOptions, ui: UiConfig) -> Result<(), RunError> {
    colour_output(&ui);
    let mut terminal = take_terminal();
    let result = terminal.size().map_err(RunError::from).and_then(|size| {
        let state = State::new(
            &format!("{a} and {b}"),
            ui.keymap,
            ui.theme,
            size.width,
            size.height,
        );
        let first = Effect::Compare {
            a: a.to_string(),
            b: b.to_string(),
        };
        event_loop(&mut terminal, state, first, opts)
    });
    ratatui::restore();
    result
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    mut state: State,
    first: Effect,
    opts: SourceOptions,
) -> Result<(), RunError> {
    let (tx, rx) = mpsc::channel::<Msg>();
    spawn_input(tx.clone());
    let order = Arc::new(Order::default());
    let ctx = Ctx { opts, order };
    perform(first, &state, &ctx, &tx);
    let result = drive(terminal, &mut state, &rx, |state, msg| {
        if let Msg::Loaded(_) = &msg {
            injected_panic("ui");
        }
        for effect in update(state, msg) {
            perform(effect, state, &ctx, &tx);
        }
    });
    // Quit mid-load: the downloads stop, and their unfinished files in the blob store go
    // with their readers before the process ends (the store keeps only verified blobs).
    // Before the layers, nothing is on its way into the store: no need to wait (a registry
    // that never answers must not hold the quit).
    ctx.order.cancel();
    if ctx.order.reading() {
        ctx.order.wait_finished(Duration::from_secs(5));
    }
    result
}

/// What the effects of one screen share: the options the image was opened with, and the
/// order (and cancellation) of its load.
struct Ctx {
    opts: SourceOptions,
    order: Arc<Order>,
}

/// The loop both screens share: draw, wait for messages (or a 100 ms tick), apply every
/// pending one with `apply` before drawing again (a burst of progress or key repeats costs
/// one frame), until the state says quit or every sender is gone.
fn drive(
    terminal: &mut DefaultTerminal,
    state: &mut State,
    rx: &Receiver<Msg>,
    mut apply: impl FnMut(&mut State, Msg),
) -> Result<(), RunError> {
    let start = Instant::now();
    let tick = |start: Instant| Msg::Tick {
        elapsed_ms: start.elapsed().as_millis() as u64,
    };
    // A key, the mouse, a resize or a new screen is drawn at once; a load's progress at most
    // every `FRAME`:
    // an explorer frame costs more than the loading screen's, and a load reporting every
    // 256 KiB must not spend a core on redrawing it.
    const FRAME: Duration = Duration::from_millis(40);
    let mut drawn: Option<Instant> = None;
    let mut due = true;
    let mut urgent = true;
    loop {
        if ended_by_signal().is_some() {
            return Ok(());
        }
        if due && (urgent || drawn.is_none_or(|d| d.elapsed() >= FRAME)) {
            terminal.draw(|f| crate::tui::ui::draw(f, state))?;
            drawn = Some(Instant::now());
            (due, urgent) = (false, false);
        }
        let wait = match drawn {
            Some(d) if due => FRAME.saturating_sub(d.elapsed()),
            _ => Duration::from_millis(100),
        };
        let first = match rx.recv_timeout(wait) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => tick(start),
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        };
        let mut batch = vec![first];
        batch.extend(drain(rx));
        for msg in batch {
            if let Msg::Crashed(why) = msg {
                return Err(RunError::Crashed(why));
            }
            // Input, and what changes the screen (rare: once a layer at most), show at once.
            urgent |= !matches!(msg, Msg::Load(_) | Msg::LoadB(_) | Msg::Tick { .. });
            apply(state, msg);
            if state.quit {
                // A load that failed on screen is also the command's error, printed once the
                // terminal is back (exit 2, as for `strata report`).
                return match &state.screen {
                    Screen::Failed(error) => Err(RunError::Failed(error.clone())),
                    _ => Ok(()),
                };
            }
        }
        due = true;
        // Keep the loading screen's clock current even when progress never pauses.
        update(state, tick(start));
    }
}

fn drain(rx: &Receiver<Msg>) -> Vec<Msg> {
    let mut out = Vec::new();
    while let Ok(m) = rx.try_recv() {
        out.push(m);
        if out.len() > 256 {
            break;
        }
    }
    out
}

/// Does what `update` asked for, on a task of its own; what comes of it arrives as a message.
fn perform(effect: Effect, state: &State, ctx: &Ctx, tx: &Sender<Msg>) {
    let opts = &ctx.opts;
    match effect {
        Effect::Load { input } => {
            let opts = opts.clone();
            let progress = progress_to(tx, Msg::Load);
            let order = ctx.order.clone();
            let snapshots = Arc::new(Latest::default());
            spawn_snapshot_analyses(tx.clone(), snapshots.clone());
            spawn_task(tx.clone(), "loading the image", move || {
                injected_panic("load");
                let offer = |session: Arc<Session>| snapshots.offer(session);
                let watch = Watcher {
                    progress: &progress,
                    order: &order,
                    snapshot: &offer,
                    tables_of_contents: true,
                };
                let loaded = crate::load::Session::open_watched(&input, &opts, &watch);
                snapshots.close();
                match loaded {
                    Ok(session) => {
                        let analysis = session.analyse();
                        Msg::Loaded(Loaded {
                            session: Arc::new(session),
                            analysis: Arc::new(analysis),
                        })
                    }
                    Err(e) => Msg::LoadFailed(e.to_string()),
                }
            });
        }
        Effect::Prioritise(layer) => ctx.order.prefer(layer),
        Effect::Compare { a, b } => {
            let opts = opts.clone();
            let (progress_a, progress_b) =
                (progress_to(tx, Msg::Load), progress_to(tx, Msg::LoadB));
            spawn_task(
                tx.clone(),
                "loading the images",
                move || match crate::load::load_pair(&a, &b, &opts, &progress_a, &progress_b) {
                    (Ok(a), Ok(b)) => {
                        let (an_a, an_b) = (a.analyse(), b.analyse());
                        let (report, comparison) =
                            crate::report::diff::compare_images(a.image(), &an_a, b.image(), &an_b);
                        let side = |session, analysis| Loaded {
                            session: Arc::new(session),
                            analysis: Arc::new(analysis),
                        };
                        Msg::Compared {
                            report: Box::new(report),
                            comparison: Box::new(comparison),
                            sides: Some(Arc::new([side(a, an_a), side(b, an_b)])),
                        }
                    }
                    (Err(e), _) | (_, Err(e)) => Msg::LoadFailed(e.to_string()),
                },
            );
        }
        Effect::ReadFile {
            layer,
            path,
            purpose,
        } => {
            let Some(loaded) = state.loaded() else {
                return;
            };
            spawn_task(tx.clone(), "reading a file", move || {
                file_read(&loaded, layer, path, purpose)
            });
        }
        Effect::Copy(text) => {
            use base64::Engine as _;
            use std::io::Write as _;
            // OSC 52: the terminal (local, or at the end of an ssh session) sets its clipboard.
            let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
            let mut out = std::io::stdout();
            let _ = write!(out, "\x1b]52;c;{encoded}\x07");
            let _ = out.flush();
        }
        Effect::ReadPair { path, a, b } => {
            let (Some(la), Some(lb)) = (state.loaded_image(0), state.loaded_image(1)) else {
                return;
            };
            spawn_task(tx.clone(), "reading a file", move || {
                pair_read(&la, &lb, path, a, b)
            });
        }
        Effect::Extract(request) => {
            let Some(loaded) = state.loaded_image(request.image) else {
                return;
            };
            spawn_task(tx.clone(), "extracting", move || {
                extraction(&loaded, request)
            });
        }
    }
}

/// The newest snapshot of a loading image not analysed yet: a snapshot that arrives while the
/// one before is being analysed replaces any still waiting, so the analyses never queue up
/// behind the download.
#[derive(Default)]
struct Latest {
    /// The snapshot waiting, and whether the load has ended (no more will come).
    slot: Mutex<(Option<Arc<Session>>, bool)>,
    ready: std::sync::Condvar,
}

impl Latest {
    fn offer(&self, session: Arc<Session>) {
        if let Ok(mut slot) = self.slot.lock() {
            slot.0 = Some(session);
        }
        self.ready.notify_one();
    }

    fn close(&self) {
        if let Ok(mut slot) = self.slot.lock() {
            slot.1 = true;
        }
        self.ready.notify_one();
    }

    /// Waits up to `limit`, less if the load ends meanwhile.
    fn rest(&self, limit: Duration) {
        if let Ok(slot) = self.slot.lock() {
            let _ = self
                .ready
                .wait_timeout_while(slot, limit, |(_, closed)| !*closed);
        }
    }

    /// The next snapshot to analyse; `None` once the load has ended. The first (the metadata's,
    /// the explorer's first frame) at once; later ones once none newer came for `QUIET`, or
    /// after `LONGEST`: layers that arrive in a burst (a local archive, cached trees) are
    /// shown once, or not at all when the load ends first, rather than each analysed while the
    /// load still needs the cores.
    fn take(&self, first: bool) -> Option<Arc<Session>> {
        const QUIET: Duration = Duration::from_millis(200);
        const LONGEST: Duration = Duration::from_secs(1);
        let slot = self.slot.lock().ok()?;
        let mut slot = self
            .ready
            .wait_while(slot, |(s, closed)| s.is_none() && !*closed)
            .ok()?;
        if !first {
            let since = Instant::now();
            loop {
                let newest = slot.0.as_ref().map(|s| s.snapshot_number());
                let wait = QUIET.min(LONGEST.saturating_sub(since.elapsed()));
                let (next, _) = self
                    .ready
                    .wait_timeout_while(slot, wait, |(s, closed)| {
                        !*closed && s.as_ref().map(|s| s.snapshot_number()) == newest
                    })
                    .ok()?;
                slot = next;
                let newer = slot.0.as_ref().map(|s| s.snapshot_number()) != newest;
                if slot.1 || !newer || since.elapsed() >= LONGEST {
                    break;
                }
            }
        }
        if slot.1 {
            // The loaded image follows as `Msg::Loaded`: no older snapshot after it.
            return None;
        }
        slot.0.take()
    }
}

/// Analyses each snapshot `latest` offers (off the loader's workers) and sends it on.
fn spawn_snapshot_analyses(tx: Sender<Msg>, latest: Arc<Latest>) {
    spawn_task(tx.clone(), "showing the layers as they arrive", move || {
        let mut first = true;
        while let Some(session) = latest.take(std::mem::take(&mut first)) {
            let started = Instant::now();
            let analysis = session.analyse_snapshot();
            // At most a third of a core: a load that is not waiting on the network (a local
            // archive) needs the others, and a newer snapshot replaces this one meanwhile.
            let rest = started.elapsed() * 2;
            let msg = Msg::Snapshot(Loaded {
                session,
                analysis: Arc::new(analysis),
            });
            if tx.send(msg).is_err() {
                break;
            }
            latest.rest(rest);
        }
        Msg::Idle
    });
}

/// `Effect::ReadFile`'s work, off the UI thread: the file as the viewer gets it, read again
/// from the loaded layer and checked against its digest.
pub fn file_read(loaded: &Loaded, layer: usize, path: String, purpose: ReadPurpose) -> Msg {
    let result = extract::read_file(&loaded.session, &loaded.analysis, layer, &path, VIEW_LIMIT)
        .map_err(|e| e.to_string());
    Msg::FileRead {
        layer,
        path,
        purpose,
        result,
    }
}

/// `Effect::ReadPair`'s work, off the UI thread: `path` as the final views of A (if `want_a`)
/// and B (if `want_b`) show it, each read again from its layer and checked.
pub fn pair_read(a: &Loaded, b: &Loaded, path: String, want_a: bool, want_b: bool) -> Msg {
    let read = |l: &Loaded| {
        let top = l.session.image().layers.len().saturating_sub(1);
        extract::read_file(&l.session, &l.analysis, top, &path, VIEW_LIMIT)
            .map_err(|e| e.to_string())
    };
    Msg::PairRead {
        a: want_a.then(|| read(a)),
        b: want_b.then(|| read(b)),
        path,
    }
}

/// `Effect::Extract`'s work, off the UI thread.
pub fn extraction(loaded: &Loaded, request: ExtractRequest) -> Msg {
    let paths = vec![format!("/{}", request.path)];
    let result = extract::extract(
        &loaded.session,
        &loaded.analysis,
        &paths,
        std::path::Path::new(&request.dir),
        &ExtractOptions {
            layer: Some(request.layer),
            overwrite: request.overwrite,
        },
    )
    .map_err(|e| ExtractFailure {
        exists: matches!(e.kind(), crate::model::error::Error::Exists { .. }),
        message: e.to_string(),
    });
    Msg::Extracted { request, result }
}

/// A load's progress, sent to the UI as `wrap(event)`.
fn progress_to(
    tx: &Sender<Msg>,
    wrap: fn(LoadEvent) -> Msg,
) -> impl Fn(LoadEvent) + Sync + Send + 'static {
    let tx = Mutex::new(tx.clone());
    move |ev| {
        if let Ok(t) = tx.lock() {
            let _ = t.send(wrap(ev));
        }
    }
}

fn spawn_input(tx: Sender<Msg>) {
    std::thread::spawn(move || loop {
        let msg = match event::read() {
            Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => Msg::Key(k),
            Ok(Event::Mouse(m)) => Msg::Mouse(m),
            Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
            Ok(_) => continue,
            Err(_) => return,
        };
        if tx.send(msg).is_err() {
            return;
        }
    });
}
