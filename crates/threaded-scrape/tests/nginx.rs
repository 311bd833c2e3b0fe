//! The same habits, served by a real web server: Debian's nginx, started by the test on
//! 127.0.0.1 with a configuration people really use (index files, directory redirects,
//! `try_files` clean URLs, `alias`), serving a directory the test writes. Skipped, visibly,
//! where nginx is not installed (`.ci/run` installs it).

#[macro_use]
mod common;

use std::collections::BTreeSet;
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{read_csv, run, stderr};

/// nginx on PATH, or where Debian puts it (`/usr/sbin` is not on every user's PATH).
fn nginx_binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("nginx"));
    on_path
        .chain([PathBuf::from("/usr/sbin/nginx")])
        .find(|p| p.is_file())
}

/// A running nginx; killed and reaped when dropped.
struct Nginx {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Nginx {
    /// The request URIs nginx logged, in order.
    fn requests(&self) -> Vec<String> {
        let log = fs::read_to_string(self.dir.join("access.log")).unwrap_or_default();
        log.lines()
            .map(|l| l.split(' ').next().unwrap_or("").to_string())
            .collect()
    }
}

fn write(root: &Path, path: &str, body: &[u8]) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, body).unwrap();
}

/// The site: the same habits as the built-in test site's fixture pages.
fn write_site(dir: &Path) {
    let www = dir.join("www");
    let page = |title: &str, links: &[&str]| {
        let links: String = links
            .iter()
            .map(|l| format!("<a href=\"{l}\">{l}</a>\n"))
            .collect();
        format!(
            "<!doctype html><html><head><title>{title}</title></head><body>{links}</body></html>\n"
        )
        .into_bytes()
    };
    let index = [
        "docs/",
        "app/",
        "clean/page",
        "clean/dir",
        "latin1.html",
        "nofollow.html",
        "private/open/",
        "private/secret.html",
        "files/data.zip",
        "files/logo.png",
        "missing.html",
    ];
    write(&www, "index.html", &page("Home", &index));
    write(
        &www,
        "robots.txt",
        b"User-agent: *\nDisallow: /private/\nAllow: /private/open/\n",
    );
    write(
        &www,
        "docs/index.html",
        &page("Docs", &["intro.html", "api", "#top"]),
    );
    write(&www, "docs/intro.html", &page("Intro", &["../"]));
    write(&www, "docs/api/index.html", &page("API", &["ref.html"]));
    write(&www, "docs/api/ref.html", &page("Ref", &[]));
    // `try_files $uri $uri.html $uri/index.html`: /clean/page is page.html, /clean/dir is
    // dir/index.html, neither redirected. The latter's links are absolute: relative ones would
    // resolve against /clean/, as in a browser.
    write(&www, "clean/page.html", &page("Clean page", &["other"]));
    write(&www, "clean/other.html", &page("Clean other", &[]));
    write(
        &www,
        "clean/dir/index.html",
        &page("Clean dir", &["/clean/dir/leaf"]),
    );
    write(&www, "clean/dir/leaf.html", &page("Clean leaf", &[]));
    write(
        &www,
        "latin1.html",
        b"<meta charset=\"iso-8859-1\"><title>Caf\xe9 cr\xe8me</title><a href=\"caf\xe9.html\">x</a>",
    );
    write(&www, "caf\u{e9}.html", &page("Cafe", &[]));
    write(
        &www,
        "nofollow.html",
        b"<meta name=\"robots\" content=\"nofollow\"><title>nf</title><a href=\"never.html\">x</a>",
    );
    write(&www, "never.html", &page("Never", &[]));
    write(&www, "private/open/index.html", &page("Open", &[]));
    write(&www, "private/secret.html", &page("Secret", &[]));
    write(&www, "files/data.zip", &[0u8; 4096]);
    write(&www, "files/logo.png", &[0u8; 4096]);
    // Served under /app/ by `alias` from a directory outside the root.
    write(
        &dir.join("appfiles"),
        "index.html",
        &page("App", &["about.html"]),
    );
    write(&dir.join("appfiles"), "about.html", &page("About", &[]));
}

fn start_nginx(nginx: &Path, dir: &Path) -> Nginx {
    // A port that was just free. Another process could take it in between; then nginx fails
    // to start and the test says so.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let d = dir.display();
    fs::create_dir_all(dir.join("tmp")).unwrap();
    let conf = format!(
        r#"master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 256; }}
http {{
    types {{ text/html html; text/plain txt; image/png png; application/zip zip; }}
    default_type application/octet-stream;
    log_format uri '$request_uri $status';
    access_log {d}/access.log uri;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {d}/www;
        index index.html;
        location /clean/ {{ try_files $uri $uri.html $uri/index.html =404; }}
        location /app/ {{ alias {d}/appfiles/; }}
    }}
}}
"#
    );
    fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new(nginx)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-e")
        .arg(dir.join("error.log"))
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nginx");
    let mut server = Nginx {
        child,
        port,
        dir: dir.to_path_buf(),
    };
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = server.child.try_wait() {
            let log = fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            panic!("nginx exited with {status}: {log}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "nginx did not start listening"
        );
        thread::sleep(Duration::from_millis(20));
    }
    server
}

#[test]
fn a_crawl_of_nginx_sends_exactly_the_expected_requests() {
    let Some(nginx) = nginx_binary() else {
        skip!("SKIP: nginx is not installed (apt-get install nginx)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write_site(dir.path());
    for mode in common::modes() {
        let server = start_nginx(&nginx, dir.path());
        let csv = dir.path().join(format!("{mode}.csv"));
        let start = format!("http://127.0.0.1:{}/", server.port);
        let out = run(&["--mode", mode, "--out", csv.to_str().unwrap(), &start]);
        assert!(out.status.success(), "{mode}: {}", stderr(&out));

        let got: Vec<String> = server.requests();
        let unique: BTreeSet<&str> = got.iter().map(String::as_str).collect();
        assert_eq!(
            unique.len(),
            got.len(),
            "{mode}: a URL was requested twice: {got:?}"
        );
        let want: BTreeSet<&str> = [
            "/robots.txt",
            "/",
            "/docs/",
            "/docs/intro.html",
            "/docs/api",
            "/docs/api/",
            "/docs/api/ref.html",
            "/app/",
            "/app/about.html",
            "/clean/page",
            "/clean/other",
            "/clean/dir",
            "/clean/dir/leaf",
            "/latin1.html",
            "/caf%C3%A9.html",
            "/nofollow.html",
            "/private/open/",
            "/missing.html",
        ]
        .into_iter()
        .collect();
        assert_eq!(unique, want, "{mode}");

        let rows = read_csv(&csv);
        let row = |path: &str| {
            rows.iter()
                .find(|r| r["url"] == format!("http://127.0.0.1:{}{path}", server.port))
                .unwrap_or_else(|| panic!("{mode}: no row for {path}"))
        };
        assert_eq!(row("/latin1.html")["title"], "Café crème");
        assert_eq!(row("/docs/api")["status"], "200"); // After nginx's 301 to /docs/api/.
        assert_eq!(row("/missing.html")["status"], "404");
        assert_eq!(row("/clean/dir/leaf")["depth"], "2");
        assert!(rows
            .iter()
            .all(|r| r["status"] != "404" || r["url"].ends_with("/missing.html")));
        drop(server);
        fs::remove_file(dir.path().join("access.log")).unwrap();
    }
}
