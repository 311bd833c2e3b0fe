//! `perf-report bench`: runs the benchmark plan and writes the timing records that
//! `perf-report RESULTS.jsonl` renders. `scripts/run_all.sh` builds the binaries and runs both.
//!
//! The steps, one module each: [`cli`] parses the options; [`inputs`] makes the inputs in a temp
//! dir and probes which optional features the binaries have; [`plan`] lists the configurations
//! (the plan is data: add a measurement there); [`exec`] runs one command, Ctrl-C aware;
//! [`reference`] holds the outside tools; [`results`] checks, tags, resumes and merges records;
//! [`machine`] describes the machine and the commit. This file runs the list.

pub mod cli;
mod exec;
mod inputs;
mod machine;
mod plan;
mod progress;
mod reference;
mod results;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;

use cli::{BenchCli, Demo};
use exec::{Interrupted, Runner};
use inputs::{Features, Inputs};
use plan::{Config, Ctx, Sizes, Source, Workers};
use progress::{clock, log, Progress};
use reference::{ToolRecord, Tools, NOT_INSTALLED};
use results::Collector;

use crate::atomic::write_atomically;

/// Entry point for `perf-report bench ...`; `args` starts with "bench".
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    // clap exits with status 2 on a usage error and 0 for --help.
    let cli = BenchCli::parse_from(args);
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<Interrupted>() => {
            log("perf-report bench: interrupted");
            ExitCode::from(130)
        }
        Err(e) => {
            log(&format!("perf-report bench: error: {e:#}"));
            ExitCode::from(1)
        }
    }
}

