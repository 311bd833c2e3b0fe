//! Lesson 2: each process has its own memory.
//!
//! [`LIST`] is a global list in this program. The child (this same program, as
//! `worker fill-list`) pushes squares into *its* `LIST`. The parent then looks at *its* `LIST`:
//! still empty. Same code, same variable name, two processes, two separate copies: nothing
//! the child writes in its memory reaches the parent. (Threads, in contrast, share one memory:
//! that is why they need the `Mutex` around it.)
//!
//! The child's results reach the parent only when the child sends them: here as one framed
//! JSON message on its stdout (lesson 3 looks at framing). What arrives is a copy, made by
//! serializing in the child and deserializing in the parent.

use std::process::Stdio;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::child::{self, Program};
use crate::framing::{read_frame, write_frame};
use crate::supervised::Supervised;

/// The global list that each process has its own copy of.
pub static LIST: Mutex<Vec<u64>> = Mutex::new(Vec::new());

fn list() -> std::sync::MutexGuard<'static, Vec<u64>> {
    // A panic while holding the lock cannot leave a Vec of numbers half-changed: use it anyway.
    LIST.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The child side: fill this process's `LIST` with the squares of 1..=count, send it back.
pub fn child(count: u64) -> anyhow::Result<()> {
    list().extend((1..=count).map(|n| n * n));
    let message = ChildList {
        pid: std::process::id(),
        list: list().clone(),
    };
    write_frame(&mut std::io::stdout().lock(), &message)?;
    Ok(())
}

/// The parent side: a child fills its `LIST` with `count` squares; the parent's stays empty.
pub fn run(program: &Program, count: u64) -> anyhow::Result<SeparateMemory> {
    let start = Instant::now();
    let mut cmd = program.worker(["fill-list", "--count", &count.to_string()]);
    cmd.stdout(Stdio::piped());
    let mut child = Supervised::spawn(&mut cmd).context("cannot start the list-filling child")?;
    let mut pipe = child
        .stdout
        .take()
        .context("the child's stdout is not piped")?;
    // Read the child's one message (this waits until the child has sent it), then wait for
    // the child to exit. If the read failed, `child` is killed and reaped when it drops.
    let received: Option<ChildList> =
        read_frame(&mut pipe).context("cannot read the child's list")?;
    let status = child.wait().context("cannot wait for the child")?;
    child::check(status, "the list-filling child")?;
    let received = received.context("the child exited without sending its list")?;

    // The child has filled its list and exited. Ours:
    let parent_list = list().clone();
    Ok(SeparateMemory {
        parent_list,
        received,
        elapsed: start.elapsed(),
    })
}

// ---- End of the lesson. Below: the message the child sends, and the result. ----

/// What the child sends back: its pid and its copy of the list.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChildList {
    pub pid: u32,
    pub list: Vec<u64>,
}

/// What the parent saw.
#[derive(Debug)]
pub struct SeparateMemory {
    /// The parent's own `LIST` after the child filled the child's: empty.
    pub parent_list: Vec<u64>,
    /// The child's `LIST`, as the child sent it.
    pub received: ChildList,
    pub elapsed: Duration,
}
