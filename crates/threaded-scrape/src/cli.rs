//! The command line: every flag, its default, and what it turns into.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use url::Url;

use crate::crawl::Mode;
use crate::frontier::CrawlConfig;
use crate::urls::Scope;

const ABOUT: &str = "A polite parallel web crawler: blocking HTTP on worker threads fed by a \
coordinator over channels, with a built-in test site.";

const LONG_ABOUT: &str = "A polite parallel web crawler: blocking HTTP on worker threads fed by a \
coordinator over channels, with a built-in test site.

Without a START_URL it starts its test site on 127.0.0.1, crawls it in both modes and prints a \
table. With START_URLs it crawls them (http and https, on their hosts and --allow-host only), \
obeying robots.txt, --per-host and --delay-ms, and prints a summary on stderr.

Exit status: 0 the crawl ran (some pages may have failed: see the summary and the CSV), 1 no \
start URL could be fetched (or a worker thread panicked), 2 usage error.";

#[derive(Debug, Parser)]
#[command(name = "threaded-scrape", version, about = ABOUT, long_about = LONG_ABOUT)]
pub struct Cli {
    /// Where to start. None: crawl the built-in test site in both modes and print a table.
    #[arg(value_name = "START_URL")]
    pub start_urls: Vec<String>,

    /// Serve the built-in test site only: print its URL on the first line of stdout, then
    /// serve until Ctrl-C or SIGTERM.
    #[arg(long, conflicts_with = "start_urls", help_heading = "Test site")]
    pub serve: bool,

    /// Port for --serve (0: any free port).
    #[arg(long, default_value_t = 0, help_heading = "Test site")]
    pub port: u16,

    /// Pages in the test site's link graph.
    #[arg(long, default_value_t = 200, value_parser = at_least_one, help_heading = "Test site")]
    pub site_pages: usize,

    /// The test site waits this long before answering each request, like a slow backend.
    #[arg(long, default_value_t = 20, help_heading = "Test site")]
    pub site_latency_ms: u64,

    /// How to crawl the START_URLs (the demo without a START_URL runs both).
    #[arg(long, value_enum, default_value_t = Mode::Threads)]
    pub mode: Mode,

    /// Worker threads. More than the CPU count by design: a crawler's threads spend nearly
    /// all their time waiting on the network, not computing.
    #[arg(long, default_value_t = 16, value_parser = at_least_one)]
    pub workers: usize,

    /// Most requests in flight to one host at once.
    #[arg(long, default_value_t = 8, value_parser = at_least_one)]
    pub per_host: usize,

    /// Least time between the starts of two requests to one host, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub delay_ms: u64,

    /// Most URLs fetched (CSV rows), start URLs included.
    #[arg(long, default_value_t = 1000, value_parser = at_least_one)]
    pub max_pages: usize,

    /// Links more than this many clicks from a start URL are not followed.
    #[arg(long, default_value_t = 10)]
    pub max_depth: u32,

    /// Give up on a request after this many seconds, body included.
    #[arg(long, default_value_t = 10.0, value_parser = positive_seconds)]
    pub timeout_s: f64,

    /// Largest body read; longer ones are cut off and flagged. Accepts K, KiB, M, MiB.
    #[arg(long, default_value = "2MiB", value_parser = parse_size)]
    pub max_bytes: u64,

    /// Extra attempts for a timeout, a 429 or a 5xx, with backoff (250 ms, doubling) or the
    /// server's Retry-After (up to 60 s; a 429 pauses the whole host).
    #[arg(long, default_value_t = 2)]
    pub retries: u32,

    /// Do not fetch or obey robots.txt.
    #[arg(long)]
    pub no_robots: bool,

    /// Also crawl this host (repeatable). Compared without the port.
    #[arg(long, value_name = "HOST")]
    pub allow_host: Vec<String>,

    /// Write one CSV row per fetched URL here.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Print the timing record as one JSON line on stdout (human output stays on stderr).
    #[arg(long)]
    pub json: bool,

    /// The `workload` field of the JSON record.
    #[arg(long, value_name = "WORKLOAD")]
    pub label: Option<String>,
}

impl Cli {
    /// The frontier's rules for a crawl of `starts`.
    pub fn crawl_config(&self, starts: &[Url]) -> CrawlConfig {
        CrawlConfig {
            per_host: self.per_host,
            delay: Duration::from_millis(self.delay_ms),
            max_pages: self.max_pages,
            max_depth: self.max_depth,
            retries: self.retries,
            robots: !self.no_robots,
            scope: Scope::new(starts, &self.allow_host),
        }
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs_f64(self.timeout_s)
    }
}

/// A usage error found after parsing (exit status 2), e.g. a start URL that is not http(s).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Parses the start URLs: absolute http or https URLs only.
pub fn parse_start_urls(raw: &[String]) -> Result<Vec<Url>, UsageError> {
    raw.iter()
        .map(|s| {
            let url = Url::parse(s.trim()).map_err(|e| {
                UsageError(format!(
                    "start URL {s:?} is not a URL ({e}); write it in full, e.g. http://{s}/"
                ))
            })?;
            match url.scheme() {
                "http" | "https" if url.host_str().is_some() => Ok(url),
                _ => Err(UsageError(format!(
                    "start URL {s:?}: only http and https URLs can be crawled"
                ))),
            }
        })
        .collect()
}

fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("{s:?} is not a whole number of at least 1")),
    }
}

fn positive_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x > 0.0 && x.is_finite() && x < 1e9 => Ok(x),
        _ => Err(format!("{s:?} is not a positive number of seconds")),
    }
}

/// `2097152`, `512K`, `512KiB`, `2M`, `2MiB` (K and M are powers of 1024 here).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        _ => return Err(format!("{s:?}: unknown size unit (use K, KiB, M or MiB)")),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("{s:?} is not a size of at least 1 byte"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("2MiB"), Ok(2 * 1024 * 1024));
        assert_eq!(parse_size("512k"), Ok(512 * 1024));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("0").is_err());
        assert!(parse_size("2 parsecs").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn start_urls_must_be_absolute_http() {
        assert!(parse_start_urls(&["http://127.0.0.1:1/".into()]).is_ok());
        assert!(parse_start_urls(&["example.com".into()]).is_err());
        assert!(parse_start_urls(&["ftp://example.com/".into()]).is_err());
        assert!(parse_start_urls(&["mailto:a@b.c".into()]).is_err());
    }
}
