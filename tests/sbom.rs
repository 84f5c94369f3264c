//! `strata sbom`: CycloneDX 1.5 and SPDX 2.3 documents validated against the published JSON
//! schemas (tests/data/sbom, served locally: no network), for a constructed inventory with
//! the awkward cases (scoped npm names, unicode and spaces, licences that are not SPDX
//! expressions, one purl installed twice, removed packages, a database that could not be
//! read) and for the binary's own output. The SPDX 2.3 schema checks shapes only (no formats,
//! no id patterns), so the SPDX rules a schema cannot state are checked here too. And a
//! broken document must fail, or a passing validation would prove nothing.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use jsonschema::{Retrieve, Uri, Validator};
use serde_json::{json, Value};

use strata::analysis::packages::Inventory;
use strata::model::packages::{
    Change, Distro, Ecosystem, Files, Package, PackageChange, Unreadable,
};
use strata::report::sbom::{self, Format, Stamp, Subject};

use crate::support::{strata, tempdir};

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sbom")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Serves the schemas the CycloneDX schema refers to from tests/data/sbom, under the URIs
/// its relative `$ref`s resolve to; anything else is an error, never a download.
struct LocalSchemas(HashMap<String, Value>);

impl Retrieve for LocalSchemas {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        self.0
            .get(uri.as_str())
            .cloned()
            .ok_or_else(|| format!("{uri} is not in tests/data/sbom").into())
    }
}

fn validator(schema: &str) -> Validator {
    let dir = schema_dir();
    let local = LocalSchemas(HashMap::from([
        (
            "http://cyclonedx.org/schema/spdx.schema.json".to_string(),
            read_json(&dir.join("spdx.schema.json")),
        ),
        (
            "http://cyclonedx.org/schema/jsf-0.82.schema.json".to_string(),
            read_json(&dir.join("jsf-0.82.schema.json")),
        ),
    ]));
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .with_retriever(local)
        .build(&read_json(&dir.join(schema)))
        .unwrap()
}

fn cyclonedx_validator() -> Validator {
    validator("bom-1.5.schema.json")
}

fn spdx_validator() -> Validator {
    validator("spdx-2.3.schema.json")
}

