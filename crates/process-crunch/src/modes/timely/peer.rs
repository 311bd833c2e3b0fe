//! The connection to one peer process, as timely's network threads see it: a `TcpStream` that
//! bounds what a peer can do to us.
//!
//! timely trusts its peers, as Spark does without authentication: a frame header is believed,
//! and a peer that stops talking is waited on forever. `PeerStream` wraps each socket handed to
//! timely (its `Stream` trait is generic for this) and bounds both:
//!
//! - **Silence.** Reads and writes wake every [`TICK`]. Once this process has aggregated its
//!   own ranges (the watch is *armed*), a peer that neither sends nor accepts a byte for
//!   `--peer-timeout-s` seconds is an error naming it. Before that, silence is normal: every
//!   process is busy with its ranges.
//! - **Frame size.** timely frames are a 48-byte header (six big-endian u64s: channel, source,
//!   two target bounds, payload length, sequence number) and the payload. The stream follows
//!   the frames as they go by; a header promising more than [`MAX_FRAME_BYTES`], or naming a
//!   source worker that does not exist, is an error before a single payload byte is buffered.
//!
//! Either error is returned from `read`, so timely's receive thread panics with it ("timely
//! communication error: reading data: ..."), which `process.rs` reports as the cause.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use timely::communication::allocator::zero_copy::stream::Stream;

/// How often a blocked read or write wakes to look at the clock.
const TICK: Duration = Duration::from_millis(250);

/// Largest frame payload accepted from a peer. A frame is one batch of records, far smaller;
/// a garbage header is refused instead of growing a buffer towards what it promises.
pub const MAX_FRAME_BYTES: u64 = 64 << 20;

/// timely's frame header: six u64s.
const HEADER_BYTES: usize = 48;

/// What every connection of a process shares: when the silence clock starts, and the limits.
#[derive(Debug)]
pub struct Watch {
    origin: Instant,
    /// Milliseconds after `origin` when this process finished its own ranges; `u64::MAX`
    /// until then.
    armed_ms: AtomicU64,
    timeout: Duration,
    /// Workers in the whole run: a frame's source must be one of them.
    workers_total: u64,
}

impl Watch {
    pub fn new(timeout: Duration, workers_total: u64) -> Arc<Watch> {
        Arc::new(Watch {
            origin: Instant::now(),
            armed_ms: AtomicU64::new(u64::MAX),
            timeout,
            workers_total,
        })
    }

    /// Starts the silence clock: this process has done its own work and now waits on peers.
    pub fn arm(&self) {
        let ms = self.origin.elapsed().as_millis() as u64;
        let _ = self
            .armed_ms
            .compare_exchange(u64::MAX, ms, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// Whether a connection whose last byte moved at `last` has been silent too long.
    fn overdue(&self, last: Instant) -> bool {
        let armed = self.armed_ms.load(Ordering::SeqCst);
        if armed == u64::MAX {
            return false;
        }
        let since = (self.origin + Duration::from_millis(armed)).max(last);
        since.elapsed() >= self.timeout
    }
}

/// One peer's socket, bounded as the module comment says.
pub struct PeerStream {
    stream: TcpStream,
    /// "process 2 (10.0.0.2:2101)", for the messages.
    peer: String,
    watch: Arc<Watch>,
    last: Instant,
    scan: FrameScan,
}

impl PeerStream {
    pub fn new(stream: TcpStream, peer: String, watch: Arc<Watch>) -> io::Result<PeerStream> {
        stream.set_read_timeout(Some(TICK))?;
        stream.set_write_timeout(Some(TICK))?;
        Ok(PeerStream {
            stream,
            peer,
            watch,
            last: Instant::now(),
            scan: FrameScan::default(),
        })
    }

    fn silent_error(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "{} moved no data for {} s (--peer-timeout-s) while this process waited on it",
                self.peer,
                self.watch.timeout.as_secs()
            ),
        )
    }
}

