//! The built-in test site: a slow, deterministic web site with every trap a crawler meets.
//!
//! Every request is answered on its connection's own thread (`http.rs`) after sleeping
//! `latency`, like a slow backend: 64 slow requests on 64 connections are all answered after one
//! `latency`, not one after the other. The site must never be the bottleneck of the crawler it
//! measures. `pages.rs` holds what it serves.
//!
//! For `pages` = N the site is always the same:
//!
//! - `/` links to `/p/0` .. `/p/7` (a crawl soon has plenty to fetch at once) and every fault;
//! - `/p/i` links to its children `/p/8i+1` .. `/p/8i+8` (so page `i` is about log8(i)+1 clicks
//!   deep), back to its parent and home (cycles), and to the next page. The links use every
//!   spelling: `7`, `./7`, `../p/7`, `/p/%37` (an encoded digit), `http://HOST/p/7`
//!   (absolute), `7#section`, `#top`. (`/p/7/` is another URL: it answers 301 to `/p/7`);
//! - `/p/N` and `/missing`: 404;
//! - `/redirect/1` -> 301 `/redirect/2` -> 302 `/redirect/3` -> 307 `/moved` (200);
//!   `/loop/a` <-> `/loop/b`; `/hops/K` -> `/hops/K+1` forever; `/redirect/out` -> another host;
//! - `/flaky`: 500 the first time, 200 after; `/busy`: 429 with `Retry-After: 1` the first time.
//!   "First time" is per server: a site serving many crawls (`--serve`) has its faults once;
//! - `/docs/`: a documentation tree as nginx serves one, with relative links that are right
//!   only against the directory URL: `intro.html`, `guide/` (a directory link with a slash),
//!   `api` (without: 301 to `/docs/api/`, or with `clean_urls` served as it is, like
//!   `try_files $uri $uri/index.html`);
//! - `/latin1`: a page in ISO-8859-1 (`Café crème`) linking to `café.html`, which a browser
//!   requests as `/caf%C3%A9.html`;
//! - `/nofollow` (`<meta name="robots" content="nofollow">`), `/noindex`, and a
//!   `rel="nofollow"` link to `/rel-nofollow`;
//! - `/nested`: 2 MiB of nested tags with a link at the very end (`/after-nested`). Like the
//!   trap, no page links to it: a crawl meets it when started there;
//! - `/files/blob`: binary (`application/octet-stream`, containing `<a href>` bytes that a
//!   crawler parsing it by mistake would follow to `/from-binary`); `/files/data.bin` and
//!   `/files/archive.zip`: files a crawler should not even request (their extension says
//!   they are not HTML);
//! - `/big`: HTML larger than the crawler's default `--max-bytes`, with a link to `/after-cut`
//!   past the cut;
//! - `http://other.invalid/`, `mailto:`, `javascript:`, `tel:` links;
//! - `/robots.txt` disallows `/private/` and `/blocked/` but allows `/private/open/`; with
//!   `robots_redirect` it redirects instead (to another host, in the tests);
//! - `/trap?page=K` links to `?page=K+1` forever. No page links to it: a crawl meets it only
//!   when started there, so the default demo and the benchmark are not spent in it.
//!
//! With `hosts` > 1 (`--site-hosts N`) the same site is served on N ports, each its own
//! origin: page `i` lives on origin `i % N` and every link to it is its absolute URL there,
//! so one crawl from the first origin's `/` spreads over N hosts, each with its own
//! `--per-host` limit and its own robots.txt. The faults stay on the first origin.
//!
//! It counts hits per path (with query), connections, and the most requests in flight at once, for tests
//! (`Site::stats`) and for other tools (`GET /__stats`, which is neither counted nor slowed).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use anyhow::Context;

mod http;
mod pages;

pub use pages::{BIG_PAGE_BYTES, BINARY_BYTES, FAN_OUT};

