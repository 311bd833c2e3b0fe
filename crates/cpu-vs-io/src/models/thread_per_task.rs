//! A new thread for every task, all started at once. Sequentially this is
//! `tasks.iter().map(run_task).collect()`; here each `run_task` gets its own thread. The
//! simplest parallel model: for tasks that wait, every wait overlaps every other; for tasks
//! that compute, the threads share the cores and there is no gain past the core count. Its
//! cost is one thread start per task (tens of microseconds), a stack per task and the kernel's
//! own record of each thread, which is why it does not scale to a million tasks: `--workload
//! many` measures where it stops.
//!
//! Scoped threads (`thread::scope`) let each thread borrow its task instead of owning a copy.

use std::thread;

use anyhow::{anyhow, Context, Result};

use super::THREAD_STACK;
use crate::task::{run_task, Task, TaskResult};

pub fn run(tasks: &[Task]) -> Result<Vec<TaskResult>> {
    thread::scope(|scope| {
        // Start every thread before joining any: joining inside this loop would wait for each
        // task before starting the next, which is the sequential model again.
        let mut handles = Vec::with_capacity(tasks.len());
        for (started, task) in tasks.iter().enumerate() {
            let handle = thread::Builder::new()
                .name(format!("task-{}", task.id()))
                .stack_size(THREAD_STACK)
                .spawn_scoped(scope, move || run_task(task))
                // If the OS refuses a thread, returning here is still safe: the scope joins
                // the threads already started before `thread::scope` returns.
                .with_context(|| {
                    format!(
                        "the OS refused thread {} of {} (task {}), after {started} threads \
                         started; its limits: `ulimit -u`, /proc/sys/kernel/threads-max, \
                         /proc/sys/vm/max_map_count (two mappings per thread), the cgroup's \
                         pids.max",
                        started + 1,
                        tasks.len(),
                        task.id()
                    )
                })?;
            handles.push(handle);
        }
        // `join` hands back each task's result in task order, or `Err` if its thread
        // panicked: the panic becomes an error here instead of taking the program down. Every
        // thread is joined before any error is reported, because a panicked thread left
        // unjoined would make the scope panic in turn.
        let joined: Vec<_> = handles.into_iter().map(|handle| handle.join()).collect();
        joined
            .into_iter()
            .zip(tasks)
            .map(|(result, task)| {
                result.map_err(|_| anyhow!("the thread for task {} panicked", task.id()))
            })
            .collect()
    })
}
