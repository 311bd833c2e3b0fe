//! The test site itself: concurrency, and `--serve` as run_all.sh uses it.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use threaded_scrape::site::{Site, SiteConfig};

/// A plain HTTP/1.1 GET with its own connection; returns the status line and the body.
fn get(addr: SocketAddr, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).expect("connect to the site");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the answer");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
    )
}

#[test]
fn the_site_answers_64_slow_requests_at_once() {
    const CLIENTS: usize = 80;
    let latency = Duration::from_millis(1500);
    let site = Site::start(
        "127.0.0.1:0",
        SiteConfig {
            pages: 100,
            latency,
            ..SiteConfig::default()
        },
    )
    .unwrap();
    let addr = site.addr();
    let barrier = Barrier::new(CLIENTS);
    let answers: Vec<(String, Duration)> = thread::scope(|s| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    let (status, _) = get(addr, &format!("/p/{}", i % 100));
                    (status, start.elapsed())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (status, elapsed) in &answers {
        assert!(status.contains(" 200 "), "{status}");
        // Each one waited the latency: the site is slow on purpose.
        assert!(*elapsed >= latency, "{elapsed:?}");
    }
    // The site was answering at least 64 of them at the same time, not one after another.
    let peak = site.stats().peak_in_flight;
    assert!(peak >= 64, "only {peak} requests were in flight at once");
}

#[test]
fn keep_alive_connections_opened_together_are_all_served() {
    // The case tiny_http 0.12 got wrong: connections that arrive together and stay open.
    let site = Site::start(
        "127.0.0.1:0",
        SiteConfig {
            pages: 10,
            latency: Duration::from_millis(5),
            ..SiteConfig::default()
        },
    )
    .unwrap();
    let addr = site.addr();
    let mut streams: Vec<TcpStream> = (0..16).map(|_| TcpStream::connect(addr).unwrap()).collect();
    for round in 0..3 {
        for stream in &mut streams {
            write!(stream, "GET /p/{round} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
        }
        for stream in &mut streams {
            stream
                .set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            let answer = read_one_response(stream);
            assert!(
                answer.starts_with("HTTP/1.1 200 "),
                "round {round}: {answer}"
            );
            assert!(answer.contains(&format!("<title>Page {round}</title>")));
        }
    }
    assert_eq!(site.stats().hits["/p/0"], 16);
}

/// Reads one response with a Content-Length body from a kept-alive connection.
fn read_one_response(stream: &mut TcpStream) -> String {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("a response line");
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    head + &String::from_utf8_lossy(&body)
}

/// Kills the child if the test fails before it is waited on: no server outlives its test.
struct Reap(Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_prints_its_url_first_then_serves_until_sigterm() {
    let child = common::bin()
        .args([
            "--serve",
            "--port",
            "0",
            "--site-pages",
            "5",
            "--site-latency-ms",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Reap(child);
    let mut first = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first.trim();
    let addr: SocketAddr = url
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix('/'))
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("first line is not the site's URL: {first:?}"));
    assert_eq!(addr.ip().to_string(), "127.0.0.1");

    let (status, body) = get(addr, "/p/4");
    assert!(status.contains(" 200 "), "{status}");
    assert!(body.contains("<title>Page 4</title>"), "{body}");
    let (_, stats) = get(addr, "/__stats");
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(stats["hits"]["/p/4"], 1);

    let pid = child.0.id().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "--serve did not stop on SIGTERM");
        thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}
