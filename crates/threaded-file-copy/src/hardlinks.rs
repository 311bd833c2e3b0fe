//! Hard links inside SRC stay hard links in DST (files, and symlinks and FIFOs too).
//!
//! An entry with more than one link (`nlink > 1`) is recognised by its (device, inode). The
//! first path to reach it, in whichever worker, claims it and copies it (`LinkTable::claim`,
//! called by the copy); every later path is put aside and, once all workers have finished,
//! linked to that copy here. Linking only after every copy is done is what makes this safe
//! across threads: no worker ever waits for another one's copy to finish, and no link can
//! point at a file still being written.

use std::fs;
use std::path::Path;
use std::sync::atomic::Ordering::Relaxed;

use crate::context::Context;
use crate::copy::{self, Outcome};
use crate::entry::{Job, Kind};
use crate::error::CopyError;

/// Links every path put aside. Called once, after every worker has been joined. Where the
/// owner's copy failed, the first later path copies the entry itself and the others link
/// to that; `record` counts or reports that copy as it does any job's (`job::record`).
pub fn link_all(ctx: &Context, record: impl Fn(&Context, Kind, &Path, Result<Outcome, CopyError>)) {
    let later = std::mem::take(&mut ctx.links.lock().later);
    let mut buf = Vec::new();
    for (id, src, dst) in later {
        if ctx.cancelled() {
            return;
        }
        let owner = ctx.links.lock().owners.get(&id).cloned().flatten();
        match owner {
            Some(existing) => match copy::link_file(ctx, &existing, &dst) {
                Ok(()) => {
                    ctx.report.hardlinks.fetch_add(1, Relaxed);
                }
                Err(e) => ctx.report.error(e),
            },
            None => {
                if buf.is_empty() {
                    buf = copy::buffer();
                }
                let ft = fs::symlink_metadata(&src).map(|m| m.file_type());
                let kind = match ft {
                    Ok(ft) if ft.is_file() => Kind::File,
                    Ok(ft) if ft.is_symlink() => Kind::Symlink,
                    _ => Kind::Special,
                };
                let job = Job {
                    src,
                    dst,
                    kind,
                    dirs: None,
                };
                let result = copy::copy_entry(ctx, &job, &mut buf, false);
                if matches!(result, Ok(Outcome::Copied { .. })) {
                    ctx.links.copied(id, &job.dst);
                }
                record(ctx, kind, &job.src, result);
            }
        }
    }
}
