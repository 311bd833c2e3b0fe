//! Starting child processes the careful way, shared by every lesson.
//!
//! The children are copies of this very program: [`Program`] holds the path of its executable
//! (`std::env::current_exe()`), and a child runs it with the hidden `worker` subcommand and a
//! job (see `worker.rs`). So the program needs nothing installed beside it and keeps working
//! when the crate is copied out of the workspace.
//!
//! Three habits of a supervisor live here:
//! - every child gets `PR_SET_PDEATHSIG` (Linux): the kernel kills it with SIGKILL if we die,
//!   so a crash of the parent never leaves workers running on their own;
//! - every child is owned by a [`Supervised`], which kills and waits for it if an early return
//!   (`?`) drops it before the lesson waited for it, so no child is left as a zombie;
//! - [`describe`] turns an exit status into words: its exit code, or the signal that killed it.

use std::ffi::OsStr;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus};

use anyhow::Context;

/// The executable the children run: this program.
#[derive(Clone, Debug)]
pub struct Program {
    exe: PathBuf,
}

impl Program {
    /// The running program itself: what the lessons use.
    pub fn current() -> anyhow::Result<Program> {
        let exe = std::env::current_exe().context("cannot find this program's executable")?;
        Ok(Program { exe })
    }

    /// Another build of this program, e.g. the binary under test.
    pub fn at(exe: impl Into<PathBuf>) -> Program {
        Program { exe: exe.into() }
    }

    /// A command that runs `this-program worker ARGS...`, set to die with its parent.
    pub fn worker<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(&self.exe);
        cmd.arg("worker").args(args);
        die_with_parent(&mut cmd);
        cmd
    }
}

/// Asks the kernel to SIGKILL the child when the thread that spawned it dies.
///
/// Careful: "parent" means the spawning *thread*, not the process. A child spawned from a
/// short-lived thread is killed when that thread ends. The lessons spawn from the thread that
/// also waits for the child, which is the right shape anyway.
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
                return Err(std::io::Error::last_os_error());
            }
            // If we died between `fork` and the `prctl` above, the signal will never come:
            // the child was already orphaned (re-parented). Do not start it at all.
            if libc::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// Elsewhere there is no parent-death signal; children rely on being waited for.
#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

/// Spawns `cmd`, naming `what` in the error if it cannot start.
pub fn spawn(cmd: &mut Command, what: &str) -> anyhow::Result<Supervised> {
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start {what} ({:?})", cmd.get_program()))?;
    Ok(Supervised { child })
}

/// A running child that is never left behind: dropped without having been waited for (an early
/// return on an error), it is killed and then waited for. Derefs to the `std::process::Child`,
/// so lessons call `.wait()`, `.kill()`, `.stdout.take()` on it directly.
#[derive(Debug)]
pub struct Supervised {
    child: Child,
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

/// An exit status in words: "exit status 0", "exit status 101", "killed by signal 9 (SIGKILL)".
pub fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal} ({})", signal_name(signal));
        }
    }
    status.to_string()
}

/// The usual name of the signals a child is likely to die of.
#[cfg(unix)]
fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGPIPE => "SIGPIPE",
        _ => "another signal",
    }
}

/// Turns a status other than success into an error naming the child.
pub fn check(status: ExitStatus, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(status.success(), "{what} failed: {}", describe(status));
    Ok(())
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
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let child = spawn(&mut cmd, "sleep").unwrap();
        let pid = child.id();
        drop(child); // kills and waits: the pid no longer exists, not even as a zombie
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists() || !cfg!(target_os = "linux")
        );
    }
}
