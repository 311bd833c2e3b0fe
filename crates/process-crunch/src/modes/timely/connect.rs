//! Wiring P processes together with one TCP connection per pair, within a deadline.
//!
//! timely can do this itself (`CommunicationConfig::Cluster`), but its `create_sockets` retries
//! a refused connection once a second *forever* and prints its progress on stdout ("error
//! connecting to worker 0 ...; retrying", "awaiting connections (at 0/1)"), which would both
//! hang a run whose peer never comes and break `--json` (nothing but records on stdout). So
//! this module makes the same wiring under a deadline and hands the connected sockets to
//! timely's `initialize_networking_from_sockets`.
//!
//! The wiring is timely's: process `i` dials every process `j < i` and accepts a connection
//! from every `j > i`, so each pair has exactly one socket. Dialing cannot deadlock against
//! accepting, because the listener is bound before dialing starts and the kernel completes a
//! connection into the listen backlog before anyone calls `accept`.
//!
//! The dialer opens with a 40-byte hello: a magic, its index, and what the two processes must
//! agree on (process count, workers per process, the file's length). A mismatch is an error
//! that says what differs, instead of a dataflow that hangs or mixes up ranges.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

const MAGIC: &[u8; 8] = b"PCTIMEL1";
const HELLO_BYTES: usize = 40;

/// What the dialing process tells the listening one, and what the two must agree on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hello {
    /// The dialer's process index.
    pub index: u64,
    /// Processes in the run.
    pub processes: u64,
    /// Worker threads per process.
    pub workers: u64,
    /// FILE's length as the dialer sees it: a different file on another host is caught here.
    pub file_len: u64,
}

impl Hello {
    fn encode(self) -> [u8; HELLO_BYTES] {
        let mut bytes = [0u8; HELLO_BYTES];
        bytes[..8].copy_from_slice(MAGIC);
        let fields = [self.index, self.processes, self.workers, self.file_len];
        for (chunk, value) in bytes[8..].chunks_exact_mut(8).zip(fields) {
            chunk.copy_from_slice(&value.to_be_bytes());
        }
        bytes
    }

    fn decode(bytes: &[u8; HELLO_BYTES]) -> Option<Hello> {
        if &bytes[..8] != MAGIC {
            return None;
        }
        let field = |i: usize| {
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[8 + 8 * i..16 + 8 * i]);
            u64::from_be_bytes(word)
        };
        Some(Hello {
            index: field(0),
            processes: field(1),
            workers: field(2),
            file_len: field(3),
        })
    }
}

/// Connects process `me` to every other process in `addresses` within `timeout`.
///
/// Returns one entry per process, `None` at `me`, as `initialize_networking_from_sockets`
/// wants. `listener` is this process's own listener when the caller already bound it (the
/// launcher keeps process 0's, so that no other program can take the port meanwhile).
pub fn connect_peers(
    addresses: &[String],
    me: usize,
    listener: Option<TcpListener>,
    hello: Hello,
    timeout: Duration,
) -> Result<Vec<Option<TcpStream>>> {
    let deadline = Instant::now() + timeout;
    let processes = addresses.len();
    let mut sockets: Vec<Option<TcpStream>> = (0..processes).map(|_| None).collect();

    // Bind before dialing, so that higher-index processes can connect to us meanwhile. The
    // last process is dialed by no one and needs no listener.
    let listener = match listener {
        Some(listener) => Some(listener),
        None if me + 1 < processes => {
            Some(TcpListener::bind(addresses[me].as_str()).with_context(|| {
                format!("cannot listen on {} (this process's line)", addresses[me])
            })?)
        }
        None => None,
    };

    for (j, address) in addresses.iter().enumerate().take(me) {
        let stream = dial(address, deadline).with_context(|| {
            format!(
                "cannot reach process {j} at {address} within {} s",
                timeout.as_secs()
            )
        })?;
        stream.set_nodelay(true)?;
        (&stream)
            .write_all(&hello.encode())
            .with_context(|| format!("sending the hello to process {j} at {address}"))?;
        sockets[j] = Some(stream);
    }

    if let Some(listener) = listener {
        listener.set_nonblocking(true)?;
        while sockets[me + 1..].iter().any(Option::is_none) {
            if Instant::now() >= deadline {
                let missing: Vec<String> = (me + 1..processes)
                    .filter(|&j| sockets[j].is_none())
                    .map(|j| format!("{j} ({})", addresses[j]))
                    .collect();
                bail!(
                    "no connection from process {} within {} s",
                    missing.join(", "),
                    timeout.as_secs()
                );
            }
            match listener.accept() {
                Ok((stream, from)) => match read_hello(&stream, from, deadline)? {
                    Some(theirs) => {
                        let j = check_hello(theirs, hello, me, &sockets, from)?;
                        stream.set_nodelay(true)?;
                        sockets[j] = Some(stream);
                    }
                    None => eprintln!("process {me}: ignoring a connection from {from}: not a process-crunch peer"),
                },
                // Nothing pending: poll again shortly. A blocking accept could not time out.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(e).context("accepting connections from peers"),
            }
        }
        // Dropping the listener here refuses anything that comes later.
    }
    Ok(sockets)
}

