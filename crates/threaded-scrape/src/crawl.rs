//! The drivers of the frontier, side by side: one loop, or a coordinator and N workers (and,
//! in `crawl_async.rs`, a coordinator and a tokio task set).
//!
//! All ask the same [`Frontier`] what to fetch and give it the same [`Fetch`] answers, so
//! they crawl the same pages; they differ only in how many requests wait on the network at
//! once, and in what a waiting request costs (a thread and its stack, or a task). Crawling is I/O-bound (a thread spends its time waiting for a server), so many more
//! threads than cores pay off: 16 workers on 2 cores keep 16 requests in flight.
//!
//! The threaded crawl, in one picture:
//!
//! ```text
//!                 jobs: bounded(workers)            results: unbounded
//!  coordinator ───────────────────────────► workers ──────────────────► coordinator
//!  (owns the Frontier: queue, visited,      (fetch + parse only,        (complete(), then
//!   per-host counts, robots, retries)        no shared state)            dispatch again)
//! ```

use std::any::Any;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use crossbeam_channel::{select, Receiver, Sender};

use crate::fetch::{Fetch, FetchRequest, FetchResult};
use crate::frontier::{Frontier, Next, Outcome};
use crate::interrupt::Interrupt;
use crate::output::RowSink;
use crate::progress::Progress;
use crate::resources::{cpu_time, peak_rss_kb};

/// How the crawl runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One request at a time, in one loop: the baseline.
    Sequential,
    /// A coordinator thread feeds --workers threads over crossbeam channels.
    Threads,
    /// A coordinator keeps --workers requests in flight as tokio tasks on one thread per core
    /// (the `async` feature).
    Async,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Sequential => "sequential",
            Mode::Threads => "threads",
            Mode::Async => "async",
        }
    }
}

/// A finished crawl.
#[derive(Debug)]
pub struct Crawl {
    pub mode: Mode,
    /// Threads that fetched (1 for sequential), or requests in flight at most (async).
    pub workers: usize,
    pub outcome: Outcome,
    /// Wall-clock time from the start of the crawl to its last row written. The shutdown of
    /// idle workers that follows (joining the threads, or the async runtime's shutdown) is
    /// not counted, in any mode: the crawl's work is done and on disk by then.
    pub wall: Duration,
    /// CPU time of the whole process (every thread, user and system) during the crawl.
    pub cpu: Duration,
    /// Requests still in flight when the grace after Ctrl-C ran out: given up on.
    pub abandoned: usize,
    /// Workers that panicked, with their message. Not empty means the crawl failed.
    pub worker_panics: Vec<String>,
    /// The peak resident memory of this process so far, in KiB, read when the crawl ended
    /// (`getrusage`'s `ru_maxrss`). A high-water mark: in one process that runs several
    /// crawls (the demo) it covers them all; the benchmark runs each crawl alone.
    pub peak_rss_kb: u64,
}

/// What the driver of a crawl needs besides the frontier and the fetcher.
pub struct Driver<'a> {
    pub progress: &'a Progress,
    /// Each row goes here as soon as it is settled.
    pub rows: &'a mut dyn RowSink,
    pub interrupt: &'a Interrupt,
}

/// Crawls everything `frontier` holds, in `mode`, and times it.
///
/// The fetcher is shared (`Arc`) rather than borrowed: after Ctrl-C a worker may still be
/// waiting on a slow server when the grace runs out, and the crawl must be able to return
/// without joining it (it ends with the process).
pub fn crawl<F: Fetch + Send + 'static>(
    frontier: Frontier,
    fetcher: Arc<F>,
    mode: Mode,
    workers: usize,
    driver: &mut Driver,
) -> anyhow::Result<Crawl> {
    match mode {
        Mode::Sequential => timed(mode, 1, frontier, driver, |frontier, driver| {
            sequential(frontier, &*fetcher, driver)
        }),
        Mode::Threads => timed(mode, workers, frontier, driver, |frontier, driver| {
            threads(frontier, fetcher, workers, driver)
        }),
        Mode::Async => anyhow::bail!(
            "--mode async takes an async fetcher: call crawl_async::crawl (built with the \
             `async` feature)"
        ),
    }
}

/// Runs one driver over `frontier`, times it (wall and CPU) and collects its outcome.
pub(crate) fn timed(
    mode: Mode,
    workers: usize,
    mut frontier: Frontier,
    driver: &mut Driver,
    run: impl FnOnce(&mut Frontier, &mut Driver) -> anyhow::Result<End>,
) -> anyhow::Result<Crawl> {
    let start = Instant::now();
    let cpu_start = cpu_time();
    let end = run(&mut frontier, driver)?;
    let wall = end.finished.unwrap_or_else(Instant::now) - start;
    let cpu = cpu_time().saturating_sub(cpu_start);
    driver.progress.finish();
    Ok(Crawl {
        mode,
        workers,
        outcome: frontier.finish(),
        wall,
        cpu,
        abandoned: end.abandoned,
        worker_panics: end.panics,
        peak_rss_kb: peak_rss_kb(),
    })
}

