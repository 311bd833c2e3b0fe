//! URL identity and the crawl's scope.
//!
//! A crawler has to decide when two spellings name the same page, or it fetches pages twice
//! (`/a`, `/a#intro`, `./a`) and, on a site with cycles, never stops. It also must not decide
//! that two *different* URLs are one: `/docs` and `/docs/` are two URLs, and on a real server
//! they can be two answers (nginx `alias` serves only one; a "clean URL" server serves both,
//! and relative links on them resolve differently). So [`normalize`] does only what RFC 3986
//! (section 6.2.2) says is equivalent, and what the `url` crate's parser already does:
//!
//! - scheme and host lower-cased, the default port (`:80`, `:443`) dropped, `./` and `../`
//!   resolved, an empty path written `/` (the parser);
//! - percent-encodings with lower-case hex written upper-case (`%c3%a9` is `%C3%A9`), and
//!   encoded unreserved characters decoded (`%7E` is `~`, `%41` is `A`);
//! - the `#fragment` dropped: it names a place inside the page, not another page.
//!
//! Everything else is kept as written: the trailing slash, an empty query (`/a?`), the order of
//! query parameters. That is what browsers and wget do. (Scrapy's `canonicalize_url` goes
//! further and sorts query parameters; we do not, because on many sites their order matters.)

use std::collections::BTreeSet;

use encoding_rs::Encoding;
use regex::Regex;
use url::Url;

/// The canonical form of `url`: the key of the visited set, and the URL fetched.
pub fn normalize(mut url: Url) -> Url {
    url.set_fragment(None);
    let path = normalize_percent(url.path());
    if path != url.path() {
        url.set_path(&path);
    }
    if let Some(query) = url.query() {
        let query = normalize_percent(query);
        if Some(query.as_str()) != url.query() {
            url.set_query(Some(&query));
        }
    }
    url
}

/// `%7e` -> `~`, `%2f` -> `%2F`: the two percent-encoding equivalences of RFC 3986 6.2.2.
fn normalize_percent(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = &s[i + 1..i + 3];
            if let Ok(byte) = u8::from_str_radix(hex, 16) {
                if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                    out.push(byte as char);
                } else {
                    out.push('%');
                    out.push_str(&hex.to_ascii_uppercase());
                }
                i += 3;
                continue;
            }
        }
        // `s` came from a parsed URL: it is ASCII, so one byte is one char.
        out.push(bytes[i] as char);
        i += 1;
    }
    out
}

/// A link as written in a page (`href`), resolved against `base` as a browser does.
///
/// `encoding` is the page's character encoding: the path is always sent as UTF-8
/// percent-encoded (`café.html` in a Latin-1 page is `/caf%C3%A9.html`), but the query is
/// encoded in the page's own encoding, as the URL standard says (`?q=é` in a Latin-1 page is
/// `?q=%E9`). Returns `None` for links that are not http(s) (`mailto:`, `javascript:`, `tel:`,
/// `data:`, ...) and for hrefs that do not parse.
pub fn resolve(base: &Url, href: &str, encoding: &'static Encoding) -> Option<Url> {
    let encode: &dyn Fn(&str) -> std::borrow::Cow<'_, [u8]> = &|s| encoding.encode(s).0;
    let options = Url::options().base_url(Some(base));
    let options = if encoding == encoding_rs::UTF_8 {
        options
    } else {
        options.encoding_override(Some(encode))
    };
    // HTML strips ASCII whitespace around an href.
    let url = options
        .parse(href.trim_matches(|c: char| c.is_ascii_whitespace()))
        .ok()?;
    match url.scheme() {
        "http" | "https" => Some(normalize(url)),
        _ => None,
    }
}

/// Why a URL is out of the crawl's scope (the wording for the row or the summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffScope {
    /// Not http(s), or another host than the start URLs and `--allow-host`.
    Host,
    /// Above the start URL's directory, with `--no-parent`.
    Parent,
    /// Matches no `--include` regex, or matches an `--exclude` regex.
    Filtered,
}

/// Which URLs the crawl may request. Every hop of every request goes through [`Scope::check`]:
/// links, redirect targets, and each hop of a robots.txt redirect chain (hosts only).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Lower-cased host names (or IP literals) the crawl may visit, compared without the port.
    hosts: BTreeSet<String>,
    /// With `--no-parent`: `(origin, directory)` of each start URL; a URL must be under one.
    parents: Vec<(String, String)>,
    no_parent: bool,
    include: Vec<Regex>,
    exclude: Vec<Regex>,
}