fn run(cli: &BenchCli) -> Result<()> {
    let stamp_time = Timestamp::now();
    let (host, kernel) = machine::uname();
    let base = format!("{}-{}", stamp_time.compact, machine::slug(&host));
    let results_dir = cli.out.join("results");
    if !cli.merge.is_empty() {
        return merge(cli, &results_dir, &base);
    }

    let bin = match &cli.bin_dir {
        Some(dir) => dir.clone(),
        None => std::env::current_exe()
            .context("cannot find this executable's folder; pass --bin-dir")?
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    };
    let demos = cli.demos();
    let ncpu = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let workers = Workers::new(ncpu, cli.quick);
    let sizes = Sizes::new(cli.quick, &workers);
    let (runs, warmup) = (cli.runs(), cli.warmup());
    let tools = Tools::detect(demos.contains(&Demo::ProcessCrunch));

    if cli.list {
        let inputs = Inputs::placeholders(&sizes);
        let features = Features::all();
        let ctx = Ctx {
            bin: &bin,
            sizes: &sizes,
            workers: &workers,
            inputs: &inputs,
            features: &features,
            tools: &tools,
            python_dir: &cli.python_dir,
        };
        for (k, c) in plan::build(&ctx, &demos).iter().enumerate() {
            let note = if matches!(c.source, Source::NotInstalled) {
                "  # not installed"
            } else {
                ""
            };
            // An inline Python script is shown by name, not as its twenty lines.
            let argv: Vec<String> = c
                .argv
                .iter()
                .map(|a| {
                    if a.contains('\n') {
                        "<inline script>".into()
                    } else {
                        a.clone()
                    }
                })
                .collect();
            println!("{:>4} {}: {}{note}", k + 1, c.id(), exec::shell_line(&argv));
        }
        return Ok(());
    }

    for d in &demos {
        let exe = bin.join(d.name());
        if !exe.is_file() {
            bail!(
                "no executable {} (build it with `cargo build --release -p {}`, or pass --bin-dir \
                 with the prebuilt release binaries)",
                exe.display(),
                d.name()
            );
        }
    }
    let mut collector = match &cli.resume {
        Some(path) => {
            let c = Collector::resume(path)?;
            log(&format!(
                "resuming from {}: {} configurations done",
                path.display(),
                c.configs()
            ));
            c
        }
        None => Collector::default(),
    };

    let worker_list = |ws: &[u64]| ws.iter().map(u64::to_string).collect::<Vec<_>>().join(" ");
    log(&format!(
        "machine: {}, {ncpu} logical CPUs; worker counts {} (I/O: {})",
        machine::cpu_model(),
        worker_list(&workers.cpu),
        worker_list(&workers.io)
    ));
    let started = Instant::now();
    // A resumed run prepares inputs only for the demos it still has to run. The plan with
    // placeholder inputs and every optional feature is a superset of the real one, and
    // configuration keys do not depend on the inputs' paths.
    let pending: Vec<Demo> = {
        let inputs = Inputs::placeholders(&sizes);
        let features = Features::all();
        let ctx = Ctx {
            bin: &bin,
            sizes: &sizes,
            workers: &workers,
            inputs: &inputs,
            features: &features,
            tools: &tools,
            python_dir: &cli.python_dir,
        };
        let all = plan::build(&ctx, &demos);
        demos
            .iter()
            .copied()
            .filter(|d| {
                all.iter()
                    .any(|c| c.demo == d.name() && !collector.is_done(&c.id()))
            })
            .collect()
    };
    let (inputs, features, runner) = Inputs::prepare(&bin, &pending, &sizes, &cli.python_dir)?;
    log(&format!(
        "runs: {runs} timed + {warmup} warm-up per configuration; inputs in {}",
        inputs.fs
    ));
    let ctx = Ctx {
        bin: &bin,
        sizes: &sizes,
        workers: &workers,
        inputs: &inputs,
        features: &features,
        tools: &tools,
        python_dir: &cli.python_dir,
    };
    let configs = plan::build(&ctx, &pending);

    let todo: Vec<&Config> = configs
        .iter()
        .filter(|c| !collector.is_done(&c.id()))
        .collect();
    if todo.len() < configs.len() {
        log(&format!(
            "skipping {} configurations already in the resumed file",
            configs.len() - todo.len()
        ));
    }
    let executions = todo
        .iter()
        .filter(|c| !matches!(c.source, Source::NotInstalled))
        .count() as u64
        * u64::from(warmup + runs);
    log(&format!("running {executions} demo runs"));
    let mut progress = Progress::new(executions);
    let mut outcome = Ok(());
    for (i, cfg) in todo.iter().enumerate() {
        match run_config(cfg, &runner, &inputs, runs, warmup, &mut progress) {
            Ok(lines) => collector.add(cfg.id(), lines),
            Err(e) => {
                outcome = Err(e);
                break;
            }
        }
        if todo.get(i + 1).is_none_or(|next| next.demo != cfg.demo) {
            log(&format!(
                "[{} done at {}]",
                cfg.demo,
                clock(started.elapsed())
            ));
        }
    }
    if let Err(e) = outcome {
        // Keep what finished, under a name that cannot pass for a complete run.
        if !collector.is_empty() {
            let partial = results_dir.join(format!("{base}.partial.jsonl"));
            create_folder(&results_dir)?;
            collector.save(&partial)?;
            log(&format!(
                "saved the {} configurations that finished in {}; continue with --resume {}",
                collector.configs(),
                partial.display(),
                partial.display()
            ));
        }
        return Err(e);
    }
    if collector.is_empty() {
        bail!("no configuration to run");
    }

    let (commit, dirty) = machine::git_state();
    let mut skipped = features.skipped();
    skipped.extend(
        configs
            .iter()
            .filter(|c| matches!(c.source, Source::NotInstalled))
            .map(|c| format!("{} {}: {NOT_INSTALLED}", c.demo, c.mode)),
    );
    // Once per tool, not once per table it would have had a row in.
    let mut seen = std::collections::BTreeSet::new();
    skipped.retain(|line| seen.insert(line.clone()));
    let info = machine::MachineInfo {
        host,
        timestamp: stamp_time.iso,
        cpu_model: machine::cpu_model(),
        logical_cpus: ncpu,
        memory_kib: machine::memory_kib(),
        os: machine::os_name(),
        kernel,
        rustc: machine::rustc_of(&std::env::current_exe().unwrap_or_default()),
        git_commit: machine::git_commit_text(&commit, dirty),
        commit,
        dirty,
        runs,
        warmup,
        quick: cli.quick,
        worker_counts: worker_list(&workers.cpu),
        io_worker_counts: worker_list(&workers.io),
        inputs: demos
            .iter()
            .map(|d| (d.name().to_string(), describe_inputs(*d, &ctx)))
            .collect(),
        skipped,
        duration_s: started.elapsed().as_secs_f64(),
    };
    // The inputs go before the results move in: nothing below can fail half-way.
    drop(inputs);
    let results = results_dir.join(format!("{base}.jsonl"));
    let machine_path = results_dir.join(format!("{base}.machine.json"));
    create_folder(&results_dir)?;
    write_atomically(
        &machine_path,
        serde_json::to_string_pretty(&info)?.as_bytes(),
    )?;
    collector.save(&results)?;
    if let Some(old) = &cli.resume {
        // A .partial.jsonl is ours, and every record of it is now in the complete file.
        if old.to_string_lossy().ends_with(".partial.jsonl") {
            let _ = std::fs::remove_file(old);
        }
    }
    log(&format!(
        "results: {} ({} of runs)",
        results.display(),
        clock(started.elapsed())
    ));
    println!("{}", results.display());
    Ok(())
}

