//! The application: `State`, the messages that change it, and the effects it asks the runtime
//! to perform. `update` never blocks, never draws and never does I/O.

pub mod compare;
pub mod explorer;
pub mod filetree;
pub mod filter;
pub mod keymap;
pub mod layout;
pub mod theme;

use std::sync::Arc;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent};

use crate::analysis::Analysis;
use crate::extract::{FileContent, Summary};
use crate::load::{LoadEvent, Session};
pub use explorer::Explorer;
use keymap::Keymap;
use theme::Theme;

/// Everything the UI shows.
pub struct State {
    pub screen: Screen,
    /// What the user asked to open, as typed.
    pub reference: String,
    pub keymap: Keymap,
    pub theme: Theme,
    /// Terminal size, for layout-dependent keys (paging) and mouse hits.
    pub width: u16,
    pub height: u16,
    pub quit: bool,
    /// The files panel's mode when the image opens (config.toml's `mode`).
    pub start_mode: filetree::FileMode,
}

pub enum Screen {
    Loading(Loading),
    Explorer(Box<Explorer>),
    Compare(Box<compare::CompareView>),
    Failed(String),
}

/// Progress of one layer while the image loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LayerLoad {
    pub read: u64,
    pub total: u64,
    pub phase: Phase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    #[default]
    Queued,
    /// Decompressing, verifying and indexing, in one pass.
    Reading,
    Done,
}

/// The loading screen's state.
#[derive(Debug, Clone, Default)]
pub struct Loading {
    pub layers: Vec<LayerLoad>,
    /// The second image's layers, when comparing two.
    pub layers_b: Vec<LayerLoad>,
    pub elapsed_ms: u64,
    /// All layers read; stacking and waste analysis running.
    pub analysing: bool,
    /// What the loader had to tell (e.g. working from the cache), escaped when drawn.
    pub notices: Vec<String>,
}

impl Loading {
    pub fn bytes(&self) -> (u64, u64) {
        self.layers
            .iter()
            .chain(&self.layers_b)
            .fold((0, 0), |(r, t), l| (r + l.read.min(l.total), t + l.total))
    }

    /// Seconds left at the rate so far, once there is a rate to speak of.
    pub fn eta_secs(&self) -> Option<u64> {
        let (read, total) = self.bytes();
        if read == 0 || self.elapsed_ms < 200 || read >= total {
            return None;
        }
        let rate = read as f64 / self.elapsed_ms as f64;
        Some(((total - read) as f64 / rate / 1000.0).ceil() as u64)
    }
}

/// A loaded image with its analysis.
pub struct Loaded {
    pub session: Arc<Session>,
    pub analysis: Arc<Analysis>,
}

/// What a file read is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadPurpose {
    View,
    /// The older version, for a diff against `new_layer`.
    DiffOld {
        new_layer: usize,
    },
    /// The newer version; `old` is the older content.
    DiffNew {
        old: Box<FileContent>,
    },
}

/// A request to extract a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractRequest {
    /// The merged view after this layer.
    pub layer: usize,
    /// Normalised path ("" for everything).
    pub path: String,
    pub dir: String,
    pub overwrite: bool,
}

pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// Time since start, for the loading screen's rate and ETA.
    Tick {
        elapsed_ms: u64,
    },
    Load(LoadEvent),
    /// Progress of the second image of a comparison.
    LoadB(LoadEvent),
    Loaded(Loaded),
    /// Both images of a comparison loaded and compared.
    Compared(Box<compare::CompareView>),
    LoadFailed(String),
    /// A background task panicked (a bug): the runtime restores the terminal and exits with
    /// this message.
    Crashed(String),
    FileRead {
        layer: usize,
        path: String,
        purpose: ReadPurpose,
        result: Result<FileContent, String>,
    },
    Extracted {
        request: ExtractRequest,
        result: Result<Summary, ExtractFailure>,
    },
}

/// Why an extraction failed; `exists` means the user may confirm an overwrite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractFailure {
    pub exists: bool,
    pub message: String,
}

/// Work the runtime does for `update`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Read up to the viewer's cap of `path` as the merged view after `layer` shows it.
    ReadFile {
        layer: usize,
        path: String,
        purpose: ReadPurpose,
    },
    Extract(ExtractRequest),
}

/// The viewer's cap on file content.
pub const VIEW_LIMIT: u64 = 1 << 20;

