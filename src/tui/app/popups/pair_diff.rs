//! The compare screen's content diff of one path, A -> B: a unified diff with both line
//! numbers for text; for binary content both sizes, both content ids, the first byte that
//! differs and a hex view of both around it. Lines are escaped for the terminal; the viewer
//! popup shows them.

use super::viewer::{hex_and_ascii, is_binary, render_content};
use crate::extract::FileContent;
use crate::model::text::printable;
use crate::model::units;

/// One side of the pair: its content (as far as the viewer's cap read it) and content id.
pub struct Side<'a> {
    pub content: &'a FileContent,
    pub id: Option<[u8; 32]>,
}

/// The diff of `path` between A and B (`None`: the side does not have it as a file).
pub fn render_pair(path: &str, a: Option<Side<'_>>, b: Option<Side<'_>>) -> Vec<String> {
    let shown = printable(path, 1000);
    match (a, b) {
        (None, None) => vec![format!("/{shown} is not a regular file on either side")],
        (Some(a), None) => one_side("A", "removed in B", a.content),
        (None, Some(b)) => one_side("B", "added in B", b.content),
        (Some(a), Some(b)) => {
            if a.content.bytes == b.content.bytes && a.content.total == b.content.total {
                vec!["same content in A and B; only metadata (mode or owner) changed".into()]
            } else if is_binary(&a.content.bytes) || is_binary(&b.content.bytes) {
                binary(&a, &b)
            } else {
                text(&shown, a.content, b.content)
            }
        }
    }
}

fn one_side(side: &str, what: &str, c: &FileContent) -> Vec<String> {
    let mut lines = vec![
        format!("{what}: {} in {side}", units::decimal(c.total)),
        String::new(),
    ];
    lines.extend(render_content(c));
    lines
}

/// A unified diff, three lines of context, each line with its number in A and in B.
fn text(path: &str, a: &FileContent, b: &FileContent) -> Vec<String> {
    let (ta, tb) = (
        String::from_utf8_lossy(&a.bytes),
        String::from_utf8_lossy(&b.bytes),
    );
    let diff = similar::TextDiff::from_lines(ta.as_ref(), tb.as_ref());
    let lines_a = ta.lines().count();
    let lines_b = tb.lines().count();
    let w = lines_a.max(lines_b).max(1).to_string().len();
    let mut out = vec![format!("--- a/{path} (A)"), format!("+++ b/{path} (B)")];
    for group in diff.grouped_ops(3) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let (ra, rb) = (
            first.old_range().start..last.old_range().end,
            first.new_range().start..last.new_range().end,
        );
        out.push(format!(
            "@@ -{},{} +{},{} @@",
            ra.start + 1,
            ra.len(),
            rb.start + 1,
            rb.len()
        ));
        for op in &group {
            for change in diff.iter_changes(op) {
                let num = |i: Option<usize>| i.map_or(" ".repeat(w), |i| format!("{:>w$}", i + 1));
                let sign = match change.tag() {
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                    similar::ChangeTag::Equal => ' ',
                };
                let value = change.value().trim_end_matches(['\n', '\r']);
                out.push(format!(
                    "{} {} │ {sign}{}",
                    num(change.old_index()),
                    num(change.new_index()),
                    printable(&value.replace('\t', "    "), 65_536)
                ));
            }
        }
    }
    for (c, side) in [(a, "A"), (b, "B")] {
        if c.truncated {
            out.push(format!(
                "… compared the first {} of {} in {side}",
                units::decimal(c.bytes.len() as u64),
                units::decimal(c.total)
            ));
        }
    }
    out
}

fn content_id(id: Option<[u8; 32]>) -> String {
    id.map_or("-".into(), |d| {
        let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
        format!("blake3:{hex}")
    })
}

