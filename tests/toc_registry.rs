//! Layers listed from their eStargz and zstd:chunked tables of contents over HTTP Range
//! (`strata::load::open_by_toc`), from a loopback registry: the images are the generator's
//! blobs (tests/support/toc_blobs.rs) pushed as they are, their descriptors annotated as the
//! formats' writers annotate them. The tree from the TOC must equal the full read's, a file's
//! content must come from a few kilobytes of ranges, a registry that ignores ranges must give
//! no listing (the ordinary path), and a TOC or a chunk that does not match its digest must be
//! an error naming the layer.

use std::collections::HashMap;
use std::io::Read as _;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{json, Value};
use strata::blob::toc::estargz;
use strata::load::{list_by_toc, open_by_toc};
use strata::tree::{Entry, LayerTree};

use crate::support::registry::{Fault, Proxy, Registry};
use crate::support::throttle::{Link, Throttle};
use crate::support::toc_blobs::*;
use crate::support::{noise, uncached};

/// Uncached, and the registry for the names pushed here (no engine is asked).
fn opts() -> strata::SourceOptions {
    strata::SourceOptions {
        source: Some(strata::source::SourceKind::Registry),
        ..uncached()
    }
}

/// The image loaded the ordinary way (every blob downloaded whole).
fn load_image(name: &str) -> strata::Session {
    strata::load(name, &opts(), &|_| {}).unwrap_or_else(|e| panic!("loading {name}: {e}"))
}

const GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

/// The sample layer and one big incompressible file, so that a whole-blob fetch shows.
fn items() -> Vec<Item> {
    let mut items = sample();
    items.push(item(
        "srv/big.bin",
        tar::EntryType::Regular,
        &noise(11, 600_000),
        None,
    ));
    items
}

/// An OCI layout of a one-layer image: `blob` with `media` type and `annotations` on its
/// descriptor, the config naming the diff_id of its tar.
fn image_files(
    blob: &[u8],
    media: &str,
    annotations: &HashMap<String, String>,
) -> Vec<(String, Vec<u8>)> {
    let (_, mut tar) = strata::blob::decompress::decoder(blob).unwrap();
    let mut raw = Vec::new();
    tar.read_to_end(&mut raw).unwrap();
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": [sha(&raw)]},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "ADD rootfs /"}],
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&config), "size": config.len()},
        "layers": [{"mediaType": media, "digest": sha(blob), "size": blob.len(), "annotations": annotations}],
    }))
    .unwrap();
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(&manifest), "size": manifest.len()}],
    }))
    .unwrap();
    let file = |bytes: &[u8]| (format!("blobs/sha256/{}", &sha(bytes)[7..]), bytes.to_vec());
    vec![
        file(blob),
        file(&config),
        file(&manifest),
        ("index.json".into(), index),
    ]
}

/// One generated layer and how its image is pushed.
pub(crate) struct Case {
    what: &'static str,
    blob: Blob,
    media: &'static str,
    annotations: HashMap<String, String>,
}

fn estargz_case(edit: impl FnOnce(&mut Value)) -> Case {
    estargz_case_of(&items(), edit)
}

pub(crate) fn estargz_case_of(items: &[Item], edit: impl FnOnce(&mut Value)) -> Case {
    let blob = estargz_blob(items, edit);
    let annotations = HashMap::from([(
        estargz::TOC_DIGEST_ANNOTATION.to_string(),
        blob.toc_digest.clone(),
    )]);
    Case {
        what: "eStargz",
        blob,
        media: GZIP,
        annotations,
    }
}

fn zstd_case(new_footer: bool, edit: impl FnOnce(&mut Value)) -> Case {
    zstd_case_of(&items(), new_footer, edit)
}

fn zstd_case_of(items: &[Item], new_footer: bool, edit: impl FnOnce(&mut Value)) -> Case {
    let blob = zstd_chunked_blob(items, new_footer, edit);
    let annotations = blob.annotations.clone();
    Case {
        what: if new_footer {
            "zstd:chunked"
        } else {
            "zstd:chunked (io.containers. annotations)"
        },
        blob,
        media: ZSTD,
        annotations,
    }
}

