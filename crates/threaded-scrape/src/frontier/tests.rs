//! Unit tests of the frontier: politeness, robots.txt, redirects, retries, limits, with
//! answers made up on the spot and time passed in by hand.

use std::collections::HashMap;

use super::*;
use crate::fetch::{FetchResult, Page};

fn config(per_host: usize, delay_ms: u64, robots: bool) -> CrawlConfig {
    let start = Url::parse("http://a.test/").unwrap();
    CrawlConfig {
        per_host,
        delay: Duration::from_millis(delay_ms),
        max_pages: 100,
        max_depth: 10,
        retries: 2,
        robots,
        fetch_ext: false,
        scope: Scope::new([&start], &[]),
    }
}

fn urls(list: &[&str]) -> Vec<Url> {
    list.iter().map(|u| Url::parse(u).unwrap()).collect()
}

fn ready(next: Next) -> (u64, FetchRequest) {
    match next {
        Next::Ready(id, request) => (id, request),
        other => panic!("expected a request, got {other:?}"),
    }
}

fn html(links: &[&str]) -> FetchResult {
    FetchResult::Page(Ok(Page {
        status: 200,
        content_type: "text/html".into(),
        links: urls(links),
        ..Page::default()
    }))
}

fn status(code: u16, location: Option<&str>) -> FetchResult {
    FetchResult::Page(Ok(Page {
        status: code,
        content_type: "text/html".into(),
        location: location.map(str::to_string),
        ..Page::default()
    }))
}

#[test]
fn per_host_limit_and_delay_hold() {
    let t0 = Instant::now();
    let starts = urls(&["http://a.test/1", "http://a.test/2", "http://a.test/3"]);
    let mut f = Frontier::new(config(2, 100, false), &starts);
    let (first, _) = ready(f.next(t0));
    // The delay counts from the last start, even with a free slot.
    assert_eq!(
        f.next(t0),
        Next::Wait(Some(t0 + Duration::from_millis(100)))
    );
    let t1 = t0 + Duration::from_millis(100);
    ready(f.next(t1));
    // Two in flight: only an answer can free a slot.
    assert_eq!(f.next(t1 + Duration::from_secs(1)), Next::Wait(None));
    f.complete(first, html(&[]), t1);
    ready(f.next(t1 + Duration::from_secs(1)));
    assert_eq!(f.in_flight(), 2);
}

#[test]
fn robots_comes_first_and_is_obeyed() {
    let t = Instant::now();
    let starts = urls(&["http://a.test/"]);
    let mut f = Frontier::new(config(4, 0, true), &starts);
    let (id, request) = ready(f.next(t));
    assert_eq!(
        request,
        FetchRequest::Robots(Url::parse("http://a.test/").unwrap())
    );
    // Pages wait for the rules.
    assert_eq!(f.next(t), Next::Wait(None));
    let rules = Robots::parse("User-agent: *\nDisallow: /private\n", "threaded-scrape");
    f.complete(
        id,
        FetchResult::Robots {
            rules,
            warning: None,
        },
        t,
    );
    let (id, _) = ready(f.next(t));
    f.complete(
        id,
        html(&[
            "http://a.test/private/x",
            "http://a.test/ok",
            "http://b.test/",
        ]),
        t,
    );
    let (id, request) = ready(f.next(t));
    assert_eq!(
        request,
        FetchRequest::Page(Url::parse("http://a.test/ok").unwrap())
    );
    f.complete(id, html(&["http://a.test/"]), t);
    assert_eq!(f.next(t), Next::Done);
    let outcome = f.finish();
    assert_eq!(outcome.rows.len(), 2);
    assert_eq!(outcome.skipped.robots, 1);
    assert_eq!(outcome.skipped.out_of_scope, 1);
}

#[test]
fn redirect_hops_loops_and_already_crawled_targets() {
    let t = Instant::now();
    let starts = urls(&["http://a.test/", "http://a.test/loop", "http://a.test/r"]);
    let mut f = Frontier::new(config(1, 0, false), &starts);
    // Answer everything until done, like a tiny server.
    let mut fetched = Vec::new();
    while let Next::Ready(id, FetchRequest::Page(url)) = f.next(t) {
        fetched.push(url.path().to_string());
        let answer = match url.path() {
            "/" => html(&[]),
            "/loop" => status(302, Some("/loop2")),
            "/loop2" => status(301, Some("http://A.test/loop#x")),
            "/r" => status(301, Some("/")), // Already crawled: not fetched again.
            other => panic!("unexpected fetch of {other}"),
        };
        f.complete(id, answer, t);
    }
    assert_eq!(fetched, ["/", "/loop", "/loop2", "/r"]);
    let rows = f.finish().rows;
    let by: HashMap<_, _> = rows.iter().map(|r| (r.url.as_str(), r)).collect();
    let looped = by["http://a.test/loop"];
    assert!(looped.error.contains("redirect loop"), "{looped:?}");
    assert_eq!(looped.final_url, "http://a.test/loop2");
    let r = by["http://a.test/r"];
    assert_eq!(
        (r.status, r.final_url.as_str(), r.error.as_str()),
        (Some(301), "http://a.test/", "")
    );
}

