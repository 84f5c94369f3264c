//! Docker-style image references (`nginx:alpine`, `host:port/ns/app:tag@sha256:...`), parsed
//! by hand into an `oci_client::Reference`.
//!
//! The grammar and normalisation are those of distribution/reference (the same as oci-spec's
//! `Reference::from_str`, checked for parity by the tests below), without its regular
//! expression: compiling that regex costs ~40 ms on every registry open, a third of the time a
//! cached reopen takes. Two deliberate differences, both as docker behaves: tags are ASCII
//! (`[A-Za-z0-9_][A-Za-z0-9_.-]*` as the distribution spec says), where oci-spec's `\w` also
//! admits non-ASCII letters; and `Foo/bar` (an uppercase first component that is not a host)
//! is refused, where oci-spec accepts it as the repository `Foo/bar`.

use oci_client::Reference;

/// What is wrong with a reference, worded as docker words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("repository name must have at least one component")]
    NoRepository,
    #[error("invalid reference format")]
    Format,
    #[error("repository name must be lowercase")]
    Uppercase,
    #[error("repository name must not be more than 255 characters")]
    TooLong,
    #[error("unsupported digest algorithm")]
    DigestAlgorithm,
    #[error("invalid checksum digest length")]
    DigestLength,
}

const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_LEGACY: &str = "index.docker.io";
const NAME_TOTAL_LENGTH_MAX: usize = 255;
const TAG_LENGTH_MAX: usize = 128;

/// Parses `s` the way `docker pull` does; the error says what is wrong with it.
pub fn parse(s: &str) -> Result<Reference, RefError> {
    if s.is_empty() {
        return Err(RefError::NoRepository);
    }
    let (rest, digest) = match s.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (s, None),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..])),
        None => (rest, None),
    };
    if !valid_name(name) {
        return Err(RefError::Format);
    }
    if let Some(tag) = tag {
        if !valid_tag(tag) {
            return Err(RefError::Format);
        }
    }
    if let Some(digest) = digest {
        check_digest(digest)?;
    }
    let (registry, repository) = split_domain(name);
    // `Foo/bar` passes the grammar (`Foo` could be a host) but is no host, so `Foo` is part
    // of the repository, which must be lowercase (docker says so; oci-spec accepts it and
    // then prints a reference it cannot parse back).
    if !repository.split('/').all(valid_component) {
        return Err(RefError::Uppercase);
    }
    if repository.len() > NAME_TOTAL_LENGTH_MAX {
        return Err(RefError::TooLong);
    }
    let (registry, repository) = (registry.to_string(), repository);
    Ok(match (tag, digest) {
        (Some(t), Some(d)) => {
            Reference::with_tag_and_digest(registry, repository, t.into(), d.into())
        }
        (None, Some(d)) => Reference::with_digest(registry, repository, d.into()),
        (Some(t), None) => Reference::with_tag(registry, repository, t.into()),
        (None, None) => Reference::with_tag(registry, repository, "latest".into()),
    })
}

/// `[domain/]component(/component)*`: the first part is a domain only if it also parses as
/// one and something follows it (what the regex's optional group does by backtracking).
fn valid_name(name: &str) -> bool {
    let path_ok = |p: &str| p.split('/').all(valid_component);
    path_ok(name)
        || name
            .split_once('/')
            .is_some_and(|(domain, path)| valid_domain(domain) && path_ok(path))
}

/// `[a-z0-9]+` joined by `.`, `_`, `__` or any run of `-`.
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-')) {
            return false;
        }
    }
    true
}

/// Dot-separated host labels (letters, digits, inner `-`) with an optional `:port`.
fn valid_domain(d: &str) -> bool {
    let host = match d.split_once(':') {
        Some((host, port)) => {
            if port.is_empty() || !port.bytes().all(|x| x.is_ascii_digit()) {
                return false;
            }
            host
        }
        None => d,
    };
    host.split('.').all(|label| {
        let b = label.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
    })
}

