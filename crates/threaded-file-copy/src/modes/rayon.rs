//! The same job on a rayon thread pool. There is no walker thread and no channel of our own:
//! `par_bridge` turns the walker (a plain sequential `Iterator`) into a parallel one, and
//! each of the pool's N threads, when it needs work, takes the next batch from the walker
//! itself (under a lock inside rayon), then copies it. Walking happens on demand, one batch
//! at a time, so memory stays bounded here too, without us choosing a channel size.
//!
//! What rayon takes off our hands: starting and joining the threads, handing out work, and
//! carrying a worker's panic back to the caller. What it costs: less control (no separate
//! walker running ahead, and the pool is built for this copy and torn down after).

use std::panic::{catch_unwind, AssertUnwindSafe};

use ::rayon::iter::{ParallelBridge, ParallelIterator};
use ::rayon::ThreadPoolBuilder;

use crate::context::Context;
use crate::copy;
use crate::job;
use crate::report::panic_message;
use crate::walk::{DirMeta, Walker};

pub fn run(ctx: &Context, mut walker: Walker<'_>, workers: usize) -> Vec<DirMeta> {
    // A pool of exactly `workers` threads, rather than rayon's global pool, so that
    // `--workers` means the same thing in every mode.
    let pool = match ThreadPoolBuilder::new().num_threads(workers).build() {
        Ok(pool) => pool,
        Err(e) => {
            ctx.report
                .error(format_args!("cannot start the rayon pool: {e}"));
            return walker.into_dirs();
        }
    };
    // `install` returns when every batch has been copied. A panic in a worker is re-raised
    // here, after the other workers finish; catching it turns it into a reported error.
    let finished = catch_unwind(AssertUnwindSafe(|| {
        pool.install(|| {
            (&mut walker)
                .par_bridge()
                .for_each_init(copy::buffer, |buf, batch| {
                    for job in &batch {
                        job::run(ctx, job, buf); // returns at once after Ctrl-C
                    }
                })
        })
    }));
    if let Err(panic) = finished {
        ctx.report.error(format_args!(
            "rayon worker panicked: {}",
            panic_message(&*panic)
        ));
    }
    // Dropping `pool` here tells its threads to exit; none of our work is left on them.
    walker.into_dirs()
}
