//! The HTTP clients a crawl runs on, by mode: the blocking one (ureq, `fetch.rs`) for
//! sequential and threads, the async one (reqwest on tokio, `fetch_async.rs`) for async, and
//! the driver each mode uses (`crawl.rs`, `crawl_async.rs`).

use std::sync::Arc;

use crate::crawl::{self, Crawl, Driver, Mode};
#[cfg(feature = "async")]
use crate::crawl_async;
use crate::fetch::{FetchOptions, HttpFetcher};
#[cfg(feature = "async")]
use crate::fetch_async;
use crate::frontier::Frontier;

/// The HTTP clients: blocking (ureq) for sequential and threads, async (reqwest on tokio) for
/// async. Both are set up from the same options before the output file is opened and before
/// the first request, so a bad setting fails at once.
pub struct Fetchers {
    blocking: Arc<HttpFetcher>,
    /// Set up only when a crawl will use it.
    #[cfg(feature = "async")]
    nonblocking: Option<Arc<fetch_async::AsyncFetcher>>,
}

impl Fetchers {
    /// The clients for crawls in `modes` (a usage error for async in a build without it).
    pub fn new(options: FetchOptions, modes: &[Mode]) -> anyhow::Result<Fetchers> {
        let needs_async = modes.contains(&Mode::Async);
        if needs_async && !cfg!(feature = "async") {
            let why = "--mode async: this build has no async mode (built without the `async` \
                       feature); use --mode threads";
            return Err(crate::cli::UsageError(why.to_string()).into());
        }
        Ok(Fetchers {
            #[cfg(feature = "async")]
            nonblocking: match needs_async {
                true => Some(Arc::new(fetch_async::AsyncFetcher::new(options.clone())?)),
                false => None,
            },
            blocking: Arc::new(HttpFetcher::new(options)),
        })
    }

    /// Crawls `frontier` in `mode` with the client of that mode.
    pub fn crawl(
        &self,
        frontier: Frontier,
        mode: Mode,
        workers: usize,
        driver: &mut Driver,
    ) -> anyhow::Result<Crawl> {
        #[cfg(feature = "async")]
        if let (Mode::Async, Some(fetcher)) = (mode, &self.nonblocking) {
            return crawl_async::crawl(frontier, Arc::clone(fetcher), workers, driver);
        }
        crawl::crawl(frontier, Arc::clone(&self.blocking), mode, workers, driver)
    }
}
