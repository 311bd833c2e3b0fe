//! Lesson 3: a queue between processes, over a pipe.
//!
//! The child (`worker produce`) computes results and sends each one to the parent as soon as it
//! has it: a serde message, framed as length + JSON (see `framing.rs`), written to its stdout,
//! which is a pipe to the parent. The parent reads messages off the pipe as they come, in the
//! order they were sent: the pipe is a first-in, first-out queue with the kernel as the buffer.
//! A final `Done` message says how many items there were, so the parent knows it has them all.
//!
//! The second child dies half-way through writing a message, like a process killed mid-write
//! or one that exits without flushing its buffered output. Its exit status is 0, so the status
//! alone would say all is well; the frame's length prefix is what reveals the missing bytes.

use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::child::{self, Program};
use crate::framing::{read_frame, write_frame};
use crate::supervised::Supervised;

/// A message on the queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    /// One result.
    Item { seq: u64, value: u64, cube: u64 },
    /// The end of the stream: how many items were sent.
    Done { sent: u64 },
}

/// The child side: send `count` items and `Done`. With `cut_after` = k, send k items and then
/// only the first half of the next frame, and exit with status 0.
pub fn child(count: u64, cut_after: Option<u64>) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for seq in 1..=count {
        let item = Message::Item {
            seq,
            value: seq * 10,
            cube: (seq * 10).pow(3),
        };
        if cut_after == Some(seq - 1) {
            let mut frame = Vec::new();
            write_frame(&mut frame, &item)?;
            // Half a message, then gone: a truncated stream, and yet a successful exit.
            std::io::Write::write_all(&mut out, &frame[..frame.len() / 2])?;
            std::io::Write::flush(&mut out)?;
            std::process::exit(0);
        }
        // Each message is flushed as it is written: the parent can use it right away.
        write_frame(&mut out, &item)?;
    }
    write_frame(&mut out, &Message::Done { sent: count })?;
    Ok(())
}

/// Starts a producer child and reads its queue to the end (or to the error).
fn transfer(program: &Program, count: u64, cut_after: Option<u64>) -> anyhow::Result<Transfer> {
    let mut args = vec!["produce".to_string(), "--count".into(), count.to_string()];
    if let Some(k) = cut_after {
        args.extend(["--cut-after".into(), k.to_string()]);
    }
    let mut cmd = program.worker(&args);
    cmd.stdout(Stdio::piped());
    let mut child = Supervised::spawn(&mut cmd).context("cannot start the producer child")?;
    let pid = child.id();
    let mut pipe = child
        .stdout
        .take()
        .context("the child's stdout is not piped")?;

    // Read messages as they arrive: the loop ends at `Done`, or at the first broken frame.
    let mut items = Vec::new();
    let error = loop {
        match read_frame::<_, Message>(&mut pipe) {
            Ok(Some(Message::Done { sent })) if sent == items.len() as u64 => break None,
            Ok(Some(Message::Done { sent })) => {
                break Some(format!("Done says {sent} items, {} arrived", items.len()))
            }
            Ok(Some(item)) => items.push(item),
            Ok(None) => break Some("the stream ended before Done".to_string()),
            Err(e) => break Some(format!("message {}: {e}", items.len() + 1)),
        }
    };
    // Close our end of the pipe before waiting. A child still writing now gets an error (EPIPE)
    // instead of blocking forever on a full pipe that nobody reads; either way it ends.
    drop(pipe);
    // Wait: reaps the child and gives its status.
    let status = child.wait().context("cannot wait for the producer")?;
    Ok(Transfer {
        pid,
        items,
        error,
        status,
    })
}

/// The parent side: one complete transfer of `count` items and one cut inside item 3.
pub fn run(program: &Program, count: u64) -> anyhow::Result<PipeQueue> {
    let start = Instant::now();
    let complete = transfer(program, count, None)?;
    let elapsed = start.elapsed();
    if let Some(err) = &complete.error {
        anyhow::bail!("the complete transfer failed: {err}");
    }
    child::check(complete.status, "the producer")?;
    let truncated = transfer(program, count, Some(2))?;
    Ok(PipeQueue {
        complete,
        truncated,
        elapsed,
    })
}

// ---- End of the lesson. Below: its result. ----

/// One child's conversation with the parent.
#[derive(Debug)]
pub struct Transfer {
    pub pid: u32,
    /// The items received, in the order received.
    pub items: Vec<Message>,
    /// Why the stream did not end with a proper `Done`, if it did not.
    pub error: Option<String>,
    pub status: ExitStatus,
}

/// A complete transfer and a truncated one.
#[derive(Debug)]
pub struct PipeQueue {
    pub complete: Transfer,
    pub truncated: Transfer,
    /// Time of the complete transfer, start of the child included.
    pub elapsed: Duration,
}
