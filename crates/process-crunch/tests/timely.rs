//! The timely mode: the same bytes as `sequential` for every shape of processes x workers, a
//! hostfile run of two separately started processes, and the two faults: a peer that never
//! comes and a peer that dies mid-run.
#![cfg(feature = "timely")]

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// `run FILE --mode timely --parser P --workers W --processes N` plus `extra`.
fn timely(file: &Path, parser: &str, workers: usize, processes: usize, extra: &[&str]) -> Output {
    let processes = processes.to_string();
    let mut args = vec!["--processes", processes.as_str()];
    args.extend_from_slice(extra);
    run(file, "timely", parser, workers, &args)
}

/// `n` distinct 127.0.0.1 addresses that were free a moment ago.
fn free_addresses(n: usize) -> Vec<String> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().to_string())
        .collect()
}

fn hostfile(dir: &Path, name: &str, addresses: &[String]) -> PathBuf {
    let text = format!("# one host:port per process\n{}\n", addresses.join("\n"));
    write(dir, name, text.as_bytes())
}

/// A command for process `index` of a hostfile run.
fn hostfile_process(
    file: &Path,
    hosts: &Path,
    index: usize,
    workers: usize,
) -> std::process::Command {
    let mut command = bin();
    command
        .arg("run")
        .arg(file)
        .args(["--mode", "timely", "--workers", &workers.to_string()])
        .arg("--hostfile")
        .arg(hosts)
        .args(["--process-index", &index.to_string()]);
    command
}

