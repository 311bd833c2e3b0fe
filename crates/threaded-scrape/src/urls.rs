//! URL normalization and the crawl's scope.
//!
//! A crawler has to decide when two spellings name the same page, or it fetches pages twice
//! (`/a`, `/a#intro`, `./a`, `/a/`) and, on a site with cycles, never stops. The `url` crate
//! already does most of it when it parses or joins: it resolves `./` and `../`, lower-cases the
//! host and drops the default port (`:80` for http, `:443` for https). [`normalize`] adds the
//! three decisions that are ours:
//!
//! - the `#fragment` is dropped: it names a place inside the page, not another page;
//! - an empty query (`/a?`) is the same as no query; a non-empty query is kept exactly as
//!   written, parameters unsorted, because on many sites their order matters;
//! - a trailing slash is dropped from every path except `/` itself, so `/docs/` and `/docs` are
//!   one page. On most sites they are (one redirects to the other); on the few where they are
//!   not, we fetch `/docs` and follow the server's redirect to `/docs/`: a redirect hop to
//!   another spelling of the same page is followed, not reported as a loop.

use std::collections::BTreeSet;

use url::Url;

/// The canonical form of `url` used both as the key of the visited set and as the URL fetched.
pub fn normalize(mut url: Url) -> Url {
    url.set_fragment(None);
    if url.query() == Some("") {
        url.set_query(None);
    }
    let path = url.path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        // "///" trims to "", which is the root again.
        let trimmed = if trimmed.is_empty() { "/" } else { trimmed }.to_string();
        url.set_path(&trimmed);
    }
    url
}

/// A link as written in a page (`href`), resolved against the page's URL.
///
/// Returns `None` for links that are not http(s) (`mailto:`, `javascript:`, `tel:`, `data:`,
/// ...) and for hrefs that do not parse.
pub fn resolve(base: &Url, href: &str) -> Option<Url> {
    let url = base.join(href.trim()).ok()?;
    match url.scheme() {
        "http" | "https" => Some(normalize(url)),
        _ => None,
    }
}

/// Which URLs the crawl may fetch: http and https on the start URLs' hosts plus `--allow-host`.
///
/// The host is compared without its port: `127.0.0.1:8080` and `127.0.0.1:9090` are one host.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Lower-cased host names (or IP literals) the crawl may visit.
    hosts: BTreeSet<String>,
}

impl Scope {
    /// The scope of a crawl starting at `starts`, widened by `allow_hosts`.
    pub fn new<'a>(starts: impl IntoIterator<Item = &'a Url>, allow_hosts: &[String]) -> Scope {
        let mut hosts: BTreeSet<String> = starts
            .into_iter()
            .filter_map(|u| u.host_str().map(str::to_ascii_lowercase))
            .collect();
        hosts.extend(allow_hosts.iter().map(|h| h.trim().to_ascii_lowercase()));
        Scope { hosts }
    }

    /// True when `url` may be fetched.
    pub fn contains(&self, url: &Url) -> bool {
        matches!(url.scheme(), "http" | "https")
            && url
                .host_str()
                .is_some_and(|h| self.hosts.contains(&h.to_ascii_lowercase()))
    }
}

/// The key politeness limits are counted under: scheme, host and port (`http://a.com:8080`).
///
/// robots.txt is also per origin (RFC 9309), so the same key holds a host's rules.
pub fn origin_key(url: &Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize(Url::parse(s).unwrap()).to_string()
    }

    #[test]
    fn normalize_drops_fragment_default_port_and_case() {
        assert_eq!(n("HTTP://Example.COM:80/a#top"), "http://example.com/a");
        assert_eq!(n("https://example.com:443/"), "https://example.com/");
        assert_eq!(n("http://example.com:8080/a"), "http://example.com:8080/a");
    }

    #[test]
    fn normalize_trailing_slash_and_empty_query() {
        assert_eq!(n("http://h/docs/"), "http://h/docs");
        assert_eq!(n("http://h/docs//"), "http://h/docs");
        assert_eq!(n("http://h/"), "http://h/");
        assert_eq!(n("http://h"), "http://h/");
        assert_eq!(n("http://h/a?"), "http://h/a");
        assert_eq!(n("http://h/a?b=2&a=1"), "http://h/a?b=2&a=1");
    }

    #[test]
    fn every_spelling_resolves_to_one_url() {
        let base = Url::parse("http://h:81/p/3").unwrap();
        let want = "http://h:81/p/7";
        for href in [
            "7",
            "./7",
            "../p/7",
            "/p/7",
            "/p/7/",
            "7#section",
            "http://H:81/p/7",
            " 7 ",
        ] {
            assert_eq!(resolve(&base, href).unwrap().as_str(), want, "{href}");
        }
        assert_eq!(resolve(&base, "#top").unwrap().as_str(), "http://h:81/p/3");
        assert_eq!(
            resolve(&base, "?page=2").unwrap().as_str(),
            "http://h:81/p/3?page=2"
        );
    }

    #[test]
    fn non_http_links_are_skipped() {
        let base = Url::parse("http://h/").unwrap();
        for href in [
            "mailto:a@b.c",
            "javascript:void(0)",
            "tel:+123",
            "ftp://h/x",
        ] {
            assert!(resolve(&base, href).is_none(), "{href}");
        }
    }

    #[test]
    fn scope_is_by_host_any_port() {
        let start = Url::parse("http://127.0.0.1:8000/").unwrap();
        let scope = Scope::new([&start], &["Docs.Example.com".to_string()]);
        assert!(scope.contains(&Url::parse("http://127.0.0.1:9/x").unwrap()));
        assert!(scope.contains(&Url::parse("https://docs.example.com/").unwrap()));
        assert!(!scope.contains(&Url::parse("http://other.invalid/").unwrap()));
        assert!(!scope.contains(&Url::parse("http://127.0.0.2:8000/").unwrap()));
        assert!(!scope.contains(&Url::parse("ftp://127.0.0.1/").unwrap()));
    }
}
