//! Platforms (`os/arch[/variant]`) as OCI indexes name them, and the host's.

use crate::model::error::{Error, Result};
use crate::model::image::{ImageMeta, Platform};

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
pub fn wanted(platform: Option<&str>) -> Result<Option<Platform>> {
    match platform {
        None => Ok(None),
        Some(p) => parse(p).map(Some).ok_or_else(|| Error::Unsupported {
            reason: format!(
                "bad --platform {}: expected os/arch[/variant]",
                crate::model::text::printable(p, 100)
            ),
        }),
    }
}

/// Checks `--platform` against the config of the image opened: it must be of the platform
/// asked for, as with dive and skopeo; otherwise the error names the platform the image has.
/// An index chose by platform already (see `oci_layout`); this catches an image that came
/// without a choice (a `docker save` archive, an engine's archive, a registry tag or layout
/// naming one manifest). A config that names no os/architecture is taken as it is, and so is
/// one without a variant when a variant is asked. A malformed `--platform` is an error.
pub fn check_opened(meta: &ImageMeta, platform: Option<&str>) -> Result<()> {
    let Some(want) = wanted(platform)? else {
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
    // A config without a variant is taken for any variant of its architecture.
    let lenient = Platform {
        variant: want.variant.clone().filter(|_| have.variant.is_some()),
        ..want.clone()
    };
    if matches(&lenient, &have) {
        return Ok(());
    }
    Err(Error::Platform {
        wanted: want.display(),
        available: have.display(),
    })
}

/// `p` in its canonical spelling, as containerd normalises platforms: `aarch64` is `arm64`,
/// `x86_64` is `amd64`, `arm64/v8` is plain `arm64`, `amd64/v1` plain `amd64`, plain `arm`
/// is `arm/v7`, `armhf` `arm/v7`, `armel` `arm/v6`, a bare variant number gets its `v`.
pub fn normalize(p: &Platform) -> Platform {
    let (architecture, forced) = match p.architecture.as_str() {
        "aarch64" => ("arm64", None),
        "x86_64" | "x86-64" => ("amd64", None),
        "armhf" => ("arm", Some("v7")),
        "armel" => ("arm", Some("v6")),
        "i386" => ("386", None),
        other => (other, None),
    };
    let given = p.variant.as_deref().filter(|v| !v.is_empty());
    let variant = match (architecture, forced.or(given)) {
        ("arm64", Some("8" | "v8" | "v8.0")) | ("amd64", Some("v1")) => None,
        ("arm", None) => Some("v7".to_string()),
        (_, Some(v)) if v.starts_with(|c: char| c.is_ascii_digit()) => Some(format!("v{v}")),
        (_, v) => v.map(str::to_string),
    };
    Platform {
        os: p.os.clone(),
        architecture: architecture.into(),
        variant,
    }
}

/// Whether `candidate` satisfies `wanted`, both normalised: same os and architecture, and the
/// same variant when `wanted` names one (`linux/arm64` takes any arm64).
pub fn matches(wanted: &Platform, candidate: &Platform) -> bool {
    let (w, c) = (normalize(wanted), normalize(candidate));
    let any_variant = wanted.variant.as_deref().is_none_or(str::is_empty);
    w.os == c.os && w.architecture == c.architecture && (any_variant || w.variant == c.variant)
}

/// The best of `candidates` for `wanted`: one of exactly that platform (normalised: `arm`
/// means `arm/v7`, `arm64/v8` is `arm64`) before one that only matches (another variant of an
/// architecture asked without a variant). The first such in order wins a tie.
pub fn pick(wanted: &Platform, candidates: &[&Platform]) -> Option<usize> {
    let w = normalize(wanted);
    candidates
        .iter()
        .position(|c| normalize(c) == w)
        .or_else(|| candidates.iter().position(|c| matches(wanted, c)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::image::Format;

    #[test]
    fn parse_and_match() {
        let want = parse("linux/arm64").unwrap_or_default();
        let v8 = parse("linux/arm64/v8").unwrap_or_default();
        assert!(matches(&want, &v8));
        assert!(matches(&v8, &want), "arm64 without a variant is v8");
        assert!(!matches(
            &parse("linux/arm64/v9").unwrap_or_default(),
            &want
        ));
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
            config_digest: crate::model::digest::Digest::of(b"{}"),
            names: Vec::new(),
            annotations: Default::default(),
            config: crate::model::image::ImageConfig {
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
        let ok = |m: &ImageMeta, p: Option<&str>| check_opened(m, p).is_ok();
        let err = |m: &ImageMeta, p: &str| match check_opened(m, Some(p)) {
            Err(e) => e.about("a.tar").to_string(),
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
        // Every format's chosen image is checked: a registry tag or a layout that names one
        // manifest (not an index) has no other platform to offer.
        for format in [Format::OciLayout, Format::Registry] {
            let mut oci = archive("linux", "amd64", None);
            oci.format = format;
            assert!(!ok(&oci, Some("linux/arm64")));
            assert!(ok(&oci, Some("linux/amd64")));
            assert!(!ok(&oci, Some("linux/")));
        }
        // Spellings normalise: aarch64 is arm64, arm64/v8 is arm64.
        assert!(ok(
            &archive("linux", "aarch64", None),
            Some("linux/arm64/v8")
        ));
        assert!(ok(
            &archive("linux", "arm64", Some("v8")),
            Some("linux/arm64")
        ));
    }

    #[test]
    fn variants_normalise_and_an_exact_platform_wins() {
        let p = |s: &str| parse(s).unwrap_or_default();
        let pick_of = |want: &str, have: &[&str]| {
            let have: Vec<Platform> = have.iter().map(|h| p(h)).collect();
            let refs: Vec<&Platform> = have.iter().collect();
            pick(&p(want), &refs)
        };
        // arm64 means v8; arm means v7.
        assert_eq!(
            pick_of("linux/arm64/v8", &["linux/amd64", "linux/arm64"]),
            Some(1)
        );
        assert_eq!(
            pick_of("linux/arm64", &["linux/amd64", "linux/arm64/v8"]),
            Some(1)
        );
        assert_eq!(
            pick_of("linux/arm/v7", &["linux/amd64", "linux/arm"]),
            Some(1)
        );
        assert_eq!(
            pick_of(
                "linux/arm",
                &["linux/amd64", "linux/arm/v6", "linux/arm/v7"]
            ),
            Some(2)
        );
        assert_eq!(
            pick_of("linux/arm/7", &["linux/arm/v6", "linux/arm/v7"]),
            Some(1)
        );
        // Without a variant asked, another variant is taken when there is no exact one.
        assert_eq!(
            pick_of("linux/arm", &["linux/amd64", "linux/arm/v6"]),
            Some(1)
        );
        assert_eq!(
            pick_of("linux/amd64", &["linux/amd64/v3", "linux/amd64"]),
            Some(1)
        );
        assert_eq!(pick_of("linux/amd64", &["linux/amd64/v3"]), Some(0));
        // A variant asked is a variant required.
        assert_eq!(pick_of("linux/arm/v7", &["linux/arm/v6"]), None);
        assert_eq!(pick_of("linux/arm64/v9", &["linux/arm64"]), None);
        assert_eq!(
            pick_of("linux/amd64", &["windows/amd64", "linux/arm64"]),
            None
        );
        assert_eq!(normalize(&p("linux/x86_64/v1")), p("linux/amd64"));
    }
}
