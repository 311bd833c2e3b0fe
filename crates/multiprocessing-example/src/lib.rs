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
//! Then the plumbing every lesson shares: [`supervised`] (how every child is started and
//! owned: killed and reaped on every exit path), [`child`] (the child is this program again)
//! and [`worker`] (the child side: which job a child runs).
//!
//! Every lesson is a function that returns a result struct. The program prints it (its
//! `Display`, in [`report`] with the timing records), and the tests assert on its fields. The
//! lessons take the [`child::Program`] to start as children: the program passes itself, the
//! tests pass the binary under test.

pub mod child;
pub mod crashes;
pub mod framing;
pub mod pipe_queue;
pub mod pool_member;
pub mod process_lock;
pub mod process_pool;
pub mod report;
pub mod separate_memory;
pub mod shared_memory;
pub mod spawn;
pub mod supervised;
pub mod worker;

use crate::child::Program;
use crate::report::{Outcome, Report};

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

/// Runs `lessons` in order. The lesson text goes to stdout, or to stderr with `json`, where
/// stdout carries only the timing records. A lesson that fails is reported and the next one
/// still runs; the error returned at the end says which failed.
pub fn run(
    lessons: &[Lesson],
    program: &Program,
    settings: &Settings,
    json: bool,
) -> anyhow::Result<()> {
    let report = Report { json };
    let mut failed = Vec::new();
    for &lesson in lessons {
        let (number, title) = (lesson.number(), lesson.title());
        report.say(&format!("== Lesson {number}: {title} ==\n"))?;
        match lesson.run(program, settings) {
            Ok(outcome) => report.outcome(lesson.name(), outcome.as_ref())?,
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
