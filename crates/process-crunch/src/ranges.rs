//! Splitting a file into newline-aligned byte ranges, one per worker.
//!
//! The file is cut at `n` evenly spaced byte offsets; each cut is moved forward to the next line
//! start (the byte after a `\n`). A range therefore owns exactly the lines that *start* inside
//! it, ends where the next range begins, and no line is split or counted twice. Finding a cut
//! reads only the bytes from the offset to the next newline, so splitting costs a few `pread`s,
//! not a pass over the file.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;

/// Splits a file of `len` bytes into `n` ranges (`n >= 1`) that cover `0..len` in order, each
/// starting at a line start. Ranges may be empty when the file has fewer lines than `n`.
pub fn split(file: &File, len: u64, n: usize) -> io::Result<Vec<Range<u64>>> {
    let n = n.max(1);
    let mut cuts = Vec::with_capacity(n + 1);
    cuts.push(0);
    for i in 1..n {
        let guess = (len as u128 * i as u128 / n as u128) as u64;
        let previous = *cuts.last().expect("cuts starts with 0");
        // A long line may carry one cut past the next guess: keep the cuts in order.
        let cut = if guess <= previous {
            previous
        } else {
            next_line_start(file, guess, len)?
        };
        cuts.push(cut);
    }
    cuts.push(len);
    Ok(cuts.windows(2).map(|w| w[0]..w[1]).collect())
}

/// The first line start at or after `offset`: `offset` itself when the byte before it is a
/// newline, otherwise the byte after the next `\n`, or `len` when there is none.
fn next_line_start(mut file: &File, offset: u64, len: u64) -> io::Result<u64> {
    if offset == 0 || offset >= len {
        return Ok(offset.min(len));
    }
    // Start one byte early: if that byte is the `\n`, `offset` is already a line start.
    let mut pos = offset - 1;
    file.seek(SeekFrom::Start(pos))?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let got = file.read(&mut buf)?;
        if got == 0 {
            return Ok(len);
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..got]) {
            return Ok((pos + i as u64 + 1).min(len));
        }
        pos += got as u64;
    }
}

/// The 1-based line number of the line that starts at byte `offset`: one plus the newlines
/// before it. Only the error path calls this, so every mode can name the line of a bad row
/// without counting lines while it works.
pub fn line_number_at(mut file: &File, offset: u64) -> io::Result<u64> {
    file.seek(SeekFrom::Start(0))?;
    let mut reader = file.take(offset);
    let mut buf = vec![0u8; 1 << 20];
    let mut newlines = 0u64;
    loop {
        let got = reader.read(&mut buf)?;
        if got == 0 {
            return Ok(newlines + 1);
        }
        newlines += memchr::memchr_iter(b'\n', &buf[..got]).count() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(bytes: &[u8]) -> File {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    fn check(bytes: &[u8], n: usize) -> Vec<Range<u64>> {
        let f = file_with(bytes);
        let ranges = split(&f, bytes.len() as u64, n).unwrap();
        assert_eq!(ranges.len(), n.max(1));
        assert_eq!(ranges[0].start, 0);
        assert_eq!(ranges.last().unwrap().end, bytes.len() as u64);
        for w in ranges.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
        for r in &ranges {
            assert!(r.start <= r.end);
            // Every range starts at a line start.
            assert!(r.start == 0 || r.start == r.end || bytes[r.start as usize - 1] == b'\n');
        }
        ranges
    }

    #[test]
    fn cuts_move_to_line_starts() {
        let data = b"a;1.0\nbb;2.0\nccc;3.0\ndddd;4.0\n";
        for n in 1..=40 {
            check(data, n);
        }
        // The middle guess, 15, falls inside "ccc;3.0\n" (13..21): the cut moves to 21.
        assert_eq!(check(data, 2), vec![0..21, 21..30]);
    }

    #[test]
    fn handles_empty_and_one_long_line() {
        assert_eq!(check(b"", 3), vec![0..0, 0..0, 0..0]);
        let long = vec![b'x'; 200_000];
        let ranges = check(&long, 4);
        assert_eq!(ranges[0], 0..200_000);
    }

    #[test]
    fn a_cut_on_a_line_start_stays() {
        // 6-byte lines, 2 ranges: the guess 6 is already a line start.
        assert_eq!(check(b"a;1.0\nb;2.0\n", 2), vec![0..6, 6..12]);
    }

    #[test]
    fn line_numbers() {
        let data = b"a;1.0\nb;2.0\n\nc;x\n";
        let f = file_with(data);
        assert_eq!(line_number_at(&f, 0).unwrap(), 1);
        assert_eq!(line_number_at(&f, 6).unwrap(), 2);
        assert_eq!(line_number_at(&f, 13).unwrap(), 4);
    }
}
