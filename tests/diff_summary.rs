//! What `strata diff A B` tells a reader beyond the path list (DESIGN.md section 4b): the
//! package diff, waste by cause and build step, directories rolled up, metadata-only changes
//! collapsed, and the markdown form (`--format markdown`) rendered as GitHub would render it,
//! on generated image pairs with known answers, hostile names and a big pair; then the large
//! fixture images (`fixture_pairs_tell_the_story`, run by `scripts/check-fixtures.sh`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use serde_json::{json, Value};

use crate::support::markdown::{self, table, tables};
use crate::support::*;

const SITE: &str = "usr/local/lib/python3.11/dist-packages";

fn raw(path: &str, data: &[u8]) -> Item {
    Item::Raw(path.to_string(), tar::EntryType::Regular, data.to_vec())
}

/// Runs `strata diff` on two archives with `args` before the two paths; its stdout.
fn run_on(a: &Path, b: &Path, args: &[&str]) -> String {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    all.extend([a.to_str().unwrap(), b.to_str().unwrap()]);
    let (code, out, err) = strata(&all);
    assert_eq!(code, 0, "strata {all:?}: {err}");
    out
}

/// The `strata.diff/v1` document, the text summary and the markdown of one pair.
struct Outputs {
    json: Value,
    text: String,
    markdown: String,
}

fn outputs(a: &Spec, b: &Spec) -> Outputs {
    let dir = tempdir();
    let (pa, pb) = (dir.path().join("a.tar"), dir.path().join("b.tar"));
    a.docker_archive(&pa);
    b.docker_archive(&pb);
    let json: Value = serde_json::from_str(&run_on(&pa, &pb, &["--json"])).unwrap();
    assert_eq!(json["schema"], "strata.diff/v1");
    Outputs {
        json,
        // stdout is a pipe: the text summary, not the compare screen.
        text: run_on(&pa, &pb, &[]),
        markdown: run_on(&pa, &pb, &["--format", "markdown"]),
    }
}

// ---------------------------------------------------------------------------------------------
// Images with packages.

/// A dpkg status paragraph.
fn deb(name: &str, version: &str) -> String {
    format!(
        "Package: {name}\nStatus: install ok installed\nPriority: optional\nSection: misc\n\
         Installed-Size: 10\nMaintainer: Debian <debian@example.org>\nArchitecture: amd64\n\
         Version: {version}\nDescription: the {name} package\n\n"
    )
}

/// A `pip install` of `name` at `version`: its modules (relative to site-packages), its
/// METADATA and a RECORD listing them and itself, as pip writes it. Returns the items and the
/// bytes of the package's files.
fn pip(name: &str, version: &str, modules: &[(&str, Vec<u8>)]) -> (Vec<Item>, u64) {
    let dist = format!("{name}-{version}.dist-info");
    let metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    let mut record = String::new();
    let mut items = Vec::new();
    let mut size = 0;
    for (path, data) in modules {
        record.push_str(&format!(
            "{path},sha256={},{}\n",
            &sha(data)[7..],
            data.len()
        ));
        items.push(raw(&format!("{SITE}/{path}"), data));
        size += data.len() as u64;
    }
    record.push_str(&format!(
        "{dist}/METADATA,sha256={},{}\n{dist}/RECORD,,\n",
        &sha(metadata.as_bytes())[7..],
        metadata.len()
    ));
    size += (metadata.len() + record.len()) as u64;
    items.push(raw(&format!("{SITE}/{dist}/METADATA"), metadata.as_bytes()));
    items.push(raw(&format!("{SITE}/{dist}/RECORD"), record.as_bytes()));
    (items, size)
}

fn debian_base() -> Vec<Item> {
    vec![
        raw("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n"),
        raw("usr/bin/sh", &noise(1, 5000)),
        raw("var/lib/dpkg/status", deb("base-files", "12.4").as_bytes()),
        raw(
            "var/lib/dpkg/info/base-files.list",
            b"/.\n/usr\n/usr/bin\n/usr/bin/sh\n",
        ),
    ]
}

