//! The frontier: every decision of the crawl, owned by one thread.
//!
//! Workers only fetch. Everything that needs a memory of the crawl lives here, in plain
//! (unsynchronized) data owned by whoever drives the crawl: the sequential loop, or the
//! coordinator thread of the threaded crawl. No locks, because only one thread ever touches it:
//!
//! - the queue of URLs to fetch, one FIFO per host, so the crawl is breadth-first;
//! - the visited set of normalized URLs, so a page is fetched at most once whatever its spelling;
//! - per host: requests in flight (`--per-host`), the last request's start (`--delay-ms`), a
//!   pause after a `429` (its `Retry-After`), and its robots.txt rules, fetched before its first
//!   page;
//! - the retry schedule (timeouts, 429 and 5xx, with exponential backoff);
//! - redirect chains: each hop is a job of its own, checked like a link (scope, robots,
//!   visited), so a chain that comes back to itself is a loop and not a second fetch.
//!
//! The driver asks [`Frontier::next`] for work and hands back each answer with
//! [`Frontier::complete`]. The crawl is over exactly when `next` says [`Next::Done`]: nothing is
//! queued, nothing waits for a retry and nothing is in flight.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use url::Url;

use crate::fetch::{is_html, FetchError, FetchErrorKind, FetchRequest, FetchResult, Page};
use crate::robots::Robots;
use crate::urls::{self, Scope};

/// Redirects followed from one URL before the chain is an error.
pub const MAX_REDIRECTS: usize = 5;
/// First retry waits this long, then twice as long each time.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// A `Retry-After` longer than this is not waited for: the row keeps its 429/503.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The crawl's rules, from the command line.
#[derive(Debug, Clone)]
pub struct CrawlConfig {
    /// Most requests in flight to one host (scheme, host and port).
    pub per_host: usize,
    /// Least time between the starts of two requests to one host.
    pub delay: Duration,
    /// Most URLs fetched (rows), start URLs included; redirect hops do not count.
    pub max_pages: usize,
    /// Links deeper than this many clicks from a start URL are not followed.
    pub max_depth: u32,
    /// Extra attempts for a timeout, a 429 or a 5xx.
    pub retries: u32,
    /// Fetch and obey robots.txt.
    pub robots: bool,
    /// Hosts the crawl may visit.
    pub scope: Scope,
}

/// One line of the CSV: a URL the crawl fetched, with its redirects followed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Row {
    /// The URL as queued (normalized).
    pub url: String,
    /// Where its redirects led: the last URL fetched, or the already-crawled target.
    pub final_url: String,
    /// The last HTTP status; `None` when no answer came (connection refused, timeout, ...).
    pub status: Option<u16>,
    /// Clicks from a start URL (start URLs are 0; a redirect keeps its origin's depth).
    pub depth: u32,
    pub content_type: String,
    /// Body bytes read (0 when the body was not read: not HTML or not a 2xx).
    pub bytes: u64,
    pub title: String,
    /// `a[href]` count on the page.
    pub links: usize,
    /// Time spent fetching, summed over redirect hops and retries (waits not included).
    pub elapsed_ms: f64,
    /// Empty for a clean 2xx; otherwise what went wrong, naming the URL.
    pub error: String,
    /// The error's kind for the summary ("http 404", "redirect loop", ...), not in the CSV.
    #[serde(skip)]
    pub error_kind: Option<String>,
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
    /// Every URL fetched so far for this row, in order (redirect hops); catches loops.
    chain: Vec<Url>,
    /// The 3xx status that led to the current hop, for the row if the hop is refused.
    redirect_status: Option<u16>,
    /// Attempts made at the current hop so far.
    attempt: u32,
    /// Fetch time summed over hops and attempts.
    elapsed: Duration,
}

#[derive(Debug)]
enum RobotsState {
    /// Not asked for yet: the host's first job is its robots.txt.
    Unknown,
    /// Being fetched: the host's pages wait for it.
    Fetching,
    Known(Robots),
}

/// Politeness and queue state of one origin.
#[derive(Debug)]
struct Host {
    /// `http://host:port`, where robots.txt is fetched from.
    origin: Url,
    queue: VecDeque<Job>,
    /// Jobs waiting for their retry time.
    retries: Vec<(Instant, Job)>,
    in_flight: usize,
    last_start: Option<Instant>,
    /// No request before this (set by a 429's Retry-After: the whole host is asked to slow).
    paused_until: Option<Instant>,
    robots: RobotsState,
}

