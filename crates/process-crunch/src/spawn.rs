//! Owning child processes: how the processes and timely modes start, describe and reap them.
//!
//! - [`Supervised`]: a child that is never left behind. Dropped without having been waited
//!   for (an early return on an error, a panic), it is killed and then waited for, so it
//!   neither outlives us nor stays a zombie.
//! - [`die_with_parent`]: Linux's `PR_SET_PDEATHSIG`, for when the parent itself is killed and
//!   runs no code at all.
//! - [`describe_status`]: an exit status in words, for the messages.

use std::io;
use std::ops::{Deref, DerefMut};
use std::process::{Child, Command, ExitStatus};

/// A running child that is never left behind (see the module comment). Derefs to the
/// `std::process::Child`, so callers use `.wait()`, `.kill()`, `.stdout.take()` on it directly.
#[derive(Debug)]
pub struct Supervised {
    child: Child,
}

impl Supervised {
    /// Starts `command`, set to die with this process (Linux, [`die_with_parent`]), and takes
    /// ownership of the child.
    pub fn spawn(command: &mut Command) -> io::Result<Supervised> {
        die_with_parent(command);
        Ok(Supervised {
            child: command.spawn()?,
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

/// Whether the child was killed by SIGBUS (a read of a memory map past its file's end).
#[cfg(unix)]
pub fn killed_by_sigbus(status: ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal() == Some(libc::SIGBUS)
}

/// Linux: the child gets SIGKILL when the parent dies (even by SIGKILL, which runs no cleanup
/// code in the parent). Strictly, when the *thread* that spawns the child ends, so spawn from
/// a thread that outlives the child. Other platforms rely on the parent's cleanup (the
/// supervisor's `Drop`, the timely launcher's `kill_and_reap`).
#[cfg(target_os = "linux")]
pub fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY (getpid): no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed: prctl and getppid are system calls, and the error
    // is built from a raw errno without allocating.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before prctl ran: then nobody would send the signal.
            if libc::getppid() != parent {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
pub fn die_with_parent(_command: &mut Command) {}

/// "was killed by signal 6 (SIGABRT)" or "exited with status 3".
pub fn describe_status(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("was killed by signal {signal} ({})", signal_name(signal));
        }
    }
    match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => format!("ended with {status}"),
    }
}

#[cfg(unix)]
fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGILL => "SIGILL",
        libc::SIGINT => "SIGINT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGTERM => "SIGTERM",
        _ => "unknown signal",
    }
}
