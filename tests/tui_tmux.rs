//! The real binary in a real terminal: tmux runs `strata assets/demo.tar`, keys go in with
//! `send-keys`, the screen comes back with `capture-pane`, and every step is asserted. The
//! terminal must be left sane after quitting (alternate screen off, cursor visible).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, Instant};

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(cmd: &str, width: u16, height: u16) -> Tmux {
        let socket = format!(
            "strata-test-{}-{}-{}",
            std::process::id(),
            width,
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let t = Tmux { socket };
        t.run(&[
            "new-session",
            "-d",
            "-s",
            "s",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            cmd,
        ]);
        t
    }

    /// `strata ARGS` in a terminal with the given config file (a missing one: no config file,
    /// the default path being empty); the pane stays open after strata exits and shows
    /// `EXITED:<code>`.
    fn strata(args: &str, config: &std::path::Path, width: u16, height: u16) -> Tmux {
        Tmux::strata_env("", args, config, width, height)
    }

    /// `strata` with extra `NAME=value` environment.
    fn strata_env(
        env: &str,
        args: &str,
        config: &std::path::Path,
        width: u16,
        height: u16,
    ) -> Tmux {
        let bin = env!("CARGO_BIN_EXE_strata");
        let home = config.parent().unwrap_or(std::path::Path::new("/tmp"));
        // `$STRATA_CONFIG` naming a missing file is an error: without a file, the default
        // path is used, in a directory of the test's own (never the user's config).
        let config_env = if config.exists() {
            format!("STRATA_CONFIG={}", config.display())
        } else {
            format!("XDG_CONFIG_HOME={}/xdg-config", home.display())
        };
        let cmd = format!(
            "env -u STRATA_CONFIG TERM=xterm-256color {env} {config_env} STRATA_CACHE_DIR={}/cache {bin} {args}; echo EXITED:$?; sleep 60",
            home.display()
        );
        Tmux::start(&cmd, width, height)
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("tmux is required (the test command installs it): {e}"));
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Alternate screen and cursor visibility: "0 1" is a terminal left sane.
    fn terminal_flags(&self) -> String {
        self.run(&[
            "display-message",
            "-p",
            "-t",
            "s",
            "#{alternate_on} #{cursor_flag}",
        ])
        .trim()
        .to_string()
    }

    /// Sends `signal` to strata (the pane's shell's child).
    fn signal(&self, signal: &str) {
        let shell = self.run(&["display-message", "-p", "-t", "s", "#{pane_pid}"]);
        let status = Command::new("pkill")
            .args([&format!("-{signal}"), "-P", shell.trim()])
            .status()
            .unwrap();
        assert!(status.success(), "pkill -{signal} found no strata");
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "s"])
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", "s", k]);
        }
    }

    /// Waits (at most 30 s) until the screen no longer contains `text`.
    fn wait_gone(&self, text: &str) {
        let start = Instant::now();
        while self.screen().contains(text) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out waiting for {text:?} to go"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits (at most 30 s) until the screen contains `text` and the explorer has every layer
    /// in (it opens before, on the image's metadata, and says "loading:" in its footer until
    /// then); returns the screen. For tests whose keys need the whole image.
    fn wait_loaded(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) && !screen.contains("loading:") {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out waiting for {text:?} with every layer in; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits (at most 30 s) until the screen contains `text`; returns the screen.
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out waiting for {text:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

#[test]
fn open_move_browse_filter_toggle_mode_and_quit() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo.tar");
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("no-config.toml");
    let t = Tmux::strata(demo, &config, 120, 35);

    let s = t.wait_loaded("Layers (15)");
    assert!(s.contains("Files: layer 0, changes in this layer"), "{s}");
    assert!(s.contains("busybox"), "{s}");

    t.keys(&["j", "j", "j"]);
    let s = t.wait_for("Layer 3 of 15");
    assert!(s.contains("Files: layer 3"), "{s}");
    assert!(s.contains("dataset.bin"), "{s}");

    t.keys(&["Tab"]);
    let s = t.wait_for("┏ Files: layer 3");
    assert!(
        s.contains("┌ Layers (15)"),
        "layers panel no longer focused: {s}"
    );

    t.keys(&["m"]);
    let s = t.wait_for("merged up to this layer");
    assert!(s.contains("bin/"), "{s}");

    t.keys(&["/", "b", "u", "s", "y"]);
    let s = t.wait_for("Filter: busy");
    assert!(s.contains("busybox"), "{s}");
    assert!(
        !s.contains("─opt/") && !s.contains("─etc/"),
        "filter should hide other files: {s}"
    );
    t.keys(&["Enter"]);
    t.wait_for("[filter \"busy\"]");

    t.keys(&["m"]);
    t.wait_for("Files: final filesystem");

    t.keys(&["q"]);
    let s = t.wait_for("EXITED:0");
    assert!(
        !s.contains("Layers (15)"),
        "the explorer left its screen behind: {s}"
    );
    assert_eq!(
        t.terminal_flags(),
        "0 1",
        "alternate screen off and cursor visible after quitting"
    );
}

#[test]
fn a_missing_image_is_an_error_before_the_terminal_is_taken() {
    let home = tempfile::tempdir().unwrap();
    let missing = home.path().join("missing.tar");
    let t = Tmux::strata(
        &format!("{}", missing.display()),
        &home.path().join("none.toml"),
        100,
        20,
    );
    let s = t.wait_for("EXITED:2");
    assert!(s.contains("missing.tar: no such file or directory"), "{s}");
    assert_eq!(t.terminal_flags(), "0 1");
}

#[test]
fn q_quits_at_once_while_the_image_is_still_loading() {
    let home = tempfile::tempdir().unwrap();
    // A registry that takes the connection and never answers: the loader waits on it for as
    // long as --timeout allows; the UI must not.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let t = Tmux::strata(
        &format!("--timeout 3600 127.0.0.1:{port}/stuck:v1"),
        &home.path().join("none.toml"),
        100,
        20,
    );
    let s = t.wait_for("strata: opening");
    assert!(s.contains("q or Ctrl-C quits"), "{s}");
    // The registry answers nothing for an hour (--timeout 3600): quitting is not waiting.
    t.keys(&["q"]);
    t.wait_for("EXITED:0");
    assert_eq!(t.terminal_flags(), "0 1");
}

#[test]
fn a_config_file_rebinds_keys_and_picks_a_theme() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo.tar");
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        "theme = \"mono\"\n[keys]\nquit = [\"Q\"]\nnext_layer = [\"n\"]\n",
    )
    .unwrap();
    let t = Tmux::strata(demo, &config, 200, 35);
    t.wait_loaded("Layers (15)");
    t.keys(&["n", "n"]);
    t.wait_for("Layer 2 of 15");
    // Keys are read in order: a `q` that still quit would leave nothing to take the `n` after
    // it, and layer 3 would never show.
    t.keys(&["q", "n"]);
    let s = t.wait_for("Layer 3 of 15");
    assert!(s.contains("Layers (15)"), "q no longer quits");
    assert!(
        s.contains("Q:quit"),
        "the footer shows the rebound key: {s}"
    );
    t.keys(&["Q"]);
    t.wait_for("EXITED:0");

    // A broken config is a clear error before the terminal is taken.
    std::fs::write(&config, "[keys]\nquit = [\"not-a-key\"]\n").unwrap();
    let t = Tmux::strata(demo, &config, 100, 20);
    let s = t.wait_for("EXITED:2");
    assert!(
        s.contains(&format!(
            "strata: error: {}:2: [keys] quit: unknown key 'not-a-key'",
            config.display()
        )),
        "{s}"
    );
}

