//! One process of a timely run: set up communication, run the workers, watch for failure.
//!
//! timely reports a broken connection by panicking: the thread reading from a dead peer
//! panics ("timely communication error: reading data: socket closed"), which poisons the
//! queues it fed, so every worker of the process panics in turn ("MergeQueue poisoned"). Left
//! alone that is a screenful of panic messages, and joining timely's threads afterwards can
//! wait on sockets to peers that are themselves waiting. So a panic hook records the panics of
//! timely's threads (all named `timely:*`) quietly; the process waits for its workers on a
//! channel while watching that record; and on the first failure it reports the root cause and
//! leaves the threads to end with the process, which exits at once.
//!
//! The hook also *parks* the panicking timely thread for good instead of letting it unwind.
//! Unwinding runs timely's destructors, which touch the same poisoned queues and can panic
//! again; a panic while unwinding aborts the process (SIGABRT, no message), which is what a
//! peer leaving right after its hello used to do about one run in three. A parked thread holds
//! what it holds until the process exits, moments later, with the cause on stderr.

use std::any::Any;
use std::net::TcpListener;
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::allocator::{AllocatorBuilder, ProcessBuilder};
use timely::communication::Hooks;
use timely::{CommunicationConfig, WorkerConfig};

use super::connect;
use super::dataflow::{self, Gathered};
use super::peer::{PeerStream, Watch};
use crate::fault::FAULT_ENV;
use crate::modes::Job;
use crate::parse::Input;

/// The panic messages of timely's threads in this process, in order.
static TIMELY_PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Installs (once) a panic hook that records the panics of threads named `timely:*` instead of
/// printing them; every other thread's panic goes to the previous hook as before.
fn install_panic_hook() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current();
            let name = thread.name().unwrap_or("");
            if !name.starts_with("timely:") {
                return previous(info);
            }
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panicked".to_string());
            if let Ok(mut panics) = TIMELY_PANICS.lock() {
                panics.push(format!("{name}: {message}"));
            }
            // No unwinding (see the module comment): the thread stops here, the process
            // reports the failure and exits.
            loop {
                std::thread::park();
            }
        }));
    });
}

/// The first failure of a timely thread, worded for a person; `None` while all is well.
///
/// The root cause is the communication error of a send or receive thread (named after the
/// peer process: `timely:recv-2`); the workers' "MergeQueue poisoned" that follows adds
/// nothing, so it is reported only when there is nothing else.
fn timely_failure() -> Option<String> {
    let panics = TIMELY_PANICS.lock().ok()?;
    let root = panics
        .iter()
        .find(|p| p.contains("communication error"))
        .or_else(|| panics.first())?;
    let (thread, message) = root.split_once(": ").unwrap_or(("", root));
    let peer = thread
        .strip_prefix("timely:recv-")
        .or_else(|| thread.strip_prefix("timely:send-"));
    Some(match peer {
        Some(peer) => format!("lost the connection to process {peer} ({message})"),
        None => format!("{thread} failed: {message}"),
    })
}

/// Runs process `me` of the run whose processes listen on `addresses`; process 0 returns what
/// it gathered, the others `None`. `listener` is this process's listener when the caller bound
/// it already. Errors name the process: "timely process 2: lost the connection to ...".
pub(super) fn run_process(
    job: &Job,
    me: usize,
    addresses: &[String],
    listener: Option<TcpListener>,
) -> anyhow::Result<Option<Gathered>> {
    run_process_unnamed(job, me, addresses, listener)
        .with_context(|| format!("timely process {me}"))
}

