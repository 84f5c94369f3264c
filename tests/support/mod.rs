//! Builds real image archives for tests: layer tars written header by header (so names can be
//! absolute, `./`-prefixed, unicode, whiteouts), packed as `docker save` archives or OCI
//! layouts with any layer compression, and helpers to run the strata binary and the reference
//! tools (skopeo, umoci).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod markdown;
pub mod registry;
pub mod throttle;
pub mod toc_blobs;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// One tar entry of a test layer.
#[derive(Clone, Debug)]
pub enum Item {
    File(&'static str, Vec<u8>),
    FileMode(&'static str, Vec<u8>, u32),
    Dir(&'static str),
    DirMode(&'static str, u32),
    Symlink(&'static str, &'static str),
    Hardlink(&'static str, &'static str),
    Fifo(&'static str),
    /// `.wh.NAME` next to NAME.
    Whiteout(&'static str),
    /// `DIR/.wh..wh..opq`.
    Opaque(&'static str),
    /// A name written as-is.
    Raw(String, tar::EntryType, Vec<u8>),
    /// An entry with its permission bits and owner: a directory when the name ends in `/`,
    /// else a regular file.
    Owned {
        path: String,
        data: Vec<u8>,
        mode: u32,
        uid: u32,
        gid: u32,
    },
    /// A regular file with its owner and mtime given (the others are owned by root and dated
    /// `MTIME`).
    FileMeta(&'static str, Vec<u8>, Meta),
}

/// The mtime every entry gets unless `Item::FileMeta` says otherwise.
pub const MTIME: u64 = 1_700_000_000;

/// A tar header's mode, owner and mtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Meta {
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: u64,
}

impl Meta {
    /// Mode 0644, owned by root, dated `MTIME`.
    pub fn new() -> Meta {
        Meta {
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: MTIME,
        }
    }

    pub fn mode(self, mode: u32) -> Meta {
        Meta { mode, ..self }
    }

    pub fn owner(self, uid: u64, gid: u64) -> Meta {
        Meta { uid, gid, ..self }
    }

    pub fn mtime(self, mtime: u64) -> Meta {
        Meta { mtime, ..self }
    }
}

pub fn file(path: &'static str, data: &[u8]) -> Item {
    Item::File(path, data.to_vec())
}

/// A regular file (or, for a name ending in `/`, a directory) with mode `mode` owned by
/// `uid:gid`.
pub fn owned(path: &str, data: &[u8], mode: u32, uid: u32, gid: u32) -> Item {
    Item::Owned {
        path: path.to_string(),
        data: data.to_vec(),
        mode,
        uid,
        gid,
    }
}

/// `n` bytes that do not compress, different for each seed.
pub fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn header(name: &str, kind: tar::EntryType, size: u64, meta: Meta, link: Option<&str>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut h = tar::Header::new_gnu();
    if name.len() > 100 {
        // GNU long name: a `L` entry carrying the name, then the real header.
        let mut l = tar::Header::new_gnu();
        l.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
        l.set_entry_type(tar::EntryType::GNULongName);
        l.set_size(name.len() as u64 + 1);
        l.set_cksum();
        out.extend_from_slice(l.as_bytes());
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        pad(&mut out);
        h.as_old_mut().name[..100].copy_from_slice(&name.as_bytes()[..100]);
    } else {
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    }
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(meta.mode);
    h.set_mtime(meta.mtime);
    h.set_uid(meta.uid);
    h.set_gid(meta.gid);
    if let Some(l) = link {
        h.as_old_mut().linkname[..l.len()].copy_from_slice(l.as_bytes());
    }
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
    out
}

fn pad(out: &mut Vec<u8>) {
    out.resize(out.len().div_ceil(512) * 512, 0);
}

/// An uncompressed layer tar.
pub fn layer_tar(items: &[Item]) -> Vec<u8> {
    use tar::EntryType as T;
    let mut out = Vec::new();
    for item in items {
        let mut meta = Meta::new();
        let (name, kind, data, mode, link): (String, T, &[u8], u32, Option<&str>) = match item {
            Item::File(p, d) => (p.to_string(), T::Regular, d, 0o644, None),
            Item::FileMode(p, d, m) => (p.to_string(), T::Regular, d, *m, None),
            Item::Dir(p) => (
                format!("{}/", p.trim_end_matches('/')),
                T::Directory,
                &[],
                0o755,
                None,
            ),
            Item::DirMode(p, m) => (
                format!("{}/", p.trim_end_matches('/')),
                T::Directory,
                &[],
                *m,
                None,
            ),
            Item::Symlink(p, t) => (p.to_string(), T::Symlink, &[], 0o777, Some(*t)),
            Item::Hardlink(p, t) => (p.to_string(), T::Link, &[], 0o644, Some(*t)),
            Item::Fifo(p) => (p.to_string(), T::Fifo, &[], 0o644, None),
            Item::Whiteout(p) => {
                let (dir, name) = match p.rfind('/') {
                    Some(i) => (&p[..=i], &p[i + 1..]),
                    None => ("", *p),
                };
                (format!("{dir}.wh.{name}"), T::Regular, &[], 0o644, None)
            }
            Item::Opaque(d) => (
                format!("{}/.wh..wh..opq", d.trim_end_matches('/')),
                T::Regular,
                &[],
                0o644,
                None,
            ),
            Item::Raw(n, k, d) => (n.clone(), *k, d, 0o644, None),
            Item::Owned {
                path,
                data,
                mode,
                uid,
                gid,
            } => {
                meta = meta.owner((*uid).into(), (*gid).into());
                let kind = if path.ends_with('/') {
                    T::Directory
                } else {
                    T::Regular
                };
                (path.clone(), kind, data, *mode, None)
            }
            Item::FileMeta(p, d, m) => {
                meta = *m;
                (p.to_string(), T::Regular, d, m.mode, None)
            }
        };
        let meta = meta.mode(mode);
        out.extend(header(&name, kind, data.len() as u64, meta, link));
        out.extend_from_slice(data);
        pad(&mut out);
    }
    out.resize(out.len() + 1024, 0);
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comp {
    None,
    Gzip,
    Zstd,
}

pub fn compress(data: &[u8], comp: Comp) -> Vec<u8> {
    match comp {
        Comp::None => data.to_vec(),
        Comp::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        Comp::Zstd => zstd::encode_all(data, 1).unwrap(),
    }
}

pub fn sha(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// A test image: layers (each a list of items) with the command that made each.
pub struct Spec {
    pub layers: Vec<(String, Vec<Item>)>,
    /// The image config's `config` object, when not the default one.
    pub runtime: Option<serde_json::Value>,
    /// The config's `os/architecture[/variant]` (default linux/amd64).
    pub platform: Option<String>,
    /// History steps that made no layer (`CMD`, `ENV`, ...): how many layers come before
    /// each, and its command.
    pub empty_steps: Vec<(usize, String)>,
}

impl Spec {
    pub fn new() -> Spec {
        Spec {
            layers: Vec::new(),
            runtime: None,
            platform: None,
            empty_steps: Vec::new(),
        }
    }

    /// A history step that makes no layer (`empty_layer: true`), after the layers so far.
    pub fn empty_step(mut self, cmd: &str) -> Spec {
        self.empty_steps.push((self.layers.len(), cmd.to_string()));
        self
    }

    /// The platform the config names, as `os/architecture[/variant]`.
    pub fn platform(mut self, platform: &str) -> Spec {
        self.platform = Some(platform.to_string());
        self
    }

    /// Replaces the config's `config` object (User, Env, Labels, ...).
    pub fn runtime_config(mut self, runtime: serde_json::Value) -> Spec {
        self.runtime = Some(runtime);
        self
    }

    pub fn layer(mut self, cmd: &str, items: Vec<Item>) -> Spec {
        self.layers.push((cmd.to_string(), items));
        self
    }

    fn config(&self, tars: &[Vec<u8>]) -> Vec<u8> {
        let diff_ids: Vec<String> = tars.iter().map(|t| sha(t)).collect();
        let empty_before = |n: usize| {
            self.empty_steps
                .iter()
                .filter(move |(at, _)| *at == n)
                .map(|(_, cmd)| serde_json::json!({"created": "2024-01-01T00:00:00Z", "created_by": cmd, "empty_layer": true}))
        };
        let mut history: Vec<serde_json::Value> = Vec::new();
        for (i, (cmd, _)) in self.layers.iter().enumerate() {
            history.extend(empty_before(i));
            history.push(serde_json::json!({"created": "2024-01-01T00:00:00Z", "created_by": cmd}));
        }
        history.extend(empty_before(self.layers.len()));
        let runtime = self.runtime.clone().unwrap_or_else(|| {
            serde_json::json!({"User": "1000:1000", "Env": ["PATH=/usr/bin"], "Cmd": ["sh"], "WorkingDir": "/srv",
                       "ExposedPorts": {"8080/tcp": {}}, "Labels": {"org.example": "yes"}})
        });
        let platform = self.platform.as_deref().unwrap_or("linux/amd64");
        let parts: Vec<&str> = platform.split('/').collect();
        let mut config = serde_json::json!({
            "architecture": parts[1], "os": parts[0], "created": "2024-01-01T00:00:00Z",
            "config": runtime,
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        });
        if let Some(variant) = parts.get(2) {
            config["variant"] = serde_json::json!(variant);
        }
        serde_json::to_vec(&config).unwrap()
    }

    pub fn tars(&self) -> Vec<Vec<u8>> {
        self.layers
            .iter()
            .map(|(_, items)| layer_tar(items))
            .collect()
    }

    /// A legacy `docker save` archive (`<n>/layer.tar`, manifest.json last, like dive's
    /// synthetic images).
    pub fn docker_archive(&self, out: &Path) {
        let tars = self.tars();
        let config = self.config(&tars);
        let config_name = format!("{}.json", &sha(&config)[7..]);
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let mut layer_names = Vec::new();
        for (i, t) in tars.iter().enumerate() {
            let name = format!("l{i}/layer.tar");
            files.push((name.clone(), t.clone()));
            layer_names.push(name);
        }
        files.push((config_name.clone(), config));
        let manifest = serde_json::json!([{"Config": config_name, "RepoTags": ["test/image:latest"], "Layers": layer_names}]);
        files.push((
            "manifest.json".into(),
            serde_json::to_vec(&manifest).unwrap(),
        ));
        write_tar(out, &files);
    }

    /// An OCI layout (directory if `as_dir`, else a tar of it) with layers compressed `comp`.
    pub fn oci(&self, out: &Path, comp: Comp, as_dir: bool) {
        let files = self.oci_files(comp);
        if as_dir {
            for (name, data) in files {
                let p = out.join(name);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, data).unwrap();
            }
        } else {
            write_tar(out, &files);
        }
    }

    pub fn oci_files(&self, comp: Comp) -> Vec<(String, Vec<u8>)> {
        let tars = self.tars();
        let config = self.config(&tars);
        let media = match comp {
            Comp::None => "application/vnd.oci.image.layer.v1.tar",
            Comp::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
            Comp::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        };
        let mut blobs: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut layers = Vec::new();
        for t in &tars {
            let b = compress(t, comp);
            layers
                .push(serde_json::json!({"mediaType": media, "digest": sha(&b), "size": b.len()}));
            blobs.insert(sha(&b), b);
        }
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&config), "size": config.len()},
            "layers": layers,
        }))
        .unwrap();
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(&manifest), "size": manifest.len(),
                           "annotations": {"org.opencontainers.image.ref.name": "latest"}}],
        }))
        .unwrap();
        blobs.insert(sha(&config), config);
        blobs.insert(sha(&manifest), manifest);
        let mut files: Vec<(String, Vec<u8>)> = vec![(
            "oci-layout".into(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        )];
        for (d, b) in blobs {
            files.push((format!("blobs/sha256/{}", &d[7..]), b));
        }
        files.push(("index.json".into(), index));
        files
    }
}

