//! Lesson 7: crashing children.
//!
//! A child process can end badly in two ways, and `ExitStatus` tells them apart. It can exit
//! with a failure code: a Rust program that panics on its main thread exits with status 101.
//! Or it can be killed by a signal, and then it has no exit code at all: on Unix,
//! `ExitStatusExt::signal()` says which signal (SIGKILL is 9). Either way the crash stays in the
//! child: the parent reads the status, reports it, and carries on.
//!
//! Four children here: one panics; one kills itself with SIGKILL; one hangs and the parent
//! kills it; and one whose own parent dies. That last one shows `PR_SET_PDEATHSIG` (which
//! `Supervised::spawn` sets on every child): when its parent is killed, the kernel sends it
//! SIGKILL, so no orphan keeps running. To wait for that grandchild and read its status, this
//! program makes itself a "child subreaper" (Linux), so orphaned descendants become its
//! children instead of init's.

use std::io::{Read, Write};
use std::process::{ExitStatus, Stdio};

use anyhow::Context;

use crate::child::Program;
use crate::supervised::{describe, Supervised};

/// The parent side: start each crashing child, wait for it, report it, go on.
pub fn run(program: &Program) -> anyhow::Result<Crashes> {
    let mut children = Vec::new();

    // 1. A panic. Its stderr is piped so we can quote the message; read it all, then wait.
    let mut cmd = program.worker(["crash", "--how", "panic"]);
    cmd.stderr(Stdio::piped());
    let mut c = Supervised::spawn(&mut cmd).context("cannot start the panicking child")?;
    let mut stderr = String::new();
    c.stderr
        .take()
        .context("the child's stderr is not piped")?
        .read_to_string(&mut stderr)
        .context("cannot read the child's stderr")?;
    let status = c.wait().context("cannot wait for the panicking child")?;
    let note = panic_message(&stderr).map(|m| format!("it said: {m:?}"));
    children.push(Crashed::new("panics", c.id(), status, note));

    // 2. A child that sends itself SIGKILL. Nothing to read: just wait.
    let mut cmd = program.worker(["crash", "--how", "sigkill"]);
    let mut c = Supervised::spawn(&mut cmd).context("cannot start the self-killing child")?;
    let status = c.wait().context("cannot wait for the self-killing child")?;
    children.push(Crashed::new(
        "kills itself with SIGKILL",
        c.id(),
        status,
        None,
    ));

    // 3. A hung child (it sleeps for 30 s): the parent kills it (SIGKILL on Unix), then waits
    // for it, as a kill alone would leave a zombie.
    let mut cmd = program.worker(["sleep", "--ms", "30000"]);
    let mut c = Supervised::spawn(&mut cmd).context("cannot start the hung child")?;
    c.kill().context("cannot kill the hung child")?;
    let status = c.wait().context("cannot wait for the hung child")?;
    children.push(Crashed::new(
        "hangs; the parent kills it",
        c.id(),
        status,
        None,
    ));

    // 4. A grandchild whose parent is killed (Linux only: PR_SET_PDEATHSIG).
    #[cfg(target_os = "linux")]
    children.push(orphan(program)?);

    Ok(Crashes { children })
}

/// Kills a child that has a child of its own, and waits for that grandchild.
#[cfg(target_os = "linux")]
fn orphan(program: &Program) -> anyhow::Result<Crashed> {
    // Adopt orphaned descendants, so that we can wait for the grandchild once its parent dies.
    // SAFETY: a plain system call with integer arguments.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1 as libc::c_ulong) } == -1 {
        return Err(std::io::Error::last_os_error()).context("cannot become a subreaper");
    }
    let mut cmd = program.worker(["parent"]);
    cmd.stdout(Stdio::piped());
    let mut middle = Supervised::spawn(&mut cmd).context("cannot start the middle child")?;
    let line = first_line(&mut middle)?;
    let grandchild: libc::pid_t = line
        .trim()
        .parse()
        .with_context(|| format!("the middle child sent {line:?}, not a pid"))?;

    // Kill the middle child and wait for it. The kernel now sends the grandchild SIGKILL
    // (its parent died) and hands it to us (we are the subreaper).
    middle.kill().context("cannot kill the middle child")?;
    let middle_status = middle.wait().context("cannot wait for the middle child")?;
    let status = wait_for_adopted(grandchild)?;
    let parent = format!(
        "its parent (pid {}) ended with {}",
        middle.id(),
        describe(middle_status)
    );
    let note = format!("{parent}; the kernel then killed this orphan (PR_SET_PDEATHSIG)");
    Ok(Crashed::new(
        "loses its parent (killed)",
        grandchild as u32,
        status,
        Some(note),
    ))
}

