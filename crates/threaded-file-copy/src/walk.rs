//! The walker: turns SRC into batches of jobs, in one thread.
//!
//! It walks SRC depth first (walkdir, which reads file types from the directory entries
//! themselves, so a plain walk costs no `stat` per file) and for each entry:
//!
//! - a directory: creates it in DST right away (`dst::make_dir`: relative to its parent's
//!   descriptor, nothing there followed), before any job for a file inside it is handed out,
//!   so copiers never wait for or race on directory creation; and remembers its metadata,
//!   which is applied only after everything is copied (see `tree::finalize_dirs`). Until then
//!   it is owner-writable, so a read-only directory still receives its files;
//! - a file, a symlink, a FIFO, a socket or a device: adds a job to the current batch;
//! - an error (an unreadable directory, a symlink loop with --dereference): reports it with
//!   the path and goes on with the rest of the tree.
//!
//! With --dereference, walkdir follows symlinks and detects loops by comparing each directory
//! with its ancestors by (device, inode); a directory reached through a link is also checked
//! against DST and DST's own subtree, which the copy is filling as it goes: following such a
//! link would copy the copy into itself, deeper at every turn.
//!
//! The walker is an `Iterator` of batches, so the sequential mode loops over it, the threads
//! mode runs it in its own thread feeding a channel, and the rayon mode hands it to
//! `par_bridge`. Memory: one batch at a time, plus one `DirMeta` per directory (not per file).
//!
//! It also keeps open the directories that pending jobs are in (`entry::DirPair`), so that the
//! copiers can open and link files by name relative to them rather than by full path.

use std::ffi::OsStr;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use walkdir::WalkDir;

use crate::context::{file_id, Context};
use crate::dst::{self, Cursor, DirError};
use crate::entry::{Batch, DirPair, Job, Kind};
use crate::meta::{self, Stat, Target};
use crate::plan;
use crate::report::Report;

/// A batch is one directory's files where it can be: it is handed out when the walk moves on
/// to another directory, once it holds at least `BATCH_MIN` jobs (so that a tree of tiny
/// directories still travels in batches that cost little per file to hand over), and
/// whenever it holds `BATCH_MAX` (so that memory stays bounded in a huge directory, and a
/// few batches in flight keep every worker busy).
///
/// Why one directory per batch: creating a name in a directory takes that directory's lock
/// (`i_rwsem`, held while `linkat` adds the name), so two workers copying into one directory wait
/// for each other at every file (the kernel spins on the lock, then sleeps), while two
/// workers in two directories never meet. With batches of 32 taken in walk order, both
/// workers were in the same directory nearly all the time; on 10,000 files in 100
/// directories on 2 cores, one directory per batch took the lock's spinning out of the
/// profile and about 7% off the CPU time and the wall time.
pub const BATCH_MIN: usize = 32;
pub const BATCH_MAX: usize = 256;

/// A directory created in DST whose metadata is applied at the end.
#[derive(Debug)]
pub struct DirMeta {
    /// Relative to DST ("" for DST itself).
    pub rel: PathBuf,
    pub src: PathBuf,
    st: Stat,
}

impl DirMeta {
    pub fn new(rel: PathBuf, src: PathBuf, st: Stat) -> Self {
        DirMeta { rel, src, st }
    }

    /// Sets the directory's owner, attributes, permission bits and times through one
    /// descriptor, opened from its parent (found through `cursor`) without following it.
    pub fn apply(&self, ctx: &Context, cursor: &mut Cursor) -> std::io::Result<()> {
        let root = ctx.dst_root.as_fd();
        let dir = match self.rel.file_name() {
            None => dst::open_dir_rw(root, OsStr::new("."))?,
            Some(name) => {
                let parent = cursor.get(root, self.rel.parent().unwrap_or(Path::new("")))?;
                dst::open_dir_rw(parent, name)?
            }
        };
        meta::apply(
            ctx,
            &self.st,
            None,
            &self.src,
            Target::Fd(dir.as_fd()),
            false,
        )
    }
}

pub struct Walker<'a> {
    ctx: &'a Context,
    it: walkdir::IntoIter,
    batch: Batch<'a>,
    /// Directories in the order they were created: parents before children.
    dirs: Vec<DirMeta>,
    /// Jobs handed out so far.
    walked: u64,
    /// Open handles of the directories on the path from SRC down to the current one, by
    /// depth (SRC and DST are depth 0): an entry at depth d lies in `open_dirs[d - 1]`.
    open_dirs: Vec<Option<Arc<DirPair<'a>>>>,
    /// Where `open_dirs` has no pair (past the limit): DST's directories, opened from the root.
    cursor: Cursor,
    /// The walk has ended: what is left of the last batch, handed out one job at a time.
    tail: Option<std::vec::IntoIter<Job<'a>>>,
}

impl<'a> Walker<'a> {
    /// `root` is DST itself, which gets SRC's own metadata at the very end.
    pub fn new(ctx: &'a Context, root: DirMeta) -> Self {
        let it = WalkDir::new(&ctx.src)
            .min_depth(1)
            .follow_links(ctx.dereference)
            .into_iter();
        let root_pair = dst::open_dir(ctx.dst_root.as_fd(), OsStr::new("."))
            .ok()
            .and_then(|fd| DirPair::open(ctx, &ctx.src, fd));
        Walker {
            ctx,
            it,
            batch: Vec::with_capacity(BATCH_MAX),
            dirs: vec![root],
            walked: 0,
            open_dirs: vec![root_pair],
            cursor: Cursor::default(),
            tail: None,
        }
    }

