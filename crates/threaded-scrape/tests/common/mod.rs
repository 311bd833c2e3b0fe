//! Helpers shared by the integration tests: the test site in-process, the binary as a user runs it.

#![allow(dead_code)] // Each test file uses its own subset.

/// Prints `SKIP: why` where the person running the tests sees it. Not `eprintln!`: the test
/// harness captures that and shows it only when the test fails, so a check that cannot run
/// here would pass silently. A write to the stderr handle itself is not captured.
#[allow(unused_macros)] // not every test file skips something
macro_rules! skip {
    ($($why:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($why)*);
    }};
}

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use threaded_scrape::site::{Site, SiteConfig};

/// Pages in the tests' site: small, so a crawl takes about a second (most of it the one-time
/// `Retry-After: 1`).
pub const PAGES: usize = 30;

/// A fresh site (its one-time 500 and 429 not yet served) with a short latency.
pub fn site() -> Site {
    Site::start(
        "127.0.0.1:0",
        SiteConfig {
            pages: PAGES,
            latency: Duration::from_millis(5),
            ..SiteConfig::default()
        },
    )
    .expect("start the test site")
}

/// The binary, with proxies from the environment removed: everything here is on 127.0.0.1.
///
/// `THREADED_SCRAPE_BIN` runs the tests against another build (an older commit, to check that
/// a regression test fails without its fix).
pub fn bin() -> Command {
    let path = std::env::var_os("THREADED_SCRAPE_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_threaded-scrape").into());
    let mut cmd = Command::new(path);
    for var in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run threaded-scrape")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// One CSV row as a map from column name to value.
pub type CsvRow = BTreeMap<String, String>;

/// Reads a CSV written by `--out`, checking its header.
pub fn read_csv(path: &Path) -> Vec<CsvRow> {
    let mut reader = csv::Reader::from_path(path).expect("open the CSV");
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header.join(","),
        "url,final_url,status,depth,referrer,content_type,bytes,title,links,elapsed_ms,error"
    );
    reader
        .records()
        .map(|r| {
            let r = r.expect("a CSV record");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// The rows keyed by their URL's path (the site's URLs all share one origin).
pub fn by_path(rows: &[CsvRow], base: &str) -> BTreeMap<String, CsvRow> {
    let mut map = BTreeMap::new();
    for row in rows {
        let path = row["url"]
            .strip_prefix(base.trim_end_matches('/'))
            .unwrap_or(&row["url"]);
        let previous = map.insert(path.to_string(), row.clone());
        assert!(previous.is_none(), "{path} appears twice in the CSV");
    }
    map
}

/// Every URL a complete crawl of a `PAGES`-page site from `/` fetches, as paths.
pub fn expected_paths() -> BTreeSet<String> {
    let mut paths: BTreeSet<String> = (0..=PAGES).map(|i| format!("/p/{i}")).collect(); // /p/PAGES: 404
    for p in [
        "/",
        "/missing",
        "/redirect/1",
        "/loop/a",
        "/hops/0",
        "/redirect/out",
        "/flaky",
        "/busy",
        "/files/blob",
        "/big",
        "/private/open/",
        "/docs/",
        "/docs/intro.html",
        "/docs/guide/",
        "/docs/guide/step.html",
        "/docs/api",
        "/docs/api/ref.html",
        "/latin1",
        "/caf%C3%A9.html",
        "/nofollow",
        "/from-noindex",
    ] {
        paths.insert(p.to_string());
    }
    paths
}

/// Every crawl mode of this build: `async` only with the `async` feature (else a SKIP line).
pub fn modes() -> Vec<&'static str> {
    let mut modes = vec!["sequential"];
    modes.extend(parallel_modes());
    modes
}

/// The modes with many requests in flight: threads, and async where it is built in.
pub fn parallel_modes() -> Vec<&'static str> {
    if cfg!(feature = "async") {
        vec!["threads", "async"]
    } else {
        skip!("SKIP: --mode async: built without the `async` feature");
        vec!["threads"]
    }
}
