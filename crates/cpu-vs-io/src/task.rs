//! The work itself: one [`Task`] type and one [`run_task`] function that every model calls.
//!
//! The three kinds of task sit at the two ends of the CPU / I/O spectrum:
//! - [`Task::Cpu`] counts the primes in a window of numbers by trial division: pure arithmetic
//!   with next to no memory traffic, so it speeds up with cores and with nothing else.
//! - [`Task::Sleep`] blocks its thread for L ms: the purest form of waiting.
//! - [`Task::Tcp`] connects to the local latency server (`server.rs`), sends its id and blocks
//!   in `read` until the answer arrives L ms later: real I/O, with bytes that are checked.
//!
//! A model never looks inside a task; it only decides where `run_task` runs (this thread, a new
//! thread, a pool thread, a child process). The async model has an awaiting twin for the two
//! waits (`models/async_tasks.rs`), built from the same pieces here ([`answered`],
//! [`tcp_failed`]) so that it gives the same answers. Tasks and results are serde types
//! because the process models send them through pipes.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Numbers per CPU task. Calibrated once, by hand, so that one task takes about 50 ms on a
/// typical core in a release build: 50 ms of CPU time per task on the AMD EPYC development VM,
/// about 65 ms on an idle 16-core Xeon server. It is a constant, not measured per run, so that
/// the same task always does the same work and gives the same answer. A debug build takes
/// about twice as long (unoptimised arithmetic with overflow checks).
pub const CPU_TASK_SIZE: u64 = 50_000;

/// Where the windows of the CPU tasks start. Numbers near 10^9 make trial division do real
/// work (up to about 31 600 / 3 divisions per prime) while task `k`'s window,
/// `[START + k * size, START + (k + 1) * size)`, costs about the same for every `k` we use.
pub const CPU_WINDOW_START: u64 = 1_000_000_000;

/// How long a TCP task waits for the server's answer before it gives up with an error, so
/// that a wedged server makes a task fail rather than the whole run hang.
pub const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// One unit of work, identical whichever model runs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Task {
    /// Count the primes in `[start, start + len)`.
    Cpu { id: u32, start: u64, len: u64 },
    /// Sleep `ms` milliseconds.
    Sleep { id: u32, ms: u64 },
    /// Ask the latency server at `addr` for the payload of task `id`. The server, not the task,
    /// holds the latency, so a child process needs nothing but the address.
    Tcp { id: u32, addr: SocketAddr },
    /// Panics. Exists only in unit tests, which check that every threaded model turns a
    /// panicking task into an error rather than a crash or a hang.
    #[cfg(test)]
    Panic { id: u32 },
}

impl Task {
    /// CPU task `id`: a window of `size` numbers of its own (see [`CPU_WINDOW_START`]).
    pub fn cpu(id: u32, size: u64) -> Task {
        Task::Cpu {
            id,
            start: CPU_WINDOW_START + u64::from(id) * size,
            len: size,
        }
    }

    pub fn id(&self) -> u32 {
        match *self {
            Task::Cpu { id, .. } | Task::Sleep { id, .. } | Task::Tcp { id, .. } => id,
            #[cfg(test)]
            Task::Panic { id } => id,
        }
    }
}

/// What a task produced. Deterministic, so that the results of two models can be compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    /// The task's id, so a result that comes back over a pipe can be matched to its task.
    pub id: u32,
    /// The answer: the prime count, the milliseconds slept, or the payload's checksum.
    pub value: u64,
    /// Bytes read from the network (TCP tasks), else 0. Summed into the record's `bytes`.
    pub bytes: u64,
}

/// A task that failed, as a value: it crosses a channel or a pipe like a result does, and the
/// coordinator decides what to do with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("task {id}: {message}")]
pub struct TaskError {
    pub id: u32,
    pub message: String,
}

/// The result of one task: what each model hands back, one per task, in task order.
pub type TaskResult = Result<Output, TaskError>;

/// Runs one task on the calling thread. Every model calls this (async: for the CPU work).
pub fn run_task(task: &Task) -> TaskResult {
    match *task {
        Task::Cpu { id, start, len } => Ok(Output {
            id,
            value: count_primes(start, start.saturating_add(len)),
            bytes: 0,
        }),
        Task::Sleep { id, ms } => {
            thread::sleep(Duration::from_millis(ms));
            Ok(Output {
                id,
                value: ms,
                bytes: 0,
            })
        }
        Task::Tcp { id, addr } => fetch(id, addr).map_err(|err| tcp_failed(id, addr, &err)),
        #[cfg(test)]
        Task::Panic { id } => panic!("task {id} panics on purpose"),
    }
}

/// The number of primes `n` with `start <= n < end`.
pub fn count_primes(start: u64, end: u64) -> u64 {
    (start..end).filter(|&n| is_prime(n)).count() as u64
}

