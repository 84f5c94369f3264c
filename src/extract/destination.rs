//! Every check and every write below the destination directory, and nothing else: this is the
//! one place that touches the user's disk, so it is the one place to audit.
//!
//! The image is hostile input: its names, symlinks and hardlinks may all try to reach outside
//! the destination. Paths are already normalised (no `..`, no leading `/`), the merged view never
//! shows a path below a non-directory, and on top of that every create below the destination
//! first walks the path's components with `lstat` and refuses any symlink or non-directory on
//! the way, files are opened with `O_EXCL` (an existing symlink at the leaf is never followed),
//! and the image's symlinks are created last, so nothing strata writes afterwards can pass
//! through one of them.
//!
//! Content is written while its layer streams, before the layer's digest can be checked at its
//! end, so the writer remembers what it made since the last verified layer: when the check
//! fails, `discard_unverified` takes those files away again.

use std::collections::HashSet;
use std::fs::{self, DirBuilder, File, OpenOptions, Permissions};
use std::io::{self, Read};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::plan::{Dest, DestKind, DirPlan, Plan, SymlinkPlan};
use super::Summary;
use crate::model::error::{Error, Result};
use crate::model::text::printable;
use crate::tree::Entry;

/// Files and directories are private while strata writes them; their modes are applied once
/// their content (or, for directories, everything below them) is in place.
const WORK_MODE: u32 = 0o700;

/// A destination path as messages show it (it contains names chosen by the image).
fn shown_dest(path: &Path) -> String {
    printable(&path.display().to_string(), 1000)
}

pub(super) fn dest_error(path: &Path, e: io::Error) -> Error {
    refuse(path, e.to_string())
}

fn refuse(path: &Path, reason: impl Into<String>) -> Error {
    Error::Extract {
        path: shown_dest(path),
        reason: reason.into(),
    }
}

/// A name of the image as the bytes its tar had (see `tree::path::name_from_bytes`).
fn os_name(name: &str) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    std::ffi::OsString::from_vec(crate::model::path::name_to_bytes(name).into_owned())
}

/// `dir` joined with a normalised image path, refusing any component that could climb out.
fn dest(dir: &Path, rel: &str) -> Result<PathBuf> {
    let mut out = dir.to_path_buf();
    for comp in rel.split('/') {
        if comp.is_empty() || comp == "." || comp == ".." || comp.contains('\0') {
            return Err(refuse(
                &dir.join(rel),
                "refusing an unsafe name from the image",
            ));
        }
        out.push(os_name(comp));
    }
    Ok(out)
}

