//! The command line: `generate`, `run`, `bench`, the hidden `worker`, and no command at all
//! (the demo). Each subcommand maps to one function; exit codes are decided in `main.rs`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser as ClapParser, Subcommand};

use crate::file::{report_sigbus, FileIdentity};
use crate::generate::{self, DEFAULT_ROWS, DEFAULT_SEED, DEFAULT_STATIONS, MAX_STATIONS};
use crate::measure;
use crate::modes::{Job, Mode};
use crate::parse::Parser;
use crate::worker;

/// The 1BRC aggregation four ways: sequential, threads, rayon and processes.
///
/// With no command: generates a default 10M-row file once into a cache folder, runs every mode
/// with both parsers, checks that all outputs are identical and prints a table of times.
#[derive(Debug, ClapParser)]
#[command(name = "process-crunch", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a 1BRC-format measurements file: `name;temp` lines, seeded.
    Generate(GenerateArgs),
    /// Aggregate FILE and print `{name=min/mean/max, ...}` on stdout.
    Run(RunArgs),
    /// Time every mode with both parsers on FILE and check that all outputs are identical.
    Bench(BenchArgs),
    /// Internal: aggregate one byte range for the processes mode and write a frame to stdout.
    #[command(hide = true)]
    Worker(WorkerArgs),
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// File to write (created or truncated).
    pub file: PathBuf,
    /// Number of rows.
    #[arg(long, default_value_t = DEFAULT_ROWS)]
    pub rows: u64,
    /// Number of stations, 1 to 10000. Past the built-in list of real places, names are made up.
    #[arg(long, default_value_t = DEFAULT_STATIONS, value_parser = parse_stations, conflicts_with = "variant")]
    pub stations: usize,
    /// A named 1BRC input: `413` (the 413 stations of the original challenge, the default) or
    /// `10k` (the "10K" variant: 10,000 stations, where hashing and the table dominate).
    #[arg(long, value_enum)]
    pub variant: Option<Variant>,
    /// Seed of the random generator: the same seed gives the same bytes.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
}

/// The 1BRC input variants `generate --variant` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Variant {
    /// 413 stations, as the original challenge.
    #[value(name = "413")]
    Stations413,
    /// 10,000 stations, the challenge's "10K" variant.
    #[value(name = "10k")]
    TenK,
}

impl GenerateArgs {
    /// The station count: the variant's, else `--stations`.
    pub fn stations(&self) -> usize {
        match self.variant {
            Some(Variant::Stations413) => 413,
            Some(Variant::TenK) => MAX_STATIONS,
            None => self.stations,
        }
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The measurements file: `name;temp` lines.
    pub file: PathBuf,
    /// How the work is divided.
    #[arg(long, value_enum, default_value_t = Mode::Processes)]
    pub mode: Mode,
    /// Threads or processes to use (default: the number of logical CPUs); timely mode:
    /// threads per process.
    #[arg(long, default_value_t = default_workers(), value_parser = parse_workers)]
    pub workers: usize,
    /// Which parser reads the lines.
    #[arg(long, value_enum, default_value_t = Parser::Csv)]
    pub parser: Parser,
    /// Print one JSON timing record on stdout (the result line moves to stderr).
    #[arg(long)]
    pub json: bool,
    /// Skip malformed lines (and report how many) instead of failing on the first.
    #[arg(long)]
    pub skip_bad: bool,
    /// Processes mode: times a crashed worker's range is retried in a fresh process.
    #[arg(long, default_value_t = 1)]
    pub retries: u32,
    /// Processes mode: kill a worker still running after this many seconds and treat it as
    /// crashed (so its range is retried). 0: no limit. A hung worker otherwise stalls the run.
    #[arg(long, value_name = "S", default_value_t = 0.0, value_parser = parse_timeout)]
    pub worker_timeout_s: f64,
    #[cfg(feature = "timely")]
    #[command(flatten)]
    pub timely: crate::modes::timely::TimelyArgs,
}

impl RunArgs {
    /// The job these arguments describe. Sequential always uses one worker.
    pub fn job(&self) -> Job {
        Job {
            path: self.file.clone(),
            parser: self.parser,
            workers: if self.mode == Mode::Sequential {
                1
            } else {
                self.workers
            },
            skip_bad: self.skip_bad,
            retries: self.retries,
            worker_timeout: (self.worker_timeout_s > 0.0)
                .then(|| std::time::Duration::from_secs_f64(self.worker_timeout_s)),
            #[cfg(feature = "timely")]
            timely: self.timely.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The measurements file.
    pub file: PathBuf,
    /// Runs of each mode; the table shows the median.
    #[arg(long, default_value_t = 5, value_parser = parse_workers)]
    pub runs: usize,
    /// Threads or processes for the parallel modes (default: the number of logical CPUs).
    #[arg(long, default_value_t = default_workers(), value_parser = parse_workers)]
    pub workers: usize,
    /// Print one JSON record per run on stdout (the table moves to stderr).
    #[arg(long)]
    pub json: bool,
    /// Time the fast parser's steps instead of the modes: sequentially, on one core, from the
    /// plain solver to the full fast parser, one technique at a time.
    #[arg(long)]
    pub steps: bool,
    /// Also time this outside command on FILE in the same alternating loop (`sh -c`; `{}`
    /// becomes FILE's path, else the path is appended), and say whether its output matches.
    #[arg(long, value_name = "CMD")]
    pub compare_cmd: Option<String>,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Worker index (for messages and the fault switch).
    #[arg(long)]
    pub index: usize,
    /// Attempt number, 0 for the first.
    #[arg(long, default_value_t = 0)]
    pub attempt: u32,
    /// First byte of the range (a line start).
    #[arg(long)]
    pub start: u64,
    /// End of the range (exclusive; a line start or the end of the file).
    #[arg(long)]
    pub end: u64,
    #[arg(long, value_enum)]
    pub parser: Parser,
    #[arg(long)]
    pub skip_bad: bool,
    /// FILE's identity as the parent recorded it (`dev:ino:size:sec:nsec`).
    #[arg(long, value_parser = FileIdentity::from_arg)]
    pub identity: FileIdentity,
    /// Largest reply payload the parent accepts, in bytes.
    #[arg(long)]
    pub max_reply: u64,
    pub file: PathBuf,
}

/// Most workers accepted: a guard against a typo starting thousands of processes.
const MAX_WORKERS: usize = 1024;

/// The number of logical CPUs, or 1 if it cannot be found.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn parse_workers(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_WORKERS).contains(&n) => Ok(n),
        _ => Err(format!("expected a whole number from 1 to {MAX_WORKERS}")),
    }
}

fn parse_stations(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_STATIONS).contains(&n) => Ok(n),
        _ => Err(format!("expected a whole number from 1 to {MAX_STATIONS}")),
    }
}

