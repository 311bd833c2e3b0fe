//! The data-loss bugs, one test each, on trees the tests build: nothing under DST is ever
//! followed (`--force` over symlinks and entries of another type), files are read until EOF
//! whatever their size says, a file that changes while it is copied is reported, and `-L`
//! never recurses into the copy it is writing.

#[macro_use]
mod common;

use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// What a path is, without following it: to assert that something outside DST is untouched.
fn state(path: &Path) -> String {
    let m = fs::symlink_metadata(path).unwrap();
    format!(
        "{:?} {:o} {}.{} {}",
        m.file_type(),
        m.mode(),
        m.mtime(),
        m.mtime_nsec(),
        m.len()
    )
}

#[test]
fn force_never_writes_through_a_symlink_or_an_entry_of_another_type() {
    for mode in MODES {
        let tmp = Scratch::new();
        let src = tmp.path().join("src");
        // SRC: x/ and y/ are directories, file is a file, dir-was-file is a directory,
        // file-was-dir is a file.
        for d in ["x", "y", "dir-was-file"] {
            fs::create_dir_all(src.join(d)).unwrap();
            fs::write(src.join(d).join("f"), format!("src {d}\n")).unwrap();
        }
        fs::write(src.join("file"), b"src file\n").unwrap();
        fs::write(src.join("file-was-dir"), b"now a file\n").unwrap();
        fs::set_permissions(src.join("x"), fs::Permissions::from_mode(0o751)).unwrap();
        set_mtime(&src.join("x"), 1_000_000_000, 0);

        let outside = tmp.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("target.txt"), b"outside, keep me\n").unwrap();
        fs::write(outside.join("f"), b"outside f\n").unwrap();

        // DST, an old copy: x was a symlink back into SRC's y, file a symlink to a file
        // outside, dir-was-file a file, file-was-dir a directory with contents.
        let dst = tmp.path().join("dst");
        fs::create_dir(&dst).unwrap();
        symlink("../src/y", dst.join("x")).unwrap();
        symlink(outside.join("target.txt"), dst.join("file")).unwrap();
        symlink(&outside, dst.join("y")).unwrap();
        fs::write(dst.join("dir-was-file"), b"old file\n").unwrap();
        fs::create_dir_all(dst.join("file-was-dir/sub")).unwrap();
        fs::write(dst.join("file-was-dir/sub/old"), b"old\n").unwrap();

        let src_before = snapshot(&src);
        let outside_before = snapshot(&outside);
        let outside_dir = state(&outside);
        let out = tfc()
            .args(["--force", "--mode", mode])
            .args([&src, &dst])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{mode}: {err}");
        assert_eq!(snapshot(&src), src_before, "{mode}: SRC was written to");
        assert_eq!(
            snapshot(&outside),
            outside_before,
            "{mode}: wrote outside DST"
        );
        assert_eq!(state(&outside), outside_dir, "{mode}: outside dir changed");
        for d in ["x", "y", "dir-was-file"] {
            let m = fs::symlink_metadata(dst.join(d)).unwrap();
            assert!(m.is_dir(), "{mode}: {d} is a real directory now");
            assert_eq!(
                fs::read_to_string(dst.join(d).join("f")).unwrap(),
                format!("src {d}\n")
            );
        }
        let x = fs::symlink_metadata(dst.join("x")).unwrap();
        assert_eq!(x.mode() & 0o7777, 0o751, "{mode}: x got SRC's mode");
        assert_eq!(x.mtime(), 1_000_000_000, "{mode}: x got SRC's mtime");
        for f in ["file", "file-was-dir"] {
            let m = fs::symlink_metadata(dst.join(f)).unwrap();
            assert!(m.is_file(), "{mode}: {f} is a regular file now");
        }
        assert_eq!(fs::read(dst.join("file")).unwrap(), b"src file\n");
        assert_eq!(fs::read(dst.join("file-was-dir")).unwrap(), b"now a file\n");
        assert!(temp_files(&dst).is_empty());
    }
}

#[test]
fn dst_itself_given_as_a_symlink_is_followed_like_cp() {
    // The user named DST: a symlink to a directory is followed (like cp), inside it nothing is.
    let tmp = Scratch::new();
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    fs::write(src.join("f"), b"f\n").unwrap();
    let real = tmp.path().join("real");
    fs::create_dir(&real).unwrap();
    symlink(&real, tmp.path().join("alias")).unwrap();
    let out = tfc()
        .args([src.as_path(), &tmp.path().join("alias")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fs::read(real.join("f")).unwrap(), b"f\n");
}

/// Runs `script` under `unshare -m` (a private mount namespace, so the bind mount vanishes
/// with the process); `None` when this machine cannot (not root, no unshare).
fn in_mount_namespace(script: &str) -> Option<std::process::Output> {
    if !is_root() {
        skip!("SKIP: the /proc bind mount needs root (unshare -m, mount --bind)");
        return None;
    }
    // A container may refuse new mount namespaces even to root.
    let probe = Command::new("unshare").args(["-m", "true"]).output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        skip!("SKIP: unshare -m is not permitted here: {probe:?}");
        return None;
    }
    match Command::new("unshare")
        .args(["-m", "sh", "-c", script])
        .output()
    {
        Ok(out) if out.status.code() != Some(97) => Some(out),
        Ok(out) => {
            skip!("SKIP: cannot bind-mount here: {}", stderr(&out));
            None
        }
        Err(e) => {
            skip!("SKIP: unshare not available: {e}");
            None
        }
    }
}