/// Issue #23, item 11: `$STRATA_CONFIG` naming a file that is missing or cannot be read is an
/// error (it was ignored silently), and every problem in a config file names the file and the
/// line (and the column, for TOML syntax), all before the terminal is taken.
#[test]
fn config_problems_name_the_file_and_line_and_a_missing_strata_config_is_an_error() {
    let home = tempfile::tempdir().unwrap();
    let unused = home.path().join("unused.toml");
    let missing = home.path().join("missing.toml");
    let a_dir = home.path().join("a-dir.toml");
    std::fs::create_dir(&a_dir).unwrap();
    let expect = |env: String, want: String| {
        let t = Tmux::strata_env(&env, demo(), &unused, 200, 20);
        let s = t.wait_for("EXITED:");
        assert!(s.contains("EXITED:2"), "{env}: {s}");
        assert!(s.contains(&want), "{env}: expected {want:?} in:\n{s}");
        assert_eq!(
            s.lines().filter(|l| l.starts_with("strata: ")).count(),
            1,
            "{env}: one line: {s}"
        );
        assert_eq!(t.terminal_flags(), "0 1", "{env}");
    };
    expect(
        format!("STRATA_CONFIG={}", missing.display()),
        format!(
            "strata: error: {}: cannot read the config file (named by $STRATA_CONFIG): No such \
             file or directory (os error 2)",
            missing.display()
        ),
    );
    expect(
        format!("STRATA_CONFIG={}", a_dir.display()),
        format!(
            "strata: error: {}: cannot read the config file (named by $STRATA_CONFIG): Is a \
             directory (os error 21)",
            a_dir.display()
        ),
    );
    let config = home.path().join("config.toml");
    for (text, want) in [
        (
            "theme = \"mono\"\n\n[keys]\nquitt = [\"x\"]\n",
            ":4: unknown action 'quitt' in [keys]",
        ),
        (
            "# mine\n[keys]\npreset = \"vim\"\n",
            ":3: [keys] preset: unknown preset \"vim\" (\"strata\" or \"dive\")",
        ),
        (
            "\n\ntheme = \"neon\"\n",
            ":3: unknown theme 'neon' (dark, light, mono)",
        ),
        (
            "theme = \"mono\"\nmode = \"aggregated\"\n",
            ":2: unknown mode \"aggregated\" (\"layer\", \"merged\", \"final\")",
        ),
        (
            "[keys]\nup = \"x\"\ndown = [\"j\",\n  \"x\"]\n",
            ":3: [keys] 'x' is bound to both up and down",
        ),
        (
            "[keys]\nquit = [\"q\"\n",
            ":2:12: unclosed array, expected `]`",
        ),
    ] {
        std::fs::write(&config, text).unwrap();
        expect(
            format!("STRATA_CONFIG={}", config.display()),
            format!("strata: error: {}{want}", config.display()),
        );
    }
}