/// Waits up to `limit` for no live process to mention `needle`; returns the survivors.
fn wait_until_gone(needle: &str, limit: Duration) -> Vec<u32> {
    let start = Instant::now();
    loop {
        let left = processes_mentioning(needle);
        if left.is_empty() || start.elapsed() > limit {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn every_shape_prints_what_sequential_prints() {
    let dir = tempfile::tempdir().unwrap();
    let file = generate(dir.path(), "m.txt", 20_000, 2_000, 7);
    let expected = reference_answer(&std::fs::read(&file).unwrap());
    assert_eq!(run(&file, "sequential", "csv", 1, &[]).stdout, expected);
    for parser in PARSERS {
        for processes in 1..=3 {
            for workers in 1..=2 {
                let output = timely(&file, parser, workers, processes, &[]);
                assert!(
                    output.status.success(),
                    "{parser} {processes}x{workers}: {}",
                    stderr(&output)
                );
                assert!(
                    output.stdout == expected,
                    "{parser} {processes}x{workers} differs from sequential"
                );
            }
        }
    }
}

#[test]
fn tiny_files_leave_most_workers_with_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.txt", b"");
    let one = write(dir.path(), "one.txt", "Zürich;-0.0\n".as_bytes());
    for (file, expected) in [
        (&empty, &b"{}\n"[..]),
        (&one, "{Zürich=0.0/0.0/0.0}\n".as_bytes()),
    ] {
        for parser in PARSERS {
            let output = timely(file, parser, 2, 3, &[]);
            assert!(output.status.success(), "{}", stderr(&output));
            assert_eq!(output.stdout, expected);
        }
    }
}

#[test]
fn the_json_record_counts_every_worker_of_every_process() {
    let dir = tempfile::tempdir().unwrap();
    let file = generate(dir.path(), "m.txt", 5_000, 50, 3);
    let output = timely(&file, "fast", 2, 2, &["--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let record: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(record["demo"], "process-crunch");
    assert_eq!(record["mode"], "timely");
    assert_eq!(record["workload"], "fast");
    assert_eq!(record["workers"], 4);
    assert_eq!(record["processes"], 2);
    assert_eq!(record["items"], 5_000);
    assert_eq!(record["ok"], true);
    assert!(record["wall_ms"].as_f64().unwrap() > 0.0);
    assert!(record["connect_ms"].as_f64().is_some());
}

#[test]
fn a_bad_line_is_the_error_sequential_gives() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = Vec::new();
    for i in 0..2_000 {
        data.extend_from_slice(format!("s{};{}.5\n", i % 7, i % 90).as_bytes());
    }
    data.extend_from_slice(b"bad line\n");
    data.extend_from_slice(&data.clone()[..6_000]);
    data.extend_from_slice(b"x;1.23\n");
    let file = write(dir.path(), "bad.txt", &data);
    let sequential = run(&file, "sequential", "csv", 1, &[]);
    assert_eq!(sequential.status.code(), Some(1));
    for parser in PARSERS {
        let output = timely(&file, parser, 2, 2, &[]);
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        assert!(output.stdout.is_empty());
        assert_eq!(stderr(&output), stderr(&sequential));
    }
    // --skip-bad: the same result and count as sequential.
    let sequential = run(&file, "sequential", "csv", 1, &["--skip-bad", "--json"]);
    let output = timely(&file, "fast", 2, 3, &["--skip-bad", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_slice(&sequential.stdout).unwrap(),
        serde_json::from_slice(&output.stdout).unwrap(),
    );
    assert_eq!(a["errors"], 2);
    assert_eq!(
        (a["errors"].clone(), a["items"].clone()),
        (b["errors"].clone(), b["items"].clone())
    );
}

#[test]
fn two_processes_started_separately_with_a_hostfile() {
    let dir = tempfile::tempdir().unwrap();
    let file = generate(dir.path(), "m.txt", 20_000, 300, 11);
    let expected = run(&file, "sequential", "fast", 1, &[]).stdout;
    let hosts = hostfile(dir.path(), "hosts.txt", &free_addresses(2));

    // As on two hosts: process 1 first (it waits for process 0), then process 0.
    let peer = hostfile_process(&file, &hosts, 1, 2)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = hostfile_process(&file, &hosts, 0, 2)
        .args(["--parser", "fast"])
        .output()
        .unwrap();
    let peer = peer.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(peer.status.success(), "{}", stderr(&peer));
    // Only process 0 prints the result.
    assert_eq!(output.stdout, expected);
    assert!(peer.stdout.is_empty());
    assert!(
        stderr(&peer).contains("timely process 1 of 2: done"),
        "{}",
        stderr(&peer)
    );
}

#[test]
fn a_peer_that_never_comes_is_an_error_within_the_connect_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "m.txt", b"a;1.0\n");
    // Two runs, each missing its other half, at once (so the suite waits 10 s once): process
    // 1 dials a process 0 that is not there; process 0 waits for a process 1 that never dials.
    // The default timeout is 10 s. Process 0's absent address is port 1, where nothing
    // listens: a port picked free and released could be taken meanwhile by a listener of a
    // test running alongside, which would answer the dial.
    let free = free_addresses(3);
    let addresses = [
        "127.0.0.1:1".to_string(),
        free[0].clone(),
        free[1].clone(),
        free[2].clone(),
    ];
    let alone_1 = hostfile(dir.path(), "a.txt", &addresses[..2]);
    let alone_0 = hostfile(dir.path(), "b.txt", &addresses[2..]);
    let dialer = hostfile_process(&file, &alone_1, 1, 1)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let listener = hostfile_process(&file, &alone_0, 0, 1).output().unwrap();
    let dialer = dialer.wait_with_output().unwrap();

    assert_eq!(dialer.status.code(), Some(1));
    let err = stderr(&dialer);
    assert!(
        err.contains(&format!(
            "timely process 1: cannot reach process 0 at {} within 10 s",
            addresses[0]
        )),
        "{err}"
    );
    assert_eq!(listener.status.code(), Some(1));
    let err = stderr(&listener);
    assert!(
        err.contains(&format!(
            "timely process 0: no connection from process 1 ({}) within 10 s",
            addresses[3]
        )),
        "{err}"
    );
}

#[test]
fn a_peer_that_dies_mid_run_fails_the_run_and_leaves_no_process() {
    let dir = tempfile::tempdir().unwrap();
    let file = generate(dir.path(), "m.txt", 20_000, 100, 5);
    let needle = dir.path().to_string_lossy().into_owned();
    for (fault, processes, says) in [
        ("timely-exit:1", 2, "process 1 exited with status 3"),
        ("timely-exit:1", 3, "process 1 exited with status 3"),
        (
            "timely-kill:2",
            3,
            "process 2 was killed by signal 9 (SIGKILL)",
        ),
    ] {
        let output = bin()
            .env("PROCESS_CRUNCH_FAULT", fault)
            .arg("run")
            .arg(&file)
            .args([
                "--mode",
                "timely",
                "--workers",
                "2",
                "--processes",
                &processes.to_string(),
            ])
            .output()
            .unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{fault} x{processes}: {err}");
        assert!(output.stdout.is_empty());
        assert!(
            err.contains("the timely run failed") && err.contains(says),
            "{fault} x{processes}: {err}"
        );
        // The launcher reaped every child before it exited.
        assert_eq!(
            processes_mentioning(&needle),
            Vec::<u32>::new(),
            "{fault}: children left"
        );
    }

    // Two separately started processes: the survivor fails on its own, with a message.
    let hosts = hostfile(dir.path(), "hosts.txt", &free_addresses(2));
    let peer = hostfile_process(&file, &hosts, 1, 1)
        .env("PROCESS_CRUNCH_FAULT", "timely-exit:1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = hostfile_process(&file, &hosts, 0, 1).output().unwrap();
    let peer = peer.wait_with_output().unwrap();
    assert_eq!(peer.status.code(), Some(3));
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("timely process 0: lost the connection to process 1"),
        "{err}"
    );
    assert_eq!(
        wait_until_gone(&needle, Duration::from_secs(10)),
        Vec::<u32>::new()
    );
}

#[test]
fn a_missing_file_is_the_error_every_mode_gives() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.txt");
    let sequential = run(&missing, "sequential", "csv", 1, &[]);
    let output = timely(&missing, "fast", 1, 3, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr(&output), stderr(&sequential));
}

#[test]
fn timely_flags_outside_timely_mode_and_half_a_hostfile_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "m.txt", b"a;1.0\n");
    let output = run(&file, "threads", "csv", 2, &["--processes", "2"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--processes is a flag of --mode timely"),
        "{}",
        stderr(&output)
    );

    let output = run(&file, "timely", "csv", 1, &["--process-index", "1"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));

    let hosts = write(dir.path(), "hosts.txt", b"127.0.0.1:1\nnot-an-address\n");
    let output = run(
        &file,
        "timely",
        "csv",
        1,
        &[
            "--hostfile",
            hosts.to_str().unwrap(),
            "--process-index",
            "0",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("has `not-an-address`, not `host:port`"),
        "{}",
        stderr(&output)
    );
}