/// Warm-up and timed runs of one configuration; returns its records (timed runs only).
fn run_config(
    cfg: &Config,
    runner: &Runner,
    inputs: &Inputs,
    runs: u32,
    warmup: u32,
    progress: &mut Progress,
) -> Result<Vec<String>> {
    if let Source::NotInstalled = cfg.source {
        log(&format!("skipped: {}: {NOT_INSTALLED}", cfg.describe()));
        return Ok(vec![tool_record(
            cfg,
            0,
            0,
            0.0,
            false,
            Some(NOT_INSTALLED),
        )]);
    }
    let mut lines = Vec::new();
    for r in (1..=warmup).map(|_| 0).chain(1..=runs) {
        let what = if r == 0 {
            "warm-up".to_string()
        } else {
            format!("run {r}/{runs}")
        };
        progress.step(&format!("{}, {what}", cfg.describe()));
        if let Some(dir) = &cfg.reset {
            inputs.reset(dir)?;
        }
        let done = runner.run(&cfg.argv)?;
        let finished = match &cfg.source {
            Source::Timed(check) => check.accepts(done.status.code()),
            _ => done.status.success(),
        };
        if !finished {
            return Err(exec::failed(
                "a run failed",
                &exec::status_text(done.status),
                &cfg.argv,
                &done.stderr,
            ));
        }
        let new = match &cfg.source {
            Source::Records => {
                if done.stdout.trim().is_empty() {
                    return Err(exec::failed(
                        "printed no timing record on stdout",
                        "exit status 0",
                        &cfg.argv,
                        &done.stderr,
                    ));
                }
                results::tag_records(&done.stdout, cfg).map_err(|e| {
                    exec::failed(
                        &format!("printed a line that is not a valid timing record ({e})"),
                        "exit status 0",
                        &cfg.argv,
                        &done.stderr,
                    )
                })?
            }
            Source::Timed(check) => {
                let (items, bytes) = check.verify(&done.stderr).map_err(|e| {
                    exec::failed(
                        &format!("wrong result ({e})"),
                        "exit status 0",
                        &cfg.argv,
                        &done.stderr,
                    )
                })?;
                vec![tool_record(
                    cfg,
                    items,
                    bytes,
                    done.wall.as_secs_f64() * 1000.0,
                    true,
                    None,
                )]
            }
            Source::NotInstalled => unreachable!("handled above"),
        };
        if r > 0 {
            lines.extend(new);
        }
    }
    Ok(lines)
}

