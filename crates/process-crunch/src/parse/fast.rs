//! The fast parser: only what this format needs, done by hand.
//!
//! - The file is mapped into memory (memmap2): no copy into a read buffer, the kernel pages it
//!   in on demand. Pages already parsed are handed back every [`WINDOW_BYTES`], so the
//!   process's resident memory stays a window's worth, not the file's size.
//! - `memchr2` finds the `;` (or a `\n`, for a line that has none) with SIMD.
//! - The temperature is at most 5 bytes, `-?D{1,2}.D`: parsed into integer tenths in a few
//!   comparisons, and the line ending is checked right after it, so the `\n` needs no search.
//! - The name is looked up in the map as a borrowed `&[u8]` into the mapping: it is copied only
//!   the first time a station is seen. No UTF-8 validation, no allocation per line.
//!
//! Any line the fast path does not accept goes to the slow path, which applies the shared
//! rules in `parse/mod.rs`: so the accepted lines and the error messages are those of the csv
//! parser, byte for byte.

use std::fs::File;
use std::io;
use std::ops::Range;

use memchr::{memchr, memchr2, memrchr};
use memmap2::Mmap;

use super::{
    check_name, parse_tenths, strip_cr, BadLine, LineError, MAX_LINE_BYTES, MAX_NAME_BYTES,
};
use crate::stats::Partial;

/// How much of the mapping is parsed before its pages are released.
const WINDOW_BYTES: usize = 16 << 20;

/// Maps `file` read-only and tells the kernel it will be read sequentially (more read-ahead).
pub fn map_file(file: &File) -> io::Result<Mmap> {
    // SAFETY: the mapping is read-only and we never write through it. Another process that
    // truncates or rewrites the file while we read it breaks the promise that the bytes do
    // not change (the usual caveat of mmap): a truncation raises SIGBUS, which is reported as
    // "FILE changed while it was read" (`file::report_sigbus`, or the parent of a worker), and
    // a rewrite changes the file's modification time, which `Input::aggregate_range` checks
    // after reading, so the bytes read are thrown away with that same error.
    let map = unsafe { Mmap::map(file)? };
    #[cfg(unix)]
    map.advise(memmap2::Advice::Sequential)?;
    Ok(map)
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
    let end = range.end as usize;
    let mut partial = Partial::default();
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
                    parse_lines(&map[pos..start], pos as u64, &mut partial, skip_bad)?;
                    release(map, pos, start);
                    if !skip_bad {
                        let kind = BadLine::LineTooLong;
                        return Err(LineError {
                            offset: start as u64,
                            kind,
                        });
                    }
                    partial.skipped += 1;
                    pos = skip_line(map, start, end);
                    continue;
                }
            }
        }
        parse_lines(&map[pos..cut], pos as u64, &mut partial, skip_bad)?;
        release(map, pos, cut);
        pos = cut;
    }
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

/// Parses whole lines in `data`, which starts at byte `base` of the file.
fn parse_lines(
    data: &[u8],
    base: u64,
    partial: &mut Partial,
    skip_bad: bool,
) -> Result<(), LineError> {
    let mut pos = 0;
    while pos < data.len() {
        let line = &data[pos..];
        // The first `;` or `\n`: a `\n` first means the line has no `;`.
        let sep = match memchr2(b';', b'\n', line) {
            Some(i) if line[i] == b';' => i,
            _ => {
                pos += slow_line(line, base + pos as u64, partial, skip_bad)?;
                continue;
            }
        };
        let name = &line[..sep];
        // One comparison checks both 1 <= len and len <= 100.
        if name.len().wrapping_sub(1) < MAX_NAME_BYTES {
            if let Some((tenths, used)) = parse_temperature(&line[sep + 1..]) {
                partial.add(name, tenths);
                pos += sep + 1 + used;
                continue;
            }
        }
        pos += slow_line(line, base + pos as u64, partial, skip_bad)?;
    }
    Ok(())
}

