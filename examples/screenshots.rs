//! Draws every view of the explorer on the demo image (`assets/demo.tar`) with the real UI code
//! on a 120x36 `TestBackend`, and writes each rendered cell buffer as an SVG that looks like a
//! terminal: `scripts/screenshots.sh` turns them into `screenshots/*.png`.
//!
//!     cargo run --release --example screenshots -- OUTDIR
//!
//! Keys go through `app::update` exactly as the runtime sends them (as in `tests/ui.rs`).
//!
//! Every piece of text is placed by its column: runs of printable ASCII are one `<text>` each,
//! at a font size whose advance is exactly one cell, and every other character is placed on its
//! own. Box-drawing and block characters are drawn as shapes, the way terminals draw them, so
//! borders join up whatever the font.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use ratatui::backend::TestBackend;
use ratatui::buffer::{Buffer, Cell};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Position;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;
use strata::load::LoadEvent;
use strata::tui::app::keymap::Keymap;
use strata::tui::app::theme::Theme;
use strata::tui::app::{update, Loaded, Msg, State};
use unicode_width::UnicodeWidthStr;

const DEMO: &str = "assets/demo.tar";
const COLS: u16 = 120;
const ROWS: u16 = 36;

/// One cell, in px. DejaVu Sans Mono advances 1233/2048 em, so `FONT_SIZE` makes that exactly
/// `CELL_W`.
const CELL_W: f64 = 10.0;
const CELL_H: f64 = 20.0;
const FONT_SIZE: f64 = CELL_W * 2048.0 / 1233.0;
/// Baseline below the top of a cell: the font's ascent plus half the spare height.
const BASELINE: f64 = 15.6;
/// Margin around the screen, as a terminal window has.
const PAD: f64 = 12.0;
const FONT: &str = "DejaVu Sans Mono, monospace";

/// The terminal's own colours.
const BACKGROUND: &str = "#1e2127";
const FOREGROUND: &str = "#d0d0d0";

/// Line thickness in px of light and heavy box-drawing lines.
const LIGHT: f64 = 1.0;
const HEAVY: f64 = 3.0;

/// The views, in order: file name (without `.svg`) and the keys typed on a fresh explorer.
const VIEWS: &[(&str, &str)] = &[
    ("01-layers", ""),
    ("02-files-layer", "j j j <tab>"),
    ("03-files-merged", "j j j <tab> m"),
    ("04-files-final", "<tab> m m"),
    ("05-removed", "j j j j j j <tab>"),
    ("06-filter", "<tab> m m / l o g o"),
    ("07-help", "?"),
    ("08-config", "i"),
    ("09-history", "j j j <tab> G h"),
    ("10-waste", "w"),
    ("12-extract-prompt", "j j j <tab> G x"),
    ("13-size-bars", "<tab> m m c / a p p <enter> b"),
    ("14-treemap", "<tab> m m t <bs>"),
];

