//! What a source yields: the image's metadata and where each layer blob is. Shapes follow the
//! OCI image spec and Docker's `docker save` format; unknown fields are ignored.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use crate::model::digest::Digest;

/// The source format an image was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    DockerArchive,
    OciArchive,
    OciLayout,
    Registry,
    /// A `docker save` archive a local engine sent.
    Engine(Engine),
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::DockerArchive => "docker-archive",
            Format::OciArchive => "oci-archive",
            Format::OciLayout => "oci",
            Format::Registry => "registry",
            Format::Engine(Engine::Docker) => "docker-daemon",
            Format::Engine(Engine::Podman) => "podman",
        }
    }
}

/// One layer blob as the manifest describes it.
#[derive(Debug, Clone)]
pub struct LayerDesc {
    /// Path of the blob inside the archive or layout.
    pub blob: String,
    /// Digest of the blob as stored (compressed); verified while it streams when known.
    pub digest: Option<Digest>,
    /// Digest of the uncompressed tar, from the config; verified while it streams.
    pub diff_id: Option<Digest>,
    pub media_type: String,
    /// Bytes of the blob as stored.
    pub compressed_size: u64,
    /// The manifest descriptor's annotations (OCI and Docker v2 manifests; empty for sources
    /// without descriptors). eStargz and zstd:chunked layers say here where their table of
    /// contents is and what it hashes to (`load::toc_read`).
    pub annotations: BTreeMap<String, String>,
}

/// Everything about an image except its layer contents.
#[derive(Debug, Clone)]
pub struct ImageMeta {
    pub reference: String,
    pub format: Format,
    /// Manifest digest, where the source has a manifest blob (OCI).
    pub manifest_digest: Option<Digest>,
    /// Digest of the config blob: the image ID docker shows.
    pub config_digest: Digest,
    /// Names the archive gives the image (docker `RepoTags`, OCI `ref.name`).
    pub names: Vec<String>,
    /// Manifest annotations (OCI), e.g. `org.opencontainers.image.base.name`.
    pub annotations: BTreeMap<String, String>,
    pub config: ImageConfig,
    pub layers: Vec<LayerDesc>,
}

/// The image config blob (`application/vnd.oci.image.config.v1+json`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ImageConfig {
    pub architecture: Option<String>,
    pub os: Option<String>,
    pub variant: Option<String>,
    pub created: Option<String>,
    pub config: Option<RuntimeConfig>,
    pub rootfs: Option<RootFs>,
    pub history: Option<Vec<History>>,
}

impl ImageConfig {
    /// `os/arch[/variant]`, or `unknown`.
    pub fn platform(&self) -> String {
        let os = self.os.as_deref().unwrap_or("unknown");
        let arch = self.architecture.as_deref().unwrap_or("unknown");
        match self.variant.as_deref() {
            Some(v) if !v.is_empty() => format!("{os}/{arch}/{v}"),
            _ => format!("{os}/{arch}"),
        }
    }

    pub fn diff_ids(&self) -> &[String] {
        self.rootfs
            .as_ref()
            .and_then(|r| r.diff_ids.as_deref())
            .unwrap_or(&[])
    }
}

/// The part of the config a container starts from.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq)]
#[serde(default)]
pub struct RuntimeConfig {
    #[serde(rename = "User")]
    pub user: Option<String>,
    #[serde(rename = "Env")]
    pub env: Option<Vec<String>>,
    #[serde(rename = "Entrypoint")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(rename = "Cmd")]
    pub cmd: Option<Vec<String>>,
    #[serde(rename = "WorkingDir")]
    pub working_dir: Option<String>,
    #[serde(rename = "ExposedPorts")]
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(rename = "Labels")]
    pub labels: Option<BTreeMap<String, String>>,
    // The fields below came later; a value of the wrong type is read as absent (`lenient`)
    // rather than refusing an image that loaded before they were read.
    #[serde(rename = "Volumes", deserialize_with = "lenient")]
    pub volumes: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(rename = "StopSignal", deserialize_with = "lenient")]
    pub stop_signal: Option<String>,
    #[serde(rename = "Healthcheck", deserialize_with = "lenient")]
    pub healthcheck: Option<Healthcheck>,
    #[serde(rename = "Shell", deserialize_with = "lenient")]
    pub shell: Option<Vec<String>>,
    #[serde(rename = "OnBuild", deserialize_with = "lenient")]
    pub on_build: Option<Vec<String>>,
    #[serde(rename = "ArgsEscaped", deserialize_with = "lenient")]
    pub args_escaped: Option<bool>,
}

