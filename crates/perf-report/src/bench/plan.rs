//! The benchmark plan, as data: one [`Config`] per (demo, workload, mode, workers), each with the
//! command that measures it. [`build`] turns the sizes and the prepared inputs into the list;
//! everything else in `bench` only runs the list, so a new measurement is a few lines here.
//!
//! A configuration for a feature that may not be in this checkout yet (a mode, a flag, the
//! Python scripts) is added only when [`Features`] says the binary accepts it; otherwise the
//! inputs step has already printed one `skipped: ...` line saying why.

use std::path::{Path, PathBuf};

use super::cli::Demo;
use super::inputs::{Features, Inputs};
use super::reference::{self, Tools};

/// Worker counts of the sweeps.
#[derive(Debug, Clone)]
pub struct Workers {
    /// Logical CPUs of this machine.
    pub ncpu: u64,
    /// 1, 2, 4, ... up to twice the CPUs, plus the CPU count and its double when they are not
    /// powers of two (6 cores: 1 2 4 6 8 12). --quick: 1, 2 and the most.
    pub cpu: Vec<u64>,
    /// The same plus 8, 16 and 32 (--quick: 16): waiting on a sleep, a socket or a slow web
    /// site is where more threads than cores pay off.
    pub io: Vec<u64>,
}

impl Workers {
    pub fn new(ncpu: u64, quick: bool) -> Workers {
        let max = 2 * ncpu;
        let mut cpu: Vec<u64> = if quick {
            vec![1, 2, max]
        } else {
            let mut v: Vec<u64> = std::iter::successors(Some(1u64), |w| Some(w * 2))
                .take_while(|&w| w <= max)
                .collect();
            v.extend([ncpu, max]);
            v
        };
        cpu.sort_unstable();
        cpu.dedup();
        let mut io = cpu.clone();
        io.extend(if quick { &[16][..] } else { &[8, 16, 32][..] });
        io.sort_unstable();
        io.dedup();
        Workers { ncpu, cpu, io }
    }

    pub fn max_io(&self) -> u64 {
        *self.io.last().unwrap_or(&1)
    }
}

/// Input sizes: the full run's, chosen so that it fits in about 20 minutes on 2 cores, or the
/// quick run's, which only checks the pipeline.
#[derive(Debug, Clone)]
pub struct Sizes {
    pub quick: bool,
    /// Two per worker at the largest count (every power-of-two pool divides them evenly), at
    /// least 16, of ~50 ms each.
    pub cpu_tasks: u64,
    pub io_tasks: u64,
    pub io_latency_ms: u64,
    pub copy_files: u64,
    pub copy_mib: u64,
    pub crunch_rows: u64,
    pub scrape_pages: u64,
    pub scrape_latency_ms: u64,
    /// The crawler's speed target, 500 pages x 50 ms (full runs only: ~26 s per sequential run).
    pub target_site: bool,
    /// Numbers per CPU task for the Rust-against-Python table `cpu-small`: Python's sequential
    /// run of [`Sizes::small_cpu_tasks`] such tasks takes a few seconds (trial division near
    /// 10^9 runs at ~20,000 numbers/s in CPython 3.11 on the 2-core dev VM: 16 x 5,000 in
    /// ~3.5 s), long enough that starting a process pool (tens of ms) does not hide the GIL's
    /// lesson: at 16 x 2,000 the pool's start-up and the run-to-run noise kept processes at
    /// 1.5-1.8x on 2 cores.
    pub small_cpu_size: u64,
    pub small_cpu_tasks: u64,
    /// Task counts of the `many` workload (thread-per-task against async); two even in a
    /// quick run, so that it draws the sweep charts.
    pub many_tasks: Vec<u64>,
    /// The wait of each `many` task: 50 ms in a full run, the speed target's.
    pub many_latency_ms: u64,
    /// Rows of the 10,000-station crunch file.
    pub stations_10k_rows: u64,
    /// The many-host crawl: (hosts, pages in all, latency ms) of its site, and the requests
    /// in flight it runs threads and async at.
    pub hosts: (u64, u64, u64),
    pub hosts_in_flight: Vec<u64>,
}