/// Checks that every existing ancestor of `rel` below `dir` is a real directory. With `made`,
/// missing ancestors are created (as `mkdir -p` would) and their paths below `dir` added to
/// it; without, the walk stops at the first missing one, since nothing below it can exist.
fn check_ancestors(dir: &Path, rel: &str, mut made: Option<&mut HashSet<String>>) -> Result<()> {
    let mut cur = dir.to_path_buf();
    let comps: Vec<&str> = rel.split('/').collect();
    let Some((_, ancestors)) = comps.split_last() else {
        return Ok(());
    };
    for (depth, comp) in ancestors.iter().enumerate() {
        cur.push(os_name(comp));
        match fs::symlink_metadata(&cur) {
            Ok(m) if m.file_type().is_dir() => {}
            Ok(m) if m.file_type().is_symlink() => {
                return Err(refuse(
                    &dir.join(rel),
                    format!("refusing to write through the symlink {}", shown_dest(&cur)),
                ))
            }
            Ok(_) => {
                return Err(refuse(
                    &dir.join(rel),
                    format!("{} exists and is not a directory", shown_dest(&cur)),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let Some(made) = made.as_deref_mut() else {
                    return Ok(());
                };
                match fs::create_dir(&cur) {
                    Ok(()) => {
                        made.insert(ancestors[..=depth].join("/"));
                    }
                    // Lost a race with someone else's mkdir: check what is there now.
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        let m = fs::symlink_metadata(&cur).map_err(|e| dest_error(&cur, e))?;
                        if !m.file_type().is_dir() {
                            return Err(refuse(&cur, "exists and is not a directory"));
                        }
                    }
                    Err(e) => return Err(dest_error(&cur, e)),
                }
            }
            Err(e) => return Err(dest_error(&cur, e)),
        }
    }
    Ok(())
}

/// Refuses, before anything is written: a selected root below a symlink or a file of the
/// destination, any existing path (unless it is a directory where a directory goes) without
/// `overwrite`, and with `overwrite` any directory where a non-directory goes.
pub(super) fn precheck(dir: &Path, plan: &Plan, overwrite: bool) -> Result<()> {
    for root in &plan.roots {
        check_ancestors(dir, root, None)?;
    }
    for t in &plan.targets {
        let path = dest(dir, &t.rel)?;
        let Ok(m) = fs::symlink_metadata(&path) else {
            continue;
        };
        let is_real_dir = m.file_type().is_dir();
        if is_real_dir && t.is_dir {
            continue;
        }
        if is_real_dir {
            return Err(refuse(
                &path,
                "is a directory and strata does not replace directories; remove it first",
            ));
        }
        if !overwrite {
            return Err(Error::Exists {
                path: shown_dest(&path),
            });
        }
    }
    Ok(())
}

/// A directory this extraction made, and what it gets once everything below it is written.
struct CreatedDir {
    rel: String,
    path: PathBuf,
    mode: u32,
    mtime: Option<u64>,
}

/// Does the writing and counts what it wrote.
pub(super) struct Writer<'d> {
    dir: &'d Path,
    overwrite: bool,
    pub summary: Summary,
    /// Directories created here, with the mode and mtime to apply at the very end.
    created_dirs: Vec<CreatedDir>,
    /// Every directory this extraction created (planned or a missing ancestor), by its path
    /// below `dir`: the only directories a rollback may remove.
    made_dirs: HashSet<String>,
    /// Files and hardlinks created from the layer streaming now, whose bytes are not verified
    /// until its digest is, each with its device and inode: only that file is ever removed.
    unverified: Vec<(String, (u64, u64))>,
}

