//! What happened: counters every thread bumps, the error and warning lines, the summary and
//! the JSON timing record.
//!
//! Workers never decide the exit status. They report each failure here (the path and the OS
//! error) and carry on with the next file; at the end, `errors > 0` decides exit status 1, the
//! way ripgrep's parallel walker does it. The counters are atomics, so reporting needs no lock.

use std::fmt::Display;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::Duration;

use indicatif::ProgressBar;
use serde::Serialize;

use crate::cli::Mode;

/// Shared by every thread of one copy.
#[derive(Default)]
pub struct Report {
    /// Set while the progress bar is drawn, so that lines are printed above it, not through it.
    pub bar: OnceLock<ProgressBar>,
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub symlinks: AtomicU64,
    pub hardlinks: AtomicU64,
    pub dirs: AtomicU64,
    /// FIFOs, sockets and devices, recreated.
    pub specials: AtomicU64,
    /// Entries that could not be copied (or, with --verify, copies that differ).
    pub errors: AtomicU64,
    /// Jobs finished by the workers, whatever their outcome.
    pub done: AtomicU64,
    /// The most jobs ever handed out by the walker and not yet finished: the evidence that
    /// the walker does not run ahead of the copiers (bounded by a few batches per worker).
    pub peak_in_flight: AtomicU64,
}

impl Report {
    /// One failed entry: counted, and printed with what failed.
    pub fn error(&self, what: impl Display) {
        self.errors.fetch_add(1, Relaxed);
        self.print(format_args!("error: {what}"));
    }

    fn print(&self, line: impl Display) {
        match self.bar.get() {
            Some(bar) => bar.suspend(|| eprintln!("threaded-file-copy: {line}")),
            None => eprintln!("threaded-file-copy: {line}"),
        }
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }
}

/// The result of one copy of a tree.
#[derive(Debug, Clone)]
pub struct Summary {
    pub files: u64,
    pub bytes: u64,
    pub symlinks: u64,
    pub hardlinks: u64,
    pub dirs: u64,
    pub specials: u64,
    pub errors: u64,
    pub peak_in_flight: u64,
    /// Walk, copy, links and directory metadata; not the checks before, not --verify after.
    pub wall: Duration,
    pub interrupted: bool,
}

/// The `--json` timing record (field names are read by `perf-report`).
#[derive(Debug, Serialize)]
pub struct Record<'a> {
    pub demo: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<&'a str>,
    pub mode: &'a str,
    pub workers: usize,
    /// Files, symlinks and hard links written (directories are not counted).
    pub items: u64,
    pub bytes: u64,
    pub wall_ms: f64,
    pub ok: bool,
    pub errors: u64,
    /// Entries left out on purpose: none since FIFOs, sockets and devices are recreated;
    /// kept in the record, whose fields other tools read.
    pub skipped: u64,
    /// Files walked but not yet copied, at most (see `Report::peak_in_flight`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_in_flight: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<bool>,
}

impl Summary {
    pub fn from_report(report: &Report, wall: Duration, interrupted: bool) -> Self {
        Summary {
            files: report.files.load(Relaxed),
            bytes: report.bytes.load(Relaxed),
            symlinks: report.symlinks.load(Relaxed),
            hardlinks: report.hardlinks.load(Relaxed),
            dirs: report.dirs.load(Relaxed),
            specials: report.specials.load(Relaxed),
            errors: report.errors.load(Relaxed),
            peak_in_flight: report.peak_in_flight.load(Relaxed),
            wall,
            interrupted,
        }
    }

    pub fn ok(&self) -> bool {
        self.errors == 0 && !self.interrupted
    }

    pub fn items(&self) -> u64 {
        self.files + self.symlinks + self.hardlinks + self.specials
    }

    pub fn record<'a>(&self, mode: Mode, workers: usize, workload: Option<&'a str>) -> Record<'a> {
        Record {
            demo: "threaded-file-copy",
            workload,
            mode: mode.name(),
            workers: mode.workers(workers),
            items: self.items(),
            bytes: self.bytes,
            wall_ms: self.wall.as_secs_f64() * 1000.0,
            ok: self.ok(),
            errors: self.errors,
            skipped: 0,
            peak_in_flight: Some(self.peak_in_flight),
            reference: None,
        }
    }

    /// The one-line human summary.
    pub fn describe(&self, mode: Mode, workers: usize) -> String {
        format!(
            "copied {} files ({}), {} symlinks, {} hard links, {} directories in {:.1} ms \
             ({} mode, {} workers); {} special files, {} errors",
            self.files,
            human_bytes(self.bytes),
            self.symlinks,
            self.hardlinks,
            self.dirs,
            self.wall.as_secs_f64() * 1000.0,
            mode.name(),
            mode.workers(workers),
            self.specials,
            self.errors
        )
    }
}

pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The message of a panic caught at `join`, for the error line.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}
