//! Layer semantics (DESIGN.md section 2): the merged view of generated and real images must
//! equal what `umoci unpack` builds from the same image (converted by skopeo), and every
//! stored byte must be accounted for by cause.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::path::Path;

use serde_json::Value;
use strata::analysis::merge::{listing, Change};
use strata::tree::EntryKind;
use support::*;

/// strata's final merged view in the shape of `umoci_listing`.
fn strata_listing(archive: &Path) -> Listing {
    let session = load_image(archive.to_str().unwrap());
    let analysis = session.analyse();
    let image = session.image();
    let trees = image.trees();
    listing(&trees, &analysis.stack, &analysis.stack.top)
        .into_iter()
        .map(|l| {
            // A hardlink is another name of what it links to: a file, or a symlink.
            let kind = match (l.kind, l.content.map(|c| c.kind)) {
                (EntryKind::Hardlink, Some(EntryKind::Symlink)) => "symlink",
                (EntryKind::Hardlink | EntryKind::File, _) => "file",
                (other, _) => other.name(),
            };
            (l.path.to_string(), (kind.to_string(), l.size))
        })
        .collect()
}

fn assert_same_as_umoci(archive: &Path) {
    let ours = strata_listing(archive);
    let theirs = umoci_listing(archive);
    assert_eq!(
        ours,
        theirs,
        "merged view of {} differs from umoci unpack",
        archive.display()
    );
}

/// Builds the image, checks it against umoci, returns its report.
fn check(spec: &Spec) -> Value {
    let dir = tempdir();
    let archive = dir.path().join("image.tar");
    spec.docker_archive(&archive);
    assert_same_as_umoci(&archive);
    let r = report_json(archive.to_str().unwrap());
    let (t, w) = (&r["totals"], &r["waste"]);
    let unreachable = t["total_bytes"].as_u64().unwrap() - t["final_bytes"].as_u64().unwrap();
    assert_eq!(w["unreachable_bytes"].as_u64().unwrap(), unreachable);
    assert_eq!(
        w["overwritten"].as_u64().unwrap()
            + w["copy_up"].as_u64().unwrap()
            + w["removed"].as_u64().unwrap(),
        unreachable,
        "every unreachable byte has exactly one cause"
    );
    r
}

fn waste(r: &Value, key: &str) -> u64 {
    r["waste"][key].as_u64().unwrap()
}

fn layer(r: &Value, i: usize, key: &str) -> u64 {
    r["layers"][i][key].as_u64().unwrap()
}

#[test]
fn whiteout_of_a_file() {
    let r = check(
        &Spec::new()
            .layer("add", vec![file("a/f", &noise(1, 100)), file("a/g", b"g")])
            .layer("rm", vec![Item::Whiteout("a/f")]),
    );
    assert_eq!(waste(&r, "removed"), 100);
    assert_eq!(layer(&r, 1, "removed"), 1);
    assert_eq!(layer(&r, 1, "unreachable_bytes"), 100);
    assert_eq!(layer(&r, 0, "hidden_later_bytes"), 100);
}

#[test]
fn whiteout_of_a_directory_removes_its_subtree() {
    let r = check(
        &Spec::new()
            .layer(
                "add",
                vec![
                    Item::Dir("d"),
                    file("d/x", &noise(1, 200)),
                    file("d/y/z", &noise(2, 300)),
                    file("keep", b"k"),
                ],
            )
            .layer("rm", vec![Item::Whiteout("d")]),
    );
    assert_eq!(waste(&r, "removed"), 500);
}

#[test]
fn opaque_directory_hides_below_but_keeps_this_layers_entries_whatever_their_order() {
    let r = check(
        &Spec::new()
            .layer(
                "add",
                vec![
                    file("d/x", &noise(1, 200)),
                    file("d/sub/y", &noise(2, 100)),
                    file("e/z", b"z"),
                ],
            )
            .layer(
                "opaque",
                vec![
                    file("d/new", &noise(3, 50)),
                    Item::Opaque("d"),
                    Item::Dir("d"),
                ],
            ),
    );
    assert_eq!(waste(&r, "removed"), 300);
    assert_eq!(r["totals"]["final_bytes"], 51);
}

