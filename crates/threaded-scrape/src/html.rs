//! What an HTML page says: its links, `<base>`, `<title>` and `<meta name="robots">`, read
//! by a streaming tokenizer in one pass.
//!
//! Why `lol_html` (Cloudflare's streaming HTML rewriter) and not a DOM (`scraper`, which builds
//! an `html5ever` tree): a crawler needs four kinds of tags, not a tree. A tree builder on
//! hostile input costs what the input makes it cost: 2 MiB of nested `<div>` made the tree
//! builder's work grow with the square of the depth (over 7 minutes), and 2 MiB of NUL bytes
//! cost 206 MB of memory. `lol_html` tokenizes in one pass (time linear in the body), keeps no
//! tree, and its memory is capped (`MAX_PARSER_MEMORY`). It also knows the parts of HTML
//! parsing a tokenizer needs (`<script>`, `<style>` and `<title>` contents are text, not tags)
//! and the web's character encodings (`encoding_rs`), including a charset changed by
//! `<meta charset>`. Over `html5gum` (a tokenizer only) that saves hand-written state
//! switching and decoding.
//!
//! Nothing here knows about HTTP: the threaded fetcher calls [`extract`] on the body it read,
//! and any other transport (an async client) can do the same.

use std::cell::RefCell;

use encoding_rs::Encoding;
use lol_html::{element, text, HtmlRewriter, MemorySettings, Settings};
use url::Url;

use crate::urls;

/// Most memory the tokenizer may use for one page (it buffers a tag split across writes).
const MAX_PARSER_MEMORY: usize = 8 * 1024 * 1024;

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

/// What the handlers collect while the tokenizer runs.
#[derive(Default)]
struct Found {
    title: Option<String>,
    in_title: bool,
    base: Option<String>,
    /// `(href, rel="nofollow")`, entities decoded, in page order.
    hrefs: Vec<(String, bool)>,
    meta_charset: Option<&'static Encoding>,
    nofollow: bool,
    noindex: bool,
}