/// How the site behaves.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// Pages `/p/0` .. `/p/N-1` (at least 1).
    pub pages: usize,
    /// Every answer waits this long first, like a slow backend.
    pub latency: Duration,
    /// Serve `/dir` and `/dir/` alike, with no redirect (nginx `try_files $uri $uri/index.html`).
    pub clean_urls: bool,
    /// `/robots.txt` answers 302 to this URL instead of the site's rules.
    pub robots_redirect: Option<String>,
    /// Origins served at once (`--site-hosts`): one listening port each on the same address.
    /// Page `i` lives on origin `i % hosts`, linked there by its absolute URL, so a crawl from
    /// the first origin's `/` meets them all, and `--per-host` applies to each.
    pub hosts: usize,
}

impl Default for SiteConfig {
    fn default() -> SiteConfig {
        SiteConfig {
            pages: 200,
            latency: Duration::from_millis(20),
            clean_urls: false,
            robots_redirect: None,
            hosts: 1,
        }
    }
}

/// What the site has seen.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SiteStats {
    /// Requests per path and query, e.g. `/p/3` or `/trap?page=2`.
    pub hits: BTreeMap<String, u64>,
    /// The most requests being answered at the same time.
    pub peak_in_flight: usize,
    /// The same, per `Host` the requests named (`127.0.0.1:PORT`): the politeness per origin.
    pub peak_in_flight_per_host: BTreeMap<String, usize>,
    /// Every `User-Agent` and `X-...` header (`name: value`) seen, for tests of the request
    /// options.
    pub headers_seen: std::collections::BTreeSet<String>,
    /// Connections that carried a request: how well a client keeps its connections alive.
    pub connections: u64,
}

/// State shared by the connection threads: atomics and one mutex, since any number of
/// threads answer at once.
struct State {
    pages: usize,
    latency: Duration,
    clean_urls: bool,
    robots_redirect: Option<String>,
    hits: Mutex<BTreeMap<String, u64>>,
    connections: AtomicU64,
    headers_seen: Mutex<std::collections::BTreeSet<String>>,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
    /// Per `Host`: requests being answered now, and the most at once.
    per_host: Mutex<BTreeMap<String, (usize, usize)>>,
    /// `/flaky` has answered 500 (once per server).
    flaky_failed: AtomicBool,
    /// `/busy` has answered 429 (once per server).
    busy_refused: AtomicBool,
    /// The body of `/big`, built once and shared by every request for it.
    big: Arc<[u8]>,
    /// The body of `/nested`: 2 MiB of nested tags.
    nested: Arc<[u8]>,
    binary: Arc<[u8]>,
    /// Every origin of the site (`127.0.0.1:PORT`), set once all of them listen.
    origins: OnceLock<Vec<String>>,
}

impl State {
    /// The site's origins (empty until they all listen; one for a one-origin site).
    fn origins(&self) -> &[String] {
        self.origins.get().map_or(&[], Vec::as_slice)
    }

    fn stats(&self) -> SiteStats {
        SiteStats {
            hits: self.hits.lock().map(|h| h.clone()).unwrap_or_default(),
            peak_in_flight: self.peak_in_flight.load(Ordering::SeqCst),
            peak_in_flight_per_host: self
                .per_host
                .lock()
                .map(|h| h.iter().map(|(k, (_, peak))| (k.clone(), *peak)).collect())
                .unwrap_or_default(),
            headers_seen: self
                .headers_seen
                .lock()
                .map(|h| h.clone())
                .unwrap_or_default(),
            connections: self.connections.load(Ordering::SeqCst),
        }
    }
}

/// A running test site. Stops when dropped.
pub struct Site {
    /// One server per origin; the first is the one `url()` names.
    servers: Vec<http::Server>,
    state: Arc<State>,
}

