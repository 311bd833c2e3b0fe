//! The coordinator: for each workload, build its tasks, run them under each selected model,
//! time each run with `Instant`, check that every model got the same results, and print the
//! table, the verdict and (with `--json`) one record per run.

use std::env;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

use crate::cli::{ChildCommand, Cli};
use crate::models::{Context, Mode};
use crate::report::{table_header, table_row, verdict, Record, Row};
use crate::task::{Output, Task, TaskResult};
use crate::workload::Workload;
use crate::{server, worker};

/// Runs what the command line asks. `Ok(false)` means the work ran but something failed (a
/// task, a model, or the models disagreed): exit status 1, with the reasons already printed.
pub fn run(cli: Cli) -> Result<bool> {
    match cli.child {
        Some(ChildCommand::Worker) => return worker::serve_stdin().map(|()| true),
        Some(ChildCommand::RunTask { task }) => return worker::run_one(&task).map(|()| true),
        None => {}
    }
    let out = Out { json: cli.json };
    let modes = cli.mode.modes();
    let workers = cli.workers as usize;
    if modes.contains(&Mode::Rayon) {
        // Rayon's global pool can be built once per process, so it is built here, before any
        // timing, with the one `--workers` of this run (see models/rayon.rs).
        rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|n| format!("rayon-{n}"))
            .build_global()
            .context("building rayon's global pool")?;
    }
    let ctx = Context {
        workers,
        exe: env::current_exe().context("finding this program, to start it as a worker")?,
    };
    let cpus = crate::cli::logical_cpus() as usize;
    let workloads = cli.workload.workloads();

    if cfg!(debug_assertions) && workloads.contains(&Workload::Cpu) {
        out.say(
            "note: this is a debug build: the CPU tasks run about twice as slow as in a release \
             build, which changes the CPU table; for numbers worth comparing: \
             cargo run --release -p cpu-vs-io",
        )?;
    }

    let mut all_ok = true;
    let mut server_addr: Option<SocketAddr> = None;
    for workload in workloads {
        let n = cli.tasks.unwrap_or_else(|| workload.default_tasks());
        if workload == Workload::IoTcp && server_addr.is_none() {
            // Started once, before any timing; it serves until the program exits.
            let addr = server::start(Duration::from_millis(cli.latency_ms))
                .context("starting the local latency server")?;
            server_addr = Some(addr);
        }
        let tasks = workload.tasks(n, cli.cpu_size, cli.latency_ms, server_addr);
        out.say(&format!(
            "\n{workload}: {}",
            workload.describe(n, cli.cpu_size, cli.latency_ms)
        ))?;
        all_ok &= run_workload(workload, &tasks, &modes, &ctx, cpus, &out)?;
    }
    if !all_ok {
        eprintln!("cpu-vs-io: some runs failed or disagreed; see the messages above");
    }
    Ok(all_ok)
}

/// Runs one workload under each model; `Ok(false)` if anything failed or disagreed.
fn run_workload(
    workload: Workload,
    tasks: &[Task],
    modes: &[Mode],
    ctx: &Context,
    cpus: usize,
    out: &Out,
) -> Result<bool> {
    out.say(&table_header())?;
    let mut rows = Vec::with_capacity(modes.len());
    // The first model whose tasks all succeeded; every later model must match it.
    let mut reference: Option<(Mode, Vec<Output>)> = None;
    let mut all_ok = true;

    for &mode in modes {
        let started = Instant::now();
        let outcome = mode.run(tasks, ctx);
        let wall_ms = started.elapsed().as_secs_f64() * 1000.0;

        let (errors, bytes) = match outcome {
            Err(err) => {
                eprintln!("cpu-vs-io: {workload} under {mode} failed: {err:#}");
                (tasks.len(), 0)
            }
            Ok(results) => {
                let (problems, bytes) = check(workload, mode, tasks, results, &mut reference);
                for problem in &problems {
                    eprintln!("cpu-vs-io: {problem}");
                }
                (problems.len(), bytes)
            }
        };
        let row = Row {
            mode,
            workers: mode.workers(ctx, tasks.len()),
            wall_ms,
            ok: errors == 0,
        };
        all_ok &= row.ok;
        let sequential_ms = rows
            .iter()
            .find(|row: &&Row| row.mode == Mode::Sequential && row.ok)
            .map(|row| row.wall_ms);
        out.say(&table_row(&row, sequential_ms))?;
        out.record(&Record {
            demo: "cpu-vs-io",
            workload: workload.name(),
            mode: mode.name(),
            workers: row.workers,
            items: tasks.len(),
            bytes,
            wall_ms,
            ok: row.ok,
            errors,
        })?;
        rows.push(row);
    }
    out.say(&verdict(workload, &rows, tasks.len(), cpus))?;
    Ok(all_ok)
}