/// An apt install of `name` (one program in `/usr/bin`, `bytes` long) over the base.
fn apt(name: &str, version: &str, seed: u64, bytes: usize) -> Vec<Item> {
    let status = [deb("base-files", "12.4"), deb(name, version)].concat();
    vec![
        raw("var/lib/dpkg/status", status.as_bytes()),
        raw(
            &format!("var/lib/dpkg/info/{name}.list"),
            format!("/.\n/usr\n/usr/bin\n/usr/bin/{name}\n").as_bytes(),
        ),
        raw(&format!("usr/bin/{name}"), &noise(seed, bytes)),
    ]
}

/// The sizes of each image's python packages, by name.
struct PySizes {
    requests: u64,
    six: u64,
}

/// A: `oldpkg` from apt, requests 2.31.0 and six 1.16.0 from pip.
fn packages_a() -> (Spec, PySizes) {
    let (mut py, requests) = pip(
        "requests",
        "2.31.0",
        &[
            ("requests/__init__.py", noise(30, 4000)),
            ("requests/api.py", noise(31, 2500)),
        ],
    );
    let (six_items, six) = pip("six", "1.16.0", &[("six.py", noise(32, 1000))]);
    py.extend(six_items);
    let spec = Spec::new()
        .layer("debootstrap", debian_base())
        .layer(
            "RUN apt-get install -y oldpkg",
            apt("oldpkg", "2.0-1", 20, 3000),
        )
        .layer("RUN pip install requests==2.31.0 six==1.16.0", py);
    (spec, PySizes { requests, six })
}

/// B: `newpkg` instead of `oldpkg`, requests upgraded to 2.32.3 (one module changed, one the
/// same, one new), six downgraded to 1.15.0.
fn packages_b() -> (Spec, PySizes) {
    let (mut py, requests) = pip(
        "requests",
        "2.32.3",
        &[
            ("requests/__init__.py", noise(33, 4200)),
            ("requests/api.py", noise(31, 2500)),
            ("requests/compat.py", noise(34, 700)),
        ],
    );
    let (six_items, six) = pip("six", "1.15.0", &[("six.py", noise(35, 900))]);
    py.extend(six_items);
    let spec = Spec::new()
        .layer("debootstrap", debian_base())
        .layer(
            "RUN apt-get install -y newpkg",
            apt("newpkg", "1.0-1", 21, 5000),
        )
        .layer("RUN pip install requests==2.32.3 six==1.15.0", py);
    (spec, PySizes { requests, six })
}

/// Each package row as an array: ecosystem, name, change, version_a, version_b, size_a,
/// size_b, changed_files.
fn package_rows(v: &Value) -> Vec<Value> {
    v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            json!([
                p["ecosystem"],
                p["name"],
                p["change"],
                p["version_a"],
                p["version_b"],
                p["size_a"],
                p["size_b"],
                p["changed_files"]
            ])
        })
        .collect()
}

#[test]
fn diff_summary_packages_added_removed_upgraded_downgraded() {
    let ((a, size_a), (b, size_b)) = (packages_a(), packages_b());
    let out = outputs(&a, &b);
    let v = &out.json;
    // By ecosystem (dpkg before python), then name. changed_files counts the paths each owns
    // on either side that differ: requests' changed __init__.py and new compat.py (not its
    // unchanged api.py), and both dist-info directories' METADATA and RECORD; six's six.py
    // and its two dist-info files on each side; each apt package its one program.
    assert_eq!(
        package_rows(v),
        vec![
            json!(["dpkg", "newpkg", "added", null, "1.0-1", 0, 5000, 1]),
            json!(["dpkg", "oldpkg", "removed", "2.0-1", null, 3000, 0, 1]),
            json!([
                "python",
                "requests",
                "upgraded",
                "2.31.0",
                "2.32.3",
                size_a.requests,
                size_b.requests,
                6
            ]),
            json!([
                "python",
                "six",
                "downgraded",
                "1.16.0",
                "1.15.0",
                size_a.six,
                size_b.six,
                5
            ]),
        ],
        "{:#}",
        v["packages"]
    );
    let s = &v["summary"];
    assert_eq!(
        (
            s["packages_added"].as_u64(),
            s["packages_removed"].as_u64(),
            s["packages_upgraded"].as_u64(),
            s["packages_downgraded"].as_u64()
        ),
        (Some(1), Some(1), Some(1), Some(1)),
        "{s:#}"
    );
    // The package layer of each side is the pip layer (2) for python, the apt layer for dpkg.
    let layers: Vec<(Value, Value)> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["layer_a"].clone(), p["layer_b"].clone()))
        .collect();
    assert_eq!(
        layers,
        [
            (json!(null), json!(1)),
            (json!(1), json!(null)),
            (json!(2), json!(2)),
            (json!(2), json!(2)),
        ]
    );

    // The text leads with the counts, then a row per package.
    let t = &out.text;
    let line = t.lines().find(|l| l.starts_with("Packages ")).unwrap();
    assert_eq!(
        line, "Packages   1 upgraded, 1 downgraded, 1 added, 1 removed",
        "{t}"
    );
    let row = t
        .lines()
        .find(|l| l.trim_start().starts_with("upgraded"))
        .unwrap_or_else(|| panic!("no upgrade row:\n{t}"));
    let words: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        words[..6],
        ["upgraded", "python", "requests", "2.31.0", "→", "2.32.3"],
        "{row}"
    );
    assert!(row.contains("requests") && row.contains("2.31.0 → 2.32.3"));
    // Its size moved by B's size less A's, signed.
    assert!(words[6].starts_with('+'), "{row}");
}

