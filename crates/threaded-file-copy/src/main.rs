//! `threaded-file-copy`: copy a directory tree with a walker thread feeding copier threads
//! over a bounded crossbeam channel, with rayon, or sequentially, and compare them.
//!
//! This file only parses the command line, dispatches, and turns the outcome into an exit
//! status in one place: 0 success, 1 some work failed, 2 usage error or refused copy,
//! 130 interrupted by Ctrl-C. Start reading at `tree.rs`.

mod bench;
mod cancel;
mod cli;
mod context;
mod copy;
mod dst;
mod entry;
mod error;
mod generate;
mod hardlinks;
mod job;
mod meta;
mod modes;
mod plan;
mod progress;
mod report;
mod spawn;
mod staging;
mod tree;
mod verify;
mod walk;

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use cli::{Action, Cli};
use error::Refusal;

/// How a run ended, decided by `run` and turned into an exit status by `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Some entries failed (each was reported); everything else was copied.
    Failed,
    /// Ctrl-C: the copy stopped early and its unfinished files were removed.
    Interrupted,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Ok(Outcome::Interrupted) => ExitCode::from(130),
        Err(err) => {
            eprintln!("threaded-file-copy: error: {err:#}");
            // A refusal is a usage error: nothing was written.
            if err.is::<Refusal>() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn run(cli: Cli) -> Result<Outcome> {
    match cli.action()? {
        Action::Generate { dir, preset } => {
            generate::generate(&dir, preset, cli.gen_files, cli.gen_mib, cli.seed)?;
            Ok(Outcome::Success)
        }
        Action::Copy { src, dst } => {
            let plan = plan::check(&src, &dst, cli.force)?;
            let cancel = cancel::install_ctrlc()?;
            let opts = tree::Options {
                mode: cli.mode,
                workers: cli.workers,
                dereference: cli.dereference,
                force: cli.force,
                keep: context::Keep {
                    owner: !cli.no_owner,
                    xattrs: !cli.no_xattrs,
                },
                verify: cli.verify,
                quiet: cli.quiet,
                progress: !cli.quiet && std::io::stderr().is_terminal(),
            };
            let summary = tree::copy_tree(&plan, &opts, cancel)?;
            if summary.interrupted {
                eprintln!("threaded-file-copy: interrupted; unfinished files removed");
                return Ok(Outcome::Interrupted);
            }
            if cli.json {
                let record = summary.record(cli.mode, cli.workers, cli.label.as_deref());
                println!("{}", serde_json::to_string(&record)?);
            }
            if !cli.quiet {
                let line = summary.describe(cli.mode, cli.workers);
                // With --json, stdout carries only records: human output moves to stderr.
                if cli.json {
                    eprintln!("{line}");
                } else {
                    println!("{line}");
                }
            }
            Ok(if summary.ok() {
                Outcome::Success
            } else {
                Outcome::Failed
            })
        }
        Action::Bench { presets } => {
            let cancel = cancel::install_ctrlc()?;
            bench::bench(&cli, &presets, cancel)
        }
        Action::Demo => {
            let cancel = cancel::install_ctrlc()?;
            bench::demo(&cli, cancel)
        }
    }
}
