//! The load session's promise (issue "The shape the next features stand on"): reading a layer
//! again (the file viewer, `d`, extraction) reads exactly the blob that was loaded and checks
//! it against the same digest before anything read from it is believed. A tag that moved in
//! the registry since the load is not followed; a local or cached blob changed since the load
//! is a digest mismatch, never other bytes shown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use crate::support;
use crate::support::registry::Registry;
use strata::extract::{self, ExtractOptions};
use support::{file, tempdir, uncached, Item, Spec};

/// One layer with `etc/motd` saying `text`, padded so both versions are the same size.
fn image_saying(text: &str) -> Spec {
    Spec::new().layer(
        "COPY motd /etc/motd",
        vec![
            Item::Dir("etc"),
            file("etc/motd", text.as_bytes()),
            file("etc/other", b"unchanged"),
        ],
    )
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn motd(session: &strata::Session, analysis: &strata::Analysis) -> strata::Result<Vec<u8>> {
    extract::read_file(session, analysis, 0, "/etc/motd", 1 << 20).map(|c| c.bytes)
}

#[test]
fn a_tag_pushed_again_after_loading_is_not_followed_by_the_viewer_or_extract() {
    let work = tempdir();
    let reg = Registry::start(None);
    let (v1, v2) = (work.path().join("v1.tar"), work.path().join("v2.tar"));
    image_saying("version one\n").docker_archive(&v1);
    image_saying("VERSION TWO\n").docker_archive(&v2);
    let name = reg.push(
        leak(format!("docker-archive:{}", v1.display())),
        "app:latest",
        &[],
    );

    // Without the cache: every read of a blob goes to the registry, by digest.
    let session = strata::load(&name, &uncached(), &|_| {}).unwrap();
    let analysis = session.analyse();
    let loaded_digest = session.image().layers[0].desc.digest.clone().unwrap();
    assert_eq!(motd(&session, &analysis).unwrap(), b"version one\n");

    // The same tag now names another image.
    reg.push(
        leak(format!("docker-archive:{}", v2.display())),
        "app:latest",
        &[],
    );
    let now = strata::load(&name, &uncached(), &|_| {}).unwrap();
    assert_ne!(
        now.image().layers[0].desc.digest.as_ref(),
        Some(&loaded_digest),
        "the tag moved"
    );
    assert_eq!(motd(&now, &now.analyse()).unwrap(), b"VERSION TWO\n");

    // The first session still reads its own layer, in the viewer and in extraction.
    assert_eq!(motd(&session, &analysis).unwrap(), b"version one\n");
    let out = work.path().join("out");
    extract::extract(
        &session,
        &analysis,
        &["/etc".to_string()],
        &out,
        &ExtractOptions::default(),
    )
    .unwrap();
    assert_eq!(
        std::fs::read(out.join("etc/motd")).unwrap(),
        b"version one\n"
    );
}

/// Flips one byte of the file in place (same size, same mtime window: only the bytes differ).
fn flip_byte_of(path: &Path, needle: &[u8]) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{} does not hold {needle:?}", path.display()));
    bytes[at] ^= 0x20;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_local_archive_changed_after_loading_is_a_digest_mismatch_in_the_viewer() {
    let work = tempdir();
    let archive = work.path().join("image.tar");
    image_saying("version one\n").docker_archive(&archive);
    let input = archive.to_str().unwrap();
    let session = strata::load(input, &uncached(), &|_| {}).unwrap();
    let analysis = session.analyse();
    assert_eq!(motd(&session, &analysis).unwrap(), b"version one\n");

    // Same entries, same sizes, other bytes: the tar still walks, the digest does not match.
    flip_byte_of(&archive, b"version one");
    let err = motd(&session, &analysis).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "{input}: layer 0 blob l0/layer.tar: digest mismatch: expected sha256:"
        )),
        "{err}"
    );
    assert!(
        matches!(err.matches("sha256:").count(), 2),
        "both digests are named: {err}"
    );
}

