//! The Berkeley DB hash database `Packages` of rpm before 4.16 (CentOS/RHEL/UBI 7 and 8,
//! older Fedora and SUSE): keys are header instance numbers, values are header blobs.
//!
//! A port of go-rpmdb's `pkg/bdb` (what syft reads these with), over a byte slice: read the
//! hash metadata page (its magic tells the byte order: the file is in its writer's order,
//! big-endian from s390x or ppc64), walk pages 0..=last, and on each hash page (sorted or
//! the unsorted pre-4.6 kind) take every value stored off-page (`H_OFFPAGE`), putting its
//! overflow chain together. Values kept on the hash page itself are skipped as go-rpmdb
//! skips them: rpm's headers are always larger than a quarter page, and the one small value
//! in the file (key 0, the next instance number) is not a header.
//!
//! Unlike go-rpmdb: an overflow page of another type is an error (go-rpmdb loops forever on
//! it), a chain may not revisit a page, and all values together may not be larger than the
//! file (each overflow page belongs to one value), so no claimed length or page number can
//! make this allocate more than the input's size or spin.
//!
//! No crate reads these: the `rpmdb` crate's port reads from a path and slices unchecked
//! (it panics on a short page, and loops on a bad overflow page as go-rpmdb does).

use std::collections::HashSet;

use super::{Each, Endian};
use crate::model::packages::Record;

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER_BYTES: usize = 26;
const HASH_UNSORTED_PAGE: u8 = 2;
const OVERFLOW_PAGE: u8 = 7;
const HASH_METADATA_PAGE: u8 = 8;
const HASH_PAGE: u8 = 13;
const H_OFFPAGE: u8 = 3;
const OFFPAGE_ENTRY_BYTES: usize = 12;

/// The packages of a Berkeley DB `Packages` file, in the order its pages hold them.
pub fn berkeley(bytes: &[u8]) -> Result<Vec<Record>, String> {
    super::records(|each| blobs(bytes, each))
}

/// Calls `each` with every header blob, in page order.
pub(super) fn blobs(bytes: &[u8], each: &mut Each) -> Result<(), String> {
    let meta = bytes
        .get(..72)
        .ok_or("not a Berkeley DB file (too short)")?;
    let order = match Endian::Little.u32(meta, 12) {
        Some(HASH_MAGIC) => Endian::Little,
        Some(m) if m.swap_bytes() == HASH_MAGIC => Endian::Big,
        _ => return Err("not a Berkeley DB hash database".into()),
    };
    let field = |at| order.u32(meta, at).unwrap_or(0);
    let page_size = field(20) as usize;
    if !page_size.is_power_of_two() || !(512..=65536).contains(&page_size) {
        return Err(format!("Berkeley DB page size {page_size} is invalid"));
    }
    if meta[24] != 0 {
        return Err("the Berkeley DB is encrypted".into());
    }
    if meta[25] != HASH_METADATA_PAGE {
        return Err(format!("Berkeley DB metadata page of type {}", meta[25]));
    }
    let last_page = field(32) as usize;
    let pages = last_page
        .checked_add(1)
        .filter(|&n| {
            n.checked_mul(page_size)
                .is_some_and(|end| end <= bytes.len())
        })
        .ok_or_else(|| format!("Berkeley DB claims {last_page} pages, more than the file holds"))?;
    let page = |n: usize| -> Result<&[u8], String> {
        let start = n.checked_mul(page_size).ok_or("page number overflows")?;
        start
            .checked_add(page_size)
            .and_then(|end| bytes.get(start..end))
            .ok_or_else(|| format!("page {n} past the end of the file"))
    };

    let mut budget = bytes.len();
    for n in 0..pages {
        let data = page(n)?;
        let kind = data[25];
        if kind != HASH_PAGE && kind != HASH_UNSORTED_PAGE {
            continue;
        }
        let entries = usize::from(order.u16(data, 20).unwrap_or(0));
        if !entries.is_multiple_of(2) {
            return Err(format!("hash page {n} has an odd number of entries"));
        }
        // Entries are (key, value) offset pairs; only values matter.
        for i in (1..entries).step_by(2) {
            let at = PAGE_HEADER_BYTES + 2 * i;
            let offset = usize::from(
                order
                    .u16(data, at)
                    .ok_or_else(|| format!("hash page {n}: entries past the page"))?,
            );
            let Some(&H_OFFPAGE) = data.get(offset) else {
                continue;
            };
            let entry = data
                .get(offset..offset + OFFPAGE_ENTRY_BYTES)
                .ok_or_else(|| format!("hash page {n}: entry past the page"))?;
            let first = order.u32(entry, 4).unwrap_or(0) as usize;
            let blob = overflow(&page, order, first, pages, &mut budget)?;
            each(&blob).map_err(|e| format!("package at page {first}: {e}"))?;
        }
    }
    Ok(())
}

/// A value's overflow chain put together, from page `first` on.
fn overflow<'a>(
    page: &impl Fn(usize) -> Result<&'a [u8], String>,
    order: Endian,
    first: usize,
    pages: usize,
    budget: &mut usize,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut n = first;
    while n != 0 {
        if n >= pages {
            return Err(format!("overflow page {n} past the last page"));
        }
        if !seen.insert(n) {
            return Err(format!("overflow chain loops at page {n}"));
        }
        let data = page(n)?;
        if data[25] != OVERFLOW_PAGE {
            return Err(format!(
                "page {n} in an overflow chain is of type {}",
                data[25]
            ));
        }
        let next = order.u32(data, 16).unwrap_or(0) as usize;
        // go-rpmdb takes the whole page but on the last one, where the free-area offset
        // holds the length used.
        let content = if next == 0 {
            let used = usize::from(order.u16(data, 22).unwrap_or(0));
            data.get(PAGE_HEADER_BYTES..PAGE_HEADER_BYTES + used)
                .ok_or_else(|| format!("overflow page {n} claims more than a page"))?
        } else {
            &data[PAGE_HEADER_BYTES..]
        };
        *budget = budget
            .checked_sub(content.len())
            .ok_or("values larger than the file: pages are shared")?;
        out.extend_from_slice(content);
        n = next;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_databases_are_errors() {
        assert!(berkeley(b"").is_err());
        assert!(berkeley(&[0; 4096]).is_err());
    }
}