impl<'d> Writer<'d> {
    pub(super) fn new(dir: &'d Path, overwrite: bool) -> Writer<'d> {
        Writer {
            dir,
            overwrite,
            summary: Summary::default(),
            created_dirs: Vec::new(),
            made_dirs: HashSet::new(),
            unverified: Vec::new(),
        }
    }

    /// Makes `rel`'s ancestors safe and clears its place: an existing non-directory is removed
    /// with `overwrite` (a symlink is unlinked, never followed); a directory is never removed.
    /// Returns the destination path and whether a directory is already there.
    fn prepare(&mut self, rel: &str) -> Result<(PathBuf, bool)> {
        check_ancestors(self.dir, rel, Some(&mut self.made_dirs))?;
        let path = dest(self.dir, rel)?;
        match fs::symlink_metadata(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok((path, false)),
            Err(e) => Err(dest_error(&path, e)),
            Ok(m) if m.file_type().is_dir() => Ok((path, true)),
            Ok(_) if self.overwrite => {
                fs::remove_file(&path).map_err(|e| dest_error(&path, e))?;
                Ok((path, false))
            }
            Ok(_) => Err(Error::Exists {
                path: shown_dest(&path),
            }),
        }
    }

    /// `prepare` for anything but a directory: a directory in the way stays and is an error.
    fn prepare_leaf(&mut self, rel: &str) -> Result<PathBuf> {
        match self.prepare(rel)? {
            (path, true) => Err(refuse(
                &path,
                "is a directory; strata does not replace directories",
            )),
            (path, false) => Ok(path),
        }
    }

    pub(super) fn make_dir(&mut self, d: &DirPlan) -> Result<()> {
        let (path, exists) = self.prepare(&d.rel)?;
        // A directory the user already had keeps its own mode.
        if !exists {
            DirBuilder::new()
                .mode(WORK_MODE)
                .create(&path)
                .map_err(|e| dest_error(&path, e))?;
            self.made_dirs.insert(d.rel.clone());
            self.created_dirs.push(CreatedDir {
                rel: d.rel.clone(),
                path,
                mode: d.mode,
                mtime: d.mtime,
            });
        }
        self.summary.dirs += 1;
        Ok(())
    }

    /// Writes one stored file's content to its first destination and links the others to it.
    pub(super) fn write_content(
        &mut self,
        entry: &Entry,
        content: &mut dyn Read,
        dests: &[Dest],
    ) -> Result<()> {
        let Some((first, rest)) = dests.split_first() else {
            return Ok(());
        };
        let path = self.prepare_leaf(&first.rel)?;
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(WORK_MODE)
            .open(&path)
            .map_err(|e| dest_error(&path, e))?;
        // Before the first byte: a copy cut short by a failing layer is taken away too.
        let id = file.metadata().map_err(|e| dest_error(&path, e))?;
        self.unverified
            .push((first.rel.clone(), (id.dev(), id.ino())));
        let written = io::copy(content, &mut file).map_err(|e| dest_error(&path, e))?;
        // Permission bits only: setuid, setgid and sticky from an image have no business on
        // the user's disk.
        file.set_permissions(Permissions::from_mode(entry.mode & 0o777))
            .map_err(|e| dest_error(&path, e))?;
        if let Some(time) = mtime(entry.mtime) {
            file.set_modified(time).map_err(|e| dest_error(&path, e))?;
        }
        self.summary.bytes += written;
        self.count(first.kind);
        for link in rest {
            self.link_to(&first.rel, link)?;
        }
        Ok(())
    }

    /// Hardlinks `link` to `target`, a regular file this extraction just wrote inside `dir`.
    fn link_to(&mut self, target: &str, link: &Dest) -> Result<()> {
        check_ancestors(self.dir, target, None)?;
        let from = dest(self.dir, target)?;
        let m = fs::symlink_metadata(&from).map_err(|e| dest_error(&from, e))?;
        if !m.file_type().is_file() {
            return Err(refuse(
                &from,
                "is no longer a regular file; not linking to it",
            ));
        }
        let path = self.prepare_leaf(&link.rel)?;
        fs::hard_link(&from, &path).map_err(|e| dest_error(&path, e))?;
        self.unverified.push((link.rel.clone(), (m.dev(), m.ino())));
        self.count(link.kind);
        Ok(())
    }

    fn count(&mut self, kind: DestKind) {
        match kind {
            DestKind::File => self.summary.files += 1,
            DestKind::Hardlink => self.summary.hardlinks += 1,
        }
    }

    /// The layer just streamed passed its digest check: what it wrote stays.
    pub(super) fn keep_verified(&mut self) {
        self.unverified.clear();
    }

    /// Removes every file and hardlink written since the last verified layer, then each
    /// directory this extraction made that the removal left empty, deepest first; the
    /// extraction then fails with `why`, the layer's error. A file that cannot be removed is
    /// the error instead, quoting `why`: the user must know that file holds bytes nothing
    /// vouches for.
    pub(super) fn discard_unverified(&mut self, why: &Error) -> Result<()> {
        let mut left = None;
        let mut emptied = HashSet::new();
        for (rel, id) in std::mem::take(&mut self.unverified) {
            let path = dest(self.dir, &rel)?;
            let kept = match check_ancestors(self.dir, &rel, None) {
                Err(e) => Some(e.to_string()),
                Ok(()) => remove_own_file(&path, id).err().map(|e| e.to_string()),
            };
            if let Some(reason) = kept {
                left.get_or_insert_with(|| {
                    refuse(
                        &path,
                        format!(
                            "holds unverified bytes and could not be removed ({reason}): {why}"
                        ),
                    )
                });
                continue;
            }
            let mut up = rel.as_str();
            while let Some((parent, _)) = up.rsplit_once('/') {
                if !self.made_dirs.contains(parent) || !emptied.insert(parent.to_string()) {
                    break;
                }
                up = parent;
            }
        }
        let mut emptied: Vec<String> = emptied.into_iter().collect();
        // A directory sorts before everything below it, so reversed, children go first.
        emptied.sort_unstable_by(|a, b| b.cmp(a));
        for rel in emptied {
            let path = dest(self.dir, &rel)?;
            // `rmdir` removes only an empty directory and never follows a symlink: one that
            // still holds something stays, as does anything not a directory.
            if check_ancestors(self.dir, &rel, None).is_ok() {
                let _ = fs::remove_dir(&path);
            }
        }
        left.map_or(Ok(()), Err)
    }

    pub(super) fn make_symlink(&mut self, s: &SymlinkPlan) -> Result<()> {
        let path = self.prepare_leaf(&s.rel)?;
        // The target is stored verbatim and never resolved: `/etc/passwd` stays a dangling or
        // host-pointing name inside `dir`, which strata itself never opens again.
        std::os::unix::fs::symlink(os_name(s.target), &path).map_err(|e| dest_error(&path, e))?;
        self.summary.symlinks += 1;
        Ok(())
    }

    /// Applies directory mtimes and modes, deepest first, now that nothing more is written
    /// inside them (a 0555 directory would have blocked its own children).
    pub(super) fn finish_dirs(&mut self) -> Result<()> {
        for d in self.created_dirs.iter().rev() {
            let path = &d.path;
            check_ancestors(self.dir, &d.rel, None)?;
            let m = fs::symlink_metadata(path).map_err(|e| dest_error(path, e))?;
            if !m.file_type().is_dir() {
                return Err(refuse(path, "is no longer a directory"));
            }
            let handle = File::open(path).map_err(|e| dest_error(path, e))?;
            if let Some(time) = d.mtime.and_then(mtime) {
                handle.set_modified(time).map_err(|e| dest_error(path, e))?;
            }
            handle
                .set_permissions(Permissions::from_mode(d.mode))
                .map_err(|e| dest_error(path, e))?;
        }
        Ok(())
    }
}

/// Removes the regular file at `path` if it is still the one `id` names; anything else there
/// was not written by this extraction and stays.
fn remove_own_file(path: &Path, id: (u64, u64)) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(m) if !m.file_type().is_file() || (m.dev(), m.ino()) != id => Ok(()),
        Ok(_) => fs::remove_file(path),
    }
}

