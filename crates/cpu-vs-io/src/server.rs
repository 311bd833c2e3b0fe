//! The latency server behind the `io-tcp` workload: a real TCP server on 127.0.0.1 that answers
//! each request after a fixed delay, so that a TCP task spends its time blocked in `read`.
//!
//! Protocol: the client sends its task id as one line (`"17\n"`); the server waits `latency`,
//! writes [`PAYLOAD_LEN`] bytes derived from that id ([`payload`]) and closes the connection.
//!
//! One thread per connection, so the server is never the bottleneck whatever the client side
//! does: 32 tasks at once under thread-per-task means 32 connections waiting at once. The
//! program starts one server on port 0 (the OS picks a free port) before any timing, and the
//! accept loop runs on a detached thread until the program exits: there is no shutdown step
//! because nothing outlives the process. An error on one connection is logged to stderr and
//! never takes the server down.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

/// Bytes in each answer.
pub const PAYLOAD_LEN: usize = 4096;

/// Starts the server on `127.0.0.1:0` and returns the address it listens on.
pub fn start(latency: Duration) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let addr = listener.local_addr()?;
    thread::Builder::new()
        .name("latency-server".into())
        .spawn(move || accept_loop(listener, latency))?;
    Ok(addr)
}

fn accept_loop(listener: TcpListener, latency: Duration) {
    for conn in listener.incoming() {
        match conn {
            Ok(stream) => {
                let spawned = thread::Builder::new()
                    .name("latency-conn".into())
                    .spawn(move || {
                        if let Err(err) = answer(stream, latency) {
                            eprintln!("latency server: {err}");
                        }
                    });
                // Out of threads: this one connection fails (its client sees the connection
                // close without an answer); the server keeps accepting.
                if let Err(err) = spawned {
                    eprintln!("latency server: cannot start a connection thread: {err}");
                }
            }
            Err(err) => {
                // Typically out of file descriptors. Back off a little rather than spin.
                eprintln!("latency server: accept failed: {err}");
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Serves one connection: read the id line, wait, answer, close (by dropping the stream).
fn answer(stream: TcpStream, latency: Duration) -> io::Result<()> {
    let peer = stream.peer_addr()?;
    let mut line = String::new();
    // An id is at most 10 digits: `take` bounds what a confused client can make us buffer.
    BufReader::new((&stream).take(32)).read_line(&mut line)?;
    let id: u32 = line.trim().parse().map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{peer}: expected a task id line, got {line:?}"),
        )
    })?;
    thread::sleep(latency);
    (&stream).write_all(&payload(id))
}

/// The answer for task `id`: [`PAYLOAD_LEN`] bytes from a splitmix64 generator seeded with the
/// id. Deterministic, so every model must get exactly the same bytes, and different per task,
/// so a mixed-up answer shows as a wrong checksum.
pub fn payload(id: u32) -> Vec<u8> {
    let mut state = u64::from(id);
    let mut bytes = Vec::with_capacity(PAYLOAD_LEN);
    while bytes.len() < PAYLOAD_LEN {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        bytes.extend_from_slice(&z.to_le_bytes());
    }
    bytes.truncate(PAYLOAD_LEN);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_is_deterministic_and_differs_per_id() {
        assert_eq!(payload(5), payload(5));
        assert_ne!(payload(5), payload(6));
        assert_eq!(payload(0).len(), PAYLOAD_LEN);
    }

    #[test]
    fn a_bad_request_does_not_stop_the_server() {
        let addr = start(Duration::from_millis(1)).unwrap();
        let mut bad = TcpStream::connect(addr).unwrap();
        bad.write_all(b"not a number\n").unwrap();
        let mut reply = Vec::new();
        bad.read_to_end(&mut reply).unwrap();
        assert!(reply.is_empty());

        let mut good = TcpStream::connect(addr).unwrap();
        good.write_all(b"42\n").unwrap();
        let mut reply = Vec::new();
        good.read_to_end(&mut reply).unwrap();
        assert_eq!(reply, payload(42));
    }
}
