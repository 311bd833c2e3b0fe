//! The command line: every flag, its default, and what it turns into.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use regex::Regex;
use url::Url;

use crate::crawl::Mode;
use crate::fetch::{read_ca_file, FetchOptions, USER_AGENT};
use crate::frontier::CrawlConfig;
use crate::urls::Scope;

/// Most worker threads (and requests per host): far more than any site should get from one
/// client, far fewer than the thousands of stacks that would exhaust memory.
pub const MAX_WORKERS: usize = 4096;

const ABOUT: &str = "A polite parallel web crawler: blocking HTTP on worker threads fed by a \
coordinator over channels (or async tasks on tokio), with a built-in test site.";

const LONG_ABOUT: &str = "A polite parallel web crawler: blocking HTTP on worker threads fed by a \
coordinator over channels (or async tasks on tokio, --mode async), with a built-in test site.

Without a START_URL it starts its test site on 127.0.0.1, crawls it in every mode (sequential, \
threads, async) and prints a table. With START_URLs it crawls them (http and https, on their hosts and --allow-host only), \
obeying robots.txt, --per-host and --delay-ms, and prints a summary on stderr.

Every request goes through the same checks, each redirect hop and each robots.txt redirect \
included: http(s) only, on the start URLs' hosts and --allow-host only, inside --no-parent, \
--include and --exclude, allowed by robots.txt. Links with a non-HTML extension (.zip, .png, \
.pdf, ...) are not requested unless --fetch-ext; bodies that are not HTML are not read.

Rows are written to --out (CSV) or --jsonl as pages finish. The first Ctrl-C stops the crawl: \
it waits --grace-s for the requests in flight, writes the summary and exits 130; a second \
Ctrl-C exits at once.

Exit status: 0 the crawl ran (some pages may have failed: see the summary and the CSV), 1 no \
start URL could be fetched (or a worker thread panicked or could not start, or the output \
could not be written), 2 usage error, 130 interrupted.";

#[derive(Debug, Parser)]
#[command(name = "threaded-scrape", version, about = ABOUT, long_about = LONG_ABOUT)]
pub struct Cli {
    /// Where to start. None: crawl the built-in test site in every mode and print a table.
    #[arg(value_name = "START_URL")]
    pub start_urls: Vec<String>,

    /// Serve the built-in test site only: print its URL on the first line of stdout, then
    /// serve until Ctrl-C or SIGTERM.
    #[arg(long, conflicts_with = "start_urls", help_heading = "Test site")]
    pub serve: bool,

    /// Port for --serve (0: any free port).
    #[arg(long, default_value_t = 0, help_heading = "Test site")]
    pub port: u16,

    /// Pages in the test site's link graph (1 to 1000000).
    #[arg(long, default_value_t = 200, value_parser = bounded(1, 1_000_000), help_heading = "Test site")]
    pub site_pages: usize,

    /// The test site waits this long before answering each request, like a slow backend
    /// (at most 60000).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=60_000), help_heading = "Test site")]
    pub site_latency_ms: u64,

    /// The test site serves `/dir` and `/dir/` alike, with no redirect, like nginx's
    /// `try_files $uri $uri/index.html`.
    #[arg(long, help_heading = "Test site")]
    pub site_clean_urls: bool,

    /// The test site serves this many origins at once: one port each on 127.0.0.1 (the first
    /// is --port), page i on origin i % N, linked there by its absolute URL; --per-host
    /// applies to each (1 to 1024).
    #[arg(long, default_value_t = 1, value_parser = bounded(1, 1024), help_heading = "Test site")]
    pub site_hosts: usize,

    /// How to crawl the START_URLs (the demo without a START_URL runs each).
    #[arg(long, value_enum, default_value_t = Mode::Threads)]
    pub mode: Mode,

    /// Worker threads, or for async the requests in flight (1 to 4096). More than the CPU
    /// count by design: a crawler's requests spend nearly all their time waiting on the
    /// network, not computing.
    #[arg(long, default_value_t = 16, value_parser = bounded(1, MAX_WORKERS))]
    pub workers: usize,

