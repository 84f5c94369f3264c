//! The markdown of `strata report` and `strata ci` (`--format markdown`, and what `ci` appends
//! to `$GITHUB_STEP_SUMMARY`), rendered as GitHub would render it (pulldown-cmark, GFM
//! tables): the summary, waste by cause, hints, wasted paths and the verdict read back from
//! the tables against the report's own figures; hostile names stay text; a big image with
//! thousands of files and hundreds of hints stays within one comment; then node-app
//! (`fixture_markdown_fits_one_comment`, run by `scripts/check-fixtures.sh`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use strata::model::units;
use strata::report::ci::{self, Format, Rules, Setting};
use strata::report::{markdown, Report};

use crate::support::markdown::{checked_html, table, tables, Table, COMMENT_LIMIT};
use crate::support::*;

/// The tags the report's and the verdict's markdown are made of: nothing in an image may add
/// another.
const ALLOWED_TAGS: [&str; 15] = [
    "h3", "h4", "p", "strong", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "details",
    "summary", "sub",
];

/// A user name that is markup, short enough to be shown whole.
const USER: &str = "<script>u</script>|*u*[x](y)";

/// Markdown, HTML and links in every place an image's text reaches the markdown.
const HOSTILE: &str =
    "<script>alert(1)</script>|`x`*y*_u_[x](javascript:alert(1))\n~z~ #h !i &amp; <b>b</b> <a href=\"x\">";

fn raw(path: &str, data: &[u8]) -> Item {
    Item::Raw(path.to_string(), tar::EntryType::Regular, data.to_vec())
}

fn report_of(archive: &Path) -> Report {
    let session = load_image(archive.to_str().unwrap());
    let analysis = session.analyse();
    Report::new(session.image(), &analysis)
}

/// Three layers with every kind of waste: a file overwritten, a file deleted later, a
/// copy-up, an apt cache left behind, and a private key (a hint of its own).
fn wasteful() -> Spec {
    Spec::new()
        .layer(
            "ADD rootfs /",
            vec![
                raw("etc/a", &noise(1, 4000)),
                raw("etc/b", &noise(2, 3000)),
                raw("opt/big.bin", &noise(3, 50_000)),
                owned("srv/app.sh", &noise(4, 2000), 0o644, 0, 0),
            ],
        )
        .layer(
            "RUN apt-get update && apt-get install -y curl",
            vec![
                raw("etc/a", &noise(5, 1000)),
                raw("var/cache/apt/pkgcache.bin", &noise(6, 20_000)),
                raw(
                    "root/.ssh/id_rsa",
                    b"-----BEGIN OPENSSH PRIVATE KEY-----\nx\n",
                ),
            ],
        )
        .layer(
            "RUN rm -rf /opt/big.bin && chmod 755 /srv/app.sh",
            vec![
                Item::Whiteout("opt/big.bin"),
                owned("srv/app.sh", &noise(4, 2000), 0o755, 0, 0),
            ],
        )
}

fn row<'a>(t: &'a Table, first: &str) -> &'a [String] {
    t.rows
        .iter()
        .find(|r| r[0] == first)
        .unwrap_or_else(|| panic!("no row {first:?} in {t:#?}"))
}

