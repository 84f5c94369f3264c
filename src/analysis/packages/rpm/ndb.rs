//! SUSE's `Packages.db` (rpm's "ndb" backend, SLE 15 and openSUSE): a 32-byte header, slot
//! pages of 4096 bytes (256 slots of 16 bytes, the first two taken by the header), and for
//! each used slot a blob (16-byte blob header, then the header blob) at a 16-byte block.
//!
//! A port of go-rpmdb's `pkg/ndb` (what syft reads these with; its comment describes the
//! format from rpm's `lib/backend/ndb/rpmpkg.c`), over a byte slice. All fields are little
//! endian, as rpm writes them. As in go-rpmdb, a slot of the wrong magic, a blob of the wrong
//! magic or of another package's index is an error, and the blob checksum (Adler-32) is not
//! checked. Blob lengths are checked against the file before any slice is taken, and all
//! blobs together may not be larger than the file (slots sharing one blob are an error), so
//! nothing is allocated or parsed beyond the input's size.
//!
//! No crate reads these but `rpmdb`, whose port reads from a path and allocates the claimed
//! blob length unchecked.

use super::{Each, Endian};
use crate::model::packages::Record;

const HEADER_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const BLOB_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
const SLOT_PAGE_BYTES: usize = 4096;
const SLOT_BYTES: usize = 16;
const BLOCK_BYTES: usize = 16;
/// go-rpmdb's sanity limit on slot pages.
const MAX_SLOT_PAGES: usize = 2048;

/// The packages of an ndb `Packages.db`, in slot order.
pub fn ndb(bytes: &[u8]) -> Result<Vec<Record>, String> {
    super::records(|each| blobs(bytes, each))
}

/// Calls `each` with every header blob, in slot order.
pub(super) fn blobs(bytes: &[u8], each: &mut Each) -> Result<(), String> {
    let le = |at| Endian::Little.u32(bytes, at);
    if le(0) != Some(HEADER_MAGIC) || le(4) != Some(0) {
        return Err("not an rpm ndb database".into());
    }
    let slot_pages = le(12).unwrap_or(0) as usize;
    if slot_pages == 0 || slot_pages > MAX_SLOT_PAGES {
        return Err(format!("ndb claims {slot_pages} slot pages"));
    }
    let slots = bytes
        .get(2 * SLOT_BYTES..slot_pages * SLOT_PAGE_BYTES)
        .ok_or_else(|| format!("ndb claims {slot_pages} slot pages, more than the file holds"))?;
    // In a sound file each blob is stored once: slots sharing a blob could otherwise make
    // one blob's records (and its file list) hundreds of thousands of times.
    let mut budget = bytes.len();
    for slot in slots.chunks_exact(SLOT_BYTES) {
        let field = |at| Endian::Little.u32(slot, at).unwrap_or(0);
        if field(0) != SLOT_MAGIC {
            return Err("ndb slot of the wrong magic".into());
        }
        let package = field(4);
        if package == 0 {
            continue;
        }
        let start = (field(8) as usize)
            .checked_mul(BLOCK_BYTES)
            .ok_or("ndb blob offset overflows")?;
        let blob_header = start
            .checked_add(BLOCK_BYTES)
            .and_then(|end| bytes.get(start..end))
            .ok_or_else(|| format!("ndb package {package}: blob past the end of the file"))?;
        let field = |at| Endian::Little.u32(blob_header, at).unwrap_or(0);
        if field(0) != BLOB_MAGIC {
            return Err(format!("ndb package {package}: blob of the wrong magic"));
        }
        if field(4) != package {
            return Err(format!(
                "ndb package {package}: blob of package {}",
                field(4)
            ));
        }
        let len = field(12) as usize;
        let blob = (start + BLOCK_BYTES)
            .checked_add(len)
            .and_then(|end| bytes.get(start + BLOCK_BYTES..end))
            .ok_or_else(|| format!("ndb package {package}: blob of {len} bytes past the end"))?;
        budget = budget
            .checked_sub(blob.len())
            .ok_or("ndb blobs larger than the file: slots share blobs")?;
        each(blob).map_err(|e| format!("ndb package {package}: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_databases_are_errors() {
        assert!(ndb(b"").is_err());
        assert!(ndb(b"RpmP\0\0\0\0\0\0\0\0\xff\xff\xff\xff").is_err());
    }
}
