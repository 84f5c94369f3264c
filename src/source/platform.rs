//! Platforms (`os/arch[/variant]`) as OCI indexes name them, and the host's.

use super::model::{Format, ImageMeta, Platform};
use crate::error::{Error, Result};

/// The platform strata runs on, in OCI's spelling.
pub fn host() -> Platform {
    let architecture = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    };
    Platform {
        os: "linux".into(),
        architecture: architecture.into(),
        variant: None,
    }
}

/// Parses `os/arch[/variant]`: two or three parts, none of them empty (`linux/amd64/` is
/// malformed, not `linux/amd64` with an empty variant), none with spaces or control characters.
pub fn parse(s: &str) -> Option<Platform> {
    let parts: Vec<&str> = s.split('/').collect();
    let ok = |p: &&str| !p.is_empty() && !p.chars().any(|c| c.is_whitespace() || c.is_control());
    if !(2..=3).contains(&parts.len()) || !parts.iter().all(ok) {
        return None;
    }
    Some(Platform {
        os: parts[0].into(),
        architecture: parts[1].into(),
        variant: parts.get(2).map(|v| v.to_string()),
    })
}

/// `--platform` as given, parsed: `None` when not given; the one error every source gives for
/// a malformed one.
pub fn wanted(platform: Option<&str>, input: &str) -> Result<Option<Platform>> {
    match platform {
        None => Ok(None),
        Some(p) => parse(p).map(Some).ok_or_else(|| Error::Unsupported {
            input: input.into(),
            reason: format!(
                "bad --platform {}: expected os/arch[/variant]",
                crate::tree::printable(p, 100)
            ),
        }),
    }
}

/// Checks `--platform` against an image that comes without a choice of platforms (a `docker
/// save` archive, or one an engine sent): its config's platform must match, as with dive and
/// skopeo; otherwise the error names the platform the image has. A config that names no
/// os/architecture is taken as it is, and so is one without a variant when a variant is asked.
pub fn check_single(meta: &ImageMeta, input: &str, platform: Option<&str>) -> Result<()> {
    let Some(want) = wanted(platform, input)? else {
        return Ok(());
    };
    let config = &meta.config;
    let (Some(os), Some(architecture)) = (
        config.os.as_deref().filter(|s| !s.is_empty()),
        config.architecture.as_deref().filter(|s| !s.is_empty()),
    ) else {
        return Ok(());
    };
    let have = Platform {
        os: os.into(),
        architecture: architecture.into(),
        variant: config.variant.clone().filter(|v| !v.is_empty()),
    };
    let lenient = Platform {
        variant: want.variant.clone().filter(|_| have.variant.is_some()),
        ..want.clone()
    };
    if matches(&lenient, &have) {
        return Ok(());
    }
    Err(Error::Platform {
        input: input.into(),
        wanted: want.display(),
        available: have.display(),
    })
}

/// `check_single` for the images that have no choice of platforms: docker archives, whether
/// opened from a path or sent by an engine. Other formats choose by platform from their index
/// (see `oci_layout`) and are left alone here, but a malformed `--platform` is rejected for
/// every format alike.
pub fn check_opened(meta: &ImageMeta, input: &str, platform: Option<&str>) -> Result<()> {
    match meta.format {
        Format::DockerArchive | Format::Engine(_) => check_single(meta, input, platform),
        _ => wanted(platform, input).map(|_| ()),
    }
}

/// Whether `candidate` satisfies `wanted`; a wanted platform without a variant takes any.
pub fn matches(wanted: &Platform, candidate: &Platform) -> bool {
    wanted.os == candidate.os
        && wanted.architecture == candidate.architecture
        && (wanted.variant.is_none() || wanted.variant == candidate.variant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_match() {
        let want = parse("linux/arm64").unwrap_or_default();
        let v8 = parse("linux/arm64/v8").unwrap_or_default();
        assert!(matches(&want, &v8));
        assert!(!matches(&v8, &want));
        assert!(parse("linux").is_none());
        assert!(parse("a/b/c/d").is_none());
        for bad in [
            "",
            "nonsense",
            "linux/",
            "/amd64",
            "linux//v8",
            "linux/amd64/",
            "linux/amd64//",
            "linux/ amd64",
            "linux/amd64\n",
        ] {
            assert!(parse(bad).is_none(), "{bad:?}");
        }
        assert_eq!(
            parse("linux/amd64").map(|p| p.variant),
            Some(None),
            "no variant"
        );
        assert_eq!(v8.display(), "linux/arm64/v8");
    }

    fn archive(os: &str, arch: &str, variant: Option<&str>) -> ImageMeta {
        ImageMeta {
            reference: "a.tar".into(),
            format: Format::DockerArchive,
            manifest_digest: None,
            config_digest: crate::blob::digest::Digest::of(b"{}"),
            names: Vec::new(),
            annotations: Default::default(),
            config: super::super::model::ImageConfig {
                os: Some(os.into()),
                architecture: Some(arch.into()),
                variant: variant.map(str::to_string),
                ..Default::default()
            },
            layers: Vec::new(),
        }
    }

    #[test]
    fn a_single_image_has_only_its_own_platform() {
        let amd64 = archive("linux", "amd64", None);
        let ok = |m: &ImageMeta, p: Option<&str>| check_opened(m, "a.tar", p).is_ok();
        let err = |m: &ImageMeta, p: &str| match check_opened(m, "a.tar", Some(p)) {
            Err(e) => e.to_string(),
            Ok(()) => format!("{p} accepted"),
        };
        assert!(ok(&amd64, None));
        assert!(ok(&amd64, Some("linux/amd64")));
        assert_eq!(
            err(&amd64, "linux/arm64"),
            "a.tar: no image for platform linux/arm64; available: linux/amd64"
        );
        assert_eq!(
            err(&amd64, "nonsense"),
            "a.tar: bad --platform nonsense: expected os/arch[/variant]"
        );
        assert_eq!(
            err(&amd64, "linux/amd64/"),
            "a.tar: bad --platform linux/amd64/: expected os/arch[/variant]"
        );
        let v8 = archive("linux", "arm64", Some("v8"));
        assert!(ok(&v8, Some("linux/arm64")));
        assert!(ok(&v8, Some("linux/arm64/v8")));
        assert!(!ok(&v8, Some("linux/arm64/v7")));
        // No variant in the config: any variant of the architecture is taken.
        assert!(ok(&archive("linux", "arm64", None), Some("linux/arm64/v8")));
        // Formats that choose from an index only get the syntax check here.
        let mut oci = archive("linux", "amd64", None);
        oci.format = Format::OciLayout;
        assert!(ok(&oci, Some("linux/arm64")));
        assert!(!ok(&oci, Some("linux/")));
    }
}
