//! Message framing: how structured messages cross a pipe between processes.
//!
//! A pipe carries bytes, not messages: one `write` may arrive as two `read`s, two writes as one.
//! So each message is sent as a frame: its length as a 4-byte little-endian `u32`, then that
//! many bytes of JSON (serde). The reader reads exactly 4 bytes, then exactly that many more.
//!
//! Framing makes a broken stream a clear error instead of garbage: if the writer dies half-way
//! through a message, the reader gets fewer bytes than the prefix promised and says so
//! ([`FrameError::TruncatedBody`]). A stream that ends cleanly between two frames is the normal
//! end of the conversation (`Ok(None)`). The length is capped ([`MAX_FRAME`]), so a corrupted
//! prefix cannot make the reader allocate gigabytes.

use std::io::{self, Read, Write};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// The largest message accepted, in bytes of JSON.
pub const MAX_FRAME: usize = 16 << 20;

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("the stream ended inside a length prefix: {got} of 4 bytes arrived")]
    TruncatedHeader { got: usize },
    #[error(
        "the stream ended inside a message: its prefix promised {expected} bytes, {got} arrived"
    )]
    TruncatedBody { expected: usize, got: usize },
    #[error("a message of {0} bytes is over the limit of {MAX_FRAME} bytes")]
    TooLarge(usize),
    #[error("a message is not the JSON expected: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the pipe failed: {0}")]
    Io(#[from] io::Error),
}

/// Writes `message` as one frame and flushes, so the reader gets it now, not when a buffer
/// fills. Prefix and body go out in one `write_all`.
pub fn write_frame<W: Write, T: Serialize>(out: &mut W, message: &T) -> Result<(), FrameError> {
    let body = serde_json::to_vec(message)?;
    if body.len() > MAX_FRAME {
        return Err(FrameError::TooLarge(body.len()));
    }
    let mut frame = Vec::with_capacity(4 + body.len());
    frame.extend_from_slice(&(body.len() as u32).to_le_bytes());
    frame.extend_from_slice(&body);
    out.write_all(&frame)?;
    out.flush()?;
    Ok(())
}

/// Reads the next frame: `Ok(Some(message))`, or `Ok(None)` when the stream ends cleanly
/// before a new frame. Blocks until a whole frame is there or the writer closes its end.
pub fn read_frame<R: Read, T: DeserializeOwned>(input: &mut R) -> Result<Option<T>, FrameError> {
    let mut prefix = [0u8; 4];
    match read_full(input, &mut prefix)? {
        0 => return Ok(None), // the writer closed the pipe between messages: a clean end
        4 => {}
        got => return Err(FrameError::TruncatedHeader { got }),
    }
    let expected = u32::from_le_bytes(prefix) as usize;
    if expected > MAX_FRAME {
        return Err(FrameError::TooLarge(expected));
    }
    let mut body = vec![0u8; expected];
    let got = read_full(input, &mut body)?;
    if got < expected {
        return Err(FrameError::TruncatedBody { expected, got });
    }
    Ok(Some(serde_json::from_slice(&body)?))
}

/// Reads until `buf` is full or the stream ends; returns how many bytes arrived. Unlike
/// `read_exact`, it tells a clean end (0 bytes) from a truncated one.
fn read_full<R: Read>(input: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break, // end of stream: the writer closed its end (or exited)
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Note {
        n: u64,
        text: String,
    }

    fn note(n: u64) -> Note {
        Note {
            n,
            text: format!("note {n}"),
        }
    }

    fn frames(notes: &[Note]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for n in notes {
            write_frame(&mut bytes, n).unwrap();
        }
        bytes
    }

    #[test]
    fn frames_round_trip_and_a_clean_end_is_none() {
        let bytes = frames(&[note(1), note(2)]);
        let mut r = &bytes[..];
        assert_eq!(read_frame::<_, Note>(&mut r).unwrap(), Some(note(1)));
        assert_eq!(read_frame::<_, Note>(&mut r).unwrap(), Some(note(2)));
        assert_eq!(read_frame::<_, Note>(&mut r).unwrap(), None);
    }

    #[test]
    fn a_message_cut_short_is_a_truncation_error() {
        let bytes = frames(&[note(1), note(2)]);
        let one = frames(&[note(1)]).len();
        // Cut the second frame 3 bytes before its end.
        let mut r = &bytes[..bytes.len() - 3];
        assert_eq!(read_frame::<_, Note>(&mut r).unwrap(), Some(note(1)));
        let expected = bytes.len() - one - 4;
        match read_frame::<_, Note>(&mut r) {
            Err(FrameError::TruncatedBody { expected: e, got }) => {
                assert_eq!((e, got), (expected, expected - 3));
            }
            other => panic!("expected a truncated body, got {other:?}"),
        }
    }

    #[test]
    fn a_prefix_cut_short_is_a_truncation_error() {
        let bytes = frames(&[note(7)]);
        let mut r = &bytes[..2];
        assert!(matches!(
            read_frame::<_, Note>(&mut r),
            Err(FrameError::TruncatedHeader { got: 2 })
        ));
    }

    #[test]
    fn an_absurd_length_is_refused_before_allocating() {
        let bytes = u32::MAX.to_le_bytes();
        let mut r = &bytes[..];
        assert!(matches!(
            read_frame::<_, Note>(&mut r),
            Err(FrameError::TooLarge(_))
        ));
    }

    #[test]
    fn a_frame_of_the_wrong_shape_is_a_json_error() {
        let bytes = frames(&[note(1)]);
        let mut r = &bytes[..];
        assert!(matches!(
            read_frame::<_, u64>(&mut r),
            Err(FrameError::Json(_))
        ));
    }

    #[test]
    fn frames_survive_a_reader_that_gets_one_byte_at_a_time() {
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[0];
                self.0 = &self.0[1..];
                Ok(1)
            }
        }
        let bytes = frames(&[note(1), note(2)]);
        let mut r = Trickle(&bytes);
        assert_eq!(read_frame::<_, Note>(&mut r).unwrap(), Some(note(1)));
        assert_eq!(read_frame::<_, Note>(&mut r).unwrap(), Some(note(2)));
        assert_eq!(read_frame::<_, Note>(&mut r).unwrap(), None);
    }
}
