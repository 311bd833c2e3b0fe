//! Hostile files, each the regression test of a bug that gave a wrong answer, a crash or a
//! hang: a file that changes while it is read, byte order marks, blank lines before a bad
//! line, a FIFO, a 100 MB line, a reply over the size limit, a disk that fills.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::*;

fn run_args(file: &Path, mode: &str, parser: &str, workers: usize) -> Command {
    let mut command = bin();
    command
        .arg("run")
        .arg(file)
        .args(["--mode", mode, "--parser", parser])
        .args(["--workers", &workers.to_string()]);
    command
}

/// Starts a run that pauses before reading, changes the file with `change` during the pause,
/// and returns what the run printed.
fn run_changing(
    file: &Path,
    mode: &str,
    parser: &str,
    fault: &str,
    change: &dyn Fn(&Path),
) -> Output {
    let mut command = run_args(file, mode, parser, 2);
    command.env("PROCESS_CRUNCH_FAULT", fault);
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    // Wait for the pause to begin (the file is open and mapped by then).
    loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            break; // ended without pausing: the assertions below say what happened
        }
        seen.push_str(&line);
        if line.contains("pausing") {
            change(file);
            break;
        }
    }
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    seen.push_str(&rest);
    let mut stdout = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    let status = child.wait().unwrap();
    Output {
        status,
        stdout,
        stderr: seen.into_bytes(),
    }
}

#[test]
fn a_file_that_changes_while_it_is_read_is_an_error_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let truncate = |p: &Path| {
        std::fs::OpenOptions::new()
            .write(true)
            .open(p)
            .unwrap()
            .set_len(0)
            .unwrap()
    };
    // Same size, other bytes: only the modification time tells.
    let rewrite = |p: &Path| {
        let mut data = std::fs::read(p).unwrap();
        data[0] = if data[0] == b'Z' { b'Y' } else { b'Z' };
        std::fs::write(p, data).unwrap();
    };
    type Change<'a> = (&'a str, &'a dyn Fn(&Path));
    let changes: [Change; 2] = [("truncated", &truncate), ("rewritten", &rewrite)];
    for (what, change) in changes {
        for parser in PARSERS {
            for mode in all_modes() {
                let file = generate(dir.path(), "m.txt", 30_000, 50, 3);
                let output = run_changing(&file, mode, parser, "pause-read:1500", change);
                let err = stderr(&output);
                let case = format!("{what}, {mode}/{parser}");
                assert_eq!(output.status.code(), Some(1), "{case}: {err}");
                assert!(output.stdout.is_empty(), "{case}");
                assert!(
                    err.contains(&format!("{} changed while it was read", file.display())),
                    "{case}: {err}"
                );
                assert!(!err.contains("retrying"), "{case}: a retry ran: {err}");
            }
        }
    }
}

#[test]
fn a_crashed_worker_is_not_retried_against_a_replaced_file() {
    // Worker 0 pauses with the old file open, FILE is replaced by another file under the same
    // name, worker 0 then crashes: a retry would open the other file, so there is none.
    let dir = tempfile::tempdir().unwrap();
    for parser in PARSERS {
        let file = generate(dir.path(), "m.txt", 20_000, 50, 3);
        let other = generate(dir.path(), "other.txt", 20_000, 50, 4);
        let output = run_changing(
            &file,
            "processes",
            parser,
            "pause-read:1500,crash:0",
            &|p| {
                std::fs::rename(&other, p).unwrap();
            },
        );
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{parser}: {err}");
        assert!(
            err.contains("changed while it was read: it is now a different file"),
            "{parser}: {err}"
        );
        assert!(!err.contains("retrying"), "{parser}: {err}");
    }
}

#[test]
fn a_byte_order_mark_is_stripped_at_byte_0_only_by_every_parser_and_mode() {
    let dir = tempfile::tempdir().unwrap();
    // Mid-file, the mark is part of the name; at byte 0 it belongs to no line.
    let mid = write(dir.path(), "mid.txt", b"a;1.0\n\xEF\xBB\xBFa;2.0\n");
    assert_all_modes(
        &mid,
        &[1, 2, 3, 7],
        b"{a=1.0/1.0/1.0, \xEF\xBB\xBFa=2.0/2.0/2.0}\n",
    );
    let start = write(
        dir.path(),
        "start.txt",
        b"\xEF\xBB\xBFa;1.0\na;2.0\n\xEF\xBB\xBFb;3.0\n",
    );
    assert_all_modes(
        &start,
        &[1, 2, 3, 7],
        b"{a=1.0/1.5/2.0, \xEF\xBB\xBFb=3.0/3.0/3.0}\n",
    );
    // An error on line 1 of a file with a mark names byte 3, where the line starts.
    let bad = write(dir.path(), "bad.txt", b"\xEF\xBB\xBFa;x\n");
    for parser in PARSERS {
        for mode in MODES {
            let output = run(&bad, mode, parser, 2, &[]);
            assert!(
                stderr(&output).contains("line 1, byte 3: temperature `x`"),
                "{mode}/{parser}: {}",
                stderr(&output)
            );
        }
    }
}