/// Runs the parsed command line. `Err` means the work failed (exit status 1); usage errors
/// never get here, clap has already exited with status 2.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        None => crate::bench::demo(default_workers())?,
        Some(Command::Generate(args)) => {
            let stations = args.stations();
            let done = generate::generate(&args.file, args.rows, stations, args.seed)?;
            eprintln!(
                "Wrote {} rows ({:.1} MB) over {} stations to {}",
                done.rows,
                done.bytes as f64 / 1e6,
                stations,
                args.file.display()
            );
        }
        Some(Command::Run(args)) => {
            report_sigbus(&args.file);
            run_file(&args)?
        }
        Some(Command::Bench(args)) => {
            report_sigbus(&args.file);
            crate::bench::bench(&crate::bench::BenchOptions {
                file: args.file,
                workers: args.workers,
                runs: args.runs,
                json: args.json,
                steps: args.steps,
                compare_cmd: args.compare_cmd,
            })?
        }
        Some(Command::Worker(args)) => {
            if args.start > args.end {
                anyhow::bail!("worker range {}..{} is backwards", args.start, args.end);
            }
            return Ok(worker::run(&worker::Task {
                path: args.file,
                range: args.start..args.end,
                parser: args.parser,
                skip_bad: args.skip_bad,
                index: args.index,
                attempt: args.attempt,
                identity: args.identity,
                max_reply: args.max_reply,
            }));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `run FILE`: the result on stdout (or the JSON record, with the result on stderr).
fn run_file(args: &RunArgs) -> anyhow::Result<()> {
    #[cfg(feature = "timely")]
    {
        use crate::modes::timely;
        if let Some(message) = timely::usage_error(args.mode, &args.timely) {
            use clap::CommandFactory;
            Cli::command()
                .error(clap::error::ErrorKind::ArgumentConflict, message)
                .exit();
        }
        // Timely processes other than 0 do their share and print nothing.
        if args.mode == Mode::Timely && !args.timely.prints_result() {
            return timely::run_peer(&args.job());
        }
    }
    let timed = measure::timed_run(args.mode, &args.job())?;
    let result = timed.outcome.partial.to_1brc();
    let mut stdout = io::stdout().lock();
    if args.json {
        io::stderr().write_all(&result)?;
        writeln!(stdout, "{}", timed.record())?;
    } else {
        stdout.write_all(&result)?;
    }
    stdout.flush()?;
    eprintln!("{}", timed.summary());
    Ok(())
}

/// `--worker-timeout-s`: a finite number of seconds, 0 or more (0: no limit).
fn parse_timeout(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && (0.0..=1e9).contains(&s) => Ok(s),
        _ => Err(format!(
            "`{text}` is not a number of seconds from 0 (no limit) to 1e9"
        )),
    }
}
