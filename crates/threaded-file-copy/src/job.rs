//! Running one job. The walker turns the tree into `Batch`es of `Job`s (`entry.rs`); every
//! mode, sequential or parallel, runs each job through `run` below and nothing else, so the
//! modes differ only in who runs the jobs, not in what a job does.

use std::path::Path;

use crate::context::Context;
use crate::copy::{self, Outcome};
use crate::entry::{Job, Kind};
use crate::error::CopyError;
use crate::report::Report;

/// Runs one job and reports what happened. Never panics on an I/O error: a failure is
/// reported with its path and the worker moves on to the next job.
pub fn run(ctx: &Context, job: &Job<'_>, buf: &mut [u8]) {
    if ctx.cancelled() {
        return;
    }
    let result = copy::copy_entry(ctx, job, buf, true);
    record(ctx, job.kind, &job.src, result);
    Report::add(&ctx.report.done, 1);
}

/// Counts a finished job, or reports its error.
pub fn record(ctx: &Context, kind: Kind, src: &Path, result: Result<Outcome, CopyError>) {
    let report = &ctx.report;
    let counted = |bytes| {
        let counter = match kind {
            Kind::File => &report.files,
            Kind::Symlink => &report.symlinks,
            Kind::Special => &report.specials,
        };
        Report::add(counter, 1);
        Report::add(&report.bytes, bytes);
    };
    match result {
        Ok(Outcome::Copied { bytes }) => counted(bytes),
        // A live log is normal to copy: the copy stays, the run reports it and exits 1.
        Ok(Outcome::Changed { bytes }) => {
            counted(bytes);
            report.error(format_args!(
                "'{}' changed while it was copied; its copy may be inconsistent",
                src.display()
            ));
        }
        Ok(Outcome::LinkLater) => {}
        // Stopped by Ctrl-C: not a failure, and the unfinished file is already gone.
        Err(e) if e.is_interrupted() && ctx.cancelled() => {}
        Err(e) => report.error(e),
    }
}
