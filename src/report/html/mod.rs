//! `strata report --format html`: the report as one self-contained page to attach to a pull
//! request or open offline. No network and no CDN: the style and a small script are inline,
//! and a Content-Security-Policy (page.rs) forbids every load.
//!
//! What it shows: an interactive treemap of the final view (click a directory to zoom in,
//! the path above it to go back up, `#zoom=/usr/lib` in the address to open a directory),
//! the layers with their commands, sizes and package deltas, the waste by cause with the
//! paths and steps behind it, the hints, the packages and the config.
//!
//! Shape: the sections are HTML written here from the `Report` (one module each), so they
//! read without the script; only the treemap is drawn by the script, from a JSON block of
//! the final view's sizes (`treemap.rs`, which also says what is left out to keep the page
//! small and quick: small entries become one "other" cell per directory, and at most
//! `treemap::NODE_BUDGET` entries are listed). Every name and command from the image is
//! escaped where it is written (`escape.rs`); the script puts names in the page as text only.

mod escape;
mod hints;
mod layers;
mod overview;
mod packages;
mod page;
pub mod treemap;
mod waste;

use std::fmt::Write as _;

pub use treemap::Treemap;

use super::Report;
use crate::model::units::count;

/// The page of `report`, with `map` (`Treemap::of` the same image) as its treemap.
pub fn render(report: &Report, map: &Treemap) -> String {
    let mut top = String::new();
    overview::header(&mut top, report);
    treemap_section(&mut top, map);
    let mut rest = String::new();
    layers::section(&mut rest, report);
    waste::section(&mut rest, report);
    hints::section(&mut rest, report);
    packages::section(&mut rest, report);
    overview::config(&mut rest, report);
    let _ = writeln!(
        rest,
        "<footer>Written by strata {} (strata report --format html).</footer>",
        env!("CARGO_PKG_VERSION")
    );
    let data = escape::script_json(&format!(
        "{{\"tree\":{},\"marks\":{}}}",
        map.root,
        waste::marks(report)
    ));
    page::document(
        &format!("strata report: {}", report.image.reference),
        &top,
        &data,
        &rest,
    )
}

fn treemap_section(o: &mut String, map: &Treemap) {
    let _ = writeln!(
        o,
        "<section id=\"treemap\"><h2>Where the bytes are</h2>\
         <div class=\"crumbs\" id=\"crumbs\"></div><div class=\"map\" id=\"map\"></div>\
         <div class=\"mapinfo\" id=\"mapinfo\"></div>"
    );
    let mut note = format!(
        "The final view's files by size. Click a directory to open it; the path above the map, \
         Backspace or the browser's Back go up. Entries under 1/{} of their directory are \
         one hatched cell; outlined cells are duplicates or caches (see Waste).",
        treemap::MIN_SHARE
    );
    if map.unlisted_dirs > 0 {
        note += &format!(
            " {} small or deep directories are shown without their contents (at most {} \
             entries are listed).",
            count(map.unlisted_dirs as u64),
            count(treemap::NODE_BUDGET as u64)
        );
    }
    let _ = writeln!(
        o,
        "<p class=\"note\">{note}</p><noscript><p class=\"note\">The treemap needs \
         JavaScript; every other section reads without it.</p></noscript></section>"
    );
}