#[test]
fn report_markdown_tables_say_what_the_report_says() {
    let dir = tempdir();
    let archive = dir.path().join("app.tar");
    wasteful().docker_archive(&archive);
    let doc = report_of(&archive);
    let md = markdown::render(&doc, 10, markdown::COMMENT_LIMIT);
    let html = checked_html(&md, &ALLOWED_TAGS);
    let tables = tables(&html);
    let (t, w) = (&doc.totals, &doc.waste);

    assert!(
        html.starts_with(&format!("<h3>strata report: {}</h3>", archive.display())),
        "{html}"
    );
    let summary = table(
        &tables,
        &["Image", "Size", "Layers", "Efficiency", "Wasted"],
    );
    assert_eq!(
        summary.rows,
        [[
            archive.display().to_string(),
            units::decimal(t.total_bytes),
            "3".to_string(),
            format!("{:.1} %", w.efficiency * 100.0),
            units::decimal(w.unreachable_bytes),
        ]]
    );
    assert!(w.unreachable_bytes >= 4000 + 50_000 + 2000, "{w:?}");

    let causes = table(&tables, &["Cause", "Bytes", "Share", "What"]);
    let names: Vec<&str> = causes.rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        names,
        ["overwritten", "copy-up", "removed", "duplicate", "cache"]
    );
    for (name, bytes) in [
        ("overwritten", w.overwritten),
        ("copy-up", w.copy_up),
        ("removed", w.removed),
        ("cache", w.cache),
    ] {
        assert!(bytes > 0, "{name}: {w:?}");
        assert_eq!(row(causes, name)[1], units::decimal(bytes), "{name}");
    }
    assert_eq!(
        row(causes, "removed")[2],
        format!("{:.1} %", w.removed as f64 * 100.0 / t.total_bytes as f64)
    );

    // Every hint, in the report's order (the image's own first).
    let hints = table(&tables, &["Severity", "Hint", "Bytes", "Layer", "Message"]);
    assert!(!doc.hints.is_empty());
    assert_eq!(hints.rows.len(), doc.hints.len().min(10), "{hints:#?}");
    let secret = row_with(hints, 1, "secret");
    assert_eq!(secret[0], "error");
    assert_eq!(secret[3], "1");
    assert!(secret[4].contains("/root/.ssh/id_rsa"), "{secret:?}");

    let paths = table(&tables, &["Bytes", "Cause", "Layers", "Path"]);
    assert_eq!(paths.rows.len(), w.top.len().min(10), "{paths:#?}");
    for (r, want) in paths.rows.iter().zip(&w.top) {
        assert_eq!(r[0], units::decimal(want.bytes));
        assert_eq!(r[1], want.cause.replace('_', "-"));
        assert!(r[3].starts_with(want.path.trim_end_matches('/')), "{r:?}");
    }
    let big = row_with(paths, 3, "/opt/big.bin");
    assert_eq!(big[..3], ["50 kB", "removed", "0, 2"]);

    let layers = table(&tables, &["Layer", "Size", "Blob", "Hides", "Step"]);
    assert_eq!(layers.rows.len(), 3);
    assert!(
        layers.rows[2][4].contains("rm -rf /opt/big.bin && chmod"),
        "{layers:#?}"
    );
    assert_eq!(
        layers.rows[1][3],
        units::decimal(doc.layers[1].unreachable_bytes)
    );
    assert!(
        html.contains("<details><summary>Layers (3)</summary>"),
        "{html}"
    );
    assert!(!md.contains("not shown"), "{md}");
}

/// The row of `t` whose column `col` is `value`.
fn row_with<'a>(t: &'a Table, col: usize, value: &str) -> &'a [String] {
    t.rows
        .iter()
        .find(|r| r[col] == value)
        .unwrap_or_else(|| panic!("no {value:?} in column {col} of {t:#?}"))
}

/// An image whose names, commands and config carry markup, links and table breakers, at an
/// archive path that does too.
fn hostile_archive(dir: &Path) -> std::path::PathBuf {
    let nested = dir.join("<script>alert(1)<");
    std::fs::create_dir(&nested).unwrap();
    let archive = nested.join("script>|`x`*y*[x](y)#a.tar");
    let path = format!("srv/{HOSTILE}.txt");
    let key = format!("srv/{HOSTILE}/.ssh/id_rsa");
    Spec::new()
        .runtime_config(serde_json::json!({"User": USER, "Labels": {"x": HOSTILE}}))
        .layer(
            &format!("RUN echo {HOSTILE}"),
            vec![
                raw(&path, &noise(1, 5000)),
                raw(&key, b"-----BEGIN OPENSSH PRIVATE KEY-----\n"),
            ],
        )
        .layer(
            &format!("COPY {HOSTILE} /srv/"),
            vec![raw(&path, &noise(2, 100))],
        )
        .docker_archive(&archive);
    archive
}

