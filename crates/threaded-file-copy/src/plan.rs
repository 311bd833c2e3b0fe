//! Safety checks, all made before anything is written: a refused copy exits with status 2
//! and leaves the file system as it was.
//!
//! Paths are compared by what they are, not how they are spelled: two paths name the same
//! directory when their (device, inode) pairs match, which also sees through symlinks, `..`,
//! and bind mounts. "DST inside SRC" is checked by walking up from DST's canonical path and
//! comparing each ancestor's (device, inode) with SRC's.
//!
//! SRC must be a directory: this tool copies trees, and a single file is `cp`'s job. A symlink
//! given as SRC is followed (the user named it), like `cp -H`.

use std::fs::{self, Metadata};
use std::io;
use std::path::{Path, PathBuf};

use crate::dst;

use crate::context::{file_id, FileId};
use crate::error::Refusal;

/// A copy that passed every check.
#[derive(Debug)]
pub struct Plan {
    pub src: PathBuf,
    pub dst: PathBuf,
    /// SRC's own metadata: DST gets its permission bits and mtime at the end.
    pub src_meta: Metadata,
    /// Whether DST already existed (empty, or any directory with --force).
    pub dst_exists: bool,
}

/// Checks SRC and DST; the `Err` says, naming the path, why the copy is refused.
pub fn check(src: &Path, dst: &Path, force: bool) -> Result<Plan, Refusal> {
    let src_meta = fs::metadata(src).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Refusal(format!("source '{}' does not exist", src.display())),
        _ => Refusal(format!("cannot access source '{}': {e}", src.display())),
    })?;
    if !src_meta.is_dir() {
        return Err(Refusal(format!(
            "source '{}' is not a directory: threaded-file-copy copies directory trees \
             (use cp for a single file)",
            src.display()
        )));
    }
    let src_id = file_id(&src_meta);
    let src_canon = canonical(src)?;

    let dst_exists = match fs::metadata(dst) {
        Ok(meta) if meta.is_dir() => {
            if file_id(&meta) == src_id {
                return Err(Refusal(format!(
                    "destination '{}' is the same directory as source '{}'",
                    dst.display(),
                    src.display()
                )));
            }
            refuse_if_inside(&canonical(dst)?, src_id, dst, src)?;
            // The reverse nesting is refused too: copying SRC's contents into an ancestor
            // of SRC would write into SRC itself while it is being read.
            if has_ancestor(&src_canon, file_id(&meta)) {
                return Err(Refusal(format!(
                    "source '{}' is inside destination '{}'",
                    src.display(),
                    dst.display()
                )));
            }
            if !force && !is_empty_dir(dst)? {
                return Err(Refusal(format!(
                    "destination '{}' exists and is not empty (use --force to copy into it)",
                    dst.display()
                )));
            }
            true
        }
        Ok(_) => {
            return Err(Refusal(format!(
                "destination '{}' exists and is not a directory",
                dst.display()
            )))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if fs::symlink_metadata(dst).is_ok() {
                return Err(Refusal(format!(
                    "destination '{}' is a dangling symlink",
                    dst.display()
                )));
            }
            let parent = dst::parent(dst);
            if !fs::metadata(parent).is_ok_and(|m| m.is_dir()) {
                return Err(Refusal(format!(
                    "the parent directory of destination '{}' does not exist",
                    dst.display()
                )));
            }
            refuse_if_inside(&canonical(parent)?, src_id, dst, src)?;
            false
        }
        Err(e) => {
            return Err(Refusal(format!(
                "cannot access destination '{}': {e}",
                dst.display()
            )))
        }
    };
    Ok(Plan {
        src: src.to_path_buf(),
        dst: dst.to_path_buf(),
        src_meta,
        dst_exists,
    })
}

impl Plan {
    /// Creates DST when it does not exist yet: the first write of the copy. Owner-only
    /// permissions until the end, when it gets SRC's bits.
    pub fn create_dst(&self) -> io::Result<()> {
        if !self.dst_exists {
            use std::os::unix::fs::DirBuilderExt;
            fs::DirBuilder::new().mode(0o700).create(&self.dst)?;
        }
        Ok(())
    }
}

fn canonical(path: &Path) -> Result<PathBuf, Refusal> {
    fs::canonicalize(path).map_err(|e| Refusal(format!("cannot resolve '{}': {e}", path.display())))
}

fn is_empty_dir(dir: &Path) -> Result<bool, Refusal> {
    let mut entries = fs::read_dir(dir)
        .map_err(|e| Refusal(format!("cannot read destination '{}': {e}", dir.display())))?;
    Ok(entries.next().is_none())
}

/// Whether `start` or one of its ancestors is the directory `id`.
pub fn has_ancestor(start: &Path, id: FileId) -> bool {
    start
        .ancestors()
        .any(|p| fs::metadata(p).is_ok_and(|m| file_id(&m) == id))
}

/// Refuses when `start` (DST or, if DST does not exist yet, its parent) is SRC or lies
/// inside it: the copy would then walk into what it is writing.
fn refuse_if_inside(start: &Path, src_id: FileId, dst: &Path, src: &Path) -> Result<(), Refusal> {
    if has_ancestor(start, src_id) {
        return Err(Refusal(format!(
            "destination '{}' is inside source '{}'",
            dst.display(),
            src.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_problem() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir_all(src.join("sub")).unwrap();
        fs::write(src.join("f"), b"x").unwrap();
        std::os::unix::fs::symlink(&src, tmp.path().join("alias")).unwrap();

        let refused = |s: &Path, d: &Path, force: bool| check(s, d, force).unwrap_err().to_string();
        assert!(
            refused(&tmp.path().join("nope"), &tmp.path().join("d"), false)
                .contains("does not exist")
        );
        assert!(refused(&src.join("f"), &tmp.path().join("d"), false).contains("not a directory"));
        assert!(refused(&src, &src.join("sub/new"), false).contains("inside source"));
        assert!(refused(&src, &tmp.path().join("alias"), true).contains("same directory"));
        assert!(refused(&src, &tmp.path().join("alias/sub"), true).contains("inside source"));
        assert!(refused(&src.join("sub"), tmp.path(), true).contains("source"));
        assert!(refused(&src, &src.join("f"), true).contains("not a directory"));
        assert!(refused(&src, &tmp.path().join("a/b"), false).contains("parent directory"));

        let full = tmp.path().join("full");
        fs::create_dir(&full).unwrap();
        fs::write(full.join("x"), b"x").unwrap();
        assert!(refused(&src, &full, false).contains("not empty"));
        assert!(check(&src, &full, true).unwrap().dst_exists);
        assert!(
            !check(&src, &tmp.path().join("new"), false)
                .unwrap()
                .dst_exists
        );
    }
}
