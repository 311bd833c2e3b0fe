//! `process-crunch bench`: time the modes (or the fast parser's steps) on one file, side by
//! side, and check that every output is byte-identical.
//!
//! The runs *alternate*: round 1 runs every configuration once, round 2 again, and so on, and
//! the table shows each configuration's median. On a machine that other work slows down now
//! and then, a slow spell then costs every configuration a run or two instead of falling on
//! all the runs of one of them, so the ratios between rows stay fair.
//!
//! - `bench FILE`: every mode with both parsers, against `sequential` with `csv`.
//! - `bench FILE --steps`: the fast parser, sequentially on one core, one technique at a time
//!   from the plain solver (memchr, a fixed-format parse with branches, an open-addressing
//!   table) to the full fast parser; each row shows its gain over the plain solver and over
//!   the row before it. This is where the README's "where each gain came from" comes from.
//!   One untimed round of every step comes first: the first run in a process is slower (the
//!   heap and the table's pages are new, the caches and branch predictors cold), by 5 to 20%
//!   on the development machine, and not by the same amount for every step, so a process that
//!   timed only its first round (`--runs 1`, as a runner that starts a fresh process per
//!   sample does) would measure the start-up of the process more than the step.
//! - `--compare-cmd CMD` adds an outside command to the same loop, timed from start to exit:
//!   `{}` in CMD becomes FILE's path (else the path is appended), run by `sh -c`. Its stdout is
//!   compared with ours, and the table says whether it matched byte for byte.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::json;

use crate::measure::{timed_run, DEMO};
use crate::modes::{Job, Mode};
use crate::parse::fast::Step;
use crate::parse::{Input, Parser};
use crate::spawn::Supervised;

/// What `bench` was asked for.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    pub file: PathBuf,
    pub workers: usize,
    pub runs: usize,
    pub json: bool,
    pub steps: bool,
    pub compare_cmd: Option<String>,
}

/// One configuration of the loop.
#[derive(Clone, Debug)]
enum Config {
    Mode(Parser, Mode),
    Step(Step),
    Compare(String),
}

impl Config {
    fn label(&self) -> String {
        match self {
            Config::Mode(parser, mode) => format!("{:<6} {:<11}", parser.name(), mode.name()),
            Config::Step(step) => step.name().to_string(),
            Config::Compare(_) => "--compare-cmd".to_string(),
        }
    }
}

/// The no-argument demo: the default file, every mode, both parsers, median of 3 runs (one
/// run in a debug build, which is several times slower and only shows that it works).
pub fn demo(workers: usize) -> anyhow::Result<()> {
    let runs = if cfg!(debug_assertions) {
        eprintln!(
            "Note: this is a debug build, several times slower than a release build; \
             for times worth comparing use `cargo run --release -p process-crunch`."
        );
        1
    } else {
        3
    };
    let path = crate::measure::default_file()?;
    crate::file::report_sigbus(&path);
    eprintln!("Running every mode with both parsers, {workers} workers...\n");
    bench(&BenchOptions {
        file: path,
        workers,
        runs,
        json: false,
        steps: false,
        compare_cmd: None,
    })
}

/// One run's measurements.
struct Measured {
    wall: Duration,
    /// CPU time of this process and the children it reaped during the run: on a machine
    /// that other work keeps busy, a fairer measure of a one-core run than its wall time.
    cpu: Duration,
    output: Vec<u8>,
    workers: usize,
    rows: u64,
    ok: bool,
}