#[test]
fn the_dive_preset_takes_dives_control_keys_in_a_real_terminal() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo.tar");
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(&config, "[keys]\npreset = \"dive\"\n").unwrap();
    let t = Tmux::strata(demo, &config, 200, 35);
    t.wait_loaded("Layers (15)");
    // Ctrl-A on the layers panel: the aggregated view. On the files panel: hide added.
    t.keys(&["C-a"]);
    t.wait_for("merged up to this layer");
    t.keys(&["Tab", "C-a"]);
    t.wait_for("hiding added");
    // Ctrl-F filters (the default keymap pages down with it).
    t.keys(&["C-f", "p", "a", "s", "s", "w", "d", "Enter"]);
    t.wait_for("filter \"passwd\"");
    let s = t.screen();
    assert!(s.contains("^f:filter"), "the footer shows dive's key: {s}");
    t.keys(&["C-c"]);
    t.wait_for("EXITED:0");
}

#[test]
fn enter_shows_file_content_read_from_the_layer_and_d_diffs_it() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo.tar");
    let home = tempfile::tempdir().unwrap();
    let t = Tmux::strata(demo, &home.path().join("none.toml"), 120, 35);
    t.wait_loaded("Layers (15)");
    // Layer 2 added /etc/passwd; filter to it and open it.
    t.keys(&["j", "j", "Tab", "/", "p", "a", "s", "s", "w", "d", "Enter"]);
    t.wait_for("[filter \"passwd\"]");
    t.keys(&["Enter"]);
    let s = t.wait_for("1 │ root:x:0:0");
    assert!(s.contains("/etc/passwd (layer 2)"), "{s}");
    t.keys(&["Escape"]);
    t.wait_gone("1 │ root:x:0:0");
    // The model file was overwritten in layer 13: its diff against layer 12 is binary.
    t.keys(&["/"]);
    t.keys(&[
        "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "m", "o", "d", "e", "l",
        "Enter",
    ]);
    t.keys(&["]", "]", "]", "]", "]", "]", "]", "]", "]", "]", "]"]);
    t.wait_for("Files: layer 13");
    t.keys(&["End", "d"]);
    t.wait_for("diff /opt/app/data/model.bin: layer 12 -> 13");
    // model.bin is random bytes: the diff says so once both versions are read.
    let s = t.wait_for("binary content differs");
    assert!(s.contains("32.77 kB -> 32.77 kB"), "{s}");
    t.keys(&["Escape"]);
    t.wait_gone("binary content differs");
    t.keys(&["q"]);
    t.wait_for("EXITED:0");
}

#[test]
fn strata_diff_opens_the_compare_screen() {
    let oracle = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/oracle/dive-synthetic"
    );
    let home = tempfile::tempdir().unwrap();
    let t = Tmux::strata(
        &format!("diff {oracle}/triple.tar {oracle}/overwrite-identical.tar"),
        &home.path().join("none.toml"),
        120,
        35,
    );
    let s = t.wait_for("Differences by");
    assert!(s.contains("Files      +0 -0 ~1 m0"), "/etc/a changed: {s}");
    assert!(s.contains("└─a"), "{s}");
    assert!(s.contains("Layers (= both, - only A, + only B)"), "{s}");
    t.keys(&["i"]);
    t.wait_for("History (aligned");
    // ESC followed at once by another key reads as Alt+key in any terminal: let it land.
    t.keys(&["Escape"]);
    t.wait_gone("History (aligned");
    t.keys(&["/", "e", "t", "c"]);
    t.wait_for("Filter: etc");
    t.keys(&["Enter"]);
    t.keys(&["q"]);
    t.wait_for("EXITED:0");
    assert_eq!(t.terminal_flags(), "0 1");
}

