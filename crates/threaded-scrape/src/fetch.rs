//! The fetch core: one HTTP request, its body read with a limit, its HTML parsed.
//!
//! Both crawl modes call the same [`Fetch::fetch`]: the sequential loop directly, the threaded
//! crawl on its worker threads. It does no bookkeeping at all (no visited set, no retries, no
//! redirects): it answers "what did this one URL say?" and the frontier decides what that means.
//!
//! Redirects are deliberately *not* followed here (`max_redirects(0)`): a 3xx comes back as a
//! [`Page`] with its `location`, and the frontier queues the next hop like any other job, so
//! every hop is checked against the scope, robots.txt, the visited set and the politeness
//! limits, and loops are caught by the URL, not by a hop counter alone.

use std::io::Read;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use scraper::{Html, Selector};
use url::Url;

use crate::robots::Robots;
use crate::urls;

/// What a worker is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchRequest {
    /// Fetch one URL (one redirect hop at most).
    Page(Url),
    /// Fetch `/robots.txt` of this origin (e.g. `http://127.0.0.1:8000`) and parse it.
    Robots(Url),
}

/// A worker's answer to a [`FetchRequest`].
#[derive(Debug, Clone)]
pub enum FetchResult {
    /// The answer to [`FetchRequest::Page`].
    Page(Result<Page, FetchError>),
    /// The answer to [`FetchRequest::Robots`]: the rules, and a warning for the summary when
    /// robots.txt could not be read normally.
    Robots {
        rules: Robots,
        warning: Option<String>,
    },
}

/// What one URL answered.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub status: u16,
    /// The `Content-Type` header as sent, e.g. `text/html; charset=utf-8`.
    pub content_type: String,
    /// The `Location` header of a 3xx, as written (the frontier resolves it).
    pub location: Option<String>,
    /// `Retry-After` in seconds (the HTTP-date form is not supported and reads as `None`).
    pub retry_after: Option<Duration>,
    /// Body bytes read (0 when the body was not read: not HTML, or not a 2xx).
    pub bytes: u64,
    /// The body was longer than `--max-bytes` and was cut off there.
    pub truncated: bool,
    pub title: String,
    /// How many `a[href]` the page had.
    pub link_count: usize,
    /// Its http(s) links, resolved and normalized (duplicates kept; the frontier dedups).
    pub links: Vec<Url>,
    /// Hrefs skipped because they are not http(s) (`mailto:`, `javascript:`, `tel:`, ...).
    pub non_http_links: usize,
    /// Time the request took, from sending it to the end of parsing.
    pub elapsed: Duration,
}

/// Why a URL gave no HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    pub kind: FetchErrorKind,
    pub message: String,
    pub elapsed: Duration,
}

/// The kinds of [`FetchError`]: only timeouts are worth a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchErrorKind {
    Timeout,
    Connect,
    Dns,
    Other,
}

impl FetchErrorKind {
    /// The label used in the summary's "errors by kind".
    pub fn label(self) -> &'static str {
        match self {
            FetchErrorKind::Timeout => "timeout",
            FetchErrorKind::Connect => "connect",
            FetchErrorKind::Dns => "dns",
            FetchErrorKind::Other => "network",
        }
    }
}

/// Anything that can answer a [`FetchRequest`]: the real HTTP client, or a fake in tests.
///
/// `Sync` because the threaded crawl shares one fetcher among its workers by reference.
pub trait Fetch: Sync {
    fn fetch(&self, request: &FetchRequest) -> FetchResult;
}

/// The user agent sent with every request.
pub const USER_AGENT: &str = concat!("threaded-scrape/", env!("CARGO_PKG_VERSION"));

/// Most bytes of a robots.txt we read (RFC 9309 asks for at least 500 KiB).
const ROBOTS_MAX_BYTES: u64 = 512 * 1024;
/// Redirects followed when fetching robots.txt (RFC 9309: at least five).
const ROBOTS_MAX_HOPS: usize = 5;

/// Fetches over HTTP with one shared `ureq::Agent` (its connection pool is shared by all
/// workers; the agent is a cheap handle to it).
pub struct HttpFetcher {
    agent: ureq::Agent,
    max_bytes: u64,
}

