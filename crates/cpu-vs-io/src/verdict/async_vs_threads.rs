//! The part of the verdict that compares async with threads: on I/O, start-up time per task
//! and memory per concurrent wait, and whether the difference matters at this many waits; on
//! CPU, async computing on its runtime threads against a thread pool of as many threads.

use super::Facts;
use crate::report::Row;

/// On I/O, where both ran: async against a thread per task, in start-up time per task and
/// memory per wait, and whether that difference matters at this many waits. Empty otherwise.
pub(super) fn async_against_threads(ok: &[&Row], facts: &Facts) -> String {
    let find = |name: &str| ok.iter().copied().find(|row| row.mode.name() == name);
    let (Some(tasks_async), Some(threads)) = (find("async"), find("thread-per-task")) else {
        return String::new();
    };
    let n = facts.tasks as f64;
    let latency = facts.latency_ms as f64;
    // The time a model spent beyond the wait itself: starting, switching, ending, per task.
    let over = |row: &Row| (row.wall_ms - latency).max(0.0);
    let us = |row: &Row| format!("{:.1} µs", over(row) * 1000.0 / n);
    let mut text = format!(
        "; async against a thread per task: {} against {} of start-up per task (time over the \
         wait)",
        us(tasks_async),
        us(threads)
    );
    let mut extra_mib = 0.0;
    if let (Some(a), Some(t)) = (tasks_async.peak_rss_kb, threads.peak_rss_kb) {
        extra_mib = (t as f64 - a as f64) / 1024.0;
        match facts.baseline_rss_kb {
            Some(base) => text.push_str(&format!(
                ", {} against {} of memory per concurrent wait",
                kib((a.saturating_sub(base)) as f64 / n),
                kib((t.saturating_sub(base)) as f64 / n)
            )),
            None => text.push_str(&format!(
                ", {:.1} MiB against {:.1} MiB of peak memory",
                a as f64 / 1024.0,
                t as f64 / 1024.0
            )),
        }
    }
    if latency > 0.0 {
        text.push_str(&format!(
            "; async took {:.2}x the wait",
            tasks_async.wall_ms / latency
        ));
    }
    // It matters when the threads' extra time is over a tenth of the wait, or their extra
    // memory is 64 MiB or more; below both, pick whichever reads better.
    let extra_ms = over(threads) - over(tasks_async);
    let mut wins = Vec::new();
    if extra_ms > 0.1 * latency {
        wins.push(format!("{extra_ms:.0} ms sooner"));
    }
    if extra_mib >= 64.0 {
        wins.push(format!("{extra_mib:.0} MiB smaller"));
    }
    if wins.is_empty() {
        text.push_str(&format!(
            "; at {} waits the difference does not matter (the threads took {} and {})",
            facts.tasks,
            more_or_less(extra_ms, "ms"),
            more_or_less(extra_mib, "MiB")
        ));
    } else {
        text.push_str(&format!(
            "; async wins at {} waits, {}",
            facts.tasks,
            wins.join(" and ")
        ));
    }
    // Where a thread per task starts to cost a tenth of the wait, at this start-up per task.
    let per_thread_ms = over(threads) / n;
    if latency > 0.0 && per_thread_ms > 0.0 {
        let from = significant(0.1 * latency / per_thread_ms);
        text.push_str(&format!(
            " (threads' start-up reaches a tenth of the wait from about {from} waits)"
        ));
    }
    text
}

/// On cpu, where both ran: async computing on its runtime threads against a thread pool.
pub(super) fn async_on_cpu(ok: &[&Row]) -> String {
    let find = |name: &str| ok.iter().copied().find(|row| row.mode.name() == name);
    let (Some(blocking_runtime), Some(pool)) = (find("async"), find("thread-pool")) else {
        return String::new();
    };
    let ratio = blocking_runtime.wall_ms / pool.wall_ms;
    let compared = if ratio > 1.1 {
        "slower than"
    } else if ratio < 0.9 {
        "faster than"
    } else {
        "about the same as"
    };
    let mut text = format!(
        "; async, computing on its {} runtime threads, took {:.1} ms, {compared} thread-pool's \
         {:.1} ms with {} threads, and no other task on the runtime could run meanwhile",
        blocking_runtime.workers, blocking_runtime.wall_ms, pool.wall_ms, pool.workers
    );
    if let Some(late) = blocking_runtime.timer_late_ms {
        text.push_str(&format!(
            " (a 1 ms timer on it fired up to {late:.1} ms late)"
        ));
    }
    if let Some(blocking) = find("async-blocking") {
        text.push_str(&format!(
            "; async-blocking (spawn_blocking) took {:.1} ms",
            blocking.wall_ms
        ));
        if let Some(late) = blocking.timer_late_ms {
            text.push_str(&format!(", its timer at most {late:.1} ms late"));
        }
    }
    text
}

