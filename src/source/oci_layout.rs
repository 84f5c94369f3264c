//! OCI image layouts (a directory, or a tar of one): `index.json` -> (nested indexes) ->
//! manifest -> config and layers. Every blob read is checked against its digest.

use super::platform;
use super::store::Store;
use super::{parse_json, read_verified, SourceOptions};
use crate::model::digest::Digest;
use crate::model::error::{Error, Result};
use crate::model::image::{Descriptor, Format, ImageConfig, ImageMeta, Index, LayerDesc, Manifest};
use crate::model::limits::Limits;

const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Nested indexes deeper than this are treated as a loop.
const MAX_DEPTH: usize = 8;

pub fn read(
    store: &dyn Store,
    tag: Option<&str>,
    opts: &SourceOptions,
    format: Format,
) -> Result<ImageMeta> {
    let limits = &opts.limits;
    let raw = read_verified(store, "index.json", None, "index.json", limits)?;
    let mut index: Index = parse_json(&raw, "index.json")?;
    let wanted = platform::wanted(opts.platform.as_deref())?;
    let mut names = Vec::new();
    let mut tag = tag;
    for _ in 0..MAX_DEPTH {
        let chosen = choose(&index, format, tag, wanted.as_ref())?;
        if let Some(name) = chosen.annotations.as_ref().and_then(|a| a.get(REF_NAME)) {
            names.push(name.clone());
        }
        let digest = descriptor_digest(&chosen)?;
        let blob = read_verified(
            store,
            &blob_path(&digest),
            Some(&digest),
            "manifest",
            limits,
        )?;
        check_size(&blob, &chosen, "manifest")?;
        let value: serde_json::Value = parse_json(&blob, "manifest")?;
        if value.get("manifests").is_some() {
            index = parse_json(&blob, "image index")?;
            tag = None;
            continue;
        }
        image_manifest(&value)?;
        let manifest: Manifest = parse_json(&blob, "manifest")?;
        return build(store, format, digest, manifest, names, limits);
    }
    Err(Error::Format {
        what: "index.json".into(),
        reason: format!("image indexes nested deeper than {MAX_DEPTH} levels"),
    })
}

/// A manifest or config whose length is not its descriptor's `size` is refused, as a layer
/// is: the digest matched, but the index or manifest that names it is wrong.
fn check_size(bytes: &[u8], desc: &Descriptor, what: &str) -> Result<()> {
    if bytes.len() as u64 == desc.size {
        return Ok(());
    }
    Err(Error::Format {
        what: format!("{what} {}", desc.digest),
        reason: format!(
            "the blob is {} bytes, its descriptor says {}",
            bytes.len(),
            desc.size
        ),
    })
}

/// Config media types of container images (an empty one is taken as an image too).
const IMAGE_CONFIGS: [&str; 2] = [
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];

/// Refuses, in one line, what is not an image manifest strata can read: Docker's schema 1
/// (deprecated in 2017, no config, layers top first) and OCI artifacts (Helm charts,
/// signatures, SBOMs...), whose config is not an image config.
fn image_manifest(manifest: &serde_json::Value) -> Result<()> {
    let media_type = manifest.get("mediaType").and_then(|m| m.as_str());
    if manifest.get("schemaVersion").and_then(|v| v.as_u64()) == Some(1)
        || media_type
            .is_some_and(|m| m.starts_with("application/vnd.docker.distribution.manifest.v1"))
    {
        return Err(Error::Unsupported {
            reason:
                "a Docker schema 1 manifest (deprecated since 2017) is not supported; copy the \
                     image once with a current docker or skopeo to convert it"
                    .into(),
        });
    }
    let config_type = manifest
        .get("config")
        .and_then(|c| c.get("mediaType"))
        .and_then(|m| m.as_str())
        .unwrap_or("");
    if !config_type.is_empty() && !IMAGE_CONFIGS.contains(&config_type) {
        let artifact = manifest
            .get("artifactType")
            .and_then(|a| a.as_str())
            .unwrap_or(config_type);
        return Err(Error::NotAnImage {
            reason: format!(
                "an OCI artifact of type {}, not a container image",
                crate::model::text::printable(artifact, 100)
            ),
        });
    }
    Ok(())
}

