//! The process models leave no child behind, whether the run succeeds or a worker crashes, and
//! a crash is reported with the worker and its exit status or signal.
//!
//! This file holds a single test on purpose: it counts the children of the test process in
//! /proc, so no other test may be starting processes at the same time.

#![cfg(target_os = "linux")]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use cpu_vs_io::models::{process_per_task, process_pool};
use cpu_vs_io::task::Task;

/// The children of this process, live or zombie, as (pid, state) from /proc/PID/stat.
fn our_children() -> Vec<(u32, String)> {
    let me = std::process::id();
    let mut children = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue; // exited while we looked
        };
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after
        // the last ')'.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next().unwrap_or("?").to_string();
        let ppid: u32 = fields.next().and_then(|f| f.parse().ok()).unwrap_or(0);
        if ppid == me {
            children.push((pid, state));
        }
    }
    children
}

fn assert_no_children(after: &str) {
    let left = our_children();
    assert!(left.is_empty(), "children left after {after}: {left:?}");
}

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn process_models_reap_every_child_and_report_crashes() {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_cpu-vs-io"));
    let tasks: Vec<Task> = (0..5).map(|id| Task::cpu(id, 300)).collect();
    assert_no_children("nothing");

    // Success.
    assert_eq!(process_per_task::run(&exe, &tasks).unwrap().len(), 5);
    assert_no_children("process-per-task");
    assert_eq!(process_pool::run(&exe, &tasks, 3).unwrap().len(), 5);
    assert_no_children("process-pool");

    // A worker that exits with status 1 without answering.
    let false_exe = Path::new("/bin/false");
    let err = format!(
        "{:#}",
        process_per_task::run(false_exe, &tasks).unwrap_err()
    );
    assert!(
        err.contains("the process of task 0") && err.contains("exited with status 1"),
        "{err}"
    );
    assert_no_children("process-per-task with a failing child");
    let err = format!("{:#}", process_pool::run(false_exe, &tasks, 3).unwrap_err());
    assert!(
        err.contains("process-pool worker ") && err.contains("exited with status 1"),
        "{err}"
    );
    assert_no_children("process-pool with failing workers");

    // A worker killed by a signal.
    let dir = tempfile::tempdir().unwrap();
    let killed = script(dir.path(), "killed", "kill -9 $$");
    let err = format!("{:#}", process_per_task::run(&killed, &tasks).unwrap_err());
    assert!(err.contains("killed by signal 9 (SIGKILL)"), "{err}");
    assert_no_children("process-per-task with a killed child");
    let err = format!("{:#}", process_pool::run(&killed, &tasks, 2).unwrap_err());
    assert!(err.contains("killed by signal 9 (SIGKILL)"), "{err}");
    assert_no_children("process-pool with killed workers");

    // A worker that answers garbage and then hangs: reported, then killed and reaped.
    let garbled = script(dir.path(), "garbled", "echo hello\nexec sleep 30");
    let err = format!("{:#}", process_pool::run(&garbled, &tasks, 2).unwrap_err());
    assert!(err.contains("\"hello\", not an answer"), "{err}");
    assert!(err.contains("killed by signal 9"), "{err}");
    assert_no_children("process-pool with a garbling worker");
    // (For one-shot children the garbage must end with the child: the parent reads to end of
    // file.)
    let garbled_once = script(dir.path(), "garbled-once", "echo hello");
    let err = format!(
        "{:#}",
        process_per_task::run(&garbled_once, &tasks).unwrap_err()
    );
    assert!(err.contains("unreadable answer"), "{err}");
    assert_no_children("process-per-task with a garbling child");

    // A program that cannot be started at all.
    let missing = dir.path().join("no-such-program");
    assert!(process_per_task::run(&missing, &tasks).is_err());
    assert!(process_pool::run(&missing, &tasks, 2).is_err());
    assert_no_children("a missing program");
}