// ---------------------------------------------------------------------------------------------
// A recursive chown: waste by cause and step, metadata-only rows, efficiency in points.

/// `/app` (two directories, four files) owned by `uid:uid`.
fn app(uid: u32) -> Vec<Item> {
    vec![
        owned("app/", b"", 0o755, uid, uid),
        owned("app/src/", b"", 0o755, uid, uid),
        owned("app/main.py", &noise(40, 3000), 0o644, uid, uid),
        owned("app/README", &noise(41, 500), 0o644, uid, uid),
        owned("app/src/a.py", &noise(42, 2000), 0o644, uid, uid),
        owned("app/src/b.py", &noise(43, 1000), 0o644, uid, uid),
    ]
}

/// The bytes of `app`'s files.
const APP_BYTES: u64 = 3000 + 500 + 2000 + 1000;

const CHOWN: &str = "RUN chown -R 1000:1000 /app";

fn base_items() -> Vec<Item> {
    vec![
        Item::Dir("usr"),
        file("usr/bin/sh", &noise(1, 5000)),
        file("etc/os-release", b"ID=test\n"),
    ]
}

#[test]
fn diff_summary_chown_is_a_new_copy_up_step_and_one_metadata_row() {
    let a = Spec::new()
        .layer("base", base_items())
        .layer("COPY . /app", app(0));
    let b = Spec::new()
        .layer("base", base_items())
        .layer("COPY . /app", app(0))
        .layer(CHOWN, app(1000));
    let out = outputs(&a, &b);
    let v = &out.json;

    // The one waste delta: B's new step copied every file of /app up.
    let causes = v["waste_causes"].as_array().unwrap();
    assert_eq!(causes.len(), 1, "{causes:#?}");
    let c = &causes[0];
    assert_eq!(c["cause"], "copy_up");
    assert!(c["step"].as_str().unwrap().contains("chown -R"), "{c}");
    assert_eq!(c["step"], CHOWN);
    assert_eq!(c["new_step"], true);
    assert_eq!(c["delta"].as_i64(), Some(APP_BYTES as i64));
    assert_eq!(
        (c["bytes_a"].as_u64(), c["bytes_b"].as_u64()),
        (Some(0), Some(APP_BYTES))
    );
    assert_eq!((&c["layer_a"], &c["layer_b"]), (&json!(null), &json!(2)));
    assert_eq!(
        v["waste"]["copy_up"]["delta"].as_i64(),
        Some(APP_BYTES as i64)
    );

    // Six metadata-only entries (/app, /app/src and the four files), one row.
    assert_eq!(v["summary"]["metadata_only"], 6);
    assert_eq!(v["summary"]["changed"], 0);
    assert_eq!(
        v["metadata_only_dirs"],
        json!([{"path": "/app", "entries": 6, "change": "owner 0:0 → 1000:1000"}])
    );
    // No bytes moved in the final view: no directory row.
    assert_eq!(v["dirs"], json!([]));

    // Efficiency: A stores only what it shows (1.0); B stores /app twice. The delta is in
    // percentage points.
    let final_bytes = v["a"]["totals"]["final_bytes"].as_u64().unwrap();
    assert_eq!(v["b"]["totals"]["final_bytes"].as_u64(), Some(final_bytes));
    assert_eq!(
        v["b"]["totals"]["total_bytes"].as_u64(),
        Some(final_bytes + APP_BYTES)
    );
    let e = &v["waste"]["efficiency"];
    let (ea, eb, delta) = (
        e["a"].as_f64().unwrap(),
        e["b"].as_f64().unwrap(),
        e["delta"].as_f64().unwrap(),
    );
    assert_eq!(ea, 1.0);
    let want_b = final_bytes as f64 / (final_bytes + APP_BYTES) as f64;
    assert!((eb - want_b).abs() < 1e-12, "{eb} vs {want_b}");
    assert!(((eb - ea) * 100.0 - delta).abs() < 1e-9, "{e}");
    assert!(delta < -1.0, "a ratio's delta, not points: {delta}");

    let t = &out.text;
    assert!(
        t.contains(&format!("new step `{CHOWN}` copied up")),
        "no new step sentence:\n{t}"
    );
    let line = t.lines().find(|l| l.starts_with("Efficiency")).unwrap();
    assert!(
        line.ends_with(&format!("({delta:+.1} pp)")),
        "{line} (delta {delta})"
    );
    let row = t
        .lines()
        .find(|l| l.trim_start().starts_with("efficiency"))
        .unwrap();
    assert!(row.ends_with(&format!("{delta:+.1} pp")), "{row}");
    let meta = t
        .lines()
        .skip_while(|l| *l != "Metadata only")
        .nth(1)
        .unwrap_or_else(|| panic!("no Metadata only section:\n{t}"));
    assert_eq!(
        meta.split_whitespace().collect::<Vec<_>>(),
        ["6", "entries", "/app/", "owner", "0:0", "→", "1000:1000"]
    );
}

