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

#[test]
fn the_report_opens_with_what_wins_when() {
    let (dir, results) = layout(RESULTS, Some(MACHINE));
    let out = perf_report(&[&results]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = fs::read_to_string(dir.path().join("out/README.md")).unwrap();
    assert!(
        report.starts_with("# Performance analysis\n\n## What wins when\n\n"),
        "{report}"
    );
    let row = report
        .lines()
        .find(|l| l.starts_with("| `process-crunch` · `csv` |"))
        .unwrap_or_else(|| panic!("{report}"));
    // threads@2 (3 runs, 48–53 ms) against rayon@2 (1 run, 55 ms): apart, but 2 / C(4, 1) =
    // 50% by chance, so not a win.
    assert!(
        row.contains("| data | **`threads` ×2, 50.0 ms** |")
            && row.contains("too few runs to tell"),
        "{row}"
    );
}

/// A reference the runner could not run is listed as "not installed", in the table and in the
/// summary, never dropped.
#[test]
fn references_that_are_not_installed_are_listed() {
    let text = format!(
        "{RESULTS}{}\n{}\n",
        r#"{"demo":"threaded-file-copy","workload":"small-files","mode":"fcp","workers":1,"items":0,"bytes":0,"wall_ms":0,"ok":false,"reference":true,"unavailable":"not installed"}"#,
        r#"{"demo":"threaded-file-copy","workload":"small-files","mode":"rsync -a","workers":1,"items":500,"bytes":0,"wall_ms":300,"ok":true,"reference":true}"#,
    );
    let (dir, results) = layout(&text, Some(MACHINE));
    let out = perf_report(&[&results]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = fs::read_to_string(dir.path().join("out/README.md")).unwrap();
    assert!(
        report.contains("| `fcp` (reference) | — | — | not installed | — | — | — |"),
        "{report}"
    );
    assert!(report.contains("`fcp`: not installed"), "{report}");
    assert!(
        report.contains("The outside tool `fcp` was not measured: not installed."),
        "{report}"
    );
    assert!(
        report.contains("| `rsync -a` (reference) | 1 | 1 | 300 ms |"),
        "{report}"
    );
    // The failed record of a tool that never ran is not a failure warning.
    assert!(!report.contains("runs of `fcp`"), "{report}");
}

/// The Python baseline's records, in the shapes python/ prints, go through the same reader as
/// the Rust ones and get their own section.
#[test]
fn python_records_parse_with_the_same_reader_and_sit_beside_rust() {
    let python = [
        r#"{"demo":"cpu-vs-io","language":"python","workload":"cpu","mode":"sequential","workers":1,"items":16,"bytes":0,"wall_ms":8000.5,"ok":true,"python_version":"3.11.7","gil_enabled":true}"#,
        r#"{"demo":"cpu-vs-io","language":"python","workload":"cpu","mode":"threading","workers":16,"items":16,"bytes":0,"wall_ms":8100.0,"ok":true,"python_version":"3.11.7","gil_enabled":true}"#,
        r#"{"demo":"cpu-vs-io","language":"python","workload":"cpu","mode":"process-pool","workers":2,"items":16,"bytes":0,"wall_ms":4100.0,"ok":true,"python_version":"3.11.7","gil_enabled":true}"#,
        r#"{"demo":"cpu-vs-io","language":"python","workload":"io-sleep","mode":"asyncio","workers":32,"items":32,"bytes":0,"wall_ms":25.0,"ok":true,"python_version":"3.11.7","gil_enabled":true}"#,
        r#"{"demo":"process-crunch","language":"python","workload":"csv","mode":"process-pool","workers":2,"items":1000,"bytes":10000,"wall_ms":900.0,"ok":true,"python_version":"3.11.7","gil_enabled":true}"#,
    ]
    .join("\n");
    let rust = [
        r#"{"demo":"cpu-vs-io","workload":"cpu","mode":"sequential","workers":1,"items":16,"bytes":0,"wall_ms":800,"ok":true}"#,
        r#"{"demo":"cpu-vs-io","language":"rust","workload":"cpu","mode":"thread-pool","workers":2,"items":16,"bytes":0,"wall_ms":405,"ok":true}"#,
    ]
    .join("\n");
    let text = format!("{RESULTS}{rust}\n{python}\n");
    let (dir, results) = layout(&text, Some(MACHINE));
    let check = perf_report(&[Path::new("--check"), &results]);
    assert!(check.status.success(), "{}", stderr(&check));
    assert!(
        stderr(&check).contains("21 timing records, all valid"),
        "{}",
        stderr(&check)
    );

    let out = perf_report(&[&results]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = fs::read_to_string(dir.path().join("out/README.md")).unwrap();
    assert!(report.contains("## Python beside Rust"), "{report}");
    assert!(
        report.contains("| Model | Rust | Python 3.11.7 |"),
        "{report}"
    );
    assert!(report.contains("| Best Python |"), "{report}");
    assert!(
        report.contains("On this CPU work Python's threads did not help"),
        "{report}"
    );
    // Python records do not become Rust rows nor Rust charts.
    assert!(!report.contains("| threading |"), "{report}");
    assert!(!dir.path().join("out/charts").read_dir().unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .contains("io-sleep")
    }));
}

/// `--verify` renders in memory and compares: it passes on what it wrote, fails (exit 1, the
/// file named, nothing written) once a generated block or chart is edited or goes stale.
#[test]
fn verify_accepts_the_rendered_report_and_names_what_differs() {
    let (dir, results) = layout(RESULTS, Some(MACHINE));
    let crates = dir.path().join("crates");
    fs::create_dir_all(crates.join("process-crunch")).unwrap();
    let readme = crates.join("process-crunch/README.md");
    fs::write(&readme, MARKED).unwrap();
    let args = [results.as_path(), Path::new("--readmes"), &crates];
    let out = perf_report(&args);
    assert!(out.status.success(), "{}", stderr(&out));

    let verify = |extra: &[&Path]| {
        let mut a: Vec<&Path> = args.to_vec();
        a.push(Path::new("--verify"));
        a.extend(extra);
        perf_report(&a)
    };
    let ok = verify(&[]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(
        stderr(&ok).contains("match the rendering of"),
        "{}",
        stderr(&ok)
    );

    // A hand edit inside the generated block is caught, and left alone.
    let edited = fs::read_to_string(&readme)
        .unwrap()
        .replace("50.0 ms", "49.0 ms");
    fs::write(&readme, &edited).unwrap();
    let bad = verify(&[]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("process-crunch/README.md: its Performance block differs"),
        "{}",
        stderr(&bad)
    );
    assert_eq!(fs::read_to_string(&readme).unwrap(), edited);

    // So is a chart left over from a workload no longer measured, and an edited report.
    fs::write(&readme, MARKED).unwrap();
    perf_report(&args);
    let stale = dir.path().join("out/charts/old-time.svg");
    fs::write(&stale, "<svg/>").unwrap();
    let report = dir.path().join("out/README.md");
    fs::write(
        &report,
        fs::read_to_string(&report).unwrap() + "\nhand-written\n",
    )
    .unwrap();
    let bad = verify(&[]);
    assert_eq!(bad.status.code(), Some(1));
    let err = stderr(&bad);
    assert!(
        err.contains("old-time.svg is not rendered any more"),
        "{err}"
    );
    assert!(err.contains("out/README.md differs"), "{err}");
    assert!(err.contains("2 generated files differ"), "{err}");
    assert!(stale.exists());

    // --verify and --check are exclusive: a usage error.
    let both = verify(&[Path::new("--check")]);
    assert_eq!(both.status.code(), Some(2));
}

#[test]
fn a_report_from_a_dirty_tree_says_so() {
    let machine = MACHINE.replace(
        r#""git_commit":"abc1234""#,
        r#""commit":"abc1234","dirty":true"#,
    );
    let (dir, results) = layout(RESULTS, Some(&machine));
    let out = perf_report(&[&results]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = fs::read_to_string(dir.path().join("out/README.md")).unwrap();
    assert!(
        report.contains("> **Measured on a tree with uncommitted changes** at commit `abc1234`"),
        "{report}"
    );
    assert!(
        report.contains("| Commit | `abc1234` (with uncommitted changes) |"),
        "{report}"
    );
}
