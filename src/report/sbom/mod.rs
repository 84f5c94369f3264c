//! SBOMs of an image (`strata sbom`, DESIGN section 4): the package inventory written as
//! CycloneDX 1.5 JSON (`cyclonedx.rs`, with the CycloneDX project's own document types) or
//! SPDX 2.3 JSON (`spdx.rs`, serde structs: no maintained crate has the 2.3 types), for
//! scanners (grype), Dependency-Track and GitHub's dependency submission to read.
//!
//! Both documents say the same things, and this module holds what they share, so they cannot
//! drift apart:
//! - which packages: those installed in the final image. An SBOM describes what ships;
//!   a package a later layer removed is not there to run or to be vulnerable, and a scanner
//!   given it would report findings for software the image does not contain. (Its bytes in
//!   the layers below are in the JSON report's waste, cause `removed`.)
//! - in which order: by ecosystem, name, version and database path, whatever order the
//!   inventory keeps, so one image always gives the same list;
//! - each package's layer facts (`strata:layer`, ...), as CycloneDX properties and as SPDX
//!   annotations with the same names;
//! - identifiers that are unique within the document: the purl (CycloneDX) or a name made
//!   of the package's own (SPDX), with the database path, then a counter, when two packages
//!   share one (the same npm package installed in two `node_modules`);
//! - which licence strings are SPDX expressions a validator accepts; others are kept as
//!   text, never put where an expression belongs.
//!
//! Like the rest of `report`, this renders and decides nothing; the clock and the random
//! serial number come from the caller (`Stamp`), so a test gets the same document twice.

pub mod cyclonedx;
pub mod spdx;

use std::collections::HashSet;

use crate::analysis::packages::Inventory;
use crate::load::Image;
use crate::model::packages::{Change, Package};

/// The SBOM formats `strata sbom --format` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CycloneDX 1.5 JSON.
    CycloneDx,
    /// SPDX 2.3 JSON.
    Spdx,
}

impl Format {
    /// The format's name and version, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::CycloneDx => "CycloneDX 1.5",
            Format::Spdx => "SPDX 2.3",
        }
    }
}

/// Why a document could not be written (the CycloneDX library refuses a value it cannot put
/// in a 1.5 document; never expected with what this module gives it).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("writing the CycloneDX document: {0}")]
    CycloneDx(#[from] cyclonedx_bom::errors::JsonWriteError),
    #[error("writing the SPDX document: {0}")]
    Spdx(#[from] serde_json::Error),
    /// A value the caller gave (`Stamp`) is not in the form the format takes.
    #[error("the SBOM's {what} {value:?} is not valid")]
    Invalid { what: &'static str, value: String },
}

/// The image an SBOM describes, as the documents name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The reference as the user gave it (`nginx:alpine`, `./app.tar`).
    pub reference: String,
    /// The manifest digest where the source has one, else the config digest (the image ID):
    /// the image's version in both documents.
    pub digest: String,
    /// The config digest.
    pub id: String,
    /// `os/arch[/variant]`.
    pub platform: String,
    /// Each layer's diff_id, bottom first, where the config names it.
    pub diff_ids: Vec<Option<String>>,
}

impl Subject {
    pub fn of(image: &Image) -> Subject {
        let meta = &image.meta;
        let id = meta.config_digest.to_string();
        Subject {
            reference: meta.reference.clone(),
            digest: meta
                .manifest_digest
                .as_ref()
                .map_or_else(|| id.clone(), ToString::to_string),
            id,
            platform: meta.config.platform(),
            diff_ids: image
                .layers
                .iter()
                .map(|l| l.desc.diff_id.as_ref().map(ToString::to_string))
                .collect(),
        }
    }
}

/// What makes one run's document its own: when it was made and its UUID (the CycloneDX
/// serial number, the tail of the SPDX document namespace). Both specifications want each
/// generated document to have a new one, even for an unchanged image; the caller passes
/// the clock and a random UUID, a test fixed values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// RFC 3339 in UTC to the second (`2024-05-01T12:00:00Z`), the form both formats take.
    pub created: String,
    /// Lowercase hyphenated (`8-4-4-4-12` hex digits).
    pub uuid: String,
}

impl Stamp {
    /// A stamp for `unix_seconds` after 1970-01-01T00:00:00Z.
    pub fn new(unix_seconds: u64, uuid: &uuid::Uuid) -> Stamp {
        Stamp {
            created: rfc3339(unix_seconds),
            uuid: uuid.hyphenated().to_string(),
        }
    }
}

/// The document in `format`, pretty-printed JSON with a final newline.
pub fn render(
    format: Format,
    subject: &Subject,
    inventory: &Inventory,
    stamp: &Stamp,
) -> Result<String, Error> {
    let mut out = match format {
        Format::CycloneDx => cyclonedx::render(subject, inventory, stamp)?,
        Format::Spdx => spdx::render(subject, inventory, stamp)?,
    };
    out.push('\n');
    Ok(out)
}

/// The packages an SBOM lists: installed in the final view, in the documents' order.
pub fn shipped(inventory: &Inventory) -> Vec<&Package> {
    let mut out: Vec<&Package> = inventory.packages.iter().filter(|p| !p.removed).collect();
    out.sort_by(|a, b| {
        (a.ecosystem, &a.name, &a.version, &a.location, &a.purl).cmp(&(
            b.ecosystem,
            &b.name,
            &b.version,
            &b.location,
            &b.purl,
        ))
    });
    out
}