/// Reads `body` (the HTML of `page_url`, perhaps cut off at `--max-bytes`).
///
/// The encoding is the HTTP `charset` when `content_type` has one, else a `<meta charset>`
/// (or `http-equiv`) in the page, else UTF-8. Links resolve against `<base href>` when the page
/// has one, else against `page_url` (the URL that answered, after any redirects), as a browser
/// does: see [`urls::resolve`].
pub fn extract(page_url: &Url, body: &[u8], content_type: &str, follow_nofollow: bool) -> Extracted {
    let http_charset = charset_param(content_type).and_then(|l| Encoding::for_label(l.as_bytes()));
    // UTF-16 and the like are not ASCII-compatible: lol_html cannot read them; neither can
    // most crawlers. They fall back to UTF-8, and their links are simply not found.
    let ascii = |e: &'static Encoding| lol_html::AsciiCompatibleEncoding::new(e);
    let utf8 = || ascii(encoding_rs::UTF_8).expect("UTF-8 is ASCII-compatible");
    let start = http_charset
        .filter(|e| ascii(e).is_some())
        .unwrap_or(encoding_rs::UTF_8);
    let found = RefCell::new(Found::default());
    let settings = Settings {
        element_content_handlers: vec![
            element!("a[href]", |el| {
                let href = el.get_attribute("href").unwrap_or_default();
                let rel = el.get_attribute("rel").unwrap_or_default();
                let nofollow = rel
                    .split_ascii_whitespace()
                    .any(|t| t.eq_ignore_ascii_case("nofollow"));
                found.borrow_mut().hrefs.push((decode(&href), nofollow));
                Ok(())
            }),
            element!("base[href]", |el| {
                let mut found = found.borrow_mut();
                if found.base.is_none() {
                    found.base = el.get_attribute("href").map(|h| decode(&h));
                }
                Ok(())
            }),
            element!("meta", |el| {
                let mut found = found.borrow_mut();
                if let Some(label) = el.get_attribute("charset") {
                    found.meta_charset = found.meta_charset.or(Encoding::for_label(label.trim().as_bytes()));
                }
                let equiv = el.get_attribute("http-equiv").unwrap_or_default();
                if equiv.eq_ignore_ascii_case("content-type") {
                    let content = el.get_attribute("content").unwrap_or_default();
                    let label = charset_param(&content).unwrap_or_default();
                    found.meta_charset = found.meta_charset.or(Encoding::for_label(label.as_bytes()));
                }
                let name = el.get_attribute("name").unwrap_or_default();
                if name.eq_ignore_ascii_case("robots") {
                    let content = el.get_attribute("content").unwrap_or_default();
                    for token in content.split(',').map(|t| t.trim().to_ascii_lowercase()) {
                        match token.as_str() {
                            "nofollow" => found.nofollow = true,
                            "noindex" => found.noindex = true,
                            "none" => (found.nofollow, found.noindex) = (true, true),
                            _ => {}
                        }
                    }
                }
                Ok(())
            }),
            element!("title", |_el| {
                let mut found = found.borrow_mut();
                found.in_title = found.title.is_none();
                if found.in_title {
                    found.title = Some(String::new());
                }
                Ok(())
            }),
            text!("title", |chunk| {
                let mut found = found.borrow_mut();
                if found.in_title {
                    if let Some(title) = found.title.as_mut() {
                        title.push_str(chunk.as_str());
                    }
                    if chunk.last_in_text_node() {
                        found.in_title = false;
                    }
                }
                Ok(())
            }),
        ],
        encoding: ascii(start).unwrap_or_else(utf8),
        // The HTTP charset wins over the page's own; without one, `<meta charset>` decides.
        adjust_charset_on_meta_tag: http_charset.is_none(),
        // Extract what we can from bad markup rather than give up on it.
        strict: false,
        memory_settings: MemorySettings {
            max_allowed_memory_usage: MAX_PARSER_MEMORY,
            ..MemorySettings::new()
        },
        ..Settings::new()
    };
    // The rewriter's output (the page, unchanged) is not needed: the sink drops it.
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    // A tokenizer error (over the memory cap) ends the page there: what was found is kept.
    let written = rewriter.write(body);
    eprintln!("DEBUG {:?}", written.as_ref().err());
    let finished = written.is_ok();
    if finished {
        let _ = rewriter.end();
    } else {
        drop(rewriter);
    }
    let found = found.into_inner();

    let encoding = if http_charset.is_some() {
        start
    } else {
        found.meta_charset.filter(|e| ascii(e).is_some()).unwrap_or(start)
    };
    let base = found
        .base
        .as_deref()
        .and_then(|href| urls::resolve(page_url, href, encoding))
        .unwrap_or_else(|| page_url.clone());
    let mut out = Extracted {
        title: found
            .title
            .map(|t| decode(&t).split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
        link_count: found.hrefs.len(),
        meta_nofollow: found.nofollow,
        meta_noindex: found.noindex,
        encoding: encoding.name(),
        ..Extracted::default()
    };
    for (href, nofollow) in &found.hrefs {
        match urls::resolve(&base, href, encoding) {
            None => out.non_http_links += 1,
            Some(_) if *nofollow && !follow_nofollow => out.nofollow_links += 1,
            Some(url) => out.links.push(url),
        }
    }
    out
}

/// HTML entities decoded (`&amp;` is `&`), as the HTML parser does for attributes and titles.
fn decode(s: &str) -> String {
    if s.contains('&') {
        html_escape::decode_html_entities(s).into_owned()
    } else {
        s.to_string()
    }
}

/// The `charset` parameter of a content type: `text/html; charset="ISO-8859-1"` -> `ISO-8859-1`.
pub fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
    })
}

#[cfg(test)]
mod tests;