/// A reviewer's path through `strata diff`: the compare screen opens on the package that
/// changed, the flat list finds a changed text file, Enter shows its unified diff read from
/// both images, `x` extracts B's version, and `q` quits.
#[test]
fn strata_diff_drills_into_a_text_file_and_extracts_it_from_b() {
    let (dir, a, b) = crate::ui_compare::pair();
    let home = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let t = Tmux::strata(
        &format!("diff {a} {b}"),
        &home.path().join("none.toml"),
        80,
        24,
    );
    let s = t.wait_for("Differences by package");
    assert!(s.contains("pkg 1.0-1 → 1.1-1 (dpkg)"), "{s}");
    assert!(s.contains("?:help  q:quit"), "{s}");
    t.keys(&["3", "/", "m", "o", "t", "d", "Enter"]);
    t.wait_for("/etc/motd");
    t.keys(&["Enter"]);
    let s = t.wait_for("+version 2");
    assert!(s.contains("1   │ -Welcome"), "{s}");
    assert!(s.contains("  1 │ +Welcome!"), "{s}");
    t.keys(&["Escape"]);
    t.wait_gone("+version 2");
    t.keys(&["x"]);
    t.wait_for("from B (Tab: from A)");
    // Replace the suggested directory with ours.
    for _ in 0.."./strata-extract".len() {
        t.keys(&["BSpace"]);
    }
    t.keys(&[out.to_str().unwrap(), "Enter"]);
    t.wait_for("extracted 1 file");
    assert_eq!(
        std::fs::read(out.join("etc/motd")).unwrap(),
        b"Welcome!\nto the\ntest image\nversion 2\n"
    );
    // The notice takes no key: q quits at once.
    t.keys(&["q"]);
    t.wait_for("EXITED:0");
}

fn demo() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo.tar")
}

#[test]
fn sigterm_and_sigint_restore_the_terminal_and_exit_with_the_signal() {
    for (signal, code) in [("TERM", 143), ("INT", 130), ("HUP", 129)] {
        let home = tempfile::tempdir().unwrap();
        let t = Tmux::strata(demo(), &home.path().join("none.toml"), 100, 30);
        t.wait_loaded("Layers (15)");
        assert_eq!(t.terminal_flags(), "1 0", "the explorer owns the screen");
        t.signal(signal);
        let s = t.wait_for(&format!("EXITED:{code}"));
        assert!(
            !s.contains("Layers (15)"),
            "SIG{signal} left the explorer on screen: {s}"
        );
        assert_eq!(t.terminal_flags(), "0 1", "SIG{signal}");
    }
}

#[test]
fn a_panic_in_the_loader_or_the_ui_restores_the_terminal_and_says_so() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("none.toml");
    let t = Tmux::strata_env("STRATA_TEST_PANIC=load", demo(), &config, 200, 30);
    let s = t.wait_for("EXITED:2");
    assert!(
        s.contains("strata: error: internal error while loading the image: injected by STRATA_TEST_PANIC=load at src/tui/runtime.rs:"),
        "{s}"
    );
    assert!(s.contains("(a bug in strata; please report it)"), "{s}");
    assert!(
        !s.contains('┃') && !s.contains("opening"),
        "a frame was drawn after the crash: {s}"
    );
    assert_eq!(t.terminal_flags(), "0 1");

    // Without a backtrace (the test runner may ask for one): its frames would push the
    // message off a 30-row screen.
    let t = Tmux::strata_env(
        "STRATA_TEST_PANIC=ui RUST_BACKTRACE=0",
        demo(),
        &config,
        120,
        30,
    );
    let s = t.wait_for("EXITED:101");
    assert!(s.contains("injected by STRATA_TEST_PANIC=ui"), "{s}");
    assert!(!s.contains("Layers (15)"), "{s}");
    assert_eq!(t.terminal_flags(), "0 1");
}

#[test]
fn a_terminal_shrunk_to_20x5_and_back_keeps_working() {
    let home = tempfile::tempdir().unwrap();
    let t = Tmux::strata(demo(), &home.path().join("none.toml"), 120, 35);
    t.wait_loaded("Layers (15)");
    for (w, h) in [("20", "5"), ("1", "1"), ("20", "5"), ("120", "35")] {
        t.run(&["resize-window", "-t", "s", "-x", w, "-y", h]);
        std::thread::sleep(Duration::from_millis(300));
        t.keys(&["j"]);
    }
    // Four `j`s while small: the cursor ends on layer 4 once the last key is drawn (waiting
    // for it, not for the first frame at full size, which may still show layer 3).
    let s = t.wait_for("Files: layer 4");
    assert!(s.contains("Layers (15)"), "full layout back: {s}");
    t.keys(&["q"]);
    t.wait_for("EXITED:0");
    assert_eq!(t.terminal_flags(), "0 1");
}

/// `strata ARGS` run without a terminal: its exit code and the last line of its stderr.
fn piped(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .env(
            "STRATA_CACHE_DIR",
            std::env::temp_dir().join("strata-tmux-piped"),
        )
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    (
        out.status.code().unwrap_or(-1),
        err.lines().last().unwrap_or("").to_string(),
    )
}

