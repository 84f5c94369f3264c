//! The document around the sections: the Content-Security-Policy, the inline style and
//! script (page.css, page.js, compiled in), and the treemap's data block.
//!
//! The policy allows no network load of any kind (`default-src 'none'`), images only as
//! `data:` URLs, inline styles, and exactly one script: the one below, named by its SHA-256.
//! So even markup that slipped through escaping could not run a script of its own, and the
//! page works offline as a single file.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::escape::text;

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// `'sha256-…'`: the CSP source that allows `SCRIPT` and nothing else.
fn script_source() -> String {
    let digest = Sha256::digest(SCRIPT.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest.as_slice())
    )
}

/// The Content-Security-Policy of the page.
pub fn policy() -> String {
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src {}; img-src data:; \
         base-uri 'none'; form-action 'none'",
        script_source()
    )
}

/// The whole page: `title` (raw text); `top` and `rest` (markup, escaped by their writers),
/// with the treemap's `data` (JSON made safe for a script block by `escape::script_json`) and
/// the script between them: the treemap is drawn as soon as the part of the page it is in
/// has been read, before the long tables after it.
pub fn document(title: &str, top: &str, data: &str, rest: &str) -> String {
    let mut o = String::with_capacity(
        top.len() + rest.len() + data.len() + STYLE.len() + SCRIPT.len() + 1024,
    );
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    o.push_str(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n",
        policy()
    ));
    o.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    o.push_str(&format!("<title>{}</title>\n", text(title)));
    o.push_str("<style>\n");
    o.push_str(STYLE);
    o.push_str("</style></head>\n<body><main>\n");
    o.push_str(top);
    o.push_str("<script type=\"application/json\" id=\"strata-data\">");
    o.push_str(data);
    o.push_str("</script>\n<script>");
    o.push_str(SCRIPT);
    o.push_str("</script>\n");
    o.push_str(rest);
    o.push_str("</main>\n</body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_and_style_cannot_end_their_own_elements() {
        assert!(!SCRIPT.to_ascii_lowercase().contains("</script"));
        assert!(!STYLE.to_ascii_lowercase().contains("</style"));
    }

    #[test]
    fn the_policy_names_the_script_by_its_hash_and_allows_no_network() {
        let p = policy();
        assert!(p.starts_with("default-src 'none';"), "{p}");
        assert!(p.contains("script-src 'sha256-"), "{p}");
        let script = p.split(';').find(|d| d.trim().starts_with("script-src"));
        assert!(script.is_some_and(|s| !s.contains("unsafe")), "{p}");
        assert!(!p.contains("http"), "{p}");
        let page = document("t", "", "{}", "");
        assert!(page.contains(&format!("<script>{SCRIPT}</script>")));
    }
}
