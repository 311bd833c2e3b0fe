//! Test helpers: the tree with every case, an independent check that a copy equals its
//! source, and a way to run the binary as a user would.
//!
//! Tests run as root on some machines, and root reads and writes through any permission
//! bits, which would make "read-only directory" and "unreadable file" tests meaningless. So
//! when we are root, the binary is started without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
//! (dropped from the capability bounding set before `exec`): it is still uid 0, but the
//! permission bits apply to it like to anyone.

#![allow(dead_code)] // each test file uses a different part of this module

/// Prints `SKIP: why` where the person running the tests sees it. Not `eprintln!`: the test
/// harness captures that and shows it only when the test fails, so a check that cannot run
/// here would pass silently. A write to the stderr handle itself is not captured.
#[allow(unused_macros)] // not every test file skips something
macro_rules! skip {
    ($($why:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($why)*);
    }};
}

pub mod parity;

use std::collections::{BTreeSet, HashMap};
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, FileTimes};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

pub const BIN: &str = env!("CARGO_BIN_EXE_threaded-file-copy");
pub const MODES: [&str; 3] = ["sequential", "threads", "rayon"];

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Drops the two capabilities that let root ignore permission bits, in the child only.
fn drop_dac_capabilities() -> std::io::Result<()> {
    const CAP_DAC_OVERRIDE: libc::c_ulong = 1;
    const CAP_DAC_READ_SEARCH: libc::c_ulong = 2;
    for cap in [CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH] {
        // SAFETY: prctl with PR_CAPBSET_DROP only changes this (forked) process's bounding set.
        if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Whether permission bits bind the binary: true when not root, or when root's override
/// capabilities can be dropped (not in every container).
pub fn permissions_enforced() -> bool {
    static ENFORCED: OnceLock<bool> = OnceLock::new();
    *ENFORCED.get_or_init(|| {
        if !is_root() {
            return true;
        }
        let mut probe = Command::new("true");
        // SAFETY: the closure only calls prctl (async-signal-safe) between fork and exec.
        unsafe { probe.pre_exec(drop_dac_capabilities) };
        let ok = probe.status().is_ok_and(|s| s.success());
        if !ok {
            skip!("SKIP: running as root and cannot drop CAP_DAC_OVERRIDE: permission checks are skipped");
        }
        ok
    })
}

/// The binary, as a user runs it (as root: without the permission-override capabilities).
pub fn tfc() -> Command {
    let mut cmd = Command::new(BIN);
    if is_root() && permissions_enforced() {
        // SAFETY: as above.
        unsafe { cmd.pre_exec(drop_dac_capabilities) };
    }
    cmd
}

pub fn run(args: &[&OsStr]) -> Output {
    tfc().args(args).output().expect("run threaded-file-copy")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A temp dir that can be removed even when a test left read-only or unreadable entries
/// in it (as a user who is not root).
pub struct Scratch(pub tempfile::TempDir);

impl Scratch {
    pub fn new() -> Self {
        Scratch(tempfile::tempdir().expect("temp dir"))
    }
    /// On tmpfs when there is one: for the tests that copy megabytes.
    pub fn in_memory() -> Self {
        let shm = Path::new("/dev/shm");
        match shm.is_dir() {
            true => Scratch(tempfile::tempdir_in(shm).expect("temp dir")),
            false => Scratch::new(),
        }
    }
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for entry in walkdir::WalkDir::new(self.0.path()).into_iter().flatten() {
            if entry.file_type().is_dir() {
                let _ = fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o700));
            }
        }
    }
}

pub fn os(bytes: &[u8]) -> OsString {
    OsStr::from_bytes(bytes).to_os_string()
}

fn when(secs: u64, nanos: u32) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::new(secs, nanos)
}

pub fn set_mtime(path: &Path, secs: u64, nanos: u32) {
    let t = when(secs, nanos);
    let file = File::open(path).expect("open to set times");
    file.set_times(FileTimes::new().set_modified(t).set_accessed(t))
        .expect("set times");
}

