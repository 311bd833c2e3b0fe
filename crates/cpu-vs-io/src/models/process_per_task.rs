//! A new child process for every task, all started at once: thread-per-task with processes.
//! Sequentially this is `tasks.iter().map(run_task).collect()`; here each `run_task` runs in a
//! child that is this program again, given its task as a JSON argument (`__run-task JSON`); it
//! prints its result as one line on stdout and exits. Separate memory means nothing is shared
//! and a crash takes down one task, not the program; the price is a process start (fork, exec,
//! the dynamic loader, `main`) per task, which is the difference between this model's time and
//! thread-per-task's.

use std::io::Read;
use std::path::Path;
use std::process::Stdio;

use anyhow::{anyhow, bail, Context, Result};

use crate::spawn::{child_command, describe, excerpt, spawn, Supervised};
use crate::task::{Task, TaskResult};
use crate::worker::RUN_TASK_SUBCOMMAND;

/// The most tasks, and so processes at once, this model takes.
pub const MAX_TASKS: usize = 4096;

pub fn run(exe: &Path, tasks: &[Task]) -> Result<Vec<TaskResult>> {
    // Start every process before collecting any, as thread-per-task does with threads. Each is
    // owned by a `Supervised`: if starting the next one fails, the `?` drops `children`, which
    // kills and reaps the ones already running.
    let mut children: Vec<Supervised> = Vec::with_capacity(tasks.len());
    for task in tasks {
        let json = serde_json::to_string(task)?;
        let mut cmd = child_command(exe);
        cmd.arg(RUN_TASK_SUBCOMMAND)
            .arg(json)
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        children.push(spawn(
            &mut cmd,
            &format!("the process of task {}", task.id()),
        )?);
    }

    // Collect the answers in task order. Reading one child's pipe while the others wait is
    // safe only because each child writes a single short line, far below the 64 KiB a pipe
    // holds, so no child can block on a full pipe meanwhile. (`process_pool.rs` shows the
    // general case: a thread per child that drains its pipe as it runs.)
    let mut results = Vec::with_capacity(tasks.len());
    for (task, child) in tasks.iter().zip(children.iter_mut()) {
        // On an error the `?` returns at once; dropping `children` then kills the processes
        // still running instead of waiting for their tasks, and reaps every one.
        results.push(collect(task, child)?);
    }
    Ok(results)
}

/// Reads one child's answer to the end, then reaps it and checks how it ended.
fn collect(task: &Task, child: &mut Supervised) -> Result<TaskResult> {
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