#[test]
fn a_load_that_fails_on_screen_is_the_commands_error_once_the_terminal_is_back() {
    let home = tempfile::tempdir().unwrap();
    let garbage = home.path().join("garbage.tar");
    std::fs::write(&garbage, "hello, not an image\n").unwrap();
    let garbage = garbage.to_str().unwrap().to_string();
    let config = home.path().join("none.toml");
    for (args, report) in [
        (garbage.clone(), vec!["report", garbage.as_str()]),
        (
            format!("diff {garbage} {}", demo()),
            vec!["diff", garbage.as_str(), demo()],
        ),
        (
            "127.0.0.1:1/x:y".to_string(),
            vec!["report", "127.0.0.1:1/x:y"],
        ),
    ] {
        let (code, line) = piped(&report);
        assert_eq!(code, 2, "{report:?}");
        assert!(line.starts_with("strata: error: "), "{line}");
        // Wide enough for the line whole (a bare name's error names what each engine said).
        let t = Tmux::strata(&args, &config, 400, 20);
        t.wait_for("could not open the image");
        t.keys(&["q"]);
        let s = t.wait_for("EXITED:");
        assert!(s.contains("EXITED:2"), "{args}: {s}");
        assert!(
            s.contains(&line),
            "{args}: the error as report gives it: {s}"
        );
        assert!(
            !s.contains("could not open"),
            "{args}: screen left behind: {s}"
        );
        assert_eq!(t.terminal_flags(), "0 1", "{args}");
    }
}

#[test]
fn a_keymap_without_quit_is_rejected_and_ctrl_c_quits_whatever_the_keymap() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(&config, "[keys]\nquit = []\n").unwrap();
    let t = Tmux::strata(demo(), &config, 120, 20);
    let s = t.wait_for("EXITED:");
    assert!(s.contains("EXITED:2"), "{s}");
    assert!(
        s.contains(&format!(
            "strata: error: {}:2: [keys] quit: needs at least one key",
            config.display()
        )),
        "{s}"
    );
    assert_eq!(t.terminal_flags(), "0 1");

    // Ctrl-C bound to another action still quits (the terminal is raw: it is a key).
    std::fs::write(
        &config,
        "[keys]\nquit = [\"Q\"]\nup = [\"ctrl-c\", \"k\"]\n",
    )
    .unwrap();
    let t = Tmux::strata(demo(), &config, 120, 35);
    t.wait_loaded("Layers (15)");
    t.keys(&["C-c"]);
    let s = t.wait_for("EXITED:");
    assert!(s.contains("EXITED:0"), "{s}");
    assert_eq!(t.terminal_flags(), "0 1");
}

/// The Packages view in a real 80x24 terminal: `p` opens it, `/` filters it to one package,
/// Enter narrows the Files panel to that package's files, the footer names the owner.
#[test]
fn packages_view_filters_to_a_package_and_jumps_to_its_files() {
    let home = tempfile::tempdir().unwrap();
    let archive = home.path().join("debian.tar");
    crate::packages::debian_spec().docker_archive(&archive);
    let config = home.path().join("no-config.toml");
    let t = Tmux::strata(archive.to_str().unwrap(), &config, 80, 24);
    t.wait_loaded("Layers (5)");
    t.keys(&["p"]);
    let s = t.wait_for("Packages (");
    assert!(s.contains("libc6"), "{s}");
    t.keys(&["/", "c", "u", "r", "l"]);
    let s = t.wait_for("Filter: curl");
    assert!(
        !s.contains("libc6"),
        "the filter leaves other packages: {s}"
    );
    t.keys(&["Enter", "Enter"]);
    let s = t.wait_for("[package curl 7.88.1-10+deb12u5]");
    assert!(s.contains("Files: final filesystem"), "{s}");
    assert!(s.contains("curl"), "{s}");
    assert!(
        !s.contains("libc.so.6"),
        "files of other packages are hidden: {s}"
    );
    // The cursor is on curl's only file: the footer names its package.
    assert!(s.contains("dpkg curl 7.88.1-10+deb12u5"), "{s}");
    t.keys(&["q"]);
    t.wait_for("EXITED:0");
}

/// The progress lines `pane.log` (everything the pane was sent) holds: the text drawn after
/// each `\r` + erase-line, up to the next control character (but the shell's marker, printed
/// on the line the last one cleared).
fn progress_lines(log: &str) -> Vec<String> {
    log.split("\r\x1b[K")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| !c.is_control())
                .collect::<String>()
        })
        .filter(|line| !line.is_empty() && !line.starts_with("EXITED:"))
        .collect()
}