fn tool_record(
    cfg: &Config,
    items: u64,
    bytes: u64,
    wall_ms: f64,
    ok: bool,
    unavailable: Option<&str>,
) -> String {
    let rec = ToolRecord {
        demo: cfg.demo,
        workload: &cfg.workload,
        mode: &cfg.mode,
        workers: cfg.workers,
        items,
        bytes,
        wall_ms,
        ok,
        reference: cfg.reference,
        unavailable,
        command: exec::shell_line(&cfg.argv),
        config: cfg.id(),
    };
    serde_json::to_string(&rec).expect("a record of strings and numbers serializes")
}

/// `--merge A B ...`: one results file and machine description from several.
fn merge(cli: &BenchCli, results_dir: &Path, base: &str) -> Result<()> {
    let (lines, machine) = results::merge(&cli.merge)?;
    let results: PathBuf = results_dir.join(format!("{base}-merged.jsonl"));
    let machine_path = results_dir.join(format!("{base}-merged.machine.json"));
    create_folder(results_dir)?;
    write_atomically(
        &machine_path,
        serde_json::to_string_pretty(&machine)?.as_bytes(),
    )?;
    write_atomically(&results, format!("{}\n", lines.join("\n")).as_bytes())?;
    log(&format!(
        "merged {} records of {} files into {}",
        lines.len(),
        cli.merge.len(),
        results.display()
    ));
    println!("{}", results.display());
    Ok(())
}

