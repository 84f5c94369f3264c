//! Everything the page says that came from the image goes through here: HTML text and quoted
//! attribute values, and the data the script reads from a `<script type="application/json">`
//! block. Image bytes (file names, commands, labels, package names) are hostile input.
//!
//! Each is a handful of replacements, written out rather than taken from a crate, because the
//! rules are the whole of it and a test below pins each one:
//! - text and attributes: `&`, `<`, `>`, `"` and `'` become character references (the page
//!   quotes every attribute with `"`, so one function serves both), after `printable` has
//!   made control characters and bidirectional overrides visible (`\u{202e}`), so a name can
//!   neither add markup nor disguise itself;
//! - script data: serde_json writes valid JSON, where `<`, `>` and `&` can only be inside
//!   strings; written as `\u003c`, `\u003e`, `\u0026` no `</script>` or `<!--` can end or
//!   bend the block, and U+2028/U+2029 (line terminators to older JavaScript) as `\u2028`,
//!   `\u2029`. The JSON means the same after.

use std::borrow::Cow;

/// `s` as HTML text or a `"`-quoted attribute value, control characters made visible.
pub fn text(s: &str) -> String {
    markup(&crate::model::text::printable(s, usize::MAX)).into_owned()
}

/// `s` with the five markup characters replaced; nothing else changed.
pub fn markup(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// JSON text (as serde_json writes it) made safe inside a `<script>` element.
pub fn script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_open_a_tag_or_leave_an_attribute() {
        assert_eq!(
            text(r#"<img src=x onerror="alert('1')">&amp;"#),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;amp;"
        );
        assert_eq!(text("plain/path.txt"), "plain/path.txt");
    }

    #[test]
    fn text_shows_control_and_direction_characters() {
        assert_eq!(text("a\u{1b}[2J\u{202e}b\nc"), "a\\u{1b}[2J\\u{202e}b\\nc");
    }

    #[test]
    fn script_data_cannot_close_the_script_and_parses_the_same() {
        let value = serde_json::json!({"name": "</script><script>alert(1)</script><!-- & \u{2028}\u{2029}"});
        let json = serde_json::to_string(&value).unwrap();
        let safe = script_json(&json);
        for bad in ["<", ">", "&", "\u{2028}", "\u{2029}"] {
            assert!(!safe.contains(bad), "{bad:?} left in {safe}");
        }
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
    }
}
