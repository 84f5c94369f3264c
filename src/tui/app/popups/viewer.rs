//! The file viewer's view model: a file's content as numbered text or a hex dump, or the
//! diff of two versions, escaped for the terminal; which read it waits for; and how far it
//! scrolls at the popup's width (lines wrap).

use super::Scroll;
use crate::extract::FileContent;
use crate::model::text::printable;
use crate::tui::app::ReadPurpose;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub title: String,
    pub lines: Vec<String>,
    pub scroll: Scroll,
    /// The read this viewer waits for: results of reads for another file (an earlier
    /// viewer's, finishing late) are dropped.
    pub awaits: Awaits,
    /// What `/` searches for in the text (`n` / `N` find it again).
    pub search: String,
    /// The search is being typed.
    pub editing: bool,
    /// The width the lines wrap at, from the last `fit`.
    width: usize,
    /// The line the last search found (the view may show it below the top, at the end).
    found: Option<usize>,
}

/// The file read a viewer shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Awaits {
    View {
        layer: usize,
        path: String,
    },
    /// Two reads: the version in layer `old`, then the one in layer `new`.
    Diff {
        old: usize,
        new: usize,
        path: String,
    },
}

impl Awaits {
    pub fn wants(&self, layer: usize, path: &str, purpose: &ReadPurpose) -> bool {
        match (self, purpose) {
            (Awaits::View { layer: l, path: p }, ReadPurpose::View) => *l == layer && p == path,
            (Awaits::Diff { old, new, path: p }, ReadPurpose::DiffOld { new_layer }) => {
                *old == layer && new == new_layer && p == path
            }
            (Awaits::Diff { new, path: p, .. }, ReadPurpose::DiffNew { .. }) => {
                *new == layer && p == path
            }
            (Awaits::Diff { old, path: p, .. }, ReadPurpose::DiffRemoved) => {
                *old == layer && p == path
            }
            _ => false,
        }
    }
}

impl Viewer {
    /// A viewer waiting for its read.
    pub fn reading(title: String, awaits: Awaits) -> Viewer {
        Viewer {
            title,
            lines: vec!["reading…".into()],
            scroll: Scroll::default(),
            awaits,
            search: String::new(),
            editing: false,
            width: 80,
            found: None,
        }
    }

    /// A key for the viewer's search: `/` starts one, typing edits it, Enter finds it, `n` /
    /// `N` find the next / previous line that has it. `false` when the key is not the
    /// search's.
    pub fn on_search_input(&mut self, input: crate::tui::app::keys::Input) -> bool {
        use crate::tui::app::keymap::Action;
        use crate::tui::app::keys::{Edit, Input};
        match (self.editing, input) {
            (true, Input::Edit(Edit::Push(c))) => self.search.push(c),
            (true, Input::Edit(Edit::Pop)) => {
                self.search.pop();
            }
            (true, Input::Edit(Edit::Submit)) => {
                self.editing = false;
                self.find(true, true);
            }
            (true, Input::Edit(Edit::Cancel)) => {
                self.editing = false;
                self.search.clear();
            }
            (true, _) => {}
            (false, Input::Action(Action::Filter)) => {
                self.editing = true;
                self.search.clear();
            }
            (false, Input::Action(Action::SearchNext)) => self.find(true, false),
            (false, Input::Action(Action::SearchPrev)) => self.find(false, false),
            _ => return false,
        }
        true
    }

    /// Scrolls to the next (`forward`) or previous line holding the search, from the line at
    /// the top (`here`: that line counts), wrapping around.
    fn find(&mut self, forward: bool, here: bool) {
        if self.search.is_empty() || self.lines.is_empty() {
            return;
        }
        let exact = self.search.chars().any(char::is_uppercase);
        let needle = if exact {
            self.search.clone()
        } else {
            self.search.to_lowercase()
        };
        let has = |l: &str| {
            if exact {
                l.contains(&needle)
            } else {
                l.to_lowercase().contains(&needle)
            }
        };
        // The first row of each line once wrapped.
        let mut starts = Vec::with_capacity(self.lines.len());
        let mut row = 0;
        for l in &self.lines {
            starts.push(row);
            row += wrapped(std::slice::from_ref(l), self.width).len();
        }
        // Where to search from: the line found last while the view still shows it where the
        // search put it, else the line at the top.
        let top = match self.found {
            Some(f)
                if starts.get(f).map(|&r| r.min(self.scroll.max)) == Some(self.scroll.offset) =>
            {
                f
            }
            _ => starts
                .iter()
                .rposition(|&r| r <= self.scroll.offset)
                .unwrap_or(0),
        };
        let n = self.lines.len();
        let order: Vec<usize> = if forward {
            let first = if here { top } else { top + 1 };
            (0..n).map(|k| (first + k) % n).collect()
        } else {
            (1..=n).map(|k| (top + n - k) % n).collect()
        };
        if let Some(i) = order.into_iter().find(|&i| has(&self.lines[i])) {
            self.scroll.offset = starts[i].min(self.scroll.max);
            self.found = Some(i);
        }
    }

    /// Keeps the scroll within the wrapped lines of a popup `width` columns wide showing
    /// `visible` rows.
    pub fn fit(&mut self, width: usize, visible: usize) {
        self.width = width;
        let rows = wrapped(&self.lines, width).len();
        self.scroll.fit(rows, visible);
    }
}

