//! Lesson 6: a process pool.
//!
//! N worker processes (`worker pool-member`) each read jobs from their stdin and write answers
//! to their stdout, both as framed messages (`framing.rs`), until stdin closes. The parent is
//! the dispatcher: it hands every worker one job, and each time a worker answers it hands that
//! worker the next job, so a worker that drew quick jobs simply does more of them. When the
//! jobs run out, the parent closes the worker's stdin; the worker sees the end of its input and
//! exits. Answers carry the index of their job, so the parent can put them back in input order
//! although they arrive in whatever order the workers finish.
//!
//! The function mapped is CPU-bound (counting primes by trial division), so the pool pays off
//! only with free cores; the lesson times the same map in the parent alone and checks that both
//! give the same answers.
//!
//! One reader thread per worker drains its stdout the whole time and forwards the answers on a
//! channel: the parent never blocks on one worker while another's pipe fills up. If a worker
//! dies, its reader sees the stream end; the parent then kills the other workers, waits for all
//! of them, and reports which worker failed, on which input, with its exit status.

use std::fmt;
use std::io::BufReader;
use std::process::{ChildStdin, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use serde::{Deserialize, Serialize};

use crate::child::{self, describe, Program, Supervised};
use crate::framing::{read_frame, write_frame, FrameError};
use crate::{ms, Lesson, Outcome, Timing};

/// The function the pool maps: how many primes are at most `n` (by trial division: slow on
/// purpose, so there is work to share).
pub fn count_primes(n: u64) -> u64 {
    (2..=n)
        .filter(|&k| (2..).take_while(|d| d * d <= k).all(|d| k % d != 0))
        .count() as u64
}

/// The inputs the program uses: `count` numbers of different sizes, big and small mixed, so
/// that the workers finish out of order.
pub fn inputs(count: u64) -> Vec<u64> {
    (0..count).map(|i| 2_000 + (i * 7_919) % 30_000).collect()
}

/// A job, parent to worker.
#[derive(Debug, Serialize, Deserialize)]
struct Job {
    index: usize,
    input: u64,
}

/// An answer, worker to parent.
#[derive(Debug, Serialize, Deserialize)]
struct Answer {
    index: usize,
    output: u64,
    pid: u32,
}

/// The child side: answer jobs from stdin until it closes. Panics on `panic_on`, for the test
/// of a pool member that crashes.
pub fn child(panic_on: Option<u64>) -> anyhow::Result<()> {
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut output = std::io::stdout().lock();
    // `Ok(None)`: the parent closed our stdin. No more jobs: return, and the process exits.
    while let Some(job) = read_frame::<_, Job>(&mut input)? {
        if Some(job.input) == panic_on {
            panic!("pool member refuses input {}", job.input);
        }
        let answer = Answer {
            index: job.index,
            output: count_primes(job.input),
            pid: std::process::id(),
        };
        write_frame(&mut output, &answer)?;
    }
    Ok(())
}

/// One worker process as the parent holds it.
struct Member {
    child: Supervised,
    /// The write end of its stdin; `None` once closed (no more jobs for it).
    stdin: Option<ChildStdin>,
    /// The job it is working on.
    current: Option<usize>,
    reader: thread::JoinHandle<()>,
}

/// What a reader thread forwards: from which worker, an answer or the end of its stream.
type Report = (usize, Result<Option<Answer>, FrameError>);

/// The pool's result beside the sequential one.
#[derive(Debug)]
pub struct PoolRun {
    pub inputs: Vec<u64>,
    /// The answers, in input order.
    pub outputs: Vec<u64>,
    /// Which worker process answered each input.
    pub pids: Vec<u32>,
    pub workers: usize,
    pub sequential_time: Duration,
    pub pool_time: Duration,
}

/// Maps [`count_primes`] over `inputs` with `workers` processes (and once in this process, to
/// compare). With `panic_on`, the worker that draws that input panics: the pool then fails
/// with an error naming it, after killing and reaping every worker.
pub fn run(
    program: &Program,
    inputs: &[u64],
    workers: usize,
    panic_on: Option<u64>,
) -> anyhow::Result<PoolRun> {
    let start = Instant::now();
    let expected: Vec<u64> = inputs.iter().map(|&n| count_primes(n)).collect();
    let sequential_time = start.elapsed();

    // No more workers than inputs (each would sit idle), and at least one.
    let workers = workers.clamp(1, inputs.len().max(1));
    let start = Instant::now();
    let answers = map_in_pool(program, inputs, workers, panic_on)?;
    let pool_time = start.elapsed();

    let outputs: Vec<u64> = answers.iter().map(|a| a.output).collect();
    anyhow::ensure!(
        outputs == expected,
        "the pool disagrees with the sequential map: {outputs:?} vs {expected:?}"
    );
    Ok(PoolRun {
        inputs: inputs.to_vec(),
        outputs,
        pids: answers.iter().map(|a| a.pid).collect(),
        workers,
        sequential_time,
        pool_time,
    })
}

/// Sends the next job to a worker, or closes its stdin if there is none left.
fn feed(
    member: &mut Member,
    jobs: &mut impl Iterator<Item = (usize, u64)>,
) -> Result<(), FrameError> {
    match (jobs.next(), member.stdin.as_mut()) {
        (Some((index, input)), Some(stdin)) => {
            member.current = Some(index);
            write_frame(stdin, &Job { index, input })
        }
        _ => {
            // No jobs left: dropping the write end closes the pipe; the worker reads the end
            // of its input, leaves its loop and exits.
            member.current = None;
            member.stdin = None;
            Ok(())
        }
    }
}

/// Starts `n` workers (at least 1) and dispatches `inputs` to them; answers in input order.
fn map_in_pool(
    program: &Program,
    inputs: &[u64],
    n: usize,
    panic_on: Option<u64>,
) -> anyhow::Result<Vec<Answer>> {
    let (report_tx, report_rx) = mpsc::channel::<Report>();

    // Start the workers, each with a reader thread that owns its stdout.
    let mut members = Vec::with_capacity(n);
    for w in 0..n {
        let mut cmd = program.worker(["pool-member"]);
        if let Some(p) = panic_on {
            cmd.args(["--panic-on", &p.to_string()]);
        }
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
        // An early return from here on drops `members`: each worker is then killed and reaped.
        let mut child = child::spawn(&mut cmd, &format!("pool worker {w}"))?;
        let stdin = child
            .stdin
            .take()
            .context("the worker's stdin is not piped")?;
        let stdout = child
            .stdout
            .take()
            .context("the worker's stdout is not piped")?;
        let tx = report_tx.clone();
        let reader = thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            loop {
                let answer = read_frame::<_, Answer>(&mut stdout);
                let last = !matches!(answer, Ok(Some(_)));
                // If the parent has stopped listening there is nobody to tell: just stop.
                if tx.send((w, answer)).is_err() || last {
                    break;
                }
            }
            // The reader's `tx` drops here; the stdout pipe closes with `stdout`.
        });
        members.push(Member {
            child,
            stdin: Some(stdin),
            current: None,
            reader,
        });
    }
    // The readers hold the only senders now. (Not needed for the loop below, which counts
    // answers, but it means `recv` fails instead of hanging should every reader be gone.)
    drop(report_tx);

    let mut jobs = inputs.iter().copied().enumerate();
    let mut answers: Vec<Option<Answer>> = inputs.iter().map(|_| None).collect();
    // Why the pool stops early, if it does: the worker at fault, its job, what went wrong.
    let mut failure: Option<Failure> = None;
    for (w, member) in members.iter_mut().enumerate() {
        if let Err(e) = feed(member, &mut jobs) {
            failure = Some(Failure::new(
                w,
                member,
                inputs,
                format!("cannot send it a job: {e}"),
            ));
            break;
        }
    }
    // The dispatch loop: every answer frees its worker for the next job. It ends when every
    // answer is in, or at the first failure.
    let mut received = 0;
    while failure.is_none() && received < inputs.len() {
        // `recv` fails only if every reader is gone, which cannot happen while a job is out:
        // the worker's reader would have reported the end of its output first.
        let Ok((w, report)) = report_rx.recv() else {
            failure = Some(Failure {
                worker: None,
                job: None,
                why: "every worker's output closed early".into(),
                status: None,
            });
            break;
        };
        let member = &mut members[w];
        let why = match report {
            Ok(Some(answer)) if answers.get(answer.index).is_some_and(Option::is_none) => {
                let index = answer.index;
                answers[index] = Some(answer);
                received += 1;
                match feed(member, &mut jobs) {
                    Ok(()) => continue,
                    Err(e) => format!("cannot send it a job: {e}"),
                }
            }
            Ok(Some(answer)) => format!("it answered job #{}, not its own", answer.index),
            // A worker whose stdin we closed has left, as asked: nothing to do.
            Ok(None) if member.current.is_none() => continue,
            // A worker that had a job and stopped talking has died (or garbled its output).
            Ok(None) => "its output ended".to_string(),
            Err(e) => e.to_string(),
        };
        failure = Some(Failure::new(w, member, inputs, why));
    }

    // Shut down. On failure, kill every worker first: they may be busy or waiting for a job,
    // and one that has already died keeps the status it died with. On success every stdin is
    // already closed, and each worker is exiting by itself.
    let mut statuses = Vec::new();
    for (w, mut member) in members.into_iter().enumerate() {
        member.stdin = None;
        if failure.is_some() {
            let _ = member.child.kill(); // fails only if it has already exited: fine
        }
        // Wait: reaps the worker. Its exit closes its stdout, so its reader thread ends.
        let status = member.child.wait();
        // Join the reader: it has sent all it will (or found nobody listening) and returned.
        let reader = member.reader.join();
        if let Some(f) = failure.as_mut().filter(|f| f.worker == Some(w)) {
            f.status = Some(status.map_or_else(|e| format!("cannot wait: {e}"), describe));
        } else if reader.is_err() {
            failure.get_or_insert(Failure {
                worker: Some(w),
                job: None,
                why: "its reader thread panicked".into(),
                status: None,
            });
        } else {
            statuses.push((w, status));
        }
    }
    // Every worker is reaped now; report the failure, or any worker that did not exit cleanly.
    if let Some(f) = failure {
        anyhow::bail!("{}", f.describe());
    }
    for (w, status) in statuses {
        let status = status.with_context(|| format!("cannot wait for pool worker {w}"))?;
        child::check(status, &format!("pool worker {w}"))?;
    }
    answers
        .into_iter()
        .enumerate()
        .map(|(i, a)| a.ok_or_else(|| anyhow!("no answer for input #{i}")))
        .collect()
}

