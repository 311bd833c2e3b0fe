//! A pool of N long-lived worker processes fed tasks over pipes: the thread pool with
//! processes, and what Python's `multiprocessing.Pool` does. Sequentially this is
//! `tasks.iter().map(run_task).collect()`; here each worker is this program started as
//! `__worker`, which reads tasks from its stdin and answers on its stdout, one JSON line each
//! (see `worker.rs`). Process start-up is paid N times, not once per task.
//!
//! The coordinator (the calling thread) keeps one task in flight per worker and gives the next
//! task to whichever worker answers first, so a slow task never holds up the queue. One reader
//! thread per worker drains its stdout while it runs and forwards each answer over a channel,
//! which lets the coordinator wait on all workers at once, and means no worker can ever block
//! on a full pipe. Closing a worker's stdin is how it learns there is no more work.

use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::process::{ChildStdin, ChildStdout, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use crossbeam_channel::{unbounded, Sender};

use crate::spawn::{child_command, describe, excerpt, spawn, Supervised};
use crate::task::{Task, TaskResult};
use crate::worker::WORKER_SUBCOMMAND;

pub fn run(exe: &Path, tasks: &[Task], workers: usize) -> Result<Vec<TaskResult>> {
    let (event_tx, event_rx) = unbounded();
    let mut pool = Pool {
        workers: Vec::with_capacity(workers),
        tasks,
        results: vec![None; tasks.len()],
        next: 0,
        done: 0,
    };
    for n in 0..workers {
        // If one cannot start, the `?` drops `pool`: each `Supervised` worker already running
        // is killed and reaped, and its reader thread ends with its pipe.
        pool.workers.push(start_worker(exe, n, event_tx.clone())?);
    }
    // Only the reader threads hold senders now, so `event_rx` disconnects once every worker's
    // stdout has closed: the coordinator can never wait forever on a pool that is gone.
    drop(event_tx);

    // Every worker gets its first task (or, with more workers than tasks, its stdin closed);
    // then each answer frees its worker for the next task, until every task has answered.
    let mut outcome = (0..workers).try_for_each(|n| pool.feed(n));
    while outcome.is_ok() && pool.done < tasks.len() {
        outcome = match event_rx.recv() {
            Ok(event) => pool.on(event),
            Err(_) => Err(Failure::of_pool(
                "every worker's output closed with tasks outstanding",
            )),
        };
    }

    // A worker that died on its own is reaped before the others are killed: its stdout has
    // closed, so it is exiting, and its own exit status (not the SIGKILL that step 1 of
    // `shut_down` would send it) is what the error must report.
    if let Err(Failure {
        worker: Some(n),
        exited: true,
        ..
    }) = outcome
    {
        reap_exiting(&mut pool.workers[n].child);
    }
    // Shutdown: on failure the remaining workers are killed rather than waited for.
    let statuses = shut_down(&mut pool.workers, outcome.is_err());

    if let Err(failure) = outcome {
        return Err(failure.explain(&pool.workers, &statuses));
    }
    // Every task answered; a worker that then did not exit cleanly still fails the run.
    for (n, (worker, status)) in pool.workers.iter().zip(&statuses).enumerate() {
        let pid = worker.child.id();
        match status {
            Ok(status) if status.success() => {}
            Ok(status) => bail!("process-pool worker {n} (pid {pid}) {}", describe(*status)),
            Err(err) => bail!("waiting for process-pool worker {n} (pid {pid}): {err}"),
        }
    }
    pool.results
        .into_iter()
        .enumerate()
        .map(|(index, result)| {
            result.ok_or_else(|| anyhow!("task {index} never came back from the pool"))
        })
        .collect()
}

/// Closes every pipe, kills the workers if `kill`, reaps them all and joins their readers.
/// Returns each worker's exit status.
fn shut_down(workers: &mut [Worker], kill: bool) -> Vec<io::Result<ExitStatus>> {
    for worker in workers.iter_mut() {
        // Step 1: close every stdin still open; an idle worker reads end of input and exits.
        worker.stdin = None;
        // On failure we do not wait for tasks still running: kill. (Killing a worker that
        // has already exited does nothing; it is not reaped yet, so its pid is still ours.)
        if kill {
            let _ = worker.child.kill();
        }
    }
    // Step 2: wait for every worker. This reaps it, so no zombie is left behind.
    let statuses = workers
        .iter_mut()
        .map(|worker| worker.child.wait())
        .collect();
    // Step 3: join the readers. Each ends at end of file on its worker's stdout, which the
    // worker's exit guarantees, so none of these joins can hang.
    for worker in workers.iter_mut() {
        if let Some(reader) = worker.reader.take() {
            let _ = reader.join();
        }
    }
    statuses
}

// ---- End of the model. Below: the coordinator's state, starting a worker, its reader thread. ----

/// The coordinator's state: the workers, the tasks, and how far through them it is.
struct Pool<'a> {
    workers: Vec<Worker>,
    tasks: &'a [Task],
    /// One slot per task, filled as answers arrive in whatever order the workers finish.
    results: Vec<Option<TaskResult>>,
    /// The index of the next task to hand out.
    next: usize,
    /// Tasks answered so far.
    done: usize,
}