impl Sizes {
    pub fn new(quick: bool, workers: &Workers) -> Sizes {
        let max_workers = 2 * workers.ncpu;
        let io_tasks = if quick { 16 } else { 32 }.max(workers.max_io());
        if quick {
            Sizes {
                quick,
                cpu_tasks: 2 * max_workers,
                io_tasks,
                io_latency_ms: 5,
                copy_files: 1000,
                copy_mib: 8,
                crunch_rows: 200_000,
                scrape_pages: 50,
                scrape_latency_ms: 5,
                target_site: false,
                small_cpu_size: 300,
                small_cpu_tasks: 8,
                many_tasks: vec![100, 1000],
                many_latency_ms: 5,
                stations_10k_rows: 200_000,
                hosts: (8, 200, 5),
                hosts_in_flight: vec![16, 64],
            }
        } else {
            Sizes {
                quick,
                cpu_tasks: (2 * max_workers).max(16),
                io_tasks,
                io_latency_ms: 20,
                copy_files: 10_000,
                copy_mib: 64,
                crunch_rows: 10_000_000,
                scrape_pages: 200,
                scrape_latency_ms: 20,
                target_site: true,
                small_cpu_size: 5000,
                small_cpu_tasks: 16,
                many_tasks: vec![1000, 10_000, 100_000],
                many_latency_ms: 50,
                stations_10k_rows: 10_000_000,
                hosts: (64, 2000, 50),
                hosts_in_flight: vec![64, 256, 1024],
            }
        }
    }

    /// The sweep site's label, which is the crawler's workload name.
    pub fn scrape_label(&self) -> String {
        format!("{}-pages-{}ms", self.scrape_pages, self.scrape_latency_ms)
    }
}

/// How the records of a configuration come about.
#[derive(Debug, Clone)]
pub enum Source {
    /// The command prints `--json` timing records on stdout; the runner checks them (the
    /// `demo` field must be `demo`, unless the command is a Python script) and tags them.
    Records,
    /// An outside tool that prints no record: the runner times the process and writes the
    /// record, with the items and bytes that `check` finds after a successful run.
    Timed(reference::Check),
    /// The tool is not installed: nothing runs; one record says so.
    NotInstalled,
}

/// One configuration of the plan: warm-up and timed runs of one command.
#[derive(Debug, Clone)]
pub struct Config {
    /// The `demo` field of its records.
    pub demo: &'static str,
    /// The table its records go to. With `relabel`, the runner writes it into every record;
    /// otherwise it only names the configuration (cpu-vs-io's `io` prints io-sleep and io-tcp).
    pub workload: String,
    pub relabel: bool,
    pub mode: String,
    pub workers: u64,
    /// `Some("python")` for the Python baseline: its records get `language` set.
    pub language: Option<&'static str>,
    /// An outside tool shown for comparison: its records carry `reference: true`.
    pub reference: bool,
    pub argv: Vec<String>,
    pub source: Source,
    /// A folder removed (untimed) before every run: the copy's destination.
    pub reset: Option<PathBuf>,
    /// The task count, where configurations of one table differ only by it (cpu-vs-io's
    /// `many` sweep): part of [`Config::id`], and written as `tasks` into records that lack it.
    pub tasks: Option<u64>,
    /// process-crunch `bench --steps`: its records name the step in `workload`
    /// (`fast-step-swar`); the runner moves it to `mode` (`+swar`), so that the steps are the
    /// rows of one table, [`Config::workload`].
    pub steps: bool,
}

impl Config {
    /// The key that --resume and --merge match on, stored in every record as `config`.
    pub fn id(&self) -> String {
        let lang = self.language.map(|l| format!("{l}/")).unwrap_or_default();
        let tasks = self
            .tasks
            .map(|n| format!("/tasks-{n}"))
            .unwrap_or_default();
        format!(
            "{lang}{}/{}/{}/{}{tasks}",
            self.demo, self.workload, self.mode, self.workers
        )
    }

