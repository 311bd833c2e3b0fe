//! Lesson 1: spawn a child process, wait for it, read its exit status.
//!
//! `Command::spawn` starts the child (here: this program again, as `worker greet`) and returns
//! at once; the child runs alongside the parent, with its own process id. `wait` blocks until
//! the child ends and returns its exit status: the code it passed to `exit` (0 means success),
//! or on Unix the signal that killed it (lesson 7). Waiting also *reaps* the child: until some
//! process waits for it, a dead child stays in the process table as a zombie. Every lesson
//! starts its children through `Supervised::spawn` (`supervised.rs`), which also kills and
//! reaps a child that an error left behind.
//!
//! The parent reads what the child prints through a pipe, and it reads it all *before* waiting.
//! A pipe holds about 64 KiB; a child with more to say blocks until someone reads, and a parent
//! that waited first would wait forever for a child that waits for it.

use std::io::{Read, Write};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::child::Program;
use crate::supervised::Supervised;

/// The parent side: starts two children, one that succeeds and one that exits with 3.
pub fn run(program: &Program) -> anyhow::Result<SpawnLesson> {
    let start = Instant::now();
    let mut children = Vec::new();
    for asked in [0u8, 3] {
        let mut cmd = program.worker(["greet", "--exit-code", &asked.to_string()]);
        cmd.stdout(Stdio::piped());
        let mut child = Supervised::spawn(&mut cmd).context("cannot start the greeting child")?;
        let pid = child.id();
        // Drain the pipe first: read_to_string returns when the child closes its stdout,
        // which it does by exiting.
        let mut said = String::new();
        child
            .stdout
            .take()
            .context("the child's stdout is not piped")?
            .read_to_string(&mut said)
            .with_context(|| format!("cannot read from child {pid}"))?;
        // Now wait: the child has exited or is about to. This reaps it and gives its status.
        let status = child
            .wait()
            .with_context(|| format!("cannot wait for child {pid}"))?;
        let said = said.trim_end().to_string();
        children.push(Spawned {
            pid,
            asked,
            said,
            status,
        });
    }
    let parent_pid = std::process::id();
    Ok(SpawnLesson {
        parent_pid,
        children,
        elapsed: start.elapsed(),
    })
}

/// The child side: greet on stdout, then exit with `exit_code`.
pub fn child(exit_code: u8) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    write!(out, "hello from the child: pid {}", std::process::id())?;
    #[cfg(unix)]
    write!(out, ", parent {}", std::os::unix::process::parent_id())?;
    writeln!(out)?;
    // `exit` does not run destructors or flush buffers, so flush first.
    out.flush()?;
    std::process::exit(i32::from(exit_code));
}

// ---- End of the lesson. Below: its result. ----

/// One child: who it was, what it printed, how it ended.
#[derive(Debug)]
pub struct Spawned {
    pub pid: u32,
    /// The exit code it was asked to use.
    pub asked: u8,
    /// Its stdout.
    pub said: String,
    pub status: ExitStatus,
}

/// The lesson's result: the parent's pid and its children.
#[derive(Debug)]
pub struct SpawnLesson {
    pub parent_pid: u32,
    pub children: Vec<Spawned>,
    pub elapsed: Duration,
}
