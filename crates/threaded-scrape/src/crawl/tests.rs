use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use url::Url;

use super::*;
use crate::fetch::Page;
use crate::frontier::CrawlConfig;
use crate::interrupt::Interrupt;
use crate::output::NoFile;
use crate::progress::Progress;
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

/// Crawls with no file, no progress and no Ctrl-C.
fn run(frontier: Frontier, site: &Arc<FakeSite>, mode: Mode, workers: usize) -> Crawl {
    let mut driver = Driver {
        progress: &Progress::hidden(),
        rows: &mut NoFile,
        interrupt: &Interrupt::never(),
    };
    crawl(frontier, Arc::clone(site), mode, workers, &mut driver).unwrap()
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
        fetch_ext: false,
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
    let site = Arc::new(FakeSite::new(40, 1));
    let starts = ["http://a.test/0", "http://b.test/0"];
    let seq = run(frontier(&starts, 4), &site, Mode::Sequential, 1);
    let thr = run(frontier(&starts, 4), &site, Mode::Threads, 8);
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
    let site = Arc::new(FakeSite::new(60, 10));
    let starts = ["http://a.test/0", "http://b.test/0"];
    let thr = run(frontier(&starts, 3), &site, Mode::Threads, 16);
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
    let site = Arc::new(site);
    let thr = run(frontier(&["http://a.test/0"], 4), &site, Mode::Threads, 4);
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
    let site = Arc::new(site);
    let thr = run(frontier(&["http://a.test/0"], 4), &site, Mode::Threads, 1);
    assert_eq!(thr.worker_panics.len(), 1);
    assert_eq!(thr.outcome.rows.len(), 1);
}

/// The fake site as an async fetcher: each fetch runs on tokio's blocking pool (the fake
/// sleeps), and a panic there is a panic of the task, as a bug in a real fetch would be.
#[cfg(feature = "async")]
struct OnBlockingPool(Arc<FakeSite>);

#[cfg(feature = "async")]
impl crate::fetch_async::AsyncFetch for OnBlockingPool {
    async fn fetch(&self, request: FetchRequest) -> FetchResult {
        let site = Arc::clone(&self.0);
        match tokio::task::spawn_blocking(move || site.fetch(&request)).await {
            Ok(result) => result,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
}

#[cfg(feature = "async")]
fn run_async(frontier: Frontier, site: &Arc<FakeSite>, workers: usize) -> Crawl {
    let mut driver = Driver {
        progress: &Progress::hidden(),
        rows: &mut NoFile,
        interrupt: &Interrupt::never(),
    };
    let fetcher = Arc::new(OnBlockingPool(Arc::clone(site)));
    crate::crawl_async::crawl(frontier, fetcher, workers, &mut driver).unwrap()
}

#[cfg(feature = "async")]
#[test]
fn async_finds_what_threads_find_within_the_per_host_limit() {
    let site = Arc::new(FakeSite::new(60, 5));
    let starts = ["http://a.test/0", "http://b.test/0"];
    let thr = run(frontier(&starts, 3), &site, Mode::Threads, 16);
    let site = Arc::new(FakeSite::new(60, 5));
    let asy = run_async(frontier(&starts, 3), &site, 16);
    assert_eq!(asy.mode, Mode::Async);
    assert_eq!(found(&thr), found(&asy));
    assert_eq!(asy.outcome.rows.len(), 120, "a URL was fetched twice");
    assert!(site.peak_per_host.load(Ordering::SeqCst) <= 3);
    assert!(
        asy.outcome.peak_in_flight > 3,
        "{}",
        asy.outcome.peak_in_flight
    );
    assert!(asy.outcome.peak_in_flight <= 6);
}

#[cfg(feature = "async")]
#[test]
fn a_panicking_task_is_an_error_not_a_hang() {
    let mut site = FakeSite::new(30, 1);
    site.panic_on = Some("/5");
    let site = Arc::new(site);
    let asy = run_async(frontier(&["http://a.test/0"], 4), &site, 4);
    assert_eq!(asy.worker_panics.len(), 1, "{:?}", asy.worker_panics);
    assert!(
        asy.worker_panics[0].contains("panicked"),
        "{:?}",
        asy.worker_panics
    );
    let row = asy
        .outcome
        .rows
        .iter()
        .find(|r| r.url == "http://a.test/5")
        .unwrap();
    assert!(row.error.contains("panicked"), "{row:?}");
    assert!(asy.outcome.rows.len() >= 20, "{}", asy.outcome.rows.len());
}