#[test]
fn a_cached_registry_blob_changed_after_loading_is_a_digest_mismatch_in_the_viewer() {
    let work = tempdir();
    let reg = Registry::start(None);
    let v1 = work.path().join("v1.tar");
    image_saying("version one\n").docker_archive(&v1);
    let name = reg.push(
        leak(format!("docker-archive:{}", v1.display())),
        "cached:v1",
        &[],
    );
    // The blob store is the user's cache directory; each test runs in its own process.
    let cache = work.path().join("cache");
    std::env::set_var("STRATA_CACHE_DIR", &cache);
    let opts = strata::SourceOptions::default();
    let session = strata::load(&name, &opts, &|_| {}).unwrap();
    let analysis = session.analyse();
    assert_eq!(motd(&session, &analysis).unwrap(), b"version one\n");

    // The registry pushes gzip blobs: corrupt the cached one's last byte (its gzip trailer,
    // so it may still decompress) and the read must fail on its digest.
    let digest = session.image().layers[0].desc.digest.clone().unwrap();
    let blob = cache.join("blobs/sha256").join(digest.hex());
    let mut bytes = std::fs::read(&blob).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();
    reg.stop();
    let err = motd(&session, &analysis).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "{name}: layer 0 blob blobs/sha256/{}: digest mismatch: expected {digest}, got sha256:",
            digest.hex()
        )),
        "{err}"
    );
}

/// The explorer's viewer, end to end but for the terminal: Enter on a file asks the runtime
/// for it, the runtime's read (the same function it runs on a task) finds the archive changed
/// since loading, and the viewer shows the digest mismatch instead of the bytes.
#[test]
fn the_viewer_shows_the_digest_mismatch_of_a_changed_archive_not_its_bytes() {
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use strata::tui::app::keymap::Keymap;
    use strata::tui::app::theme::Theme;
    use strata::tui::app::{update, Effect, Loaded, Msg, State};

    let work = tempdir();
    let archive = work.path().join("image.tar");
    image_saying("version one\n").docker_archive(&archive);
    let input = archive.to_str().unwrap();
    let session = strata::load(input, &uncached(), &|_| {}).unwrap();
    let analysis = session.analyse();
    let mut s = State::new(input, Keymap::new(None).0, Theme::dark(), 100, 30);
    update(
        &mut s,
        Msg::Loaded(Loaded {
            session: std::sync::Arc::new(session),
            analysis: std::sync::Arc::new(analysis),
        }),
    );
    let press =
        |s: &mut State, code: KeyCode| update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    let render = |s: &State| {
        let mut t = Terminal::new(TestBackend::new(s.width, s.height)).unwrap();
        t.draw(|f| strata::tui::ui::draw(f, s)).unwrap();
        format!("{}", t.backend())
    };
    // Files panel: etc/, etc/motd, etc/other.
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Down);
    let effects = press(&mut s, KeyCode::Enter);
    let Some(Effect::ReadFile {
        layer,
        path,
        purpose,
    }) = effects.last().cloned()
    else {
        panic!("Enter on etc/motd asks for a read: {effects:?}");
    };
    assert_eq!((layer, path.as_str()), (0, "etc/motd"));
    let loaded = s.loaded().unwrap();

    // Read as loaded: the viewer shows the file.
    let msg = strata::tui::runtime::file_read(&loaded, layer, path.clone(), purpose.clone());
    update(&mut s, msg);
    assert!(render(&s).contains("1 │ version one"), "{}", render(&s));

    // The archive changes; the same read now fails on the layer's digest.
    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Enter);
    flip_byte_of(&archive, b"version one");
    let msg = strata::tui::runtime::file_read(&loaded, layer, path, purpose);
    update(&mut s, msg);
    let screen = render(&s);
    // The message box wraps its text: read it as one line.
    let message: Vec<&str> = screen
        .lines()
        .filter_map(|l| {
            let (_, rest) = l.split_once('┃')?;
            Some(rest.rsplit_once('┃')?.0.trim())
        })
        .collect();
    let message = message.join(" ");
    assert!(
        message.contains("layer 0 blob l0/layer.tar: digest mismatch: expected sha256:"),
        "{screen}"
    );
    assert!(
        !screen.contains("ersion one"),
        "the changed bytes are not shown: {screen}"
    );
}
