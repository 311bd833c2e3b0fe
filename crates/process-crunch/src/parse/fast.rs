//! The fast parser: only what this format needs, done by hand, near the limit of one core.
//!
//! - **A memory map** (memmap2): no copy into a read buffer; the kernel pages the file in on
//!   demand. Pages already parsed are handed back every `WINDOW_BYTES`, so resident memory
//!   stays a window's worth, not the file's size, and a line is never held whole: one longer
//!   than any valid line is rejected after `MAX_LINE_BYTES + 1` bytes.
//! - **SWAR search** for the `;`: 8 bytes per step in a plain `u64` (`swar.rs` says why it is
//!   exact, and why a line without a `;` needs no search of its own). Names are short, so this beats `memchr`,
//!   whose SIMD set-up costs more than a 10-byte name. For names of up to 23 bytes, nearly
//!   all of them, three words are loaded and the separator and the name's words follow by
//!   arithmetic, with no branch on the length (`swar::short_name`).
//! - **A branchless temperature**: one unaligned 8-byte load after the `;` gives the tenths by
//!   shifts and one multiplication, and is checked word-wide against the one valid shape, line
//!   ending included (`swar.rs`). No byte loop, no data-dependent branch on valid input.
//! - **Its own table** (`ends.rs`): keyed by a hash of the name's first and last 8 bytes and
//!   its length, from words already loaded; up to 16 bytes those words and the length are the
//!   name, so a probe compares three words, and a slot is 32 bytes, two to a cache line.
//! - **SSE2 search** (`simd.rs`, x86-64): the `;` found 16 bytes per instruction, exactly, for
//!   names of up to 31 bytes; where SSE2 is absent the SWAR search stays.
//! - **Two lines in flight**, measured but not used by default: the window is split at a line
//!   start in the middle and the two halves are parsed in one loop, a line of each per turn.
//!   Their loads, multiplications and table probes are independent, so a CPU with execution
//!   units to spare can overlap one line's dependency chain (find `;`, load the temperature,
//!   find the next line) with the other's. On the 2-core development machine, shared with
//!   other work, it was slower (0.86x to 0.98x in `bench --steps`), most likely because the
//!   two lanes' state does not fit in the registers and the other hyperthread already uses
//!   the spare units; it stays as the last step of the bench so that each machine shows
//!   whether it pays there.
//!
//! Every step of this list can be switched off ([`Step`]) and `process-crunch bench --steps`
//! times each against the plain solver, so the gain of each is measured, not claimed.
//!
//! Any line the fast path does not accept goes to the slow path, which applies the shared
//! rules in `parse/mod.rs`: so the accepted lines and the error messages are those of the csv
//! parser, byte for byte. The last lines of a window (fewer than `SLACK` bytes from its end)
//! are copied into a small zero-padded buffer first, so that the 8-byte loads never read past
//! the data, and a last line without `\n` gets one there.

use std::ops::Range;

use memchr::{memchr, memchr2, memrchr};
use memmap2::Mmap;

use super::mapping::{populate, release};

use super::ends::EndsTable;
use super::plain::parse_temperature;
use super::simd::{semicolons, SIMD};
use super::swar::{first_semicolon, load, name_words, semicolon_marks, short_name, temperature};
use super::table::{PlainTable, StationTable};
use super::{
    check_name, parse_tenths, strip_cr, BadLine, LineError, MAX_LINE_BYTES, MAX_NAME_BYTES,
};
use crate::stats::Partial;

/// How much of the mapping is parsed before its pages are released.
const WINDOW_BYTES: usize = 16 << 20;

/// Bytes readable after any line start the fast path looks at: 104 for the name search and 8
/// for the temperature, rounded up.
const SLACK: usize = 128;