/// Both sizes and ids, the first differing offset and both sides' bytes around it.
fn binary(a: &Side<'_>, b: &Side<'_>) -> Vec<String> {
    let (x, y) = (&a.content.bytes, &b.content.bytes);
    let mut out = vec![
        "binary content differs".to_string(),
        format!("A  {:>12}", units::decimal(a.content.total)),
        format!("   {}", content_id(a.id)),
        format!("B  {:>12}", units::decimal(b.content.total)),
        format!("   {}", content_id(b.id)),
    ];
    let first = x
        .iter()
        .zip(y.iter())
        .position(|(p, q)| p != q)
        .unwrap_or(x.len().min(y.len()));
    let read = x.len().min(y.len());
    if first >= read && (a.content.truncated || b.content.truncated) {
        out.push(format!(
            "the first {} are the same; the difference is further in",
            units::decimal(read as u64)
        ));
        return out;
    }
    out.push(format!(
        "first difference at byte {} (0x{first:x})",
        units::count(first as u64)
    ));
    out.push(String::new());
    let row = first / 16;
    for r in row.saturating_sub(2)..=row + 2 {
        let at = r * 16;
        let chunk = |v: &[u8]| {
            v.get(at..(at + 16).min(v.len()))
                .unwrap_or_default()
                .to_vec()
        };
        let (ca, cb) = (chunk(x), chunk(y));
        if ca.is_empty() && cb.is_empty() {
            break;
        }
        out.push(side_row('A', at, &ca));
        out.push(side_row('B', at, &cb));
        // Marks under the bytes that differ.
        let marks: String = (0..16)
            .map(|k| if ca.get(k) != cb.get(k) { "^^ " } else { "   " })
            .collect();
        if marks.contains('^') {
            out.push(format!("{:9}{}", "", marks.trim_end()));
        }
    }
    out
}

/// One side's 16 bytes at `offset`, narrow enough for 80 columns:
/// `A 0004c0 6c 69 ... |li...|`.
fn side_row(side: char, offset: usize, chunk: &[u8]) -> String {
    let (hex, ascii) = hex_and_ascii(chunk);
    format!("{side} {offset:06x} {hex:<47} |{ascii}|")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(bytes: &[u8]) -> FileContent {
        FileContent {
            bytes: bytes.to_vec(),
            total: bytes.len() as u64,
            truncated: false,
        }
    }

    #[test]
    fn text_diffs_number_both_sides() {
        let (a, b) = (
            content(b"one\ntwo\nthree\nfour\n"),
            content(b"one\n2\nthree\nfour\nfive\n"),
        );
        let got = render_pair(
            "etc/x",
            Some(Side {
                content: &a,
                id: None,
            }),
            Some(Side {
                content: &b,
                id: None,
            }),
        );
        assert_eq!(
            got,
            [
                "--- a/etc/x (A)",
                "+++ b/etc/x (B)",
                "@@ -1,4 +1,5 @@",
                "1 1 │  one",
                "2   │ -two",
                "  2 │ +2",
                "3 3 │  three",
                "4 4 │  four",
                "  5 │ +five",
            ]
        );
    }

    #[test]
    fn binary_diffs_name_the_first_differing_byte() {
        let mut x = vec![0u8; 100];
        let mut y = x.clone();
        y[70] = 0xff;
        x.push(1);
        let (a, b) = (content(&x), content(&y));
        let got = render_pair(
            "bin",
            Some(Side {
                content: &a,
                id: Some([1; 32]),
            }),
            Some(Side {
                content: &b,
                id: None,
            }),
        );
        assert_eq!(got[0], "binary content differs");
        assert_eq!(got[1], "A         101 B");
        assert!(got[2].starts_with("   blake3:0101"), "{}", got[2]);
        assert_eq!(got[4], "   -");
        assert_eq!(got[5], "first difference at byte 70 (0x46)");
        let b_row = got.iter().find(|l| l.starts_with("B 000040")).unwrap();
        assert!(b_row.contains(" 00 00 00 00 00 00 ff 00"), "{b_row}");
        let marks = got.iter().find(|l| l.contains('^')).unwrap();
        // Byte 70 is the seventh of its row: the mark sits under it.
        assert_eq!(marks.find('^'), b_row.find("ff"));
    }
}
