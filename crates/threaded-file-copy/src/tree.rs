//! Copying a whole tree, in the order that keeps it correct:
//!
//! 1. create DST (the safety checks in `plan.rs` have passed);
//! 2. walk and copy, in the chosen mode (`modes/`): directories are created by the walker,
//!    files and symlinks by the workers;
//! 3. link the hard links put aside during step 2 (`hardlinks.rs`), now that every copy
//!    they could point to is complete;
//! 4. apply the directories' owners, attributes, permission bits and times, deepest first:
//!    creating an entry changes its directory's mtime, and a read-only directory accepts no
//!    new entries, so this must come after everything else, children before parents;
//! 5. with --verify, compare the copy with SRC (`verify.rs`), outside the timed part.
//!
//! Ctrl-C skips steps 3 to 5: the copy stops where it is, without its unfinished files.

use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result};

use rustix::fs::{openat, Mode as FileMode, OFlags, CWD};

use crate::cli::Mode;
use crate::context::{file_id, Context, Keep};
use crate::dst::Cursor;
use crate::hardlinks;
use crate::job;
use crate::meta::Stat;
use crate::modes;
use crate::plan::Plan;
use crate::progress;
use crate::report::{Report, Summary};
use crate::staging::Staging;
use crate::verify;
use crate::walk::{DirMeta, Walker};

/// How to copy (the flags of the command line that matter here).
#[derive(Debug, Clone)]
pub struct Options {
    pub mode: Mode,
    pub workers: usize,
    pub dereference: bool,
    pub force: bool,
    pub keep: Keep,
    pub verify: bool,
    pub quiet: bool,
    /// Draw a progress bar on stderr (only when it is a terminal).
    pub progress: bool,
}

/// Copies `plan.src` into `plan.dst`. Failed entries are reported and counted in the
/// summary; the `Err` is only for the few failures that stop everything (DST not creatable).
pub fn copy_tree(plan: &Plan, opts: &Options, cancel: Arc<AtomicBool>) -> Result<Summary> {
    // Counting what there is to copy (for the bar's totals) is not part of the timed copy.
    let totals = opts
        .progress
        .then(|| progress::count(&plan.src, opts.dereference));

    let start = Instant::now();
    plan.create_dst()
        .with_context(|| format!("cannot create destination '{}'", plan.dst.display()))?;
    let dst_meta = std::fs::metadata(&plan.dst)
        .with_context(|| format!("cannot stat destination '{}'", plan.dst.display()))?;
    // DST itself, as the user named it (a symlink there is followed, like cp): from here on
    // every name under it is looked up relative to this descriptor (`dst.rs`).
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let dst_root = openat(CWD, &plan.dst, flags, FileMode::empty())
        .with_context(|| format!("cannot open destination '{}'", plan.dst.display()))?;
    let ctx = Context {
        src: plan.src.clone(),
        dst: plan.dst.clone(),
        staging: Staging::probe(dst_root.as_fd()),
        dst_root,
        dst_id: file_id(&dst_meta),
        dereference: opts.dereference,
        force: opts.force,
        keep: opts.keep,
        euid: rustix::process::geteuid().as_raw(),
        egid: rustix::process::getegid().as_raw(),
        report: Report::default(),
        links: Default::default(),
        cancel,
        open_pairs: Default::default(),
    };
    let root = DirMeta::new(
        PathBuf::new(),
        plan.src.clone(),
        Stat::from_metadata(&plan.src_meta),
    );

    let wall = std::thread::scope(|s| {
        let bar = totals.map(|totals| progress::spawn(s, &ctx.report, totals));
        let walker = Walker::new(&ctx, root);
        let dirs = match opts.mode {
            Mode::Sequential => modes::sequential::run(&ctx, walker),
            Mode::Threads => modes::threads::run(&ctx, walker, opts.workers),
            Mode::Rayon => modes::rayon::run(&ctx, walker, opts.workers),
        };
        // Every worker has been joined by now: the copies are complete.
        if !ctx.cancelled() {
            hardlinks::link_all(&ctx, job::record);
        }
        if !ctx.cancelled() {
            finalize_dirs(&ctx, &dirs);
        }
        let wall = start.elapsed();
        // Stop the bar's thread; the scope's end joins it.
        if let Some(bar) = bar {
            bar.finish();
        }
        wall
    });

    if opts.verify && !ctx.cancelled() {
        // A file that failed to copy has been reported already; do not report it missing.
        let copy_failed = ctx.report.errors.load(std::sync::atomic::Ordering::Relaxed) > 0;
        let problems = verify::compare(
            &plan.src,
            &plan.dst,
            opts.dereference,
            opts.workers,
            copy_failed,
        );
        for problem in &problems {
            ctx.report.error(format_args!("verify: {problem}"));
        }
        if problems.is_empty() && !opts.quiet {
            eprintln!("threaded-file-copy: verify: the copy matches the source");
        }
    }
    Ok(Summary::from_report(&ctx.report, wall, ctx.cancelled()))
}

/// Applies each directory's metadata, children before parents. `dirs` is in walk order,
/// where a directory comes before everything inside it, so the reverse order puts every
/// directory after all of its descendants, and DST itself (the first) last. The cursor keeps
/// the chain of parents open from one directory to the next, so each is opened about once.
fn finalize_dirs(ctx: &Context, dirs: &[DirMeta]) {
    let mut cursor = Cursor::default();
    for dir in dirs.iter().rev() {
        if let Err(e) = dir.apply(ctx, &mut cursor) {
            ctx.report.error(format_args!(
                "cannot set the metadata of '{}': {e}",
                ctx.dst.join(&dir.rel).display()
            ));
        }
    }
}