/// Writes a plain tar of `(name, bytes)` files.
pub fn write_tar(out: &Path, files: &[(String, Vec<u8>)]) {
    let mut b = tar::Builder::new(std::fs::File::create(out).unwrap());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    b.into_inner().unwrap().flush().unwrap();
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Runs the strata binary with a cache of its own, so no run sees what another cached;
/// returns (exit code, stdout, stderr).
pub fn strata(args: &[&str]) -> (i32, String, String) {
    let cache = tempdir();
    strata_env(
        args,
        &[("STRATA_CACHE_DIR", cache.path().to_str().unwrap())],
        None,
    )
}

/// Runs the strata binary with extra environment and, optionally, stdin.
pub fn strata_env(
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&str>,
) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strata"));
    // `strata ci` appends to a GitHub Actions step summary: never to the real one of a job
    // running this suite, only to a test's own.
    cmd.env_remove("GITHUB_STEP_SUMMARY");
    cmd.args(args).envs(env.iter().copied());
    if !env.iter().any(|(k, _)| *k == "STRATA_CACHE_DIR") {
        panic!("strata_env: give the run a STRATA_CACHE_DIR so it never touches the user's cache");
    }
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            // A run that fails before reading its stdin closes the pipe first: its exit
            // code and output are what the test checks, not the write.
            match input.write_all(text.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other.unwrap(),
            }
        }
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Source options for in-process loads: never the user's cache, so each test reads its
/// layers for real.
pub fn uncached() -> strata::SourceOptions {
    strata::SourceOptions {
        no_cache: true,
        ..Default::default()
    }
}