/// The regression of the dropped trailing slash: `/docs/` is fetched as `/docs/`, and
/// `/docs` (a link without the slash) is its own URL, whose 301 points at the page crawled.
#[test]
fn the_trailing_slash_is_kept() {
    let t = Instant::now();
    let mut f = Frontier::new(config(1, 0, false), &urls(&["http://a.test/docs/"]));
    let (id, request) = ready(f.next(t));
    assert_eq!(
        request,
        FetchRequest::Page(Url::parse("http://a.test/docs/").unwrap())
    );
    f.complete(id, html(&["http://a.test/docs", "http://a.test/docs/"]), t);
    let (id, request) = ready(f.next(t));
    assert_eq!(
        request,
        FetchRequest::Page(Url::parse("http://a.test/docs").unwrap())
    );
    f.complete(id, status(301, Some("/docs/")), t);
    assert_eq!(f.next(t), Next::Done);
    let rows = f.finish().rows;
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.url.as_str(),
                r.status,
                r.final_url.as_str(),
                r.referrer.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "http://a.test/docs",
                Some(301),
                "http://a.test/docs/",
                "http://a.test/docs/"
            ),
            ("http://a.test/docs/", Some(200), "http://a.test/docs/", ""),
        ]
    );
}

/// The regression of depth by discovery order: `/x` is found first three clicks deep (via
/// `/a` and `/a2`, answered quickly) while `/b`, which links it at two clicks, is still in
/// flight. The crawl does not wait for `/b`, but `/x`'s row is not final until `/b` is
/// answered, and it says depth 2.
#[test]
fn depth_is_the_shortest_click_distance() {
    let t = Instant::now();
    let mut f = Frontier::new(config(8, 0, false), &urls(&["http://a.test/"]));
    let (root, _) = ready(f.next(t));
    f.complete(root, html(&["http://a.test/a", "http://a.test/b"]), t);
    let (a, _) = ready(f.next(t));
    let (b, _) = ready(f.next(t));
    f.complete(a, html(&["http://a.test/a2"]), t);
    let (a2, _) = ready(f.next(t));
    f.complete(a2, html(&["http://a.test/x"]), t);
    let (x, request) = ready(f.next(t));
    assert_eq!(
        request,
        FetchRequest::Page(Url::parse("http://a.test/x").unwrap())
    );
    f.complete(x, html(&["http://a.test/y"]), t);
    // `/b`, at depth 1, may still find `/x` closer: `/x` and `/y` are not written yet.
    let written: Vec<String> = f.new_rows().iter().map(|r| r.url.clone()).collect();
    assert!(!written.iter().any(|u| u.ends_with("/x")), "{written:?}");
    f.complete(b, html(&["http://a.test/x"]), t);
    let (y, _) = ready(f.next(t));
    f.complete(y, html(&[]), t);
    assert_eq!(f.next(t), Next::Done);
    let rows = f.finish().rows;
    let depth = |u: &str| {
        let r = rows.iter().find(|r| r.url == u).unwrap();
        (r.depth, r.referrer.clone())
    };
    assert_eq!(depth("http://a.test/x"), (2, "http://a.test/b".to_string()));
    // And its link moved up with it.
    assert_eq!(depth("http://a.test/y"), (3, "http://a.test/x".to_string()));
}

/// `--max-pages` counts fetched pages: a URL refused by robots.txt gives its claim back.
#[test]
fn max_pages_does_not_count_urls_refused_by_robots() {
    let t = Instant::now();
    let mut c = config(1, 0, true);
    c.max_pages = 3;
    let mut f = Frontier::new(c, &urls(&["http://a.test/", "http://a.test/private/1"]));
    let (id, _) = ready(f.next(t));
    let rules = Robots::parse("User-agent: *\nDisallow: /private\n", "threaded-scrape");
    f.complete(
        id,
        FetchResult::Robots {
            rules,
            warning: None,
        },
        t,
    );
    let mut fetched = Vec::new();
    while let Next::Ready(id, FetchRequest::Page(url)) = f.next(t) {
        fetched.push(url.path().to_string());
        let links = [
            "http://a.test/private/2",
            "http://a.test/a",
            "http://a.test/b",
            "http://a.test/c",
        ];
        f.complete(id, html(if url.path() == "/" { &links } else { &[] }), t);
    }
    assert_eq!(fetched, ["/", "/a", "/b"]);
    assert_eq!(f.finish().skipped.robots, 2);
}

