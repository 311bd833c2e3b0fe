//! One machine, no set-up: process 0 starts processes 1..P as children of itself.
//!
//! Process 0 picks the addresses (127.0.0.1 ports that are free right now), starts each child
//! with the same command plus its index and the address list, runs its own share of the
//! dataflow on a thread, and meanwhile supervises: every child is polled, and the run ends
//! when process 0 has its result and every child has exited 0. On the first failure, its own
//! or a child's, it gives the others a moment to fail on their own (their messages on stderr
//! say what each saw), then kills whoever is left, reaps every child and reports each one
//! that failed by index and exit status or signal. Children die with process 0 if it is
//! killed (`PR_SET_PDEATHSIG`), and their stdout is closed so that only process 0 writes the
//! result.

use std::ffi::OsString;
use std::net::TcpListener;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::dataflow::Gathered;
use super::process::run_process;
use crate::modes::Job;
use crate::spawn::{describe_status, Supervised};

/// How long the others get to fail on their own after the first failure before being killed.
const GRACE: Duration = Duration::from_secs(2);

/// How often the supervisor looks at its children.
const POLL: Duration = Duration::from_millis(20);

/// How long the children may take to exit once process 0 has the result. They finish with
/// it, so only a bug makes one take longer; then it is killed rather than waited on forever.
const EXIT_LIMIT: Duration = Duration::from_secs(30);

/// Runs `processes` processes on this machine and returns what process 0 gathered.
///
/// `child_args` is the command line that makes a child run this same plan (`run FILE --mode
/// timely ...`); the launcher adds the hidden `--peer-index I` and `--peer-addresses`.
pub fn launch_local(job: &Job, processes: usize, child_args: &[OsString]) -> Result<Gathered> {
    if processes <= 1 {
        let gathered = run_process(job, 0, &["127.0.0.1:0".to_string()], None)?;
        return gathered.context("process 0 gathered nothing");
    }

    // Process 0 keeps its listener, bound before any child exists. The children's ports are
    // found by binding port 0 and released for the children to bind: another program could
    // take one in between, and that child then fails with "cannot listen on ...".
    let listener = TcpListener::bind("127.0.0.1:0").context("binding a port on 127.0.0.1")?;
    let mut addresses = vec![listener.local_addr()?.to_string()];
    {
        let probes = (1..processes)
            .map(|_| TcpListener::bind("127.0.0.1:0"))
            .collect::<std::io::Result<Vec<_>>>()
            .context("finding free ports on 127.0.0.1")?;
        for probe in &probes {
            addresses.push(probe.local_addr()?.to_string());
        }
        // All probes are held until here, so the ports are distinct; dropping frees them.
    }

    let exe = std::env::current_exe().context("finding this program's path to start its copies")?;
    // Supervised: a child dropped unreaped on any way out of here is killed and reaped.
    let mut children: Vec<Supervised> = Vec::with_capacity(processes - 1);
    for index in 1..processes {
        let mut command = Command::new(&exe);
        command
            .args(child_args)
            .arg("--peer-index")
            .arg(index.to_string())
            .arg("--peer-addresses")
            .arg(addresses.join(","))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        // No process of the run outlives process 0, even when it is killed and cannot clean
        // up: `Supervised::spawn` sets `PR_SET_PDEATHSIG`. The signal comes when the spawning
        // *thread* ends: this one, which supervises until every child is reaped.
        match Supervised::spawn(&mut command) {
            Ok(child) => children.push(child),
            Err(e) => {
                kill_and_reap(&mut children);
                return Err(e).context(format!("starting timely process {index}"));
            }
        }
    }

    // Process 0's own share runs on a thread, so that this thread can watch the children.
    let (own_tx, own_rx) = mpsc::channel();
    let own_job = job.clone();
    let own_addresses = addresses.clone();
    let spawned = std::thread::Builder::new()
        .name("timely-process-0".into())
        .spawn(move || {
            let _ = own_tx.send(run_process(&own_job, 0, &own_addresses, Some(listener)));
        });
    if let Err(e) = spawned {
        kill_and_reap(&mut children);
        return Err(e).context("starting process 0's thread");
    }

    supervise(&mut children, &own_rx)
}

/// Waits for process 0's result and every child; see the module comment for the failure path.
fn supervise(
    children: &mut [Supervised],
    own_rx: &mpsc::Receiver<Result<Option<Gathered>>>,
) -> Result<Gathered> {
    let mut own: Option<Result<Option<Gathered>>> = None;
    let mut own_at: Option<Instant> = None;
    let mut statuses: Vec<Option<ExitStatus>> = vec![None; children.len()];
    let mut failed_at: Option<Instant> = None;
    loop {
        if own.is_none() {
            match own_rx.recv_timeout(POLL) {
                Ok(result) => {
                    own = Some(result);
                    own_at = Some(Instant::now());
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    own = Some(Err(anyhow::anyhow!(
                        "process 0's thread ended without a result"
                    )));
                }
            }
        } else {
            std::thread::sleep(POLL);
        }
        for (child, status) in children.iter_mut().zip(statuses.iter_mut()) {
            if status.is_none() {
                *status = child.try_wait().context("waiting for a timely process")?;
            }
        }

        let child_failed = statuses.iter().flatten().any(|s| !s.success());
        let own_failed = matches!(own, Some(Err(_)));
        if failed_at.is_none() && (child_failed || own_failed) {
            failed_at = Some(Instant::now());
        }
        let children_done = statuses.iter().all(Option::is_some);
        match failed_at {
            None if children_done => {
                if let Some(result) = own.take() {
                    return result?.context("process 0 gathered nothing");
                }
            }
            None if own_at.is_some_and(|at| at.elapsed() > EXIT_LIMIT) => {
                kill_and_reap(children);
                let late: Vec<String> = (0..children.len())
                    .filter(|&i| statuses[i].is_none())
                    .map(|i| (i + 1).to_string())
                    .collect();
                bail!(
                    "timely process {} did not exit within {} s of the result; killed",
                    late.join(", "),
                    EXIT_LIMIT.as_secs()
                );
            }
            None => {}
            Some(at) if (children_done && own.is_some()) || at.elapsed() >= GRACE => {
                kill_and_reap(children);
                // Collect the statuses of the ones just killed.
                for (child, status) in children.iter_mut().zip(statuses.iter_mut()) {
                    if status.is_none() {
                        *status = child.wait().ok();
                    }
                }
                let mut reasons: Vec<String> = statuses
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| match s {
                        Some(s) if s.success() => None,
                        Some(s) => Some(format!("process {} {}", i + 1, describe_status(*s))),
                        None => Some(format!("process {} could not be waited for", i + 1)),
                    })
                    .collect();
                if let Some(Err(e)) = &own {
                    reasons.push(format!("{e:#}"));
                }
                bail!("the timely run failed: {}", reasons.join("; "));
            }
            Some(_) => {}
        }
    }
}

/// Kills every child still running and waits for every child, so none is left a zombie.
fn kill_and_reap(children: &mut [Supervised]) {
    for child in children.iter_mut() {
        if let Ok(None) = child.try_wait() {
            // Fails only if it exited meanwhile: the wait below reaps it either way.
            let _ = child.kill();
        }
    }
    for child in children.iter_mut() {
        let _ = child.wait();
    }
}