/// Why the pool stopped before every answer was in.
struct Failure {
    worker: Option<usize>,
    /// The job (index, input) the worker had.
    job: Option<(usize, u64)>,
    why: String,
    /// How the worker ended, once it has been waited for.
    status: Option<String>,
}

impl Failure {
    fn new(w: usize, member: &Member, inputs: &[u64], why: String) -> Failure {
        Failure {
            worker: Some(w),
            job: member.current.map(|i| (i, inputs[i])),
            why,
            status: None,
        }
    }

    fn describe(&self) -> String {
        let mut text = match (self.worker, self.job) {
            (Some(w), Some((i, input))) => {
                format!(
                    "pool worker {w} failed on input #{i} ({input}): {}",
                    self.why
                )
            }
            (Some(w), None) => format!("pool worker {w} failed: {}", self.why),
            (None, _) => format!("the pool failed: {}", self.why),
        };
        if let Some(status) = &self.status {
            text.push_str("; ");
            text.push_str(status);
        }
        text
    }
}

impl fmt::Display for PoolRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut distinct = self.pids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        writeln!(
            f,
            "Primes up to each of {} inputs, {} worker processes fed over stdin pipes:",
            self.inputs.len(),
            self.workers
        )?;
        for (i, ((input, output), pid)) in self
            .inputs
            .iter()
            .zip(&self.outputs)
            .zip(&self.pids)
            .enumerate()
            .take(6)
        {
            writeln!(
                f,
                "  #{i:<2} primes <= {input:>5}: {output:>5}  (worker pid {pid})"
            )?;
        }
        if self.inputs.len() > 6 {
            writeln!(
                f,
                "  ... {} more, all in input order",
                self.inputs.len() - 6
            )?;
        }
        writeln!(
            f,
            "  {} processes answered; the same answers as the loop in the parent.",
            distinct.len()
        )?;
        write!(
            f,
            "  sequential {}, pool {}: speedup {:.2}x (starting processes costs; cores help).",
            ms(self.sequential_time),
            ms(self.pool_time),
            self.sequential_time.as_secs_f64() / self.pool_time.as_secs_f64().max(1e-9)
        )
    }
}

impl Outcome for PoolRun {
    fn timings(&self) -> Vec<Timing> {
        let items = self.inputs.len() as u64;
        vec![
            Timing::new(Lesson::Pool, "sequential", 1, items, self.sequential_time),
            Timing::new(
                Lesson::Pool,
                "processes",
                self.workers,
                items,
                self.pool_time,
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_primes_of_known_values() {
        assert_eq!(count_primes(0), 0);
        assert_eq!(count_primes(1), 0);
        assert_eq!(count_primes(2), 1);
        assert_eq!(count_primes(100), 25);
        assert_eq!(count_primes(10_000), 1_229);
    }
}
