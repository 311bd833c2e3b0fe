//! Runs the built program the way a user does and checks what it prints and how it exits.

use std::process::{Command, Output};

fn program(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_multithreading-example"))
        .args(args)
        .output()
        .expect("the program starts")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
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
    assert!(
        text.contains("Arc<Mutex<i64>>         balance  200"),
        "{text}"
    );
    assert!(
        text.contains("Arc<AtomicI64>          balance  200"),
        "{text}"
    );
    assert!(text.contains("worker 2: panicked"), "{text}");
    assert!(
        text.contains("The program goes on with 3 results"),
        "{text}"
    );
}

#[test]
fn one_lesson_by_name_or_by_number() {
    for arg in ["scoped", "4"] {
        let out = program(&[arg]);
        let text = stdout(&out);
        assert!(out.status.success(), "{text}");
        assert!(text.contains("== Lesson 4: Scoped threads"), "{text}");
        assert!(!text.contains("== Lesson 3"), "{text}");
        assert!(text.contains("= 500500"), "{text}");
    }
}

#[test]
fn a_panicking_worker_does_not_fail_the_program() {
    let out = program(&["panics"]);
    assert!(out.status.success());
    // Rust's panic hook reports the panic on stderr, by thread name, as it happens.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("worker-2"), "{err}");
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
