//! The parent side of the process models: how a worker process is started, and how its end is
//! put into words when it fails.
//!
//! Every child is this same program (`current_exe()`) started with a hidden subcommand (see
//! `worker.rs`). On Linux each child asks the kernel to SIGKILL it when its parent dies
//! (`PR_SET_PDEATHSIG`), so a parent killed by Ctrl-C or `kill -9` leaves no worker behind.
//! Note that the kernel sends it when the parent *thread* that forked the child exits, so the
//! children are started from the coordinating thread, which outlives them.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};

/// A command that starts `exe` as a worker: stderr shared with ours (a worker's error message
/// reaches the terminal), and on Linux tied to our life.
pub fn child_command(exe: &Path) -> Command {
    let mut cmd = Command::new(exe);
    cmd.stderr(Stdio::inherit());
    die_with_parent(&mut cmd);
    cmd
}

#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    use std::io;
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

/// Kills and reaps every child in `children`: used when starting the rest failed, so that the
/// ones already running are not left behind. Errors are ignored: a child that has already
/// exited cannot be killed, and `wait` still reaps it.
pub fn kill_and_reap(children: &mut Vec<Child>) {
    for child in children.iter_mut() {
        let _ = child.kill();
    }
    for mut child in children.drain(..) {
        let _ = child.wait();
    }
}

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
