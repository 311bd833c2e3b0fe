//! `perf-report RESULTS.jsonl [--out DIR] [--machine FILE] [--readmes CRATES_DIR]
//! [--check | --verify]`: renders the performance analysis from the demos' timing records (or,
//! with --verify, checks that what is on disk is what they render to). See lib.rs for the steps.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Renders README.md and SVG charts from the JSON timing records of the demos.
///
/// Every number of the report is computed from the records: medians, min–max, items/s and the
/// speedup over the `sequential` mode of the same (demo, workload); the findings paragraphs are
/// generated from the same numbers.
#[derive(Debug, Parser)]
#[command(
    version,
    about,
    long_about,
    after_help = "To run the benchmark plan that writes RESULTS: perf-report bench --help"
)]
struct Cli {
    /// Timing records, one JSON object per line, as `scripts/run_all.sh` collects them.
    results: PathBuf,

    /// Where README.md and charts/ are written [default: the folder above `results/` when the
    /// file sits in a folder named `results`, else the file's own folder].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// The machine description [default: `<name>.machine.json` beside `<name>.jsonl`, else a
    /// `machine.json` in the same folder].
    #[arg(long, value_name = "FILE")]
    machine: Option<PathBuf>,

    /// Also fill in the block between `<!-- perf-report:begin -->` and
    /// `<!-- perf-report:end -->` of CRATES_DIR/<demo>/README.md for every demo in the results.
    #[arg(long, value_name = "CRATES_DIR")]
    readmes: Option<PathBuf>,

    /// Only validate the records (exit 1 naming the first bad line); write nothing.
    #[arg(long)]
    check: bool,

    /// Render in memory and compare with the report, charts and (with --readmes) README
    /// blocks already on disk; write nothing, exit 1 listing every file that differs.
    #[arg(long, conflicts_with = "check")]
    verify: bool,
}

fn main() -> ExitCode {
    // `perf-report bench ...` runs the benchmark plan (see `perf-report bench --help`); it has
    // a command line of its own, so it is dispatched before the renderer's is parsed.
    if std::env::args_os().nth(1).is_some_and(|a| a == "bench") {
        return perf_report::bench::main(std::env::args_os().skip(1));
    }
    // clap exits with status 2 on a usage error and 0 for --help.
    let cli = Cli::parse();
    let opts = perf_report::Options {
        results: cli.results,
        out: cli.out,
        machine: cli.machine,
        readmes: cli.readmes,
        check: cli.check,
    };
    let result = if cli.verify {
        perf_report::verify(&opts)
    } else {
        perf_report::run(&opts)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
