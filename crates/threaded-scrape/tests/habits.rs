//! The habits of real servers, one fixture each, with the exact requests the server received:
//! directories with and without a slash, clean URLs, robots.txt rules on directories and a
//! robots.txt that redirects to another host, a Latin-1 page, nofollow and noindex, binary
//! files, and 2 MiB of nested tags.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{by_path, read_csv, run, site, stderr, PAGES};
use threaded_scrape::site::{Site, SiteConfig};

fn site_with(clean_urls: bool, robots_redirect: Option<String>) -> Site {
    Site::start(
        "127.0.0.1:0",
        SiteConfig {
            pages: PAGES,
            latency: Duration::from_millis(5),
            clean_urls,
            robots_redirect,
            hosts: 1,
        },
    )
    .expect("start the test site")
}

/// Every request a complete crawl from `/` sends, and how often.
fn expected_hits(clean_urls: bool) -> BTreeMap<String, u64> {
    let mut hits: BTreeMap<String, u64> = (0..=PAGES).map(|i| (format!("/p/{i}"), 1)).collect();
    let once = [
        "/robots.txt",
        "/",
        "/missing",
        "/redirect/1",
        "/redirect/2",
        "/redirect/3",
        "/moved",
        "/loop/a",
        "/loop/b",
        "/redirect/out",
        "/files/blob",
        "/big",
        "/private/open/",
        // The docs tree, each URL as its link wrote it.
        "/docs/",
        "/docs/intro.html",
        "/docs/guide/",
        "/docs/guide/step.html",
        "/docs/api",
        "/docs/api/ref.html",
        "/latin1",
        "/caf%C3%A9.html",
        "/nofollow",
        "/noindex",
        "/from-noindex",
    ];
    hits.extend(once.iter().map(|p| (p.to_string(), 1)));
    hits.extend((0..=5).map(|k| (format!("/hops/{k}"), 1)));
    // Fail once each, then succeed: the retry.
    hits.insert("/flaky".into(), 2);
    hits.insert("/busy".into(), 2);
    if !clean_urls {
        // nginx answers `/docs/api` with a 301 to `/docs/api/`: one hop.
        hits.insert("/docs/api/".into(), 1);
    }
    hits
}