/// "9.0 ms more", "0.1 MiB less".
fn more_or_less(x: f64, unit: &str) -> String {
    let word = if x < 0.0 { "less" } else { "more" };
    format!("{:.1} {unit} {word}", x.abs())
}

/// "0.3 KiB", "12 KiB", "1.5 MiB".
fn kib(kb: f64) -> String {
    if kb >= 1024.0 {
        format!("{:.1} MiB", kb / 1024.0)
    } else if kb >= 10.0 {
        format!("{kb:.0} KiB")
    } else {
        format!("{kb:.1} KiB")
    }
}

/// Two significant digits, grouped: 1234 -> "1,200", 87.4 -> "87".
fn significant(x: f64) -> String {
    if !x.is_finite() || x < 1.0 {
        return "1".into();
    }
    let digits = x.log10().floor() as i32;
    let step = 10f64.powi((digits - 1).max(0));
    let rounded = ((x / step).round() * step) as u64;
    let text = rounded.to_string();
    let mut grouped = String::new();
    for (i, c) in text.chars().enumerate() {
        if i > 0 && (text.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_rounded_for_reading() {
        assert_eq!(significant(1234.0), "1,200");
        assert_eq!(significant(87.4), "87");
        assert_eq!(significant(125_000.0), "130,000");
        assert_eq!(kib(0.84), "0.8 KiB");
        assert_eq!(kib(2048.0), "2.0 MiB");
    }

    #[cfg(feature = "async")]
    mod with_async {
        use super::super::super::tests::{facts, row};
        use super::super::super::verdict;
        use super::super::*;
        use crate::models::Mode;
        use crate::workload::Workload;

        #[test]
        fn many_verdict_compares_async_with_threads_per_wait() {
            let mut asynchronous = row(Mode::Async, 2, 60.0);
            asynchronous.peak_rss_kb = Some(10_000 + 8_000);
            let mut threads = row(Mode::ThreadPerTask, 10_000, 450.0);
            threads.peak_rss_kb = Some(10_000 + 160_000);
            let facts = Facts {
                tasks: 10_000,
                cpus: 2,
                latency_ms: 50,
                baseline_rss_kb: Some(10_000),
            };
            let text = verdict(Workload::Many, &[threads, asynchronous], &facts);
            assert!(
                text.starts_with("many: async was fastest at 60.0 ms"),
                "{text}"
            );
            assert!(text.contains("overlapped 10000 waits at once"), "{text}");
            assert!(
                text.contains("1.0 µs against 40.0 µs of start-up per task"),
                "{text}"
            );
            assert!(
                text.contains("0.8 KiB against 16 KiB of memory per concurrent wait"),
                "{text}"
            );
            assert!(text.contains("async took 1.20x the wait"), "{text}");
            assert!(text.contains("async wins at 10000 waits, 390 ms sooner and 148 MiB smaller"));
            assert!(text.contains("from about 130 waits"), "{text}");
        }

        #[test]
        fn a_small_difference_is_said_not_to_matter() {
            let rows = [
                row(Mode::ThreadPerTask, 32, 51.0),
                row(Mode::Async, 2, 50.5),
            ];
            let facts = Facts {
                latency_ms: 50,
                ..facts(32, 2)
            };
            let text = verdict(Workload::IoSleep, &rows, &facts);
            assert!(
                text.contains("at 32 waits the difference does not matter (the threads took 0.5 ms more and 0.0 MiB more)"),
                "{text}"
            );
        }

        #[test]
        fn async_on_cpu_is_compared_with_a_pool_of_as_many_threads() {
            let mut blocked = row(Mode::Async, 2, 210.0);
            blocked.timer_late_ms = Some(160.0);
            let mut free = row(Mode::AsyncBlocking, 2, 207.0);
            free.timer_late_ms = Some(0.2);
            let rows = [
                row(Mode::Sequential, 1, 400.0),
                row(Mode::ThreadPool, 2, 205.0),
                blocked,
                free,
            ];
            let text = verdict(Workload::Cpu, &rows, &facts(8, 2));
            assert!(
                text.contains(
                    "took 210.0 ms, about the same as thread-pool's 205.0 ms with 2 threads"
                ),
                "{text}"
            );
            assert!(text.contains("fired up to 160.0 ms late"), "{text}");
            assert!(
                text.contains("spawn_blocking) took 207.0 ms, its timer at most 0.2 ms late"),
                "{text}"
            );
        }
    }
}