/// Every schema error, one line each (empty when valid).
fn errors(validator: &Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn assert_valid(validator: &Validator, doc: &Value) {
    let errors = errors(validator, doc);
    assert!(
        errors.is_empty(),
        "schema errors:\n{}\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(doc).unwrap()
    );
}

fn package(ecosystem: Ecosystem, name: &str, version: &str, purl: &str, location: &str) -> Package {
    Package {
        ecosystem,
        name: name.to_string(),
        version: version.to_string(),
        arch: None,
        purl: purl.to_string(),
        layer: 1,
        changes: vec![PackageChange {
            layer: 1,
            change: Change::Added,
            version: version.to_string(),
        }],
        files: Files::default(),
        size: 1000,
        removed: false,
        hidden_bytes: 0,
        toolchain: false,
        location: location.to_string(),
        license: None,
        source: None,
    }
}

fn subject() -> Subject {
    let diff = |c: char| Some(format!("sha256:{}", c.to_string().repeat(64)));
    Subject {
        reference: "registry.example:5000/team/app:1.0 (ünïcode)".to_string(),
        digest: format!("sha256:{}", "d".repeat(64)),
        id: format!("sha256:{}", "e".repeat(64)),
        platform: "linux/arm64/v8".to_string(),
        diff_ids: vec![diff('a'), None, diff('c')],
    }
}

fn stamp() -> Stamp {
    Stamp {
        created: "2024-05-01T12:00:00Z".to_string(),
        uuid: "0b6f2a4e-8c1d-4e5f-9a7b-3c2d1e0f9a8b".to_string(),
    }
}

/// An inventory with every case the documents must survive.
fn tricky() -> Inventory {
    let mut libc = package(
        Ecosystem::Dpkg,
        "libc6",
        "2.36-9+deb12u4",
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc",
        "var/lib/dpkg/status",
    );
    libc.layer = 0;
    libc.arch = Some("amd64".to_string());
    libc.changes = vec![
        PackageChange {
            layer: 0,
            change: Change::Added,
            version: "2.36-9+deb12u3".to_string(),
        },
        PackageChange {
            layer: 2,
            change: Change::Upgraded,
            version: "2.36-9+deb12u4".to_string(),
        },
    ];
    let mut curl = package(
        Ecosystem::Dpkg,
        "curl",
        "7.88.1-10",
        "pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12",
        "var/lib/dpkg/status",
    );
    curl.removed = true;
    curl.size = 0;
    curl.changes.push(PackageChange {
        layer: 2,
        change: Change::Removed,
        version: "7.88.1-10".to_string(),
    });
    let mut babel = package(
        Ecosystem::Npm,
        "@babel/core",
        "7.24.0",
        "pkg:npm/%40babel/core@7.24.0",
        "usr/src/app/node_modules/@babel/core/package.json",
    );
    babel.license = Some("MIT".to_string());
    let lodash = |location: &str| {
        let mut p = package(
            Ecosystem::Npm,
            "lodash",
            "4.17.21",
            "pkg:npm/lodash@4.17.21",
            location,
        );
        p.license = Some("MIT OR Apache-2.0".to_string());
        p
    };
    let mut zope = package(
        Ecosystem::Python,
        "Zope Interface ünïcode",
        "6.0",
        "pkg:pypi/zope-interface-%C3%BCn%C3%AFcode@6.0",
        "usr/lib/python3/dist-packages/zope_interface-6.0.dist-info/METADATA",
    );
    zope.license = Some(
        "BSD License\n\nCopyright (c) the authors. Permission is hereby granted, free of \
         charge, to any person obtaining a copy"
            .to_string(),
    );
    let mut proprietary = package(
        Ecosystem::Python,
        "internal-tool",
        "1.0",
        "pkg:pypi/internal-tool@1.0",
        "app/internal_tool-1.0.dist-info/METADATA",
    );
    proprietary.license = Some("LicenseRef-Proprietary".to_string());
    let mut gpl = package(
        Ecosystem::Python,
        "old-gpl",
        "0.1",
        "pkg:pypi/old-gpl@0.1",
        "app/old_gpl-0.1.egg-info/PKG-INFO",
    );
    gpl.license = Some("GPL-2.0+".to_string());
    let mut go = package(
        Ecosystem::Go,
        "github.com/spf13/cobra",
        "v1.8.0",
        "pkg:golang/github.com/spf13/cobra@v1.8.0",
        "usr/local/bin/app",
    );
    go.layer = 99; // past the last layer: no diff_id, and no panic
    go.changes.clear();
    let mut bare = package(
        Ecosystem::Apk,
        "weird\nname\t",
        "",
        "",
        "lib/apk/db/installed",
    );
    bare.license = Some("   ".to_string());
    Inventory {
        // Largest first, as the inventory keeps them: the documents sort for themselves.
        packages: vec![
            zope,
            lodash("usr/src/app/node_modules/lodash/package.json"),
            libc,
            curl,
            babel,
            go,
            lodash("usr/src/app/node_modules/a/node_modules/lodash/package.json"),
            bare,
            proprietary,
            gpl,
        ],
        unreadable: vec![Unreadable {
            path: "var/lib/rpm/rpmdb.sqlite".to_string(),
            layer: 1,
            reason: "not an SQLite database".to_string(),
        }],
        unowned: 0,
        distro: Some(Distro {
            id: "debian".to_string(),
            version_id: "12".to_string(),
        }),
        layers: Vec::new(),
        owned: Vec::new(),
    }
}

fn render(format: Format, inventory: &Inventory) -> Value {
    let text = sbom::render(format, &subject(), inventory, &stamp()).unwrap();
    assert!(text.ends_with("}\n"));
    serde_json::from_str(&text).unwrap()
}

fn properties(component: &Value) -> BTreeMap<String, String> {
    component["properties"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn cyclonedx_of_a_tricky_inventory_is_valid_and_complete() {
    let doc = render(Format::CycloneDx, &tricky());
    assert_valid(&cyclonedx_validator(), &doc);

    assert_eq!(doc["specVersion"], "1.5");
    assert_eq!(
        doc["serialNumber"],
        "urn:uuid:0b6f2a4e-8c1d-4e5f-9a7b-3c2d1e0f9a8b"
    );
    assert_eq!(doc["metadata"]["timestamp"], "2024-05-01T12:00:00Z");
    assert_eq!(doc["metadata"]["tools"]["components"][0]["name"], "strata");
    let image = &doc["metadata"]["component"];
    assert_eq!(image["type"], "container");
    assert_eq!(image["name"], subject().reference);
    assert_eq!(image["version"], subject().digest);
    assert_eq!(properties(image)["strata:image:platform"], "linux/arm64/v8");
    let unreadable = properties(&doc["metadata"]);
    assert_eq!(
        unreadable["strata:packages_unreadable"],
        "/var/lib/rpm/rpmdb.sqlite (layer 1): not an SQLite database"
    );

    let components = doc["components"].as_array().unwrap();
    // The distribution, then every package but the removed one, sorted by ecosystem, name,
    // version and location.
    let names: Vec<&str> = components
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "debian",
            "libc6",
            "weird name ",
            "Zope Interface ünïcode",
            "internal-tool",
            "old-gpl",
            "@babel/core",
            "lodash",
            "lodash",
            "github.com/spf13/cobra",
        ]
    );
    assert_eq!(components[0]["type"], "operating-system");
    assert_eq!(components[0]["version"], "12");
    assert!(components[1..].iter().all(|c| c["type"] == "library"));

    let refs: Vec<&str> = components
        .iter()
        .chain([image])
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    assert_eq!(
        refs.iter().collect::<HashSet<_>>().len(),
        refs.len(),
        "{refs:?}"
    );
    assert_eq!(
        &refs[7..9],
        [
            "pkg:npm/lodash@4.17.21|/usr/src/app/node_modules/a/node_modules/lodash/package.json",
            "pkg:npm/lodash@4.17.21|/usr/src/app/node_modules/lodash/package.json",
        ]
    );
    assert_eq!(refs[6], "pkg:npm/%40babel/core@7.24.0");
    assert_eq!(components[6]["purl"], "pkg:npm/%40babel/core@7.24.0");
    // No version and no purl: left out, not empty.
    assert!(components[2].get("version").is_none() && components[2].get("purl").is_none());
    assert!(components[2].get("licenses").is_none());

    let libc = properties(&components[1]);
    assert_eq!(libc["strata:ecosystem"], "dpkg");
    assert_eq!(libc["strata:layer"], "0");
    assert_eq!(
        libc["strata:layer:diff_id"],
        format!("sha256:{}", "a".repeat(64))
    );
    assert_eq!(libc["strata:layer:last_change"], "2");
    assert_eq!(libc["strata:location"], "/var/lib/dpkg/status");
    let cobra = properties(&components[9]);
    assert_eq!(cobra["strata:layer"], "99");
    assert_eq!(cobra["strata:layer:last_change"], "99");
    assert!(!cobra.contains_key("strata:layer:diff_id"));
    // Layer 1 has no diff_id in the config: none is made up.
    assert!(!properties(&components[6]).contains_key("strata:layer:diff_id"));

    // Licences: expressions as expressions, text as a name.
    assert_eq!(components[6]["licenses"], json!([{"expression": "MIT"}]));
    assert_eq!(
        components[7]["licenses"],
        json!([{"expression": "MIT OR Apache-2.0"}])
    );
    assert_eq!(
        components[4]["licenses"],
        json!([{"expression": "LicenseRef-Proprietary"}])
    );
    assert_eq!(
        components[5]["licenses"],
        json!([{"license": {"name": "GPL-2.0+"}}])
    );
    let zope = components[3]["licenses"][0]["license"]["name"]
        .as_str()
        .unwrap();
    assert!(zope.starts_with("BSD License"), "{zope}");
}

/// SPDX 2.3's rules that its JSON schema leaves out: id strings, unique ids, relationships
/// between elements that exist, the creation time's form, licence fields holding only
/// expressions, a namespace URI without `#`.
fn assert_spdx_rules(doc: &Value) {
    let is_idstring = |id: &str| {
        id.strip_prefix("SPDXRef-").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
    };
    let packages = doc["packages"].as_array().unwrap();
    let mut ids = HashSet::from(["SPDXRef-DOCUMENT"]);
    for p in packages {
        let id = p["SPDXID"].as_str().unwrap();
        assert!(is_idstring(id), "{id}");
        assert!(ids.insert(id), "{id} twice");
        for field in ["licenseDeclared", "licenseConcluded"] {
            let value = p[field].as_str().unwrap();
            if value != "NOASSERTION" && value != "NONE" {
                assert!(sbom::spdx_expression(value).is_some(), "{field} {value:?}");
                assert!(!value.contains("LicenseRef-"), "{field} {value:?}");
            }
        }
        for r in p["externalRefs"].as_array().into_iter().flatten() {
            let locator = r["referenceLocator"].as_str().unwrap();
            assert!(!locator.contains(char::is_whitespace), "{locator:?}");
        }
    }
    for r in doc["relationships"].as_array().unwrap() {
        for end in ["spdxElementId", "relatedSpdxElement"] {
            let id = r[end].as_str().unwrap();
            assert!(ids.contains(id), "relationship to unknown {id}");
        }
    }
    let created = doc["creationInfo"]["created"].as_str().unwrap();
    let form = created.len() == 20
        && created.chars().enumerate().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            19 => c == 'Z',
            _ => c.is_ascii_digit(),
        });
    assert!(form, "created {created:?}");
    let namespace = doc["documentNamespace"].as_str().unwrap();
    assert!(namespace.starts_with("https://") && !namespace.contains('#'));
    assert!(!namespace.contains(char::is_whitespace), "{namespace}");
}

