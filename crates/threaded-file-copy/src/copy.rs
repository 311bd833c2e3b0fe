//! Copying one entry: the core function every mode shares.
//!
//! A file is written where no one can see it and gets its real name only when complete
//! (`staging.rs`), so DST never holds a truncated file under a real name.
//!
//! Small files dominate a tree copy, and for them the cost is system calls, not bytes, so
//! the fast path is as short as it can be:
//!
//! ```text
//! openat(src_dir, name)  fstat(src)  openat(dst_dir, ".", O_TMPFILE, mode)  read(src)
//! write(new)  futimens(new)  linkat(new, dst_dir, name)  close  close
//! ```
//!
//! Names are looked up relative to open directory handles (`job::DirPair`), not as full
//! paths; the permission bits are given to `open` (no `chmod` unless the umask would mask
//! some of them); the times are set through the open handle; the read buffer is the worker's
//! own and reused for every file; and the destination directory was already created by the
//! walker. Files of at least `SMALL_FILE_MAX` bytes go through `std::io::copy` between
//! two `File`s, which on Linux is `copy_file_range`: the kernel copies, no bytes cross into
//! this process.

use std::ffi::CString;
use std::fs::{self, File, FileTimes, Permissions};
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::OnceLock;

use crate::cancel;
use crate::job::{Context, DirPair};
use crate::staging::{open_at, NewFile, TempPath};

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
    dirs: Option<&DirPair>,
    buf: &mut [u8],
    claim_links: bool,
) -> Result<Outcome, CopyError> {
    // O_NONBLOCK: if the entry became a FIFO since the walk, opening it must not hang.
    // O_NOFOLLOW: if it became a symlink, do not copy what it points to (unless -L).
    let mut flags = libc::O_RDONLY | libc::O_NONBLOCK;
    if !ctx.dereference {
        flags |= libc::O_NOFOLLOW;
    }
    let mut input = open_at(dirs.map(|d| d.src.as_fd()), src, flags, 0)
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
    let mut output = NewFile::create(ctx.staging, dst, dirs.map(|d| d.dst.as_fd()), perm)?;
    let mut bytes = 0;
    let mut more = true;
    if (meta.len() as usize) < buf.len() {
        let (n, full) = read_small(&mut input, meta.len(), buf)
            .map_err(|e| CopyError::new("cannot read", src, e))?;
        output
            .file()
            .write_all(&buf[..n])
            .map_err(|e| CopyError::new("cannot write", dst, e))?;
        bytes = n as u64;
        more = full; // it grew past the buffer since fstat: the kernel copies the rest
    }
    if more {
        bytes += copy_large(ctx, &input, output.file())
            .map_err(|e| CopyError::new("cannot copy", src, e))?;
    }
    // The umask may have removed bits from the mode given to open(): put them back.
    if perm & umask() != 0 {
        output
            .file()
            .set_permissions(Permissions::from_mode(perm))
            .map_err(|e| CopyError::new("cannot set permissions of", dst, e))?;
    }
    let times = file_times(&meta).map_err(|e| CopyError::new("cannot stat", src, e))?;
    output
        .file()
        .set_times(times)
        .map_err(|e| CopyError::new("cannot set times of", dst, e))?;
    cancel::test_pause(&ctx.cancel).map_err(|e| CopyError::new("stopped copying", src, e))?;
    output.commit(dst)?;
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
    use crate::staging::{Staging, TEMP_PREFIX};

    fn leftovers(dir: &Path) -> Vec<std::ffi::OsString> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.as_bytes().starts_with(TEMP_PREFIX.as_bytes()))
            .collect()
    }

    #[test]
    fn small_and_large_files_keep_content_mode_and_mtime_with_every_staging() {
        let tmp = tempfile::tempdir().unwrap();
        let mut ctx = Context::for_test(tmp.path(), tmp.path());
        let mut buf = buffer();
        let files = [
            ("empty", 0, 0o600),
            ("small", 5000, 0o640),
            ("group-write", 100, 0o664),
            ("large", 3 * SMALL_FILE_MAX + 7, 0o755),
        ];
        let stagings = [
            Staging::UnnamedEmptyPath,
            Staging::UnnamedProcFd,
            Staging::TempName,
        ];
        // Only those this kernel allows (the probe's choice, and every one after it).
        let probed = ctx.staging;
        let usable = stagings.into_iter().skip_while(|s| *s != probed);
        for staging in usable {
            ctx.staging = staging;
            for (name, len, mode) in files {
                let src = tmp.path().join(name);
                let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
                fs::write(&src, &data).unwrap();
                fs::set_permissions(&src, Permissions::from_mode(mode)).unwrap();
                let dst = tmp.path().join(format!("{name}.copy"));
                // The second round copies over the first one's files: replacing works too.
                let outcome = copy_file(&ctx, &src, &dst, None, &mut buf, true).unwrap();
                assert_eq!(outcome, Outcome::Copied { bytes: len as u64 });
                assert_eq!(fs::read(&dst).unwrap(), data);
                let (s, d) = (fs::metadata(&src).unwrap(), fs::metadata(&dst).unwrap());
                assert_eq!(d.mode() & 0o7777, mode, "{staging:?}");
                assert_eq!(d.modified().unwrap(), s.modified().unwrap());
            }
            assert!(leftovers(tmp.path()).is_empty(), "{staging:?}");
        }
    }

    #[test]
    fn failed_copy_leaves_nothing_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let mut ctx = Context::for_test(tmp.path(), tmp.path());
        let src = tmp.path().join("f");
        fs::write(&src, b"data").unwrap();
        // The destination is an existing non-empty directory: giving the copy its name fails.
        let dst = tmp.path().join("d");
        fs::create_dir(&dst).unwrap();
        fs::write(dst.join("x"), b"x").unwrap();
        for staging in [ctx.staging, Staging::TempName] {
            ctx.staging = staging;
            let err = copy_file(&ctx, &src, &dst, None, &mut buffer(), false).unwrap_err();
            assert!(err.to_string().contains("cannot rename into"), "{err}");
            assert_eq!(
                fs::read_dir(tmp.path()).unwrap().count(),
                2,
                "only f and d remain"
            );
        }
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
        assert!(leftovers(tmp.path()).is_empty());
    }
}
