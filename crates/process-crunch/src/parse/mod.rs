//! The two parsers and what they share: the rules for a valid line and the errors for a bad one.
//!
//! A line is `name;temperature` followed by `\n` (or `\r\n`, or the end of the file):
//! - the name is 1 to 100 bytes, anything but `;` and `\n` (kept as raw bytes, not checked for
//!   UTF-8: that is the file's business, and the output writes the same bytes back);
//! - the temperature is `-?D{1,2}.D`: an optional minus, one or two digits, a dot and exactly
//!   one digit, so it lies in [-99.9, 99.9] by construction.
//!
//! Blank lines (empty, or a lone `\r`) are skipped, as the csv crate skips them.
//!
//! Decided once, for both parsers, every mode and every worker count:
//! - a UTF-8 byte order mark (`EF BB BF`) at byte 0 of the file is not part of any line (line
//!   1 starts after it, at byte 3); anywhere else those bytes are ordinary name bytes;
//! - no valid line is longer than [`MAX_LINE_BYTES`] before its `\n`, so a longer one is
//!   malformed as soon as that many bytes have been seen, whatever follows: no parser holds
//!   more of a line than that in memory.
//!
//! Both parsers expose the same function, `aggregate_range(input, range, skip_bad)`, returning a
//! [`Partial`] for the lines that start inside `range`. Every mode calls it: the modes differ
//! only in how they hand out ranges and merge the partial results.

pub mod csv;
mod ends;
pub mod fast;
mod mapping;
mod plain;
mod simd;
mod swar;
mod table;

use std::fmt;
use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::file::{open_regular, FileIdentity};
use crate::stats::Partial;

/// Longest station name accepted, in bytes (the 1BRC rules).
pub const MAX_NAME_BYTES: usize = 100;

/// Longest valid line before its `\n`: a 100-byte name, `;`, `-99.9` and a `\r`.
pub const MAX_LINE_BYTES: usize = MAX_NAME_BYTES + 1 + 5 + 1;

/// The UTF-8 byte order mark, skipped at byte 0 of the file only.
pub const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// Which parser reads the lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum, Serialize, Deserialize)]
pub enum Parser {
    /// The csv crate: `;` delimiter, no quoting, a reused `ByteRecord`, a large buffer.
    Csv,
    /// Hand-written: the file mapped into memory, memchr for `;`, integer tenths by hand.
    Fast,
}

impl Parser {
    /// Both parsers, csv first (the default and the baseline).
    pub const ALL: [Parser; 2] = [Parser::Csv, Parser::Fast];

    /// The name used on the command line and in the JSON record's `workload` field.
    pub fn name(self) -> &'static str {
        match self {
            Parser::Csv => "csv",
            Parser::Fast => "fast",
        }
    }
}

impl fmt::Display for Parser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What is wrong with a malformed line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum BadLine {
    #[error("no `;` between station name and temperature")]
    NoSeparator,
    #[error("empty station name")]
    EmptyName,
    #[error("station name is {0} bytes long, over the limit of 100")]
    NameTooLong(usize),
    #[error("temperature `{0}` is not a number with exactly one decimal (like -12.3)")]
    NotANumber(String),
    #[error("temperature `{0}` is out of range [-99.9, 99.9]")]
    OutOfRange(String),
    #[error("line is longer than {MAX_LINE_BYTES} bytes, the longest a valid line can be")]
    LineTooLong,
}

/// A malformed line and the byte offset of its start in the file. The line number is worked
/// out later, only if the error is reported (see [`crate::ranges::line_number_at`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("bad line at byte {offset}: {kind}")]
pub struct LineError {
    /// Byte offset of the start of the line.
    pub offset: u64,
    /// What is wrong with it.
    pub kind: BadLine,
}

/// Why aggregating a range failed.
#[derive(Debug, thiserror::Error)]
pub enum AggregateError {
    #[error(transparent)]
    Line(#[from] LineError),
    /// (The field is not called `source`, so the message is shown once, not again as a cause.)
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: io::Error },
    /// The file is not the one the run started with: truncated, rewritten or replaced.
    #[error("{} changed while it was read: {detail}", path.display())]
    Changed { path: PathBuf, detail: String },
}

impl AggregateError {
    /// Wraps an I/O error with the file's path.
    pub fn io(path: &Path, error: io::Error) -> Self {
        AggregateError::Io {
            path: path.to_path_buf(),
            error,
        }
    }

