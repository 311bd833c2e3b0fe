//! A pool of N long-lived worker processes fed tasks over pipes: the thread pool with
//! processes, and what Python's `multiprocessing.Pool` does. Each worker is this program
//! started as `__worker`; it reads tasks from its stdin and answers on its stdout, one JSON
//! line each (see `worker.rs`). Process start-up is paid N times, not once per task.
//!
//! The coordinator (the calling thread) keeps one task in flight per worker and gives the next
//! task to whichever worker answers first, so a slow task never holds up the queue. One reader
//! thread per worker drains its stdout while it runs and forwards each answer over a channel,
//! which lets the coordinator wait on all workers at once, and means no worker can ever block
//! on a full pipe. Closing a worker's stdin is how it learns there is no more work.

use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use crossbeam_channel::{unbounded, Sender};

use crate::spawn::{child_command, describe, excerpt};
use crate::task::{Task, TaskResult};
use crate::worker::WORKER_SUBCOMMAND;

/// One worker process, as the coordinator sees it.
struct Worker {
    child: Child,
    /// Our end of the worker's stdin, `Some` while we may still send it tasks. Dropping it
    /// closes the pipe: the worker reads end of input and exits.
    stdin: Option<ChildStdin>,
    /// The index of the task the worker is running, so that an answer is matched to its task
    /// and a death is reported with the task it took down.
    busy: Option<usize>,
    /// Drains the worker's stdout; ends at end of file, i.e. when the worker has exited.
    reader: Option<JoinHandle<()>>,
}

/// What a reader thread tells the coordinator.
enum Event {
    /// Worker `.0` answered.
    Answer(usize, TaskResult),
    /// Worker `.0` wrote something that is not an answer.
    Garbled(usize, String),
    /// Worker `.0`'s stdout closed: it exited (or is about to).
    Closed(usize),
}

/// Why the run failed: which worker, and what went wrong, before its exit status is known.
struct Failure {
    worker: Option<usize>,
    what: String,
    /// The worker's stdout closed: it is exiting on its own, and its exit status is the cause.
    exited: bool,
}

impl Failure {
    /// The error, completed with how the failing worker ended once it has been reaped.
    fn explain(self, pool: &[Worker], statuses: &[io::Result<ExitStatus>]) -> anyhow::Error {
        let Some(n) = self.worker else {
            return anyhow!("process-pool: {}", self.what);
        };
        let how = match &statuses[n] {
            Ok(status) => describe(*status),
            Err(err) => format!("could not be waited for: {err}"),
        };
        anyhow!(
            "process-pool worker {n} (pid {}) {}; it {how}",
            pool[n].child.id(),
            self.what
        )
    }
}

pub fn run(exe: &Path, tasks: &[Task], workers: usize) -> Result<Vec<TaskResult>> {
    let (event_tx, event_rx) = unbounded();
    let mut pool: Vec<Worker> = Vec::with_capacity(workers);
    for n in 0..workers {
        match start_worker(exe, n, event_tx.clone()) {
            Ok(worker) => pool.push(worker),
            Err(err) => {
                // The workers already started must not outlive this failure.
                shut_down(&mut pool, true);
                return Err(err);
            }
        }
    }
    // Only the reader threads hold senders now, so `event_rx` disconnects once every worker's
    // stdout has closed: the coordinator can never wait forever on a pool that is gone.
    drop(event_tx);

    let mut results: Vec<Option<TaskResult>> = vec![None; tasks.len()];
    let mut next = 0;
    let mut done = 0;
    let mut failure: Option<Failure> = None;

    // Every worker gets its first task (or, with more workers than tasks, its stdin closed).
    for (n, worker) in pool.iter_mut().enumerate() {
        if let Err(what) = feed(worker, tasks, &mut next) {
            failure = Some(Failure {
                worker: Some(n),
                what,
                exited: false,
            });
            break;
        }
    }
    while failure.is_none() && done < tasks.len() {
        match event_rx.recv() {
            Ok(Event::Answer(n, result)) => match pool[n].busy.take() {
                Some(index) if result_id(&result) == tasks[index].id() => {
                    results[index] = Some(result);
                    done += 1;
                    // The worker is free: give it the next task, or close its stdin.
                    if let Err(what) = feed(&mut pool[n], tasks, &mut next) {
                        failure = Some(Failure {
                            worker: Some(n),
                            what,
                            exited: false,
                        });
                    }
                }
                busy => {
                    let running = match busy {
                        Some(index) => format!("task {}", tasks[index].id()),
                        None => "nothing".into(),
                    };
                    failure = Some(Failure {
                        worker: Some(n),
                        what: format!(
                            "answered for task {} while running {running}",
                            result_id(&result)
                        ),
                        exited: false,
                    })
                }
            },
            Ok(Event::Garbled(n, what)) => {
                failure = Some(Failure {
                    worker: Some(n),
                    what,
                    exited: false,
                })
            }
            // A worker whose stdin we closed exits normally; one that was running a task died.
            Ok(Event::Closed(n)) => {
                if let Some(index) = pool[n].busy {
                    failure = Some(Failure {
                        worker: Some(n),
                        what: format!("died while running task {}", tasks[index].id()),
                        exited: true,
                    });
                }
            }
            Err(_) => {
                failure = Some(Failure {
                    worker: None,
                    what: "every worker's output closed with tasks outstanding".into(),
                    exited: false,
                })
            }
        }
    }

    // A worker that died on its own is reaped before the others are killed: its stdout has
    // closed, so it is exiting, and its own exit status (not the SIGKILL that step 1 of
    // `shut_down` would send it) is what the error must report.
    if let Some(Failure {
        worker: Some(n),
        exited: true,
        ..
    }) = failure
    {
        reap_exiting(&mut pool[n].child);
    }
    // Shutdown: on failure the remaining workers are killed rather than waited for.
    let statuses = shut_down(&mut pool, failure.is_some());

    if let Some(failure) = failure {
        return Err(failure.explain(&pool, &statuses));
    }
    // Every task answered; a worker that then did not exit cleanly still fails the run.
    for (n, (worker, status)) in pool.iter().zip(&statuses).enumerate() {
        let pid = worker.child.id();
        match status {
            Ok(status) if status.success() => {}
            Ok(status) => bail!("process-pool worker {n} (pid {pid}) {}", describe(*status)),
            Err(err) => bail!("waiting for process-pool worker {n} (pid {pid}): {err}"),
        }
    }
    results
        .into_iter()
        .enumerate()
        .map(|(index, result)| {
            result.ok_or_else(|| anyhow!("task {index} never came back from the pool"))
        })
        .collect()
}