fn crawl(site: &Site, extra: &[&str]) -> (BTreeMap<String, common::CsvRow>, String) {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("out.csv");
    let mut args = vec![
        "--workers",
        "8",
        "--per-host",
        "4",
        "--out",
        csv.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let url = site.url();
    args.push(&url);
    let out = run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    (by_path(&read_csv(&csv), &site.url()), stderr(&out))
}

#[test]
fn a_complete_crawl_sends_exactly_the_expected_requests() {
    let mut runs = vec![("threads", false), ("sequential", true)];
    if common::parallel_modes().contains(&"async") {
        runs.extend([("async", false), ("async", true)]);
    }
    for (mode, clean) in runs {
        let site = site_with(clean, None);
        let (rows, err) = crawl(&site, &["--mode", mode]);
        assert_eq!(
            site.stats().hits,
            expected_hits(clean),
            "{mode}, clean URLs {clean}"
        );

        // Directory URLs keep their slash, and their relative links resolve against it.
        assert_eq!(rows["/docs/"]["status"], "200");
        assert_eq!(rows["/docs/guide/step.html"]["status"], "200");
        assert_eq!(
            rows["/docs/guide/step.html"]["referrer"],
            format!("{}docs/guide/", site.url())
        );
        let api = &rows["/docs/api"];
        let final_path = if clean { "docs/api" } else { "docs/api/" };
        assert_eq!(
            api["final_url"],
            format!("{}{final_path}", site.url()),
            "{api:?}"
        );
        assert!(rows.values().all(|r| r["status"] != "404"
            || r["url"].contains("/p/")
            || r["url"].ends_with("/missing")));

        // A Latin-1 page: its title decoded, its link requested as a browser would.
        assert_eq!(rows["/latin1"]["title"], "Café crème");
        assert_eq!(rows["/caf%C3%A9.html"]["status"], "200");
        // noindex: fetched and followed, no row.
        assert!(!rows.contains_key("/noindex"));
        assert!(rows.contains_key("/from-noindex"));
        assert!(err.contains("1 noindex pages"), "{err}");
        // Binary files by extension: counted, never requested.
        assert!(err.contains("2 by file extension"), "{err}");
        // rel=nofollow on the home page, and the nofollow page's one link.
        assert!(err.contains("2 nofollow links"), "{err}");
    }
}

#[test]
fn follow_nofollow_and_fetch_ext_widen_the_crawl() {
    for mode in common::modes() {
        follow_nofollow_and_fetch_ext_in(mode);
    }
}

fn follow_nofollow_and_fetch_ext_in(mode: &str) {
    let site = site_with(false, None);
    let (rows, _) = crawl(
        &site,
        &[
            "--mode",
            mode,
            "--follow-nofollow",
            "--fetch-ext",
            "--max-depth",
            "1",
        ],
    );
    let hits = site.stats().hits;
    for path in ["/rel-nofollow", "/files/data.bin", "/files/archive.zip"] {
        assert_eq!(hits.get(path), Some(&1), "{path}");
    }
    // The bodies of binary files are still not read.
    assert_eq!(rows["/files/data.bin"]["bytes"], "0");
    // A meta nofollow page is still not followed.
    assert_eq!(hits.get("/never-followed"), None);
}

#[test]
fn a_robots_txt_redirect_to_another_host_is_not_followed() {
    for mode in common::modes() {
        robots_txt_redirect_in(mode);
    }
}

fn robots_txt_redirect_in(mode: &str) {
    let other = site_with(false, None);
    let to = format!("http://localhost:{}/robots.txt", other.addr().port());
    let site = site_with(false, Some(to));
    let (rows, err) = crawl(&site, &["--mode", mode, "--max-depth", "1"]);
    // Not one request to the other host: no robots.txt, as RFC 9309 says for that case.
    assert!(other.stats().hits.is_empty(), "{:?}", other.stats().hits);
    assert!(err.contains("off the allowed hosts"), "{err}");
    assert_eq!(site.stats().hits.get("/robots.txt"), Some(&1));
    assert_eq!(rows["/private/secret"]["status"], "200");
}

#[test]
fn two_mib_of_nested_tags_are_read_to_the_end() {
    for mode in common::modes() {
        nested_tags_in(mode);
    }
}

fn nested_tags_in(mode: &str) {
    let site = site_with(false, None);
    let start = format!("{}nested", site.url());
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("out.csv");
    let csv_arg = csv.to_str().unwrap();
    let out = run(&["--mode", mode, "--max-depth", "1", "--out", csv_arg, &start]);
    assert!(out.status.success(), "{}", stderr(&out));
    let hits = site.stats().hits;
    let want: BTreeMap<String, u64> = [("/robots.txt", 1), ("/nested", 1), ("/after-nested", 1)]
        .iter()
        .map(|(p, n)| (p.to_string(), *n))
        .collect();
    assert_eq!(hits, want);
    let rows = by_path(&read_csv(&csv), &site.url());
    assert_eq!(rows["/nested"]["title"], "Nested");
    assert_eq!(rows["/nested"]["error"], "");
}

#[test]
fn jsonl_rows_have_the_csv_columns() {
    let site = site_with(false, None);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.jsonl");
    let out = run(&[
        "--max-depth",
        "0",
        "--jsonl",
        path.to_str().unwrap(),
        &site.url(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&path).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["url"], site.url());
    assert_eq!(rows[0]["status"], 200);
    assert_eq!(rows[0]["referrer"], "");
}

#[test]
fn a_bad_out_path_fails_before_any_request() {
    for mode in common::modes() {
        bad_out_path_in(mode);
    }
}

fn bad_out_path_in(mode: &str) {
    let site = site_with(false, None);
    let out = run(&[
        "--mode",
        mode,
        "--out",
        "/nonexistent/dir/x.csv",
        &site.url(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("/nonexistent/dir/x.csv"),
        "{}",
        stderr(&out)
    );
    assert!(site.stats().hits.is_empty());
}

#[test]
fn the_start_url_is_fetched_as_given() {
    for mode in common::modes() {
        start_url_as_given_in(mode);
    }
}

fn start_url_as_given_in(mode: &str) {
    let site = site_with(false, None);
    let start = format!("{}docs/guide/", site.url());
    let out = run(&["--mode", mode, "--no-parent", &start]);
    assert!(out.status.success(), "{}", stderr(&out));
    let hits = site.stats().hits;
    // `../intro.html` is above the start directory: --no-parent leaves it out.
    let want: BTreeMap<String, u64> = [
        ("/robots.txt", 1),
        ("/docs/guide/", 1),
        ("/docs/guide/step.html", 1),
    ]
    .iter()
    .map(|(p, n)| (p.to_string(), *n))
    .collect();
    assert_eq!(hits, want);
}

#[test]
fn user_agent_and_headers_go_with_every_request_robots_txt_included() {
    for mode in common::modes() {
        user_agent_and_headers_in(mode);
    }
}

fn user_agent_and_headers_in(mode: &str) {
    let site = site_with(false, None);
    let out = run(&[
        "--mode",
        mode,
        "--max-depth",
        "0",
        "--user-agent",
        "MyBot/2.0 (+http://example.invalid/bot)",
        "--header",
        "X-Token: abc 123",
        &site.url(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stats = site.stats();
    assert_eq!(stats.hits.len(), 2, "{:?}", stats.hits); // robots.txt and the home page.
    let want: std::collections::BTreeSet<String> = [
        "user-agent: MyBot/2.0 (+http://example.invalid/bot)",
        "x-token: abc 123",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(stats.headers_seen, want);
}

#[test]
fn redirects_and_error_pages_keep_their_connection() {
    // One request at a time needs one connection, plus a new one after each body the crawler
    // stops reading: `/big` past --max-bytes and the 64 KiB `/files/blob` (not HTML). The small
    // bodies of redirects and error pages are read to their end, so their connection is kept;
    // dropped unread, each closed its connection (about 20 connections for this site).
    let site = site();
    let out = run(&["--mode", "sequential", "--retries", "0", &site.url()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stats = site.stats();
    let requests: u64 = stats.hits.values().sum();
    assert!(requests > 40, "{requests} requests");
    assert!(
        stats.connections <= 4,
        "{} connections for {requests} requests, one at a time",
        stats.connections
    );
}