/// How a driver's loop ended.
#[derive(Default)]
pub(crate) struct End {
    pub(crate) panics: Vec<String>,
    pub(crate) abandoned: usize,
    /// When the last row was written, if the driver still had shutdown work after it (the
    /// threaded crawl joins its workers); `None`: when the driver returned.
    pub(crate) finished: Option<Instant>,
}

/// Hands the rows settled since the last call to the sink (the file), in order.
pub(crate) fn write_rows(frontier: &mut Frontier, rows: &mut dyn RowSink) -> anyhow::Result<()> {
    for row in frontier.new_rows() {
        rows.write(row)?;
    }
    Ok(())
}

/// The baseline: ask, fetch, answer, one URL at a time.
fn sequential<F: Fetch>(
    frontier: &mut Frontier,
    fetcher: &F,
    driver: &mut Driver,
) -> anyhow::Result<End> {
    loop {
        // Ctrl-C is heard between requests: the one in flight is bounded by --timeout-s.
        if driver.interrupt.fired() {
            frontier.stop();
        }
        match frontier.next(Instant::now()) {
            Next::Ready(id, request) => {
                let result = fetcher.fetch(&request);
                frontier.complete(id, result, Instant::now());
                write_rows(frontier, driver.rows)?;
                driver.progress.update(frontier);
            }
            // A retry or a politeness delay is not due yet: wait for it, or for Ctrl-C.
            Next::Wait(Some(at)) => {
                let wait = at.saturating_duration_since(Instant::now());
                if driver.interrupt.receiver().recv_timeout(wait).is_ok() {
                    frontier.stop();
                }
            }
            // With nothing in flight, `next` always has a job or a time to wait for.
            Next::Wait(None) => {
                debug_assert!(false, "the frontier asked to wait with nothing in flight");
                break;
            }
            Next::Done => break,
        }
    }
    write_rows(frontier, driver.rows)?;
    Ok(End::default())
}

/// What a worker tells the coordinator.
enum Report {
    /// The answer to request `id`.
    Done { id: u64, result: FetchResult },
    /// Worker `worker` panicked while fetching request `id` and is gone.
    Lost { worker: usize, id: u64 },
}

