//! Runs the built program the way a user does and checks what it prints and how it exits.

use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_multithreading-example");

fn program(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("the program starts")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts that `text` contains `part`, and shows the text if not.
fn has(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} missing from:\n{text}");
}

const NAMES: [&str; 6] = [
    "overlap",
    "shared-state",
    "channels",
    "scoped",
    "thread-pool",
    "panics",
];

#[test]
fn help_lists_every_lesson() {
    let out = program(&["--help"]);
    assert!(out.status.success());
    let help = stdout(&out);
    for name in NAMES {
        assert!(help.contains(name), "--help does not list {name}:\n{help}");
    }
    assert!(help.contains("--workers"), "{help}");
}

#[test]
fn no_arguments_runs_every_lesson_in_order_and_exits_0() {
    let out = program(&[]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    let mut from = 0;
    for n in 1..=6 {
        let heading = format!("== Lesson {n}:");
        let at = text[from..]
            .find(&heading)
            .unwrap_or_else(|| panic!("{heading} missing or out of order:\n{text}"));
        from += at + heading.len();
    }
    has(&text, "Arc<Mutex<i64>>         balance  200");
    has(&text, "Arc<AtomicI64>          balance  200");
    has(&text, "worker 2: panicked");
    has(&text, "The program goes on with 3 results");
}

#[test]
fn one_lesson_by_name_or_by_number() {
    for arg in ["scoped", "4"] {
        let out = program(&[arg]);
        let text = stdout(&out);
        assert!(out.status.success(), "{text}");
        has(&text, "== Lesson 4: Scoped threads");
        assert!(!text.contains("== Lesson 3"), "{text}");
        has(&text, "= 500500");
    }
}

#[test]
fn a_panicking_worker_does_not_fail_the_program() {
    let out = program(&["panics"]);
    assert!(out.status.success());
    // Rust's panic hook reports the panic on stderr, by thread name, as it happens.
    let err = String::from_utf8_lossy(&out.stderr);
    has(&err, "worker-2");
}

#[test]
fn an_unknown_lesson_or_a_bad_flag_is_a_usage_error() {
    for args in [
        &["nope"][..],
        &["7"],
        &["--workers", "0"],
        &["--frobnicate"],
    ] {
        let out = program(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn json_prints_only_timing_records_on_stdout() {
    let out = program(&["--json", "--workers", "2", "thread-pool"]);
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
    assert_eq!(modes, ["sequential", "rayon"]);
    for r in &records {
        assert_eq!(r["demo"], "multithreading-example");
        assert_eq!(r["workload"], "thread-pool");
        assert_eq!(r["ok"], true);
        assert!(r["wall_ms"].as_f64().unwrap() > 0.0);
        for field in ["workers", "items", "bytes"] {
            assert!(r[field].is_u64(), "{field} in {r}");
        }
    }
    assert_eq!(records[1]["workers"], 2);
    // The lesson text went to stderr instead.
    assert!(String::from_utf8_lossy(&out.stderr).contains("speedup"));
}

#[cfg(not(target_os = "linux"))]
#[test]
#[ignore = "limits the program's threads with setrlimit(RLIMIT_AS) and RUST_MIN_STACK: Linux only"]
fn a_thread_that_cannot_start_fails_its_lesson_and_the_other_lessons_still_run() {}

#[cfg(target_os = "linux")]
#[test]
fn a_thread_that_cannot_start_fails_its_lesson_and_the_other_lessons_still_run() {
    use std::os::unix::process::CommandExt;

    // Every thread of the program gets a 64 MiB stack (RUST_MIN_STACK), and the program may
    // map 1 GiB in all (RLIMIT_AS, which holds for root too): room for the 8 threads of lesson
    // 1, not for the 64 workers asked for. One malloc arena, so that its reservations do not
    // eat the room. A bounded test: at most about 15 threads start before the limit is hit.
    const GIB: libc::rlim_t = 1 << 30;
    let mut cmd = Command::new(BIN);
    cmd.args(["--workers", "64"])
        .env("RUST_MIN_STACK", (64 << 20).to_string())
        .env("MALLOC_ARENA_MAX", "1")
        // The panic of lesson 6 prints no backtrace: symbolizing one needs memory we withheld.
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: the closure runs in the forked child before exec and only calls setrlimit, an
    // async-signal-safe system call, on a value on its stack.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: GIB,
                rlim_max: GIB,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    // Bounded: a program that hangs is killed after 60 s, and the test fails.
    let child = cmd.spawn().expect("the program starts");
    let pid = child.id() as libc::pid_t;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let out = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.expect("the program is waited for"),
        Err(_) => {
            // SAFETY: a plain system call; the child is not reaped yet, so the pid is its own.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("the program hung with threads refused");
        }
    };
    let (text, err) = (stdout(&out), String::from_utf8_lossy(&out.stderr));
    // Exit status 1, a failed lesson, not a panic (101) or an abort.
    assert_eq!(out.status.code(), Some(1), "{text}\n{err}");
    has(
        &err,
        "error: lesson channels failed: cannot start squaring worker",
    );
    // Lessons 1 and 2 ran before the limit was hit; every lesson after lesson 3 was still run.
    // (Whether lessons 4 to 6 find a thread depends on how fast the threads of the failed
    // ones exit, so only their headings are certain.)
    has(&text, "at most 8 waits at once");
    has(&text, "Arc<AtomicI64>          balance  200");
    for n in 4..=6 {
        assert!(text.contains(&format!("== Lesson {n}:")), "{text}\n{err}");
    }
    has(&err, "lesson(s) failed: channels");
}
