//! Copying one entry: the core function every mode shares.
//!
//! A file is written under a temporary name in its destination directory and renamed into
//! place only when complete, so DST never holds a truncated file under a real name; if
//! anything fails (or Ctrl-C stops it) the `TempPath` guard removes the temporary file.
//!
//! Small files dominate a tree copy, and for them the cost is system calls, not bytes, so
//! the fast path is as short as it can be:
//!
//! ```text
//! open(src)  fstat(src)  read(src)  open(tmp, O_CREAT|O_EXCL, mode)  write(tmp)
//! futimens(tmp)  close  close  rename(tmp, dst)
//! ```
//!
//! The permission bits are given to `open` (no `chmod` unless the umask would mask some of
//! them), the times are set through the open handle (no path lookup), the read buffer is the
//! worker's own and reused for every file, and the destination directory was already created
//! by the walker. Files of at least `SMALL_FILE_MAX` bytes go through `std::io::copy` between
//! two `File`s, which on Linux is `copy_file_range`: the kernel copies, no bytes cross into
//! this process.

use std::ffi::CString;
use std::fs::{self, File, FileTimes, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use crate::cancel;
use crate::job::Context;

/// Files smaller than this are read into the worker's buffer with `read` and written with
/// one `write`; larger ones are copied by the kernel. It is also the buffer's size.
pub const SMALL_FILE_MAX: usize = 256 * 1024;

/// Large files are copied in chunks of this size, checking for Ctrl-C between chunks.
const KERNEL_CHUNK: u64 = 16 * 1024 * 1024;

/// The permission bits copied: rwx for all, plus sticky. Set-user-ID and set-group-ID are
/// dropped because ownership is not copied: a set-uid file of another user must not become a
/// set-uid file of whoever runs the copy (GNU `cp` clears them in the same situation).
pub const PERM_MASK: u32 = 0o1777;

/// A worker's reusable read buffer.
pub fn buffer() -> Vec<u8> {
    vec![0; SMALL_FILE_MAX]
}

/// What copying one entry did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Copied {
        bytes: u64,
    },
    /// Another path of this hard-linked file owns the copy; this one is linked at the end.
    LinkLater,
    /// Not a regular file after all (it changed since the walk): skipped, like FIFOs.
    Skipped(&'static str),
}

/// A failed copy of one entry: what was being done, to which path, and the OS error.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {source}")]
pub struct CopyError {
    what: String,
    #[source]
    pub source: io::Error,
}

impl CopyError {
    pub fn new(action: &str, path: &Path, source: io::Error) -> Self {
        CopyError {
            what: format!("{action} '{}'", path.display()),
            source,
        }
    }

    pub fn is_interrupted(&self) -> bool {
        self.source.kind() == io::ErrorKind::Interrupted
    }
}

/// Copies the regular file `src` to `dst` (content, permission bits, access and
/// modification times). With `claim_links`, a file with several hard links is copied by the
/// first path that reaches it; the others return `LinkLater` and are linked by
/// `hardlinks::HardLinks::link_all` once every copy is done.
pub fn copy_file(
    ctx: &Context,
    src: &Path,
    dst: &Path,
    buf: &mut [u8],
    claim_links: bool,
) -> Result<Outcome, CopyError> {
    // O_NONBLOCK: if the entry became a FIFO since the walk, opening it must not hang.
    // O_NOFOLLOW: if it became a symlink, do not copy what it points to (unless -L).
    let mut flags = libc::O_NONBLOCK;
    if !ctx.dereference {
        flags |= libc::O_NOFOLLOW;
    }
    let mut input = OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(src)
        .map_err(|e| CopyError::new("cannot open", src, e))?;
    let meta = input
        .metadata()
        .map_err(|e| CopyError::new("cannot stat", src, e))?;
    if !meta.is_file() {
        return Ok(Outcome::Skipped(kind_name(&meta.file_type())));
    }
    let key = (meta.dev(), meta.ino());
    if claim_links && meta.nlink() > 1 && !ctx.links.claim(key, src, dst) {
        return Ok(Outcome::LinkLater);
    }

    let perm = meta.mode() & PERM_MASK;
    let (tmp, mut output) = TempPath::create_file(dst, perm)?;
    let mut bytes = 0;
    let mut more = true;
    if (meta.len() as usize) < buf.len() {
        let (n, full) = read_small(&mut input, meta.len(), buf)
            .map_err(|e| CopyError::new("cannot read", src, e))?;
        output
            .write_all(&buf[..n])
            .map_err(|e| CopyError::new("cannot write", &tmp.path, e))?;
        bytes = n as u64;
        more = full; // it grew past the buffer since fstat: the kernel copies the rest
    }
    if more {
        bytes += copy_large(ctx, &input, &mut output)
            .map_err(|e| CopyError::new("cannot copy", src, e))?;
    }
    // The umask may have removed bits from the mode given to open(): put them back.
    if perm & umask() != 0 {
        output
            .set_permissions(Permissions::from_mode(perm))
            .map_err(|e| CopyError::new("cannot set permissions of", &tmp.path, e))?;
    }
    let times = file_times(&meta).map_err(|e| CopyError::new("cannot stat", src, e))?;
    output
        .set_times(times)
        .map_err(|e| CopyError::new("cannot set times of", &tmp.path, e))?;
    drop(output);
    cancel::test_pause(&ctx.cancel).map_err(|e| CopyError::new("stopped copying", src, e))?;
    tmp.commit(dst)?;
    if claim_links && meta.nlink() > 1 {
        ctx.links.copied(key);
    }
    Ok(Outcome::Copied { bytes })
}

