//! Runs the built `perf-report` binary the way `scripts/run_all.sh` and a user do, on small
//! hand-written result files in temp dirs, and checks what it writes and how it fails.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_perf-report");

/// Two demos: a CPU-bound one where threads win and processes trail, and a copier with an
/// outside reference. Medians: sequential 100, threads@2 50, processes@2 60, rayon@2 55.
const RESULTS: &str = r#"{"demo":"process-crunch","workload":"csv","mode":"sequential","workers":1,"items":1000,"bytes":10000,"wall_ms":110.0,"ok":true}
{"demo":"process-crunch","workload":"csv","mode":"sequential","workers":1,"items":1000,"bytes":10000,"wall_ms":100.0,"ok":true}
{"demo":"process-crunch","workload":"csv","mode":"sequential","workers":1,"items":1000,"bytes":10000,"wall_ms":90.0,"ok":true}
{"demo":"process-crunch","workload":"csv","mode":"threads","workers":1,"items":1000,"bytes":10000,"wall_ms":101.0,"ok":true}
{"demo":"process-crunch","workload":"csv","mode":"threads","workers":2,"items":1000,"bytes":10000,"wall_ms":48.0,"ok":true}
{"demo":"process-crunch","workload":"csv","mode":"threads","workers":2,"items":1000,"bytes":10000,"wall_ms":50.0,"ok":true}
{"demo":"process-crunch","workload":"csv","mode":"threads","workers":2,"items":1000,"bytes":10000,"wall_ms":53.0,"ok":true}
{"demo":"process-crunch","workload":"csv","mode":"rayon","workers":2,"items":1000,"bytes":10000,"wall_ms":55.0,"ok":true,"unknown_field":"ignored"}
{"demo":"process-crunch","workload":"csv","mode":"processes","workers":1,"items":1000,"bytes":10000,"wall_ms":104.0,"ok":true}
{"demo":"process-crunch","workload":"csv","mode":"processes","workers":2,"items":1000,"bytes":10000,"wall_ms":60.0,"ok":true}
{"demo":"process-crunch","workload":"csv","mode":"timely","workers":2,"processes":2,"items":1000,"bytes":10000,"wall_ms":80.0,"ok":true}

{"demo":"threaded-file-copy","workload":"small-files","mode":"sequential","workers":1,"items":500,"bytes":0,"wall_ms":200.0,"ok":true}
{"demo":"threaded-file-copy","workload":"small-files","mode":"threads","workers":2,"items":500,"bytes":0,"wall_ms":100.0,"ok":true,"errors":0}
{"demo":"threaded-file-copy","workload":"small-files","mode":"cp -r","workers":1,"items":500,"bytes":0,"wall_ms":160.0,"ok":true,"reference":true}
"#;

const MACHINE: &str = r#"{"host":"testhost","timestamp":"2026-01-01T00:00:00Z","cpu_model":"Test CPU 3000","logical_cpus":2,"memory_kib":4194304,"os":"Test OS","kernel":"6.0","rustc":"rustc 1.95.0","git_commit":"abc1234","runs":3,"warmup":1,"quick":false,"worker_counts":"1 2 4","io_worker_counts":"1 2 4 8 16 32","inputs":{"process-crunch":"a 1000-row file"}}"#;

const MARKED: &str = "# demo\n\n## Performance\n\n<!-- perf-report:begin -->\nFilled in by `scripts/run_all.sh` from `performance_analysis/`.\n<!-- perf-report:end -->\n\nAfter.\n";

fn perf_report(args: &[&Path]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run perf-report")
}