/// Trial division by 2, 3 and then the numbers of the form 6k ± 1 up to the square root.
/// Slow on purpose: the point is a fixed amount of arithmetic, not a fast prime test.
pub fn is_prime(n: u64) -> bool {
    if n < 4 {
        return n >= 2;
    }
    if n.is_multiple_of(2) || n.is_multiple_of(3) {
        return false;
    }
    let mut d = 5;
    // `d <= n / d` rather than `d * d <= n`, which could overflow for n near u64::MAX.
    while d <= n / d {
        if n.is_multiple_of(d) || n.is_multiple_of(d + 2) {
            return false;
        }
        d += 6;
    }
    true
}

/// The TCP task: one connection, one request line, one blocking read of the whole answer.
fn fetch(id: u32, addr: SocketAddr) -> io::Result<Output> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    writeln!(stream, "{id}")?;
    let mut payload = Vec::new();
    // This is where the task spends its time: blocked until the server answers and closes.
    stream.read_to_end(&mut payload).map_err(|err| {
        if matches!(
            err.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ) {
            no_answer()
        } else {
            err
        }
    })?;
    answered(id, &payload)
}

/// The error of a TCP task that failed, the same whichever model ran it.
pub fn tcp_failed(id: u32, addr: SocketAddr, err: &io::Error) -> TaskError {
    TaskError {
        id,
        message: format!("reading from the latency server at {addr}: {err}"),
    }
}

/// The read timed out.
pub fn no_answer() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("no answer within {} s", READ_TIMEOUT.as_secs()),
    )
}

/// What a TCP task made of the server's answer, the same whichever model read it.
pub fn answered(id: u32, payload: &[u8]) -> io::Result<Output> {
    if payload.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection without answering",
        ));
    }
    Ok(Output {
        id,
        value: fnv1a(payload),
        bytes: payload.len() as u64,
    })
}

/// FNV-1a, 64 bit: a checksum of the payload, so that results compare in one number.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_small_primes() {
        assert_eq!(count_primes(0, 100), 25);
        assert_eq!(count_primes(0, 1000), 168);
        // 999 999 937 is the largest prime below 10^9; 1 000 000 007 the smallest above.
        assert!(is_prime(999_999_937));
        assert!(is_prime(1_000_000_007));
        assert_eq!(count_primes(999_999_938, 1_000_000_007), 0);
        assert!(!is_prime(1_000_000_007u64 * 3));
        assert!(!is_prime(u64::MAX)); // no overflow at the top of the range
    }

    #[test]
    fn cpu_tasks_get_distinct_windows() {
        let a = Task::cpu(0, 500);
        let b = Task::cpu(1, 500);
        assert_eq!(
            a,
            Task::Cpu {
                id: 0,
                start: CPU_WINDOW_START,
                len: 500
            }
        );
        assert_eq!(
            b,
            Task::Cpu {
                id: 1,
                start: CPU_WINDOW_START + 500,
                len: 500
            }
        );
        let (ra, rb) = (run_task(&a).unwrap(), run_task(&b).unwrap());
        assert_eq!(
            ra.value,
            count_primes(CPU_WINDOW_START, CPU_WINDOW_START + 500)
        );
        assert_eq!(ra, run_task(&a).unwrap(), "deterministic");
        assert_eq!(rb.id, 1);
    }

    #[test]
    fn sleep_task_reports_its_milliseconds() {
        let out = run_task(&Task::Sleep { id: 7, ms: 1 }).unwrap();
        assert_eq!(
            out,
            Output {
                id: 7,
                value: 1,
                bytes: 0
            }
        );
    }

    #[test]
    fn tcp_task_reads_the_payload_of_its_id() {
        let addr = crate::server::start(Duration::from_millis(1)).unwrap();
        let out = run_task(&Task::Tcp { id: 3, addr }).unwrap();
        let expected = crate::server::payload(3);
        assert_eq!(out.bytes, expected.len() as u64);
        assert_eq!(out.value, fnv1a(&expected));
    }

    #[test]
    fn tcp_task_failure_is_a_value_naming_the_address() {
        // Bind and drop a listener to get a port that nothing listens on.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let err = run_task(&Task::Tcp { id: 9, addr }).unwrap_err();
        assert_eq!(err.id, 9);
        assert!(err.to_string().contains(&addr.to_string()), "{err}");
    }

    #[test]
    fn tasks_round_trip_through_json_on_one_line() {
        let addr: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        for task in [
            Task::cpu(2, 10),
            Task::Sleep { id: 1, ms: 5 },
            Task::Tcp { id: 4, addr },
        ] {
            let line = serde_json::to_string(&task).unwrap();
            assert!(!line.contains('\n'));
            assert_eq!(serde_json::from_str::<Task>(&line).unwrap(), task);
        }
    }
}
