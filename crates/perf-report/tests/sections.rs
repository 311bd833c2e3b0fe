//! The sections a reader comes for, rendered by the built binary: "What wins when", the
//! outside tools (and those not installed), Python beside Rust, the `--verify` re-render check
//! and the staleness banner.

use std::fs;
use std::path::Path;

mod common;
use common::*;

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
