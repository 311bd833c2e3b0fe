//! Runs the built `perf-report` binary the way `scripts/run_all.sh` and a user do, on small
//! hand-written result files in temp dirs, and checks what it writes and how it fails.

use std::fs;
use std::path::Path;
use std::process::Command;

mod common;
use common::*;

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
