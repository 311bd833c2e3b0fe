//! Hard links inside SRC stay hard links in DST.
//!
//! A file with more than one link (`nlink > 1`) is recognised by its (device, inode). The
//! first path to reach it, in whichever worker, claims it and copies it; every later path
//! is put aside and, once all workers have finished, linked to that copy. Linking only
//! after every copy is done is what makes this safe across threads: no worker ever waits
//! for another one's copy to finish, and no link can point at a file still being written.
//!
//! Only files with several links enter the table, so its size is the number of
//! multiply-linked files, not the size of the tree.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use crate::copy;
use crate::job::{self, Context, Kind};
use crate::plan::FileId;
use crate::report::Report;

#[derive(Default)]
pub struct HardLinks {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// For each multiply-linked source file: where its copy is, and whether it succeeded.
    owners: HashMap<FileId, Owner>,
    /// Paths to link once every copy is done: (source file, source path, destination path).
    later: Vec<(FileId, PathBuf, PathBuf)>,
}

struct Owner {
    dst: PathBuf,
    copied: bool,
}

impl HardLinks {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A worker that panicked while holding the lock left the table consistent (each
        // update is one insert or push), so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `true`: the caller copies this file. `false`: it was claimed by another path, and
    /// `dst` will be linked to that copy by `link_all`.
    pub fn claim(&self, id: FileId, src: &Path, dst: &Path) -> bool {
        let mut inner = self.lock();
        match inner.owners.entry(id) {
            Entry::Occupied(_) => {
                inner.later.push((id, src.to_path_buf(), dst.to_path_buf()));
                false
            }
            Entry::Vacant(slot) => {
                slot.insert(Owner {
                    dst: dst.to_path_buf(),
                    copied: false,
                });
                true
            }
        }
    }

    /// The owner's copy is complete: later paths can link to it.
    pub fn copied(&self, id: FileId) {
        if let Some(owner) = self.lock().owners.get_mut(&id) {
            owner.copied = true;
        }
    }

    /// Links every path put aside. Called once, after every worker has been joined. Where
    /// the owner's copy failed, the first later path copies the file itself and the others
    /// link to that.
    pub fn link_all(&self, ctx: &Context) {
        let later = std::mem::take(&mut self.lock().later);
        let mut buf = Vec::new();
        for (id, src, dst) in later {
            if ctx.cancelled() {
                return;
            }
            let owner_dst = self
                .lock()
                .owners
                .get(&id)
                .filter(|o| o.copied)
                .map(|o| o.dst.clone());
            match owner_dst {
                Some(existing) => match copy::link_file(&existing, &dst) {
                    Ok(()) => Report::add(&ctx.report.hardlinks, 1),
                    Err(e) => ctx.report.error(e),
                },
                None => {
                    if buf.is_empty() {
                        buf = copy::buffer();
                    }
                    let result = copy::copy_file(ctx, &src, &dst, None, &mut buf, false);
                    if matches!(result, Ok(copy::Outcome::Copied { .. })) {
                        self.lock().owners.insert(id, Owner { dst, copied: true });
                    }
                    job::record(ctx, Kind::File, &src, result);
                }
            }
        }
    }
}
