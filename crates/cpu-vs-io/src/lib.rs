//! The same tasks under every concurrency model: when does each one win?
//!
//! A CPU-bound workload (counting primes) and I/O-bound ones (a sleep, a read from a local TCP
//! server, and `many`: thousands of sleeps at once) each run under up to eight models:
//! sequential, a thread per task, a fixed thread pool, rayon, a process per task, a pool of
//! worker processes, and async tasks on tokio (`async`, and `async-blocking` with
//! `spawn_blocking`). Every model calls the same [`task::run_task`] (async: its awaiting twin);
//! only *where* it runs changes, so the timings compare like with like.
//!
//! Read it in this order:
//! 1. [`task`]: the one `Task` type and the one `run_task` function.
//! 2. [`models`]: the models side by side, from `sequential` to `async_tasks`.
//! 3. [`spawn`] and [`worker`]: the parent and the child side of the process models.
//! 4. [`app`]: running each model in a child of its own ([`measure`]) and checking that the
//!    models agree; [`report`]: the table and the record; [`verdict`]: the sentence.

pub mod app;
pub mod cli;
pub mod measure;
pub mod models;
pub mod report;
pub mod server;
pub mod spawn;
pub mod task;
pub mod verdict;
pub mod worker;
pub mod workload;

pub use app::run;