/// The steps from the plain solver to the fast parser, each adding one technique to the last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Step {
    /// The plain solver: memchr for the `;`, a fixed-format temperature parse with branches,
    /// an open-addressing table on an FxHash of the whole name, the name compared per probe.
    Plain,
    /// + SWAR search for `;`.
    Swar,
    /// + the branchless temperature from one 8-byte load.
    Branchless,
    /// + the table keyed by the name's ends and length, names compared on a hash match only.
    Table,
    /// + the `;` search 16 bytes at a time with SSE2 on x86-64 (elsewhere the same as `Table`):
    ///   the fast parser.
    Simd,
    /// + two lines in flight (measured, not used by default).
    Lanes,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Plain,
        Step::Swar,
        Step::Branchless,
        Step::Table,
        Step::Simd,
        Step::Lanes,
    ];

    /// The step's name in the JSON record's `workload`: `fast-step-<slug>`.
    pub fn slug(self) -> &'static str {
        match self {
            Step::Plain => "plain",
            Step::Swar => "swar",
            Step::Branchless => "branchless",
            Step::Table => "table",
            Step::Simd => "sse2",
            Step::Lanes => "lanes",
        }
    }

    /// The step's row label in the bench table.
    pub fn name(self) -> &'static str {
        match self {
            Step::Plain => "plain",
            Step::Swar => "+swar",
            Step::Branchless => "+branchless",
            Step::Table => "+table",
            Step::Simd if SIMD => "+sse2 search (= fast)",
            Step::Simd => "+sse2 search (n/a: = +table)",
            Step::Lanes => "+2 lines in flight",
        }
    }
}

/// Aggregates the lines that start inside `range` of the mapped file.
///
/// Window by window, each cut after a newline, releasing each window's pages once parsed. The
/// newline after a cut is looked for in the next `MAX_LINE_BYTES + 1` bytes only: if it is not
/// there, the line across the cut is too long, and it is reported (or, with `skip_bad`,
/// skipped by a scan that releases pages as it goes), so memory never grows with a line.
pub fn aggregate_range(
    map: &Mmap,
    range: Range<u64>,
    skip_bad: bool,
) -> Result<Partial, LineError> {
    // Two lines in flight (`Step::Lanes`) is measured by `bench --steps` but not used here:
    // on the development machine it cost more than it gained (see the module comment).
    aggregate::<EndsTable, { Step::Simd as u8 }>(map, range, skip_bad)
}

/// [`aggregate_range`] with only the techniques up to `step` (for `bench --steps`).
pub fn aggregate_range_step(
    map: &Mmap,
    range: Range<u64>,
    skip_bad: bool,
    step: Step,
) -> Result<Partial, LineError> {
    match step {
        Step::Plain => aggregate::<PlainTable, { Step::Plain as u8 }>(map, range, skip_bad),
        Step::Swar => aggregate::<PlainTable, { Step::Swar as u8 }>(map, range, skip_bad),
        Step::Branchless => {
            aggregate::<PlainTable, { Step::Branchless as u8 }>(map, range, skip_bad)
        }
        Step::Table => aggregate::<EndsTable, { Step::Table as u8 }>(map, range, skip_bad),
        Step::Simd => aggregate::<EndsTable, { Step::Simd as u8 }>(map, range, skip_bad),
        Step::Lanes => aggregate::<EndsTable, { Step::Lanes as u8 }>(map, range, skip_bad),
    }
}

/// What a block of lines adds to: the table, and the count of skipped lines.
struct Sink<T> {
    table: T,
    skipped: u64,
    skip_bad: bool,
}

/// Whether step `STEP` (a [`Step`] as `u8`) has technique `t`: every step has the techniques of
/// the steps before it.
const fn has(step: u8, t: Step) -> bool {
    step >= t as u8
}

/// Step `STEP` (a [`Step`] as `u8`), whose table is `T`: [`EndsTable`] from `Step::Table` on,
/// else [`PlainTable`]. (A parameter of its own: stable Rust cannot compute a type from
/// `STEP`.)
fn aggregate<T: StationTable, const STEP: u8>(
    map: &Mmap,
    range: Range<u64>,
    skip_bad: bool,
) -> Result<Partial, LineError> {
    let end = range.end as usize;
    let mut sink = Sink::<T> {
        table: T::default(),
        skipped: 0,
        skip_bad,
    };
    let block = |data: &[u8], base: usize, sink: &mut Sink<T>| {
        parse_block::<T, STEP>(data, base as u64, sink)
    };
    let mut pos = range.start as usize;
    while pos < end {
        let mut cut = pos.saturating_add(WINDOW_BYTES);
        if cut >= end {
            cut = end;
        } else {
            let search_end = (cut + MAX_LINE_BYTES + 1).min(end);
            match memchr(b'\n', &map[cut..search_end]) {
                Some(i) => cut += i + 1,
                None if search_end == end => cut = end,
                None => {
                    // The line holding byte `cut` is longer than any valid line: parse the
                    // lines before it, then deal with it.
                    let start = memrchr(b'\n', &map[pos..cut]).map_or(pos, |i| pos + i + 1);
                    block(&map[pos..start], pos, &mut sink)?;
                    sink.table.block_done(start - pos);
                    release(map, pos, start);
                    if !skip_bad {
                        let kind = BadLine::LineTooLong;
                        return Err(LineError {
                            offset: start as u64,
                            kind,
                        });
                    }
                    sink.skipped += 1;
                    pos = skip_line(map, start, end);
                    continue;
                }
            }
        }
        populate(map, pos, cut);
        block(&map[pos..cut], pos, &mut sink)?;
        sink.table.block_done(cut - pos);
        release(map, pos, cut);
        pos = cut;
    }
    let mut partial = Partial {
        skipped: sink.skipped,
        ..Partial::default()
    };
    sink.table.drain_into(&mut partial);
    Ok(partial)
}

