//! Nothing lost, nothing half-done: refused copies write nothing (exit 2), unreadable entries
//! are reported while the rest is copied (exit 1), symlink loops are reported with
//! --dereference, and Ctrl-C stops the copy with no temporary file left behind (exit 130).

#[macro_use]
mod common;

use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

#[test]
fn refused_copies_exit_2_and_write_nothing() {
    let tmp = Scratch::new();
    let src = tmp.path().join("src");
    fs::create_dir_all(src.join("a")).unwrap();
    fs::write(src.join("a/f"), b"f").unwrap();
    symlink(&src, tmp.path().join("alias")).unwrap();
    let full = tmp.path().join("full");
    fs::create_dir(&full).unwrap();
    fs::write(full.join("x"), b"x").unwrap();
    fs::write(tmp.path().join("plain-file"), b"p").unwrap();

    let p = |rel: &str| tmp.path().join(rel);
    let cases = [
        (p("missing"), p("d1"), "does not exist"),
        (p("plain-file"), p("d2"), "is not a directory"),
        (src.clone(), src.join("a/inside"), "inside source"),
        (src.clone(), src.join("a"), "inside source"),
        (src.clone(), p("alias"), "same directory"),
        (src.clone(), p("src/a/.."), "same directory"),
        (src.clone(), p("alias/a/new"), "inside source"),
        (src.clone(), full.clone(), "not empty"),
        (
            src.clone(),
            p("plain-file"),
            "exists and is not a directory",
        ),
        (src.clone(), p("no/such/parent"), "parent directory"),
        (
            src.join("a"),
            tmp.path().to_path_buf(),
            "inside destination",
        ),
    ];
    for (s, d, why) in cases {
        for extra in [&[][..], &["--force", "--mode", "rayon"][..]] {
            if why == "not empty" && !extra.is_empty() {
                continue; // --force accepts it: that is what it is for
            }
            let before = snapshot(tmp.path());
            let mut args: Vec<&OsStr> = extra.iter().map(OsStr::new).collect();
            args.extend([s.as_os_str(), d.as_os_str()]);
            let out = run(&args);
            let err = stderr(&out);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{} -> {}: {err}",
                s.display(),
                d.display()
            );
            assert!(err.contains(why), "expected '{why}' in: {err}");
            assert_eq!(
                snapshot(tmp.path()),
                before,
                "{} -> {} wrote something",
                s.display(),
                d.display()
            );
        }
    }
}

#[test]
fn unreadable_entries_are_reported_and_the_rest_is_copied() {
    if !permissions_enforced() {
        skip!("SKIP: permission bits do not bind this user (root without a droppable CAP_DAC_OVERRIDE)");
        return;
    }
    let tmp = Scratch::new();
    let src = tmp.path().join("src");
    build_tree(&src);
    fs::write(src.join("a/secret.txt"), b"secret").unwrap();
    fs::set_permissions(src.join("a/secret.txt"), fs::Permissions::from_mode(0o000)).unwrap();
    fs::create_dir(src.join("locked")).unwrap();
    fs::write(src.join("locked/hidden.txt"), b"hidden").unwrap();
    fs::set_permissions(src.join("locked"), fs::Permissions::from_mode(0o000)).unwrap();
    // Writing into src/a changed its mtime: reset it so the comparison holds.
    set_mtime(&src.join("a"), 1_300_000_000, 0);

    for mode in MODES {
        let dst = tmp.path().join(format!("dst-{mode}"));
        let out = tfc()
            .args(["--mode", mode, "--json", "--quiet"])
            .args([&src, &dst])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{mode}: {err}");
        assert!(
            err.contains("cannot open '")
                && err.contains("secret.txt': Permission denied (os error 13)"),
            "{mode}: {err}"
        );
        assert!(err.contains("locked': Permission denied"), "{mode}: {err}");
        let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(record["ok"], false);
        assert_eq!(record["errors"], 2);
        // Everything else is there and exact; `locked` exists in the copy but is empty.
        assert_same_tree(
            &src,
            &dst,
            &[Path::new("a/secret.txt"), Path::new("locked")],
        );
        assert!(temp_files(&dst).is_empty());
    }
}

