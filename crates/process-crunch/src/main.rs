//! `process-crunch`: parse the command line, run, and decide the exit status here only:
//! 0 success, 1 the work failed, 2 a usage error (clap exits with 2 itself).

use std::process::ExitCode;

use clap::Parser;
use process_crunch::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("process-crunch: error: {error:#}");
            ExitCode::from(1)
        }
    }
}