fn build(
    store: &dyn Store,
    format: Format,
    manifest_digest: Digest,
    manifest: Manifest,
    names: Vec<String>,
    limits: &Limits,
) -> Result<ImageMeta> {
    let config_digest = descriptor_digest(&manifest.config)?;
    let config_raw = read_verified(
        store,
        &blob_path(&config_digest),
        Some(&config_digest),
        "image config",
        limits,
    )?;
    check_size(&config_raw, &manifest.config, "image config")?;
    let config: ImageConfig = parse_json(&config_raw, "image config")?;
    let diff_ids = config.diff_ids();
    if diff_ids.len() != manifest.layers.len() {
        return Err(Error::Format {
            what: "manifest".into(),
            reason: format!(
                "the config lists {} layers (diff_ids) but the manifest {}",
                diff_ids.len(),
                manifest.layers.len()
            ),
        });
    }
    let mut layers = Vec::with_capacity(manifest.layers.len());
    for (i, desc) in manifest.layers.iter().enumerate() {
        let digest = descriptor_digest(desc)?;
        let blob = blob_path(&digest);
        if !store.contains(&blob) {
            return Err(Error::MissingBlob {
                what: format!("manifest layer {i}"),
                blob: digest.to_string(),
            });
        }
        let diff_id = Digest::parse(&diff_ids[i]).ok_or_else(|| Error::Format {
            what: "image config".into(),
            reason: format!("diff_id {} is not a sha256 digest", diff_ids[i]),
        })?;
        layers.push(LayerDesc {
            // The manifest's size: the layer's read checks the blob against it.
            compressed_size: desc.size,
            blob,
            digest: Some(digest),
            diff_id: Some(diff_id),
            media_type: desc.media_type.clone(),
            annotations: desc
                .annotations
                .clone()
                .unwrap_or_default()
                .into_iter()
                .collect(),
        });
    }
    Ok(ImageMeta {
        // The session names the input (`crate::load`).
        reference: String::new(),
        format,
        manifest_digest: Some(manifest_digest),
        config_digest,
        names,
        annotations: manifest
            .annotations
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        config,
        layers,
    })
}

/// Picks one entry of an index: by tag, then by platform; attestation manifests never count.
fn choose(
    index: &Index,
    format: Format,
    tag: Option<&str>,
    wanted: Option<&crate::model::image::Platform>,
) -> Result<Descriptor> {
    let ref_name = |d: &Descriptor| {
        d.annotations
            .as_ref()
            .and_then(|a| a.get(REF_NAME))
            .cloned()
    };
    let mut candidates: Vec<&Descriptor> = index
        .manifests
        .iter()
        .filter(|d| {
            let attestation = d
                .annotations
                .as_ref()
                .and_then(|a| a.get("vnd.docker.reference.type"))
                .is_some_and(|t| t == "attestation-manifest");
            let unknown = d
                .platform
                .as_ref()
                .is_some_and(|p| p.os == "unknown" && p.architecture == "unknown");
            !attestation && !unknown
        })
        .collect();
    if let Some(tag) = tag {
        let all_tags: Vec<String> = candidates.iter().filter_map(|d| ref_name(d)).collect();
        candidates.retain(|d| ref_name(d).as_deref() == Some(tag));
        if candidates.is_empty() {
            return Err(Error::Unsupported {
                reason: format!(
                    "no image tagged {tag}; tags in the layout: {}",
                    if all_tags.is_empty() {
                        "none".to_string()
                    } else {
                        all_tags.join(", ")
                    }
                ),
            });
        }
    }
    // The same manifest listed twice (under one tag or two; a tag asked for
    // was matched above) is one image: the first listing.
    let mut seen = std::collections::HashSet::new();
    candidates.retain(|d| seen.insert(&d.digest));
    // Entries without a platform (SBOMs, signatures and other artifacts next to the images)
    // are not chosen by platform.
    let with_platform: Vec<(&Descriptor, &crate::model::image::Platform)> = candidates
        .iter()
        .filter_map(|d| d.platform.as_ref().map(|p| (*d, p)))
        .collect();
    match candidates.as_slice() {
        [] => Err(Error::NotAnImage {
            reason: "index.json lists no image manifest".into(),
        }),
        // One image: whatever its platform unless --platform asks for another (an index of
        // one platform is no choice to make; the host's platform decides among several).
        [one] => {
            if let (Some(want), Some(have)) = (wanted, one.platform.as_ref()) {
                if !platform::matches(want, have) {
                    return Err(Error::Platform {
                        wanted: want.display(),
                        available: have.display(),
                    });
                }
            }
            Ok((*one).clone())
        }
        _ if !with_platform.is_empty() => {
            let want = wanted.cloned().unwrap_or_else(platform::host);
            let platforms: Vec<&crate::model::image::Platform> =
                with_platform.iter().map(|(_, p)| *p).collect();
            platform::pick(&want, &platforms)
                .map(|i| with_platform[i].0.clone())
                .ok_or_else(|| Error::Platform {
                    wanted: want.display(),
                    available: platforms
                        .iter()
                        .map(|p| p.display())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
        }
        many => {
            let tags: Vec<String> = many.iter().filter_map(|d| ref_name(d)).collect();
            let reason = match format {
                Format::OciLayout | Format::OciArchive => format!(
                    "the layout holds {} images; choose one with oci:DIR:TAG (tags: {})",
                    many.len(),
                    if tags.is_empty() {
                        "none".to_string()
                    } else {
                        tags.join(", ")
                    }
                ),
                _ => format!(
                    "the image index lists {} images and no platform to choose one by",
                    many.len()
                ),
            };
            Err(Error::Unsupported { reason })
        }
    }
}

fn descriptor_digest(desc: &Descriptor) -> Result<Digest> {
    Digest::parse(&desc.digest).ok_or_else(|| Error::Unsupported {
        reason: format!(
            "descriptor digest '{}' is not a sha256 digest (only sha256 is supported)",
            desc.digest
        ),
    })
}

fn blob_path(digest: &Digest) -> String {
    format!("blobs/sha256/{}", digest.hex())
}
