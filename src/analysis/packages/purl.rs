//! Package URLs (DESIGN section 3b `purl`), built as the package-url specification says
//! (docs/specification/how-to-build.md and docs/types/definitions/*.md in package-url/purl-spec):
//! components percent-encoded with only letters, digits, `.-_~` and `:` left as they are,
//! empty qualifiers dropped, qualifiers sorted by key.
//!
//! The `packageurl` crate is not used: its encode set leaves `/` and `&` in qualifier values
//! as they are (the spec's own tests want `%2F`), and it keeps qualifiers in a HashMap. The
//! encoding is the `percent-encoding` crate's, with the spec's allowed set.
//!
//! Per type, against syft 1.18 (whose output strata's inventories are checked against):
//! - deb: `pkg:deb/<distro id>/<name>@<version>?arch=&distro=<id>-<version_id>&upstream=`,
//!   as syft (syft/pkg/cataloger/debian/package.go lines 58-90 at v1.18.0), the epoch kept in
//!   the version as the spec's examples do (`attr@1:2.4.47-2`). Without a distro the
//!   namespace is `debian` (syft writes no purl at all), as the type requires one. syft's
//!   `upstream` carries the source version too (`util-linux@2.38.1-5+deb12u3`, and
//!   `bash@5.2.15-2` for a binNMU); `Record` keeps only the source name, so strata's
//!   `upstream` is the name, and only where it differs from the package's.
//! - apk: `pkg:apk/<distro id>/<name>@<version>?arch=&distro=&upstream=<origin>`, as syft
//!   (alpine/package.go lines 38-62), default namespace `alpine`. The name is lowercased as
//!   the spec says (syft keeps its case; Alpine names are lowercase anyway).
//! - rpm: `pkg:rpm/<distro id>/<name>@<version>-<release>?arch=&epoch=&distro=&upstream=`,
//!   the epoch a qualifier as the spec says and syft does (redhat/package.go lines 87-123),
//!   `rhel` written `redhat` as syft writes it. No namespace without a distro (syft's way:
//!   there is no default vendor to guess).
//! - pypi: no namespace, the name lowercased with `_` as `-` (the spec; syft keeps the name
//!   as the metadata writes it).
//! - npm: the scope (`@babel`) as namespace, its `@` encoded (`%40babel`), split at the first
//!   `/` as syft does (javascript/package.go lines 297-314).
//! - golang: namespace = the module path up to its last `/`, name = the rest, case kept (the
//!   type says "case sensitive" and "shall be lowercased" at once; module paths are case
//!   sensitive). syft splits after the second `/` and puts the rest in a subpath
//!   (golang/package.go lines 41-66 at v1.18.0): `github.com/foo/bar/v2` is
//!   `pkg:golang/github.com/foo/bar/v2` here and `pkg:golang/github.com/foo/bar#v2` there.
//!
//! `arch`, `distro` and `upstream` are given for OS packages only, as syft gives them.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::model::packages::{Distro, Ecosystem, Record};

/// What stays unencoded in a component: the spec's Alphanumeric and Punctuation characters,
/// and the colon, which is never encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~')
    .remove(b':');

/// The package URL of a record, given the distribution its image says it is.
pub fn purl(record: &Record, distro: Option<&Distro>) -> String {
    match record.ecosystem {
        Ecosystem::Dpkg => os_purl("deb", &os_namespace(distro, "debian"), record, distro),
        Ecosystem::Apk => os_purl("apk", &os_namespace(distro, "alpine"), record, distro),
        Ecosystem::Rpm => rpm_purl(record, distro),
        Ecosystem::Python => {
            Purl::new("pypi", "", &pypi_name(&record.name), &record.version).to_string()
        }
        Ecosystem::Npm => {
            let (scope, name) = record.name.split_once('/').unwrap_or(("", &record.name));
            Purl::new("npm", scope, name, &record.version).to_string()
        }
        Ecosystem::Go => {
            let (path, name) = record.name.rsplit_once('/').unwrap_or(("", &record.name));
            Purl::new("golang", path, name, &record.version).to_string()
        }
    }
}

