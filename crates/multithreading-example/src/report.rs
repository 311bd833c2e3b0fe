//! How the lessons report: the text a reader sees (the `Display` of each lesson's result) and
//! the timing records of `--json`. Nothing here is part of a lesson; the lessons do not use it.

use std::fmt;
use std::io::{self, Write};
use std::time::Duration;

use serde::Serialize;

use crate::channels::Pipeline;
use crate::overlap::Overlap;
use crate::panics::Panics;
use crate::scoped::Scoped;
use crate::shared_state::SharedState;
use crate::thread_pool::PoolRun;

/// The crate name, written into every timing record.
pub const DEMO: &str = "multithreading-example";

/// What a lesson hands back: text for the reader (`Display`) and its timing records.
pub trait Outcome: fmt::Display {
    /// One record per timed run in the lesson.
    fn timings(&self) -> Vec<Timing>;
}

/// One timed run of a lesson, with the field names every demo of the workspace writes.
#[derive(Clone, Debug, Serialize)]
pub struct Timing {
    pub mode: &'static str,
    pub workers: usize,
    pub items: u64,
    pub bytes: u64,
    pub wall_ms: f64,
    pub ok: bool,
}

impl Timing {
    /// A record of `items` units of work done by `workers` threads in `wall`.
    pub fn new(mode: &'static str, workers: usize, items: u64, wall: Duration) -> Timing {
        Timing {
            mode,
            workers,
            items,
            bytes: 0,
            wall_ms: wall.as_secs_f64() * 1000.0,
            ok: true,
        }
    }
}

/// One line of `--json`: the crate and the lesson (`workload`: the report groups records by
/// demo and workload), then the timing.
#[derive(Serialize)]
struct Record<'a> {
    demo: &'static str,
    workload: &'a str,
    #[serde(flatten)]
    timing: &'a Timing,
}

/// Where the lesson text and the records go: with `json`, the records alone on stdout and the
/// text on stderr; otherwise the text on stdout.
pub struct Report {
    pub json: bool,
}

impl Report {
    /// Writes lesson text. It is flushed as it is written, so that it keeps its place among
    /// the lines that panicking threads print on stderr.
    pub fn say(&self, text: &str) -> io::Result<()> {
        if self.json {
            io::stderr().write_all(text.as_bytes())
        } else {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()
        }
    }

    /// Prints a lesson's result, and with `json` its timing records.
    pub fn outcome(&self, workload: &str, outcome: &dyn Outcome) -> anyhow::Result<()> {
        self.say(&format!("{outcome}\n"))?;
        if self.json {
            let mut out = io::stdout().lock();
            for timing in &outcome.timings() {
                let record = Record {
                    demo: DEMO,
                    workload,
                    timing,
                };
                writeln!(out, "{}", serde_json::to_string(&record)?)?;
            }
        }
        Ok(())
    }
}

/// The records of a lesson that did `items` units of work sequentially in `sequential`, then
/// in `mode` with `workers` threads in `parallel`.
fn side_by_side(
    items: u64,
    sequential: Duration,
    (mode, workers, parallel): (&'static str, usize, Duration),
) -> Vec<Timing> {
    vec![
        Timing::new("sequential", 1, items, sequential),
        Timing::new(mode, workers, items, parallel),
    ]
}

/// Formats a duration for the lesson text: milliseconds, one decimal.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

impl fmt::Display for Overlap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let waits = 2 * self.numbers.len();
        writeln!(
            f,
            "Squares and cubes of {:?}, each item after a {} wait (a stand-in for I/O):",
            self.numbers,
            ms(self.wait)
        )?;
        let ways = [
            (
                "sequential     ",
                self.sequential,
                format!("{waits} waits one after another"),
            ),
            (
                "two threads    ",
                self.two_threads,
                "squares on one thread, cubes on the other".into(),
            ),
            (
                "thread per item",
                self.thread_per_item,
                format!("{waits} threads"),
            ),
        ];
        for (name, way, what) in ways {
            writeln!(
                f,
                "  {name} {:>10}  {what}; at most {} waits at once",
                ms(way.elapsed),
                way.peak
            )?;
        }
        writeln!(
            f,
            "Same results every way: squares {:?}, cubes {:?}.",
            self.squares, self.cubes
        )?;
        write!(
            f,
            "A sleeping thread holds no core, so the waits overlap even on one core."
        )
    }
}

impl Outcome for Overlap {
    fn timings(&self) -> Vec<Timing> {
        let items = 2 * self.numbers.len() as u64;
        vec![
            Timing::new("sequential", 1, items, self.sequential.elapsed),
            Timing::new("threads", 2, items, self.two_threads.elapsed),
            Timing::new(
                "thread-per-task",
                items as usize,
                items,
                self.thread_per_item.elapsed,
            ),
        ]
    }
}

