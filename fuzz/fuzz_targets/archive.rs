#![no_main]
//! A whole image file (docker-archive, OCI archive, compressed archive): manifest, index,
//! config and layers, then the analysis and the report. Must return Ok or Err, never panic
//! or hang.
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
    let opts = strata::SourceOptions {
        no_cache: true,
        ..Default::default()
    };
    // A loaded image goes through the whole analysis and the JSON report too.
    if let Ok(session) = strata::load(&path, &opts, &|_| {}) {
        let analysis = session.analyse();
        let _ = strata::report::Report::new(session.image(), &analysis).to_json();
    }
});
