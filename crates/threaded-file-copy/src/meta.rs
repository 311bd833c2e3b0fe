//! The metadata `cp -a` keeps, applied to a new entry before it gets its name: owner and
//! group, extended attributes (ACLs are the `system.posix_acl_*` ones), permission bits
//! (set-user-ID and set-group-ID only where the owner was kept too), then the times, last,
//! because nothing after them may touch the entry.
//!
//! Files and directories get it through their open descriptor (`fchown`, `fsetxattr`,
//! `fchmod`, `futimens`); symlinks and special files, which cannot be opened for that,
//! relative to their directory's descriptor without following them (`AT_SYMLINK_NOFOLLOW`,
//! and for attributes `/proc/self/fd/<dir>/<name>`, which `lsetxattr` does not follow).

use std::ffi::OsStr;
use std::fs::Metadata;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::OnceLock;

use rustix::fs::{
    chownat, fchmod, fchown, fgetxattr, flistxattr, fsetxattr, futimens, lgetxattr, llistxattr,
    lsetxattr, utimensat, AtFlags, Gid, Mode, Timespec, Timestamps, Uid, XattrFlags,
};
use rustix::io::Errno;

use crate::context::Context;

/// The permission bits every copy keeps: rwx for all, plus sticky.
pub const PERM_MASK: u32 = 0o1777;
/// Set-user-ID and set-group-ID: kept only together with the owner (a set-uid file of
/// another user must not become a set-uid file of whoever runs the copy; GNU cp does this).
pub const SET_ID: u32 = 0o6000;

/// The few fields of a source entry's `stat` that its copy takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub blocks: u64,
    pub nlink: u64,
    pub dev: u64,
    pub ino: u64,
    pub rdev: u64,
    pub atime: (i64, i64),
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
}

impl Stat {
    pub fn of(st: &rustix::fs::Stat) -> Stat {
        Stat {
            mode: st.st_mode,
            uid: st.st_uid,
            gid: st.st_gid,
            size: st.st_size as u64,
            blocks: st.st_blocks as u64,
            #[allow(clippy::unnecessary_cast)] // u32 on some targets
            nlink: st.st_nlink as u64,
            dev: st.st_dev,
            ino: st.st_ino,
            rdev: st.st_rdev,
            atime: (st.st_atime, st.st_atime_nsec as i64),
            mtime: (st.st_mtime, st.st_mtime_nsec as i64),
            ctime: (st.st_ctime, st.st_ctime_nsec as i64),
        }
    }