#[test]
fn spdx_of_a_tricky_inventory_is_valid_and_complete() {
    let doc = render(Format::Spdx, &tricky());
    assert_valid(&spdx_validator(), &doc);
    assert_spdx_rules(&doc);

    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["dataLicense"], "CC0-1.0");
    assert_eq!(
        doc["documentNamespace"],
        "https://strata.invalid/spdx/registry.example-5000-team-app-1.0---n-code--\
         0b6f2a4e-8c1d-4e5f-9a7b-3c2d1e0f9a8b"
    );
    assert_eq!(
        doc["creationInfo"]["creators"],
        json!(["Tool: strata-0.1.0"])
    );
    assert!(doc["creationInfo"]["comment"]
        .as_str()
        .unwrap()
        .contains("/var/lib/rpm/rpmdb.sqlite (layer 1): not an SQLite database"));

    let packages = doc["packages"].as_array().unwrap();
    let by_id: BTreeMap<&str, &Value> = packages
        .iter()
        .map(|p| (p["SPDXID"].as_str().unwrap(), p))
        .collect();
    let image = by_id["SPDXRef-DocumentRoot-Image"];
    assert_eq!(image["primaryPackagePurpose"], "CONTAINER");
    assert_eq!(image["versionInfo"], subject().digest);
    assert_eq!(by_id["SPDXRef-OperatingSystem"]["name"], "debian");
    assert_eq!(
        by_id["SPDXRef-OperatingSystem"]["primaryPackagePurpose"],
        "OPERATING_SYSTEM"
    );
    assert!(
        packages.iter().all(|p| p["name"] != "curl"),
        "removed package listed"
    );
    assert_eq!(packages.len(), 2 + 9);

    let libc = by_id["SPDXRef-Package-dpkg-libc6-2.36-9-deb12u4"];
    assert_eq!(
        libc["externalRefs"],
        json!([{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator":
                "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc"
        }])
    );
    let notes: Vec<&str> = libc["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["annotator"], "Tool: strata-0.1.0");
            assert_eq!(a["annotationType"], "OTHER");
            a["comment"].as_str().unwrap()
        })
        .collect();
    let diff_id = format!("strata:layer:diff_id=sha256:{}", "a".repeat(64));
    assert_eq!(
        notes,
        [
            "strata:ecosystem=dpkg",
            "strata:layer=0",
            diff_id.as_str(),
            "strata:layer:last_change=2",
            "strata:location=/var/lib/dpkg/status",
        ]
    );

    // The same purl twice: two packages, told apart by where they are installed.
    let lodash: Vec<&str> = by_id
        .keys()
        .copied()
        .filter(|id| id.starts_with("SPDXRef-Package-npm-lodash-"))
        .collect();
    assert_eq!(
        lodash,
        [
            "SPDXRef-Package-npm-lodash-4.17.21-usr-src-app-node-modules-a-node-modules-lodash-package.json",
            "SPDXRef-Package-npm-lodash-4.17.21-usr-src-app-node-modules-lodash-package.json",
        ]
    );
    assert_eq!(by_id[lodash[0]]["licenseDeclared"], "MIT OR Apache-2.0");

    // Licence text is never put where an expression belongs.
    let zope = packages
        .iter()
        .find(|p| p["name"] == "Zope Interface ünïcode")
        .unwrap();
    assert_eq!(zope["licenseDeclared"], "NOASSERTION");
    assert!(zope["licenseComments"]
        .as_str()
        .unwrap()
        .starts_with("declared license: BSD License"));
    let proprietary = packages
        .iter()
        .find(|p| p["name"] == "internal-tool")
        .unwrap();
    assert_eq!(proprietary["licenseDeclared"], "NOASSERTION");
    assert_eq!(
        proprietary["licenseComments"],
        "declared license: LicenseRef-Proprietary"
    );

    // DESCRIBES the image, which CONTAINS everything else.
    let relationships = doc["relationships"].as_array().unwrap();
    assert_eq!(
        relationships[0],
        json!({
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": "SPDXRef-DocumentRoot-Image"
        })
    );
    let contained: HashSet<&str> = relationships[1..]
        .iter()
        .map(|r| {
            assert_eq!(r["spdxElementId"], "SPDXRef-DocumentRoot-Image");
            assert_eq!(r["relationshipType"], "CONTAINS");
            r["relatedSpdxElement"].as_str().unwrap()
        })
        .collect();
    assert_eq!(contained.len(), packages.len() - 1);
}

