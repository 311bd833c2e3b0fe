//! Owning child processes: the benchmark's reference copiers (`cp`, `rsync`, `fcp`, `xcp`).
//!
//! - [`Supervised`]: a child that is never left behind. Dropped without having been waited
//!   for (an early return on an error, a panic), it is killed and then waited for, so it
//!   neither outlives us nor stays a zombie.
//! - [`die_with_parent`]: Linux's `PR_SET_PDEATHSIG`, for when the parent itself is killed and
//!   runs no code at all (Ctrl-C on the benchmark, `kill -9`): a reference copier left running
//!   would go on writing into the benchmark's destination.

use std::io;
use std::ops::{Deref, DerefMut};
use std::process::{Child, Command};

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

/// Linux: the child gets SIGKILL when the parent dies (even by SIGKILL, which runs no cleanup
/// code in the parent). Strictly, when the *thread* that spawns the child ends, so spawn from
/// a thread that outlives the child (the benchmark spawns and waits on its main thread).
#[cfg(target_os = "linux")]
pub fn die_with_parent(command: &mut Command) {
    use rustix::process::{getpid, getppid, set_parent_process_death_signal, Signal};
    use std::os::unix::process::CommandExt;
    let parent = getpid();
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed: rustix's prctl and getppid are raw system calls,
    // and the error is built from a raw errno without allocating.
    unsafe {
        command.pre_exec(move || {
            set_parent_process_death_signal(Some(Signal::KILL))?;
            // The parent may have died before prctl ran: then nobody would send the signal.
            if getppid() != Some(parent) {
                return Err(io::Error::from_raw_os_error(
                    rustix::io::Errno::SRCH.raw_os_error(),
                ));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
pub fn die_with_parent(_command: &mut Command) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_child_is_killed_and_reaped() {
        let child = Supervised::spawn(Command::new("sleep").arg("30")).unwrap();
        let pid = child.id();
        drop(child); // kills and waits: the pid no longer exists, not even as a zombie
        #[cfg(target_os = "linux")]
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
        let _ = pid;
    }

    #[test]
    fn a_waited_child_keeps_its_status() {
        let mut child = Supervised::spawn(&mut Command::new("true")).unwrap();
        assert!(child.wait().unwrap().success());
    }
}
