//! What the crawl process uses of the machine: its open-files limit, its peak memory and its
//! CPU time, for the summary and the `--json` record. Plain system calls, kept apart from the
//! drivers in `crawl.rs` so that those read as concurrency only.

use std::time::Duration;

/// Raises this process's limit on open files (`RLIMIT_NOFILE`) from its soft value to the hard
/// one, as Go's runtime and many servers do: each request in flight holds a socket, and a
/// soft limit of 1,024 (common) would make `--workers 1024` fail with "Too many open files".
/// Best effort: where it cannot be raised, requests past the limit fail with that error.
pub fn raise_open_files_limit() {
    // SAFETY: `getrlimit` and `setrlimit` only read and write the struct we hand them.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            // An unlimited hard limit cannot be the soft one (Linux caps it at `nr_open`).
            limit.rlim_cur = limit.rlim_max.min(1 << 20);
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// The most memory this process has had resident, in KiB (`getrusage(RUSAGE_SELF)`; Linux
/// counts `ru_maxrss` in KiB, macOS in bytes).
pub fn peak_rss_kb() -> u64 {
    // SAFETY: `getrusage` only writes the struct we hand it, which lives on our stack; a
    // zeroed `rusage` is a valid value of that plain C struct.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return 0;
        }
        usage
    };
    let maxrss = u64::try_from(usage.ru_maxrss).unwrap_or(0);
    if cfg!(target_os = "macos") {
        maxrss / 1024
    } else {
        maxrss
    }
}

/// CPU time used by this process so far, all threads, user plus system
/// (`CLOCK_PROCESS_CPUTIME_ID`, what `getrusage` sums).
pub fn cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(
        t.tv_sec.max(0) as u64,
        t.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}
