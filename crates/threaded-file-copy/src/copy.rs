//! Copying one entry: the core function every mode shares.
//!
//! A file is written where no one can see it and gets its real name only when complete
//! (`staging.rs`), so DST never holds a truncated file under a real name; and everything in
//! DST is reached relative to its directory's descriptor, never by following what is there
//! (`dst.rs`). Small files dominate a tree copy, and for them the cost is system calls, not
//! bytes, so the fast path is as short as it can be:
//!
//! ```text
//! openat(src_dir, name)  fstat(src)  openat(dst_dir, ".", O_TMPFILE, mode)
//! copy_file_range(src, new)  flistxattr(src)  futimens(new)
//! fstat(src)  linkat(new, dst_dir, name)  close  close
//! ```
//!
//! The content is copied until the kernel says it ends: where SRC and DST are one file
//! system the kernel copies (no byte crosses into this process) up to the file's size, and
//! the second `fstat` says whether that size was the end; elsewhere `read` returning 0,
//! whatever `st_size` said (a /proc or FUSE file may say less than it holds, and
//! `copy_file_range` then says 0 at once). Sparse files are copied range by
//! range (`SEEK_DATA`/`SEEK_HOLE`) so that their holes stay holes. The second `fstat` is the
//! check that the file did not change while it was copied (size, mtime, ctime).

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{
    copy_file_range, fstat, ftruncate, linkat, mknodat, openat, readlinkat, seek, statat,
    symlinkat, AtFlags, FileType, Mode, OFlags, SeekFrom, CWD,
};
use rustix::io::Errno;

use crate::cancel;
use crate::context::Context;
use crate::dst;
use crate::entry::{Job, Kind};
use crate::error::{At, CopyError};
use crate::meta::{self, Stat, Target, PERM_MASK};
use crate::staging::{NewFile, TempName};

/// Files smaller than this are read into the worker's buffer with `read` and written with
/// one `write`; larger ones are copied by the kernel. It is also the buffer's size.
pub const SMALL_FILE_MAX: usize = 256 * 1024;

/// Large files are copied in chunks of this size, checking for Ctrl-C between chunks.
const KERNEL_CHUNK: usize = 16 * 1024 * 1024;

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
    /// Copied and named, but its size, mtime or ctime moved during the copy.
    Changed {
        bytes: u64,
    },
    /// Another path of this hard-linked entry owns the copy; this one is linked at the end.
    LinkLater,
}

/// Copies the entry of `job`. With `claim`, an entry with several hard links is copied by
/// the first path that reaches it; the others return `LinkLater` and are linked by
/// `hardlinks::link_all` once every copy is done.
pub fn copy_entry(
    ctx: &Context,
    job: &Job<'_>,
    buf: &mut [u8],
    claim: bool,
) -> Result<Outcome, CopyError> {
    let opened: OwnedFd;
    let dst_dir = match &job.dirs {
        Some(pair) => pair.dst.as_fd(),
        None => {
            let parent = dst::parent(&job.dst);
            let rel = parent.strip_prefix(&ctx.dst).unwrap_or(Path::new(""));
            opened = dst::open_beneath(ctx.dst_root.as_fd(), rel).at("cannot open", parent)?;
            opened.as_fd()
        }
    };
    let src_dir = job.dirs.as_ref().map(|pair| pair.src.as_fd());
    let name = job.dst.file_name().unwrap_or(OsStr::new("."));
    let to = To {
        dir: dst_dir,
        name,
        path: &job.dst,
    };
    match job.kind {
        Kind::File => copy_file(ctx, src_dir, &job.src, to, buf, claim),
        Kind::Symlink | Kind::Special => copy_other(ctx, src_dir, &job.src, to, claim),
    }
}

/// Where a copy goes: `name` in the open directory `dir`; `path` for messages.
#[derive(Clone, Copy)]
struct To<'a> {
    dir: BorrowedFd<'a>,
    name: &'a OsStr,
    path: &'a Path,
}

/// `src` relative to its open directory, or by full path.
fn src_at<'a>(dir: Option<BorrowedFd<'a>>, src: &'a Path) -> (BorrowedFd<'a>, &'a Path) {
    match (dir, src.file_name()) {
        (Some(dir), Some(name)) => (dir, Path::new(name)),
        _ => (CWD, src),
    }
}

