//! The six models, side by side. Each one is a function from a slice of tasks to their results
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
//!
//! The outer `Result` of a model is the machinery failing (a thread panicked, a child crashed,
//! a process could not start); a task that fails is an `Err` inside the vector, like any other
//! result.

pub mod process_per_task;
pub mod process_pool;
pub mod rayon;
pub mod sequential;
pub mod thread_per_task;
pub mod thread_pool;

use std::fmt;
use std::path::PathBuf;

use anyhow::Result;

use crate::task::{Task, TaskResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Sequential,
    ThreadPerTask,
    ThreadPool,
    Rayon,
    ProcessPerTask,
    ProcessPool,
}

/// What the models need besides the tasks.
#[derive(Clone, Debug)]
pub struct Context {
    /// Size of the thread pool and the process pool (`--workers`). Rayon's global pool was
    /// built with the same number (see `rayon.rs`).
    pub workers: usize,
    /// The program the process models start as their workers: `current_exe()` normally; tests
    /// point it at a program that crashes to check that failures are reported and reaped.
    pub exe: PathBuf,
}

impl Mode {
    /// Every model, sequential first: its time is what the others' speedups divide.
    pub const ALL: [Mode; 6] = [
        Mode::Sequential,
        Mode::ThreadPerTask,
        Mode::ThreadPool,
        Mode::Rayon,
        Mode::ProcessPerTask,
        Mode::ProcessPool,
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
        }
    }

    /// Threads or processes this model uses for `tasks` tasks.
    pub fn workers(self, ctx: &Context, tasks: usize) -> usize {
        match self {
            Mode::Sequential => 1,
            Mode::ThreadPerTask | Mode::ProcessPerTask => tasks,
            Mode::ThreadPool | Mode::ProcessPool => ctx.workers,
            Mode::Rayon => ::rayon::current_num_threads(),
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
        for mode in [Mode::ThreadPerTask, Mode::ThreadPool, Mode::Rayon] {
            let err = mode.run(&tasks, &ctx).expect_err("a task panicked");
            assert!(err.to_string().contains("panicked"), "{mode}: {err}");
        }
    }
}