#[test]
fn file_replaced_by_directory_and_directory_by_file() {
    let r = check(
        &Spec::new()
            .layer(
                "add",
                vec![
                    file("p", &noise(1, 100)),
                    file("q/inner", &noise(2, 70)),
                    file("q/deeper/x", &noise(3, 30)),
                ],
            )
            .layer(
                "swap",
                vec![
                    Item::Dir("p"),
                    file("p/child", b"c"),
                    file("q", &noise(4, 20)),
                ],
            ),
    );
    assert_eq!(
        waste(&r, "overwritten"),
        100,
        "the file p became a directory"
    );
    assert_eq!(waste(&r, "removed"), 100, "q's subtree went with it");
    assert_eq!(layer(&r, 1, "modified"), 2);
}

#[test]
fn hardlinks_within_and_across_layers() {
    check(
        &Spec::new()
            .layer(
                "add",
                vec![
                    file("h/orig", &noise(1, 100)),
                    Item::Hardlink("h/link", "h/orig"),
                ],
            )
            .layer(
                "link",
                vec![
                    Item::Hardlink("h/link2", "h/orig"),
                    Item::Hardlink("./h/link3", "./h/orig"),
                ],
            ),
    );
}

/// A file whose name is deleted or overwritten lives on under its hardlinks: its bytes are
/// what a container sees under the link's path (umoci unpacks them there), not waste.
#[test]
fn a_hardlink_keeps_the_bytes_of_a_name_deleted_or_overwritten_later() {
    let base = || {
        vec![
            Item::Dir("etc"),
            file("etc/a", &noise(1, 600)),
            Item::Hardlink("etc/hl", "etc/a"),
            Item::Hardlink("etc/hl2", "etc/hl"),
            file("etc/other", &noise(2, 50)),
        ]
    };
    let removed = check(
        &Spec::new()
            .layer("add", base())
            .layer("rm", vec![Item::Whiteout("etc/a")]),
    );
    assert_eq!(removed["totals"]["final_bytes"], 650);
    assert_eq!(
        removed["totals"]["files"], 2,
        "etc/other and the inode of etc/hl"
    );
    assert_eq!(waste(&removed, "removed"), 0);
    assert_eq!(layer(&removed, 0, "unreachable_bytes"), 0);
    assert_eq!(removed["waste"]["top"], serde_json::json!([]));

    let overwritten = check(
        &Spec::new()
            .layer("add", base())
            .layer("write", vec![file("etc/a", &noise(3, 10))]),
    );
    assert_eq!(overwritten["totals"]["final_bytes"], 660);
    assert_eq!(overwritten["totals"]["files"], 3);
    assert_eq!(waste(&overwritten, "overwritten"), 0);

    // The linked copy is visible content like any other: the same bytes at another path are
    // a duplicate of it.
    let duplicated = check(&Spec::new().layer("add", base()).layer(
        "rm",
        vec![Item::Whiteout("etc/a"), file("srv/copy", &noise(1, 600))],
    ));
    assert_eq!(waste(&duplicated, "duplicate"), 600);

    // A link whose file is gone from every name is waste as before.
    let all_gone = check(&Spec::new().layer("add", base()).layer(
        "rm",
        vec![
            Item::Whiteout("etc/a"),
            Item::Whiteout("etc/hl"),
            Item::Whiteout("etc/hl2"),
        ],
    ));
    assert_eq!(waste(&all_gone, "removed"), 600);
    assert_eq!(all_gone["totals"]["final_bytes"], 50);
}

/// A path whose parent directory is a symlink below (or earlier in the same layer) lands
/// where the symlink leads, and the symlink stays, as umoci unpacks it; a whiteout through a
/// symlinked directory removes the file it leads to.
pub(crate) fn through_symlinks() -> Spec {
    Spec::new()
        .layer(
            "base",
            vec![
                Item::Dir("usr"),
                Item::Dir("usr/lib"),
                file("usr/lib/base", &noise(1, 300)),
                Item::Symlink("lib", "usr/lib"),
                Item::Dir("real"),
                file("real/f", &noise(2, 200)),
                Item::Symlink("link", "/real"),
                Item::Symlink("hop", "lib"),
            ],
        )
        .layer(
            "through",
            vec![
                file("lib/x", &noise(3, 100)),
                file("hop/y", &noise(4, 50)),
                Item::Whiteout("link/f"),
                Item::Symlink("new", "usr"),
                file("new/z", &noise(5, 10)),
            ],
        )
}