fn copy_file(
    ctx: &Context,
    src_dir: Option<BorrowedFd<'_>>,
    src: &Path,
    to: To<'_>,
    buf: &mut [u8],
    claim: bool,
) -> Result<Outcome, CopyError> {
    // O_NONBLOCK: if the entry became a FIFO since the walk, opening it must not hang.
    // O_NOFOLLOW: if it became a symlink, do not copy what it points to (unless -L).
    let mut flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    if !ctx.dereference {
        flags |= OFlags::NOFOLLOW;
    }
    let (dir, path) = src_at(src_dir, src);
    let input = File::from(openat(dir, path, flags, Mode::empty()).at("cannot open", src)?);
    let st = Stat::of(&fstat(&input).at("cannot stat", src)?);
    if FileType::from_raw_mode(st.mode) != FileType::RegularFile {
        let e = io::Error::other("it is no longer a regular file");
        return Err(CopyError::new("cannot copy", src, e));
    }
    let id = (st.dev, st.ino);
    if claim && st.nlink > 1 && !ctx.links.claim(id, src, to.path) {
        return Ok(Outcome::LinkLater);
    }

    let mut output = NewFile::create(ctx.staging, to.dir, st.mode & PERM_MASK & !meta::SET_ID)
        .at("cannot create a file in", dst::parent(to.path))?;
    let (mut bytes, at_size) =
        copy_data(ctx, &input, &mut output.file, &st, buf).at("cannot copy", src)?;
    meta::apply(
        ctx,
        &st,
        Some(input.as_fd()),
        src,
        Target::Fd(output.file.as_fd()),
        true,
    )
    .at("cannot set the metadata of", to.path)?;
    cancel::test_pause(&ctx.cancel).at("stopped copying", src)?;
    let mut after = Stat::of(&fstat(&input).at("cannot stat", src)?);
    if at_size && after.size > bytes {
        // It grew past the size the copy stopped at: copy on to EOF, and give the copy its
        // times again (writing moved them). It is reported as changed below.
        let more = copy_stream(ctx, &input, &mut output.file, buf, true).at("cannot copy", src)?;
        bytes += more;
        meta::set_times(output.file.as_fd(), &st).at("cannot set the metadata of", to.path)?;
        after = Stat::of(&fstat(&input).at("cannot stat", src)?);
    }
    output
        .commit(to.name, ctx.force)
        .at("cannot rename into", to.path)?;
    if claim && st.nlink > 1 {
        ctx.links.copied(id, to.path);
    }
    Ok(if st.changed(&after) {
        Outcome::Changed { bytes }
    } else {
        Outcome::Copied { bytes }
    })
}

