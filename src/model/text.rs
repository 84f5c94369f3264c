//! Text from an image made safe to show: control characters, bidirectional overrides and
//! bytes of names that are not UTF-8 escaped, so nothing an image holds can drive the terminal.

use super::path::raw_byte;

/// At most `max` characters, with control characters (ESC, newline, ...) and bidirectional
/// overrides escaped, so image-supplied text can never drive or disguise the terminal.
pub fn printable(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max));
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        // A byte of a name that is not UTF-8 (see `name_from_bytes`).
        if let Some(b) = raw_byte(c) {
            out.push_str(&format!("\\x{b:02x}"));
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_only_what_could_drive_the_terminal() {
        assert_eq!(
            printable("a\u{1b}[31mred\nb \"q\" ü", 100),
            "a\\u{1b}[31mred\\nb \"q\" ü"
        );
        assert_eq!(printable("\u{202e}txt.exe", 100), "\\u{202e}txt.exe");
        assert_eq!(printable("abcdef", 3), "abc…");
    }
}
