//! Lesson 5: a thread pool on CPU-bound work.
//!
//! The task: for every start value up to a limit, count the steps of its Collatz sequence
//! (halve it if even, else 3n + 1, until 1) and find the longest. No waiting here: every step
//! is arithmetic on a core, so two threads only help if there are two cores to run them.
//!
//! Rather than spawning a thread per item (lesson 1), rayon keeps a pool of worker threads, one
//! per core by default, and `par_iter` splits the range into pieces that idle workers steal from
//! busy ones. The parallel code is the sequential iterator chain with `into_par_iter` in place
//! of `into_iter`. Both answers are checked equal and the speedup is printed: close to the core
//! count on an idle machine, lower when other programs share the cores.

use std::time::{Duration, Instant};

use anyhow::anyhow;
use rayon::prelude::*;

/// The start value with the longest Collatz sequence and the total work, for one mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The start value with the most steps (the larger one on a tie).
    pub longest_start: u64,
    pub longest_steps: u32,
    /// Steps summed over every start value: the total work done.
    pub total_steps: u64,
}

/// Steps from `n` down to 1.
pub fn collatz_steps(mut n: u64) -> u32 {
    let mut steps = 0;
    while n > 1 {
        n = if n.is_multiple_of(2) {
            n / 2
        } else {
            3 * n + 1
        };
        steps += 1;
    }
    steps
}

/// Merges two answers: the loop's running one with one start value's, or two of rayon's partial
/// ones. Shared by both modes, so they cannot differ.
fn combine(a: Answer, b: Answer) -> Answer {
    let longest = if (b.longest_steps, b.longest_start) > (a.longest_steps, a.longest_start) {
        b
    } else {
        a
    };
    Answer {
        total_steps: a.total_steps + b.total_steps,
        ..longest
    }
}

fn answer_for(n: u64) -> Answer {
    let steps = collatz_steps(n);
    Answer {
        longest_start: n,
        longest_steps: steps,
        total_steps: u64::from(steps),
    }
}

const EMPTY: Answer = Answer {
    longest_start: 0,
    longest_steps: 0,
    total_steps: 0,
};

/// Solves the task for 1..=limit with a plain loop, then with rayon on `workers` threads.
pub fn run(limit: u64, workers: usize) -> anyhow::Result<PoolRun> {
    let start = Instant::now();
    let sequential = (1..=limit).map(answer_for).fold(EMPTY, combine);
    let sequential_time = start.elapsed();

    // A pool of our own, so that `--workers` is honoured; rayon's global pool would have one
    // thread per core. `install` runs the closure on the pool, and `par_iter` inside it uses
    // the pool's threads. The pool's threads stop when `pool` drops at the end of this function.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers.max(1))
        .build()
        .map_err(|e| anyhow!("cannot start a pool of {workers} threads: {e}"))?;
    let start = Instant::now();
    let parallel = pool.install(|| {
        (1..=limit)
            .into_par_iter()
            .map(answer_for)
            .reduce(|| EMPTY, combine)
    });
    let parallel_time = start.elapsed();

    anyhow::ensure!(
        sequential == parallel,
        "rayon disagrees with the loop: {parallel:?} vs {sequential:?}"
    );
    Ok(PoolRun {
        limit,
        workers: pool.current_num_threads(),
        sequential,
        sequential_time,
        parallel,
        parallel_time,
    })
}

// ---- End of the lesson. Below: its settings and its result. ----

/// The highest start value the program tries.
pub const LIMIT: u64 = 300_000;

/// The sequential and the parallel answer, and their times.
#[derive(Debug)]
pub struct PoolRun {
    pub limit: u64,
    pub workers: usize,
    pub sequential: Answer,
    pub sequential_time: Duration,
    pub parallel: Answer,
    pub parallel_time: Duration,
}

impl PoolRun {
    /// Sequential time over parallel time.
    pub fn speedup(&self) -> f64 {
        self.sequential_time.as_secs_f64() / self.parallel_time.as_secs_f64().max(1e-9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collatz_steps_of_known_values() {
        assert_eq!(collatz_steps(1), 0);
        assert_eq!(collatz_steps(6), 8);
        assert_eq!(collatz_steps(27), 111);
    }

    #[test]
    fn rayon_and_the_loop_agree() {
        let r = run(10_000, 3).unwrap();
        assert_eq!(r.sequential, r.parallel);
        assert_eq!(r.workers, 3);
        // Known: below 10 000, 6171 has the longest sequence, 261 steps.
        assert_eq!(r.parallel.longest_start, 6171);
        assert_eq!(r.parallel.longest_steps, 261);
    }
}