#[test]
fn a_file_whose_size_understates_its_content_is_read_to_the_end() {
    // /proc/kallsyms says 0 bytes and holds megabytes; bind-mounted into SRC it is a regular
    // file like any other. The copy must hold all of it, as `cat` reads it.
    if !Path::new("/proc/kallsyms").exists() {
        skip!("SKIP: no /proc/kallsyms");
        return;
    }
    for mode in MODES {
        let tmp = Scratch::new();
        let src = tmp.path().join("src");
        fs::create_dir(&src).unwrap();
        fs::write(src.join("proc-file"), b"").unwrap();
        let dst = tmp.path().join("dst");
        let expected = tmp.path().join("expected");
        let script = format!(
            "mount --bind /proc/kallsyms '{s}/proc-file' || exit 97; \
             cat '{s}/proc-file' > '{e}'; exec '{bin}' --mode {mode} '{s}' '{d}'",
            s = src.display(),
            e = expected.display(),
            d = dst.display(),
            bin = BIN,
        );
        let Some(out) = in_mount_namespace(&script) else {
            return;
        };
        let err = stderr(&out);
        let want = fs::read(&expected).unwrap();
        assert!(want.len() > 64 * 1024, "kallsyms is large: {}", want.len());
        let got = fs::read(dst.join("proc-file")).unwrap();
        assert_eq!(
            got.len(),
            want.len(),
            "{mode}: copied {} bytes: {err}",
            got.len()
        );
        assert!(got == want, "{mode}: content differs");
        assert_eq!(out.status.code(), Some(0), "{mode}: {err}");
    }
}

#[test]
fn a_file_that_changes_during_its_copy_is_reported_and_still_linked_in() {
    for mode in MODES {
        let tmp = Scratch::new();
        let src = tmp.path().join("src");
        fs::create_dir(&src).unwrap();
        let live = src.join("live.log");
        fs::write(&live, b"first line\n".repeat(100)).unwrap();
        let dst = tmp.path().join("dst");
        // Each file's copy pauses 600 ms (a test-only hook) between reading it and naming it;
        // meanwhile a writer appends to the file every 10 ms, so it changes during its copy.
        let mut child = tfc()
            .args(["--mode", mode])
            .args([&src, &dst])
            .env("THREADED_FILE_COPY_TEST_DELAY_MS", "600")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut n = 0u64;
        while child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "{mode}: copy did not end");
            let mut f = fs::OpenOptions::new().append(true).open(&live).unwrap();
            std::io::Write::write_all(&mut f, format!("line {n}\n").as_bytes()).unwrap();
            n += 1;
            std::thread::sleep(Duration::from_millis(10));
        }
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{mode}: {err}");
        assert!(
            err.contains("live.log' changed while it was copied"),
            "{mode}: {err}"
        );
        let copy = fs::read(dst.join("live.log")).unwrap();
        assert!(copy.starts_with(&b"first line\n".repeat(100)), "{mode}");
        // What grew during the copy is copied on at the right offset: the copy is a prefix.
        assert!(fs::read(&live).unwrap().starts_with(&copy), "{mode}");
    }
}

#[test]
fn dereference_never_recurses_into_its_own_output() {
    for mode in MODES {
        let tmp = Scratch::new();
        let src = tmp.path().join("src");
        let dst = tmp.path().join("dst");
        fs::create_dir_all(src.join("a")).unwrap();
        fs::write(src.join("a/f"), b"f\n").unwrap();
        // Once a/ is copied, dst/a exists: the link then leads into the copy's own subtree.
        symlink(dst.join("a"), src.join("a/loop")).unwrap();
        let out = tfc()
            .args(["-L", "--mode", mode])
            .args([&src, &dst])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{mode}: {err}");
        assert!(
            err.contains("loop' leads into the destination"),
            "{mode}: {err}"
        );
        assert_eq!(fs::read(dst.join("a/f")).unwrap(), b"f\n");
        assert!(
            fs::symlink_metadata(dst.join("a/loop")).is_err(),
            "{mode}: the link into DST was followed"
        );
    }
}