/// Reads a file of `size` bytes (as of `fstat`, smaller than `buf`) into `buf`; returns the
/// bytes read and whether the buffer filled up (the file grew: the caller copies the rest).
///
/// A read that returns fewer bytes than asked, once `size` bytes are in, is the end of the
/// file: this saves the extra `read` that would only return 0, one system call per file.
fn read_small(input: &mut File, size: u64, buf: &mut [u8]) -> io::Result<(usize, bool)> {
    let mut filled = 0;
    loop {
        let n = match input.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok((filled, false));
        }
        filled += n;
        if filled == buf.len() {
            return Ok((filled, true));
        }
        if filled as u64 >= size {
            return Ok((filled, false));
        }
    }
}

/// Copies a large file with `copy_file_range` (through `std::io::copy`, which picks it for
/// two `File`s on Linux), one chunk at a time so that Ctrl-C is seen within a chunk.
fn copy_large(ctx: &Context, input: &File, output: &mut File) -> io::Result<u64> {
    let mut total = 0;
    loop {
        if ctx.cancelled() {
            return Err(cancel::interrupted());
        }
        let n = io::copy(&mut input.take(KERNEL_CHUNK), output)?;
        total += n;
        if n < KERNEL_CHUNK {
            return Ok(total);
        }
    }
}

/// Recreates the symlink `src` at `dst` with the same target, dangling or not, and its times.
pub fn copy_symlink(src: &Path, dst: &Path) -> Result<Outcome, CopyError> {
    let target = fs::read_link(src).map_err(|e| CopyError::new("cannot read link", src, e))?;
    let meta = fs::symlink_metadata(src).map_err(|e| CopyError::new("cannot stat", src, e))?;
    let tmp = TempPath::create_with(dst, |tmp| std::os::unix::fs::symlink(&target, tmp))?;
    set_symlink_times(&tmp.path, &meta)
        .map_err(|e| CopyError::new("cannot set times of", &tmp.path, e))?;
    tmp.commit(dst)?;
    Ok(Outcome::Copied { bytes: 0 })
}