/// Whether content reads as binary: a NUL or invalid UTF-8 in its first 8 kB (a character
/// cut at the end of that window does not count).
pub fn is_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    head.contains(&0)
        || std::str::from_utf8(head).is_err()
            && std::str::from_utf8(&head[..head.len().saturating_sub(4)]).is_err()
}

/// Bytes as a hex dump shows them: `6c 69 00`, and `li.` (printable ASCII, else a dot).
pub fn hex_and_ascii(chunk: &[u8]) -> (String, String) {
    let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
    let ascii = chunk
        .iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    (hex.join(" "), ascii)
}

/// One hex dump row of up to 16 bytes at `offset`: `000004c0  6c 69 ...  |li...|`.
fn hex_row(offset: usize, chunk: &[u8]) -> String {
    let (hex, ascii) = hex_and_ascii(chunk);
    format!("{offset:08x}  {hex:<47}  |{ascii}|")
}

/// Text with line numbers, or a hex dump for binary content; escaped either way.
pub fn render_content(c: &FileContent) -> Vec<String> {
    let mut lines: Vec<String> = if is_binary(&c.bytes) {
        c.bytes
            .chunks(16)
            .enumerate()
            .map(|(i, chunk)| hex_row(i * 16, chunk))
            .collect()
    } else {
        let text = String::from_utf8_lossy(&c.bytes);
        let width = text.lines().count().to_string().len();
        text.lines()
            .enumerate()
            .map(|(i, l)| {
                format!(
                    "{:>width$} │ {}",
                    i + 1,
                    // Long lines (minified code) wrap in the viewer; beyond this they are cut.
                    printable(&l.replace('\t', "    "), 65_536)
                )
            })
            .collect()
    };
    if c.truncated {
        lines.push(format!(
            "… showing the first {} of {}",
            crate::model::units::decimal(c.bytes.len() as u64),
            crate::model::units::decimal(c.total)
        ));
    }
    if lines.is_empty() {
        lines.push("(empty file)".into());
    }
    lines
}

/// What a change did to a file's mode, owner and mtime, as ` (mode 0644 -> 0600, ...)`;
/// empty when none changed.
pub fn metadata_change(old: &crate::tree::Entry, new: &crate::tree::Entry) -> String {
    let mut parts = Vec::new();
    if old.mode != new.mode {
        parts.push(format!("mode {:04o} -> {:04o}", old.mode, new.mode));
    }
    if (old.uid, old.gid) != (new.uid, new.gid) {
        parts.push(format!(
            "owner {}:{} -> {}:{}",
            old.uid, old.gid, new.uid, new.gid
        ));
    }
    if old.mtime != new.mtime {
        parts.push("mtime changed".to_string());
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

pub fn render_diff(
    old: &FileContent,
    new: &FileContent,
    path: &str,
    new_layer: usize,
) -> Vec<String> {
    if old.bytes == new.bytes {
        return vec!["same content; only metadata (mode, owner or mtime) changed".into()];
    }
    let (a, b) = (
        String::from_utf8_lossy(&old.bytes),
        String::from_utf8_lossy(&new.bytes),
    );
    if old.bytes.contains(&0) || new.bytes.contains(&0) {
        return vec![format!(
            "binary content differs: {} -> {}",
            crate::model::units::decimal(old.total),
            crate::model::units::decimal(new.total)
        )];
    }
    let diff = similar::TextDiff::from_lines(a.as_ref(), b.as_ref());
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("a/{path} (below layer {new_layer})"),
            &format!("b/{path} (layer {new_layer})"),
        )
        .to_string();
    text.lines().map(|l| printable(l, 4096)).collect()
}

/// Viewer lines wrapped to `width` columns; a text line's continuations are indented past its
/// line number (`  12 │ `), so the numbers still stand out.
pub fn wrapped(lines: &[String], width: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let chars: Vec<char> = line.chars().collect();
        if chars.len() <= width || width < 8 {
            out.push(line.clone());
            continue;
        }
        let gutter = line
            .char_indices()
            .take(16)
            .find(|(i, _)| line[*i..].starts_with(" │ "))
            .map_or(0, |(i, _)| line[..i].chars().count() + 3);
        let gutter = if gutter * 2 > width { 0 } else { gutter };
        out.push(chars[..width].iter().collect());
        let mut at = width;
        while at < chars.len() {
            let take = (width - gutter).min(chars.len() - at);
            let mut row = " ".repeat(gutter.saturating_sub(2));
            if gutter >= 2 {
                row.push_str("│ ");
            }
            row.extend(&chars[at..at + take]);
            out.push(row);
            at += take;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::wrapped;

    #[test]
    fn long_viewer_lines_wrap_past_their_line_number() {
        let long = format!("  12 │ {}", "x".repeat(30));
        let lines = vec!["   1 │ short".to_string(), long];
        let got = wrapped(&lines, 20);
        assert_eq!(
            got,
            [
                "   1 │ short",
                "  12 │ xxxxxxxxxxxxx",
                "     │ xxxxxxxxxxxxx",
                "     │ xxxx",
            ]
        );
        // Every character is still there, in order.
        let text: String = got[1..]
            .iter()
            .map(|l| &l[l.find("│ ").unwrap() + "│ ".len()..])
            .collect();
        assert_eq!(text, "x".repeat(30));
        // A hex dump line (no gutter) wraps flush left.
        let hex = vec!["0123456789abcdef0123".to_string()];
        assert_eq!(wrapped(&hex, 8), ["01234567", "89abcdef", "0123"]);
    }
}
