//! rpm's package databases: the three files rpm has kept its headers in (sqlite since 4.16,
//! Berkeley DB before, ndb on SUSE), each read down to the header blobs it stores, and one
//! header reader (`header::record`) that turns a blob into a `Record` as syft 1.18 names it.
//!
//! All three are read from bytes in memory, as the tree walker kept them: no files, no
//! temporary copies (syft copies each database to a temporary file for go-rpmdb). A database
//! is read whole or not at all: any bad page or header is an error naming it, as go-rpmdb
//! fails the whole database (the inventory reports it as unreadable).
//!
//! Where this differs from syft 1.18.1 on purpose: a `rpmdb.sqlite-wal` beside the database
//! is applied (go-rpmdb opens sqlite with `immutable=1`, which never reads the WAL, so syft
//! lists packages a committed transaction already removed). Where it agrees: `gpg-pubkey`
//! entries (imported signing keys, no arch, no files) are kept, as syft lists them; the
//! version carries the epoch whenever the header has one, `0:` included.

mod berkeley;
pub mod header;
mod ndb;
mod sqlite;

pub use berkeley::berkeley;
pub use ndb::ndb;
pub use sqlite::sqlite;

/// What a backend calls with each header blob it finds.
type Each<'a> = dyn FnMut(&[u8]) -> Result<(), String> + 'a;

/// The records of the header blobs a backend's `blobs` hands out, in its order; the first bad
/// header fails the whole database.
fn records(
    blobs: impl FnOnce(&mut Each) -> Result<(), String>,
) -> Result<Vec<crate::model::packages::Record>, String> {
    let mut records = Vec::new();
    blobs(&mut |blob| {
        records.push(header::record(blob)?);
        Ok(())
    })?;
    Ok(records)
}

/// A database file's byte order (Berkeley DB writes its host's; ndb is little endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endian {
    Little,
    Big,
}

impl Endian {
    fn u16(self, bytes: &[u8], at: usize) -> Option<u16> {
        let b: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u16::from_le_bytes(b),
            Endian::Big => u16::from_be_bytes(b),
        })
    }

    fn u32(self, bytes: &[u8], at: usize) -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        })
    }
}

#[cfg(test)]
mod tests {
    //! The databases under `tests/data/rpm/` (see its README): written by rpm and db_load
    //! from `scripts/rpm-fixture.sh`'s packages, and two real ones from go-rpmdb's test data.
    use super::*;
    use crate::model::packages::Record;
    use std::io::Read;

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn data(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/data/rpm/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        if name.ends_with(".gz") {
            gz(&bytes)
        } else {
            bytes
        }
    }

    fn summary(records: &[Record]) -> Vec<String> {
        let mut out: Vec<String> = records
            .iter()
            .map(|r| {
                format!(
                    "{}\t{}\t{}",
                    r.name,
                    r.version,
                    r.arch.as_deref().unwrap_or("")
                )
            })
            .collect();
        out.sort();
        out
    }

    fn expected() -> Vec<String> {
        let tsv = String::from_utf8(data("expected.tsv")).unwrap();
        tsv.lines().map(str::to_string).collect()
    }