/// No script, link or `href` reached the HTML as markup: `<` of the image's text is always
/// `&lt;` (its `href="x"` is text), and every tag there is is the renderer's own, with no
/// attribute but a table cell's alignment.
fn assert_inert(html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "{html}");
    assert!(!lower.contains("<a "), "{html}");
    assert!(!lower.contains("<b>"), "{html}");
    for tag in lower.split('<').skip(1) {
        let tag = &tag[..tag.find('>').unwrap_or_else(|| panic!("unclosed <{tag}"))];
        assert!(!tag.contains("href"), "<{tag}> in {html}");
        let attrs = tag.split_once(' ').map_or("", |(_, a)| a);
        assert!(
            attrs.is_empty() || attrs == "style=\"text-align: right\"",
            "<{tag}> in {html}"
        );
    }
    // The image's `href` is there, as text.
    assert!(lower.contains("&lt;a href=\"x\"&gt;"), "{html}");
}

#[test]
fn report_markdown_keeps_hostile_names_text() {
    let dir = tempdir();
    let archive = hostile_archive(dir.path());
    let doc = report_of(&archive);
    let md = markdown::render(&doc, 10, markdown::COMMENT_LIMIT);
    // Each table row keeps its header's cell count (checked there), and nothing in the image
    // became a tag, a link or a script.
    let html = checked_html(&md, &ALLOWED_TAGS);
    assert_inert(&html);
    let shown = |s: &str| s.replace('\n', "\\n");
    let tables = tables(&html);
    let summary = table(
        &tables,
        &["Image", "Size", "Layers", "Efficiency", "Wasted"],
    );
    assert_eq!(summary.rows[0][0], archive.display().to_string());
    let paths = table(&tables, &["Bytes", "Cause", "Layers", "Path"]);
    let overwritten = format!("/srv/{}.txt", shown(HOSTILE));
    row_with(paths, 3, &overwritten);
    let layers = table(&tables, &["Layer", "Size", "Blob", "Hides", "Step"]);
    assert_eq!(layers.rows[1][4], format!("COPY {} /srv/", shown(HOSTILE)));
    let hints = table(&tables, &["Severity", "Hint", "Bytes", "Layer", "Message"]);
    let secret = row_with(hints, 1, "secret");
    assert!(secret[4].contains(&shown(HOSTILE)), "{secret:?}");

    // The verdict too: a rule's message quotes the image's user.
    let rules = Rules {
        deny_root_user: Setting::On(()),
        deny_secrets: Setting::On(()),
        ..Rules::default()
    };
    let verdict = ci::evaluate(&rules, &doc);
    let md = ci::render(&verdict, &doc, Format::Markdown);
    let html = checked_html(&md, &ALLOWED_TAGS);
    assert_inert(&html);
    let rules = table(
        &crate::support::markdown::tables(&html),
        &["Rule", "Result", "Figure", "Threshold"],
    )
    .rows
    .clone();
    let secrets = rules.iter().find(|r| r[0] == "deny_secrets").unwrap();
    assert_eq!(secrets[1..], ["❌ fail", "1 finding", "none"]);
    let root = rules.iter().find(|r| r[0] == "deny_root_user").unwrap();
    assert_eq!(root[1], "✅ pass", "{root:?}");
    assert_eq!(root[2], format!("user \"{USER}\""));
}