#[test]
fn paths_through_symlinked_directories_land_where_the_links_lead() {
    let r = check(&through_symlinks());
    assert_eq!(waste(&r, "removed"), 200, "real/f, removed through `link`");
    assert_eq!(r["totals"]["files"], 4);
}

/// A hardlink to a symlink is another name of that symlink: paths through it land where the
/// link leads, as umoci unpacks them (found by a differential run against umoci).
#[test]
fn a_hardlink_to_a_symlink_leads_where_the_symlink_does() {
    let r = check(
        &Spec::new()
            .layer(
                "base",
                vec![
                    Item::Dir("d"),
                    file("d/x", &noise(1, 300)),
                    Item::Symlink("s", "d"),
                ],
            )
            .layer("link", vec![Item::Hardlink("k", "s")])
            .layer(
                "through",
                vec![Item::Whiteout("k/x"), file("k/new", &noise(2, 20))],
            ),
    );
    assert_eq!(waste(&r, "removed"), 300, "d/x, removed through `k`");
    assert_eq!(r["totals"]["final_bytes"], 20);
}

#[test]
fn symlinks_absolute_relative_dangling_and_to_directories() {
    check(&Spec::new().layer(
        "links",
        vec![
            file("etc/real", b"r"),
            Item::Symlink("etc/abs", "/etc/real"),
            Item::Symlink("etc/rel", "real"),
            Item::Symlink("etc/dangling", "/nowhere"),
            Item::Symlink("dirlink", "etc"),
            Item::Fifo("pipe"),
        ],
    ));
}

#[test]
fn chmod_only_change_is_a_copy_up() {
    let data = noise(1, 1000);
    let r = check(
        &Spec::new()
            .layer("add", vec![Item::FileMode("bin/tool", data.clone(), 0o644)])
            .layer("chmod", vec![Item::FileMode("bin/tool", data, 0o755)]),
    );
    assert_eq!(waste(&r, "copy_up"), 1000);
    assert_eq!(layer(&r, 1, "metadata_only"), 1);
    assert_eq!(layer(&r, 1, "modified"), 0);
}

#[test]
fn the_same_path_changed_in_three_layers() {
    let r = check(
        &Spec::new()
            .layer("v1", vec![file("etc/conf", &noise(1, 100))])
            .layer("v2", vec![file("etc/conf", &noise(2, 200))])
            .layer("v3", vec![file("etc/conf", &noise(3, 300))]),
    );
    assert_eq!(waste(&r, "overwritten"), 300);
    assert_eq!(r["totals"]["final_bytes"], 300);
    let top = &r["waste"]["top"][0];
    assert_eq!(top["path"], "/etc/conf");
    assert_eq!(top["layers"], serde_json::json!([0, 1, 2]));
}

#[test]
fn paths_with_spaces_unicode_and_any_prefix_are_one_path() {
    use tar::EntryType::{Directory, Regular};
    let r = check(
        &Spec::new()
            .layer(
                "odd names",
                vec![
                    Item::Raw("./with space/".into(), Directory, vec![]),
                    Item::Raw("./with space/ünïcødé 😀.txt".into(), Regular, noise(1, 64)),
                    Item::Raw("/abs/file".into(), Regular, noise(2, 32)),
                    Item::Raw("rel/./x".into(), Regular, noise(3, 16)),
                ],
            )
            .layer(
                "same paths spelled differently",
                vec![
                    Item::Raw("with space/ünïcødé 😀.txt".into(), Regular, noise(4, 8)),
                    Item::Raw("./abs/file".into(), Regular, noise(5, 4)),
                    Item::Raw("/rel/.wh.x".into(), Regular, vec![]),
                ],
            ),
    );
    assert_eq!(waste(&r, "overwritten"), 96);
    assert_eq!(waste(&r, "removed"), 16);
}

