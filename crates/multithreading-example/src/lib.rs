//! The classic thread lessons, one module each, in the order to read them:
//!
//! 1. [`overlap`]: threads overlap blocking waits (the I/O-bound case).
//! 2. [`shared_state`]: one balance, two threads, `Arc<Mutex<_>>` and an atomic.
//! 3. [`channels`]: a producer/consumer pipeline over bounded crossbeam channels.
//! 4. [`scoped`]: `std::thread::scope` borrows local data without `Arc`.
//! 5. [`thread_pool`]: rayon's `par_iter` on CPU-bound work, against the sequential loop.
//! 6. [`panics`]: a panicking worker becomes an error at `join`, and the program goes on.
//!
//! Every lesson is a function that returns a result struct. The program prints it (its
//! `Display`, in [`report`] with the timing records), and the tests assert on its fields, so
//! what you read on screen is what is tested. This file holds the list of lessons and [`run`],
//! which runs them and keeps going past a failed one.

pub mod channels;
pub mod overlap;
pub mod panics;
pub mod report;
pub mod scoped;
pub mod shared_state;
pub mod thread_pool;

use crate::report::{Outcome, Report};

/// One lesson of the program. On the command line it is named or numbered: `shared-state` or `2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lesson {
    /// 1: threads overlap blocking waits (squares and cubes, 200 ms per item)
    #[value(alias = "1")]
    Overlap,
    /// 2: shared state: a balance of 200 through Arc<Mutex<_>> and through an atomic
    #[value(alias = "2")]
    SharedState,
    /// 3: channels: a producer/consumer pipeline with bounded crossbeam channels
    #[value(alias = "3")]
    Channels,
    /// 4: scoped threads borrow local data without Arc
    #[value(alias = "4")]
    Scoped,
    /// 5: a thread pool: rayon par_iter on a CPU-bound task, speedup printed
    #[value(alias = "5")]
    ThreadPool,
    /// 6: a panicking worker: the panic is an error at join, the program goes on
    #[value(alias = "6")]
    Panics,
}

impl Lesson {
    /// Every lesson, in teaching order.
    pub const ALL: [Lesson; 6] = [
        Lesson::Overlap,
        Lesson::SharedState,
        Lesson::Channels,
        Lesson::Scoped,
        Lesson::ThreadPool,
        Lesson::Panics,
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
            Lesson::Overlap => "overlap",
            Lesson::SharedState => "shared-state",
            Lesson::Channels => "channels",
            Lesson::Scoped => "scoped",
            Lesson::ThreadPool => "thread-pool",
            Lesson::Panics => "panics",
        }
    }

    /// The heading printed above the lesson.
    pub fn title(self) -> &'static str {
        match self {
            Lesson::Overlap => "Threads overlap blocking waits",
            Lesson::SharedState => "Shared state: Arc<Mutex<_>> and an atomic",
            Lesson::Channels => "Channels: a producer/consumer pipeline",
            Lesson::Scoped => "Scoped threads borrow local data",
            Lesson::ThreadPool => "A thread pool: rayon against the sequential loop",
            Lesson::Panics => "A panicking worker",
        }
    }

    /// Runs the lesson with the program's settings and hands back what it found.
    pub fn run(self, settings: &Settings) -> anyhow::Result<Box<dyn Outcome>> {
        let workers = settings.workers;
        Ok(match self {
            Lesson::Overlap => Box::new(overlap::run(&[1, 2, 3, 4], overlap::WAIT)?),
            Lesson::SharedState => {
                Box::new(shared_state::run(shared_state::START, shared_state::OPS)?)
            }
            Lesson::Channels => Box::new(channels::run(10_000, workers, 16)?),
            Lesson::Scoped => Box::new(scoped::run(1_000, workers)?),
            Lesson::ThreadPool => Box::new(thread_pool::run(thread_pool::LIMIT, workers)?),
            Lesson::Panics => Box::new(panics::run(4, 2)?),
        })
    }
}

/// What the program was asked to do, beyond which lessons to run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Threads for the lessons that use a group of workers (channels, scoped, thread-pool).
    pub workers: usize,
}

/// Runs `lessons` in order. The lesson text goes to stdout, or to stderr with `json`, where
/// stdout carries only the timing records. A lesson that fails is reported and the next one
/// still runs; the error returned at the end says which failed.
pub fn run(lessons: &[Lesson], settings: &Settings, json: bool) -> anyhow::Result<()> {
    let report = Report { json };
    let mut failed = Vec::new();
    for &lesson in lessons {
        let (number, title) = (lesson.number(), lesson.title());
        report.say(&format!("== Lesson {number}: {title} ==\n"))?;
        match lesson.run(settings) {
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