// ---------------------------------------------------------------------------------------------
// Directories rolled up.

#[test]
fn diff_summary_dirs_roll_up_where_changes_meet() {
    let a = Spec::new().layer("base", base_items()).layer(
        "COPY site /srv/www",
        vec![
            raw("srv/www/static/js/app.js", &noise(50, 10_000)),
            raw("srv/www/static/css/site.css", &noise(51, 2000)),
            raw("srv/www/index.html", &noise(52, 500)),
            raw("opt/tool/bin/tool", &noise(53, 7000)),
        ],
    );
    let b = Spec::new().layer("base", base_items()).layer(
        "COPY site /srv/www",
        vec![
            // js: one file grew, one added; css: its only file gone.
            raw("srv/www/static/js/app.js", &noise(54, 15_000)),
            raw("srv/www/static/js/vendor.js", &noise(55, 4000)),
            raw("srv/www/index.html", &noise(52, 500)),
            // Changed, but at the same size: its directory moved no bytes.
            raw("opt/tool/bin/tool", &noise(56, 7000)),
        ],
    );
    let out = outputs(&a, &b);
    let v = &out.json;
    // js and css directly hold changes; static is where they meet; www, srv (a chain to one
    // changed directory), opt/tool/bin (no bytes moved) and the root are not listed.
    assert_eq!(
        v["dirs"],
        json!([
            {"path": "/srv/www/static/js", "files": 2, "bytes_a": 10_000, "bytes_b": 19_000},
            {"path": "/srv/www/static", "files": 3, "bytes_a": 12_000, "bytes_b": 19_000},
            {"path": "/srv/www/static/css", "files": 1, "bytes_a": 2000, "bytes_b": 0},
        ]),
        "{:#}",
        v["files"]
    );
    // The text lists the same directories, largest change first.
    let t = &out.text;
    let section: Vec<&str> = t
        .lines()
        .skip_while(|l| *l != "Directories")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| l.split_whitespace().last().unwrap())
        .collect();
    assert_eq!(
        section,
        [
            "/srv/www/static/js/",
            "/srv/www/static/",
            "/srv/www/static/css/"
        ],
        "{t}"
    );
}

// ---------------------------------------------------------------------------------------------
// Markdown, rendered (the helpers are in support/markdown.rs).

/// The tags the comment is made of: nothing in an image may add another.
const ALLOWED_TAGS: [&str; 15] = [
    "h3", "h4", "p", "strong", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "details",
    "summary", "sub",
];

/// The rendered comment, checked (`support::markdown::checked_html`) with the diff's tags.
fn checked_html(md: &str) -> String {
    markdown::checked_html(md, &ALLOWED_TAGS)
}