/// Parses `-?D{1,2}.D` and the line ending after it (`\n`, `\r\n` or the end of the data).
/// Returns the tenths and the bytes used, line ending included; `None` for anything else.
#[inline]
fn parse_temperature(t: &[u8]) -> Option<(i16, usize)> {
    let (negative, mut i) = match t.first() {
        Some(b'-') => (true, 1),
        _ => (false, 0),
    };
    let d0 = digit(t, i)?;
    let value = if t.get(i + 1) == Some(&b'.') {
        let d1 = digit(t, i + 2)?;
        i += 3;
        d0 * 10 + d1
    } else {
        let d1 = digit(t, i + 1)?;
        if t.get(i + 2) != Some(&b'.') {
            return None;
        }
        let d2 = digit(t, i + 3)?;
        i += 4;
        d0 * 100 + d1 * 10 + d2
    };
    let used = match t.get(i) {
        None => i,
        Some(b'\n') => i + 1,
        Some(b'\r') => match t.get(i + 1) {
            None => i + 1,
            Some(b'\n') => i + 2,
            Some(_) => return None,
        },
        Some(_) => return None,
    };
    Some((if negative { -value } else { value }, used))
}

#[inline]
fn digit(t: &[u8], i: usize) -> Option<i16> {
    match t.get(i) {
        Some(&b) if b.is_ascii_digit() => Some(i16::from(b - b'0')),
        _ => None,
    }
}

/// The slow path, for a line the fast path did not accept: finds the line's end, checks it
/// with the shared rules and either adds it (never, in practice), skips it (blank, or bad with
/// `skip_bad`) or returns its error. Returns the bytes used, line ending included.
#[cold]
fn slow_line(
    line: &[u8],
    offset: u64,
    partial: &mut Partial,
    skip_bad: bool,
) -> Result<usize, LineError> {
    let (content, used) = match memchr(b'\n', line) {
        Some(i) => (&line[..i], i + 1),
        None => (line, line.len()),
    };
    match check_line(content) {
        Ok(Some((name, tenths))) => partial.add(name, tenths),
        Ok(None) => {} // a blank line
        Err(_) if skip_bad => partial.skipped += 1,
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

/// Hands the pages wholly inside `from..to` back to the kernel (Unix only).
#[cfg(unix)]
fn release(map: &Mmap, from: usize, to: usize) {
    // SAFETY (sysconf): no preconditions.
    let page = match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        p if p > 0 => p as usize,
        _ => return,
    };
    let start = from.div_ceil(page) * page;
    let end = to / page * page;
    if end > start {
        // SAFETY: the mapping is a read-only, shared mapping of a file. MADV_DONTNEED only
        // drops our page-table entries: the next access (by any thread) faults the same file
        // page back in from the page cache, so no reader can see different bytes. It only
        // makes the resident set shrink. A failure here is harmless, so it is ignored.
        let _ = unsafe {
            map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
        };
    }
}

#[cfg(not(unix))]
fn release(_map: &Mmap, _from: usize, _to: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_temperature_agrees_with_the_rule() {
        let endings: [&[u8]; 4] = [b"", b"\n", b"\r\n", b"\r"];
        for text in [
            "0.0", "-0.0", "1.5", "-1.5", "99.9", "-99.9", "09.9", "100.0", "1.23", "1.", "-", "",
            "+1.0", "1,5", "-.5", ".5", "12", "1.0x", "1.0\r\r", "1.0 ",
        ] {
            for ending in endings {
                let mut t = text.as_bytes().to_vec();
                t.extend_from_slice(ending);
                let fast = parse_temperature(&t).map(|(tenths, used)| {
                    assert_eq!(used, t.len(), "{t:?}");
                    tenths
                });
                assert_eq!(fast, parse_tenths(text.as_bytes()).ok(), "{t:?}");
            }
        }
    }

    #[test]
    fn check_line_rules() {
        assert_eq!(check_line(b""), Ok(None));
        assert_eq!(check_line(b"\r"), Ok(None));
        assert_eq!(check_line(b"abc"), Err(BadLine::NoSeparator));
        assert_eq!(check_line(b";1.0"), Err(BadLine::EmptyName));
        assert_eq!(check_line(b"a;1.0\r"), Ok(Some((&b"a"[..], 10))));
        assert_eq!(
            check_line(b"a;b;1.0"),
            Err(BadLine::NotANumber("b;1.0".into()))
        );
    }
}
