//! Writing inside DST without ever following anything that is already there.
//!
//! A refreshed copy (`--force`) may hold anything: a symlink where SRC has a directory, a
//! file where SRC has a directory, a directory where SRC has a file. Following such an entry
//! would write outside DST, or into SRC itself. So no path under DST is ever handed to the
//! kernel whole: every directory is opened relative to its parent's descriptor, one name at
//! a time, with `O_NOFOLLOW | O_DIRECTORY` (a symlink or a file there fails to open instead
//! of being followed), and every entry is created, linked or renamed relative to its
//! directory's descriptor. An entry whose type differs from SRC's is removed and replaced
//! (with `--force`, as rsync does); it is never written through.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

use rustix::fs::{mkdirat, openat, renameat, unlinkat, AtFlags, Dir, Mode, OFlags};
use rustix::io::Errno;

/// Opens the directory `name` in `parent` to look names up in (`O_PATH`), refusing to follow
/// a symlink there (`ENOTDIR`) or to open anything that is not a directory.
pub fn open_dir(parent: BorrowedFd<'_>, name: &OsStr) -> io::Result<OwnedFd> {
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(openat(parent, name, flags, Mode::empty())?)
}

/// Opens the directory `name` in `parent` for reading and changing its metadata (`fchmod`,
/// `futimens` and `fsetxattr` do not work on an `O_PATH` descriptor).
pub fn open_dir_rw(parent: BorrowedFd<'_>, name: &OsStr) -> io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(openat(parent, name, flags, Mode::empty())?)
}

/// Opens the directory `rel` (relative to `root`, "" for `root` itself), one component at a
/// time with `open_dir`: a symlink anywhere on the way is an error, not a detour.
pub fn open_beneath(root: BorrowedFd<'_>, rel: &Path) -> io::Result<OwnedFd> {
    let mut dir = open_dir(root, OsStr::new("."))?;
    for part in rel.components() {
        match part {
            Component::Normal(name) => dir = open_dir(dir.as_fd(), name)?,
            Component::CurDir => {}
            _ => return Err(io::Error::other("not a plain relative path")),
        }
    }
    Ok(dir)
}

/// Why `make_dir` could not give SRC's directory a place in DST.
#[derive(Debug)]
pub enum DirError {
    /// Something that is not a directory is there, and `--force` was not given.
    NotADirectory,
    Io(io::Error),
}

impl From<io::Error> for DirError {
    fn from(e: io::Error) -> Self {
        DirError::Io(e)
    }
}

impl From<Errno> for DirError {
    fn from(e: Errno) -> Self {
        DirError::Io(e.into())
    }
}

/// Makes `name` in `parent` a directory (owner-only until the end, so that files can be
/// written into it whatever its final bits) and opens it. An existing directory is reused;
/// with `force`, anything else there (a symlink, a file) is removed first, never followed.
pub fn make_dir(parent: BorrowedFd<'_>, name: &OsStr, force: bool) -> Result<OwnedFd, DirError> {
    match mkdirat(parent, name, Mode::RWXU) {
        Ok(()) => return Ok(open_dir(parent, name)?),
        Err(Errno::EXIST) => {}
        Err(e) => return Err(DirError::Io(e.into())),
    }
    match open_dir(parent, name) {
        Ok(dir) => Ok(dir),
        Err(e) if is_not_dir(&e) && force => {
            unlinkat(parent, name, AtFlags::empty())?;
            mkdirat(parent, name, Mode::RWXU)?;
            Ok(open_dir(parent, name)?)
        }
        Err(e) if is_not_dir(&e) => Err(DirError::NotADirectory),
        Err(e) => Err(DirError::Io(e)),
    }
}

/// `ENOTDIR` (a file, or a symlink refused by `O_NOFOLLOW | O_DIRECTORY`) or `ELOOP`.
fn is_not_dir(e: &io::Error) -> bool {
    matches!(Errno::from_io_error(e), Some(Errno::NOTDIR | Errno::LOOP))
}

/// Renames `tmp` over `name` in `dir` (both non-directories), replacing what is there in one
/// step: a file or a symlink is replaced itself, its target untouched. A directory in the way
/// is removed first with `force` (it cannot be renamed over), else it is an error.
pub fn replace(dir: BorrowedFd<'_>, tmp: &OsStr, name: &OsStr, force: bool) -> io::Result<()> {
    match renameat(dir, tmp, dir, name) {
        Err(Errno::ISDIR | Errno::NOTEMPTY | Errno::EXIST) if force => {
            remove_tree(dir, name)?;
            Ok(renameat(dir, tmp, dir, name)?)
        }
        Err(Errno::ISDIR | Errno::NOTEMPTY | Errno::EXIST) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "a directory is in the way (use --force to replace it)",
        )),
        other => Ok(other?),
    }
}

/// Removes the directory `name` in `parent` and everything inside it, never following a
/// symlink: each level is opened with `O_NOFOLLOW | O_DIRECTORY` and its entries unlinked
/// relative to it.
pub fn remove_tree(parent: BorrowedFd<'_>, name: &OsStr) -> io::Result<()> {
    let dir = open_dir_rw(parent, name)?;
    let mut subdirs: Vec<OsString> = Vec::new();
    for entry in Dir::read_from(&dir)? {
        let entry = entry?;
        let entry_name = entry.file_name().to_bytes();
        if entry_name == b"." || entry_name == b".." {
            continue;
        }
        let entry_name = OsStr::from_bytes(entry_name).to_os_string();
        match unlinkat(&dir, &entry_name, AtFlags::empty()) {
            Ok(()) => {}
            Err(Errno::ISDIR) => subdirs.push(entry_name),
            Err(e) => return Err(e.into()),
        }
    }
    for sub in subdirs {
        remove_tree(dir.as_fd(), &sub)?;
    }
    Ok(unlinkat(parent, name, AtFlags::REMOVEDIR)?)
}

/// The directories opened on the way down from DST's root, reused from one call to the
/// next: walking a list of paths in tree order, each directory is opened about once.
#[derive(Default)]
pub struct Cursor {
    open: Vec<(OsString, OwnedFd)>,
}

impl Cursor {
    /// The directory `rel` under `root` (see `open_beneath`), opened from the longest prefix
    /// of it that is already open.
    pub fn get<'a>(&'a mut self, root: BorrowedFd<'a>, rel: &Path) -> io::Result<BorrowedFd<'a>> {
        let parts: Vec<&OsStr> = rel
            .components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n),
                _ => None,
            })
            .collect();
        let common = self
            .open
            .iter()
            .zip(&parts)
            .take_while(|((open, _), part)| open.as_os_str() == **part)
            .count();
        self.open.truncate(common);
        for part in &parts[common..] {
            let parent = self.open.last().map_or(root, |(_, fd)| fd.as_fd());
            let fd = open_dir(parent, part)?;
            self.open.push((part.to_os_string(), fd));
        }
        Ok(self.open.last().map_or(root, |(_, fd)| fd.as_fd()))
    }
}

/// The directory `path` is in (`.` for a bare name).
pub fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}