/// Dials `address` until it answers or `deadline` passes; a refused connection (the peer has
/// not started yet) is retried every 100 ms.
fn dial(address: &str, deadline: Instant) -> Result<TcpStream> {
    loop {
        let attempt = resolve(address).and_then(|addr| {
            let left = deadline.saturating_duration_since(Instant::now());
            TcpStream::connect_timeout(
                &addr,
                left.clamp(Duration::from_millis(1), Duration::from_secs(1)),
            )
        });
        match attempt {
            Ok(stream) => return Ok(stream),
            Err(e) if Instant::now() + Duration::from_millis(100) >= deadline => {
                return Err(e.into())
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

fn resolve(address: &str) -> io::Result<SocketAddr> {
    address
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::other(format!("{address} resolves to no address")))
}

/// Reads the dialer's hello; `None` when the connection is not from a peer (wrong magic, or
/// nothing within a couple of seconds: a port scanner, a health check).
fn read_hello(stream: &TcpStream, from: SocketAddr, deadline: Instant) -> Result<Option<Hello>> {
    // The accepted socket may inherit non-blocking mode from the listener; timely wants it
    // blocking, and a read timeout bounds the wait for the hello.
    stream.set_nonblocking(false)?;
    let left = deadline.saturating_duration_since(Instant::now());
    stream.set_read_timeout(Some(
        left.clamp(Duration::from_millis(10), Duration::from_secs(2)),
    ))?;
    let mut bytes = [0u8; HELLO_BYTES];
    let hello = match (&*stream).read_exact(&mut bytes) {
        Ok(()) => Hello::decode(&bytes),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::UnexpectedEof
            ) =>
        {
            None
        }
        Err(e) => return Err(e).with_context(|| format!("reading the hello from {from}")),
    };
    stream.set_read_timeout(None)?;
    Ok(hello)
}

/// Checks a peer's hello against ours; returns the peer's index.
fn check_hello(
    theirs: Hello,
    ours: Hello,
    me: usize,
    sockets: &[Option<TcpStream>],
    from: SocketAddr,
) -> Result<usize> {
    let j = usize::try_from(theirs.index).unwrap_or(usize::MAX);
    if j <= me || j >= sockets.len() || sockets[j].is_some() {
        bail!("{from} says it is process {j}, which should not dial process {me} (twice the same --process-index?)");
    }
    if (theirs.processes, theirs.workers) != (ours.processes, ours.workers) {
        bail!(
            "process {j} runs {} processes x {} workers, this process {} x {}: start every process with the same options",
            theirs.processes,
            theirs.workers,
            ours.processes,
            ours.workers
        );
    }
    if theirs.file_len != ours.file_len {
        return Err(anyhow!(
            "FILE differs between processes: process {j} sees {} bytes, process {me} {} bytes",
            theirs.file_len,
            ours.file_len
        ));
    }
    Ok(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello(index: u64) -> Hello {
        Hello {
            index,
            processes: 3,
            workers: 2,
            file_len: 1234,
        }
    }

    #[test]
    fn hello_round_trips() {
        assert_eq!(Hello::decode(&hello(2).encode()), Some(hello(2)));
        let mut bytes = hello(2).encode();
        bytes[0] = b'X';
        assert_eq!(Hello::decode(&bytes), None);
    }

    #[test]
    fn three_processes_connect_on_loopback() {
        let listeners: Vec<TcpListener> = (0..3)
            .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
            .collect();
        let addresses: Vec<String> = listeners
            .iter()
            .map(|l| l.local_addr().unwrap().to_string())
            .collect();
        let handles: Vec<_> = listeners
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                let addresses = addresses.clone();
                std::thread::spawn(move || {
                    connect_peers(
                        &addresses,
                        i,
                        Some(l),
                        hello(i as u64),
                        Duration::from_secs(10),
                    )
                    .unwrap()
                })
            })
            .collect();
        for (i, h) in handles.into_iter().enumerate() {
            let sockets = h.join().unwrap();
            for (j, s) in sockets.iter().enumerate() {
                assert_eq!(s.is_none(), i == j);
            }
        }
    }

    #[test]
    fn an_absent_peer_is_an_error_in_bounded_time() {
        // Process 1 dials process 0's address, where nobody listens.
        let free = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .to_string();
        let addresses = vec![free, "127.0.0.1:0".to_string()];
        // The dial gives up at its deadline; the error says so. Not timed: a wall-clock bound
        // would test the machine's load, and a dial that never gave up would hang the test.
        let err =
            connect_peers(&addresses, 1, None, hello(1), Duration::from_millis(500)).unwrap_err();
        assert!(
            format!("{err:#}").contains("cannot reach process 0"),
            "{err:#}"
        );
    }

    #[test]
    fn a_mismatched_peer_is_named() {
        let l0 = TcpListener::bind("127.0.0.1:0").unwrap();
        let addresses = vec![
            l0.local_addr().unwrap().to_string(),
            "127.0.0.1:0".to_string(),
        ];
        let a = addresses.clone();
        let dialer = std::thread::spawn(move || {
            let other = Hello {
                workers: 1,
                ..hello(1)
            };
            connect_peers(&a, 1, None, other, Duration::from_secs(5))
        });
        let err =
            connect_peers(&addresses, 0, Some(l0), hello(0), Duration::from_secs(5)).unwrap_err();
        assert!(
            format!("{err:#}").contains("3 processes x 1 workers"),
            "{err:#}"
        );
        dialer.join().unwrap().unwrap();
    }
}
