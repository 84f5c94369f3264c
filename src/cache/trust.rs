//! Which local blobs strata has verified, and the state of their file then (`trust/v1/HEX`,
//! HEX naming the file and the member). A layer tree from the cache stands in for reading a
//! local blob only while its file is exactly as it was when the blob was checked: same device,
//! inode, size, mtime and ctime. A config that merely names a known digest proves nothing.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use super::{Cache, TRUST_DIR};
use crate::blob::origin::FileIdentity;
use crate::blob::store::{persist, touch, BlobStore};
use crate::model::digest::Digest;
use crate::model::image::Verified;

impl Cache {
    fn trust_path(&self, id: &FileIdentity) -> PathBuf {
        let name = format!("{}\0{}", id.path.display(), id.entry);
        self.root
            .join(TRUST_DIR)
            .join(Digest::of(name.as_bytes()).hex())
    }

    /// The digest the blob `id` was verified against (the key of its tree) and what was
    /// checked, if the file is as it was then.
    pub fn trusted(&self, id: &FileIdentity) -> Option<(Digest, Verified)> {
        let path = self.trust_path(id);
        let text = fs::read_to_string(&path).ok()?;
        let mut lines = text.lines();
        let (digest, verified) = (lines.next()?, lines.next()?);
        if lines.next()? != record(id) {
            return None;
        }
        let digest = Digest::parse(digest)?;
        let verified = Verified::from_bits(verified.parse().ok()?);
        touch(&path);
        Some((digest, verified))
    }

    /// Records that the blob `id` was verified against `digest` (what `verified` says).
    pub fn put_trust(
        &self,
        id: &FileIdentity,
        digest: &Digest,
        verified: Verified,
    ) -> std::io::Result<()> {
        let mut temp = BlobStore::at(self.root.clone()).temp_file()?;
        writeln!(temp, "{digest}\n{}\n{}", verified.bits(), record(id))?;
        persist(temp, &self.trust_path(id))
    }
}

/// The file's state as one line.
fn record(id: &FileIdentity) -> String {
    format!(
        "{} {} {} {} {}",
        id.device, id.inode, id.size, id.mtime_ns, id.ctime_ns
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_holds_only_while_the_file_is_unchanged() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cache = Cache::at(dir.path().join("cache"));
        let file = dir.path().join("image.tar");
        std::fs::write(&file, b"layers").unwrap_or_else(|e| panic!("{e}"));
        let Some(id) = FileIdentity::of(&file, "l0/layer.tar") else {
            panic!("no identity")
        };
        let d = Digest::of(b"layer");
        let v = Verified {
            digest: true,
            diff_id: true,
        };
        assert_eq!(cache.trusted(&id), None);
        assert!(cache.put_trust(&id, &d, v).is_ok());
        assert_eq!(cache.trusted(&id), Some((d.clone(), v)));
        // Another member of the same file has no record.
        assert_eq!(cache.trusted(&id.entry("l1/layer.tar")), None);
        // Written to (even with the same size and content): ctime moves, the record goes.
        std::fs::write(&file, b"layers").unwrap_or_else(|e| panic!("{e}"));
        let Some(now) = FileIdentity::of(&file, "l0/layer.tar") else {
            panic!("no identity")
        };
        if now != id {
            assert_eq!(cache.trusted(&now), None);
        }
    }
}
