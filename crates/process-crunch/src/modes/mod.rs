//! The four ways to aggregate the file, side by side. They share everything but the
//! concurrency: [`Input::aggregate_range`](crate::parse::Input::aggregate_range) does the parsing, [`Partial::merge`] the combining.
//!
//! | mode | who runs the ranges | how partial results come back |
//! |---|---|---|
//! | `sequential` | the main thread, one range: the whole file | it is the result |
//! | `threads` | one scoped thread per range | the return value of `join` |
//! | `rayon` | a pool of `workers` threads, more ranges than threads | `fold` then `reduce` |
//! | `processes` | one child process per range | a serialized frame on the child's stdout |
//!
//! To add a mode (the timely mode does this behind `#[cfg(feature = "timely")]`): a variant of
//! [`Mode`], its name in [`Mode::name`], a module with `run(&Job) -> Result<Outcome, ModeError>`,
//! and one arm in [`run`]. Flags of its own go in `RunArgs` (cli.rs) and fields in [`Job`].

pub mod processes;
pub mod rayon;
pub mod sequential;
pub mod threads;
#[cfg(feature = "timely")]
pub mod timely;

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::parse::{AggregateError, LineError, Parser};
use crate::stats::Partial;

/// How the work is divided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Mode {
    /// One thread reads the whole file: the baseline.
    Sequential,
    /// One range per thread, `std::thread::scope`.
    Threads,
    /// Several ranges per thread on a rayon pool, `fold` and `reduce`.
    Rayon,
    /// One range per child process; results come back framed over pipes.
    Processes,
    /// P processes x W threads on timely-dataflow: exchange by station, gather at worker 0.
    #[cfg(feature = "timely")]
    Timely,
}

impl Mode {
    /// Every mode, the baseline first (the order of the demo's table).
    pub const ALL: &'static [Mode] = &[
        Mode::Sequential,
        Mode::Threads,
        Mode::Rayon,
        Mode::Processes,
    ];

    /// The name on the command line and in the JSON record.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Sequential => "sequential",
            Mode::Threads => "threads",
            Mode::Rayon => "rayon",
            Mode::Processes => "processes",
            #[cfg(feature = "timely")]
            Mode::Timely => "timely",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything a mode needs to know about one run.
#[derive(Clone, Debug)]
pub struct Job {
    /// The measurements file.
    pub path: PathBuf,
    /// Which parser reads it.
    pub parser: Parser,
    /// Threads or processes to use (at least 1).
    pub workers: usize,
    /// Skip malformed lines (counted) instead of failing on the first.
    pub skip_bad: bool,
    /// Processes mode: how many times a crashed worker's range is retried.
    pub retries: u32,
    /// Processes mode: a worker still running after this long is killed, and its range
    /// retried like a crash. `None`: wait as long as it takes.
    pub worker_timeout: Option<std::time::Duration>,
    /// Timely mode: processes on this machine, or a hostfile and this process's index.
    #[cfg(feature = "timely")]
    pub timely: timely::TimelyArgs,
}

/// What a mode hands back.
#[derive(Debug)]
pub struct Outcome {
    /// The merged result.
    pub partial: Partial,
    /// Threads or processes actually used (the JSON record's `workers`).
    pub workers: usize,
    /// Mode-specific fields for the JSON record (e.g. `spawn_ms` for processes).
    pub extra: Map<String, Value>,
}

impl Outcome {
    /// An outcome with no extra fields.
    pub fn new(partial: Partial, workers: usize) -> Self {
        Outcome {
            partial,
            workers,
            extra: Map::new(),
        }
    }
}

/// Why a mode failed.
#[derive(Debug, thiserror::Error)]
pub enum ModeError {
    /// A malformed line or an unreadable file.
    #[error(transparent)]
    Aggregate(#[from] AggregateError),
    /// A worker (thread or process) failed: panicked, crashed, could not be started.
    #[error("{0}")]
    Worker(String),
}

/// Runs `job` in `mode`. A malformed line becomes an error naming the file, the line number
/// and the byte offset.
pub fn run(mode: Mode, job: &Job) -> anyhow::Result<Outcome> {
    let result = match mode {
        Mode::Sequential => sequential::run(job),
        Mode::Threads => threads::run(job),
        Mode::Rayon => rayon::run(job),
        Mode::Processes => processes::run(job),
        #[cfg(feature = "timely")]
        Mode::Timely => timely::run(job),
    };
    result.map_err(|e| describe(&job.path, e))
}

/// Turns a mode's error into the message the user sees. For a bad line this is where the line
/// number is found: by counting newlines before its offset, once, on the error path.
pub fn describe(path: &Path, error: ModeError) -> anyhow::Error {
    match error {
        ModeError::Aggregate(AggregateError::Line(LineError { offset, kind })) => {
            let line = crate::file::open_regular(path)
                .and_then(|(f, _)| crate::ranges::line_number_at(&f, offset))
                .map(|n| format!("line {n}, "))
                .unwrap_or_default();
            anyhow::anyhow!("{}: {line}byte {offset}: {kind}", path.display())
        }
        other => anyhow::Error::new(other),
    }
}

/// Combines two ranges' results: partials merge; of two errors the one a sequential reader
/// would have hit first is kept, so every mode reports the same error for the same file
/// (a changed file first, then worker failures, then I/O errors, then the bad line with the
/// lowest offset).
pub fn combine(
    a: Result<Partial, ModeError>,
    b: Result<Partial, ModeError>,
) -> Result<Partial, ModeError> {
    match (a, b) {
        (Ok(mut a), Ok(b)) => {
            a.merge(b);
            Ok(a)
        }
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
        (Err(a), Err(b)) => Err(if rank(&a) <= rank(&b) { a } else { b }),
    }
}

/// Orders errors for [`combine`]: lower is reported first.
fn rank(e: &ModeError) -> (u8, u64) {
    match e {
        // A changed file explains every other error (a bad line may be half of a rewrite).
        ModeError::Aggregate(AggregateError::Changed { .. }) => (0, 0),
        ModeError::Worker(_) => (1, 0),
        ModeError::Aggregate(AggregateError::Io { .. }) => (2, 0),
        ModeError::Aggregate(AggregateError::Line(line)) => (3, line.offset),
    }
}

/// Folds many ranges' results with [`combine`].
pub fn merge_all(
    results: impl IntoIterator<Item = Result<Partial, ModeError>>,
) -> Result<Partial, ModeError> {
    results.into_iter().fold(Ok(Partial::default()), combine)
}
