//! A new child process for every task, all started at once: thread-per-task with processes.
//! Each child is this program again, given its task as a JSON argument (`__run-task JSON`); it
//! prints its result as one line on stdout and exits. Separate memory means nothing is shared
//! and a crash takes down one task, not the program; the price is a process start (fork, exec,
//! the dynamic loader, `main`) per task, which is the difference between this model's time and
//! thread-per-task's.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Stdio};

use anyhow::{anyhow, bail, Context, Result};

use crate::spawn::{child_command, describe, excerpt, kill_and_reap};
use crate::task::{Task, TaskResult};
use crate::worker::RUN_TASK_SUBCOMMAND;

pub fn run(exe: &Path, tasks: &[Task]) -> Result<Vec<TaskResult>> {
    // Start every process before collecting any, as thread-per-task does with threads.
    let mut children: Vec<Child> = Vec::with_capacity(tasks.len());
    for task in tasks {
        let started = serde_json::to_string(task)
            .map_err(anyhow::Error::from)
            .and_then(|json| {
                child_command(exe)
                    .arg(RUN_TASK_SUBCOMMAND)
                    .arg(json)
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .spawn()
                    .with_context(|| format!("starting {} for task {}", exe.display(), task.id()))
            });
        match started {
            Ok(child) => children.push(child),
            Err(err) => {
                // Leave nothing behind: the processes already started are killed and reaped.
                kill_and_reap(&mut children);
                return Err(err);
            }
        }
    }

    // Collect the answers in task order. Reading one child's pipe while the others wait is
    // safe only because each child writes a single short line, far below the 64 KiB a pipe
    // holds, so no child can block on a full pipe meanwhile. (`process_pool.rs` shows the
    // general case: a thread per child that drains its pipe as it runs.)
    let mut results = Vec::with_capacity(tasks.len());
    let mut children = children.into_iter();
    for (task, mut child) in tasks.iter().zip(children.by_ref()) {
        match collect(task, &mut child) {
            Ok(result) => results.push(result),
            Err(err) => {
                // One child failed, so the run has failed: kill the rest instead of waiting for
                // their tasks, and reap each one so that no zombie is left.
                kill_and_reap(&mut children.collect());
                return Err(err);
            }
        }
    }
    Ok(results)
}

/// Reads one child's answer to the end, then reaps it and checks how it ended.
fn collect(task: &Task, child: &mut Child) -> Result<TaskResult> {
    let pid = child.id();
    let mut answer = String::new();
    let read = match child.stdout.take() {
        Some(mut stdout) => stdout.read_to_string(&mut answer).map(drop),
        None => Err(std::io::Error::other("its stdout was not captured")),
    };
    // `wait` reaps the child whatever happened to the read: no zombie either way.
    let status = child
        .wait()
        .with_context(|| format!("waiting for the process of task {} (pid {pid})", task.id()))?;
    if !status.success() {
        bail!(
            "the process of task {} (pid {pid}) {}",
            task.id(),
            describe(status)
        );
    }
    read.with_context(|| format!("reading the answer of task {} (pid {pid})", task.id()))?;
    serde_json::from_str(answer.trim()).map_err(|err| {
        anyhow!(
            "the process of task {} (pid {pid}) gave an unreadable answer {:?}: {err}",
            task.id(),
            excerpt(&answer)
        )
    })
}