/// The position after the `\n` that ends the line at `start` (or `end`), found window by
/// window, each window's pages released once scanned.
fn skip_line(map: &Mmap, start: usize, end: usize) -> usize {
    let mut pos = start;
    while pos < end {
        let stop = pos.saturating_add(WINDOW_BYTES).min(end);
        let found = memchr(b'\n', &map[pos..stop]);
        release(map, pos, stop);
        match found {
            Some(i) => return pos + i + 1,
            None => pos = stop,
        }
    }
    end
}

/// Parses the whole lines of `data`, which starts at byte `base` of the file.
fn parse_block<T: StationTable, const STEP: u8>(
    data: &[u8],
    base: u64,
    sink: &mut Sink<T>,
) -> Result<(), LineError> {
    // Lines that start before `safe_end` have SLACK readable bytes after their start.
    let safe_end = data.len().saturating_sub(SLACK);
    let step = |pos: usize, sink: &mut Sink<T>| -> Result<usize, LineError> {
        match fast_line::<T, STEP>(data, pos, &mut sink.table) {
            Some(used) => Ok(pos + used),
            None => Ok(pos + slow_line(&data[pos..], base + pos as u64, sink)?),
        }
    };
    let mut pos = 0;
    if has(STEP, Step::Lanes) {
        // Lane a: 0..mid, lane b: mid..safe_end, mid a line start. One line of each per turn.
        let middle = safe_end / 2;
        if let Some(i) = memchr(b'\n', &data[middle..safe_end]) {
            let mid = middle + i + 1;
            let (mut a, mut b) = (0, mid);
            let mut b_error = None;
            while a < mid && b < safe_end {
                a = step(a, sink)?;
                match step(b, sink) {
                    Ok(next) => b = next,
                    // Lane a's lines come first in the file: finish it before reporting this.
                    Err(e) => {
                        b_error = Some(e);
                        b = usize::MAX;
                    }
                }
            }
            while a < mid {
                a = step(a, sink)?;
            }
            if let Some(e) = b_error {
                return Err(e);
            }
            pos = b.max(mid);
        }
    }
    while pos < safe_end {
        pos = step(pos, sink)?;
    }
    // The tail: copied into a zero-padded buffer so the loads stay inside it, with a `\n`
    // after a last line that has none (the slow path still sees only the real bytes).
    if pos < data.len() {
        let rest = &data[pos..];
        let mut pad = [0u8; 2 * SLACK];
        pad[..rest.len()].copy_from_slice(rest);
        if rest.last() != Some(&b'\n') {
            pad[rest.len()] = b'\n';
        }
        let mut p = 0;
        while p < rest.len() {
            p += match fast_line::<T, STEP>(&pad, p, &mut sink.table) {
                Some(used) => used,
                None => slow_line(&rest[p..], base + (pos + p) as u64, sink)?,
            };
        }
    }
    Ok(())
}

