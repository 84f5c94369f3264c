//! `strata report --format html` in a real browser. The binary writes the page of the demo
//! image, of a generated image shaped like node-app (~113k small files in nested
//! node_modules) and of an image whose names, commands, config and packages are markup; Debian's
//! chromium (installed by scripts/test.sh) renders each headless, and the tests read the DOM
//! it dumps with a real HTML parser: the treemap has a cell per top-level directory, a
//! fragment that replays clicks zooms into a directory and shows its children, nothing from
//! the image became an element or an attribute, and a screenshot is not blank.
//!
//! chromium runs with its own profile directory, in its own process group, killed with the
//! group when it overruns `CHROMIUM_TIMEOUT` (the test then fails; it never hangs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use scraper::{ElementRef, Html, Selector};

use crate::support::{self, Item, Spec};

const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(90);

/// Runs headless chromium on `url` with `args`; its stdout.
fn chromium(url: &str, args: &[&str]) -> String {
    use std::os::unix::process::CommandExt;
    let profile = support::tempdir();
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-crash-reporter",
            "--hide-scrollbars",
            "--window-size=1280,900",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("chromium is required by this test (scripts/test.sh installs it): {e}")
        });
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > CHROMIUM_TIMEOUT {
            // The browser and its renderer, GPU and zygote processes: the whole group.
            let _ = Command::new("kill")
                .args(["-KILL", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish {url} within {CHROMIUM_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = out.join().unwrap().unwrap();
    let stderr = err.join().unwrap();
    assert!(
        status.success(),
        "chromium {args:?} {url}: {status}\n{stderr}"
    );
    stdout
}

/// The DOM chromium rendered for `page` opened at `fragment` (`""` for none), after its
/// script ran.
fn rendered(page: &Path, fragment: &str) -> Html {
    let url = format!("file://{}{fragment}", page.display());
    let dom = chromium(&url, &["--virtual-time-budget=5000", "--dump-dom"]);
    assert!(dom.contains("id=\"map\""), "no map in the DOM of {url}");
    Html::parse_document(&dom)
}

/// Takes a 1280x900 screenshot of `page` and checks it is a PNG with something drawn.
fn screenshot(page: &Path, png: &Path) {
    let url = format!("file://{}", page.display());
    chromium(&url, &[&format!("--screenshot={}", png.display())]);
    let bytes = std::fs::read(png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // A blank 1280x900 page compresses to a few kB; the report's cells, tables and text do not.
    assert!(
        bytes.len() > 30_000,
        "{} bytes: a blank screenshot?",
        bytes.len()
    );
}

/// Writes the report of `image` into `dir` with the binary; the page's path.
fn write_report(image: &Path, dir: &Path) -> PathBuf {
    let page = dir.join("report.html");
    let (code, out, err) = support::strata(&[
        "report",
        image.to_str().unwrap(),
        "--format",
        "html",
        "-o",
        page.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.is_empty(),
        "the page went to the file, not stdout: {out}"
    );
    assert!(err.contains("report written to"), "{err}");
    page
}

fn select<'a>(dom: &'a Html, css: &str) -> Vec<ElementRef<'a>> {
    dom.select(&Selector::parse(css).unwrap()).collect()
}

/// The paths of the treemap's top-level cells of `class` (`dir`, `file`).
fn cells(dom: &Html, class: &str) -> BTreeSet<String> {
    select(dom, &format!("#map > .cell.{class}"))
        .iter()
        .map(|e| e.value().attr("data-path").unwrap().to_string())
        .collect()
}

fn zoomed(dom: &Html) -> String {
    select(dom, "#map")[0]
        .value()
        .attr("data-zoom")
        .unwrap()
        .to_string()
}

/// A fragment that opens `path`, as the page writes it.
fn zoom_fragment(path: &str) -> String {
    let mut out = String::from("#zoom=");
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Bytes under each directory of a final view given as (path without `/`, bytes) of its
/// files: the directories' paths with a leading `/`.
fn dir_bytes(files: &[(String, u64)]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (path, bytes) in files {
        let parts: Vec<&str> = path.split('/').collect();
        for n in 1..parts.len() {
            *out.entry(format!("/{}", parts[..n].join("/"))).or_default() += bytes;
        }
    }
    out
}

/// The entries directly under `dir` that hold bytes: (path, bytes), directories and files.
fn children(files: &[(String, u64)], dir: &str) -> BTreeMap<String, u64> {
    let prefix = if dir == "/" {
        String::from("/")
    } else {
        format!("{dir}/")
    };
    let mut out = BTreeMap::new();
    for (path, bytes) in files {
        let full = format!("/{path}");
        if let Some(rest) = full.strip_prefix(&prefix) {
            let name = rest.split('/').next().unwrap();
            if *bytes > 0 {
                *out.entry(format!("{prefix}{name}")).or_default() += bytes;
            }
        }
    }
    out
}

/// The final view's regular files of a loaded image: (path, bytes).
fn final_files(image: &Path) -> Vec<(String, u64)> {
    let session = support::load_image(image.to_str().unwrap());
    let analysis = session.analyse();
    let trees = session.image().trees();
    strata::analysis::merge::listing(&trees, &analysis.stack, &analysis.stack.top)
        .into_iter()
        .filter(|l| l.kind == strata::tree::EntryKind::File)
        .map(|l| (l.path.to_string(), l.size))
        .collect()
}

/// The top-level directories of a final view that hold bytes (those the treemap draws).
fn top_dirs(files: &[(String, u64)]) -> BTreeSet<String> {
    let dirs = dir_bytes(files);
    children(files, "/")
        .into_keys()
        .filter(|p| dirs.contains_key(p))
        .collect()
}

/// The paths of every cell of the map in view, directories and files.
fn all_cells(dom: &Html) -> BTreeSet<String> {
    cells(dom, "dir")
        .union(&cells(dom, "file"))
        .cloned()
        .collect()
}

#[test]
fn demo_image_page_has_a_cell_per_top_directory_and_zooms_on_a_click() {
    let dir = support::tempdir();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo.tar");
    let page = write_report(&demo, dir.path());
    let files = final_files(&demo);
    let top_dirs = top_dirs(&files);
    assert!(top_dirs.len() >= 5, "{top_dirs:?}");

    let dom = rendered(&page, "");
    assert_eq!(zoomed(&dom), "/");
    assert_eq!(cells(&dom, "dir"), top_dirs);
    // The sections the script does not draw are in the page too.
    for id in ["layers", "waste", "hints", "packages", "config"] {
        assert_eq!(select(&dom, &format!("section#{id}")).len(), 1, "{id}");
    }
    assert_eq!(
        select(&dom, "#layers tbody tr").len(),
        15,
        "a row per layer of the demo image"
    );

    // The top directory with the most entries: the fragment replays the click on its cell.
    let (target, _) = top_dirs
        .iter()
        .map(|d| (d, children(&files, d).len()))
        .max_by_key(|(d, n)| (*n, std::cmp::Reverse((*d).clone())))
        .unwrap();
    let dom = rendered(&page, &zoom_fragment(target));
    assert_eq!(&zoomed(&dom), target);
    let want: BTreeSet<String> = children(&files, target).into_keys().collect();
    let got = all_cells(&dom);
    assert_eq!(got, want, "the cells after zooming into {target}");
    // The way back up: the root is a button, the directory in view is the last crumb.
    let crumbs = select(&dom, "#crumbs button");
    assert_eq!(crumbs[0].value().attr("data-path"), Some("/"));
    assert_eq!(
        select(&dom, "#crumbs .here")[0].text().collect::<String>(),
        target.rsplit('/').next().unwrap()
    );

    screenshot(&page, &dir.path().join("demo.png"));
}

/// A tiny deterministic spread of numbers.
fn spread(i: u64, j: u64, m: u64) -> u64 {
    (i.wrapping_mul(7919) ^ j.wrapping_mul(104_729)).wrapping_mul(2_654_435_761) % m
}

/// An image shaped like node-app: a runtime layer with a few big files, `npm ci` writing
/// ~113k small files under nested node_modules (1,400 packages, scoped ones included, each with
/// its package.json), and the app. The final view's files: (path, bytes).
fn node_like(archive: &Path) -> Vec<(String, u64)> {
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("usr/local/bin/node".into(), support::noise(1, 1_500_000)),
        ("usr/lib/libstdc++.so.6".into(), support::noise(2, 400_000)),
        (
            "etc/os-release".into(),
            b"ID=debian\nVERSION_ID=12\n".to_vec(),
        ),
        (
            "etc/passwd".into(),
            b"root:x:0:0:root:/root:/bin/sh\n".to_vec(),
        ),
    ];
    let runtime = files.len();
    let base = "usr/src/app/node_modules";
    for i in 0..1_400u64 {
        let name = if i % 5 == 0 {
            format!("@scope{}/pkg{i}", i % 20)
        } else {
            format!("pkg{i}")
        };
        let pkg = format!("{base}/{name}");
        files.push((
            format!("{pkg}/package.json"),
            format!("{{\"name\":\"{name}\",\"version\":\"1.{}.0\"}}", i % 9).into_bytes(),
        ));
        for j in 0..(40 + spread(i, 0, 80)) {
            let sub = ["lib", "lib/util", "dist", "src/internal"][(j % 4) as usize];
            let path = format!("{pkg}/{sub}/f{j}.js");
            let mut data = format!("// {path}\n").into_bytes();
            data.resize(1 + spread(i, j, 450) as usize, b'x');
            files.push((path, data));
        }
        if i % 97 == 0 {
            files.push((format!("{pkg}/dist/bundle.js"), support::noise(i, 150_000)));
        }
    }
    let app = files.len();
    files.push(("usr/src/app/index.js".into(), b"require('pkg1')\n".to_vec()));
    files.push((
        "usr/src/app/package.json".into(),
        b"{\"name\":\"app\"}\n".to_vec(),
    ));
    let items = |range: std::ops::Range<usize>| -> Vec<Item> {
        files[range]
            .iter()
            .map(|(p, d)| Item::Raw(p.clone(), tar::EntryType::Regular, d.clone()))
            .collect()
    };
    Spec::new()
        .layer("ADD rootfs.tar.xz /", items(0..runtime))
        .layer("RUN npm ci --omit=dev", items(runtime..app))
        .layer("COPY . /usr/src/app", items(app..files.len()))
        .docker_archive(archive);
    files
        .into_iter()
        .map(|(p, d)| (p, d.len() as u64))
        .collect()
}

#[test]
fn node_like_image_page_is_small_and_zooms_into_node_modules() {
    let dir = support::tempdir();
    let archive = dir.path().join("node-like.tar");
    let files = node_like(&archive);
    assert!(files.len() > 110_000, "{} files", files.len());
    let page = write_report(&archive, dir.path());
    let size = std::fs::metadata(&page).unwrap().len();
    assert!(size < 2_000_000, "the page is {size} bytes");

    let dom = rendered(&page, "");
    assert_eq!(
        cells(&dom, "dir"),
        BTreeSet::from(["/etc".to_string(), "/usr".to_string()])
    );

    // Three clicks down; node_modules lists the packages holding at least 1/1000 of its bytes
    // (at most 300), the rest is one "other" cell with their count.
    let modules = "/usr/src/app/node_modules";
    let dom = rendered(&page, &zoom_fragment(modules));
    assert_eq!(zoomed(&dom), modules);
    let under = children(&files, modules);
    let total: u64 = under.values().sum();
    let mut by_size: Vec<(&String, &u64)> = under.iter().collect();
    by_size.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let kept: BTreeSet<String> = by_size
        .iter()
        .take(300)
        .take_while(|(_, b)| **b * 1000 >= total)
        .map(|(p, _)| (*p).clone())
        .collect();
    assert!(
        kept.len() >= 5 && kept.len() < under.len(),
        "{}",
        kept.len()
    );
    assert_eq!(cells(&dom, "dir"), kept);
    let other = select(&dom, "#map > .cell.other");
    assert_eq!(other.len(), 1);
    assert_eq!(
        other[0].value().attr("data-other"),
        Some((under.len() - kept.len()).to_string().as_str())
    );
    let info = select(&dom, "#mapinfo")[0].text().collect::<String>();
    let n = files
        .iter()
        .filter(|(p, _)| p.starts_with(&modules[1..]))
        .count();
    assert!(
        info.contains(&format!("{} files", support_count(n as u64))),
        "{info}"
    );

    // One level further: a scoped package's directory, then its own children.
    let scoped = kept
        .iter()
        .find(|p| p.contains("/@scope"))
        .expect("a scope directory among the largest");
    let dom = rendered(&page, &zoom_fragment(scoped));
    assert_eq!(&zoomed(&dom), scoped);
    assert!(!cells(&dom, "dir").is_empty());
    assert!(cells(&dom, "dir")
        .iter()
        .all(|p| p.starts_with(&format!("{scoped}/"))));

    screenshot(&page, &dir.path().join("node.png"));
}

/// `4,720`, as the page writes counts.
fn support_count(n: u64) -> String {
    strata::model::units::count(n)
}

/// Markup and script in every place an image can put text (names have no `/`).
const EVIL: [&str; 4] = [
    "<img src=x onerror=alert(1)>",
    "\"><svg onload=alert(2)>",
    "' onmouseover='alert(3)",
    "<b>bold<!--",
];
/// Needs slashes, so only in commands and config.
const EVIL_SCRIPT: &str = "</script><script>alert(4)</script></style></title></textarea>";

fn hostile_image(archive: &Path) {
    let raw = |p: String, data: &[u8]| Item::Raw(p, tar::EntryType::Regular, data.to_vec());
    let mut first = vec![raw("srv/keep".into(), b"keep")];
    for (i, e) in EVIL.iter().enumerate() {
        first.push(raw(format!("{e}/{e}.txt"), &support::noise(i as u64, 4000)));
        first.push(raw(format!("srv/{e}"), b"the same bytes, twice"));
        first.push(raw(format!("srv/copy{i}"), b"the same bytes, twice"));
        first.push(raw(
            format!("tmp/{e}"),
            &support::noise(10 + i as u64, 3000),
        ));
        // npm packages named, versioned and licensed with markup.
        first.push(raw(
            format!("usr/lib/node_modules/evil{i}/package.json"),
            serde_json::json!({"name": format!("evil{i}{e}"), "version": e, "license": e})
                .to_string()
                .as_bytes(),
        ));
    }
    let removed: Vec<Item> = EVIL
        .iter()
        .map(|e| Item::Raw(format!("tmp/.wh.{e}"), tar::EntryType::Regular, vec![]))
        .collect();
    let all = EVIL.join(" ");
    Spec::new()
        .layer(&format!("RUN echo '{all}' {EVIL_SCRIPT}"), first)
        .layer(&format!("RUN rm -rf /tmp/* # {EVIL_SCRIPT} {all}"), removed)
        .runtime_config(serde_json::json!({
            "User": EVIL[0],
            "Env": [format!("EVIL={all}{EVIL_SCRIPT}")],
            "Cmd": ["sh", "-c", EVIL_SCRIPT],
            "Entrypoint": [EVIL[1]],
            "WorkingDir": format!("/srv/{}", EVIL[2]),
            "Labels": {EVIL[3]: EVIL_SCRIPT},
            "ExposedPorts": {format!("80{}/tcp", EVIL[0]): {}},
        }))
        .docker_archive(archive);
}

/// The elements the page is made of: anything else came from the image.
const ELEMENTS: &[&str] = &[
    "html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2", "h3", "nav",
    "a", "div", "span", "small", "b", "section", "p", "noscript", "table", "thead", "tbody", "tr",
    "th", "td", "details", "summary", "ul", "li", "pre", "code", "br", "button", "footer",
    "script",
];

/// Fails when `dom` has an element or attribute the page does not write itself.
fn assert_nothing_injected(what: &str, dom: &Html) {
    for e in dom
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
    {
        let name = e.value().name();
        assert!(ELEMENTS.contains(&name), "{what}: a <{name}> element");
        // The page's own <b> elements are the cards' figures; an injected one would hold "bold".
        if name == "b" {
            assert!(
                !e.text().any(|t| t.contains("bold")),
                "{what}: an injected <b>"
            );
        }
        for (attr, value) in e.value().attrs() {
            assert!(
                !attr.starts_with("on"),
                "{what}: attribute {attr}={value:?} on <{name}>"
            );
            assert!(
                [
                    "class",
                    "id",
                    "href",
                    "title",
                    "style",
                    "data-path",
                    "data-name",
                    "data-zoom",
                    "data-other",
                    "tabindex",
                    "type",
                    "role",
                    "lang",
                    "charset",
                    "http-equiv",
                    "content",
                    "name",
                ]
                .contains(&attr),
                "{what}: attribute {attr}={value:?} on <{name}>"
            );
            if attr == "href" {
                assert!(value.starts_with('#'), "{what}: a link to {value:?}");
            }
        }
    }
    let scripts = select(dom, "script");
    assert_eq!(
        scripts.len(),
        2,
        "{what}: the data block and the page's script only"
    );
    assert_eq!(scripts[0].value().attr("type"), Some("application/json"));
    assert!(
        !select(dom, "script")[1].inner_html().contains("alert("),
        "{what}"
    );
}

#[test]
fn hostile_names_commands_and_config_stay_text() {
    let dir = support::tempdir();
    let archive = dir.path().join("hostile.tar");
    hostile_image(&archive);
    let page = write_report(&archive, dir.path());

    // The page as written, before any script ran.
    let raw = std::fs::read_to_string(&page).unwrap();
    assert!(
        raw.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';")
    );
    let parsed = Html::parse_document(&raw);
    assert_nothing_injected("the page as written", &parsed);
    let text: String = parsed.root_element().text().collect();
    for e in EVIL.iter().chain([&EVIL_SCRIPT]) {
        assert!(text.contains(e), "{e:?} is not shown as text");
    }

    // As chromium renders it: the script put the names in the treemap as text.
    let dom = rendered(&page, "");
    assert_nothing_injected("the rendered page", &dom);
    let names: BTreeSet<String> = select(&dom, "#map > .cell.dir")
        .iter()
        .map(|e| e.value().attr("data-name").unwrap().to_string())
        .collect();
    for e in EVIL {
        assert!(names.contains(e), "{e:?} not among {names:?}");
    }
    // Zoomed into a directory named with markup: its file is a cell, its name text.
    let evil = format!("/{}", EVIL[0]);
    let dom = rendered(&page, &zoom_fragment(&evil));
    assert_nothing_injected("the zoomed page", &dom);
    assert_eq!(zoomed(&dom), evil);
    assert_eq!(
        cells(&dom, "file"),
        BTreeSet::from([format!("{evil}/{}.txt", EVIL[0])])
    );
    let label: String = select(&dom, "#map > .cell.file .label")[0].text().collect();
    assert!(label.starts_with(&format!("{}.txt", EVIL[0])), "{label}");
}

#[test]
fn the_page_goes_to_stdout_without_o_and_an_existing_file_is_kept() {
    let dir = support::tempdir();
    let (code, out, err) = support::strata(&["report", "assets/demo.tar", "--format", "html"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("<!DOCTYPE html>") && out.ends_with("</html>\n"));
    assert!(!err.contains("written to"), "{err}");

    let page = dir.path().join("report.html");
    std::fs::write(&page, "mine").unwrap();
    let p = page.to_str().unwrap();
    let (code, _, err) =
        support::strata(&["report", "assets/demo.tar", "--format", "html", "-o", p]);
    assert_eq!(code, 2);
    assert!(err.contains("exists; --force replaces it"), "{err}");
    assert_eq!(std::fs::read_to_string(&page).unwrap(), "mine");
    let (code, _, err) = support::strata(&[
        "report",
        "assets/demo.tar",
        "--format",
        "html",
        "-o",
        p,
        "--force",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(&page)
        .unwrap()
        .starts_with("<!DOCTYPE html>"));

    // `--json` stays `--format json`, and the two cannot be given together.
    let (code, json, _) = support::strata(&["report", "assets/demo.tar", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(
        json,
        support::strata(&["report", "assets/demo.tar", "--json"]).1
    );
    let (code, _, err) =
        support::strata(&["report", "assets/demo.tar", "--json", "--format", "html"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot be used with"), "{err}");
    // The text report to a file.
    let text = dir.path().join("report.txt");
    let (code, _, _) =
        support::strata(&["report", "assets/demo.tar", "-o", text.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(std::fs::read_to_string(&text)
        .unwrap()
        .starts_with("Image "));
}

/// The real node-app fixture (113k files): the page stays small, has a cell per top directory
/// holding bytes, and zooms into the biggest; run by scripts/check-fixtures.sh.
#[test]
#[ignore = "needs the fixtures built by ../shared/fixtures/build.sh (scripts/check-fixtures.sh)"]
fn node_app_fixture_page_has_its_top_directories_and_zooms() {
    let fixtures = std::env::var("FIXTURES_DIR").unwrap_or_else(|_| "/tmp/fixtures-out".into());
    let image = PathBuf::from(format!("{fixtures}/docker-archive/node-app-latest.tar"));
    assert!(image.exists(), "{} not built", image.display());
    let dir = support::tempdir();
    let page = write_report(&image, dir.path());
    let size = std::fs::metadata(&page).unwrap().len();
    assert!(size < 2_000_000, "{size} bytes");
    let files = final_files(&image);
    let dirs = dir_bytes(&files);
    let top_dirs = top_dirs(&files);
    let dom = rendered(&page, "");
    assert_eq!(cells(&dom, "dir"), top_dirs);
    let (target, _) = top_dirs
        .iter()
        .map(|d| (d, dirs[d]))
        .max_by_key(|(_, bytes)| *bytes)
        .unwrap();
    let dom = rendered(&page, &zoom_fragment(target));
    assert_eq!(&zoomed(&dom), target);
    let want: BTreeSet<String> = children(&files, target).into_keys().collect();
    let got = all_cells(&dom);
    assert!(
        !got.is_empty() && got.is_subset(&want),
        "{got:?} of {want:?}"
    );
    screenshot(&page, &dir.path().join("node-app.png"));
}
