//! How a finished file gets its real name, so that DST never holds a truncated file under a
//! real name, whatever happens during the copy.
//!
//! The preferred way is Linux's `O_TMPFILE`: the new file is created in its destination
//! directory *without a name*, written, given its owner, attributes, permission bits and
//! times, and only then linked into the directory under its real name with `linkat`. Until
//! that moment no name refers to it. If the copy fails, is stopped by Ctrl-C, or the process
//! is killed outright (SIGKILL, a crash), the unnamed file disappears with its last file
//! descriptor: there is nothing to clean up. It is also the cheaper way: one directory
//! update per file (the link) where a temporary name costs two (create, then rename).
//!
//! Giving an open file a name takes one of two calls; `Staging::probe` finds out, once per
//! copy, which one this process may use on DST:
//!
//! - `linkat(fd, "", dir, name, AT_EMPTY_PATH)`: allowed with CAP_DAC_READ_SEARCH, and
//!   since Linux 6.10 for the process that opened the file;
//! - `linkat(AT_FDCWD, "/proc/self/fd/N", dir, name, AT_SYMLINK_FOLLOW)`: the documented way
//!   for everyone else, where /proc is mounted.
//!
//! Where neither works (a file system without `O_TMPFILE`, no /proc), each file is written
//! under a temporary name, `.threaded-file-copy.<pid>.<n>.tmp`, in its destination directory
//! and renamed into place when complete; the `TempName` guard removes it if the copy fails or
//! is interrupted (a SIGKILL leaves it behind, under that name, never under the real one).
//! Symlinks, special files and hard links are made under a temporary name the same way.
//!
//! Every call here is relative to the destination directory's descriptor (see `dst.rs`).

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::fs::{linkat, openat, unlinkat, AtFlags, Mode, OFlags, CWD};
use rustix::io::Errno;

use crate::dst;

/// How new files get their names in this copy (decided by `probe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staging {
    /// `O_TMPFILE`, then `linkat(.., AT_EMPTY_PATH)`.
    UnnamedEmptyPath,
    /// `O_TMPFILE`, then `linkat` of `/proc/self/fd/N`.
    UnnamedProcFd,
    /// A temporary name, then `rename`.
    TempName,
}

impl Staging {
    /// Finds the best way that works in `dir`: creates an unnamed file there, tries to link
    /// it under a temporary name with each call in turn, and removes the link again.
    pub fn probe(dir: BorrowedFd<'_>) -> Staging {
        let Ok(file) = open_unnamed(dir, 0o600) else {
            return Staging::TempName;
        };
        for staging in [Staging::UnnamedEmptyPath, Staging::UnnamedProcFd] {
            // The guard unlinks the probe's link when dropped at the end of this statement.
            if TempName::create_with(dir, |tmp| link_fd(&file, dir, tmp, staging)).is_ok() {
                return staging;
            }
        }
        Staging::TempName
    }
}

/// A file being written: unnamed (`O_TMPFILE`) or under a temporary name.
pub struct NewFile<'a> {
    pub file: File,
    /// `None`: unnamed, linked by `commit`. `Some`: the temporary name, renamed by `commit`.
    temp: Option<TempName<'a>>,
    staging: Staging,
    dir: BorrowedFd<'a>,
}

