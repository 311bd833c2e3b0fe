//! One range per thread, with `std::thread::scope`.
//!
//! The threads borrow the one open [`Input`] (and, for the fast parser, its memory map):
//! scoped threads may borrow from the caller's stack because the scope joins them all before
//! it returns. Each thread builds its own `Partial` with no locking at all; the main thread
//! merges them at the end. That is the whole trick: share nothing while working.

use std::thread;

use super::{merge_all, Job, ModeError, Outcome};
use crate::parse::Input;

/// Aggregates `job.workers` ranges on as many threads and merges the results.
pub fn run(job: &Job) -> Result<Outcome, ModeError> {
    let input = Input::open(&job.path, job.parser)?;
    let ranges = input.split(job.workers)?;

    let results: Vec<_> = thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|range| {
                let (input, range) = (&input, range.clone());
                scope.spawn(move || input.aggregate_range(range, job.skip_bad))
            })
            .collect();
        // Join in order. A panicked thread becomes an error here instead of tearing down the
        // scope: the scope only re-raises panics of threads nobody joined.
        handles
            .into_iter()
            .enumerate()
            .map(|(i, handle)| match handle.join() {
                Ok(result) => result.map_err(ModeError::from),
                Err(_) => Err(ModeError::Worker(format!("thread {i} panicked"))),
            })
            .collect()
    });
    // Every thread has been joined: the scope has ended and `input` is ours alone again.
    let partial = merge_all(results)?;
    Ok(Outcome::new(partial, job.workers))
}
