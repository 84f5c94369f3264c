//! The SPDX 2.3 JSON document, as serde structs: of the Rust SPDX crates, `spdx-rs` has seen
//! no release since 2023 and `serde-spdx` generates its types from the schema at build time
//! (its documentation does not build); the part strata writes is small and the schema test
//! (`tests/sbom.rs`) holds it to the published schema.
//!
//! The document DESCRIBES the image (a `CONTAINER` package named by its reference, versioned
//! by its digest), which CONTAINS the distribution (`OPERATING_SYSTEM`, the 2.3 JSON schema's
//! spelling) and each package. Each package has its purl as a `PACKAGE-MANAGER` external
//! reference (what GitHub's dependency submission and grype match on).
//!
//! The layer facts are package annotations, one per fact, annotator `Tool: strata-VERSION`,
//! comment `strata:layer=3`: the names and values of the CycloneDX properties, in the one SPDX
//! 2.3 field that is per package, typed (who said it, when) and meant for tools to add
//! information; `comment` and `sourceInfo` are free text for people (`sourceInfo` says the
//! same in words, as syft fills it). Licences: `licenseDeclared` only ever holds a valid SPDX
//! expression with no `LicenseRef-` (which would need its text in the document), else
//! `NOASSERTION`, with the licence as written in `licenseComments`.

use std::collections::HashSet;

use serde::Serialize;

use super::{facts, shipped, slash, spdx_expression, unique_ids, Error, Stamp, Subject};
use crate::analysis::packages::Inventory;

const NOASSERTION: &str = "NOASSERTION";
const DOCUMENT: &str = "SPDXRef-DOCUMENT";
const IMAGE: &str = "SPDXRef-DocumentRoot-Image";
const OPERATING_SYSTEM: &str = "SPDXRef-OperatingSystem";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdxid: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    packages: Vec<Package>,
    relationships: Vec<Relationship>,
}

#[derive(Serialize)]
struct CreationInfo {
    created: String,
    creators: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Package {
    name: String,
    #[serde(rename = "SPDXID")]
    spdxid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    download_location: &'static str,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    license_concluded: &'static str,
    license_declared: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    license_comments: Option<String>,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_package_purpose: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    annotations: Vec<Annotation>,
}

impl Package {
    fn new(name: &str, spdxid: String, version: &str) -> Package {
        Package {
            name: name.to_string(),
            spdxid,
            version_info: (!version.is_empty()).then(|| version.to_string()),
            download_location: NOASSERTION,
            files_analyzed: false,
            checksums: Vec::new(),
            source_info: None,
            license_concluded: NOASSERTION,
            license_declared: NOASSERTION.to_string(),
            license_comments: None,
            copyright_text: NOASSERTION,
            external_refs: Vec::new(),
            primary_package_purpose: None,
            annotations: Vec::new(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Checksum {
    algorithm: &'static str,
    checksum_value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Annotation {
    annotation_date: String,
    annotation_type: &'static str,
    annotator: String,
    comment: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

/// `text` as an SPDX id string: letters, digits, `.` and `-` (each other character a `-`).
fn idstring(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The document as pretty-printed JSON.
pub fn render(subject: &Subject, inventory: &Inventory, stamp: &Stamp) -> Result<String, Error> {
    let tool = format!("Tool: strata-{}", env!("CARGO_PKG_VERSION"));
    let annotations = |facts: &[(&str, String)]| -> Vec<Annotation> {
        facts
            .iter()
            .map(|(name, value)| Annotation {
                annotation_date: stamp.created.clone(),
                annotation_type: "OTHER",
                annotator: tool.clone(),
                comment: format!("{name}={value}"),
            })
            .collect()
    };
    let contains = |id: &str| Relationship {
        spdx_element_id: IMAGE.to_string(),
        relationship_type: "CONTAINS",
        related_spdx_element: id.to_string(),
    };

    let mut image = Package::new(&subject.reference, IMAGE.to_string(), &subject.digest);
    if let Some(hex) = subject.digest.strip_prefix("sha256:") {
        image.checksums.push(Checksum {
            algorithm: "SHA256",
            checksum_value: hex.to_string(),
        });
    }
    image.primary_package_purpose = Some("CONTAINER");
    image.annotations = annotations(&[
        ("strata:image:id", subject.id.clone()),
        ("strata:image:platform", subject.platform.clone()),
    ]);

    let mut packages = vec![image];
    let mut relationships = vec![Relationship {
        spdx_element_id: DOCUMENT.to_string(),
        relationship_type: "DESCRIBES",
        related_spdx_element: IMAGE.to_string(),
    }];
    if let Some(distro) = &inventory.distro {
        let mut os = Package::new(&distro.id, OPERATING_SYSTEM.to_string(), &distro.version_id);
        os.primary_package_purpose = Some("OPERATING_SYSTEM");
        packages.push(os);
        relationships.push(contains(OPERATING_SYSTEM));
    }

    let shipped = shipped(inventory);
    let ids = unique_ids(
        shipped.iter().map(|p| {
            let id = format!(
                "SPDXRef-Package-{}-{}-{}",
                p.ecosystem.name(),
                idstring(&p.name),
                idstring(&p.version)
            );
            let alternative = format!("{id}-{}", idstring(&p.location));
            (id, alternative)
        }),
        HashSet::from([
            DOCUMENT.to_string(),
            IMAGE.to_string(),
            OPERATING_SYSTEM.to_string(),
        ]),
    );
    for (p, id) in shipped.iter().zip(ids) {
        let mut out = Package::new(&p.name, id.clone(), &p.version);
        out.source_info = Some(format!(
            "acquired package info from {} ({}), first installed in layer {}",
            slash(&p.location),
            p.ecosystem.name(),
            p.layer
        ));
        if let Some(license) = p.license.as_deref().filter(|l| !l.trim().is_empty()) {
            match spdx_expression(license)
                .filter(|e| !e.contains("LicenseRef-") && !e.contains("DocumentRef-"))
            {
                Some(expression) => out.license_declared = expression.to_string(),
                None => out.license_comments = Some(format!("declared license: {license}")),
            }
        }
        if !p.purl.is_empty() {
            out.external_refs.push(ExternalRef {
                reference_category: "PACKAGE-MANAGER",
                reference_type: "purl",
                reference_locator: p.purl.clone(),
            });
        }
        out.annotations = annotations(&facts(p, subject));
        packages.push(out);
        relationships.push(contains(&id));
    }

    let comment = (!inventory.unreadable.is_empty()).then(|| {
        let list: Vec<String> = inventory
            .unreadable
            .iter()
            .map(|u| format!("{} (layer {}): {}", slash(&u.path), u.layer, u.reason))
            .collect();
        format!(
            "Package databases that could not be read (their packages are missing): {}",
            list.join("; ")
        )
    });
    let document = Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdxid: DOCUMENT,
        name: subject.reference.clone(),
        // Unique per document (a new UUID each run), as the specification asks; the host is
        // reserved (RFC 2606) since strata publishes no documents anywhere.
        document_namespace: format!(
            "https://strata.invalid/spdx/{}-{}",
            idstring(&subject.reference),
            stamp.uuid
        ),
        creation_info: CreationInfo {
            created: stamp.created.clone(),
            creators: vec![tool.clone()],
            comment,
        },
        packages,
        relationships,
    };
    Ok(serde_json::to_string_pretty(&document)?)
}
