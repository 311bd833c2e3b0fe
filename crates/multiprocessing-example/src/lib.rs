//! The classic process lessons, one module each, in the order to read them:
//!
//! 1. [`spawn`]: start a child process, wait for it, read its exit status.
//! 2. [`separate_memory`]: the child fills its own copy of a list; the parent's stays empty.
//! 3. [`pipe_queue`]: a queue over a pipe, with messages framed by [`framing`].
//! 4. [`shared_memory`]: parent and child map the same file into memory.
//! 5. [`process_lock`]: lost updates across processes, and a file lock that prevents them.
//! 6. [`process_pool`]: N worker processes map a function over inputs, results in order.
//! 7. [`crashes`]: children that panic or are killed, reported by status or signal.
//!
//! Two helpers come first or alongside: [`child`] (how every child is started, supervised and
//! described) and [`worker`] (the child side: which job a child runs).
//!
//! Every lesson is a function that returns a result struct. The program prints it (its
//! `Display`), and the tests assert on its fields. The lessons take the [`child::Program`] to
//! start as children: the program passes itself, the tests pass the binary under test.

pub mod child;
pub mod crashes;
pub mod framing;
pub mod pipe_queue;
pub mod process_lock;
pub mod process_pool;
pub mod separate_memory;
pub mod shared_memory;
pub mod spawn;
pub mod worker;

use std::fmt;
use std::io::{self, Write};
use std::time::Duration;

use serde::Serialize;

use crate::child::Program;

/// The crate name, written into every timing record.
pub const DEMO: &str = "multiprocessing-example";

/// One lesson of the program. On the command line it is named or numbered: `pool` or `6`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lesson {
    /// 1: spawn a child process, wait for it, read its exit status
    #[value(alias = "1")]
    Spawn,
    /// 2: separate memory: the child fills its copy of a list, the parent's stays empty
    #[value(alias = "2")]
    SeparateMemory,
    /// 3: a queue over a pipe: length-prefixed JSON messages, a truncated one is an error
    #[value(alias = "3")]
    PipeQueue,
    /// 4: shared memory: parent and child map one file (memmap2)
    #[value(alias = "4")]
    SharedMemory,
    /// 5: a lock across processes: lost updates without it, a balance of 200 with it
    #[value(alias = "5")]
    Lock,
    /// 6: a process pool: N workers fed over stdin pipes, results in input order
    #[value(alias = "6")]
    Pool,
    /// 7: crashing children: a panic and signals reported, the parent goes on
    #[value(alias = "7")]
    Crash,
}

impl Lesson {
    /// Every lesson, in teaching order.
    pub const ALL: [Lesson; 7] = [
        Lesson::Spawn,
        Lesson::SeparateMemory,
        Lesson::PipeQueue,
        Lesson::SharedMemory,
        Lesson::Lock,
        Lesson::Pool,
        Lesson::Crash,
    ];

    /// The lesson's number, 1-based, as `--help` lists it.
    pub fn number(self) -> usize {
        Lesson::ALL
            .iter()
            .position(|&l| l == self)
            .map_or(0, |i| i + 1)
    }

    /// The lesson's command-line name, also the `workload` of its timing records.
    pub fn name(self) -> &'static str {
        match self {
            Lesson::Spawn => "spawn",
            Lesson::SeparateMemory => "separate-memory",
            Lesson::PipeQueue => "pipe-queue",
            Lesson::SharedMemory => "shared-memory",
            Lesson::Lock => "lock",
            Lesson::Pool => "pool",
            Lesson::Crash => "crash",
        }
    }

    /// The heading printed above the lesson.
    pub fn title(self) -> &'static str {
        match self {
            Lesson::Spawn => "Spawn a child, wait for it, read its exit status",
            Lesson::SeparateMemory => "Separate memory: each process has its own copy",
            Lesson::PipeQueue => "A queue between processes: framed messages over a pipe",
            Lesson::SharedMemory => "Shared memory: one mapped file, two processes",
            Lesson::Lock => "A lock across processes",
            Lesson::Pool => "A process pool",
            Lesson::Crash => "Crashing children",
        }
    }

    /// Runs the lesson, starting `program` as its children, and hands back what it found.
    pub fn run(self, program: &Program, settings: &Settings) -> anyhow::Result<Box<dyn Outcome>> {
        Ok(match self {
            Lesson::Spawn => Box::new(spawn::run(program)?),
            Lesson::SeparateMemory => Box::new(separate_memory::run(program, 5)?),
            Lesson::PipeQueue => Box::new(pipe_queue::run(program, 5)?),
            Lesson::SharedMemory => Box::new(shared_memory::run(program, 10)?),
            Lesson::Lock => Box::new(process_lock::run(
                program,
                process_lock::START,
                process_lock::OPS,
            )?),
            Lesson::Pool => Box::new(process_pool::run(
                program,
                &process_pool::inputs(24),
                settings.workers,
                None,
            )?),
            Lesson::Crash => Box::new(crashes::run(program)?),
        })
    }
}

/// What the program was asked to do, beyond which lessons to run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Worker processes in the pool lesson.
    pub workers: usize,
}

/// What a lesson hands back: text for the reader (`Display`) and its timing records.
pub trait Outcome: fmt::Display {
    /// One record per timed run in the lesson.
    fn timings(&self) -> Vec<Timing>;
}

/// One timing record of `--json`, with the field names every demo of the workspace writes.
#[derive(Clone, Debug, Serialize)]
pub struct Timing {
    pub demo: &'static str,
    /// The lesson's name: the report groups records by (demo, workload).
    pub workload: &'static str,
    pub mode: &'static str,
    pub workers: usize,
    pub items: u64,
    pub bytes: u64,
    pub wall_ms: f64,
    pub ok: bool,
}

impl Timing {
    /// A record of `items` units of work done by `workers` processes in `wall`.
    pub fn new(
        lesson: Lesson,
        mode: &'static str,
        workers: usize,
        items: u64,
        wall: Duration,
    ) -> Timing {
        Timing {
            demo: DEMO,
            workload: lesson.name(),
            mode,
            workers,
            items,
            bytes: 0,
            wall_ms: wall.as_secs_f64() * 1000.0,
            ok: true,
        }
    }
}

/// Formats a duration for the lesson text: milliseconds, one decimal.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Runs `lessons` in order. The lesson text goes to stdout, or to stderr with `json`, where
/// stdout carries only the timing records. A lesson that fails is reported and the next one
/// still runs; the error returned at the end says which failed.
pub fn run(
    lessons: &[Lesson],
    program: &Program,
    settings: &Settings,
    json: bool,
) -> anyhow::Result<()> {
    // Text is flushed as it is written, so that it keeps its place among the lines that
    // children print on stderr.
    let say = |text: String| -> io::Result<()> {
        if json {
            io::stderr().write_all(text.as_bytes())
        } else {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()
        }
    };
    let mut failed = Vec::new();
    for &lesson in lessons {
        say(format!(
            "== Lesson {}: {} ==\n",
            lesson.number(),
            lesson.title()
        ))?;
        match lesson.run(program, settings) {
            Ok(outcome) => {
                say(format!("{outcome}\n"))?;
                if json {
                    let mut out = io::stdout().lock();
                    for timing in outcome.timings() {
                        writeln!(out, "{}", serde_json::to_string(&timing)?)?;
                    }
                }
            }
            Err(err) => {
                eprintln!("error: lesson {} failed: {err:#}\n", lesson.name());
                failed.push(lesson.name());
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{} lesson(s) failed: {}", failed.len(), failed.join(", "))
    }
}