impl HttpFetcher {
    /// An agent that does not follow redirects, returns 4xx/5xx as responses (they are rows,
    /// not errors), gives up on a request after `timeout` end to end (body included), and keeps
    /// enough idle connections for `per_host` requests to each host to reuse them.
    pub fn new(timeout: Duration, max_bytes: u64, workers: usize, per_host: usize) -> HttpFetcher {
        let config = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .user_agent(USER_AGENT)
            .accept("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
            .max_idle_connections(workers.max(10))
            .max_idle_connections_per_host(per_host.max(3))
            .build();
        HttpFetcher {
            agent: ureq::Agent::new_with_config(config),
            max_bytes,
        }
    }

    /// One GET of `url`, body read only if it is HTML and the status is 2xx.
    fn get_page(&self, url: &Url) -> Result<Page, FetchError> {
        let start = Instant::now();
        let response = self
            .agent
            .get(url.as_str())
            .call()
            .map_err(|e| fetch_error(url, e, start))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let mut page = Page {
            status,
            content_type: header("content-type").unwrap_or_default(),
            location: header("location"),
            retry_after: header("retry-after").and_then(|v| parse_retry_after(&v)),
            ..Page::default()
        };
        // The content type decides before a byte of the body is read: a 2 GB video linked from
        // a page costs us one response header, not a download.
        if (200..300).contains(&status) && is_html(&page.content_type) {
            let mut body = Vec::new();
            // Read one byte more than allowed: getting it proves the body was longer.
            let limit = self.max_bytes.saturating_add(1);
            response
                .into_body()
                .into_with_config()
                .reader()
                .take(limit)
                .read_to_end(&mut body)
                .map_err(|e| FetchError {
                    kind: io_kind(&e),
                    message: format!("{url}: reading the body: {e}"),
                    elapsed: start.elapsed(),
                })?;
            if body.len() as u64 > self.max_bytes {
                body.truncate(self.max_bytes as usize);
                page.truncated = true;
            }
            page.bytes = body.len() as u64;
            parse_html(url, &body, &mut page);
        }
        // Any body left unread is dropped with the response: ureq then closes that connection
        // rather than return it to the pool half-read.
        page.elapsed = start.elapsed();
        Ok(page)
    }

    /// Fetches and parses robots.txt of `origin`, following up to five redirects.
    fn get_robots(&self, origin: &Url) -> FetchResult {
        let mut url = match origin.join("/robots.txt") {
            Ok(u) => u,
            Err(e) => {
                return robots(Robots::allow_all(), Some(format!("{origin}: {e}")));
            }
        };
        for _ in 0..=ROBOTS_MAX_HOPS {
            let start = Instant::now();
            let response = match self.agent.get(url.as_str()).call() {
                Ok(r) => r,
                // Unreachable host: we proceed as if there were no robots.txt, and each page
                // then fails with the real error (which is what the user needs to see).
                Err(e) => {
                    let e = fetch_error(&url, e, start);
                    return robots(Robots::allow_all(), Some(format!("robots.txt: {e}")));
                }
            };
            let status = response.status().as_u16();
            match status {
                200..=299 => {
                    let mut body = Vec::new();
                    let read = response
                        .into_body()
                        .into_with_config()
                        .reader()
                        .take(ROBOTS_MAX_BYTES)
                        .read_to_end(&mut body);
                    if let Err(e) = read {
                        return robots(Robots::allow_all(), Some(format!("{url}: {e}")));
                    }
                    return robots(Robots::parse(&String::from_utf8_lossy(&body)), None);
                }
                300..=399 => {
                    let next = response
                        .headers()
                        .get("location")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|loc| url.join(loc).ok());
                    match next {
                        Some(next) => url = next,
                        None => return robots(Robots::allow_all(), None),
                    }
                }
                // RFC 9309: a server error means "assume everything is disallowed".
                500..=599 => {
                    return robots(
                        Robots::disallow_all(),
                        Some(format!(
                            "{url} answered {status}: the host is treated as fully disallowed"
                        )),
                    );
                }
                // 4xx (usually 404): there are no rules.
                _ => return robots(Robots::allow_all(), None),
            }
        }
        robots(
            Robots::allow_all(),
            Some(format!("{url}: too many redirects, ignored")),
        )
    }
}

impl Fetch for HttpFetcher {
    fn fetch(&self, request: &FetchRequest) -> FetchResult {
        match request {
            FetchRequest::Page(url) => FetchResult::Page(self.get_page(url)),
            FetchRequest::Robots(origin) => self.get_robots(origin),
        }
    }
}

