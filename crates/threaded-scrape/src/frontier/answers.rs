//! What an answer means: a row, links to queue, a retry, or the next redirect hop.
//!
//! The second half of the frontier (see `mod.rs` for the first: what to fetch next). Every
//! answer a worker hands back goes through [`Frontier::complete`], on the coordinator's thread.

use std::time::{Duration, Instant};

use url::Url;

use super::Row;
use super::{Frontier, InFlight, Job, RobotsState};
use crate::fetch::{FetchError, FetchErrorKind, FetchResult};
use crate::page::{is_html, Page};
use crate::robots::Robots;
use crate::urls::OffScope;

/// Redirects followed from one URL before the chain is an error.
pub const MAX_REDIRECTS: usize = 5;
/// First retry waits this long, then twice as long each time.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// A `Retry-After` longer than this is not waited for: the row keeps its 429/503.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

impl Frontier {
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
            (InFlight::Page { host, mut job }, FetchResult::Page(result)) => {
                self.hosts[host].in_flight -= 1;
                self.refresh(&mut job);
                self.page_done(host, *job, result, now);
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
            InFlight::Page { host, mut job } => {
                self.hosts[host].in_flight -= 1;
                self.refresh(&mut job);
                let message = format!("{}: {why}", job.url);
                self.push_row(&job, None, None, "worker panicked", message);
            }
        }
    }

    fn page_done(
        &mut self,
        h: usize,
        mut job: Job,
        result: Result<Page, FetchError>,
        now: Instant,
    ) {
        let page = match result {
            Ok(page) => page,
            Err(e) => {
                job.elapsed += e.elapsed;
                if e.kind == FetchErrorKind::Timeout && job.attempt < self.config.retries {
                    let wait = backoff(job.attempt);
                    self.retry_later(h, job, now + wait);
                } else {
                    let message = format!("{}{}", e.message, attempts(&job));
                    self.push_row(&job, None, None, e.kind.label(), message);
                }
                return;
            }
        };
        job.elapsed += page.elapsed;
        let status = page.status;

        // 429 and 5xx: try again later, if we have attempts left and the wait is sane.
        let mut note = String::new();
        if (status == 429 || status >= 500) && job.attempt < self.config.retries {
            let wait = page.retry_after.unwrap_or_else(|| backoff(job.attempt));
            if wait > MAX_RETRY_AFTER {
                note = format!(" (Retry-After {} s is more than we wait)", wait.as_secs());
            } else {
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

        // The page is settled: one row, and its links (if it is HTML we read) queued, unless
        // the page asks not to be followed. The links are kept with the row until its depth is
        // final: if a shorter path to this page turns up, they are offered again, closer.
        let mut links = Vec::new();
        if (200..300).contains(&status) && is_html(&page.content_type) {
            self.skipped.non_http += page.non_http_links;
            self.skipped.nofollow += page.nofollow_links;
            if page.meta_nofollow {
                self.skipped.nofollow += page.links.len();
            } else {
                for link in &page.links {
                    self.offer(link.clone(), job.depth + 1, Some(&job.url));
                }
                links = page.links.clone();
            }
            if page.meta_noindex {
                // Fetched and followed, but not recorded: `noindex` asks for no row.
                self.skipped.noindex += 1;
                self.settle(&job, None, links);
                return;
            }
        }
        let (kind, message) = if status >= 400 {
            let message = format!("HTTP {status} from {}{note}{}", job.url, attempts(&job));
            (Some(format!("http {status}")), message)
        } else if (300..400).contains(&status) {
            (
                Some("redirect without Location".to_string()),
                format!("{}: HTTP {status} without a Location header", job.url),
            )
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
        self.settle(&job, Some(row), links);
    }

    /// A 3xx with a Location: queue the next hop, or settle the row if it may not be followed.
    fn follow_redirect(&mut self, mut job: Job, page: Page) {
        let status = page.status;
        let location = page.location.clone().unwrap_or_default();
        let Ok(target) = job.url.join(&location).map(crate::urls::normalize) else {
            let message = format!("{}: bad Location {location:?}", job.url);
            self.push_row(&job, Some(status), Some(&page), "bad redirect", message);
            return;
        };
        // `chain` holds the URLs fetched so far: the origin plus one per redirect followed.
        if job.chain.iter().any(|u| u == &target) {
            let path: Vec<&str> = job.chain.iter().map(Url::as_str).collect();
            let message = format!("redirect loop: {} -> {target}", path.join(" -> "));
            self.push_row(&job, Some(status), Some(&page), "redirect loop", message);
            return;
        }
        if job.chain.len() > MAX_REDIRECTS {
            let message = format!(
                "{}: too many redirects (more than {MAX_REDIRECTS}), next was {target}",
                job.origin
            );
            self.push_row(
                &job,
                Some(status),
                Some(&page),
                "too many redirects",
                message,
            );
            return;
        }
        // Every hop goes through the same scope check as a link: a redirect is a request
        // the server asks for, and it must not take the crawl where a link could not.
        if let Err(why) = self.config.scope.check(&target) {
            let (hint, kind) = match why {
                OffScope::Host => {
                    self.out_of_scope.insert(target.to_string());
                    let hint = target
                        .host_str()
                        .map(|h| format!(" (--allow-host {h} would follow it)"))
                        .unwrap_or_default();
                    (hint, "redirect out of scope")
                }
                OffScope::Parent | OffScope::Filtered => {
                    self.filtered.insert(target.to_string());
                    let hint = " (--no-parent, --include or --exclude)".to_string();
                    (hint, "redirect filtered out")
                }
            };
            let message = format!(
                "{}: redirect to {target} is out of scope, not followed{hint}",
                job.url
            );
            self.push_row(&job, Some(status), Some(&page), kind, message);
            return;
        }
        // A hop to a page fetched elsewhere in the crawl is not fetched again: the row points
        // at it (`/docs` -> `/docs/`, where `/docs/` was linked too).
        let key = target.to_string();
        if !self.visited.insert(key) {
            let mut row = self.row(&job, Some(status), Some(&page));
            row.final_url = target.to_string();
            self.push(row, &job);
            return;
        }
        job.chain.push(target.clone());
        job.url = target;
        job.redirect_status = Some(status);
        job.attempt = 0;
        // The hop goes to the front of its host's queue: finish chains before starting pages.
        let h = self.host_for(&job.url);
        self.hosts[h]
            .queue
            .entry(job.depth)
            .or_default()
            .push_front(job);
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
    pub(super) fn refused_by_robots(&mut self, job: Job) {
        if job.chain.len() > 1 {
            let message = format!(
                "{}: redirect to {} is disallowed by robots.txt",
                job.origin, job.url
            );
            let mut row = self.row(&job, job.redirect_status, None);
            row.final_url = job.chain[job.chain.len() - 2].to_string();
            row.error = message;
            row.error_kind = Some("redirect disallowed by robots.txt".to_string());
            self.push(row, &job);
        } else {
            self.skipped.robots += 1;
            self.settle(&job, None, Vec::new());
            self.release_claim();
            if self.starts.contains(&job.url.to_string()) {
                self.refused_starts.push(format!(
                    "{}: disallowed by robots.txt (see --no-robots)",
                    job.url
                ));
            }
        }
    }

    /// A row for `job` with the fields of `page`, no error.
    fn row(&self, job: &Job, status: Option<u16>, page: Option<&Page>) -> Row {
        Row {
            url: job.origin.to_string(),
            final_url: job.url.to_string(),
            status,
            depth: job.depth,
            referrer: job
                .referrer
                .as_ref()
                .map(Url::to_string)
                .unwrap_or_default(),
            content_type: page.map(|p| p.content_type.clone()).unwrap_or_default(),
            bytes: page.map_or(0, |p| p.bytes),
            title: page.map(|p| p.title.clone()).unwrap_or_default(),
            links: page.map_or(0, |p| p.link_count),
            elapsed_ms: job.elapsed.as_secs_f64() * 1000.0,
            error: String::new(),
            error_kind: None,
        }
    }

    fn push_row(
        &mut self,
        job: &Job,
        status: Option<u16>,
        page: Option<&Page>,
        kind: &str,
        message: String,
    ) {
        let mut row = self.row(job, status, page);
        row.error = message;
        row.error_kind = Some(kind.to_string());
        self.push(row, job);
    }

    /// A row with no links to keep: `job` is settled.
    fn push(&mut self, row: Row, job: &Job) {
        self.settle(job, Some(row), Vec::new());
    }
}

/// " (after 3 attempts)" when the job was retried, else nothing.
fn attempts(job: &Job) -> String {
    if job.attempt == 0 {
        String::new()
    } else {
        format!(" (after {} attempts)", job.attempt + 1)
    }
}

/// 250 ms, 500 ms, 1 s, ... for attempts 0, 1, 2, ...
fn backoff(attempt: u32) -> Duration {
    BACKOFF_BASE * 2u32.saturating_pow(attempt.min(10))
}
