#![no_main]
//! A layer tar, read into a tree and stacked on itself (whiteouts, opaque dirs, type changes).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = strata::model::limits::Limits::default();
    if let Ok(tree) = strata::tree::read_layer(data, &limits) {
        let _ = strata::analysis::Analysis::new(&[&tree, &tree]);
    }
});