pub fn bench(options: &BenchOptions) -> anyhow::Result<()> {
    let runs = options.runs.max(1);
    let mut configs: Vec<Config> = if options.steps {
        Step::ALL.iter().map(|&s| Config::Step(s)).collect()
    } else {
        Parser::ALL
            .iter()
            .flat_map(|&p| Mode::ALL.iter().map(move |&m| Config::Mode(p, m)))
            .collect()
    };
    if let Some(cmd) = &options.compare_cmd {
        configs.push(Config::Compare(cmd.clone()));
    }
    let bytes = std::fs::metadata(&options.file)
        .with_context(|| format!("{}", options.file.display()))?
        .len();

    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(runs); configs.len()];
    let mut cpu_times: Vec<Vec<Duration>> = vec![Vec::with_capacity(runs); configs.len()];
    let mut last: Vec<Option<Measured>> = (0..configs.len()).map(|_| None).collect();
    let mut reference: Option<Vec<u8>> = None;
    let stdout = io::stdout();
    if options.steps {
        // The warm-up round (see the module comment): run, checked, not timed. An outside
        // command (`--compare-cmd`) is not ours to warm up.
        for config in configs.iter().filter(|c| !matches!(c, Config::Compare(_))) {
            let output = measure(config, options)?.output;
            match &reference {
                None => reference = Some(output),
                Some(expected) if *expected != output => {
                    bail!(
                        "{} disagrees with the first configuration",
                        config.label().trim()
                    )
                }
                Some(_) => {}
            }
        }
    }
    for round in 0..runs {
        for (i, config) in configs.iter().enumerate() {
            let cpu_before = process_cpu();
            let mut measured = measure(config, options)?;
            measured.cpu = process_cpu().saturating_sub(cpu_before);
            if !matches!(config, Config::Compare(_)) {
                match &reference {
                    None => reference = Some(measured.output.clone()),
                    Some(expected) if *expected != measured.output => {
                        bail!(
                            "{} disagrees with the first configuration",
                            config.label().trim()
                        )
                    }
                    Some(_) => {}
                }
            }
            if options.json {
                writeln!(stdout.lock(), "{}", record(config, &measured, bytes, round))?;
            }
            times[i].push(measured.wall);
            cpu_times[i].push(measured.cpu);
            last[i] = Some(measured);
        }
    }

    let reference = reference.unwrap_or_default();
    let medians: Vec<Duration> = times.iter_mut().map(|t| median(t)).collect();
    let cpu_medians: Vec<Duration> = cpu_times.iter_mut().map(|t| median(t)).collect();
    let mut out = format!(
        "All outputs identical. Median of {runs} alternating run{}{}:\n\n",
        if runs == 1 { "" } else { "s" },
        if options.steps {
            ", sequential, one core, after one untimed warm-up round"
        } else {
            ""
        }
    );
    // The labels' column: as wide as the longest label (the mode table's are 18).
    let label_width = configs
        .iter()
        .map(|c| c.label().len())
        .max()
        .unwrap_or(0)
        .max(18);
    let mut header = format!(
        "{:<w$} {:>7} {:>10} {:>9} {:>8} {:>9} {:>9} {:>9}",
        if options.steps { "step" } else { "parser mode" },
        "workers",
        "time (ms)",
        "cpu (ms)",
        "MB/s",
        if options.steps { "vs plain" } else { "speedup" },
        if options.steps { "vs prev" } else { "vs csv" },
        if options.steps { "cpu vs 1st" } else { "" },
        w = label_width,
    );
    header.truncate(header.trim_end().len());
    out.push_str(&header);
    out.push('\n');
    for (i, config) in configs.iter().enumerate() {
        let secs = medians[i].as_secs_f64().max(1e-9);
        let measured = last[i].as_ref().expect("at least one round");
        let ratio = |j: Option<usize>| j.map_or(1.0, |j| medians[j].as_secs_f64() / secs);
        let (first, second) = match config {
            Config::Step(_) => (Some(0), i.checked_sub(1)),
            Config::Mode(parser, mode) => (
                configs
                    .iter()
                    .position(|c| matches!(c, Config::Mode(p, Mode::Sequential) if p == parser)),
                configs
                    .iter()
                    .position(|c| matches!(c, Config::Mode(Parser::Csv, m) if m == mode)),
            ),
            // The outside command against the first row (plain / sequential csv).
            Config::Compare(_) => (Some(0), None),
        };
        let cpu_ratio = cpu_medians[0].as_secs_f64() / cpu_medians[i].as_secs_f64().max(1e-9);
        let row = format!(
            "{:<w$} {:>7} {:>10.1} {:>9.1} {:>8.0} {:>8.2}x {:>9} {:>9}",
            config.label(),
            measured.workers,
            secs * 1e3,
            cpu_medians[i].as_secs_f64() * 1e3,
            bytes as f64 / 1e6 / secs,
            ratio(first),
            second.map_or("-".to_string(), |j| format!("{:.2}x", ratio(Some(j)))),
            if options.steps {
                format!("{cpu_ratio:.2}x")
            } else {
                String::new()
            },
            w = label_width,
        );
        out.push_str(row.trim_end());
        out.push('\n');
        if let Config::Compare(cmd) = config {
            let same = measured.output == reference;
            out.push_str(&format!(
                "  --compare-cmd `{cmd}`: {}{}\n",
                if measured.ok { "exit 0" } else { "FAILED" },
                if same {
                    ", output byte-identical"
                } else {
                    ", output differs from ours (its speed is still comparable; its answer may not be)"
                }
            ));
        }
    }
    out.push_str(if options.steps {
        "\nvs plain: over the plain solver (first row); vs prev: over the row before (the gain of that step's technique);\n\
         cpu vs 1st: the same as vs plain in CPU time, steadier than wall time when other programs share the cores.\n"
    } else {
        "\nspeedup: over sequential with the same parser (the outside command: over sequential csv); vs csv: over the csv parser in the same mode.\n"
    });
    if options.json {
        io::stderr().write_all(out.as_bytes())?;
    } else {
        stdout.lock().write_all(out.as_bytes())?;
    }
    Ok(())
}