fn robots(rules: Robots, warning: Option<String>) -> FetchResult {
    FetchResult::Robots { rules, warning }
}

/// `text/html` or `application/xhtml+xml`, whatever the parameters.
pub fn is_html(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "text/html" || mime == "application/xhtml+xml"
}

/// `Retry-After: 120` (seconds). The HTTP-date form is rare for 429/503 and not supported.
fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

static TITLE: LazyLock<Selector> = LazyLock::new(|| Selector::parse("title").expect("valid"));
static BASE: LazyLock<Selector> = LazyLock::new(|| Selector::parse("base[href]").expect("valid"));
static LINKS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("a[href]").expect("valid"));

/// Fills `title`, `links`, `link_count` and `non_http_links` of `page` from an HTML body.
///
/// Links resolve against `<base href>` when the page has one, else against the page's own URL
/// (the URL that answered, after any redirects). The body is decoded as UTF-8, invalid bytes
/// replaced: titles in other encodings may show replacement characters, links (ASCII) do not.
pub fn parse_html(page_url: &Url, body: &[u8], page: &mut Page) {
    let text = String::from_utf8_lossy(body);
    let doc = Html::parse_document(&text);
    page.title = doc
        .select(&TITLE)
        .next()
        .map(|t| t.text().collect::<Vec<_>>().join(" "))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let base = doc
        .select(&BASE)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|href| page_url.join(href).ok())
        .unwrap_or_else(|| page_url.clone());
    for a in doc.select(&LINKS) {
        page.link_count += 1;
        let href = a.value().attr("href").unwrap_or("");
        match urls::resolve(&base, href) {
            Some(url) => page.links.push(url),
            None => page.non_http_links += 1,
        }
    }
}

fn io_kind(e: &std::io::Error) -> FetchErrorKind {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::TimedOut | K::WouldBlock => FetchErrorKind::Timeout,
        K::ConnectionRefused | K::ConnectionReset | K::ConnectionAborted => FetchErrorKind::Connect,
        _ => FetchErrorKind::Other,
    }
}

/// Turns a ureq error into a [`FetchError`] whose message names the URL.
fn fetch_error(url: &Url, e: ureq::Error, start: Instant) -> FetchError {
    let kind = match &e {
        ureq::Error::Timeout(_) => FetchErrorKind::Timeout,
        ureq::Error::HostNotFound => FetchErrorKind::Dns,
        ureq::Error::ConnectionFailed => FetchErrorKind::Connect,
        ureq::Error::Io(io) => io_kind(io),
        _ => FetchErrorKind::Other,
    };
    let detail = match &e {
        ureq::Error::Io(io) => io.to_string(),
        ureq::Error::HostNotFound => "host not found".to_string(),
        other => other.to_string(),
    };
    FetchError {
        kind,
        message: format!("{url}: {detail}"),
        elapsed: start.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_content_types() {
        assert!(is_html("text/html"));
        assert!(is_html("Text/HTML; charset=utf-8"));
        assert!(is_html("application/xhtml+xml"));
        assert!(!is_html("application/octet-stream"));
        assert!(!is_html(""));
        assert!(!is_html("text/plain"));
    }

    #[test]
    fn parse_title_links_and_base() {
        let url = Url::parse("http://h/dir/page").unwrap();
        let body = br#"<html><head><title>
            Hello   World </title></head><body>
            <a href="a">a</a> <a href="/b#x">b</a> <a href="mailto:x@y">m</a>
            <a href="javascript:void(0)">j</a> <a>no href</a></body></html>"#;
        let mut page = Page::default();
        parse_html(&url, body, &mut page);
        assert_eq!(page.title, "Hello World");
        assert_eq!(page.link_count, 4);
        assert_eq!(page.non_http_links, 2);
        let links: Vec<_> = page.links.iter().map(Url::as_str).collect();
        assert_eq!(links, ["http://h/dir/a", "http://h/b"]);

        let body = br#"<base href="/other/"><a href="c">c</a>"#;
        let mut page = Page::default();
        parse_html(&url, body, &mut page);
        assert_eq!(page.links[0].as_str(), "http://h/other/c");
    }

    #[test]
    fn retry_after_seconds_only() {
        assert_eq!(parse_retry_after(" 1 "), Some(Duration::from_secs(1)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
