//! The sentence under each table: which model won, by how much and why, computed from the
//! measurements. Nothing in it is decided in advance except which *kind* of reason fits which
//! kind of workload: overlapped waits for I/O, cores for CPU, start-up per task and memory per
//! wait for async against threads.

mod async_vs_threads;

use crate::models::Mode;
use crate::report::Row;
use crate::workload::Workload;
use async_vs_threads::{async_against_threads, async_on_cpu};

/// What the verdict needs besides the rows.
#[derive(Clone, Copy, Debug)]
pub struct Facts {
    pub tasks: usize,
    pub cpus: usize,
    /// The wait of each I/O task (0 for cpu).
    pub latency_ms: u64,
    /// `many`: the peak memory of the same run with nothing in flight (see `measure.rs`).
    pub baseline_rss_kb: Option<u64>,
}

/// One sentence: which model won this workload, by how much, why, how the pools did, and
/// what starting a process cost compared with starting a thread.
pub fn verdict(workload: Workload, rows: &[Row], facts: &Facts) -> String {
    let (tasks, cpus) = (facts.tasks, facts.cpus);
    let ok: Vec<&Row> = rows.iter().filter(|row| row.ok).collect();
    let Some(best) = ok
        .iter()
        .copied()
        .min_by(|a, b| a.wall_ms.total_cmp(&b.wall_ms))
    else {
        return format!("{workload}: no model finished without errors, so no model won.");
    };
    if rows.len() == 1 {
        return format!(
            "{workload}: only {} ran ({:.1} ms); run with --mode all to see which model wins.",
            best.mode, best.wall_ms
        );
    }
    if ok.len() == 1 {
        return format!(
            "{workload}: {} was the only model to finish without errors ({:.1} ms).",
            best.mode, best.wall_ms
        );
    }
    let find = |mode: Mode| ok.iter().copied().find(|row| row.mode == mode);
    let sequential = find(Mode::Sequential);
    // "3.9x" over sequential where it ran, else the plain time.
    let measure = |row: &Row| match sequential {
        Some(seq) => format!("{:.1}x", seq.wall_ms / row.wall_ms),
        None => format!("{:.1} ms", row.wall_ms),
    };

    let mut sentence = match sequential {
        Some(_) if best.mode == Mode::Sequential => format!(
            "{workload}: sequential was fastest at {:.1} ms",
            best.wall_ms
        ),
        Some(_) => format!(
            "{workload}: {} won with a {} speedup over sequential",
            best.mode,
            measure(best)
        ),
        None => format!(
            "{workload}: {} was fastest at {:.1} ms",
            best.mode, best.wall_ms
        ),
    };

    // Why: waits overlap as far as the model has threads or processes to wait in (async: all
    // of them, since a waiting task holds no thread); computing needs a core per task, so the
    // core count caps it.
    let at_once = in_flight(workload, best, tasks);
    if best.mode == Mode::Sequential {
        let per_task = best.wall_ms / tasks as f64;
        sentence.push_str(&if per_task < 1.0 {
            format!(
                ", because a task took only {per_task:.2} ms, less than handing it to another \
                 thread or process costs"
            )
        } else if !workload.is_io() && cpus == 1 {
            ", because with 1 logical CPU there is no second core for the other models to use"
                .to_string()
        } else if !workload.is_io() {
            format!(
                ", because the other models found no idle core among the {cpus} logical CPUs \
                 (other programs were using them)"
            )
        } else {
            ", because the other models' start-up cost more than overlapping the waits saved"
                .to_string()
        });
    } else if workload.is_io() {
        sentence.push_str(&format!(
            ", because the tasks spend their time waiting, not computing, and it overlapped \
             {at_once} waits at once (ideal {at_once}x)"
        ));
    } else {
        let ideal = best.workers.min(tasks).min(cpus);
        let kind = match best.mode {
            Mode::ProcessPerTask | Mode::ProcessPool => "process",
            _ => "thread",
        };
        sentence.push_str(&format!(
            ", because each task needs a core, and with {} and {} at most {ideal} tasks \
             compute at once (ideal {ideal}x)",
            count(cpus, "logical CPU"),
            count(best.workers, kind)
        ));
        // Far below the ideal on CPU work means the cores were not ours alone.
        if let Some(seq) = sequential {
            if seq.wall_ms / best.wall_ms < 0.6 * ideal as f64 {
                sentence.push_str(
                    ", though far below it, so other programs were competing for the cores",
                );
            }
        }
    }

    // How the two pools did, where they ran and did not win.
    let pools: Vec<String> = [Mode::ThreadPool, Mode::ProcessPool]
        .into_iter()
        .filter(|&mode| mode != best.mode)
        .filter_map(find)
        .map(|row| format!("{} {} with {} workers", row.mode, measure(row), row.workers))
        .collect();
    if !pools.is_empty() {
        sentence.push_str(&format!("; {}", pools.join(", ")));
    }

    // What a process costs over a thread: both per-task models start one per task, so the
    // difference of their times, per task, is the extra start-up of a process.
    if let (Some(threads), Some(processes)) =
        (find(Mode::ThreadPerTask), find(Mode::ProcessPerTask))
    {
        let extra = (processes.wall_ms - threads.wall_ms) / tasks as f64;
        if extra > 0.0 {
            sentence.push_str(&format!(
                "; a process per task took {extra:.2} ms per task longer than a thread per \
                 task, the cost of starting a process"
            ));
        } else {
            sentence.push_str(
                "; process start-up was lost in the noise (a process per task was no slower \
                 than a thread per task)",
            );
        }
    }
    if workload.is_io() {
        sentence.push_str(&async_against_threads(&ok, facts));
    } else {
        sentence.push_str(&async_on_cpu(&ok));
    }
    sentence.push('.');
    sentence
}

