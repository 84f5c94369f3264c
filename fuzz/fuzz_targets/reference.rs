#![no_main]
//! Image reference parsing: transports and paths, and docker-style registry names.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = strata::source::reference::ImageRef::parse(&text);
    if let Ok(r) = strata::source::registry::docker_ref::parse(&text) {
        // A parsed reference prints back to something that parses to the same thing.
        let again = strata::source::registry::docker_ref::parse(&r.whole());
        assert_eq!(again.map(|a| a.whole()).ok(), Some(r.whole()), "{text:?}");
    }
});
