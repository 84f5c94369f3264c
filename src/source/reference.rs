//! Image references: skopeo-style transport prefixes, or a bare path whose kind is detected.

use std::path::{Path, PathBuf};

use crate::model::error::{Error, Result};
pub use crate::model::image::Engine;

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
    /// `docker://NAME`: an image in a registry (`nginx:alpine` is
    /// `docker.io/library/nginx:alpine`).
    Registry(String),
    /// `docker-daemon:NAME` / `podman:NAME`: an image in a local engine.
    Engine { engine: Engine, name: String },
    /// A bare name that is not a file: the local engine's image if it has one (like dive),
    /// else the registry's. `--source` decides instead when given.
    Name(String),
}

impl ImageRef {
    /// Parses what the user typed. Registry and engine references are recognised so they get
    /// a clear "not supported yet" instead of a confusing "no such file".
    pub fn parse(input: &str) -> Result<ImageRef> {
        if input.is_empty() {
            return Err(Error::Unsupported {
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
        if let Some(rest) = input.strip_prefix("docker://") {
            return Ok(ImageRef::Registry(non_empty(rest)?));
        }
        for (prefix, engine) in [
            ("docker-daemon:", Engine::Docker),
            ("podman:", Engine::Podman),
        ] {
            if let Some(rest) = input.strip_prefix(prefix) {
                return Ok(ImageRef::Engine {
                    engine,
                    name: non_empty(rest)?,
                });
            }
        }
        if input.starts_with("containers-storage:") {
            return Err(Error::Unsupported {
                reason: "the 'containers-storage:' transport is not supported; use podman:NAME (with `podman system service` running) or save the image with `podman save`".into(),
            });
        }
        let path = PathBuf::from(input);
        if path.exists() {
            return Ok(ImageRef::Path(path));
        }
        if looks_like_registry_ref(input) {
            return Ok(ImageRef::Name(input.to_string()));
        }
        Err(Error::Open(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file or directory",
        )))
    }

    /// The file or directory this reference reads, for the kinds that read one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ImageRef::DockerArchive { path, .. }
            | ImageRef::OciArchive { path, .. }
            | ImageRef::OciLayout { path, .. }
            | ImageRef::Path(path) => Some(path),
            ImageRef::Registry(_) | ImageRef::Engine { .. } | ImageRef::Name(_) => None,
        }
    }
}

fn non_empty(name: &str) -> Result<String> {
    if name.is_empty() {
        return Err(Error::Unsupported {
            reason: "no image name after the transport prefix".into(),
        });
    }
    Ok(name.to_string())
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
    // A mistyped file name must say "no such file", not go to Docker Hub.
    const ARCHIVE_ENDINGS: [&str; 6] = [".tar", ".tar.gz", ".tgz", ".tar.zst", ".gz", ".zst"];
    !input.starts_with('.')
        && !input.starts_with('/')
        && !input.starts_with('~')
        && !ARCHIVE_ENDINGS.iter().any(|e| input.ends_with(e))
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
    fn registry_names_engines_and_missing_files_are_told_apart() {
        assert_eq!(
            ImageRef::parse("nginx:alpine").ok(),
            Some(ImageRef::Name("nginx:alpine".into()))
        );
        assert_eq!(
            ImageRef::parse("docker://127.0.0.1:5000/app:v1").ok(),
            Some(ImageRef::Registry("127.0.0.1:5000/app:v1".into()))
        );
        assert_eq!(
            ImageRef::parse("podman:app:v1").ok(),
            Some(ImageRef::Engine {
                engine: Engine::Podman,
                name: "app:v1".into()
            })
        );
        let e = ImageRef::parse("./missing.tar")
            .err()
            .map(|e| e.about("./missing.tar").to_string());
        assert_eq!(
            e.as_deref(),
            Some("./missing.tar: no such file or directory")
        );
        let e = ImageRef::parse("app-v2.tgz")
            .err()
            .map(|e| e.about("app-v2.tgz").to_string());
        assert_eq!(e.as_deref(), Some("app-v2.tgz: no such file or directory"));
        let e = ImageRef::parse("docker-daemon:")
            .err()
            .map(|e| e.about("docker-daemon:").to_string());
        assert_eq!(
            e.as_deref(),
            Some("docker-daemon:: no image name after the transport prefix")
        );
    }
}
