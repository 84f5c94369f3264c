//! The event loop: owns the terminal, reads keys and mouse, loads the image on a background
//! thread, runs effects on threads, and feeds everything to `app::update` as messages.
//! The only place that spawns threads for the UI or touches the terminal.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind,
};
use ratatui::crossterm::execute;
use ratatui::DefaultTerminal;

use crate::extract::{self, ExtractOptions};
use crate::source::SourceOptions;
use crate::tui::app::filetree::FileMode;
use crate::tui::app::keymap::Keymap;
use crate::tui::app::theme::{Colours, Theme};
use crate::tui::app::{update, Effect, Loaded, Msg, State, VIEW_LIMIT};

/// User settings from `config.toml`.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub keys: Option<toml::Table>,
    pub theme: Option<String>,
    /// The files panel's mode when an image opens: `layer` (default), `merged`, `final`.
    pub mode: Option<toml::Value>,
}

/// How the explorer looks and answers keys, from the settings.
#[derive(Debug, Clone)]
pub struct UiConfig {
    pub keymap: Keymap,
    pub theme: Theme,
    pub mode: FileMode,
}

/// Reads `dirs::config_dir()/strata/config.toml` (or `$STRATA_CONFIG`). A missing file is
/// fine; a broken one is an error that names it.
pub fn load_settings() -> Result<Settings, String> {
    let path = match std::env::var_os("STRATA_CONFIG") {
        Some(p) => std::path::PathBuf::from(p),
        None => match dirs::config_dir() {
            Some(d) => d.join("strata").join("config.toml"),
            None => return Ok(Settings::default()),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
        Err(e) => return Err(format!("config file {}: {e}", path.display())),
    };
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))?;
    Ok(Settings {
        keys: table.get("keys").and_then(|k| k.as_table()).cloned(),
        theme: table
            .get("theme")
            .and_then(|t| t.as_str())
            .map(str::to_string),
        mode: table.get("mode").cloned(),
    })
}

