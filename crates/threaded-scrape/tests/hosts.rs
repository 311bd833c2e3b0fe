//! The many-origin test site (`--site-hosts`): one crawl spreads over every origin, fetches
//! each page once, and keeps `--per-host` on each origin however many requests are in flight.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{parallel_modes, read_csv, run, stderr};
use threaded_scrape::site::{Site, SiteConfig};

const HOSTS: usize = 8;
const PAGES: usize = 120;

fn many_host_site() -> Site {
    Site::start(
        "127.0.0.1:0",
        SiteConfig {
            pages: PAGES,
            latency: Duration::from_millis(20),
            hosts: HOSTS,
            ..SiteConfig::default()
        },
    )
    .expect("start the test site")
}

/// Crawls the pages only (`--include`: the page graph, not the faults on the first origin),
/// with far more requests in flight than one origin may take.
fn crawl(mode: &str, site: &Site) -> Vec<common::CsvRow> {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("out.csv");
    let out = run(&[
        "--mode",
        mode,
        "--workers",
        "64",
        "--per-host",
        "2",
        "--include",
        r"/p/\d+$|:\d+/$",
        "--out",
        csv.to_str().unwrap(),
        &site.url(),
    ]);
    assert!(out.status.success(), "{mode}: {}", stderr(&out));
    read_csv(&csv)
}

#[test]
fn many_origins_are_crawled_once_each_page_and_politely() {
    for mode in parallel_modes() {
        let site = many_host_site();
        let origins = site.urls();
        assert_eq!(origins.len(), HOSTS);
        let rows = crawl(mode, &site);
        // Each page once, found on its own origin (page i on origin i % HOSTS), plus the home
        // page and the 404 of /p/PAGES.
        let mut want: Vec<String> = (0..=PAGES)
            .map(|i| format!("{}p/{i}", origins[i % HOSTS]))
            .collect();
        want.push(origins[0].clone());
        want.sort();
        let mut got: Vec<String> = rows.iter().map(|r| r["url"].clone()).collect();
        got.sort();
        assert_eq!(got, want, "{mode}");
        let stats = site.stats();
        // robots.txt once per origin, every page once.
        assert!(
            stats.hits.values().all(|&n| n == HOSTS as u64 || n == 1),
            "{mode}: {stats:?}"
        );
        assert_eq!(stats.hits["/robots.txt"], HOSTS as u64, "{mode}");
        // Polite on every origin, and the crawl did use several origins at once.
        let per_host: BTreeMap<String, usize> = stats.peak_in_flight_per_host;
        assert_eq!(per_host.len(), HOSTS, "{mode}: {per_host:?}");
        assert!(per_host.values().all(|&p| p <= 2), "{mode}: {per_host:?}");
        assert!(stats.peak_in_flight > 2, "{mode}: {}", stats.peak_in_flight);
    }
}
