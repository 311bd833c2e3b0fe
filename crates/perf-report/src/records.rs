//! Reading the inputs: the JSON timing records the demos print with `--json`, one object per
//! line, and the machine description `scripts/run_all.sh` writes beside them.
//!
//! Parsing is strict where a mistake would silently change the report (a missing field, a
//! negative time, a line that is not an object) and lenient where it cannot (unknown fields are
//! ignored, so a demo may add fields of its own). Every error names the file and the line.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// One timed run of one demo in one mode, as printed by `--json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Record {
    /// Crate name, e.g. `process-crunch`.
    pub demo: String,
    /// `sequential`, `threads`, `rayon`, `processes`, ... or an outside tool such as `cp -r`.
    pub mode: String,
    /// Threads or processes used (for timely: processes x threads per process).
    pub workers: u64,
    /// Units of work done: files, pages, rows, tasks.
    pub items: u64,
    /// Bytes processed, or 0 where bytes mean nothing.
    pub bytes: u64,
    /// Wall-clock time of the work in milliseconds.
    pub wall_ms: f64,
    /// False when any item failed.
    pub ok: bool,
    /// What was measured when a demo measures several kinds of work; `None` is the group
    /// "default".
    pub workload: Option<String>,
    /// Items that failed, where the demo counts them.
    pub errors: Option<u64>,
    /// Most requests in flight at once, where the demo tracks it (the crawler).
    pub peak_in_flight: Option<u64>,
    /// Process count where it differs from `workers` (timely: workers = P x W).
    pub processes: Option<u64>,
    /// True only for an outside tool timed by the script (e.g. `cp -r`), shown for comparison.
    #[serde(default)]
    pub reference: bool,
}

impl Record {
    /// The workload group this record belongs to.
    pub fn workload(&self) -> &str {
        self.workload.as_deref().unwrap_or("default")
    }

    /// Checks what serde cannot: values that parse but make no sense.
    fn validate(&self) -> std::result::Result<(), String> {
        if self.demo.trim().is_empty() {
            return Err("field `demo` is empty".into());
        }
        if self.mode.trim().is_empty() {
            return Err("field `mode` is empty".into());
        }
        if self.workers == 0 {
            return Err(
                "field `workers` is 0 (at least one thread or process does the work)".into(),
            );
        }
        if !self.wall_ms.is_finite() || self.wall_ms < 0.0 {
            return Err(format!(
                "field `wall_ms` is {} (expected a time >= 0)",
                self.wall_ms
            ));
        }
        if self.processes == Some(0) {
            return Err("field `processes` is 0".into());
        }
        Ok(())
    }
}

/// Parses a whole results file. A malformed line, a missing field or an empty file is an error
/// that names the file and the line.
pub fn read_records(path: &Path) -> Result<Vec<Record>> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse_records(&text, &path.display().to_string())
}

/// Parses JSON lines; `source` names the input in error messages. Blank lines are skipped.
pub fn parse_records(text: &str, source: &str) -> Result<Vec<Record>> {
    let mut records = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if !line.starts_with('{') {
            bail!("{source}:{number}: not a JSON object: {}", excerpt(line));
        }
        let record: Record = serde_json::from_str(line)
            .map_err(|e| anyhow::anyhow!("{source}:{number}: {}", without_location(&e)))?;
        record
            .validate()
            .map_err(|msg| anyhow::anyhow!("{source}:{number}: {msg}"))?;
        records.push(record);
    }
    if records.is_empty() {
        if text.trim().is_empty() {
            bail!("{source}: no timing records: the file is empty");
        }
        bail!("{source}: no timing records");
    }
    Ok(records)
}

/// serde_json's message ends with "at line 1 column N"; every line is parsed on its own, so the
/// line is ours to report and only the column is worth keeping.
fn without_location(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let msg = match full.rfind(" at line ") {
        Some(at) => &full[..at],
        None => full.as_str(),
    };
    format!("{msg} (column {})", e.column())
}

/// The start of a bad line, short enough for an error message.
fn excerpt(line: &str) -> String {
    const MAX: usize = 60;
    match line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}...", &line[..cut]),
        None => format!("{line:?}"),
    }
}

/// The machine a run was measured on, as `scripts/run_all.sh` records it. Every field is
/// optional: a value the script could not find is simply left out of the report.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Machine {
    /// Host name (`uname -n`).
    pub host: Option<String>,
    /// When the run started, UTC, ISO 8601.
    pub timestamp: Option<String>,
    /// CPU model name from /proc/cpuinfo.
    pub cpu_model: Option<String>,
    /// Logical CPUs (`nproc`): the ideal speedup of CPU-bound work stops here.
    pub logical_cpus: Option<u64>,
    /// Total memory in KiB from /proc/meminfo.
    pub memory_kib: Option<u64>,
    /// PRETTY_NAME from /etc/os-release.
    pub os: Option<String>,
    /// `uname -r`.
    pub kernel: Option<String>,
    /// `rustc --version` of the toolchain that built the binaries.
    pub rustc: Option<String>,
    /// The workspace's git commit.
    pub git_commit: Option<String>,
    /// Timed runs per configuration.
    pub runs: Option<u64>,
    /// Untimed warm-up runs per configuration.
    pub warmup: Option<u64>,
    /// True for `run_all.sh --quick`: small inputs, numbers only good for checking the pipeline.
    pub quick: Option<bool>,
    /// The worker counts of the sweep, e.g. "1 2 4".
    pub worker_counts: Option<String>,
    /// The worker counts of the I/O-bound sweeps, which go past the cores.
    pub io_worker_counts: Option<String>,
    /// Per demo, one sentence on the inputs it was measured on (sizes chosen by the script).
    #[serde(default)]
    pub inputs: BTreeMap<String, String>,
}

