//! Every model runs in a fresh child process of this program, so that its peak memory is its
//! own: in one process the peak resident memory only ever grows, and 10,000 thread stacks
//! measured first would hide how little 10,000 async tasks need after them.
//!
//! The parent sends the child a [`Job`] (the workload, the model, the sizes) as one JSON
//! argument of the hidden `__model` subcommand. The child builds the tasks, times the model
//! with `Instant` around the model alone, and answers with the time and every result as one
//! JSON line on stdout; the parent checks the results against the other models'. After the
//! child exits, the parent reaps it with `wait4`, which returns the child's peak resident set
//! (see `spawn::wait_with_peak_rss`). Starting the child, building the tasks and sending the
//! results back are outside the time.

use std::env;
use std::io::{self, BufWriter, Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use anyhow::{anyhow, bail, Context as _, Result};
use serde::{Deserialize, Serialize};

use crate::models::{Context, Mode};
use crate::spawn::{child_command, describe, excerpt, spawn, wait_with_peak_rss};
use crate::task::TaskResult;
use crate::workload::Workload;

pub const MODEL_SUBCOMMAND: &str = "__model";

/// One model's run of one workload: everything the child needs to rebuild the same tasks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub workload: Workload,
    pub mode: Mode,
    /// Threads or processes of the pools and of the async runtime.
    pub workers: usize,
    pub tasks: u32,
    pub cpu_size: u64,
    pub latency_ms: u64,
    /// The latency server of `io-tcp`, which runs in the parent: its threads are not the
    /// model's memory.
    pub server: Option<SocketAddr>,
}

/// What the child answers.
#[derive(Debug, Serialize, Deserialize)]
struct Answer {
    wall_ms: f64,
    /// The results in task order, or why the model itself failed.
    outcome: Result<Vec<TaskResult>, String>,
    /// The async models: how late a 1 ms timer on the runtime fired at worst.
    #[serde(default)]
    timer_late_ms: Option<f64>,
}

/// What the parent learns from one child.
#[derive(Debug)]
pub struct Measured {
    pub wall_ms: f64,
    pub outcome: Result<Vec<TaskResult>>,
    /// The child's peak resident memory in KiB, where the OS reports it.
    pub peak_rss_kb: Option<u64>,
    /// The async models: how late a 1 ms timer on the runtime fired at worst (a blocked
    /// runtime fires it late).
    pub timer_late_ms: Option<f64>,
}

/// The parent side: runs `job` in a fresh child of `exe` and waits for it. The child is
/// `Supervised`: an early return (`?`) kills and reaps it; it dies with us (`PR_SET_PDEATHSIG`).
pub fn measure(exe: &Path, job: &Job) -> Result<Measured> {
    let mut cmd = child_command(exe);
    cmd.arg(MODEL_SUBCOMMAND)
        .arg(serde_json::to_string(job)?)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let what = format!("the process running {} under {}", job.workload, job.mode);
    let mut child = spawn(&mut cmd, &what)?;
    let pid = child.id();
    // Read the answer to its end while the child runs (it can be megabytes, more than a pipe
    // holds), then reap the child, whatever happened to the read.
    let mut answer = String::new();
    let read = match child.stdout.take() {
        Some(mut stdout) => stdout.read_to_string(&mut answer).map(drop),
        None => Err(io::Error::other("its stdout was not captured")),
    };
    let (status, peak_rss_kb) = wait_with_peak_rss(&mut child)
        .with_context(|| format!("waiting for {what} (pid {pid})"))?;
    if !status.success() {
        bail!("{what} (pid {pid}) {}", describe(status));
    }
    read.with_context(|| format!("reading the answer of {what} (pid {pid})"))?;
    let answer: Answer = serde_json::from_str(answer.trim()).map_err(|err| {
        anyhow!(
            "{what} (pid {pid}) gave an unreadable answer {:?}: {err}",
            excerpt(&answer)
        )
    })?;
    Ok(Measured {
        wall_ms: answer.wall_ms,
        outcome: answer.outcome.map_err(anyhow::Error::msg),
        peak_rss_kb,
        timer_late_ms: answer.timer_late_ms,
    })
}

/// The fixed memory of a run of `job`: the same child, program and task list, run
/// sequentially with no wait, so that nothing is in flight. A model's peak minus this, per
/// task, is the memory of one concurrent wait.
pub fn baseline(exe: &Path, job: &Job) -> Result<Option<u64>> {
    let idle = Job {
        mode: Mode::Sequential,
        latency_ms: 0,
        ..job.clone()
    };
    Ok(measure(exe, &idle)?.peak_rss_kb)
}

/// How late the async models' heartbeat fired (see `models/async_tasks.rs`).
#[cfg(feature = "async")]
fn timer_late_ms(mode: Mode) -> Option<f64> {
    matches!(mode, Mode::Async | Mode::AsyncBlocking)
        .then(crate::models::async_tasks::take_max_late_ms)
}

#[cfg(not(feature = "async"))]
fn timer_late_ms(_mode: Mode) -> Option<f64> {
    None
}

/// The child side, `__model JOB`: run the job, answer on stdout, exit 0. A model that fails is
/// an answer too; only a job that cannot be read is an error (exit 1).
pub fn serve(job_json: &str) -> Result<()> {
    let job: Job = serde_json::from_str(job_json)
        .with_context(|| format!("{MODEL_SUBCOMMAND}: not a job: {job_json:?}"))?;
    if job.workload == Workload::IoTcp && job.server.is_none() {
        bail!("{MODEL_SUBCOMMAND}: an io-tcp job needs the server's address");
    }
    let tasks = job
        .workload
        .tasks(job.tasks, job.cpu_size, job.latency_ms, job.server);
    if job.mode == Mode::Rayon {
        // Rayon's global pool can be built once per process, so it is built here, before the
        // timing, with this job's `workers` (see models/rayon.rs).
        rayon::ThreadPoolBuilder::new()
            .num_threads(job.workers)
            .thread_name(|n| format!("rayon-{n}"))
            .build_global()
            .context("building rayon's global pool")?;
    }
    let ctx = Context {
        workers: job.workers,
        exe: env::current_exe().context("finding this program, to start it as a worker")?,
    };
    let started = Instant::now();
    let outcome = job.mode.run(&tasks, &ctx);
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0;

    let answer = Answer {
        wall_ms,
        outcome: outcome.map_err(|err| format!("{err:#}")),
        timer_late_ms: timer_late_ms(job.mode),
    };
    let mut stdout = BufWriter::new(io::stdout().lock());
    serde_json::to_writer(&mut stdout, &answer).context("writing the answer to stdout")?;
    stdout.write_all(b"\n")?;
    stdout.flush().context("writing the answer to stdout")
}
