//! `strata cache ls|prune`: what the cache holds (and the images each file was loaded as), and
//! emptying it down to a size.

use std::io::Write;

use strata::model::text::printable;
use strata::model::units;

use super::args::CacheAction;
use super::error::Error;

/// `strata cache ls|prune`.
pub fn run(action: &CacheAction) -> Result<(), Error> {
    let cache = strata::cache::Cache::user().ok_or(Error::NoCacheDir)?;
    let root = strata::model::text::printable(&cache.root().display().to_string(), 500);
    match action {
        CacheAction::Ls => {
            let entries = cache.entries();
            let names = cache.names();
            let mut out = String::new();
            let now = std::time::SystemTime::now();
            for e in &entries {
                let age = now.duration_since(e.used).map(|d| d.as_secs()).unwrap_or(0);
                // The images the file was loaded as, most recent first.
                let of = names
                    .get(&e.key)
                    .map(|n| format!("  {}", printable(&n.join(", "), 2000)))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "{:<5} {:>10}  {:>8}  {}{of}\n",
                    e.kind.name(),
                    units::decimal(e.bytes),
                    short_age(age),
                    printable(&e.key, 300)
                ));
            }
            let total: u64 = entries.iter().map(|e| e.bytes).sum();
            let max = strata::cache::Cache::max_bytes()?;
            out.push_str(&format!(
                "{} files, {} in {root} (cap {}, STRATA_CACHE_MAX_SIZE)\n",
                entries.len(),
                units::decimal(total),
                units::decimal(max)
            ));
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(out.as_bytes()) {
                Err(source) if source.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(Error::Write {
                        what: "listing",
                        source,
                    })
                }
                _ => Ok(()),
            }
        }
        CacheAction::Prune { max_size } => {
            let max = match max_size {
                Some(v) => units::parse_size(v).map_err(|source| Error::MaxSize {
                    value: v.clone(),
                    source,
                })?,
                None => 0,
            };
            let pruned = cache.prune(max);
            println!(
                "removed {} files ({}); {} left in {root}",
                pruned.files,
                units::decimal(pruned.bytes),
                units::decimal(cache.size())
            );
            Ok(())
        }
    }
}

fn short_age(secs: u64) -> String {
    match secs {
        s if s < 120 => format!("{s}s ago"),
        s if s < 7200 => format!("{}m ago", s / 60),
        s if s < 172_800 => format!("{}h ago", s / 3600),
        s => format!("{}d ago", s / 86_400),
    }
}
