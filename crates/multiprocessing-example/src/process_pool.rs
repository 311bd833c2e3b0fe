//! Lesson 6: a process pool.
//!
//! N worker processes (`worker pool-member`) each read jobs from their stdin and write answers
//! to their stdout, both as framed messages (`framing.rs`), until stdin closes (the worker's
//! loop is `pool_member::serve`). The parent is
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
//! channel: the parent never blocks on one worker while another's pipe fills up (how a worker
//! is started, fed and stopped is in `pool_member.rs`). If a worker dies, its reader sees the
//! stream end; the parent then kills the other workers, waits for all of them, and reports
//! which worker failed, on which input, with its exit status.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};

use crate::child::Program;
use crate::pool_member::{stop_all, Answer, Forwarded, Member};

/// Maps [`count_primes`] over `inputs` in this process, then with `workers` processes. With
/// `panic_on`, the worker that draws that input panics: the pool then fails with an error
/// naming it, after killing and reaping every worker.
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

/// Starts `n` workers and dispatches `inputs` to them; answers in input order.
fn map_in_pool(
    program: &Program,
    inputs: &[u64],
    n: usize,
    panic_on: Option<u64>,
) -> anyhow::Result<Vec<Answer>> {
    // Start the workers. An early return from here on drops `members`: each worker is then
    // killed and reaped (`Supervised`), and its reader ends with its output.
    let (report_tx, report_rx) = mpsc::channel::<Forwarded>();
    let mut members = Vec::with_capacity(n);
    for w in 0..n {
        let mut cmd = program.worker(["pool-member"]);
        if let Some(p) = panic_on {
            cmd.args(["--panic-on", &p.to_string()]);
        }
        members.push(Member::start(w, &mut cmd, report_tx.clone())?);
    }
    // The readers hold the only senders now: `recv` fails instead of hanging should every
    // reader be gone (it cannot while a job is out: its reader reports the end first).
    drop(report_tx);

    // Why the pool stops early, if it does: the worker at fault and what went wrong. First
    // every worker gets a job; then every answer frees its worker for the next job. The loop
    // ends when every answer is in, or at the first failure.
    let mut jobs = inputs.iter().copied().enumerate();
    let mut answers: Vec<Option<Answer>> = inputs.iter().map(|_| None).collect();
    let mut failure = (members.iter_mut().enumerate()).find_map(|(w, m)| {
        m.feed(&mut jobs)
            .err()
            .map(|e| (w, format!("cannot send it a job: {e}")))
    });
    let mut received = 0;
    while failure.is_none() && received < inputs.len() {
        let (w, report) = report_rx
            .recv()
            .context("every worker's output closed early")?;
        let member = &mut members[w];
        let why = match report {
            Ok(Some(answer)) if answers.get(answer.index).is_some_and(Option::is_none) => {
                let index = answer.index;
                answers[index] = Some(answer);
                received += 1;
                match member.feed(&mut jobs) {
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
        failure = Some((w, why));
    }

    // Shut down: every worker is stopped and waited for, even after a failure (`stop_all`).
    stop_all(members, failure, inputs)?;
    let answer =
        |(i, a): (usize, Option<Answer>)| a.ok_or_else(|| anyhow!("no answer for input #{i}"));
    answers.into_iter().enumerate().map(answer).collect()
}

// ---- End of the lesson. Below: the work, the inputs, and the result. ----

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