/// Issue #23, item 4: `strata report --no-cache IMAGE >/dev/null` on a narrow terminal left
/// the first rows of its progress line on screen after exit 0 (the line was wider than the
/// terminal, wrapped, and only its last row was cleared). Each line now fits the terminal's
/// width, read at each draw, by cutting the image's name in the middle, not the figures; after
/// exit the screen holds nothing but what the shell printed next.
#[test]
fn the_progress_line_fits_the_terminal_and_leaves_nothing_behind() {
    use crate::support::{file, noise, Spec};
    let home = tempfile::tempdir().unwrap();
    let dir = home
        .path()
        .join("a-directory-with-a-rather-long-name/and-another-level-below-it/images");
    std::fs::create_dir_all(&dir).unwrap();
    let image = dir.join("node-app-latest.tar");
    Spec::new()
        .layer("base", vec![file("etc/a", &noise(1, 300_000))])
        .layer("app", vec![file("srv/b", &noise(2, 200_000))])
        .docker_archive(&image);
    let bin = env!("CARGO_BIN_EXE_strata");
    for width in [80u16, 70] {
        let log = home.path().join(format!("pane-{width}.log"));
        // The shell waits for a line before strata runs, so that the pane's output is
        // recorded from its first byte.
        let cmd = format!(
            "read go; env TERM=xterm-256color STRATA_TEST_PROGRESS=1 STRATA_CACHE_DIR={}/cache \
             {bin} report --no-cache {} >/dev/null; echo EXITED:$?; sleep 60",
            home.path().display(),
            image.display()
        );
        let t = Tmux::start(&cmd, width, 20);
        t.run(&["pipe-pane", "-t", "s", &format!("cat >> {}", log.display())]);
        t.keys(&["Enter"]);
        let s = t.wait_for("EXITED:");
        let shown: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(
            shown,
            ["EXITED:0"],
            "{width} columns: the progress line left rows behind:\n{s}"
        );
        // What was drawn: the whole log, once the marker has gone through the pipe.
        let start = Instant::now();
        let log = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains("EXITED:0") {
                break text;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the pane's log never got the marker: {text:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let lines = progress_lines(&log);
        assert!(
            lines.iter().any(|l| l.contains("layers 2/2")),
            "{width} columns: no progress line was drawn: {log:?}"
        );
        for line in &lines {
            assert!(
                line.chars().count() < usize::from(width),
                "{width} columns: a line of {} characters: {line:?}",
                line.chars().count()
            );
            // The name is cut in its middle; its end and the figures stay.
            assert!(line.starts_with("strata: "), "{line:?}");
            assert!(line.contains('…'), "{line:?}");
            assert!(line.contains("latest.tar: layers "), "{line:?}");
            assert!(line.contains(" %"), "{line:?}");
        }
    }
}

/// The whole explorer at 80x24 (issue "Polish from a new user's trial"): layers, files, a
/// filter, the viewer, hints and quit, with names, `?:help` and `q:quit` on screen at every
/// step. `filter` finds a text file whose viewer shows `content`.
fn walk_at_80x24(image: &str, filter: &str, content: &str) {
    let home = tempfile::tempdir().unwrap();
    let t = Tmux::strata(image, &home.path().join("none.toml"), 80, 24);
    let keys_stay = |s: &str, step: &str| {
        let footer = s.lines().last().unwrap_or("");
        assert!(
            footer.contains("?:help") && (footer.contains("q:quit") || footer.contains("q:close")),
            "{step}: footer lost help or quit: {s}"
        );
    };
    let s = t.wait_loaded("Layers (");
    keys_stay(&s, "open");
    t.keys(&["j", "j"]);
    let s = t.wait_for("Layer 2 of");
    keys_stay(&s, "layers");
    t.keys(&["Tab"]);
    let s = t.wait_for("┏ Files");
    keys_stay(&s, "files");
    // Names are on screen: some row of the tree ends in a name after its guide.
    assert!(
        s.lines().any(|l| l.split("─").nth(1).is_some_and(|n| n
            .trim_end_matches(['│', '┃', ' '])
            .chars()
            .any(char::is_alphanumeric))),
        "no names in the Files panel: {s}"
    );
    t.keys(&["3", "/"]);
    for c in filter.chars() {
        t.keys(&[&c.to_string()]);
    }
    t.wait_for(&format!("Filter: {filter}"));
    t.keys(&["Enter"]);
    let s = t.wait_for(&format!("[filter \"{filter}\"]"));
    keys_stay(&s, "filtered");
    assert!(s.contains(filter), "{s}");
    t.keys(&["Enter"]);
    let s = t.wait_for(content);
    assert!(s.contains("(layer "), "the viewer names its layer: {s}");
    keys_stay(&s, "viewer");
    t.keys(&["Escape"]);
    t.wait_gone(content);
    t.keys(&["a"]);
    let s = t.wait_for("Hints (");
    keys_stay(&s, "hints");
    t.keys(&["Escape"]);
    t.wait_gone("Hints (");
    // Size bars, then the treemap of the filtered file's directory, up to the root.
    t.keys(&["b"]);
    let s = t.wait_for("Share");
    keys_stay(&s, "size bars");
    t.keys(&["t"]);
    let s = t.wait_for("Treemap /");
    keys_stay(&s, "treemap");
    assert!(s.contains("wasted: "), "the causes' legend: {s}");
    // Backspace at the root stays there: enough of them reach it from any depth.
    t.keys(&["BSpace"; 12]);
    let s = t.wait_for("Treemap / ·");
    keys_stay(&s, "treemap of the root");
    t.keys(&["Escape"]);
    t.wait_gone("Treemap /");
    t.keys(&["q"]);
    t.wait_for("EXITED:0");
}

#[test]
fn the_explorer_is_usable_at_80x24_on_the_demo() {
    walk_at_80x24(demo(), "VERSION", "strata-demo 1.0.0");
}

/// The same walk on the node-app fixture (113k files); run by scripts/check-fixtures.sh.
#[test]
#[ignore = "needs the fixtures built by ../shared/fixtures/build.sh (scripts/check-fixtures.sh)"]
fn the_explorer_is_usable_at_80x24_on_node_app() {
    let dir = std::env::var("FIXTURES_DIR").unwrap_or_else(|_| "/tmp/fixtures-out".into());
    let image = format!("{dir}/docker-archive/node-app-latest.tar");
    assert!(std::path::Path::new(&image).exists(), "{image} not built");
    walk_at_80x24(&image, "app/package.json", "\"name\"");
}

/// Whether a screen captured with its escapes (`capture-pane -e`) draws any colour: an SGR
/// foreground or background colour (30-37, 90-97, 40-47, 100-107, 38;…, 48;…). Bold, dim,
/// reverse and the resets to the default colour (39, 49) are no colour.
fn draws_colour(escaped: &str) -> bool {
    escaped.split("\u{1b}[").skip(1).any(|seq| {
        let Some(end) = seq.find(|c: char| !(c.is_ascii_digit() || c == ';')) else {
            return false;
        };
        seq[end..].starts_with('m')
            && seq[..end].split(';').any(|p| {
                matches!(
                    p.parse::<u32>(),
                    Ok(30..=38 | 40..=48 | 90..=97 | 100..=107)
                )
            })
    })
}

/// `--color` decides over `NO_COLOR`, in the explorer and the compare screen: `always`
/// colours with `NO_COLOR` set, `never` draws none without it, and `auto` follows `NO_COLOR`.
#[test]
fn the_color_flag_wins_over_no_color_in_a_real_terminal() {
    let oracle = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/oracle/dive-synthetic"
    );
    let diff = format!("diff {oracle}/triple.tar {oracle}/overwrite-identical.tar");
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("none.toml");
    for (env, args, ready, colour) in [
        ("NO_COLOR=1", demo().to_string(), "Layers (15)", false),
        ("NO_COLOR=", demo().to_string(), "Layers (15)", true),
        (
            "NO_COLOR=1",
            format!("--color always {}", demo()),
            "Layers (15)",
            true,
        ),
        (
            "NO_COLOR=",
            format!("--color never {}", demo()),
            "Layers (15)",
            false,
        ),
        (
            "NO_COLOR=1",
            format!("{diff} --color always"),
            "Differences by",
            true,
        ),
        (
            "NO_COLOR=",
            format!("{diff} --color never"),
            "Differences by",
            false,
        ),
    ] {
        let t = Tmux::strata_env(env, &args, &config, 120, 35);
        t.wait_for(ready);
        let escaped = t.run(&["capture-pane", "-p", "-e", "-t", "s"]);
        assert_eq!(
            draws_colour(&escaped),
            colour,
            "{env} strata {args}: {escaped:?}"
        );
        t.keys(&["q"]);
        t.wait_for("EXITED:0");
    }
}

