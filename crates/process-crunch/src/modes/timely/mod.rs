//! The timely mode: P processes of W worker threads each, wired together by timely-dataflow.
//!
//! Where the processes mode builds its own plumbing (spawn, pipes, frames, merge), this mode
//! hands it to a dataflow engine: timely gives each of the P x W workers an index, moves records
//! between workers over channels (same process) or TCP (other processes, other hosts), and
//! tells each operator when its input is complete. The work is the crate's own: the same
//! ranges, the same parsers, the same merge and the same output line.
//!
//! - `launch.rs`: one machine, no set-up: process 0 starts processes 1..P as its children.
//! - `connect.rs`: one TCP connection per pair of processes, within a deadline.
//! - `dataflow.rs`: what each worker computes and exchanges.
//! - `process.rs`: one process of a run, and how a failure anywhere becomes an error there.
//! - here: the flags, and the two ways in: the process that prints the result, and the others.

mod connect;
mod dataflow;
mod launch;
mod peer;
mod process;

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::builder::RangedU64ValueParser;
use serde_json::json;

use super::{merge_all, Job, Mode, ModeError, Outcome};
use crate::parse::{AggregateError, Input};

use dataflow::RangeFailure;
use process::run_process;

/// The timely mode's flags (`run --mode timely`).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct TimelyArgs {
    /// Timely mode: processes to run on this machine, each with --workers threads
    /// [default: 1]
    #[arg(
        long,
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=64),
        conflicts_with_all = ["hostfile", "peer_addresses"]
    )]
    pub processes: Option<usize>,
    /// Timely mode across machines: a file of `host:port` lines, one per process in process
    /// order. Run the same command, with its own --process-index, on every host.
    #[arg(long, value_name = "FILE", requires = "process_index")]
    pub hostfile: Option<PathBuf>,
    /// Timely mode with --hostfile: this process's line in the hostfile, counting from 0.
    /// Process 0 prints the result.
    #[arg(long, value_name = "I", requires = "hostfile")]
    pub process_index: Option<usize>,
    /// Timely mode: seconds a process waits for all its peers to connect [default: 10]
    #[arg(long, value_name = "SECS", value_parser = RangedU64ValueParser::<u64>::new().range(1..=86_400))]
    pub connect_timeout: Option<u64>,
    /// Timely mode: seconds a process, once done with its own ranges, waits on a peer that
    /// sends and accepts nothing before giving up on it [default: 30]
    #[arg(long, value_name = "SECS", value_parser = RangedU64ValueParser::<u64>::new().range(1..=86_400))]
    pub peer_timeout_s: Option<u64>,
    /// Internal: a child of the launcher's process index.
    #[arg(long, hide = true, requires = "peer_addresses", conflicts_with_all = ["hostfile", "process_index"])]
    pub peer_index: Option<usize>,
    /// Internal: the addresses of all processes, given to the children of the launcher.
    #[arg(long, hide = true, value_delimiter = ',', requires = "peer_index")]
    pub peer_addresses: Option<Vec<String>>,
}

impl TimelyArgs {
    fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout.unwrap_or(10))
    }

    fn peer_timeout(&self) -> Duration {
        Duration::from_secs(self.peer_timeout_s.unwrap_or(30))
    }

    /// This process's index: 0 for the launcher.
    fn index(&self) -> usize {
        self.process_index.or(self.peer_index).unwrap_or(0)
    }

    /// Whether this process prints the result: the launcher, and process 0 of a hostfile run.
    pub fn prints_result(&self) -> bool {
        self.index() == 0
    }
}

/// A timely flag given with another mode, which would silently ignore it: the message of the
/// usage error the command line reports (exit 2), or `None` when all is well.
pub fn usage_error(mode: Mode, args: &TimelyArgs) -> Option<String> {
    let given = [
        ("--processes", args.processes.is_some()),
        ("--hostfile", args.hostfile.is_some()),
        ("--process-index", args.process_index.is_some()),
        ("--connect-timeout", args.connect_timeout.is_some()),
        ("--peer-timeout-s", args.peer_timeout_s.is_some()),
    ];
    if mode == Mode::Timely {
        return None;
    }
    let (flag, _) = given.iter().find(|(_, given)| *given)?;
    Some(format!(
        "{flag} is a flag of --mode timely, not of --mode {mode}"
    ))
}

