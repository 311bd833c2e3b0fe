use super::*;

fn page(body: &[u8], content_type: &str) -> Extracted {
    extract(
        &Url::parse("http://h/dir/page").unwrap(),
        body,
        content_type,
        false,
    )
}

fn links(e: &Extracted) -> Vec<&str> {
    e.links.iter().map(Url::as_str).collect()
}

#[test]
fn title_links_and_base() {
    let body = br#"<html><head><title>
        Hello &amp;  World </title></head><body>
        <a href="a">a</a> <a href="/b#x">b</a> <a href="mailto:x@y">m</a>
        <a href="javascript:void(0)">j</a> <a>no href</a>
        <a href="/q?x=1&amp;y=2">q</a></body></html>"#;
    let e = page(body, "text/html");
    assert_eq!(e.title, "Hello & World");
    assert_eq!(e.link_count, 5);
    assert_eq!(e.non_http_links, 2);
    assert_eq!(
        links(&e),
        ["http://h/dir/a", "http://h/b", "http://h/q?x=1&y=2"]
    );

    let e = page(br#"<a href="c">c</a><base href="/other/">"#, "text/html");
    assert_eq!(links(&e), ["http://h/other/c"]);
}

#[test]
fn script_and_comments_hold_no_links() {
    let body = br#"<script>document.write('<a href="/s">')</script><!-- <a href="/c"> -->
        <title><a href="/t"></title><a href="/real">x</a>"#;
    let e = page(body, "text/html");
    assert_eq!(links(&e), ["http://h/real"]);
    assert_eq!(e.title, "<a href=\"/t\">");
}

#[test]
fn latin1_by_http_charset_and_by_meta() {
    let body = b"<title>Caf\xe9 cr\xe8me</title><a href=\"caf\xe9.html\">x</a>";
    for (body, content_type) in [
        (body.to_vec(), "text/html; charset=ISO-8859-1"),
        (
            [b"<meta charset=\"latin1\">".as_slice(), body].concat(),
            "text/html",
        ),
        (
            [
                b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">"
                    .as_slice(),
                body,
            ]
            .concat(),
            "text/html",
        ),
    ] {
        let e = page(&body, content_type);
        assert_eq!(e.title, "Café crème", "{content_type}");
        assert_eq!(links(&e), ["http://h/dir/caf%C3%A9.html"], "{content_type}");
        assert_eq!(e.encoding, "windows-1252");
    }
    // The HTTP charset wins over the page's.
    let e = page(
        "<meta charset=latin1><title>é</title>".as_bytes(),
        "text/html; charset=utf-8",
    );
    assert_eq!(e.title, "é");
}

#[test]
fn meta_robots_and_rel_nofollow() {
    let e = page(
        br#"<meta name="ROBOTS" content="noindex, NoFollow"><a href="/x" rel="external nofollow">x</a><a href="/y">y</a>"#,
        "text/html",
    );
    assert!(e.meta_nofollow && e.meta_noindex);
    assert_eq!(links(&e), ["http://h/y"]);
    assert_eq!(e.nofollow_links, 1);
    let e = extract(
        &Url::parse("http://h/").unwrap(),
        br#"<meta name="robots" content="none"><a href="/x" rel="nofollow">x</a>"#,
        "text/html",
        true,
    );
    assert!(e.meta_nofollow && e.meta_noindex);
    assert_eq!(links(&e), ["http://h/x"]);
}

/// The regression of the quadratic parse: 2 MiB of nested tags, and 2 MiB of NUL bytes, are
/// read in one pass. (Before, the tree builder ran for minutes on the first.)
#[test]
fn hostile_bodies_parse_in_one_pass() {
    let mut nested = b"<title>deep</title><a href=\"/first\">".to_vec();
    while nested.len() < 2 * 1024 * 1024 {
        nested.extend_from_slice(b"<div><span>");
    }
    nested.extend_from_slice(b"<a href=\"/last\">last</a>");
    let e = page(&nested, "text/html");
    assert_eq!(links(&e), ["http://h/first", "http://h/last"]);
    assert_eq!(e.title, "deep");

    let nul = vec![0u8; 2 * 1024 * 1024];
    let e = page(&nul, "text/html");
    assert_eq!(e.link_count, 0);
}

#[test]
fn charset_parameter() {
    assert_eq!(
        charset_param("text/html; charset=\"ISO-8859-1\"").as_deref(),
        Some("ISO-8859-1")
    );
    assert_eq!(
        charset_param("text/html;Charset=utf-8").as_deref(),
        Some("utf-8")
    );
    assert_eq!(charset_param("text/html"), None);
}