/// Makes `dst` a hard link to `existing` (an earlier copy), replacing whatever is at `dst`.
pub fn link_file(existing: &Path, dst: &Path) -> Result<(), CopyError> {
    let tmp = TempPath::create_with(dst, |tmp| fs::hard_link(existing, tmp))?;
    tmp.commit(dst)
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
    /// Creates the temporary file with mode `perm` (O_CREAT|O_EXCL: never an existing file).
    fn create_file(dst: &Path, perm: u32) -> Result<(TempPath, File), CopyError> {
        let mut file = None;
        let tmp = TempPath::create_with(dst, |tmp| {
            let opened = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(perm)
                .open(tmp)?;
            file = Some(opened);
            Ok(())
        })?;
        match file {
            Some(file) => Ok((tmp, file)),
            None => Err(CopyError::new(
                "cannot create",
                &tmp.path,
                io::Error::other("no file"),
            )),
        }
    }

    /// Runs `make` on fresh temporary names until one does not exist yet.
    fn create_with(
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
    fn commit(mut self, dst: &Path) -> Result<(), CopyError> {
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

/// Access and modification times of `meta`, for `File::set_times` (futimens).
pub fn file_times(meta: &fs::Metadata) -> io::Result<FileTimes> {
    Ok(FileTimes::new()
        .set_accessed(meta.accessed()?)
        .set_modified(meta.modified()?))
}

/// Sets a symlink's own times (std has no call for that: `utimensat` with
/// `AT_SYMLINK_NOFOLLOW`).
fn set_symlink_times(path: &Path, meta: &fs::Metadata) -> io::Result<()> {
    let c_path = CString::new(path.as_os_str().as_bytes())?;
    let times = [
        libc::timespec {
            tv_sec: meta.atime() as libc::time_t,
            tv_nsec: meta.atime_nsec() as _,
        },
        libc::timespec {
            tv_sec: meta.mtime() as libc::time_t,
            tv_nsec: meta.mtime_nsec() as _,
        },
    ];
    // SAFETY: `c_path` is a valid NUL-terminated string and `times` an array of two
    // timespecs, both alive for the duration of the call.
    let rc = unsafe {
        libc::utimensat(
            libc::AT_FDCWD,
            c_path.as_ptr(),
            times.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The process umask, read once without changing it (Linux reports it in
/// /proc/self/status). If it cannot be read, assume the worst so that `chmod` always runs.
fn umask() -> u32 {
    static UMASK: OnceLock<u32> = OnceLock::new();
    *UMASK.get_or_init(|| {
        fs::read_to_string("/proc/self/status")
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

/// A name for a file type that is not copied, for the warning.
pub fn kind_name(ft: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_fifo() {
        "FIFO"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_block_device() {
        "block device"
    } else if ft.is_char_device() {
        "character device"
    } else if ft.is_dir() {
        "directory"
    } else if ft.is_symlink() {
        "symlink"
    } else {
        "special file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_files_keep_content_mode_and_mtime() {
        let tmp = tempfile::tempdir().unwrap();
        let ctx = Context::for_test(tmp.path(), tmp.path());
        let mut buf = buffer();
        for (name, len, mode) in [
            ("empty", 0, 0o600),
            ("small", 5000, 0o640),
            ("large", 3 * SMALL_FILE_MAX + 7, 0o755),
        ] {
            let src = tmp.path().join(name);
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            fs::write(&src, &data).unwrap();
            fs::set_permissions(&src, Permissions::from_mode(mode)).unwrap();
            let dst = tmp.path().join(format!("{name}.copy"));
            let outcome = copy_file(&ctx, &src, &dst, &mut buf, true).unwrap();
            assert_eq!(outcome, Outcome::Copied { bytes: len as u64 });
            assert_eq!(fs::read(&dst).unwrap(), data);
            let (s, d) = (fs::metadata(&src).unwrap(), fs::metadata(&dst).unwrap());
            assert_eq!(d.mode() & 0o7777, mode);
            assert_eq!(d.modified().unwrap(), s.modified().unwrap());
        }
        let leftovers: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(TEMP_PREFIX)
            })
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn failed_copy_leaves_no_temporary_file() {
        let tmp = tempfile::tempdir().unwrap();
        let ctx = Context::for_test(tmp.path(), tmp.path());
        let src = tmp.path().join("f");
        fs::write(&src, b"data").unwrap();
        // The destination is an existing non-empty directory: the rename fails.
        let dst = tmp.path().join("d");
        fs::create_dir(&dst).unwrap();
        fs::write(dst.join("x"), b"x").unwrap();
        let err = copy_file(&ctx, &src, &dst, &mut buffer(), false).unwrap_err();
        assert!(err.to_string().contains("cannot rename into"), "{err}");
        assert_eq!(
            fs::read_dir(tmp.path()).unwrap().count(),
            2,
            "only f and d remain"
        );
    }

    #[test]
    fn symlinks_keep_their_target_even_dangling() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("link");
        std::os::unix::fs::symlink("../nowhere", &src).unwrap();
        let dst = tmp.path().join("link2");
        copy_symlink(&src, &dst).unwrap();
        assert_eq!(fs::read_link(&dst).unwrap(), Path::new("../nowhere"));
        let (s, d) = (
            fs::symlink_metadata(&src).unwrap(),
            fs::symlink_metadata(&dst).unwrap(),
        );
        assert_eq!((s.mtime(), s.mtime_nsec()), (d.mtime(), d.mtime_nsec()));
    }
}