/// Starts worker `n` and the thread that drains its stdout.
fn start_worker(exe: &Path, n: usize, events: Sender<Event>) -> Result<Worker> {
    let mut child = child_command(exe)
        .arg(WORKER_SUBCOMMAND)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting process-pool worker {n} ({})", exe.display()))?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let reader = stdout.map(|stdout| {
        thread::Builder::new()
            .name(format!("pool-reader-{n}"))
            .spawn(move || read_answers(n, stdout, events))
    });
    match reader {
        Some(Ok(reader)) => Ok(Worker {
            child,
            stdin,
            busy: None,
            reader: Some(reader),
        }),
        failed => {
            let _ = child.kill();
            let _ = child.wait();
            match failed {
                Some(Err(err)) => Err(err).context(format!("starting the reader of worker {n}")),
                _ => Err(anyhow!("the stdout of worker {n} was not captured")),
            }
        }
    }
}

/// A reader thread: forward each line of the worker's stdout as an event, then `Closed`.
fn read_answers(n: usize, stdout: ChildStdout, events: Sender<Event>) {
    for line in BufReader::new(stdout).lines() {
        let event = match line {
            Ok(line) => match serde_json::from_str(&line) {
                Ok(result) => Event::Answer(n, result),
                Err(err) => Event::Garbled(
                    n,
                    format!("wrote {:?}, not an answer ({err})", excerpt(&line)),
                ),
            },
            Err(err) => Event::Garbled(n, format!("could not be read from: {err}")),
        };
        // A send fails only once the coordinator has returned; nobody is listening then.
        if events.send(event).is_err() {
            return;
        }
    }
    let _ = events.send(Event::Closed(n));
}

/// Sends the worker the next task, or, when there is none left, closes its stdin.
fn feed(worker: &mut Worker, tasks: &[Task], next: &mut usize) -> Result<(), String> {
    let Some(task) = tasks.get(*next) else {
        // No more work: dropping our end of the pipe is the worker's signal to finish.
        worker.stdin = None;
        return Ok(());
    };
    let Some(stdin) = worker.stdin.as_mut() else {
        return Err("has no stdin to send tasks to".into());
    };
    let mut line = serde_json::to_vec(task).map_err(|err| err.to_string())?;
    line.push(b'\n');
    // One short line to a worker that is waiting for it: the write cannot block for long.
    stdin
        .write_all(&line)
        .and_then(|()| stdin.flush())
        .map_err(|err| format!("could not be sent task {} ({err})", task.id()))?;
    worker.busy = Some(*next);
    *next += 1;
    Ok(())
}

/// Waits up to a second for a child that is exiting on its own. `Child` remembers the status,
/// so the later `kill` does nothing and the later `wait` returns it. A child that closed its
/// stdout but goes on running is left to `shut_down`, which kills it.
fn reap_exiting(child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(1);
    while let Ok(None) = child.try_wait() {
        if Instant::now() >= deadline {
            return;
        }
        thread::sleep(Duration::from_millis(2));
    }
}

/// Closes every pipe, kills the workers if `kill`, reaps them all and joins their readers.
/// Returns each worker's exit status.
fn shut_down(pool: &mut [Worker], kill: bool) -> Vec<io::Result<ExitStatus>> {
    for worker in pool.iter_mut() {
        // Step 1: close every stdin still open; an idle worker reads end of input and exits.
        worker.stdin = None;
        // On failure we do not wait for tasks still running: kill. (Killing a worker that
        // has already exited does nothing; it is not reaped yet, so its pid is still ours.)
        if kill {
            let _ = worker.child.kill();
        }
    }
    // Step 2: wait for every worker. This reaps it, so no zombie is left behind.
    let statuses = pool.iter_mut().map(|worker| worker.child.wait()).collect();
    // Step 3: join the readers. Each ends at end of file on its worker's stdout, which the
    // worker's exit guarantees, so none of these joins can hang.
    for worker in pool.iter_mut() {
        if let Some(reader) = worker.reader.take() {
            let _ = reader.join();
        }
    }
    statuses
}

fn result_id(result: &TaskResult) -> u32 {
    match result {
        Ok(output) => output.id,
        Err(err) => err.id,
    }
}