#[test]
fn classification_of_each_change() {
    let same = noise(9, 10);
    let dir = tempdir();
    let archive = dir.path().join("c.tar");
    Spec::new()
        .layer(
            "base",
            vec![
                Item::Dir("d"),
                file("d/keep", &same),
                file("d/edit", b"old"),
                file("gone", b"x"),
            ],
        )
        .layer(
            "changes",
            vec![
                Item::Dir("d"),
                Item::DirMode("e", 0o700),
                file("d/edit", b"new"),
                file("d/keep", &same),
                Item::Whiteout("gone"),
            ],
        )
        .docker_archive(&archive);
    let session = load_image(archive.to_str().unwrap());
    let analysis = session.analyse();
    let image = session.image();
    let got: Vec<(&str, Change)> = image.layers[1]
        .tree
        .entries
        .iter()
        .zip(&analysis.stack.changes[1])
        .map(|(e, c)| (&*e.path, *c))
        .collect();
    assert_eq!(
        got,
        vec![
            ("d", Change::Unchanged),
            ("e", Change::Added),
            ("d/edit", Change::Modified),
            ("d/keep", Change::Unchanged),
            ("gone", Change::Removed),
        ]
    );
}

#[test]
fn merged_view_at_a_lower_layer() {
    let dir = tempdir();
    let archive = dir.path().join("v.tar");
    Spec::new()
        .layer("a", vec![file("x", b"1")])
        .layer("b", vec![Item::Whiteout("x"), file("y", b"2")])
        .docker_archive(&archive);
    let session = load_image(archive.to_str().unwrap());
    let analysis = session.analyse();
    let image = session.image();
    let trees = image.trees();
    let at = |n| {
        let view = strata::analysis::merge::view_at(&trees, &analysis.stack.paths, n);
        listing(&trees, &analysis.stack, &view)
            .iter()
            .map(|l| l.path.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(at(0), vec!["x"]);
    assert_eq!(at(1), vec!["y"]);
}

#[test]
fn kept_views_equal_a_replay_from_the_bottom() {
    // 20 layers (so the cache keeps every third view), with overwrites, whiteouts of files
    // and directories, and opaque directories.
    const NAMES: [&str; 6] = ["a/x", "a/y", "b/x", "b/c/z", "c", "a/b/c/d"];
    let mut spec = Spec::new();
    for n in 0..20u64 {
        let mut items = vec![file(NAMES[n as usize % 6], &noise(n, 10 + n as usize))];
        match n % 5 {
            1 => items.push(Item::Whiteout(NAMES[(n as usize * 7) % 6])),
            2 => items.push(Item::Opaque("a")),
            3 => items.push(Item::Whiteout("b")),
            _ => items.push(file(NAMES[(n as usize + 3) % 6], &noise(100 + n, 7))),
        }
        spec = spec.layer("step", items);
    }
    let dir = tempdir();
    let archive = dir.path().join("v.tar");
    spec.docker_archive(&archive);
    let session = load_image(archive.to_str().unwrap());
    let analysis = session.analyse();
    let image = session.image();
    let trees = image.trees();
    let paths = &analysis.stack.paths;
    let mut cache = strata::analysis::merge::ViewCache::default();
    // Up, down, jumps and repeats, as a user walks the layers.
    let order = [0, 1, 2, 3, 19, 18, 17, 5, 6, 6, 12, 11, 4, 0, 15, 16, 9, 25];
    let mut differ = 0;
    for &n in &order {
        assert_eq!(
            cache.view_at(&trees, paths, n),
            strata::analysis::merge::view_at(&trees, paths, n),
            "view at {n}"
        );
        let (below, at) = cache.around(&trees, paths, n);
        let (want_below, want_at) = strata::analysis::merge::views_around(&trees, paths, n);
        assert_eq!((&below, &at), (&want_below, &want_at), "views around {n}");
        differ += usize::from(below != at);
    }
    assert!(differ > 10, "the layers change the view ({differ})");
}

#[test]
fn real_images_match_umoci() {
    let oracle = shared().join("oracle");
    assert_same_as_umoci(&oracle.join("dive-test-images/test-docker-image.tar"));
    for entry in std::fs::read_dir(oracle.join("dive-synthetic")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tar") {
            assert_same_as_umoci(&path);
        }
    }
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo.tar");
    assert_same_as_umoci(&demo);
}

/// More duplicate rows than `top` holds while it trims (4 x 50): the 50 kept are the 50 a
/// sort of all rows gives (bytes, then path), with many ties on bytes.
#[test]
fn the_top_wasted_paths_are_the_biggest_of_many_duplicates() {
    let size = |k: usize| (k % 7 + 1) * 100;
    let mut items = Vec::new();
    for k in 0..260 {
        // Contents differ by seed; sizes repeat every 7.
        let data = noise(k as u64 + 1, size(k));
        for dir in ["a", "b"] {
            items.push(Item::Raw(
                format!("{dir}/{k:03}"),
                tar::EntryType::Regular,
                data.clone(),
            ));
        }
    }
    let dir = tempdir();
    let archive = dir.path().join("image.tar");
    Spec::new().layer("copies", items).docker_archive(&archive);
    let r = report_json(archive.to_str().unwrap());
    let top = r["waste"]["top"].as_array().unwrap();
    let mut want: Vec<(usize, String)> = (0..260).map(|k| (size(k), format!("{k:03}"))).collect();
    want.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    want.truncate(50);
    assert_eq!(top.len(), 50);
    for (row, (bytes, name)) in top.iter().zip(&want) {
        assert_eq!(row["cause"], "duplicate");
        assert_eq!(row["bytes"], *bytes as u64, "{row}");
        assert_eq!(row["path"], format!("/b/{name}"), "{row}");
        assert_eq!(row["same_as"], format!("/a/{name}"), "{row}");
    }
    assert_eq!(
        r["waste"]["duplicate"],
        (0..260).map(|k| size(k) as u64).sum::<u64>()
    );
}

/// Content ids (BLAKE3): two files that differ in one byte are two contents, and a layer that
/// only changes a file's mode keeps its content: a copy-up, not a modification.
#[test]
fn one_byte_makes_another_content_and_a_chmod_is_still_a_copy_up() {
    let base = noise(7, 10_000);
    let mut other = base.clone();
    other[5_000] ^= 1;
    let dir = tempdir();
    let archive = dir.path().join("image.tar");
    Spec::new()
        .layer(
            "COPY . /",
            vec![
                Item::Dir("d"),
                Item::File("d/a", base.clone()),
                Item::File("d/b", other),
                Item::File("d/c", base.clone()),
            ],
        )
        .layer(
            "RUN chmod 600 /d/a",
            vec![Item::Dir("d"), Item::FileMode("d/a", base, 0o600)],
        )
        .docker_archive(&archive);
    let session = load_image(archive.to_str().unwrap());
    let analysis = session.analyse();
    let tree = &session.image().layers[0].tree;
    let id = |name: &str| {
        tree.entries
            .iter()
            .find(|e| &*e.path == name)
            .and_then(|e| e.digest)
            .unwrap()
    };
    assert_ne!(id("d/a"), id("d/b"), "one byte apart, two contents");
    assert_eq!(id("d/a"), id("d/c"), "the same bytes, one content");
    assert_eq!(
        id("d/a"),
        *blake3::hash(&noise(7, 10_000)).as_bytes(),
        "the content id is the BLAKE3 hash of the content"
    );
    let changes: Vec<Change> = analysis.stack.changes[1]
        .iter()
        .zip(&session.image().layers[1].tree.entries)
        .filter(|(_, e)| &*e.path == "d/a")
        .map(|(c, _)| *c)
        .collect();
    assert_eq!(changes, [Change::MetadataOnly]);
    assert_eq!(analysis.waste.copy_up, 10_000);
    // d/c holds the same bytes as d/a: a duplicate, one copy wasted.
    assert_eq!(analysis.waste.duplicate, 10_000);
}
