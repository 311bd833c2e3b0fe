//! One worker process of the pool (lesson 6): its own loop, and the parent's handle on it.
//!
//! The worker's side is [`serve`]: answer jobs from stdin until stdin closes. The parent's side
//! is [`Member`]: started with a reader thread that drains the worker's stdout the whole time
//! and forwards each answer on a channel, so the parent never blocks on one worker while
//! another's pipe fills up; fed one job at a time over the worker's stdin; told to stop by
//! closing that stdin; and then waited for ([`stop_all`]). The jobs and the answers are framed
//! messages (`framing.rs`).

use std::io::BufReader;
use std::process::{ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;

use anyhow::{anyhow, Context};
use serde::{Deserialize, Serialize};

use crate::child;
use crate::framing::{read_frame, write_frame, FrameError};
use crate::supervised::{describe, Supervised};

/// A job, parent to worker.
#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub index: usize,
    pub input: u64,
}

/// An answer, worker to parent.
#[derive(Debug, Serialize, Deserialize)]
pub struct Answer {
    pub index: usize,
    pub output: u64,
    pub pid: u32,
}

/// What a reader thread forwards: from which worker, an answer or the end of its stream.
pub type Forwarded = (usize, Result<Option<Answer>, FrameError>);

/// The worker side: apply `work` to each job read from stdin, until stdin closes. Panics on
/// `panic_on`, for the test of a pool member that crashes.
pub fn serve(work: fn(u64) -> u64, panic_on: Option<u64>) -> anyhow::Result<()> {
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut output = std::io::stdout().lock();
    // `Ok(None)`: the parent closed our stdin. No more jobs: return, and the process exits.
    while let Some(job) = read_frame::<_, Job>(&mut input)? {
        if Some(job.input) == panic_on {
            panic!("pool member refuses input {}", job.input);
        }
        let answer = Answer {
            index: job.index,
            output: work(job.input),
            pid: std::process::id(),
        };
        write_frame(&mut output, &answer)?;
    }
    Ok(())
}

/// One worker process as the parent holds it.
pub struct Member {
    child: Supervised,
    /// The write end of its stdin; `None` once closed (no more jobs for it).
    stdin: Option<ChildStdin>,
    /// The job it is working on.
    pub current: Option<usize>,
    reader: thread::JoinHandle<()>,
}

impl Member {
    /// Starts worker `w` from `cmd`, with a reader thread that owns its stdout and forwards
    /// what it reads, tagged `w`, to `reports`.
    pub fn start(
        w: usize,
        cmd: &mut Command,
        reports: mpsc::Sender<Forwarded>,
    ) -> anyhow::Result<Member> {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
        let mut child =
            Supervised::spawn(cmd).with_context(|| format!("cannot start pool worker {w}"))?;
        let stdin = child
            .stdin
            .take()
            .context("the worker's stdin is not piped")?;
        let stdout = child
            .stdout
            .take()
            .context("the worker's stdout is not piped")?;
        let reader = thread::Builder::new().spawn(move || {
            let mut stdout = BufReader::new(stdout);
            loop {
                let answer = read_frame::<_, Answer>(&mut stdout);
                let last = !matches!(answer, Ok(Some(_)));
                // If the parent has stopped listening there is nobody to tell: just stop.
                if reports.send((w, answer)).is_err() || last {
                    break;
                }
            }
            // The reader's sender drops here; the stdout pipe closes with `stdout`.
        });
        // If the thread cannot start, `child` drops here: the worker is killed and reaped.
        let reader =
            reader.with_context(|| format!("cannot start the reader of pool worker {w}"))?;
        Ok(Member {
            child,
            stdin: Some(stdin),
            current: None,
            reader,
        })
    }

    /// Sends the next job, or closes stdin if there is none left.
    pub fn feed(
        &mut self,
        jobs: &mut impl Iterator<Item = (usize, u64)>,
    ) -> Result<(), FrameError> {
        match (jobs.next(), self.stdin.as_mut()) {
            (Some((index, input)), Some(stdin)) => {
                self.current = Some(index);
                write_frame(stdin, &Job { index, input })
            }
            _ => {
                // No jobs left: dropping the write end closes the pipe; the worker reads the
                // end of its input, leaves its loop and exits.
                self.current = None;
                self.stdin = None;
                Ok(())
            }
        }
    }

    /// Stops worker `w` and waits for it: closes its stdin (and with `kill`, kills it first:
    /// it may be busy or waiting for a job), reaps it, then joins its reader thread.
    pub fn stop(mut self, w: usize, kill: bool) -> anyhow::Result<ExitStatus> {
        self.stdin = None;
        if kill {
            let _ = self.child.kill(); // fails only if it has already exited: fine
        }
        // Wait: reaps the worker (one that died keeps the status it died with). Its exit
        // closes its stdout, so its reader thread ends.
        let status = self
            .child
            .wait()
            .with_context(|| format!("cannot wait for pool worker {w}"));
        // Join the reader: it has sent all it will (or found nobody listening) and returned.
        self.reader
            .join()
            .map_err(|_| anyhow!("the reader of pool worker {w} panicked"))?;
        status
    }
}

/// Stops every member and waits for each. On success every stdin is already closed and each
/// worker is exiting by itself; after a `failure` (the worker at fault, and why) every worker is
/// killed first. Then the failure, or any worker that did not exit cleanly, is reported.
pub fn stop_all(
    members: Vec<Member>,
    failure: Option<(usize, String)>,
    inputs: &[u64],
) -> anyhow::Result<()> {
    let mut error = None;
    for (w, member) in members.into_iter().enumerate() {
        let job = member.current.map(|i| (i, inputs[i]));
        let problem = match (&failure, member.stop(w, failure.is_some())) {
            (Some((f, why)), status) if *f == w => Some(failed(w, job, why, status)),
            (Some(_), _) => None, // killed by us: its status tells nothing new
            (None, status) => status
                .and_then(|s| child::check(s, &format!("pool worker {w}")))
                .err(),
        };
        // Every worker is stopped and reaped, even after the first error; that one is kept.
        error = error.or(problem);
    }
    error.map_or(Ok(()), Err)
}

/// The error for worker `w`, which failed for reason `why` on `job` (index, input) if it had
/// one, and ended with `status`.
fn failed(
    w: usize,
    job: Option<(usize, u64)>,
    why: &str,
    status: anyhow::Result<ExitStatus>,
) -> anyhow::Error {
    let status = status.map_or_else(|e| format!("{e:#}"), describe);
    match job {
        Some((i, input)) => {
            anyhow!("pool worker {w} failed on input #{i} ({input}): {why}; {status}")
        }
        None => anyhow!("pool worker {w} failed: {why}; {status}"),
    }
}
