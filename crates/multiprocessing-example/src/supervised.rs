//! `Supervised`: a child process that is never left behind.
//!
//! Copy this file to own child processes the same way in any crate: it needs only `std` and
//! (on Linux) `libc`. Start a child with [`Supervised::spawn`] instead of `Command::spawn`:
//!
//! - on Linux the child gets `PR_SET_PDEATHSIG`: if this process dies (even by SIGKILL), the
//!   kernel kills the child with SIGKILL, so no worker keeps running on its own;
//! - if the `Supervised` is dropped before anyone waited for the child (an early return with
//!   `?`, a panic, a forgotten `wait`), the drop kills the child and waits for it, so it
//!   neither outlives its owner nor stays behind as a zombie;
//! - it derefs to `std::process::Child`, so the owner calls `wait`, `kill`, `id` and takes
//!   `stdin`/`stdout` as usual; once `wait` has returned, the drop does nothing.
//!
//! [`describe`] says how a child ended: its exit code, or the signal that killed it.

use std::io;
use std::ops::{Deref, DerefMut};
use std::process::{Child, Command, ExitStatus};

/// A running child process, killed and reaped on drop unless it was waited for.
#[derive(Debug)]
pub struct Supervised {
    child: Child,
}

impl Supervised {
    /// Starts `cmd`, set to die with this process (Linux), and takes ownership of the child.
    ///
    /// Careful: for `PR_SET_PDEATHSIG` the "parent" is the spawning *thread*, not the process:
    /// a child spawned from a short-lived thread is killed when that thread ends. Spawn from
    /// the thread that also waits for the child, which is the right shape anyway.
    pub fn spawn(cmd: &mut Command) -> io::Result<Supervised> {
        die_with_parent(cmd);
        Ok(Supervised {
            child: cmd.spawn()?,
        })
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        // After a successful `wait`, `try_wait` returns the saved status and nothing happens.
        // Otherwise the child is still running (or exited, unreaped): kill it, then wait, so
        // it neither outlives us nor stays a zombie. Only we can reap our child, so its pid
        // cannot be reused by another process between `try_wait` and `kill`. Errors are
        // ignored: there is nothing left to do in a destructor.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
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

/// Asks the kernel to SIGKILL the child when the thread that spawned it dies.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the forked child before `exec`, where only async-signal-safe
    // calls are allowed: `prctl` and `getppid` are plain system calls, and the error built on
    // failure does not allocate.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) == -1 {
                return Err(io::Error::last_os_error());
            }
            // If we died between `fork` and the `prctl` above, the signal will never come:
            // the child was already orphaned (re-parented). Do not start it at all.
            if libc::getppid() != parent {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// Elsewhere there is no parent-death signal; children rely on being waited for.
#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

/// An exit status in words: "exit status 0", "exit status 101", "killed by signal 9 (SIGKILL)".
pub fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                libc::SIGKILL => "SIGKILL",
                libc::SIGTERM => "SIGTERM",
                libc::SIGINT => "SIGINT",
                libc::SIGSEGV => "SIGSEGV",
                libc::SIGABRT => "SIGABRT",
                libc::SIGBUS => "SIGBUS",
                libc::SIGPIPE => "SIGPIPE",
                _ => "another signal",
            };
            return format!("killed by signal {signal} ({name})");
        }
    }
    status.to_string()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn statuses_in_words() {
        // Raw wait statuses: the exit code sits in the second byte, a signal in the low bits.
        assert_eq!(describe(ExitStatus::from_raw(0)), "exit status 0");
        assert_eq!(describe(ExitStatus::from_raw(101 << 8)), "exit status 101");
        assert_eq!(
            describe(ExitStatus::from_raw(libc::SIGKILL)),
            "killed by signal 9 (SIGKILL)"
        );
    }

    #[test]
    fn a_dropped_child_is_killed_and_reaped() {
        let child = Supervised::spawn(Command::new("sleep").arg("30")).unwrap();
        let pid = child.id();
        drop(child); // kills and waits: the pid no longer exists, not even as a zombie
        if cfg!(target_os = "linux") {
            assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
        } else {
            // Straight to the stderr handle: the harness captures `eprintln!` of a passing
            // test, and a skip must be seen.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "SKIP: no /proc to check that child {pid} is gone"
            );
        }
    }

    #[test]
    fn a_waited_child_keeps_its_status_and_the_drop_does_nothing() {
        let mut child = Supervised::spawn(Command::new("sh").args(["-c", "exit 3"])).unwrap();
        assert_eq!(child.wait().unwrap().code(), Some(3));
        drop(child);
    }
}
