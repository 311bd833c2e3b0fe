//! `multiprocessing-example`: the classic process lessons in one runnable program.
//!
//! This file parses the command line, hands the lessons to `run` and turns the result into the
//! exit status (0 all lessons ran, 1 a lesson failed, 2 a usage error, which clap reports).
//! The same binary is also every child process: a lesson starts it again with the hidden
//! `worker` subcommand, which runs one child job instead of the lessons. The teaching is in the
//! lesson modules; `src/lib.rs` lists them in the order to read them.

use std::num::NonZeroUsize;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use multiprocessing_example::child::Program;
use multiprocessing_example::worker::{self, Job};
use multiprocessing_example::{Lesson, Settings};

/// The classic process lessons: spawn and wait, separate memory, a queue over a pipe, shared
/// memory, a lock across processes, a process pool and crashing children. Without a LESSON,
/// runs them all in order. The children are copies of this program.
#[derive(Parser, Debug)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Cli {
    /// The lesson to run, by name or number (e.g. `pool` or `6`); all of them if omitted.
    lesson: Option<Lesson>,

    /// Worker processes for the pool lesson [default: logical CPUs].
    #[arg(long)]
    workers: Option<NonZeroUsize>,

    /// Print one JSON timing record per line on stdout; the lesson text moves to stderr.
    #[arg(long)]
    json: bool,

    #[command(subcommand)]
    child: Option<ChildMode>,
}

#[derive(Subcommand, Debug)]
enum ChildMode {
    /// Run one child job of a lesson (the program starts itself this way).
    #[command(hide = true)]
    Worker {
        #[command(subcommand)]
        job: Job,
    },
}

fn main() -> ExitCode {
    // On a usage error clap prints it and exits with status 2; `--help` exits with 0.
    let cli = Cli::parse();

    if let Some(ChildMode::Worker { job }) = cli.child {
        // We are a child: do the one job, report failure on stderr and in the exit status.
        let lesson = job.lesson().name();
        return match worker::run(job) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: worker for lesson {lesson}: {err:#}");
                ExitCode::from(1)
            }
        };
    }

    let workers = cli
        .workers
        .or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get);
    let lessons = match cli.lesson {
        Some(lesson) => vec![lesson],
        None => Lesson::ALL.to_vec(),
    };
    let result = Program::current().and_then(|program| {
        multiprocessing_example::run(&lessons, &program, &Settings { workers }, cli.json)
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}