    /// One line for the progress log: `cpu-vs-io (io) thread-pool 4 workers`.
    pub fn describe(&self) -> String {
        let lang = self.language.map(|l| format!(" [{l}]")).unwrap_or_default();
        let reference = if self.reference { " (reference)" } else { "" };
        let s = if self.workers == 1 { "" } else { "s" };
        let tasks = self
            .tasks
            .map(|n| format!(", {n} tasks"))
            .unwrap_or_default();
        format!(
            "{}{lang} ({}) {}{reference} {} worker{s}{tasks}",
            self.demo, self.workload, self.mode, self.workers
        )
    }
}

/// What [`build`] needs besides the inputs.
pub struct Ctx<'a> {
    pub bin: &'a Path,
    pub sizes: &'a Sizes,
    pub workers: &'a Workers,
    pub inputs: &'a Inputs,
    pub features: &'a Features,
    pub tools: &'a Tools,
    /// The Python baseline's folder (python/), used where [`Features`] says its script runs.
    pub python_dir: &'a Path,
}

impl Ctx<'_> {
    fn exe(&self, demo: &str) -> String {
        self.bin.join(demo).display().to_string()
    }
}

/// A configuration of a demo that prints its own records.
fn demo(demo: &'static str, workload: &str, mode: &str, workers: u64, argv: Vec<String>) -> Config {
    Config {
        demo,
        workload: workload.to_string(),
        relabel: false,
        mode: mode.to_string(),
        workers,
        language: None,
        reference: false,
        argv,
        source: Source::Records,
        reset: None,
        tasks: None,
        steps: false,
    }
}

/// `["a", "b"]` from string-likes, so that argv lines in the plan read like command lines.
/// Called with braces (`argv! {..}`), which rustfmt leaves on one line.
macro_rules! argv {
    ($($x:expr),* $(,)?) => { Vec::from([$($x.to_string()),*]) };
}
pub(crate) use argv;

/// Every configuration of the selected demos, in run order.
pub fn build(ctx: &Ctx, demos: &[Demo]) -> Vec<Config> {
    let mut plan = Vec::new();
    for d in demos {
        match d {
            Demo::CpuVsIo => cpu_vs_io(ctx, &mut plan),
            Demo::ThreadedFileCopy => file_copy(ctx, &mut plan),
            Demo::ThreadedScrape => scrape(ctx, &mut plan),
            Demo::ProcessCrunch => crunch(ctx, &mut plan),
        }
    }
    plan
}

/// cpu-vs-io's models on one workload: sequential, thread-per-task and process-per-task do not
/// depend on --workers (one thread; one thread or process per task) and run once; the pools
/// (and async, when the binary has it) at every worker count of `ws`.
fn cpu_vs_io_models(ctx: &Ctx, plan: &mut Vec<Config>, label: &str, ws: &[u64], args: &[String]) {
    let b = ctx.exe("cpu-vs-io");
    let tasks: u64 = args[args.iter().position(|a| a == "--tasks").unwrap() + 1]
        .parse()
        .unwrap_or(1);
    let ncpu = ctx.workers.ncpu;
    let run =
        |mode: &str, w: u64| [argv! {b, "--mode", mode, "--workers", w}, args.to_vec()].concat();
    let relabel = label == "cpu-small";
    let mut push = |mode: &str, shown: u64, w: u64| {
        let mut c = demo("cpu-vs-io", label, mode, shown, run(mode, w));
        c.relabel = relabel;
        plan.push(c);
    };
    push("sequential", 1, 1);
    push("thread-per-task", tasks, ncpu);
    for mode in ["thread-pool", "rayon"] {
        ws.iter().for_each(|&w| push(mode, w, w));
    }
    push("process-per-task", tasks, ncpu);
    ws.iter().for_each(|&w| push("process-pool", w, w));
    // Async on the I/O work; on the CPU work both the mistake (the tasks block the runtime's
    // threads) and the fix (`spawn_blocking`), which is the lesson of cpu-vs-io's async models.
    let async_modes: &[&str] = match label {
        "io" => &["async"],
        "cpu" => &["async", "async-blocking"],
        _ => &[],
    };
    if ctx.features.async_mode.is_yes() {
        for mode in async_modes {
            ws.iter().for_each(|&w| push(mode, w, w));
        }
    }
}

