//! The crawler as a user runs it, against the built-in test site started in-process.

#[macro_use]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;

use common::{
    by_path, expected_paths, modes, parallel_modes, read_csv, run, site, stderr, CsvRow, PAGES,
};

/// Crawls a fresh site in `mode` and checks what every complete crawl must satisfy; returns its
/// rows by path, without the two columns that depend on timing: `elapsed_ms`, and `referrer`
/// (one of the pages one click shallower that link to it: which one was answered first).
fn complete_crawl(mode: &str, workers: &str, per_host: usize) -> BTreeMap<String, CsvRow> {
    let site = site();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("out.csv");
    let per_host_arg = per_host.to_string();
    let out = run(&[
        "--mode",
        mode,
        "--workers",
        workers,
        "--per-host",
        &per_host_arg,
        "--out",
        csv.to_str().unwrap(),
        &site.url(),
    ]);
    assert!(out.status.success(), "{mode}: {}", stderr(&out));
    let rows = read_csv(&csv);
    // `by_path` also asserts that no URL appears twice.
    let rows = by_path(&rows, &site.url());
    let found: BTreeSet<String> = rows.keys().cloned().collect();
    assert_eq!(found, expected_paths(), "{mode}: the pages found");

    let stats = site.stats();
    for (path, hits) in &stats.hits {
        // The two pages that fail once are fetched twice, by design: the retry.
        let allowed = if path == "/flaky" || path == "/busy" {
            2
        } else {
            1
        };
        assert_eq!(*hits, allowed, "{mode}: {path} was hit {hits} times");
    }
    assert!(
        stats.peak_in_flight <= per_host,
        "{mode}: {} requests in flight at once, --per-host {per_host}",
        stats.peak_in_flight
    );
    // A referrer is a row's URL, or where its redirects ended (`/docs/api` -> `/docs/api/`).
    let depths: BTreeMap<&str, &str> = rows
        .values()
        .flat_map(|r| {
            [
                (r["url"].as_str(), r["depth"].as_str()),
                (r["final_url"].as_str(), r["depth"].as_str()),
            ]
        })
        .collect();
    rows.iter()
        .map(|(path, row)| {
            let mut row = row.clone();
            // The referrer is a page one click up (empty for the start URL).
            let referrer = row.remove("referrer").unwrap_or_default();
            let depth: u32 = row["depth"].parse().unwrap();
            match depths.get(referrer.as_str()) {
                Some(d) => assert_eq!(*d, (depth - 1).to_string(), "{mode}: {path}"),
                // A noindex page has no row, but it is a referrer.
                None if referrer.ends_with("/noindex") => {}
                None => assert_eq!((referrer.as_str(), depth), ("", 0), "{mode}: {path}"),
            }
            row.remove("elapsed_ms");
            // Each crawl has its own site on its own port: compare with the origin written out.
            let origin = site.url().trim_end_matches('/').to_string();
            for value in row.values_mut() {
                *value = value.replace(&origin, "ORIGIN");
            }
            (path.clone(), row)
        })
        .collect()
}

#[test]
fn every_mode_fetches_every_page_exactly_once_and_they_agree() {
    let sequential = complete_crawl("sequential", "1", 1);
    for mode in parallel_modes() {
        let parallel = complete_crawl(mode, "8", 4);
        // The same rows: pages, final URLs, statuses, depths (the shortest click distance in
        // every mode), content types, bytes, titles, links and errors.
        assert_eq!(sequential, parallel, "sequential against {mode}");
    }
}

#[test]
fn each_fault_is_the_right_row() {
    for mode in modes() {
        each_fault_is_the_right_row_in(mode);
    }
}

