//! Which images the cached files belong to (`names/v1`), so `strata cache ls` can name them:
//! for each digest (a blob, a layer's tree, dive's figures of a list of layers) the references
//! it was loaded as, most recent first. Written when an image is loaded.
//!
//! One small text file: a first line `strata-names v1 SHA256` (of the rest), then one line per
//! digest, `sha256:HEX` and its names, tab-separated (names are escaped, so none holds a tab or
//! a line break). It is rewritten whole, through a temp file and a rename, so a reader never
//! sees half of it; two processes loading at once may lose one's update (it only names
//! things), never corrupt it. A file that does not check out is read as empty. Bounded: the
//! `MAX_DIGESTS` digests loaded last, `MAX_NAMES` names each, `MAX_NAME_CHARS` per name.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use super::{Cache, NAMES_DIR};
use crate::blob::store::{persist, BlobStore};
use crate::model::digest::Digest;
use crate::model::text::printable;

const MAGIC: &str = "strata-names v1";
const MAX_DIGESTS: usize = 4096;
const MAX_NAMES: usize = 8;
const MAX_NAME_CHARS: usize = 256;
/// Larger than the bounds allow; a bigger file is not strata's and is read as empty.
const MAX_FILE_BYTES: u64 = 16 << 20;

/// One digest's names, most recent first.
type Record = (String, Vec<String>);

impl Cache {
    fn names_path(&self) -> PathBuf {
        self.root.join(NAMES_DIR).join("v1")
    }

    /// The names recorded for each digest (`sha256:HEX`), most recent first.
    pub fn names(&self) -> HashMap<String, Vec<String>> {
        self.read_names().into_iter().collect()
    }

    /// Records that the files of `digests` were loaded as `names` (the reference typed, the
    /// names the image gives itself): they go first in each digest's list, and the digests
    /// first in the file.
    pub fn remember_names(&self, digests: &[Digest], names: &[String]) -> io::Result<()> {
        let mut names: Vec<String> = names
            .iter()
            .filter(|n| !n.is_empty())
            .map(|n| printable(n, MAX_NAME_CHARS))
            .collect();
        dedup(&mut names);
        if names.is_empty() || digests.is_empty() {
            return Ok(());
        }
        let existing = self.read_names();
        let order: Vec<String> = existing.iter().map(|(d, _)| d.clone()).collect();
        let mut old: HashMap<String, Vec<String>> = existing.into_iter().collect();
        let mut records: Vec<Record> = Vec::new();
        for d in digests {
            let key = d.to_string();
            if records.iter().any(|(k, _)| *k == key) {
                continue;
            }
            let mut list = names.clone();
            list.extend(old.remove(&key).unwrap_or_default());
            dedup(&mut list);
            list.truncate(MAX_NAMES);
            records.push((key, list));
        }
        for key in order {
            if let Some(list) = old.remove(&key) {
                records.push((key, list));
            }
        }
        records.truncate(MAX_DIGESTS);
        let mut body = String::new();
        for (key, list) in &records {
            body.push_str(key);
            for n in list {
                body.push('\t');
                body.push_str(n);
            }
            body.push('\n');
        }
        let mut temp = BlobStore::at(self.root.clone()).temp_file()?;
        write!(
            temp,
            "{MAGIC} {}\n{body}",
            Digest::of(body.as_bytes()).hex()
        )?;
        persist(temp, &self.names_path())
    }

    /// The records, most recently loaded first; none when the file is missing or does not
    /// check out.
    fn read_names(&self) -> Vec<Record> {
        let mut text = String::new();
        let read = File::open(self.names_path())
            .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_string(&mut text));
        if read.is_err() || text.len() as u64 > MAX_FILE_BYTES {
            return Vec::new();
        }
        let Some((head, body)) = text.split_once('\n') else {
            return Vec::new();
        };
        let sum = Digest::of(body.as_bytes()).hex();
        if head != format!("{MAGIC} {sum}") {
            return Vec::new();
        }
        body.lines()
            .filter_map(|line| {
                let mut fields = line.split('\t');
                let key = fields.next().filter(|k| Digest::parse(k).is_some())?;
                Some((key.to_string(), fields.map(str::to_string).collect()))
            })
            .collect()
    }
}

/// Keeps the first of each name, in order.
fn dedup(names: &mut Vec<String>) {
    let mut seen = HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cache = Cache::at(dir.path().to_path_buf());
        (dir, cache)
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_are_kept_by_digest_most_recent_first() {
        let (_dir, cache) = cache();
        let (a, b) = (Digest::of(b"a"), Digest::of(b"b"));
        assert!(cache.names().is_empty());
        assert!(cache
            .remember_names(&[a.clone(), b.clone()], &names(&["app:v1", "app:v1"]))
            .is_ok());
        assert!(cache
            .remember_names(std::slice::from_ref(&b), &names(&["app:v2", "app:v1"]))
            .is_ok());
        let got = cache.names();
        assert_eq!(got[&a.to_string()], names(&["app:v1"]));
        assert_eq!(got[&b.to_string()], names(&["app:v2", "app:v1"]));
        // A name is escaped: no tab or line break reaches the file's fields.
        assert!(cache
            .remember_names(std::slice::from_ref(&a), &names(&["evil\tname\nsha256:00"]))
            .is_ok());
        assert_eq!(cache.names()[&a.to_string()][0], "evil\\tname\\nsha256:00");
        assert_eq!(cache.names().len(), 2);
    }

    #[test]
    fn the_file_stays_bounded() {
        let (_dir, cache) = cache();
        let many: Vec<Digest> = (0..MAX_DIGESTS + 10)
            .map(|i| Digest::of(&i.to_le_bytes()))
            .collect();
        assert!(cache.remember_names(&many, &names(&["old"])).is_ok());
        for i in 0..MAX_NAMES + 3 {
            let latest = [Digest::of(b"latest")];
            assert!(cache.remember_names(&latest, &[format!("tag{i}")]).is_ok());
        }
        let got = cache.names();
        assert_eq!(got.len(), MAX_DIGESTS);
        let latest = &got[&Digest::of(b"latest").to_string()];
        assert_eq!(latest.len(), MAX_NAMES);
        assert_eq!(latest[0], format!("tag{}", MAX_NAMES + 2));
        // Past the bound, what was loaded longest ago goes (the end of the first list).
        assert!(got.contains_key(&many[0].to_string()));
        assert!(!got.contains_key(&many[MAX_DIGESTS + 9].to_string()));
    }

    #[test]
    fn a_file_that_does_not_check_out_is_read_as_empty_and_replaced() {
        let (_dir, cache) = cache();
        let a = Digest::of(b"a");
        assert!(cache
            .remember_names(std::slice::from_ref(&a), &names(&["app:v1"]))
            .is_ok());
        let path = cache.names_path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        // One name changed, the checksum not.
        let _ = std::fs::write(&path, text.replace("app:v1", "app:v9"));
        assert!(cache.names().is_empty());
        assert!(cache
            .remember_names(std::slice::from_ref(&a), &names(&["app:v2"]))
            .is_ok());
        assert_eq!(cache.names()[&a.to_string()], names(&["app:v2"]));
    }
}
