//! Deterministic generator of large test images for benchmarks (issue #7): N layers, M files,
//! a realistic size distribution (many small files, a few of 10-200 MB), realistic
//! compressibility (text-like and binary content), overwrites, chmod copy-ups, file and
//! directory deletions and an opaque directory; written as a docker archive and/or OCI
//! archives with gzip or zstd layers. Layers stream through temp files: memory stays small.
//!
//!     cargo run --release --example gen_image -- big OUTDIR [docker,oci-gzip,oci-zstd]
//!     cargo run --release --example gen_image -- custom OUTDIR FORMATS LAYERS FILES BYTES
//!
//! Presets: `big` = 30 layers, 300,000 files, 2 GB; `medium` = 12 layers, 60,000 files,
//! 400 MB; `small` = 6 layers, 3,000 files, 20 MB. Same arguments, same bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::{BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const WORDS: &[&str] = &[
    "import", "def", "return", "self", "value", "config", "module", "function", "const", "let",
    "var", "the", "data", "path", "error", "string", "print", "class", "export", "default",
    "async", "await", "true", "false",
];

/// Writes `size` bytes of content for `seed`: text-like (compresses ~4x) or random.
fn content(out: &mut impl Write, seed: u64, size: u64, text: bool) -> std::io::Result<()> {
    let mut rng = Rng(seed | 1);
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut left = size;
    while left > 0 {
        buf.clear();
        while buf.len() < 64 * 1024 && (buf.len() as u64) < left {
            if text {
                buf.extend_from_slice(WORDS[rng.below(WORDS.len() as u64) as usize].as_bytes());
                buf.push(if rng.below(9) == 0 { b'\n' } else { b' ' });
            } else {
                buf.extend_from_slice(&rng.next().to_le_bytes());
            }
        }
        let n = (buf.len() as u64).min(left) as usize;
        out.write_all(&buf[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// A reader over generated content, for the tar builder.
struct Gen {
    data: Vec<u8>,
}

fn gen_bytes(seed: u64, size: u64, text: bool) -> Gen {
    let mut data = Vec::with_capacity(size as usize);
    content(&mut data, seed, size, text).unwrap();
    Gen { data }
}

struct Plan {
    layers: usize,
    files: usize,
    bytes: u64,
}

fn file_size(rng: &mut Rng, big_budget: &mut u64) -> u64 {
    // 1 in 2,000 files is large (10-200 MB) while the budget for large files lasts.
    if *big_budget > 10_000_000 && rng.below(2000) == 0 {
        let s = (10_000_000 + rng.below(190_000_000)).min(*big_budget);
        *big_budget -= s;
        return s;
    }
    // Log-uniform between 100 B and 32 kB (mean ~5.5 kB): many small files.
    let exp = rng.below(1000) as f64 / 1000.0;
    (100.0 * (320.0f64).powf(exp)) as u64
}

/// One layer tar at `path`; returns (diff_id hex, size, entries).
fn write_layer(
    path: &Path,
    index: usize,
    plan: &Plan,
    rng: &mut Rng,
    big_budget: &mut u64,
    history: &mut Vec<(String, u64, u32)>,
) -> (String, u64) {
    let file = BufWriter::new(File::create(path).unwrap());
    let mut b = tar::Builder::new(file);
    let per_layer = plan.files / plan.layers;
    let add = |b: &mut tar::Builder<BufWriter<File>>,
               name: &str,
               seed: u64,
               size: u64,
               mode: u32,
               text: bool| {
        let mut h = tar::Header::new_gnu();
        h.set_size(size);
        h.set_mode(mode);
        h.set_mtime(1_700_000_000 + index as u64);
        h.set_entry_type(tar::EntryType::Regular);
        let g = gen_bytes(seed, size, text);
        b.append_data(&mut h, name, &g.data[..]).unwrap();
    };
    // Deletions, overwrites and chmods of earlier files (from layer 2 on).
    if index >= 2 && !history.is_empty() {
        for _ in 0..(per_layer / 50).max(1) {
            let k = rng.below(history.len() as u64) as usize;
            let (name, seed, mode) = history[k].clone();
            match rng.below(3) {
                0 => {
                    let (dir, file) = name.rsplit_once('/').unwrap_or(("", &name));
                    let mut h = tar::Header::new_gnu();
                    h.set_size(0);
                    h.set_mode(0o644);
                    h.set_entry_type(tar::EntryType::Regular);
                    b.append_data(&mut h, format!("{dir}/.wh.{file}"), std::io::empty())
                        .unwrap();
                }
                1 => {
                    let size = file_size(rng, &mut 0);
                    add(
                        &mut b,
                        &name,
                        seed ^ 0xfeed ^ index as u64,
                        size,
                        mode,
                        true,
                    );
                }
                _ => {
                    let size = file_size(&mut Rng(seed | 1), &mut 0);
                    add(&mut b, &name, seed, size, 0o600, true);
                }
            }
        }
    }
    if index == 3 {
        // An opaque directory: everything earlier under app/pkg00 disappears.
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, "app/pkg00/.wh..wh..opq", std::io::empty())
            .unwrap();
    }
    for k in 0..per_layer {
        let n = index * per_layer + k;
        let name = format!(
            "app/pkg{:02}/mod{:03}/f{:07}.{}",
            n % 40,
            (n / 40) % 300,
            n,
            if n.is_multiple_of(3) { "bin" } else { "py" }
        );
        let seed = rng.next();
        let size = file_size(rng, big_budget);
        let text = !n.is_multiple_of(3);
        add(&mut b, &name, seed, size, 0o644, text);
        if history.len() < 200_000 {
            history.push((name, seed, 0o644));
        }
    }
    let file = b.into_inner().unwrap();
    drop(file);
    let mut f = File::open(path).unwrap();
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut f, &mut HashW(&mut hasher)).unwrap();
    (hex::encode(hasher.finalize()), size)
}

struct HashW<'a>(&'a mut Sha256);
impl Write for HashW<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn compress(src: &Path, dst: &Path, zstd: bool) -> (String, u64) {
    let mut input = File::open(src).unwrap();
    let out = BufWriter::new(File::create(dst).unwrap());
    if zstd {
        let mut enc = zstd::stream::write::Encoder::new(out, 3).unwrap();
        std::io::copy(&mut input, &mut enc).unwrap();
        enc.finish().unwrap().flush().unwrap();
    } else {
        let mut enc = flate2::write::GzEncoder::new(out, flate2::Compression::new(6));
        std::io::copy(&mut input, &mut enc).unwrap();
        enc.finish().unwrap().flush().unwrap();
    }
    let mut f = File::open(dst).unwrap();
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut f, &mut HashW(&mut hasher)).unwrap();
    (hex::encode(hasher.finalize()), size)
}

