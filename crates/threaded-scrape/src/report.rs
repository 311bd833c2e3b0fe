//! What a crawl leaves behind besides its rows: the summary on stderr and the `--json` record.

use std::collections::BTreeMap;

use crate::crawl::Crawl;
use crate::frontier::Row;

/// Rows with an error (anything but a clean 2xx or a followed redirect), by kind.
pub fn errors_by_kind(rows: &[Row]) -> BTreeMap<String, usize> {
    let mut kinds = BTreeMap::new();
    for kind in rows.iter().filter_map(|r| r.error_kind.as_ref()) {
        *kinds.entry(kind.clone()).or_insert(0) += 1;
    }
    kinds
}

/// The `--json` timing record: one line, these field names (the report tool reads them).
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
    /// CPU time of the process during the crawl (all threads, user + system), in
    /// milliseconds: `cpu_ms / items` is the CPU cost of a page.
    pub cpu_ms: f64,
    /// The crawl was stopped by Ctrl-C.
    pub interrupted: bool,
    /// Peak resident memory of the crawl's process, in KiB (`getrusage` `ru_maxrss`).
    pub peak_rss_kb: u64,
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
            cpu_ms: crawl.cpu.as_secs_f64() * 1000.0,
            interrupted: crawl.outcome.interrupted,
            peak_rss_kb: crawl.peak_rss_kb,
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
        "  skipped:  {} out of scope, {} filtered (--include/--exclude/--no-parent), {} non-http \
         links, {} disallowed by robots.txt, {} by file extension (--fetch-ext), {} nofollow \
         links, {} noindex pages (fetched, no row), {} over --max-pages, {} over --max-depth\n",
        s.out_of_scope,
        s.filtered,
        s.non_http,
        s.robots,
        s.extension,
        s.nofollow,
        s.noindex,
        s.max_pages,
        s.max_depth
    );
    text += &format!(
        "  retries:  {}; most requests in flight at once: {}\n",
        outcome.retries, outcome.peak_in_flight
    );
    text += &format!(
        "  cpu:      {:.0} ms in all ({:.2} ms per page); peak memory {:.1} MiB\n",
        crawl.cpu.as_secs_f64() * 1000.0,
        crawl.cpu.as_secs_f64() * 1000.0 / rows.len().max(1) as f64,
        crawl.peak_rss_kb as f64 / 1024.0,
    );
    if outcome.interrupted {
        text += &format!(
            "  stopped:  interrupted by Ctrl-C: {} URLs not fetched, {} requests given up on\n",
            s.interrupted, crawl.abandoned
        );
    }
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
