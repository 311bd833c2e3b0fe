//! A fixed pool of N threads taking tasks from one crossbeam channel: the hand-written version
//! of what rayon and every executor do. Sequentially this is `tasks.iter().map(run_task)
//! .collect()`; here N threads take the `run_task` calls from a queue. At most N tasks run at once, whatever the task count,
//! so it is as good as thread-per-task for CPU work once N reaches the core count, and worse
//! for waiting work, where only N waits overlap.
//!
//! The threads are started and stopped inside each run, so the time includes their start-up:
//! a pool pays it once and then reuses the threads for every task.

use std::thread;

use anyhow::{anyhow, Context, Result};
use crossbeam_channel::unbounded;

use super::THREAD_STACK;
use crate::task::{run_task, Task, TaskResult};

pub fn run(tasks: &[Task], workers: usize) -> Result<Vec<TaskResult>> {
    thread::scope(|scope| {
        // Unbounded queues: every task is known up front and is a few bytes, so there is
        // nothing to gain from making the coordinator block on a full queue. The channels live
        // inside the scope so that an early return drops the senders before the scope joins.
        let (job_tx, job_rx) = unbounded::<(usize, &Task)>();
        let (result_tx, result_rx) = unbounded::<(usize, TaskResult)>();

        let mut handles = Vec::with_capacity(workers);
        for n in 0..workers {
            let job_rx = job_rx.clone();
            let result_tx = result_tx.clone();
            let handle = thread::Builder::new()
                .name(format!("pool-{n}"))
                .stack_size(THREAD_STACK)
                .spawn_scoped(scope, move || {
                    // `recv` blocks while the queue is empty and fails once it is empty *and*
                    // every sender is gone: that is this loop's only way out.
                    while let Ok((index, task)) = job_rx.recv() {
                        // The coordinator holds `result_rx` until every worker has exited,
                        // so this send cannot fail.
                        let _ = result_tx.send((index, run_task(task)));
                    }
                })
                // Returning early is safe: dropping `job_tx` on the way out ends the loops of
                // the threads already started, and the scope joins them.
                .with_context(|| {
                    format!(
                        "the OS refused pool thread {} of {workers}; its limits: `ulimit -u`, \
                         /proc/sys/kernel/threads-max, /proc/sys/vm/max_map_count",
                        n + 1
                    )
                })?;
            handles.push(handle);
        }
        // Only the workers hold result senders now, so `result_rx` ends when the last worker
        // exits, even if one of them panicked before sending its result.
        drop(result_tx);

        for job in tasks.iter().enumerate() {
            // We still hold `job_rx`, so the channel is open and this cannot fail.
            let _ = job_tx.send(job);
        }
        // Shutdown, step 1: drop the job sender. The workers drain what is queued, then their
        // `recv` fails and their loops end.
        drop(job_tx);

        // Step 2: collect results as they come, in whatever order the workers finish. The
        // loop ends when every worker has exited and dropped its `result_tx`.
        let mut results: Vec<Option<TaskResult>> = vec![None; tasks.len()];
        for (index, result) in result_rx {
            results[index] = Some(result);
        }

        // Step 3: join every worker. They have all exited already; `join` tells us whether one
        // panicked, which would also have left a result missing. Join them all before
        // reporting: a panicked thread left unjoined would make the scope panic in turn.
        let panicked: Vec<usize> = handles
            .into_iter()
            .enumerate()
            .filter_map(|(n, handle)| handle.join().is_err().then_some(n))
            .collect();
        if let Some(n) = panicked.first() {
            return Err(anyhow!("pool thread {n} panicked"));
        }
        results
            .into_iter()
            .enumerate()
            .map(|(index, result)| {
                result.ok_or_else(|| anyhow!("task {index} never came back from the pool"))
            })
            .collect()
    })
}
