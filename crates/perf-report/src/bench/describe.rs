//! The machine file's `inputs`: one sentence per demo on what it was measured on (the sizes, the
//! worker counts, the optional tables this run has), which the report prints above the demo's
//! tables.

use super::cli::Demo;
use super::plan::{timely_shapes, Ctx};
use crate::format::grouped;

/// One sentence per demo on what it was measured on, for the report.
pub fn inputs(d: Demo, ctx: &Ctx) -> String {
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
                let v: Vec<String> = timely_shapes(w.ncpu, s.quick).iter().map(|(p, t)| format!("{p}x{t}")).collect();
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
                t += " fast-steps (and fast-steps-10k-stations on the 10,000-station file): `process-crunch bench --steps`, the fast parser built up one technique at a time (plain, +swar, +branchless, +table, +sse2, +lanes), each sequential on one core; a row's time against the row above is that technique's gain.";
            }
            if f.python_crunch.is_yes() {
                t += " python: python/crunch.py on the same file, sequential and process-pool.";
            }
            t
        }
    }
}
