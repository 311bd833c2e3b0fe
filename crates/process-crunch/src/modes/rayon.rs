//! Several ranges per thread on a rayon pool, with `fold` and `reduce`.
//!
//! Where `threads` gives each thread one range, rayon gets [`RANGES_PER_WORKER`] times more
//! ranges than threads and lets its work stealing balance them: a thread that finishes early
//! takes another range instead of waiting for the slowest one. `fold` keeps one running
//! `Partial` per rayon job (not one per range), and `reduce` merges those pairwise.
//!
//! `::rayon` is written with its leading `::` because this module is also called `rayon`.

use std::panic::{self, AssertUnwindSafe};

use ::rayon::prelude::*;
use ::rayon::ThreadPoolBuilder;

use super::{combine, Job, ModeError, Outcome};
use crate::parse::Input;
use crate::stats::Partial;

/// Ranges per pool thread: enough for stealing to even out uneven ranges, few enough that
/// the per-range cost (a map to merge, for csv an open file) stays small.
pub const RANGES_PER_WORKER: usize = 4;

/// Aggregates `workers x RANGES_PER_WORKER` ranges on a pool of `workers` threads.
pub fn run(job: &Job) -> Result<Outcome, ModeError> {
    let input = Input::open(&job.path, job.parser)?;
    let ranges = input.split(job.workers * RANGES_PER_WORKER)?;
    // A pool of our own, so that `--workers` means what it says (the global pool would use
    // every CPU).
    let pool = ThreadPoolBuilder::new()
        .num_threads(job.workers)
        .thread_name(|i| format!("rayon-worker-{i}"))
        .build()
        .map_err(|e| ModeError::Worker(format!("cannot start the rayon pool: {e}")))?;

    let work = || {
        ranges
            .into_par_iter()
            .fold(
                || Ok(Partial::default()),
                |acc, range| {
                    combine(
                        acc,
                        input
                            .aggregate_range(range, job.skip_bad)
                            .map_err(ModeError::from),
                    )
                },
            )
            .reduce(|| Ok(Partial::default()), combine)
    };
    // rayon re-raises a worker's panic on the thread that called `install`; catch it here so
    // it becomes an error like any other.
    let partial = panic::catch_unwind(AssertUnwindSafe(|| pool.install(work)))
        .map_err(|_| ModeError::Worker("a rayon worker panicked".into()))??;
    Ok(Outcome::new(partial, job.workers))
}