impl fmt::Display for SharedState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Balance {}; {} deposits of 1 and {} withdrawals of 1, on one thread, then on two:",
            self.start, self.ops, self.ops
        )?;
        let ways = [
            ("one thread, plain i64 ", self.one_thread),
            ("Arc<Mutex<i64>>       ", self.mutex),
            ("Arc<AtomicI64>        ", self.atomic),
        ];
        for (name, (balance, time)) in ways {
            writeln!(f, "  {name}  balance {balance:>4}  in {}", ms(time))?;
        }
        write!(
            f,
            "  load, pause, store      balance {:>4}  ",
            self.racy_balance
        )?;
        match self.lost_at_least() {
            0 => write!(
                f,
                "(no update lost this run, by luck of timing: the bug is still there)"
            ),
            lost => write!(
                f,
                "(at least {lost} updates lost: the other thread wrote between load and store)"
            ),
        }
    }
}

impl Outcome for SharedState {
    fn timings(&self) -> Vec<Timing> {
        let items = 2 * u64::from(self.ops);
        vec![
            Timing::new("sequential", 1, items, self.one_thread.1),
            Timing::new("mutex", 2, items, self.mutex.1),
            Timing::new("atomic", 2, items, self.atomic.1),
        ]
    }
}

impl fmt::Display for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "producer -> bounded({cap}) -> {w} squaring workers -> bounded({cap}) -> consumer",
            cap = self.capacity,
            w = self.workers
        )?;
        writeln!(
            f,
            "  sum of the squares of 1..={}: {}  in {} (the loop: {})",
            self.items,
            self.sum_of_squares,
            ms(self.elapsed),
            ms(self.sequential)
        )?;
        writeln!(f, "  squares made by each worker: {:?}", self.per_worker)?;
        writeln!(
            f,
            "  most numbers ever queued: {} (the capacity is {}: send blocked the producer)",
            self.peak_queued, self.capacity
        )?;
        write!(
            f,
            "Every loop ended because its channel's senders were all dropped: no stop message."
        )
    }
}

impl Outcome for Pipeline {
    fn timings(&self) -> Vec<Timing> {
        let threads = ("threads", self.workers, self.elapsed);
        side_by_side(self.items, self.sequential, threads)
    }
}

impl fmt::Display for Scoped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "A local Vec of 1..={} split over {} scoped threads, borrowed without Arc:",
            self.len, self.threads
        )?;
        writeln!(
            f,
            "  each thread summed its &[u64] chunk: {:?} = {}",
            self.chunk_sums, self.total
        )?;
        let tail = &self.doubled[self.doubled.len().saturating_sub(3)..];
        writeln!(
            f,
            "  each thread doubled its &mut [u64] chunk in place: the Vec now ends {tail:?}"
        )?;
        write!(
            f,
            "  in {} (one thread: {}); the scope joined every thread before handing the Vec back",
            ms(self.elapsed),
            ms(self.one_thread)
        )
    }
}

impl Outcome for Scoped {
    fn timings(&self) -> Vec<Timing> {
        let (seq, par) = (self.one_thread, self.elapsed);
        side_by_side(self.len as u64, seq, ("threads", self.threads, par))
    }
}

impl fmt::Display for PoolRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Longest Collatz sequence for start values 1..={} ({} steps in all):",
            self.limit, self.sequential.total_steps
        )?;
        writeln!(
            f,
            "  sequential loop            {:>10}  -> {} ({} steps)",
            ms(self.sequential_time),
            self.sequential.longest_start,
            self.sequential.longest_steps
        )?;
        writeln!(
            f,
            "  rayon par_iter, {:>2} threads {:>10}  -> {} ({} steps)",
            self.workers,
            ms(self.parallel_time),
            self.parallel.longest_start,
            self.parallel.longest_steps
        )?;
        write!(
            f,
            "Same answer; speedup: {:.2}x (CPU-bound work gains only from free cores).",
            self.speedup()
        )
    }
}

impl Outcome for PoolRun {
    fn timings(&self) -> Vec<Timing> {
        let (seq, par) = (self.sequential_time, self.parallel_time);
        side_by_side(self.limit, seq, ("rayon", self.workers, par))
    }
}

impl fmt::Display for Panics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} workers, one of which panics; each joined in turn:",
            self.outcomes.len()
        )?;
        for (i, outcome) in self.outcomes.iter().enumerate() {
            match outcome {
                Ok(sum) => writeln!(f, "  worker {i}: finished, sum {sum}")?,
                Err(msg) => writeln!(f, "  worker {i}: panicked, join gave Err({msg:?})")?,
            }
        }
        let ok = self.outcomes.iter().filter(|o| o.is_ok()).count();
        write!(
            f,
            "The program goes on with {ok} results; the panic became an error value at join."
        )
    }
}

impl Outcome for Panics {
    fn timings(&self) -> Vec<Timing> {
        Vec::new() // nothing here is worth timing
    }
}
