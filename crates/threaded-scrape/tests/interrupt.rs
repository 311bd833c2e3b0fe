//! Ctrl-C keeps the work: SIGINT sent to the running binary, as a terminal would.

#[macro_use]
mod common;

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::bin;
use threaded_scrape::site::{Site, SiteConfig};

fn slow_site(latency_ms: u64) -> Site {
    Site::start(
        "127.0.0.1:0",
        SiteConfig {
            pages: 200,
            latency: Duration::from_millis(latency_ms),
            ..SiteConfig::default()
        },
    )
    .expect("start the test site")
}

/// Sends SIGINT to `child` with `kill -INT`. `None` (and a SKIP line) where `kill` is missing.
fn sigint(child: &Child) -> Option<()> {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    match status {
        Ok(s) if s.success() => Some(()),
        other => {
            skip!("SKIP: cannot send SIGINT with kill: {other:?}");
            None
        }
    }
}

/// Waits for `child` to exit, at most `limit`; kills it (and fails) past that.
fn wait_at_most(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the crawler did not exit within {limit:?} of SIGINT");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Polls until `until()` holds, at most 30 s.
fn wait_for(what: &str, until: impl Fn() -> bool) {
    let start = Instant::now();
    while !until() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

fn data_lines(csv: &Path) -> usize {
    std::fs::read_to_string(csv).map_or(0, |t| t.lines().count().saturating_sub(1))
}

fn spawn(args: &[&str]) -> Child {
    bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start threaded-scrape")
}

fn stderr_of(child: Child) -> String {
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_first_ctrl_c_keeps_the_rows_and_the_summary() {
    for mode in common::modes() {
        let site = slow_site(100);
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("out.csv");
        let mut child = spawn(&[
            "--mode",
            mode,
            "--workers",
            "2",
            "--per-host",
            "2",
            "--out",
            csv.to_str().unwrap(),
            &site.url(),
        ]);
        // Rows are on disk while the crawl runs, not only at its end.
        wait_for("rows in the CSV", || data_lines(&csv) >= 3);
        let before = data_lines(&csv);
        if sigint(&child).is_none() {
            let _ = child.kill();
            let _ = child.wait();
            return;
        }
        let status = wait_at_most(&mut child, Duration::from_secs(20));
        let err = stderr_of(child);
        assert_eq!(status.code(), Some(130), "{mode}: {err}");
        assert!(err.contains("interrupted"), "{mode}: {err}");
        assert!(
            err.contains("pages:"),
            "{mode}: the summary is missing: {err}"
        );
        // Every row written is whole (the CSV parses), and none was lost.
        let rows = common::read_csv(&csv);
        assert!(
            rows.len() >= before,
            "{mode}: {} rows after, {before} before",
            rows.len()
        );
        assert!(rows.len() < 200, "{mode}: the crawl was not stopped");
    }
}

#[test]
fn the_grace_is_bounded_and_a_second_ctrl_c_quits_at_once() {
    // Every answer takes 8 s: after SIGINT the request in flight outlasts the grace.
    let runs = common::parallel_modes()
        .into_iter()
        .flat_map(|mode| [(mode, "0.3", 1), (mode, "60", 2)]);
    for (mode, grace, signals) in runs {
        let site = slow_site(8000);
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("out.csv");
        let mut child = spawn(&[
            "--mode",
            mode,
            "--grace-s",
            grace,
            "--out",
            csv.to_str().unwrap(),
            &site.url(),
        ]);
        // The crawl's first request (robots.txt) is in flight.
        wait_for("a request in flight", || site.stats().peak_in_flight >= 1);
        if sigint(&child).is_none() {
            let _ = child.kill();
            let _ = child.wait();
            return;
        }
        if signals == 2 {
            thread::sleep(Duration::from_millis(300));
            if sigint(&child).is_none() {
                let _ = child.kill();
                let _ = child.wait();
                return;
            }
        }
        // Far less than the request (8 s) plus the grace (60 s): the limits are what ended it.
        let status = wait_at_most(&mut child, Duration::from_secs(5));
        let err = stderr_of(child);
        assert_eq!(status.code(), Some(130), "{mode}, grace {grace}: {err}");
        if signals == 1 {
            assert!(err.contains("1 requests given up on"), "{mode}: {err}");
        } else {
            assert!(err.contains("quitting now"), "{mode}: {err}");
        }
        // The CSV was created before the first request: its header is there.
        assert_eq!(data_lines(&csv), 0);
        assert!(std::fs::read_to_string(&csv).unwrap().starts_with("url,"));
    }
}