#[test]
fn documents_do_not_depend_on_the_inventory_s_order() {
    let inventory = tricky();
    let mut reversed = inventory.clone();
    reversed.packages.reverse();
    for format in [Format::CycloneDx, Format::Spdx] {
        let a = sbom::render(format, &subject(), &inventory, &stamp()).unwrap();
        let b = sbom::render(format, &subject(), &reversed, &stamp()).unwrap();
        assert_eq!(a, b, "{format:?}");
    }
}

#[test]
fn an_empty_inventory_still_gives_valid_documents() {
    let empty = Inventory::default();
    let doc = render(Format::CycloneDx, &empty);
    assert_valid(&cyclonedx_validator(), &doc);
    assert_eq!(doc["components"], json!([]));
    let doc = render(Format::Spdx, &empty);
    assert_valid(&spdx_validator(), &doc);
    assert_spdx_rules(&doc);
    // A distribution without VERSION_ID (Debian testing) has no version, not an empty one.
    let testing = Inventory {
        distro: Some(Distro {
            id: "debian".to_string(),
            version_id: String::new(),
        }),
        ..Inventory::default()
    };
    let doc = render(Format::CycloneDx, &testing);
    assert_valid(&cyclonedx_validator(), &doc);
    assert!(doc["components"][0].get("version").is_none());
    let doc = render(Format::Spdx, &testing);
    assert_valid(&spdx_validator(), &doc);
    assert!(doc["packages"][1].get("versionInfo").is_none());
}

