//! The program's children are copies of itself: how a lesson names the child it starts.
//!
//! [`Program`] holds the path of this program's executable (`std::env::current_exe()`), and a
//! child runs it with the hidden `worker` subcommand and a job (see `worker.rs`). So the program
//! needs nothing installed beside it and keeps working when the crate is copied out of the
//! workspace. The lessons start these commands with `Supervised::spawn` (`supervised.rs`), and
//! [`check`] turns a child's failure into an error naming it.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};

use anyhow::Context;

use crate::supervised::describe;

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

    /// A command that runs `this-program worker ARGS...`.
    pub fn worker<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(&self.exe);
        cmd.arg("worker").args(args);
        cmd
    }
}

/// Turns a status other than success into an error naming the child.
pub fn check(status: ExitStatus, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(status.success(), "{what} failed: {}", describe(status));
    Ok(())
}