/// Loads an image in-process, without the cache.
pub fn load_image(reference: &str) -> strata::Session {
    strata::load(reference, &uncached(), &|_| {})
        .unwrap_or_else(|e| panic!("loading {reference}: {e}"))
}

/// `strata report --json` parsed.
/// No local engine: the sockets a bare name's engines are asked on do not exist, so a registry
/// error about a bare name reads the same whatever runs on the machine.
pub const NO_ENGINES: [(&str, &str); 2] = [
    ("DOCKER_HOST", "unix:///nonexistent/strata-test/docker.sock"),
    (
        "CONTAINER_HOST",
        "unix:///nonexistent/strata-test/podman.sock",
    ),
];

/// What a registry error about a bare name says of the engines, under `NO_ENGINES`.
pub const NO_ENGINE_HAS_IT: &str = "no local engine has it either (docker: not running (no \
     socket at /nonexistent/strata-test/docker.sock); podman: not running (no socket at \
     /nonexistent/strata-test/podman.sock))";

pub fn report_json(image: &str) -> serde_json::Value {
    let (code, out, err) = strata(&["report", "--json", image]);
    assert_eq!(code, 0, "strata report --json {image} failed: {err}");
    serde_json::from_str(&out).unwrap()
}

pub fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// Runs a reference tool, failing the test with its stderr if it fails or is missing.
pub fn run_tool(cmd: &str, args: &[&str]) {
    let out = Command::new(cmd).args(args).output().unwrap_or_else(|e| {
        panic!("{cmd} is required by this test (the test command installs it): {e}")
    });
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One path of a filesystem listing: kind and, for regular files, size.
pub type Listing = BTreeMap<String, (String, u64)>;

/// What `umoci unpack` makes of a docker archive: skopeo converts it to an OCI layout, umoci
/// applies the layers to a rootfs, and the rootfs is listed.
pub fn umoci_listing(docker_archive: &Path) -> Listing {
    let dir = tempdir();
    let layout = dir.path().join("layout");
    let bundle = dir.path().join("bundle");
    run_tool(
        "skopeo",
        &[
            "copy",
            "--quiet",
            &format!("docker-archive:{}", docker_archive.display()),
            &format!("oci:{}:t", layout.display()),
        ],
    );
    run_tool(
        "umoci",
        &[
            "unpack",
            "--image",
            &format!("{}:t", layout.display()),
            bundle.to_str().unwrap(),
        ],
    );
    let rootfs = bundle.join("rootfs");
    let mut out = Listing::new();
    walk(&rootfs, &rootfs, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Listing) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let meta = std::fs::symlink_metadata(&p).unwrap();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let ft = meta.file_type();
        use std::os::unix::fs::FileTypeExt;
        let kind = if ft.is_dir() {
            "dir"
        } else if ft.is_symlink() {
            "symlink"
        } else if ft.is_file() {
            "file"
        } else if ft.is_fifo() {
            "fifo"
        } else if ft.is_char_device() {
            "char_device"
        } else {
            "block_device"
        };
        let size = if ft.is_file() { meta.len() } else { 0 };
        out.insert(rel, (kind.to_string(), size));
        if ft.is_dir() {
            walk(root, &p, out);
        }
    }
}