/// What is broken, and how.
type Breakage = (&'static str, fn(&mut Value));

/// The validation can fail: each broken copy of a valid document is refused, formats
/// (draft-07 `date-time`) and the licence id list from the referenced schema included.
#[test]
fn broken_documents_fail_validation() {
    let cyclonedx = render(Format::CycloneDx, &tricky());
    let breakages: [Breakage; 6] = [
        ("serial number", |d| {
            d["serialNumber"] = json!("urn:uuid:nope")
        }),
        ("timestamp format", |d| {
            d["metadata"]["timestamp"] = json!("yesterday")
        }),
        ("component without a name", |d| {
            d["components"][1].as_object_mut().unwrap().remove("name");
        }),
        ("unknown component type", |d| {
            d["components"][1]["type"] = json!("package")
        }),
        ("licence id not on the SPDX list", |d| {
            d["components"][1]["licenses"] = json!([{"license": {"id": "Not-A-Licence"}}])
        }),
        ("unknown field", |d| d["layers"] = json!(3)),
    ];
    let v = cyclonedx_validator();
    for (what, breakage) in breakages {
        let mut doc = cyclonedx.clone();
        breakage(&mut doc);
        assert!(!errors(&v, &doc).is_empty(), "CycloneDX with {what} passed");
    }
    // And a known licence id passes (the referenced list is really read).
    let mut doc = cyclonedx.clone();
    doc["components"][1]["licenses"] = json!([{"license": {"id": "Apache-2.0"}}]);
    assert_valid(&v, &doc);

    let spdx = render(Format::Spdx, &tricky());
    let breakages: [Breakage; 4] = [
        ("package without SPDXID", |d| {
            d["packages"][2].as_object_mut().unwrap().remove("SPDXID");
        }),
        ("annotation type", |d| {
            d["packages"][2]["annotations"][0]["annotationType"] = json!("NOTE")
        }),
        ("reference category", |d| {
            d["packages"][2]["externalRefs"][0]["referenceCategory"] = json!("PACKAGE_MANAGER")
        }),
        ("unknown package field", |d| {
            d["packages"][2]["layer"] = json!(0)
        }),
    ];
    let v = spdx_validator();
    for (what, breakage) in breakages {
        let mut doc = spdx.clone();
        breakage(&mut doc);
        assert!(!errors(&v, &doc).is_empty(), "SPDX with {what} passed");
    }
}

/// `strata sbom` on the demo image, as a user runs it: both formats valid (with however many
/// packages the inventory finds there), one summary line on stderr.
#[test]
fn the_binary_s_documents_are_valid() {
    let (code, out, err) = strata(&["sbom", "assets/demo.tar"]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_valid(&cyclonedx_validator(), &doc);
    assert_eq!(doc["metadata"]["component"]["name"], "assets/demo.tar");
    assert!(err.contains("CycloneDX 1.5 SBOM of "), "{err}");

    let (code, out, err) = strata(&["sbom", "assets/demo.tar", "--format", "spdx", "-q"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_valid(&spdx_validator(), &doc);
    assert_spdx_rules(&doc);

    // Two runs are two documents (the specifications want a new serial number and
    // namespace each time), of the same image.
    let (_, again, _) = strata(&["sbom", "assets/demo.tar", "--format", "spdx", "-q"]);
    let again: Value = serde_json::from_str(&again).unwrap();
    assert_ne!(doc["documentNamespace"], again["documentNamespace"]);
    assert_eq!(
        doc["packages"][0]["versionInfo"],
        again["packages"][0]["versionInfo"]
    );
}

#[test]
fn output_files_are_never_overwritten_without_force() {
    let dir = tempdir();
    let path = dir.path().join("sbom.json");
    let file = path.to_str().unwrap();

    let (code, out, err) = strata(&["sbom", "assets/demo.tar", "-o", file]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "", "the document went to stdout too");
    assert!(err.contains(&format!("written to {file}")), "{err}");
    let doc = read_json(&path);
    assert_valid(&cyclonedx_validator(), &doc);
    // The mode `File::create` gives here (0666 less the umask), not a temp file's 0600.
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let usual = dir.path().join("usual");
    std::fs::File::create(&usual).unwrap();
    assert_eq!(mode(&path), mode(&usual));
    std::fs::remove_file(&usual).unwrap();

    std::fs::write(&path, "mine").unwrap();
    let (code, _, err) = strata(&["sbom", "assets/demo.tar", "--format", "spdx", "-o", file]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!("strata: error: writing the SBOM: {file} exists; --force replaces it\n")
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");

    let (code, _, err) = strata(&[
        "sbom",
        "assets/demo.tar",
        "--format",
        "spdx",
        "-o",
        file,
        "--force",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_valid(&spdx_validator(), &read_json(&path));
    // Nothing left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["sbom.json"]);

    // A directory that does not exist: one line naming the file, no panic.
    let missing = dir.path().join("no/such/dir/sbom.json");
    let (code, _, err) = strata(&["sbom", "assets/demo.tar", "-o", missing.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("strata: error: writing the SBOM: "),
        "{err}"
    );
    assert!(err.contains("sbom.json"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_bad_image_is_one_line_and_exit_2() {
    let (code, out, err) = strata(&["sbom", "docker-archive:/no/such/image.tar"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert!(err.starts_with("strata: error: "), "{err}");
    let (code, _, err) = strata(&["sbom", "assets/demo.tar", "--format", "swid"]);
    assert_eq!(code, 2, "{err}");
}