impl Machine {
    /// A one-line description: CPU, cores and memory.
    pub fn summary(&self) -> String {
        let mut parts = vec![self
            .cpu_model
            .clone()
            .unwrap_or_else(|| "an unrecorded CPU".to_string())];
        if let Some(n) = self.logical_cpus {
            parts.push(format!("{n} logical core{}", if n == 1 { "" } else { "s" }));
        }
        if let Some(memory) = self.memory() {
            parts.push(format!("{memory} RAM"));
        }
        parts.join(", ")
    }

    /// The total memory in GiB, e.g. "15.6 GiB".
    pub fn memory(&self) -> Option<String> {
        self.memory_kib
            .map(|kib| format!("{:.1} GiB", kib as f64 / (1024.0 * 1024.0)))
    }
}

/// Reads a machine description; errors name the file.
pub fn read_machine(path: &Path) -> Result<Machine> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{}: not a valid machine description", path.display()))
}

/// Where the machine description of a results file is, when none is given: `<stem>.machine.json`
/// beside `<stem>.jsonl` (unambiguous when several runs share a folder), else a plain
/// `machine.json` in the same folder. `None` when neither exists.
pub fn default_machine_path(results: &Path) -> Option<PathBuf> {
    let dir = results.parent().unwrap_or(Path::new(""));
    let stem = results.file_stem()?.to_string_lossy();
    [
        dir.join(format!("{stem}.machine.json")),
        dir.join("machine.json"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"demo":"d","mode":"sequential","workers":1,"items":10,"bytes":0,"wall_ms":100.5,"ok":true}"#;

    #[test]
    fn parses_required_and_optional_fields_and_ignores_unknown_ones() {
        let text = format!(
            "{GOOD}\n\n{}\n",
            r#"{"demo":"d","mode":"timely","workers":4,"items":10,"bytes":5,"wall_ms":1,"ok":false,"workload":"csv","errors":2,"processes":2,"peak_in_flight":3,"something_new":[1,2]}"#
        );
        let records = parse_records(&text, "r.jsonl").unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].workload(), "default");
        assert!(!records[0].reference);
        assert_eq!(records[1].workload(), "csv");
        assert_eq!(records[1].processes, Some(2));
        assert_eq!(records[1].errors, Some(2));
        assert!(!records[1].ok);
    }

    #[test]
    fn malformed_line_names_file_and_line() {
        let text = format!("{GOOD}\n{GOOD}\n{{\"demo\": \"d\", oops}}\n");
        let err = parse_records(&text, "r.jsonl").unwrap_err().to_string();
        assert!(err.starts_with("r.jsonl:3: "), "{err}");
    }

    #[test]
    fn missing_field_names_line_and_field() {
        let text = format!("{GOOD}\n{}\n", GOOD.replace(r#""wall_ms":100.5,"#, ""));
        let err = parse_records(&text, "r.jsonl").unwrap_err().to_string();
        assert!(err.starts_with("r.jsonl:2: "), "{err}");
        assert!(err.contains("missing field `wall_ms`"), "{err}");
    }

    #[test]
    fn non_object_and_nonsense_values_are_errors() {
        let err = parse_records("[1,2]\n", "r").unwrap_err().to_string();
        assert!(err.contains("r:1: not a JSON object"), "{err}");
        let err = parse_records(&GOOD.replace("100.5", "-1"), "r")
            .unwrap_err()
            .to_string();
        assert!(err.contains("r:1: field `wall_ms`"), "{err}");
        let err = parse_records(&GOOD.replace(r#""workers":1"#, r#""workers":0"#), "r")
            .unwrap_err()
            .to_string();
        assert!(err.contains("r:1: field `workers` is 0"), "{err}");
    }

    #[test]
    fn empty_file_is_an_error() {
        let err = parse_records("", "r.jsonl").unwrap_err().to_string();
        assert_eq!(err, "r.jsonl: no timing records: the file is empty");
        assert!(parse_records("\n  \n", "r.jsonl").is_err());
    }

    #[test]
    fn machine_fields_are_optional() {
        let m: Machine = serde_json::from_str(r#"{"logical_cpus":2,"extra":1}"#).unwrap();
        assert_eq!(m.logical_cpus, Some(2));
        assert_eq!(m.summary(), "an unrecorded CPU, 2 logical cores");
    }

    #[test]
    fn machine_path_prefers_the_stem_pair() {
        let dir = tempfile::tempdir().unwrap();
        let results = dir.path().join("20260101T000000Z-host.jsonl");
        assert_eq!(default_machine_path(&results), None);
        fs::write(dir.path().join("machine.json"), "{}").unwrap();
        assert_eq!(
            default_machine_path(&results),
            Some(dir.path().join("machine.json"))
        );
        fs::write(dir.path().join("20260101T000000Z-host.machine.json"), "{}").unwrap();
        assert_eq!(
            default_machine_path(&results),
            Some(dir.path().join("20260101T000000Z-host.machine.json"))
        );
    }
}