#[test]
fn diff_summary_markdown_renders_tables_and_details() {
    let ((a, _), (b, _)) = (packages_a(), packages_b());
    let a = a.layer("COPY . /app", app(0));
    let b = b.layer("COPY . /app", app(0)).layer(CHOWN, app(1000));
    let out = outputs(&a, &b);
    let v = &out.json;
    let html = checked_html(&out.markdown);
    let tables = tables(&html);

    let summary = table(&tables, &["", "A", "B", "Δ"]);
    let e = &v["waste"]["efficiency"];
    let (ea, eb, delta) = (
        e["a"].as_f64().unwrap(),
        e["b"].as_f64().unwrap(),
        e["delta"].as_f64().unwrap(),
    );
    assert!(delta < -1.0, "{e}");
    let row = summary
        .rows
        .iter()
        .find(|r| r[0] == "Efficiency")
        .unwrap_or_else(|| panic!("{summary:#?}"));
    assert_eq!(
        row[1..],
        [
            format!("{:.1} %", ea * 100.0),
            format!("{:.1} %", eb * 100.0),
            format!("{delta:+.1} pp")
        ]
    );
    let packages = table(&tables, &["Change", "Type", "Name", "Version", "Δ size"]);
    assert_eq!(packages.rows.len(), 4, "{packages:#?}");
    let up = packages.rows.iter().find(|r| r[2] == "requests").unwrap();
    assert_eq!(
        up[..4],
        ["upgraded", "python", "requests", "2.31.0 → 2.32.3"]
    );
    assert!(up[4].starts_with('+'), "{up:?}");

    // The waste cause, a list item with the step as written (its backticks escaped).
    assert!(
        html.contains(&format!("<li>new step `{CHOWN}` copied up")),
        "{html}"
    );
    // The long lists folded: directories, metadata-only changes, files.
    let files = v["files"].as_array().unwrap().len();
    for summary in [
        format!(
            "<details><summary>Directories whose size changed ({})</summary>",
            v["dirs"].as_array().unwrap().len()
        ),
        "<details><summary>Metadata-only changes (6 entries)</summary>".to_string(),
        format!("<details><summary>Files ({files} changed paths)</summary>"),
    ] {
        assert!(html.contains(&summary), "no {summary} in {html}");
    }
    let meta = table(&tables, &["Entries", "Directory", "Change"]);
    assert_eq!(meta.rows, [["6", "/app/", "owner 0:0 → 1000:1000"]]);
    let file_rows = &table(&tables, &["Change", "A", "B", "Δ size", "Path"]).rows;
    assert_eq!(file_rows.len(), files, "every file fits");
    assert!(!out.markdown.contains("not shown"));
}

/// Markdown, HTML and links in every place an image's text reaches the comment.
const HOSTILE: &str =
    "<script>alert(1)</script>|`x`*y*_u_[x](javascript:alert(1))\n~z~ #h !i &amp; <b>b</b>";