/// A temp dir holding `out/results/<name>.jsonl` (+ machine description), as run_all.sh lays
/// it out. Returns (dir, results path).
fn layout(results: &str, machine: Option<&str>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let res_dir = dir.path().join("out/results");
    fs::create_dir_all(&res_dir).unwrap();
    let path = res_dir.join("20260101T000000Z-testhost.jsonl");
    fs::write(&path, results).unwrap();
    if let Some(m) = machine {
        fs::write(res_dir.join("20260101T000000Z-testhost.machine.json"), m).unwrap();
    }
    (dir, path)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn renders_report_charts_and_readmes() {
    let (dir, results) = layout(RESULTS, Some(MACHINE));
    let crates = dir.path().join("crates");
    for (name, text) in [
        ("process-crunch", MARKED),
        ("threaded-file-copy", "# copier\nno markers here\n"),
    ] {
        fs::create_dir_all(crates.join(name)).unwrap();
        fs::write(crates.join(name).join("README.md"), text).unwrap();
    }
    let out = perf_report(&[&results, Path::new("--readmes"), &crates]);
    assert!(out.status.success(), "{}", stderr(&out));

    // The report lands above results/ by default.
    let report = fs::read_to_string(dir.path().join("out/README.md")).unwrap();
    assert!(
        report.contains("Test CPU 3000, 2 logical cores, 4.0 GiB RAM"),
        "{report}"
    );
    assert!(
        report.contains("| Commit | `abc1234` (clean tree) |"),
        "{report}"
    );
    assert!(
        report.contains("| Worker counts | 1 2 4 (I/O-bound workloads: 1 2 4 8 16 32) |"),
        "{report}"
    );
    assert!(
        report.contains(
            "[`20260101T000000Z-testhost.jsonl`](results/20260101T000000Z-testhost.jsonl)"
        ),
        "{report}"
    );
    assert!(report.contains("Inputs: a 1000-row file"), "{report}");
    // Table values: medians, min–max, items/s, MB/s and speedups computed from the lines above.
    assert!(
        report.contains("| sequential | 1 | 3 | 100 ms | 90.0–110 ms | 10.0 k | 0.100 | 1.00× |"),
        "{report}"
    );
    assert!(
        report
            .contains("| threads | 2 | 3 | **50.0 ms** | 48.0–53.0 ms | 20.0 k | 0.200 | 2.00× |"),
        "{report}"
    );
    assert!(
        report.contains("| processes | 2 | 1 | 60.0 ms | 60.0–60.0 ms | 16.7 k | 0.167 | 1.67× |"),
        "{report}"
    );
    assert!(
        report.contains("| timely 2×1 | 2 | 1 | 80.0 ms |"),
        "{report}"
    );
    assert!(
        report.contains("| `cp -r` (reference) | 1 | 1 | 160 ms | 160–160 ms | 3.12 k | 1.25× |"),
        "{report}"
    );
    // Findings name the right winner and the process cost.
    assert!(
        report.contains(
            "The fastest configuration was **`threads` with 2 workers**: 50.0 ms against 100 ms"
        ),
        "{report}"
    );
    assert!(report.contains("`processes` fell behind `threads`: at its best, with 2 workers, it took 60.0 ms against 50.0 ms, 10.0 ms (20%) more, about 5.00 ms per worker, with too few runs to tell whether the gap is real."), "{report}");
    assert!(report.contains("Against the outside reference `cp -r` (160 ms), the best mode, `threads` with 2 workers (100 ms), was 60% faster"), "{report}");
    assert!(
        report.contains("](charts/process-crunch-csv-time.svg)"),
        "{report}"
    );

    // Every chart the report links to exists and is well-formed SVG.
    let charts = dir.path().join("out/charts");
    for name in [
        "process-crunch-csv-time.svg",
        "process-crunch-csv-speedup.svg",
        "threaded-file-copy-small-files-time.svg",
        "threaded-file-copy-small-files-speedup.svg",
    ] {
        let svg = fs::read_to_string(charts.join(name)).unwrap();
        roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}: {e}"));
    }

    // The marked README got the demo's block, with links back to the report and charts.
    let readme = fs::read_to_string(crates.join("process-crunch/README.md")).unwrap();
    assert!(readme.starts_with("# demo\n\n## Performance\n\n<!-- perf-report:begin -->\nMeasured by `scripts/run_all.sh` on Test CPU 3000"), "{readme}");
    assert!(
        readme.contains("[performance_analysis/README.md](../../out/README.md)"),
        "{readme}"
    );
    assert!(
        readme.contains("](../../out/charts/process-crunch-csv-speedup.svg)"),
        "{readme}"
    );
    assert!(
        readme.contains("| threads | 2 | 3 | **50.0 ms** |"),
        "{readme}"
    );
    assert!(!readme.contains("threaded-file-copy"), "{readme}");
    assert!(
        readme.ends_with("<!-- perf-report:end -->\n\nAfter.\n"),
        "{readme}"
    );
    // The unmarked README is untouched, with a warning.
    assert_eq!(
        fs::read_to_string(crates.join("threaded-file-copy/README.md")).unwrap(),
        "# copier\nno markers here\n"
    );
    assert!(
        stderr(&out).contains("warning:") && stderr(&out).contains("markers"),
        "{}",
        stderr(&out)
    );

    // A second run changes nothing in the README and removes no chart it still writes.
    let again = perf_report(&[&results, Path::new("--readmes"), &crates]);
    assert!(again.status.success());
    assert_eq!(
        fs::read_to_string(crates.join("process-crunch/README.md")).unwrap(),
        readme
    );
    assert!(charts.join("process-crunch-csv-time.svg").exists());
}

#[test]
fn malformed_line_is_exit_1_naming_file_and_line() {
    let bad = RESULTS.replacen(r#""mode":"rayon","#, r#""mode":rayon,"#, 1);
    let (_dir, results) = layout(&bad, Some(MACHINE));
    let out = perf_report(&[&results]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("20260101T000000Z-testhost.jsonl:8: "), "{err}");
    assert!(!results
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("README.md")
        .exists());
}

#[test]
fn missing_field_is_exit_1_naming_the_field() {
    let bad = RESULTS.replacen(r#","ok":true}"#, "}", 1);
    let (_dir, results) = layout(&bad, None);
    let out = perf_report(&[&results]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(".jsonl:1: missing field `ok`"), "{err}");
}

#[test]
fn empty_file_is_exit_1() {
    let (_dir, results) = layout("", None);
    let out = perf_report(&[&results]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no timing records: the file is empty"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn usage_errors_are_exit_2() {
    let out = Command::new(BIN).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(BIN)
        .args(["x.jsonl", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn check_validates_without_writing() {
    let (dir, results) = layout(RESULTS, None);
    let out = perf_report(&[Path::new("--check"), &results]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("14 timing records, all valid"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("out/README.md").exists());
}

#[test]
fn without_machine_description_the_report_says_so() {
    let (dir, results) = layout(RESULTS, None);
    let out_dir = dir.path().join("elsewhere");
    let out = perf_report(&[&results, Path::new("--out"), &out_dir]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: no machine description"),
        "{}",
        stderr(&out)
    );
    let report = fs::read_to_string(out_dir.join("README.md")).unwrap();
    assert!(report.contains("Not recorded"), "{report}");
    assert!(
        report.contains("(../out/results/20260101T000000Z-testhost.jsonl)"),
        "{report}"
    );
}
