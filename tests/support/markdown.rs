//! Markdown outputs (`strata diff`, `report` and `ci --format markdown`) rendered as GitHub
//! renders them (pulldown-cmark with GFM tables), and read back: the tables' cells as text,
//! the tags used, every row's cell count, the length against GitHub's limit.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

/// GitHub's limit on a comment's body, in characters.
pub const COMMENT_LIMIT: usize = 65_536;

pub fn render_html(md: &str) -> String {
    use pulldown_cmark::{html, Options, Parser};
    // What GitHub turns on beyond CommonMark: tables, strikethrough, task lists.
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(md, opts));
    out
}

/// Undoes the HTML writer's escaping of a text run.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let (with, len) = [
            ("&amp;", '&'),
            ("&lt;", '<'),
            ("&gt;", '>'),
            ("&quot;", '"'),
            ("&#39;", '\''),
        ]
        .iter()
        .find(|(e, _)| rest.starts_with(e))
        .map_or(('&', 1), |(e, c)| (*c, e.len()));
        out.push(with);
        rest = &rest[len..];
    }
    out.push_str(rest);
    out
}

/// A rendered table: its header cells and rows of cells, as text.
#[derive(Debug)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The cells of one `<tr>`: the text of each `<td>` or `<th>`.
pub fn cells(row: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = row;
    while let Some(at) = rest.find("<t") {
        rest = &rest[at..];
        let tag = &rest[..3];
        assert!(tag == "<td" || tag == "<th", "{row}");
        let open = rest.find('>').unwrap();
        let close = rest.find(&format!("</{}>", &tag[1..])).unwrap();
        assert!(
            !rest[open + 1..close].contains('<'),
            "markup in a cell: {row}"
        );
        out.push(unescape(&rest[open + 1..close]));
        rest = &rest[close..];
        rest = &rest[rest.find('>').unwrap()..];
    }
    out
}

pub fn tables(html: &str) -> Vec<Table> {
    html.split("<table>")
        .skip(1)
        .map(|t| {
            let t = &t[..t.find("</table>").unwrap()];
            let mut rows = t
                .split("<tr>")
                .skip(1)
                .map(|r| cells(&r[..r.find("</tr>").unwrap()]));
            let header = rows.next().unwrap();
            Table {
                header,
                rows: rows.collect(),
            }
        })
        .collect()
}

/// The table whose header is `header`.
pub fn table<'a>(tables: &'a [Table], header: &[&str]) -> &'a Table {
    tables
        .iter()
        .find(|t| t.header == header)
        .unwrap_or_else(|| panic!("no table {header:?} in {tables:#?}"))
}

/// Every tag name in rendered HTML (text `<` is always escaped, so each `<` opens a tag).
pub fn tag_names(html: &str) -> Vec<String> {
    html.split('<')
        .skip(1)
        .map(|t| {
            t.trim_start_matches('/')
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .collect()
}

/// Checks the markdown's tables as GFM reads them, before a renderer pads or drops cells:
/// each row has as many cells (unescaped `|`, less one) as its header. Returns how many
/// tables there are.
pub fn check_markdown_tables(md: &str) -> usize {
    let pipes = |line: &str| {
        let mut n = 0;
        let mut backslashes = 0;
        for c in line.chars() {
            if c == '|' && backslashes % 2 == 0 {
                n += 1;
            }
            backslashes = if c == '\\' { backslashes + 1 } else { 0 };
        }
        n
    };
    let lines: Vec<&str> = md.lines().collect();
    let mut count = 0;
    let mut i = 0;
    while i < lines.len() {
        let is_table = lines[i].starts_with('|')
            && lines
                .get(i + 1)
                .is_some_and(|l| l.starts_with("|-") || l.starts_with("|:"));
        if !is_table {
            i += 1;
            continue;
        }
        count += 1;
        let want = pipes(lines[i]);
        assert!(want >= 2, "{}", lines[i]);
        let mut j = i + 1;
        while j < lines.len() && lines[j].starts_with('|') {
            assert_eq!(
                pipes(lines[j]),
                want,
                "row {j} has other cells than its header:\n{}\n{}",
                lines[i],
                lines[j]
            );
            assert!(lines[j].ends_with('|'), "{}", lines[j]);
            j += 1;
        }
        i = j;
    }
    count
}

/// The rendered comment, with its structure checked: only the comment's own tags, every
/// table intact, `<details>` balanced, the whole under GitHub's limit.
pub fn checked_html(md: &str, allowed_tags: &[&str]) -> String {
    assert!(
        md.chars().count() < COMMENT_LIMIT && md.len() < COMMENT_LIMIT,
        "{} characters, {} bytes",
        md.chars().count(),
        md.len()
    );
    let html = render_html(md);
    for tag in tag_names(&html) {
        assert!(
            allowed_tags.contains(&tag.as_str()),
            "<{tag}> in the rendered comment:\n{html}"
        );
    }
    let n = check_markdown_tables(md);
    assert_eq!(html.matches("<table>").count(), n, "{html}");
    assert_eq!(
        html.matches("<details>").count(),
        html.matches("</details>").count()
    );
    for t in tables(&html) {
        for r in &t.rows {
            assert_eq!(r.len(), t.header.len(), "{t:#?}");
        }
    }
    assert!(md.trim_end().ends_with("</sub>"), "cut short: {md}");
    html
}