/// `run --mode timely` in the process that prints the result: the launcher (which starts
/// processes 1..P itself), or process 0 of a hostfile run.
pub fn run(job: &Job) -> Result<Outcome, ModeError> {
    let started = Instant::now();
    // A missing or unreadable file is the error every mode gives, before any process starts.
    drop(Input::open(&job.path, job.parser)?);
    let args = &job.timely;
    let (gathered, processes) = match cluster_addresses(args).map_err(worker_error)? {
        Some(addresses) => {
            let gathered = run_process(job, 0, &addresses, None).map_err(worker_error)?;
            (gathered, addresses.len())
        }
        None => {
            let processes = args.processes.unwrap_or(1);
            let gathered =
                launch::launch_local(job, processes, &child_args(job)).map_err(worker_error)?;
            (Some(gathered), processes)
        }
    };
    let gathered =
        gathered.ok_or_else(|| ModeError::Worker("process 0 gathered no result".into()))?;
    let partial = merge_all(
        std::iter::once(Ok(gathered.partial)).chain(
            gathered
                .failures
                .into_iter()
                .map(|f| Err(failure_error(&job.path, f))),
        ),
    )?;
    let mut outcome = Outcome::new(partial, processes * job.workers);
    outcome.extra.insert("processes".into(), json!(processes));
    if let Some(connected_at) = gathered.connected_at {
        // Start-up: starting the children (launcher) and connecting every pair of processes.
        let connect = connected_at.saturating_duration_since(started);
        outcome
            .extra
            .insert("connect_ms".into(), json!(connect.as_secs_f64() * 1e3));
    }
    Ok(outcome)
}

/// `run --mode timely --process-index I` for I > 0: a child of the launcher, or a process of a
/// hostfile run. It does its share and prints nothing on stdout: process 0 prints the result.
pub fn run_peer(job: &Job) -> anyhow::Result<()> {
    let args = &job.timely;
    let me = args.index();
    let addresses = cluster_addresses(args)?.context("--process-index needs --hostfile")?;
    run_process(job, me, &addresses, None)?;
    if args.hostfile.is_some() {
        eprintln!(
            "timely process {me} of {}: done; process 0 prints the result",
            addresses.len()
        );
    }
    Ok(())
}

/// The addresses of a hostfile or launcher run, checked against --process-index; `None` for
/// a launcher (which picks them).
fn cluster_addresses(args: &TimelyArgs) -> anyhow::Result<Option<Vec<String>>> {
    let addresses = match (&args.hostfile, &args.peer_addresses) {
        (Some(path), _) => read_hostfile(path)?,
        (None, Some(addresses)) => addresses.clone(),
        (None, None) => return Ok(None),
    };
    let me = args.index();
    if me >= addresses.len() {
        bail!(
            "--process-index {me} is out of range: there are {} processes (0 to {})",
            addresses.len(),
            addresses.len() - 1
        );
    }
    Ok(Some(addresses))
}

/// One `host:port` per line; blank lines and `#` comments are skipped.
fn read_hostfile(path: &Path) -> anyhow::Result<Vec<String>> {
    // Opened without blocking and checked to be a regular file: a FIFO would wait for a writer.
    let text = crate::file::open_regular(path)
        .and_then(|(mut file, _)| {
            let mut text = String::new();
            io::Read::read_to_string(&mut file, &mut text).map(|_| text)
        })
        .with_context(|| format!("cannot read the hostfile {}", path.display()))?;
    let addresses: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect();
    if addresses.is_empty() {
        bail!("the hostfile {} lists no `host:port` lines", path.display());
    }
    if let Some(bad) = addresses.iter().find(|a| {
        a.rsplit_once(':')
            .is_none_or(|(_, port)| port.parse::<u16>().is_err())
    }) {
        bail!(
            "the hostfile {} has `{bad}`, not `host:port`",
            path.display()
        );
    }
    Ok(addresses)
}

/// The command line that makes a child of the launcher run the same job.
fn child_args(job: &Job) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["run".into(), job.path.clone().into()];
    for (flag, value) in [
        ("--mode", "timely".to_string()),
        ("--workers", job.workers.to_string()),
        ("--parser", job.parser.name().to_string()),
        (
            "--connect-timeout",
            job.timely.connect_timeout().as_secs().to_string(),
        ),
        (
            "--peer-timeout-s",
            job.timely.peer_timeout().as_secs().to_string(),
        ),
    ] {
        args.push(flag.into());
        args.push(value.into());
    }
    if job.skip_bad {
        args.push("--skip-bad".into());
    }
    args
}

fn worker_error(error: anyhow::Error) -> ModeError {
    ModeError::Worker(format!("{error:#}"))
}

/// A failed range as the error the other modes would give for it.
fn failure_error(path: &Path, failure: RangeFailure) -> ModeError {
    match failure {
        RangeFailure::Line(line) => ModeError::Aggregate(AggregateError::Line(line)),
        RangeFailure::Io(message) => {
            ModeError::Aggregate(AggregateError::io(path, io::Error::other(message)))
        }
        RangeFailure::Changed(detail) => {
            ModeError::Aggregate(AggregateError::changed(path, detail))
        }
    }
}
