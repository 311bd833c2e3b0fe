//! Which URLs are queued: the scope, the visited set, `--max-depth`, `--max-pages`, and the
//! bookkeeping of depth (a URL found again by a shorter path moves up a level).

use std::time::Duration;

use url::Url;

use super::{Frontier, Job, Pending, RobotsState, Row};
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
            self.lower(&key, depth, referrer);
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
        self.queued_depth.insert(key.clone(), depth);
        self.depth_of.insert(key, depth);
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

    /// `key` is visited and was just found at `depth`, from `referrer`. If that is closer than
    /// its depth so far (and its row is not final yet), it moves up: a queued job moves to
    /// its new level; a job in flight gets the new depth when it is answered; a page already
    /// answered gets it at once, and its links are offered again one level closer.
    fn lower(&mut self, key: &str, depth: u32, referrer: Option<&Url>) {
        let Some(old) = self.depth_of.get(key).copied() else {
            return; // Its row is final: no shorter path can turn up any more.
        };
        if old <= depth {
            return;
        }
        self.depth_of.insert(key.to_string(), depth);
        if let Some(pending) = self.pending.get_mut(key) {
            // Answered, row not final: lower it, then its links.
            let order = (pending.depth, pending.seq);
            pending.depth = depth;
            if let Some(row) = pending.row.as_mut() {
                row.depth = depth;
                row.referrer = referrer.map(Url::to_string).unwrap_or_default();
            }
            let (links, from) = (pending.links.clone(), pending.from.clone());
            self.pending_order.remove(&order);
            self.pending_order.insert((depth, order.1), key.to_string());
            for link in links {
                self.offer(link, depth + 1, Some(&from));
            }
            return;
        }
        self.unsettle_depth(old);
        *self.unsettled.entry(depth).or_insert(0) += 1;
        self.lowered.insert(key.to_string(), referrer.cloned());
        if self.queued_depth.contains_key(key) {
            self.move_queued(key, old, depth);
        }
    }

    /// A fresh queued job moves from level `old` to level `depth` of its host's queue.
    fn move_queued(&mut self, key: &str, old: u32, depth: u32) {
        let Ok(url) = Url::parse(key) else { return };
        let h = self.host_for(&url);
        let queue = &mut self.hosts[h].queue;
        let Some(level) = queue.get_mut(&old) else {
            return;
        };
        let Some(i) = level.iter().position(|j| j.url.as_str() == key) else {
            return;
        };
        let Some(job) = level.remove(i) else {
            return;
        };
        if level.is_empty() {
            queue.remove(&old);
        }
        queue.entry(depth).or_default().push_back(job);
        self.queued_depth.insert(key.to_string(), depth);
    }

    /// Gives `job` the depth (and referrer) of the shortest path found while it was queued or
    /// in flight.
    pub(super) fn refresh(&mut self, job: &mut Job) {
        let key = job.origin.as_str();
        if let Some(depth) = self.depth_of.get(key) {
            job.depth = *depth;
        }
        if let Some(referrer) = self.lowered.remove(key) {
            job.referrer = referrer;
        }
    }

    /// `job` is done with: its row (if any) and its links wait in `pending` until its depth is
    /// final. Its level may now be empty, which makes the rows of the next levels final.
    pub(super) fn settle(&mut self, job: &Job, row: Option<Row>, links: Vec<Url>) {
        let mut job = job.clone();
        self.refresh(&mut job);
        self.unsettle_depth(job.depth);
        let row = row.map(|mut r| {
            r.depth = job.depth;
            r.referrer = job
                .referrer
                .as_ref()
                .map(Url::to_string)
                .unwrap_or_default();
            r
        });
        let key = job.origin.to_string();
        let seq = self.pending_seq;
        self.pending_seq += 1;
        self.pending_order.insert((job.depth, seq), key.clone());
        self.pending.insert(
            key,
            Pending {
                depth: job.depth,
                seq,
                row,
                links,
                from: job.url.clone(),
            },
        );
    }

    fn unsettle_depth(&mut self, depth: u32) {
        if let Some(n) = self.unsettled.get_mut(&depth) {
            *n -= 1;
            if *n == 0 {
                self.unsettled.remove(&depth);
            }
        }
    }

    /// Moves the rows whose depth is final to `rows`, in the order they were settled within
    /// a level. A page at depth d is final once nothing at depth d - 2 or less is unsettled:
    /// every page that could link to it at depth d - 1 has been answered. `all`: everything
    /// (the crawl is over).
    pub(super) fn flush_final(&mut self, all: bool) {
        let shallowest = self.unsettled.keys().next().copied();
        while let Some(entry) = self.pending_order.first_entry() {
            let (depth, _) = *entry.key();
            let is_final = all || shallowest.is_none_or(|m| depth <= m.saturating_add(1));
            if !is_final {
                break;
            }
            let key = entry.remove();
            self.depth_of.remove(&key);
            if let Some(Pending { row: Some(row), .. }) = self.pending.remove(&key) {
                self.rows.push(row);
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
            // It may be refused too (robots.txt, now known): then the claim goes on down the line.
            let before = self.claimed;
            self.offer(url, depth, referrer.as_ref());
            if self.claimed > before {
                break;
            }
        }
    }
}
