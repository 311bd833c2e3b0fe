//! Every mode copies the tree with every case exactly: contents, permission bits, file and
//! directory mtimes, symlink targets (dangling ones too), hard links, non-UTF-8 names, empty
//! and read-only directories; FIFOs are recreated and counted.

mod common;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::*;

fn copy_with(args: &[&str], src: &Path, dst: &Path) -> std::process::Output {
    let mut all: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    all.push(src.as_os_str());
    all.push(dst.as_os_str());
    run(&all)
}

#[test]
fn every_mode_copies_every_case_exactly() {
    let tmp = Scratch::new();
    let src = tmp.path().join("src");
    build_tree(&src);
    for mode in MODES {
        for workers in ["1", "3"] {
            let dst = tmp.path().join(format!("dst-{mode}-{workers}"));
            let out = copy_with(&["--mode", mode, "--workers", workers], &src, &dst);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(0), "{mode}: {err}");
            assert!(!err.contains("error"), "{mode}: {err}");
            let summary = String::from_utf8_lossy(&out.stdout);
            assert!(
                summary.contains("1 special files, 0 errors"),
                "{mode}: {summary}"
            );
            assert!(summary.contains("2 hard links"), "{mode}: {summary}");
            assert_same_tree(&src, &dst, &[]);
        }
    }
}

#[test]
fn an_existing_empty_destination_is_filled() {
    let tmp = Scratch::new();
    let src = tmp.path().join("src");
    build_tree(&src);
    let dst = tmp.path().join("dst");
    fs::create_dir(&dst).unwrap();
    let out = copy_with(&["--quiet"], &src, &dst);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "--quiet prints nothing"
    );
    assert_same_tree(&src, &dst, &[]);
}

#[test]
fn verify_confirms_a_good_copy() {
    let tmp = Scratch::new();
    let src = tmp.path().join("src");
    build_tree(&src);
    for mode in MODES {
        let dst = tmp.path().join(format!("dst-{mode}"));
        let out = copy_with(&["--mode", mode, "--verify"], &src, &dst);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(err.contains("verify: the copy matches the source"), "{err}");
    }
}