/// One line at `pos` on the fast path: adds it and returns the bytes used, line ending
/// included, or `None` for any line it does not handle (blank, malformed, unusual).
/// `pos + SLACK <= data.len()`.
#[inline(always)]
fn fast_line<T: StationTable, const STEP: u8>(
    data: &[u8],
    pos: usize,
    table: &mut T,
) -> Option<usize> {
    debug_assert!(pos + SLACK <= data.len());
    // The first `;`, and the name's two words (see `ends::name_ends`). A `\n` before it (a
    // line without a `;`) becomes part of the name, which the table refuses (see `swar.rs`).
    let (sep, first, last) = if has(STEP, Step::Swar) {
        // SAFETY: pos + 8 <= pos + SLACK.
        let w0 = unsafe { load(data, pos) };
        // SAFETY (for the loads of the name's last word below): 8 <= `end` <= 31, so
        // pos + end - 8 .. pos + end is inside the SLACK.
        let word_before = |end: usize| unsafe { load(data, pos + end - 8) };
        // The short names' search: SSE2 over 32 bytes, or SWAR over 24; `long` is where the
        // search goes on for a longer name (8 bytes per step).
        let (short, long) = if SIMD && has(STEP, Step::Simd) {
            // SAFETY: pos + 32 <= pos + SLACK.
            let bits = unsafe { semicolons(data, pos) };
            let sep = bits.trailing_zeros() as usize;
            (
                (bits != 0).then(|| (sep, name_words(sep, w0, word_before))),
                32,
            )
        } else {
            // SAFETY: pos + 24 <= pos + SLACK.
            let (w1, w2) = unsafe { (load(data, pos + 8), load(data, pos + 16)) };
            let marks = (
                semicolon_marks(w0),
                semicolon_marks(w1),
                semicolon_marks(w2),
            );
            (
                (marks.0 | marks.1 | marks.2 != 0).then(|| short_name(w0, marks, word_before)),
                24,
            )
        };
        if let Some((sep, (first, last))) = short {
            // Names of up to 23 (SWAR) or 31 (SSE2) bytes, all but a few in a hundred: no loop,
            // and no branch on the length (see `swar::short_name`).
            (sep, first, last)
        } else {
            // Longer names: 8 bytes per step, up to byte 104.
            let mut offset = long;
            let sep = loop {
                // SAFETY: offset <= 96, so 8 bytes at pos + offset are inside the SLACK.
                let i = first_semicolon(unsafe { load(data, pos + offset) });
                if i < 8 {
                    break offset + i;
                }
                offset += 8;
                if offset > MAX_NAME_BYTES {
                    return None;
                }
            };
            // SAFETY: 24 <= sep <= 103, so 8 bytes at pos + sep - 8 are inside the SLACK.
            (sep, w0, unsafe { load(data, pos + sep - 8) })
        }
    } else {
        // The plain solver's table does not use the name's words (it hashes and compares the
        // whole name), so it does not compute them.
        let sep = memchr2(b';', b'\n', &data[pos..pos + MAX_NAME_BYTES + 1])?;
        if data[pos + sep] != b';' {
            return None; // a `\n` first: no `;` on this line
        }
        (sep, 0, 0)
    };
    // A name of 0 or over 100 bytes: the slow path says which.
    if sep.wrapping_sub(1) >= MAX_NAME_BYTES {
        return None;
    }
    // SAFETY: sep <= 100 < SLACK, so pos + sep <= data.len().
    let name = unsafe { data.get_unchecked(pos..pos + sep) };
    let at = pos + sep + 1;
    let (tenths, used) = if has(STEP, Step::Branchless) {
        // SAFETY: at + 8 <= pos + 109, within the SLACK.
        temperature(unsafe { load(data, at) })?
    } else {
        parse_temperature(&data[at..at + 8])?
    };
    // Refused only for a name with a `\n` in it: the slow path then reports the line.
    table
        .add(first, last, name, tenths)
        .then_some(sep + 1 + used)
}

/// The slow path, for a line the fast path did not accept: finds the line's end, checks it
/// with the shared rules and either adds it (never, in practice), skips it (blank, or bad with
/// `skip_bad`) or returns its error. Returns the bytes used, line ending included.
#[cold]
fn slow_line<T: StationTable>(
    line: &[u8],
    offset: u64,
    sink: &mut Sink<T>,
) -> Result<usize, LineError> {
    let (content, used) = match memchr(b'\n', line) {
        Some(i) => (&line[..i], i + 1),
        None => (line, line.len()),
    };
    match check_line(content) {
        Ok(Some((name, tenths))) => {
            let added = sink.table.add_name(name, tenths);
            debug_assert!(added, "a checked name has no `\\n`");
        }
        Ok(None) => {} // a blank line
        Err(_) if sink.skip_bad => sink.skipped += 1,
        Err(kind) => return Err(LineError { offset, kind }),
    }
    Ok(used)
}

/// The shared rules applied to one line without its `\n`: `Ok(None)` for a blank line.
fn check_line(content: &[u8]) -> Result<Option<(&[u8], i16)>, BadLine> {
    if content.len() > MAX_LINE_BYTES {
        return Err(BadLine::LineTooLong);
    }
    let Some(sep) = memchr(b';', content) else {
        return if strip_cr(content).is_empty() {
            Ok(None)
        } else {
            Err(BadLine::NoSeparator)
        };
    };
    let name = &content[..sep];
    check_name(name)?;
    let tenths = parse_tenths(strip_cr(&content[sep + 1..]))?;
    Ok(Some((name, tenths)))
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