/// Pushes the case's image to `reg` as `repo:v1`.
pub(crate) fn push(reg: &Registry, case: &Case, repo: &str) -> String {
    reg.push_layout_as_is(
        &image_files(&case.blob.bytes, case.media, &case.annotations),
        repo,
        "v1",
    )
}

/// A tree's entries without what only a full read has (content ids, flags from content).
fn listed(tree: &LayerTree) -> (Vec<Entry>, u64) {
    let mut entries = tree.entries.clone();
    for e in &mut entries {
        e.digest = None;
        e.flags = 0;
    }
    (entries, tree.header_bytes)
}

#[test]
fn toc_trees_by_range_equal_the_full_reads() {
    let reg = Registry::start(None);
    let proxy = Proxy::start(reg.port, Fault::None);
    for (i, case) in [
        estargz_case(|_| {}),
        zstd_case(true, |_| {}),
        zstd_case(false, |_| {}),
    ]
    .iter()
    .enumerate()
    {
        let name = push(&reg, case, &format!("toc{i}"));
        let through = name.replace(&reg.host(), &proxy.host());
        let before = proxy.blob_requests.load(Ordering::SeqCst);
        let seen = proxy.ranges.lock().unwrap().len();
        let tree = list_by_toc(&through, &opts(), 0)
            .unwrap_or_else(|e| panic!("{}: {e}", case.what))
            .unwrap_or_else(|| panic!("{}: not listed", case.what));
        // The config whole (`bytes=0-`), then only parts of the layer: its footer (eStargz)
        // and its TOC.
        let requests = proxy.blob_requests.load(Ordering::SeqCst) - before;
        let ranges = proxy.ranges.lock().unwrap()[seen..].to_vec();
        let parts = ranges.iter().filter(|r| !r.ends_with("=0-")).count();
        assert_eq!(
            (requests, parts),
            if case.media == GZIP { (3, 2) } else { (2, 1) },
            "{}: {ranges:?}",
            case.what
        );
        let full = load_image(&name);
        let layer = &full.image().layers[0];
        assert_eq!(listed(&tree), listed(&layer.tree), "{}", case.what);
        assert!(
            tree.entries
                .iter()
                .any(|e| &*e.path == estargz::TOC_TAR_NAME)
                == (case.media == GZIP),
            "{}: stargz.index.json is listed in eStargz layers only",
            case.what
        );
    }
}

#[test]
fn a_file_by_range_is_its_bytes_and_costs_a_few_kilobytes() {
    let reg = Registry::start(None);
    let link = Throttle::start(
        reg.port,
        Link {
            rate: 200_000_000,
            latency: Duration::from_millis(1),
        },
    )
    .unwrap();
    let items = items();
    let content = |name: &str| items.iter().find(|i| i.name == name).unwrap().data.clone();
    for (i, case) in [estargz_case(|_| {}), zstd_case(true, |_| {})]
        .iter()
        .enumerate()
    {
        let name = push(&reg, case, &format!("file{i}")).replace(&reg.host(), &link.host());
        let size = case.blob.bytes.len() as u64;
        let before = link.sent.load(Ordering::Relaxed);
        let layer = open_by_toc(&name, &opts(), 0).unwrap().unwrap();
        assert_eq!(layer.format().name(), case.what);
        assert_eq!(
            layer.read_file("etc/passwd", 1 << 20).unwrap(),
            content("etc/passwd")
        );
        let sent = link.sent.load(Ordering::Relaxed) - before;
        assert!(
            sent < size / 4,
            "{}: {sent} bytes through the link for a blob of {size}",
            case.what
        );
        // A file in several chunks, whole; a hardlink reads as its target; a prefix of a big
        // file fetches only the chunks it needs.
        let big = content("./usr/bin/big");
        assert_eq!(layer.read_file("/usr/bin/big", u64::MAX).unwrap(), big);
        assert_eq!(layer.read_file("usr/bin/sh2", 100).unwrap(), big[..100]);
        let before = link.sent.load(Ordering::Relaxed);
        let head = layer.read_file("srv/big.bin", 5000).unwrap();
        assert_eq!(head, content("srv/big.bin")[..5000]);
        let sent = link.sent.load(Ordering::Relaxed) - before;
        assert!(sent < 64 * 1024, "{}: {sent} bytes for 5000", case.what);
        assert_eq!(
            layer.read_file("srv/big.bin", u64::MAX).unwrap(),
            content("srv/big.bin")
        );
        // Not a file its TOC has chunks for: read the layer whole.
        for path in ["etc", "usr/bin/sh", "no/such/file"] {
            let err = layer.read_file(path, 100).unwrap_err();
            assert!(
                matches!(err.kind(), strata::Error::Unsupported { .. }),
                "{path}: {err}"
            );
        }
    }
}