fn valid_tag(t: &str) -> bool {
    let word = |x: u8| x.is_ascii_alphanumeric() || x == b'_';
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= TAG_LENGTH_MAX
        && word(b[0])
        && b.iter().all(|x| word(*x) || *x == b'.' || *x == b'-')
}

/// `algorithm:hex`, with the lengths of the algorithms registries know.
fn check_digest(d: &str) -> Result<(), RefError> {
    let Some((algorithm, hex)) = d.split_once(':') else {
        return Err(RefError::Format);
    };
    let alg_ok = !algorithm.is_empty()
        && algorithm.split(['-', '_', '+', '.']).all(|part| {
            part.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
                && part.bytes().all(|x| x.is_ascii_alphanumeric())
        });
    if !alg_ok || hex.len() < 32 || !hex.bytes().all(|x| x.is_ascii_hexdigit()) {
        return Err(RefError::Format);
    }
    let expected = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err(RefError::DigestAlgorithm),
    };
    if hex.len() != expected {
        return Err(RefError::DigestLength);
    }
    Ok(())
}

/// docker.io when the first part is not a host (no `.` or `:`, not `localhost`), and Docker
/// Hub's official images under `library/`.
fn split_domain(name: &str) -> (&str, String) {
    let (mut domain, remainder) = match name.split_once('/') {
        Some((left, right)) if left.contains(['.', ':']) || left == "localhost" => (left, right),
        _ => (DOCKER_HUB, name),
    };
    if domain == DOCKER_HUB_LEGACY {
        domain = DOCKER_HUB;
    }
    if domain == DOCKER_HUB && !remainder.contains('/') {
        return (domain, format!("library/{remainder}"));
    }
    (domain, remainder.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_as_oci_spec(s: &str) {
        let theirs: Result<Reference, _> = s.parse();
        let ours = parse(s);
        match (&theirs, &ours) {
            // The one place where we are stricter (see the module doc).
            (Ok(a), Err(_)) if a.repository().bytes().any(|b| b.is_ascii_uppercase()) => {}
            (Ok(a), Ok(b)) => assert_eq!(
                (a.registry(), a.repository(), a.tag(), a.digest()),
                (b.registry(), b.repository(), b.tag(), b.digest()),
                "{s:?}"
            ),
            (Err(_), Err(_)) => {}
            _ => panic!("{s:?}: oci-spec {theirs:?}, ours {ours:?}"),
        }
    }

    const SHA: &str = "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

    #[test]
    fn normalises_like_docker() {
        let cases = [
            ("nginx", "docker.io", "library/nginx", Some("latest"), None),
            (
                "nginx:alpine",
                "docker.io",
                "library/nginx",
                Some("alpine"),
                None,
            ),
            (
                "index.docker.io/x",
                "docker.io",
                "library/x",
                Some("latest"),
                None,
            ),
            (
                "bitnami/redis:7",
                "docker.io",
                "bitnami/redis",
                Some("7"),
                None,
            ),
            ("localhost/a", "localhost", "a", Some("latest"), None),
            (
                "127.0.0.1:5000/ns/app:v1",
                "127.0.0.1:5000",
                "ns/app",
                Some("v1"),
                None,
            ),
            (
                "test.com:5000",
                "docker.io",
                "library/test.com",
                Some("5000"),
                None,
            ),
        ];
        for (input, registry, repository, tag, digest) in cases {
            let r = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(
                (r.registry(), r.repository(), r.tag(), r.digest()),
                (registry, repository, tag, digest),
                "{input}"
            );
            same_as_oci_spec(input);
        }
        let r = parse(&format!("ghcr.io/o/app:1.2@{SHA}")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.tag(), r.digest()), (Some("1.2"), Some(SHA)));
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(
            parse("").err().map(|e| e.to_string()).as_deref(),
            Some("repository name must have at least one component")
        );
        assert_eq!(
            parse("Nginx").err().map(|e| e.to_string()).as_deref(),
            Some("invalid reference format")
        );
        assert_eq!(
            parse("Foo/bar").err().map(|e| e.to_string()).as_deref(),
            Some("repository name must be lowercase")
        );
        // Found by the fuzzer's round-trip property (fuzz/fuzz_targets/reference.rs).
        let found = "doKcker-daem/nr.e";
        assert_eq!(
            parse(found).err().map(|e| e.to_string()).as_deref(),
            Some("repository name must be lowercase")
        );
        assert_eq!(
            parse("a@sha256:abc")
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("invalid reference format")
        );
        let short = format!("a@{}", &SHA[..SHA.len() - 2]);
        assert_eq!(
            parse(&short).err().map(|e| e.to_string()).as_deref(),
            Some("invalid checksum digest length")
        );
        let md5 = "a@md5:ffffffffffffffffffffffffffffffff";
        assert_eq!(
            parse(md5).err().map(|e| e.to_string()).as_deref(),
            Some("unsupported digest algorithm")
        );
        let long = format!("r.io/{}", "a".repeat(256));
        assert_eq!(
            parse(&long).err().map(|e| e.to_string()).as_deref(),
            Some("repository name must not be more than 255 characters")
        );
    }

    #[test]
    fn agrees_with_oci_spec_on_fixed_cases() {
        let cases = [
            "busybox",
            "test.com:tag",
            "test.com/repo:tag",
            "test:5000/repo",
            "test:5000/repo:tag",
            "lowercase:Uppercase",
            "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
            "b.gcr.io/test.example.com/my-app:test.example.com",
            "xn--n3h.com/myimage:xn--n3h.com",
            "foo_bar.com:8080",
            "foo/foo_bar.com:8080",
            "opensuse/leap:15.3",
            "Foo/bar",
            "a/B",
            "a__b",
            "a___b",
            "a--b",
            "a-",
            "-a",
            "a..b",
            "a._b",
            "a//b",
            "/a",
            "a/",
            ":tag",
            "a:",
            "a:-x",
            "a:.x",
            "a:_x",
            "a@",
            "@sha256:x",
            "a:b:c",
            "h:1:2/a",
            "h:/a",
            "h:x/a",
            "-h.com/a",
            "h-.com/a",
            "h..com/a",
            "UPPER.com/a",
            "a b",
            "a\tb",
            "a:b c",
            "a/b@c",
            "localhost:5000/a",
            "localhost/a/b/c:d",
            "a.b",
            "a.b/c",
            "a:b/c",
            "a@md5:0123",
        ];
        for s in cases {
            same_as_oci_spec(s);
        }
        same_as_oci_spec(&format!("test:5000/repo:tag@{SHA}"));
        same_as_oci_spec(&format!(
            "a@{}",
            SHA.to_uppercase().replacen("SHA", "sha", 1)
        ));
        same_as_oci_spec(&format!("a:{}", "t".repeat(128)));
        same_as_oci_spec(&format!("a:{}", "t".repeat(129)));
    }

    /// Random strings over the characters references are made of, compared with oci-spec's
    /// regex parser (deterministic xorshift, so a failure reproduces).
    #[test]
    fn agrees_with_oci_spec_on_random_strings() {
        const ALPHABET: &[u8] = b"ab0Z.-_/:@:/.-lhost";
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut accepted = 0;
        for _ in 0..50_000 {
            let len = (next() % 14) as usize;
            let s: String = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize] as char)
                .collect();
            same_as_oci_spec(&s);
            accepted += usize::from(parse(&s).is_ok());
            let with_digest = format!("{s}@{SHA}");
            same_as_oci_spec(&with_digest);
        }
        // Both outcomes must be well represented for the comparison to mean something.
        assert!(
            (2_000..45_000).contains(&accepted),
            "{accepted} of 50000 accepted"
        );
    }
}
