//! Running one command the way the plan needs it: stdout and stderr to files in the temp dir
//! (a file never fills up, so a chatty child cannot block on a full pipe), the wall time taken
//! around the process, and Ctrl-C honoured within a moment.
//!
//! Ctrl-C (SIGINT) and SIGTERM only set a flag and stop the child that is running: the runner
//! then returns [`Interrupted`] up the stack, and every `Drop` on the way (the test sites, the
//! temp dir) cleans up. Every child is a [`Supervised`]: it dies with the runner even when the
//! runner is killed outright (`PR_SET_PDEATHSIG`), and an early return kills and reaps it.

use std::fmt;
use std::fs::{self, File};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use rustix::process::{Pid, Signal};

use crate::supervised::Supervised;

/// The error returned when Ctrl-C or SIGTERM stopped the run; `main` maps it to exit status 130.
#[derive(Debug)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// What a finished command left behind.
pub struct Finished {
    pub stdout: String,
    pub stderr: String,
    pub status: ExitStatus,
    /// From just before the spawn to the moment `wait` returned.
    pub wall: Duration,
}

/// Runs commands one at a time, keeping their output files in one folder.
pub struct Runner {
    dir: PathBuf,
}

/// What the Ctrl-C handler and the runner share. A static, since a process has one set of
/// signal handlers.
struct Signals {
    /// Set once by the handler; never cleared: an interrupted run stops.
    interrupted: AtomicBool,
    /// The pid of the command running now, 0 when none: the handler stops it, so that the
    /// runner's blocking `wait` returns promptly.
    current: AtomicI32,
}

static SIGNALS: Signals = Signals {
    interrupted: AtomicBool::new(false),
    current: AtomicI32::new(0),
};
static HANDLER: OnceLock<std::result::Result<(), String>> = OnceLock::new();

fn on_signal() {
    SIGNALS.interrupted.store(true, Ordering::SeqCst);
    // A child in our process group got the terminal's SIGINT too; one whose runner got a
    // plain `kill` did not. SIGTERM, then 2 s of grace, then SIGKILL. The handler runs on a
    // thread of its own, so sleeping here delays nothing else.
    let pid = SIGNALS.current.load(Ordering::SeqCst);
    if let Some(p) = Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(p, Signal::TERM);
        thread::sleep(Duration::from_secs(2));
        // Still the same child after 2 s: it ignores SIGTERM. (A pid is reused only after its
        // process is reaped, and the runner clears `current` right then.)
        if SIGNALS.current.load(Ordering::SeqCst) == pid {
            let _ = rustix::process::kill_process(p, Signal::KILL);
        }
    }
}

impl Runner {
    /// Installs the Ctrl-C / SIGTERM handler (once per process) and keeps output files in `dir`.
    pub fn new(dir: &Path) -> Result<Runner> {
        HANDLER
            .get_or_init(|| ctrlc::set_handler(on_signal).map_err(|e| e.to_string()))
            .clone()
            .map_err(|e| anyhow!("cannot install the Ctrl-C handler: {e}"))?;
        Ok(Runner {
            dir: dir.to_path_buf(),
        })
    }

    pub fn check_interrupted(&self) -> Result<()> {
        if SIGNALS.interrupted.load(Ordering::SeqCst) {
            return Err(Interrupted.into());
        }
        Ok(())
    }

    /// Runs `argv` to its end. A failure to start is an error naming the command; a non-zero
    /// exit is not (callers decide), an interruption is [`Interrupted`].
    pub fn run(&self, argv: &[String]) -> Result<Finished> {
        self.check_interrupted()?;
        let out_path = self.dir.join("stdout");
        let err_path = self.dir.join("stderr");
        let mut cmd = command(argv, &out_path, &err_path)?;
        let start = Instant::now();
        // Owned by a `Supervised` from here: should anything below return early, its drop kills
        // and reaps the child.
        let mut child = Supervised::spawn(&mut cmd)
            .with_context(|| format!("cannot start {}", shell_line(argv)))?;
        SIGNALS.current.store(child.id() as i32, Ordering::SeqCst);
        // The one blocking step: returns when the child exits, or when the Ctrl-C handler has
        // stopped it. It reaps the child, so the guard's drop has nothing left to do.
        let status = child.wait();
        let wall = start.elapsed();
        // Reaped: from here on the pid may belong to someone else, so the handler must not
        // signal it.
        SIGNALS.current.store(0, Ordering::SeqCst);
        let status = status.with_context(|| format!("cannot wait for {}", shell_line(argv)))?;
        self.check_interrupted()?;
        Ok(Finished {
            stdout: read_lossy(&out_path)?,
            stderr: read_lossy(&err_path)?,
            status,
            wall,
        })
    }

    /// Runs `argv` and fails, naming the command and quoting its stderr, unless it exits 0.
    pub fn run_ok(&self, argv: &[String], why: &str) -> Result<Finished> {
        let done = self.run(argv)?;
        if !done.status.success() {
            return Err(failed(why, &status_text(done.status), argv, &done.stderr));
        }
        Ok(done)
    }

    /// Starts a long-running child (a test site) with stdout to `stdout`; the caller owns it,
    /// and stops it with [`Supervised::stop`] (or, on an early return, the guard kills it).
    pub fn spawn(&self, argv: &[String], stdout: &Path, stderr: &Path) -> Result<Supervised> {
        self.check_interrupted()?;
        Supervised::spawn(&mut command(argv, stdout, stderr)?)
            .with_context(|| format!("cannot start {}", shell_line(argv)))
    }
}

fn command(argv: &[String], stdout: &Path, stderr: &Path) -> Result<Command> {
    let (exe, args) = argv.split_first().ok_or_else(|| anyhow!("empty command"))?;
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(
            File::create(stdout).with_context(|| format!("cannot create {}", stdout.display()))?,
        )
        .stderr(
            File::create(stderr).with_context(|| format!("cannot create {}", stderr.display()))?,
        );
    // `PR_SET_PDEATHSIG` is set by `Supervised::spawn`.
    Ok(cmd)
}

fn read_lossy(path: &Path) -> Result<String> {
    let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// "exit status 3" or "killed by signal 9".
pub fn status_text(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => status.to_string(),
    }
}

/// The loud failure: what went wrong, the command (pasteable into a shell) and the last lines
/// of its stderr.
pub fn failed(why: &str, what: &str, argv: &[String], stderr: &str) -> anyhow::Error {
    let mut msg = format!("FAILED: {why}: {what}\n  command: {}", shell_line(argv));
    let lines: Vec<&str> = stderr.lines().collect();
    if !lines.is_empty() {
        msg.push_str("\n  last lines of its stderr:");
        for line in &lines[lines.len().saturating_sub(20)..] {
            msg.push_str("\n    ");
            msg.push_str(line);
        }
    }
    anyhow!(msg)
}

/// The command as a shell line, each word quoted where it needs it.
pub fn shell_line(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            let plain = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
            if plain {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_line_quotes_what_a_shell_would_split() {
        let argv = ["cp", "-r", "a b", "it's", "x/y.txt"].map(String::from);
        assert_eq!(shell_line(&argv), r"cp -r 'a b' 'it'\''s' x/y.txt");
    }

    #[test]
    fn failure_names_the_command_and_quotes_stderr() {
        let err = failed("a run failed", "exit status 1", &["x".into()], "one\ntwo\n");
        let msg = err.to_string();
        assert!(msg.contains("command: x"), "{msg}");
        assert!(msg.ends_with("    one\n    two"), "{msg}");
    }
}