impl Scope {
    /// The scope of a crawl starting at `starts`, widened by `allow_hosts`.
    pub fn new<'a>(starts: impl IntoIterator<Item = &'a Url>, allow_hosts: &[String]) -> Scope {
        let starts: Vec<&Url> = starts.into_iter().collect();
        let mut hosts: BTreeSet<String> = starts
            .iter()
            .filter_map(|u| u.host_str().map(str::to_ascii_lowercase))
            .collect();
        hosts.extend(allow_hosts.iter().map(|h| h.trim().to_ascii_lowercase()));
        let parents = starts
            .iter()
            .map(|u| (urls_origin(u), directory_of(u.path()).to_string()))
            .collect();
        Scope {
            hosts,
            parents,
            ..Scope::default()
        }
    }

    /// Keeps the crawl under each start URL's directory (wget's `--no-parent`).
    pub fn no_parent(mut self, on: bool) -> Scope {
        self.no_parent = on;
        self
    }

    /// URLs must match one of `include` (when there is any) and none of `exclude`.
    pub fn filters(mut self, include: Vec<Regex>, exclude: Vec<Regex>) -> Scope {
        self.include = include;
        self.exclude = exclude;
        self
    }

    /// True when `url` is http(s) on an allowed host (the check for robots.txt hops).
    pub fn host_allowed(&self, url: &Url) -> bool {
        matches!(url.scheme(), "http" | "https")
            && url
                .host_str()
                .is_some_and(|h| self.hosts.contains(&h.to_ascii_lowercase()))
    }

    /// `Ok` when `url` may be requested as a page.
    pub fn check(&self, url: &Url) -> Result<(), OffScope> {
        if !self.host_allowed(url) {
            return Err(OffScope::Host);
        }
        if self.no_parent {
            let origin = urls_origin(url);
            let under = self
                .parents
                .iter()
                .any(|(o, dir)| *o == origin && url.path().starts_with(dir.as_str()));
            if !under {
                return Err(OffScope::Parent);
            }
        }
        let s = url.as_str();
        if !self.include.is_empty() && !self.include.iter().any(|r| r.is_match(s)) {
            return Err(OffScope::Filtered);
        }
        if self.exclude.iter().any(|r| r.is_match(s)) {
            return Err(OffScope::Filtered);
        }
        Ok(())
    }

    /// True when `url` may be requested as a page.
    pub fn contains(&self, url: &Url) -> bool {
        self.check(url).is_ok()
    }
}

fn urls_origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// `/a/b/c.html` -> `/a/b/`, `/a/b/` -> `/a/b/`, `/` -> `/`.
fn directory_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    }
}

/// The key politeness limits are counted under: scheme, host and port (`http://a.com:8080`).
///
/// robots.txt is also per origin (RFC 9309), so the same key holds a host's rules.
pub fn origin_key(url: &Url) -> String {
    urls_origin(url)
}

/// File extensions that are not requested: Scrapy's `IGNORED_EXTENSIONS` (archives, images,
/// audio, video, office documents, PDF and a few others), plus web fonts.
pub const IGNORED_EXTENSIONS: &[&str] = &[
    // archives
    "7z", "7zip", "bz2", "rar", "tar", "tar.gz", "xz", "zip", "gz", "tgz", // images
    "mng", "pct", "bmp", "gif", "jpg", "jpeg", "png", "pst", "psp", "tif", "tiff", "ai", "drw",
    "dxf", "eps", "ps", "svg", "cdr", "ico", "webp", "avif", // audio
    "mp3", "wma", "ogg", "wav", "ra", "aac", "mid", "au", "aiff", "flac", "m4a",
    // video
    "3gp", "asf", "asx", "avi", "mov", "mp4", "mpg", "qt", "rm", "swf", "wmv", "m4v", "flv", "webm",
    "mkv", // fonts
    "woff", "woff2", "ttf", "otf", "eot", // office suites
    "xls", "xlsm", "xlsx", "xltm", "xltx", "potm", "potx", "ppt", "pptm", "pptx", "pps", "doc",
    "docb", "docm", "docx", "dotm", "dotx", "odt", "ods", "odg", "odp", // other
    "css", "pdf", "exe", "bin", "rss", "dmg", "iso", "apk", "jar", "deb", "rpm", "msi",
];

/// The ignored extension `url`'s path ends in, if any (`/a/b.tar.gz` -> `tar.gz`,
/// case-insensitive). The query plays no part: `/get.php?f=a.zip` is requested.
pub fn ignored_extension(url: &Url) -> Option<&'static str> {
    let name = url.path().rsplit('/').next().unwrap_or("");
    let name = name.to_ascii_lowercase();
    IGNORED_EXTENSIONS
        .iter()
        .copied()
        .filter(|ext| {
            name.len() > ext.len() + 1
                && name.ends_with(ext)
                && name.as_bytes()[name.len() - ext.len() - 1] == b'.'
        })
        .max_by_key(|ext| ext.len())
}

#[cfg(test)]
mod tests;
