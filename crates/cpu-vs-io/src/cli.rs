//! The command line. Every flag documents its default in `--help`; the two hidden subcommands
//! are how the process models start this same program as a worker (see `worker.rs`).

use clap::{Parser, Subcommand, ValueEnum};

use crate::models::Mode;
use crate::task::CPU_TASK_SIZE;
use crate::worker::{RUN_TASK_SUBCOMMAND, WORKER_SUBCOMMAND};
use crate::workload::Workload;

const ABOUT: &str = "Runs the same tasks under every concurrency model and says which one wins, \
                     and why.";

const LONG_ABOUT: &str = "\
Runs the same tasks under every concurrency model and says which one wins, and why.

Workloads (--workload):
  cpu    --tasks tasks (default 8), each counting the primes in a fixed window of numbers:
         about 50 ms per task in a release build on a typical core, about twice that in the
         debug build that a plain `cargo run -p cpu-vs-io` makes
  io     two workloads that only wait, --tasks tasks each (default 32):
         io-sleep  each task sleeps --latency-ms
         io-tcp    each task does a blocking read from a TCP server on 127.0.0.1 (started by
                   the program) that answers after --latency-ms

Models (--mode):
  sequential        one task after another on the main thread: the baseline
  thread-per-task   a new thread for every task, all started at once
  thread-pool       --workers threads taking tasks from a crossbeam channel
  rayon             rayon's global pool of --workers threads (par_iter)
  process-per-task  a new child process for every task, all started at once
  process-pool      --workers long-lived child processes fed tasks over pipes

Every model runs the same tasks and its results are checked equal to the others'. For each
workload it prints a table (model, workers, time, speedup over sequential) and one sentence,
computed from the measured times, on which model won and why. Use a release build for numbers
worth comparing: cargo run --release -p cpu-vs-io

Exit status: 0 success, 1 a task or a model failed or the models disagreed, 2 usage error.";

#[derive(Debug, Parser)]
#[command(name = "cpu-vs-io", version, about = ABOUT, long_about = LONG_ABOUT)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Which work to measure: cpu, io (runs io-sleep and io-tcp) or all.
    #[arg(long, value_enum, default_value_t = WorkloadArg::All)]
    pub workload: WorkloadArg,

    /// Which model to run, or all of them, one after the other.
    #[arg(long, value_enum, default_value_t = ModeArg::All)]
    pub mode: ModeArg,

    /// Threads or processes in thread-pool, rayon and process-pool [default: the number of
    /// logical CPUs]. The per-task models start one per task; sequential uses one.
    #[arg(long, default_value_t = logical_cpus(), hide_default_value = true,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub workers: u32,

    /// Tasks per workload [default: 8 for cpu, 32 for io]. At most 4096, since the per-task
    /// models start that many threads or processes at once.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub tasks: Option<u32>,

    /// How long each I/O task waits, in milliseconds (the sleep, the server's delay).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub latency_ms: u64,

    /// Print one JSON record per model run on stdout (and nothing else there); the tables and
    /// the verdicts move to stderr.
    #[arg(long)]
    pub json: bool,

    /// Numbers per CPU task (hidden: tests use small tasks to run fast).
    #[arg(long, hide = true, default_value_t = CPU_TASK_SIZE,
          value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub cpu_size: u64,

    #[command(subcommand)]
    pub child: Option<ChildCommand>,
}

/// The worker side of the process models: the parent starts `cpu-vs-io` again with one of
/// these. Hidden from `--help` because people never type them.
#[derive(Debug, Subcommand)]
pub enum ChildCommand {
    /// Serve tasks from stdin, one JSON line each, answering each on stdout (process-pool).
    #[command(name = WORKER_SUBCOMMAND, hide = true)]
    Worker,
    /// Run the one task given as JSON and print its result on stdout (process-per-task).
    #[command(name = RUN_TASK_SUBCOMMAND, hide = true)]
    RunTask { task: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WorkloadArg {
    Cpu,
    Io,
    All,
}

impl WorkloadArg {
    pub fn workloads(self) -> Vec<Workload> {
        match self {
            WorkloadArg::Cpu => vec![Workload::Cpu],
            WorkloadArg::Io => vec![Workload::IoSleep, Workload::IoTcp],
            WorkloadArg::All => vec![Workload::Cpu, Workload::IoSleep, Workload::IoTcp],
        }
    }
}

/// `--mode`: one model or `all`. Mirrors [`Mode`] plus `all`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    All,
    Sequential,
    ThreadPerTask,
    ThreadPool,
    Rayon,
    ProcessPerTask,
    ProcessPool,
}

impl ModeArg {
    pub fn modes(self) -> Vec<Mode> {
        match self {
            ModeArg::All => Mode::ALL.to_vec(),
            ModeArg::Sequential => vec![Mode::Sequential],
            ModeArg::ThreadPerTask => vec![Mode::ThreadPerTask],
            ModeArg::ThreadPool => vec![Mode::ThreadPool],
            ModeArg::Rayon => vec![Mode::Rayon],
            ModeArg::ProcessPerTask => vec![Mode::ProcessPerTask],
            ModeArg::ProcessPool => vec![Mode::ProcessPool],
        }
    }
}

/// The number of logical CPUs, or 1 if the OS will not say.
pub fn logical_cpus() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults() {
        let cli = Cli::try_parse_from(["cpu-vs-io"]).unwrap();
        assert_eq!(cli.workload, WorkloadArg::All);
        assert_eq!(cli.mode.modes(), Mode::ALL.to_vec());
        assert_eq!(cli.workers, logical_cpus());
        assert_eq!(cli.tasks, None);
        assert_eq!(cli.latency_ms, 50);
        assert_eq!(cli.cpu_size, CPU_TASK_SIZE);
        assert!(cli.child.is_none());
    }

    #[test]
    fn the_contract_command_line_parses() {
        let cli = Cli::try_parse_from([
            "cpu-vs-io",
            "--workload",
            "io",
            "--mode",
            "process-pool",
            "--workers",
            "3",
            "--tasks",
            "5",
            "--latency-ms",
            "7",
            "--json",
        ])
        .unwrap();
        assert_eq!(
            cli.workload.workloads(),
            [Workload::IoSleep, Workload::IoTcp]
        );
        assert_eq!(cli.mode.modes(), [Mode::ProcessPool]);
        assert_eq!((cli.workers, cli.tasks, cli.latency_ms), (3, Some(5), 7));
        assert!(cli.json);
    }
}
