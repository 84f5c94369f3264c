//! The application as a state machine: `State`, the messages that change it (`Msg`), and the
//! work it asks the runtime to do (`Effect`). `update` never blocks, never draws, never does
//! I/O and never reads what a draw wrote: where the panels are comes from `layout`, computed
//! from the terminal size of the last `Resize`.
//!
//! - `keys` turns a key into what it means (the one place: quit, typing, the keymap);
//! - `nav` moves through a file tree, for the explorer and the compare screen alike;
//! - `explorer`, `compare`, `loading`: the screens; `popups`: the explorer's popups;
//! - `filetree`: the tree a screen shows, its rows and what passes its filter;
//! - `keymap`, `theme`, `layout`: bindings, colours and where the panels go.

pub mod compare;
pub mod explorer;
pub mod filetree;
pub mod keymap;
pub mod keys;
pub mod layout;
pub mod loading;
pub mod nav;
pub mod popups;
pub mod squarify;
pub mod theme;

use std::sync::Arc;

use ratatui::crossterm::event::{KeyEvent, MouseEvent};

use crate::analysis::compare::Comparison;
use crate::analysis::Analysis;
use crate::extract::{FileContent, Summary};
use crate::load::{LoadEvent, Session};
use crate::report::diff::DiffReport;
pub use explorer::Explorer;
use keymap::{Action, Keymap};
use keys::{Context, Input};
pub use loading::{LayerLoad, Loading, Phase};
use theme::Theme;

/// Everything the UI shows.
pub struct State {
    pub screen: Screen,
    /// What the user asked to open, as typed.
    pub reference: String,
    pub keymap: Keymap,
    pub theme: Theme,
    /// Terminal size, from the last `Resize`: the layout of every screen.
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

/// A loaded image with its analysis.
#[derive(Clone)]
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
    /// The last copy of a path the next layer removed, to diff against nothing.
    DiffRemoved,
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
    /// Which image: 0 for the explorer's or A, 1 for B.
    pub image: usize,
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
    /// The image as it stands while it loads (`Session::pending` says which layers are not in
    /// yet), with the analysis of what is in. The explorer opens on the first one.
    Snapshot(Loaded),
    Loaded(Loaded),
    /// Both images of a comparison loaded and compared.
    Compared {
        report: Box<DiffReport>,
        comparison: Box<Comparison>,
        /// Both images, for content diffs and extraction (`None` where only drawing is tested).
        sides: Option<Arc<[Loaded; 2]>>,
    },
    /// Both versions of a path of a comparison (`None`: that image has no such file).
    PairRead {
        path: String,
        a: Option<Result<FileContent, String>>,
        b: Option<Result<FileContent, String>>,
    },
    LoadFailed(String),
    /// A background task ended with nothing more to say.
    Idle,
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

/// Work the runtime does for `update`, off the UI thread; what comes of it comes back as a
/// `Msg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Open and analyse `input` (`Msg::Load` events, then `Msg::Loaded` or `LoadFailed`).
    Load {
        input: String,
    },
    /// Open both images in parallel and compare them (`Msg::Compared` or `LoadFailed`).
    Compare {
        a: String,
        b: String,
    },
    /// Read up to the viewer's cap of `path` as the merged view after `layer` shows it, from
    /// the explorer's session.
    ReadFile {
        layer: usize,
        path: String,
        purpose: ReadPurpose,
    },
    Extract(ExtractRequest),
    /// Put `text` on the clipboard through the terminal (OSC 52).
    Copy(String),
    /// Read this layer next: the user selected it while it is still to come.
    Prioritise(usize),
    /// Read `path` (up to the viewer's cap) from the final view of A (if `a`) and of B (if
    /// `b`), for the compare screen's content diff (`Msg::PairRead`).
    ReadPair {
        path: String,
        a: bool,
        b: bool,
    },
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

    /// The explorer's image and analysis, for the runtime's file reads and extractions.
    pub fn loaded(&self) -> Option<Loaded> {
        self.loaded_image(0)
    }