fn cpu_vs_io(ctx: &Ctx, plan: &mut Vec<Config>) {
    let s = ctx.sizes;
    let args = |wl: &str, tasks: u64| {
        argv! {"--workload", wl, "--tasks", tasks, "--latency-ms", s.io_latency_ms, "--json"}
    };
    cpu_vs_io_models(
        ctx,
        plan,
        "cpu",
        &ctx.workers.cpu,
        &args("cpu", s.cpu_tasks),
    );
    cpu_vs_io_models(ctx, plan, "io", &ctx.workers.io, &args("io", s.io_tasks));

    // `many`: a lot of waiting tasks at once, where a thread per task costs memory and start-up
    // and an async task does not. Threads stop at 10,000; 100,000 is async only.
    if ctx.features.many.is_yes() {
        let b = ctx.exe("cpu-vs-io");
        let ncpu = ctx.workers.ncpu;
        let ms = s.many_latency_ms;
        // One table, `many`, whose rows differ by N (the renderer's sweep charts split it by
        // `tasks`); N is part of each configuration's key, so --resume and --merge keep them apart.
        for &n in &s.many_tasks {
            // The pool gets a thread per wait, as the demo's own default for `many`, so that
            // every wait overlaps; async runs on a runtime of one worker thread per core, tokio's
            // default: its waits are timers, not threads.
            let mut modes = vec![("async", ncpu)];
            if n <= 10_000 {
                modes.splice(0..0, [("thread-per-task", n), ("thread-pool", n)]);
            }
            for (mode, w) in modes {
                let mut c = demo(
                    "cpu-vs-io",
                    "many",
                    mode,
                    w,
                    argv! {b, "--workload", "many", "--tasks", n, "--mode", mode, "--workers", w, "--latency-ms", ms, "--json"},
                );
                c.tasks = Some(n);
                plan.push(c);
            }
        }
    }

    // Rust on the Python baseline's task size, so that the two compare on the same work.
    if ctx.features.python_cpu_vs_io.is_yes() {
        let py = ctx.python_dir;
        let small = argv! {"--workload", "cpu", "--tasks", s.small_cpu_tasks, "--cpu-size", s.small_cpu_size, "--latency-ms", s.io_latency_ms, "--json"};
        cpu_vs_io_models(ctx, plan, "cpu-small", &ctx.workers.cpu, &small);
        python_cpu_vs_io(ctx, plan, py);
    }
}

/// python/cpu_vs_io.py on the same tasks: cpu (as `cpu-small`), io-sleep and io-tcp.
fn python_cpu_vs_io(ctx: &Ctx, plan: &mut Vec<Config>, py: &Path) {
    let s = ctx.sizes;
    let script = py.join("cpu_vs_io.py").display().to_string();
    for (wl, label, tasks, ws) in [
        ("cpu", "cpu-small", s.small_cpu_tasks, &ctx.workers.cpu),
        ("io-sleep", "io-sleep", s.io_tasks, &ctx.workers.io),
        ("io-tcp", "io-tcp", s.io_tasks, &ctx.workers.io),
    ] {
        let mut push = |mode: &str, w: u64| {
            let mut args = argv! {"python3", script, "--workload", wl, "--mode", mode, "--workers", w, "--tasks", tasks, "--latency-ms", s.io_latency_ms};
            if wl == "cpu" {
                args.extend(argv! {"--cpu-size", s.small_cpu_size});
            }
            args.push("--json".into());
            let shown = if mode == "process-per-task" { tasks } else { w };
            let mut c = demo("cpu-vs-io", label, mode, shown, args);
            c.language = Some("python");
            c.relabel = wl == "cpu";
            plan.push(c);
        };
        ["sequential", "asyncio", "process-per-task"]
            .iter()
            .for_each(|m| push(m, 1));
        for mode in ["threading", "thread-pool", "process-pool"] {
            ws.iter().for_each(|&w| push(mode, w));
        }
    }
}