/// The parts of a purl before they are encoded.
struct Purl<'a> {
    ty: &'static str,
    namespace: &'a str,
    name: &'a str,
    version: &'a str,
    qualifiers: Vec<(&'static str, String)>,
}

impl<'a> Purl<'a> {
    fn new(ty: &'static str, namespace: &'a str, name: &'a str, version: &'a str) -> Self {
        Purl {
            ty,
            namespace,
            name,
            version,
            qualifiers: Vec::new(),
        }
    }

    fn qualifier(mut self, key: &'static str, value: Option<&str>) -> Self {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            self.qualifiers.push((key, value.to_string()));
        }
        self
    }
}

impl std::fmt::Display for Purl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        for segment in self.namespace.split('/').filter(|s| !s.is_empty()) {
            write!(f, "{}/", encode(segment))?;
        }
        write!(f, "{}", encode(self.name.trim_matches('/')))?;
        if !self.version.is_empty() {
            write!(f, "@{}", encode(self.version))?;
        }
        let mut qualifiers: Vec<&(&str, String)> = self.qualifiers.iter().collect();
        qualifiers.sort_by_key(|(key, _)| *key);
        for (i, (key, value)) in qualifiers.into_iter().enumerate() {
            let separator = if i == 0 { '?' } else { '&' };
            write!(f, "{separator}{key}={}", encode(value))?;
        }
        Ok(())
    }
}

fn encode(component: &str) -> percent_encoding::PercentEncode<'_> {
    utf8_percent_encode(component, COMPONENT)
}

/// The distro's id as a namespace (vendor names are lowercase in purls), or the ecosystem's
/// home distribution when the image does not say.
fn os_namespace(distro: Option<&Distro>, default: &str) -> String {
    match distro.map(|d| d.id.trim()).filter(|id| !id.is_empty()) {
        Some(id) => id.to_lowercase(),
        None => default.to_string(),
    }
}

/// `debian-12`, or the id alone when there is no VERSION_ID (Debian testing), as syft writes
/// it.
fn distro_qualifier(distro: Option<&Distro>) -> Option<String> {
    let distro = distro.filter(|d| !d.id.is_empty())?;
    Some(if distro.version_id.is_empty() {
        distro.id.clone()
    } else {
        format!("{}-{}", distro.id, distro.version_id)
    })
}

/// The source package, when it is not the package itself.
fn upstream(record: &Record) -> Option<&str> {
    record.source.as_deref().filter(|s| *s != record.name)
}

/// deb and apk: the names are not case sensitive and lowercased in purls.
fn os_purl(ty: &'static str, namespace: &str, record: &Record, distro: Option<&Distro>) -> String {
    let name = record.name.to_lowercase();
    Purl::new(ty, namespace, &name, &record.version)
        .qualifier("arch", record.arch.as_deref())
        .qualifier("distro", distro_qualifier(distro).as_deref())
        .qualifier("upstream", upstream(record))
        .to_string()
}

fn rpm_purl(record: &Record, distro: Option<&Distro>) -> String {
    let namespace = match distro.map(|d| d.id.trim().to_lowercase()) {
        Some(id) if id == "rhel" => "redhat".to_string(),
        Some(id) => id,
        None => String::new(),
    };
    let (epoch, version) = rpm_epoch(&record.version);
    Purl::new("rpm", &namespace, &record.name, version)
        .qualifier("arch", record.arch.as_deref())
        .qualifier("epoch", epoch)
        .qualifier("distro", distro_qualifier(distro).as_deref())
        .qualifier("upstream", upstream(record))
        .to_string()
}

/// `1:2.3-4` is epoch 1, version `2.3-4`; without a numeric prefix and colon, no epoch.
fn rpm_epoch(version: &str) -> (Option<&str>, &str) {
    match version.split_once(':') {
        Some((epoch, rest)) if !epoch.is_empty() && epoch.bytes().all(|c| c.is_ascii_digit()) => {
            (Some(epoch), rest)
        }
        _ => (None, version),
    }
}

