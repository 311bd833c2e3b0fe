//! A measurement, not a test (run by hand): how long the frontier's schedule takes on the
//! 500-page site when every request costs exactly the site's latency and nothing else.
//!
//! Each request is fetched at once from a test site with no latency, but counted as done 50
//! virtual ms after it started, with 32 slots. The virtual makespan against 500 × 50 ms / 32 is
//! the crawl's structural overhead (the ramp-up of the breadth-first search); whatever a real
//! crawl takes beyond it is per-request cost (HTTP, parsing, the coordinator's wake-ups).
//!
//! `cargo test --release -p threaded-scrape --test schedule -- --ignored --nocapture`

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use threaded_scrape::fetch::{Fetch, FetchOptions, HttpFetcher, USER_AGENT};
use threaded_scrape::frontier::{CrawlConfig, Frontier, Next};
use threaded_scrape::site::{Site, SiteConfig};
use threaded_scrape::urls::Scope;
use url::Url;

#[test]
#[ignore = "a measurement, run by hand with --nocapture"]
fn virtual_makespan_of_the_500_page_site() {
    const SLOTS: usize = 32;
    let latency = Duration::from_millis(50);
    let site = Site::start(
        "127.0.0.1:0",
        SiteConfig {
            pages: 500,
            latency: Duration::ZERO,
            ..SiteConfig::default()
        },
    )
    .unwrap();
    let start = Url::parse(&site.url()).unwrap();
    let scope = Scope::new([&start], &[]);
    let fetcher = HttpFetcher::new(FetchOptions {
        timeout: Duration::from_secs(10),
        max_bytes: 2 * 1024 * 1024,
        workers: SLOTS,
        per_host: SLOTS,
        user_agent: USER_AGENT.to_string(),
        headers: Vec::new(),
        extra_roots: Vec::new(),
        follow_nofollow: false,
        scope: scope.clone(),
    });
    for run in 0..2 {
        // The first run takes the site's one-time 500 and 429, as the benchmark's priming does.
        let config = CrawlConfig {
            per_host: SLOTS,
            delay: Duration::ZERO,
            max_pages: 100_000,
            max_depth: 100,
            retries: 2,
            robots: true,
            fetch_ext: false,
            scope: scope.clone(),
        };
        let mut frontier = Frontier::new(config, std::slice::from_ref(&start));
        let t0 = Instant::now(); // Virtual time: t0 plus what the schedule says.
        let mut now = t0;
        let mut done: BinaryHeap<Reverse<(Instant, u64)>> = BinaryHeap::new();
        let mut answers = std::collections::HashMap::new();
        let mut requests = 0;
        loop {
            while frontier.in_flight() < SLOTS {
                match frontier.next(now) {
                    Next::Ready(id, request) => {
                        requests += 1;
                        answers.insert(id, fetcher.fetch(&request));
                        done.push(Reverse((now + latency, id)));
                    }
                    Next::Wait(Some(at)) if done.peek().is_none_or(|Reverse((t, _))| at < *t) => {
                        now = at;
                    }
                    Next::Wait(_) | Next::Done => break,
                }
            }
            let Some(Reverse((at, id))) = done.pop() else {
                break;
            };
            now = at;
            frontier.complete(id, answers.remove(&id).unwrap(), now);
            let _ = frontier.new_rows();
        }
        let makespan = now - t0;
        let ideal = latency * 500 / SLOTS as u32;
        println!(
            "run {run}: {requests} requests, virtual makespan {makespan:?}, ideal {ideal:?}, \
             ratio {:.3}",
            makespan.as_secs_f64() / ideal.as_secs_f64()
        );
    }
}
