//! The frontier: every decision of the crawl, owned by one thread.
//!
//! Workers only fetch. Everything that needs a memory of the crawl lives here, in plain
//! (unsynchronized) data owned by whoever drives the crawl: the sequential loop, or the
//! coordinator thread of the threaded crawl. No locks, because only one thread ever touches it:
//!
//! - the queue of URLs to fetch, per host and by depth, so the crawl is breadth-first;
//! - the visited set, so a URL is fetched at most once;
//! - per host: requests in flight (`--per-host`), the last request's start (`--delay-ms`), a
//!   pause after a `429` (its `Retry-After`), and its robots.txt rules, fetched before its first
//!   page;
//! - the retry schedule (timeouts, 429 and 5xx, with exponential backoff);
//! - redirect chains: each hop is a job of its own, checked like a link (scope, robots,
//!   visited), so a chain that comes back to itself is a loop and not a second fetch.
//!
//! Depth is the shortest click distance from a start URL, in every mode. With many requests in
//! flight, a URL first found at depth 3 may later be found at depth 2 by a page that was slow
//! to answer. Waiting for each level to finish before starting the next would leave workers
//! idle behind one slow page; instead the crawl goes on, and a URL found again by a shorter
//! path moves up (queued, in flight, or already answered: then its links move up too). A row
//! is written once its depth is final: when nothing at depth `d - 2` or less is left unsettled,
//! every page that could link to a depth-`d` page from closer has been answered.
//!
//! The driver asks [`Frontier::next`] for work and hands back each answer with
//! [`Frontier::complete`]. The crawl is over exactly when `next` says [`Next::Done`]: nothing is
//! queued, nothing waits for a retry and nothing is in flight.
//!
//! This file decides what to fetch next (queues, politeness, robots.txt); `answers.rs` decides
//! what each answer means (a row, links to queue, a retry, the next redirect hop); `offer.rs`
//! which links are queued at all.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use url::Url;

use crate::fetch::FetchRequest;
use crate::robots::Robots;
use crate::urls::{self, Scope};
use host::{Host, RobotsState};

mod answers;
mod host;
mod offer;
pub mod outcome;
#[cfg(test)]
mod tests;

pub use answers::MAX_REDIRECTS;
pub use outcome::{Outcome, Row, Skipped};

/// The crawl's rules, from the command line.
#[derive(Debug, Clone)]
pub struct CrawlConfig {
    /// Most requests in flight to one host (scheme, host and port).
    pub per_host: usize,
    /// Least time between the starts of two requests to one host.
    pub delay: Duration,
    /// Most pages fetched (rows), start URLs included; redirect hops, URLs refused by
    /// robots.txt and skipped extensions do not count.
    pub max_pages: usize,
    /// Links deeper than this many clicks from a start URL are not followed.
    pub max_depth: u32,
    /// Extra attempts for a timeout, a 429 or a 5xx.
    pub retries: u32,
    /// Fetch and obey robots.txt.
    pub robots: bool,
    /// Request URLs with an ignored extension (`.zip`, `.png`, ...) too.
    pub fetch_ext: bool,
    /// What the crawl may request.
    pub scope: Scope,
}

/// What the driver should do next.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Fetch this; hand the answer back with the same id.
    Ready(u64, FetchRequest),
    /// Nothing can start now. Wait for an answer, or until the instant (a retry or a
    /// politeness delay comes due), whichever is first. `None`: only an answer can help.
    Wait(Option<Instant>),
    /// Nothing queued, nothing waiting, nothing in flight: the crawl is over.
    Done,
}

/// A URL on its way: queued, in flight, or waiting for a retry.
#[derive(Debug, Clone)]
struct Job {
    /// The URL this hop fetches.
    url: Url,
    /// The URL first queued (the row's `url`).
    origin: Url,
    depth: u32,
    /// The page the URL was found on (`None` for a start URL).
    referrer: Option<Url>,
    /// Every URL fetched so far for this row, in order (redirect hops); catches loops.
    chain: Vec<Url>,
    /// The 3xx status that led to the current hop, for the row if the hop is refused.
    redirect_status: Option<u16>,
    /// Attempts made at the current hop so far.
    attempt: u32,
    /// Fetch time summed over hops and attempts.
    elapsed: Duration,
}

impl Job {
    /// Not yet started: no redirect hop, no retry. Only such a job can still move up a level.
    fn is_fresh(&self) -> bool {
        self.chain.len() == 1 && self.attempt == 0
    }
}

/// An answered URL whose depth may still shrink: its row (none for `noindex` or a URL refused
/// by robots.txt) and the links it offered, kept to offer them again from closer.
#[derive(Debug)]
struct Pending {
    depth: u32,
    seq: u64,
    row: Option<Row>,
    links: Vec<Url>,
    /// The URL that answered: the referrer of `links`.
    from: Url,
}

/// What is in flight, by id.
#[derive(Debug)]
enum InFlight {
    // Boxed: a job is much larger than the robots variant, and these sit in a map.
    Page { host: usize, job: Box<Job> },
    Robots { host: usize },
}

