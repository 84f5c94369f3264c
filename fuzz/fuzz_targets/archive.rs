#![no_main]
//! A whole image file (docker-archive, OCI archive, compressed archive): manifest, index,
//! config and layers. Must return Ok or Err, never panic or hang.
use std::io::Write;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut file) = tempfile::Builder::new().prefix("strata-fuzz-").suffix(".tar").tempfile()
    else {
        return;
    };
    if file.write_all(data).and_then(|()| file.flush()).is_err() {
        return;
    }
    let Some(path) = file.path().to_str().map(str::to_owned) else {
        return;
    };
    let _ = strata::load(&path, &Default::default(), &|_| {});
});
