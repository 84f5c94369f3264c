//! What a layer read keeps of some files' content while it hashes them: the few small files a
//! caller names (package databases), and the bytes after a marker in others (a Go binary's
//! build info, found by its magic wherever the binary sits). The walk is the one pass over
//! the layer's bytes; keeping them here is what lets the package inventory cost no second
//! read of any layer.
//!
//! The tree does not know what the kept bytes mean: the caller's `Keep` decides which files
//! to keep and turns their bytes into what it stores (`LayerTree::packages`).

use memchr::memmem;

use super::Entry;

/// What to keep of one regular file's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Nothing,
    /// All of it, up to `max` bytes; a larger file is reported as `Kept::TooBig` unread.
    Whole {
        max: u64,
    },
    /// When the content starts with `head`, the `take` bytes from the first place `marker`
    /// starts at an offset that is a multiple of `align`.
    After {
        head: &'static [u8],
        marker: &'static [u8],
        align: u64,
        take: usize,
    },
}

/// What was kept.
#[derive(Debug, PartialEq, Eq)]
pub enum Kept<'a> {
    Whole(&'a [u8]),
    TooBig {
        size: u64,
        max: u64,
    },
    /// From the marker on (shorter than `take` where the file ends first).
    After(&'a [u8]),
}

/// The caller's side of keeping: which files, and what becomes of their bytes.
pub trait Keep {
    fn wants(&self, entry: &Entry) -> Want;
    /// Called once per file whose `Want` found something, before the next entry is read.
    fn kept(&mut self, entry: &Entry, content: Kept<'_>);
}

/// Keeps nothing.
pub struct KeepNothing;

impl Keep for KeepNothing {
    fn wants(&self, _: &Entry) -> Want {
        Want::Nothing
    }
    fn kept(&mut self, _: &Entry, _: Kept<'_>) {}
}

/// Collects what one file's `Want` asks for, chunk by chunk, as the walk hashes them.
pub(super) struct Collect {
    want: Want,
    /// Bytes of the file seen so far.
    offset: u64,
    bytes: Vec<u8>,
    /// `After`: the marker was found and `bytes` grows from it.
    found: bool,
    /// `After`: the content did not start with `head`; nothing more to look for.
    done: bool,
    /// `After`: the last bytes of the previous chunk, where a marker may start.
    carry: Vec<u8>,
}

impl Collect {
    /// `None` when nothing is wanted, or when the whole file is too big to keep.
    pub(super) fn new(want: Want, size: u64) -> Result<Option<Collect>, Kept<'static>> {
        let capacity = match want {
            Want::Nothing => return Ok(None),
            Want::Whole { max } if size > max => return Err(Kept::TooBig { size, max }),
            Want::Whole { .. } => size as usize,
            Want::After { .. } => 0,
        };
        Ok(Some(Collect {
            want,
            offset: 0,
            bytes: Vec::with_capacity(capacity),
            found: false,
            done: false,
            carry: Vec::new(),
        }))
    }

    pub(super) fn feed(&mut self, chunk: &[u8]) {
        let start = self.offset;
        self.offset += chunk.len() as u64;
        match self.want {
            Want::Nothing => {}
            Want::Whole { max } => {
                let room = (max as usize).saturating_sub(self.bytes.len());
                self.bytes
                    .extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Want::After {
                head,
                marker,
                align,
                take,
            } => {
                if self.done {
                    return;
                }
                if self.found {
                    let room = take.saturating_sub(self.bytes.len());
                    self.bytes
                        .extend_from_slice(&chunk[..chunk.len().min(room)]);
                    self.done = self.bytes.len() >= take;
                    return;
                }
                if start < head.len() as u64 && !self.head_matches(head, start, chunk) {
                    self.done = true;
                    return;
                }
                self.search(chunk, start, marker, align.max(1), take);
            }
        }
    }

    /// Whether the part of `head` this chunk covers matches (the head may span chunks).
    fn head_matches(&self, head: &[u8], start: u64, chunk: &[u8]) -> bool {
        let from = start as usize;
        let upto = head.len().min(from + chunk.len());
        head[from..upto] == chunk[..upto - from]
    }

    /// Looks for `marker` (at an offset that is a multiple of `align`) in the carried tail of
    /// the last chunk and this one, without copying the chunk: a large executable streams by
    /// in chunks of up to a few MiB, and a copy of each was allocator churn that outlived the
    /// layer read (peak RSS).
    fn search(&mut self, chunk: &[u8], start: u64, marker: &[u8], align: u64, take: usize) {
        let carry = std::mem::take(&mut self.carry);
        let carry_start = start - carry.len() as u64;
        // A marker that starts in the carried tail: searched in the tail and the chunk's first
        // `marker.len() - 1` bytes.
        let mut edge = carry.clone();
        edge.extend_from_slice(&chunk[..chunk.len().min(marker.len().saturating_sub(1))]);
        let in_edge = memmem::find_iter(&edge, marker)
            .filter(|&at| at < carry.len())
            .find(|&at| (carry_start + at as u64).is_multiple_of(align));
        if let Some(at) = in_edge {
            self.found = true;
            self.bytes.extend_from_slice(&carry[at..]);
            let room = take.saturating_sub(self.bytes.len());
            self.bytes
                .extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.bytes.truncate(take);
            self.done = self.bytes.len() >= take;
            return;
        }
        let hit =
            memmem::find_iter(chunk, marker).find(|&at| (start + at as u64).is_multiple_of(align));
        match hit {
            Some(at) => {
                self.found = true;
                let end = chunk.len().min(at + take);
                self.bytes.extend_from_slice(&chunk[at..end]);
                self.done = self.bytes.len() >= take;
            }
            None => {
                let keep = marker.len().saturating_sub(1);
                if chunk.len() >= keep {
                    self.carry = chunk[chunk.len() - keep..].to_vec();
                } else {
                    let mut tail = carry;
                    tail.extend_from_slice(chunk);
                    self.carry = tail[tail.len() - keep.min(tail.len())..].to_vec();
                }
            }
        }
    }

    /// Hands what was collected to `keep`: the whole file, or what followed the marker.
    pub(super) fn finish(self, keep: &mut dyn Keep, entry: &Entry) {
        match self.want {
            Want::Whole { .. } => keep.kept(entry, Kept::Whole(&self.bytes)),
            Want::After { .. } if self.found => keep.kept(entry, Kept::After(&self.bytes)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::EntryKind;

    #[derive(Default)]
    struct Seen(Vec<Vec<u8>>);
    impl Keep for Seen {
        fn wants(&self, _: &Entry) -> Want {
            Want::Nothing
        }
        fn kept(&mut self, _: &Entry, content: Kept<'_>) {
            match content {
                Kept::Whole(b) | Kept::After(b) => self.0.push(b.to_vec()),
                Kept::TooBig { .. } => self.0.push(b"too big".to_vec()),
            }
        }
    }

    fn collect(want: Want, content: &[u8], chunk: usize) -> Vec<Vec<u8>> {
        let entry = Entry::for_test("a", EntryKind::File);
        let mut seen = Seen::default();
        match Collect::new(want, content.len() as u64) {
            Ok(Some(mut c)) => {
                for part in content.chunks(chunk) {
                    c.feed(part);
                }
                c.finish(&mut seen, &entry);
            }
            Ok(None) => {}
            Err(kept) => seen.kept(&entry, kept),
        }
        seen.0
    }

    const GO: Want = Want::After {
        head: b"\x7fELF",
        marker: b"\xff Go buildinf:",
        align: 16,
        take: 8,
    };

    #[test]
    fn a_marker_is_found_across_chunks_only_where_aligned() {
        let mut elf = b"\x7fELF".to_vec();
        elf.resize(20, 0);
        // Unaligned (offset 20): not it.
        elf.extend_from_slice(b"\xff Go buildinf:XX");
        elf.resize(64, 0);
        // Aligned (offset 64).
        elf.extend_from_slice(b"\xff Go buildinf:\x08\x02abcdefgh");
        for chunk in [1, 3, 7, 16, 1000] {
            assert_eq!(
                collect(GO, &elf, chunk),
                [b"\xff Go bui".to_vec()],
                "chunks of {chunk}"
            );
        }
        // Not an ELF file: not looked into.
        let mut other = elf.clone();
        other[1] = b'X';
        assert!(collect(GO, &other, 5).is_empty());
        // The file ends right after the marker: what there is.
        let short = [&elf[..64], b"\xff Go buil"].concat();
        assert!(collect(GO, &short, 4).is_empty());
        let cut = [&elf[..64], b"\xff Go buildinf:"].concat();
        let want = Want::After {
            head: b"\x7fELF",
            marker: b"\xff Go buildinf:",
            align: 16,
            take: 100,
        };
        assert_eq!(collect(want, &cut, 4), [b"\xff Go buildinf:".to_vec()]);
    }

    /// Every chunking finds what one pass over the whole file finds: the first aligned marker
    /// and `take` bytes from it, wherever the chunk borders fall (inside the marker, inside
    /// the taken bytes, a marker right at a border).
    #[test]
    fn chunking_never_changes_what_is_found() {
        let want = Want::After {
            head: b"\x7fELF",
            marker: b"\xff Go buildinf:",
            align: 16,
            take: 24,
        };
        let marker = b"\xff Go buildinf:";
        let mut seed = 7u64;
        for case in 0..200 {
            let mut elf = b"\x7fELF".to_vec();
            let len = 64 + (case * 13) % 300;
            while elf.len() < len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let alphabet = b"\xff Gobuildinf:x\0";
                elf.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            // A marker at some offset, aligned or not.
            let at = 4 + (seed as usize % (len - 20));
            elf.splice(at..at, marker.iter().copied());
            let expected = (0..elf.len())
                .find(|&i| i % 16 == 0 && elf[i..].starts_with(marker))
                .map(|i| elf[i..elf.len().min(i + 24)].to_vec());
            for chunk in [1, 2, 5, 13, 14, 15, 16, 17, 31, 64, 4096] {
                let got = collect(want, &elf, chunk);
                assert_eq!(
                    got.first(),
                    expected.as_ref(),
                    "case {case}, chunks of {chunk}"
                );
            }
        }
    }

    #[test]
    fn whole_files_are_kept_up_to_their_limit() {
        let want = Want::Whole { max: 10 };
        assert_eq!(collect(want, b"0123456789", 3), [b"0123456789".to_vec()]);
        assert_eq!(collect(want, b"0123456789A", 3), [b"too big".to_vec()]);
        assert!(collect(Want::Nothing, b"x", 1).is_empty());
    }
}
