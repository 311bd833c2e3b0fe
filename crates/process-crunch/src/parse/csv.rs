//! The csv-crate parser: the general tool, configured for this format.
//!
//! `;` as the delimiter, no header row, no quoting (a `"` is an ordinary byte in a name),
//! flexible record lengths (a line with the wrong number of fields is *our* error to report,
//! with its offset), `\n` as the only terminator (so a stray `\r` inside a name stays part of
//! it, and a `\r\n` ending leaves a `\r` on the last field, stripped here), a 1 MiB buffer and
//! one `ByteRecord` reused for every line: no allocation per line and no UTF-8 check. What the
//! reader sees is shaped by `RangeReader` (a line never longer than the limit, no byte order
//! mark at a range's start).
//!
//! What the generality costs: the csv state machine looks at every byte to find field and
//! record boundaries, copies each field into the record, and records field positions, before
//! this code looks at a single byte of it. `fast.rs` does only what this format needs.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::Path;

use csv::{ByteRecord, ReaderBuilder, Terminator};
use memchr::memchr;

use super::{
    check_name, parse_tenths, strip_cr, AggregateError, BadLine, LineError, MAX_LINE_BYTES,
};
use crate::stats::Partial;

/// Read buffer size: large enough that the reader makes few system calls.
const BUFFER_BYTES: usize = 1 << 20;

/// Aggregates the lines of `file` that start inside `range` (a newline-aligned range).
///
/// The reader is given exactly the range's bytes, read with `pread` from the one open file
/// (so threads can share it, and a file renamed over FILE meanwhile is never read), through a
/// `RangeReader` that bounds every line's length and notices a short read.
pub fn aggregate_range(
    file: &File,
    path: &Path,
    range: Range<u64>,
    skip_bad: bool,
) -> Result<Partial, AggregateError> {
    let io_err = |e: io::Error| AggregateError::io(path, e);
    let mut reader = ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .quoting(false)
        .flexible(true)
        .terminator(Terminator::Any(b'\n'))
        .buffer_capacity(BUFFER_BYTES)
        .from_reader(RangeReader::new(file, range.clone()));

    let mut partial = Partial::default();
    let mut record = ByteRecord::new();
    // `read_byte_record` refills the same record: its buffers grow to the longest line once
    // (at most MAX_LINE_BYTES + 1, see RangeReader) and are reused after that.
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| io_err(e.into()))?
    {
        match parse_record(&record) {
            Ok(Some((name, tenths))) => partial.add(name, tenths),
            Ok(None) => {} // a blank line
            Err(_) if skip_bad => partial.skipped += 1,
            Err(kind) => {
                let position = record.position().map_or(0, |p| p.byte());
                let offset = line_start(file, &range, position).map_err(io_err)?;
                return Err(LineError { offset, kind }.into());
            }
        }
    }
    if reader.get_ref().short {
        return Err(AggregateError::changed(
            path,
            format!("it ended before byte {}", range.end),
        ));
    }
    Ok(partial)
}

/// Where a bad record's line starts in the file. The csv reader gives the position where it
/// started reading the record, which is before any blank lines it skipped on the way (and
/// counts the `\n` that `RangeReader` puts first), so skip those `\n`s. Error path only.
fn line_start(file: &File, range: &Range<u64>, position: u64) -> io::Result<u64> {
    // Position 0 is the `\n` put first; position p >= 1 is file byte range.start + p - 1.
    let mut offset = range.start + position.saturating_sub(1);
    let mut buf = [0u8; 256];
    loop {
        let got = file.read_at(&mut buf, offset)?;
        match buf[..got].iter().position(|&b| b != b'\n') {
            Some(i) => return Ok(offset + i as u64),
            None if got == 0 => return Ok(offset),
            None => offset += got as u64,
        }
    }
}

/// The bytes of one range, as the csv reader should see them:
/// - a `\n` first, a blank line the reader skips, so that the range never *starts* with a
///   byte order mark: csv-core strips one at the start of whatever it reads, which here would
///   be the start of every range, not of the file (the mark at byte 0 is skipped by
///   `Input::aggregate_range` for both parsers);
/// - every line cut to `MAX_LINE_BYTES + 1` bytes before its `\n`: enough for the record to
///   be longer than any valid line, so it is reported as too long, while the csv record never
///   holds more than that (a 4 GB line costs no more memory than a short one). The bytes
///   dropped shift the reader's positions only after a bad line, where none are used;
/// - `short` is set when the file ends before the range does: it shrank while being read.
struct RangeReader<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
    sent_newline: bool,
    /// Bytes of the current line seen so far (kept or dropped).
    line_len: usize,
    short: bool,
}

impl<'a> RangeReader<'a> {
    fn new(file: &'a File, range: Range<u64>) -> Self {
        RangeReader {
            file,
            pos: range.start,
            end: range.end,
            sent_newline: false,
            line_len: 0,
            short: false,
        }
    }

    /// Drops the bytes of overlong lines from `buf[..n]` in place; returns the bytes kept.
    fn bound_lines(&mut self, buf: &mut [u8], n: usize) -> usize {
        let keep_max = MAX_LINE_BYTES + 1;
        let (mut read, mut write) = (0, 0);
        loop {
            let newline = memchr(b'\n', &buf[read..n]);
            let segment = newline.unwrap_or(n - read);
            let kept = segment.min(keep_max.saturating_sub(self.line_len));
            if write != read {
                buf.copy_within(read..read + kept, write);
            }
            write += kept;
            self.line_len += segment;
            read += segment;
            match newline {
                Some(_) => {
                    buf[write] = b'\n';
                    write += 1;
                    read += 1;
                    self.line_len = 0;
                }
                None => return write,
            }
        }
    }
}

impl Read for RangeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if !self.sent_newline {
            self.sent_newline = true;
            buf[0] = b'\n';
            return Ok(1);
        }
        // Loop because a whole buffer of an overlong line may be dropped: Ok(0) means the end.
        while self.pos < self.end {
            let want = buf.len().min((self.end - self.pos) as usize);
            let got = self.file.read_at(&mut buf[..want], self.pos)?;
            if got == 0 {
                self.short = true;
                return Ok(0);
            }
            self.pos += got as u64;
            let kept = self.bound_lines(buf, got);
            if kept > 0 {
                return Ok(kept);
            }
        }
        Ok(0)
    }
}

/// Checks one record: `Ok(None)` for a blank line, else the name and the temperature in tenths.
/// The checks run in the same order as in `fast.rs` so both report the same error.
fn parse_record(record: &ByteRecord) -> Result<Option<(&[u8], i16)>, BadLine> {
    // The line's length before its `\n`: the fields and the `;`s between them.
    if record.as_slice().len() + record.len().saturating_sub(1) > MAX_LINE_BYTES {
        return Err(BadLine::LineTooLong);
    }
    match record.len() {
        0 => Ok(None),
        1 if strip_cr(&record[0]).is_empty() => Ok(None),
        1 => Err(BadLine::NoSeparator),
        fields => {
            let name = &record[0];
            check_name(name)?;
            if fields == 2 {
                let tenths = parse_tenths(strip_cr(&record[1]))?;
                Ok(Some((name, tenths)))
            } else {
                // More `;`s: the temperature is everything after the first one, which cannot
                // be a number. Rebuild it for the message.
                let rest = record.iter().skip(1).collect::<Vec<_>>().join(&b';');
                Err(parse_tenths(strip_cr(&rest)).expect_err("a field with `;` is no number"))
            }
        }
    }
}
