//! `perf-report bench`: runs the benchmark plan and writes the timing records that
//! `perf-report RESULTS.jsonl` renders. `scripts/run_all.sh` builds the binaries and runs both.
//!
//! The steps, one module each: [`cli`] parses the options; [`sizes`] sets the worker counts and
//! input sizes; [`inputs`] makes the inputs in a temp dir and [`features`] probes which optional
//! features the binaries have; [`plan`] lists the configurations ([`config`]: the plan is data,
//! add a measurement there); [`reference`] holds the outside tools and [`check`] what their runs
//! must show; [`measure`] runs one configuration and [`exec`] one command, Ctrl-C aware, its
//! child owned by a [`Supervised`](crate::supervised::Supervised); [`results`] checks, tags,
//! resumes and merges records; [`machine`] describes the machine and the commit, [`describe`]
//! the inputs. This file runs the list.

mod check;
pub mod cli;
mod config;
mod describe;
mod exec;
mod features;
mod inputs;
mod machine;
mod measure;
mod plan;
mod progress;
mod reference;
mod results;
mod sizes;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;

use cli::{BenchCli, Demo};
use config::{Config, Source};
use exec::Interrupted;
use features::Features;
use inputs::Inputs;
use plan::Ctx;
use progress::{clock, log, Progress};
use reference::{Tools, NOT_INSTALLED};
use results::Collector;
use sizes::{Sizes, Workers};

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
    let stamp_time = machine::Timestamp::now();
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
        let plan = placeholder_plan(&bin, &sizes, &workers, &tools, &cli.python_dir, &demos);
        list(&plan);
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
    // A resumed run prepares inputs only for the demos it still has to run.
    let pending: Vec<Demo> = {
        let all = placeholder_plan(&bin, &sizes, &workers, &tools, &cli.python_dir, &demos);
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
        match measure::run_config(cfg, &runner, &inputs, runs, warmup, &mut progress) {
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
            .map(|d| (d.name().to_string(), describe::inputs(*d, &ctx)))
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

/// The plan with placeholder inputs and every optional feature, built before any input exists:
/// what --list shows, and a superset of the real plan, whose configuration keys do not depend on
/// the inputs' paths (so a resumed run can tell which demos it still has to run).
fn placeholder_plan(
    bin: &Path,
    sizes: &Sizes,
    workers: &Workers,
    tools: &Tools,
    python_dir: &Path,
    demos: &[Demo],
) -> Vec<Config> {
    let inputs = Inputs::placeholders(sizes);
    let features = Features::all();
    let ctx = Ctx {
        bin,
        sizes,
        workers,
        inputs: &inputs,
        features: &features,
        tools,
        python_dir,
    };
    plan::build(&ctx, demos)
}

/// --list: one line per configuration, its key and its command.
fn list(plan: &[Config]) {
    for (k, c) in plan.iter().enumerate() {
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