/// `HEALTHCHECK` as docker records it: durations in nanoseconds, 0 or absent for the default.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq)]
#[serde(default)]
pub struct Healthcheck {
    /// `["CMD", ...]`, `["CMD-SHELL", "..."]`, or `["NONE"]` (checks inherited are off).
    #[serde(rename = "Test", deserialize_with = "lenient")]
    pub test: Option<Vec<String>>,
    #[serde(rename = "Interval", deserialize_with = "lenient")]
    pub interval: Option<i64>,
    #[serde(rename = "Timeout", deserialize_with = "lenient")]
    pub timeout: Option<i64>,
    #[serde(rename = "StartPeriod", deserialize_with = "lenient")]
    pub start_period: Option<i64>,
    #[serde(rename = "StartInterval", deserialize_with = "lenient")]
    pub start_interval: Option<i64>,
    #[serde(rename = "Retries", deserialize_with = "lenient")]
    pub retries: Option<i64>,
}

/// A value of the expected type, else `None` (a `null`, or a type no builder writes).
fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RootFs {
    pub diff_ids: Option<Vec<String>>,
}

/// One step of the config's history; `empty_layer` steps made no layer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct History {
    pub created: Option<String>,
    pub created_by: Option<String>,
    pub comment: Option<String>,
    pub empty_layer: Option<bool>,
}

/// An OCI descriptor (also the shape of docker `LayerSources` values).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    pub platform: Option<Platform>,
    pub annotations: Option<HashMap<String, String>>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    pub fn display(&self) -> String {
        match self.variant.as_deref() {
            Some(v) if !v.is_empty() => format!("{}/{}/{v}", self.os, self.architecture),
            _ => format!("{}/{}", self.os, self.architecture),
        }
    }
}

/// An OCI image index or Docker manifest list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Index {
    pub manifests: Vec<Descriptor>,
}

/// An OCI image manifest or Docker v2 schema 2 manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    #[serde(default)]
    pub annotations: Option<HashMap<String, String>>,
}

/// One image of a `docker save` `manifest.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct DockerManifestEntry {
    #[serde(rename = "Config")]
    pub config: String,
    #[serde(rename = "RepoTags", default)]
    pub repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    pub layers: Vec<String>,
    #[serde(rename = "LayerSources", default)]
    pub layer_sources: Option<HashMap<String, Descriptor>>,
}

/// A local container engine speaking the Docker Engine API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Docker,
    Podman,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Docker => "docker",
            Engine::Podman => "podman",
        }
    }
}

/// Which digests a layer's bytes were checked against, in this run or when they entered the
/// cache (`verified` in the JSON report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Verified {
    /// The blob as stored, against the digest it is addressed by.
    pub digest: bool,
    /// The uncompressed tar, against the config's diff_id.
    pub diff_id: bool,
}

impl Verified {
    /// The JSON form: `["digest"]`, `["diff_id"]` or both.
    pub fn names(self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.digest {
            out.push("digest");
        }
        if self.diff_id {
            out.push("diff_id");
        }
        out
    }

    /// As a byte for the cache's records.
    pub fn bits(self) -> u8 {
        u8::from(self.digest) | (u8::from(self.diff_id) << 1)
    }

    pub fn from_bits(b: u8) -> Verified {
        Verified {
            digest: b & 1 != 0,
            diff_id: b & 2 != 0,
        }
    }
}
