//! What the walker and every worker of one copy share (`Context`), and the identity of a
//! file (`FileId`). Every other module of the copy borrows a `Context`; this one depends on
//! nothing but the report and staging, so it is where the module graph starts.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fs::Metadata;
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::report::Report;
use crate::staging::Staging;

/// (device, inode): what a path *is*, whatever its spelling.
pub type FileId = (u64, u64);

pub fn file_id(meta: &Metadata) -> FileId {
    (meta.dev(), meta.ino())
}

/// What is kept besides content, permission bits and times (all on by default, like cp -a).
#[derive(Debug, Clone, Copy)]
pub struct Keep {
    /// Owner and group (and with them the set-user-ID and set-group-ID bits).
    pub owner: bool,
    /// Extended attributes, ACLs included (`system.posix_acl_*`).
    pub xattrs: bool,
}

/// Everything the walker and the workers of one copy share; borrowed by every thread
/// (scoped threads and rayon's `install` both allow borrowing), so no field needs an `Arc`
/// but the Ctrl-C flag, which the signal handler holds too.
pub struct Context {
    pub src: PathBuf,
    pub dst: PathBuf,
    /// DST itself, open (`O_PATH`): every name under DST is looked up from here or from a
    /// directory opened from here, one component at a time, never following a symlink.
    pub dst_root: OwnedFd,
    /// DST's (device, inode): with --dereference, a symlink inside SRC could lead into DST;
    /// the walker refuses to descend there.
    pub dst_id: FileId,
    pub dereference: bool,
    pub force: bool,
    pub keep: Keep,
    /// Our effective user and group: a file that already belongs to them needs no `fchown`.
    pub euid: u32,
    pub egid: u32,
    /// How new files get their names (probed on DST once per copy).
    pub staging: Staging,
    pub report: Report,
    pub links: LinkTable,
    /// Set by Ctrl-C. Workers stop taking jobs and the walker stops walking.
    pub cancel: Arc<AtomicBool>,
    /// Directory pairs held open right now (see `entry::DirPair`), at most `MAX_OPEN_PAIRS`.
    pub open_pairs: AtomicUsize,
}

/// How many `entry::DirPair`s may be open at once: a very deep tree must not use up the
/// process's file descriptors (the copiers need some too).
pub const MAX_OPEN_PAIRS: usize = 128;

impl Context {
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// Hard links: which multiply-linked source files have been claimed by a copier, and the
/// paths to link once every copy is done (see `hardlinks.rs`). Only files with several links
/// enter the table, so its size is the number of such files, not the size of the tree.
#[derive(Default)]
pub struct LinkTable {
    inner: Mutex<Links>,
}

#[derive(Default)]
pub struct Links {
    /// For each multiply-linked source file: its copy (relative to DST), once complete.
    pub owners: HashMap<FileId, Option<PathBuf>>,
    /// Paths to link once every copy is done: (source file, source path, destination path).
    pub later: Vec<(FileId, PathBuf, PathBuf)>,
}

impl LinkTable {
    pub fn lock(&self) -> MutexGuard<'_, Links> {
        // A worker that panicked while holding the lock left the table consistent (each
        // update is one insert or push), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `true`: the caller copies this file. `false`: another path claimed it, and `dst` is
    /// linked to that copy at the end.
    pub fn claim(&self, id: FileId, src: &std::path::Path, dst: &std::path::Path) -> bool {
        let mut links = self.lock();
        match links.owners.entry(id) {
            Entry::Occupied(_) => {
                links.later.push((id, src.to_path_buf(), dst.to_path_buf()));
                false
            }
            Entry::Vacant(slot) => {
                slot.insert(None);
                true
            }
        }
    }

    /// The owner's copy at `dst` is complete: later paths can link to it.
    pub fn copied(&self, id: FileId, dst: &std::path::Path) {
        self.lock().owners.insert(id, Some(dst.to_path_buf()));
    }
}

#[cfg(test)]
impl Context {
    /// A context for unit tests: copies from `src` into `dst`, both existing directories.
    pub fn for_test(src: &std::path::Path, dst: &std::path::Path) -> Self {
        use std::os::fd::AsFd;
        let flags = rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY;
        let dst_root = rustix::fs::openat(rustix::fs::CWD, dst, flags, rustix::fs::Mode::empty())
            .expect("open dst");
        Context {
            src: src.to_path_buf(),
            dst: dst.to_path_buf(),
            staging: Staging::probe(dst_root.as_fd()),
            dst_root,
            dst_id: (0, 0),
            dereference: false,
            force: false,
            keep: Keep {
                owner: true,
                xattrs: true,
            },
            euid: rustix::process::geteuid().as_raw(),
            egid: rustix::process::getegid().as_raw(),
            report: Report::default(),
            links: LinkTable::default(),
            cancel: Arc::new(AtomicBool::new(false)),
            open_pairs: AtomicUsize::new(0),
        }
    }
}
