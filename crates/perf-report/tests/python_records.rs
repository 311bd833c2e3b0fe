//! The Python baseline's timing records (`python/cpu_vs_io.py --json`, `python/crunch.py
//! --json`) parse with the reader the report uses for the Rust demos' records.
//!
//! The scripts live outside this crate (`../../python/` from the manifest), and a machine may
//! have no `python3`: either way each test prints a `SKIP:` line and passes, since the crate
//! must also build and test when copied out of the workspace alone.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use perf_report::records::parse_records;

/// The path of `python/NAME`, or `None` (with a SKIP line) when it or `python3` is missing.
fn script(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../python")
        .join(name);
    if !path.is_file() {
        // Straight to the stderr handle: the harness captures `eprintln!` of a passing test,
        // and a skip must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "SKIP: {} not found (is this crate outside the workspace?)",
            path.display()
        );
        return None;
    }
    match Command::new("python3").arg("--version").output() {
        Ok(out) if out.status.success() => Some(path),
        _ => {
            let _ = writeln!(std::io::stderr(), "SKIP: no python3 on PATH");
            None
        }
    }
}

fn run(script: &Path, args: &[&str]) -> Output {
    let out = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{} {args:?} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn cpu_vs_io_records_parse() {
    let Some(script) = script("cpu_vs_io.py") else {
        return;
    };
    // Tiny: 2 tasks of 100 numbers, waits of 1 ms.
    let out = run(
        &script,
        &[
            "--workload",
            "all",
            "--tasks",
            "2",
            "--cpu-size",
            "100",
            "--latency-ms",
            "1",
            "--workers",
            "2",
            "--json",
        ],
    );
    let text = String::from_utf8(out.stdout).expect("records are UTF-8");
    let records = parse_records(&text, "cpu_vs_io.py --json").unwrap();
    let modes = [
        "sequential",
        "threading",
        "thread-pool",
        "process-pool",
        "process-per-task",
        "asyncio",
    ];
    assert_eq!(records.len(), 3 * modes.len(), "{text}");
    for record in &records {
        assert_eq!(record.demo, "cpu-vs-io");
        assert!(modes.contains(&record.mode.as_str()), "{record:?}");
        assert!(
            ["cpu", "io-sleep", "io-tcp"].contains(&record.workload()),
            "{record:?}"
        );
        assert_eq!(record.items, 2);
        assert!(record.ok, "{record:?}");
        assert_eq!(record.errors, Some(0));
    }
    // The fields the reader does not model (yet) are in every line too.
    for line in text.lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(value["language"], "python");
        assert!(value["gil_enabled"].is_boolean(), "{line}");
        assert!(value["python_version"].is_string(), "{line}");
    }
}

#[test]
fn crunch_records_parse_and_pass_the_binarys_check() {
    let Some(script) = script("crunch.py") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("measurements.txt");
    std::fs::write(&data, "a;1.0\nb;-2.5\na;3.0\n").unwrap();
    let mut text = String::new();
    for args in [
        &["--mode", "sequential", "--json"][..],
        &["--mode", "process-pool", "--workers", "2", "--json"],
    ] {
        let mut all = vec![data.to_str().unwrap()];
        all.extend_from_slice(args);
        text.push_str(&String::from_utf8(run(&script, &all).stdout).unwrap());
    }
    let records = parse_records(&text, "crunch.py --json").unwrap();
    assert_eq!(records.len(), 2, "{text}");
    for record in &records {
        assert_eq!(
            (
                record.demo.as_str(),
                record.workload(),
                record.items,
                record.bytes
            ),
            ("process-crunch", "csv", 3, 19)
        );
    }
    assert_eq!(records[1].mode, "process-pool");
    assert_eq!(records[1].workers, 2);

    // The binary's own validation, as scripts/run_all.sh would run it.
    let results = dir.path().join("python.jsonl");
    std::fs::write(&results, &text).unwrap();
    let check = Command::new(env!("CARGO_BIN_EXE_perf-report"))
        .arg(&results)
        .arg("--check")
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}