pub fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) {
    for (name, data) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
}

/// An OCI layout whose index.json points at a multi-platform index; `arch` may carry a
/// variant (`arm/v7`). Each image's config names its platform.
pub fn nested_layout(dir: &Path, platforms: &[(&str, &str)]) -> Vec<String> {
    let mut files = Vec::new();
    let mut entries = Vec::new();
    let mut digests = Vec::new();
    for (i, (os, arch)) in platforms.iter().enumerate() {
        let s = Spec::new().platform(&format!("{os}/{arch}")).layer(
            "x",
            vec![
                file("etc/arch", arch.as_bytes()),
                file("etc/n", &noise(i as u64, 100 * (i + 1))),
            ],
        );
        let one = s.oci_files(Comp::Gzip);
        let (_, index) = one.iter().find(|(n, _)| n == "index.json").unwrap();
        let idx: serde_json::Value = serde_json::from_slice(index).unwrap();
        let mut desc = idx["manifests"][0].clone();
        desc["platform"] = match arch.split_once('/') {
            Some((arch, variant)) => {
                serde_json::json!({"os": os, "architecture": arch, "variant": variant})
            }
            None => serde_json::json!({"os": os, "architecture": arch}),
        };
        desc.as_object_mut().unwrap().remove("annotations");
        digests.push(desc["digest"].as_str().unwrap().to_string());
        entries.push(desc);
        files.extend(one.into_iter().filter(|(n, _)| n.starts_with("blobs/")));
    }
    // Buildkit adds attestation manifests with an unknown platform; they never count.
    entries.push(serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digests[0], "size": 1,
        "platform": {"os": "unknown", "architecture": "unknown"}}));
    let inner = serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries})).unwrap();
    let inner_digest = sha(&inner);
    files.push((
        format!("blobs/sha256/{}", &inner_digest[7..]),
        inner.clone(),
    ));
    let top = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": inner_digest, "size": inner.len(),
        "annotations": {"org.opencontainers.image.ref.name": "multi"}}]});
    files.push(("index.json".into(), serde_json::to_vec(&top).unwrap()));
    files.push((
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    ));
    write_files(dir, &files);
    digests
}

/// The top and bottom lines of a rendered screen: the panels' titles and the footer, which
/// say what is shown (layer, mode, sort, filter) whatever the scroll offsets.
pub fn title_and_footer(screen: &str) -> (String, String) {
    let lines: Vec<&str> = screen.lines().collect();
    (
        without_scroll_marks(lines.first().unwrap_or(&"")),
        lines.last().unwrap_or(&"").to_string(),
    )
}

/// A border line without its `▲ N more` mark: how far a list is scrolled depends on where
/// the user scrolled it (at whatever size), which the titles themselves do not.
fn without_scroll_marks(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(" ▲ ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + " ▲ ".len()..];
        match after.find(" more ") {
            Some(end) => {
                out.push_str(&"─".repeat(after[..end + " more ".len()].chars().count() + 3));
                rest = &after[end + " more ".len()..];
            }
            None => {
                out.push_str(" ▲ ");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