    /// The file changed under us: `detail` says how.
    pub fn changed(path: &Path, detail: impl Into<String>) -> Self {
        AggregateError::Changed {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }
}

/// An open input file, ready for either parser. It is `Sync`: the threads and rayon modes
/// share one `Input`, and each worker process (or timely worker) opens its own.
pub struct Input {
    path: PathBuf,
    file: File,
    /// What the file was when it was opened: every range read is checked against it.
    identity: FileIdentity,
    /// 3 when the file starts with a byte order mark (line 1 starts after it), else 0.
    skip: u64,
    /// The whole file mapped read-only, for the fast parser (`None` for csv and empty files:
    /// a zero-length file cannot be mapped).
    map: Option<memmap2::Mmap>,
}

impl Input {
    /// Opens `path` for `parser`. Fails with the path named when the file cannot be opened,
    /// is not a regular file (refused at once: a FIFO is never waited on) or cannot be mapped.
    pub fn open(path: &Path, parser: Parser) -> Result<Input, AggregateError> {
        let io_err = |e| AggregateError::io(path, e);
        let (file, meta) = open_regular(path).map_err(io_err)?;
        let identity = FileIdentity::of(&meta);
        let mut head = [0u8; 3];
        let got = file.read_at(&mut head, 0).map_err(io_err)?;
        let skip = if got == 3 && &head == BOM { 3 } else { 0 };
        let map = match parser {
            Parser::Fast if identity.size > 0 => Some(mapping::map_file(&file).map_err(io_err)?),
            _ => None,
        };
        Ok(Input {
            path: path.to_path_buf(),
            file,
            identity,
            skip,
            map,
        })
    }

    /// Opens `path` and checks that it is still the file the run started with (a worker
    /// process opens FILE after its parent did).
    pub fn open_expecting(
        path: &Path,
        parser: Parser,
        expected: &FileIdentity,
    ) -> Result<Input, AggregateError> {
        let input = Input::open(path, parser)?;
        match expected.difference(&input.identity) {
            Some(detail) => Err(AggregateError::changed(path, detail)),
            None => Ok(input),
        }
    }

    /// The file's length in bytes.
    pub fn len(&self) -> u64 {
        self.identity.size
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.identity.size == 0
    }

    /// The identity recorded when the file was opened.
    pub fn identity(&self) -> &FileIdentity {
        &self.identity
    }

    /// The path the file was opened by.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Errs with "FILE changed while it was read" when the open file's `fstat` no longer
    /// matches what was recorded when it was opened.
    pub fn check_unchanged(&self) -> Result<(), AggregateError> {
        let meta = self
            .file
            .metadata()
            .map_err(|e| AggregateError::io(&self.path, e))?;
        match self.identity.difference(&FileIdentity::of(&meta)) {
            Some(detail) => Err(AggregateError::changed(&self.path, detail)),
            None => Ok(()),
        }
    }

    /// Like [`Input::check_unchanged`], for the file now at the path: what a process that
    /// opens FILE afresh (a retried worker) would read.
    pub fn check_path_unchanged(&self) -> Result<(), AggregateError> {
        let meta = std::fs::metadata(&self.path).map_err(|e| AggregateError::io(&self.path, e))?;
        match self.identity.difference(&FileIdentity::of(&meta)) {
            Some(detail) => Err(AggregateError::changed(&self.path, detail)),
            None => Ok(()),
        }
    }

    /// Splits the file into `n` newline-aligned ranges (see [`crate::ranges::split`]).
    pub fn split(&self, n: usize) -> Result<Vec<Range<u64>>, AggregateError> {
        crate::ranges::split(&self.file, self.len(), n)
            .map_err(|e| AggregateError::io(&self.path, e))
    }

    /// Aggregates the lines that start inside `range` with the parser this input was opened
    /// for. With `skip_bad`, malformed lines are counted in [`Partial::skipped`]; without it,
    /// the first one is the error.
    ///
    /// Afterwards the file's identity is checked again: if it changed while the range was
    /// read, that is the error, whatever the parser made of the bytes it saw.
    pub fn aggregate_range(
        &self,
        range: Range<u64>,
        skip_bad: bool,
    ) -> Result<Partial, AggregateError> {
        crate::fault::pause_if_asked();
        let len = self.len();
        // The byte order mark belongs to no line: range 0 starts after it.
        let start = range.start.max(self.skip).min(len);
        let range = start..range.end.min(len).max(start);
        let result = match &self.map {
            Some(map) => fast::aggregate_range(map, range, skip_bad).map_err(AggregateError::from),
            None if range.is_empty() => Ok(Partial::default()),
            None => csv::aggregate_range(&self.file, &self.path, range, skip_bad),
        };
        self.check_unchanged()?;
        result
    }