#[test]
fn a_registry_that_ignores_ranges_gives_no_listing_and_the_full_read_works() {
    let reg = Registry::start(None);
    let proxy = Proxy::start(reg.port, Fault::IgnoreRangeFrom(0));
    for (i, case) in [estargz_case(|_| {}), zstd_case(true, |_| {})]
        .iter()
        .enumerate()
    {
        let name = push(&reg, case, &format!("norange{i}")).replace(&reg.host(), &proxy.host());
        let before = proxy.blob_requests.load(Ordering::SeqCst);
        let listed = list_by_toc(&name, &opts(), 0).unwrap();
        assert!(listed.is_none(), "{}", case.what);
        // The config, then one request for a part, answered 200, and nothing after it.
        assert_eq!(
            proxy.blob_requests.load(Ordering::SeqCst) - before,
            2,
            "{}",
            case.what
        );
        let full = load_image(&name);
        assert!(!full.image().layers[0].tree.entries.is_empty());
    }
}

/// A registry that stops honouring ranges after the listing: the file read says "read the
/// layer whole" (`Unsupported`) without reading the blob's body, and the store remembers it:
/// the next read asks nothing.
#[test]
fn a_registry_that_stops_honouring_ranges_is_asked_no_more() {
    let reg = Registry::start(None);
    let case = estargz_case(|_| {});
    let name = push(&reg, &case, "later");
    // The config, the footer, the TOC; then ranges are ignored.
    let proxy = Proxy::start(reg.port, Fault::IgnoreRangeFrom(3));
    let name = name.replace(&reg.host(), &proxy.host());
    let layer = open_by_toc(&name, &opts(), 0).unwrap().unwrap();
    assert_eq!(proxy.blob_requests.load(Ordering::SeqCst), 3);
    for _ in 0..2 {
        let err = layer.read_file("etc/passwd", 100).unwrap_err();
        assert!(
            matches!(err.kind(), strata::Error::Unsupported { .. }),
            "{err}"
        );
        assert!(
            err.to_string().ends_with(
                "etc/passwd: the store cannot fetch part of the blob; read the layer whole"
            ),
            "{err}"
        );
    }
    assert_eq!(proxy.blob_requests.load(Ordering::SeqCst), 4);
}

#[test]
fn a_toc_that_differs_from_its_annotation_is_an_error_naming_the_layer() {
    let reg = Registry::start(None);
    let wrong = sha(b"another table of contents");
    for (i, mut case) in [estargz_case(|_| {}), zstd_case(true, |_| {})]
        .into_iter()
        .enumerate()
    {
        for v in case.annotations.values_mut() {
            if v.starts_with("sha256:") {
                *v = wrong.clone();
            }
        }
        let name = push(&reg, &case, &format!("badtoc{i}"));
        let err = list_by_toc(&name, &opts(), 0)
            .err()
            .unwrap_or_else(|| panic!("{}: accepted", case.what));
        let text = err.to_string();
        assert!(
            text.starts_with(&format!(
                "{name}: layer 0 table of contents ({}) of blobs/sha256/",
                case.what
            )) && text.contains(&format!("digest mismatch: expected {wrong}, got sha256:")),
            "{text}"
        );
        assert!(matches!(err.kind(), strata::Error::DigestMismatch { .. }));
        // The explorer's load reads the TOC first: the same error ends it.
        let watched = strata::load::Session::open_watched(
            &name,
            &opts(),
            &strata::load::Watcher {
                progress: &|_| {},
                order: &strata::load::Order::default(),
                snapshot: &|_| {},
                tables_of_contents: true,
            },
        );
        let text = watched
            .err()
            .expect("a lying TOC ends the load")
            .to_string();
        assert!(
            text.contains(&format!("layer 0 table of contents ({})", case.what)),
            "{text}"
        );
    }
}