fn append_file(b: &mut tar::Builder<BufWriter<File>>, name: &str, path: &Path) {
    let mut f = File::open(path).unwrap();
    let len = f.seek(std::io::SeekFrom::End(0)).unwrap();
    f.rewind().unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_size(len);
    h.set_mode(0o644);
    b.append_data(&mut h, name, f.take(len)).unwrap();
}

fn append_bytes(b: &mut tar::Builder<BufWriter<File>>, name: &str, data: &[u8]) {
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    b.append_data(&mut h, name, data).unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: gen_image big|medium|small OUTDIR [FORMATS] | custom OUTDIR FORMATS LAYERS FILES BYTES";
    let preset = args.get(1).expect(usage).as_str();
    let out = PathBuf::from(args.get(2).expect(usage));
    let formats = args
        .get(3)
        .cloned()
        .unwrap_or_else(|| "docker,oci-gzip,oci-zstd".into());
    let plan = match preset {
        "big" => Plan {
            layers: 30,
            files: 300_000,
            bytes: 2_000_000_000,
        },
        "medium" => Plan {
            layers: 12,
            files: 60_000,
            bytes: 400_000_000,
        },
        "small" => Plan {
            layers: 6,
            files: 3_000,
            bytes: 20_000_000,
        },
        "custom" => Plan {
            layers: args.get(4).and_then(|s| s.parse().ok()).expect(usage),
            files: args.get(5).and_then(|s| s.parse().ok()).expect(usage),
            bytes: args.get(6).and_then(|s| s.parse().ok()).expect(usage),
        },
        _ => panic!("{usage}"),
    };
    std::fs::create_dir_all(&out).unwrap();
    let tmp = tempfile::tempdir_in(&out).unwrap();
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    // Small files take about 5.5 kB on average; what is left goes to the large ones.
    let mut big_budget = plan.bytes.saturating_sub(plan.files as u64 * 5_500);
    let mut history = Vec::new();
    let mut layers = Vec::new();
    for i in 0..plan.layers {
        let p = tmp.path().join(format!("layer{i}.tar"));
        let (diff_id, size) = write_layer(&p, i, &plan, &mut rng, &mut big_budget, &mut history);
        eprintln!("gen_image: layer {i}: {size} bytes");
        layers.push((p, diff_id, size));
    }
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"User": "1000:1000", "Cmd": ["python3", "-m", "app"], "WorkingDir": "/app"},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| format!("sha256:{}", l.1)).collect::<Vec<_>>()},
        "history": (0..plan.layers).map(|i| serde_json::json!({"created_by": format!("RUN generate layer {i}")})).collect::<Vec<_>>(),
    }))
    .unwrap();
    let config_hex = hex::encode(Sha256::digest(&config));
    for format in formats.split(',') {
        let path = out.join(format!("{preset}-{format}.tar"));
        let mut b = tar::Builder::new(BufWriter::new(File::create(&path).unwrap()));
        match format {
            "docker" => {
                for (i, (p, _, _)) in layers.iter().enumerate() {
                    append_file(&mut b, &format!("l{i}/layer.tar"), p);
                }
                append_bytes(&mut b, &format!("{config_hex}.json"), &config);
                let manifest = serde_json::json!([{"Config": format!("{config_hex}.json"), "RepoTags": [format!("gen/{preset}:latest")],
                    "Layers": (0..layers.len()).map(|i| format!("l{i}/layer.tar")).collect::<Vec<_>>()}]);
                append_bytes(
                    &mut b,
                    "manifest.json",
                    &serde_json::to_vec(&manifest).unwrap(),
                );
            }
            "oci-gzip" | "oci-zstd" => {
                let zstd = format == "oci-zstd";
                let media = if zstd {
                    "application/vnd.oci.image.layer.v1.tar+zstd"
                } else {
                    "application/vnd.oci.image.layer.v1.tar+gzip"
                };
                append_bytes(&mut b, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
                let mut descs = Vec::new();
                for (i, (p, _, _)) in layers.iter().enumerate() {
                    let blob = tmp.path().join(format!("blob{i}"));
                    let (hex, size) = compress(p, &blob, zstd);
                    append_file(&mut b, &format!("blobs/sha256/{hex}"), &blob);
                    std::fs::remove_file(&blob).unwrap();
                    descs.push(serde_json::json!({"mediaType": media, "digest": format!("sha256:{hex}"), "size": size}));
                }
                append_bytes(&mut b, &format!("blobs/sha256/{config_hex}"), &config);
                let manifest = serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{config_hex}"), "size": config.len()},
                    "layers": descs})).unwrap();
                let mhex = hex::encode(Sha256::digest(&manifest));
                append_bytes(&mut b, &format!("blobs/sha256/{mhex}"), &manifest);
                let index = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": format!("sha256:{mhex}"), "size": manifest.len(), "annotations": {"org.opencontainers.image.ref.name": "latest"}}]});
                append_bytes(&mut b, "index.json", &serde_json::to_vec(&index).unwrap());
            }
            other => panic!("unknown format {other} (docker, oci-gzip, oci-zstd)"),
        }
        b.into_inner().unwrap().flush().unwrap();
        eprintln!("gen_image: wrote {}", path.display());
    }
}
