//! The image config popup's view model: the image's names and every field of its runtime
//! config as label/value rows (as `report` lists them), then every history step as recorded.
//! Built from the loaded image, once per opening; wrapped to the popup's width when drawn and
//! when its scroll limit is set.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::load::Image;
use crate::model::text::printable;
use crate::report::ConfigInfo;

/// The popup's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigView {
    /// (label, value): one row each, in order.
    pub fields: Vec<(&'static str, String)>,
    pub history: Vec<HistoryLine>,
}

/// One history step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    pub layer: Option<usize>,
    pub created: String,
    pub created_by: String,
    /// The step made no layer (dimmed).
    pub empty: bool,
}

impl ConfigView {
    pub fn of(image: &Image) -> ConfigView {
        let meta = &image.meta;
        let mut fields = vec![
            ("Image", meta.reference.clone()),
            ("ID", meta.config_digest.to_string()),
        ];
        if let Some(d) = &meta.manifest_digest {
            fields.push(("Digest", d.to_string()));
        }
        fields.push(("Platform", meta.config.platform()));
        fields.push(("Created", meta.config.created.clone().unwrap_or_default()));
        fields.extend(ConfigInfo::of(meta.config.config.as_ref()).rows());
        let history = image
            .history
            .iter()
            .map(|h| HistoryLine {
                layer: h.layer,
                created: h.created.clone().unwrap_or_default(),
                created_by: h.created_by.clone(),
                empty: h.empty_layer,
            })
            .collect();
        ConfigView { fields, history }
    }

    /// The rows the popup shows in `width` columns (see `rows`): what its scroll limit counts.
    pub fn len(&self, width: usize) -> usize {
        self.rows(width).len()
    }

    /// The popup's rows at `width` columns: the fields, a blank line, the history's heading and
    /// steps. Nothing is cut (up to `MAX_CHARS` a value): a long value or command (an `ENV` or
    /// `LABEL` step is read only here) wraps onto indented rows, at a space where there is one, and its recorded line
    /// breaks start new rows. Text from the image is escaped for the terminal here.
    pub fn rows(&self, width: usize) -> Vec<Row> {
        let mut out = Vec::new();
        let value_width = width.saturating_sub(LABEL_WIDTH).max(MIN_WRAP);
        for (label, value) in &self.fields {
            for (i, text) in wrapped(value, value_width).into_iter().enumerate() {
                out.push(Row::Field {
                    label: if i == 0 { label } else { "" },
                    text,
                });
            }
        }
        out.push(Row::Blank);
        out.push(Row::Heading);
        for h in &self.history {
            let layer = h.layer.map_or("  -".to_string(), |l| format!("{l:>3}"));
            let head = format!("{layer}  {:<20}  ", printable(&h.created, 20));
            let indent = head.width();
            let rest = width.saturating_sub(indent).max(MIN_WRAP);
            for (i, chunk) in wrapped(&h.created_by, rest).into_iter().enumerate() {
                let lead = if i == 0 {
                    head.clone()
                } else {
                    " ".repeat(indent)
                };
                out.push(Row::Step {
                    text: format!("{lead}{chunk}"),
                    empty: h.empty,
                });
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Columns of a field's label.
pub const LABEL_WIDTH: usize = 12;
/// The narrowest a value or command is wrapped to, however small the popup.
const MIN_WRAP: usize = 10;
/// Characters of one value or command shown (a hostile image's megabyte `created_by` is not
/// drawn whole).
const MAX_CHARS: usize = 16_000;

/// One row of the config popup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// A field's row: its label on the first, `""` on the rows its value wraps onto.
    Field {
        label: &'static str,
        text: String,
    },
    Blank,
    /// The history's heading.
    Heading,
    /// A history step's row: layer, date and the command's start on the first, the rest
    /// indented under the command. `empty`: the step made no layer (dimmed).
    Step {
        text: String,
        empty: bool,
    },
}

/// `text` (at most `MAX_CHARS` of it) in rows of at most `width` columns: each recorded line
/// on rows of its own, broken after the last space that fits, or mid-word where none does in
/// the row's second half.
/// Every character is kept (but a space a row breaks on), escaped for the terminal.
fn wrapped(text: &str, width: usize) -> Vec<String> {
    let mut cut: String = text.chars().take(MAX_CHARS).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    let mut out = Vec::new();
    for line in cut.split('\n') {
        out.extend(wrap_line(&printable(line, usize::MAX), width));
    }
    out
}

fn wrap_line(line: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut row = String::new();
    let mut used = 0;
    // Where the row may break: the byte after its last space, and the columns before it.
    let mut space: Option<(usize, usize)> = None;
    for c in line.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width && !row.is_empty() {
            if c == ' ' {
                // The row break stands for the space it falls on.
                out.push(std::mem::take(&mut row));
                (used, space) = (0, None);
                continue;
            }
            // A space early in the row would leave most of it empty (a long hash or path
            // follows): the word is cut instead.
            match space {
                Some((at, before)) if at < row.len() && before * 2 >= width => {
                    let rest = row.split_off(at);
                    out.push(std::mem::replace(&mut row, rest));
                    used -= before;
                }
                _ => {
                    out.push(std::mem::take(&mut row));
                    used = 0;
                }
            }
            space = None;
        }
        row.push(c);
        used += w;
        if c == ' ' {
            space = Some((row.len(), used));
        }
    }
    if !row.is_empty() || out.is_empty() {
        out.push(row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::wrap_line;

    #[test]
    fn lines_break_after_a_space_and_keep_every_character() {
        assert_eq!(wrap_line("aa bb cc dd", 5), ["aa bb", "cc dd"]);
        assert_eq!(wrap_line("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap_line("ab cdefghij", 4), ["ab ", "cdef", "ghij"]);
        // A space in the first half leaves the row full, the long word cut.
        assert_eq!(wrap_line("a bcdefghij", 5), ["a bcd", "efghi", "j"]);
        assert_eq!(wrap_line("", 4), [""]);
        let text = "RUN apt-get update && apt-get install -y --no-install-recommends curl";
        for width in 1..30 {
            let rows = wrap_line(text, width);
            // Every character but a space a row breaks on.
            assert_eq!(
                rows.concat().replace(' ', ""),
                text.replace(' ', ""),
                "{width}"
            );
            assert!(
                rows.iter().all(|r| r.chars().count() <= width),
                "{width}: {rows:?}"
            );
            assert!(
                rows.iter().all(|r| !r.starts_with(' ')),
                "{width}: {rows:?}"
            );
        }
    }
}
