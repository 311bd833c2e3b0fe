//! How big the plan is: the worker counts of the sweeps ([`Workers`]) and the input sizes
//! ([`Sizes`]) of a full or a --quick run. A leaf module: the inputs are made to these sizes, the
//! plan runs at these counts, and the report's description of the inputs quotes them.

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
}