/// PyPI names are not case sensitive and treat `_` as `-`.
fn pypi_name(name: &str) -> String {
    name.to_lowercase().replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ecosystem: Ecosystem, name: &str, version: &str) -> Record {
        Record::new(ecosystem, name, version)
    }

    fn os(
        ecosystem: Ecosystem,
        name: &str,
        version: &str,
        arch: &str,
        source: Option<&str>,
    ) -> Record {
        let mut r = record(ecosystem, name, version);
        r.arch = Some(arch.to_string());
        r.source = source.map(str::to_string);
        r
    }

    fn bookworm() -> Distro {
        Distro {
            id: "debian".into(),
            version_id: "12".into(),
        }
    }

    /// Entries of syft 1.18.1's JSON for the web and node-app fixtures (debian:bookworm
    /// based): name, version, arch and source from `.metadata`, and syft's `.purl`.
    #[test]
    fn matches_syft_on_real_entries() {
        let debian = bookworm();
        let cases = [
            (
                os(Ecosystem::Dpkg, "adduser", "3.134", "all", None),
                "pkg:deb/debian/adduser@3.134?arch=all&distro=debian-12",
            ),
            (
                os(Ecosystem::Dpkg, "base-files", "12.4+deb12u15", "amd64", None),
                "pkg:deb/debian/base-files@12.4%2Bdeb12u15?arch=amd64&distro=debian-12",
            ),
            (
                os(Ecosystem::Dpkg, "libacl1", "2.3.1-3", "amd64", Some("acl")),
                "pkg:deb/debian/libacl1@2.3.1-3?arch=amd64&distro=debian-12&upstream=acl",
            ),
            (
                os(Ecosystem::Dpkg, "libc6", "2.36-9+deb12u14", "amd64", Some("glibc")),
                "pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12&upstream=glibc",
            ),
            (
                os(Ecosystem::Dpkg, "gcc-12-base", "12.2.0-14+deb12u1", "amd64", Some("gcc-12")),
                "pkg:deb/debian/gcc-12-base@12.2.0-14%2Bdeb12u1?arch=amd64&distro=debian-12&upstream=gcc-12",
            ),
            (
                record(Ecosystem::Npm, "@babel/core", "7.26.0"),
                "pkg:npm/%40babel/core@7.26.0",
            ),
            (
                record(Ecosystem::Npm, "dom-helpers/activeElement", ""),
                "pkg:npm/dom-helpers/activeElement",
            ),
            (record(Ecosystem::Python, "six", "1.16.0"), "pkg:pypi/six@1.16.0"),
            (
                record(Ecosystem::Python, "certifi", "2026.10.19.post1"),
                "pkg:pypi/certifi@2026.10.19.post1",
            ),
            (
                record(Ecosystem::Python, "charset-normalizer", "3.5.3"),
                "pkg:pypi/charset-normalizer@3.5.3",
            ),
        ];
        for (record, want) in cases {
            assert_eq!(purl(&record, Some(&debian)), want, "{}", record.name);
        }
    }

    /// Where strata and syft part, by design (see the module comment).
    #[test]
    fn departs_from_syft_where_the_record_or_the_spec_says_so() {
        let debian = bookworm();
        // syft: ...&upstream=util-linux%402.38.1-5%2Bdeb12u3 (the source version too).
        let bsdutils = os(
            Ecosystem::Dpkg,
            "bsdutils",
            "1:2.38.1-5+deb12u3",
            "amd64",
            Some("util-linux"),
        );
        assert_eq!(
            purl(&bsdutils, Some(&debian)),
            "pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12&upstream=util-linux"
        );
        // syft writes no purl for a deb without a distro.
        let adduser = os(Ecosystem::Dpkg, "adduser", "3.134", "all", None);
        assert_eq!(
            purl(&adduser, None),
            "pkg:deb/debian/adduser@3.134?arch=all"
        );
        // syft keeps the name as METADATA spells it.
        assert_eq!(
            purl(
                &record(Ecosystem::Python, "Typing_Extensions", "4.12.2"),
                None
            ),
            "pkg:pypi/typing-extensions@4.12.2"
        );
        // syft: pkg:golang/github.com/foo/bar@v2.1.0#v2
        assert_eq!(
            purl(
                &record(Ecosystem::Go, "github.com/foo/bar/v2", "v2.1.0"),
                None
            ),
            "pkg:golang/github.com/foo/bar/v2@v2.1.0"
        );
    }

    #[test]
    fn follows_the_spec_for_each_type() {
        let alpine = Distro {
            id: "alpine".into(),
            version_id: "3.18.4".into(),
        };
        let musl = os(Ecosystem::Apk, "musl", "1.2.4-r2", "x86_64", Some("musl"));
        assert_eq!(
            purl(&musl, Some(&alpine)),
            "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.18.4"
        );
        let crypto = os(
            Ecosystem::Apk,
            "libcrypto3",
            "3.1.4-r5",
            "x86_64",
            Some("openssl"),
        );
        assert_eq!(
            purl(&crypto, None),
            "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&upstream=openssl"
        );
        let fedora = Distro {
            id: "fedora".into(),
            version_id: "25".into(),
        };
        let centerim = os(Ecosystem::Rpm, "centerim", "1:4.22.10-1.el6", "i686", None);
        assert_eq!(
            purl(&centerim, Some(&fedora)),
            "pkg:rpm/fedora/centerim@4.22.10-1.el6?arch=i686&distro=fedora-25&epoch=1"
        );
        let rhel = Distro {
            id: "rhel".into(),
            version_id: "9.3".into(),
        };
        let bash = os(
            Ecosystem::Rpm,
            "bash",
            "5.1.8-6.el9",
            "x86_64",
            Some("bash-5.1.8-6.el9.src.rpm"),
        );
        assert_eq!(
            purl(&bash, Some(&rhel)),
            "pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64&distro=rhel-9.3&upstream=bash-5.1.8-6.el9.src.rpm"
        );
        assert_eq!(
            purl(&bash, None).split('?').next(),
            Some("pkg:rpm/bash@5.1.8-6.el9")
        );
        assert_eq!(
            purl(
                &record(Ecosystem::Go, "github.com/gorilla/context", "v1.1.2"),
                None
            ),
            "pkg:golang/github.com/gorilla/context@v1.1.2"
        );
        assert_eq!(
            purl(&record(Ecosystem::Go, "stdlib", "go1.22.1"), None),
            "pkg:golang/stdlib@go1.22.1"
        );
        assert_eq!(
            purl(&record(Ecosystem::Npm, "foobar", "12.3.1+build.5"), None),
            "pkg:npm/foobar@12.3.1%2Bbuild.5"
        );
        let testing = Distro {
            id: "debian".into(),
            version_id: String::new(),
        };
        assert_eq!(
            purl(
                &os(Ecosystem::Dpkg, "Apt", "2.9", "amd64", None),
                Some(&testing)
            ),
            "pkg:deb/debian/apt@2.9?arch=amd64&distro=debian"
        );
    }

    #[test]
    fn hostile_values_are_encoded_not_interpreted() {
        let mut r = os(
            Ecosystem::Dpkg,
            "a/b?c#d",
            "1.0 & @x=y%",
            "amd64&distro=evil",
            Some("src\u{e9}"),
        );
        let out = purl(&r, None);
        assert_eq!(
            out,
            "pkg:deb/debian/a%2Fb%3Fc%23d@1.0%20%26%20%40x%3Dy%25?arch=amd64%26distro%3Devil&upstream=src%C3%A9"
        );
        r.name = String::new();
        r.version = String::new();
        r.arch = None;
        r.source = None;
        assert_eq!(purl(&r, None), "pkg:deb/debian/");
        for ecosystem in Ecosystem::ALL {
            let weird = record(ecosystem, "//@/", "::");
            assert!(purl(&weird, None).starts_with("pkg:"));
        }
    }
}
