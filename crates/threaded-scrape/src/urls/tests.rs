use super::*;

fn n(s: &str) -> String {
    normalize(Url::parse(s).unwrap()).to_string()
}

fn r(base: &Url, href: &str) -> Option<String> {
    resolve(base, href, encoding_rs::UTF_8).map(|u| u.to_string())
}

#[test]
fn normalize_drops_fragment_default_port_and_case() {
    assert_eq!(n("HTTP://Example.COM:80/a#top"), "http://example.com/a");
    assert_eq!(n("https://example.com:443/"), "https://example.com/");
    assert_eq!(n("http://example.com:8080/a"), "http://example.com:8080/a");
}

/// The regression of the trailing-slash bug: `/docs/` and `/docs` are two URLs.
#[test]
fn normalize_keeps_the_trailing_slash_and_the_empty_query() {
    assert_eq!(n("http://h/docs/"), "http://h/docs/");
    assert_eq!(n("http://h/app/"), "http://h/app/");
    assert_eq!(n("http://h/docs"), "http://h/docs");
    assert_eq!(n("http://h/"), "http://h/");
    assert_eq!(n("http://h"), "http://h/");
    assert_eq!(n("http://h/a?"), "http://h/a?");
    assert_eq!(n("http://h/a?b=2&a=1"), "http://h/a?b=2&a=1");
}

#[test]
fn normalize_percent_encoding_as_rfc_3986_says() {
    assert_eq!(n("http://h/%7euser/%41"), "http://h/~user/A");
    assert_eq!(n("http://h/caf%c3%a9"), "http://h/caf%C3%A9");
    assert_eq!(n("http://h/a%2fb?x=%2f%7e"), "http://h/a%2Fb?x=%2F~");
    assert_eq!(n("http://h/100%"), "http://h/100%");
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
        "7#section",
        "http://H:81/p/7",
        " 7 ",
        "/p/%37",
    ] {
        assert_eq!(r(&base, href).unwrap(), want, "{href}");
    }
    assert_eq!(r(&base, "/p/7/").unwrap(), "http://h:81/p/7/");
    assert_eq!(r(&base, "#top").unwrap(), "http://h:81/p/3");
    assert_eq!(r(&base, "?page=2").unwrap(), "http://h:81/p/3?page=2");
}

#[test]
fn relative_links_resolve_against_the_directory_page() {
    let dir = Url::parse("http://h/docs/").unwrap();
    assert_eq!(r(&dir, "intro.html").unwrap(), "http://h/docs/intro.html");
    let file = Url::parse("http://h/docs").unwrap();
    assert_eq!(r(&file, "intro.html").unwrap(), "http://h/intro.html");
}

#[test]
fn latin1_links_are_utf8_in_the_path_and_latin1_in_the_query() {
    let base = Url::parse("http://h/").unwrap();
    let latin1 = encoding_rs::WINDOWS_1252;
    let url = resolve(&base, "café.html?q=é", latin1).unwrap();
    assert_eq!(url.as_str(), "http://h/caf%C3%A9.html?q=%E9");
}

#[test]
fn non_http_links_are_skipped() {
    let base = Url::parse("http://h/").unwrap();
    for href in [
        "mailto:a@b.c",
        "javascript:void(0)",
        "tel:+123",
        "ftp://h/x",
        "data:text/html,hi",
    ] {
        assert!(r(&base, href).is_none(), "{href}");
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

#[test]
fn no_parent_and_filters() {
    let start = Url::parse("http://h/docs/3.12/index.html").unwrap();
    let scope = Scope::new([&start], &[]).no_parent(true).filters(
        vec![Regex::new(r"\.html$|/$").unwrap()],
        vec![Regex::new("/genindex").unwrap()],
    );
    let check = |u: &str| scope.check(&Url::parse(u).unwrap());
    assert_eq!(check("http://h/docs/3.12/lib/os.html"), Ok(()));
    assert_eq!(check("http://h/docs/3.12/"), Ok(()));
    assert_eq!(check("http://h/docs/3.11/os.html"), Err(OffScope::Parent));
    assert_eq!(check("http://h/docs/3.12/a.txt"), Err(OffScope::Filtered));
    assert_eq!(
        check("http://h/docs/3.12/genindex.html"),
        Err(OffScope::Filtered)
    );
    assert_eq!(check("http://x/docs/3.12/"), Err(OffScope::Host));
}

#[test]
fn ignored_extensions() {
    let ext = |u: &str| ignored_extension(&Url::parse(u).unwrap());
    assert_eq!(ext("http://h/a/b.ZIP"), Some("zip"));
    assert_eq!(ext("http://h/a.tar.gz"), Some("tar.gz"));
    assert_eq!(ext("http://h/files/data.bin"), Some("bin"));
    assert_eq!(ext("http://h/a.html"), None);
    assert_eq!(ext("http://h/zip"), None);
    assert_eq!(ext("http://h/.png"), None);
    assert_eq!(ext("http://h/get?f=a.zip"), None);
    assert_eq!(ext("http://h/pdf/"), None);
}