/// Issue 24 in a real terminal: an image on a registry behind a slow link (200 kB/s, 30 ms a
/// request) opens on its manifest and config, with the Layers panel and the history before any
/// layer is in; layer 0's files open and a file's content shows while the big layer above is
/// still downloading; the Image panel's figures fill in once every layer is in. Quitting
/// mid-download leaves only verified blobs in the cache, and no half-written file.
#[test]
fn a_throttled_registry_image_opens_before_it_has_downloaded() {
    use crate::support::registry::Registry;
    use crate::support::throttle::{Link, Throttle};
    use crate::support::{file, noise, sha, Comp, Spec};
    let reg = Registry::start(None);
    let spec = Spec::new()
        .layer(
            "COPY base /",
            vec![
                file("etc/motd", b"hello from layer 0\n"),
                file("base/blob.bin", &noise(1, 400_000)),
            ],
        )
        .layer(
            "COPY big /big",
            vec![file("big/data.bin", &noise(2, 2_500_000))],
        )
        .layer("RUN echo top", vec![file("top.txt", b"top\n")]);
    let name = reg.push_layout_as_is(&spec.oci_files(Comp::Gzip), "slow/app", "v1");
    let port = reg.host().rsplit(':').next().unwrap().parse().unwrap();
    let link = Throttle::start(
        port,
        Link {
            rate: 200_000,
            latency: Duration::from_millis(30),
        },
    )
    .unwrap();
    let image = name.replace(&reg.host(), &link.host());

    let home = tempfile::tempdir().unwrap();
    let t = Tmux::strata(&image, &home.path().join("none.toml"), 120, 35);
    // The first frame: layers, their commands and the config's history, nothing in yet.
    let s = t.wait_for("loading: 0 of 3 layers in");
    assert!(s.contains("Layers (3)"), "{s}");
    assert!(s.contains("COPY big /big"), "{s}");
    assert!(s.contains("RUN echo top"), "{s}");
    assert!(s.contains("Efficiency pending"), "{s}");
    // Layer 0 arrives long before the big one: its files, and a file's content.
    t.wait_for("in: 2 tar entries");
    t.keys(&["Tab", "/", "m", "o", "t", "d", "Enter"]);
    t.wait_for("[filter \"motd\"]");
    t.keys(&["Enter"]);
    let s = t.wait_for("1 │ hello from layer 0");
    assert!(s.contains("/etc/motd (layer 0)"), "{s}");
    t.keys(&["Escape"]);
    t.wait_gone("1 │ hello from layer 0");
    // The viewer covered the footer: the big layer is still on its way after it closed.
    let s = t.screen();
    assert!(
        s.contains("loading: "),
        "the big layer is still downloading:\n{s}"
    );
    // The figures fill in once every layer is in; the cursor stays on the file.
    t.wait_gone("loading:");
    let s = t.wait_for("Efficiency ");
    assert!(!s.contains("pending"), "{s}");
    assert!(s.contains("/etc/motd"), "{s}");
    t.keys(&["q"]);
    t.wait_for("EXITED:0");
    drop(t);

    // Quit while the big layer is on its way: the store has the verified blobs only.
    let home = tempfile::tempdir().unwrap();
    let t = Tmux::strata(&image, &home.path().join("none.toml"), 120, 35);
    let s = t.wait_for("in: 2 tar entries");
    assert!(s.contains("loading: "), "{s}");
    t.keys(&["q"]);
    t.wait_for("EXITED:0");
    assert_eq!(t.terminal_flags(), "0 1");
    let blobs = home.path().join("cache/blobs/sha256");
    let mut kept = Vec::new();
    for entry in std::fs::read_dir(&blobs).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let name = format!("sha256:{name}");
        assert_eq!(
            sha(&std::fs::read(&path).unwrap()),
            name,
            "a blob that is not its digest"
        );
        kept.push(name);
    }
    let layer = |i: usize| sha(&crate::support::compress(&spec.tars()[i], Comp::Gzip));
    assert!(kept.contains(&layer(0)), "layer 0 was in: {kept:?}");
    assert!(
        !kept.contains(&layer(1)),
        "the unfinished big layer was kept"
    );
    let tmp = home.path().join("cache/tmp");
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "half-written files left: {left:?}");
}

