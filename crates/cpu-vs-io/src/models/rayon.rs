//! Rayon: `par_iter` over the tasks on rayon's global pool. Sequentially this is
//! `tasks.iter().map(run_task).collect()`; with rayon it is `tasks.par_iter()...`, the same
//! line with three more letters. The pool is the same idea as
//! `thread_pool.rs` (N threads, work handed out as they free up), with work stealing instead of
//! one shared queue; the code shrinks to one line.
//!
//! The global pool, not a local one: that is how rayon is normally used (`par_iter` anywhere,
//! no pool passed around). `--workers` sizes it through `ThreadPoolBuilder::build_global`,
//! called once in `app.rs` before any timing, because the global pool can be built only once
//! per process; the one `--workers` value of a run is exactly one build. So its threads' start-up
//! (microseconds) is outside the timings, where `thread_pool.rs` starts its threads inside them;
//! both are tiny next to a task.
//!
//! Rayon is built for CPU work: a rayon thread blocked in a sleep or a `read` is a core's worth
//! of pool doing nothing, which the I/O workloads show.

use std::panic::{self, AssertUnwindSafe};

use anyhow::{anyhow, Result};
use rayon::prelude::*;

use crate::task::{run_task, Task, TaskResult};

pub fn run(tasks: &[Task]) -> Result<Vec<TaskResult>> {
    // `collect` keeps the task order. Rayon re-raises a worker's panic on the calling thread;
    // `catch_unwind` turns it into an error like the other models' `join`.
    panic::catch_unwind(AssertUnwindSafe(|| {
        tasks.par_iter().map(run_task).collect()
    }))
    .map_err(|_| anyhow!("a task panicked on a rayon thread"))
}
