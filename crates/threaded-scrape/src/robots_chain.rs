//! Fetching robots.txt, as decisions without I/O: which URL to request next, what each answer
//! means. Both transports (the blocking `fetch.rs`, the async `fetch_async.rs`) drive the same
//! [`RobotsChain`], so their robots.txt handling cannot drift apart.
//!
//! Up to five redirects are followed (RFC 9309 asks for at least five), and every hop goes
//! through the scope check first: a robots.txt that redirects off the allowed hosts is treated
//! as unavailable (no rules, RFC 9309 section 2.3.1.2) and the hop is never requested.

use url::Url;

use crate::page::Body;
use crate::robots::Robots;
use crate::urls::Scope;

/// Most bytes of a robots.txt we read (RFC 9309 asks for at least 500 KiB).
pub const ROBOTS_MAX_BYTES: u64 = 512 * 1024;
/// Redirects followed when fetching robots.txt (RFC 9309: at least five).
const ROBOTS_MAX_HOPS: usize = 5;

/// What a robots.txt fetch found: the rules, and a warning for the summary when robots.txt
/// could not be read normally.
#[derive(Debug, Clone)]
pub struct RobotsAnswer {
    pub rules: Robots,
    pub warning: Option<String>,
}

/// What to do with the head of a robots.txt answer.
pub enum Step {
    /// A 2xx: read the body (at most [`ROBOTS_MAX_BYTES`]) and hand it to [`RobotsChain::body`].
    ReadBody,
    /// A 3xx with a usable `Location`: ask [`RobotsChain::next_hop`] for the next hop.
    Follow,
    /// Decided without a body.
    Done(RobotsAnswer),
}

/// What to do next in a [`RobotsChain`].
pub enum Hop {
    /// Request this URL (it passed the scope and the hop limit).
    Request(Url),
    /// The chain ends here with this result.
    Done(RobotsAnswer),
}

/// One origin's robots.txt fetch, hop by hop.
pub struct RobotsChain<'a> {
    origin: Url,
    /// The URL to request next; `Err` when the origin has no robots.txt URL at all.
    url: Result<Url, String>,
    /// Requests made so far (the first one and the redirects).
    hops: usize,
    scope: &'a Scope,
    token: &'a str,
}

impl<'a> RobotsChain<'a> {
    /// The chain for `origin` (e.g. `http://127.0.0.1:8000/`). `token` is our robots.txt
    /// product token.
    pub fn new(origin: &Url, scope: &'a Scope, token: &'a str) -> RobotsChain<'a> {
        RobotsChain {
            origin: origin.clone(),
            url: origin
                .join("/robots.txt")
                .map_err(|e| format!("{origin}: {e}")),
            hops: 0,
            scope,
            token,
        }
    }

    /// The URL to request now, checked against the scope and the hop limit; or the result
    /// when the chain ends here.
    pub fn next_hop(&mut self) -> Hop {
        let url = match &self.url {
            Ok(url) => url,
            Err(e) => return Hop::Done(robots(Robots::allow_all(), Some(e.clone()))),
        };
        if self.hops > ROBOTS_MAX_HOPS {
            let warning = format!("{url}: too many redirects, ignored");
            return Hop::Done(robots(Robots::allow_all(), Some(warning)));
        }
        if !self.scope.host_allowed(url) {
            let warning = format!(
                "{}robots.txt redirects to {url}, off the allowed hosts: not requested, the host \
                 is crawled as if it had no robots.txt",
                self.origin
            );
            return Hop::Done(robots(Robots::allow_all(), Some(warning)));
        }
        self.hops += 1;
        Hop::Request(url.clone())
    }

    /// No answer at all (unreachable host): we proceed as if there were no robots.txt, and
    /// each page then fails with the real error (which is what the user needs to see).
    pub fn unreachable(&self, error: &str) -> RobotsAnswer {
        robots(Robots::allow_all(), Some(format!("robots.txt: {error}")))
    }

    /// The head of the answer to the URL [`next_hop`](Self::next_hop) gave.
    pub fn answer(&mut self, status: u16, location: Option<&str>) -> Step {
        let url = match &self.url {
            Ok(url) => url.clone(),
            Err(_) => return Step::Done(robots(Robots::allow_all(), None)),
        };
        match status {
            200..=299 => Step::ReadBody,
            300..=399 => match location.and_then(|loc| url.join(loc).ok()) {
                Some(next) => {
                    self.url = Ok(next);
                    Step::Follow
                }
                None => Step::Done(robots(Robots::allow_all(), None)),
            },
            // RFC 9309: a server error means "assume everything is disallowed".
            500..=599 => Step::Done(robots(
                Robots::disallow_all(),
                Some(format!(
                    "{url} answered {status}: the host is treated as fully disallowed"
                )),
            )),
            // 4xx (usually 404): there are no rules.
            _ => Step::Done(robots(Robots::allow_all(), None)),
        }
    }

    /// The body of a 2xx answer (or why it could not be read).
    pub fn body(&self, body: Result<Body, String>) -> RobotsAnswer {
        match body {
            Ok(body) => {
                let text = String::from_utf8_lossy(&body.bytes);
                robots(Robots::parse(&text, self.token), None)
            }
            Err(e) => {
                let url = self.url.as_ref().map_or("robots.txt", |u| u.as_str());
                robots(Robots::allow_all(), Some(format!("{url}: {e}")))
            }
        }
    }
}

fn robots(rules: Robots, warning: Option<String>) -> RobotsAnswer {
    RobotsAnswer { rules, warning }
}
