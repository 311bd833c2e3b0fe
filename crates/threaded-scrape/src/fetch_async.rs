//! The async transport: one HTTP request with reqwest (hyper + rustls on tokio), its body handed
//! to `page.rs`, its robots.txt chain decided by `robots_chain.rs`, exactly as `fetch.rs` does
//! on a thread. Only the waiting differs: here a request is a task that yields while it waits,
//! so a thousand requests in flight are a thousand small state machines on a few threads, not
//! a thousand stacks.
//!
//! Why reqwest: it is hyper's client with the pieces the crawler's rules need already built and
//! each one switchable: `redirect::Policy::none()` (the frontier follows every hop itself,
//! scope-checked, robots.txt's hops included), a timeout over the whole request, body included,
//! the response head before the body (the content type is checked before a byte of the body
//! is read), the body as a stream of chunks (cut off at `--max-bytes`), rustls with the
//! operating system's certificate store plus `--ca-file`, and per-request headers. Plain
//! hyper + hyper-util would need each of these written by hand (a TLS connector, the pool's
//! timeouts, the root store), which is not what this crate teaches.

use std::future::Future;
use std::time::Instant;

use anyhow::Context;
use url::Url;

use crate::fetch::{FetchError, FetchErrorKind, FetchOptions, FetchRequest, FetchResult, Page};
use crate::page::{Body, BodyLimit};
use crate::robots_chain::{Hop, RobotsChain, Step, ROBOTS_MAX_BYTES};

/// Anything that can answer a [`FetchRequest`] without blocking a thread: the real client, or
/// a fake in tests. The async twin of [`crate::fetch::Fetch`].
pub trait AsyncFetch: Send + Sync + 'static {
    fn fetch(&self, request: FetchRequest) -> impl Future<Output = FetchResult> + Send;
}

/// Fetches over HTTP with one `reqwest::Client` (a cheap handle to one connection pool that
/// every task shares).
pub struct AsyncFetcher {
    client: reqwest::Client,
    options: FetchOptions,
    /// The robots.txt product token of our user agent (`threaded-scrape`).
    robots_token: String,
}

impl AsyncFetcher {
    /// A client configured as the blocking one: no redirects followed, 4xx/5xx returned as
    /// answers, `timeout` end to end (body included), enough idle connections per host for
    /// `--per-host`, the OS certificate store plus `--ca-file` (the bundled Mozilla roots only
    /// where the OS has none).
    pub fn new(options: FetchOptions) -> anyhow::Result<AsyncFetcher> {
        let os_has_roots = !rustls_native_certs::load_native_certs().certs.is_empty();
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.timeout)
            .user_agent(options.user_agent.clone())
            .pool_max_idle_per_host(options.per_host.max(3))
            .tls_built_in_native_certs(true)
            .tls_built_in_webpki_certs(!os_has_roots && options.extra_roots.is_empty());
        for cert in &options.extra_roots {
            let cert =
                reqwest::Certificate::from_der(cert.der()).context("a certificate of --ca-file")?;
            builder = builder.add_root_certificate(cert);
        }
        let client = builder
            .build()
            .context("cannot set up the async HTTP client")?;
        Ok(AsyncFetcher {
            client,
            robots_token: crate::robots::product_token(&options.user_agent),
            options,
        })
    }

    /// A GET of `url` with the `--header`s; resolves when the response head has arrived.
    async fn get(&self, url: &Url) -> Result<reqwest::Response, reqwest::Error> {
        let mut request = self
            .client
            .get(url.as_str())
            .header("accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8");
        for (name, value) in &self.options.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        request.send().await
    }

    /// One GET of `url`, body read only if it is HTML and the status is 2xx.
    async fn get_page(&self, url: &Url) -> Result<Page, FetchError> {
        let start = Instant::now();
        let response = self
            .get(url)
            .await
            .map_err(|e| fetch_error(url, &e, start))?;
        let headers = response.headers();
        let mut page = Page::from_head(response.status().as_u16(), |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        });
        // The content type decides before a byte of the body is read.
        if page.wants_body() {
            let body = read_body(response, self.options.max_bytes)
                .await
                .map_err(|e| FetchError {
                    kind: error_kind(&e),
                    message: format!("{url}: reading the body: {}", detail(&e)),
                    elapsed: start.elapsed(),
                })?;
            page.fill_from_body(url, body, self.options.follow_nofollow);
        }
        // A body left unread is dropped with the response: hyper then closes that connection
        // rather than return it to the pool half-read.
        page.elapsed = start.elapsed();
        Ok(page)
    }

    /// robots.txt of `origin`, hop by hop: [`RobotsChain`] decides, this does the requests.
    async fn get_robots(&self, origin: &Url) -> FetchResult {
        let mut chain = RobotsChain::new(origin, &self.options.scope, &self.robots_token);
        loop {
            let url = match chain.next_hop() {
                Hop::Request(url) => url,
                Hop::Done(answer) => return answer.into(),
            };
            let start = Instant::now();
            let response = match self.get(&url).await {
                Ok(r) => r,
                Err(e) => {
                    return chain
                        .unreachable(&fetch_error(&url, &e, start).message)
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
                    let body = read_body(response, ROBOTS_MAX_BYTES).await;
                    return chain.body(body.map_err(|e| detail(&e))).into();
                }
                Step::Follow => continue,
                Step::Done(answer) => return answer.into(),
            }
        }
    }
}

impl AsyncFetch for AsyncFetcher {
    async fn fetch(&self, request: FetchRequest) -> FetchResult {
        match &request {
            FetchRequest::Page(url) => FetchResult::Page(self.get_page(url).await),
            FetchRequest::Robots(origin) => self.get_robots(origin).await,
        }
    }
}

/// The body, chunk by chunk as it arrives, through the same [`BodyLimit`] as the blocking
/// transport: reading stops at the limit.
async fn read_body(mut response: reqwest::Response, limit: u64) -> reqwest::Result<Body> {
    let mut body = BodyLimit::new(limit);
    while let Some(chunk) = response.chunk().await? {
        if !body.push(&chunk) {
            break;
        }
    }
    Ok(body.finish())
}

/// What went wrong, from reqwest's error and its causes.
fn error_kind(e: &reqwest::Error) -> FetchErrorKind {
    if e.is_timeout() {
        FetchErrorKind::Timeout
    } else if causes(e).any(|c| c.starts_with("dns error")) {
        FetchErrorKind::Dns
    } else if e.is_connect() {
        FetchErrorKind::Connect
    } else {
        FetchErrorKind::Other
    }
}

/// The causes below reqwest's own "error sending request for url (...)", innermost last.
fn causes(e: &reqwest::Error) -> impl Iterator<Item = String> + '_ {
    let mut source = std::error::Error::source(e);
    std::iter::from_fn(move || {
        let cause = source?;
        source = cause.source();
        Some(cause.to_string())
    })
}

/// The innermost cause (`Connection refused (os error 111)`), or reqwest's message.
fn detail(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".to_string();
    }
    causes(e).last().unwrap_or_else(|| e.to_string())
}

/// Turns a reqwest error into a [`FetchError`] whose message names the URL.
fn fetch_error(url: &Url, e: &reqwest::Error, start: Instant) -> FetchError {
    FetchError {
        kind: error_kind(e),
        message: format!("{url}: {}", detail(e)),
        elapsed: start.elapsed(),
    }
}
