//! `threaded-scrape`: parse the command line, run, and map the outcome to an exit status.
//! Everything else is in the library (start reading at `lib.rs`).

use std::process::ExitCode;

use clap::Parser;
use threaded_scrape::cli::{Cli, UsageError};

fn main() -> ExitCode {
    // On a usage error clap prints it and exits with status 2 itself.
    let cli = Cli::parse();
    match threaded_scrape::run(&cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("threaded-scrape: error: {e:#}");
            if e.is::<UsageError>() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
