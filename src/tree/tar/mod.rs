//! One streaming pass over a layer tar: the public face of the walker. Memory grows with the
//! number of entries only: file content is hashed in fixed-size chunks and dropped.
//!
//! Split along the tar format's own seams: `walk` steps from header block to header block,
//! `header` turns one header into an `Entry`, `pax` and `sparse` read the extensions that
//! change what a header says, and `error` names what went wrong as types, so no caller (and no
//! part of the walker) ever reads an error's message to learn what it was.

use std::io::Read;

use super::keep::{Collect, Keep, KeepNothing};
use super::listed::check_entry;
use super::{secrets, EntryKind, LayerTree};
use crate::model::limits::{LimitHit, Limits};

mod error;
mod forward;
mod header;
mod pax;
mod sparse;
#[cfg(test)]
mod testing;
mod walk;

pub use error::{Corrupt, Ended, SparseProblem, TreeError};
pub use walk::for_each_entry;

/// Credential-like files larger than this are not looked into.
const SECRET_SCAN_LIMIT: u64 = 64 * 1024;

/// What a visitor of `for_each_entry` wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Reads a whole layer tar from `input`, in order, hashing every regular file's content.
/// Entries and paths past `limits` stop it with `TreeError::Limit`.
pub fn read_layer<R: Read>(input: R, limits: &Limits) -> Result<LayerTree, TreeError> {
    read_layer_keeping(input, limits, &mut KeepNothing)
}

/// `read_layer`, handing `keep` the content it wants of each file as the file is hashed.
pub fn read_layer_keeping<R: Read>(
    input: R,
    limits: &Limits,
    keep: &mut dyn Keep,
) -> Result<LayerTree, TreeError> {
    let mut entries = Vec::new();
    let mut header_bytes = 0u64;
    let mut buf = vec![0u8; 128 * 1024];
    let skipped = for_each_entry(input, |mut entry, header_size, content| {
        check_entry(&entry, entries.len() as u64, limits).map_err(LimitHit::into_io)?;
        header_bytes = header_bytes.saturating_add(header_size);
        // What the files unpack to, before any is hashed: a sparse file's holes cost no
        // stored bytes (which `Bounded` counts), but hashing them costs their whole size.
        if let Some(hit) = limits.layer_bytes(header_bytes, u64::MAX) {
            return Err(hit.into_io());
        }
        if entry.kind == EntryKind::File {
            let mut hasher = blake3::Hasher::new();
            let inspect = entry.size <= SECRET_SCAN_LIMIT && secrets::candidate(&entry.path);
            let mut head = Vec::new();
            let mut collect = match Collect::new(keep.wants(&entry), entry.size) {
                Ok(collect) => collect,
                Err(too_big) => {
                    keep.kept(&entry, too_big);
                    None
                }
            };
            loop {
                let n = content.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                if inspect && head.len() < SECRET_SCAN_LIMIT as usize {
                    head.extend_from_slice(&buf[..n]);
                }
                if let Some(c) = collect.as_mut() {
                    c.feed(&buf[..n]);
                }
            }
            entry.digest = Some(*hasher.finalize().as_bytes());
            if let Some(c) = collect {
                c.finish(keep, &entry);
            }
            if inspect {
                entry.flags = secrets::scan(&head);
            }
        }
        entries.push(entry);
        Ok(Flow::Continue)
    })?;
    // A vector grown by doubling holds up to twice the room its entries need, for as long as
    // the image is open (a layer of 76k entries kept room for 131k: 6 MB).
    entries.shrink_to_fit();
    Ok(LayerTree {
        entries,
        header_bytes: header_bytes.saturating_add(skipped),
        moved: Vec::new(),
        packages: Vec::new(),
    })
}

/// The limits a layer read earlier (from the cache) must stay within: the same as while it
/// is read, for its entries and paths, and for its size (content bytes, as the tar's size is
/// not kept) against the bytes it is stored in. The limits of this run may be lower than
/// those of the run that cached it.
pub fn check_read_layer(
    tree: &LayerTree,
    stored_bytes: u64,
    limits: &Limits,
) -> Result<(), LimitHit> {
    for (seen, entry) in tree.entries.iter().enumerate() {
        check_entry(entry, seen as u64, limits)?;
    }
    match limits.layer_bytes(tree.header_bytes, stored_bytes) {
        Some(hit) => Err(hit),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::testing::tar_of;
    use super::*;
    use ::tar::EntryType;

    #[test]
    fn limits_stop_the_walk_and_name_their_flag() {
        let t = tar_of(&[
            ("a", EntryType::Regular, b"1"),
            ("b/c/d", EntryType::Regular, b"2"),
            ("e", EntryType::Regular, b"3"),
        ]);
        let flag = |limits: Limits| match read_layer(&t[..], &limits) {
            Err(TreeError::Limit(hit)) => hit.flag,
            other => panic!("{other:?}"),
        };
        let base = Limits::default();
        assert_eq!(flag(Limits { entries: 2, ..base }), "--max-entries");
        assert_eq!(
            flag(Limits {
                path_length: 4,
                ..base
            }),
            "--max-path-length"
        );
        assert_eq!(
            flag(Limits {
                path_depth: 2,
                ..base
            }),
            "--max-path-depth"
        );
        // A layer read earlier is held to this run's limits.
        let tree = read_layer(&t[..], &base).unwrap();
        assert_eq!(tree.header_bytes, 3);
        assert!(check_read_layer(&tree, 1000, &base).is_ok());
        let lower = Limits { entries: 1, ..base };
        assert!(check_read_layer(&tree, 1000, &lower).is_err());
    }

    /// The files a `Keep` wants reach it whole (or marked too big, unread), in archive order,
    /// with the same content ids as without keeping.
    #[test]
    fn kept_files_reach_the_keeper_as_they_are_hashed() {
        use crate::tree::keep::{Keep, Kept, Want};
        use crate::tree::Entry;
        struct Wants(Vec<String>);
        impl Keep for Wants {
            fn wants(&self, e: &Entry) -> Want {
                match &*e.path {
                    "small" => Want::Whole { max: 10 },
                    "big" => Want::Whole { max: 2 },
                    _ => Want::Nothing,
                }
            }
            fn kept(&mut self, e: &Entry, content: Kept<'_>) {
                self.0.push(format!("{}={content:?}", e.path));
            }
        }
        let t = tar_of(&[
            ("small", EntryType::Regular, b"abc"),
            ("big", EntryType::Regular, b"abc"),
            ("other", EntryType::Regular, b"abc"),
        ]);
        let mut keep = Wants(Vec::new());
        let kept = read_layer_keeping(&t[..], &Limits::default(), &mut keep).unwrap();
        assert_eq!(
            keep.0,
            [
                "small=Whole([97, 98, 99])",
                "big=TooBig { size: 3, max: 2 }"
            ]
        );
        assert_eq!(kept, read_layer(&t[..], &Limits::default()).unwrap());
    }

    #[test]
    fn a_visitor_that_stops_ends_the_walk() {
        let t = tar_of(&[
            ("a", EntryType::Regular, b"1"),
            ("b", EntryType::Regular, b"2"),
        ]);
        let mut seen = Vec::new();
        for_each_entry(&t[..], |e, _, _| {
            seen.push(e.path.to_string());
            Ok(Flow::Stop)
        })
        .unwrap();
        assert_eq!(seen, ["a"]);
    }
}
