#![no_main]
//! Image metadata JSON: docker-archive `manifest.json`, OCI index and manifest, image config
//! (with the history steps and platform derived from it). Must parse or fail, never panic.
use libfuzzer_sys::fuzz_target;
use strata::model::image::{DockerManifestEntry, ImageConfig, Index, Manifest};

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<Vec<DockerManifestEntry>>(data);
    let _ = serde_json::from_slice::<Index>(data);
    let _ = serde_json::from_slice::<Manifest>(data);
    if let Ok(config) = serde_json::from_slice::<ImageConfig>(data) {
        let _ = config.platform();
        let layers = config.diff_ids().len();
        for n in [0, layers, layers + 3] {
            let steps = strata::model::history::steps(&config, n);
            let _ = strata::model::history::by_layer(&steps, n);
        }
    }
});
