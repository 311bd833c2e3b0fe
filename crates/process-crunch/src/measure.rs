//! Timing runs and showing the numbers: the JSON record, the `bench` table and the no-argument
//! demo.
//!
//! A run is timed with `Instant` from opening the file to the merged result: for the processes
//! mode that includes starting the children and reading their replies, which is exactly the
//! cost being compared. Printing the result is not timed.
//!
//! The demo's default file is generated here, once, into a cache folder (`bench.rs` runs it).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{json, Value};

use crate::generate::{self, DEFAULT_ROWS, DEFAULT_SEED, DEFAULT_STATIONS};
use crate::modes::{self, Job, Mode, Outcome};
use crate::parse::Parser;

/// The `demo` field of every record.
pub const DEMO: &str = "process-crunch";

/// One timed run.
#[derive(Debug)]
pub struct Timed {
    pub mode: Mode,
    pub parser: Parser,
    pub outcome: Outcome,
    pub wall: Duration,
    /// Size of the input file.
    pub bytes: u64,
}

/// Runs `job` in `mode` and times it.
pub fn timed_run(mode: Mode, job: &Job) -> anyhow::Result<Timed> {
    let start = Instant::now();
    let outcome = modes::run(mode, job)?;
    let wall = start.elapsed();
    let bytes = std::fs::metadata(&job.path).map(|m| m.len()).unwrap_or(0);
    Ok(Timed {
        mode,
        parser: job.parser,
        outcome,
        wall,
        bytes,
    })
}

impl Timed {
    /// The JSON timing record: `workload` is the parser.
    pub fn record(&self) -> Value {
        let partial = &self.outcome.partial;
        let mut record = json!({
            "demo": DEMO,
            "mode": self.mode.name(),
            "workload": self.parser.name(),
            "workers": self.outcome.workers,
            "items": partial.rows(),
            "bytes": self.bytes,
            "wall_ms": self.wall.as_secs_f64() * 1e3,
            "ok": partial.skipped == 0,
            "errors": partial.skipped,
            "stations": partial.stations.len(),
        });
        if let Value::Object(fields) = &mut record {
            fields.extend(self.outcome.extra.clone());
        }
        record
    }

    /// One human-readable line about the run.
    pub fn summary(&self) -> String {
        let secs = self.wall.as_secs_f64().max(1e-9);
        let partial = &self.outcome.partial;
        let mut line = format!(
            "{} mode, {} parser, {} worker{}: {} rows, {} stations, {:.1} MB in {:.1} ms ({:.0} MB/s)",
            self.mode,
            self.parser,
            self.outcome.workers,
            if self.outcome.workers == 1 { "" } else { "s" },
            partial.rows(),
            partial.stations.len(),
            self.bytes as f64 / 1e6,
            secs * 1e3,
            self.bytes as f64 / 1e6 / secs
        );
        if partial.skipped > 0 {
            line.push_str(&format!("; skipped {} malformed lines", partial.skipped));
        }
        line
    }
}

/// The cache folder of the demo's default file: `$XDG_CACHE_HOME/process-crunch`, else
/// `~/.cache/process-crunch`, else `process-crunch` in the temporary directory.
pub fn cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| Path::new(&home).join(".cache"))
        })
        .unwrap_or_else(std::env::temp_dir);
    base.join("process-crunch")
}

/// The default file (10M rows, 413 stations, seed 1), generated on first use. It is written
/// under a temporary name and renamed when complete, so an interrupted run is never reused.
pub fn default_file() -> anyhow::Result<PathBuf> {
    let dir = cache_dir();
    let path = dir.join(format!(
        "measurements-{DEFAULT_ROWS}-rows-{DEFAULT_STATIONS}-stations-seed-{DEFAULT_SEED}-v1.txt"
    ));
    if path.is_file() {
        eprintln!("Using {}", path.display());
        return Ok(path);
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    eprintln!(
        "Generating {DEFAULT_ROWS} rows into {} (once; later runs reuse it)...",
        path.display()
    );
    let partial_path = path.with_extension(format!("txt.partial-{}", std::process::id()));
    let done = generate::generate(&partial_path, DEFAULT_ROWS, DEFAULT_STATIONS, DEFAULT_SEED)
        .and_then(|_| {
            std::fs::rename(&partial_path, &path).with_context(|| {
                format!(
                    "cannot rename {} to {}",
                    partial_path.display(),
                    path.display()
                )
            })
        });
    if let Err(e) = done {
        // A full disk, an interrupted write: leave nothing half-written in the cache.
        let _ = std::fs::remove_file(&partial_path);
        return Err(e);
    }
    Ok(path)
}
