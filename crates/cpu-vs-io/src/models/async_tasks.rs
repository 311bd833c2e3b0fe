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
//! Beside the tasks runs a heartbeat: a task that asks for a 1 ms timer again and again and
//! records how late it fires. It is how the program measures a blocked runtime: with CPU work
//! on the runtime's threads the timer waits for a thread to come free, with `spawn_blocking`
//! it fires on time.
//!
//! The runtime is built and shut down inside each run, so the time includes starting its
//! threads, as `thread_pool.rs` includes starting its own.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
        let beat = Heartbeat::start();
        // Spawn every task before awaiting any: awaiting each one as it is spawned would be
        // the sequential model again. `spawn` only queues the future; the runtime's threads
        // poll it, and a task that awaits a timer or a socket costs no thread while it waits.
        let handles = tasks
            .iter()
            .cloned()
            .map(|task| tokio::spawn(run_async(task)))
            .collect();
        let results = join_in_order(handles, tasks).await;
        // Shutdown, step 1: the heartbeat loops forever; `stop` cancels it at its next await.
        beat.stop();
        results
    })
    // Step 2: `runtime` is dropped here, after every task was awaited, so there is nothing
    // left to cancel; dropping it stops its threads and joins them.
}

/// `--mode async-blocking`: the same tasks as blocking code, each handed to `spawn_blocking`.
pub fn run_blocking(tasks: &[Task], workers: usize) -> Result<Vec<TaskResult>> {
    // The blocking pool grows to 512 threads by default; here it gets `workers`, so that it
    // compares with a thread pool of the same size. Its threads are started as work arrives.
    let runtime = runtime(workers, Some(workers))?;
    runtime.block_on(async {
        let beat = Heartbeat::start();
        let handles = tasks
            .iter()
            .cloned()
            .map(|task| tokio::task::spawn_blocking(move || run_task(&task)))
            .collect();
        let results = join_in_order(handles, tasks).await;
        beat.stop();
        results
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

// ---- End of the model. Below: the heartbeat that measures a blocked runtime; the runtime. ----

/// The heartbeat's tick.
const TICK: Duration = Duration::from_millis(1);

/// The latest a tick fired in the last run, in microseconds. A static rather than a return
/// value so that the async models keep the signature every model has; each model runs in a
/// process of its own (`measure.rs`), which reads it once, after its one run.
static MAX_LATE_US: AtomicU64 = AtomicU64::new(0);

/// A task on the runtime that asks for a 1 ms timer over and over and records how late each
/// one fires. The tick it is waiting for when the run ends counts too: on a runtime blocked
/// to the end, that one is the late one.
struct Heartbeat {
    /// When the current tick was asked for, and the worst lateness so far. A mutex because
    /// the heartbeat runs on a runtime thread while `stop` reads it from the caller's.
    beat: Arc<Mutex<(Instant, Duration)>>,
    task: JoinHandle<()>,
}

impl Heartbeat {
    fn start() -> Heartbeat {
        let beat = Arc::new(Mutex::new((Instant::now(), Duration::ZERO)));
        let shared = Arc::clone(&beat);
        // The first tick counts from now, so a task that is not even polled for a while (all
        // the runtime's threads busy) is late from the start.
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(TICK).await;
                let mut beat = lock(&shared);
                let late = beat.0.elapsed().saturating_sub(TICK);
                beat.1 = beat.1.max(late);
                beat.0 = Instant::now();
            }
        });
        Heartbeat { beat, task }
    }

    /// Cancels the heartbeat and keeps its worst lateness for [`take_max_late_ms`].
    fn stop(self) {
        self.task.abort();
        let (asked, worst) = *lock(&self.beat);
        let late = worst.max(asked.elapsed().saturating_sub(TICK));
        MAX_LATE_US.fetch_max(late.as_micros() as u64, Ordering::Relaxed);
    }
}

/// The lock never guards anything a panic could leave half-written, so a poisoned one is fine.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How late the heartbeat's 1 ms timer fired at worst in the last run, in ms, and resets it.
pub fn take_max_late_ms() -> f64 {
    MAX_LATE_US.swap(0, Ordering::Relaxed) as f64 / 1000.0
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