    /// Hands out the current batch (see `hand_out`).
    fn emit(&mut self) -> Batch<'a> {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_MAX));
        self.hand_out(batch)
    }

    /// Hands out `batch`, noting how many jobs are now walked but not finished.
    fn hand_out(&mut self, batch: Batch<'a>) -> Batch<'a> {
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

    fn rel_of<'p>(&self, src: &'p Path) -> &'p Path {
        // walkdir's paths all start with the root it was given.
        src.strip_prefix(&self.ctx.src).unwrap_or(src)
    }

    /// Creates the directory for the source directory `entry` (at `depth`), and opens it.
    /// `None`: it was not created (the error is reported) and its contents must be skipped.
    fn make_dir(&mut self, entry: &walkdir::DirEntry, dst: &Path) -> Option<OwnedFd> {
        let report = &self.ctx.report;
        let shown = entry.path().display();
        let meta = match entry.metadata() {
            Ok(meta) => meta,
            Err(e) => {
                report.error(format_args!("cannot stat '{shown}': {e}"));
                return None;
            }
        };
        if self.ctx.dereference
            && (file_id(&meta) == self.ctx.dst_id
                || entry.path_is_symlink() && self.leads_into_dst(entry.path()))
        {
            report.error(format_args!(
                "'{shown}' leads into the destination; not copied into itself"
            ));
            return None;
        }
        let rel = self.rel_of(entry.path()).to_path_buf();
        let name = rel.file_name().unwrap_or(OsStr::new("."));
        let depth = entry.depth();
        let parent = match self.open_dirs.get(depth - 1).cloned().flatten() {
            Some(pair) => Ok(pair),
            None => Err(rel.parent().unwrap_or(Path::new("")).to_path_buf()),
        };
        let made = match &parent {
            Ok(pair) => dst::make_dir(pair.dst.as_fd(), name, self.ctx.force),
            Err(parent_rel) => match self.cursor.get(self.ctx.dst_root.as_fd(), parent_rel) {
                Ok(parent) => dst::make_dir(parent, name, self.ctx.force),
                Err(e) => Err(DirError::Io(e)),
            },
        };
        match made {
            Ok(fd) => {
                Report::add(&report.dirs, 1);
                let st = Stat::from_metadata(&meta);
                self.dirs
                    .push(DirMeta::new(rel, entry.path().to_path_buf(), st));
                Some(fd)
            }
            Err(DirError::NotADirectory) => {
                report.error(format_args!(
                    "cannot create directory '{}': it exists and is not a directory \
                     (use --force to replace it)",
                    dst.display()
                ));
                None
            }
            Err(DirError::Io(e)) => {
                report.error(format_args!(
                    "cannot create directory '{}': {e}",
                    dst.display()
                ));
                None
            }
        }
    }

    /// Whether the directory `path` (reached through a symlink) is DST or inside it.
    fn leads_into_dst(&self, path: &Path) -> bool {
        std::fs::canonicalize(path).is_ok_and(|real| plan::has_ancestor(&real, self.ctx.dst_id))
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

impl<'a> Iterator for Walker<'a> {
    type Item = Batch<'a>;

    fn next(&mut self) -> Option<Batch<'a>> {
        loop {
            // Ctrl-C: stop walking. The partial batch is dropped: nothing of it was started.
            if self.ctx.cancelled() {
                return None;
            }
            if let Some(tail) = &mut self.tail {
                let job = tail.next()?;
                return Some(self.hand_out(vec![job]));
            }
            let entry = match self.it.next() {
                None if self.batch.is_empty() => return None,
                // The end of the walk is the one moment a worker can be left idle while
                // another still has a whole batch to go: the last batch, split into single
                // jobs, is shared by every worker that asks. It matters most for a few large
                // files: the 4 files of 64 MiB of the large-files tree are one batch, which
                // one worker would otherwise copy alone while the others wait.
                None => {
                    self.tail = Some(std::mem::take(&mut self.batch).into_iter());
                    continue;
                }
                Some(Err(err)) => {
                    self.walk_error(err);
                    continue;
                }
                Some(Ok(entry)) => entry,
            };
            let dst = self.ctx.dst.join(self.rel_of(entry.path()));
            let ft = entry.file_type();
            let depth = entry.depth();
            let kind = if ft.is_dir() {
                // Walking depth first, every directory deeper than this one is finished.
                self.open_dirs.truncate(depth);
                match self.make_dir(&entry, &dst) {
                    Some(fd) => {
                        let pair = DirPair::open(self.ctx, entry.path(), fd);
                        self.open_dirs.push(pair);
                    }
                    None => {
                        self.open_dirs.push(None);
                        self.it.skip_current_dir();
                    }
                }
                continue;
            } else if ft.is_file() {
                Kind::File
            } else if ft.is_symlink() {
                Kind::Symlink
            } else {
                Kind::Special
            };
            let dirs = self.open_dirs.get(depth - 1).cloned().flatten();
            let job = Job {
                src: entry.into_path(),
                dst,
                kind,
                dirs,
            };
            // The walk has moved on to another directory: hand out the last one's files.
            let moved_on = self
                .batch
                .last()
                .is_some_and(|last| last.src.parent() != job.src.parent());
            if moved_on && self.batch.len() >= BATCH_MIN {
                let batch = self.emit();
                self.batch.push(job);
                return Some(batch);
            }
            self.batch.push(job);
            if self.batch.len() == BATCH_MAX {
                return Some(self.emit());
            }
        }
    }
}