impl<'a> NewFile<'a> {
    /// Creates the new file in the directory `dir`, with permission bits `perm`.
    pub fn create(staging: Staging, dir: BorrowedFd<'a>, perm: u32) -> io::Result<NewFile<'a>> {
        if staging != Staging::TempName {
            match open_unnamed(dir, perm) {
                Ok(file) => {
                    return Ok(NewFile {
                        file,
                        temp: None,
                        staging,
                        dir,
                    })
                }
                // This directory is on a file system without O_TMPFILE: use a temporary name.
                Err(e) if unsupported(&e) => {}
                Err(e) => return Err(e),
            }
        }
        let mut file = None;
        let temp = TempName::create_with(dir, |tmp| {
            // O_CREAT|O_EXCL: never an existing file, never through a symlink.
            let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
            file = Some(File::from(openat(
                dir,
                tmp,
                flags,
                Mode::from_raw_mode(perm),
            )?));
            Ok(())
        })?;
        let file = file.ok_or_else(|| io::Error::other("no file"))?;
        Ok(NewFile {
            file,
            temp: Some(temp),
            staging: Staging::TempName,
            dir,
        })
    }

    /// Gives the complete file its real `name`, replacing a file or symlink there (and,
    /// with `force`, a directory: see `dst::replace`).
    pub fn commit(self, name: &OsStr, force: bool) -> io::Result<()> {
        match self.temp {
            Some(temp) => temp.commit(name, force),
            None => match link_fd(&self.file, self.dir, name, self.staging) {
                Ok(()) => Ok(()),
                // `name` exists: `linkat` never replaces, so link under a temporary name and
                // rename that over `name`, which replaces it in one step.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let (file, staging) = (&self.file, self.staging);
                    let temp = TempName::create_with(self.dir, |tmp| {
                        link_fd(file, self.dir, tmp, staging)
                    })?;
                    temp.commit(name, force)
                }
                Err(e) => Err(e),
            },
        }
    }
}

/// An unnamed regular file in `dir` (O_TMPFILE), open for writing, with mode `perm`.
fn open_unnamed(dir: BorrowedFd<'_>, perm: u32) -> io::Result<File> {
    let flags = OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC;
    Ok(File::from(openat(
        dir,
        ".",
        flags,
        Mode::from_raw_mode(perm),
    )?))
}

/// O_TMPFILE is not available here: old kernels (EISDIR) or file systems (EOPNOTSUPP).
fn unsupported(e: &io::Error) -> bool {
    matches!(
        Errno::from_io_error(e),
        Some(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL)
    )
}

/// Links the open (unnamed) `file` as `name` in `dir`, with the call `staging` names.
fn link_fd(file: &File, dir: BorrowedFd<'_>, name: &OsStr, staging: Staging) -> io::Result<()> {
    match staging {
        Staging::UnnamedEmptyPath => Ok(linkat(file, "", dir, name, AtFlags::EMPTY_PATH)?),
        Staging::UnnamedProcFd => {
            let proc_path = format!("/proc/self/fd/{}", file.as_fd().as_raw_fd());
            Ok(linkat(
                CWD,
                proc_path.as_str(),
                dir,
                name,
                AtFlags::SYMLINK_FOLLOW,
            )?)
        }
        Staging::TempName => Err(io::Error::other("a named file needs no link")),
    }
}

/// A temporary name in a destination directory. Dropping it without `commit` removes what
/// it names: this is how failed and interrupted copies clean up after themselves.
pub struct TempName<'a> {
    pub dir: BorrowedFd<'a>,
    pub name: OsString,
    committed: bool,
}

/// The prefix of temporary names: `.threaded-file-copy.<pid>.<n>.tmp`. The original name is
/// not part of it, so a 255-byte name cannot make the temporary name too long.
pub const TEMP_PREFIX: &str = ".threaded-file-copy.";

impl<'a> TempName<'a> {
    /// Runs `make` (which creates something under the name it is given in `dir`) on fresh
    /// temporary names until one does not exist yet.
    pub fn create_with(
        dir: BorrowedFd<'a>,
        mut make: impl FnMut(&OsStr) -> io::Result<()>,
    ) -> io::Result<TempName<'a>> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut attempts = 0;
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let name = OsString::from(format!("{TEMP_PREFIX}{}.{n}.tmp", std::process::id()));
            match make(&name) {
                Ok(()) => {
                    return Ok(TempName {
                        dir,
                        name,
                        committed: false,
                    })
                }
                // Someone else's file has that name: try the next number.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 100 => {
                    attempts += 1
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Renames the finished entry to its real name (see `dst::replace`).
    pub fn commit(mut self, name: &OsStr, force: bool) -> io::Result<()> {
        dst::replace(self.dir, &self.name, name, force)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for TempName<'_> {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: the error that brought us here is the one worth reporting.
            let _ = unlinkat(self.dir, &self.name, AtFlags::empty());
        }
    }
}