#[test]
fn dereference_follows_links_and_reports_loops() {
    let tmp = Scratch::new();
    let outside = tmp.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("o.txt"), b"outside\n").unwrap();
    let src = tmp.path().join("src");
    fs::create_dir_all(src.join("d")).unwrap();
    fs::write(src.join("d/f.txt"), b"file\n").unwrap();
    symlink("d/f.txt", src.join("to-file")).unwrap();
    symlink(&outside, src.join("to-outside")).unwrap();
    symlink("..", src.join("d/loop")).unwrap();

    for mode in MODES {
        let dst = tmp.path().join(format!("dst-{mode}"));
        let out = tfc()
            .args(["--dereference", "--mode", mode])
            .args([&src, &dst])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{mode}: {err}");
        assert!(
            err.contains("symlink loop") && err.contains("loop'"),
            "{mode}: {err}"
        );
        let to_file = fs::symlink_metadata(dst.join("to-file")).unwrap();
        assert!(to_file.is_file(), "a link to a file becomes the file");
        assert_eq!(fs::read(dst.join("to-file")).unwrap(), b"file\n");
        assert!(fs::symlink_metadata(dst.join("to-outside"))
            .unwrap()
            .is_dir());
        assert_eq!(
            fs::read(dst.join("to-outside/o.txt")).unwrap(),
            b"outside\n"
        );
        assert!(
            fs::symlink_metadata(dst.join("d/loop")).is_err(),
            "the loop is not copied"
        );
    }

    // A link that leads into DST itself is refused, not followed forever.
    let src2 = tmp.path().join("src2");
    fs::create_dir(&src2).unwrap();
    fs::write(src2.join("x"), b"x").unwrap();
    let dst2 = tmp.path().join("dst2");
    symlink(&dst2, src2.join("into-dst")).unwrap();
    let out = tfc().arg("-L").args([&src2, &dst2]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("leads into the destination"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read(dst2.join("x")).unwrap(), b"x");
}

/// 40 files, each copy paused 200 ms before it gets its name (a test-only hook): with two
/// workers the copy takes seconds, so it cannot finish before the signal arrives.
fn slow_copy(
    tmp: &Scratch,
    mode: &str,
) -> (std::path::PathBuf, std::path::PathBuf, std::process::Child) {
    let src = tmp.path().join("src");
    if !src.exists() {
        fs::create_dir(&src).unwrap();
        for i in 0..40 {
            fs::write(
                src.join(format!("f{i:02}")),
                format!("content {i}\n").repeat(1000),
            )
            .unwrap();
        }
    }
    let dst = tmp.path().join(format!("dst-{mode}"));
    let child = tfc()
        .args(["--mode", mode, "--workers", "2"])
        .args([&src, &dst])
        .env("THREADED_FILE_COPY_TEST_DELAY_MS", "200")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first files are done: the copy is now in the middle of the next ones.
    let deadline = Instant::now() + Duration::from_secs(30);
    while fs::read_dir(&dst).map_or(0, |d| d.count()) == 0 {
        assert!(Instant::now() < deadline, "{mode}: no file copied");
        std::thread::sleep(Duration::from_millis(5));
    }
    (src, dst, child)
}

/// Every entry of `dst` under a real name is a complete copy; returns how many there are.
fn assert_only_complete_files(src: &Path, dst: &Path, mode: &str) -> usize {
    let names: Vec<_> = fs::read_dir(dst)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let real: Vec<_> = names
        .iter()
        .filter(|n| !n.to_string_lossy().starts_with(".threaded-file-copy."))
        .collect();
    for name in &real {
        assert_eq!(
            fs::read(dst.join(name)).unwrap(),
            fs::read(src.join(name)).unwrap(),
            "{mode}: {name:?} is incomplete"
        );
    }
    real.len()
}

#[test]
fn ctrl_c_stops_removes_temporary_files_and_exits_130() {
    let tmp = Scratch::new();
    for mode in MODES {
        let (src, dst, mut child) = slow_copy(&tmp, mode);
        // SAFETY: kill sends a signal to our own child, which has not been waited on yet.
        assert_eq!(
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
            0
        );
        let status = child.wait().unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert_eq!(status.code(), Some(130), "{mode}: {err}");
        assert!(err.contains("interrupted"), "{mode}: {err}");
        assert!(
            temp_files(&dst).is_empty(),
            "{mode}: left {:?}",
            temp_files(&dst)
        );
        let copied = assert_only_complete_files(&src, &dst, mode);
        assert!(copied < 40, "{mode}: the copy finished before Ctrl-C");
    }
}

#[test]
fn even_a_killed_copy_leaves_no_truncated_file_under_a_real_name() {
    let tmp = Scratch::new();
    for mode in MODES {
        let (src, dst, mut child) = slow_copy(&tmp, mode);
        child.kill().unwrap(); // SIGKILL: no handler runs, no cleanup code runs
        child.wait().unwrap();
        let copied = assert_only_complete_files(&src, &dst, mode);
        assert!(copied < 40, "{mode}: the copy finished before the kill");
    }
}
