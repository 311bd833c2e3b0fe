//! What an HTML page says: its links, `<base>`, `<title>` and `<meta name="robots">`, read
//! by a streaming tokenizer in one pass.
//!
//! Why a tokenizer (`html5gum`) and not a DOM (`scraper`, which builds an `html5ever` tree): a
//! crawler needs four kinds of tags, not a tree. A tree builder on hostile input costs what
//! the input makes it cost: 2 MiB of nested `<div>` made its work grow with the square of the
//! depth (over 7 minutes), and 2 MiB of NUL bytes cost 206 MB of memory. `html5gum` is the
//! WHATWG tokenizer alone: one pass over the text (time linear in the body), one token in
//! memory at a time, no stack of open elements, so memory is the decoded body plus the
//! largest tag. (`lol_html` was tried first: it is also streaming, but its selector engine
//! keeps a stack entry per open element, and 2 MiB of nested tags went over any memory cap
//! that is a small multiple of the body.) What the tokenizer does not do, we do in a few
//! lines: the character encoding (`encoding_rs`, below) and the switch to text inside
//! `<script>`, `<style>` and `<title>` (html5gum's `naively_switch_states`).
//!
//! Nothing here knows about HTTP: the threaded fetcher calls [`extract`] on the body it read,
//! and any other transport (an async client) can do the same.

use std::borrow::Cow;

use encoding_rs::Encoding;
use html5gum::{DefaultEmitter, Token, Tokenizer};
use url::Url;

use crate::urls;

/// The HTML standard's prescan for `<meta charset>` looks at the first 1024 bytes.
const PRESCAN_BYTES: usize = 1024;

/// What [`extract`] found in a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// The first `<title>`, entities decoded, whitespace collapsed.
    pub title: String,
    /// How many `<a href>` the page had.
    pub link_count: usize,
    /// Its http(s) links, resolved and normalized, in page order (duplicates kept), without
    /// the `rel="nofollow"` ones unless `follow_nofollow`.
    pub links: Vec<Url>,
    /// Hrefs that are not http(s) (`mailto:`, `javascript:`, `tel:`, ...) or do not parse.
    pub non_http_links: usize,
    /// `rel="nofollow"` links left out.
    pub nofollow_links: usize,
    /// `<meta name="robots" content="nofollow">` (or `none`): follow none of its links.
    pub meta_nofollow: bool,
    /// `<meta name="robots" content="noindex">` (or `none`): write no row for it.
    pub meta_noindex: bool,
    /// The encoding the page was read in (`UTF-8`, `windows-1252`, ...).
    pub encoding: &'static str,
}

