//! The models, side by side. Each one is a function from a slice of tasks to their results
//! in task order, and each calls the same [`run_task`](crate::task::run_task); they differ only
//! in where that call happens:
//!
//! | model              | where `run_task` runs                    | how many at once     |
//! |--------------------|------------------------------------------|----------------------|
//! | `sequential`       | the calling thread, one task after another | 1                  |
//! | `thread_per_task`  | a new thread per task                    | all tasks            |
//! | `thread_pool`      | N threads fed over a crossbeam channel   | N                    |
//! | `rayon`            | rayon's global pool of N threads         | N                    |
//! | `process_per_task` | a new child process per task             | all tasks            |
//! | `process_pool`     | N child processes fed over pipes         | N                    |
//! | `async_tasks`      | tasks on tokio's runtime of N threads    | all waits; N computing |
//!
//! The two async models (`async`, `async-blocking`) need the default-on cargo feature `async`.
//!
//! The outer `Result` of a model is the machinery failing (a thread panicked, a child crashed,
//! a process could not start); a task that fails is an `Err` inside the vector, like any other
//! result.

#[cfg(feature = "async")]
pub mod async_tasks;
pub mod process_per_task;
pub mod process_pool;
pub mod rayon;
pub mod sequential;
pub mod thread_per_task;
pub mod thread_pool;

use std::fmt;
use std::path::PathBuf;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::task::{Task, TaskResult};

/// The stack of every thread the threaded models start: 128 KiB instead of Rust's default
/// 2 MiB. A task here needs a few KiB (a sleep, a socket read, a loop of divisions; a panic
/// message on the way out), and the resident memory counts only the pages a thread touches,
/// so the size barely changes the measured memory. What it changes is the address space each
/// thread reserves: 10,000 threads of 2 MiB reserve 20 GiB, which a `ulimit -v` or strict
/// overcommit (`vm.overcommit_memory = 2`, where stacks count as committed memory) refuses
/// long before the thread limits are reached; 10,000 of 128 KiB reserve 1.25 GiB.
pub const THREAD_STACK: usize = 128 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Sequential,
    ThreadPerTask,
    ThreadPool,
    Rayon,
    ProcessPerTask,
    ProcessPool,
    /// Every task on tokio's multi-thread runtime: the waits as timers and sockets, the CPU
    /// work blocking the runtime's threads (see `async_tasks.rs`).
    #[cfg(feature = "async")]
    Async,
    /// The same, with blocking work handed to tokio's blocking pool (`spawn_blocking`).
    #[cfg(feature = "async")]
    AsyncBlocking,
}

/// What the models need besides the tasks.
#[derive(Clone, Debug)]
pub struct Context {
    /// Size of the thread pool, the process pool and the async runtime (`--workers`). Rayon's
    /// global pool was built with the same number (see `rayon.rs`).
    pub workers: usize,
    /// The program the process models start as their workers: `current_exe()` normally; tests
    /// point it at a program that crashes to check that failures are reported and reaped.
    pub exe: PathBuf,
}

impl Mode {
    /// Every model, sequential first: its time is what the others' speedups divide.
    pub const ALL: &'static [Mode] = &[
        Mode::Sequential,
        Mode::ThreadPerTask,
        Mode::ThreadPool,
        Mode::Rayon,
        Mode::ProcessPerTask,
        Mode::ProcessPool,
        #[cfg(feature = "async")]
        Mode::Async,
        #[cfg(feature = "async")]
        Mode::AsyncBlocking,
    ];

    /// The name in `--mode`, the table and the records' `mode` field.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Sequential => "sequential",
            Mode::ThreadPerTask => "thread-per-task",
            Mode::ThreadPool => "thread-pool",
            Mode::Rayon => "rayon",
            Mode::ProcessPerTask => "process-per-task",
            Mode::ProcessPool => "process-pool",
            #[cfg(feature = "async")]
            Mode::Async => "async",
            #[cfg(feature = "async")]
            Mode::AsyncBlocking => "async-blocking",
        }
    }

    /// Runs every task under this model; the results come back in task order.
    pub fn run(self, tasks: &[Task], ctx: &Context) -> Result<Vec<TaskResult>> {
        match self {
            Mode::Sequential => Ok(sequential::run(tasks)),
            Mode::ThreadPerTask => thread_per_task::run(tasks),
            Mode::ThreadPool => thread_pool::run(tasks, ctx.workers),
            Mode::Rayon => rayon::run(tasks),
            Mode::ProcessPerTask => process_per_task::run(&ctx.exe, tasks),
            Mode::ProcessPool => process_pool::run(&ctx.exe, tasks, ctx.workers),
            #[cfg(feature = "async")]
            Mode::Async => async_tasks::run(tasks, ctx.workers),
            #[cfg(feature = "async")]
            Mode::AsyncBlocking => async_tasks::run_blocking(tasks, ctx.workers),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A panicking task becomes an error of the model, not a crash or a hang. (Sequential runs
    /// on the calling thread, where a panic is the program's own; the process models are
    /// checked with crashing children in tests/reaping.rs.)
    #[test]
    fn a_panicking_task_is_an_error_in_every_threaded_model() {
        let tasks = [
            Task::cpu(0, 10),
            Task::Panic { id: 1 },
            Task::Panic { id: 2 },
        ];
        let ctx = Context {
            workers: 2,
            exe: PathBuf::new(),
        };
        let threaded = [
            Mode::ThreadPerTask,
            Mode::ThreadPool,
            Mode::Rayon,
            #[cfg(feature = "async")]
            Mode::Async,
            #[cfg(feature = "async")]
            Mode::AsyncBlocking,
        ];
        for mode in threaded {
            let err = mode.run(&tasks, &ctx).expect_err("a task panicked");
            assert!(err.to_string().contains("panicked"), "{mode}: {err}");
        }
    }
}