fn each_fault_is_the_right_row_in(mode: &str) {
    let site = site();
    let base = site.url();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("out.csv");
    let out = run(&[
        "--mode",
        mode,
        "--workers",
        "8",
        "--per-host",
        "4",
        "--out",
        csv.to_str().unwrap(),
        &base,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = read_csv(&csv);
    let rows = by_path(&rows, &base);
    let hits = site.stats().hits;
    let hit = |path: &str| hits.get(path).copied().unwrap_or(0);
    let url = |path: &str| format!("{}{path}", base.trim_end_matches('/'));

    // Pages that do not exist: rows with their status.
    for path in [format!("/p/{PAGES}"), "/missing".to_string()] {
        assert_eq!(rows[&path]["status"], "404", "{path}");
        assert!(rows[&path]["error"].contains("HTTP 404"), "{path}");
    }

    // The redirect chain is followed; its target counts as visited.
    let chain = &rows["/redirect/1"];
    assert_eq!(
        (chain["status"].as_str(), chain["final_url"].as_str()),
        ("200", url("/moved").as_str())
    );
    assert_eq!(chain["error"], "");
    assert_eq!(chain["title"], "/moved");
    assert_eq!(
        (hit("/redirect/2"), hit("/redirect/3"), hit("/moved")),
        (1, 1, 1)
    );

    // The loop is an error row, and neither end of it was fetched twice.
    let looped = &rows["/loop/a"];
    assert!(looped["error"].contains("redirect loop"), "{looped:?}");
    assert_eq!((hit("/loop/a"), hit("/loop/b")), (1, 1));

    // Endless redirects stop after five hops.
    assert!(rows["/hops/0"]["error"].contains("too many redirects"));
    assert_eq!(hit("/hops/5"), 1);
    assert_eq!(hit("/hops/6"), 0);

    // Out of scope: neither the link nor the redirect to another host is followed.
    assert!(rows["/redirect/out"]["error"].contains("out of scope"));
    assert_eq!(rows["/redirect/out"]["status"], "302");
    assert!(rows
        .values()
        .all(|r| !r["final_url"].contains("other.invalid")));
    assert!(stderr(&out).contains("2 out of scope"), "{}", stderr(&out));

    // robots.txt: fetched once, before anything else; its Disallow obeyed, its Allow too.
    assert_eq!(hit("/robots.txt"), 1);
    assert_eq!(hit("/private/secret"), 0);
    assert!(!rows.contains_key("/private/secret"));
    assert_eq!(rows["/private/open/"]["status"], "200");
    assert_eq!(hit("/blocked/"), 0);

    // 500 once and 429 once (Retry-After: 1): retried, then 200.
    for path in ["/flaky", "/busy"] {
        assert_eq!(rows[path]["status"], "200", "{path}");
        assert_eq!(rows[path]["error"], "", "{path}");
        assert_eq!(hit(path), 2, "{path}");
    }

    // The oversized page is cut at --max-bytes and flagged; the link past the cut is unseen.
    let big = &rows["/big"];
    assert_eq!(big["status"], "200");
    assert_eq!(big["bytes"], (2 * 1024 * 1024).to_string());
    assert!(big["error"].contains("cut off"), "{big:?}");
    assert_eq!(big["title"], "Big page");
    assert_eq!(hit("/after-cut"), 0);

    // The binary file is not read, let alone parsed: the link hidden in it is never followed.
    let bin = &rows["/files/blob"];
    assert_eq!(bin["status"], "200");
    assert_eq!(bin["content_type"], "application/octet-stream");
    assert_eq!(
        (
            bin["bytes"].as_str(),
            bin["links"].as_str(),
            bin["title"].as_str()
        ),
        ("0", "0", "")
    );
    assert_eq!(hit("/from-binary"), 0);

    // Files whose extension says they are not HTML are not even requested.
    assert_eq!((hit("/files/data.bin"), hit("/files/archive.zip")), (0, 0));
    assert!(!rows.contains_key("/files/data.bin"));

    // Every spelling of a page led to one fetch (`/p/%37` is `/p/7`).
    assert!(
        hits.keys()
            .all(|p| !p.contains('%') || p == "/caf%C3%A9.html"),
        "{hits:?}"
    );
    assert_eq!(rows["/p/0"]["depth"], "1");
    assert_eq!(rows["/p/0"]["referrer"], base);
    assert_eq!(rows["/"]["referrer"], "");
}

#[test]
fn without_retries_the_500_and_429_stay_rows() {
    let site = site();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("out.csv");
    let out = run(&[
        "--retries",
        "0",
        "--out",
        csv.to_str().unwrap(),
        &site.url(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = read_csv(&csv);
    let rows = by_path(&rows, &site.url());
    assert_eq!(rows["/flaky"]["status"], "500");
    assert_eq!(rows["/busy"]["status"], "429");
    assert!(rows["/busy"]["error"].contains("HTTP 429"));
    assert_eq!(site.stats().hits["/busy"], 1);
}

#[test]
fn no_robots_fetches_what_robots_txt_disallows() {
    let site = site();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("out.csv");
    let out = run(&["--no-robots", "--out", csv.to_str().unwrap(), &site.url()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = by_path(&read_csv(&csv), &site.url());
    assert_eq!(rows["/private/secret"]["status"], "200");
    assert!(!site.stats().hits.contains_key("/robots.txt"));
}

#[test]
fn an_unreachable_start_url_exits_1_with_a_clear_message() {
    // A port that was just free: nothing listens there, so the connection is refused.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    for mode in modes() {
        let out = run(&["--mode", mode, "--timeout-s", "5", &url]);
        assert_eq!(out.status.code(), Some(1), "{mode}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("no start URL could be fetched"),
            "{mode}: {err}"
        );
        assert!(err.contains(&url), "{mode}: {err}");
        assert!(err.contains("connect: 1"), "{mode}: {err}");
    }
}

#[test]
fn a_server_slower_than_timeout_s_is_a_timeout_row() {
    let site = threaded_scrape::site::Site::start(
        "127.0.0.1:0",
        threaded_scrape::site::SiteConfig {
            latency: std::time::Duration::from_millis(1500),
            ..Default::default()
        },
    )
    .unwrap();
    for mode in modes() {
        let args = [
            "--mode",
            mode,
            "--timeout-s",
            "0.3",
            "--retries",
            "0",
            "--max-depth",
            "0",
        ];
        let out = run(&[&args[..], &[site.url().as_str()]].concat());
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{mode}: {err}");
        assert!(err.contains("timeout: 1"), "{mode}: {err}");
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["--workers", "0", "http://127.0.0.1:1/"][..],
        &["not a url"][..],
        &["ftp://127.0.0.1/"][..],
        &["--max-bytes", "lots", "http://127.0.0.1:1/"][..],
        &["--mode", "processes", "http://127.0.0.1:1/"][..],
        &["--serve", "http://127.0.0.1:1/"][..],
        // Bounds: each of these aborted, hung or ran away before.
        &["--workers", "100000", "http://127.0.0.1:1/"][..],
        &["--per-host", "0", "http://127.0.0.1:1/"][..],
        &["--delay-ms", "18446744073709551615", "http://127.0.0.1:1/"][..],
        &["--max-bytes", "100GiB", "http://127.0.0.1:1/"][..],
        &["--retries", "1000", "http://127.0.0.1:1/"][..],
        &["--timeout-s", "1e12", "http://127.0.0.1:1/"][..],
        &["--header", "no colon", "http://127.0.0.1:1/"][..],
        &["--include", "(", "http://127.0.0.1:1/"][..],
        &["--ca-file", "/nonexistent.pem", "http://127.0.0.1:1/"][..],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty(), "{args:?}");
    }
}

/// Crawls the trap (`?page=K` links to `?page=K+1` forever) with `limit`; returns its rows
/// and how many trap pages the site served.
fn crawl_trap(limit: &[&str]) -> (usize, u64) {
    let site = site();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("out.csv");
    let start = format!("{}trap?page=0", site.url());
    let mut args = vec!["--out", csv.to_str().unwrap(), start.as_str()];
    args.extend_from_slice(limit);
    let out = run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = read_csv(&csv);
    let served: u64 = site
        .stats()
        .hits
        .iter()
        .filter(|(path, _)| path.starts_with("/trap"))
        .map(|(_, n)| n)
        .sum();
    (rows.len(), served)
}

#[test]
fn a_link_trap_stops_at_max_pages() {
    assert_eq!(
        crawl_trap(&["--max-pages", "7", "--max-depth", "1000"]),
        (7, 7)
    );
}

#[test]
fn a_link_trap_stops_at_max_depth() {
    // Depths 0 to 4: five pages.
    assert_eq!(crawl_trap(&["--max-depth", "4"]), (5, 5));
}

#[test]
fn json_prints_one_record_with_the_contract_fields() {
    for mode in parallel_modes() {
        json_record_of(mode);
    }
}

fn json_record_of(mode: &str) {
    let site = site();
    let out = run(&[
        "--mode",
        mode,
        "--workers",
        "4",
        "--per-host",
        "4",
        "--json",
        "--label",
        "tiny",
        &site.url(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let record: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(record["demo"], "threaded-scrape");
    assert_eq!(record["mode"], mode);
    assert_eq!(record["workers"], 4);
    assert_eq!(record["workload"], "tiny");
    assert_eq!(record["items"], expected_paths().len());
    assert!(record["bytes"].as_u64().unwrap() > 2 * 1024 * 1024);
    assert!(record["wall_ms"].is_f64());
    // Every URL got an answer: the site's error pages are rows, not failures of the crawl.
    assert_eq!(record["ok"], true);
    assert_eq!(record["errors"], 6);
    let peak = record["peak_in_flight"].as_u64().unwrap();
    assert!((1..=4).contains(&peak), "{peak}");
    // The process's peak RSS, in KiB: more than a megabyte, less than a gigabyte.
    let rss = record["peak_rss_kb"].as_u64().unwrap();
    assert!((1024..1024 * 1024).contains(&rss), "{rss}");
    // The summary went to stderr.
    assert!(stderr(&out).contains("most requests in flight"));
}

#[test]
fn without_a_start_url_it_crawls_its_own_site_in_every_mode() {
    let out = run(&["--site-pages", "10", "--site-latency-ms", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout.clone()).unwrap();
    let modes: Vec<&str> = table
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| !w.starts_with('('))
        .collect();
    assert_eq!(modes, self::modes(), "{table}");
    assert!(
        !stderr(&out).contains("different pages"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn async_mode_in_a_build_without_it_is_a_usage_error() {
    if cfg!(feature = "async") {
        skip!("SKIP: this build has the `async` feature (run with --no-default-features)");
        return;
    }
    let out = run(&["--mode", "async", "http://127.0.0.1:1/"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("async"), "{}", stderr(&out));
}
