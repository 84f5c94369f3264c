//! Loading: `Session::open` resolves what the user named once, reads every layer in parallel
//! (each in one streaming pass: blob digest -> decompress -> diff_id -> tree), verifies every
//! digest and keeps what it opened, so that `Session::read_layer` later reads exactly the
//! loaded, verified layer again. It sits above `source`, `blob`, `tree`, `analysis` and
//! `cache`, and is the one place that puts them together.

mod blob_read;
mod engine_stream;
mod events;
mod image;
mod layers;
mod order;
mod session;
mod toc_read;
mod trace;

pub use events::{LoadEvent, Progress};
pub use image::{Image, Layer};
pub use order::Order;
pub use session::{Session, Watcher};
pub use toc_read::{list_by_toc, open_by_toc, TocLayer};

use crate::model::error::Result;
use crate::source::SourceOptions;

/// Opens and reads a whole image (see `Session::open`). `progress` is called from worker
/// threads.
pub fn load(input: &str, opts: &SourceOptions, progress: Progress) -> Result<Session> {
    Session::open(input, opts, progress)
}

/// Opens two images at once (`strata diff`, `report --base`, the compare screen), each with
/// its own progress. A panic in either load goes on in the caller.
pub fn load_pair(
    a: &str,
    b: &str,
    opts: &SourceOptions,
    progress_a: Progress,
    progress_b: Progress,
) -> (Result<Session>, Result<Session>) {
    std::thread::scope(|s| {
        let first = s.spawn(|| load(a, opts, progress_a));
        let second = load(b, opts, progress_b);
        let first = first
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    })
}
