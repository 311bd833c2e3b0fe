//! The generator, the JSON record and the bench command, run as a user would.

mod common;

use common::*;

#[test]
fn generate_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let a = std::fs::read(generate(dir.path(), "a.txt", 20_000, 413, 1)).unwrap();
    let b = std::fs::read(generate(dir.path(), "b.txt", 20_000, 413, 1)).unwrap();
    let c = std::fs::read(generate(dir.path(), "c.txt", 20_000, 413, 2)).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.iter().filter(|&&b| b == b'\n').count(), 20_000);
    // A longer file with the same seed starts with the same rows.
    let longer = std::fs::read(generate(dir.path(), "d.txt", 30_000, 413, 1)).unwrap();
    assert!(longer.starts_with(&a));
    // No rows, no bytes.
    let empty = std::fs::read(generate(dir.path(), "e.txt", 0, 413, 1)).unwrap();
    assert!(empty.is_empty());
}

#[test]
fn json_record_has_the_contract_fields() {
    let dir = tempfile::tempdir().unwrap();
    let file = generate(dir.path(), "m.txt", 5_000, 50, 3);
    let size = std::fs::metadata(&file).unwrap().len();
    for parser in PARSERS {
        for mode in MODES {
            let output = run(&file, mode, parser, 2, &["--json"]);
            assert!(output.status.success(), "{}", stderr(&output));
            let text = String::from_utf8(output.stdout.clone()).unwrap();
            assert_eq!(
                text.lines().count(),
                1,
                "one record and nothing else: {text}"
            );
            let record: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(record["demo"], "process-crunch");
            assert_eq!(record["mode"], mode);
            assert_eq!(record["workload"], parser);
            assert_eq!(record["workers"], if mode == "sequential" { 1 } else { 2 });
            assert_eq!(record["items"], 5_000);
            assert_eq!(record["bytes"], size);
            assert_eq!(record["ok"], true);
            assert_eq!(record["errors"], 0);
            assert_eq!(record["stations"], 50);
            assert!(record["wall_ms"].as_f64().unwrap() > 0.0);
            if mode == "processes" {
                assert!(record["spawn_ms"].as_f64().unwrap() > 0.0);
                assert!(record["reply_bytes"].as_u64().unwrap() > 0);
                assert_eq!(record["retried"], 0);
            }
            // The result line moved to stderr.
            assert!(stderr(&output).starts_with("{Abha="), "{}", stderr(&output));
        }
    }
}

#[test]
fn bench_runs_every_mode_with_both_parsers() {
    let dir = tempfile::tempdir().unwrap();
    let file = generate(dir.path(), "m.txt", 5_000, 100, 4);
    let output = bin()
        .arg("bench")
        .arg(&file)
        .args(["--runs", "1", "--workers", "2", "--json"])
        .output()
        .unwrap();
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    let records: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 8);
    for parser in PARSERS {
        for mode in MODES {
            assert!(records
                .iter()
                .any(|r| r["mode"] == mode && r["workload"] == parser));
        }
    }
    assert!(err.contains("All outputs identical"), "{err}");
    // The table (on stderr with --json): one row per parser and mode.
    let rows = err
        .lines()
        .filter(|l| {
            let mut words = l.split_whitespace();
            matches!(words.next(), Some("csv" | "fast"))
                && matches!(words.next(), Some(m) if MODES.contains(&m))
        })
        .count();
    assert_eq!(rows, 8, "{err}");
}

#[test]
fn bench_steps_and_an_outside_command_in_one_loop() {
    let dir = tempfile::tempdir().unwrap();
    let file = generate(dir.path(), "m.txt", 5_000, 100, 4);
    // The outside command: this program itself, so its output must match byte for byte.
    let cmd = format!(
        "{} run {{}} --mode sequential --parser csv 2>/dev/null",
        env!("CARGO_BIN_EXE_process-crunch")
    );
    let output = bin()
        .arg("bench")
        .arg(&file)
        .args(["--steps", "--runs", "2", "--json", "--compare-cmd", &cmd])
        .output()
        .unwrap();
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    let records: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // 6 steps + the outside command, 2 alternating rounds.
    assert_eq!(records.len(), 14);
    assert_eq!(records[0]["workload"], "fast-step-plain");
    assert_eq!(records[3]["workload"], "fast-step-table");
    assert_eq!(records[4]["workload"], "fast-step-sse2");
    assert_eq!(records[6]["mode"], "compare-cmd");
    assert_eq!(records[7]["round"], 1);
    for step in [
        "plain",
        "+swar",
        "+branchless",
        "+table",
        if cfg!(target_arch = "x86_64") {
            "+sse2 search (= fast)"
        } else {
            "+sse2 search (n/a: = +table)"
        },
        "+2 lines in flight",
    ] {
        assert!(err.lines().any(|l| l.starts_with(step)), "{step}: {err}");
    }
    assert!(err.contains("exit 0, output byte-identical"), "{err}");
}

#[test]
fn generate_the_10k_variant() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("10k.txt");
    let output = bin()
        .arg("generate")
        .arg(&file)
        .args(["--variant", "10k", "--rows", "100000"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("over 10000 stations"));
    let output = run(&file, "sequential", "fast", 1, &["--json"]);
    let record: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // 100,000 draws from 10,000 stations miss almost none of them.
    assert!(record["stations"].as_u64().unwrap() > 9_900, "{record}");
    let output = bin()
        .arg("generate")
        .arg(&file)
        .args(["--variant", "10k", "--stations", "5"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}
