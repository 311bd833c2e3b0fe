//! The two drivers of the frontier, side by side: one loop, or a coordinator and N workers.
//!
//! Both ask the same [`Frontier`] what to fetch and give it the same [`Fetch`] answers, so
//! they crawl the same pages; they differ only in how many requests wait on the network at
//! once. Crawling is I/O-bound (a thread spends its time waiting for a server), so many more
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
use std::io::IsTerminal;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use indicatif::{ProgressBar, ProgressStyle};

use crate::fetch::{Fetch, FetchRequest, FetchResult};
use crate::frontier::{Frontier, Next};
use crate::report::Outcome;

/// How the crawl runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One request at a time, in one loop: the baseline.
    Sequential,
    /// A coordinator thread feeds --workers threads over crossbeam channels.
    Threads,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Sequential => "sequential",
            Mode::Threads => "threads",
        }
    }
}

/// A finished crawl.
#[derive(Debug)]
pub struct Crawl {
    pub mode: Mode,
    /// Threads that fetched (1 for sequential).
    pub workers: usize,
    pub outcome: Outcome,
    /// Wall-clock time from the first request to the end of the crawl.
    pub wall: Duration,
    /// Workers that panicked, with their message. Not empty means the crawl failed.
    pub worker_panics: Vec<String>,
}

/// Crawls everything `frontier` holds, in `mode`, and times it.
pub fn crawl<F: Fetch>(
    mut frontier: Frontier,
    fetcher: &F,
    mode: Mode,
    workers: usize,
    progress: &Progress,
) -> anyhow::Result<Crawl> {
    let start = Instant::now();
    let (workers, worker_panics) = match mode {
        Mode::Sequential => {
            sequential(&mut frontier, fetcher, progress);
            (1, Vec::new())
        }
        Mode::Threads => (workers, threads(&mut frontier, fetcher, workers, progress)?),
    };
    let wall = start.elapsed();
    progress.finish();
    Ok(Crawl {
        mode,
        workers,
        outcome: frontier.finish(),
        wall,
        worker_panics,
    })
}