fn main() -> ExitCode {
    let Some(out) = std::env::args().nth(1) else {
        eprintln!("usage: screenshots OUTDIR");
        return ExitCode::from(2);
    };
    match run(Path::new(&out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("screenshots: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(out: &Path) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let image = strata::load(DEMO, &Default::default(), &|_| {}).map_err(|e| e.to_string())?;
    let analysis = Arc::new(image.analyse());
    let image = Arc::new(image);

    let mut shots = Vec::new();
    for (name, keys) in VIEWS {
        let mut s = State::new(DEMO, Keymap::new(None).0, Theme::dark(), COLS, ROWS);
        update(
            &mut s,
            Msg::Loaded(Loaded {
                session: image.clone(),
                analysis: analysis.clone(),
            }),
        );
        press(&mut s, keys);
        shots.push((name.to_string(), s));
    }
    shots.push(("11-loading".to_string(), loading()));
    shots.push(("15-arriving".to_string(), arriving()?));
    shots.sort_by(|a, b| a.0.cmp(&b.0));

    for (name, s) in &shots {
        let mut terminal =
            Terminal::new(TestBackend::new(COLS, ROWS)).map_err(|e| e.to_string())?;
        terminal
            .draw(|f| strata::tui::ui::draw(f, s))
            .map_err(|e| e.to_string())?;
        let backend = terminal.backend();
        let cursor = backend.cursor_visible().then(|| backend.cursor_position());
        let svg = svg(backend.buffer(), cursor);
        let path = out.join(format!("{name}.svg"));
        std::fs::write(&path, svg).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Types `keys`: space-separated tokens, `<tab>`-style names or runs of characters.
fn press(s: &mut State, keys: &str) {
    for token in keys.split(' ').filter(|t| !t.is_empty()) {
        let code = match token {
            "<tab>" => KeyCode::Tab,
            "<enter>" => KeyCode::Enter,
            "<esc>" => KeyCode::Esc,
            "<down>" => KeyCode::Down,
            "<up>" => KeyCode::Up,
            "<bs>" => KeyCode::Backspace,
            "<space>" => KeyCode::Char(' '),
            t => {
                for c in t.chars() {
                    update(
                        s,
                        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
                    );
                }
                continue;
            }
        };
        update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }
}

/// The loading screen part way through: the first layer read, the second a quarter read.
fn loading() -> State {
    let mut s = State::new(DEMO, Keymap::new(None).0, Theme::dark(), COLS, ROWS);
    let events = [
        LoadEvent::Opened {
            layer_bytes: vec![1_000_000, 2_000_000, 500_000, 500_000],
        },
        LoadEvent::LayerStarted { index: 0 },
        LoadEvent::LayerProgress {
            index: 0,
            read: 1_000_000,
            total: 1_000_000,
        },
        LoadEvent::LayerFinished {
            index: 0,
            entries: 10,
        },
        LoadEvent::LayerStarted { index: 1 },
        LoadEvent::LayerProgress {
            index: 1,
            read: 500_000,
            total: 2_000_000,
        },
    ];
    for e in events {
        update(&mut s, Msg::Load(e));
    }
    update(&mut s, Msg::Tick { elapsed_ms: 1500 });
    s
}

/// The explorer opened before the image is in: layers 0 and 1 read, layer 2 half read, the
/// rest queued; the Files panel on layer 1's changes.
fn arriving() -> Result<State, String> {
    use strata::load::{Order, Session, Watcher};
    let shots = std::sync::Mutex::new(Vec::new());
    let loaded = Session::open_watched(
        DEMO,
        &strata::SourceOptions {
            no_cache: true,
            ..Default::default()
        },
        &Watcher {
            progress: &|_| {},
            order: &Order::default(),
            snapshot: &|s| shots.lock().unwrap_or_else(|e| e.into_inner()).push(s),
            tables_of_contents: false,
        },
    )
    .map_err(|e| e.to_string())?;
    let shots = shots.into_inner().unwrap_or_else(|e| e.into_inner());
    let first = shots.first().cloned().ok_or("no snapshot")?;
    // The first snapshot with layers 0 and 1 in (the workers race: maybe 2 as well).
    let two = shots
        .iter()
        .find(|s| !s.pending().contains(&0) && !s.pending().contains(&1))
        .cloned()
        .ok_or("no snapshot with layers 0 and 1")?;
    let sizes: Vec<u64> = loaded
        .image()
        .layers
        .iter()
        .map(|l| l.desc.compressed_size)
        .collect();
    let mut s = State::new(DEMO, Keymap::new(None).0, Theme::dark(), COLS, ROWS);
    update(
        &mut s,
        Msg::Load(LoadEvent::Opened {
            layer_bytes: sizes.clone(),
        }),
    );
    for session in [first, two.clone()] {
        let analysis = Arc::new(session.analyse());
        update(&mut s, Msg::Snapshot(Loaded { session, analysis }));
    }
    for i in 0..sizes.len() {
        if !two.pending().contains(&i) {
            update(
                &mut s,
                Msg::Load(LoadEvent::LayerFinished {
                    index: i,
                    entries: 1,
                }),
            );
        }
    }
    if let Some(&next) = two.pending().first() {
        update(&mut s, Msg::Load(LoadEvent::LayerStarted { index: next }));
        update(
            &mut s,
            Msg::Load(LoadEvent::LayerProgress {
                index: next,
                read: sizes[next] / 2,
                total: sizes[next],
            }),
        );
    }
    update(&mut s, Msg::Tick { elapsed_ms: 1200 });
    press(&mut s, "<down> <tab>");
    Ok(s)
}

/// How a cell looks once `REVERSED` is applied: colours as SVG colours, `bg` `None` for the
/// terminal's background.
#[derive(Debug, Clone, PartialEq)]
struct Look {
    fg: String,
    bg: Option<String>,
    bold: bool,
    italic: bool,
    dim: bool,
    underline: bool,
    strike: bool,
    hidden: bool,
}

impl Look {
    fn of(cell: &Cell) -> Look {
        let m = cell.modifier;
        let fg = colour(cell.fg).unwrap_or_else(|| FOREGROUND.to_string());
        let bg = colour(cell.bg);
        let (fg, bg) = if m.contains(Modifier::REVERSED) {
            (bg.unwrap_or_else(|| BACKGROUND.to_string()), Some(fg))
        } else {
            (fg, bg)
        };
        Look {
            fg,
            bg,
            bold: m.contains(Modifier::BOLD),
            italic: m.contains(Modifier::ITALIC),
            dim: m.contains(Modifier::DIM),
            underline: m.contains(Modifier::UNDERLINED),
            strike: m.contains(Modifier::CROSSED_OUT),
            hidden: m.contains(Modifier::HIDDEN),
        }
    }

    /// Attributes for text and shapes drawn in the foreground colour.
    fn paint(&self, text: bool) -> String {
        let mut a = format!(" fill=\"{}\"", self.fg);
        if text && self.bold {
            a.push_str(" font-weight=\"bold\"");
        }
        if text && self.italic {
            a.push_str(" font-style=\"italic\"");
        }
        if self.dim {
            a.push_str(" opacity=\"0.55\"");
        }
        a
    }

    /// Same text style: may share one `<text>`.
    fn same_text(&self, o: &Look) -> bool {
        self.fg == o.fg && self.bold == o.bold && self.italic == o.italic && self.dim == o.dim
    }
}

/// An xterm-like palette (a little softer than the VGA originals); `None` for `Reset`.
fn colour(c: Color) -> Option<String> {
    let named = |s: &str| Some(s.to_string());
    match c {
        Color::Reset => None,
        Color::Black => named("#3f4451"),
        Color::Red => named("#e06c75"),
        Color::Green => named("#98c379"),
        Color::Yellow => named("#e5c07b"),
        Color::Blue => named("#61afef"),
        Color::Magenta => named("#c678dd"),
        Color::Cyan => named("#56b6c2"),
        Color::Gray => named("#abb2bf"),
        Color::DarkGray => named("#5c6370"),
        Color::LightRed => named("#ff8c94"),
        Color::LightGreen => named("#b5e08f"),
        Color::LightYellow => named("#f2d492"),
        Color::LightBlue => named("#8cc8ff"),
        Color::LightMagenta => named("#dda6ef"),
        Color::LightCyan => named("#8bdbe6"),
        Color::White => named("#ffffff"),
        Color::Rgb(r, g, b) => Some(format!("#{r:02x}{g:02x}{b:02x}")),
        Color::Indexed(i) => colour(indexed(i)),
    }
}

/// The xterm 256-colour table.
fn indexed(i: u8) -> Color {
    const BASE: [Color; 16] = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    match i {
        0..=15 => BASE[i as usize],
        16..=231 => {
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            let v = i - 16;
            Color::Rgb(level(v / 36), level(v / 6 % 6), level(v % 6))
        }
        _ => {
            let g = 8 + 10 * (i - 232);
            Color::Rgb(g, g, g)
        }
    }
}

/// Arms of the box-drawing characters U+2500..=U+257F: four digits each, up, right, down and
/// left, 0 none, 1 light, 2 heavy; `....` for the dashed, double, rounded and diagonal ones.
const BOX_ARMS: &str = concat!(
    "0101020210102020................................0110021001200220",
    "0011001200210022110012002100220010011002200120021110121021101120",
    "2120221012202220101110122011102120212012102220220111011202110212",
    "0121012202210222110111021201120221012102220122021111111212111212",
    "211111212121211222111122122122121222212222212222................",
    "................................................................",
    "................................................................",
    "................000110000100001000022000020000200201102001022010",
);

/// Up, right, down, left weights of a box-drawing line character.
fn box_arms(c: char) -> Option<[u8; 4]> {
    let i = (c as u32).checked_sub(0x2500)? as usize;
    let arms = BOX_ARMS.as_bytes().get(i * 4..i * 4 + 4)?;
    if arms[0] == b'.' {
        return None;
    }
    Some([
        arms[0] - b'0',
        arms[1] - b'0',
        arms[2] - b'0',
        arms[3] - b'0',
    ])
}

/// Rectangles (x, y, w, h, opacity as fractions of a cell) of a block element U+2580..=U+259F.
fn block_rects(c: char) -> Option<Vec<[f64; 5]>> {
    let r = |x: f64, y: f64, w: f64, h: f64| [x, y, w, h, 1.0];
    let quad = |ul: bool, ur: bool, ll: bool, lr: bool| {
        [
            (ul, 0.0, 0.0),
            (ur, 0.5, 0.0),
            (ll, 0.0, 0.5),
            (lr, 0.5, 0.5),
        ]
        .into_iter()
        .filter(|q| q.0)
        .map(|(_, x, y)| r(x, y, 0.5, 0.5))
        .collect::<Vec<_>>()
    };
    let n = c as u32;
    Some(match n {
        0x2580 => vec![r(0.0, 0.0, 1.0, 0.5)],
        0x2581..=0x2588 => {
            let h = (n - 0x2580) as f64 / 8.0;
            vec![r(0.0, 1.0 - h, 1.0, h)]
        }
        0x2589..=0x258f => vec![r(0.0, 0.0, (0x2590 - n) as f64 / 8.0, 1.0)],
        0x2590 => vec![r(0.5, 0.0, 0.5, 1.0)],
        0x2591..=0x2593 => vec![[0.0, 0.0, 1.0, 1.0, (n - 0x2590) as f64 / 4.0]],
        0x2594 => vec![r(0.0, 0.0, 1.0, 0.125)],
        0x2595 => vec![r(0.875, 0.0, 0.125, 1.0)],
        0x2596 => quad(false, false, true, false),
        0x2597 => quad(false, false, false, true),
        0x2598 => quad(true, false, false, false),
        0x2599 => quad(true, false, true, true),
        0x259a => quad(true, false, false, true),
        0x259b => quad(true, true, true, false),
        0x259c => quad(true, true, false, true),
        0x259d => quad(false, true, false, false),
        0x259e => quad(false, true, true, false),
        0x259f => quad(false, true, true, true),
        _ => return None,
    })
}

fn px(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

fn rect(out: &mut String, x: f64, y: f64, w: f64, h: f64, attrs: &str) {
    let _ = writeln!(
        out,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"{attrs}/>",
        px(x),
        px(y),
        px(w),
        px(h)
    );
}

/// Draws a box-drawing character in the cell whose top left corner is (x, y).
fn draw_box(out: &mut String, c: char, x: f64, y: f64, attrs: &str) -> bool {
    let thick = |w: u8| match w {
        0 => 0.0,
        1 => LIGHT,
        _ => HEAVY,
    };
    // The lines' centres: on a pixel's middle so that odd widths stay crisp.
    let cx = x + (CELL_W / 2.0).floor() - 0.5;
    let cy = y + (CELL_H / 2.0).floor() - 0.5;
    if let Some([u, r, d, l]) = box_arms(c) {
        let (u, r, d, l) = (thick(u), thick(r), thick(d), thick(l));
        // Arms reach past the centre by half the crossing line, so corners close.
        let past_v = u.max(d) / 2.0;
        let past_h = l.max(r) / 2.0;
        if l > 0.0 {
            rect(out, x, cy - l / 2.0, cx + past_v - x, l, attrs);
        }
        if r > 0.0 {
            rect(
                out,
                cx - past_v,
                cy - r / 2.0,
                x + CELL_W - cx + past_v,
                r,
                attrs,
            );
        }
        if u > 0.0 {
            rect(out, cx - u / 2.0, y, u, cy + past_h - y, attrs);
        }
        if d > 0.0 {
            rect(
                out,
                cx - d / 2.0,
                cy - past_h,
                d,
                y + CELL_H - cy + past_h,
                attrs,
            );
        }
        return true;
    }
    // Rounded corners: a quarter circle between two straight arms.
    let (to_x, to_y) = match c {
        '╭' => (x + CELL_W, y + CELL_H),
        '╮' => (x, y + CELL_H),
        '╯' => (x, y),
        '╰' => (x + CELL_W, y),
        _ => return false,
    };
    let rad = CELL_W / 2.0 - 1.0;
    let sx = if to_x > cx { 1.0 } else { -1.0 };
    let sy = if to_y > cy { 1.0 } else { -1.0 };
    let sweep = if (sx > 0.0) == (sy > 0.0) { 0 } else { 1 };
    let fill_free = attrs.replacen(" fill=", " stroke=", 1);
    let _ = writeln!(
        out,
        "<path d=\"M{} {}H{}A{} {} 0 0 {sweep} {} {}V{}\" fill=\"none\" stroke-width=\"{}\"{fill_free}/>",
        px(to_x),
        px(cy),
        px(cx + sx * rad),
        px(rad),
        px(rad),
        px(cx),
        px(cy + sy * rad),
        px(to_y),
        px(LIGHT),
    );
    true
}

fn underlined(l: &Look) -> bool {
    l.underline
}

fn struck(l: &Look) -> bool {
    l.strike
}

fn escape(s: &str) -> String {
    let mut e = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => e.push_str("&amp;"),
            '<' => e.push_str("&lt;"),
            '>' => e.push_str("&gt;"),
            '"' => e.push_str("&quot;"),
            // Not allowed in XML 1.0.
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{fffe}' || c == '\u{ffff}' => {
                e.push('\u{fffd}')
            }
            c => e.push(c),
        }
    }
    e
}

/// One row's glyphs: text runs waiting to be written.
struct Run {
    col: u16,
    text: String,
    look: Look,
}

/// The buffer as an SVG terminal screen.
fn svg(buf: &Buffer, cursor: Option<Position>) -> String {
    let area = buf.area;
    let width = area.width as f64 * CELL_W + 2.0 * PAD;
    let height = area.height as f64 * CELL_H + 2.0 * PAD;
    let mut backgrounds = String::new();
    let mut shapes = String::new();
    let mut decorations = String::new();
    let mut texts = String::new();

    for row in 0..area.height {
        let y = PAD + row as f64 * CELL_H;
        // Cells of this row with their column and look; cells hidden behind a wide character
        // are left out.
        let mut cells: Vec<(u16, &Cell, Look)> = Vec::new();
        let mut hidden = 0usize;
        for col in 0..area.width {
            let Some(cell) = buf.cell(Position::new(area.x + col, area.y + row)) else {
                continue;
            };
            if hidden > 0 {
                hidden -= 1;
                continue;
            }
            let mut look = Look::of(cell);
            if cursor == Some(Position::new(area.x + col, area.y + row)) {
                let fg = look.bg.take().unwrap_or_else(|| BACKGROUND.to_string());
                look.bg = Some(std::mem::replace(&mut look.fg, fg));
            }
            hidden = cell.symbol().width().saturating_sub(1);
            cells.push((col, cell, look));
        }

        // Backgrounds, one rectangle per run of one colour.
        let mut i = 0;
        while i < cells.len() {
            let Some(bg) = cells[i].2.bg.clone() else {
                i += 1;
                continue;
            };
            let start = cells[i].0;
            let mut end = start;
            while i < cells.len() && cells[i].2.bg.as_ref() == Some(&bg) {
                end = cells[i].0 + cells[i].1.symbol().width().max(1) as u16;
                i += 1;
            }
            rect(
                &mut backgrounds,
                PAD + start as f64 * CELL_W,
                y,
                (end - start) as f64 * CELL_W,
                CELL_H,
                &format!(" fill=\"{bg}\""),
            );
        }

        // Underline and strike-through, one line per run of one colour: across spaces too,
        // as a terminal draws them.
        for (on, offset) in [
            (underlined as fn(&Look) -> bool, BASELINE + 1.5),
            (struck, BASELINE - 5.0),
        ] {
            let mut i = 0;
            while i < cells.len() {
                if !on(&cells[i].2) || cells[i].2.hidden {
                    i += 1;
                    continue;
                }
                let look = cells[i].2.clone();
                let start = cells[i].0;
                let mut end = start;
                while i < cells.len()
                    && on(&cells[i].2)
                    && cells[i].2.fg == look.fg
                    && cells[i].2.dim == look.dim
                {
                    end = cells[i].0 + cells[i].1.symbol().width().max(1) as u16;
                    i += 1;
                }
                rect(
                    &mut decorations,
                    PAD + start as f64 * CELL_W,
                    y + offset.floor(),
                    (end - start) as f64 * CELL_W,
                    1.0,
                    &look.paint(false),
                );
            }
        }

        // Glyphs.
        let mut runs: Vec<Run> = Vec::new();
        for (col, cell, look) in &cells {
            let symbol = cell.symbol();
            if look.hidden || symbol.trim().is_empty() {
                continue;
            }
            let x = PAD + *col as f64 * CELL_W;
            let mut chars = symbol.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                // A cluster of several code points: on its own.
                runs.push(Run {
                    col: *col,
                    text: symbol.to_string(),
                    look: look.clone(),
                });
                continue;
            };
            if draw_box(&mut shapes, c, x, y, &look.paint(false)) {
                continue;
            }
            if let Some(rects) = block_rects(c) {
                for [rx, ry, rw, rh, opacity] in rects {
                    let mut attrs = look.paint(false);
                    if opacity < 1.0 {
                        let _ = write!(attrs, " fill-opacity=\"{opacity}\"");
                    }
                    rect(
                        &mut shapes,
                        x + rx * CELL_W,
                        y + ry * CELL_H,
                        rw * CELL_W,
                        rh * CELL_H,
                        &attrs,
                    );
                }
                continue;
            }
            // Printable ASCII advances exactly one cell, so it can run on, spaces included;
            // anything else is placed alone, whatever font ends up drawing it.
            let ascii = c.is_ascii_graphic() || c == ' ';
            if let Some(last) = runs.last_mut() {
                let next_col = last.col + last.text.chars().count() as u16;
                let last_ascii = last.text.chars().all(|c| c.is_ascii_graphic() || c == ' ');
                if ascii && last_ascii && last.look.same_text(look) && next_col <= *col {
                    // Fill the gap of blank cells with spaces, if the gap is blank: it is,
                    // since every non-blank cell in between would have been pushed.
                    let gap = (*col - next_col) as usize;
                    if gap <= 2 {
                        last.text.extend(std::iter::repeat_n(' ', gap));
                        last.text.push(c);
                        continue;
                    }
                }
            }
            runs.push(Run {
                col: *col,
                text: c.to_string(),
                look: look.clone(),
            });
        }
        for run in runs {
            let _ = writeln!(
                texts,
                "<text x=\"{}\" y=\"{}\"{}>{}</text>",
                px(PAD + run.col as f64 * CELL_W),
                px(y + BASELINE),
                run.look.paint(true),
                escape(&run.text)
            );
        }
    }

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\">",
        w = px(width),
        h = px(height)
    );
    let _ = writeln!(
        svg,
        "<rect width=\"100%\" height=\"100%\" fill=\"{BACKGROUND}\"/>"
    );
    let _ = writeln!(
        svg,
        "<g shape-rendering=\"crispEdges\">\n{backgrounds}{shapes}{decorations}</g>"
    );
    let _ = writeln!(
        svg,
        "<g font-family=\"{FONT}\" font-size=\"{}\" xml:space=\"preserve\">\n{texts}</g>",
        px(FONT_SIZE)
    );
    svg.push_str("</svg>\n");
    svg
}
