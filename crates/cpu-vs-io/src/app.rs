//! The coordinator: for each workload, build its tasks, run them under each selected model,
//! each in a fresh child process that times it (`measure.rs`), check that every model got the
//! same results, and print the table, the verdict and (with `--json`) one record per run.

use std::env;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, Result};

use crate::cli::{ChildCommand, Cli};
use crate::measure::{self, Job};
use crate::models::Mode;
use crate::report::{table_header, table_row, Out, Record, Row};
use crate::task::{Output, Task, TaskResult};
use crate::verdict::{verdict, Facts};
use crate::workload::Workload;
use crate::{server, worker};

/// Runs what the command line asks. `Ok(false)` means the work ran but something failed (a
/// task, a model, or the models disagreed): exit status 1, with the reasons already printed.
pub fn run(cli: Cli) -> Result<bool> {
    match &cli.child {
        Some(ChildCommand::Worker) => return worker::serve_stdin().map(|()| true),
        Some(ChildCommand::RunTask { task }) => return worker::run_one(task).map(|()| true),
        Some(ChildCommand::Model { job }) => return measure::serve(job).map(|()| true),
        None => {}
    }
    let out = Out { json: cli.json };
    let exe = env::current_exe().context("finding this program, to start it as a child")?;
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
        let n = cli.tasks_for(workload);
        if workload == Workload::IoTcp && server_addr.is_none() {
            // Started once, in this process, before any timing; it serves until the program
            // exits. Its threads are not counted in any model's memory.
            let addr = server::start(Duration::from_millis(cli.latency_ms))
                .context("starting the local latency server")?;
            server_addr = Some(addr);
        }
        out.say(&format!(
            "\n{workload}: {}",
            workload.describe(n, cli.cpu_size, cli.latency_ms)
        ))?;
        let job = |mode: Mode| Job {
            workload,
            mode,
            workers: cli.workers_for(mode, workload),
            tasks: n,
            cpu_size: cli.cpu_size,
            latency_ms: cli.latency_ms,
            server: server_addr,
        };
        let jobs: Vec<Job> = cli.modes_for(workload).into_iter().map(job).collect();
        all_ok &= run_workload(&exe, &jobs, &out)?;
    }
    if !all_ok {
        eprintln!("cpu-vs-io: some runs failed or disagreed; see the messages above");
    }
    Ok(all_ok)
}

/// Runs one workload under each model; `Ok(false)` if anything failed or disagreed.
fn run_workload(exe: &Path, jobs: &[Job], out: &Out) -> Result<bool> {
    let Some(first) = jobs.first() else {
        return Ok(true);
    };
    let workload = first.workload;
    // The parent's own copy of the tasks, to check the children's answers against.
    let tasks = workload.tasks(first.tasks, first.cpu_size, first.latency_ms, first.server);
    // `many` measures memory per wait: the peak of a run with nothing in flight comes first.
    let baseline_rss_kb = match workload {
        Workload::Many => measure::baseline(exe, first)
            .context("measuring the memory of a run with nothing in flight")?,
        _ => None,
    };
    out.say(&table_header())?;
    let mut rows = Vec::with_capacity(jobs.len());
    // The first model whose tasks all succeeded; every later model must match it.
    let mut reference: Option<(Mode, Vec<Output>)> = None;
    let mut all_ok = true;

    for job in jobs {
        let mode = job.mode;
        let measured = measure::measure(exe, job);
        let (wall_ms, peak_rss_kb, timer_late_ms, outcome) = match measured {
            Ok(m) => (m.wall_ms, m.peak_rss_kb, m.timer_late_ms, m.outcome),
            Err(err) => (0.0, None, None, Err(err)),
        };
        let (errors, bytes) = match outcome {
            Err(err) => {
                eprintln!("cpu-vs-io: {workload} under {mode} failed: {err:#}");
                (tasks.len(), 0)
            }
            Ok(results) => {
                let (problems, bytes) = check(workload, mode, &tasks, results, &mut reference);
                for problem in &problems {
                    eprintln!("cpu-vs-io: {problem}");
                }
                (problems.len(), bytes)
            }
        };
        let row = Row {
            mode,
            workers: workers_of(job),
            wall_ms,
            peak_rss_kb,
            timer_late_ms,
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
            peak_rss_kb,
            baseline_rss_kb,
            latency_ms: workload.is_io().then_some(job.latency_ms),
            timer_late_ms,
        })?;
        rows.push(row);
    }
    let facts = Facts {
        tasks: tasks.len(),
        cpus: crate::cli::logical_cpus() as usize,
        latency_ms: if workload.is_io() {
            first.latency_ms
        } else {
            0
        },
        baseline_rss_kb,
    };
    out.say(&verdict(workload, &rows, &facts))?;
    Ok(all_ok)
}

/// Threads or processes the job's model uses: 1 for sequential, one per task for the per-task
/// models, the job's workers for the pools and the runtime.
fn workers_of(job: &Job) -> usize {
    match job.mode {
        Mode::Sequential => 1,
        Mode::ThreadPerTask | Mode::ProcessPerTask => job.tasks as usize,
        _ => job.workers,
    }
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
