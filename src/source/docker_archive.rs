//! `docker save` archives: `manifest.json` names the config and the layer tars, in the legacy
//! `<id>/layer.tar` form or the OCI-in-docker `blobs/sha256/<hex>` form (Docker 25+).

use super::store::Store;
use super::{parse_json, read_verified};
use crate::model::digest::Digest;
use crate::model::error::{Error, Result};
use crate::model::image::{DockerManifestEntry, Format, ImageConfig, ImageMeta, LayerDesc};
use crate::model::limits::Limits;

/// Reads the metadata of the image `name` (a RepoTag) or of the archive's only image.
pub fn read(store: &dyn Store, name: Option<&str>, limits: &Limits) -> Result<ImageMeta> {
    let raw = read_verified(store, "manifest.json", None, "manifest.json", limits)?;
    let entries: Vec<DockerManifestEntry> = parse_json(&raw, "manifest.json")?;
    let entry = pick(&entries, name)?;

    let config_digest = digest_from_name(&entry.config);
    let config_raw = read_verified(
        store,
        &entry.config,
        config_digest.as_ref(),
        "image config",
        limits,
    )?;
    let config: ImageConfig = parse_json(&config_raw, "image config")?;
    let diff_ids = config.diff_ids();
    if !diff_ids.is_empty() && diff_ids.len() != entry.layers.len() {
        return Err(Error::Format {
            what: "manifest.json".into(),
            reason: format!(
                "the config lists {} layers (diff_ids) but the manifest {}",
                diff_ids.len(),
                entry.layers.len()
            ),
        });
    }

    let mut layers = Vec::with_capacity(entry.layers.len());
    for (i, blob) in entry.layers.iter().enumerate() {
        let Some(size) = store.size(blob) else {
            return Err(Error::MissingBlob {
                what: format!("manifest.json layer {i}"),
                blob: blob.clone(),
            });
        };
        let diff_id = match diff_ids.get(i) {
            Some(d) => Some(Digest::parse(d).ok_or_else(|| Error::Format {
                what: "image config".into(),
                reason: format!("diff_id {d} is not a sha256 digest"),
            })?),
            None => None,
        };
        let source = diff_ids
            .get(i)
            .and_then(|d| entry.layer_sources.as_ref()?.get(d));
        layers.push(LayerDesc {
            blob: blob.clone(),
            digest: digest_from_name(blob),
            diff_id,
            media_type: source
                .map(|s| s.media_type.clone())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "application/vnd.docker.image.rootfs.diff.tar".into()),
            compressed_size: size,
            annotations: Default::default(),
        });
    }
    Ok(ImageMeta {
        // The session names the input (`crate::load`).
        reference: String::new(),
        format: Format::DockerArchive,
        manifest_digest: None,
        config_digest: config_digest.unwrap_or_else(|| Digest::of(&config_raw)),
        names: entry.repo_tags.clone().unwrap_or_default(),
        annotations: Default::default(),
        config,
        layers,
    })
}

fn pick<'a>(
    entries: &'a [DockerManifestEntry],
    name: Option<&str>,
) -> Result<&'a DockerManifestEntry> {
    let tags = |e: &DockerManifestEntry| e.repo_tags.clone().unwrap_or_default();
    match (name, entries) {
        (_, []) => Err(Error::NotAnImage {
            reason: "manifest.json lists no image".into(),
        }),
        (None, [one]) => Ok(one),
        // The same image listed more than once (under one or several names) is no choice.
        (None, [first, rest @ ..])
            if rest
                .iter()
                .all(|e| e.config == first.config && e.layers == first.layers) =>
        {
            Ok(first)
        }
        (None, many) => Err(Error::Unsupported {
            reason: format!(
                "the archive holds {} images ({}); choose one with docker-archive:PATH:NAME",
                many.len(),
                many.iter().flat_map(tags).collect::<Vec<_>>().join(", ")
            ),
        }),
        (Some(want), all) => all
            .iter()
            .find(|e| {
                tags(e)
                    .iter()
                    .any(|t| t == want || t.ends_with(&format!("/{want}")))
            })
            .ok_or_else(|| Error::Unsupported {
                reason: format!(
                    "no image named {want} in the archive; it has: {}",
                    all.iter().flat_map(tags).collect::<Vec<_>>().join(", ")
                ),
            }),
    }
}

/// `blobs/sha256/<hex>` and `<hex>.json` carry their digest in their name.
fn digest_from_name(name: &str) -> Option<Digest> {
    if let Some(hex) = name.strip_prefix("blobs/sha256/") {
        return Digest::from_hex(hex);
    }
    name.strip_suffix(".json").and_then(Digest::from_hex)
}
