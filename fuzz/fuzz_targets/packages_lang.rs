#![no_main]
//! The language-package and os-release parsers (Python metadata, RECORD and
//! installed-files.txt, npm package.json, Go build info, os-release): whatever the bytes, a
//! value or an error, never a panic, and records that keep the inventory's invariants (a
//! name, a version). Go build info is also fed wrapped in a valid header and module-info
//! framing, so the fuzzer reaches the module lines without having to find varints first.
use libfuzzer_sys::fuzz_target;
use strata::analysis::packages::{go, npm, os_release, python};
use strata::model::packages::Record;

fn check(records: &[Record]) {
    for r in records {
        assert!(!r.name.trim().is_empty(), "{r:?}");
        assert!(!r.version.trim().is_empty(), "{r:?}");
    }
}

fn check_files(files: &strata::model::packages::Files) {
    for path in files.iter() {
        assert!(!path.starts_with('/') && !path.ends_with('/'), "{path:?}");
        assert!(
            path.split('/')
                .all(|c| !c.is_empty() && c != "." && c != ".."),
            "{path:?}"
        );
    }
}

/// `modinfo` as the linker frames it, after a Go 1.18+ header and version.
fn wrapped(modinfo: &[u8]) -> Vec<u8> {
    let mut framed = b"0123456789abcdef".to_vec();
    framed.extend_from_slice(modinfo);
    if framed.last() != Some(&b'\n') {
        framed.push(b'\n');
    }
    framed.extend_from_slice(b"fedcba9876543210");
    let mut v = go::BUILDINFO_MAGIC.to_vec();
    v.extend_from_slice(&[8, 2]);
    v.resize(32, 0);
    for s in [&b"go1.21.0"[..], &framed] {
        let mut n = s.len();
        while n >= 0x80 {
            v.push((n as u8) | 0x80);
            n >>= 7;
        }
        v.push(n as u8);
        v.extend_from_slice(s);
    }
    v
}

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(r)) = python::metadata(data) {
        check(&[r]);
    }
    check_files(&python::record(
        data,
        "usr/lib/python3/site-packages/a-1.dist-info",
    ));
    check_files(&python::record(data, "a-1.dist-info"));
    check_files(&python::installed_files(
        data,
        "usr/lib/python3/dist-packages/a.egg-info",
    ));
    if let Ok(Some(r)) = npm::package_json(data) {
        check(&[r]);
    }
    let _ = os_release::distro(data);

    if let Ok(records) = go::build_info(data) {
        check(&records);
    }
    let _ = go::go_version(data);
    // After a real header: the varints and strings come from the input.
    let mut headed = go::BUILDINFO_MAGIC.to_vec();
    headed.extend_from_slice(&[8, 2]);
    headed.resize(32, 0);
    headed.extend_from_slice(data);
    if let Ok(records) = go::build_info(&headed) {
        check(&records);
    }
    if let Ok(records) = go::build_info(&wrapped(data)) {
        check(&records);
    }
});
