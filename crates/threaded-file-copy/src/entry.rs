//! What a worker is handed: a `Job` (one entry to copy, its kind, and the open directories it
//! is in), in `Batch`es. The walker makes them (`walk.rs`), the modes hand them out
//! (`modes/`), `job::run` runs them.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rustix::fs::{openat, Mode, OFlags, CWD};

use crate::context::{Context, MAX_OPEN_PAIRS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Symlink,
    /// A FIFO, a socket or a device: recreated with `mknodat`.
    Special,
}

/// Copy `src` to `dst`. Both paths are complete (for messages, and for the slow path where
/// `dirs` is `None`), so a worker needs nothing else.
#[derive(Debug)]
pub struct Job<'a> {
    pub src: PathBuf,
    pub dst: PathBuf,
    pub kind: Kind,
    /// The directories holding `src` and `dst`, open: see `DirPair`.
    pub dirs: Option<Arc<DirPair<'a>>>,
}

/// A source directory and its copy, held open while jobs in them are pending.
///
/// Files are opened and linked *relative to these handles* (`openat(dir, name)`), so the
/// kernel looks up one name per call instead of walking the whole path from `/` again: for
/// a tree of small files that is a good part of the per-file cost; and on the DST side that
/// is also what makes sure nothing there is followed (`dst.rs`). The walker opens each pair
/// once per directory; the `Arc` closes them when the last job in the directory is done.
///
/// At most `MAX_OPEN_PAIRS` pairs are open at once (counted in `Context::open_pairs`), so that
/// a very deep tree cannot use up the process's file descriptors; beyond that, jobs open
/// their source by full path and their destination directory one component at a time from
/// DST (`dst::open_beneath`): slower, the same copy.
#[derive(Debug)]
pub struct DirPair<'a> {
    pub src: OwnedFd,
    pub dst: OwnedFd,
    counter: &'a AtomicUsize,
}

impl<'a> DirPair<'a> {
    /// Pairs the source directory `src` with `dst`, the copy's directory already open.
    pub fn open(ctx: &'a Context, src: &Path, dst: OwnedFd) -> Option<Arc<DirPair<'a>>> {
        let counter = &ctx.open_pairs;
        if counter.fetch_add(1, Ordering::Relaxed) >= MAX_OPEN_PAIRS {
            counter.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        // O_PATH: a handle to look names up in, not to read the directory with.
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        match openat(CWD, src, flags, Mode::empty()) {
            Ok(src) => Some(Arc::new(DirPair { src, dst, counter })),
            Err(_) => {
                counter.fetch_sub(1, Ordering::Relaxed);
                None
            }
        }
    }
}

impl Drop for DirPair<'_> {
    fn drop(&mut self) {
        // The two descriptors are closed right after this, by their own `Drop`.
        self.counter.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Jobs travel in batches: one channel message (or one rayon task) per batch instead of per
/// file cuts the cost of waking a sleeping worker, and a worker copying a batch stays in one
/// directory while another worker is in another one.
pub type Batch<'a> = Vec<Job<'a>>;
