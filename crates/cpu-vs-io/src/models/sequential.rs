//! The baseline: every task on the calling thread, one after another. Its time is the sum of
//! the tasks' times, and every other model's speedup is measured against it.

use crate::task::{run_task, Task, TaskResult};

pub fn run(tasks: &[Task]) -> Vec<TaskResult> {
    tasks.iter().map(run_task).collect()
}
