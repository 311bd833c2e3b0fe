//! The threaded transport: one HTTP request with ureq (blocking), its body handed to `page.rs`.
//!
//! Both crawl modes call the same [`Fetch::fetch`]: the sequential loop directly, the threaded
//! crawl on its worker threads. It does no bookkeeping at all (no visited set, no retries, no
//! redirects): it answers "what did this one URL say?" and the frontier decides what that means.
//!
//! Redirects are deliberately *not* followed here (`max_redirects(0)`): a 3xx comes back as a
//! [`Page`] with its `location`, and the frontier queues the next hop like any other job, so
//! every hop is checked against the scope, robots.txt, the visited set and the politeness
//! limits, and loops are caught by the URL, not by a hop counter alone.

use std::path::Path;
use std::time::{Duration, Instant};

use url::Url;

use crate::page::read_body;
pub use crate::page::Page;
use crate::robots::Robots;
use crate::robots_chain::{Hop, RobotsAnswer, RobotsChain, Step, ROBOTS_MAX_BYTES};
use crate::urls::Scope;

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

impl From<RobotsAnswer> for FetchResult {
    fn from(answer: RobotsAnswer) -> FetchResult {
        FetchResult::Robots {
            rules: answer.rules,
            warning: answer.warning,
        }
    }
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

/// The user agent sent with every request unless `--user-agent` says otherwise.
pub const USER_AGENT: &str = concat!("threaded-scrape/", env!("CARGO_PKG_VERSION"));

/// How the HTTP client behaves, from the command line.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// A request gives up after this long, body included.
    pub timeout: Duration,
    /// Largest body read.
    pub max_bytes: u64,
    /// Worker threads and the per-host limit: how many idle connections are worth keeping.
    pub workers: usize,
    pub per_host: usize,
    pub user_agent: String,
    /// Extra request headers (`--header`), sent with every request, robots.txt included.
    pub headers: Vec<(String, String)>,
    /// Also trust these CA certificates (`--ca-file`, read by [`read_ca_file`]).
    pub extra_roots: Vec<ureq::tls::Certificate<'static>>,
    /// Follow `rel="nofollow"` links too.
    pub follow_nofollow: bool,
    /// Hosts a robots.txt redirect may lead to (pages are checked by the frontier).
    pub scope: Scope,
}

/// Fetches over HTTP with one shared `ureq::Agent` (its connection pool is shared by all
/// workers; the agent is a cheap handle to it).
pub struct HttpFetcher {
    agent: ureq::Agent,
    options: FetchOptions,
    /// The robots.txt product token of our user agent (`threaded-scrape`).
    robots_token: String,
}

impl HttpFetcher {
    /// An agent that does not follow redirects, returns 4xx/5xx as responses (they are rows,
    /// not errors), gives up on a request after `timeout` end to end (body included), keeps
    /// enough idle connections for every worker to reuse one, and trusts the operating
    /// system's certificate store (plus `--ca-file`).
    pub fn new(options: FetchOptions) -> HttpFetcher {
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(root_certs(&options.extra_roots))
            .build();
        let config = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_global(Some(options.timeout))
            .user_agent(&options.user_agent)
            .accept("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
            .max_idle_connections(options.workers.max(10))
            .max_idle_connections_per_host(options.per_host.max(3))
            .tls_config(tls)
            .build();
        // ureq's own connector (TCP, then rustls), with a resolver that looks each host up
        // once instead of once per request (`dns.rs`).
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::new(),
            crate::dns::CachingResolver::default(),
        );
        HttpFetcher {
            agent,
            robots_token: crate::robots::product_token(&options.user_agent),
            options,
        }
    }