#[test]
fn diff_summary_markdown_escapes_hostile_names() {
    let package = |version: &str| {
        json!({"name": HOSTILE, "version": version})
            .to_string()
            .into_bytes()
    };
    let command = format!("RUN echo {HOSTILE}");
    let path = format!("srv/{HOSTILE}.txt");
    let meta_path = format!("meta/{HOSTILE}");
    let a = Spec::new().layer("base", base_items()).layer(
        "RUN npm install",
        vec![
            raw("srv/app/node_modules/evil/package.json", &package("1.0.0")),
            Item::Raw(
                meta_path.clone(),
                tar::EntryType::Regular,
                b"secret".to_vec(),
            ),
        ],
    );
    let b = Spec::new()
        .runtime_config(
            json!({"User": "1000:1000", "Cmd": ["sh"], "Labels": {"org.example": HOSTILE}}),
        )
        .layer("base", base_items())
        .layer(
            "RUN npm install",
            vec![
                raw("srv/app/node_modules/evil/package.json", &package("2.0.0")),
                raw(&path, &noise(60, 300)),
                owned(&meta_path, b"secret", 0o600, 0, 0),
            ],
        )
        // Overwrites a base file: a waste cause charged to the hostile step.
        .layer(&command, vec![file("etc/os-release", b"ID=evil\n")]);

    // The archives' own names are hostile too (the comment's heading names them).
    let dir = tempdir();
    let nested = dir.path().join("<script>alert(1)<");
    std::fs::create_dir(&nested).unwrap();
    let (pa, pb) = (
        nested.join("script>|`x`*y*[x](y)#a.tar"),
        nested.join("script>|`x`*y*[x](y)#b.tar"),
    );
    a.docker_archive(&pa);
    b.docker_archive(&pb);
    let v: Value = serde_json::from_str(&run_on(&pa, &pb, &["--json"])).unwrap();
    let md = run_on(&pa, &pb, &["--format", "markdown"]);
    let html = checked_html(&md);
    assert!(!html.to_ascii_lowercase().contains("<script"), "{html}");
    assert!(!html.contains("<a "), "{html}");
    assert!(!html.contains("href"), "{html}");

    // Each hostile text is one cell, whole, as `printable` shows it (a newline as `\n`).
    let shown = |s: &str| s.replace('\n', "\\n");
    let tables = tables(&html);
    let files = table(&tables, &["Change", "A", "B", "Δ size", "Path"]);
    assert!(
        files
            .rows
            .iter()
            .any(|r| r[4] == shown(&format!("/{path}"))),
        "{files:#?}"
    );
    let packages = table(&tables, &["Change", "Type", "Name", "Version", "Δ size"]);
    assert_eq!(
        packages.rows,
        [["upgraded", "npm", &shown(HOSTILE), "1.0.0 → 2.0.0", "+0 B"]]
    );
    let layers = table(&tables, &["", "A", "B", "Size", "Step"]);
    assert!(
        layers
            .rows
            .iter()
            .any(|r| r[0] == "only B" && r[4] == shown(&command)),
        "{layers:#?}"
    );
    let config = table(&tables, &["Key", "in A", "in B"]);
    let labels = config.rows.iter().find(|r| r[0] == "labels").unwrap();
    assert_eq!(labels[2], v["config"]["labels"]["b"].to_string());
    assert!(labels[2].contains("<script>alert(1)</script>"));
    let meta = table(&tables, &["Entries", "Directory", "Change"]);
    let meta_dir = v["metadata_only_dirs"][0]["path"].as_str().unwrap();
    assert!(meta_dir.contains("alert(1)"), "{meta_dir}");
    assert_eq!(
        meta.rows,
        [["1", &format!("{}/", shown(meta_dir)), "mode 0644 → 0600"]]
    );
    assert!(
        html.contains(&format!(
            "<li>new step `{}` overwrote",
            shown(&command)
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        )),
        "{html}"
    );
    let heading = html.lines().next().unwrap();
    assert!(heading.starts_with("<h3>strata diff: "), "{heading}");
    assert!(heading.contains("#a.tar"), "{heading}");
}

#[test]
fn diff_summary_markdown_of_a_big_pair_stays_under_the_comment_limit() {
    let a = Spec::new().layer("base", base_items());
    let many: Vec<Item> = (0..20_000)
        .map(|i| {
            raw(
                &format!("data/d{:03}/f{i:05}.txt", i % 200),
                format!("{i}\n").as_bytes(),
            )
        })
        .collect();
    let b = Spec::new()
        .layer("base", base_items())
        .layer("COPY data /data", many);
    let dir = tempdir();
    let (pa, pb) = (dir.path().join("a.tar"), dir.path().join("b.tar"));
    a.docker_archive(&pa);
    b.docker_archive(&pb);
    let v: Value = serde_json::from_str(&run_on(&pa, &pb, &["--json"])).unwrap();
    let total = v["files"].as_array().unwrap().len();
    assert_eq!(v["summary"]["added"].as_u64(), Some(total as u64));
    assert!(total > 20_000, "{total}");
    let md = run_on(&pa, &pb, &["--format", "markdown"]);
    let html = checked_html(&md);
    let tables = tables(&html);
    let shown = table(&tables, &["Change", "A", "B", "Δ size", "Path"])
        .rows
        .len();
    assert!(shown > 100, "the files table is nearly empty: {shown} rows");
    let left = total - shown;
    let line = format!(
        "… {} more files not shown",
        strata::model::units::count(left as u64)
    );
    assert!(md.contains(&line), "no {line:?} in the markdown");
    assert!(html.contains(&format!("<p>{line}</p>")), "{line}");
    // The directories table is there, whole.
    let dirs = table(&tables, &["Δ size", "Files", "Directory"]);
    assert_eq!(dirs.rows.len(), v["dirs"].as_array().unwrap().len());
    assert!(!dirs.rows.is_empty());
}

