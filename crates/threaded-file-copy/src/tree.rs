//! Copying a whole tree, in the order that keeps it correct:
//!
//! 1. create DST (the safety checks in `plan.rs` have passed);
//! 2. walk and copy, in the chosen mode (`modes/`): directories are created by the walker,
//!    files and symlinks by the workers;
//! 3. link the hard links put aside during step 2 (`hardlinks.rs`), now that every copy
//!    they could point to is complete;
//! 4. apply the directories' permission bits and mtimes, deepest first: creating an entry
//!    changes its directory's mtime, and a read-only directory accepts no new entries, so
//!    this must come after everything else, children before parents;
//! 5. with --verify, compare the copy with SRC (`verify.rs`), outside the timed part.
//!
//! Ctrl-C skips steps 3 to 5: the copy stops where it is, without its unfinished files.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result};

use crate::cli::Mode;
use crate::hardlinks::HardLinks;
use crate::job::Context;
use crate::modes;
use crate::plan::{file_id, Plan};
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
    let ctx = Context {
        src: plan.src.clone(),
        dst: plan.dst.clone(),
        dst_id: file_id(&dst_meta),
        dereference: opts.dereference,
        force: opts.force,
        staging: Staging::probe(&plan.dst),
        report: Report::new(opts.quiet),
        links: HardLinks::default(),
        cancel,
    };
    let root = DirMeta::new(plan.dst.clone(), &plan.src_meta);

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
            ctx.links.link_all(&ctx);
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

/// Applies each directory's permission bits and times, children before parents. `dirs` is in
/// walk order, where a directory comes before everything inside it, so the reverse order
/// puts every directory after all of its descendants, and DST itself (the first) last.
fn finalize_dirs(ctx: &Context, dirs: &[DirMeta]) {
    for dir in dirs.iter().rev() {
        if let Err(e) = dir.apply() {
            ctx.report.error(format_args!(
                "cannot set permissions and times of '{}': {e}",
                dir.dst.display()
            ));
        }
    }
}
