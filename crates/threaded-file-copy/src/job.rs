//! One unit of work and what a worker needs to do it. The walker turns the tree into
//! `Batch`es of `Job`s; every mode, sequential or parallel, runs each job through `run` below
//! and nothing else, so the modes differ only in who runs the jobs, not in what a job does.

use std::fs::OpenOptions;
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::copy::{self, Outcome};
use crate::hardlinks::HardLinks;
use crate::plan::FileId;
use crate::report::Report;
use crate::staging::Staging;

/// Everything the walker and the workers of one copy share; borrowed by every thread
/// (scoped threads and rayon's `install` both allow borrowing), so no field needs an `Arc`
/// but the Ctrl-C flag, which the signal handler holds too.
pub struct Context {
    pub src: PathBuf,
    pub dst: PathBuf,
    /// DST's (device, inode): with --dereference, a symlink inside SRC could lead into DST;
    /// the walker refuses to descend there.
    pub dst_id: FileId,
    pub dereference: bool,
    pub force: bool,
    /// How new files get their names (probed on DST once per copy).
    pub staging: Staging,
    pub report: Report,
    pub links: HardLinks,
    /// Set by Ctrl-C. Workers stop taking jobs and the walker stops walking.
    pub cancel: Arc<AtomicBool>,
}

impl Context {
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    #[cfg(test)]
    pub fn for_test(src: &Path, dst: &Path) -> Self {
        Context {
            src: src.to_path_buf(),
            dst: dst.to_path_buf(),
            dst_id: (0, 0),
            dereference: false,
            force: false,
            staging: Staging::probe(dst),
            report: Report::new(true),
            links: HardLinks::default(),
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Symlink,
}

/// Copy `src` to `dst`. Both paths are complete, so a worker needs nothing else.
#[derive(Debug)]
pub struct Job {
    pub src: PathBuf,
    pub dst: PathBuf,
    pub kind: Kind,
    /// The directories holding `src` and `dst`, open: see `DirPair`.
    pub dirs: Option<Arc<DirPair>>,
}

/// A source directory and its copy, held open while jobs in them are pending.
///
/// Files are opened and linked *relative to these handles* (`openat(dir, name)`), so the
/// kernel looks up one name per call instead of walking the whole path from `/` again: for
/// a tree of small files that is a good part of the per-file cost. The walker opens each
/// pair once per directory; the `Arc` closes them when the last job in the directory is done.
///
/// At most `MAX_OPEN_PAIRS` pairs are open at once, so that a very deep tree cannot use up
/// the process's file descriptors (the copiers need some too); beyond that, and wherever a
/// pair cannot be opened, jobs use full paths, which is slower but the same copy.
#[derive(Debug)]
pub struct DirPair {
    pub src: OwnedFd,
    pub dst: OwnedFd,
}

const MAX_OPEN_PAIRS: usize = 128;
static OPEN_PAIRS: AtomicUsize = AtomicUsize::new(0);

impl DirPair {
    pub fn open(src: &Path, dst: &Path) -> Option<Arc<DirPair>> {
        if OPEN_PAIRS.fetch_add(1, Ordering::Relaxed) >= MAX_OPEN_PAIRS {
            OPEN_PAIRS.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        // O_PATH: a handle to look names up in, not to read the directory with.
        let open = |path: &Path| {
            OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_PATH | libc::O_DIRECTORY)
                .open(path)
                .ok()
        };
        match (open(src), open(dst)) {
            (Some(src), Some(dst)) => Some(Arc::new(DirPair {
                src: src.into(),
                dst: dst.into(),
            })),
            _ => {
                OPEN_PAIRS.fetch_sub(1, Ordering::Relaxed);
                None
            }
        }
    }
}

impl Drop for DirPair {
    fn drop(&mut self) {
        // The two descriptors are closed right after this, by their own `Drop`.
        OPEN_PAIRS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Jobs travel in batches: one channel message (or one rayon task) per batch instead of per
/// file cuts the cost of waking a sleeping worker, and a worker copying a batch stays in one
/// directory while another worker is in another one.
pub type Batch = Vec<Job>;

/// Runs one job and reports what happened. Never panics on an I/O error: a failure is
/// reported with its path and the worker moves on to the next job.
pub fn run(ctx: &Context, job: &Job, buf: &mut [u8]) {
    if ctx.cancelled() {
        return;
    }
    let result = match job.kind {
        Kind::File => copy::copy_file(ctx, &job.src, &job.dst, job.dirs.as_deref(), buf, true),
        Kind::Symlink => copy::copy_symlink(&job.src, &job.dst),
    };
    record(ctx, job.kind, &job.src, result);
    Report::add(&ctx.report.done, 1);
}

/// Counts a finished job, or reports its error.
pub fn record(ctx: &Context, kind: Kind, src: &Path, result: Result<Outcome, copy::CopyError>) {
    let report = &ctx.report;
    match result {
        Ok(Outcome::Copied { bytes }) => {
            let counter = match kind {
                Kind::File => &report.files,
                Kind::Symlink => &report.symlinks,
            };
            Report::add(counter, 1);
            Report::add(&report.bytes, bytes);
        }
        Ok(Outcome::LinkLater) => {}
        Ok(Outcome::Skipped(what)) => report.skipped(src, what),
        // Stopped by Ctrl-C: not a failure, and the unfinished file is already gone.
        Err(e) if e.is_interrupted() && ctx.cancelled() => {}
        Err(e) => report.error(e),
    }
}