#[test]
fn a_chunk_that_differs_from_its_digest_is_an_error_naming_the_layer_and_the_path() {
    let reg = Registry::start(None);
    let wrong = sha(b"not the passwd file");
    let cases = [
        estargz_case(|toc| toc["entries"][1]["chunkDigest"] = json!(wrong)),
        zstd_case(true, |toc| toc["entries"][1]["digest"] = json!(wrong)),
    ];
    for (i, case) in cases.iter().enumerate() {
        let name = push(&reg, case, &format!("badchunk{i}"));
        let layer = open_by_toc(&name, &opts(), 0).unwrap().unwrap();
        // Other files read.
        assert!(layer.read_file("usr/bin/big", 10).is_ok());
        let err = layer.read_file("etc/passwd", 1 << 20).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(&format!(
                "{name}: layer 0 etc/passwd, bytes 0..30 (a chunk its {} table of contents names) of blobs/sha256/",
                case.what
            )) && text.contains(&format!("digest mismatch: expected {wrong}, got sha256:")),
            "{text}"
        );
    }
}

/// A blob in the cache is read from there, whole: no listing by range. Bytes fetched by range
/// never enter the cache (only a whole blob whose digest checked out does).
#[test]
fn a_cached_blob_takes_the_ordinary_path_and_ranges_are_not_cached() {
    let reg = Registry::start(None);
    let case = estargz_case(|_| {});
    let name = push(&reg, &case, "cached");
    let cache = tempfile::tempdir().unwrap();
    std::env::set_var("STRATA_CACHE_DIR", cache.path());
    let opts = strata::SourceOptions {
        no_cache: false,
        ..opts()
    };
    let layer = open_by_toc(&name, &opts, 0).unwrap().unwrap();
    layer.read_file("etc/passwd", 100).unwrap();
    let hex = &sha(&case.blob.bytes)[7..];
    let cached = |root: &std::path::Path| {
        walkdir(root)
            .iter()
            .any(|p| p.file_name().is_some_and(|n| n.to_string_lossy() == hex))
    };
    assert!(!cached(cache.path()), "a blob read by ranges was cached");
    strata::load(&name, &opts, &|_| {}).unwrap();
    assert!(cached(cache.path()), "the full read caches the blob");
    assert!(list_by_toc(&name, &opts, 0).unwrap().is_none());
}

