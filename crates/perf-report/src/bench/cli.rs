//! The command line of `perf-report bench`: what to run, how often, and where the results go.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

const LONG_ABOUT: &str = "\
Runs the benchmark plan: every demo in every mode at worker counts 1, 2, 4, ... up to twice the
logical CPUs (8, 16 and 32 too for I/O-bound work), one untimed warm-up and --runs timed runs
per configuration, plus the tools a user would pick instead (cp -a, rsync, fcp, xcp, DuckDB,
Polars, wget) when they are installed, and the Python baseline when python3 >= 3.9 is found.

It writes OUT/results/<UTC stamp>-<host>.jsonl (every timing record) and
OUT/results/<UTC stamp>-<host>.machine.json (the machine, the commit, the inputs), and prints
the path of the .jsonl file on stdout; `perf-report RESULTS.jsonl` then renders the report.
scripts/run_all.sh does both.

Inputs are made in a temp dir (on /dev/shm when it has room) that is removed on exit, also after
Ctrl-C. Records collect there and move to OUT/results/ only once every configuration has run; a
failed or interrupted run saves the configurations it finished as
OUT/results/<stamp>-<host>.partial.jsonl, which --resume continues. A demo that exits non-zero
or prints a line that is not a valid timing record stops the run, naming the command.

Exit status: 0 success, 1 a run failed, 2 usage error, 130 interrupted.";

/// The demos the plan knows, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Demo {
    CpuVsIo,
    ThreadedFileCopy,
    ThreadedScrape,
    ProcessCrunch,
}

impl Demo {
    pub const ALL: [Demo; 4] = [
        Demo::CpuVsIo,
        Demo::ThreadedFileCopy,
        Demo::ThreadedScrape,
        Demo::ProcessCrunch,
    ];

    /// The crate and binary name, which is also the `demo` field of its records.
    pub fn name(self) -> &'static str {
        match self {
            Demo::CpuVsIo => "cpu-vs-io",
            Demo::ThreadedFileCopy => "threaded-file-copy",
            Demo::ThreadedScrape => "threaded-scrape",
            Demo::ProcessCrunch => "process-crunch",
        }
    }
}

/// Runs the benchmark plan and writes the timing records (see `perf-report bench --help`).
#[derive(Debug, Parser)]
#[command(name = "perf-report bench", bin_name = "perf-report bench", version, about, long_about = LONG_ABOUT)]
pub struct BenchCli {
    /// Small inputs, 1 timed run and no warm-up: checks the whole pipeline (the root README
    /// says how long it took on the development VM); the numbers are not for reading.
    #[arg(long)]
    pub quick: bool,

    /// Timed runs per configuration, each set after one untimed warm-up (none with --quick)
    /// [default: 5; 1 with --quick].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub runs: Option<u32>,

    /// Where results/ goes.
    #[arg(long, value_name = "DIR", default_value = "performance_analysis")]
    pub out: PathBuf,

    /// Run only these demos (for development, or to split a run in parts joined by --merge).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "DEMO[,DEMO]")]
    pub only: Vec<Demo>,

    /// The release binaries of the demos [default: the folder this perf-report binary is in].
    #[arg(long, value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,

    /// Continue from a results file (a .partial.jsonl left by an interrupted run, or a complete
    /// one): configurations it holds are not run again, and its records are carried over.
    #[arg(long, value_name = "FILE", conflicts_with = "merge")]
    pub resume: Option<PathBuf>,

    /// Join results files of one plan run in parts or on several machines of the same kind
    /// into one results file (with a machine description joining theirs); runs nothing.
    #[arg(long, value_name = "FILE", num_args = 2.., conflicts_with_all = ["quick", "runs", "only"])]
    pub merge: Vec<PathBuf>,

    /// Where the Python baseline (cpu_vs_io.py, crunch.py) is.
    #[arg(long, value_name = "DIR", default_value = "python")]
    pub python_dir: PathBuf,

    /// Print the plan (every configuration and its command, inputs as placeholders) and exit.
    #[arg(long)]
    pub list: bool,
}

impl BenchCli {
    /// The demos to run: those of --only, else all, in plan order.
    pub fn demos(&self) -> Vec<Demo> {
        let mut demos = if self.only.is_empty() {
            Demo::ALL.to_vec()
        } else {
            self.only.clone()
        };
        demos.sort();
        demos.dedup();
        demos
    }

    pub fn runs(&self) -> u32 {
        self.runs.unwrap_or(if self.quick { 1 } else { 5 })
    }

    pub fn warmup(&self) -> u32 {
        if self.quick {
            0
        } else {
            1
        }
    }
}