fn is_tick(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

impl Read for PeerStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.stream.read(buf) {
                Ok(n) => {
                    self.last = Instant::now();
                    self.scan
                        .feed(&buf[..n], self.watch.workers_total)
                        .map_err(|m| {
                            io::Error::new(
                                io::ErrorKind::InvalidData,
                                format!("{}: {m}", self.peer),
                            )
                        })?;
                    return Ok(n);
                }
                Err(e) if is_tick(&e) => {
                    if self.watch.overdue(self.last) {
                        return Err(self.silent_error());
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}

impl Write for PeerStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            match self.stream.write(buf) {
                Ok(n) => {
                    self.last = Instant::now();
                    return Ok(n);
                }
                Err(e) if is_tick(&e) => {
                    if self.watch.overdue(self.last) {
                        return Err(self.silent_error());
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

impl Stream for PeerStream {
    fn try_clone(&self) -> io::Result<Self> {
        Ok(PeerStream {
            stream: self.stream.try_clone()?,
            peer: self.peer.clone(),
            watch: Arc::clone(&self.watch),
            last: Instant::now(),
            scan: FrameScan::default(),
        })
    }

    fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        self.stream.set_nonblocking(nonblocking)
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.stream.shutdown(how)
    }
}

/// Follows timely's frames through the bytes of one direction of a connection.
struct FrameScan {
    header: [u8; HEADER_BYTES],
    /// Header bytes gathered so far (0 while inside a payload).
    have: usize,
    /// Payload bytes still to come in the current frame.
    remaining: u64,
}

impl Default for FrameScan {
    fn default() -> Self {
        FrameScan {
            header: [0; HEADER_BYTES],
            have: 0,
            remaining: 0,
        }
    }
}

impl FrameScan {
    fn feed(&mut self, mut bytes: &[u8], workers_total: u64) -> Result<(), String> {
        while !bytes.is_empty() {
            if self.remaining > 0 {
                let take = bytes.len().min(self.remaining as usize);
                self.remaining -= take as u64;
                bytes = &bytes[take..];
                continue;
            }
            let take = bytes.len().min(HEADER_BYTES - self.have);
            self.header[self.have..self.have + take].copy_from_slice(&bytes[..take]);
            self.have += take;
            bytes = &bytes[take..];
            if self.have == HEADER_BYTES {
                self.have = 0;
                let field = |i: usize| {
                    u64::from_be_bytes(self.header[8 * i..8 * i + 8].try_into().expect("8 bytes"))
                };
                let (source, length) = (field(1), field(4));
                if length > MAX_FRAME_BYTES {
                    return Err(format!(
                        "sent a frame header promising {length} bytes, over the limit of \
                         {MAX_FRAME_BYTES} (not a process-crunch peer, or a corrupt stream)"
                    ));
                }
                if source >= workers_total {
                    return Err(format!(
                        "sent a frame from worker {source}, but the run has {workers_total} \
                         workers (not a process-crunch peer, or a corrupt stream)"
                    ));
                }
                self.remaining = length;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(source: u64, length: u64) -> Vec<u8> {
        [0, source, 0, 1, length, 7]
            .iter()
            .flat_map(|v: &u64| v.to_be_bytes())
            .collect()
    }

    #[test]
    fn follows_frames_split_anywhere_and_refuses_bad_headers() {
        let mut stream = header(1, 5);
        stream.extend_from_slice(b"hello");
        stream.extend(header(0, 0));
        stream.extend(header(3, 2));
        stream.extend_from_slice(b"hi");
        for chunk in 1..stream.len() {
            let mut scan = FrameScan::default();
            for piece in stream.chunks(chunk) {
                scan.feed(piece, 4).unwrap();
            }
            assert_eq!((scan.have, scan.remaining), (0, 0));
        }
        let mut scan = FrameScan::default();
        let err = scan.feed(&header(0, 1 << 40), 4).unwrap_err();
        assert!(err.contains("promising 1099511627776 bytes"), "{err}");
        let mut scan = FrameScan::default();
        assert!(scan
            .feed(&header(4, 1), 4)
            .unwrap_err()
            .contains("worker 4"));
    }
}