/// Links with a binary extension are not requested, unless `fetch_ext`.
#[test]
fn ignored_extensions_are_not_requested() {
    let t = Instant::now();
    let mut f = Frontier::new(config(1, 0, false), &urls(&["http://a.test/"]));
    let (id, _) = ready(f.next(t));
    f.complete(
        id,
        html(&[
            "http://a.test/a.zip",
            "http://a.test/b.PNG",
            "http://a.test/c.html",
        ]),
        t,
    );
    let (id, request) = ready(f.next(t));
    assert_eq!(
        request,
        FetchRequest::Page(Url::parse("http://a.test/c.html").unwrap())
    );
    f.complete(id, html(&[]), t);
    assert_eq!(f.next(t), Next::Done);
    assert_eq!(f.finish().skipped.extension, 2);
}

#[test]
fn too_many_redirects_is_an_error_row() {
    let t = Instant::now();
    let mut f = Frontier::new(config(1, 0, false), &urls(&["http://a.test/h0"]));
    let mut hops = 0;
    while let Next::Ready(id, FetchRequest::Page(url)) = f.next(t) {
        let k: u32 = url.path()[2..].parse().unwrap();
        hops += 1;
        f.complete(id, status(302, Some(&format!("/h{}", k + 1))), t);
    }
    // The URL itself and five redirects.
    assert_eq!(hops, 1 + MAX_REDIRECTS);
    let rows = f.finish().rows;
    assert!(
        rows[0].error.contains("too many redirects"),
        "{:?}",
        rows[0]
    );
}

#[test]
fn a_429_pauses_the_host_for_retry_after_then_retries() {
    let t0 = Instant::now();
    let starts = urls(&["http://a.test/busy", "http://a.test/other"]);
    let mut f = Frontier::new(config(4, 0, false), &starts);
    let (busy, _) = ready(f.next(t0));
    let (other, _) = ready(f.next(t0));
    let answer = FetchResult::Page(Ok(Page {
        status: 429,
        retry_after: Some(Duration::from_secs(1)),
        ..Page::default()
    }));
    f.complete(busy, answer, t0);
    f.complete(other, html(&["http://a.test/third"]), t0);
    // Even /third, a new URL, waits: the whole host was asked to slow down.
    let later = t0 + Duration::from_secs(1);
    assert_eq!(f.next(t0), Next::Wait(Some(later)));
    let (id, request) = ready(f.next(later));
    assert_eq!(
        request,
        FetchRequest::Page(Url::parse("http://a.test/busy").unwrap())
    );
    f.complete(id, html(&[]), later);
    let (id, _) = ready(f.next(later));
    f.complete(id, html(&[]), later);
    assert_eq!(f.next(later), Next::Done);
    let outcome = f.finish();
    assert_eq!(outcome.retries, 1);
    assert!(outcome.rows.iter().all(|r| r.status == Some(200)));
}

#[test]
fn retries_run_out_and_keep_the_last_status() {
    let t0 = Instant::now();
    let mut f = Frontier::new(config(1, 0, false), &urls(&["http://a.test/down"]));
    let mut now = t0;
    let mut attempts = 0;
    loop {
        match f.next(now) {
            Next::Ready(id, _) => {
                attempts += 1;
                f.complete(id, status(503, None), now);
            }
            Next::Wait(Some(at)) => now = at,
            Next::Wait(None) => panic!("nothing in flight"),
            Next::Done => break,
        }
    }
    // One attempt and two retries, after 250 ms and 500 ms.
    assert_eq!(attempts, 3);
    assert_eq!(now - t0, Duration::from_millis(750));
    let rows = f.finish().rows;
    assert_eq!(rows[0].status, Some(503));
    assert_eq!(rows[0].error_kind.as_deref(), Some("http 503"));
}

#[test]
fn max_pages_and_max_depth_bound_the_crawl() {
    let t = Instant::now();
    let mut c = config(1, 0, false);
    c.max_depth = 2;
    let mut f = Frontier::new(c, &urls(&["http://a.test/0"]));
    while let Next::Ready(id, FetchRequest::Page(url)) = f.next(t) {
        let k: u32 = url.path()[1..].parse().unwrap();
        f.complete(id, html(&[&format!("http://a.test/{}", k + 1)]), t);
    }
    let outcome = f.finish();
    assert_eq!(outcome.rows.len(), 3);
    assert_eq!(outcome.skipped.max_depth, 1);

    let mut c = config(1, 0, false);
    c.max_pages = 4;
    let mut f = Frontier::new(c, &urls(&["http://a.test/0"]));
    while let Next::Ready(id, FetchRequest::Page(url)) = f.next(t) {
        let k: u32 = url.path()[1..].parse().unwrap();
        f.complete(id, html(&[&format!("http://a.test/{}", k + 1)]), t);
    }
    assert_eq!(f.finish().rows.len(), 4);
}
