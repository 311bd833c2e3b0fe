//! Opening FILE safely and noticing when it changes under us.
//!
//! - [`open_regular`] never blocks: a FIFO opened for reading waits in `open()` until a writer
//!   comes, so the file is opened with `O_NONBLOCK` (which a regular file ignores), and the type
//!   of what was opened is checked on the descriptor itself (`fstat`), so nothing can be swapped
//!   in between a check and the open.
//! - [`FileIdentity`] is what the run records once, at the start: device, inode, size and
//!   modification time. Every reader compares its own `fstat` with it after reading (and a
//!   worker process before reading too), so a file that is truncated, rewritten or replaced
//!   while it is read is an error, "FILE changed while it was read", never a wrong answer.
//! - [`report_sigbus`]: reading a memory map of a file that was truncated past the page being
//!   read raises SIGBUS. Its default action kills the process without a word; this handler
//!   writes the same error and exits 1. It does only what a signal handler may do: `write(2)`
//!   a message prepared beforehand, then `_exit(2)`.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

/// Opens `path` for reading without blocking, and checks on the open descriptor that it is a
/// regular file. A directory, a FIFO or a device is an error naming what it is.
pub fn open_regular(path: &Path) -> io::Result<(File, Metadata)> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "is a directory, not a file"
        } else {
            "is not a regular file (a pipe, a socket or a device cannot be split into ranges)"
        };
        return Err(io::Error::other(what));
    }
    // A regular file ignores O_NONBLOCK; clear it anyway so the descriptor is an ordinary one.
    // SAFETY: fcntl on a descriptor we own, with integer arguments only.
    unsafe {
        use std::os::fd::AsRawFd;
        let fd = file.as_raw_fd();
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags != -1 {
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
    Ok((file, meta))
}

/// What identifies the contents of a file for the length of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileIdentity {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime_sec: i64,
    pub mtime_nsec: i64,
}

impl FileIdentity {
    pub fn of(meta: &Metadata) -> FileIdentity {
        FileIdentity {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.len(),
            mtime_sec: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
        }
    }

    /// `None` when `now` is the same file as `self`, else what differs, for the message.
    pub fn difference(&self, now: &FileIdentity) -> Option<String> {
        if (self.dev, self.ino) != (now.dev, now.ino) {
            Some("it is now a different file (device or inode differ)".into())
        } else if self.size != now.size {
            Some(format!(
                "its size went from {} to {} bytes",
                self.size, now.size
            ))
        } else if (self.mtime_sec, self.mtime_nsec) != (now.mtime_sec, now.mtime_nsec) {
            Some("its modification time changed".into())
        } else {
            None
        }
    }

    /// The form passed to a worker process on its command line: `dev:ino:size:sec:nsec`.
    pub fn to_arg(&self) -> String {
        format!(
            "{}:{}:{}:{}:{}",
            self.dev, self.ino, self.size, self.mtime_sec, self.mtime_nsec
        )
    }

    /// Parses [`FileIdentity::to_arg`]'s form (clap's value parser).
    pub fn from_arg(text: &str) -> Result<FileIdentity, String> {
        let parts: Vec<&str> = text.split(':').collect();
        let bad = || format!("`{text}` is not dev:ino:size:sec:nsec");
        if parts.len() != 5 {
            return Err(bad());
        }
        let u = |i: usize| parts[i].parse::<u64>().map_err(|_| bad());
        let s = |i: usize| parts[i].parse::<i64>().map_err(|_| bad());
        Ok(FileIdentity {
            dev: u(0)?,
            ino: u(1)?,
            size: u(2)?,
            mtime_sec: s(3)?,
            mtime_nsec: s(4)?,
        })
    }
}

/// The message the SIGBUS handler writes: prepared before the handler can run, leaked so it
/// lives as long as the process.
static SIGBUS_MESSAGE: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static SIGBUS_MESSAGE_LEN: AtomicUsize = AtomicUsize::new(0);

/// Makes a SIGBUS in this process (a read of a memory-mapped `path` past its new end) exit 1
/// with "`path` changed while it was read" instead of dying silently of signal 7.
///
/// The worker processes of the processes mode do not call this: their SIGBUS death is seen
/// and reported by the parent, which then knows not to retry.
pub fn report_sigbus(path: &Path) {
    let message = format!(
        "process-crunch: error: {} changed while it was read: reading its memory map failed \
         (SIGBUS: the file was truncated while mapped)\n",
        path.display()
    )
    .into_bytes()
    .into_boxed_slice();
    let len = message.len();
    let ptr = Box::leak(message).as_mut_ptr();
    // Length first, then the pointer: the handler reads the pointer, then the length. A
    // handler running in between sees the previous message or none, never a torn one.
    SIGBUS_MESSAGE_LEN.store(0, Ordering::SeqCst);
    SIGBUS_MESSAGE.store(ptr, Ordering::SeqCst);
    SIGBUS_MESSAGE_LEN.store(len, Ordering::SeqCst);

    extern "C" fn on_sigbus(_signal: libc::c_int) {
        let ptr = SIGBUS_MESSAGE.load(Ordering::SeqCst);
        let len = SIGBUS_MESSAGE_LEN.load(Ordering::SeqCst);
        // SAFETY: write(2) and _exit(2) are async-signal-safe; the buffer is leaked, so valid.
        unsafe {
            if !ptr.is_null() && len > 0 {
                libc::write(2, ptr as *const libc::c_void, len);
            }
            libc::_exit(1);
        }
    }
    // SAFETY: a plain sigaction with a handler that only calls async-signal-safe functions.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigbus as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_round_trips_and_names_the_difference() {
        let id = FileIdentity {
            dev: 1,
            ino: 2,
            size: 3,
            mtime_sec: -4,
            mtime_nsec: 5,
        };
        assert_eq!(FileIdentity::from_arg(&id.to_arg()), Ok(id));
        assert!(FileIdentity::from_arg("1:2:3").is_err());
        assert_eq!(id.difference(&id), None);
        let smaller = FileIdentity { size: 0, ..id };
        assert_eq!(
            id.difference(&smaller).unwrap(),
            "its size went from 3 to 0 bytes"
        );
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = open_regular(&fifo).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }
}
