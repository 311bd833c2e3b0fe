//! The oracle of `tests/parity.rs`: the fields of every entry of a tree, to compare a copy
//! with `cp -a`'s copy of the same tree.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use super::{stderr, BIN, MODES};

/// What is compared of one entry.
#[derive(Debug, PartialEq, Eq)]
pub struct Fields {
    pub kind: String,
    pub mode: String,
    pub owner: (u32, u32),
    pub mtime: (i64, i64),
    /// Not for directories: reading one to compare it moves its atime.
    pub atime: Option<(i64, i64)>,
    /// Size and allocated blocks: for regular files (a directory's depend on its history).
    pub size: Option<(u64, u64)>,
    pub xattrs: BTreeMap<String, Vec<u8>>,
    pub rdev: u64,
    pub nlink: u64,
    /// The other paths of the tree on the same inode.
    pub linked_with: Vec<PathBuf>,
}

pub fn c(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap()
}

/// Every extended attribute of `path` (not following a symlink), read with the raw calls.
pub fn xattrs(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let p = c(path);
    let mut names = vec![0u8; 65536];
    // SAFETY: `p` is NUL-terminated and `names` is a writable buffer of the given length.
    let n = unsafe { libc::llistxattr(p.as_ptr(), names.as_mut_ptr().cast(), names.len()) };
    if n <= 0 {
        return BTreeMap::new();
    }
    let mut out = BTreeMap::new();
    for name in names[..n as usize]
        .split(|b| *b == 0)
        .filter(|n| !n.is_empty())
    {
        let cname = CString::new(name).unwrap();
        let mut value = vec![0u8; 65536];
        // SAFETY: as above, for the name and the value buffer.
        let len = unsafe {
            libc::lgetxattr(
                p.as_ptr(),
                cname.as_ptr(),
                value.as_mut_ptr().cast(),
                value.len(),
            )
        };
        assert!(len >= 0, "lgetxattr {}", path.display());
        value.truncate(len as usize);
        out.insert(String::from_utf8_lossy(name).into_owned(), value);
    }
    out
}

/// Every entry of the tree `root` (itself as ""), with its fields.
pub fn fields(root: &Path) -> BTreeMap<PathBuf, Fields> {
    let mut by_inode: BTreeMap<u64, Vec<PathBuf>> = BTreeMap::new();
    let mut metas = Vec::new();
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(root).unwrap().to_path_buf();
        let m = fs::symlink_metadata(entry.path()).unwrap();
        by_inode.entry(m.ino()).or_default().push(rel.clone());
        metas.push((rel, entry.into_path(), m));
    }
    metas
        .into_iter()
        .map(|(rel, path, m)| {
            let linked_with = by_inode[&m.ino()]
                .iter()
                .filter(|p| **p != rel)
                .cloned()
                .collect();
            let f = Fields {
                kind: format!("{:?}", m.file_type()),
                mode: format!("{:o}", m.mode() & 0o7777),
                owner: (m.uid(), m.gid()),
                mtime: (m.mtime(), m.mtime_nsec()),
                atime: (!m.is_dir()).then(|| (m.atime(), m.atime_nsec())),
                size: m.is_file().then(|| (m.size(), m.blocks())),
                xattrs: xattrs(&path),
                rdev: m.rdev(),
                nlink: m.nlink(),
                linked_with,
            };
            (rel, f)
        })
        .collect()
}

/// Gives every entry of `root` the same old mtime and a recent atime (later than the mtime
/// and within a day: reading does not move it under `relatime`, so the two copies agree).
pub fn settle_times(root: &Path) {
    let mtime = SystemTime::UNIX_EPOCH + Duration::new(1_500_000_000, 123_456_789);
    let atime = SystemTime::now() - Duration::from_secs(600);
    let mut entries: Vec<_> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .collect();
    entries.reverse(); // children before their directory
    for e in entries {
        let p = c(e.path());
        let ts = |t: SystemTime| {
            let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap();
            libc::timespec {
                tv_sec: d.as_secs() as libc::time_t,
                tv_nsec: d.subsec_nanos() as _,
            }
        };
        let times = [ts(atime), ts(mtime)];
        // SAFETY: a valid path and an array of two timespecs.
        let rc = unsafe {
            libc::utimensat(
                libc::AT_FDCWD,
                p.as_ptr(),
                times.as_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        assert_eq!(rc, 0, "utimensat {}", e.path().display());
    }
    // That changed every ctime, so the first read would move each atime (relatime moves an
    // atime not later than the ctime): read every file and link once now, a few clock ticks
    // later, and the atimes stay put.
    std::thread::sleep(Duration::from_millis(50));
    for e in walkdir::WalkDir::new(root) {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let mut one = [0u8; 1];
            let _ = std::io::Read::read(&mut fs::File::open(e.path()).unwrap(), &mut one);
        } else if e.file_type().is_symlink() {
            fs::read_link(e.path()).unwrap();
        }
    }
}

/// Copies `src` with `cp -a` (plus `cp_args`) and with each mode of ours (plus `args`), and
/// asserts that every copy has the same entries with the same fields as cp's. Returns cp's.
pub fn assert_like_cp(tmp: &Path, src: &Path, cp_args: &[&str], args: &[&str]) -> PathBuf {
    settle_times(src);
    let by_cp = tmp.join("by-cp");
    let out = Command::new("cp")
        .arg("-a")
        .args(cp_args)
        .args([src, &by_cp])
        .output()
        .expect("run cp");
    assert!(out.status.success(), "cp -a: {}", stderr(&out));
    let want = fields(&by_cp);
    for mode in MODES {
        let ours = tmp.join(format!("by-{mode}"));
        let out = tfc_with_caps()
            .args(["--mode", mode])
            .args(args)
            .args([src, &ours])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{mode}: {}", stderr(&out));
        let got = fields(&ours);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "{mode}: entries"
        );
        for (rel, w) in &want {
            assert_eq!(
                &got[rel],
                w,
                "{mode}: '{}' differs from cp -a's",
                rel.display()
            );
        }
    }
    by_cp
}

/// The binary with root's capabilities intact (the permission tests drop some; parity needs
/// CAP_CHOWN and CAP_MKNOD as cp -a has them).
pub fn tfc_with_caps() -> Command {
    Command::new(BIN)
}
