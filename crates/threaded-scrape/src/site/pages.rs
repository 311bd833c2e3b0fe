//! What the test site serves: the pages, the faults, robots.txt (see `mod.rs` for the list).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::http::Response;
use super::State;

/// Size of `/big`: more than the crawler's default `--max-bytes` (2 MiB).
pub const BIG_PAGE_BYTES: usize = 2 * 1024 * 1024 + 64 * 1024;
/// Size of `/files/data.bin`.
pub const BINARY_BYTES: usize = 64 * 1024;
/// Children per page. A wide tree is shallow (500 pages are 4 clicks below `/p/0`), so a
/// crawl soon knows more URLs than it has workers and the workers are never starved.
pub const FAN_OUT: usize = 8;

/// The answer to `target` (path and query); `host` is the `Host` the client asked for, used in
/// the absolute links.
pub(super) fn route(target: &str, host: &str, state: &State) -> Response {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let n = state.pages;
    match path {
        "/robots.txt" => text(
            200,
            "text/plain",
            "User-agent: *\nDisallow: /private/\nAllow: /private/open\n",
        ),
        "/" => html(200, &home(n)),
        "/redirect/1" => redirect(301, "/redirect/2"),
        "/redirect/2" => redirect(302, "3"), // A relative Location: resolves to /redirect/3.
        "/redirect/3" => redirect(307, "/moved"),
        "/loop/a" => redirect(302, "/loop/b"),
        "/loop/b" => redirect(302, "/loop/a"),
        "/redirect/out" => redirect(302, "http://other.invalid/landing"),
        "/flaky" if !state.flaky_failed.swap(true, Ordering::SeqCst) => {
            html(500, &leaf("Server error", "try again"))
        }
        "/busy" if !state.busy_refused.swap(true, Ordering::SeqCst) => {
            let mut response = html(429, &leaf("Too many requests", "slow down"));
            response.headers.push(("Retry-After", "1".to_string()));
            response
        }
        "/moved" | "/flaky" | "/busy" | "/private/open" | "/private/secret" | "/after-cut"
        | "/from-binary" => html(200, &leaf(path, "a leaf page")),
        "/files/data.bin" => bytes(&state.binary, "application/octet-stream"),
        "/big" => bytes(&state.big, "text/html; charset=utf-8"),
        "/trap" => {
            let k: u64 = query
                .strip_prefix("page=")
                .and_then(|k| k.parse().ok())
                .unwrap_or(0);
            html(200, &trap(k))
        }
        _ => {
            if let Some(rest) = path.strip_prefix("/hops/") {
                let k: u64 = rest.parse().unwrap_or(0);
                return redirect(302, &format!("/hops/{}", k + 1));
            }
            if let Some(rest) = path.strip_prefix("/p/") {
                // `/p/7/` is a spelling of `/p/7`: send the client to the canonical one.
                if let Some(i) = rest.strip_suffix('/').and_then(|i| i.parse::<usize>().ok()) {
                    if i < n {
                        return redirect(301, &format!("/p/{i}"));
                    }
                }
                if let Ok(i) = rest.parse::<usize>() {
                    if i < n {
                        return html(200, &page(i, n, host));
                    }
                }
            }
            html(404, &leaf("Not found", path))
        }
    }
}

/// The home page: the way into the page graph (the first pages, so a crawl soon has plenty
/// to fetch at once), and every fault.
fn home(n: usize) -> String {
    let sections: String = (1..FAN_OUT.min(n))
        .map(|i| format!("<a href=\"/p/{i}\">section {i}</a>\n"))
        .collect();
    format!(
        r#"<!doctype html><html><head><title>threaded-scrape test site</title></head><body>
<h1>Test site ({n} pages)</h1>
<ul>
<li><a href="p/0">the first page</a></li>
<li>{sections}</li>
<li><a href="/p/{n}">a page that does not exist (404)</a></li>
<li><a href="/missing">another missing page (404)</a></li>
<li><a href="/redirect/1">a redirect chain</a></li>
<li><a href="/loop/a">a redirect loop</a></li>
<li><a href="/hops/0">endless redirects</a></li>
<li><a href="/redirect/out">a redirect to another host</a></li>
<li><a href="/flaky">500 once, then 200</a></li>
<li><a href="/busy">429 once, then 200</a></li>
<li><a href="/files/data.bin">a binary file</a></li>
<li><a href="/big">a page larger than 2 MiB</a></li>
<li><a href="/private/secret">disallowed by robots.txt</a></li>
<li><a href="/private/open">allowed by robots.txt</a></li>
<li><a href="http://other.invalid/">another host</a></li>
<li><a href="mailto:nobody@example.invalid">mail</a>
<a href="javascript:void(0)">script</a> <a href="tel:+10000000000">phone</a></li>
</ul></body></html>
"#
    )
}

