//! The child side: what this program does when a lesson starts it as `worker JOB`.
//!
//! Each job is the child half of one lesson, and lives in that lesson's module next to the
//! parent half (the pool's, next to the parent's handle on a member, in `pool_member.rs`), so
//! you can read the two together. This module only lists the jobs (a hidden
//! clap subcommand: `--help` does not show it) and dispatches to them. A job that fails returns
//! an error; `main` prints it on stderr and exits with status 1, which the parent then reports.

use std::path::PathBuf;

use clap::Subcommand;

use crate::{crashes, process_lock, process_pool, separate_memory, shared_memory, spawn};
use crate::{pipe_queue, pool_member, Lesson};

/// The child jobs, one (or two) per lesson.
#[derive(Clone, Debug, Subcommand)]
pub enum Job {
    /// Lesson 1: say hello on stdout, then exit with the given code.
    Greet {
        #[arg(long, default_value_t = 0)]
        exit_code: u8,
    },
    /// Lesson 2: fill this process's copy of the list, send it back on stdout.
    FillList {
        #[arg(long)]
        count: u64,
    },
    /// Lesson 3: send framed messages on stdout; with --cut-after K, die inside message K.
    Produce {
        #[arg(long)]
        count: u64,
        #[arg(long)]
        cut_after: Option<u64>,
    },
    /// Lesson 4: negate the shared array and set the shared value.
    ShmWrite {
        #[arg(long)]
        path: PathBuf,
    },
    /// Lesson 5: add AMOUNT to the shared balance TIMES times, with or without the file lock.
    Bank {
        #[arg(long)]
        path: PathBuf,
        #[arg(long, allow_hyphen_values = true)]
        amount: i64,
        #[arg(long)]
        times: u32,
        #[arg(long)]
        locked: bool,
    },
    /// Lesson 6: a pool member: answer framed jobs from stdin until stdin closes.
    PoolMember {
        /// Panic on this input (for the tests of a crashing pool member).
        #[arg(long)]
        panic_on: Option<u64>,
    },
    /// Lesson 7: die the way asked.
    Crash {
        #[arg(long, value_enum)]
        how: crashes::How,
    },
    /// Lesson 7: sleep (until the parent kills us).
    Sleep {
        #[arg(long)]
        ms: u64,
    },
    /// Lesson 7: start a sleeping child of our own, print its pid, then sleep.
    Parent,
}

impl Job {
    /// The lesson this job belongs to.
    pub fn lesson(&self) -> Lesson {
        match self {
            Job::Greet { .. } => Lesson::Spawn,
            Job::FillList { .. } => Lesson::SeparateMemory,
            Job::Produce { .. } => Lesson::PipeQueue,
            Job::ShmWrite { .. } => Lesson::SharedMemory,
            Job::Bank { .. } => Lesson::Lock,
            Job::PoolMember { .. } => Lesson::Pool,
            Job::Crash { .. } | Job::Sleep { .. } | Job::Parent => Lesson::Crash,
        }
    }
}

/// Runs `job` in this (child) process.
pub fn run(job: Job) -> anyhow::Result<()> {
    match job {
        Job::Greet { exit_code } => spawn::child(exit_code),
        Job::FillList { count } => separate_memory::child(count),
        Job::Produce { count, cut_after } => pipe_queue::child(count, cut_after),
        Job::ShmWrite { path } => shared_memory::child(&path),
        Job::Bank {
            path,
            amount,
            times,
            locked,
        } => process_lock::child(&path, amount, times, locked),
        Job::PoolMember { panic_on } => pool_member::serve(process_pool::count_primes, panic_on),
        Job::Crash { how } => crashes::child(how),
        Job::Sleep { ms } => {
            std::thread::sleep(std::time::Duration::from_millis(ms));
            Ok(())
        }
        Job::Parent => crashes::middle_child(),
    }
}
