//! The benchmark plan, as data: one [`Config`] per (demo, workload, mode, workers), each with the
//! command that measures it. [`build`] turns the sizes and the prepared inputs into the list;
//! everything else in `bench` only runs the list, so a new measurement is a few lines here.
//!
//! A configuration for a feature that may not be in this checkout yet (a mode, a flag, the
//! Python scripts) is added only when [`Features`] says the binary accepts it; otherwise the
//! inputs step has already printed one `skipped: ...` line saying why.

use std::path::Path;

use super::cli::Demo;
use super::config::{argv, demo, Config};
use super::features::Features;
use super::inputs::Inputs;
use super::reference::{self, Tools};
use super::sizes::{Sizes, Workers};

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
    // (ideal: the sequential time / 32; the site's shape puts a floor above it, see the
    // crawler's README). Two configurations only: the sequential crawl alone takes ~27 s a run.
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
    fn timely_shapes_grow_with_the_cores() {
        assert_eq!(timely_shapes(2, false), [(1, 2), (2, 1)]);
        assert_eq!(timely_shapes(4, false).len(), 5);
        assert_eq!(timely_shapes(16, true).len(), 2);
    }
}
