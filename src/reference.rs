//! Image references: skopeo-style transport prefixes, or a bare path whose kind is detected.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where an image comes from, as the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    /// `docker-archive:PATH[:NAME]`: a `docker save` tar (or an extracted one, a directory).
    DockerArchive { path: PathBuf, name: Option<String> },
    /// `oci-archive:PATH[:TAG]`: an OCI image layout packed in a tar.
    OciArchive { path: PathBuf, tag: Option<String> },
    /// `oci:DIR[:TAG]`: an OCI image layout directory.
    OciLayout { path: PathBuf, tag: Option<String> },
    /// A bare path: the kind is read from its contents.
    Path(PathBuf),
}

impl ImageRef {
    /// Parses what the user typed. Registry and engine references are recognised so they get
    /// a clear "not supported yet" instead of a confusing "no such file".
    pub fn parse(input: &str) -> Result<ImageRef> {
        if input.is_empty() {
            return Err(Error::Unsupported {
                input: "''".into(),
                reason: "empty image reference".into(),
            });
        }
        if let Some(rest) = input.strip_prefix("docker-archive:") {
            let (path, name) = split_suffix(rest);
            return Ok(ImageRef::DockerArchive { path, name });
        }
        if let Some(rest) = input.strip_prefix("oci-archive:") {
            let (path, tag) = split_suffix(rest);
            return Ok(ImageRef::OciArchive { path, tag });
        }
        if let Some(rest) = input.strip_prefix("oci:") {
            let (path, tag) = split_suffix(rest);
            return Ok(ImageRef::OciLayout { path, tag });
        }
        for prefix in [
            "docker://",
            "docker-daemon:",
            "podman:",
            "containers-storage:",
        ] {
            if input.starts_with(prefix) {
                return Err(Error::Unsupported {
                    input: input.into(),
                    reason: format!("the '{prefix}' transport is not supported yet; save the image with `docker save` or `skopeo copy` and open the archive"),
                });
            }
        }
        let path = PathBuf::from(input);
        if path.exists() {
            return Ok(ImageRef::Path(path));
        }
        if looks_like_registry_ref(input) {
            return Err(Error::Unsupported {
                input: input.into(),
                reason: "no such file, and pulling from a registry is not supported yet; save the image with `docker save` or `skopeo copy` and open the archive".into(),
            });
        }
        Err(Error::Open {
            input: input.into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
        })
    }

    /// The file or directory this reference reads.
    pub fn path(&self) -> &Path {
        match self {
            ImageRef::DockerArchive { path, .. }
            | ImageRef::OciArchive { path, .. }
            | ImageRef::OciLayout { path, .. }
            | ImageRef::Path(path) => path,
        }
    }
}

/// `PATH:SUFFIX` where PATH may contain ':' and SUFFIX too (`x.tar:name:tag`): the whole
/// string wins when it exists, then the shortest existing PATH, else the last ':' splits.
fn split_suffix(rest: &str) -> (PathBuf, Option<String>) {
    if Path::new(rest).exists() {
        return (PathBuf::from(rest), None);
    }
    for (i, _) in rest.match_indices(':') {
        if i > 0 && Path::new(&rest[..i]).exists() {
            return (PathBuf::from(&rest[..i]), Some(rest[i + 1..].to_string()));
        }
    }
    match rest.rsplit_once(':') {
        Some((path, suffix)) if !path.is_empty() && !suffix.contains('/') => {
            (PathBuf::from(path), Some(suffix.to_string()))
        }
        _ => (PathBuf::from(rest), None),
    }
}

/// `nginx`, `nginx:alpine`, `ghcr.io/a/b@sha256:...`: no path separators that start with `.`
/// or `/`, no file extension typical of archives.
fn looks_like_registry_ref(input: &str) -> bool {
    !input.starts_with('.')
        && !input.starts_with('/')
        && !input.ends_with(".tar")
        && !input.ends_with(".tar.gz")
        && !input.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_split_a_trailing_tag_only_when_the_whole_path_is_missing() {
        assert_eq!(
            ImageRef::parse("oci:/nonexistent/dir:v1").ok(),
            Some(ImageRef::OciLayout {
                path: "/nonexistent/dir".into(),
                tag: Some("v1".into())
            })
        );
        assert_eq!(
            ImageRef::parse("docker-archive:/nonexistent/x.tar").ok(),
            Some(ImageRef::DockerArchive {
                path: "/nonexistent/x.tar".into(),
                name: None
            })
        );
        let dir = std::env::temp_dir();
        let with_colon = format!("oci:{}", dir.display());
        assert_eq!(
            ImageRef::parse(&with_colon).ok(),
            Some(ImageRef::OciLayout {
                path: dir.clone(),
                tag: None
            })
        );
    }

    #[test]
    fn registry_names_and_missing_files_get_distinct_errors() {
        let e = ImageRef::parse("nginx:alpine").err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("registry")));
        let e = ImageRef::parse("./missing.tar")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("./missing.tar: no such file or directory")
        );
        let e = ImageRef::parse("docker-daemon:x")
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("not supported yet")));
    }
}
