//! Helpers shared by the integration tests: run the built binary as a user would.
#![allow(dead_code)] // each test file uses a different subset

/// Prints `SKIP: why` where the person running the tests sees it. Not `eprintln!`: the test
/// harness captures that and shows it only when the test fails, so a check that cannot run
/// here would pass silently. A write to the stderr handle itself is not captured.
#[allow(unused_macros)] // not every test file skips something
macro_rules! skip {
    ($($why:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($why)*);
    }};
}

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

pub const MODES: [&str; 4] = ["sequential", "threads", "rayon", "processes"];
pub const PARSERS: [&str; 2] = ["csv", "fast"];

/// Every mode this build has: the four, and timely (one process, `--workers` threads) when
/// the `timely` feature is on.
pub fn all_modes() -> Vec<&'static str> {
    let mut modes = MODES.to_vec();
    if cfg!(feature = "timely") {
        modes.push("timely");
    }
    modes
}

pub fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_process-crunch"));
    command.env_remove("PROCESS_CRUNCH_FAULT");
    command
}

/// Runs `process-crunch run FILE --mode M --parser P --workers W` plus `extra`.
pub fn run(file: &Path, mode: &str, parser: &str, workers: usize, extra: &[&str]) -> Output {
    bin()
        .arg("run")
        .arg(file)
        .args([
            "--mode",
            mode,
            "--parser",
            parser,
            "--workers",
            &workers.to_string(),
        ])
        .args(extra)
        .output()
        .expect("the binary runs")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Writes `bytes` to `name` in `dir` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Generates a file with the binary.
pub fn generate(dir: &Path, name: &str, rows: u64, stations: usize, seed: u64) -> PathBuf {
    let path = dir.join(name);
    let output = bin()
        .arg("generate")
        .arg(&path)
        .args(["--rows", &rows.to_string()])
        .args(["--stations", &stations.to_string()])
        .args(["--seed", &seed.to_string()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    path
}

/// Asserts that every mode with every parser, at each worker count, succeeds and prints
/// `expected` on stdout.
pub fn assert_all_modes(file: &Path, workers: &[usize], expected: &[u8]) {
    for parser in PARSERS {
        for mode in MODES {
            for &w in workers {
                let output = run(file, mode, parser, w, &[]);
                assert!(
                    output.status.success(),
                    "{mode}/{parser}/{w}: {}",
                    stderr(&output)
                );
                assert!(
                    output.stdout == expected,
                    "{mode}/{parser} with {w} workers:\n got  {}\n want {}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(expected)
                );
            }
        }
    }
}

/// An independent, obviously-correct aggregation of a valid file: split into lines, split at
/// the `;`, integers for tenths, a BTreeMap for byte order.
pub fn reference_answer(data: &[u8]) -> Vec<u8> {
    let mut map: BTreeMap<Vec<u8>, (i64, i64, i64, i64)> = BTreeMap::new();
    for line in data.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let sep = line.iter().position(|&b| b == b';').unwrap();
        let text = std::str::from_utf8(&line[sep + 1..]).unwrap();
        let tenths: i64 = text.replace('.', "").parse().unwrap();
        let e = map
            .entry(line[..sep].to_vec())
            .or_insert((i64::MAX, i64::MIN, 0, 0));
        e.0 = e.0.min(tenths);
        e.1 = e.1.max(tenths);
        e.2 += tenths;
        e.3 += 1;
    }
    let fmt = |t: i64| {
        format!(
            "{}{}.{}",
            if t < 0 { "-" } else { "" },
            t.abs() / 10,
            t.abs() % 10
        )
    };
    let mut out = b"{".to_vec();
    for (i, (name, (min, max, sum, count))) in map.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        // Round half up: floor((2 sum + count) / (2 count)).
        let mean = (2 * sum + count).div_euclid(2 * count);
        out.extend_from_slice(name);
        out.extend_from_slice(format!("={}/{}/{}", fmt(*min), fmt(mean), fmt(*max)).as_bytes());
    }
    out.extend_from_slice(b"}\n");
    out
}

/// Pids of live processes whose command line contains `needle` (zombies have none).
pub fn processes_mentioning(needle: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            if String::from_utf8_lossy(&cmdline).contains(needle) {
                pids.push(pid);
            }
        }
    }
    pids
}

/// Runs `command`, killing it and failing the test if it is still running after `limit` (see
/// [`wait_within`]).
pub fn output_within(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let out_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let (status, stderr) = wait_within(&mut child, limit);
    Output {
        status,
        stdout: out_thread.join().unwrap(),
        stderr: stderr.into_bytes(),
    }
}

/// Waits for `child` (its stderr piped) up to `limit`, reading its stderr meanwhile; kills it
/// and fails the test if it is still running: a hang guard, far above any honest run's time,
/// so that a regressed hang fails instead of blocking the test run. It is never an assertion
/// about speed.
pub fn wait_within(child: &mut Child, limit: Duration) -> (ExitStatus, String) {
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "still running after {limit:?} (a hang); stderr: {}",
                reader.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status, reader.join().unwrap())
}