    /// A GET of `url` with the `--header`s.
    fn get(&self, url: &Url) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let mut request = self.agent.get(url.as_str());
        for (name, value) in &self.options.headers {
            request = request.header(name, value);
        }
        request.call()
    }

    /// One GET of `url`, body read only if it is HTML and the status is 2xx.
    fn get_page(&self, url: &Url) -> Result<Page, FetchError> {
        let start = Instant::now();
        let response = self.get(url).map_err(|e| fetch_error(url, e, start))?;
        let headers = response.headers();
        let mut page = Page::from_head(response.status().as_u16(), |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        });
        // The content type decides before a byte of the body is read.
        if page.wants_body() {
            let reader = response.into_body().into_with_config().reader();
            let body = read_body(reader, self.options.max_bytes).map_err(|e| FetchError {
                kind: io_kind(&e),
                message: format!("{url}: reading the body: {e}"),
                elapsed: start.elapsed(),
            })?;
            page.fill_from_body(url, body, self.options.follow_nofollow);
        } else {
            drain(response.into_body());
        }
        page.elapsed = start.elapsed();
        Ok(page)
    }

    /// Fetches and parses robots.txt of `origin`: [`RobotsChain`] decides, this only does the
    /// requests (every hop checked against the scope before it is requested).
    fn get_robots(&self, origin: &Url) -> FetchResult {
        let mut chain = RobotsChain::new(origin, &self.options.scope, &self.robots_token);
        loop {
            let url = match chain.next_hop() {
                Hop::Request(url) => url,
                Hop::Done(answer) => return answer.into(),
            };
            let start = Instant::now();
            let response = match self.get(&url) {
                Ok(r) => r,
                Err(e) => {
                    return chain
                        .unreachable(&fetch_error(&url, e, start).message)
                        .into()
                }
            };
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            match chain.answer(response.status().as_u16(), location.as_deref()) {
                Step::ReadBody => {
                    let reader = response.into_body().into_with_config().reader();
                    let body = read_body(reader, ROBOTS_MAX_BYTES).map_err(|e| e.to_string());
                    return chain.body(body).into();
                }
                // A hop or an answer without a body worth reading: keep the connection.
                Step::Follow => drain(response.into_body()),
                Step::Done(answer) => {
                    drain(response.into_body());
                    return answer.into();
                }
            }
        }
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

/// Largest unwanted body read to its end so that its connection is kept.
pub const DRAIN_MAX_BYTES: u64 = 16 * 1024;

/// Throws away a body we do not want (a redirect's, an error page's, a non-HTML file's).
///
/// ureq returns a connection to its pool only once its response is read to the end; a body
/// dropped half-read closes it, and the next request pays for a new connection (a TCP
/// handshake, and TLS's on https). Redirects and error pages are small, so a body of at most
/// [`DRAIN_MAX_BYTES`] is read and discarded, as browsers and curl do, and its connection
/// reused. A larger one (or one that fails) is dropped unread, closing its connection: a
/// 50 MB zip served under an HTML link costs its response head and one buffer, not 50 MB.
fn drain(mut body: ureq::Body) {
    if body.content_length().is_some_and(|n| n > DRAIN_MAX_BYTES) {
        return;
    }
    let mut reader = body.with_config().limit(DRAIN_MAX_BYTES).reader();
    let _ = std::io::copy(&mut reader, &mut std::io::sink());
}

/// The operating system's CA certificates (as curl trusts them), plus `extra`.
fn root_certs(extra: &[ureq::tls::Certificate<'static>]) -> ureq::tls::RootCerts {
    use ureq::tls::{Certificate, RootCerts};
    // Errors here are per-file problems in the OS store; whatever loaded is used.
    let native = rustls_native_certs::load_native_certs();
    let mut certs: Vec<Certificate<'static>> = native
        .certs
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned())
        .collect();
    certs.extend(extra.iter().cloned());
    // No OS store at all (a bare container): the bundled Mozilla roots, as browsers ship them.
    if certs.is_empty() {
        return RootCerts::WebPki;
    }
    RootCerts::new_with_certs(&certs)
}

/// The certificates of a PEM file (`--ca-file`); an error names the file.
pub fn read_ca_file(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item.map_err(|e| format!("{}: {e}", path.display()))? {
            ureq::tls::PemItem::Certificate(cert) => certs.push(cert),
            _ => continue, // A key or a CRL in the same file: not ours to use.
        }
    }
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate in it", path.display()));
    }
    Ok(certs)
}

pub(crate) fn io_kind(e: &std::io::Error) -> FetchErrorKind {
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
    fn ca_file_must_hold_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let not_pem = dir.path().join("x.pem");
        std::fs::write(&not_pem, "hello").unwrap();
        let err = read_ca_file(&not_pem).unwrap_err();
        assert!(err.contains("no PEM certificate"), "{err}");
        assert!(read_ca_file(&dir.path().join("missing.pem")).is_err());
        // The OS bundle, where there is one, is a valid --ca-file.
        let bundle = Path::new("/etc/ssl/certs/ca-certificates.crt");
        if bundle.is_file() {
            assert!(!read_ca_file(bundle).unwrap().is_empty());
        } else {
            // Straight to the stderr handle: the harness captures `eprintln!` of a passing
            // test, and a skip must be seen.
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "SKIP: no {} to read", bundle.display());
        }
    }
}