impl Site {
    /// Starts the site on `addr` (e.g. `127.0.0.1:0` for a free port), and its other origins,
    /// if `config.hosts` > 1, on free ports of the same IP address.
    pub fn start(addr: &str, config: SiteConfig) -> anyhow::Result<Site> {
        let state = Arc::new(State {
            pages: config.pages.max(1),
            latency: config.latency,
            clean_urls: config.clean_urls,
            robots_redirect: config.robots_redirect,
            hits: Mutex::new(BTreeMap::new()),
            connections: AtomicU64::new(0),
            headers_seen: Mutex::new(std::collections::BTreeSet::new()),
            in_flight: AtomicUsize::new(0),
            peak_in_flight: AtomicUsize::new(0),
            per_host: Mutex::new(BTreeMap::new()),
            flaky_failed: AtomicBool::new(false),
            busy_refused: AtomicBool::new(false),
            big: pages::big_page().into(),
            nested: pages::nested_page().into(),
            binary: pages::binary_file().into(),
            origins: OnceLock::new(),
        });
        let handler: Arc<http::Handler> = {
            let state = Arc::clone(&state);
            Arc::new(move |request: &http::Request| handle(request, &state))
        };
        let first = http::Server::start(addr, Arc::clone(&handler))
            .with_context(|| format!("cannot start the test site on {addr}"))?;
        let ip = first.addr().ip();
        let mut servers = vec![first];
        for k in 1..config.hosts.max(1) {
            let more = http::Server::start(&format!("{ip}:0"), Arc::clone(&handler))
                .with_context(|| format!("cannot start origin {} of the test site", k + 1))?;
            servers.push(more);
        }
        // Before anyone knows a URL of the site: no request can come before this.
        let origins = servers.iter().map(|s| s.addr().to_string()).collect();
        let _ = state.origins.set(origins);
        Ok(Site { servers, state })
    }

    pub fn addr(&self) -> SocketAddr {
        self.servers[0].addr()
    }

    /// Every origin's home page, the first one first.
    pub fn urls(&self) -> Vec<String> {
        self.servers
            .iter()
            .map(|s| format!("http://{}/", s.addr()))
            .collect()
    }

    /// The home page, e.g. `http://127.0.0.1:41234/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr())
    }

    /// Hits per path and the peak of requests in flight, so far.
    pub fn stats(&self) -> SiteStats {
        self.state.stats()
    }

    /// Stops serving: closes every connection and joins every thread, origin by origin.
    pub fn stop(self) {
        for server in self.servers {
            server.stop();
        }
    }
}

/// Answers one request: count it, wait `latency`, route it.
fn handle(request: &http::Request, state: &State) -> http::Response {
    if request.target == "/__stats" {
        let body = serde_json::to_string(&state.stats()).unwrap_or_default();
        return http::Response {
            status: 200,
            headers: vec![("Content-Type", "application/json".to_string())],
            body: Arc::from(body.into_bytes()),
        };
    }
    if request.first_on_connection {
        state.connections.fetch_add(1, Ordering::SeqCst);
    }
    if let Ok(mut hits) = state.hits.lock() {
        *hits.entry(request.target.clone()).or_insert(0) += 1;
    }
    if let Ok(mut seen) = state.headers_seen.lock() {
        let agent = request
            .user_agent
            .iter()
            .map(|ua| format!("user-agent: {ua}"));
        seen.extend(agent.chain(request.x_headers.iter().cloned()));
    }
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.peak_in_flight.fetch_max(now, Ordering::SeqCst);
    let host = request.host.clone().unwrap_or_default();
    let count_on_host = |step: isize| {
        if let Ok(mut hosts) = state.per_host.lock() {
            let (now, peak) = hosts.entry(host.clone()).or_insert((0, 0));
            *now = now.saturating_add_signed(step);
            *peak = (*peak).max(*now);
        }
    };
    count_on_host(1);

    thread::sleep(state.latency); // The slow backend.
    let response = pages::route(&request.target, &host, state);

    // The request stops counting as in flight *before* the answer is written: once the client
    // has the last byte it may send its next request, and that one must not find this one
    // still counted. So the site's peak never exceeds what the client had in flight.
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    count_on_host(-1);
    response
}
