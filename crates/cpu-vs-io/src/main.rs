//! `cpu-vs-io`: the same tasks under every concurrency model. `main` only parses the command
//! line, calls [`cpu_vs_io::run`] and turns the outcome into the exit status, in one place:
//! 0 success, 1 a task or a model failed (or the models disagreed), 2 usage error.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

use cpu_vs_io::cli::Cli;

fn main() -> ExitCode {
    // On a usage error clap prints the message and exits with status 2 itself; so does
    // `exit` on the errors of limits that depend on the workload and the model.
    let cli = Cli::parse();
    if let Err(message) = cli.check() {
        Cli::command()
            .error(ErrorKind::ValueValidation, message)
            .exit();
    }
    match cpu_vs_io::run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("cpu-vs-io: error: {err:#}");
            ExitCode::from(1)
        }
    }
}
