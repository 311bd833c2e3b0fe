//! The baseline: every task on the calling thread, one after another. Its time is the sum of
//! the tasks' times, and every other model's speedup is measured against it. Every other model
//! is this one line with the `map` moved somewhere else: a thread, a pool, a process, a task
//! on an executor.

use crate::task::{run_task, Task, TaskResult};

pub fn run(tasks: &[Task]) -> Vec<TaskResult> {
    tasks.iter().map(run_task).collect()
}