/// Checks one model's results: each task answered under its own id, without error, and
/// exactly as the reference model answered. Returns a message per task that failed or
/// disagreed, and the bytes read. The first model whose tasks all pass becomes the reference.
fn check(
    workload: Workload,
    mode: Mode,
    tasks: &[Task],
    results: Vec<TaskResult>,
    reference: &mut Option<(Mode, Vec<Output>)>,
) -> (Vec<String>, u64) {
    if results.len() != tasks.len() {
        let problem = format!(
            "{workload} under {mode}: {} results for {} tasks",
            results.len(),
            tasks.len()
        );
        return (vec![problem; tasks.len()], 0);
    }
    let mut problems = Vec::new();
    let mut bytes = 0;
    let mut outputs = Vec::with_capacity(tasks.len());
    for (index, (task, result)) in tasks.iter().zip(results).enumerate() {
        let output = match result {
            Ok(output) => output,
            Err(err) => {
                problems.push(format!("{workload} under {mode}: {err}"));
                continue;
            }
        };
        bytes += output.bytes;
        if output.id != task.id() {
            problems.push(format!(
                "{workload} under {mode}: task {} came back as task {}",
                task.id(),
                output.id
            ));
        } else if let Some((other, expected)) = reference
            .as_ref()
            .map(|(other, outputs)| (other, outputs[index]))
            .filter(|(_, expected)| *expected != output)
        {
            problems.push(format!(
                "results differ: in {workload}, task {} gave {} under {mode} but {} under \
                 {other}",
                task.id(),
                show(&output),
                show(&expected)
            ));
        }
        outputs.push(output);
    }
    if problems.is_empty() && reference.is_none() {
        *reference = Some((mode, outputs));
    }
    (problems, bytes)
}

/// "value 4201" or "value 91842 (4096 bytes)".
fn show(output: &Output) -> String {
    match output.bytes {
        0 => format!("value {}", output.value),
        bytes => format!("value {} ({bytes} bytes)", output.value),
    }
}

/// Where the output goes: the table and verdicts on stdout normally, on stderr under `--json`,
/// so that stdout then carries nothing but records.
struct Out {
    json: bool,
}

impl Out {
    fn say(&self, text: &str) -> Result<()> {
        if self.json {
            writeln!(io::stderr(), "{text}").context("writing to stderr")
        } else {
            writeln!(io::stdout(), "{text}").context("writing to stdout")
        }
    }

    fn record(&self, record: &Record) -> Result<()> {
        if self.json {
            let line = serde_json::to_string(record)?;
            writeln!(io::stdout(), "{line}").context("writing to stdout")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::TaskError;

    fn output(id: u32, value: u64) -> Output {
        Output {
            id,
            value,
            bytes: 0,
        }
    }

    #[test]
    fn the_first_clean_model_becomes_the_reference_and_the_rest_must_match() {
        let tasks: Vec<Task> = (0..2).map(|id| Task::cpu(id, 10)).collect();
        let mut reference = None;

        // A model with a failed task cannot be the reference.
        let failed = vec![
            Ok(output(0, 5)),
            Err(TaskError {
                id: 1,
                message: "boom".into(),
            }),
        ];
        let (problems, _) = check(Workload::Cpu, Mode::Rayon, &tasks, failed, &mut reference);
        assert_eq!(problems, ["cpu under rayon: task 1: boom"]);
        assert!(reference.is_none());

        let good = vec![Ok(output(0, 5)), Ok(output(1, 6))];
        let (problems, _) = check(
            Workload::Cpu,
            Mode::Sequential,
            &tasks,
            good.clone(),
            &mut reference,
        );
        assert!(problems.is_empty());
        assert_eq!(
            reference,
            Some((Mode::Sequential, vec![output(0, 5), output(1, 6)]))
        );

        let (problems, _) = check(
            Workload::Cpu,
            Mode::ThreadPool,
            &tasks,
            good,
            &mut reference,
        );
        assert!(problems.is_empty());

        let wrong = vec![Ok(output(0, 5)), Ok(output(1, 7))];
        let (problems, _) = check(
            Workload::Cpu,
            Mode::ProcessPool,
            &tasks,
            wrong,
            &mut reference,
        );
        assert_eq!(
            problems,
            [
                "results differ: in cpu, task 1 gave value 7 under process-pool but value 6 under \
              sequential"
            ]
        );

        let swapped = vec![Ok(output(1, 6)), Ok(output(0, 5))];
        let (problems, _) = check(
            Workload::Cpu,
            Mode::ProcessPool,
            &tasks,
            swapped,
            &mut reference,
        );
        assert_eq!(problems.len(), 2);
        assert_eq!(
            problems[0],
            "cpu under process-pool: task 0 came back as task 1"
        );

        let short = vec![Ok(output(0, 5))];
        let (problems, _) = check(Workload::Cpu, Mode::Rayon, &tasks, short, &mut reference);
        assert_eq!(problems.len(), 2, "every task counts as failed");
    }
}