/// The frontier. See the module docs.
pub struct Frontier {
    config: CrawlConfig,
    hosts: Vec<Host>,
    host_index: HashMap<String, usize>,
    /// Where the next scan for a ready host starts, so no host starves the others.
    cursor: usize,
    /// URLs queued, fetched or being fetched (the "fetched at most once" set).
    visited: HashSet<String>,
    /// Fresh jobs still queued, by URL, with their depth: where to find one that moves up.
    queued_depth: HashMap<String, u32>,
    /// The depth so far of every URL whose row is not final yet (queued, in flight, waiting
    /// for a retry, or answered and pending).
    depth_of: HashMap<String, u32>,
    /// Jobs in flight that moved up while they were out: their new referrer, applied when
    /// they are answered.
    lowered: HashMap<String, Option<Url>>,
    /// Answered URLs whose depth is not final yet, by URL, with their row and links.
    pending: HashMap<String, Pending>,
    /// The same, by (depth, order settled): the shallowest are final first.
    pending_order: BTreeMap<(u32, u64), String>,
    pending_seq: u64,
    /// Jobs not settled yet (queued, in flight or waiting for a retry), per depth.
    unsettled: BTreeMap<u32, usize>,
    /// Pages claimed so far against `--max-pages`.
    claimed: usize,
    /// URLs found while `--max-pages` was reached, oldest first: a claim given back (a URL
    /// refused by robots.txt) goes to the first of them.
    waiting: VecDeque<(Url, u32, Option<Url>)>,
    /// Distinct URLs off the allowed hosts: `skipped.out_of_scope` is its size at the end.
    out_of_scope: HashSet<String>,
    filtered: HashSet<String>,
    by_extension: HashSet<String>,
    too_deep: HashSet<String>,
    over_max_pages: HashSet<String>,
    skipped: Skipped,
    /// Jobs in host queues or waiting for a retry.
    queued: usize,
    in_flight: HashMap<u64, InFlight>,
    next_id: u64,
    peak_in_flight: usize,
    retries: u64,
    rows: Vec<Row>,
    /// Rows already handed to the driver by [`Frontier::new_rows`].
    rows_taken: usize,
    /// robots.txt problems, for the summary.
    warnings: Vec<String>,
    /// Start URLs refused by robots.txt, for the exit status.
    refused_starts: Vec<String>,
    starts: Vec<String>,
    /// Ctrl-C: start nothing more.
    stopping: bool,
}

impl Frontier {
    /// A frontier holding the start URLs at depth 0, as given (fragment dropped).
    pub fn new(config: CrawlConfig, starts: &[Url]) -> Frontier {
        let mut frontier = Frontier {
            config,
            hosts: Vec::new(),
            host_index: HashMap::new(),
            cursor: 0,
            visited: HashSet::new(),
            queued_depth: HashMap::new(),
            depth_of: HashMap::new(),
            lowered: HashMap::new(),
            pending: HashMap::new(),
            pending_order: BTreeMap::new(),
            pending_seq: 0,
            unsettled: BTreeMap::new(),
            claimed: 0,
            waiting: VecDeque::new(),
            out_of_scope: HashSet::new(),
            filtered: HashSet::new(),
            by_extension: HashSet::new(),
            too_deep: HashSet::new(),
            over_max_pages: HashSet::new(),
            skipped: Skipped::default(),
            queued: 0,
            in_flight: HashMap::new(),
            next_id: 0,
            peak_in_flight: 0,
            retries: 0,
            rows: Vec::new(),
            rows_taken: 0,
            warnings: Vec::new(),
            refused_starts: Vec::new(),
            starts: Vec::new(),
            stopping: false,
        };
        for url in starts {
            let url = urls::normalize(url.clone());
            if !frontier.starts.contains(&url.to_string()) {
                frontier.starts.push(url.to_string());
            }
            frontier.offer_start(url);
        }
        frontier
    }

    /// Requests handed out and not yet answered.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Jobs queued or waiting for a retry.
    pub fn queued(&self) -> usize {
        self.queued
    }

    /// Rows settled so far (final or not).
    pub fn rows_done(&self) -> usize {
        self.rows.len() + self.pending.len()
    }

    /// The rows settled since the last call, in the order they were settled: the driver
    /// writes them out at once, so a crawl killed later keeps them.
    pub fn new_rows(&mut self) -> &[Row] {
        // After Ctrl-C every row goes out now, with the depth known so far.
        self.flush_final(self.stopping);
        let from = self.rows_taken;
        self.rows_taken = self.rows.len();
        &self.rows[from..]
    }

    /// Ctrl-C: hand out nothing more. `next` says `Done` once the requests in flight are
    /// answered (or the driver stops waiting for them); what was queued is counted as
    /// interrupted.
    pub fn stop(&mut self) {
        self.stopping = true;
    }