    pub fn from_metadata(m: &Metadata) -> Stat {
        Stat {
            mode: m.mode(),
            uid: m.uid(),
            gid: m.gid(),
            size: m.size(),
            blocks: m.blocks(),
            nlink: m.nlink(),
            dev: m.dev(),
            ino: m.ino(),
            rdev: m.rdev(),
            atime: (m.atime(), m.atime_nsec()),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }

    /// Whether the content may have changed between two `stat`s of one file.
    pub fn changed(&self, later: &Stat) -> bool {
        (self.size, self.mtime, self.ctime) != (later.size, later.mtime, later.ctime)
    }

    fn times(&self) -> Timestamps {
        let ts = |(tv_sec, tv_nsec): (i64, i64)| Timespec { tv_sec, tv_nsec };
        Timestamps {
            last_access: ts(self.atime),
            last_modification: ts(self.mtime),
        }
    }
}

/// Where the metadata goes: an open file or directory, or an entry named in a directory.
#[derive(Clone, Copy)]
pub enum Target<'a> {
    Fd(BorrowedFd<'a>),
    At(BorrowedFd<'a>, &'a OsStr),
}

/// Applies owner, extended attributes (read from `src_fd`, or the path `src` for entries that
/// cannot be opened), permission bits and times of `st` to `target`. `fresh`: a file just
/// created with the permission bits and no owner of its own yet, where `fchmod` is needed only
/// if the umask masked some bits or the set-id bits are due.
pub fn apply(
    ctx: &Context,
    st: &Stat,
    src_fd: Option<BorrowedFd<'_>>,
    src: &Path,
    target: Target<'_>,
    fresh: bool,
) -> io::Result<()> {
    let owned = set_owner(ctx, st, target)?;
    if ctx.keep.xattrs {
        copy_xattrs(src_fd, src, target)?;
    }
    let mode = st.mode & if owned { PERM_MASK | SET_ID } else { PERM_MASK };
    match target {
        Target::Fd(fd) => {
            if !fresh || mode & (umask() | SET_ID) != 0 {
                fchmod(fd, Mode::from_raw_mode(mode))?;
            }
            futimens(fd, &st.times())?;
        }
        Target::At(dir, name) => {
            // A symlink has no permission bits of its own; a special file got them at mknod.
            if mode & (umask() | SET_ID) != 0 && !is_symlink(st) {
                rustix::fs::chmodat(dir, name, Mode::from_raw_mode(mode), AtFlags::empty())?;
            }
            utimensat(dir, name, &st.times(), AtFlags::SYMLINK_NOFOLLOW)?;
        }
    }
    Ok(())
}

/// Gives an open file the access and modification times of `st` (again, after more writes).
pub fn set_times(fd: BorrowedFd<'_>, st: &Stat) -> io::Result<()> {
    Ok(futimens(fd, &st.times())?)
}

fn is_symlink(st: &Stat) -> bool {
    st.mode & 0o170000 == 0o120000
}

/// Gives the copy the owner and group of its source, where the process may (cp -a does the
/// same, silently): root may give any, others only a group they are in. Returns whether both
/// were kept, which is what allows the set-id bits.
fn set_owner(ctx: &Context, st: &Stat, target: Target<'_>) -> io::Result<bool> {
    if !ctx.keep.owner {
        return Ok(false);
    }
    // A new entry already belongs to us: skip the call (with --force an existing directory
    // may have a set-group-ID bit and give its own group: then call anyway).
    if st.uid == ctx.euid && st.gid == ctx.egid && !ctx.force {
        return Ok(true);
    }
    let (uid, gid) = (Uid::from_raw(st.uid), Gid::from_raw(st.gid));
    let chown = |uid: Option<Uid>, gid: Option<Gid>| match target {
        Target::Fd(fd) => fchown(fd, uid, gid),
        Target::At(dir, name) => chownat(dir, name, uid, gid, AtFlags::SYMLINK_NOFOLLOW),
    };
    match chown(Some(uid), Some(gid)) {
        Ok(()) => Ok(true),
        Err(Errno::PERM) => {
            // Not root: keep at least the group, if we are in it; else the copy is ours.
            let _ = chown(None, Some(gid));
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Copies every extended attribute the process may set: `user.*` and the ACLs always
/// (an error if the destination refuses them), `security.*` and `trusted.*` where permitted
/// (root, mostly; refused ones are left out silently, as cp -a does).
fn copy_xattrs(src_fd: Option<BorrowedFd<'_>>, src: &Path, target: Target<'_>) -> io::Result<()> {
    let mut list = [0u8; 1024];
    let listed = match src_fd {
        Some(fd) => flistxattr(fd, &mut list[..]),
        None => llistxattr(src, &mut list[..]),
    };
    let mut big = Vec::new();
    let names: &[u8] = match listed {
        Ok(0) => return Ok(()),
        Ok(n) => &list[..n],
        Err(Errno::NOTSUP) => return Ok(()), // the source file system has none
        Err(Errno::RANGE) => {
            big.resize(65536, 0);
            let n = match src_fd {
                Some(fd) => flistxattr(fd, &mut big[..])?,
                None => llistxattr(src, &mut big[..])?,
            };
            &big[..n]
        }
        Err(e) => return Err(e.into()),
    };
    // For an entry named in a directory: a path that `lsetxattr` resolves to it without
    // following it (the directory through /proc, then the name).
    let at_path = match target {
        Target::At(dir, name) => {
            let mut p = format!("/proc/self/fd/{}/", dir.as_raw_fd()).into_bytes();
            p.extend_from_slice(name.as_bytes());
            Some(std::ffi::OsString::from_vec(p))
        }
        Target::Fd(_) => None,
    };
    let mut value = vec![0u8; 65536];
    for name in names.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = OsStr::from_bytes(name);
        let n = match src_fd {
            Some(fd) => fgetxattr(fd, name, &mut value[..]),
            None => lgetxattr(src, name, &mut value[..]),
        };
        let n = match n {
            Ok(n) => n,
            Err(Errno::NODATA) => continue, // removed since the listing
            Err(e) => return Err(e.into()),
        };
        let set = match (target, &at_path) {
            (Target::Fd(fd), _) => fsetxattr(fd, name, &value[..n], XattrFlags::empty()),
            (_, Some(path)) => lsetxattr(path, name, &value[..n], XattrFlags::empty()),
            _ => Ok(()),
        };
        match set {
            Ok(()) => {}
            Err(Errno::PERM | Errno::ACCESS | Errno::NOTSUP) if privileged(name) => {}
            Err(e) => {
                return Err(io::Error::new(
                    io::Error::from(e).kind(),
                    format!("extended attribute {}: {e}", name.to_string_lossy()),
                ))
            }
        }
    }
    Ok(())
}

/// Attributes only privileged processes may set: left out where refused.
fn privileged(name: &OsStr) -> bool {
    let n = name.as_bytes();
    n.starts_with(b"security.") || n.starts_with(b"trusted.")
}

/// The process umask, read once without changing it (Linux reports it in
/// /proc/self/status). If it cannot be read, assume the worst so that `chmod` always runs.
pub fn umask() -> u32 {
    static UMASK: OnceLock<u32> = OnceLock::new();
    *UMASK.get_or_init(|| {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix("Umask:"))
                    .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
            })
            .unwrap_or(0o7777)
    })
}
