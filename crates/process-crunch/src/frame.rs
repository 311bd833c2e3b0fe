//! The wire format between a worker process and its parent: one length-prefixed frame.
//!
//! ```text
//! b"PCR1"  magic, so that stray output (a debug print) is caught, not misread
//! u64 LE   payload length
//! payload  a bincode-encoded Reply
//! ```
//!
//! The length prefix is what lets the parent tell a complete answer from a worker that died
//! half way through writing one: a short read is a crash, never a smaller result. Exactly one
//! frame is sent; anything after it is an error too.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};

use crate::parse::LineError;
use crate::stats::Partial;

const MAGIC: &[u8; 4] = b"PCR1";

/// Largest payload accepted by default: far above 10,000 stations x 100-byte names, far below
/// anything that could exhaust memory if a length were garbage.
pub const MAX_PAYLOAD: u64 = 1 << 30;

/// What a worker process reports about its range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// The range was aggregated.
    Done(Partial),
    /// The range holds a malformed line (and `--skip-bad` was not given). Not retried: a fresh
    /// process would find the same line.
    BadLine(LineError),
    /// The worker could not read the file; the message names the path.
    Failed(String),
    /// FILE is not the file the run started with (the detail says how). Not retried.
    Changed(String),
    /// The encoded `Done` reply would be this many bytes, over the limit the parent gave.
    /// Not retried: a fresh process would send the same.
    TooLarge(u64),
}

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("no reply (the output ended after {0} bytes)")]
    Truncated(usize),
    #[error("output does not start with a reply frame")]
    BadMagic,
    #[error("sent a reply of {0} bytes, over the limit")]
    TooLarge(u64),
    #[error("unexpected output after the reply")]
    TrailingBytes,
    #[error("reply does not decode: {0}")]
    Decode(#[from] bincode::Error),
    #[error("reading the reply: {0}")]
    Io(#[from] io::Error),
}

/// Writes `reply` as one frame and flushes.
pub fn write_frame(out: &mut impl Write, reply: &Reply) -> io::Result<()> {
    let payload = bincode::serialize(reply).map_err(io::Error::other)?;
    out.write_all(MAGIC)?;
    out.write_all(&(payload.len() as u64).to_le_bytes())?;
    out.write_all(&payload)?;
    out.flush()
}

/// Reads exactly one frame from `input` and then expects the end of the stream. Reads until
/// the end, so the writer never blocks on a full pipe.
pub fn read_frame(input: &mut impl Read, max_payload: u64) -> Result<Reply, FrameError> {
    let mut header = [0u8; 12];
    let got = read_full(input, &mut header)?;
    if got < header.len() {
        return Err(FrameError::Truncated(got));
    }
    if &header[..4] != MAGIC {
        return Err(FrameError::BadMagic);
    }
    let len = u64::from_le_bytes(header[4..].try_into().expect("8 bytes"));
    if len > max_payload {
        // Drain what the worker still writes, so that it does not die of a broken pipe and
        // look like a crash: the size is the error.
        let _ = io::copy(input, &mut io::sink());
        return Err(FrameError::TooLarge(len));
    }
    let mut payload = vec![0u8; len as usize];
    let got = read_full(input, &mut payload)?;
    if got < payload.len() {
        return Err(FrameError::Truncated(header.len() + got));
    }
    let reply = bincode::deserialize(&payload)?;
    // Drain to the end: a well-behaved worker has nothing more to say.
    if io::copy(input, &mut io::sink())? > 0 {
        return Err(FrameError::TrailingBytes);
    }
    Ok(reply)
}

/// Like `read_exact`, but returns how many bytes it got before the end of the stream.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::BadLine;

    fn encode(reply: &Reply) -> Vec<u8> {
        let mut buf = Vec::new();
        write_frame(&mut buf, reply).unwrap();
        buf
    }

    #[test]
    fn round_trips() {
        let mut partial = Partial::default();
        partial.add("São Paulo".as_bytes(), -123);
        partial.add(&[0xff, 0x00], 999);
        partial.skipped = 3;
        for reply in [
            Reply::Done(partial),
            Reply::Done(Partial::default()),
            Reply::BadLine(LineError {
                offset: 17,
                kind: BadLine::NotANumber("1.23".into()),
            }),
            Reply::Failed("no such file".into()),
        ] {
            let bytes = encode(&reply);
            assert_eq!(read_frame(&mut &bytes[..], MAX_PAYLOAD).unwrap(), reply);
        }
    }

    #[test]
    fn rejects_partial_and_foreign_output() {
        let bytes = encode(&Reply::Done(Partial::default()));
        for cut in 0..bytes.len() {
            assert!(matches!(
                read_frame(&mut &bytes[..cut], MAX_PAYLOAD),
                Err(FrameError::Truncated(n)) if n == cut
            ));
        }
        let mut extra = bytes.clone();
        extra.push(b'\n');
        assert!(matches!(
            read_frame(&mut &extra[..], MAX_PAYLOAD),
            Err(FrameError::TrailingBytes)
        ));
        assert!(matches!(
            read_frame(&mut &b"hello, world"[..], MAX_PAYLOAD),
            Err(FrameError::BadMagic)
        ));
    }
}