/// One package's layer facts, `(name, value)`, in a fixed order: CycloneDX properties and
/// SPDX annotations carry the same list.
///
/// - `strata:ecosystem`: dpkg, apk, rpm, python, npm or go;
/// - `strata:layer`: the index (0 = bottom) of the first layer whose merged view has it
///   installed, as `layer` in the JSON report;
/// - `strata:layer:diff_id`: that layer's diff_id, when the config names it;
/// - `strata:layer:last_change`: the layer whose change (added, upgraded, downgraded or
///   reinstalled) left the files the final image has: the layer to rebuild to change it;
/// - `strata:location`: the database or metadata file that records it, from the root.
pub fn facts(package: &Package, subject: &Subject) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("strata:ecosystem", package.ecosystem.name().to_string()),
        ("strata:layer", package.layer.to_string()),
    ];
    if let Some(Some(diff_id)) = subject.diff_ids.get(package.layer) {
        out.push(("strata:layer:diff_id", diff_id.clone()));
    }
    let last = package
        .changes
        .iter()
        .rev()
        .find(|c| c.change != Change::Removed)
        .map_or(package.layer, |c| c.layer);
    out.push(("strata:layer:last_change", last.to_string()));
    out.push(("strata:location", slash(&package.location)));
    out
}

/// `path` from the root, as scanners print paths.
pub fn slash(path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    }
}

/// `license` if it is an SPDX licence expression a validator accepts (`MIT`,
/// `GPL-2.0-or-later WITH Classpath-exception-2.0`, `MIT OR Apache-2.0`; deprecated ids such
/// as `GPL-2.0` are still valid), trimmed; `None` for free text (`BSD`, `MIT License`, a
/// whole licence), which the documents keep as text.
pub fn spdx_expression(license: &str) -> Option<&str> {
    let text = license.trim();
    let mode = ::spdx::ParseMode {
        allow_deprecated: true,
        ..::spdx::ParseMode::STRICT
    };
    ::spdx::Expression::parse_mode(text, mode)
        .is_ok()
        .then_some(text)
}

/// Makes identifiers unique in order: the first of each stays as it is, a later one that
/// collides gets its `alternative` (the package's location, say), then `-2`, `-3`, ...
/// `taken` starts with the identifiers the document already uses.
pub fn unique_ids(
    candidates: impl IntoIterator<Item = (String, String)>,
    mut taken: HashSet<String>,
) -> Vec<String> {
    let candidates: Vec<(String, String)> = candidates.into_iter().collect();
    // Every package whose identifier is shared gets the alternative, the first one too, so
    // which copy is which does not depend on the order they were found in.
    let mut count: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (id, _) in &candidates {
        *count.entry(id.as_str()).or_default() += 1;
    }
    let mut out = Vec::with_capacity(candidates.len());
    for (id, alternative) in &candidates {
        let first = if count.get(id.as_str()).copied().unwrap_or(0) > 1 {
            alternative.clone()
        } else {
            id.clone()
        };
        let mut chosen = first.clone();
        let mut n = 2;
        while taken.contains(&chosen) {
            chosen = format!("{first}-{n}");
            n += 1;
        }
        taken.insert(chosen.clone());
        out.push(chosen);
    }
    out
}

/// RFC 3339 UTC to the second for a Unix time.
pub fn rfc3339(unix_seconds: u64) -> String {
    let rest = unix_seconds % 86_400;
    let (hour, minute, second) = (rest / 3600, rest % 3600 / 60, rest % 60);
    let (year, month, day) = crate::model::civil::days_to_civil((unix_seconds / 86_400) as i64);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(rfc3339(4_102_444_800), "2100-01-01T00:00:00Z");
    }

    #[test]
    fn only_valid_expressions_are_expressions() {
        for ok in [
            "MIT",
            " MIT ",
            "MIT OR Apache-2.0",
            "GPL-2.0",
            "GPL-2.0-or-later WITH Classpath-exception-2.0",
            "(MIT AND BSD-3-Clause) OR Apache-2.0",
            "LicenseRef-custom",
        ] {
            assert!(spdx_expression(ok).is_some(), "{ok}");
        }
        for bad in [
            "",
            "BSD",
            "MIT License",
            "MIT/Apache-2.0",
            "mit or apache-2.0",
            "Apache 2.0",
            "GPL-2+",
            "Permission is hereby granted, free of charge",
        ] {
            assert!(spdx_expression(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn shared_identifiers_take_their_alternative_then_a_counter() {
        let ids = unique_ids(
            [
                ("a".to_string(), "a|x".to_string()),
                ("a".to_string(), "a|y".to_string()),
                ("b".to_string(), "b|x".to_string()),
                ("c".to_string(), "c|z".to_string()),
                ("c".to_string(), "c|z".to_string()),
                ("image".to_string(), "image|q".to_string()),
            ],
            HashSet::from(["image".to_string()]),
        );
        assert_eq!(ids, ["a|x", "a|y", "b", "c|z", "c|z-2", "image-2"]);
    }
}
