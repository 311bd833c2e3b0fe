//! The built-in test site: a slow, deterministic web site with every trap a crawler meets.
//!
//! `tiny_http` accepts connections on its own threads and queues the requests; a pool of our
//! handler threads takes them off the queue, sleeps `latency` (a slow backend) and answers.
//! With 128 handlers, 128 slow requests are answered after one `latency`, not one after the
//! other: the site must never be the bottleneck of the crawler it measures.
//!
//! For `pages` = N the site is always the same:
//!
//! - `/` links to `/p/0` and to every fault below;
//! - `/p/i` links to its children `/p/8i+1` .. `/p/8i+8` (so page `i` is about log8(i)+1 clicks
//!   deep), back to its parent and home (cycles), and to the next page. The links use every
//!   spelling: `7`, `./7`, `../p/7`, `/p/7/` (trailing slash), `http://HOST/p/7` (absolute),
//!   `7#section`, `#top`;
//! - `/p/N` and `/missing`: 404;
//! - `/redirect/1` -> 301 `/redirect/2` -> 302 `/redirect/3` -> 307 `/moved` (200);
//!   `/loop/a` <-> `/loop/b`; `/hops/K` -> `/hops/K+1` forever; `/redirect/out` -> another host;
//! - `/flaky`: 500 the first time, 200 after; `/busy`: 429 with `Retry-After: 1` the first time.
//!   "First time" is per server: a site serving many crawls (`--serve`) has its faults once;
//! - `/files/data.bin`: binary (`application/octet-stream`, containing `<a href>` bytes that a
//!   crawler parsing it by mistake would follow to `/from-binary`);
//! - `/big`: HTML larger than the crawler's default `--max-bytes`, with a link to `/after-cut`
//!   past the cut;
//! - `http://other.invalid/`, `mailto:`, `javascript:`, `tel:` links;
//! - `/robots.txt` disallows `/private/` but allows `/private/open`;
//! - `/trap?page=K` links to `?page=K+1` forever. No page links to it: a crawl meets it only
//!   when started there, so the default demo and the benchmark are not spent in it.
//!
//! It counts hits per path (with query) and the most requests in flight at once, for tests
//! (`Site::stats`) and for other tools (`GET /__stats`, which is neither counted nor slowed).

use std::collections::BTreeMap;
use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use anyhow::{anyhow, Context};
use tiny_http::{Header, Response, ResponseBox, Server};

/// Size of `/big`: more than the crawler's default `--max-bytes` (2 MiB).
pub const BIG_PAGE_BYTES: usize = 2 * 1024 * 1024 + 64 * 1024;
/// Size of `/files/data.bin`.
pub const BINARY_BYTES: usize = 64 * 1024;
/// Children per page. A wide tree is shallow (500 pages are 4 clicks below `/p/0`), so a
/// crawl soon knows more URLs than it has workers and the workers are never starved.
pub const FAN_OUT: usize = 8;

/// How the site behaves.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// Pages `/p/0` .. `/p/N-1` (at least 1).
    pub pages: usize,
    /// Every answer waits this long first, like a slow backend.
    pub latency: Duration,
    /// Handler threads: the most requests answered at the same time.
    pub handler_threads: usize,
}