    /// The next request that may start at `now`, or how long to wait, or the end.
    pub fn next(&mut self, now: Instant) -> Next {
        if self.stopping {
            return if self.in_flight.is_empty() {
                Next::Done
            } else {
                Next::Wait(None)
            };
        }
        // A job refused by robots.txt is settled on the spot; then we look again.
        'scan: loop {
            if self.queued == 0 && self.in_flight.is_empty() {
                return Next::Done;
            }
            let mut wake: Option<Instant> = None;
            let count = self.hosts.len();
            for k in 0..count {
                let h = (self.cursor + k) % count;
                let host = &mut self.hosts[h];
                // Full: an answer from this host will free a slot, and wake us.
                if host.in_flight >= self.config.per_host || host.is_idle() {
                    continue;
                }
                if let Some(ready) = host.ready_at(self.config.delay) {
                    if ready > now {
                        wake = earliest(wake, ready);
                        continue;
                    }
                }
                match &host.robots {
                    RobotsState::Known(_) => {}
                    // Its robots.txt is on the way; its pages wait for the rules.
                    RobotsState::Fetching => continue,
                    // The host's first request is for its robots.txt.
                    RobotsState::Unknown => {
                        host.robots = RobotsState::Fetching;
                        let request = FetchRequest::Robots(host.origin.clone());
                        return self.start(h, InFlight::Robots { host: h }, request, now);
                    }
                }
                // A retry that has come due goes first; then the shallowest queued job.
                let due = host.retries.iter().position(|(t, _)| *t <= now);
                let job = match due {
                    Some(i) => host.retries.swap_remove(i).1,
                    None => match host.pop() {
                        Some(job) => job,
                        None => {
                            let soonest = host.retries.iter().map(|(t, _)| *t).min();
                            wake = soonest.map_or(wake, |t| earliest(wake, t));
                            continue;
                        }
                    },
                };
                self.queued -= 1;
                if job.is_fresh() {
                    self.queued_depth.remove(job.url.as_str());
                }
                let allowed = match &self.hosts[h].robots {
                    RobotsState::Known(rules) => rules.allows(&path_and_query(&job.url)),
                    _ => true,
                };
                if !allowed {
                    self.refused_by_robots(job);
                    continue 'scan;
                }
                let request = FetchRequest::Page(job.url.clone());
                let what = InFlight::Page {
                    host: h,
                    job: Box::new(job),
                };
                return self.start(h, what, request, now);
            }
            return Next::Wait(wake);
        }
    }

    /// Marks a request as started and hands it out.
    fn start(&mut self, h: usize, what: InFlight, request: FetchRequest, now: Instant) -> Next {
        let host = &mut self.hosts[h];
        host.in_flight += 1;
        host.last_start = Some(now);
        // The next scan starts after this host: round-robin between hosts.
        self.cursor = (h + 1) % self.hosts.len();
        let id = self.next_id;
        self.next_id += 1;
        self.in_flight.insert(id, what);
        self.peak_in_flight = self.peak_in_flight.max(self.in_flight.len());
        Next::Ready(id, request)
    }

    /// The index of `url`'s host, created on first sight.
    fn host_for(&mut self, url: &Url) -> usize {
        let key = urls::origin_key(url);
        if let Some(&h) = self.host_index.get(&key) {
            return h;
        }
        let robots = if self.config.robots {
            RobotsState::Unknown
        } else {
            RobotsState::Known(Robots::allow_all())
        };
        let origin = url.join("/").unwrap_or_else(|_| url.clone());
        self.hosts.push(Host {
            origin,
            queue: BTreeMap::new(),
            retries: Vec::new(),
            in_flight: 0,
            last_start: None,
            paused_until: None,
            robots,
        });
        self.host_index.insert(key, self.hosts.len() - 1);
        self.hosts.len() - 1
    }

    /// The crawl is over: what it found.
    pub fn finish(mut self) -> Outcome {
        self.flush_final(true);
        self.skipped.out_of_scope = self.out_of_scope.len();
        self.skipped.filtered = self.filtered.len();
        self.skipped.extension = self.by_extension.len();
        self.skipped.interrupted = self.queued;
        // A URL first found too deep or over the limit may have been queued later by a shorter
        // path; only the ones never fetched were really skipped.
        let visited = &self.visited;
        self.skipped.max_depth = self
            .too_deep
            .iter()
            .filter(|u| !visited.contains(*u))
            .count();
        self.skipped.max_pages = self
            .over_max_pages
            .iter()
            .filter(|u| !visited.contains(*u))
            .count();
        let mut failed_starts = std::mem::take(&mut self.refused_starts);
        let by_url: BTreeMap<&str, &Row> = self.rows.iter().map(|r| (r.url.as_str(), r)).collect();
        for start in &self.starts {
            if let Some(row) = by_url.get(start.as_str()) {
                if row.status.is_none() {
                    failed_starts.push(row.error.clone());
                }
            }
        }
        self.rows.sort_by(|a, b| a.url.cmp(&b.url));
        Outcome {
            rows: self.rows,
            skipped: self.skipped,
            peak_in_flight: self.peak_in_flight,
            retries: self.retries,
            warnings: self.warnings,
            failed_starts,
            start_count: self.starts.len(),
            interrupted: self.stopping,
        }
    }
}

fn earliest(a: Option<Instant>, b: Instant) -> Option<Instant> {
    Some(a.map_or(b, |a| a.min(b)))
}

/// What robots.txt rules are matched against: `/path?query`.
fn path_and_query(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}
