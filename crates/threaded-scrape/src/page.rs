//! What one URL answered, and the body handling every transport shares.
//!
//! The HTTP client hands over the head of an answer ([`Page::from_head`]: status, headers);
//! then a [`BodyLimit`] takes the body with the `--max-bytes` limit, chunk by chunk, and
//! [`Page::fill_from_body`] parses it. None of them knows which client or thread model fetched
//! the bytes: the blocking fetcher (`fetch.rs`) calls them on its worker threads through
//! [`read_body`], the async fetcher (`fetch_async.rs`) on each chunk it awaited. One core, two
//! transports.

use std::io::Read;
use std::time::Duration;

use url::Url;

use crate::html;

/// What one URL answered.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub status: u16,
    /// The `Content-Type` header as sent, e.g. `text/html; charset=utf-8`.
    pub content_type: String,
    /// The `Location` header of a 3xx, as written (the frontier resolves it).
    pub location: Option<String>,
    /// `Retry-After` in seconds (the HTTP-date form is not supported and reads as `None`).
    pub retry_after: Option<Duration>,
    /// Body bytes read (0 when the body was not read: not HTML, or not a 2xx).
    pub bytes: u64,
    /// The body was longer than `--max-bytes` and was cut off there.
    pub truncated: bool,
    pub title: String,
    /// How many `<a href>` the page had.
    pub link_count: usize,
    /// Its http(s) links to follow, resolved and normalized (duplicates kept; the frontier
    /// dedups), `rel="nofollow"` ones left out unless `--follow-nofollow`.
    pub links: Vec<Url>,
    /// Hrefs skipped because they are not http(s) (`mailto:`, `javascript:`, `tel:`, ...).
    pub non_http_links: usize,
    /// `rel="nofollow"` links left out.
    pub nofollow_links: usize,
    /// `<meta name="robots" content="nofollow">`: queue none of `links`.
    pub meta_nofollow: bool,
    /// `<meta name="robots" content="noindex">`: write no row.
    pub meta_noindex: bool,
    /// Time the request took, from sending it to the end of parsing.
    pub elapsed: Duration,
}

impl Page {
    /// The head of an answer, from its status and a header lookup (`header("location")`).
    pub fn from_head(status: u16, header: impl Fn(&str) -> Option<String>) -> Page {
        Page {
            status,
            content_type: header("content-type").unwrap_or_default(),
            location: header("location"),
            retry_after: header("retry-after").and_then(|v| parse_retry_after(&v)),
            ..Page::default()
        }
    }

    /// Whether the body is worth reading: a 2xx with an HTML content type. The content type
    /// decides before a byte of the body is read: a 2 GB video costs one response head.
    pub fn wants_body(&self) -> bool {
        (200..300).contains(&self.status) && is_html(&self.content_type)
    }

    /// Parses the body of `url` (read by [`read_body`]) into the page's title and links.
    pub fn fill_from_body(&mut self, url: &Url, body: Body, follow_nofollow: bool) {
        self.bytes = body.bytes.len() as u64;
        self.truncated = body.truncated;
        let found = html::extract(url, &body.bytes, &self.content_type, follow_nofollow);
        self.title = found.title;
        self.link_count = found.link_count;
        self.links = found.links;
        self.non_http_links = found.non_http_links;
        self.nofollow_links = found.nofollow_links;
        self.meta_nofollow = found.meta_nofollow;
        self.meta_noindex = found.meta_noindex;
    }
}

/// A body read with a limit.
#[derive(Debug, Default)]
pub struct Body {
    pub bytes: Vec<u8>,
    /// It was longer than the limit: `bytes` holds the first `limit`.
    pub truncated: bool,
}

/// A body taken chunk by chunk, up to a limit: the one cut-off rule of every transport.
#[derive(Debug)]
pub struct BodyLimit {
    limit: u64,
    body: Body,
}

impl BodyLimit {
    pub fn new(limit: u64) -> BodyLimit {
        BodyLimit {
            limit,
            body: Body::default(),
        }
    }

    /// Takes the next chunk; false once the limit is passed (read no more: the rest of the
    /// body is never read, the connection is dropped with it).
    pub fn push(&mut self, chunk: &[u8]) -> bool {
        let room = self.limit.saturating_sub(self.body.bytes.len() as u64);
        if chunk.len() as u64 > room {
            // One byte past the limit proves the body was longer: cut it at the limit.
            self.body.bytes.extend_from_slice(&chunk[..room as usize]);
            self.body.truncated = true;
            return false;
        }
        self.body.bytes.extend_from_slice(chunk);
        true
    }

    pub fn finish(self) -> Body {
        self.body
    }
}

/// Reads at most `limit` bytes of `reader`, and notes whether there was more.
pub fn read_body(mut reader: impl Read, limit: u64) -> std::io::Result<Body> {
    let mut body = BodyLimit::new(limit);
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if !body.push(&buf[..n]) {
            break;
        }
    }
    Ok(body.finish())
}

/// `text/html` or `application/xhtml+xml`, whatever the parameters.
pub fn is_html(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "text/html" || mime == "application/xhtml+xml"
}

/// `Retry-After: 120` (seconds). The HTTP-date form is rare for 429/503 and not supported.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_content_types() {
        assert!(is_html("text/html"));
        assert!(is_html("Text/HTML; charset=utf-8"));
        assert!(is_html("application/xhtml+xml"));
        assert!(!is_html("application/octet-stream"));
        assert!(!is_html(""));
        assert!(!is_html("text/plain"));
    }

    #[test]
    fn body_limit() {
        let body = read_body(&b"0123456789"[..], 4).unwrap();
        assert_eq!(
            (body.bytes.as_slice(), body.truncated),
            (&b"0123"[..], true)
        );
        let body = read_body(&b"0123"[..], 4).unwrap();
        assert_eq!(
            (body.bytes.as_slice(), body.truncated),
            (&b"0123"[..], false)
        );
        // Chunk by chunk (the async transport): the same cut at the same byte.
        let mut limit = BodyLimit::new(4);
        assert!(limit.push(b"01"));
        assert!(limit.push(b"23"));
        assert!(!limit.push(b"4"));
        let body = limit.finish();
        assert_eq!(
            (body.bytes.as_slice(), body.truncated),
            (&b"0123"[..], true)
        );
    }

    #[test]
    fn retry_after_seconds_only() {
        assert_eq!(parse_retry_after(" 1 "), Some(Duration::from_secs(1)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