/// Reads `body` (the HTML of `page_url`, perhaps cut off at `--max-bytes`).
///
/// The encoding is the HTTP `charset` when `content_type` has one, else a `<meta charset>`
/// (or `http-equiv`) in the first 1024 bytes, else UTF-8; a byte-order mark wins over all
/// (as in browsers). Links resolve against `<base href>` when the page has one, else against
/// `page_url` (the URL that answered, after any redirects), as a browser does: see
/// [`urls::resolve`].
pub fn extract(
    page_url: &Url,
    body: &[u8],
    content_type: &str,
    follow_nofollow: bool,
) -> Extracted {
    let http_charset = charset_param(content_type).and_then(|l| Encoding::for_label(l.as_bytes()));
    let declared = http_charset.or_else(|| prescan(&body[..body.len().min(PRESCAN_BYTES)]));
    let (text, encoding, _) = declared.unwrap_or(encoding_rs::UTF_8).decode(body);
    // A page in UTF-16 has its query strings sent in UTF-8 (the URL standard says so).
    let query_encoding = encoding.output_encoding();

    let mut title: Option<String> = None;
    let mut in_title = false;
    let mut base: Option<String> = None;
    // (href, rel="nofollow"), in page order: resolved at the end, against the final base.
    let mut hrefs: Vec<(String, bool)> = Vec::new();
    let (mut nofollow, mut noindex) = (false, false);
    for token in tokens(&text) {
        match token {
            Token::StartTag(tag) => {
                let attr = |name: &str| {
                    tag.attributes
                        .get(name.as_bytes())
                        .map(|v| String::from_utf8_lossy(&v.value).into_owned())
                };
                match tag.name.as_slice() {
                    b"a" => {
                        if let Some(href) = attr("href") {
                            let rel = attr("rel").unwrap_or_default();
                            let nofollow = rel
                                .split_ascii_whitespace()
                                .any(|t| t.eq_ignore_ascii_case("nofollow"));
                            hrefs.push((href, nofollow));
                        }
                    }
                    b"base" if base.is_none() => base = attr("href"),
                    b"meta" if attr("name").is_some_and(|n| n.eq_ignore_ascii_case("robots")) => {
                        let content = attr("content").unwrap_or_default();
                        for token in content.split(',').map(|t| t.trim().to_ascii_lowercase()) {
                            match token.as_str() {
                                "nofollow" => nofollow = true,
                                "noindex" => noindex = true,
                                "none" => (nofollow, noindex) = (true, true),
                                _ => {}
                            }
                        }
                    }
                    b"title" if title.is_none() => {
                        title = Some(String::new());
                        in_title = true;
                    }
                    _ => {}
                }
            }
            Token::String(s) if in_title => {
                if let Some(t) = title.as_mut() {
                    t.push_str(&String::from_utf8_lossy(&s.value));
                }
            }
            Token::EndTag(tag) if in_title && tag.name.as_slice() == b"title" => in_title = false,
            _ => {}
        }
    }

    let base = base
        .as_deref()
        .and_then(|href| urls::resolve(page_url, href, query_encoding))
        .unwrap_or_else(|| page_url.clone());
    let mut out = Extracted {
        title: title
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
        link_count: hrefs.len(),
        meta_nofollow: nofollow,
        meta_noindex: noindex,
        encoding: encoding.name(),
        ..Extracted::default()
    };
    for (href, nofollow) in &hrefs {
        match urls::resolve(&base, href, query_encoding) {
            None => out.non_http_links += 1,
            Some(_) if *nofollow && !follow_nofollow => out.nofollow_links += 1,
            Some(url) => out.links.push(url),
        }
    }
    out
}

/// The tokens of `text`, one at a time. `<script>`, `<style>`, `<title>` and the like switch
/// the tokenizer to text, as the tree builder would tell it to: a `<a href>` inside a script
/// is not a link.
fn tokens(text: &str) -> impl Iterator<Item = Token> + '_ {
    let mut emitter = DefaultEmitter::default();
    emitter.naively_switch_states(true);
    // Reading from a `&str` cannot fail: the error type is `Infallible`.
    Tokenizer::new_with_emitter(text, emitter).filter_map(Result::ok)
}

/// The encoding a `<meta charset>` or `<meta http-equiv="content-type">` in `head` declares.
fn prescan(head: &[u8]) -> Option<&'static Encoding> {
    // The first 1024 bytes may end inside a multi-byte character: decoding them lossily is
    // fine, the declaration itself is ASCII.
    let head: Cow<str> = String::from_utf8_lossy(head);
    for token in tokens(&head) {
        let Token::StartTag(tag) = token else {
            continue;
        };
        if tag.name.as_slice() != b"meta" {
            continue;
        }
        let attr = |name: &str| {
            tag.attributes
                .get(name.as_bytes())
                .map(|v| String::from_utf8_lossy(&v.value).trim().to_string())
        };
        let label = match attr("charset") {
            Some(label) => Some(label),
            None if attr("http-equiv").is_some_and(|e| e.eq_ignore_ascii_case("content-type")) => {
                attr("content").and_then(|c| charset_param(&c))
            }
            None => None,
        };
        if let Some(encoding) = label.and_then(|l| Encoding::for_label(l.as_bytes())) {
            // The standard: a page cannot declare itself UTF-16 from inside (it would not
            // have been readable as ASCII); that means UTF-8.
            return Some(
                if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
                    encoding_rs::UTF_8
                } else {
                    encoding
                },
            );
        }
    }
    None
}

/// The `charset` parameter of a content type: `text/html; charset="ISO-8859-1"` -> `ISO-8859-1`.
pub fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim().eq_ignore_ascii_case("charset").then(|| {
            value
                .trim()
                .trim_matches(|c| c == '"' || c == '\'')
                .to_string()
        })
    })
}

#[cfg(test)]
mod tests;