fn file_copy(ctx: &Ctx, plan: &mut Vec<Config>) {
    let b = ctx.exe("threaded-file-copy");
    let dst = &ctx.inputs.copy_dst;
    for preset in ["small-files", "large-files"] {
        let src = ctx.inputs.copy_src(preset);
        let run = |mode: &str, w: u64| {
            argv! {b, "--mode", mode, "--workers", w, "--json", "--quiet", "--label", preset, src.display(), dst.display()}
        };
        let mut push = |mut c: Config| {
            c.reset = Some(dst.clone());
            plan.push(c);
        };
        push(demo(
            "threaded-file-copy",
            preset,
            "sequential",
            1,
            run("sequential", 1),
        ));
        for mode in ["threads", "rayon"] {
            for &w in &ctx.workers.cpu {
                push(demo("threaded-file-copy", preset, mode, w, run(mode, w)));
            }
        }
        for c in reference::copy_tools(ctx.tools, preset, &src, dst) {
            push(c);
        }
    }
}

fn scrape(ctx: &Ctx, plan: &mut Vec<Config>) {
    let b = ctx.exe("threaded-scrape");
    let label = ctx.sizes.scrape_label();
    let crawl = |mode: &str, w: u64, label: &str, url: &str| {
        let a = argv! {b, "--mode", mode, "--workers", w, "--per-host", w, "--json", "--label", label, url};
        demo("threaded-scrape", label, mode, w, a)
    };
    let site = &ctx.inputs.site;
    let modes: &[&str] = if ctx.features.scrape_async.is_yes() {
        &["threads", "async"]
    } else {
        &["threads"]
    };
    plan.push(crawl("sequential", 1, &label, site));
    for mode in modes {
        for &w in &ctx.workers.io {
            plan.push(crawl(mode, w, &label, site));
        }
    }
    plan.push(reference::wget(ctx.tools, &label, site, &ctx.inputs.work));
    // The speed target of the crawler: 500 pages x 50 ms, sequential against 32 workers
    // (ideal: 500 / 32 x 50 ms = 0.8 s). Two configurations only: the sequential crawl alone
    // takes ~26 s a run.
    if let Some(target) = &ctx.inputs.target_site {
        plan.push(crawl("sequential", 1, "500-pages-50ms", target));
        for mode in modes {
            plan.push(crawl(mode, 32, "500-pages-50ms", target));
        }
    }
    // Many origins at once (the built-in site on `hosts` ports): threads against async at
    // hundreds of requests in flight, where a thread per request costs memory. --per-host
    // keeps each origin at its share of the requests in flight, so the crawl stays polite.
    if let Some(hosts_site) = &ctx.inputs.hosts_site {
        let (hosts, pages, ms) = ctx.sizes.hosts;
        let label = format!("{hosts}-hosts-{pages}-pages-{ms}ms");
        for mode in modes {
            for &w in &ctx.sizes.hosts_in_flight {
                let per_host = w.div_ceil(hosts);
                let a = argv! {b, "--mode", mode, "--workers", w, "--per-host", per_host, "--max-pages", 2 * pages, "--json", "--label", label, hosts_site};
                plan.push(demo("threaded-scrape", &label, mode, w, a));
            }
        }
    }
}

/// Timely shapes, processes x threads per process: 1x2 and 2x1 always; with 4 or more cores,
/// for each worker count t up to the cores also 1xt, 2x(t/2) and tx1.
pub fn timely_shapes(ncpu: u64, quick: bool) -> Vec<(u64, u64)> {
    let mut shapes = vec![(1, 2), (2, 1)];
    if !quick {
        let mut t = 4;
        while t <= ncpu {
            shapes.extend([(1, t), (2, t / 2), (t, 1)]);
            t *= 2;
        }
    }
    shapes
}