#[test]
fn json_record_has_the_contract_fields_and_nothing_else_is_on_stdout() {
    let tmp = Scratch::new();
    let src = tmp.path().join("src");
    build_tree(&src);
    let dst = tmp.path().join("dst");
    let out = copy_with(
        &[
            "--mode",
            "rayon",
            "--workers",
            "2",
            "--json",
            "--label",
            "small-files",
        ],
        &src,
        &dst,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let record: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(record["demo"], "threaded-file-copy");
    assert_eq!(record["mode"], "rayon");
    assert_eq!(record["workload"], "small-files");
    assert_eq!(record["workers"], 2);
    assert_eq!(record["ok"], true);
    assert_eq!(record["errors"], 0);
    assert_eq!(record["skipped"], 0);
    // Files (with one copy per hard-link group), hard links, symlinks and the FIFO.
    assert_eq!(record["items"], 193 + 2 + 4 + 1, "{record}");
    assert!(record["bytes"].as_u64().unwrap() > 700_000);
    assert!(record["wall_ms"].is_f64());
    // The human summary moved to stderr.
    assert!(
        stderr(&out).contains("copied 193 files"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn force_replaces_files_and_leaves_other_files_alone() {
    let tmp = Scratch::new();
    let src = tmp.path().join("src");
    fs::create_dir_all(src.join("sub")).unwrap();
    fs::write(src.join("sub/replaced.txt"), b"new content\n").unwrap();
    fs::write(src.join("added.txt"), b"added\n").unwrap();
    std::os::unix::fs::symlink("added.txt", src.join("link")).unwrap();

    let dst = tmp.path().join("dst");
    fs::create_dir_all(dst.join("sub")).unwrap();
    fs::write(
        dst.join("sub/replaced.txt"),
        b"old content that is longer\n",
    )
    .unwrap();
    fs::set_permissions(
        dst.join("sub/replaced.txt"),
        fs::Permissions::from_mode(0o444),
    )
    .unwrap();
    fs::write(dst.join("sub/kept.txt"), b"not in src\n").unwrap();
    fs::write(dst.join("link"), b"a file where src has a link\n").unwrap();

    let before = snapshot(tmp.path());
    let out = copy_with(&[], &src, &dst);
    assert_eq!(out.status.code(), Some(2), "refused without --force");
    assert!(
        stderr(&out).contains("not empty (use --force"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        snapshot(tmp.path()),
        before,
        "a refused copy writes nothing"
    );

    for mode in MODES {
        let out = copy_with(&["--force", "--mode", mode], &src, &dst);
        assert_eq!(out.status.code(), Some(0), "{mode}: {}", stderr(&out));
        assert_eq!(
            fs::read(dst.join("sub/replaced.txt")).unwrap(),
            b"new content\n"
        );
        assert_eq!(fs::read(dst.join("sub/kept.txt")).unwrap(), b"not in src\n");
        assert_eq!(
            fs::read_link(dst.join("link")).unwrap(),
            Path::new("added.txt")
        );
        assert!(temp_files(&dst).is_empty());
    }

    // A directory of SRC where DST has a file: with --force the file is replaced by the
    // directory, as rsync does (never written through); see tests/regressions.rs.
    fs::remove_dir_all(&dst).unwrap();
    fs::create_dir(&dst).unwrap();
    fs::write(dst.join("sub"), b"a file, not a directory\n").unwrap();
    let out = copy_with(&["--force", "--json", "--quiet"], &src, &dst);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fs::read(dst.join("added.txt")).unwrap(), b"added\n");
    assert_eq!(
        fs::read(dst.join("sub/replaced.txt")).unwrap(),
        b"new content\n"
    );
}

#[test]
fn generate_builds_the_seeded_trees_and_prints_nothing() {
    let tmp = Scratch::new();
    let small = tmp.path().join("small");
    let out = run(&[
        OsStr::new("--generate"),
        small.as_os_str(),
        OsStr::new("--preset"),
        OsStr::new("small-files"),
        OsStr::new("--gen-files"),
        OsStr::new("500"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let dirs: Vec<_> = fs::read_dir(&small).unwrap().collect();
    assert_eq!(dirs.len(), 100);
    let files = walkdir::WalkDir::new(&small)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file());
    let sizes: Vec<u64> = files.map(|e| e.metadata().unwrap().len()).collect();
    assert_eq!(sizes.len(), 500);
    assert!(sizes.iter().all(|s| (100..=16 * 1024).contains(s)));

    let large = tmp.path().join("large");
    let out = run(&[
        OsStr::new("--generate"),
        large.as_os_str(),
        OsStr::new("--preset"),
        OsStr::new("large-files"),
        OsStr::new("--gen-mib"),
        OsStr::new("2"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let sizes: Vec<u64> = fs::read_dir(&large)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .collect();
    assert_eq!(sizes, vec![2 << 20; 4]);
}

#[test]
fn bench_and_demo_run_and_check_their_copies() {
    let tmp = Scratch::in_memory();
    let out = run(&[
        OsStr::new("--bench"),
        OsStr::new("--runs"),
        OsStr::new("1"),
        OsStr::new("--gen-files"),
        OsStr::new("300"),
        OsStr::new("--gen-mib"),
        OsStr::new("1"),
        OsStr::new("--bench-dir"),
        tmp.path().as_os_str(),
        OsStr::new("--json"),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let records: Vec<serde_json::Value> = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The references the bench times: those of cp -r, fcp, xcp and rsync -a on PATH.
    let on_path = |program: &&str| {
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .any(|dir| dir.join(program).is_file())
    };
    let references: Vec<&str> = [
        ("cp", "cp -r"),
        ("fcp", "fcp"),
        ("xcp", "xcp"),
        ("rsync", "rsync -a"),
    ]
    .into_iter()
    .filter(|(program, _)| on_path(program))
    .map(|(_, name)| name)
    .collect();
    assert_eq!(
        records.len(),
        2 * (references.len() + 3),
        "2 presets x ({references:?} + 3 modes)"
    );
    for name in &references {
        assert!(records
            .iter()
            .any(|r| r["mode"] == *name && r["reference"] == true));
    }
    assert!(references.contains(&"cp -r"));
    assert!(records.iter().all(|r| r["ok"] == true));
    assert!(
        err.contains("small-files") && err.contains("large-files") && err.contains("vs cp -r"),
        "{err}"
    );
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "the bench cleans up"
    );

    // The no-argument demo: sample tree, every mode, checked, table printed.
    let out = tfc()
        .args(["--runs", "1"])
        .arg("--bench-dir")
        .arg(tmp.path())
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for mode in MODES {
        assert!(
            table
                .lines()
                .any(|l| l.starts_with(mode) && l.ends_with("ok")),
            "{table}"
        );
    }
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "the demo cleans up"
    );
}

#[test]
fn the_walker_never_runs_far_ahead_of_the_copiers() {
    // 3000 files, 30 in each of 100 directories; a batch is handed out when the walk leaves
    // a directory with at least 32 files in it, so here a batch holds two directories (60
    // files). With 2 workers at most a few batches may be walked and not yet copied (the
    // channel holds 2 x workers batches, each worker holds one, the walker fills one).
    // An unbounded walker would be hundreds or thousands of files ahead.
    let tmp = Scratch::in_memory();
    let src = tmp.path().join("src");
    let out = run(&[
        OsStr::new("--generate"),
        src.as_os_str(),
        OsStr::new("--preset"),
        OsStr::new("small-files"),
        OsStr::new("--gen-files"),
        OsStr::new("3000"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for mode in ["threads", "rayon"] {
        let dst = tmp.path().join(format!("dst-{mode}"));
        let out = copy_with(
            &["--mode", mode, "--workers", "2", "--json", "--quiet"],
            &src,
            &dst,
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(record["items"], 3000);
        let peak = record["peak_in_flight"].as_u64().unwrap();
        assert!(
            peak <= (2 * 2 + 2 + 1) * 60,
            "{mode}: {peak} files in flight"
        );
    }
}

#[test]
fn a_tree_deeper_than_the_open_directory_limit_is_copied_exactly() {
    // 200 levels: past the 128 directory pairs the walker keeps open, jobs use full paths.
    let tmp = Scratch::new();
    let src = tmp.path().join("src");
    let mut dir = src.clone();
    for level in 0..200 {
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("f"), format!("level {level}\n")).unwrap();
        dir.push("d");
    }
    for mode in MODES {
        let dst = tmp.path().join(format!("dst-{mode}"));
        let out = copy_with(&["--mode", mode, "--quiet"], &src, &dst);
        assert_eq!(out.status.code(), Some(0), "{mode}: {}", stderr(&out));
        let copied = walkdir::WalkDir::new(&dst)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file());
        assert_eq!(copied.count(), 200, "{mode}");
        assert_eq!(
            fs::read(dst.join("d/".repeat(199)).join("f")).unwrap(),
            b"level 199\n"
        );
    }
}