/// Keymap, theme and starting mode from settings and the environment.
pub fn ui_config(settings: &Settings) -> Result<UiConfig, String> {
    let (keymap, warnings) = Keymap::new(settings.keys.as_ref());
    if let Some(w) = warnings.first() {
        return Err(format!("config: {w}"));
    }
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let term = std::env::var("TERM").ok();
    let colorterm = std::env::var("COLORTERM").ok();
    let colours = Colours::from_env(no_color, term.as_deref(), colorterm.as_deref());
    let theme = Theme::by_name(settings.theme.as_deref(), colours).ok_or_else(|| {
        format!(
            "config: unknown theme '{}' (dark, light, mono)",
            settings.theme.as_deref().unwrap_or("")
        )
    })?;
    let mode = match &settings.mode {
        None => FileMode::Layer,
        Some(value) => value.as_str().and_then(FileMode::by_name).ok_or_else(|| {
            format!("config: unknown mode {value} (\"layer\", \"merged\", \"final\")")
        })?,
    };
    Ok(UiConfig {
        keymap,
        theme,
        mode,
    })
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

/// Runs the explorer on `input` until the user quits. Returns an error message for the
/// caller to print after the terminal is restored.
pub fn run(input: &str, opts: SourceOptions, ui: UiConfig) -> Result<(), String> {
    let mut terminal = take_terminal();
    let _ = execute!(std::io::stdout(), EnableMouseCapture);
    let result = event_loop(&mut terminal, input, opts, ui);
    let _ = execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

/// Runs the compare screen for `a` and `b` until the user quits.
pub fn run_compare(a: &str, b: &str, opts: SourceOptions, ui: UiConfig) -> Result<(), String> {
    let mut terminal = take_terminal();
    let result = compare_loop(&mut terminal, a, b, opts, ui.keymap, ui.theme);
    ratatui::restore();
    result
}

fn compare_loop(
    terminal: &mut DefaultTerminal,
    a: &str,
    b: &str,
    opts: SourceOptions,
    keymap: Keymap,
    theme: Theme,
) -> Result<(), String> {
    let size = terminal.size().map_err(|e| e.to_string())?;
    let mut state = State::new(
        &format!("{a} and {b}"),
        keymap,
        theme,
        size.width,
        size.height,
    );
    let (tx, rx) = mpsc::channel::<Msg>();
    spawn_input(tx.clone());
    let (a, b) = (a.to_string(), b.to_string());
    let done = tx.clone();
    spawn_task(done, "loading the images", move || {
        let load = |input: &str, side_b: bool| {
            let t = std::sync::Mutex::new(tx.clone());
            let progress = move |ev| {
                if let Ok(t) = t.lock() {
                    let _ = t.send(if side_b {
                        Msg::LoadB(ev)
                    } else {
                        Msg::Load(ev)
                    });
                }
            };
            crate::load::load(input, &opts, &progress)
        };
        let (ra, rb) = std::thread::scope(|s| {
            let ha = s.spawn(|| load(&a, false));
            let rb = load(&b, true);
            (ha.join(), rb)
        });
        match (ra, rb) {
            (Ok(Ok(ia)), Ok(ib)) => {
                let (an_a, an_b) = (ia.analyse(), ib.analyse());
                let (doc, cmp) =
                    crate::report::diff::compare_images(ia.image(), &an_a, ib.image(), &an_b);
                Msg::Compared(Box::new(crate::tui::app::compare::CompareView::new(
                    doc, &cmp,
                )))
            }
            (Ok(Err(e)), _) | (_, Err(e)) => Msg::LoadFailed(e.to_string()),
            (Err(payload), _) => std::panic::resume_unwind(payload),
        }
    });
    drive(terminal, &mut state, &rx, |state, msg| {
        update(state, msg);
    })
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    input: &str,
    opts: SourceOptions,
    ui: UiConfig,
) -> Result<(), String> {
    let size = terminal.size().map_err(|e| e.to_string())?;
    let mut state = State::new(input, ui.keymap, ui.theme, size.width, size.height);
    state.start_mode = ui.mode;
    let (tx, rx) = mpsc::channel::<Msg>();
    spawn_loader(input.to_string(), opts.clone(), tx.clone());
    spawn_input(tx.clone());
    let mut loaded: Option<(Arc<crate::load::Session>, Arc<crate::analysis::Analysis>)> = None;
    drive(terminal, &mut state, &rx, |state, msg| {
        if let Msg::Loaded(l) = &msg {
            injected_panic("ui");
            loaded = Some((l.session.clone(), l.analysis.clone()));
        }
        for effect in update(state, msg) {
            if let Some((session, analysis)) = &loaded {
                run_effect(effect, session.clone(), analysis.clone(), tx.clone());
            }
        }
    })
}

/// The loop both screens share: draw, wait for messages (or a 100 ms tick), apply every
/// pending one with `apply` before drawing again (a burst of progress or key repeats costs
/// one frame), until the state says quit or every sender is gone.
fn drive(
    terminal: &mut DefaultTerminal,
    state: &mut State,
    rx: &Receiver<Msg>,
    mut apply: impl FnMut(&mut State, Msg),
) -> Result<(), String> {
    let start = Instant::now();
    let tick = |start: Instant| Msg::Tick {
        elapsed_ms: start.elapsed().as_millis() as u64,
    };
    loop {
        if ended_by_signal().is_some() {
            return Ok(());
        }
        terminal
            .draw(|f| crate::tui::ui::draw(f, state))
            .map_err(|e| e.to_string())?;
        let first = match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => tick(start),
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        };
        let mut batch = vec![first];
        batch.extend(drain(rx));
        for msg in batch {
            if let Msg::Crashed(why) = msg {
                return Err(why);
            }
            apply(state, msg);
            if state.quit {
                // A load that failed on screen is also the command's error, printed once the
                // terminal is back (exit 2, as for `strata report`).
                return match &state.screen {
                    crate::tui::app::Screen::Failed(error) => Err(error.clone()),
                    _ => Ok(()),
                };
            }
        }
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

fn spawn_loader(input: String, opts: SourceOptions, tx: Sender<Msg>) {
    let progress_tx = std::sync::Mutex::new(tx.clone());
    spawn_task(tx, "loading the image", move || {
        let progress = move |ev| {
            if let Ok(t) = progress_tx.lock() {
                let _ = t.send(Msg::Load(ev));
            }
        };
        injected_panic("load");
        match crate::load::load(&input, &opts, &progress) {
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

fn run_effect(
    effect: Effect,
    session: Arc<crate::load::Session>,
    analysis: Arc<crate::analysis::Analysis>,
    tx: Sender<Msg>,
) {
    let what = match effect {
        Effect::ReadFile { .. } => "reading a file",
        Effect::Extract(_) => "extracting",
    };
    spawn_task(tx, what, move || match effect {
        Effect::ReadFile {
            layer,
            path,
            purpose,
        } => {
            let result = extract::read_file(&session, &analysis, layer, &path, VIEW_LIMIT)
                .map_err(|e| e.to_string());
            Msg::FileRead {
                layer,
                path,
                purpose,
                result,
            }
        }
        Effect::Extract(request) => {
            let paths = vec![format!("/{}", request.path)];
            let result = extract::extract(
                &session,
                &analysis,
                &paths,
                std::path::Path::new(&request.dir),
                &ExtractOptions {
                    layer: Some(request.layer),
                    overwrite: request.overwrite,
                },
            )
            .map_err(|e| crate::tui::app::ExtractFailure {
                exists: matches!(e.kind(), crate::model::error::Error::Exists { .. }),
                message: e.to_string(),
            });
            Msg::Extracted { request, result }
        }
    });
}