fn run_process_unnamed(
    job: &Job,
    me: usize,
    addresses: &[String],
    listener: Option<TcpListener>,
) -> anyhow::Result<Option<Gathered>> {
    install_panic_hook();
    if let Ok(mut panics) = TIMELY_PANICS.lock() {
        panics.clear();
    }
    let processes = addresses.len();
    let input = Arc::new(Input::open(&job.path, job.parser)?);
    let watch = Watch::new(job.timely.peer_timeout(), (processes * job.workers) as u64);
    let (builders, comms) = communication(job, me, addresses, listener, input.len(), &watch)?;
    let connected_at = Instant::now();

    // Every process computes the same P x W ranges; worker k, counted across all processes,
    // takes range k.
    let ranges = input.split(processes * job.workers)?;
    let fault = Fault::from_env(me);
    let first_local_worker = me * job.workers;
    let skip_bad = job.skip_bad;
    let (done_tx, done_rx) = mpsc::channel();
    let done_tx = Mutex::new(done_tx);
    let local_workers = job.workers;
    let aggregated = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let guards =
        timely::execute::execute_from(builders, comms, WorkerConfig::default(), move |worker| {
            let done_tx = done_tx.lock().map(|tx| tx.clone());
            let gathered = dataflow::run_worker(worker, &input, &ranges, skip_bad, |index| {
                if index == first_local_worker {
                    fault.strike(me);
                }
                // The last local worker done with its range starts the peers' silence clock.
                let done = aggregated.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                if done == local_workers {
                    watch.arm();
                }
            });
            if let Ok(tx) = done_tx {
                // The receiver is gone only when this process has already failed.
                let _ = tx.send(gathered);
            }
        })
        .map_err(|e| anyhow!("starting timely workers: {e}"))?;

    // Wait for this process's workers on the channel, watching for a failure meanwhile: a
    // worker busy with its range does not look at the network, but a receive thread does and
    // records its panic at once.
    let mut finished = 0;
    let mut result: Option<Gathered> = None;
    while finished < job.workers {
        if let Some(failure) = timely_failure() {
            // Not joined: timely's threads may be blocked on sockets to peers that are waiting
            // on us. They end with the process, which is about to exit.
            std::mem::forget(guards);
            bail!("{failure}");
        }
        match done_rx.recv_timeout(Duration::from_millis(50)) {
            Ok(gathered) => {
                finished += 1;
                result = result.or(gathered);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                std::mem::forget(guards);
                bail!(
                    "{}",
                    timely_failure().unwrap_or_else(|| "a timely worker stopped".into())
                );
            }
        }
    }

    // Every worker is done: join them and the network threads, which send a last empty frame
    // so that each peer sees an orderly close, and wait for the peers' last frames. A peer
    // dying now makes a receive thread panic inside this join (timely's guard re-panics), so
    // the join runs on a thread of its own, named so that the hook records the panic.
    // The hook parks a thread that panics, so the join may never end: wait for it while
    // watching for a recorded failure, as above.
    let (joined_tx, joined_rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("timely:shutdown".into())
        .spawn(move || {
            let _ = joined_tx.send(guards.join().iter().all(Result::is_ok));
        })?;
    loop {
        if let Some(failure) = timely_failure() {
            bail!("at shutdown: {failure}");
        }
        match joined_rx.recv_timeout(Duration::from_millis(50)) {
            Ok(true) => break,
            Ok(false) | Err(mpsc::RecvTimeoutError::Disconnected) => bail!(
                "at shutdown: {}",
                timely_failure().unwrap_or_else(|| "a timely thread failed".into())
            ),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
    Ok(result.map(|mut gathered| {
        gathered.connected_at = (processes > 1).then_some(connected_at);
        gathered
    }))
}

/// The communication layer for `job.workers` workers: in-process channels when there is one
/// process, else TCP connections to every peer (made by `connect.rs`, within the deadline) with
/// timely's send and receive threads on them. The second value keeps those threads alive.
fn communication(
    job: &Job,
    me: usize,
    addresses: &[String],
    listener: Option<TcpListener>,
    file_len: u64,
    watch: &Arc<Watch>,
) -> anyhow::Result<(Vec<AllocatorBuilder>, Box<dyn Any + Send>)> {
    if addresses.len() == 1 {
        return CommunicationConfig::Process(job.workers)
            .try_build()
            .map_err(|e| anyhow!("starting timely: {e}"));
    }
    let hello = connect::Hello {
        index: me as u64,
        processes: addresses.len() as u64,
        workers: job.workers as u64,
        file_len,
    };
    let timeout = job.timely.connect_timeout();
    let sockets = connect::connect_peers(addresses, me, listener, hello, timeout)?
        .into_iter()
        .enumerate()
        .map(|(j, socket)| {
            socket
                .map(|s| {
                    let peer = format!("process {j} ({})", addresses[j]);
                    PeerStream::new(s, peer, Arc::clone(watch))
                })
                .transpose()
        })
        .collect::<std::io::Result<Vec<_>>>()
        .context("setting up the peer connections")?;
    let hooks = Hooks::default();
    // Typed channels between the workers of one process: records move without serializing.
    let local = ProcessBuilder::new_typed_vector(job.workers, hooks.refill.clone(), None);
    let (tcp, guard) = initialize_networking_from_sockets(local, sockets, me, job.workers, hooks)
        .context("starting timely's network threads")?;
    let builders = tcp.into_iter().map(AllocatorBuilder::Tcp).collect();
    Ok((builders, Box::new(guard)))
}

/// The fault switch, for the tests: `PROCESS_CRUNCH_FAULT=timely-exit:I` makes timely process
/// `I` exit with status 3 mid-run, `timely-kill:I` makes it kill itself with SIGKILL. Either
/// way it dies once its first worker has aggregated its range, connections open, while its
/// peers wait for its records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    None,
    Exit,
    Kill,
}

impl Fault {
    fn from_env(me: usize) -> Fault {
        let Ok(spec) = std::env::var(FAULT_ENV) else {
            return Fault::None;
        };
        for item in spec.split(',').map(str::trim) {
            let Some((kind, index)) = item.split_once(':') else {
                continue;
            };
            match (kind, index.parse::<usize>()) {
                ("timely-exit", Ok(i)) if i == me => return Fault::Exit,
                ("timely-kill", Ok(i)) if i == me => return Fault::Kill,
                _ => {}
            }
        }
        Fault::None
    }

    fn strike(self, me: usize) {
        if self == Fault::None {
            return;
        }
        eprintln!("process-crunch: fault injected: timely process {me} dies mid-run");
        #[cfg(unix)]
        if self == Fault::Kill {
            // SAFETY: raise has no preconditions; SIGKILL ends the process here.
            unsafe { libc::raise(libc::SIGKILL) };
        }
        std::process::exit(3);
    }
}