/// The results folder (`--out`/results), made on the first write.
fn create_folder(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// 10000000 -> "10,000,000".
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One sentence per demo on what it was measured on, for the report.
fn describe_inputs(d: Demo, ctx: &Ctx) -> String {
    let (s, w, f) = (ctx.sizes, ctx.workers, ctx.features);
    let list = |ws: &[u64]| ws.iter().map(u64::to_string).collect::<Vec<_>>().join(" ");
    match d {
        Demo::CpuVsIo => {
            let mut t = format!(
                "cpu: {} tasks, each counting the primes in the same fixed window of numbers; io: {} tasks that each wait {} ms (io-sleep: a sleep; io-tcp: a blocking read from a local server). sequential, thread-per-task and process-per-task do not depend on --workers and run once; the pools run at {} workers for cpu and {} for io, where more threads than cores pay off.",
                grouped(s.cpu_tasks), grouped(s.io_tasks), s.io_latency_ms, list(&w.cpu), list(&w.io)
            );
            if f.many.is_yes() {
                let ns: Vec<String> = s.many_tasks.iter().map(|&n| grouped(n)).collect();
                t += &format!(" many: N tasks at once that each wait {} ms (N = {}): thread-per-task and a thread pool of N threads up to 10,000, async (one runtime thread per core) at every N; each model in a fresh process, for its own peak memory.", s.many_latency_ms, ns.join(", "));
            }
            if f.python_cpu_vs_io.is_yes() {
                t += &format!(" cpu-small: {} tasks of {} numbers each, the size at which Python's sequential run takes a few seconds; Rust and Python (language: python) run the same tasks, and Python also runs io-sleep and io-tcp on the same tasks.", grouped(s.small_cpu_tasks), grouped(s.small_cpu_size));
            }
            t
        }
        Demo::ThreadedFileCopy => format!(
            "small-files: {} seeded files of 100 B to 16 KB in 100 directories; large-files: 4 files of {} MiB; source and copy in {}, the copy removed (untimed) before each run. The references (cp -r, cp -a, rsync -a, fcp, xcp -r, where installed) are timed by the runner around the whole process on the same trees, and their copies checked to hold the same files and bytes.",
            grouped(s.copy_files), s.copy_mib, ctx.inputs.fs
        ),
        Demo::ThreadedScrape => format!(
            "the built-in test site on 127.0.0.1, {} pages, each answered after {} ms; --per-host equal to --workers; one site for the whole sweep, primed by an untimed crawl first. The reference wget -r (sequential, keeps nothing) crawls the same site, timed by the runner.{}",
            grouped(s.scrape_pages), s.scrape_latency_ms,
            if s.target_site { " The table 500-pages-50ms is the crawler's speed target, on a second site of 500 pages x 50 ms, sequential against 32 workers (and async at 32 in flight, where the binary has it)." } else { "" }
        ) + &if f.scrape_async.is_yes() { " async: the same crawl driven by a tokio task set, --workers requests in flight.".to_string() } else { String::new() }
          + &if f.site_hosts.is_yes() {
              let (h, p, ms) = s.hosts;
              let list: Vec<String> = s.hosts_in_flight.iter().map(|n| grouped(*n)).collect();
              format!(" {h}-hosts-{p}-pages-{ms}ms: the built-in site on {h} origins (--site-hosts {h}, {} pages in all, {ms} ms each), threads against async at {} requests in flight, --per-host their share per origin; peak memory per run.", grouped(p), list.join(", "))
          } else { String::new() },
        Demo::ProcessCrunch => {
            let shapes = if f.timely.is_yes() {
                let v: Vec<String> = plan::timely_shapes(w.ncpu, s.quick).iter().map(|(p, t)| format!("{p}x{t}")).collect();
                format!("; timely at {} (processes x worker threads)", v.join(", "))
            } else {
                String::new()
            };
            let mut t = format!(
                "a generated {}-row 1BRC file (seed 1, 413 stations) in {}, page cache warm; both parsers (workloads csv and fast) in every mode at {} workers{shapes}. DuckDB and Polars (in the table fast, where installed) run the same query (min, mean, max per station) on the same file, timing the query alone.",
                grouped(s.crunch_rows), ctx.inputs.fs, list(&w.cpu)
            );
            if f.stations_10k.is_yes() {
                t += &format!(" fast-10k-stations: a {}-row file of 10,000 stations, the fast parser at {} workers.", grouped(s.stations_10k_rows), w.ncpu);
            }
            if f.steps.is_yes() {
                t += " fast-steps (and fast-steps-10k-stations on the 10,000-station file): `process-crunch bench --steps`, the fast parser built up one technique at a time (plain, +swar, +branchless, +table, +lanes), each sequential on one core; a row's time against the row above is that technique's gain.";
            }
            if f.python_crunch.is_yes() {
                t += " python: python/crunch.py on the same file, sequential and process-pool.";
            }
            t
        }
    }
}

/// The run's start, two ways: for the machine file and for file names.
struct Timestamp {
    iso: String,
    compact: String,
}

impl Timestamp {
    fn now() -> Timestamp {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let (y, mo, d) = civil_from_days((secs / 86_400) as i64);
        let (h, mi, s) = (secs / 3600 % 24, secs / 60 % 60, secs % 60);
        Timestamp {
            iso: format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"),
            compact: format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z"),
        }
    }
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tool_gets_a_not_installed_row_the_renderer_accepts() {
        let tools = Tools::default();
        let dir = Path::new("/w");
        let configs = reference::copy_tools(&tools, "small-files", &dir.join("s"), &dir.join("d"));
        assert_eq!(configs.len(), 5);
        let fcp = configs.iter().find(|c| c.mode == "fcp").unwrap();
        assert!(matches!(fcp.source, Source::NotInstalled));
        let line = tool_record(fcp, 0, 0, 0.0, false, Some(NOT_INSTALLED));
        assert_eq!(
            line,
            r#"{"demo":"threaded-file-copy","workload":"small-files","mode":"fcp","workers":1,"items":0,"bytes":0,"wall_ms":0.0,"ok":false,"reference":true,"unavailable":"not installed","command":"fcp /w/s /w/d","config":"threaded-file-copy/small-files/fcp/1"}"#
        );
        let parsed = crate::records::parse_records(&line, "r").unwrap();
        assert!(parsed[0].reference && !parsed[0].ok);
        assert_eq!(parsed[0].unavailable.as_deref(), Some(NOT_INSTALLED));
    }

    #[test]
    fn dates_and_groups() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(grouped(10_000_000), "10,000,000");
        assert_eq!(grouped(999), "999");
    }
}
