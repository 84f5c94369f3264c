//! The CycloneDX 1.5 JSON document, built with `cyclonedx-bom` (the CycloneDX project's own
//! Rust library, which owns the 1.5 field names and shapes) rather than hand-written structs.
//!
//! Shaped as syft shapes images, so grype and Dependency-Track read it as they read syft's:
//! `metadata.component` is the image (`container`, named by its reference, versioned by its
//! digest); each package is a `library` component with its purl (which tells a scanner the
//! ecosystem and, through `distro=`, the distribution); the distribution itself, when
//! os-release names it, is an `operating-system` component named by its `ID` and versioned by
//! its `VERSION_ID` (where grype looks for it). Layer facts are `strata:` properties.
//!
//! Licences: a valid SPDX expression goes in `expression` (a single id too: `license.id` must
//! be on the schema's list of ids, which lags the SPDX list the expression parser knows);
//! anything else in `license.name`, as written.

use std::collections::HashSet;
use std::str::FromStr;

use cyclonedx_bom::models::component::Classification;
use cyclonedx_bom::models::license::{LicenseChoice, Licenses};
use cyclonedx_bom::models::property::{Properties, Property};
use cyclonedx_bom::models::tool::Tools;
use cyclonedx_bom::prelude::{
    Bom, Component, Components, DateTime, Metadata, Purl, SpdxExpression, SpecVersion, UrnUuid,
};

use super::{facts, shipped, spdx_expression, unique_ids, Error, Stamp, Subject};
use crate::analysis::packages::Inventory;

/// The document as pretty-printed JSON.
pub fn render(subject: &Subject, inventory: &Inventory, stamp: &Stamp) -> Result<String, Error> {
    let serial = format!("urn:uuid:{}", stamp.uuid);
    let serial = UrnUuid::new(serial.clone()).map_err(|_| Error::Invalid {
        what: "serial number",
        value: serial,
    })?;
    let timestamp = DateTime::try_from(stamp.created.clone()).map_err(|_| Error::Invalid {
        what: "timestamp",
        value: stamp.created.clone(),
    })?;

    // The image ID, where syft's reader (grype's) looks for it.
    let image_ref = subject.id.clone();
    let mut components = Vec::new();
    let mut taken = HashSet::from([image_ref.clone()]);
    if let Some(distro) = &inventory.distro {
        let os_ref = format!("os:{}@{}", distro.id, distro.version_id);
        let mut os = Component::new(
            Classification::OperatingSystem,
            &distro.id,
            &distro.version_id,
            Some(os_ref.clone()),
        );
        if distro.version_id.is_empty() {
            os.version = None;
        }
        taken.insert(os_ref);
        components.push(os);
    }

    let packages = shipped(inventory);
    let refs = unique_ids(
        packages.iter().map(|p| {
            let id = if p.purl.is_empty() {
                format!("strata:{}/{}@{}", p.ecosystem.name(), p.name, p.version)
            } else {
                p.purl.clone()
            };
            let alternative = format!("{id}|{}", super::slash(&p.location));
            (id, alternative)
        }),
        taken,
    );
    for (package, bom_ref) in packages.iter().zip(refs) {
        let mut c = Component::new(
            Classification::Library,
            &package.name,
            &package.version,
            Some(bom_ref),
        );
        if package.version.is_empty() {
            c.version = None;
        }
        if !package.purl.is_empty() {
            // `Purl::from_str` keeps the string as it is; it cannot fail.
            c.purl = Purl::from_str(&package.purl).ok();
        }
        if let Some(license) = package.license.as_deref().filter(|l| !l.trim().is_empty()) {
            let choice = match spdx_expression(license) {
                Some(expression) => LicenseChoice::Expression(SpdxExpression::new(expression)),
                None => LicenseChoice::license(license),
            };
            c.licenses = Some(Licenses(vec![choice]));
        }
        c.properties = Some(Properties(
            facts(package, subject)
                .iter()
                .map(|(name, value)| Property::new(name, value))
                .collect(),
        ));
        components.push(c);
    }

    let mut image = Component::new(
        Classification::Container,
        &subject.reference,
        &subject.digest,
        Some(image_ref),
    );
    image.properties = Some(Properties(vec![
        Property::new("strata:image:id", &subject.id),
        Property::new("strata:image:platform", &subject.platform),
    ]));
    let tool = Component::new(
        Classification::Application,
        "strata",
        env!("CARGO_PKG_VERSION"),
        None,
    );
    // A database that could not be read leaves the list incomplete: say which.
    let unreadable: Vec<Property> = inventory
        .unreadable
        .iter()
        .map(|u| {
            Property::new(
                "strata:packages_unreadable",
                &format!(
                    "{} (layer {}): {}",
                    super::slash(&u.path),
                    u.layer,
                    u.reason
                ),
            )
        })
        .collect();

    let bom = Bom {
        version: 1,
        serial_number: Some(serial),
        spec_version: SpecVersion::V1_5,
        metadata: Some(Metadata {
            timestamp: Some(timestamp),
            tools: Some(Tools::Object {
                services: None,
                components: Some(Components(vec![tool])),
            }),
            component: Some(image),
            properties: (!unreadable.is_empty()).then_some(Properties(unreadable)),
            ..Metadata::default()
        }),
        components: Some(Components(components)),
        ..Bom::default()
    };
    let mut out = Vec::new();
    bom.output_as_json_v1_5(&mut out)?;
    // serde_json writes UTF-8.
    Ok(String::from_utf8_lossy(&out).into_owned())
}
