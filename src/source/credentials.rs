//! Registry credentials, found where docker, podman and skopeo keep them. The first place
//! that has credentials for the registry wins:
//! 1. `--username NAME --password-stdin`;
//! 2. `$REGISTRY_AUTH_FILE`;
//! 3. `$XDG_RUNTIME_DIR/containers/auth.json`;
//! 4. `$HOME/.config/containers/auth.json`;
//! 5. `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
//!
//! In each file: a per-registry `credHelpers` entry (runs `docker-credential-NAME get`), then
//! `auths` (base64 `auth`, or `username`/`password`), then the `credsStore` helper.
//! No secret is ever printed: `Debug` of every type here hides it.

use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use docker_credential::{CredentialRetrievalError, DockerCredential};

/// A password or token; never shown.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Secret {
        Secret(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden>")
    }
}

/// A user name and password for a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: Secret,
}

/// Credentials found for a registry, and where they came from (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub credentials: Credentials,
    pub from: String,
}

/// A configured credential that cannot be used. Messages name the file, never the secret.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("{} holds an identity token for {registry}, which strata cannot exchange; log in with a user name and password or pass --username/--password-stdin", file.display())]
    IdentityToken { file: PathBuf, registry: String },
    #[error("{}: not a valid auth file (bad JSON)", file.display())]
    BadFile { file: PathBuf },
    /// The helper's output may hold secrets: only its name is shown.
    #[error("{helper} (configured in {}) failed for {registry}", file.display())]
    HelperFailed {
        helper: String,
        file: PathBuf,
        registry: String,
    },
    #[error("a credential helper configured in {} for {registry} could not be run (is docker-credential-* on PATH?)", file.display())]
    HelperMissing { file: PathBuf, registry: String },
    #[error("{}: {source} for {registry}", file.display())]
    Other {
        file: PathBuf,
        registry: String,
        #[source]
        source: CredentialRetrievalError,
    },
}

/// Looks up credentials for `registry` (`host[:port]`, `docker.io` for Docker Hub).
/// `Ok(None)`: none configured, so strata goes anonymous. `Err`: a configured helper failed
/// or an entry cannot be used.
pub fn lookup(
    registry: &str,
    explicit: Option<&Credentials>,
) -> Result<Option<Found>, CredentialsError> {
    if let Some(c) = explicit {
        return Ok(Some(Found {
            credentials: c.clone(),
            from: "--username/--password-stdin".into(),
        }));
    }
    for file in auth_files() {
        let Ok(f) = File::open(&file) else { continue };
        let server = server_key(registry);
        match docker_credential::get_credential_from_reader(BufReader::new(f), server) {
            Ok(DockerCredential::UsernamePassword(username, password)) => {
                return Ok(Some(Found {
                    credentials: Credentials {
                        username,
                        password: Secret(password),
                    },
                    from: file.display().to_string(),
                }))
            }
            Ok(DockerCredential::IdentityToken(_)) => {
                return Err(CredentialsError::IdentityToken {
                    file,
                    registry: registry.into(),
                })
            }
            Err(CredentialRetrievalError::NoCredentialConfigured) => continue,
            Err(CredentialRetrievalError::ConfigReadError) => {
                return Err(CredentialsError::BadFile { file })
            }
            Err(CredentialRetrievalError::HelperFailure { helper, .. }) => {
                return Err(CredentialsError::HelperFailed {
                    helper,
                    file,
                    registry: registry.into(),
                });
            }
            Err(CredentialRetrievalError::HelperCommunicationError) => {
                return Err(CredentialsError::HelperMissing {
                    file,
                    registry: registry.into(),
                })
            }
            Err(source) => {
                return Err(CredentialsError::Other {
                    file,
                    registry: registry.into(),
                    source,
                })
            }
        }
    }
    Ok(None)
}

/// The key docker uses for a registry in `auths` and when calling helpers.
fn server_key(registry: &str) -> &str {
    match registry {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => "https://index.docker.io/v1/",
        other => other,
    }
}

/// The auth files to look in, in order (see the module comment).
pub fn auth_files() -> Vec<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let mut files = Vec::new();
    if let Some(f) = env("REGISTRY_AUTH_FILE") {
        files.push(f);
    }
    if let Some(d) = env("XDG_RUNTIME_DIR") {
        files.push(d.join("containers/auth.json"));
    }
    let home = env("HOME");
    if let Some(h) = &home {
        files.push(h.join(".config/containers/auth.json"));
    }
    match env("DOCKER_CONFIG") {
        Some(d) => files.push(d.join("config.json")),
        None => {
            if let Some(h) = &home {
                files.push(h.join(".docker/config.json"));
            }
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let c = Credentials {
            username: "ci".into(),
            password: Secret::new("hunter2".into()),
        };
        let shown = format!("{c:?} {:?}", Some(&c));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("ci"));
    }
}
