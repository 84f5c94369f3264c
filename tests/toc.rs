//! The eStargz and zstd:chunked TOC readers (`strata::blob::toc`) against blobs written here by
//! a small generator that follows the published layouts (eStargz: a gzip member per file
//! chunk, the TOC's member holding a tar of `stargz.index.json`, the 51-byte footer;
//! zstd:chunked: a zstd frame per chunk, the TOC in a skippable frame, the footer frame, the
//! annotations), and against a layer skopeo wrote as zstd:chunked. The trees read from the
//! TOCs must equal what the tar walker reads from the same layers' bytes, every chunk must
//! decompress to its file's bytes, and hostile TOCs are refused, quickly.

use std::collections::HashMap;
use std::io::Read;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use strata::blob::toc::{
    estargz, read_chunk, verify_chunk, zstd_chunked, Format, Toc, TocError, TocLocation,
};
use strata::model::digest::Digest;
use strata::model::limits::Limits;
use strata::tree::{read_layer, read_listing, Entry, LayerTree};

use crate::support::toc_blobs::*;
use crate::support::{run_tool, tempdir};

fn tail(blob: &[u8]) -> &[u8] {
    &blob[blob.len().saturating_sub(80)..]
}

fn read_estargz(blob: &Blob, expected: Option<&str>, limits: &Limits) -> Result<Toc, TocError> {
    let size = blob.bytes.len() as u64;
    let loc = estargz::locate(tail(&blob.bytes), size, limits)?;
    let range = &blob.bytes[loc.offset as usize..(loc.offset + loc.length) as usize];
    let expected = expected.map(|d| Digest::parse(d).unwrap());
    estargz::parse_toc(range, &loc, size, expected.as_ref(), limits)
}

fn read_zstd(blob: &Blob, limits: &Limits) -> Result<Toc, TocError> {
    let (loc, digest) = zstd_chunked::location(&blob.annotations)?.expect("annotations");
    read_zstd_at(blob, &loc, digest.as_ref(), limits)
}

fn read_zstd_at(
    blob: &Blob,
    loc: &TocLocation,
    digest: Option<&Digest>,
    limits: &Limits,
) -> Result<Toc, TocError> {
    let size = blob.bytes.len() as u64;
    zstd_chunked::check_location(loc, size, limits)?;
    let range = &blob.bytes[loc.offset as usize..(loc.offset + loc.length) as usize];
    zstd_chunked::parse_toc(range, loc, size, digest, limits)
}

/// The tree the tar walker reads from the whole decompressed blob, without content ids (the
/// eStargz TOC's own tar entry, `stargz.index.json`, included: the TOC's listing ends with it).
fn tar_tree(blob: &[u8]) -> LayerTree {
    let (_, mut r) = strata::blob::decompress::decoder(blob).unwrap();
    let mut tar = Vec::new();
    r.read_to_end(&mut tar).unwrap();
    let mut tree = read_layer(&tar[..], &Limits::default()).unwrap();
    for e in &mut tree.entries {
        e.digest = None;
        e.flags = 0;
    }
    tree
}

fn entries(tree: &LayerTree) -> Vec<Entry> {
    tree.entries.clone()
}

/// Every chunk of every file decompresses (from exactly its range of the blob) to the bytes
/// of the file it says, and the chunks cover each file.
fn check_chunks(toc: &Toc, blob: &[u8], items: &[Item]) {
    let mut files = 0;
    for e in &toc.entries {
        let Some(it) = items.iter().find(|i| i.name == e.name) else {
            continue;
        };
        let mut content = Vec::new();
        for c in &e.chunks {
            let range = &blob[c.offset as usize..(c.offset + c.compressed) as usize];
            let bytes = read_chunk(toc.format, range, c, &Limits::default()).unwrap();
            assert_eq!(
                bytes,
                it.data[c.file_offset as usize..(c.file_offset + c.size) as usize]
            );
            verify_chunk(&bytes, c.digest.as_ref().unwrap()).unwrap();
            content.extend(bytes);
        }
        assert_eq!(content, it.data, "{}", e.name);
        files += usize::from(!e.chunks.is_empty());
    }
    assert_eq!(files, 3, "every non-empty file has chunks");
}

