//! The same tasks under every concurrency model: when does each one win?
//!
//! A CPU-bound workload (counting primes) and two I/O-bound ones (a sleep, a blocking read from
//! a local TCP server) each run under six models: sequential, a thread per task, a fixed thread
//! pool, rayon, a process per task and a pool of worker processes. Every model calls the same
//! [`task::run_task`]; only *where* it runs changes, so the timings compare like with like.
//!
//! Read it in this order:
//! 1. [`task`]: the one `Task` type and the one `run_task` function.
//! 2. [`models`]: the six models side by side, from `sequential` to `process_pool`.
//! 3. [`spawn`] and [`worker`]: the parent and the child side of the two process models.
//! 4. [`app`]: timing each run, checking the models agree; [`report`]: the table and the verdict.

pub mod app;
pub mod cli;
pub mod models;
pub mod report;
pub mod server;
pub mod spawn;
pub mod task;
pub mod worker;
pub mod workload;

pub use app::run;
