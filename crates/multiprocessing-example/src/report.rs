//! How the lessons report: the text a reader sees (the `Display` of each lesson's result) and
//! the timing records of `--json`. Nothing here is part of a lesson; the lessons do not use it.

use std::fmt;
use std::io::{self, Write};
use std::time::Duration;

use serde::Serialize;

use crate::crashes::Crashes;
use crate::pipe_queue::{Message, PipeQueue};
use crate::process_lock::ProcessLock;
use crate::process_pool::PoolRun;
use crate::separate_memory::SeparateMemory;
use crate::shared_memory::SharedMemory;
use crate::spawn::SpawnLesson;
use crate::supervised::describe;

/// The crate name, written into every timing record.
pub const DEMO: &str = "multiprocessing-example";

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
    /// A record of `items` units of work done by `workers` processes in `wall`.
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
    /// the lines that children print on stderr.
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

/// The record of a lesson that had one child process do `items` units of work in `wall`.
fn one_child(items: u64, wall: Duration) -> Vec<Timing> {
    vec![Timing::new("processes", 1, items, wall)]
}

/// Formats a duration for the lesson text: milliseconds, one decimal.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

impl fmt::Display for SpawnLesson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "The parent (pid {}) started {} children, read each one's output, then waited for it:",
            self.parent_pid,
            self.children.len()
        )?;
        for c in &self.children {
            let verdict = if c.status.success() {
                "success"
            } else {
                "failure, as it was told"
            };
            writeln!(f, "  child pid {} said {:?}", c.pid, c.said)?;
            writeln!(f, "    and ended with {} ({verdict})", describe(c.status))?;
        }
        write!(
            f,
            "Both children were waited for (reaped) in {}: no zombie is left.",
            ms(self.elapsed)
        )
    }
}

impl Outcome for SpawnLesson {
    fn timings(&self) -> Vec<Timing> {
        let n = self.children.len();
        vec![Timing::new("processes", n, n as u64, self.elapsed)]
    }
}

impl fmt::Display for SeparateMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "The child (pid {}) pushed {} squares into its LIST, then exited.",
            self.received.pid,
            self.received.list.len()
        )?;
        writeln!(
            f,
            "  the parent's LIST afterwards:   {:?} (its own copy: never touched)",
            self.parent_list
        )?;
        writeln!(
            f,
            "  what the child sent over a pipe: {:?}",
            self.received.list
        )?;
        write!(
            f,
            "Processes share no memory: results come back only when sent ({}).",
            ms(self.elapsed)
        )
    }
}

impl Outcome for SeparateMemory {
    fn timings(&self) -> Vec<Timing> {
        one_child(self.received.list.len() as u64, self.elapsed)
    }
}

impl fmt::Display for PipeQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.complete;
        writeln!(
            f,
            "Child pid {} sent {} messages, then Done; received in order in {}:",
            c.pid,
            c.items.len(),
            ms(self.elapsed)
        )?;
        for item in &c.items {
            if let Message::Item { seq, value, cube } = item {
                writeln!(f, "  #{seq}: {value}^3 = {cube}")?;
            }
        }
        let t = &self.truncated;
        writeln!(
            f,
            "Child pid {} died inside message 3, with {}. The parent got {} messages, then:",
            t.pid,
            describe(t.status),
            t.items.len()
        )?;
        writeln!(
            f,
            "  error: {}",
            t.error.as_deref().unwrap_or("none (unexpected)")
        )?;
        write!(
            f,
            "The length prefix caught what the exit status could not."
        )
    }
}

impl Outcome for PipeQueue {
    fn timings(&self) -> Vec<Timing> {
        one_child(self.complete.items.len() as u64, self.elapsed)
    }
}

impl fmt::Display for SharedMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Parent and child mapped one file in {}:",
            self.dir.parent().unwrap_or(&self.dir).display()
        )?;
        writeln!(f, "  the parent wrote value 0.0, array {:?}", self.before)?;
        writeln!(
            f,
            "  after the child ran, the parent reads value {}, array {:?}",
            self.value, self.array
        )?;
        write!(
            f,
            "No message was sent: both processes saw the same pages ({}).",
            ms(self.elapsed)
        )
    }
}

impl Outcome for SharedMemory {
    fn timings(&self) -> Vec<Timing> {
        one_child(self.array.len() as u64, self.elapsed)
    }
}

impl fmt::Display for ProcessLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Balance {}; {} deposits of 1 and as many withdrawals, in one process, then in two:",
            self.start, self.ops
        )?;
        let (balance, time) = self.one_process;
        writeln!(
            f,
            "  one process alone balance {balance:>4}  in {:>9}",
            ms(time)
        )?;
        write!(
            f,
            "  without a lock    balance {:>4}  in {:>9}  ",
            self.unlocked_balance,
            ms(self.unlocked_time)
        )?;
        match self.lost_at_least() {
            0 => writeln!(
                f,
                "(no update lost this run, by luck of timing: the race is still there)"
            )?,
            n => writeln!(f, "(at least {n} of {} updates lost)", 2 * self.ops)?,
        }
        writeln!(
            f,
            "  with a file lock  balance {:>4}  in {:>9}",
            self.locked_balance,
            ms(self.locked_time)
        )?;
        write!(
            f,
            "The lock makes each read-think-write whole; it costs two system calls per update."
        )
    }
}

impl Outcome for ProcessLock {
    fn timings(&self) -> Vec<Timing> {
        let items = 2 * u64::from(self.ops);
        let mut unlocked = Timing::new("processes", 2, items, self.unlocked_time);
        unlocked.ok = self.unlocked_balance == self.start;
        vec![
            Timing::new("sequential", 1, items, self.one_process.1),
            unlocked,
            Timing::new("processes-locked", 2, items, self.locked_time),
        ]
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
            Timing::new("sequential", 1, items, self.sequential_time),
            Timing::new("processes", self.workers, items, self.pool_time),
        ]
    }
}

impl fmt::Display for Crashes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} children that end badly; the parent waits for each and reports it:",
            self.children.len()
        )?;
        for c in &self.children {
            writeln!(f, "  pid {} {}: {}", c.pid, c.what, describe(c.status))?;
            if let Some(note) = &c.note {
                writeln!(f, "    {note}")?;
            }
        }
        write!(
            f,
            "The parent goes on: each crash stayed in its own process, and each was reaped."
        )
    }
}

impl Outcome for Crashes {
    fn timings(&self) -> Vec<Timing> {
        Vec::new() // nothing here is worth timing
    }
}
