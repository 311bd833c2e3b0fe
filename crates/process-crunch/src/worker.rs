//! The child's side of the processes mode: the hidden `worker` command.
//!
//! A worker aggregates one byte range and writes one frame (`frame.rs`) to stdout. It always
//! exits 0 once its reply is written, even when the reply is a bad line or an unreadable file:
//! those are answers, and the parent reports them. A non-zero exit or a signal means the
//! worker crashed, and only then does the parent retry the range.
//!
//! The fault switch `PROCESS_CRUNCH_FAULT` makes chosen workers misbehave, for the tests and
//! for seeing the supervisor work. It is a comma-separated list of:
//! - `crash:K`: worker K writes half its frame and aborts, on its first attempt only, so a
//!   retry succeeds;
//! - `crash-always:K`: the same on every attempt, so retries run out;
//! - `hang:K`: worker K sleeps for an hour before working, so only a kill ends it;
//! - `hang-once:K`: the same on its first attempt only, so `--worker-timeout-s` and a retry
//!   get the run through;
//! - `pause-read:MS` (every mode, not only workers): the first range a process reads waits MS
//!   milliseconds after FILE is open (and mapped) and says so on stderr, so a test can change
//!   the file at exactly that moment.

use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::process::ExitCode;
use std::time::Duration;

use crate::fault::FAULT_ENV;
use crate::file::FileIdentity;
use crate::frame::{self, Reply};
use crate::parse::{AggregateError, Input, Parser};

/// What the parent tells a worker, besides the range.
#[derive(Clone, Debug)]
pub struct Task {
    pub path: std::path::PathBuf,
    pub range: Range<u64>,
    pub parser: Parser,
    pub skip_bad: bool,
    pub index: usize,
    pub attempt: u32,
    /// FILE as the parent found it: a worker that finds anything else reports `Changed`.
    pub identity: FileIdentity,
    /// Largest reply payload the parent accepts.
    pub max_reply: u64,
}

/// Runs one worker task. A SIGBUS here (FILE truncated under the memory map) is left to kill
/// the process: the parent sees signal 7 and reports the file as changed, without a retry.
pub fn run(task: &Task) -> ExitCode {
    let (path, index) = (task.path.as_path(), task.index);
    let fault = Fault::from_env(index, task.attempt);
    if fault == Fault::Hang {
        std::thread::sleep(Duration::from_secs(3600));
    }

    let reply = match Input::open_expecting(path, task.parser, &task.identity)
        .and_then(|input| input.aggregate_range(task.range.clone(), task.skip_bad))
    {
        Ok(partial) => Reply::Done(partial),
        Err(AggregateError::Line(line)) => Reply::BadLine(line),
        Err(AggregateError::Changed { detail, .. }) => Reply::Changed(detail),
        Err(e) => Reply::Failed(e.to_string()),
    };
    // A reply over the parent's limit is refused there: say so in a small reply instead.
    let reply = match &reply {
        Reply::Done(_) => match bincode::serialized_size(&reply) {
            Ok(size) if size > task.max_reply => Reply::TooLarge(size),
            _ => reply,
        },
        _ => reply,
    };

    // Rust's stdout is line-buffered: a binary frame would be flushed at every 0x0A byte in
    // it. A BufWriter sends it in large writes; `write_frame` flushes at the end.
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    if fault == Fault::Crash {
        crash(&mut out, &reply);
    }
    match frame::write_frame(&mut out, &reply) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Most likely the parent is gone and the pipe closed.
            eprintln!("process-crunch worker {index}: cannot send the reply: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What the fault switch asks of this worker.
#[derive(Debug, PartialEq, Eq)]
enum Fault {
    None,
    Crash,
    Hang,
}

impl Fault {
    fn from_env(index: usize, attempt: u32) -> Fault {
        match std::env::var(FAULT_ENV) {
            Ok(spec) => Fault::parse(&spec, index, attempt),
            Err(_) => Fault::None,
        }
    }

    fn parse(spec: &str, index: usize, attempt: u32) -> Fault {
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let parsed = item
                .split_once(':')
                .and_then(|(kind, k)| Some((kind, k.parse::<usize>().ok()?)));
            match parsed {
                Some(("crash", k)) if k == index && attempt == 0 => return Fault::Crash,
                Some(("crash-always", k)) if k == index => return Fault::Crash,
                Some(("hang", k)) if k == index => return Fault::Hang,
                Some(("hang-once", k)) if k == index && attempt == 0 => return Fault::Hang,
                Some(("crash" | "crash-always" | "hang" | "hang-once" | "pause-read", _)) => {}
                _ => eprintln!(
                    "process-crunch worker {index}: ignoring unknown fault `{item}` in {FAULT_ENV}"
                ),
            }
        }
        Fault::None
    }
}

/// Writes the first half of the frame, then aborts: the parent must see a crash, not a short
/// answer. Core dumps are switched off first so the test suite leaves no core files.
fn crash(out: &mut impl Write, reply: &Reply) -> ! {
    let mut frame = Vec::new();
    let _ = frame::write_frame(&mut frame, reply);
    let _ = out.write_all(&frame[..frame.len() / 2]);
    let _ = out.flush();
    #[cfg(unix)]
    {
        let no_core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: setrlimit reads the struct we pass; failure only means a core file.
        unsafe { libc::setrlimit(libc::RLIMIT_CORE, &no_core) };
    }
    std::process::abort()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_fault_switch() {
        assert_eq!(Fault::parse("crash:1", 1, 0), Fault::Crash);
        assert_eq!(Fault::parse("crash:1", 1, 1), Fault::None);
        assert_eq!(Fault::parse("crash:1", 0, 0), Fault::None);
        assert_eq!(Fault::parse("crash-always:2", 2, 5), Fault::Crash);
        assert_eq!(Fault::parse("hang:0, crash:1", 0, 0), Fault::Hang);
        assert_eq!(Fault::parse("hang:0,crash:1", 1, 0), Fault::Crash);
        assert_eq!(Fault::parse("nonsense", 0, 0), Fault::None);
        assert_eq!(Fault::parse("", 0, 0), Fault::None);
    }
}