impl Host {
    /// When the politeness rules let the next request start.
    fn ready_at(&self, delay: Duration) -> Option<Instant> {
        let after_delay = self.last_start.map(|t| t + delay);
        after_delay.max(self.paused_until)
    }
}

/// What is in flight, by id.
#[derive(Debug)]
enum InFlight {
    Page { host: usize, job: Job },
    Robots { host: usize },
}

/// Counts for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// Distinct URLs off the allowed hosts (or not http/https after a redirect).
    pub out_of_scope: usize,
    /// Links that are not http(s): `mailto:`, `javascript:`, `tel:`, ...
    pub non_http: usize,
    /// Distinct URLs robots.txt disallowed.
    pub robots: usize,
    /// Distinct URLs not queued because `--max-pages` was reached.
    pub max_pages: usize,
    /// Distinct URLs not queued because they were deeper than `--max-depth`.
    pub max_depth: usize,
}

/// The frontier. See the module docs.
pub struct Frontier {
    config: CrawlConfig,
    hosts: Vec<Host>,
    host_index: HashMap<String, usize>,
    /// Where the next scan for a ready host starts, so no host starves the others.
    cursor: usize,
    /// Normalized URLs queued, fetched or being fetched (the "fetched at most once" set).
    visited: HashSet<String>,
    /// URLs claimed so far against `--max-pages`.
    claimed: usize,
    out_of_scope: HashSet<String>,
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
    /// robots.txt problems, for the summary.
    warnings: Vec<String>,
    /// Start URLs refused by robots.txt, for the exit status.
    refused_starts: Vec<String>,
    starts: Vec<String>,
}

/// What the frontier learned, once the crawl is over.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub rows: Vec<Row>,
    pub skipped: Skipped,
    pub peak_in_flight: usize,
    pub retries: u64,
    pub warnings: Vec<String>,
    /// The start URLs that got no HTTP answer at all, with why.
    pub failed_starts: Vec<String>,
    /// How many start URLs there were.
    pub start_count: usize,
}

