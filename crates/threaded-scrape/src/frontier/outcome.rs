//! What the frontier hands back: one [`Row`] per URL settled, the [`Skipped`] counts, and the
//! [`Outcome`] of the whole crawl. Leaf types: the crawl, the writers and the summary all read
//! them, and they import nothing of ours.

use serde::{Serialize, Serializer};

/// One line of the CSV (`--out`) or of `--jsonl`: a URL the crawl fetched, with its redirects
/// followed. The columns are these fields, in this order: other tools read them, keep them
/// stable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The URL as queued (as the link wrote it, fragment dropped).
    pub url: String,
    /// Where its redirects led: the last URL fetched, or the already-crawled target.
    pub final_url: String,
    /// The last HTTP status; empty (`null`) when no answer came (refused, timeout, ...).
    pub status: Option<u16>,
    /// Clicks from a start URL: the shortest path (start URLs are 0; a redirect keeps its
    /// origin's depth).
    pub depth: u32,
    /// The page where this URL was first found at its depth (so a broken link can be
    /// located); empty for a start URL.
    pub referrer: String,
    pub content_type: String,
    /// Body bytes read (0 when the body was not read: not HTML or not a 2xx).
    pub bytes: u64,
    pub title: String,
    /// `<a href>` count on the page.
    pub links: usize,
    /// Time spent fetching, summed over redirect hops and retries (waits not included).
    #[serde(serialize_with = "one_decimal")]
    pub elapsed_ms: f64,
    /// Empty for a clean 2xx; otherwise what went wrong, naming the URL.
    pub error: String,
    /// The error's kind for the summary ("http 404", "redirect loop", ...), not written.
    #[serde(skip)]
    pub error_kind: Option<String>,
}

fn one_decimal<S: Serializer>(ms: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((ms * 10.0).round() / 10.0)
}

/// Counts for the summary: URLs found and not fetched, by why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Distinct URLs off the allowed hosts (or not http/https after a redirect).
    pub out_of_scope: usize,
    /// Distinct URLs outside `--include`/`--exclude`/`--no-parent`.
    pub filtered: usize,
    /// Links that are not http(s): `mailto:`, `javascript:`, `tel:`, ...
    pub non_http: usize,
    /// Distinct URLs robots.txt disallowed.
    pub robots: usize,
    /// Distinct URLs not requested for their file extension (see `--fetch-ext`).
    pub extension: usize,
    /// Links not followed: `rel="nofollow"`, or on a `<meta name="robots" content="nofollow">`
    /// page.
    pub nofollow: usize,
    /// Pages fetched whose row was not written: `<meta name="robots" content="noindex">`.
    pub noindex: usize,
    /// Distinct URLs not queued because `--max-pages` was reached.
    pub max_pages: usize,
    /// Distinct URLs not queued because they were deeper than `--max-depth`.
    pub max_depth: usize,
    /// URLs still queued or waiting for a retry when the crawl was interrupted.
    pub interrupted: usize,
}

/// What the frontier learned, once the crawl is over.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Every row, sorted by URL (the files have them in the order they finished).
    pub rows: Vec<Row>,
    pub skipped: Skipped,
    pub peak_in_flight: usize,
    pub retries: u64,
    pub warnings: Vec<String>,
    /// The start URLs that got no HTTP answer at all, with why.
    pub failed_starts: Vec<String>,
    /// How many start URLs there were.
    pub start_count: usize,
    /// The crawl was stopped (Ctrl-C) before it ran out of URLs.
    pub interrupted: bool,
}