/// Page `i` of `n`: children, parent, next, home, each in another spelling.
fn page(i: usize, n: usize, host: &str) -> String {
    let mut links = String::new();
    let spellings: [fn(usize, &str) -> String; 4] = [
        |c: usize, _: &str| format!("{c}"),
        |c: usize, _: &str| format!("./{c}"),
        |c: usize, _: &str| format!("../p/{c}"),
        |c: usize, host: &str| format!("http://{host}/p/{c}"),
    ];
    for k in 1..=FAN_OUT {
        let c = FAN_OUT * i + k;
        if c < n {
            let href = spellings[k % spellings.len()](c, host);
            links.push_str(&format!("<li><a href=\"{href}\">child {c}</a></li>\n"));
        }
    }
    if i > 0 {
        let parent = (i - 1) / FAN_OUT;
        links.push_str(&format!("<li><a href=\"/p/{parent}\">parent</a></li>\n"));
    }
    let next = (i + 1) % n;
    links.push_str(&format!(
        "<li><a href=\"{next}#section\">next</a> <a href=\"/p/{next}/\">next, with a slash</a></li>\n"
    ));
    format!(
        r##"<!doctype html><html><head><title>Page {i}</title></head><body>
<h1 id="top">Page {i} of {n}</h1>
<ul>
{links}<li><a href="#top">top</a> <a href="/">home</a></li>
</ul></body></html>
"##
    )
}

fn leaf(title: &str, text: &str) -> String {
    format!(
        "<!doctype html><html><head><title>{title}</title></head><body><p>{text}</p>\
         <a href=\"/\">home</a></body></html>\n"
    )
}

fn trap(k: u64) -> String {
    format!(
        "<!doctype html><html><head><title>Trap {k}</title></head><body>\
         <a href=\"?page={}\">next</a></body></html>\n",
        k + 1
    )
}

/// `/big`: a link, then filler to past the cut, then a link no crawler should see.
pub(super) fn big_page() -> Vec<u8> {
    let head = "<!doctype html><html><head><title>Big page</title></head><body>\n\
                <a href=\"/p/0\">the first page</a>\n<pre>\n";
    let tail = "</pre>\n<a href=\"/after-cut\">past the cut</a>\n</body></html>\n";
    let line = "All work and no play makes a crawler read with a limit.\n";
    let mut body = String::with_capacity(BIG_PAGE_BYTES);
    body.push_str(head);
    while body.len() + line.len() + tail.len() <= BIG_PAGE_BYTES {
        body.push_str(line);
    }
    while body.len() + tail.len() < BIG_PAGE_BYTES {
        body.push('.');
    }
    body.push_str(tail);
    body.into_bytes()
}

/// `/files/data.bin`: deterministic bytes around an HTML link that must never be followed.
pub(super) fn binary_file() -> Vec<u8> {
    let mut data: Vec<u8> = (0..BINARY_BYTES).map(|i| (i * 31 % 251) as u8).collect();
    let bait = b"<html><a href=\"/from-binary\">bait</a></html>";
    data[1000..1000 + bait.len()].copy_from_slice(bait);
    data
}

fn text(status: u16, content_type: &str, body: &str) -> Response {
    Response {
        status,
        headers: vec![("Content-Type", content_type.to_string())],
        body: Arc::from(body.as_bytes()),
    }
}

fn html(status: u16, body: &str) -> Response {
    text(status, "text/html; charset=utf-8", body)
}

fn bytes(data: &Arc<[u8]>, content_type: &str) -> Response {
    Response {
        status: 200,
        headers: vec![("Content-Type", content_type.to_string())],
        body: Arc::clone(data),
    }
}

fn redirect(status: u16, location: &str) -> Response {
    let mut response = html(status, &leaf("Moved", location));
    response.headers.push(("Location", location.to_string()));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_page_is_bigger_than_the_default_limit() {
        let big = big_page();
        assert_eq!(big.len(), BIG_PAGE_BYTES);
        assert!(big.len() > 2 * 1024 * 1024);
        let text = String::from_utf8(big).unwrap();
        assert!(text.find("/after-cut").unwrap() > 2 * 1024 * 1024);
    }

    #[test]
    fn every_page_is_reachable_from_page_zero() {
        // Children 8i+1..8i+8 cover 1..n: page i's parent is (i-1)/8.
        for n in [1, 5, 200, 501] {
            for i in 1..n {
                let parent = (i - 1) / FAN_OUT;
                assert!(
                    page(parent, n, "h").contains(&format!("child {i}<")),
                    "n={n} i={i}"
                );
            }
        }
    }
}