#[test]
fn the_bad_line_after_blank_lines_is_blamed() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "blank.txt", b"a;1.0\n\n\nb;x\n");
    for parser in PARSERS {
        for mode in MODES {
            for workers in [1, 2, 3] {
                let output = run(&file, mode, parser, workers, &[]);
                let err = stderr(&output);
                assert_eq!(output.status.code(), Some(1), "{err}");
                assert!(
                    err.contains("line 4, byte 8: temperature `x`"),
                    "{mode}/{parser}/{workers}: {err}"
                );
            }
        }
    }
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[test]
fn a_fifo_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    for parser in PARSERS {
        for mode in all_modes() {
            let output = output_within(run_args(&fifo, mode, parser, 2), Duration::from_secs(20));
            let err = stderr(&output);
            assert_eq!(output.status.code(), Some(1), "{mode}/{parser}: {err}");
            assert!(
                err.contains("is not a regular file"),
                "{mode}/{parser}: {err}"
            );
        }
    }
    // The timely hostfile too.
    let file = write(dir.path(), "ok.txt", b"a;1.0\n");
    let mut command = run_args(&file, "timely", "csv", 1);
    command
        .arg("--hostfile")
        .arg(&fifo)
        .args(["--process-index", "0"]);
    let output = output_within(command, Duration::from_secs(20));
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot read the hostfile") && err.contains("not a regular file"),
        "{err}"
    );
}

/// Runs `command` and returns its output and its peak resident memory in KiB (wait4).
fn output_and_peak_kb(mut command: Command) -> (Output, i64) {
    // Reaped by the `wait4` below, which also reports its peak memory.
    #[allow(clippy::zombie_processes)]
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut err = child.stderr.unwrap();
    let err_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value to be overwritten.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; the Child handle is never waited on after this.
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid);
    use std::os::unix::process::ExitStatusExt;
    let output = Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: Vec::new(),
        stderr: err_thread.join().unwrap(),
    };
    (output, usage.ru_maxrss)
}

#[test]
fn a_100_mb_line_is_rejected_with_memory_independent_of_its_length() {
    let dir = tempfile::tempdir().unwrap();
    // Written in pieces: the children's peak memory (wait4) counts the memory this test
    // process ever held when it spawned them, so the test itself stays small.
    let file = dir.path().join("long.txt");
    {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        out.write_all(b"a;1.0\n").unwrap();
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..100 {
            out.write_all(&chunk).unwrap();
        }
        out.write_all(b";1.0\nb;2.0\n").unwrap();
    }
    let limit_kb = 60 * 1024;
    for parser in PARSERS {
        for mode in ["sequential", "processes"] {
            let (output, peak) = output_and_peak_kb(run_args(&file, mode, parser, 2));
            let err = stderr(&output);
            assert_eq!(output.status.code(), Some(1), "{mode}/{parser}: {err}");
            assert!(
                err.contains(
                    "line 2, byte 6: line is longer than 107 bytes, the longest a valid line can be"
                ),
                "{mode}/{parser}: {err}"
            );
            assert!(peak < limit_kb, "{mode}/{parser}: peak RSS {peak} KiB");

            let mut command = run_args(&file, mode, parser, 2);
            command.arg("--skip-bad");
            let (output, peak) = output_and_peak_kb(command);
            let err = stderr(&output);
            assert!(output.status.success(), "{mode}/{parser}: {err}");
            assert!(err.contains("skipped 1 malformed lines"), "{err}");
            assert!(
                peak < limit_kb,
                "{mode}/{parser} --skip-bad: peak RSS {peak} KiB"
            );
        }
    }
    // Just over the limit (108 bytes before the `\n`) is too long; 107 is judged by the rules.
    let mut name = vec![b'n'; 100];
    name.extend_from_slice(b";-99.9\r");
    let mut over = name.clone();
    over.insert(0, b'n');
    let ok = write(dir.path(), "107.txt", &[&name[..], b"\n"].concat());
    let too_long = write(
        dir.path(),
        "108.txt",
        &[b"a;1.0\n", &over[..], b"\n"].concat(),
    );
    for parser in PARSERS {
        for mode in MODES {
            assert!(run(&ok, mode, parser, 2, &[]).status.success());
            let output = run(&too_long, mode, parser, 2, &[]);
            assert!(
                stderr(&output).contains("line 2, byte 6: line is longer than 107 bytes"),
                "{mode}/{parser}: {}",
                stderr(&output)
            );
        }
    }
}

#[test]
fn a_reply_over_the_size_limit_is_reported_as_such_and_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let file = generate(dir.path(), "m.txt", 5_000, 200, 3);
    let output = bin()
        .env("PROCESS_CRUNCH_MAX_REPLY_BYTES", "100")
        .arg("run")
        .arg(&file)
        .args(["--mode", "processes", "--workers", "2", "--retries", "3"])
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("bytes, over the limit of 100 bytes; not retried"),
        "{err}"
    );
    assert!(
        !err.contains("retrying") && !err.contains("Broken pipe"),
        "{err}"
    );
}

/// A command whose writes fail once a file passes `bytes` (RLIMIT_FSIZE), as on a full disk.
fn with_file_size_limit(mut command: Command, bytes: u64) -> Command {
    // SAFETY: between fork and exec only async-signal-safe calls: signal and setrlimit.
    unsafe {
        command.pre_exec(move || {
            // Ignored, so a write past the limit fails with EFBIG instead of killing.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
}

#[test]
fn a_failed_generation_leaves_no_partial_file() {
    let cache = tempfile::tempdir().unwrap();
    let mut demo = bin();
    demo.env("XDG_CACHE_HOME", cache.path());
    let output = with_file_size_limit(demo, 1 << 20).output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot write"), "{err}");
    let left: Vec<_> = std::fs::read_dir(cache.path().join("process-crunch"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left in the cache: {left:?}");

    // `generate FILE` removes its half-written FILE too.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.txt");
    let mut generate = bin();
    generate
        .arg("generate")
        .arg(&file)
        .args(["--rows", "1000000"]);
    let output = with_file_size_limit(generate, 1 << 20).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(!file.exists(), "a half-written {} is left", file.display());
}