#[test]
fn estargz_toc_gives_the_tar_tree_and_chunks_point_at_the_files() {
    let items = sample();
    let blob = estargz_blob(&items, |_| {});
    let toc = read_estargz(&blob, Some(&blob.toc_digest), &Limits::default()).unwrap();
    assert_eq!(toc.format, Format::Estargz);
    let big = toc
        .entries
        .iter()
        .find(|e| e.name == "./usr/bin/big")
        .unwrap();
    assert_eq!(big.chunks.len(), 3);
    let tree = read_listing(toc.listing(), &Limits::default()).unwrap();
    assert_eq!(entries(&tree), entries(&tar_tree(&blob.bytes)));
    assert_eq!(tree.header_bytes, tar_tree(&blob.bytes).header_bytes);
    check_chunks(&toc, &blob.bytes, &items);
}

#[test]
fn zstd_chunked_toc_gives_the_tar_tree_by_annotations_and_by_footer() {
    let items = sample();
    for new_footer in [true, false] {
        let blob = zstd_chunked_blob(&items, new_footer, |_| {});
        let toc = read_zstd(&blob, &Limits::default()).unwrap();
        let tree = read_listing(toc.listing(), &Limits::default()).unwrap();
        assert_eq!(entries(&tree), entries(&tar_tree(&blob.bytes)));
        check_chunks(&toc, &blob.bytes, &items);
        // The footer says the same as the annotations.
        let (by_annotation, _) = zstd_chunked::location(&blob.annotations).unwrap().unwrap();
        assert_eq!(
            zstd_chunked::footer(tail(&blob.bytes)).unwrap(),
            by_annotation
        );
    }
}

