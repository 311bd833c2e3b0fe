//! A new thread for every task, all started at once. The simplest parallel model: for tasks that
//! wait, every wait overlaps every other; for tasks that compute, the threads share the cores
//! and there is no gain past the core count. Its cost is one thread start per task (tens of
//! microseconds) and a stack per task, which is why it does not scale to a million tasks.
//!
//! Scoped threads (`thread::scope`) let each thread borrow its task instead of owning a copy.

use std::thread;

use anyhow::{anyhow, Context, Result};

use crate::task::{run_task, Task, TaskResult};

pub fn run(tasks: &[Task]) -> Result<Vec<TaskResult>> {
    thread::scope(|scope| {
        // Start every thread before joining any: joining inside this loop would wait for each
        // task before starting the next, which is the sequential model again.
        let mut handles = Vec::with_capacity(tasks.len());
        for task in tasks {
            let handle = thread::Builder::new()
                .name(format!("task-{}", task.id()))
                .spawn_scoped(scope, move || run_task(task))
                // If the OS refuses a thread, returning here is still safe: the scope joins
                // the threads already started before `thread::scope` returns.
                .with_context(|| format!("starting the thread for task {}", task.id()))?;
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