#[test]
fn diff_summary_json_and_format_markdown_conflict() {
    let dir = tempdir();
    let (pa, pb) = (dir.path().join("a.tar"), dir.path().join("b.tar"));
    Spec::new().layer("base", base_items()).docker_archive(&pa);
    Spec::new().layer("base", base_items()).docker_archive(&pb);
    let (code, out, err) = strata(&[
        "diff",
        "--json",
        "--format",
        "markdown",
        pa.to_str().unwrap(),
        pb.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    let first = err.lines().next().unwrap();
    assert!(
        first.starts_with("error:") && first.contains("--json") && first.contains("--format"),
        "{err}"
    );
    // One error line (clap follows it with its usage hint).
    assert_eq!(
        err.lines().filter(|l| l.contains("error")).count(),
        1,
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// The large fixture images.

/// The fixture images of `../shared/fixtures/build.sh` (kept out of the default run for their
/// size) tell the story a reviewer needs: py-app v1 → v2 upgrades requests and adds a
/// `chown -R app:app` step whose copy-up costs some 30 points of efficiency; node-app against
/// debian-bookworm (nearly nothing in common) still fits one comment. Run by
/// `scripts/check-fixtures.sh`.
#[test]
#[ignore = "needs the fixture images built by ../shared/fixtures/build.sh"]
fn fixture_pairs_tell_the_story() {
    let root = std::env::var("FIXTURES_DIR").unwrap_or_else(|_| "/tmp/fixtures-out".into());
    let dir = Path::new(&root).join("docker-archive");
    let archive = |name: &str| {
        let p = dir.join(format!("{name}.tar"));
        assert!(p.exists(), "{}: build the fixtures first", p.display());
        p
    };
    let (v1, v2) = (archive("py-app-v1"), archive("py-app-v2"));
    let v: Value = serde_json::from_str(&run_on(&v1, &v2, &["--json"])).unwrap();

    let requests: Vec<&Value> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "requests")
        .collect();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    let r = requests[0];
    assert_eq!(
        (
            &r["ecosystem"],
            &r["change"],
            &r["version_a"],
            &r["version_b"]
        ),
        (
            &json!("python"),
            &json!("upgraded"),
            &json!("2.31.0"),
            &json!("2.32.3")
        ),
        "{r:#}"
    );
    assert!(v["summary"]["packages_upgraded"].as_u64().unwrap() >= 1);

    let c = &v["waste_causes"][0];
    assert_eq!(c["cause"], "copy_up", "{:#}", v["waste_causes"]);
    assert!(
        c["step"].as_str().unwrap().contains("chown -R app:app"),
        "{c:#}"
    );
    assert_eq!(c["new_step"], true, "{c:#}");
    assert!(c["delta"].as_i64().unwrap() > 0, "{c:#}");

    let meta = v["metadata_only_dirs"].as_array().unwrap();
    assert!(
        meta.iter().any(
            |m| m["entries"].as_u64().unwrap() > 4000 && m["change"] == "owner 0:0 → 1000:1000"
        ),
        "{meta:#?}"
    );
    assert!(v["summary"]["metadata_only"].as_u64().unwrap() > 4000);
    assert!(meta.len() < 20, "{} rows: {meta:#?}", meta.len());
    let points = v["waste"]["efficiency"]["delta"].as_f64().unwrap();
    assert!((-31.0..=-30.0).contains(&points), "{points} points");

    // The text says the same, in its order.
    let text = run_on(&v1, &v2, &[]);
    assert!(text.contains("2.31.0 → 2.32.3"), "{text}");
    assert!(text.contains("new step `"), "{text}");
    assert!(text.contains(" pp)"), "{text}");

    // Two images with little in common: one comment still, with tables and folded lists.
    let md = run_on(
        &archive("node-app-latest"),
        &archive("debian-bookworm"),
        &["--format", "markdown"],
    );
    let html = checked_html(&md);
    assert!(html.contains("<table>"));
    assert!(html.contains("<details>"));
    eprintln!(
        "py-app v1 → v2: {} packages differ, efficiency {points:+.2} pp; node-app vs \
         debian-bookworm: {} characters of markdown",
        v["packages"].as_array().unwrap().len(),
        md.chars().count()
    );
}
