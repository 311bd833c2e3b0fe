//! The walker: turns SRC into batches of jobs, in one thread.
//!
//! It walks SRC depth first (walkdir, which reads file types from the directory entries
//! themselves, so a plain walk costs no `stat` per file) and for each entry:
//!
//! - a directory: creates it in DST right away, before any job for a file inside it is handed
//!   out, so copiers never wait for or race on directory creation; and remembers its
//!   permission bits and mtime, which are applied only after everything is copied (see
//!   `tree::finalize_dirs`). Until then it is owner-writable, so a read-only directory still
//!   receives its files;
//! - a regular file or a symlink: adds a job to the current batch;
//! - a FIFO, socket or device: skips it with a warning, counted;
//! - an error (an unreadable directory, a symlink loop with --dereference): reports it with
//!   the path and goes on with the rest of the tree.
//!
//! With --dereference, walkdir follows symlinks and detects loops by comparing each directory
//! with its ancestors by (device, inode).
//!
//! The walker is an `Iterator` of batches, so the sequential mode loops over it, the threads
//! mode runs it in its own thread feeding a channel, and the rayon mode hands it to
//! `par_bridge`. Memory: one batch at a time, plus one `DirMeta` per directory (not per file).
//!
//! It also keeps open the directories that pending jobs are in (`job::DirPair`), so that the
//! copiers can open and link files by name relative to them rather than by full path.

use std::fs::{self, DirBuilder, FileTimes, Metadata};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use walkdir::WalkDir;

use crate::copy::{self, PERM_MASK};
use crate::job::{Batch, Context, DirPair, Job, Kind};
use crate::plan::file_id;
use crate::report::Report;

/// Jobs per batch: large enough that handing a batch over costs little per file, small
/// enough that a few batches in flight keep every worker busy on a small tree.
pub const BATCH_SIZE: usize = 32;

/// A directory created in DST whose permission bits and times are applied at the end.
#[derive(Debug)]
pub struct DirMeta {
    pub dst: PathBuf,
    mode: u32,
    times: Option<FileTimes>,
}

impl DirMeta {
    pub fn new(dst: PathBuf, meta: &Metadata) -> Self {
        DirMeta {
            dst,
            mode: meta.mode() & PERM_MASK,
            times: copy::file_times(meta).ok(),
        }
    }

    /// Sets the directory's times, then its permission bits, through one open handle
    /// (the times first: after `chmod 000` nothing could be changed by path any more).
    pub fn apply(&self) -> io::Result<()> {
        let dir = fs::File::open(&self.dst)?;
        if let Some(times) = self.times {
            dir.set_times(times)?;
        }
        dir.set_permissions(fs::Permissions::from_mode(self.mode))
    }
}

pub struct Walker<'a> {
    ctx: &'a Context,
    it: walkdir::IntoIter,
    batch: Batch,
    /// Directories in the order they were created: parents before children.
    dirs: Vec<DirMeta>,
    /// Jobs handed out so far.
    walked: u64,
    /// Open handles of the directories on the path from SRC down to the current one, by
    /// depth (SRC and DST are depth 0): an entry at depth d lies in `open_dirs[d - 1]`.
    open_dirs: Vec<Option<Arc<DirPair>>>,
}

impl<'a> Walker<'a> {
    /// `root` is DST itself, which gets SRC's own metadata at the very end.
    pub fn new(ctx: &'a Context, root: DirMeta) -> Self {
        let it = WalkDir::new(&ctx.src)
            .min_depth(1)
            .follow_links(ctx.dereference)
            .into_iter();
        Walker {
            ctx,
            it,
            batch: Vec::with_capacity(BATCH_SIZE),
            dirs: vec![root],
            walked: 0,
            open_dirs: vec![DirPair::open(&ctx.src, &ctx.dst)],
        }
    }

