//! Measuring: the benchmark (`--bench`) and the no-argument demo.
//!
//! Both copy a generated tree with `cp -r` (and, with --bench, each of fcp, xcp and
//! `rsync -a` found on PATH) and with every mode, several runs each, taking turns (run 1 of
//! every contender, then run 2, ...) so that a slow moment of the machine hits them all alike. Every copy made by a mode is then checked against the source
//! (`verify::compare`, outside the timing), and the table shows the median time and the
//! speedups: against `cp -r` and against the sequential mode, like rayon-demo's
//! `speedup: 1.93x`.
//!
//! A mode's time is its own `wall` (create DST, walk, copy, links, directory metadata); `cp
//! -r`'s time is the whole process, start-up included (about a millisecond).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};

use crate::cli::{Cli, Mode, Preset};
use crate::report::{human_bytes, Record};
use crate::spawn::Supervised;
use crate::{generate, plan, progress, tree, verify, Outcome};

/// The outside copiers timed beside ours, as `(name, program, arguments before SRC DST)`.
/// rsync copies the contents of SRC into DST only when SRC ends with a slash.
const REFERENCES: [(&str, &str, &[&str]); 4] = [
    ("cp -r", "cp", &["-r"]),
    ("fcp", "fcp", &[]),
    ("xcp", "xcp", &["-r"]),
    ("rsync -a", "rsync", &["-a"]),
];

