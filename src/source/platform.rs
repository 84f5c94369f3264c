//! Platforms (`os/arch[/variant]`) as OCI indexes name them, and the host's.

use super::model::Platform;

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

/// Parses `os/arch[/variant]`.
pub fn parse(s: &str) -> Option<Platform> {
    let mut parts = s.split('/');
    let os = parts.next().filter(|p| !p.is_empty())?;
    let architecture = parts.next().filter(|p| !p.is_empty())?;
    let variant = parts.next().map(str::to_string);
    if parts.next().is_some() {
        return None;
    }
    Some(Platform {
        os: os.into(),
        architecture: architecture.into(),
        variant,
    })
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
        assert_eq!(v8.display(), "linux/arm64/v8");
    }
}
