//! Runs the built program the way a user does and checks what it prints and how it exits.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_multiprocessing-example");

fn run_at(exe: &Path, args: &[&str]) -> Output {
    // A freshly written executable can fail to start with "text file busy" for a moment: a
    // process forked by another test thread may still hold the copy's write handle until it
    // execs. Retry that error only.
    let mut tries = 0;
    loop {
        match Command::new(exe).args(args).output() {
            Err(e) if e.raw_os_error() == Some(26 /* ETXTBSY */) && tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            result => return result.expect("the program starts"),
        }
    }
}

fn program(args: &[&str]) -> Output {
    run_at(Path::new(BIN), args)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const NAMES: [&str; 7] = [
    "spawn",
    "separate-memory",
    "pipe-queue",
    "shared-memory",
    "lock",
    "pool",
    "crash",
];

#[test]
fn help_lists_every_lesson_but_not_the_hidden_worker_mode() {
    let out = program(&["--help"]);
    assert!(out.status.success());
    let help = stdout(&out);
    for name in NAMES {
        assert!(help.contains(name), "--help does not list {name}:\n{help}");
    }
    assert!(help.contains("--workers"), "{help}");
    assert!(
        !help.contains("Commands:") && !help.contains("pool-member"),
        "{help}"
    );
}

#[test]
fn no_arguments_runs_every_lesson_in_order_and_exits_0() {
    let out = program(&[]);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut from = 0;
    for n in 1..=7 {
        let heading = format!("== Lesson {n}:");
        let at = text[from..]
            .find(&heading)
            .unwrap_or_else(|| panic!("{heading} missing or out of order:\n{text}"));
        from += at + heading.len();
    }
    assert!(
        text.contains("the parent's LIST afterwards:   []"),
        "{text}"
    );
    assert!(text.contains("with a file lock  balance  200"), "{text}");
    assert!(text.contains("exit status 101"), "{text}");
    assert!(text.contains("killed by signal 9 (SIGKILL)"), "{text}");
}

#[test]
fn one_lesson_by_name_or_by_number() {
    for arg in ["shared-memory", "4"] {
        let out = program(&[arg]);
        let text = stdout(&out);
        assert!(out.status.success(), "{text}");
        assert!(text.contains("== Lesson 4: Shared memory"), "{text}");
        assert!(!text.contains("== Lesson 3"), "{text}");
        assert!(text.contains("value 3.141592653589793"), "{text}");
    }
}

#[test]
fn an_unknown_lesson_or_a_bad_flag_is_a_usage_error() {
    for args in [
        &["nope"][..],
        &["8"],
        &["--workers", "0"],
        &["--frobnicate"],
        &["worker"],
        &["worker", "greet", "--exit-code", "300"],
    ] {
        let out = program(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn json_prints_only_timing_records_on_stdout() {
    let out = program(&["--json", "--workers", "2", "pool"]);
    assert!(out.status.success());
    let text = stdout(&out);
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    let modes: Vec<&str> = records
        .iter()
        .map(|r| r["mode"].as_str().unwrap())
        .collect();
    assert_eq!(modes, ["sequential", "processes"]);
    for r in &records {
        assert_eq!(r["demo"], "multiprocessing-example");
        assert_eq!(r["workload"], "pool");
        assert_eq!(r["ok"], true);
        assert_eq!(r["items"], 24);
        assert!(r["wall_ms"].as_f64().unwrap() > 0.0);
        assert!(r["bytes"].is_u64());
    }
    assert_eq!(records[1]["workers"], 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("speedup"));
}

#[test]
fn the_program_still_works_copied_somewhere_else_under_another_name() {
    // The children are `current_exe()`, so a lone copy of the binary is all it needs.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("lessons-copy");
    std::fs::copy(BIN, &copy).unwrap();
    for lesson in ["spawn", "pool"] {
        let out = run_at(&copy, &[lesson]);
        assert!(
            out.status.success(),
            "{lesson}: {}{}",
            stdout(&out),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_pool_member_fed_garbage_exits_1_with_a_clear_error() {
    let mut child = Command::new(BIN)
        .args(["worker", "pool-member"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A length prefix of 100 bytes, then 3 bytes, then the end of the input.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&100u32.to_le_bytes()).unwrap();
    stdin.write_all(b"{\"i").unwrap();
    drop(stdin); // closes the pipe: the worker sees the end of its input
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("promised 100 bytes, 3 arrived"), "{err}");
}
