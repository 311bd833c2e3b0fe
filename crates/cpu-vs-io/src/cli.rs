//! The command line. Every flag documents its default in `--help`; the three hidden
//! subcommands are how this program starts itself as a child: to run one model
//! (`measure.rs`), and as the workers of the process models (`worker.rs`).

use clap::{Parser, Subcommand, ValueEnum};

use crate::measure::MODEL_SUBCOMMAND;
use crate::models::{process_per_task, Mode};
use crate::task::CPU_TASK_SIZE;
use crate::worker::{RUN_TASK_SUBCOMMAND, WORKER_SUBCOMMAND};
use crate::workload::{Workload, MAX_MANY_TASKS, MAX_TASKS};

/// Under `--workload many --mode all`, sequential runs only when its waits, one after
/// another, take at most this long.
pub const SEQUENTIAL_BUDGET_MS: u64 = 5_000;

const ABOUT: &str = "Runs the same tasks under every concurrency model and says which one wins, \
                     and why.";

const LONG_ABOUT: &str = "\
Runs the same tasks under every concurrency model and says which one wins, and why.

Workloads (--workload; `all` is cpu and io):
  cpu    --tasks tasks (default 8), each counting the primes in a fixed window of numbers:
         about 50 ms per task in a release build on a typical core, about twice that in the
         debug build that a plain `cargo run -p cpu-vs-io` makes
  io     two workloads that only wait, --tasks tasks each (default 32):
         io-sleep  each task sleeps --latency-ms
         io-tcp    each task reads from a TCP server on 127.0.0.1 (started by the program)
                   that answers after --latency-ms
  many   --tasks concurrent sleeps of --latency-ms (default 10,000, at most 100,000): what
         one wait costs each model in start-up time and memory. `--mode all` runs async,
         thread-per-task and thread-pool (a thread per wait unless --workers is given), and
         sequential only when its waits add up to 5 s or less

Models (--mode):
  sequential        one task after another on the main thread: the baseline
  thread-per-task   a new thread for every task, all started at once
  thread-pool       --workers threads taking tasks from a crossbeam channel
  rayon             rayon's global pool of --workers threads (par_iter)
  process-per-task  a new child process for every task, all started at once
  process-pool      --workers long-lived child processes fed tasks over pipes
  async             tokio's multi-thread runtime of --workers threads: the waits as timers and
                    sockets; the CPU tasks block its threads (the mistake to see)
  async-blocking    the same runtime, every task handed to spawn_blocking (a pool of --workers
                    threads): the right way to run blocking code beside async code
  (async and async-blocking need the default cargo feature `async`)

Every model runs in a fresh child process of this program, so that its peak memory (peak RSS
in the table, peak_rss_kb in the records) is its own, and its results are checked equal to
the others'. For each workload it prints a table (model, workers, time, speedup over
sequential, peak memory) and one sentence, computed from the measurements, on which model won
and why. Use a release build for numbers worth comparing: cargo run --release -p cpu-vs-io

Exit status: 0 success, 1 a task or a model failed or the models disagreed, 2 usage error.";