impl Default for SiteConfig {
    fn default() -> SiteConfig {
        SiteConfig {
            pages: 200,
            latency: Duration::from_millis(20),
            handler_threads: 128,
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
}

/// State shared by the handler threads. Counters are atomics: 128 threads bump them.
struct State {
    pages: usize,
    latency: Duration,
    hits: Mutex<BTreeMap<String, u64>>,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
    /// `/flaky` has answered 500 (once per server).
    flaky_failed: AtomicBool,
    /// `/busy` has answered 429 (once per server).
    busy_refused: AtomicBool,
    /// The body of `/big`, built once and shared by every request for it.
    big: Arc<[u8]>,
    binary: Arc<[u8]>,
}

/// A running test site. Stops when dropped.
pub struct Site {
    server: Arc<Server>,
    handlers: Vec<JoinHandle<()>>,
    state: Arc<State>,
    addr: SocketAddr,
}

impl Site {
    /// Starts the site on `addr` (e.g. `127.0.0.1:0` for a free port).
    pub fn start(addr: &str, config: SiteConfig) -> anyhow::Result<Site> {
        let server = Server::http(addr).map_err(|e| anyhow!("cannot listen on {addr}: {e}"))?;
        let addr = server
            .server_addr()
            .to_ip()
            .context("the test site is not on a TCP address")?;
        let server = Arc::new(server);
        let state = Arc::new(State {
            pages: config.pages.max(1),
            latency: config.latency,
            hits: Mutex::new(BTreeMap::new()),
            in_flight: AtomicUsize::new(0),
            peak_in_flight: AtomicUsize::new(0),
            flaky_failed: AtomicBool::new(false),
            busy_refused: AtomicBool::new(false),
            big: big_page().into(),
            binary: binary_file().into(),
        });
        let mut site = Site {
            server,
            handlers: Vec::new(),
            state,
            addr,
        };
        for i in 0..config.handler_threads.max(1) {
            let (server, state) = (Arc::clone(&site.server), Arc::clone(&site.state));
            let handle = thread::Builder::new()
                .name(format!("site-handler-{i}"))
                // `recv` blocks until a request comes, and fails once `stop` unblocks us.
                .spawn(move || {
                    while let Ok(request) = server.recv() {
                        handle(request, &state);
                    }
                })
                // On error `site` is dropped here, which stops the handlers already started.
                .context("cannot start a test site thread")?;
            site.handlers.push(handle);
        }
        Ok(site)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The home page, e.g. `http://127.0.0.1:41234/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Hits per path and the peak of requests in flight, so far.
    pub fn stats(&self) -> SiteStats {
        self.state.stats()
    }

    /// Stops serving: each handler takes one "unblock" off the queue and ends; we join them.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        for _ in 0..self.handlers.len() {
            self.server.unblock();
        }
        for handle in self.handlers.drain(..) {
            // A handler only panics on a poisoned lock; there is nothing left to save.
            let _ = handle.join();
        }
        // Dropping the last `Arc<Server>` (with `self`) closes the listening socket.
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl State {
    fn stats(&self) -> SiteStats {
        SiteStats {
            hits: self.hits.lock().map(|h| h.clone()).unwrap_or_default(),
            peak_in_flight: self.peak_in_flight.load(Ordering::SeqCst),
        }
    }
}

/// Answers one request: count it, wait `latency`, route it.
fn handle(request: tiny_http::Request, state: &State) {
    let target = request.url().to_string();
    if target == "/__stats" {
        let body = serde_json::to_string(&state.stats()).unwrap_or_default();
        let _ = request.respond(with_type(Response::from_string(body), "application/json"));
        return;
    }
    if let Ok(mut hits) = state.hits.lock() {
        *hits.entry(target.clone()).or_insert(0) += 1;
    }
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.peak_in_flight.fetch_max(now, Ordering::SeqCst);

    thread::sleep(state.latency); // The slow backend.
    let host = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Host"))
        .map(|h| h.value.as_str().to_string())
        .unwrap_or_default();
    let response = route(&target, &host, state);

    // The request stops counting as in flight *before* the answer is written: once the client
    // has the last byte it may send its next request, and that one must not find this one
    // still counted. So the site's peak never exceeds what the client had in flight.
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    // The client may hang up early (it cuts `/big` off at --max-bytes): not our problem.
    let _ = request.respond(response);
}

fn route(target: &str, host: &str, state: &State) -> ResponseBox {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let n = state.pages;
    match path {
        "/robots.txt" => with_type(
            Response::from_string(
                "User-agent: *\nDisallow: /private/\nAllow: /private/open\n\nSitemap: /sitemap.xml\n",
            ),
            "text/plain",
        ),
        "/" => html(200, &home(n)),
        "/redirect/1" => redirect(301, "/redirect/2"),
        "/redirect/2" => redirect(302, "3"), // A relative Location: resolves to /redirect/3.
        "/redirect/3" => redirect(307, "/moved"),
        "/loop/a" => redirect(302, "/loop/b"),
        "/loop/b" => redirect(302, "/loop/a"),
        "/redirect/out" => redirect(302, "http://other.invalid/landing"),
        "/flaky" if !state.flaky_failed.swap(true, Ordering::SeqCst) => {
            html(500, &leaf("Server error", "try again"))
        }
        "/busy" if !state.busy_refused.swap(true, Ordering::SeqCst) => {
            html(429, &leaf("Too many requests", "slow down")).with_header(header("Retry-After", "1"))
        }
        "/moved" | "/flaky" | "/busy" | "/private/open" | "/private/secret" | "/after-cut"
        | "/from-binary" => html(200, &leaf(path, "a leaf page")),
        "/files/data.bin" => bytes(&state.binary, "application/octet-stream"),
        "/big" => bytes(&state.big, "text/html; charset=utf-8"),
        "/trap" => {
            let k: u64 = query.strip_prefix("page=").and_then(|k| k.parse().ok()).unwrap_or(0);
            html(200, &trap(k))
        }
        _ => {
            if let Some(rest) = path.strip_prefix("/hops/") {
                let k: u64 = rest.parse().unwrap_or(0);
                return redirect(302, &format!("/hops/{}", k + 1));
            }
            if let Some(rest) = path.strip_prefix("/p/") {
                // `/p/7/` is a spelling of `/p/7`: send the client to the canonical one.
                if let Some(i) = rest.strip_suffix('/').and_then(|i| i.parse::<usize>().ok()) {
                    if i < n {
                        return redirect(301, &format!("/p/{i}"));
                    }
                }
                if let Ok(i) = rest.parse::<usize>() {
                    if i < n {
                        return html(200, &page(i, n, host));
                    }
                }
            }
            html(404, &leaf("Not found", path))
        }
    }
}

/// The home page: the way into the page graph, and every fault.
fn home(n: usize) -> String {
    format!(
        r#"<!doctype html><html><head><title>threaded-scrape test site</title></head><body>
<h1>Test site ({n} pages)</h1>
<ul>
<li><a href="p/0">the first page</a></li>
<li><a href="/p/{n}">a page that does not exist (404)</a></li>
<li><a href="/missing">another missing page (404)</a></li>
<li><a href="/redirect/1">a redirect chain</a></li>
<li><a href="/loop/a">a redirect loop</a></li>
<li><a href="/hops/0">endless redirects</a></li>
<li><a href="/redirect/out">a redirect to another host</a></li>
<li><a href="/flaky">500 once, then 200</a></li>
<li><a href="/busy">429 once, then 200</a></li>
<li><a href="/files/data.bin">a binary file</a></li>
<li><a href="/big">a page larger than 2 MiB</a></li>
<li><a href="/private/secret">disallowed by robots.txt</a></li>
<li><a href="/private/open">allowed by robots.txt</a></li>
<li><a href="http://other.invalid/">another host</a></li>
<li><a href="mailto:nobody@example.invalid">mail</a>
<a href="javascript:void(0)">script</a> <a href="tel:+10000000000">phone</a></li>
</ul></body></html>
"#
    )
}

/// Page `i` of `n`: children, parent, next, home, each in another spelling.
fn page(i: usize, n: usize, host: &str) -> String {
    let mut links = String::new();
    let spellings: [fn(usize, &str) -> String; 4] = [
        |c: usize, _: &str| format!("{c}"),
        |c: usize, _: &str| format!("./{c}"),
        |c: usize, _: &str| format!("../p/{c}"),
        |c: usize, host: &str| format!("http://{host}/p/{c}"),
    ];
    for k in 1..=FAN_OUT {
        let c = FAN_OUT * i + k;
        if c < n {
            let href = spellings[k % spellings.len()](c, host);
            links.push_str(&format!("<li><a href=\"{href}\">child {c}</a></li>\n"));
        }
    }
    if i > 0 {
        let parent = (i - 1) / FAN_OUT;
        links.push_str(&format!("<li><a href=\"/p/{parent}\">parent</a></li>\n"));
    }
    let next = (i + 1) % n;
    links.push_str(&format!(
        "<li><a href=\"{next}#section\">next</a> <a href=\"/p/{next}/\">next, with a slash</a></li>\n"
    ));
    format!(
        r##"<!doctype html><html><head><title>Page {i}</title></head><body>
<h1 id="top">Page {i} of {n}</h1>
<ul>
{links}<li><a href="#top">top</a> <a href="/">home</a></li>
</ul></body></html>
"##
    )
}

fn leaf(title: &str, text: &str) -> String {
    format!(
        "<!doctype html><html><head><title>{title}</title></head><body><p>{text}</p>\
         <a href=\"/\">home</a></body></html>\n"
    )
}

fn trap(k: u64) -> String {
    format!(
        "<!doctype html><html><head><title>Trap {k}</title></head><body>\
         <a href=\"?page={}\">next</a></body></html>\n",
        k + 1
    )
}

/// `/big`: a link, then filler to past the cut, then a link no crawler should see.
fn big_page() -> Vec<u8> {
    let head = "<!doctype html><html><head><title>Big page</title></head><body>\n\
                <a href=\"/p/0\">the first page</a>\n<pre>\n";
    let tail = "</pre>\n<a href=\"/after-cut\">past the cut</a>\n</body></html>\n";
    let line = "All work and no play makes a crawler read with a limit.\n";
    let mut body = String::with_capacity(BIG_PAGE_BYTES);
    body.push_str(head);
    while body.len() + line.len() + tail.len() <= BIG_PAGE_BYTES {
        body.push_str(line);
    }
    while body.len() + tail.len() < BIG_PAGE_BYTES {
        body.push('.');
    }
    body.push_str(tail);
    body.into_bytes()
}

/// `/files/data.bin`: deterministic bytes around an HTML link that must never be followed.
fn binary_file() -> Vec<u8> {
    let mut data: Vec<u8> = (0..BINARY_BYTES).map(|i| (i * 31 % 251) as u8).collect();
    let bait = b"<html><a href=\"/from-binary\">bait</a></html>";
    data[1000..1000 + bait.len()].copy_from_slice(bait);
    data
}

fn header(name: &str, value: &str) -> Header {
    // Our own names and values are plain ASCII; this cannot fail.
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

fn with_type<R: std::io::Read + Send + 'static>(
    response: Response<R>,
    content_type: &str,
) -> ResponseBox {
    response
        .with_header(header("Content-Type", content_type))
        .boxed()
}

fn html(status: u16, body: &str) -> ResponseBox {
    with_type(
        Response::from_string(body).with_status_code(status),
        "text/html; charset=utf-8",
    )
}

fn bytes(data: &Arc<[u8]>, content_type: &str) -> ResponseBox {
    let len = data.len();
    let response = Response::empty(200).with_data(Cursor::new(Arc::clone(data)), Some(len));
    with_type(response, content_type)
}

fn redirect(status: u16, location: &str) -> ResponseBox {
    html(status, &leaf("Moved", location)).with_header(header("Location", location))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_page_is_bigger_than_the_default_limit() {
        let big = big_page();
        assert_eq!(big.len(), BIG_PAGE_BYTES);
        assert!(big.len() > 2 * 1024 * 1024);
        let text = String::from_utf8(big).unwrap();
        assert!(text.find("/after-cut").unwrap() > 2 * 1024 * 1024);
    }

    #[test]
    fn every_page_is_reachable_from_page_zero() {
        // Children 8i+1..8i+8 cover 1..n: page i's parent is (i-1)/8.
        for n in [1, 5, 200, 501] {
            for i in 1..n {
                let parent = (i - 1) / FAN_OUT;
                assert!(
                    page(parent, n, "h").contains(&format!("child {i}<")),
                    "n={n} i={i}"
                );
            }
        }
    }
}