    /// Image `image` on screen: the explorer's (0), or A (0) or B (1) of a comparison.
    pub fn loaded_image(&self, image: usize) -> Option<Loaded> {
        match &self.screen {
            Screen::Explorer(ex) if image == 0 => Some(Loaded {
                session: ex.session.clone(),
                analysis: ex.analysis.clone(),
            }),
            Screen::Compare(v) => v.sides.as_ref().and_then(|s| s.get(image).cloned()),
            _ => None,
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
                Screen::Compare(view) => view.fit(w, h),
                _ => {}
            }
        }
        Msg::Tick { elapsed_ms } => match &mut state.screen {
            Screen::Loading(l) => l.elapsed_ms = elapsed_ms,
            // The rate and time left of a load the explorer opened early on.
            Screen::Explorer(ex) => {
                if let Some(l) = &mut ex.arrival {
                    l.elapsed_ms = elapsed_ms;
                }
            }
            _ => {}
        },
        Msg::Load(ev) => match &mut state.screen {
            Screen::Loading(l) => l.on_event(ev, false),
            Screen::Explorer(ex) => ex.on_load_event(ev),
            _ => {}
        },
        Msg::LoadB(ev) => {
            if let Screen::Loading(l) = &mut state.screen {
                l.on_event(ev, true);
            }
        }
        Msg::Compared {
            report,
            comparison,
            sides,
        } => {
            let view =
                compare::CompareView::new(*report, *comparison, sides, state.width, state.height);
            state.screen = Screen::Compare(Box::new(view));
        }
        Msg::PairRead { path, a, b } => {
            if let Screen::Compare(view) = &mut state.screen {
                view.on_pair_read(&path, a, b);
                view.fit(state.width, state.height);
            }
        }
        Msg::Snapshot(loaded) | Msg::Loaded(loaded) => match &mut state.screen {
            Screen::Explorer(ex) => ex.on_snapshot(loaded),
            Screen::Loading(loading) => {
                let mut ex = Explorer::new(loaded, state.start_mode, state.width, state.height);
                if ex.loading() {
                    ex.arrival = Some(std::mem::take(loading));
                }
                state.screen = Screen::Explorer(Box::new(ex));
            }
            // A failure or the compare screen stays.
            _ => {}
        },
        Msg::LoadFailed(e) => state.screen = Screen::Failed(e),
        Msg::Crashed(_) => state.quit = true,
        Msg::Idle => {}
        Msg::Key(key) => return on_key(state, &key),
        Msg::Mouse(m) => {
            if let Screen::Explorer(ex) = &mut state.screen {
                return ex.on_mouse(m);
            }
        }
        Msg::FileRead {
            layer,
            path,
            purpose,
            result,
        } => {
            if let Screen::Explorer(ex) = &mut state.screen {
                return ex.on_file_read(layer, &path, purpose, result);
            }
        }
        Msg::Extracted { request, result } => match &mut state.screen {
            Screen::Explorer(ex) => ex.on_extracted(request, result),
            Screen::Compare(view) => view.on_extracted(request, result),
            _ => {}
        },
    }
    Vec::new()
}

/// A key: read once for the screen's context, then quit here or hand it to the screen.
fn on_key(state: &mut State, key: &KeyEvent) -> Vec<Effect> {
    let context = match &state.screen {
        Screen::Explorer(ex) => ex.context(),
        Screen::Compare(view) => view.context(),
        Screen::Loading(_) | Screen::Failed(_) => Context::Keys(None),
    };
    let input = keys::input(key, &state.keymap, context);
    // Quit from a panel, or from anywhere with Ctrl-C; in a popup the quit key closes it.
    let quits = match input {
        Input::ForceQuit => true,
        Input::Action(Action::Quit) => matches!(context, Context::Keys(_)),
        // While loading, or after a failure, only quitting makes sense: Esc quits too.
        Input::Back => matches!(state.screen, Screen::Loading(_) | Screen::Failed(_)),
        _ => false,
    };
    if quits {
        state.quit = true;
        return Vec::new();
    }
    match &mut state.screen {
        Screen::Explorer(ex) => ex.on_input(input),
        Screen::Compare(view) => view.on_input(input),
        Screen::Loading(_) | Screen::Failed(_) => Vec::new(),
    }
}