fn crunch(ctx: &Ctx, plan: &mut Vec<Config>) {
    let b = ctx.exe("process-crunch");
    let file = ctx.inputs.crunch.display().to_string();
    let run = |file: &str, parser: &str, mode: &str, w: u64| {
        argv! {b, "run", file, "--mode", mode, "--workers", w, "--parser", parser, "--json"}
    };
    for parser in ["csv", "fast"] {
        plan.push(demo(
            "process-crunch",
            parser,
            "sequential",
            1,
            run(&file, parser, "sequential", 1),
        ));
        for mode in ["threads", "rayon", "processes"] {
            for &w in &ctx.workers.cpu {
                plan.push(demo(
                    "process-crunch",
                    parser,
                    mode,
                    w,
                    run(&file, parser, mode, w),
                ));
            }
        }
        if ctx.features.timely.is_yes() {
            for (p, t) in timely_shapes(ctx.workers.ncpu, ctx.sizes.quick) {
                let mut a = run(&file, parser, "timely", t);
                a.extend(argv! {"--processes", p});
                plan.push(demo(
                    "process-crunch",
                    parser,
                    &format!("timely {p}x{t}"),
                    p * t,
                    a,
                ));
            }
        }
    }
    // The tools a user would pick instead, on the same file and the same query.
    plan.extend(reference::crunch_tools(
        ctx.tools,
        "fast",
        &ctx.inputs.crunch,
        ctx.sizes.crunch_rows,
        ctx.workers.ncpu,
    ));

    // Many stations: the hash map no longer fits in L1/L2, which changes what the parsers cost.
    if ctx.features.stations_10k.is_yes() {
        let file = ctx.inputs.crunch_10k.display().to_string();
        let label = "fast-10k-stations";
        let mut push = |mode: &str, w: u64| {
            let mut c = demo(
                "process-crunch",
                label,
                mode,
                w,
                run(&file, "fast", mode, w),
            );
            c.relabel = true;
            plan.push(c);
        };
        push("sequential", 1);
        for mode in ["threads", "rayon", "processes"] {
            push(mode, ctx.workers.ncpu);
        }
    }

    // The fast parser one technique at a time, sequential on one core, on both files: where
    // each gain came from, and which techniques stop paying once the table outgrows the cache.
    if ctx.features.steps.is_yes() {
        let mut files = vec![("fast-steps", file.clone())];
        if ctx.features.stations_10k.is_yes() {
            let f = ctx.inputs.crunch_10k.display().to_string();
            files.push(("fast-steps-10k-stations", f));
        }
        for (label, f) in files {
            let mut c = demo(
                "process-crunch",
                label,
                "steps",
                1,
                argv! {b, "bench", f, "--steps", "--runs", 1, "--json"},
            );
            c.relabel = true;
            c.steps = true;
            plan.push(c);
        }
    }

    if ctx.features.python_crunch.is_yes() {
        let script = ctx.python_dir.join("crunch.py").display().to_string();
        let mut push = |mode: &str, w: u64| {
            let mut c = demo(
                "process-crunch",
                "python",
                mode,
                w,
                argv! {"python3", script, file, "--mode", mode, "--workers", w, "--json"},
            );
            c.language = Some("python");
            plan.push(c);
        };
        // CPU-bound and slow in Python (seconds a run on 10M rows): no counts past the cores.
        push("sequential", 1);
        let ncpu = ctx.workers.ncpu;
        for &w in ctx.workers.cpu.iter().filter(|&&w| w <= ncpu) {
            push("process-pool", w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_counts_cover_the_cores_and_their_double() {
        let w = Workers::new(6, false);
        assert_eq!(w.cpu, [1, 2, 4, 6, 8, 12]);
        assert_eq!(w.io, [1, 2, 4, 6, 8, 12, 16, 32]);
        let q = Workers::new(2, true);
        assert_eq!(q.cpu, [1, 2, 4]);
        assert_eq!(q.io, [1, 2, 4, 16]);
    }

    #[test]
    fn io_tasks_are_at_least_the_largest_io_count() {
        let w = Workers::new(32, false);
        assert_eq!(Sizes::new(false, &w).io_tasks, 64);
    }

    #[test]
    fn timely_shapes_grow_with_the_cores() {
        assert_eq!(timely_shapes(2, false), [(1, 2), (2, 1)]);
        assert_eq!(timely_shapes(4, false).len(), 5);
        assert_eq!(timely_shapes(16, true).len(), 2);
    }
}