/// Whether `program` is an executable file in one of PATH's directories.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// One contender's runs.
struct Row {
    name: &'static str,
    /// For an outside copier: the program and its arguments.
    command: Option<(&'static str, &'static [&'static str])>,
    workers: usize,
    times: Vec<Duration>,
    /// Differences found by checking its copies (always 0 for the references, not checked).
    problems: usize,
}

impl Row {
    fn median(&self) -> Duration {
        let mut times = self.times.clone();
        times.sort();
        times[times.len() / 2]
    }
}

/// `--bench`: the presets on /dev/shm (or `--bench-dir`), `--runs` runs each (default 5).
pub fn bench(cli: &Cli, presets: &[Preset], cancel: Arc<AtomicBool>) -> Result<Outcome> {
    let (base, tmp) = scratch_dir(cli, "threaded-file-copy-bench.")?;
    let mut ok = true;
    for &preset in presets {
        let src = tmp.path().join(preset.name());
        generate::generate(&src, preset, cli.gen_files, cli.gen_mib, cli.seed)?;
        let runs = cli.runs.unwrap_or(5);
        let title = format!(
            "{} in {}, median of {runs} runs",
            preset.name(),
            base.display()
        );
        ok &= measure(
            cli,
            &src,
            &tmp.path().join("dst"),
            runs,
            Some(preset.name()),
            &title,
            &cancel,
        )?;
        std::fs::remove_dir_all(&src).ok();
    }
    Ok(if ok {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}

/// No arguments: the sample tree (small files, large files, special cases) in a temp dir
/// (see `scratch_dir`), copied by `cp -r` and every mode, each copy checked, then removed.
pub fn demo(cli: &Cli, cancel: Arc<AtomicBool>) -> Result<Outcome> {
    let (base, tmp) = scratch_dir(cli, "threaded-file-copy-demo.")?;
    let src = tmp.path().join("sample");
    eprintln!("building a sample tree in {} ...", src.display());
    generate::sample(&src, cli.seed)?;
    let runs = cli.runs.unwrap_or(3);
    let title = format!("sample tree in {}, median of {runs} runs", base.display());
    let ok = measure(
        cli,
        &src,
        &tmp.path().join("copy"),
        runs,
        None,
        &title,
        &cancel,
    )?;
    // `tmp` is dropped here: the sample tree and the copies are removed.
    Ok(if ok {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}

/// A temp dir for the trees: in `--bench-dir`, else in /dev/shm (tmpfs: what is measured is
/// the copier, not the disk), else in the system's temp dir. Removed when dropped.
fn scratch_dir(cli: &Cli, prefix: &str) -> Result<(PathBuf, tempfile::TempDir)> {
    let base = cli.bench_dir.clone().unwrap_or_else(|| {
        let shm = PathBuf::from("/dev/shm");
        if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        }
    });
    let tmp = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(&base)
        .with_context(|| format!("cannot create a temp dir in '{}'", base.display()))?;
    Ok((base, tmp))
}

/// Times `cp -r` and every mode on `src`, prints the table (and with --json the records);
/// returns whether every copy checked out.
fn measure(
    cli: &Cli,
    src: &Path,
    dst: &Path,
    runs: usize,
    workload: Option<&str>,
    title: &str,
    cancel: &Arc<AtomicBool>,
) -> Result<bool> {
    let totals = progress::count(src, false);
    // The demo compares with cp -r only; the benchmark with every reference on PATH.
    let references = if workload.is_some() {
        &REFERENCES[..]
    } else {
        &REFERENCES[..1]
    };
    let mut rows: Vec<Row> = references
        .iter()
        .filter(|(_, program, _)| on_path(program))
        .map(|&(name, program, args)| Row {
            name,
            command: Some((program, args)),
            workers: 1,
            times: Vec::new(),
            problems: 0,
        })
        .collect();
    for mode in Mode::ALL {
        rows.push(Row {
            name: mode.name(),
            command: None,
            workers: mode.workers(cli.workers),
            times: Vec::new(),
            problems: 0,
        });
    }
    for run in 0..runs {
        for row in rows.iter_mut() {
            if dst.exists() {
                std::fs::remove_dir_all(dst)
                    .with_context(|| format!("cannot remove '{}'", dst.display()))?;
            }
            let record = if let Some((program, args)) = row.command {
                let mut from = src.as_os_str().to_os_string();
                if program == "rsync" {
                    from.push("/");
                }
                let start = Instant::now();
                // Owned by a `Supervised`: a benchmark stopped by Ctrl-C or an error leaves no
                // reference copier running on behind it.
                let status = Supervised::spawn(
                    Command::new(program)
                        .args(args)
                        .arg(&from)
                        .arg(dst)
                        .stdout(std::process::Stdio::null()),
                )
                .and_then(|mut child| child.wait());
                match status {
                    Ok(status) if status.success() => {}
                    Ok(status) => bail!("{} failed: {status}", row.name),
                    Err(e) => bail!("cannot run {}: {e}", row.name),
                }
                let wall = start.elapsed();
                row.times.push(wall);
                reference_record(row.name, &totals, wall, workload)
            } else {
                let mode = Mode::ALL
                    .into_iter()
                    .find(|m| m.name() == row.name)
                    .unwrap_or(Mode::Sequential);
                let plan = plan::check(src, dst, false)?;
                let opts = tree::Options {
                    mode,
                    workers: cli.workers,
                    dereference: false,
                    force: false,
                    keep: crate::context::Keep {
                        owner: true,
                        xattrs: true,
                    },
                    verify: false,
                    quiet: true,
                    progress: false,
                };
                let summary = tree::copy_tree(&plan, &opts, cancel.clone())?;
                if summary.interrupted {
                    bail!("interrupted");
                }
                row.times.push(summary.wall);
                // Check every copy, outside the timing.
                let problems = verify::compare(src, dst, false, cli.workers, false);
                for problem in problems.iter().take(5) {
                    eprintln!(
                        "threaded-file-copy: {} run {}: {problem}",
                        row.name,
                        run + 1
                    );
                }
                row.problems += problems.len() + summary.errors as usize;
                summary.record(mode, cli.workers, workload)
            };
            if cli.json {
                println!("{}", serde_json::to_string(&record)?);
            }
        }
    }
    if dst.exists() {
        std::fs::remove_dir_all(dst).ok();
    }
    let rows: Vec<Row> = rows.into_iter().filter(|r| !r.times.is_empty()).collect();
    let table = render(title, &totals, &rows);
    // With --json, stdout carries only records.
    if cli.json {
        eprint!("{table}");
    } else {
        print!("{table}");
    }
    Ok(rows.iter().all(|r| r.problems == 0))
}

fn reference_record<'a>(
    name: &'a str,
    totals: &progress::Totals,
    wall: Duration,
    workload: Option<&'a str>,
) -> Record<'a> {
    Record {
        demo: "threaded-file-copy",
        workload,
        mode: name,
        workers: 1,
        items: totals.files,
        bytes: totals.bytes,
        wall_ms: wall.as_secs_f64() * 1000.0,
        ok: true,
        errors: 0,
        skipped: 0,
        peak_in_flight: None,
        reference: Some(true),
    }
}

fn render(title: &str, totals: &progress::Totals, rows: &[Row]) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median_of = |name: &str| rows.iter().find(|r| r.name == name).map(|r| ms(r.median()));
    let (cp, fcp, seq) = (
        median_of("cp -r"),
        median_of("fcp"),
        median_of("sequential"),
    );
    let speedup =
        |base: Option<f64>, t: f64| base.map_or("-".to_string(), |b| format!("{:.2}x", b / t));
    let mut out = format!(
        "\n{title}: {} files, {}\n{:<12} {:>7} {:>11} {:>9} {:>9} {:>13}  check\n",
        totals.files,
        human_bytes(totals.bytes),
        "mode",
        "workers",
        "median ms",
        "vs cp -r",
        "vs fcp",
        "vs sequential"
    );
    for row in rows {
        let t = ms(row.median());
        let check = match (row.command, row.problems) {
            (Some(_), _) => "-".to_string(),
            (None, 0) => "ok".to_string(),
            (None, n) => format!("{n} problems"),
        };
        out += &format!(
            "{:<12} {:>7} {:>11.1} {:>9} {:>9} {:>13}  {check}\n",
            row.name,
            row.workers,
            t,
            speedup(cp, t),
            speedup(fcp, t),
            speedup(seq, t)
        );
    }
    out
}
