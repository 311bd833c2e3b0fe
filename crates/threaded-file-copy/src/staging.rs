//! How a finished file gets its real name, so that DST never holds a truncated file under a
//! real name, whatever happens during the copy.
//!
//! The preferred way is Linux's `O_TMPFILE`: the new file is created in its destination
//! directory *without a name*, written, given its permission bits and times, and only then
//! linked into the directory under its real name with `linkat`. Until that moment no name
//! refers to it. If the copy fails, is stopped by Ctrl-C, or the process is killed outright
//! (SIGKILL, a crash), the unnamed file disappears with its last file descriptor: there is
//! nothing to clean up. It is also the cheaper way: one directory update per file (the link)
//! where a temporary name costs two (create the name, then rename it).
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
//! and renamed into place when complete; the `TempPath` guard removes it if the copy fails or
//! is interrupted (a SIGKILL leaves it behind, under that name, never under the real one).

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::copy::CopyError;

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
    pub fn probe(dir: &Path) -> Staging {
        let Ok(file) = open_unnamed(dir, 0o600) else {
            return Staging::TempName;
        };
        let probe_name = dir.join("probe");
        for staging in [Staging::UnnamedEmptyPath, Staging::UnnamedProcFd] {
            // The guard unlinks the probe's link when dropped at the end of this statement.
            if TempPath::create_with(&probe_name, |tmp| link_fd(&file, None, tmp, staging)).is_ok()
            {
                return staging;
            }
        }
        Staging::TempName
    }
}

/// A file being written: unnamed (`O_TMPFILE`) or under a temporary name.
pub struct NewFile<'a> {
    file: File,
    /// `None`: unnamed, linked by `commit`. `Some`: the temporary name, renamed by `commit`.
    temp: Option<TempPath>,
    staging: Staging,
    /// The destination directory, open (see `job::DirPair`), or `None`: use full paths.
    dir: Option<BorrowedFd<'a>>,
}

impl<'a> NewFile<'a> {
    /// Creates the new file for `dst`, with permission bits `perm`. `dir`, when given, is
    /// `dst`'s directory, open.
    pub fn create(
        staging: Staging,
        dst: &Path,
        dir: Option<BorrowedFd<'a>>,
        perm: u32,
    ) -> Result<NewFile<'a>, CopyError> {
        if staging != Staging::TempName {
            let unnamed = match dir {
                Some(_) => open_at(dir, Path::new("."), libc::O_WRONLY | libc::O_TMPFILE, perm),
                None => open_unnamed(parent(dst), perm),
            };
            match unnamed {
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
                Err(e) => return Err(CopyError::new("cannot create a file in", parent(dst), e)),
            }
        }
        let mut file = None;
        let temp = TempPath::create_with(dst, |tmp| {
            // O_CREAT|O_EXCL: never an existing file.
            let opened = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(perm)
                .open(tmp)?;
            file = Some(opened);
            Ok(())
        })?;
        let file = file.ok_or_else(|| {
            CopyError::new("cannot create", &temp.path, io::Error::other("no file"))
        })?;
        Ok(NewFile {
            file,
            temp: Some(temp),
            staging: Staging::TempName,
            dir,
        })
    }

    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// Gives the complete file its real name, replacing whatever is there (with --force).
    pub fn commit(self, dst: &Path) -> Result<(), CopyError> {
        match self.temp {
            Some(temp) => {
                drop(self.file);
                temp.commit(dst)
            }
            None => match link_fd(&self.file, self.dir, dst, self.staging) {
                Ok(()) => Ok(()),
                // `dst` exists (--force): `linkat` never replaces, so link under a temporary
                // name and rename that over `dst`, which replaces it in one step.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let temp = TempPath::create_with(dst, |tmp| {
                        link_fd(&self.file, None, tmp, self.staging)
                    })?;
                    temp.commit(dst)
                }
                Err(e) => Err(CopyError::new("cannot link into place", dst, e)),
            },
        }
    }
}

/// The directory `path` is in (`.` for a bare name).
pub fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// An unnamed regular file in `dir` (O_TMPFILE), open for writing, with mode `perm`.
fn open_unnamed(dir: &Path, perm: u32) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .mode(perm)
        .custom_flags(libc::O_TMPFILE)
        .open(dir)
}

