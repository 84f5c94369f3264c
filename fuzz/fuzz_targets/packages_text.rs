#![no_main]
//! The text package databases (dpkg `status` and file lists, apk `installed`) and what is
//! derived from their records: purls and version order. Must parse or fail, never panic, and
//! version order must stay a consistent order (antisymmetric and transitive) on any strings.
use libfuzzer_sys::fuzz_target;
use std::cmp::Ordering;
use strata::analysis::packages::{apk, dpkg, purl, version};
use strata::model::packages::{Distro, Ecosystem, Record};

fuzz_target!(|data: &[u8]| {
    let mut records: Vec<Record> = Vec::new();
    if let Ok(found) = dpkg::status(data) {
        records.extend(found);
    }
    if let Ok(found) = apk::installed(data) {
        records.extend(found);
    }
    let files = dpkg::owned_files(data);
    let _ = files.len();
    let text = String::from_utf8_lossy(data);
    let _ = dpkg::list_owner(&text);

    // Versions to order: the records' own, and the input's first lines as they are (so the
    // fuzzer reaches the comparators without having to build a whole database). Every pair
    // is checked whole; triples (transitivity) on short prefixes, to keep runs fast.
    let mut versions: Vec<&str> = records.iter().take(6).map(|r| r.version.as_str()).collect();
    versions.extend(text.lines().take(3));
    let short: Vec<&str> = versions.iter().map(|v| prefix(v, 96)).collect();
    for ecosystem in Ecosystem::ALL {
        check_pairs(ecosystem, &versions);
        check_triples(ecosystem, &short);
    }

    let distros = [
        None,
        Some(Distro {
            id: "debian".into(),
            version_id: "12".into(),
        }),
        Some(Distro {
            id: text.lines().next().unwrap_or("").into(),
            version_id: String::new(),
        }),
    ];
    for mut record in records.into_iter().take(4) {
        for ecosystem in Ecosystem::ALL {
            record.ecosystem = ecosystem;
            for distro in &distros {
                let url = purl::purl(&record, distro.as_ref());
                assert!(url.starts_with("pkg:"));
                assert!(url.is_ascii(), "{url}");
            }
        }
    }
});

/// The longest prefix of `v` of at most `max` bytes that ends on a character boundary.
fn prefix(v: &str, max: usize) -> &str {
    let mut end = v.len().min(max);
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    &v[..end]
}

fn check_pairs(ecosystem: Ecosystem, versions: &[&str]) {
    for a in versions {
        assert_eq!(version::compare(ecosystem, a, a), Ordering::Equal);
        for b in versions {
            let ab = version::compare(ecosystem, a, b);
            let ba = version::compare(ecosystem, b, a);
            assert_eq!(ab, ba.reverse(), "{ecosystem:?} {a:?} {b:?}");
        }
    }
}

fn check_triples(ecosystem: Ecosystem, versions: &[&str]) {
    for a in versions {
        for b in versions {
            let ab = version::compare(ecosystem, a, b);
            if ab == Ordering::Greater {
                continue;
            }
            for c in versions {
                let bc = version::compare(ecosystem, b, c);
                if bc == Ordering::Greater {
                    continue;
                }
                let ac = version::compare(ecosystem, a, c);
                assert_ne!(ac, Ordering::Greater, "{ecosystem:?} {a:?} {b:?} {c:?}");
                if ab == Ordering::Less || bc == Ordering::Less {
                    assert_eq!(ac, Ordering::Less, "{ecosystem:?} {a:?} {b:?} {c:?}");
                }
            }
        }
    }
}