/// The content, until EOF: small files through `buf`, sparse ones range by range, the rest
/// by the kernel. Returns the bytes copied, and whether the copy stopped at `st.size`
/// without asking for more (within one file system: see below).
fn copy_data(
    ctx: &Context,
    input: &File,
    output: &mut File,
    st: &Stat,
    buf: &mut [u8],
) -> io::Result<(u64, bool)> {
    if st.size > 0 && st.blocks * 512 < st.size && copy_sparse(ctx, input, output, st.size, buf)? {
        // The data ranges are copied and the file has its size; anything past `size` (it
        // grew) is copied below.
        return Ok((
            st.size + copy_stream(ctx, input, output, buf, false)?,
            false,
        ));
    }
    // Within one file system (SRC and DST on the same device) the kernel copies, and it
    // copies up to the file's size, no further: there, the size the file has *after* the
    // copy is where it ends. So the copy stops once it has `st.size` bytes, and the second
    // `fstat` (the change check, which runs anyway) says whether that was the end; if the
    // file has grown, `copy_file` copies on to EOF. One `copy_file_range` per small file
    // instead of two (the second only to hear 0). Elsewhere (a /proc or FUSE file
    // bind-mounted into SRC) a read says when it ends.
    if st.size > 0 && st.dev == ctx.dst_id.0 {
        let copied = copy_upto(ctx, input, output, st.size)?;
        if copied == st.size {
            return Ok((copied, true));
        }
        // Shorter: it shrank, or the kernel could not copy (EXDEV, ...): on to EOF.
        return Ok((
            copied + copy_stream(ctx, input, output, buf, copied > 0)?,
            false,
        ));
    }
    if (st.size as usize) < buf.len() {
        let mut filled = 0;
        let mut input = input;
        loop {
            let n = match input.read(&mut buf[filled..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            filled += n;
            // EOF: the only end. A short read is not one (procfs returns a page at a time).
            if n == 0 || filled == buf.len() {
                break;
            }
        }
        output.write_all(&buf[..filled])?;
        if filled < buf.len() {
            return Ok((filled as u64, false));
        }
        // The buffer filled up: the file is larger than it said. The kernel copies the rest.
        return Ok((
            filled as u64 + copy_stream(ctx, input, output, buf, false)?,
            false,
        ));
    }
    Ok((copy_stream(ctx, input, output, buf, false)?, false))
}

/// Copies with `copy_file_range` from the current offsets until `size` bytes are copied, the
/// kernel says 0 (the file shrank), or it cannot copy (then the caller reads the rest).
fn copy_upto(ctx: &Context, input: &File, output: &File, size: u64) -> io::Result<u64> {
    Ok(kernel_copy(ctx, input, output, size)?.0)
}

/// The `copy_file_range` loop both callers share: one chunk at a time (Ctrl-C is seen within a
/// chunk) until `limit` bytes, a 0 from the kernel, or an error that means "cannot copy here"
/// (then the caller reads and writes). Returns the bytes copied and whether the kernel said 0.
fn kernel_copy(ctx: &Context, input: &File, output: &File, limit: u64) -> io::Result<(u64, bool)> {
    let mut total = 0;
    while total < limit {
        if ctx.cancelled() {
            return Err(cancel::interrupted());
        }
        let want = (limit - total).min(KERNEL_CHUNK as u64) as usize;
        match copy_file_range(input, None, output, None, want) {
            Ok(0) => return Ok((total, true)),
            Ok(n) => total += n as u64,
            Err(Errno::INTR) => {}
            Err(Errno::XDEV | Errno::INVAL | Errno::OPNOTSUPP | Errno::NOSYS | Errno::BADF) => {
                break
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok((total, false))
}

/// Copies from the current offsets to EOF with `copy_file_range`, one chunk at a time so that
/// Ctrl-C is seen within a chunk; then reads once more, because `copy_file_range` also says 0
/// on files whose size is not their content (procfs, sysfs), and where it cannot copy at all
/// (across file systems, EXDEV) the rest is read and written here. `same_fs`: SRC and DST
/// are one file system, whose `copy_file_range` returning 0 after some bytes is EOF.
fn copy_stream(
    ctx: &Context,
    input: &File,
    output: &mut File,
    buf: &mut [u8],
    same_fs: bool,
) -> io::Result<u64> {
    let (mut total, kernel_said_0) = kernel_copy(ctx, input, output, u64::MAX)?;
    if kernel_said_0 && same_fs && total > 0 {
        return Ok(total);
    }
    let mut input = input;
    loop {
        if ctx.cancelled() {
            return Err(cancel::interrupted());
        }
        let n = match input.read(buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        output.write_all(&buf[..n])?;
        total += n as u64;
    }
}

/// Copies only the data ranges of a file with holes (`SEEK_DATA`, `SEEK_HOLE`), each with
/// `copy_file_range` at its own offset, and gives the copy the full `size` (a hole at the
/// end is a length, not data). Leaves both offsets at `size`. `false`: this file system
/// cannot tell holes; nothing was written.
fn copy_sparse(
    ctx: &Context,
    input: &File,
    output: &File,
    size: u64,
    buf: &mut [u8],
) -> io::Result<bool> {
    let mut pos = 0;
    while pos < size {
        if ctx.cancelled() {
            return Err(cancel::interrupted());
        }
        let data = match seek(input, SeekFrom::Data(pos)) {
            Ok(data) => data,
            Err(Errno::NXIO) => break, // only a hole from `pos` to the end
            Err(Errno::INVAL | Errno::OPNOTSUPP) if pos == 0 => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        if data >= size {
            break;
        }
        let hole = seek(input, SeekFrom::Hole(data))?.min(size);
        copy_range(input, output, data, hole - data, buf)?;
        pos = hole;
    }
    ftruncate(output, size)?;
    seek(input, SeekFrom::Start(size))?;
    seek(output, SeekFrom::Start(size))?;
    Ok(true)
}

/// `len` bytes at offset `off` of `input` to the same offset of `output`.
fn copy_range(input: &File, output: &File, off: u64, len: u64, buf: &mut [u8]) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    let (mut off_in, mut off_out) = (off, off);
    let end = off + len;
    while off_in < end {
        let want = (end - off_in).min(KERNEL_CHUNK as u64) as usize;
        match copy_file_range(input, Some(&mut off_in), output, Some(&mut off_out), want) {
            Ok(0) => return Ok(()), // shrank meanwhile: the change check will tell
            Ok(_) => {}
            Err(Errno::INTR) => {}
            Err(Errno::XDEV | Errno::INVAL | Errno::OPNOTSUPP | Errno::NOSYS) => {
                let take = want.min(buf.len());
                let n = input.read_at(&mut buf[..take], off_in)?;
                if n == 0 {
                    return Ok(());
                }
                output.write_all_at(&buf[..n], off_out)?;
                off_in += n as u64;
                off_out += n as u64;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Recreates a symlink (same target, dangling or not), a FIFO, a socket or a device, with
/// its owner, attributes and times, under a temporary name first, then renamed into place.
fn copy_other(
    ctx: &Context,
    src_dir: Option<BorrowedFd<'_>>,
    src: &Path,
    to: To<'_>,
    claim: bool,
) -> Result<Outcome, CopyError> {
    let (dir, path) = src_at(src_dir, src);
    let follow = if ctx.dereference {
        AtFlags::empty()
    } else {
        AtFlags::SYMLINK_NOFOLLOW
    };
    let st = Stat::of(&statat(dir, path, follow).at("cannot stat", src)?);
    let id = (st.dev, st.ino);
    if claim && st.nlink > 1 && !ctx.links.claim(id, src, to.path) {
        return Ok(Outcome::LinkLater);
    }
    let kind = FileType::from_raw_mode(st.mode);
    let perm = Mode::from_raw_mode(st.mode & PERM_MASK & !meta::SET_ID);
    let tmp = match kind {
        FileType::Symlink => {
            let target = readlinkat(dir, path, Vec::new()).at("cannot read link", src)?;
            TempName::create_with(to.dir, |tmp| Ok(symlinkat(target.as_c_str(), to.dir, tmp)?))
                .at("cannot create a symlink in", dst::parent(to.path))?
        }
        FileType::Fifo | FileType::Socket | FileType::CharacterDevice | FileType::BlockDevice => {
            TempName::create_with(to.dir, |tmp| Ok(mknodat(to.dir, tmp, kind, perm, st.rdev)?))
                .map_err(|e| {
                    let what = format!("cannot create {}", kind_name(kind));
                    CopyError::new(&what, to.path, e)
                })?
        }
        _ => {
            let e = io::Error::other("it changed type since the walk");
            return Err(CopyError::new("cannot copy", src, e));
        }
    };
    meta::apply(ctx, &st, None, src, Target::At(to.dir, &tmp.name), true)
        .at("cannot set the metadata of", to.path)?;
    tmp.commit(to.name, ctx.force)
        .at("cannot rename into", to.path)?;
    if claim && st.nlink > 1 {
        ctx.links.copied(id, to.path);
    }
    Ok(Outcome::Copied { bytes: 0 })
}

/// Makes `dst` a hard link to `existing` (an earlier copy, both under DST), replacing
/// whatever is at `dst`. Both directories are opened from DST's root, nothing followed.
pub fn link_file(ctx: &Context, existing: &Path, dst: &Path) -> Result<(), CopyError> {
    let root = ctx.dst_root.as_fd();
    let rel = |p: &Path| {
        let parent = dst::parent(p);
        dst::open_beneath(root, parent.strip_prefix(&ctx.dst).unwrap_or(Path::new("")))
            .at("cannot open", parent)
    };
    let (from_dir, to_dir) = (rel(existing)?, rel(dst)?);
    let from = existing.file_name().unwrap_or(OsStr::new("."));
    let tmp = TempName::create_with(to_dir.as_fd(), |tmp| {
        Ok(linkat(&from_dir, from, &to_dir, tmp, AtFlags::empty())?)
    })
    .at("cannot link to", existing)?;
    let name = dst.file_name().unwrap_or(OsStr::new("."));
    tmp.commit(name, ctx.force).at("cannot rename into", dst)
}

/// A name for a kind of special file, for messages.
pub fn kind_name(kind: FileType) -> &'static str {
    match kind {
        FileType::Fifo => "FIFO",
        FileType::Socket => "socket",
        FileType::BlockDevice => "block device",
        FileType::CharacterDevice => "character device",
        FileType::Directory => "directory",
        FileType::Symlink => "symlink",
        _ => "special file",
    }
}

#[cfg(test)]
#[path = "copy_tests.rs"]
mod tests;