/// An image's mtime as a time the filesystem can take; `None` for one too far out to represent
/// (a crafted header must not abort the extraction, let alone panic).
fn mtime(secs: u64) -> Option<SystemTime> {
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::tree::EntryKind;

    fn dest_of(rel: &str, kind: DestKind) -> Dest {
        Dest {
            rel: rel.into(),
            kind,
        }
    }

    /// A rollback takes away only what this extraction wrote since the last verified layer:
    /// not a verified file, not a file someone put in place of one of its own, not a directory
    /// the user had or one that still holds something.
    #[test]
    fn discarding_removes_only_the_unverified_files_and_the_directories_they_emptied() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        fs::create_dir(dir.join("mine")).unwrap();
        let mut out = Writer::new(dir, false);
        let entry = Entry::for_test("x", EntryKind::File);
        out.write_content(
            &entry,
            &mut &b"ok"[..],
            &[dest_of("a/kept", DestKind::File)],
        )
        .unwrap();
        out.keep_verified();
        let dests = [
            dest_of("mine/b/c/new", DestKind::File),
            dest_of("d/link", DestKind::Hardlink),
            dest_of("a/e/link", DestKind::Hardlink),
        ];
        out.write_content(&entry, &mut &b"unverified"[..], &dests)
            .unwrap();
        fs::remove_file(dir.join("a/e/link")).unwrap();
        fs::write(dir.join("a/e/link"), b"not strata's").unwrap();

        let why = Error::Unsupported {
            reason: "the layer's check failed".into(),
        };
        out.discard_unverified(&why).unwrap();
        let mut left: Vec<String> = walk(dir, dir);
        left.sort();
        assert_eq!(left, ["a", "a/e", "a/e/link", "a/kept", "mine"]);
        assert_eq!(fs::read(dir.join("a/kept")).unwrap(), b"ok");
    }

    fn walk(root: &Path, dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(root).unwrap().display().to_string());
            if p.is_dir() {
                out.extend(walk(root, &p));
            }
        }
        out
    }
}