    /// The fast parser with only the techniques up to `step` (for `bench --steps`). Needs an
    /// input opened for [`Parser::Fast`].
    pub fn aggregate_range_step(
        &self,
        range: Range<u64>,
        skip_bad: bool,
        step: fast::Step,
    ) -> Result<Partial, AggregateError> {
        let len = self.len();
        let start = range.start.max(self.skip).min(len);
        let range = start..range.end.min(len).max(start);
        let result = match &self.map {
            Some(map) => fast::aggregate_range_step(map, range, skip_bad, step)?,
            None => Partial::default(), // an empty file
        };
        self.check_unchanged()?;
        Ok(result)
    }
}

/// Checks a station name.
#[inline]
pub fn check_name(name: &[u8]) -> Result<(), BadLine> {
    if name.is_empty() {
        Err(BadLine::EmptyName)
    } else if name.len() > MAX_NAME_BYTES {
        Err(BadLine::NameTooLong(name.len()))
    } else {
        Ok(())
    }
}

/// Parses a temperature field (without its line ending) into tenths: `-?D{1,2}.D` exactly.
/// This is the reference rule; the fast parser inlines the same steps and falls back to this
/// function to name the error.
pub fn parse_tenths(field: &[u8]) -> Result<i16, BadLine> {
    let (negative, digits) = match field.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, field),
    };
    let value = match *digits {
        [a, b'.', c] if is_digit(a) && is_digit(c) => digit(a) * 10 + digit(c),
        [a, b, b'.', c] if is_digit(a) && is_digit(b) && is_digit(c) => {
            digit(a) * 100 + digit(b) * 10 + digit(c)
        }
        _ => return Err(classify_bad_number(field)),
    };
    Ok(if negative { -value } else { value })
}

#[inline]
fn is_digit(b: u8) -> bool {
    b.is_ascii_digit()
}

#[inline]
fn digit(b: u8) -> i16 {
    i16::from(b - b'0')
}

/// Names what is wrong with a temperature that failed the strict rule: a well-formed number
/// with too many integer digits (`100.0`, `-123.4`) is out of range, anything else is not a
/// number with one decimal. The text is quoted in the message, shortened if long.
fn classify_bad_number(field: &[u8]) -> BadLine {
    let digits = field.strip_prefix(b"-").unwrap_or(field);
    let well_formed = match digits.iter().position(|&b| b == b'.') {
        Some(dot) => {
            dot > 0
                && digits[..dot].iter().all(u8::is_ascii_digit)
                && digits.len() == dot + 2
                && is_digit(digits[dot + 1])
        }
        None => false,
    };
    let mut text = String::from_utf8_lossy(&field[..field.len().min(40)]).into_owned();
    if field.len() > 40 {
        text.push('…');
    }
    if well_formed {
        BadLine::OutOfRange(text)
    } else {
        BadLine::NotANumber(text)
    }
}

/// Strips one trailing `\r` (a `\r\n` line ending).
#[inline]
pub fn strip_cr(field: &[u8]) -> &[u8] {
    field.strip_suffix(b"\r").unwrap_or(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_temperatures() {
        for (text, tenths) in [
            ("0.0", 0),
            ("-0.0", 0),
            ("1.5", 15),
            ("-1.5", -15),
            ("99.9", 999),
            ("-99.9", -999),
            ("09.9", 99),
            ("12.3", 123),
        ] {
            assert_eq!(parse_tenths(text.as_bytes()), Ok(tenths), "{text}");
        }
    }

    #[test]
    fn rejects_and_classifies_bad_temperatures() {
        for text in ["100.0", "-100.0", "123.4"] {
            assert!(
                matches!(parse_tenths(text.as_bytes()), Err(BadLine::OutOfRange(_))),
                "{text}"
            );
        }
        for text in [
            "", "-", "1", "1.", ".5", "1.23", "+1.0", "1,5", "abc", "1.0 ", " 1.0", "--1.0", "1e1",
            "-.5", "1.0\r",
        ] {
            assert!(
                matches!(parse_tenths(text.as_bytes()), Err(BadLine::NotANumber(_))),
                "{text:?}"
            );
        }
    }

    #[test]
    fn checks_names() {
        assert_eq!(check_name(b""), Err(BadLine::EmptyName));
        assert_eq!(check_name(&[b'a'; 100]), Ok(()));
        assert_eq!(check_name(&[b'a'; 101]), Err(BadLine::NameTooLong(101)));
    }
}