/// Issue 24 point 3 in a real terminal: a one-layer eStargz image behind a slow link (300 kB/s)
/// shows its layer's files from its table of contents while the layer downloads, and a file
/// opens in the viewer from its chunks, before the layer is in; then the layer is verified
/// and the figures fill in.
#[test]
fn an_estargz_layer_is_browsed_from_its_table_of_contents_while_it_downloads() {
    use crate::support::registry::Registry;
    use crate::support::throttle::{Link, Throttle};
    use crate::support::toc_blobs::{item, sample};
    use crate::toc_registry::{estargz_case_of, push};
    let reg = Registry::start(None);
    let mut items = sample();
    items.push(item(
        "srv/slow.bin",
        tar::EntryType::Regular,
        &crate::support::noise(13, 2_500_000),
        None,
    ));
    let name = push(&reg, &estargz_case_of(&items, |_| {}), "lazy/estargz");
    let link = Throttle::start(
        reg.port,
        Link {
            rate: 300_000,
            latency: Duration::from_millis(30),
        },
    )
    .unwrap();
    let image = name.replace(&reg.host(), &link.host());
    let home = tempfile::tempdir().unwrap();
    let t = Tmux::strata(&image, &home.path().join("none.toml"), 160, 40);
    let s = t.wait_for("listed; verifying");
    assert!(s.contains("loading: 0 of 1 layers in"), "{s}");
    assert!(
        s.contains("changes in this layer · listed from its table of contents, verifying"),
        "{s}"
    );
    t.keys(&["Tab", "/", "p", "a", "s", "s", "w", "d", "Enter"]);
    t.wait_for("[filter \"passwd\"]");
    t.keys(&["Enter"]);
    let s = t.wait_for("1 │ root:x:0:0:root");
    assert!(s.contains("/etc/passwd (layer 0)"), "{s}");
    t.keys(&["Escape"]);
    t.wait_gone("1 │ root:x:0:0:root");
    let s = t.screen();
    assert!(
        s.contains("loading: 0 of 1 layers in"),
        "still downloading:\n{s}"
    );
    // Verified in full: the figures fill in, the listing note goes.
    t.wait_gone("loading:");
    let s = t.wait_for("Efficiency ");
    assert!(
        !s.contains("table of contents") && !s.contains("verifying"),
        "{s}"
    );
    t.keys(&["q"]);
    t.wait_for("EXITED:0");
}
