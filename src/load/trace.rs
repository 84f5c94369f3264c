//! `STRATA_TRACE=1`: one line on stderr per stage of a load (each layer: where its tree came
//! from, what was verified, the bytes and the time; the analysis), so changes to the load path
//! can be held to the bench's numbers and a reopen shown not to read its blobs.

use std::sync::OnceLock;
use std::time::Instant;

/// Whether tracing is on (read once).
pub fn on() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("STRATA_TRACE").is_some_and(|v| !v.is_empty() && v != "0"))
}

/// Prints `what` with the milliseconds since `since`, when tracing is on.
pub fn stage(since: Instant, what: impl FnOnce() -> String) {
    if on() {
        let ms = since.elapsed().as_secs_f64() * 1000.0;
        eprintln!("strata trace: {} ({ms:.1} ms)", what());
    }
}
