//! One range per child process: the supervisor side. (The child's side is `worker.rs`.)
//!
//! What processes add to the threads mode, step by step:
//! 1. **Spawn** `workers` children of this same binary (`current_exe()`), each told its range on
//!    the command line of the hidden `worker` command. Each one opens (and maps) the file
//!    itself: processes share no memory.
//! 2. **Collect**: each child writes its `Partial` as one serialized frame (`frame.rs`) to its
//!    stdout. One reader thread per child reads that pipe *while the child runs*: a pipe holds
//!    only 64 KiB, so a parent that waited first and read afterwards would deadlock with a
//!    child blocked on a full pipe.
//! 3. **Wait**: when a child's stdout ends, the child is exiting; the parent reaps it and looks
//!    at both its exit status and its frame. A child killed by a signal, exiting non-zero, or
//!    leaving a short or garbled frame has crashed: its range is run again in a fresh process,
//!    up to `--retries` times. When that fails too, every other child is killed and reaped.
//!    With `--worker-timeout-s`, a child still running past its time is killed, and so counts
//!    as crashed: a hung worker costs a retry instead of stalling the run forever.
//! 4. **Merge** the partials, exactly as the threads mode does. A malformed line reported by
//!    one worker is an answer, not a crash: it is not retried, and the others are left to
//!    finish, so that the error reported is the first in the file, as in every other mode.
//!
//! The extra cost against threads is steps 1 and 2: starting processes (fork/exec, dynamic
//! loading, re-opening the file) and encoding, piping and decoding each partial map. The JSON
//! record reports `spawn_ms` and `reply_bytes` so the report can show both.

use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::json;

use super::{merge_all, Job, ModeError, Outcome};
use crate::frame::{self, FrameError, Reply};
use crate::parse::{AggregateError, Input, Parser};
use crate::spawn::{describe_status, killed_by_sigbus, Supervised};
use crate::stats::Partial;

/// How a worker's attempt ended, as the supervisor sees it.
enum Ended {
    /// It exited 0 and sent a whole frame.
    Reply(Reply),
    /// It crashed or hung: retried while retries last.
    Crash(String),
    /// An error no retry can fix.
    Final(ModeError),
}

/// The hidden environment variable that lowers the reply size limit, for the tests.
pub const MAX_REPLY_ENV: &str = "PROCESS_CRUNCH_MAX_REPLY_BYTES";

/// What a reader thread sends back: worker index, attempt number, and the frame (or why none
/// could be read), with the frame's size in bytes.
type Message = (usize, u32, Result<(Reply, u64), FrameError>);