#[test]
fn ci_markdown_states_each_rule_against_its_threshold() {
    let dir = tempdir();
    let archive = dir.path().join("app.tar");
    wasteful().docker_archive(&archive);
    let doc = report_of(&archive);
    let rules = Rules {
        lowest_efficiency: Setting::On(0.99),
        highest_wasted_bytes: Setting::Disabled,
        max_layers: Setting::On(5),
        max_cache_bytes: Setting::On(10_000),
        ..Rules::default()
    };
    let verdict = ci::evaluate(&rules, &doc);
    assert!(!verdict.passed());
    let md = ci::render(&verdict, &doc, Format::Markdown);
    let html = checked_html(&md, &ALLOWED_TAGS);
    assert!(
        html.starts_with(&format!(
            "<h3>strata ci: {} — ❌ FAIL</h3>",
            archive.display()
        )),
        "{html}"
    );
    let tables = tables(&html);
    let v = table(&tables, &["Rule", "Result", "Figure", "Threshold"]);
    let names: Vec<&str> = v.rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        names,
        [
            "highestUserWastedPercent",
            "highestWastedBytes",
            "lowestEfficiency",
            "max_layers",
            "max_cache_bytes"
        ]
    );
    let d = &doc.dive_compat;
    let eff = row(v, "lowestEfficiency");
    assert_eq!(eff[1], "❌ fail");
    assert_eq!(eff[3], "≥ 99 %");
    assert!(eff[2].ends_with(" %") && eff[2] != "99 %", "{eff:?}");
    let shown: f64 = eff[2].trim_end_matches(" %").parse().unwrap();
    assert!(
        (shown - d.efficiency * 100.0).abs() < 0.01,
        "{eff:?} vs {}",
        d.efficiency
    );
    assert_eq!(
        row(v, "highestWastedBytes")[1..],
        ["➖ skip", &units::decimal(d.wasted_bytes), "disabled"]
    );
    assert_eq!(row(v, "max_layers")[1..], ["✅ pass", "3", "≤ 5"]);
    assert_eq!(
        row(v, "max_cache_bytes")[1..],
        ["❌ fail", &units::decimal(doc.waste.cache), "≤ 10 kB"]
    );
    let t = verdict.tally();
    assert!(
        html.contains(&format!(
            "<p>{} rules: {} passed, {} failed, {} skipped.</p>",
            t.total, t.passed, t.failed, t.skipped
        )),
        "{html}"
    );
    // Each failure with its message, then the report's sections.
    assert!(
        html.contains(
            "<li><strong>max_cache_bytes</strong>: package-manager caches left in the image"
        ),
        "{html}"
    );
    table(&tables, &["Cause", "Bytes", "Share", "What"]);
    table(&tables, &["Bytes", "Cause", "Layers", "Path"]);

    let pass = ci::evaluate(
        &Rules {
            lowest_efficiency: Setting::Disabled,
            highest_user_wasted_percent: Setting::Disabled,
            ..Rules::default()
        },
        &doc,
    );
    let md = ci::render(&pass, &doc, Format::Markdown);
    assert!(md.contains("— ✅ PASS"), "{md}");
    assert!(!md.contains("<li>"), "{md}");
}

/// An image as large as a comment could ever be asked about: 30,000 files under long paths,
/// 200 layers that each leave a private key (one hint each) and overwrite files (wasted
/// paths), 200 history steps with long commands.
fn huge(dir: &Path) -> std::path::PathBuf {
    let long = "d".repeat(120);
    let mut spec = Spec::new().layer(
        "COPY data /data",
        (0..30_000)
            .map(|i| {
                raw(
                    &format!("data/{long}/{:03}/f{i:05}.txt", i % 300),
                    &noise(i, 100),
                )
            })
            .collect(),
    );
    for l in 0..200u64 {
        spec = spec.layer(
            &format!("RUN step {l} {}", "x".repeat(300)),
            vec![
                raw(
                    &format!("keys/{l}/id_rsa"),
                    b"-----BEGIN OPENSSH PRIVATE KEY-----\n",
                ),
                raw(
                    &format!("data/{long}/{:03}/f{:05}.txt", l % 300, l),
                    &noise(100_000 + l, 200),
                ),
            ],
        );
    }
    let archive = dir.join("huge.tar");
    spec.docker_archive(&archive);
    archive
}