impl Frontier {
    /// A frontier holding the (normalized) start URLs at depth 0.
    pub fn new(config: CrawlConfig, starts: &[Url]) -> Frontier {
        let mut frontier = Frontier {
            config,
            hosts: Vec::new(),
            host_index: HashMap::new(),
            cursor: 0,
            visited: HashSet::new(),
            claimed: 0,
            out_of_scope: HashSet::new(),
            too_deep: HashSet::new(),
            over_max_pages: HashSet::new(),
            skipped: Skipped::default(),
            queued: 0,
            in_flight: HashMap::new(),
            next_id: 0,
            peak_in_flight: 0,
            retries: 0,
            rows: Vec::new(),
            warnings: Vec::new(),
            refused_starts: Vec::new(),
            starts: Vec::new(),
        };
        for url in starts {
            let url = urls::normalize(url.clone());
            if !frontier.starts.contains(&url.to_string()) {
                frontier.starts.push(url.to_string());
            }
            frontier.offer(url, 0);
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

    /// Rows settled so far.
    pub fn rows_done(&self) -> usize {
        self.rows.len()
    }

    /// The next request that may start at `now`, or how long to wait, or the end.
    pub fn next(&mut self, now: Instant) -> Next {
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
                if host.in_flight >= self.config.per_host {
                    continue;
                }
                if host.queue.is_empty() && host.retries.is_empty() {
                    continue;
                }
                if let Some(ready) = host.ready_at(self.config.delay) {
                    if ready > now {
                        wake = earliest(wake, ready);
                        continue;
                    }
                }
                let rules = match &host.robots {
                    RobotsState::Known(rules) => rules,
                    // Its robots.txt is on the way; its pages wait for the rules.
                    RobotsState::Fetching => continue,
                    // The host's first request is for its robots.txt.
                    RobotsState::Unknown => {
                        host.robots = RobotsState::Fetching;
                        let request = FetchRequest::Robots(host.origin.clone());
                        return self.start(h, InFlight::Robots { host: h }, request, now);
                    }
                };
                // A retry that has come due goes first; then the queue, oldest first.
                let due = host.retries.iter().position(|(t, _)| *t <= now);
                let job = match due {
                    Some(i) => host.retries.swap_remove(i).1,
                    None => match host.queue.pop_front() {
                        Some(job) => job,
                        None => {
                            let soonest = host.retries.iter().map(|(t, _)| *t).min();
                            wake = soonest.map_or(wake, |t| earliest(wake, t));
                            continue;
                        }
                    },
                };
                self.queued -= 1;
                if !rules.allows(&path_and_query(&job.url)) {
                    self.refused_by_robots(job);
                    continue 'scan;
                }
                let request = FetchRequest::Page(job.url.clone());
                return self.start(h, InFlight::Page { host: h, job }, request, now);
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

    /// Takes the answer to request `id`.
    pub fn complete(&mut self, id: u64, result: FetchResult, now: Instant) {
        // Ids come only from `next`, so a missing one is a bug in the driver.
        let Some(what) = self.in_flight.remove(&id) else {
            debug_assert!(false, "answer for unknown request {id}");
            return;
        };
        match (what, result) {
            (InFlight::Robots { host }, FetchResult::Robots { rules, warning }) => {
                self.hosts[host].in_flight -= 1;
                self.hosts[host].robots = RobotsState::Known(rules);
                self.warnings.extend(warning);
            }
            (InFlight::Page { host, job }, FetchResult::Page(result)) => {
                self.hosts[host].in_flight -= 1;
                self.page_done(host, job, result, now);
            }
            (what, _) => {
                debug_assert!(false, "answer of the wrong kind for request {id}");
                self.lost(what, "the answer was of the wrong kind".to_string());
            }
        }
    }

    /// The worker running request `id` died (panicked): settle it as an error row.
    pub fn worker_lost(&mut self, id: u64, why: String) {
        if let Some(what) = self.in_flight.remove(&id) {
            self.lost(what, why);
        }
    }

    fn lost(&mut self, what: InFlight, why: String) {
        match what {
            InFlight::Robots { host } => {
                let host = &mut self.hosts[host];
                host.in_flight -= 1;
                host.robots = RobotsState::Known(Robots::allow_all());
                let origin = host.origin.as_str().trim_end_matches('/').to_string();
                self.warnings.push(format!("{origin}/robots.txt: {why}"));
            }
            InFlight::Page { host, job } => {
                self.hosts[host].in_flight -= 1;
                let message = format!("{}: {why}", job.url);
                self.push_row(&job, None, None, "worker panicked", message);
            }
        }
    }

    fn page_done(&mut self, h: usize, mut job: Job, result: Result<Page, FetchError>, now: Instant) {
        let page = match result {
            Ok(page) => page,
            Err(e) => {
                job.elapsed += e.elapsed;
                if e.kind == FetchErrorKind::Timeout && job.attempt < self.config.retries {
                    let wait = backoff(job.attempt);
                    self.retry_later(h, job, now + wait);
                } else {
                    self.push_row(&job, None, None, e.kind.label(), e.message);
                }
                return;
            }
        };
        job.elapsed += page.elapsed;
        let status = page.status;

        // 429 and 5xx: try again later, if we have attempts left and the wait is sane.
        if (status == 429 || status >= 500) && job.attempt < self.config.retries {
            let wait = page.retry_after.unwrap_or_else(|| backoff(job.attempt));
            if wait <= MAX_RETRY_AFTER {
                if status == 429 {
                    // "Too many requests" is about the host, not this URL: pause all of it.
                    let until = now + wait;
                    let host = &mut self.hosts[h];
                    host.paused_until = host.paused_until.max(Some(until));
                }
                self.retry_later(h, job, now + wait);
                return;
            }
        }

        if (300..400).contains(&status) && page.location.is_some() {
            self.follow_redirect(job, page);
            return;
        }

        // The page is settled: one row, and its links (if it is HTML we read) queued.
        if (200..300).contains(&status) && is_html(&page.content_type) {
            self.skipped.non_http += page.non_http_links;
            for link in &page.links {
                self.offer(link.clone(), job.depth + 1);
            }
        }
        let (kind, message) = if status >= 400 {
            let message = format!("HTTP {status} from {}", job.url);
            (Some(format!("http {status}")), message)
        } else if (300..400).contains(&status) {
            (Some("redirect without Location".to_string()), format!("{}: HTTP {status} without a Location header", job.url))
        } else if page.truncated {
            let message = format!(
                "{}: body cut off at {} bytes (--max-bytes)",
                job.url, page.bytes
            );
            (Some("cut off at --max-bytes".to_string()), message)
        } else {
            (None, String::new())
        };
        let mut row = self.row(&job, Some(status), Some(&page));
        row.error = message;
        row.error_kind = kind;
        self.rows.push(row);
    }

    /// A 3xx with a Location: queue the next hop, or settle the row if it may not be followed.
    fn follow_redirect(&mut self, mut job: Job, page: Page) {
        let status = page.status;
        let location = page.location.clone().unwrap_or_default();
        let Ok(mut target) = job.url.join(&location) else {
            let message = format!("{}: bad Location {location:?}", job.url);
            self.push_row(&job, Some(status), Some(&page_ct(&page)), "bad redirect", message);
            return;
        };
        target.set_fragment(None);
        // `chain` holds the URLs fetched so far: the origin plus one per redirect followed.
        if job.chain.iter().any(|u| u == &target) {
            let path: Vec<&str> = job.chain.iter().map(Url::as_str).collect();
            let message = format!("redirect loop: {} -> {target}", path.join(" -> "));
            self.push_row(&job, Some(status), Some(&page_ct(&page)), "redirect loop", message);
            return;
        }
        if job.chain.len() > MAX_REDIRECTS {
            let message = format!(
                "{}: too many redirects (more than {MAX_REDIRECTS}), next was {target}",
                job.origin
            );
            self.push_row(&job, Some(status), Some(&page_ct(&page)), "too many redirects", message);
            return;
        }
        if !self.config.scope.contains(&target) {
            let message = format!("{}: redirect to {target} is out of scope, not followed", job.url);
            self.skipped.out_of_scope += usize::from(self.out_of_scope.insert(target.to_string()));
            self.push_row(&job, Some(status), Some(&page_ct(&page)), "redirect out of scope", message);
            return;
        }
        // A hop to another spelling of a page in this chain (`/docs` -> `/docs/`) is followed;
        // a hop to a page fetched elsewhere in the crawl is not fetched again.
        let key = urls::normalize(target.clone()).to_string();
        let in_chain = job
            .chain
            .iter()
            .any(|u| urls::normalize(u.clone()).as_str() == key);
        if !in_chain && !self.visited.insert(key) {
            let mut row = self.row(&job, Some(status), Some(&page_ct(&page)));
            row.final_url = target.to_string();
            self.rows.push(row);
            return;
        }
        job.chain.push(target.clone());
        job.url = target;
        job.redirect_status = Some(status);
        job.attempt = 0;
        // The hop goes to the front of its host's queue: finish chains before starting pages.
        let h = self.host_for(&job.url);
        self.hosts[h].queue.push_front(job);
        self.queued += 1;
    }

    /// Puts `job` back for another attempt at `at`.
    fn retry_later(&mut self, h: usize, mut job: Job, at: Instant) {
        job.attempt += 1;
        self.retries += 1;
        self.hosts[h].retries.push((at, job));
        self.queued += 1;
    }

    /// A queued job that robots.txt refuses: counted, or (for a redirect hop) a row.
    fn refused_by_robots(&mut self, job: Job) {
        if job.chain.len() > 1 {
            let message = format!("{}: redirect to {} is disallowed by robots.txt", job.origin, job.url);
            let mut row = self.row(&job, job.redirect_status, None);
            row.final_url = job.chain[job.chain.len() - 2].to_string();
            row.error = message;
            row.error_kind = Some("redirect disallowed by robots.txt".to_string());
            self.rows.push(row);
        } else {
            self.skipped.robots += 1;
            if self.starts.contains(&job.url.to_string()) {
                self.refused_starts.push(format!("{}: disallowed by robots.txt (see --no-robots)", job.url));
            }
        }
    }

    /// A link found at `depth`: queue it unless it is out of scope, seen, too deep or too many.
    fn offer(&mut self, url: Url, depth: u32) {
        // Links from `fetch` are normalized already; normalizing twice changes nothing.
        let url = urls::normalize(url);
        let key = url.to_string();
        if !self.config.scope.contains(&url) {
            self.skipped.out_of_scope += usize::from(self.out_of_scope.insert(key));
            return;
        }
        if self.visited.contains(&key) {
            return;
        }
        if depth > self.config.max_depth {
            self.too_deep.insert(key);
            return;
        }
        if self.claimed >= self.config.max_pages {
            self.over_max_pages.insert(key);
            return;
        }
        self.claimed += 1;
        self.visited.insert(key);
        let h = self.host_for(&url);
        self.hosts[h].queue.push_back(Job {
            origin: url.clone(),
            chain: vec![url.clone()],
            url,
            depth,
            redirect_status: None,
            attempt: 0,
            elapsed: Duration::ZERO,
        });
        self.queued += 1;
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
            queue: VecDeque::new(),
            retries: Vec::new(),
            in_flight: 0,
            last_start: None,
            paused_until: None,
            robots,
        });
        self.host_index.insert(key, self.hosts.len() - 1);
        self.hosts.len() - 1
    }

    /// A row for `job` with the fields of `page`, no error.
    fn row(&self, job: &Job, status: Option<u16>, page: Option<&Page>) -> Row {
        Row {
            url: job.origin.to_string(),
            final_url: job.url.to_string(),
            status,
            depth: job.depth,
            content_type: page.map(|p| p.content_type.clone()).unwrap_or_default(),
            bytes: page.map_or(0, |p| p.bytes),
            title: page.map(|p| p.title.clone()).unwrap_or_default(),
            links: page.map_or(0, |p| p.link_count),
            elapsed_ms: job.elapsed.as_secs_f64() * 1000.0,
            error: String::new(),
            error_kind: None,
        }
    }

    fn push_row(&mut self, job: &Job, status: Option<u16>, page: Option<&Page>, kind: &str, message: String) {
        let mut row = self.row(job, status, page);
        row.error = message;
        row.error_kind = Some(kind.to_string());
        self.rows.push(row);
    }

    /// The crawl is over: what it found.
    pub fn finish(mut self) -> Outcome {
        // A URL first found too deep or over the limit may have been queued later by a shorter
        // path; only the ones never fetched were really skipped.
        self.skipped.max_depth = self.too_deep.iter().filter(|u| !self.visited.contains(*u)).count();
        self.skipped.max_pages = self
            .over_max_pages
            .iter()
            .filter(|u| !self.visited.contains(*u))
            .count();
        let mut failed_starts = self.refused_starts.clone();
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
        }
    }
}