#[derive(Debug, Parser)]
#[command(name = "cpu-vs-io", version, about = ABOUT, long_about = LONG_ABOUT)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Which work to measure: cpu, io (runs io-sleep and io-tcp), many (thousands of waits at
    /// once) or all (cpu and io).
    #[arg(long, value_enum, default_value_t = WorkloadArg::All)]
    pub workload: WorkloadArg,

    /// Which model to run, or all of them, one after the other (for many: the models that
    /// hold thousands of waits, see above).
    #[arg(long, value_enum, default_value_t = ModeArg::All)]
    pub mode: ModeArg,

    /// Threads or processes in thread-pool, rayon, process-pool, async and async-blocking
    /// [default: the number of logical CPUs; for thread-pool under --workload many, one per
    /// task]. The per-task models start one per task; sequential uses one.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_MANY_TASKS as i64))]
    pub workers: Option<u32>,

    /// Tasks per workload [default: 8 for cpu, 32 for io, 10000 for many]. At most 4096 for
    /// cpu and io, and for process-per-task, which start that many threads or processes at
    /// once; at most 100000 for many.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_MANY_TASKS as i64))]
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
    /// Run one model on one workload, given as JSON, and print the time and the results
    /// (every model, so that its peak memory is measured alone).
    #[command(name = MODEL_SUBCOMMAND, hide = true)]
    Model { job: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WorkloadArg {
    Cpu,
    Io,
    Many,
    /// cpu and io (not many, which is a scale test of its own).
    All,
}

impl WorkloadArg {
    pub fn workloads(self) -> Vec<Workload> {
        match self {
            WorkloadArg::Cpu => vec![Workload::Cpu],
            WorkloadArg::Io => vec![Workload::IoSleep, Workload::IoTcp],
            WorkloadArg::Many => vec![Workload::Many],
            WorkloadArg::All => vec![Workload::Cpu, Workload::IoSleep, Workload::IoTcp],
        }
    }
}

impl Cli {
    /// Tasks of `workload`: `--tasks`, or the workload's default.
    pub fn tasks_for(&self, workload: Workload) -> u32 {
        self.tasks.unwrap_or_else(|| workload.default_tasks())
    }

    /// The models to run on `workload`. `--mode all` on `many` is the models that can hold
    /// thousands of waits: async, thread-per-task, a thread pool; sequential only when its
    /// waits, one after the other, stay within [`SEQUENTIAL_BUDGET_MS`].
    pub fn modes_for(&self, workload: Workload) -> Vec<Mode> {
        if workload != Workload::Many || self.mode != ModeArg::All {
            return self.mode.modes();
        }
        let n = u64::from(self.tasks_for(workload));
        let mut modes = Vec::new();
        if n * self.latency_ms <= SEQUENTIAL_BUDGET_MS {
            modes.push(Mode::Sequential);
        }
        modes.extend([Mode::ThreadPerTask, Mode::ThreadPool]);
        #[cfg(feature = "async")]
        modes.push(Mode::Async);
        modes
    }

    /// The workers of `mode` on `workload`: `--workers`, else the logical CPUs, except a
    /// thread pool on `many`, which gets a thread per wait so that every wait overlaps.
    pub fn workers_for(&self, mode: Mode, workload: Workload) -> usize {
        match self.workers {
            Some(workers) => workers as usize,
            None if mode == Mode::ThreadPool && workload == Workload::Many => {
                self.tasks_for(workload) as usize
            }
            None => logical_cpus() as usize,
        }
    }

    /// What clap cannot check alone: the limits that depend on the workload and the model.
    /// The message is a usage error (exit status 2).
    pub fn check(&self) -> Result<(), String> {
        for workload in self.workload.workloads() {
            let n = self.tasks_for(workload);
            if n > workload.max_tasks() {
                return Err(format!(
                    "--tasks {n}: {workload} takes at most {MAX_TASKS} tasks, since its \
                     per-task models start a thread or a process per task at once \
                     (--workload many takes up to {MAX_MANY_TASKS})"
                ));
            }
            let modes = self.modes_for(workload);
            if modes.contains(&Mode::ProcessPerTask) && n as usize > process_per_task::MAX_TASKS {
                return Err(format!(
                    "process-per-task starts a process per task: at most {} tasks, and {workload} \
                     has {n} (give --tasks {} or fewer)",
                    process_per_task::MAX_TASKS,
                    process_per_task::MAX_TASKS
                ));
            }
            for mode in [Mode::ProcessPool, Mode::Rayon] {
                let workers = self.workers_for(mode, workload);
                if modes.contains(&mode) && workers > MAX_TASKS as usize {
                    return Err(format!(
                        "--workers {workers}: {mode} takes at most {MAX_TASKS} workers"
                    ));
                }
            }
        }
        Ok(())
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
    #[cfg(feature = "async")]
    Async,
    #[cfg(feature = "async")]
    AsyncBlocking,
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
            #[cfg(feature = "async")]
            ModeArg::Async => vec![Mode::Async],
            #[cfg(feature = "async")]
            ModeArg::AsyncBlocking => vec![Mode::AsyncBlocking],
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
        assert_eq!(cli.workers, None);
        assert_eq!(
            cli.workers_for(Mode::ThreadPool, Workload::Cpu),
            logical_cpus() as usize
        );
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
        assert_eq!(
            (cli.workers, cli.tasks, cli.latency_ms),
            (Some(3), Some(5), 7)
        );
        assert!(cli.json);
    }

    #[test]
    fn many_picks_its_models_and_a_thread_per_wait_for_the_pool() {
        let cli = Cli::try_parse_from(["cpu-vs-io", "--workload", "many"]).unwrap();
        assert_eq!(cli.tasks_for(Workload::Many), 10_000);
        let mut expected = vec![Mode::ThreadPerTask, Mode::ThreadPool];
        if cfg!(feature = "async") {
            expected.extend(Mode::ALL.iter().filter(|mode| mode.name() == "async"));
        }
        assert_eq!(cli.modes_for(Workload::Many), expected);
        assert_eq!(cli.workers_for(Mode::ThreadPool, Workload::Many), 10_000);
        assert_eq!(
            cli.workers_for(Mode::ThreadPerTask, Workload::Many),
            logical_cpus() as usize
        );
        assert_eq!(cli.check(), Ok(()));

        // Few enough waits: sequential runs too (20 x 50 ms = 1 s).
        let small = ["cpu-vs-io", "--workload", "many", "--tasks", "20"];
        let cli = Cli::try_parse_from(small).unwrap();
        assert_eq!(cli.modes_for(Workload::Many)[0], Mode::Sequential);
        // An explicit --mode is obeyed.
        let cli = Cli::try_parse_from(["cpu-vs-io", "--workload", "many", "--mode", "rayon"]);
        assert_eq!(cli.unwrap().modes_for(Workload::Many), [Mode::Rayon]);
    }

    #[test]
    fn limits_that_depend_on_the_workload_are_usage_errors() {
        let check = |args: &[&str]| {
            let mut all = vec!["cpu-vs-io"];
            all.extend(args);
            Cli::try_parse_from(all).unwrap().check()
        };
        assert!(check(&["--workload", "many", "--tasks", "100000"]).is_ok());
        let err = check(&["--workload", "cpu", "--tasks", "5000"]).unwrap_err();
        assert!(err.contains("at most 4096 tasks"), "{err}");
        let err = check(&["--workload", "many", "--mode", "process-per-task"]).unwrap_err();
        assert!(
            err.contains("process-per-task starts a process per task"),
            "{err}"
        );
        assert!(check(&[
            "--workload",
            "many",
            "--mode",
            "process-per-task",
            "--tasks",
            "4096"
        ])
        .is_ok());
        let err = check(&[
            "--workload",
            "io",
            "--mode",
            "process-pool",
            "--workers",
            "5000",
        ]);
        assert!(err.unwrap_err().contains("at most 4096 workers"));
        assert!(check(&[
            "--workload",
            "many",
            "--mode",
            "thread-pool",
            "--workers",
            "20000"
        ])
        .is_ok());
    }
}
