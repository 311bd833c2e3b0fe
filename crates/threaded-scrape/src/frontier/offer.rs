//! Which URLs are queued: the scope, the visited set, `--max-depth`, `--max-pages`, and the
//! bookkeeping of depth (a URL found again by a shorter path moves up a level).

use std::collections::VecDeque;
use std::time::Duration;

use url::Url;

use super::{Frontier, Job, RobotsState};
use crate::urls::{self, OffScope};

impl Frontier {
    /// A start URL: queued at depth 0 if it is in scope at all (it defines the scope, but
    /// `--exclude` or `--include` may still leave it out).
    pub(super) fn offer_start(&mut self, url: Url) {
        self.offer(url, 0, None);
    }

    /// A link found at `depth` on `referrer`: queue it unless it is out of scope, seen, too
    /// deep or too many. A URL already queued deeper moves up to `depth`.
    pub(super) fn offer(&mut self, url: Url, depth: u32, referrer: Option<&Url>) {
        let key = url.to_string();
        match self.config.scope.check(&url) {
            Ok(()) => {}
            Err(OffScope::Host) => {
                self.out_of_scope.insert(key);
                return;
            }
            Err(OffScope::Parent | OffScope::Filtered) => {
                self.filtered.insert(key);
                return;
            }
        }
        if self.visited.contains(&key) {
            self.move_up(&key, depth, referrer);
            return;
        }
        if !self.config.fetch_ext && urls::ignored_extension(&url).is_some() {
            self.by_extension.insert(key);
            return;
        }
        if depth > self.config.max_depth {
            self.too_deep.insert(key);
            return;
        }
        // robots.txt already known: a refused URL takes no claim and no queue slot.
        let h = self.host_for(&url);
        if let RobotsState::Known(rules) = &self.hosts[h].robots {
            if !rules.allows(&super::path_and_query(&url)) {
                if self.visited.insert(key) {
                    self.skipped.robots += 1;
                }
                return;
            }
        }
        if self.claimed >= self.config.max_pages {
            if self.over_max_pages.insert(key) {
                self.waiting.push_back((url, depth, referrer.cloned()));
            }
            return;
        }
        self.claimed += 1;
        self.visited.insert(key.clone());
        self.queued_depth.insert(key, depth);
        *self.unsettled.entry(depth).or_insert(0) += 1;
        self.hosts[h]
            .queue
            .entry(depth)
            .or_default()
            .push_back(Job {
                origin: url.clone(),
                chain: vec![url.clone()],
                url,
                depth,
                referrer: referrer.cloned(),
                redirect_status: None,
                attempt: 0,
                elapsed: Duration::ZERO,
            });
        self.queued += 1;
    }

    /// `key` is visited; if it is still queued deeper than `depth`, it moves up (its row and
    /// its links then get the shorter distance, and `referrer` is the page on that path).
    fn move_up(&mut self, key: &str, depth: u32, referrer: Option<&Url>) {
        let Some(old) = self.queued_depth.get(key).copied() else {
            return; // Started already: its depth was final when it started.
        };
        if old <= depth {
            return;
        }
        let Ok(url) = Url::parse(key) else { return };
        let h = self.host_for(&url);
        let queue = &mut self.hosts[h].queue;
        let Some(level) = queue.get_mut(&old) else {
            return;
        };
        let Some(i) = level.iter().position(|j| j.url.as_str() == key) else {
            return;
        };
        let Some(mut job) = level.remove(i) else {
            return;
        };
        if level.is_empty() {
            queue.remove(&old);
        }
        job.depth = depth;
        job.referrer = referrer.cloned();
        queue.entry(depth).or_insert_with(VecDeque::new).push_back(job);
        self.queued_depth.insert(key.to_string(), depth);
        self.unsettle_depth(old);
        *self.unsettled.entry(depth).or_insert(0) += 1;
    }

    /// `job` is done with: its row is written or it was refused. Its level may now be empty,
    /// which lets the next level start.
    pub(super) fn settle(&mut self, job: &Job) {
        self.unsettle_depth(job.depth);
    }

    fn unsettle_depth(&mut self, depth: u32) {
        if let Some(n) = self.unsettled.get_mut(&depth) {
            *n -= 1;
            if *n == 0 {
                self.unsettled.remove(&depth);
            }
        }
    }

    /// A claimed URL was refused before it was fetched (robots.txt): `--max-pages` counts
    /// fetched pages only, so its claim goes to the first URL that found the limit reached.
    pub(super) fn release_claim(&mut self) {
        self.claimed -= 1;
        while let Some((url, depth, referrer)) = self.waiting.pop_front() {
            let key = url.to_string();
            self.over_max_pages.remove(&key);
            if self.visited.contains(&key) {
                continue;
            }
            self.offer(url, depth, referrer.as_ref());
            if self.visited.contains(&key) {
                break;
            }
        }
    }
}
