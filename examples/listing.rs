//! Prints the final merged view of an image, one `KIND SIZE PATH` line per path, sorted:
//! the form `scripts/check-fixtures.sh` compares with an `umoci unpack` rootfs.
//!
//!     cargo run --release --example listing -- IMAGE

use std::io::Write;
use std::process::ExitCode;

use strata::analysis::merge::listing;
use strata::tree::EntryKind;

fn main() -> ExitCode {
    let Some(input) = std::env::args().nth(1) else {
        eprintln!("usage: listing IMAGE");
        return ExitCode::from(2);
    };
    let image = match strata::load(&input, &Default::default(), &|_| {}) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("listing: {e}");
            return ExitCode::from(2);
        }
    };
    let analysis = image.analyse();
    let trees = image.image().trees();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for l in listing(&trees, &analysis.stack, &analysis.stack.top) {
        let kind = match l.kind {
            EntryKind::Hardlink => "file",
            k => k.name(),
        };
        if writeln!(out, "{kind} {} {}", l.size, l.path).is_err() {
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}