/// O_TMPFILE is not available here: old kernels (EISDIR) or file systems (EOPNOTSUPP).
fn unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)
    )
}

/// `path` as the kernel should look it up: its last name relative to `dir` when the
/// directory is open, else the whole path.
fn lookup(dir: Option<BorrowedFd<'_>>, path: &Path) -> io::Result<(RawFd, CString)> {
    match (dir, path.file_name()) {
        (Some(dir), Some(name)) => Ok((dir.as_raw_fd(), CString::new(name.as_bytes())?)),
        (Some(dir), None) if path == Path::new(".") => Ok((dir.as_raw_fd(), CString::new(".")?)),
        _ => Ok((libc::AT_FDCWD, CString::new(path.as_os_str().as_bytes())?)),
    }
}

/// `openat`: opens `path` (see `lookup`) with `flags` (close-on-exec added) and `mode`.
pub fn open_at(
    dir: Option<BorrowedFd<'_>>,
    path: &Path,
    flags: libc::c_int,
    mode: u32,
) -> io::Result<File> {
    let (dir_fd, name) = lookup(dir, path)?;
    // SAFETY: `name` is a valid NUL-terminated string alive during the call; `dir_fd` is an
    // open descriptor (borrowed for the call) or AT_FDCWD.
    let fd = unsafe {
        libc::openat(
            dir_fd,
            name.as_ptr(),
            flags | libc::O_CLOEXEC,
            mode as libc::c_uint,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by openat and is owned by nothing else.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// Links the open (unnamed) `file` at `path` (see `lookup`), with the call `staging` names.
fn link_fd(
    file: &File,
    dir: Option<BorrowedFd<'_>>,
    path: &Path,
    staging: Staging,
) -> io::Result<()> {
    let (dir_fd, name) = lookup(dir, path)?;
    let fd = file.as_raw_fd();
    // SAFETY: every pointer is a valid NUL-terminated string alive during the call, and the
    // descriptors are open (owned by `file`, borrowed for the call) or AT_FDCWD.
    let rc = match staging {
        Staging::UnnamedEmptyPath => unsafe {
            libc::linkat(fd, c"".as_ptr(), dir_fd, name.as_ptr(), libc::AT_EMPTY_PATH)
        },
        Staging::UnnamedProcFd => {
            let proc_path = CString::new(format!("/proc/self/fd/{fd}"))?;
            unsafe {
                libc::linkat(
                    libc::AT_FDCWD,
                    proc_path.as_ptr(),
                    dir_fd,
                    name.as_ptr(),
                    libc::AT_SYMLINK_FOLLOW,
                )
            }
        }
        Staging::TempName => return Err(io::Error::other("a named file needs no link")),
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A temporary name next to the destination. Dropping it without `commit` removes the
/// file: this is how failed and interrupted copies clean up after themselves.
pub struct TempPath {
    pub path: PathBuf,
    committed: bool,
}

/// The prefix of temporary names: `.threaded-file-copy.<pid>.<n>.tmp`. The original name is
/// not part of it, so a 255-byte name cannot make the temporary name too long.
pub const TEMP_PREFIX: &str = ".threaded-file-copy.";

impl TempPath {
    /// Runs `make` (which creates something at the path it is given) on fresh temporary
    /// names next to `dst` until one does not exist yet.
    pub fn create_with(
        dst: &Path,
        mut make: impl FnMut(&Path) -> io::Result<()>,
    ) -> Result<TempPath, CopyError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut attempts = 0;
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let name = format!("{TEMP_PREFIX}{}.{n}.tmp", std::process::id());
            let path = dst.with_file_name(name);
            match make(&path) {
                Ok(()) => {
                    return Ok(TempPath {
                        path,
                        committed: false,
                    })
                }
                // Someone else's file has that name: try the next number.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 100 => {
                    attempts += 1
                }
                Err(e) => return Err(CopyError::new("cannot create", &path, e)),
            }
        }
    }

    /// Renames the finished temporary file to its real name (replacing a file there).
    pub fn commit(mut self, dst: &Path) -> Result<(), CopyError> {
        fs::rename(&self.path, dst).map_err(|e| CopyError::new("cannot rename into", dst, e))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: the error that brought us here is the one worth reporting.
            let _ = fs::remove_file(&self.path);
        }
    }
}