/// Aggregates one range per child process and merges the results.
pub fn run(job: &Job) -> Result<Outcome, ModeError> {
    // The parent never parses: it opens the file only to find the range boundaries.
    let input = Input::open(&job.path, Parser::Csv)?;
    let ranges = input.split(job.workers)?;
    let exe = std::env::current_exe()
        .map_err(|e| ModeError::Worker(format!("cannot find this program's path: {e}")))?;
    let max_reply = std::env::var(MAX_REPLY_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(frame::MAX_PAYLOAD);

    let (tx, rx) = mpsc::channel();
    let mut supervisor = Supervisor {
        exe,
        job: job.clone(),
        input,
        max_reply,
        ranges,
        running: Vec::new(),
        tx,
        spawn_time: Duration::ZERO,
    };
    supervisor.start_all()?;
    let (partial, stats) = supervisor.collect(&rx)?;
    // Every child has been reaped by now, so when `supervisor` drops at the end of this
    // function its Drop finds nothing left to kill.
    let mut outcome = Outcome::new(partial, job.workers);
    outcome.extra.insert(
        "spawn_ms".into(),
        json!(supervisor.spawn_time.as_secs_f64() * 1e3),
    );
    outcome
        .extra
        .insert("reply_bytes".into(), json!(stats.reply_bytes));
    outcome.extra.insert("retried".into(), json!(stats.retried));
    Ok(outcome)
}

/// A child that is running, with the thread draining its stdout.
struct Running {
    /// Killed and reaped if dropped unreaped (an early return, a panic).
    child: Supervised,
    attempt: u32,
    reader: JoinHandle<()>,
    /// When this attempt started, for `--worker-timeout-s`.
    started: Instant,
    /// Set when the supervisor killed it for running past the timeout, so that the crash it
    /// then sees is reported as what it is.
    timed_out: bool,
}

/// Counters for the JSON record.
#[derive(Default)]
struct Stats {
    reply_bytes: u64,
    retried: u32,
}

/// Owns the children. Its `Drop` kills and reaps whatever is still running, so that no exit
/// path out of [`run`] (an error, a panic) can leave a child behind.
struct Supervisor {
    exe: PathBuf,
    job: Job,
    /// FILE as opened at the start: its identity goes to every worker, and is checked before
    /// any retry.
    input: Input,
    /// Largest reply payload accepted (1 GiB; lower with the hidden `MAX_REPLY_ENV`).
    max_reply: u64,
    ranges: Vec<Range<u64>>,
    /// `running[i]` is worker i's current process, `None` once it has been reaped.
    running: Vec<Option<Running>>,
    /// Cloned into every reader thread. The supervisor keeps one, so `recv` never sees the
    /// channel closed; it only waits for children it knows are running.
    tx: Sender<Message>,
    /// Time spent in `Command::spawn`, summed over children.
    spawn_time: Duration,
}

impl Supervisor {
    /// Starts one child per range.
    ///
    /// Children are spawned from this thread only, the one that lives until every child is
    /// reaped: `PR_SET_PDEATHSIG` fires when the *thread* that forked the child exits, not the
    /// process, so spawning from a short-lived helper thread would kill the children early.
    fn start_all(&mut self) -> Result<(), ModeError> {
        for index in 0..self.ranges.len() {
            let running = self.spawn(index, 0)?;
            self.running.push(Some(running));
        }
        Ok(())
    }

    fn spawn(&mut self, index: usize, attempt: u32) -> Result<Running, ModeError> {
        let range = self.ranges[index].clone();
        let extra = [
            "--identity".to_string(),
            self.input.identity().to_arg(),
            "--max-reply".to_string(),
            self.max_reply.to_string(),
        ];
        let mut command = worker_command(&self.exe, &self.job, index, attempt, &range, &extra);
        let started = Instant::now();
        let mut child = Supervised::spawn(&mut command).map_err(|e| {
            ModeError::Worker(format!(
                "cannot start worker {index} ({}): {e}",
                self.exe.display()
            ))
        })?;
        self.spawn_time += started.elapsed();

        let mut stdout = child.stdout.take().expect("stdout is piped");
        let tx = self.tx.clone();
        let max_reply = self.max_reply;
        let reader = thread::Builder::new()
            .name(format!("worker-{index}-reader"))
            .spawn(move || {
                let mut counted = CountingReader {
                    inner: &mut stdout,
                    bytes: 0,
                };
                let reply = frame::read_frame(&mut counted, max_reply).map(|r| (r, counted.bytes));
                // The receiver lives as long as the supervisor; if it is gone, so is the run.
                let _ = tx.send((index, attempt, reply));
            });
        let reader = match reader {
            Ok(reader) => reader,
            Err(e) => {
                // Without a reader the child could block on a full pipe: stop it now.
                let _ = child.kill();
                let _ = child.wait();
                return Err(ModeError::Worker(format!(
                    "cannot start a reader thread: {e}"
                )));
            }
        };
        Ok(Running {
            child,
            attempt,
            reader,
            started,
            timed_out: false,
        })
    }

    /// Receives every worker's reply, retrying crashed ranges, until all ranges are done.
    fn collect(&mut self, rx: &Receiver<Message>) -> Result<(Partial, Stats), ModeError> {
        let mut stats = Stats::default();
        let mut results: Vec<Option<Result<Partial, ModeError>>> =
            (0..self.ranges.len()).map(|_| None).collect();
        let mut pending = self.ranges.len();

        while pending > 0 {
            let (index, attempt, reply) = match self.next_deadline() {
                // No limit: wait for the next reply, however long it takes.
                None => rx
                    .recv()
                    .expect("the supervisor holds a sender, so the channel stays open"),
                Some(deadline) => {
                    match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                        Ok(message) => message,
                        Err(RecvTimeoutError::Timeout) => {
                            // Kill every worker past its time. Its stdout closes, its reader
                            // sends the (short) frame it got, and the next turn of this loop
                            // handles it like any crash: retried, or the run gives up.
                            self.kill_overdue();
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => {
                            unreachable!("the supervisor holds a sender, so the channel stays open")
                        }
                    }
                }
            };
            let Some(running) = self.running[index].take() else {
                continue; // cannot happen: each child sends exactly once
            };
            debug_assert_eq!(running.attempt, attempt);
            // Its stdout has ended, so the child is exiting: this wait is short.
            let timed_out = running.timed_out;
            let status = reap(running)?;

            let range = self.ranges[index].clone();
            let ended = match (status.success(), reply) {
                _ if timed_out => Ended::Crash(format!(
                    "did not finish within --worker-timeout-s ({:.1} s) and was killed",
                    self.job.worker_timeout.unwrap_or_default().as_secs_f64()
                )),
                (_, Err(FrameError::TooLarge(size))) => Ended::Final(self.too_large(index, size)),
                (true, Ok((reply, bytes))) => {
                    stats.reply_bytes += bytes;
                    Ended::Reply(reply)
                }
                (true, Err(e)) => Ended::Crash(format!("exited normally but {e}")),
                // A SIGBUS in a worker is a read of its memory map past FILE's new end: the
                // file shrank. A retry would read a different file, so there is none.
                (false, _) if killed_by_sigbus(status) => {
                    Ended::Final(ModeError::Aggregate(AggregateError::changed(
                        &self.job.path,
                        format!(
                            "worker {index} (bytes {}..{}) was killed by signal 7 (SIGBUS) \
                             reading its memory map: the file was truncated",
                            range.start, range.end
                        ),
                    )))
                }
                (false, _) => Ended::Crash(describe_status(status)),
            };
            match ended {
                Ended::Reply(Reply::TooLarge(size)) => {
                    let error = self.too_large(index, size);
                    self.kill_all();
                    return Err(error);
                }
                Ended::Reply(reply) => {
                    results[index] = Some(match reply {
                        Reply::Done(partial) => Ok(partial),
                        Reply::BadLine(line) => Err(ModeError::Aggregate(line.into())),
                        Reply::Changed(detail) => Err(ModeError::Aggregate(
                            AggregateError::changed(&self.job.path, detail),
                        )),
                        Reply::Failed(message) => {
                            Err(ModeError::Worker(format!("worker {index}: {message}")))
                        }
                        Reply::TooLarge(_) => unreachable!("handled above"),
                    });
                    pending -= 1;
                }
                Ended::Final(error) => {
                    self.kill_all();
                    return Err(error);
                }
                Ended::Crash(crash) if attempt < self.job.retries => {
                    // Never retry against a file that is not the one the run started with:
                    // the retry would read other bytes, and its answer would be wrong.
                    if let Err(changed) = self
                        .input
                        .check_unchanged()
                        .and_then(|()| self.input.check_path_unchanged())
                    {
                        self.kill_all();
                        return Err(changed.into());
                    }
                    eprintln!(
                        "process-crunch: worker {index} (bytes {}..{}) {crash}; retrying in a fresh process (attempt {} of {})",
                        range.start,
                        range.end,
                        attempt + 2,
                        self.job.retries + 1
                    );
                    stats.retried += 1;
                    let running = self.spawn(index, attempt + 1)?;
                    self.running[index] = Some(running);
                }
                Ended::Crash(crash) => {
                    // Give up: stop the others before reporting (Drop would too; doing it here
                    // makes the order visible).
                    self.kill_all();
                    return Err(ModeError::Worker(format!(
                        "worker {index} (bytes {}..{}) {crash}; gave up after {} attempt{}",
                        range.start,
                        range.end,
                        attempt + 1,
                        if attempt == 0 { "" } else { "s" }
                    )));
                }
            }
        }
        let partial = merge_all(results.into_iter().map(|r| r.expect("every range is done")))?;
        // Each worker checked the file after its range; this covers a change after the last.
        self.input.check_unchanged()?;
        Ok((partial, stats))
    }

    /// The error for a reply over the size limit. Not retried: a fresh process would build
    /// the same reply.
    fn too_large(&self, index: usize, size: u64) -> ModeError {
        let range = &self.ranges[index];
        ModeError::Worker(format!(
            "worker {index} (bytes {}..{}) has a reply of {size} bytes, over the limit of {} \
             bytes; not retried (a fresh process would send the same)",
            range.start, range.end, self.max_reply
        ))
    }

    /// The earliest moment a running worker passes `--worker-timeout-s`, if there is a limit.
    fn next_deadline(&self) -> Option<Instant> {
        let limit = self.job.worker_timeout?;
        self.running
            .iter()
            .flatten()
            .filter(|r| !r.timed_out)
            .map(|r| r.started + limit)
            .min()
    }

    /// Kills (without reaping: the reply loop does that) every worker past its time.
    fn kill_overdue(&mut self) {
        let Some(limit) = self.job.worker_timeout else {
            return;
        };
        for running in self.running.iter_mut().flatten() {
            if !running.timed_out && running.started.elapsed() >= limit {
                running.timed_out = true;
                let _ = running.child.kill();
            }
        }
    }

    /// Kills and reaps every child still running. Killing one that has already exited is
    /// harmless: it is still our (unreaped) child, so its pid cannot have been reused.
    fn kill_all(&mut self) {
        for slot in &mut self.running {
            if let Some(mut running) = slot.take() {
                let _ = running.child.kill();
                let _ = reap(running);
            }
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.kill_all();
    }
}

/// Waits for a child and for its reader thread (whose pipe has ended or is about to).
fn reap(mut running: Running) -> Result<ExitStatus, ModeError> {
    let status = running
        .child
        .wait()
        .map_err(|e| ModeError::Worker(format!("cannot wait for a worker: {e}")));
    // The child is gone, so its stdout is closed and the reader has finished or soon will.
    let _ = running.reader.join();
    status
}

/// The command line of worker `index`: `process-crunch worker --index I ... -- FILE`.
fn worker_command(
    exe: &Path,
    job: &Job,
    index: usize,
    attempt: u32,
    range: &Range<u64>,
    extra: &[String],
) -> Command {
    let mut command = Command::new(exe);
    command
        .arg("worker")
        .args(["--index", &index.to_string()])
        .args(["--attempt", &attempt.to_string()])
        .args(["--start", &range.start.to_string()])
        .args(["--end", &range.end.to_string()])
        .args(["--parser", job.parser.name()]);
    if job.skip_bad {
        command.arg("--skip-bad");
    }
    command.args(extra);
    // `--` so that a file name starting with `-` is not read as a flag.
    command.arg("--").arg(&job.path);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    command
}

/// Counts the bytes read through it (the frame's size on the wire).
struct CountingReader<R> {
    inner: R,
    bytes: u64,
}

impl<R: io::Read> io::Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}