/// A page with only its content type (for rows of redirects: their bodies are not read).
fn page_ct(page: &Page) -> Page {
    Page {
        content_type: page.content_type.clone(),
        ..Page::default()
    }
}

fn earliest(a: Option<Instant>, b: Instant) -> Option<Instant> {
    Some(a.map_or(b, |a| a.min(b)))
}

/// 250 ms, 500 ms, 1 s, ... for attempts 0, 1, 2, ...
fn backoff(attempt: u32) -> Duration {
    BACKOFF_BASE * 2u32.saturating_pow(attempt.min(10))
}

/// What robots.txt rules are matched against: `/path?query`.
fn path_and_query(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(per_host: usize, delay_ms: u64, robots: bool) -> CrawlConfig {
        let start = Url::parse("http://a.test/").unwrap();
        CrawlConfig {
            per_host,
            delay: Duration::from_millis(delay_ms),
            max_pages: 100,
            max_depth: 10,
            retries: 2,
            robots,
            scope: Scope::new([&start], &[]),
        }
    }

    fn urls(list: &[&str]) -> Vec<Url> {
        list.iter().map(|u| Url::parse(u).unwrap()).collect()
    }

    fn ready(next: Next) -> (u64, FetchRequest) {
        match next {
            Next::Ready(id, request) => (id, request),
            other => panic!("expected a request, got {other:?}"),
        }
    }

    fn html(links: &[&str]) -> FetchResult {
        FetchResult::Page(Ok(Page {
            status: 200,
            content_type: "text/html".into(),
            links: urls(links),
            ..Page::default()
        }))
    }

    fn status(code: u16, location: Option<&str>) -> FetchResult {
        FetchResult::Page(Ok(Page {
            status: code,
            content_type: "text/html".into(),
            location: location.map(str::to_string),
            ..Page::default()
        }))
    }

    #[test]
    fn per_host_limit_and_delay_hold() {
        let t0 = Instant::now();
        let starts = urls(&["http://a.test/1", "http://a.test/2", "http://a.test/3"]);
        let mut f = Frontier::new(config(2, 100, false), &starts);
        let (first, _) = ready(f.next(t0));
        // The delay counts from the last start, even with a free slot.
        assert_eq!(f.next(t0), Next::Wait(Some(t0 + Duration::from_millis(100))));
        let t1 = t0 + Duration::from_millis(100);
        ready(f.next(t1));
        // Two in flight: only an answer can free a slot.
        assert_eq!(f.next(t1 + Duration::from_secs(1)), Next::Wait(None));
        f.complete(first, html(&[]), t1);
        ready(f.next(t1 + Duration::from_secs(1)));
        assert_eq!(f.in_flight(), 2);
    }

    #[test]
    fn robots_comes_first_and_is_obeyed() {
        let t = Instant::now();
        let starts = urls(&["http://a.test/"]);
        let mut f = Frontier::new(config(4, 0, true), &starts);
        let (id, request) = ready(f.next(t));
        assert_eq!(request, FetchRequest::Robots(Url::parse("http://a.test/").unwrap()));
        // Pages wait for the rules.
        assert_eq!(f.next(t), Next::Wait(None));
        let rules = Robots::parse("User-agent: *\nDisallow: /private\n");
        f.complete(id, FetchResult::Robots { rules, warning: None }, t);
        let (id, _) = ready(f.next(t));
        f.complete(id, html(&["http://a.test/private/x", "http://a.test/ok", "http://b.test/"]), t);
        let (id, request) = ready(f.next(t));
        assert_eq!(request, FetchRequest::Page(Url::parse("http://a.test/ok").unwrap()));
        f.complete(id, html(&["http://a.test/"]), t);
        assert_eq!(f.next(t), Next::Done);
        let outcome = f.finish();
        assert_eq!(outcome.rows.len(), 2);
        assert_eq!(outcome.skipped.robots, 1);
        assert_eq!(outcome.skipped.out_of_scope, 1);
    }

    #[test]
    fn redirect_hops_loops_and_already_crawled_targets() {
        let t = Instant::now();
        let starts = urls(&["http://a.test/", "http://a.test/loop", "http://a.test/r"]);
        let mut f = Frontier::new(config(1, 0, false), &starts);
        // Answer everything until done, like a tiny server.
        let mut fetched = Vec::new();
        while let Next::Ready(id, FetchRequest::Page(url)) = f.next(t) {
            fetched.push(url.path().to_string());
            let answer = match url.path() {
                "/" => html(&[]),
                "/loop" => status(302, Some("/loop2")),
                "/loop2" => status(301, Some("http://A.test/loop#x")),
                "/r" => status(301, Some("/")), // Already crawled: not fetched again.
                other => panic!("unexpected fetch of {other}"),
            };
            f.complete(id, answer, t);
        }
        assert_eq!(fetched, ["/", "/loop", "/loop2", "/r"]);
        let rows = f.finish().rows;
        let by: HashMap<_, _> = rows.iter().map(|r| (r.url.as_str(), r)).collect();
        let looped = by["http://a.test/loop"];
        assert!(looped.error.contains("redirect loop"), "{looped:?}");
        assert_eq!(looped.final_url, "http://a.test/loop2");
        let r = by["http://a.test/r"];
        assert_eq!((r.status, r.final_url.as_str(), r.error.as_str()), (Some(301), "http://a.test/", ""));
    }

    #[test]
    fn a_redirect_to_another_spelling_of_the_same_page_is_followed() {
        let t = Instant::now();
        let mut f = Frontier::new(config(1, 0, false), &urls(&["http://a.test/docs/"]));
        let (id, request) = ready(f.next(t));
        assert_eq!(request, FetchRequest::Page(Url::parse("http://a.test/docs").unwrap()));
        f.complete(id, status(301, Some("/docs/")), t);
        let (id, request) = ready(f.next(t));
        assert_eq!(request, FetchRequest::Page(Url::parse("http://a.test/docs/").unwrap()));
        f.complete(id, html(&["http://a.test/docs/"]), t);
        assert_eq!(f.next(t), Next::Done);
        let rows = f.finish().rows;
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].status, rows[0].final_url.as_str()), (Some(200), "http://a.test/docs/"));
    }

    #[test]
    fn too_many_redirects_is_an_error_row() {
        let t = Instant::now();
        let mut f = Frontier::new(config(1, 0, false), &urls(&["http://a.test/h0"]));
        let mut hops = 0;
        while let Next::Ready(id, FetchRequest::Page(url)) = f.next(t) {
            let k: u32 = url.path()[2..].parse().unwrap();
            hops += 1;
            f.complete(id, status(302, Some(&format!("/h{}", k + 1))), t);
        }
        // The URL itself and five redirects.
        assert_eq!(hops, 1 + MAX_REDIRECTS);
        let rows = f.finish().rows;
        assert!(rows[0].error.contains("too many redirects"), "{:?}", rows[0]);
    }

    #[test]
    fn a_429_pauses_the_host_for_retry_after_then_retries() {
        let t0 = Instant::now();
        let starts = urls(&["http://a.test/busy", "http://a.test/other"]);
        let mut f = Frontier::new(config(4, 0, false), &starts);
        let (busy, _) = ready(f.next(t0));
        let (other, _) = ready(f.next(t0));
        let answer = FetchResult::Page(Ok(Page {
            status: 429,
            retry_after: Some(Duration::from_secs(1)),
            ..Page::default()
        }));
        f.complete(busy, answer, t0);
        f.complete(other, html(&["http://a.test/third"]), t0);
        // Even /third, a new URL, waits: the whole host was asked to slow down.
        let later = t0 + Duration::from_secs(1);
        assert_eq!(f.next(t0), Next::Wait(Some(later)));
        let (id, request) = ready(f.next(later));
        assert_eq!(request, FetchRequest::Page(Url::parse("http://a.test/busy").unwrap()));
        f.complete(id, html(&[]), later);
        let (id, _) = ready(f.next(later));
        f.complete(id, html(&[]), later);
        assert_eq!(f.next(later), Next::Done);
        let outcome = f.finish();
        assert_eq!(outcome.retries, 1);
        assert!(outcome.rows.iter().all(|r| r.status == Some(200)));
    }

    #[test]
    fn retries_run_out_and_keep_the_last_status() {
        let t0 = Instant::now();
        let mut f = Frontier::new(config(1, 0, false), &urls(&["http://a.test/down"]));
        let mut now = t0;
        let mut attempts = 0;
        loop {
            match f.next(now) {
                Next::Ready(id, _) => {
                    attempts += 1;
                    f.complete(id, status(503, None), now);
                }
                Next::Wait(Some(at)) => now = at,
                Next::Wait(None) => panic!("nothing in flight"),
                Next::Done => break,
            }
        }
        // One attempt and two retries, after 250 ms and 500 ms.
        assert_eq!(attempts, 3);
        assert_eq!(now - t0, Duration::from_millis(750));
        let rows = f.finish().rows;
        assert_eq!(rows[0].status, Some(503));
        assert_eq!(rows[0].error_kind.as_deref(), Some("http 503"));
    }

    #[test]
    fn max_pages_and_max_depth_bound_the_crawl() {
        let t = Instant::now();
        let mut c = config(1, 0, false);
        c.max_depth = 2;
        let mut f = Frontier::new(c, &urls(&["http://a.test/0"]));
        while let Next::Ready(id, FetchRequest::Page(url)) = f.next(t) {
            let k: u32 = url.path()[1..].parse().unwrap();
            f.complete(id, html(&[&format!("http://a.test/{}", k + 1)]), t);
        }
        let outcome = f.finish();
        assert_eq!(outcome.rows.len(), 3);
        assert_eq!(outcome.skipped.max_depth, 1);

        let mut c = config(1, 0, false);
        c.max_pages = 4;
        let mut f = Frontier::new(c, &urls(&["http://a.test/0"]));
        while let Next::Ready(id, FetchRequest::Page(url)) = f.next(t) {
            let k: u32 = url.path()[1..].parse().unwrap();
            f.complete(id, html(&[&format!("http://a.test/{}", k + 1)]), t);
        }
        assert_eq!(f.finish().rows.len(), 4);
    }
}