    fn by_name<'a>(records: &'a [Record], name: &str) -> &'a Record {
        records.iter().find(|r| r.name == name).unwrap()
    }

    fn files(r: &Record) -> Vec<&str> {
        r.files.iter().collect()
    }

    /// What rpm itself says of the fixture's packages (`rpm -ql`, `rpm -qi`).
    fn check_fixture_packages(records: &[Record]) {
        assert_eq!(summary(records), expected());
        // The imported signing key: kept, as syft 1.18.1 keeps it.
        let key = by_name(records, "gpg-pubkey");
        assert_eq!((&key.arch, &key.source), (&None, &None));
        assert!(key.files.is_empty());
        let epoch = by_name(records, "strata-epoch");
        assert_eq!(epoch.version, "3:1.2.3-4");
        assert_eq!(epoch.arch.as_deref(), Some("noarch"));
        assert_eq!(epoch.license.as_deref(), Some("MIT"));
        assert_eq!(
            epoch.source.as_deref(),
            Some("strata-epoch-1.2.3-4.src.rpm")
        );
        assert_eq!(files(epoch), ["usr", "usr/bin", "usr/bin/strata-epoch"]);
        let up = by_name(records, "strata-up");
        assert_eq!(up.version, "2.0-1");
        assert_eq!(
            files(up),
            [
                "usr",
                "usr/lib",
                "usr/lib/strata-up",
                "usr/lib/strata-up/v2.0"
            ]
        );
        let doc = by_name(records, "strata-tree-doc");
        assert_eq!(doc.source.as_deref(), Some("strata-tree-0.9-2.src.rpm"));
        assert_eq!(doc.license.as_deref(), Some("CC-BY-4.0"));
        assert_eq!(
            files(doc),
            [
                "usr/share/doc/strata-tree-doc",
                "usr/share/doc/strata-tree-doc/README"
            ]
        );
        let tree = by_name(records, "strata-tree");
        assert_eq!(tree.license.as_deref(), Some("GPL-2.0-or-later AND MIT"));
        let tree_files = files(tree);
        assert_eq!(tree_files.len(), 8 + 120);
        assert_eq!(
            tree_files[..8],
            [
                "etc/strata-tree.conf",
                "usr/share/strata-tree",
                "usr/share/strata-tree/a",
                "usr/share/strata-tree/a/b",
                "usr/share/strata-tree/a/b/c.txt",
                "usr/share/strata-tree/a/d.txt",
                "usr/share/strata-tree/e.txt",
                "usr/share/strata-tree/many",
            ]
        );
        for (i, f) in tree_files[8..].iter().enumerate() {
            let want = format!(
                "usr/share/strata-tree/many/a-rather-long-file-name-to-make-the-header-big-{:03}.dat",
                i + 1
            );
            assert_eq!(*f, want);
        }
    }

    #[test]
    fn sqlite_reads_what_rpm_wrote() {
        let records = sqlite(&data("rpmdb.sqlite.gz"), None).unwrap();
        check_fixture_packages(&records);
        // Rows come in hnum order: the upgrade got the last instance number.
        let names: Vec<&str> = records.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "strata-epoch",
                "strata-tree-doc",
                "strata-tree",
                "strata-up",
                "gpg-pubkey"
            ]
        );
    }

    #[test]
    fn berkeley_reads_both_byte_orders() {
        for name in ["Packages.gz", "Packages.be.gz"] {
            let records = berkeley(&data(name)).unwrap();
            check_fixture_packages(&records);
        }
    }

    #[test]
    fn berkeley_reads_a_real_centos_database() {
        let records = berkeley(&data("centos-libuuid-Packages.gz")).unwrap();
        let uuid = by_name(&records, "libuuid");
        assert_eq!(uuid.version, "2.32.1-42.el8_8");
        assert_eq!(uuid.arch.as_deref(), Some("x86_64"));
        assert_eq!(uuid.license.as_deref(), Some("BSD"));
        assert_eq!(
            uuid.source.as_deref(),
            Some("util-linux-2.32.1-42.el8_8.src.rpm")
        );
        // go-rpmdb's LibuuidInstalledFileNames.
        assert_eq!(
            files(uuid),
            [
                "usr/lib/.build-id",
                "usr/lib/.build-id/df/ef6a880adac817216ab9866779a0725e017647",
                "usr/lib64/libuuid.so.1",
                "usr/lib64/libuuid.so.1.3.0",
                "usr/share/licenses/libuuid",
                "usr/share/licenses/libuuid/COPYING",
                "usr/share/licenses/libuuid/COPYING.BSD-3",
            ]
        );
    }

    #[test]
    fn ndb_reads_a_real_sle15_database() {
        let records = ndb(&data("sle15-bci-Packages.db.gz")).unwrap();
        let want = String::from_utf8(data("sle15-bci-expected.tsv")).unwrap();
        let got: Vec<String> = records
            .iter()
            .map(|r| {
                format!(
                    "{}\t{}\t{}\t{}\t{}",
                    r.name,
                    r.version,
                    r.arch.as_deref().unwrap_or(""),
                    r.source.as_deref().unwrap_or(""),
                    r.license.as_deref().unwrap_or("")
                )
            })
            .collect();
        assert_eq!(got, want.lines().collect::<Vec<_>>());
        assert!(records
            .iter()
            .all(|r| !r.files.is_empty() || r.name == "gpg-pubkey"));
    }

    /// The fixture's WAL (written over `rpmdb.sqlite` itself) holds two committed
    /// transactions: frames 0-4 delete strata-epoch (commit at frame 4), frames 5-10 delete
    /// strata-up (commit at frame 10).
    #[test]
    fn a_wal_overrides_the_main_file_up_to_its_last_commit() {
        let db = data("rpmdb.sqlite.gz");
        let wal = data("rpmdb.sqlite-wal.gz");
        let frame = 24 + 4096;
        assert_eq!(wal.len(), 32 + 11 * frame);
        let names = |wal: Option<&[u8]>| -> Vec<String> {
            let mut n: Vec<String> = sqlite(&db, wal)
                .unwrap()
                .into_iter()
                .map(|r| r.name)
                .collect();
            n.sort();
            n
        };
        let all = [
            "gpg-pubkey",
            "strata-epoch",
            "strata-tree",
            "strata-tree-doc",
            "strata-up",
        ];
        assert_eq!(names(None), all);
        assert_eq!(
            names(Some(&wal)),
            ["gpg-pubkey", "strata-tree", "strata-tree-doc"]
        );
        // The second transaction without its commit frame: only the first one counts.
        let first_only = ["gpg-pubkey", "strata-tree", "strata-tree-doc", "strata-up"];
        assert_eq!(names(Some(&wal[..32 + 10 * frame])), first_only);
        // A torn frame (a partial last frame) is no frame.
        assert_eq!(names(Some(&wal[..32 + 11 * frame - 1])), first_only);
        // A frame whose page changed after it was written fails its checksum, and so does
        // every frame after it.
        let mut bad = wal.clone();
        bad[32 + 7 * frame + 24 + 100] ^= 1;
        assert_eq!(names(Some(&bad)), first_only);
        // A frame of another WAL generation (other salts) ends the log.
        let mut bad = wal.clone();
        bad[32 + 5 * frame + 8] ^= 1;
        assert_eq!(names(Some(&bad)), first_only);
        // A WAL header that fails its checksum, or not a WAL: the main file alone.
        for at in [0, 16, 24] {
            let mut bad = wal.clone();
            bad[at] ^= 1;
            assert_eq!(names(Some(&bad)), all, "header byte {at}");
        }
        assert_eq!(names(Some(&wal[..20])), all);
        assert_eq!(names(Some(&[])), all);
    }

    #[test]
    fn truncated_databases_are_errors_not_panics() {
        let db = data("rpmdb.sqlite.gz");
        let mut step = 0;
        while step < db.len() {
            let _ = sqlite(&db[..step], None);
            step += 509;
        }
        // The rows live on later pages than the first.
        assert!(sqlite(&db[..db.len() / 2], None).is_err());
        assert!(sqlite(&db[..99], None).is_err());
        for name in ["Packages.gz", "centos-libuuid-Packages.gz"] {
            let bdb = data(name);
            for n in (0..bdb.len()).step_by(997) {
                let _ = berkeley(&bdb[..n]);
            }
            assert!(berkeley(&bdb[..bdb.len() - 1]).is_err());
        }
        let n = data("sle15-bci-Packages.db.gz");
        for cut in (0..n.len()).step_by(4099) {
            let _ = ndb(&n[..cut]);
        }
        assert!(ndb(&n[..n.len() / 2]).is_err());
    }

    #[test]
    fn berkeley_overflow_loops_and_lying_pages_are_errors() {
        let bdb = data("Packages.gz");
        let page_size = 4096;
        let overflow: Vec<usize> = (0..bdb.len() / page_size)
            .filter(|n| bdb[n * page_size + 25] == 7)
            .collect();
        assert!(overflow.len() > 2, "the fixture has overflow chains");
        // An overflow page whose next page is itself.
        let n = overflow[0];
        let mut bad = bdb.clone();
        bad[n * page_size + 16..n * page_size + 20].copy_from_slice(&(n as u32).to_le_bytes());
        assert!(berkeley(&bad).unwrap_err().contains("loops"));
        // A last page beyond the file; a chain into the metadata page.
        let mut bad = bdb.clone();
        bad[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(berkeley(&bad).is_err());
        let mut bad = bdb.clone();
        bad[n * page_size + 16..n * page_size + 20].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
        assert!(berkeley(&bad).is_err());
    }

    #[test]
    fn ndb_lying_offsets_and_lengths_are_errors() {
        let n = data("sle15-bci-Packages.db.gz");
        // The first used slot (after the 32-byte header): its block offset, then its blob's
        // length.
        let slot = (32..4096)
            .step_by(16)
            .find(|&s| n[s + 4..s + 8] != [0; 4])
            .unwrap();
        let mut bad = n.clone();
        bad[slot + 8..slot + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(ndb(&bad).is_err());
        let blob = u32::from_le_bytes(n[slot + 8..slot + 12].try_into().unwrap()) as usize * 16;
        let mut bad = n.clone();
        bad[blob + 12..blob + 16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(ndb(&bad).is_err());
        let mut bad = n.clone();
        bad[12..16].copy_from_slice(&2048u32.to_le_bytes());
        assert!(ndb(&bad).is_err());
        // Every slot naming the first one's blob: each slot alone is sound, together they
        // claim more blob bytes than the file has.
        let blob_len = |s: usize| {
            let at = u32::from_le_bytes(n[s + 8..s + 12].try_into().unwrap()) as usize * 16;
            u32::from_le_bytes(n[at + 12..at + 16].try_into().unwrap())
        };
        let biggest = (32..4096)
            .step_by(16)
            .filter(|&s| n[s + 4..s + 8] != [0; 4])
            .max_by_key(|&s| blob_len(s))
            .unwrap();
        let mut bad = n.clone();
        for s in (32..4096).step_by(16) {
            bad.copy_within(biggest..biggest + 16, s);
        }
        let err = ndb(&bad).err().unwrap_or_default();
        assert!(err.contains("share"), "{err}");
    }

    /// Joined paths against header size on every real header at hand: the budget in
    /// `header::files` (`MAX_PATH_BYTES_PER_BYTE`) leaves a wide margin over real headers.
    #[test]
    fn joined_paths_stay_within_their_budget_on_real_headers() {
        let mut worst = (0f64, String::new());
        let mut measure = |blob: &[u8]| -> Result<(), String> {
            let r = header::record(blob)?;
            let paths: usize = r.files.iter().map(|p| p.len() + 2).sum();
            let ratio = paths as f64 / blob.len() as f64;
            if ratio > worst.0 {
                worst = (ratio, r.name);
            }
            Ok(())
        };
        ndb::blobs(&data("sle15-bci-Packages.db.gz"), &mut measure).unwrap();
        berkeley::blobs(&data("centos-libuuid-Packages.gz"), &mut measure).unwrap();
        sqlite::blobs(&data("rpmdb.sqlite.gz"), None, &mut measure).unwrap();
        // Headers of other distributions met while writing this (not committed: too big):
        // STRATA_RPMDB_EXTRA=path[,path] adds sqlite, ndb or Berkeley files.
        for path in std::env::var("STRATA_RPMDB_EXTRA")
            .unwrap_or_default()
            .split(',')
        {
            if path.is_empty() {
                continue;
            }
            let bytes = std::fs::read(path).unwrap();
            if bytes.starts_with(b"SQLite format 3") {
                sqlite::blobs(&bytes, None, &mut measure).unwrap();
            } else if bytes.starts_with(b"RpmP") {
                ndb::blobs(&bytes, &mut measure).unwrap();
            } else {
                berkeley::blobs(&bytes, &mut measure).unwrap();
            }
        }
        eprintln!(
            "most path bytes per header byte: {:.2} ({})",
            worst.0, worst.1
        );
        assert!(
            worst.0 * 4.0 < header::MAX_PATH_BYTES_PER_BYTE as f64,
            "{worst:?}"
        );
    }
}
