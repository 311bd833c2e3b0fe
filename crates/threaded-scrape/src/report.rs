//! What a crawl leaves behind: the CSV (`--out`), the summary on stderr, the `--json` record.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;

use crate::crawl::Crawl;

/// One line of the CSV: a URL the crawl fetched, with its redirects followed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Row {
    /// The URL as queued (normalized).
    pub url: String,
    /// Where its redirects led: the last URL fetched, or the already-crawled target.
    pub final_url: String,
    /// The last HTTP status; `None` when no answer came (connection refused, timeout, ...).
    pub status: Option<u16>,
    /// Clicks from a start URL (start URLs are 0; a redirect keeps its origin's depth).
    pub depth: u32,
    pub content_type: String,
    /// Body bytes read (0 when the body was not read: not HTML or not a 2xx).
    pub bytes: u64,
    pub title: String,
    /// `a[href]` count on the page.
    pub links: usize,
    /// Time spent fetching, summed over redirect hops and retries (waits not included).
    pub elapsed_ms: f64,
    /// Empty for a clean 2xx; otherwise what went wrong, naming the URL.
    pub error: String,
    /// The error's kind for the summary ("http 404", "redirect loop", ...), not in the CSV.
    #[serde(skip)]
    pub error_kind: Option<String>,
}

/// Counts for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// Distinct URLs off the allowed hosts (or not http/https after a redirect).
    pub out_of_scope: usize,
    /// Links that are not http(s): `mailto:`, `javascript:`, `tel:`, ...
    pub non_http: usize,
    /// Distinct URLs robots.txt disallowed.
    pub robots: usize,
    /// Distinct URLs not queued because `--max-pages` was reached.
    pub max_pages: usize,
    /// Distinct URLs not queued because they were deeper than `--max-depth`.
    pub max_depth: usize,
}

/// What the frontier learned, once the crawl is over.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub rows: Vec<Row>,
    pub skipped: Skipped,
    pub peak_in_flight: usize,
    pub retries: u64,
    pub warnings: Vec<String>,
    /// The start URLs that got no HTTP answer at all, with why.
    pub failed_starts: Vec<String>,
    /// How many start URLs there were.
    pub start_count: usize,
}

/// The CSV header, in this order. Other tools read these names: keep them stable.
pub const CSV_HEADER: [&str; 10] = [
    "url",
    "final_url",
    "status",
    "depth",
    "content_type",
    "bytes",
    "title",
    "links",
    "elapsed_ms",
    "error",
];

/// Writes one row per fetched URL to `path`.
pub fn write_csv(path: &Path, rows: &[Row]) -> anyhow::Result<()> {
    let context = || format!("cannot write {}", path.display());
    let mut out = csv::WriterBuilder::new()
        .has_headers(false)
        .from_path(path)
        .with_context(context)?;
    out.write_record(CSV_HEADER).with_context(context)?;
    for row in rows {
        out.write_record([
            row.url.as_str(),
            &row.final_url,
            &row.status.map(|s| s.to_string()).unwrap_or_default(),
            &row.depth.to_string(),
            &row.content_type,
            &row.bytes.to_string(),
            &row.title,
            &row.links.to_string(),
            &format!("{:.1}", row.elapsed_ms),
            &row.error,
        ])
        .with_context(context)?;
    }
    out.flush().with_context(context)?;
    Ok(())
}

/// Rows with an error (anything but a clean 2xx or a followed redirect), by kind.
pub fn errors_by_kind(rows: &[Row]) -> BTreeMap<String, usize> {
    let mut kinds = BTreeMap::new();
    for kind in rows.iter().filter_map(|r| r.error_kind.as_ref()) {
        *kinds.entry(kind.clone()).or_insert(0) += 1;
    }
    kinds
}

/// The `--json` timing record (see DESIGN.md): one line, these field names.
#[derive(Debug, serde::Serialize)]
pub struct Record {
    pub demo: &'static str,
    pub mode: &'static str,
    pub workers: usize,
    /// URLs fetched (CSV rows).
    pub items: usize,
    /// Body bytes read.
    pub bytes: u64,
    pub wall_ms: f64,
    /// Every URL got an answer from its server and no worker panicked. An answer that is an
    /// error page (404, 500, a redirect loop) is the site's state, faithfully recorded, not a
    /// failure of the crawl; a URL with no answer at all (timeout, refused) is.
    pub ok: bool,
    /// Rows with an error of any kind (HTTP >= 400, redirect problems, cut off, no answer).
    pub errors: usize,
    /// The most requests the crawler had in flight at once.
    pub peak_in_flight: usize,
    pub per_host: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
}

impl Record {
    pub fn new(crawl: &Crawl, per_host: usize, workload: Option<String>) -> Record {
        let rows = &crawl.outcome.rows;
        let errors = rows.iter().filter(|r| r.error_kind.is_some()).count();
        Record {
            demo: "threaded-scrape",
            mode: crawl.mode.name(),
            workers: crawl.workers,
            items: rows.len(),
            bytes: rows.iter().map(|r| r.bytes).sum(),
            wall_ms: crawl.wall.as_secs_f64() * 1000.0,
            ok: rows.iter().all(|r| r.status.is_some()) && crawl.worker_panics.is_empty(),
            errors,
            peak_in_flight: crawl.outcome.peak_in_flight,
            per_host,
            workload,
        }
    }
}

/// The human summary, several lines, for stderr.
pub fn summary(crawl: &Crawl, per_host: usize) -> String {
    let outcome = &crawl.outcome;
    let rows = &outcome.rows;
    let secs = crawl.wall.as_secs_f64();
    let bytes: u64 = rows.iter().map(|r| r.bytes).sum();
    let mut text = format!(
        "{} crawl: {} worker{}, at most {per_host} per host\n",
        crawl.mode.name(),
        crawl.workers,
        if crawl.workers == 1 { "" } else { "s" }
    );
    text += &format!(
        "  pages:    {} fetched in {secs:.2} s ({:.1} pages/s), {} read\n",
        rows.len(),
        rows.len() as f64 / secs.max(1e-9),
        human_bytes(bytes)
    );
    let kinds = errors_by_kind(rows);
    let errors: usize = kinds.values().sum();
    let list: Vec<String> = kinds.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    text += &format!("  errors:   {errors}");
    if !list.is_empty() {
        text += &format!(" ({})", list.join(", "));
    }
    text += "\n";
    let s = &outcome.skipped;
    text += &format!(
        "  skipped:  {} out of scope, {} non-http links, {} disallowed by robots.txt, \
         {} over --max-pages, {} over --max-depth\n",
        s.out_of_scope, s.non_http, s.robots, s.max_pages, s.max_depth
    );
    text += &format!(
        "  retries:  {}; most requests in flight at once: {}\n",
        outcome.retries, outcome.peak_in_flight
    );
    for warning in &outcome.warnings {
        text += &format!("  warning:  {warning}\n");
    }
    for panic in &crawl.worker_panics {
        text += &format!("  error:    {panic}\n");
    }
    text
}

fn human_bytes(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if bytes as f64 >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB)
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}
