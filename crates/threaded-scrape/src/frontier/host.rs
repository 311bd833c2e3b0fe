//! Per-origin state: the queue by depth, the politeness clock, robots.txt.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use url::Url;

use super::Job;
use crate::robots::Robots;

#[derive(Debug)]
pub(super) enum RobotsState {
    /// Not asked for yet: the host's first job is its robots.txt.
    Unknown,
    /// Being fetched: the host's pages wait for it.
    Fetching,
    Known(Robots),
}

/// Politeness and queue state of one origin.
#[derive(Debug)]
pub(super) struct Host {
    /// `http://host:port`, where robots.txt is fetched from.
    pub(super) origin: Url,
    /// Queued jobs by depth, oldest first within a depth: the shallowest go first.
    pub(super) queue: BTreeMap<u32, VecDeque<Job>>,
    /// Jobs waiting for their retry time.
    pub(super) retries: Vec<(Instant, Job)>,
    pub(super) in_flight: usize,
    pub(super) last_start: Option<Instant>,
    /// No request before this (set by a 429's Retry-After: the whole host is asked to slow).
    pub(super) paused_until: Option<Instant>,
    pub(super) robots: RobotsState,
}

impl Host {
    /// When the politeness rules let the next request start.
    pub(super) fn ready_at(&self, delay: Duration) -> Option<Instant> {
        let after_delay = self.last_start.map(|t| t + delay);
        after_delay.max(self.paused_until)
    }

    pub(super) fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.retries.is_empty()
    }

    /// The shallowest queued job, oldest first.
    pub(super) fn pop(&mut self) -> Option<Job> {
        let mut level = self.queue.first_entry()?;
        let job = level.get_mut().pop_front();
        if level.get().is_empty() {
            level.remove();
        }
        job
    }
}
