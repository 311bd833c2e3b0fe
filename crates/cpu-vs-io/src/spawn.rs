//! The parent side of every child process: how one is started, owned and put into words.
//!
//! Every child is this same program (`current_exe()`) started with a hidden subcommand (see
//! `worker.rs` and `measure.rs`). Three habits of a supervisor live here:
//! - on Linux each child asks the kernel to SIGKILL it when its parent dies
//!   (`PR_SET_PDEATHSIG`), so a parent killed by Ctrl-C or `kill -9` leaves no child behind.
//!   The kernel sends it when the parent *thread* that forked the child exits, so children are
//!   started from the coordinating thread, which outlives them;
//! - every child is owned by a [`Supervised`], which kills and waits for it if an early return
//!   (`?`) drops it before it was waited for, so no child outlives a failure or stays a zombie;
//! - [`describe`] turns an exit status into words: its exit code, or the signal that killed it.

use std::io;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};

use anyhow::Context as _;

/// A command that starts `exe` as a child: stderr shared with ours (a child's error message
/// reaches the terminal).
pub fn child_command(exe: &Path) -> Command {
    let mut cmd = Command::new(exe);
    cmd.stderr(Stdio::inherit());
    cmd
}

/// Spawns `cmd` as a [`Supervised`] child, naming `what` in the error if it cannot start.
pub fn spawn(cmd: &mut Command, what: &str) -> anyhow::Result<Supervised> {
    Supervised::spawn(cmd)
        .with_context(|| format!("starting {what} ({})", cmd.get_program().to_string_lossy()))
}

/// A running child that is never left behind: dropped without having been waited for (an early
/// return on an error), it is killed and then waited for. Derefs to the `std::process::Child`,
/// so the models call `.wait()`, `.kill()`, `.stdout.take()` on it directly.
#[derive(Debug)]
pub struct Supervised {
    child: Child,
}

impl Supervised {
    /// Starts `cmd`, set to die with this process (Linux), and takes ownership of the child.
    pub fn spawn(cmd: &mut Command) -> io::Result<Supervised> {
        die_with_parent(cmd);
        Ok(Supervised {
            child: cmd.spawn()?,
        })
    }
}

impl Deref for Supervised {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.child
    }
}

impl DerefMut for Supervised {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.child
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        // After a successful `wait`, `try_wait` returns the saved status and nothing happens.
        // Otherwise the child is still running (or exited and unreaped): kill it, then wait, so
        // it neither outlives us nor stays a zombie. Errors are ignored: nothing is left to do.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Waits for the child and returns how it ended and its peak resident memory in KiB: the
/// largest resident set of the child or of any descendant it waited for, which is what
/// `/usr/bin/time -v` calls "Maximum resident set size".
///
/// Why `wait4` rather than `getrusage(RUSAGE_CHILDREN)` after a plain `wait`: both read the same
/// kernel counter, but `RUSAGE_CHILDREN`'s `ru_maxrss` is the largest over *every* child this
/// process ever reaped, so a small model measured after a big one would report the big one's
/// peak. `wait4` returns the figure of the one child it reaps. Call it instead of `wait` (not
/// after `try_wait`, which may already have reaped the child and lost its figure).
#[cfg(target_os = "linux")]
pub fn wait_with_peak_rss(child: &mut Supervised) -> io::Result<(ExitStatus, Option<u64>)> {
    use std::os::unix::process::ExitStatusExt;

    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `rusage` is plain old data that the kernel fills in; an all-zero value is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: plain system call on valid pointers to locals. It reaps `pid`, our own child,
        // which std's `Child` then no longer knows about: its later `try_wait` fails with
        // ECHILD, so the `Supervised` drop neither kills nor waits for anything. (Nothing else
        // in the program starts processes while a model's child runs, so the pid cannot have
        // been reused by another child of ours in between.)
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    // On Linux `ru_maxrss` is in KiB.
    let peak = u64::try_from(usage.ru_maxrss).ok();
    Ok((ExitStatus::from_raw(status), peak))
}

/// Elsewhere: a plain wait, and no peak memory (`ru_maxrss` has other units on other systems).
#[cfg(not(target_os = "linux"))]
pub fn wait_with_peak_rss(child: &mut Supervised) -> io::Result<(ExitStatus, Option<u64>)> {
    Ok((child.wait()?, None))
}

#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;

    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed; `prctl` and `getppid` are system calls, and the
    // error path builds an `io::Error` from an OS code without allocating.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died between `fork` and `prctl`; then no signal will ever
            // come, so give up now rather than run as an orphan.
            if libc::getppid() != parent {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

/// "exited with status 1", "was killed by signal 9 (SIGKILL)".
pub fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("was killed by signal {signal}{}", signal_name(signal));
        }
    }
    match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => format!("ended with {status}"),
    }
}

/// The first 80 characters of what a child wrote, for an error message.
pub fn excerpt(text: &str) -> &str {
    match text.char_indices().nth(80) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(unix)]
fn signal_name(signal: i32) -> &'static str {
    match signal {
        2 => " (SIGINT)",
        6 => " (SIGABRT)",
        7 => " (SIGBUS)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        13 => " (SIGPIPE)",
        15 => " (SIGTERM)",
        _ => "",
    }
}