    /// Most requests in flight to one host at once (1 to 4096).
    #[arg(long, default_value_t = 8, value_parser = bounded(1, MAX_WORKERS))]
    pub per_host: usize,

    /// Least time between the starts of two requests to one host, in milliseconds (at most
    /// 3600000, an hour).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub delay_ms: u64,

    /// Most pages fetched (CSV rows), start URLs included. URLs refused by robots.txt or
    /// skipped for their extension do not count.
    #[arg(long, default_value_t = 1000, value_parser = bounded(1, usize::MAX))]
    pub max_pages: usize,

    /// Links more than this many clicks from a start URL are not followed.
    #[arg(long, default_value_t = 10)]
    pub max_depth: u32,

    /// Give up on a request after this many seconds, body included (at most 86400).
    #[arg(long, default_value_t = 10.0, value_parser = positive_seconds)]
    pub timeout_s: f64,

    /// Largest body read; longer ones are cut off and flagged. Accepts K, KiB, M, MiB (at most
    /// 1GiB).
    #[arg(long, default_value = "2MiB", value_parser = parse_size)]
    pub max_bytes: u64,

    /// Extra attempts for a timeout, a 429 or a 5xx (at most 10), with backoff (250 ms,
    /// doubling) or the server's Retry-After (up to 60 s; a 429 pauses the whole host).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,

    /// After the first Ctrl-C, wait at most this many seconds for the requests in flight
    /// before writing the summary (at most 86400).
    #[arg(long, default_value_t = 2.0, value_parser = non_negative_seconds)]
    pub grace_s: f64,

    /// Do not fetch or obey robots.txt.
    #[arg(long)]
    pub no_robots: bool,

    /// Also crawl this host (repeatable). Compared without the port.
    #[arg(long, value_name = "HOST", help_heading = "Scope")]
    pub allow_host: Vec<String>,

    /// Do not go above the start URL's directory: from `/docs/3/index.html`, only URLs
    /// under `/docs/3/` (wget's --no-parent).
    #[arg(long, help_heading = "Scope")]
    pub no_parent: bool,

    /// Only request URLs this regex matches (repeatable: any of them). Matched against the
    /// whole URL, e.g. `\.html$|/$`.
    #[arg(long, value_name = "REGEX", value_parser = parse_regex, help_heading = "Scope")]
    pub include: Vec<Regex>,

    /// Never request URLs this regex matches (repeatable), e.g. `/genindex|\?sort=`.
    #[arg(long, value_name = "REGEX", value_parser = parse_regex, help_heading = "Scope")]
    pub exclude: Vec<Regex>,

    /// Also request URLs whose path ends in a non-HTML extension (.zip, .png, .pdf, .mp4,
    /// .woff2, ... : Scrapy's default ignore list, plus fonts). Their bodies are still not read.
    #[arg(long, help_heading = "Scope")]
    pub fetch_ext: bool,

    /// Follow `rel="nofollow"` links too (a `<meta name="robots" content="nofollow">` page is
    /// still not followed).
    #[arg(long, help_heading = "Scope")]
    pub follow_nofollow: bool,

    /// The User-Agent header; its first word is also the name robots.txt groups are matched
    /// against.
    #[arg(long, value_name = "UA", default_value = USER_AGENT, help_heading = "Requests")]
    pub user_agent: String,

    /// An extra request header, `'Name: value'` (repeatable), sent with every request,
    /// robots.txt included.
    #[arg(long = "header", value_name = "'NAME: VALUE'", value_parser = parse_header, help_heading = "Requests")]
    pub headers: Vec<(String, String)>,

    /// Trust the CA certificates in this PEM file too (the operating system's store is
    /// always trusted).
    #[arg(long, value_name = "PEM", value_parser = parse_ca_file, help_heading = "Requests")]
    pub ca_file: Option<CaFile>,

