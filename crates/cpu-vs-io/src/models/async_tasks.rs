//! Async tasks on tokio's multi-thread runtime of N threads (`--workers`). Sequentially this is
//! `tasks.iter().map(run_task).collect()`; here every task is a future spawned on the runtime.
//! A task that waits (a `tokio::time::sleep`, a read on a `tokio::net::TcpStream`) hands its
//! thread back to the runtime at each `.await`, so a few threads keep 100,000 waits in flight:
//! a waiting task is a few hundred bytes on the heap and a timer or socket registration, not a
//! thread with a stack and a kernel record of its own.
//!
//! A task that computes has no `.await`: it holds its thread until it ends. `--mode async`
//! runs the CPU tasks that way on purpose. With N runtime threads it is no better than a
//! thread pool of N, and while they run, no other task on the runtime moves (in a server: no
//! connection is answered). `--mode async-blocking` is the right way: `spawn_blocking` hands
//! blocking code to tokio's separate blocking pool, and the runtime's threads stay free.
//!
//! The runtime is built and shut down inside each run, so the time includes starting its
//! threads, as `thread_pool.rs` includes starting its own.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::{Builder, Runtime};
use tokio::task::JoinHandle;

use crate::task::READ_TIMEOUT;
use crate::task::{answered, no_answer, run_task, tcp_failed, Output, Task, TaskResult};

/// `--mode async`: every task spawned on the runtime at once, as thread-per-task starts a
/// thread for every task at once.
pub fn run(tasks: &[Task], workers: usize) -> Result<Vec<TaskResult>> {
    let runtime = runtime(workers, None)?;
    runtime.block_on(async {
        // Spawn every task before awaiting any: awaiting each one as it is spawned would be
        // the sequential model again. `spawn` only queues the future; the runtime's threads
        // poll it, and a task that awaits a timer or a socket costs no thread while it waits.
        let handles = tasks
            .iter()
            .cloned()
            .map(|task| tokio::spawn(run_async(task)))
            .collect();
        join_in_order(handles, tasks).await
    })
    // Shutdown: `runtime` is dropped here, after every task was awaited, so there is nothing
    // left to cancel; dropping it stops its threads and joins them.
}

/// `--mode async-blocking`: the same tasks as blocking code, each handed to `spawn_blocking`.
pub fn run_blocking(tasks: &[Task], workers: usize) -> Result<Vec<TaskResult>> {
    // The blocking pool grows to 512 threads by default; here it gets `workers`, so that it
    // compares with a thread pool of the same size. Its threads are started as work arrives.
    let runtime = runtime(workers, Some(workers))?;
    runtime.block_on(async {
        let handles = tasks
            .iter()
            .cloned()
            .map(|task| tokio::task::spawn_blocking(move || run_task(&task)))
            .collect();
        join_in_order(handles, tasks).await
    })
    // Shutdown as above: every blocking task has returned, so the drop joins idle threads.
}

/// One task, the async way: the same answers as `run_task`, waiting without a thread.
async fn run_async(task: Task) -> TaskResult {
    match task {
        Task::Sleep { id, ms } => {
            // A timer: the task is parked until it fires; its thread polls others meanwhile.
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(Output {
                id,
                value: ms,
                bytes: 0,
            })
        }
        // Boxed: a future is as big as its largest state, and without the box every sleeping
        // task would carry room for a socket and a read buffer it never uses.
        Task::Tcp { id, addr } => Box::pin(fetch(id, addr))
            .await
            .map_err(|err| tcp_failed(id, addr, &err)),
        // No `.await` in here: the CPU work (and the tests' panicking task) runs to its end on
        // the runtime thread that polled it, which serves no other task meanwhile. This is
        // the mistake `--mode async` shows on the cpu workload; `run_blocking` avoids it.
        other => run_task(&other),
    }
}

/// The TCP task on a tokio socket: connect, send the id line, read the answer to the end.
async fn fetch(id: u32, addr: SocketAddr) -> io::Result<Output> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(format!("{id}\n").as_bytes()).await?;
    let mut payload = Vec::new();
    // Where the task waits: `read_to_end` yields to the runtime until the answer arrives.
    tokio::time::timeout(READ_TIMEOUT, stream.read_to_end(&mut payload))
        .await
        .map_err(|_elapsed| no_answer())??;
    answered(id, &payload)
}

/// Awaits every task in task order. They are all running already, so waiting on the first
/// does not hold up the others; the slowest is waited for once, whatever its place.
async fn join_in_order(
    handles: Vec<JoinHandle<TaskResult>>,
    tasks: &[Task],
) -> Result<Vec<TaskResult>> {
    let mut results = Vec::with_capacity(handles.len());
    for (handle, task) in handles.into_iter().zip(tasks) {
        // A task that panicked comes back as an `Err` here, not as a crash. Returning early
        // drops the other handles, which detaches their tasks; the runtime's drop then
        // cancels those still waiting and joins those still computing.
        let result = handle.await.map_err(|err| {
            let what = if err.is_panic() {
                "panicked"
            } else {
                "was cancelled"
            };
            anyhow!("the async task for task {} {what}", task.id())
        })?;
        results.push(result);
    }
    Ok(results)
}

/// A multi-thread runtime of `workers` threads, with timers and sockets enabled, and a
/// blocking pool of `blocking` threads (tokio's default where `None`).
fn runtime(workers: usize, blocking: Option<usize>) -> Result<Runtime> {
    let mut builder = Builder::new_multi_thread();
    builder
        .worker_threads(workers)
        .thread_name("tokio-worker")
        .enable_all();
    if let Some(blocking) = blocking {
        builder.max_blocking_threads(blocking);
    }
    builder
        .build()
        .with_context(|| format!("starting tokio's runtime with {workers} threads"))
}
