//! The processes mode under faults: the hidden switch PROCESS_CRUNCH_FAULT makes a chosen
//! worker crash (abort after writing half its reply) or hang.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A file big enough that 3 workers each get many lines.
fn sample(dir: &std::path::Path) -> std::path::PathBuf {
    generate(dir, "sample.txt", 30_000, 100, 5)
}

fn run_with_fault(file: &std::path::Path, fault: &str, extra: &[&str]) -> std::process::Output {
    fault_command(file, fault, extra).output().unwrap()
}

/// The command `run_with_fault` runs, to run it under a hang guard instead.
fn fault_command(file: &std::path::Path, fault: &str, extra: &[&str]) -> Command {
    let mut command = bin();
    command
        .env("PROCESS_CRUNCH_FAULT", fault)
        .arg("run")
        .arg(file)
        .args(["--mode", "processes", "--workers", "3"])
        .args(extra);
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
fn a_crashed_worker_is_retried_and_the_result_is_complete() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample(dir.path());
    let expected = run(&file, "sequential", "csv", 1, &[]).stdout;
    for parser in PARSERS {
        let output = run_with_fault(&file, "crash:1", &["--parser", parser]);
        let err = stderr(&output);
        assert!(output.status.success(), "{err}");
        assert_eq!(output.stdout, expected);
        assert!(
            err.contains("worker 1 (bytes ")
                && err.contains("was killed by signal 6 (SIGABRT); retrying in a fresh process (attempt 2 of 2)"),
            "{err}"
        );
    }
    // The JSON record counts the retry.
    let output = run_with_fault(&file, "crash:0,crash:2", &["--json", "--retries", "1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let record: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(record["retried"], 2);
    assert_eq!(record["ok"], true);
}

#[test]
fn retries_run_out() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample(dir.path());
    let output = run_with_fault(&file, "crash-always:2", &["--retries", "2"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(output.stdout.is_empty());
    assert_eq!(
        err.matches("retrying in a fresh process").count(),
        2,
        "{err}"
    );
    assert!(
        err.contains("error: worker 2 (bytes ") && err.contains("gave up after 3 attempts"),
        "{err}"
    );
}

#[test]
fn with_no_retries_a_crash_kills_and_reaps_the_other_workers() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample(dir.path());
    let needle = file.to_str().unwrap();
    // Worker 0 hangs for an hour: only the supervisor killing it ends the run. Should it not,
    // the hang guard (60 s, far above an honest run) fails the test rather than waiting.
    let command = fault_command(&file, "hang:0,crash:1", &["--retries", "0"]);
    let output = output_within(command, Duration::from_secs(60));
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("worker 1 (bytes ")
            && err.contains("was killed by signal 6 (SIGABRT); gave up after 1 attempt"),
        "{err}"
    );
    // The parent has exited; no worker of this run is left (a leftover would be the hung
    // worker 0, sleeping with the file's path on its command line).
    assert_eq!(processes_mentioning(needle), Vec::<u32>::new());
}

#[test]
fn a_hung_worker_is_killed_at_the_timeout_and_its_range_retried() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample(dir.path());
    let needle = file.to_str().unwrap();
    let expected = run(&file, "sequential", "csv", 1, &[]).stdout;

    // Hangs on its first attempt only: the timeout kills it, the retry finishes the range.
    let output = run_with_fault(&file, "hang-once:2", &["--worker-timeout-s", "1"]);
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert_eq!(output.stdout, expected);
    assert!(
        err.contains("worker 2 (bytes ")
            && err.contains("did not finish within --worker-timeout-s (1.0 s) and was killed; retrying in a fresh process (attempt 2 of 2)"),
        "{err}"
    );

    // Hangs on every attempt: the run gives up with exit 1, and no worker is left behind.
    let output = run_with_fault(&file, "hang:2", &["--worker-timeout-s", "0.5"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("did not finish within --worker-timeout-s (0.5 s) and was killed; gave up after 2 attempts"),
        "{err}"
    );
    assert_eq!(processes_mentioning(needle), Vec::<u32>::new());

    // Not a number of seconds: a usage error.
    let output = run_with_fault(&file, "", &["--worker-timeout-s", "-1"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[cfg(target_os = "linux")]
#[test]
fn workers_die_with_their_parent() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample(dir.path());
    let needle = file.to_str().unwrap().to_string();
    let mut parent = Command::new(env!("CARGO_BIN_EXE_process-crunch"))
        .env("PROCESS_CRUNCH_FAULT", "hang:0")
        .arg("run")
        .arg(&file)
        .args(["--mode", "processes", "--workers", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the hung worker to show up (the parent's command line mentions the path too).
    let start = Instant::now();
    while processes_mentioning(&needle).len() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "worker never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // SIGKILL: the parent runs no code at all, only PR_SET_PDEATHSIG can stop the worker.
    parent.kill().unwrap();
    parent.wait().unwrap();
    let left = wait_until_gone(&needle, Duration::from_secs(10));
    assert!(left.is_empty(), "workers still running: {left:?}");
}
