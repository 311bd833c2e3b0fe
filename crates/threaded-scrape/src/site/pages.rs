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
        "/robots.txt" => match &state.robots_redirect {
            Some(to) => redirect(302, to),
            None => text(200, "text/plain", ROBOTS),
        },
        "/" => html(200, &home(n, state.origins())),
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
        "/moved" | "/flaky" | "/busy" | "/private/open/" | "/private/secret" | "/after-cut"
        | "/from-binary" | "/blocked" | "/blocked/" | "/caf%C3%A9.html" | "/never-followed"
        | "/from-noindex" | "/rel-nofollow" | "/after-nested" => {
            html(200, &leaf(path, "a leaf page"))
        }
        "/files/blob" | "/files/data.bin" | "/files/archive.zip" => {
            bytes(&state.binary, "application/octet-stream")
        }
        "/big" => bytes(&state.big, "text/html; charset=utf-8"),
        "/nested" => bytes(&state.nested, "text/html; charset=utf-8"),
        "/latin1" => Response {
            status: 200,
            headers: vec![("Content-Type", "text/html; charset=ISO-8859-1".to_string())],
            body: Arc::from(LATIN1_PAGE),
        },
        "/nofollow" => html(200, &meta_robots("nofollow", "/never-followed")),
        "/noindex" => html(200, &meta_robots("noindex", "/from-noindex")),
        "/trap" => {
            let k: u64 = query
                .strip_prefix("page=")
                .and_then(|k| k.parse().ok())
                .unwrap_or(0);
            html(200, &trap(k))
        }
        _ => {
            if let Some(response) = docs(path, state.clean_urls) {
                return response;
            }
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
                        return html(200, &page(i, n, host, state.origins()));
                    }
                }
            }
            html(404, &leaf("Not found", path))
        }
    }
}

/// The home page: the way into the page graph (the first pages, so a crawl soon has plenty
/// to fetch at once), and every fault.
fn home(n: usize, origins: &[String]) -> String {
    let sections: String = (1..FAN_OUT.min(n))
        .map(|i| {
            let href = on_its_host(i, origins).unwrap_or_else(|| format!("/p/{i}"));
            format!("<a href=\"{href}\">section {i}</a>\n")
        })
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
<li><a href="/files/blob">a binary file</a> <a href="/files/data.bin">a .bin file</a>
<a href="files/archive.zip">a zip</a></li>
<li><a href="/big">a page larger than 2 MiB</a></li>
<li><a href="/docs/">the docs, a directory</a></li>
<li><a href="/latin1">a Latin-1 page</a></li>
<li><a href="/nofollow">a nofollow page</a> <a href="/noindex">a noindex page</a>
<a href="/rel-nofollow" rel="nofollow">a nofollow link</a></li>
<li><a href="/private/secret">disallowed by robots.txt</a>
<a href="/blocked/">a disallowed directory</a></li>
<li><a href="/private/open/">allowed by robots.txt</a></li>
<li><a href="http://other.invalid/">another host</a></li>
<li><a href="mailto:nobody@example.invalid">mail</a>
<a href="javascript:void(0)">script</a> <a href="tel:+10000000000">phone</a></li>
</ul></body></html>
"#
    )
}

/// On a site of several origins (`hosts` > 1), page `c` lives on origin `c % hosts`: its
/// absolute URL there. `None` on a one-origin site, where every page is on every host.
fn on_its_host(c: usize, origins: &[String]) -> Option<String> {
    if origins.len() < 2 {
        return None;
    }
    Some(format!("http://{}/p/{c}", origins[c % origins.len()]))
}

/// Page `i` of `n`: children, parent, next, home, each in another spelling (a page on another
/// origin of a many-host site: its absolute URL there).
fn page(i: usize, n: usize, host: &str, origins: &[String]) -> String {
    // A link to page `c`: `spelled` where `c` is served here, else its URL on its own origin.
    let elsewhere = |c: usize| {
        on_its_host(c, origins).filter(|url| !url.starts_with(&format!("http://{host}/")))
    };
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
            let href = elsewhere(c).unwrap_or_else(|| spellings[k % spellings.len()](c, host));
            links.push_str(&format!("<li><a href=\"{href}\">child {c}</a></li>\n"));
        }
    }
    if i > 0 {
        let parent = (i - 1) / FAN_OUT;
        let href = elsewhere(parent).unwrap_or_else(|| format!("/p/{parent}"));
        links.push_str(&format!("<li><a href=\"{href}\">parent</a></li>\n"));
    }
    let next = (i + 1) % n;
    // `/p/%37` is `/p/7` (RFC 3986: an encoded digit is the digit).
    let encoded = format!(
        "%{:02X}{}",
        next.to_string().as_bytes()[0],
        &next.to_string()[1..]
    );
    let (next_href, encoded_href) = match elsewhere(next) {
        Some(url) => (
            format!("{url}#section"),
            url.replace(&format!("/p/{next}"), &format!("/p/{encoded}")),
        ),
        None => (format!("{next}#section"), format!("/p/{encoded}")),
    };
    links.push_str(&format!(
        "<li><a href=\"{next_href}\">next</a> <a href=\"{encoded_href}\">next, encoded</a></li>\n"
    ));
    // Home is the first origin's `/` (on a many-host site, the other origins' `/` is not linked).
    let home = match origins {
        [first, _, ..] => format!("http://{first}/"),
        _ => "/".to_string(),
    };
    format!(
        r##"<!doctype html><html><head><title>Page {i}</title></head><body>
<h1 id="top">Page {i} of {n}</h1>
<ul>
{links}<li><a href="#top">top</a> <a href="{home}">home</a></li>
</ul></body></html>
"##
    )
}