/// "1 thread", "2 threads", "4 processes".
fn count(n: usize, noun: &str) -> String {
    match (n, noun.ends_with('s')) {
        (1, _) => format!("1 {noun}"),
        (_, true) => format!("{n} {noun}es"),
        (_, false) => format!("{n} {noun}s"),
    }
}

/// How many waits `row`'s model overlapped: async, every task (a waiting task holds no
/// thread); the others, one per thread or process.
fn in_flight(workload: Workload, row: &Row, tasks: usize) -> usize {
    #[cfg(feature = "async")]
    if row.mode == Mode::Async && workload.is_io() {
        return tasks;
    }
    let _ = workload;
    row.workers.min(tasks)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn row(mode: Mode, workers: usize, wall_ms: f64) -> Row {
        Row::timed(mode, workers, wall_ms)
    }

    pub(super) fn facts(tasks: usize, cpus: usize) -> Facts {
        Facts {
            tasks,
            cpus,
            latency_ms: 0,
            baseline_rss_kb: None,
        }
    }

    fn io_rows() -> Vec<Row> {
        vec![
            row(Mode::Sequential, 1, 1600.0),
            row(Mode::ThreadPerTask, 32, 52.0),
            row(Mode::ThreadPool, 2, 800.0),
            row(Mode::Rayon, 2, 810.0),
            row(Mode::ProcessPerTask, 32, 116.0),
            row(Mode::ProcessPool, 2, 805.0),
        ]
    }

    #[test]
    fn io_verdict_names_the_winner_the_overlap_and_the_process_cost() {
        let text = verdict(Workload::IoSleep, &io_rows(), &facts(32, 2));
        assert!(
            text.starts_with("io-sleep: thread-per-task won with a 30.8x speedup"),
            "{text}"
        );
        assert!(text.contains("overlapped 32 waits at once"), "{text}");
        assert!(text.contains("thread-pool 2.0x with 2 workers"), "{text}");
        assert!(text.contains("process-pool 2.0x with 2 workers"), "{text}");
        assert!(text.contains("2.00 ms per task longer"), "{text}");
        assert!(text.ends_with('.'));
    }

    #[test]
    fn cpu_verdict_follows_the_numbers_not_a_script() {
        let rows = vec![
            row(Mode::Sequential, 1, 400.0),
            row(Mode::ThreadPerTask, 8, 210.0),
            row(Mode::ThreadPool, 2, 205.0),
            row(Mode::ProcessPool, 2, 200.0),
        ];
        let text = verdict(Workload::Cpu, &rows, &facts(8, 2));
        assert!(
            text.starts_with("cpu: process-pool won with a 2.0x speedup"),
            "{text}"
        );
        assert!(
            text.contains("with 2 logical CPUs and 2 processes at most 2 tasks compute at once"),
            "{text}"
        );
        assert!(text.contains("thread-pool 2.0x with 2 workers"), "{text}");
        assert!(
            !text.contains("process-pool 2.0x"),
            "the winner is not compared with itself"
        );
    }

    #[test]
    fn sequential_winning_is_explained_from_the_numbers() {
        let busy = vec![
            row(Mode::Sequential, 1, 400.0),
            row(Mode::ThreadPool, 2, 450.0),
        ];
        let text = verdict(Workload::Cpu, &busy, &facts(8, 2));
        assert!(
            text.starts_with("cpu: sequential was fastest at 400.0 ms"),
            "{text}"
        );
        assert!(
            text.contains("no idle core among the 2 logical CPUs"),
            "{text}"
        );
        let tiny = vec![row(Mode::Sequential, 1, 0.4), row(Mode::ThreadPool, 2, 0.9)];
        let text = verdict(Workload::Cpu, &tiny, &facts(8, 2));
        assert!(text.contains("a task took only 0.05 ms"), "{text}");
        let text = verdict(Workload::Cpu, &busy, &facts(8, 1));
        assert!(
            text.contains("with 1 logical CPU there is no second core"),
            "{text}"
        );
    }

    #[test]
    fn counts_are_spelled_out() {
        assert_eq!(count(1, "process"), "1 process");
        assert_eq!(count(3, "process"), "3 processes");
        assert_eq!(count(2, "logical CPU"), "2 logical CPUs");
    }

    #[test]
    fn a_busy_machine_is_called_out() {
        let rows = vec![row(Mode::Sequential, 1, 400.0), row(Mode::Rayon, 4, 350.0)];
        let text = verdict(Workload::Cpu, &rows, &facts(8, 4));
        assert!(text.contains("(ideal 4x), though far below it"), "{text}");
        let rows = vec![row(Mode::Sequential, 1, 400.0), row(Mode::Rayon, 4, 110.0)];
        assert!(!verdict(Workload::Cpu, &rows, &facts(8, 4)).contains("far below"));
    }

    #[test]
    fn failed_rows_cannot_win() {
        let mut rows = io_rows();
        rows[1].ok = false;
        let text = verdict(Workload::IoTcp, &rows, &facts(32, 2));
        assert!(text.starts_with("io-tcp: process-per-task won"), "{text}");
        assert!(!text.contains("process start-up"), "{text}");
    }

    #[test]
    fn without_sequential_times_are_compared_instead_of_speedups() {
        let rows = vec![row(Mode::ThreadPool, 4, 300.0), row(Mode::Rayon, 4, 250.0)];
        let text = verdict(Workload::Cpu, &rows, &facts(8, 4));
        assert!(
            text.starts_with("cpu: rayon was fastest at 250.0 ms"),
            "{text}"
        );
        assert!(
            text.contains("thread-pool 300.0 ms with 4 workers"),
            "{text}"
        );
    }

    #[test]
    fn one_or_no_model() {
        assert!(
            verdict(Workload::Cpu, &[row(Mode::Rayon, 2, 1.0)], &facts(8, 2))
                .contains("only rayon ran")
        );
        assert!(verdict(Workload::Cpu, &[], &facts(8, 2)).contains("no model won"));
        let mut failed = row(Mode::ThreadPerTask, 100_000, 900.0);
        failed.ok = false;
        let rows = [failed, row(Mode::Rayon, 2, 1.0)];
        let text = verdict(Workload::Many, &rows, &facts(100_000, 2));
        assert!(
            text.contains("rayon was the only model to finish"),
            "{text}"
        );
    }
}
