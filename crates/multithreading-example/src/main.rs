//! `multithreading-example`: the classic thread lessons in one runnable program.
//!
//! This file parses the command line, hands the lessons to `run` and turns the result into the
//! exit status (0 all lessons ran, 1 a lesson failed, 2 a usage error, which clap reports).
//! The teaching is in the lesson modules; `src/lib.rs` lists them in the order to read them.

use std::num::NonZeroUsize;
use std::process::ExitCode;

use clap::Parser;
use multithreading_example::{Lesson, Settings};

/// The classic thread lessons: overlapping waits, shared state, channels, scoped threads, a
/// thread pool and a panicking worker. Without a LESSON, runs them all in order.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// The lesson to run, by name or number (e.g. `shared-state` or `2`); all of them if omitted.
    lesson: Option<Lesson>,

    /// Worker threads for the channels, scoped and thread-pool lessons [default: logical CPUs].
    #[arg(long)]
    workers: Option<NonZeroUsize>,

    /// Print one JSON timing record per line on stdout; the lesson text moves to stderr.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    // On a usage error clap prints it and exits with status 2; `--help` exits with 0.
    let cli = Cli::parse();
    let workers = cli
        .workers
        .or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get);
    let lessons = match cli.lesson {
        Some(lesson) => vec![lesson],
        None => Lesson::ALL.to_vec(),
    };
    match multithreading_example::run(&lessons, &Settings { workers }, cli.json) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}