/// The site's rules: directories, as robots.txt files usually name them.
const ROBOTS: &str =
    "User-agent: *\nDisallow: /private/\nAllow: /private/open/\nDisallow: /blocked/\n";

/// `/latin1`, in ISO-8859-1: `é` is the one byte 0xE9.
const LATIN1_PAGE: &[u8] = b"<!doctype html><html><head><title>Caf\xe9 cr\xe8me</title></head>\
<body><a href=\"caf\xe9.html\">caf\xe9</a></body></html>\n";

/// The docs tree (see the module docs), or `None` when `path` is not in it.
fn docs(path: &str, clean_urls: bool) -> Option<Response> {
    let index = |title: &str, links: &[&str]| {
        let links: String = links
            .iter()
            .map(|l| format!("<li><a href=\"{l}\">{l}</a></li>\n"))
            .collect();
        html(200, &format!("<!doctype html><html><head><title>{title}</title></head><body><ul>\n{links}</ul></body></html>\n"))
    };
    let docs_index = || index("Docs", &["intro.html", "guide/", "api", "#top"]);
    let guide_index = || index("Guide", &["step.html", "../intro.html"]);
    // The api index links by absolute path: it is served at `/docs/api` too (clean URLs).
    let api_index = || index("API", &["/docs/api/ref.html"]);
    Some(match (path, clean_urls) {
        ("/docs/", _) | ("/docs", true) => docs_index(),
        ("/docs/guide/", _) | ("/docs/guide", true) => guide_index(),
        ("/docs/api/", _) | ("/docs/api", true) => api_index(),
        // Like nginx for a directory asked without its slash.
        ("/docs" | "/docs/guide" | "/docs/api", false) => redirect(301, &format!("{path}/")),
        ("/docs/intro.html" | "/docs/guide/step.html" | "/docs/api/ref.html", _) => {
            html(200, &leaf(path, "a docs page"))
        }
        _ => return None,
    })
}

fn meta_robots(content: &str, link: &str) -> String {
    format!(
        "<!doctype html><html><head><meta name=\"robots\" content=\"{content}\">\
         <title>{content}</title></head><body><a href=\"{link}\">a link</a></body></html>\n"
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

/// `/nested`: a link, 2 MiB of tags nested ever deeper, and a link at the end (under the
/// default `--max-bytes`, so a crawler must get through all of it to find it).
pub(super) fn nested_page() -> Vec<u8> {
    let head = b"<!doctype html><html><head><title>Nested</title></head><body>\n";
    let tail = b"<a href=\"/after-nested\">the end</a></body></html>\n";
    let mut body = head.to_vec();
    while body.len() + tail.len() + 11 < 2 * 1024 * 1024 {
        body.extend_from_slice(b"<div><span>");
    }
    body.extend_from_slice(tail);
    body
}

/// `/files/blob`: deterministic bytes around an HTML link that must never be followed.
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
    fn nested_page_fits_the_default_limit() {
        let nested = nested_page();
        assert!(nested.len() <= 2 * 1024 * 1024);
        assert!(nested.ends_with(b"</body></html>\n"));
    }

    #[test]
    fn every_page_is_reachable_from_page_zero() {
        // Children 8i+1..8i+8 cover 1..n: page i's parent is (i-1)/8.
        for n in [1, 5, 200, 501] {
            for i in 1..n {
                let parent = (i - 1) / FAN_OUT;
                assert!(
                    page(parent, n, "h", &[]).contains(&format!("child {i}<")),
                    "n={n} i={i}"
                );
            }
        }
    }

    #[test]
    fn on_a_many_host_site_each_page_links_to_its_own_origin() {
        let origins: Vec<String> = (0..3).map(|p| format!("127.0.0.1:{}", 9000 + p)).collect();
        // Page 0 is on origin 0; its children 1 and 2 are elsewhere, 6 is here (spelled
        // relatively).
        let p0 = page(0, 50, "127.0.0.1:9000", &origins);
        assert!(p0.contains(r#"href="http://127.0.0.1:9001/p/1""#), "{p0}");
        assert!(p0.contains(r#"href="http://127.0.0.1:9002/p/2""#), "{p0}");
        assert!(p0.contains(r#"href="../p/6""#), "{p0}");
        let p4 = page(4, 50, "127.0.0.1:9001", &origins);
        assert!(
            p4.contains(r#"href="http://127.0.0.1:9000/""#),
            "home is origin 0: {p4}"
        );
        assert!(
            p4.contains(r#"href="http://127.0.0.1:9000/p/0">parent"#),
            "{p4}"
        );
        let home = home(50, &origins);
        assert!(
            home.contains(r#"href="http://127.0.0.1:9001/p/1""#),
            "{home}"
        );
    }
}