    /// Write one CSV row per fetched URL here, as each page finishes.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "jsonl",
        help_heading = "Output"
    )]
    pub out: Option<PathBuf>,

    /// Write one JSON object per fetched URL and line here, as each page finishes (the CSV's
    /// columns as fields).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub jsonl: Option<PathBuf>,

    /// Print the timing record as one JSON line on stdout (human output stays on stderr).
    #[arg(long, help_heading = "Output")]
    pub json: bool,

    /// The `workload` field of the JSON record.
    #[arg(long, value_name = "WORKLOAD", help_heading = "Output")]
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
            fetch_ext: self.fetch_ext,
            scope: self.scope(starts),
        }
    }

    /// What the crawl may request.
    pub fn scope(&self, starts: &[Url]) -> Scope {
        Scope::new(starts, &self.allow_host)
            .no_parent(self.no_parent)
            .filters(self.include.clone(), self.exclude.clone())
    }

    /// The HTTP client's settings for a crawl of `starts`.
    pub fn fetch_options(&self, starts: &[Url]) -> FetchOptions {
        FetchOptions {
            timeout: Duration::from_secs_f64(self.timeout_s),
            max_bytes: self.max_bytes,
            workers: self.workers,
            per_host: self.per_host,
            user_agent: self.user_agent.clone(),
            headers: self.headers.clone(),
            extra_roots: self
                .ca_file
                .as_ref()
                .map(|f| f.0.clone())
                .unwrap_or_default(),
            follow_nofollow: self.follow_nofollow,
            scope: self.scope(starts),
        }
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

/// A whole number in `min..=max`.
fn bounded(
    min: usize,
    max: usize,
) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync + 'static {
    move |s: &str| match s.trim().parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ if max == usize::MAX => Err(format!("{s:?} is not a whole number of at least {min}")),
        _ => Err(format!("{s:?} is not a whole number from {min} to {max}")),
    }
}

fn positive_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x > 0.0 && x <= 86_400.0 => Ok(x),
        _ => Err(format!(
            "{s:?} is not a number of seconds above 0 and at most 86400"
        )),
    }
}

fn non_negative_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if (0.0..=86_400.0).contains(&x) => Ok(x),
        _ => Err(format!("{s:?} is not a number of seconds from 0 to 86400")),
    }
}

/// The certificates of `--ca-file`, read when the command line is parsed: a missing or bad
/// file is a usage error, before any request.
#[derive(Clone)]
pub struct CaFile(pub Vec<ureq::tls::Certificate<'static>>);

impl std::fmt::Debug for CaFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CaFile({} certificates)", self.0.len())
    }
}

fn parse_ca_file(s: &str) -> Result<CaFile, String> {
    read_ca_file(std::path::Path::new(s)).map(CaFile)
}

fn parse_regex(s: &str) -> Result<Regex, String> {
    Regex::new(s).map_err(|e| format!("{s:?} is not a regex: {e}"))
}

/// `'Name: value'`: a header name (an HTTP token) and a value without line breaks.
fn parse_header(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?} is not a header: write it 'Name: value'"))?;
    let name = name.trim();
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(format!("{name:?} is not a header name"));
    }
    if value.contains(['\r', '\n']) {
        return Err(format!("the value of header {name} has a line break"));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// The largest `--max-bytes`: a crawler that reads a gigabyte per page is misconfigured.
const MAX_BODY: u64 = 1024 * 1024 * 1024;

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
        .filter(|n| (1..=MAX_BODY).contains(n))
        .ok_or_else(|| format!("{s:?} is not a size from 1 byte to 1GiB"))
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
        assert!(parse_size("2GiB").is_err());
        assert!(parse_size("99999999999999999999").is_err());
    }

    #[test]
    fn headers() {
        assert_eq!(
            parse_header("X-Token:  abc "),
            Ok(("X-Token".to_string(), "abc".to_string()))
        );
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("bad name: x").is_err());
        assert!(parse_header("X: a\r\nInjected: b").is_err());
    }

    #[test]
    fn start_urls_must_be_absolute_http() {
        assert!(parse_start_urls(&["http://127.0.0.1:1/".into()]).is_ok());
        assert!(parse_start_urls(&["example.com".into()]).is_err());
        assert!(parse_start_urls(&["ftp://example.com/".into()]).is_err());
        assert!(parse_start_urls(&["mailto:a@b.c".into()]).is_err());
    }
}