#[test]
fn markdown_of_a_huge_image_fits_one_comment() {
    let dir = tempdir();
    let archive = huge(dir.path());
    let doc = report_of(&archive);
    assert!(doc.hints.len() >= 200, "{} hints", doc.hints.len());
    assert!(doc.totals.files >= 30_000);
    // No cap on rows but the size: every table must stop on its own.
    let md = markdown::render(&doc, usize::MAX, markdown::COMMENT_LIMIT);
    let html = checked_html(&md, &ALLOWED_TAGS);
    assert!(md.chars().count() < COMMENT_LIMIT);
    let tables = tables(&html);
    let hints = table(&tables, &["Severity", "Hint", "Bytes", "Layer", "Message"]);
    assert!(
        hints.rows.len() > 20,
        "hints table nearly empty: {}",
        hints.rows.len()
    );
    let left = doc.hints.len() - hints.rows.len();
    assert!(
        md.contains(&format!(
            "… {} more hints not shown",
            units::count(left as u64)
        )),
        "{md}"
    );
    let layers = table(&tables, &["Layer", "Size", "Blob", "Hides", "Step"]);
    assert!(
        layers.rows.len() > 20 && layers.rows.len() < 201,
        "{}",
        layers.rows.len()
    );
    assert!(md.contains("more layers not shown"), "{md}");
    // With the default rows: the rest is named, not silently dropped.
    let md = markdown::render(&doc, 10, markdown::COMMENT_LIMIT);
    checked_html(&md, &ALLOWED_TAGS);
    assert!(
        md.contains(&format!(
            "{} more hints after the first 10",
            units::count(doc.hints.len() as u64 - 10)
        )),
        "{md}"
    );

    let verdict = ci::evaluate(
        &Rules {
            deny_secrets: Setting::On(()),
            ..Rules::default()
        },
        &doc,
    );
    let md = ci::render(&verdict, &doc, Format::Markdown);
    let html = checked_html(&md, &ALLOWED_TAGS);
    assert!(
        html.contains("<strong>deny_secrets</strong>: secrets in the image"),
        "{html}"
    );
}

/// node-app (113k files) against one comment: the report's and the verdict's markdown. Run
/// by `scripts/check-fixtures.sh`.
#[test]
#[ignore = "needs the fixture images built by ../shared/fixtures/build.sh"]
fn fixture_markdown_fits_one_comment() {
    let root = std::env::var("FIXTURES_DIR").unwrap_or_else(|_| "/tmp/fixtures-out".into());
    let archive = Path::new(&root).join("docker-archive/node-app-latest.tar");
    assert!(
        archive.exists(),
        "{}: build the fixtures first",
        archive.display()
    );
    let doc = report_of(&archive);
    for top in [10, usize::MAX] {
        let md = markdown::render(&doc, top, markdown::COMMENT_LIMIT);
        checked_html(&md, &ALLOWED_TAGS);
        eprintln!(
            "node-app report, top {top}: {} characters",
            md.chars().count()
        );
    }
    let verdict = ci::evaluate(&Rules::default(), &doc);
    let md = ci::render(&verdict, &doc, Format::Markdown);
    checked_html(&md, &ALLOWED_TAGS);
    eprintln!("node-app ci: {} characters", md.chars().count());
    // Through the binary too, as a pipeline runs it.
    let (code, out, err) = strata(&["ci", archive.to_str().unwrap(), "--format", "markdown"]);
    assert!(code == 0 || code == 1, "{err}");
    checked_html(&out, &ALLOWED_TAGS);
}

#[test]
fn report_format_markdown_through_the_binary() {
    let dir = tempdir();
    let archive = dir.path().join("app.tar");
    wasteful().docker_archive(&archive);
    let path = archive.to_str().unwrap();
    let (code, out, err) = strata(&["report", path, "--format", "markdown", "--top", "3"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        markdown::render(&report_of(&archive), 3, markdown::COMMENT_LIMIT)
    );
    checked_html(&out, &ALLOWED_TAGS);
    // --format text and json are the forms without it.
    assert_eq!(
        strata(&["report", path, "--format", "text"]).1,
        strata(&["report", path]).1
    );
    assert_eq!(
        strata(&["report", path, "--format", "json"]).1,
        strata(&["report", path, "--json"]).1
    );
    let (code, out, err) = strata(&["report", path, "--json", "--format", "markdown"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    let first = err.lines().next().unwrap();
    assert!(
        first.starts_with("error:") && first.contains("--json") && first.contains("--format"),
        "{err}"
    );
}