/// The threaded crawl: the coordinator (this thread) owns the frontier, `workers` threads fetch.
///
/// Returns the panic messages of workers that died (the crawl goes on without them), and how
/// many requests were given up on after Ctrl-C.
fn threads<F: Fetch + Send + 'static>(
    frontier: &mut Frontier,
    fetcher: Arc<F>,
    workers: usize,
    driver: &mut Driver,
) -> anyhow::Result<End> {
    // bounded(workers): we send only while fewer than `workers` requests are in flight, so
    // some worker is idle and the send never blocks. A job never waits in the channel, and
    // "in flight" in the frontier really means "a worker is on it".
    let (job_tx, job_rx) = crossbeam_channel::bounded::<(u64, FetchRequest)>(workers);
    // Unbounded, so a worker never waits to hand in an answer (at most `workers` pile up).
    let (result_tx, result_rx) = crossbeam_channel::unbounded::<Report>();

    // What starting a worker takes: the other ends of both channels, and the fetcher. Held
    // only until every worker is started.
    let mut ends = Some((job_rx, result_tx));
    let mut handles = Vec::with_capacity(workers);
    let start_worker = |handles: &mut Vec<thread::JoinHandle<()>>,
                        (jobs, results): &(Receiver<_>, Sender<_>)|
     -> anyhow::Result<()> {
        let w = handles.len();
        let (jobs, results, fetcher) = (jobs.clone(), results.clone(), Arc::clone(&fetcher));
        let handle = thread::Builder::new()
            .name(format!("worker-{w}"))
            .spawn(move || worker(w, jobs, results, &*fetcher))
            // On error we return: `job_tx` is dropped and the workers already started end.
            .with_context(|| format!("cannot start worker thread {w} of {workers}"))?;
        handles.push(handle);
        Ok(())
    };
    // One worker first: the first request (robots.txt) goes out at once, and the other
    // workers start while it waits on the network (see the dispatch loop). Starting 32
    // threads takes a millisecond or more, and a crawl begins with robots.txt, which its
    // host's pages wait for anyway.
    if let Some(ends) = &ends {
        start_worker(&mut handles, ends)?;
    }
    let mut live = handles.len();
    // Set by the first Ctrl-C: when the grace for the requests in flight runs out.
    let mut grace_ends: Option<Instant> = None;
    let mut abandoned = 0;
    loop {
        // 1. Dispatch: hand out work while some worker is idle. The frontier applies the
        //    per-host limit, the delay and robots.txt; a freed slot is refilled at once.
        let mut wake = None;
        let mut done = false;
        while frontier.in_flight() < live {
            match frontier.next(Instant::now()) {
                Next::Ready(id, request) => {
                    // Cannot fail: the workers hold the receiver until we drop `job_tx`.
                    if job_tx.send((id, request)).is_err() {
                        done = true;
                        break;
                    }
                }
                Next::Wait(at) => {
                    wake = at;
                    break;
                }
                // Nothing queued and nothing in flight (or stopped and nothing in flight): the
                // crawl is over. No sleeps, no guessing.
                Next::Done => {
                    done = true;
                    break;
                }
            }
        }
        if done {
            break;
        }
        // The rest of the workers, now that the first requests are out. Every worker is
        // started before the first answer is awaited, so `live` counts them all from then on.
        if let Some(ends) = ends.take() {
            while handles.len() < workers {
                start_worker(&mut handles, &ends)?;
            }
            live = workers;
            // The workers hold the other ends now. Dropping our copies matters: if every
            // worker died, `result_rx.recv()` then reports a disconnection instead of
            // waiting forever.
            drop(ends);
            continue;
        }
        // 2. Wait for an answer, a retry or delay coming due, the end of the grace, or Ctrl-C.
        let deadline = match (wake, grace_ends) {
            (_, Some(end)) => Some(end),
            (wake, None) => wake,
        };
        let timer = match deadline {
            Some(at) => crossbeam_channel::at(at),
            None => crossbeam_channel::never(),
        };
        let report = select! {
            recv(result_rx) -> report => match report {
                Ok(report) => report,
                Err(_) => break, // Every worker is gone.
            },
            recv(driver.interrupt.receiver()) -> _ => {
                // The first Ctrl-C: hand out nothing more, give the requests in flight a
                // bounded grace.
                frontier.stop();
                grace_ends = Some(Instant::now() + driver.interrupt.grace);
                continue;
            },
            recv(timer) -> _ => {
                if grace_ends.is_some_and(|end| Instant::now() >= end) {
                    // The grace is over: whatever is still in flight is given up on.
                    abandoned = frontier.in_flight();
                    break;
                }
                continue;
            },
        };
        // 3. Record it: this may queue new links, a redirect hop or a retry. Its row goes to
        //    the file now.
        match report {
            Report::Done { id, result } => frontier.complete(id, result, Instant::now()),
            Report::Lost { worker, id } => {
                live -= 1;
                frontier.worker_lost(id, format!("worker {worker} panicked"));
                if live == 0 {
                    write_rows(frontier, driver.rows)?;
                    break;
                }
            }
        }
        write_rows(frontier, driver.rows)?;
        driver.progress.update(frontier);
    }

    // The last rows (all of them, after Ctrl-C) go to the file before anything else. The
    // crawl's wall time ends here; the shutdown of the idle workers follows.
    write_rows(frontier, driver.rows)?;
    let finished = Some(Instant::now());
    // Shutdown, step 1: drop the only job sender. The channel is empty (nothing is waiting in
    // it), so each idle worker's `recv` now fails and its loop ends.
    drop(job_tx);
    if abandoned > 0 {
        // Some workers are still waiting on a server after Ctrl-C: not joined. They hold only
        // their `Arc` of the fetcher and end with the process, which exits now.
        return Ok(End {
            panics: Vec::new(),
            abandoned,
            finished,
        });
    }
    // Step 2: join every worker. One that panicked hands its panic back here as an Err,
    // which becomes an error of the crawl, not a crash of the program.
    let mut panics = Vec::new();
    for (w, handle) in handles.into_iter().enumerate() {
        if let Err(payload) = handle.join() {
            panics.push(format!("worker {w} panicked: {}", panic_message(&*payload)));
        }
    }
    Ok(End {
        panics,
        abandoned,
        finished,
    })
}

/// One worker: fetch what the coordinator sends until it closes the channel.
fn worker<F: Fetch>(
    w: usize,
    jobs: Receiver<(u64, FetchRequest)>,
    results: Sender<Report>,
    fetcher: &F,
) {
    // `iter()` blocks while there is no job and ends when the coordinator drops the sender.
    for (id, request) in jobs.iter() {
        // If `fetch` panics, this guard's drop still runs and tells the coordinator, which
        // would otherwise wait forever for the answer to `id`.
        let _guard = LostGuard {
            worker: w,
            id,
            results: &results,
        };
        let result = fetcher.fetch(&request);
        // The coordinator is gone only if it returned early; then there is nobody to work for.
        if results.send(Report::Done { id, result }).is_err() {
            break;
        }
    }
}

/// Reports a worker's panic to the coordinator while the stack unwinds.
struct LostGuard<'a> {
    worker: usize,
    id: u64,
    results: &'a Sender<Report>,
}

impl Drop for LostGuard<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            let _ = self.results.send(Report::Lost {
                worker: self.worker,
                id: self.id,
            });
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

#[cfg(test)]
mod tests;