/// Every file under `root`.
fn walkdir(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Issue 24 point 3, as the explorer loads: over a slow link (400 kB/s), a layer with a table
/// of contents shows as listed (its tree from the TOC, equal to the full read's) while its
/// blob is still downloading, a file of it reads from its chunks then, the explorer browses
/// it and says it is not verified yet; the load ends with the full read.
#[test]
fn a_watched_load_lists_a_layer_from_its_toc_while_it_downloads() {
    use std::sync::atomic::AtomicU64;
    use std::sync::{Arc, Mutex};
    use strata::load::{LoadEvent, Order, Session, Watcher};
    let reg = Registry::start(None);
    let link = Throttle::start(
        reg.port,
        Link {
            rate: 400_000,
            latency: Duration::from_millis(30),
        },
    )
    .unwrap();
    let mut items = items();
    let slow = noise(12, 2_000_000);
    items.push(item("srv/slow.bin", tar::EntryType::Regular, &slow, None));
    let cases = [
        estargz_case_of(&items, |_| {}),
        zstd_case_of(&items, true, |_| {}),
    ];
    for (k, case) in cases.iter().enumerate() {
        let name = push(&reg, case, &format!("watched{k}")).replace(&reg.host(), &link.host());
        let read = AtomicU64::new(0);
        let listed_at = Mutex::new(None);
        let snapshots = Mutex::new(Vec::new());
        let loaded = Session::open_watched(
            &name,
            &opts(),
            &Watcher {
                progress: &|e| {
                    if let LoadEvent::LayerProgress { read: r, .. } = e {
                        read.store(r, Ordering::Relaxed);
                    }
                },
                order: &Order::default(),
                snapshot: &|s: Arc<Session>| {
                    if s.listed(0) && listed_at.lock().unwrap().is_none() {
                        *listed_at.lock().unwrap() = Some(read.load(Ordering::Relaxed));
                    }
                    snapshots.lock().unwrap().push(s);
                },
                tables_of_contents: true,
            },
        )
        .unwrap();
        let size = case.blob.bytes.len() as u64;
        let at = listed_at
            .lock()
            .unwrap()
            .unwrap_or_else(|| panic!("{}: no snapshot had layer 0 listed", case.what));
        assert!(
            at < size / 2,
            "{}: listed after {at} of {size} bytes had downloaded",
            case.what
        );
        let snapshots = snapshots.into_inner().unwrap();
        let shot = snapshots.iter().find(|s| s.listed(0)).unwrap();
        assert_eq!(shot.pending(), [0], "{}: listed, still pending", case.what);
        assert!(!loaded.listed(0) && loaded.pending().is_empty());
        assert_eq!(
            listed(&shot.image().layers[0].tree),
            listed(&loaded.image().layers[0].tree),
            "{}",
            case.what
        );
        // A file of the listed layer: from its chunks, before the layer is in.
        let analysis = Arc::new(shot.analyse());
        let file = strata::extract::read_file(shot, &analysis, 0, "/srv/slow.bin", 4096).unwrap();
        assert_eq!(file.bytes, slow[..4096], "{}", case.what);
        assert!(file.truncated);
        // The explorer browses it, and says what it is.
        let mut s = strata::tui::app::State::new(
            &name,
            strata::tui::app::keymap::Keymap::new(None).0,
            strata::tui::app::theme::Theme::dark(),
            160,
            40,
        );
        // Opened on the metadata first, as the runtime does: the listed layer (still pending)
        // is news all the same.
        for session in [snapshots[0].clone(), shot.clone()] {
            let analysis = Arc::new(session.analyse());
            strata::tui::app::update(
                &mut s,
                strata::tui::app::Msg::Snapshot(strata::tui::app::Loaded { session, analysis }),
            );
        }
        let text = crate::ui::render(&s);
        assert!(
            text.contains("changes in this layer · listed from its table of contents, verifying"),
            "{text}"
        );
        assert!(text.contains("passwd") || text.contains("etc/"), "{text}");
        assert!(text.contains("listed; verifying"), "{text}");
    }
}

/// What skopeo writes when it pushes zstd:chunked (Debian's 1.9.3, old `io.containers.`
/// annotations) is listed by range: a layer of 500 files, whose TOC's zstd frame declares a
/// window far larger than the TOC (it was refused as "too much memory" before).
#[test]
fn skopeo_pushed_zstd_chunked_layers_are_listed_by_range() {
    let reg = Registry::start(None);
    let files: Vec<crate::support::Item> = (0..500)
        .map(|i| {
            crate::support::owned(
                &format!("srv/data/f{i:04}.txt"),
                format!("file {i}\n").repeat(40).as_bytes(),
                0o644,
                0,
                0,
            )
        })
        .collect();
    let dir = crate::support::tempdir();
    let archive = dir.path().join("img.tar");
    crate::support::Spec::new()
        .layer("COPY data /srv/data", files)
        .docker_archive(&archive);
    let name = reg.push(
        &format!("docker-archive:{}", archive.display()),
        "skopeo/chunked:v1",
        &["--dest-compress-format", "zstd:chunked"],
    );
    let manifest = reg.manifest("skopeo/chunked:v1", None);
    assert!(
        manifest
            .to_string()
            .contains("zstd-chunked.manifest-position"),
        "{manifest}"
    );
    let tree = list_by_toc(&name, &opts(), 0)
        .unwrap()
        .expect("listed by range");
    let full = load_image(&name);
    assert_eq!(listed(&tree), listed(&full.image().layers[0].tree));
}
