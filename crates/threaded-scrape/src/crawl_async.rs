//! The async driver: the same [`Frontier`], driven by a tokio task set instead of threads.
//!
//! Put it beside `threads` in `crawl.rs`: the coordinator is the same loop (dispatch while
//! fewer than `workers` requests are in flight, wait for whichever comes first, record the
//! answer), and the fetch is the same core (`page.rs`, `html.rs`, `robots_chain.rs`). What
//! changes is what a request in flight is. There it is a thread blocked in `read`, with its
//! own stack; here it is a task, a small state machine that the runtime polls again when its
//! socket is ready, and a few runtime threads drive all of them. So `--workers 1024` means
//! 1,024 requests in flight on as many runtime threads as there are cores.
//!
//! ```text
//!  coordinator (one task: owns the Frontier)
//!     │ spawn(fetch)            ┌─ task ─┐
//!     ├───────────────────────► │ fetch  │ ──┐   JoinSet: join_next() yields
//!     │                         └────────┘   │   whichever task finished first
//!     ◄──────────────────────────────────────┘
//!     select! { a task finished | a retry or delay is due | Ctrl-C }
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use anyhow::Context;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::crawl::{timed, write_rows, Crawl, Driver, End, Mode};
use crate::fetch::{FetchRequest, FetchResult};
use crate::fetch_async::AsyncFetch;
use crate::frontier::{Frontier, Next};

/// Crawls everything `frontier` holds with at most `workers` requests in flight, as tasks on
/// a multi-thread tokio runtime with one thread per core (at most `workers`), and times it.
pub fn crawl<F: AsyncFetch>(
    frontier: Frontier,
    fetcher: Arc<F>,
    workers: usize,
    driver: &mut Driver,
) -> anyhow::Result<Crawl> {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    // Built before the clock starts: starting the runtime is not part of the crawl.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores.min(workers))
        .thread_name("async-runtime")
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    let crawl = timed(
        Mode::Async,
        workers,
        frontier,
        driver,
        |frontier, driver| {
            // Ctrl-C arrives on a crossbeam channel (`interrupt.rs`, shared by every mode). A
            // small bridge thread forwards it into the async world, where `select!` can await
            // it beside the tasks. It ends when the crawl does (`done_tx` dropped) or after
            // forwarding.
            let (ctrl_c_tx, ctrl_c_rx) = mpsc::channel(1);
            let (done_tx, done_rx) = crossbeam_channel::bounded::<()>(0);
            let interrupt = driver.interrupt.receiver().clone();
            let bridge = thread::Builder::new()
                .name("ctrl-c-bridge".into())
                .spawn(move || {
                    crossbeam_channel::select! {
                        recv(interrupt) -> fired => if fired.is_ok() {
                            let _ = ctrl_c_tx.blocking_send(());
                        },
                        recv(done_rx) -> _ => {},
                    }
                })
                .context("cannot start the Ctrl-C bridge thread")?;
            let end = runtime.block_on(coordinate(frontier, fetcher, workers, driver, ctrl_c_rx));
            // The crawl is over: dropping `done_tx` wakes the bridge, which then ends.
            drop(done_tx);
            let _ = bridge.join();
            end
        },
    )?;
    // Shutdown: tasks still running (only after Ctrl-C, when the grace ran out) are not waited
    // for. `shutdown_background` drops them where they stand and returns at once; their
    // sockets close with them.
    runtime.shutdown_background();
    Ok(crawl)
}

/// The coordinator: the `threads` loop, with a `JoinSet` where the channels were.
async fn coordinate<F: AsyncFetch>(
    frontier: &mut Frontier,
    fetcher: Arc<F>,
    workers: usize,
    driver: &mut Driver<'_>,
    mut ctrl_c: mpsc::Receiver<()>,
) -> anyhow::Result<End> {
    // Every request in flight is one task here; each returns its request's id with its answer.
    let mut tasks: JoinSet<(u64, FetchResult)> = JoinSet::new();
    // A task that panics returns no id, only its task id: this maps one to the other.
    let mut ids: HashMap<tokio::task::Id, u64> = HashMap::new();
    let mut grace_ends: Option<Instant> = None;
    let mut end = End::default();
    loop {
        // 1. Dispatch: start tasks while fewer than `workers` are in flight. The frontier
        //    applies the per-host limit, the delay and robots.txt, as for threads.
        let mut wake = None;
        while frontier.in_flight() < workers {
            match frontier.next(Instant::now()) {
                Next::Ready(id, request) => {
                    let fetcher = Arc::clone(&fetcher);
                    let task = tasks.spawn(fetch(fetcher, id, request));
                    ids.insert(task.id(), id);
                }
                Next::Wait(at) => {
                    wake = at;
                    break;
                }
                // Nothing queued and nothing in flight: the crawl is over, counted, not
                // guessed.
                Next::Done => {
                    write_rows(frontier, driver.rows)?;
                    return Ok(end);
                }
            }
        }
        // With nothing in flight, `next` always has a job or a time to wait for.
        if tasks.is_empty() && wake.is_none() && grace_ends.is_none() {
            debug_assert!(false, "the frontier asked to wait with nothing in flight");
            break;
        }
        // 2. Await whichever comes first: a finished fetch, a retry or delay coming due (or the
        //    end of the grace after Ctrl-C), or Ctrl-C. A branch whose `if` is false is not
        //    polled at all.
        let deadline = grace_ends.or(wake);
        let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(
            deadline.unwrap_or_else(Instant::now),
        ));
        tokio::select! {
            joined = tasks.join_next_with_id(), if !tasks.is_empty() => match joined {
                // 3. Record it: this may queue new links, a redirect hop or a retry.
                Some(Ok((task, (id, result)))) => {
                    ids.remove(&task);
                    frontier.complete(id, result, Instant::now());
                }
                // The task panicked: its request is lost (a row with the error), the crawl
                // goes on, and the exit status says it failed.
                Some(Err(e)) => {
                    if let Some(id) = ids.remove(&e.id()) {
                        let why = format!("fetch task panicked: {e}");
                        frontier.worker_lost(id, why.clone());
                        end.panics.push(why);
                    }
                }
                None => {}
            },
            () = sleep, if deadline.is_some() => {
                if grace_ends.is_some_and(|end| Instant::now() >= end) {
                    // The grace is over: whatever is still in flight is given up on.
                    end.abandoned = frontier.in_flight();
                    break;
                }
            },
            Some(()) = ctrl_c.recv() => {
                // The first Ctrl-C: start nothing more, give the tasks in flight a bounded
                // grace. (The second one exits the process from the handler.)
                frontier.stop();
                grace_ends = Some(Instant::now() + driver.interrupt.grace);
            },
        }
        write_rows(frontier, driver.rows)?;
        driver.progress.update(frontier);
    }
    // The last rows (all of them, after Ctrl-C) go to the file before anything else. The tasks
    // still in flight are dropped with the `JoinSet` (aborted) and the runtime.
    write_rows(frontier, driver.rows)?;
    tasks.abort_all();
    Ok(end)
}

/// One task: fetch, and hand back the request's id with the answer.
async fn fetch<F: AsyncFetch>(
    fetcher: Arc<F>,
    id: u64,
    request: FetchRequest,
) -> (u64, FetchResult) {
    (id, fetcher.fetch(request).await)
}

// Its unit tests sit beside the threads ones, on the same fake site: `crawl/tests.rs`.
