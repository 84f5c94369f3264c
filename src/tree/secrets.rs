//! Which files look like credentials, by name, and what their content shows (without keeping
//! it): the evidence behind the secret hints. Names are matched on the last component and a
//! few well-known locations.

use super::{FLAG_PRIVATE_KEY, FLAG_TOKEN};

/// Names worth a look at the content, or worth a hint by name alone.
pub fn candidate(path: &str) -> bool {
    kind(path).is_some()
}

/// What kind of credential a path's name suggests.
pub fn kind(path: &str) -> Option<&'static str> {
    let name = crate::model::path::file_name(path);
    let lower = name.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519"
    ) {
        return Some("SSH private key");
    }
    if lower.ends_with(".pem")
        || lower.ends_with(".key")
        || lower.ends_with(".p12")
        || lower.ends_with(".pfx")
    {
        return Some("key or certificate file");
    }
    if lower == ".env" || lower.starts_with(".env.") {
        return Some("environment file");
    }
    if path.ends_with(".aws/credentials") {
        return Some("AWS credentials");
    }
    if matches!(
        lower.as_str(),
        ".npmrc" | ".pypirc" | ".netrc" | ".git-credentials" | ".dockercfg"
    ) {
        return Some("registry or git credentials");
    }
    if path.ends_with(".docker/config.json") {
        return Some("docker registry credentials");
    }
    None
}

/// `FLAG_*` bits for what the content holds.
pub fn scan(content: &[u8]) -> u8 {
    let mut flags = 0;
    if find(content, b"PRIVATE KEY-----") {
        flags |= FLAG_PRIVATE_KEY;
    }
    const TOKENS: [&[u8]; 7] = [
        b"_authToken",
        b"_auth=",
        b"password",
        b"aws_secret_access_key",
        b"\"auth\":",
        b"x-access-token",
        b"ghp_",
    ];
    if TOKENS.iter().any(|t| find(content, t)) {
        flags |= FLAG_TOKEN;
    }
    flags
}

fn find(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_content() {
        assert_eq!(kind("root/.ssh/id_rsa"), Some("SSH private key"));
        assert_eq!(kind("app/.env"), Some("environment file"));
        assert_eq!(kind("root/.aws/credentials"), Some("AWS credentials"));
        assert_eq!(
            kind("etc/ssl/certs/ca.pem"),
            Some("key or certificate file")
        );
        assert_eq!(kind("usr/bin/env"), None);
        assert_eq!(
            scan(b"-----BEGIN OPENSSH PRIVATE KEY-----\nabc"),
            FLAG_PRIVATE_KEY
        );
        assert_eq!(scan(b"//registry.npmjs.org/:_authToken=xyz"), FLAG_TOKEN);
        assert_eq!(scan(b"-----BEGIN CERTIFICATE-----"), 0);
    }
}