/// One worker process, as the coordinator sees it.
struct Worker {
    /// The process, killed and reaped if the pool is dropped early (see `Supervised`).
    child: Supervised,
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

impl Pool<'_> {
    /// Sends worker `n` the next task, or, when there is none left, closes its stdin.
    fn feed(&mut self, n: usize) -> Result<(), Failure> {
        let worker = &mut self.workers[n];
        let Some(task) = self.tasks.get(self.next) else {
            // No more work: dropping our end of the pipe is the worker's signal to finish.
            worker.stdin = None;
            return Ok(());
        };
        let Some(stdin) = worker.stdin.as_mut() else {
            return Err(Failure::of(n, "has no stdin to send tasks to".into()));
        };
        let mut line = serde_json::to_vec(task).map_err(|err| Failure::of(n, err.to_string()))?;
        line.push(b'\n');
        // One short line to a worker that is waiting for it: the write cannot block for long.
        stdin
            .write_all(&line)
            .and_then(|()| stdin.flush())
            .map_err(|err| {
                Failure::of(n, format!("could not be sent task {} ({err})", task.id()))
            })?;
        worker.busy = Some(self.next);
        self.next += 1;
        Ok(())
    }

    /// Handles one event from a reader thread.
    fn on(&mut self, event: Event) -> Result<(), Failure> {
        match event {
            Event::Answer(n, result) => match self.workers[n].busy.take() {
                Some(index) if result_id(&result) == self.tasks[index].id() => {
                    self.results[index] = Some(result);
                    self.done += 1;
                    // The worker is free: give it the next task, or close its stdin.
                    self.feed(n)
                }
                busy => {
                    let running = match busy {
                        Some(index) => format!("task {}", self.tasks[index].id()),
                        None => "nothing".into(),
                    };
                    let id = result_id(&result);
                    Err(Failure::of(
                        n,
                        format!("answered for task {id} while running {running}"),
                    ))
                }
            },
            Event::Garbled(n, what) => Err(Failure::of(n, what)),
            // A worker whose stdin we closed exits normally; one that was running a task died.
            Event::Closed(n) => match self.workers[n].busy {
                Some(index) => Err(Failure {
                    worker: Some(n),
                    what: format!("died while running task {}", self.tasks[index].id()),
                    exited: true,
                }),
                None => Ok(()),
            },
        }
    }
}

impl Failure {
    fn of(n: usize, what: String) -> Failure {
        Failure {
            worker: Some(n),
            what,
            exited: false,
        }
    }

    fn of_pool(what: &str) -> Failure {
        Failure {
            worker: None,
            what: what.into(),
            exited: false,
        }
    }

    /// The error, completed with how the failing worker ended once it has been reaped.
    fn explain(self, workers: &[Worker], statuses: &[io::Result<ExitStatus>]) -> anyhow::Error {
        let Some(n) = self.worker else {
            return anyhow!("process-pool: {}", self.what);
        };
        let how = match &statuses[n] {
            Ok(status) => describe(*status),
            Err(err) => format!("could not be waited for: {err}"),
        };
        anyhow!(
            "process-pool worker {n} (pid {}) {}; it {how}",
            workers[n].child.id(),
            self.what
        )
    }
}

/// Starts worker `n` and the thread that drains its stdout.
fn start_worker(exe: &Path, n: usize, events: Sender<Event>) -> Result<Worker> {
    let mut cmd = child_command(exe);
    cmd.arg(WORKER_SUBCOMMAND)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    // From here on an early return drops `child`, which kills and reaps it.
    let mut child = spawn(&mut cmd, &format!("process-pool worker {n}"))?;
    let stdin = child.stdin.take();
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow!("the stdout of worker {n} was not captured"))?;
    let reader = thread::Builder::new()
        .name(format!("pool-reader-{n}"))
        .spawn(move || read_answers(n, stdout, events))
        .with_context(|| format!("starting the reader of worker {n}"))?;
    Ok(Worker {
        child,
        stdin,
        busy: None,
        reader: Some(reader),
    })
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

/// Waits up to a second for a child that is exiting on its own. `Child` remembers the status,
/// so the later `kill` does nothing and the later `wait` returns it. A child that closed its
/// stdout but goes on running is left to `shut_down`, which kills it.
fn reap_exiting(child: &mut Supervised) {
    let deadline = Instant::now() + Duration::from_secs(1);
    while let Ok(None) = child.try_wait() {
        if Instant::now() >= deadline {
            return;
        }
        thread::sleep(Duration::from_millis(2));
    }
}

fn result_id(result: &TaskResult) -> u32 {
    match result {
        Ok(output) => output.id,
        Err(err) => err.id,
    }
}
