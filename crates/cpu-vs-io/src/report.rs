//! What the measurements become: a table row per model run and the JSON record of `--json`,
//! and where each goes (stdout, or stderr under `--json`). The verdict sentence under each
//! table is computed in `verdict.rs`.

use std::io::{self, Write};

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::models::Mode;

/// One model's run of one workload.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub mode: Mode,
    pub workers: usize,
    pub wall_ms: f64,
    /// The peak resident memory of the process that ran the model, in KiB, where measured.
    pub peak_rss_kb: Option<u64>,
    /// The async models: how late a 1 ms timer on the runtime fired at worst.
    pub timer_late_ms: Option<f64>,
    /// False if any task failed, the model failed, or its results differed from another's.
    pub ok: bool,
}

/// The `--json` record: the shared fields of the project's timing record plus `workload` and
/// `errors`, and the memory and the wait of the run where they mean something.
#[derive(Debug, Serialize)]
pub struct Record<'a> {
    pub demo: &'static str,
    pub workload: &'a str,
    pub mode: &'a str,
    pub workers: usize,
    pub items: usize,
    pub bytes: u64,
    pub wall_ms: f64,
    pub ok: bool,
    pub errors: usize,
    /// The peak resident memory of the process that ran this model alone (for the process
    /// models: the largest single process, coordinator or worker, not their sum).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_kb: Option<u64>,
    /// `many` only: the peak of the same program and task list with nothing in flight, so
    /// that `(peak_rss_kb - baseline_rss_kb) / items` is the memory of one concurrent wait.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_rss_kb: Option<u64>,
    /// The wait of each I/O task (absent for cpu), so that `wall_ms - latency_ms` is the
    /// model's overhead over the wait itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// The async models: how late a 1 ms timer on the runtime fired at worst, in ms. Near 0
    /// when the runtime's threads were free; about a task's length when tasks blocked them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timer_late_ms: Option<f64>,
}

#[cfg(test)]
impl Row {
    /// A clean run with nothing measured but its time: the tests of the table and verdict.
    pub fn timed(mode: Mode, workers: usize, wall_ms: f64) -> Row {
        Row {
            mode,
            workers,
            wall_ms,
            peak_rss_kb: None,
            timer_late_ms: None,
            ok: true,
        }
    }
}

pub fn table_header() -> String {
    format!(
        "  {:<17} {:>7} {:>11} {:>9} {:>14}",
        "model", "workers", "time (ms)", "speedup", "peak RSS (MiB)"
    )
}

/// A table row; the speedup is over `sequential_ms` when sequential ran (it runs first).
pub fn table_row(row: &Row, sequential_ms: Option<f64>) -> String {
    let speedup = match (row.ok, sequential_ms) {
        (false, _) => "FAILED".to_string(),
        (true, Some(sequential)) => format!("{:.2}x", sequential / row.wall_ms),
        (true, None) => "-".to_string(),
    };
    let peak = match row.peak_rss_kb {
        Some(kb) => format!("{:.1}", kb as f64 / 1024.0),
        None => "-".to_string(),
    };
    format!(
        "  {:<17} {:>7} {:>11.1} {:>9} {:>14}",
        row.mode.name(),
        row.workers,
        row.wall_ms,
        speedup,
        peak
    )
}

/// Where the output goes: the table and verdicts on stdout normally, on stderr under `--json`,
/// so that stdout then carries nothing but records.
pub struct Out {
    pub json: bool,
}

impl Out {
    pub fn say(&self, text: &str) -> Result<()> {
        if self.json {
            writeln!(io::stderr(), "{text}").context("writing to stderr")
        } else {
            writeln!(io::stdout(), "{text}").context("writing to stdout")
        }
    }

    pub fn record(&self, record: &Record) -> Result<()> {
        if self.json {
            let line = serde_json::to_string(record)?;
            writeln!(io::stdout(), "{line}").context("writing to stdout")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(mode: Mode, workers: usize, wall_ms: f64) -> Row {
        let mut row = Row::timed(mode, workers, wall_ms);
        row.peak_rss_kb = Some(2048);
        row
    }

    #[test]
    fn table_rows_show_speedup_memory_or_failure() {
        let line = table_row(&row(Mode::ThreadPool, 2, 200.0), Some(400.0));
        assert!(
            line.contains("thread-pool") && line.contains("2.00x") && line.ends_with(" 2.0"),
            "{line}"
        );
        let mut failed = row(Mode::Rayon, 2, 1.0);
        failed.ok = false;
        failed.peak_rss_kb = None;
        let line = table_row(&failed, Some(400.0));
        assert!(line.contains("FAILED") && line.ends_with('-'), "{line}");
        assert!(table_row(&row(Mode::Rayon, 2, 1.0), None).contains(" - "));
    }

    #[test]
    fn records_leave_out_what_was_not_measured() {
        let record = Record {
            demo: "cpu-vs-io",
            workload: "cpu",
            mode: "rayon",
            workers: 2,
            items: 8,
            bytes: 0,
            wall_ms: 1.5,
            ok: true,
            errors: 0,
            peak_rss_kb: Some(3000),
            baseline_rss_kb: None,
            latency_ms: None,
            timer_late_ms: None,
        };
        let line = serde_json::to_string(&record).unwrap();
        assert!(line.contains("\"peak_rss_kb\":3000"), "{line}");
        assert!(
            !line.contains("baseline") && !line.contains("latency"),
            "{line}"
        );
    }
}
