//! The csv-crate parser: the general tool, configured for this format.
//!
//! `;` as the delimiter, no header row, no quoting (a `"` is an ordinary byte in a name),
//! flexible record lengths (a line with the wrong number of fields is *our* error to report,
//! with its offset), `\n` as the only terminator (so a stray `\r` inside a name stays part of
//! it, and a `\r\n` ending leaves a `\r` on the last field, stripped here), a 1 MiB buffer and
//! one `ByteRecord` reused for every line: no allocation per line and no UTF-8 check.
//!
//! What the generality costs: the csv state machine looks at every byte to find field and
//! record boundaries, copies each field into the record, and records field positions, before
//! this code looks at a single byte of it. `fast.rs` does only what this format needs.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;

use csv::{ByteRecord, ReaderBuilder, Terminator};

use super::{check_name, parse_tenths, strip_cr, AggregateError, BadLine, LineError};
use crate::stats::Partial;

/// Read buffer size: large enough that the reader makes few system calls.
const BUFFER_BYTES: usize = 1 << 20;

/// Aggregates the lines of `path` that start inside `range` (a newline-aligned range).
///
/// The reader is given exactly the range's bytes (`seek` + `take`), so it never reads a line
/// that belongs to the next range; record positions are relative to `range.start`.
pub fn aggregate_range(
    path: &Path,
    range: Range<u64>,
    skip_bad: bool,
) -> Result<Partial, AggregateError> {
    let io_err = |e: std::io::Error| AggregateError::io(path, e);
    let mut file = File::open(path).map_err(io_err)?;
    file.seek(SeekFrom::Start(range.start)).map_err(io_err)?;
    let mut reader = ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .quoting(false)
        .flexible(true)
        .terminator(Terminator::Any(b'\n'))
        .buffer_capacity(BUFFER_BYTES)
        .from_reader(file.take(range.end - range.start));

    let mut partial = Partial::default();
    let mut record = ByteRecord::new();
    // `read_byte_record` refills the same record: its buffers grow to the longest line once
    // and are reused after that.
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| io_err(e.into()))?
    {
        match parse_record(&record) {
            Ok(Some((name, tenths))) => partial.add(name, tenths),
            Ok(None) => {} // a blank line
            Err(_) if skip_bad => partial.skipped += 1,
            Err(kind) => {
                let offset = range.start + record.position().map_or(0, |p| p.byte());
                return Err(LineError { offset, kind }.into());
            }
        }
    }
    Ok(partial)
}

/// Checks one record: `Ok(None)` for a blank line, else the name and the temperature in tenths.
/// The checks run in the same order as in `fast.rs` so both report the same error.
fn parse_record(record: &ByteRecord) -> Result<Option<(&[u8], i16)>, BadLine> {
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