#[test]
fn a_toc_whose_digest_differs_is_refused_naming_both_digests() {
    let items = sample();
    let blob = estargz_blob(&items, |_| {});
    let wrong = sha(b"something else");
    let err = read_estargz(&blob, Some(&wrong), &Limits::default()).unwrap_err();
    assert!(matches!(err, TocError::TocDigest { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(&wrong) && text.contains(&blob.toc_digest),
        "{text}"
    );

    let mut blob = zstd_chunked_blob(&items, true, |_| {});
    for v in blob.annotations.values_mut() {
        if v.starts_with("sha256:") {
            *v = wrong.clone();
        }
    }
    let err = read_zstd(&blob, &Limits::default()).unwrap_err();
    assert!(matches!(err, TocError::TocDigest { .. }), "{err:?}");
}

#[test]
fn a_chunk_whose_bytes_differ_from_its_digest_is_refused() {
    let items = sample();
    let blob = estargz_blob(&items, |toc| {
        toc["entries"][1]["chunkDigest"] = json!(sha(b"not the passwd file"));
    });
    let toc = read_estargz(&blob, None, &Limits::default()).unwrap();
    let c = &toc.entries[1].chunks[0];
    let range = &blob.bytes[c.offset as usize..(c.offset + c.compressed) as usize];
    let err = read_chunk(toc.format, range, c, &Limits::default()).unwrap_err();
    assert!(matches!(err, TocError::ChunkDigest { .. }), "{err:?}");
}

/// A change made to a generated TOC.
type Edit = dyn Fn(&mut Value);

/// The index in the sample's TOC of `./usr/bin/big`'s `reg` record.
const BIG: usize = 3;

fn refused(result: Result<Toc, TocError>, started: Instant) -> TocError {
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    match result {
        Ok(toc) => panic!("accepted: {} entries", toc.entries.len()),
        Err(e) => e,
    }
}

#[test]
fn hostile_offsets_and_sizes_are_refused() {
    let items = sample();
    let past_end = |toc: &mut Value| toc["entries"][BIG]["offset"] = json!(1u64 << 40);
    let huge = |toc: &mut Value| toc["entries"][1]["size"] = json!(i64::MAX);
    let over_i64 = |toc: &mut Value| toc["entries"][1]["size"] = json!(1u64 << 63);
    let negative = |toc: &mut Value| toc["entries"][1]["offset"] = json!(-5);
    let overlap = |toc: &mut Value| {
        let other = toc["entries"][1]["offset"].clone();
        toc["entries"][BIG]["offset"] = other;
    };
    let stray_chunk = |toc: &mut Value| {
        let entries = toc["entries"].as_array_mut().unwrap();
        entries.insert(
            0,
            json!({"name": "x", "type": "chunk", "offset": 10, "chunkSize": 5}),
        );
    };
    let cases: Vec<(&str, &Edit)> = vec![
        ("offset past the end", &past_end),
        ("size 2^63-1", &huge),
        ("size 2^63", &over_i64),
        ("negative offset", &negative),
        ("overlapping chunks", &overlap),
        ("chunk without its file", &stray_chunk),
    ];
    for (what, edit) in cases {
        let started = Instant::now();
        let blob = estargz_blob(&items, edit);
        let err = refused(read_estargz(&blob, None, &Limits::default()), started);
        eprintln!("estargz {what}: {err}");
        let blob = zstd_chunked_blob(&items, true, edit);
        let started = Instant::now();
        let err = refused(read_zstd(&blob, &Limits::default()), started);
        eprintln!("zstd:chunked {what}: {err}");
    }
}

#[test]
fn a_toc_claiming_a_huge_size_or_too_many_entries_is_refused_before_it_is_read() {
    let items = sample();
    let limits = Limits::default();
    // The position claims 4 GiB uncompressed: refused before anything is decompressed.
    let mut blob = zstd_chunked_blob(&items, true, |_| {});
    let (mut loc, _) = zstd_chunked::location(&blob.annotations).unwrap().unwrap();
    loc.uncompressed = Some(4 << 30);
    let started = Instant::now();
    let err = refused(read_zstd_at(&blob, &loc, None, &limits), started);
    assert!(
        matches!(&err, TocError::Limit(hit) if hit.flag == "--max-json-size"),
        "{err}"
    );

    // A TOC that really inflates past the limit (64 MiB of zeros in a few kB), in each format.
    let zeros = vec![0u8; 64 << 20];
    let bomb = zst(&zeros);
    let loc = TocLocation {
        offset: 8,
        length: bomb.len() as u64,
        uncompressed: None,
    };
    blob.bytes = skippable(&bomb);
    let started = Instant::now();
    let err = refused(read_zstd_at(&blob, &loc, None, &limits), started);
    assert!(
        matches!(&err, TocError::Limit(hit) if hit.flag == "--max-json-size"),
        "{err}"
    );
    let bomb = gz(&zeros);
    let mut bytes = bomb.clone();
    bytes.extend(estargz_footer(0));
    let mut blob = Blob {
        bytes,
        toc_digest: String::new(),
        annotations: HashMap::new(),
    };
    let started = Instant::now();
    let err = refused(read_estargz(&blob, None, &limits), started);
    assert!(
        matches!(&err, TocError::Limit(hit) if hit.flag == "--max-json-size"),
        "{err}"
    );

    // 10 million entries: past --max-json-size long before they are all read.
    let one = r#"{"name":"a","type":"dir"},"#;
    let json = format!(
        r#"{{"version":1,"entries":[{}{}]}}"#,
        one.repeat(10_000_000),
        &one[..one.len() - 1]
    );
    let compressed = zstd::encode_all(json.as_bytes(), 1).unwrap();
    let loc = TocLocation {
        offset: 8,
        length: compressed.len() as u64,
        uncompressed: None,
    };
    blob.bytes = skippable(&compressed);
    let started = Instant::now();
    let err = refused(read_zstd_at(&blob, &loc, None, &limits), started);
    assert!(
        matches!(&err, TocError::Limit(hit) if hit.flag == "--max-json-size"),
        "{err}"
    );
    // And --max-entries stops the read as soon as it is passed.
    let few = Limits {
        entries: 5,
        ..limits
    };
    let blob = estargz_blob(&items, |_| {});
    let err = read_estargz(&blob, None, &few).unwrap_err();
    assert!(
        matches!(&err, TocError::Limit(hit) if hit.flag == "--max-entries"),
        "{err}"
    );
}

#[test]
fn deep_and_long_paths_in_a_toc_are_held_to_the_path_limits() {
    let deep = "a/".repeat(300) + "f";
    let blob = estargz_blob(&[], |toc| {
        toc["entries"] = json!([{"name": deep, "type": "reg"}]);
    });
    let toc = read_estargz(&blob, None, &Limits::default()).unwrap();
    let err = read_listing(toc.listing(), &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("--max-path-depth"), "{err}");
    let long = "b".repeat(5000);
    let blob = zstd_chunked_blob(&[], true, |toc| {
        toc["entries"] = json!([{"name": long, "type": "dir"}]);
    });
    let toc = read_zstd(&blob, &Limits::default()).unwrap();
    let err = read_listing(toc.listing(), &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("--max-path-length"), "{err}");
}

/// A layer skopeo (Debian's, 1.9) wrote as zstd:chunked: its TOC's tree equals the tar
/// walker's reading of the same blob, and its chunks decompress to the files' bytes.
#[test]
fn skopeo_zstd_chunked_layers_read_the_same_by_toc_and_by_tar() {
    let dir = tempdir();
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo.tar");
    let oci = dir.path().join("oci");
    let zc = dir.path().join("zc");
    let at = |p: &std::path::Path| format!("oci:{}:latest", p.display());
    run_tool(
        "skopeo",
        &[
            "copy",
            "-q",
            &format!("docker-archive:{}", demo.display()),
            &at(&oci),
        ],
    );
    run_tool(
        "skopeo",
        &[
            "copy",
            "-q",
            "--dest-compress-format",
            "zstd:chunked",
            &at(&oci),
            &at(&zc),
        ],
    );
    let blob_path = |digest: &str| {
        zc.join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    };
    let index: Value =
        serde_json::from_slice(&std::fs::read(zc.join("index.json")).unwrap()).unwrap();
    let manifest: strata::model::image::Manifest = serde_json::from_slice(
        &std::fs::read(blob_path(index["manifests"][0]["digest"].as_str().unwrap())).unwrap(),
    )
    .unwrap();
    let mut read = 0;
    for layer in &manifest.layers {
        let annotations = layer.annotations.clone().unwrap_or_default();
        let Some((loc, digest)) = zstd_chunked::location(&annotations).unwrap() else {
            continue;
        };
        let bytes = std::fs::read(blob_path(&layer.digest)).unwrap();
        let blob = Blob {
            bytes,
            toc_digest: String::new(),
            annotations: annotations.clone(),
        };
        assert!(digest.is_some(), "skopeo writes the checksum annotation");
        let toc = read_zstd_at(&blob, &loc, digest.as_ref(), &Limits::default()).unwrap();
        assert_eq!(zstd_chunked::footer(tail(&blob.bytes)).unwrap(), loc);
        let tree = read_listing(toc.listing(), &Limits::default()).unwrap();
        assert_eq!(
            entries(&tree),
            entries(&tar_tree(&blob.bytes)),
            "{}",
            layer.digest
        );
        for e in &toc.entries {
            for c in &e.chunks {
                let range = &blob.bytes[c.offset as usize..(c.offset + c.compressed) as usize];
                read_chunk(toc.format, range, c, &Limits::default()).unwrap();
            }
        }
        read += 1;
    }
    assert!(read >= 3, "skopeo wrote {read} zstd:chunked layers");
}

/// The fuzz targets' seed corpus (`fuzz/seeds/toc_*`, copied into the corpus by
/// `scripts/fuzz.sh`) is what this generator writes; `STRATA_WRITE_FUZZ_SEEDS=1` rewrites it
/// after the generator changes.
#[test]
fn fuzz_seeds_are_the_generated_blobs() {
    let items = sample();
    let seeds = [
        (
            "toc_estargz",
            "sample.bin",
            estargz_blob(&items, |_| {}).bytes,
        ),
        (
            "toc_zstd_chunked",
            "sample-footer64.bin",
            zstd_chunked_blob(&items, true, |_| {}).bytes,
        ),
        (
            "toc_zstd_chunked",
            "sample-footer40.bin",
            zstd_chunked_blob(&items, false, |_| {}).bytes,
        ),
    ];
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    for (target, name, bytes) in seeds {
        let path = root.join(target).join(name);
        if std::env::var_os("STRATA_WRITE_FUZZ_SEEDS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == bytes,
            "{} is not what the generator writes; rerun with STRATA_WRITE_FUZZ_SEEDS=1",
            path.display()
        );
    }
}