/// The baseline: ask, fetch, answer, one URL at a time.
pub fn sequential<F: Fetch>(frontier: &mut Frontier, fetcher: &F, progress: &Progress) {
    loop {
        match frontier.next(Instant::now()) {
            Next::Ready(id, request) => {
                let result = fetcher.fetch(&request);
                frontier.complete(id, result, Instant::now());
                progress.update(frontier);
            }
            // A retry or a politeness delay is not due yet: nothing else to do but wait.
            Next::Wait(Some(at)) => thread::sleep(at.saturating_duration_since(Instant::now())),
            // With nothing in flight, `next` always has a job or a time to wait for.
            Next::Wait(None) => {
                debug_assert!(false, "the frontier asked to wait with nothing in flight");
                break;
            }
            Next::Done => break,
        }
    }
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
/// Returns the panic messages of workers that died; the crawl goes on without them.
pub fn threads<F: Fetch>(
    frontier: &mut Frontier,
    fetcher: &F,
    workers: usize,
    progress: &Progress,
) -> anyhow::Result<Vec<String>> {
    // Scoped threads may borrow `fetcher`; the scope also guarantees every worker has ended
    // before this function returns, whatever path we leave it by.
    thread::scope(|scope| {
        // bounded(workers): we send only while fewer than `workers` requests are in flight, so
        // some worker is idle and the send never blocks. A job never waits in the channel, and
        // "in flight" in the frontier really means "a worker is on it".
        let (job_tx, job_rx) = crossbeam_channel::bounded::<(u64, FetchRequest)>(workers);
        // Unbounded, so a worker never waits to hand in an answer (at most `workers` pile up).
        let (result_tx, result_rx) = crossbeam_channel::unbounded::<Report>();

        let mut handles = Vec::with_capacity(workers);
        for w in 0..workers {
            let (jobs, results) = (job_rx.clone(), result_tx.clone());
            let handle = thread::Builder::new()
                .name(format!("worker-{w}"))
                .spawn_scoped(scope, move || worker(w, jobs, results, fetcher))
                // On error we return, `job_tx` is dropped, and the workers already started end.
                .with_context(|| format!("cannot start worker thread {w}"))?;
            handles.push(handle);
        }
        // The workers hold the other ends now. Dropping our copies matters: if every worker
        // died, `result_rx.recv()` then reports a disconnection instead of waiting forever.
        drop(job_rx);
        drop(result_tx);

        let mut live = workers;
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
                    // Nothing queued and nothing in flight: the crawl is over. This is the only
                    // way out of the loop besides losing every worker; no sleeps, no guessing.
                    Next::Done => {
                        done = true;
                        break;
                    }
                }
            }
            if done {
                break;
            }
            // 2. Wait for an answer, or until a retry or a delay comes due.
            let report = match wake {
                Some(at) => match result_rx.recv_deadline(at) {
                    Ok(report) => report,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => break,
                },
                None => match result_rx.recv() {
                    Ok(report) => report,
                    Err(_) => break,
                },
            };
            // 3. Record it: this may queue new links, a redirect hop or a retry.
            match report {
                Report::Done { id, result } => frontier.complete(id, result, Instant::now()),
                Report::Lost { worker, id } => {
                    live -= 1;
                    frontier.worker_lost(id, format!("worker {worker} panicked"));
                    if live == 0 {
                        break;
                    }
                }
            }
            progress.update(frontier);
        }

        // Shutdown, step 1: drop the only job sender. The channel is empty (nothing is in
        // flight), so each worker's `recv` now fails and its loop ends.
        drop(job_tx);
        // Step 2: join every worker. One that panicked hands its panic back here as an Err,
        // which becomes an error of the crawl, not a crash of the program.
        let mut panics = Vec::new();
        for (w, handle) in handles.into_iter().enumerate() {
            if let Err(payload) = handle.join() {
                panics.push(format!("worker {w} panicked: {}", panic_message(&*payload)));
            }
        }
        Ok(panics)
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

/// A spinner on stderr with the crawl's counts, shown only when stderr is a terminal.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    pub fn new(enabled: bool) -> Progress {
        if !enabled || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(100));
        Progress(Some(bar))
    }

    /// No progress output (tests, `--json` runs in scripts).
    pub fn hidden() -> Progress {
        Progress(None)
    }

    fn update(&self, frontier: &Frontier) {
        if let Some(bar) = &self.0 {
            bar.set_message(format!(
                "{} fetched, {} in flight, {} queued",
                frontier.rows_done(),
                frontier.in_flight(),
                frontier.queued()
            ));
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    use url::Url;

    use super::*;
    use crate::fetch::Page;
    use crate::frontier::CrawlConfig;
    use crate::robots::Robots;
    use crate::urls::Scope;

    /// A site in memory: `/k` links to `/2k+1` and `/2k+2` below `pages`, and back to `/0`.
    /// Each fetch sleeps a little, so workers overlap; it counts what is in flight per host.
    struct FakeSite {
        pages: usize,
        latency: Duration,
        panic_on: Option<&'static str>,
        in_flight: Mutex<HashMap<String, usize>>,
        peak_per_host: AtomicUsize,
    }

    impl FakeSite {
        fn new(pages: usize, latency_ms: u64) -> FakeSite {
            FakeSite {
                pages,
                latency: Duration::from_millis(latency_ms),
                panic_on: None,
                in_flight: Mutex::new(HashMap::new()),
                peak_per_host: AtomicUsize::new(0),
            }
        }
    }

    impl Fetch for FakeSite {
        fn fetch(&self, request: &FetchRequest) -> FetchResult {
            let url = match request {
                FetchRequest::Robots(_) => {
                    return FetchResult::Robots {
                        rules: Robots::allow_all(),
                        warning: None,
                    }
                }
                FetchRequest::Page(url) => url,
            };
            let host = url.host_str().unwrap_or("").to_string();
            {
                let mut in_flight = self.in_flight.lock().unwrap();
                let n = in_flight.entry(host.clone()).or_insert(0);
                *n += 1;
                self.peak_per_host.fetch_max(*n, Ordering::SeqCst);
            }
            thread::sleep(self.latency);
            if self.panic_on == Some(url.path()) {
                panic!("fake fetch of {url} failed on purpose");
            }
            let k: usize = url.path()[1..].parse().unwrap_or(usize::MAX);
            let links: Vec<Url> = [2 * k + 1, 2 * k + 2, 0]
                .into_iter()
                .filter(|c| *c < self.pages)
                .map(|c| url.join(&format!("/{c}")).unwrap())
                .collect();
            *self.in_flight.lock().unwrap().get_mut(&host).unwrap() -= 1;
            FetchResult::Page(Ok(Page {
                status: if k < self.pages { 200 } else { 404 },
                content_type: "text/html".into(),
                link_count: links.len(),
                links,
                ..Page::default()
            }))
        }
    }

    fn frontier(starts: &[&str], per_host: usize) -> Frontier {
        let starts: Vec<Url> = starts.iter().map(|s| Url::parse(s).unwrap()).collect();
        let config = CrawlConfig {
            per_host,
            delay: Duration::ZERO,
            max_pages: 1000,
            max_depth: 20,
            retries: 0,
            robots: true,
            scope: Scope::new(&starts, &[]),
        };
        Frontier::new(config, &starts)
    }

    fn found(crawl: &Crawl) -> BTreeSet<(String, Option<u16>)> {
        crawl
            .outcome
            .rows
            .iter()
            .map(|r| (r.url.clone(), r.status))
            .collect()
    }

    #[test]
    fn both_modes_find_the_same_pages_once() {
        let site = FakeSite::new(40, 1);
        let starts = ["http://a.test/0", "http://b.test/0"];
        let seq = crawl(
            frontier(&starts, 4),
            &site,
            Mode::Sequential,
            1,
            &Progress::hidden(),
        )
        .unwrap();
        let thr = crawl(
            frontier(&starts, 4),
            &site,
            Mode::Threads,
            8,
            &Progress::hidden(),
        )
        .unwrap();
        assert_eq!(seq.outcome.rows.len(), 80);
        assert_eq!(found(&seq), found(&thr));
        assert_eq!(
            found(&thr).len(),
            thr.outcome.rows.len(),
            "a URL was fetched twice"
        );
        assert_eq!(seq.outcome.peak_in_flight, 1);
    }

    #[test]
    fn threads_overlap_requests_but_keep_the_per_host_limit() {
        let site = FakeSite::new(60, 10);
        let starts = ["http://a.test/0", "http://b.test/0"];
        let thr = crawl(
            frontier(&starts, 3),
            &site,
            Mode::Threads,
            16,
            &Progress::hidden(),
        )
        .unwrap();
        assert_eq!(thr.outcome.rows.len(), 120);
        assert!(site.peak_per_host.load(Ordering::SeqCst) <= 3);
        // Two hosts at three each: more than one host's worth at once, never more than both.
        assert!(
            thr.outcome.peak_in_flight > 3,
            "{}",
            thr.outcome.peak_in_flight
        );
        assert!(thr.outcome.peak_in_flight <= 6);
    }

    #[test]
    fn a_panicking_worker_is_an_error_at_join_not_a_hang() {
        let mut site = FakeSite::new(30, 1);
        site.panic_on = Some("/5");
        let thr = crawl(
            frontier(&["http://a.test/0"], 4),
            &site,
            Mode::Threads,
            4,
            &Progress::hidden(),
        )
        .unwrap();
        assert_eq!(thr.worker_panics.len(), 1, "{:?}", thr.worker_panics);
        assert!(thr.worker_panics[0].contains("failed on purpose"));
        let row = thr
            .outcome
            .rows
            .iter()
            .find(|r| r.url == "http://a.test/5")
            .unwrap();
        assert!(row.error.contains("panicked"), "{row:?}");
        // The other workers carried on: everything not below /5 was crawled.
        assert!(thr.outcome.rows.len() >= 20, "{}", thr.outcome.rows.len());
    }

    #[test]
    fn when_every_worker_dies_the_crawl_still_ends() {
        let mut site = FakeSite::new(30, 1);
        site.panic_on = Some("/0");
        let thr = crawl(
            frontier(&["http://a.test/0"], 4),
            &site,
            Mode::Threads,
            1,
            &Progress::hidden(),
        )
        .unwrap();
        assert_eq!(thr.worker_panics.len(), 1);
        assert_eq!(thr.outcome.rows.len(), 1);
    }
}