impl State {
    pub fn new(reference: &str, keymap: Keymap, theme: Theme, width: u16, height: u16) -> State {
        State {
            screen: Screen::Loading(Loading::default()),
            reference: reference.into(),
            keymap,
            theme,
            width,
            height,
            quit: false,
            start_mode: filetree::FileMode::Layer,
        }
    }
}

/// Applies one message.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Resize(w, h) => {
            state.width = w;
            state.height = h;
            match &mut state.screen {
                Screen::Explorer(ex) => ex.fit(w, h),
                Screen::Compare(view) => view.fit(h),
                _ => {}
            }
            Vec::new()
        }
        Msg::Tick { elapsed_ms } => {
            if let Screen::Loading(l) = &mut state.screen {
                l.elapsed_ms = elapsed_ms;
            }
            Vec::new()
        }
        Msg::Load(ev) => {
            if let Screen::Loading(l) = &mut state.screen {
                if let LoadEvent::Notice(text) = &ev {
                    l.notices.push(text.clone());
                }
                on_load_event(&mut l.layers, &mut l.analysing, ev);
            }
            Vec::new()
        }
        Msg::LoadB(ev) => {
            if let Screen::Loading(l) = &mut state.screen {
                if let LoadEvent::Notice(text) = &ev {
                    l.notices.push(text.clone());
                }
                let mut done = false;
                on_load_event(&mut l.layers_b, &mut done, ev);
            }
            Vec::new()
        }
        Msg::Compared(view) => {
            state.screen = Screen::Compare(view);
            Vec::new()
        }
        Msg::Loaded(loaded) => {
            let ex = Explorer::new(loaded, state.start_mode, state.width, state.height);
            state.screen = Screen::Explorer(Box::new(ex));
            Vec::new()
        }
        Msg::LoadFailed(e) => {
            state.screen = Screen::Failed(e);
            Vec::new()
        }
        Msg::Crashed(_) => {
            state.quit = true;
            Vec::new()
        }
        Msg::Key(key) => on_key(state, key),
        Msg::Mouse(m) => {
            if let Screen::Explorer(ex) = &mut state.screen {
                ex.on_mouse(m, state.width, state.height);
            }
            Vec::new()
        }
        Msg::FileRead {
            layer,
            path,
            purpose,
            result,
        } => match &mut state.screen {
            Screen::Explorer(ex) => ex.on_file_read(layer, &path, purpose, result),
            _ => Vec::new(),
        },
        Msg::Extracted { request, result } => {
            if let Screen::Explorer(ex) = &mut state.screen {
                ex.on_extracted(request, result);
            }
            Vec::new()
        }
    }
}

fn on_load_event(layers: &mut Vec<LayerLoad>, analysing: &mut bool, ev: LoadEvent) {
    match ev {
        LoadEvent::Opened { layer_bytes } => {
            *layers = layer_bytes
                .into_iter()
                .map(|total| LayerLoad {
                    total,
                    ..Default::default()
                })
                .collect()
        }
        LoadEvent::LayerStarted { index } => {
            if let Some(x) = layers.get_mut(index) {
                x.phase = Phase::Reading;
            }
        }
        LoadEvent::LayerProgress { index, read, total } => {
            if let Some(x) = layers.get_mut(index) {
                x.read = read;
                x.total = total;
                x.phase = Phase::Reading;
            }
        }
        LoadEvent::LayerFinished { index, .. } => {
            if let Some(x) = layers.get_mut(index) {
                x.read = x.total;
                x.phase = Phase::Done;
            }
            if layers.iter().all(|x| x.phase == Phase::Done) {
                *analysing = true;
            }
        }
        LoadEvent::Notice(_) => {}
    }
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    // Ctrl-C quits from anywhere, whatever the keymap binds it to: the one way out a user
    // config cannot take away.
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        state.quit = true;
        return Vec::new();
    }
    match &mut state.screen {
        Screen::Compare(view) => {
            view.on_key(key, &state.keymap, state.height);
            if view.quit {
                state.quit = true;
            }
            Vec::new()
        }
        Screen::Explorer(ex) => {
            let effects = ex.on_key(key, &state.keymap, state.width, state.height);
            if ex.quit {
                state.quit = true;
            }
            effects
        }
        // While loading, or after a failure, only quitting makes sense.
        _ => {
            let quit = matches!(state.keymap.action(&key), Some(keymap::Action::Quit))
                || key.code == KeyCode::Esc;
            if quit {
                state.quit = true;
            }
            Vec::new()
        }
    }
}