fn measure(config: &Config, options: &BenchOptions) -> anyhow::Result<Measured> {
    match config {
        Config::Mode(parser, mode) => {
            let job = Job {
                path: options.file.clone(),
                parser: *parser,
                workers: if *mode == Mode::Sequential {
                    1
                } else {
                    options.workers
                },
                skip_bad: false,
                retries: 1,
                worker_timeout: None,
                #[cfg(feature = "timely")]
                timely: Default::default(),
            };
            let timed = timed_run(*mode, &job)?;
            Ok(Measured {
                wall: timed.wall,
                cpu: Duration::ZERO,
                output: timed.outcome.partial.to_1brc(),
                workers: timed.outcome.workers,
                rows: timed.outcome.partial.rows(),
                ok: true,
            })
        }
        Config::Step(step) => {
            let start = Instant::now();
            let input = Input::open(&options.file, Parser::Fast)?;
            let partial = input
                .aggregate_range_step(0..input.len(), false, *step)
                .map_err(|e| crate::modes::describe(&options.file, e.into()))?;
            let wall = start.elapsed();
            Ok(Measured {
                wall,
                cpu: Duration::ZERO,
                output: partial.to_1brc(),
                workers: 1,
                rows: partial.rows(),
                ok: true,
            })
        }
        Config::Compare(cmd) => run_outside(cmd, &options.file),
    }
}

/// Runs the outside command on `file` and times it from start to exit.
fn run_outside(cmd: &str, file: &Path) -> anyhow::Result<Measured> {
    let quoted = shell_quote(&file.to_string_lossy());
    let line = if cmd.contains("{}") {
        cmd.replace("{}", &quoted)
    } else {
        format!("{cmd} {quoted}")
    };
    let start = Instant::now();
    // Owned by a `Supervised`: a bench stopped by an error or killed leaves no outside
    // command running on behind it.
    let mut child = Supervised::spawn(
        Command::new("sh")
            .arg("-c")
            .arg(&line)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit()),
    )
    .with_context(|| format!("cannot run `sh -c {line}`"))?;
    let mut stdout = Vec::new();
    if let Some(mut pipe) = child.stdout.take() {
        pipe.read_to_end(&mut stdout)
            .with_context(|| format!("cannot read the output of `sh -c {line}`"))?;
    }
    let status = child
        .wait()
        .with_context(|| format!("cannot wait for `sh -c {line}`"))?;
    let wall = start.elapsed();
    Ok(Measured {
        wall,
        cpu: Duration::ZERO,
        output: stdout,
        workers: 0,
        rows: 0,
        ok: status.success(),
    })
}

/// User plus system CPU time of this process and of its reaped children so far.
fn process_cpu() -> Duration {
    let of = |who| {
        // SAFETY: getrusage fills the struct we pass; all-zero is a valid initial value.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(who, &mut usage) };
        let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
        tv(usage.ru_utime) + tv(usage.ru_stime)
    };
    of(libc::RUSAGE_SELF) + of(libc::RUSAGE_CHILDREN)
}

/// `'text'` for `sh`, with every `'` written as `'\''`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn record(config: &Config, m: &Measured, bytes: u64, round: usize) -> serde_json::Value {
    let (mode, workload) = match config {
        Config::Mode(parser, mode) => (mode.name().to_string(), parser.name().to_string()),
        Config::Step(step) => ("sequential".into(), format!("fast-step-{}", step.slug())),
        Config::Compare(cmd) => ("compare-cmd".into(), cmd.clone()),
    };
    json!({
        "demo": DEMO,
        "mode": mode,
        "workload": workload,
        "workers": m.workers,
        "items": m.rows,
        "bytes": bytes,
        "wall_ms": m.wall.as_secs_f64() * 1e3,
        "cpu_ms": m.cpu.as_secs_f64() * 1e3,
        "ok": m.ok,
        "round": round,
    })
}

/// The median of the times (the mean of the middle two for an even count).
fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    let mid = times.len() / 2;
    if times.len().is_multiple_of(2) {
        (times[mid - 1] + times[mid]) / 2
    } else {
        times[mid]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_for_the_shell() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