    /// Hands out the current batch, noting how many jobs are now walked but not finished.
    fn emit(&mut self) -> Batch {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_SIZE));
        self.walked += batch.len() as u64;
        let report = &self.ctx.report;
        let in_flight = self.walked.saturating_sub(report.done.load(Relaxed));
        report.peak_in_flight.fetch_max(in_flight, Relaxed);
        batch
    }

    /// The directories created, parents before children (pre-order).
    pub fn into_dirs(self) -> Vec<DirMeta> {
        self.dirs
    }

    fn dst_of(&self, src: &Path) -> PathBuf {
        // walkdir's paths all start with the root it was given.
        match src.strip_prefix(&self.ctx.src) {
            Ok(rel) => self.ctx.dst.join(rel),
            Err(_) => self.ctx.dst.join(src.file_name().unwrap_or_default()),
        }
    }

    /// Creates the directory `dst` for the source directory `entry`. `false`: it was not
    /// created (the error is reported) and its contents must be skipped.
    fn make_dir(&mut self, entry: &walkdir::DirEntry, dst: PathBuf) -> bool {
        let report = &self.ctx.report;
        let meta = match entry.metadata() {
            Ok(meta) => meta,
            Err(e) => {
                report.error(format_args!(
                    "cannot stat '{}': {e}",
                    entry.path().display()
                ));
                return false;
            }
        };
        if self.ctx.dereference && file_id(&meta) == self.ctx.dst_id {
            report.error(format_args!(
                "'{}' leads into the destination; not copied into itself",
                entry.path().display()
            ));
            return false;
        }
        // Owner rwx until the end, whatever the final bits, so that files can be written in.
        match DirBuilder::new().mode(0o700).create(&dst) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && self.ctx.force => {
                if !fs::metadata(&dst).is_ok_and(|m| m.is_dir()) {
                    report.error(format_args!(
                        "cannot create directory '{}': it exists and is not a directory",
                        dst.display()
                    ));
                    return false;
                }
            }
            Err(e) => {
                report.error(format_args!(
                    "cannot create directory '{}': {e}",
                    dst.display()
                ));
                return false;
            }
        }
        Report::add(&report.dirs, 1);
        self.dirs.push(DirMeta::new(dst, &meta));
        true
    }

    fn walk_error(&self, err: walkdir::Error) {
        let path = err.path().unwrap_or(Path::new("?")).display().to_string();
        if let Some(ancestor) = err.loop_ancestor() {
            self.ctx.report.error(format_args!(
                "symlink loop: '{path}' leads back to its ancestor '{}'; not followed",
                ancestor.display()
            ));
        } else if let Some(io) = err.io_error() {
            self.ctx
                .report
                .error(format_args!("cannot read '{path}': {io}"));
        } else {
            self.ctx.report.error(err);
        }
    }
}

impl Iterator for Walker<'_> {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        loop {
            // Ctrl-C: stop walking. The partial batch is dropped: nothing of it was started.
            if self.ctx.cancelled() {
                return None;
            }
            let entry = match self.it.next() {
                None if self.batch.is_empty() => return None,
                None => return Some(self.emit()),
                Some(Err(err)) => {
                    self.walk_error(err);
                    continue;
                }
                Some(Ok(entry)) => entry,
            };
            let dst = self.dst_of(entry.path());
            let ft = entry.file_type();
            let depth = entry.depth();
            let kind = if ft.is_dir() {
                // Walking depth first, every directory deeper than this one is finished.
                self.open_dirs.truncate(depth);
                if self.make_dir(&entry, dst.clone()) {
                    self.open_dirs.push(DirPair::open(entry.path(), &dst));
                } else {
                    self.open_dirs.push(None);
                    self.it.skip_current_dir();
                }
                continue;
            } else if ft.is_file() {
                Kind::File
            } else if ft.is_symlink() {
                Kind::Symlink
            } else {
                self.ctx.report.skipped(entry.path(), copy::kind_name(&ft));
                continue;
            };
            let dirs = self.open_dirs.get(depth - 1).cloned().flatten();
            self.batch.push(Job {
                src: entry.into_path(),
                dst,
                kind,
                dirs,
            });
            if self.batch.len() == BATCH_SIZE {
                return Some(self.emit());
            }
        }
    }
}