/// The child side of the last case: start a sleeping child of our own (set to die with us,
/// like every child), tell the parent its pid, then sleep until the parent kills us.
pub fn middle_child() -> anyhow::Result<()> {
    let mut cmd = Program::current()?.worker(["sleep", "--ms", "30000"]);
    let grandchild = Supervised::spawn(&mut cmd).context("cannot start the grandchild")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", grandchild.id())?;
    out.flush()?;
    // Killed during this sleep by SIGKILL, we run no more code: no destructor kills the
    // grandchild. The kernel does, because of PR_SET_PDEATHSIG.
    std::thread::sleep(std::time::Duration::from_secs(30));
    anyhow::bail!("the parent did not kill us");
}

// ---- End of the lesson. Below: waiting for an adopted grandchild, reading its pid, the child
// side of the first two cases (a panic, a SIGKILL), and the result. ----

/// Waits for `pid`, a descendant adopted by this (subreaper) process, without blocking
/// forever: if it were still alive after 5 s, the lesson would be wrong; kill and reap it
/// ourselves, and say so.
#[cfg(target_os = "linux")]
fn wait_for_adopted(pid: libc::pid_t) -> anyhow::Result<ExitStatus> {
    use std::os::unix::process::ExitStatusExt;
    use std::time::{Duration, Instant};

    let deadline = Instant::now() + Duration::from_secs(5);
    let mut raw = 0;
    loop {
        // SAFETY: waitpid writes the status into `raw`, a valid i32 of ours.
        match unsafe { libc::waitpid(pid, &mut raw, libc::WNOHANG) } {
            0 if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            0 => {
                // SAFETY: plain system calls; the pid is our own (adopted) child.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, &mut raw, 0);
                }
                anyhow::bail!("grandchild {pid} outlived its parent by 5 s");
            }
            -1 => {
                return Err(std::io::Error::last_os_error())
                    .with_context(|| format!("cannot wait for grandchild {pid}"))
            }
            _ => return Ok(ExitStatus::from_raw(raw)),
        }
    }
}

/// The child side of the first two cases.
pub fn child(how: How) -> anyhow::Result<()> {
    match how {
        How::Panic => panic!("the child panics on purpose"),
        How::Sigkill => {
            #[cfg(unix)]
            // SAFETY: `raise` only sends a signal to this process; it touches no memory of ours.
            unsafe {
                libc::raise(libc::SIGKILL);
            }
            // SIGKILL cannot be caught, so this line is never reached on Unix.
            std::process::abort()
        }
    }
}

/// Reads the first line the child writes on its (piped) stdout.
#[cfg(target_os = "linux")]
fn first_line(child: &mut Supervised) -> anyhow::Result<String> {
    use std::io::{BufRead, BufReader};
    let pipe = child
        .stdout
        .take()
        .context("the child's stdout is not piped")?;
    let mut line = String::new();
    BufReader::new(pipe)
        .read_line(&mut line)
        .context("cannot read the child's first line")?;
    Ok(line)
}

/// How a crashing child ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum How {
    /// Panic on the main thread: exit status 101.
    Panic,
    /// Send itself SIGKILL.
    Sigkill,
}

/// The line after "panicked at ...": the panic message in Rust's standard panic report.
fn panic_message(stderr: &str) -> Option<String> {
    let mut lines = stderr.lines();
    lines.find(|l| l.contains("panicked at"))?;
    lines.next().map(|l| l.trim().to_string())
}

/// One child and how it ended.
#[derive(Debug)]
pub struct Crashed {
    pub what: &'static str,
    pub pid: u32,
    pub status: ExitStatus,
    /// What it said or what we know, where there is something to say.
    pub note: Option<String>,
}

impl Crashed {
    fn new(what: &'static str, pid: u32, status: ExitStatus, note: Option<String>) -> Self {
        Crashed {
            what,
            pid,
            status,
            note,
        }
    }
}

/// Every crash, in order.
#[derive(Debug)]
pub struct Crashes {
    pub children: Vec<Crashed>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_panic_message_is_the_line_after_panicked_at() {
        let stderr = "\nthread 'main' (77) panicked at src/crashes.rs:40:23:\nboom\n\
                      note: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(panic_message(stderr).as_deref(), Some("boom"));
        assert_eq!(panic_message("something else"), None);
    }
}