fn file(path: &Path, content: &[u8], mode: u32, secs: u64) {
    fs::write(path, content).expect("write file");
    set_mtime(path, secs, 123_456_789);
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Builds the tree with every case of the issue in `root` (which must not exist):
/// nested and empty directories, files of many sizes and modes (one larger than the
/// copier's small-file buffer), symlinks (to a file, to a directory, dangling, absolute),
/// a hard-linked triple, names that are not UTF-8, a read-only directory with contents,
/// many small files, and a FIFO. Every file and directory gets a distinct mtime.
pub fn build_tree(root: &Path) {
    fs::create_dir(root).expect("create root");
    fs::create_dir_all(root.join("a/b/c")).unwrap();
    fs::create_dir_all(root.join("empty/also-empty")).unwrap();
    file(
        &root.join("a/b/c/deep.txt"),
        b"deep inside\n",
        0o644,
        1_000_000_000,
    );
    file(&root.join("zero"), b"", 0o600, 1_000_000_100);
    file(&root.join("one"), b"1", 0o640, 1_000_000_200);
    file(
        &root.join("script.sh"),
        b"#!/bin/sh\necho hi\n",
        0o755,
        1_000_000_300,
    );
    file(
        &root.join("readonly.txt"),
        b"do not touch\n",
        0o444,
        1_000_000_400,
    );
    file(
        &root.join("group-write"),
        b"umask would mask this\n",
        0o664,
        1_000_000_450,
    );
    file(&root.join("sticky"), b"sticky bit\n", 0o1644, 1_000_000_475);
    let large: Vec<u8> = (0..700_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    file(&root.join("a/large.bin"), &large, 0o644, 1_000_000_500);

    symlink("a/b/c/deep.txt", root.join("link-to-file")).unwrap();
    symlink("a/b", root.join("link-to-dir")).unwrap();
    symlink("does/not/exist", root.join("dangling")).unwrap();
    symlink("/nonexistent/absolute/target", root.join("a/absolute-link")).unwrap();

    file(
        &root.join("hard-1"),
        b"one inode, three names\n",
        0o640,
        1_000_000_600,
    );
    fs::hard_link(root.join("hard-1"), root.join("a/hard-2")).unwrap();
    fs::hard_link(root.join("hard-1"), root.join("a/b/hard-3")).unwrap();

    let bad_dir = root.join(os(b"dir-\xff\xfe"));
    fs::create_dir(&bad_dir).unwrap();
    file(
        &bad_dir.join(os(b"caf\xe9.txt")),
        b"latin-1 name\n",
        0o644,
        1_000_000_700,
    );
    file(
        &root.join(os(b"\x80\x81-bytes")),
        b"not utf-8\n",
        0o600,
        1_000_000_800,
    );

    for d in 0..3 {
        let dir = root.join(format!("many-{d}"));
        fs::create_dir(&dir).unwrap();
        for f in 0..60 {
            let body = format!("file {d}/{f}\n").repeat(f + 1);
            file(
                &dir.join(format!("f{f:02}")),
                body.as_bytes(),
                0o644,
                1_100_000_000 + f as u64,
            );
        }
    }

    let fifo = root.join("fifo");
    let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");

    // The read-only directory, with a file and a subdirectory: made read-only last.
    let ro = root.join("read-only-dir");
    fs::create_dir_all(ro.join("sub")).unwrap();
    file(
        &ro.join("inside.txt"),
        b"written into a read-only dir\n",
        0o644,
        1_000_000_900,
    );
    file(
        &ro.join("sub/deeper.txt"),
        b"deeper\n",
        0o644,
        1_000_000_950,
    );
    set_dir_times_and_modes(root);
}

/// Gives every directory a distinct mtime, children first (setting a child's times does not
/// touch its parent), then makes `read-only-dir` and its `sub` read-only.
fn set_dir_times_and_modes(root: &Path) {
    let mut dirs: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_dir())
        .map(|e| e.into_path())
        .collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for (i, dir) in dirs.iter().enumerate() {
        set_mtime(dir, 1_200_000_000 + i as u64, 987_654_321);
    }
    for (dir, mode) in [
        ("read-only-dir/sub", 0o500),
        ("read-only-dir", 0o555),
        ("a/b", 0o750),
    ] {
        fs::set_permissions(root.join(dir), fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// Asserts that `dst` is an exact copy of `src`: the same names in every directory (so no
/// leftover temporary file either), the same kinds, file contents, permission bits, file and
/// directory mtimes, symlink targets, device numbers of FIFOs, sockets and devices, and the
/// same hard-link groups. The relative paths in `missing` are expected to be absent.
pub fn assert_same_tree(src: &Path, dst: &Path, missing: &[&Path]) {
    let mut groups: HashMap<(u64, u64), Vec<PathBuf>> = HashMap::new();
    compare_dir(src, dst, Path::new(""), missing, &mut groups);
    for (_, rels) in groups.into_iter().filter(|(_, v)| v.len() > 1) {
        let inodes: BTreeSet<(u64, u64)> = rels
            .iter()
            .map(|rel| {
                let m = fs::symlink_metadata(dst.join(rel)).unwrap();
                (m.dev(), m.ino())
            })
            .collect();
        assert_eq!(
            inodes.len(),
            1,
            "hard links {rels:?} are not one inode in the copy"
        );
    }
}

fn compare_dir(
    src: &Path,
    dst: &Path,
    rel: &Path,
    missing: &[&Path],
    groups: &mut HashMap<(u64, u64), Vec<PathBuf>>,
) {
    let (s, d) = (src.join(rel), dst.join(rel));
    compare_meta(&s, &d);
    let copied = |name: &OsString| !missing.contains(&rel.join(name).as_path());
    let names = |dir: &Path| -> BTreeSet<OsString> {
        fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
            .map(|e| e.unwrap().file_name())
            .collect()
    };
    let want: BTreeSet<OsString> = names(&s).into_iter().filter(copied).collect();
    let got: BTreeSet<OsString> = names(&d)
        .into_iter()
        .filter(|n| !missing.contains(&rel.join(n).as_path()))
        .collect();
    assert_eq!(got, want, "entries of {}", d.display());
    for name in want {
        let r = rel.join(&name);
        let (sm, dm) = (
            fs::symlink_metadata(src.join(&r)).unwrap(),
            fs::symlink_metadata(dst.join(&r)).unwrap(),
        );
        assert_eq!(sm.file_type(), dm.file_type(), "kind of {}", r.display());
        if sm.is_dir() {
            compare_dir(src, dst, &r, missing, groups);
        } else if sm.file_type().is_symlink() {
            assert_eq!(
                fs::read_link(src.join(&r)).unwrap(),
                fs::read_link(dst.join(&r)).unwrap(),
                "target of {}",
                r.display()
            );
        } else if !sm.is_file() {
            compare_meta(&src.join(&r), &dst.join(&r));
            assert_eq!(sm.rdev(), dm.rdev(), "device number of {}", r.display());
        } else {
            compare_meta(&src.join(&r), &dst.join(&r));
            let content =
                fs::read(dst.join(&r)).unwrap_or_else(|e| panic!("read copy {}: {e}", r.display()));
            assert!(
                content == fs::read(src.join(&r)).unwrap(),
                "content of {}",
                r.display()
            );
            if sm.nlink() > 1 {
                groups.entry((sm.dev(), sm.ino())).or_default().push(r);
            }
        }
    }
}

fn compare_meta(s: &Path, d: &Path) {
    let (sm, dm) = (
        fs::symlink_metadata(s).unwrap(),
        fs::symlink_metadata(d).unwrap(),
    );
    assert_eq!(
        format!("{:o}", dm.mode() & 0o7777),
        format!("{:o}", sm.mode() & 0o7777),
        "permission bits of {}",
        d.display()
    );
    assert_eq!(
        (dm.mtime(), dm.mtime_nsec()),
        (sm.mtime(), sm.mtime_nsec()),
        "mtime of {}",
        d.display()
    );
}

/// Every path under `root`, with kind, size and mtime: to assert that a refused run wrote
/// nothing.
pub fn snapshot(root: &Path) -> Vec<(PathBuf, String)> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .map(|e| {
            let m = fs::symlink_metadata(e.path()).unwrap();
            (
                e.path().to_path_buf(),
                format!(
                    "{:?} {} {:o} {}.{}",
                    m.file_type(),
                    m.len(),
                    m.mode(),
                    m.mtime(),
                    m.mtime_nsec()
                ),
            )
        })
        .collect()
}

/// Temporary files left anywhere under `root`.
pub fn temp_files(root: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .flatten()
        .filter(|e| {
            e.file_name()
                .as_bytes()
                .starts_with(b".threaded-file-copy.")
        })
        .map(|e| e.into_path())
        .collect()
}
