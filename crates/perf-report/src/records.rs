//! Reading the inputs: the JSON timing records the demos print with `--json`, one object per
//! line, and the machine description `scripts/run_all.sh` writes beside them.
//!
//! Parsing is strict where a mistake would silently change the report (a missing field, a
//! negative time, a line that is not an object) and lenient where it cannot (unknown fields are
//! ignored, so a demo may add fields of its own). Every error names the file and the line.
//!
//! Three record shapes beyond a demo's own runs:
//!
//! - **Reference**: an outside tool a user would pick instead, timed on the same input
//!   (`cp -r`, `rsync -a`, DuckDB, `wget --spider -r`, ...): `"reference": true`, `mode` names
//!   the tool, every other field as usual. A reference whose `workload` the demo does not
//!   measure (or that has none) is compared against every workload of its demo.
//! - **Not installed**: a reference the runner could not run: `"reference": true`,
//!   `"ok": false`, `"unavailable": "not installed"` (or another short reason), the usual required
//!   fields with `workers: 1`, `items: 0`, `bytes: 0`, `wall_ms: 0`:
//!   `{"demo":"threaded-file-copy","workload":"small-files","mode":"fcp","workers":1,"items":0,"bytes":0,"wall_ms":0,"ok":false,"reference":true,"unavailable":"not installed"}`.
//!   It is listed as "not installed" in the tables, never timed, never dropped.
//! - **Python**: `"language": "python"` (absent means `"rust"`), with `python_version` and
//!   `gil_enabled`; a free-threaded build (`gil_enabled: false`) is a runtime of its own.
//!
//! The machine description gains `commit` (the full sha, or null) and `dirty` (whether the
//! tree had uncommitted changes, or null when unknown): the report's staleness banner is
//! decided from them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

/// One timed run of one demo in one mode, as printed by `--json`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    /// Items that failed, where the demo counts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<u64>,
    /// Most requests in flight at once, where the demo tracks it (the crawler).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_in_flight: Option<u64>,
    /// Process count where it differs from `workers` (timely: workers = P x W).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processes: Option<u64>,
    /// True only for an outside tool timed by the runner (e.g. `cp -r`), shown for comparison.
    #[serde(default, skip_serializing_if = "is_false")]
    pub reference: bool,
    /// Set (to why, e.g. "not installed") when the configuration could not be run at all: the
    /// record holds no time and is listed, not measured. (Not `skipped`: the copier already
    /// prints a `skipped` count of files.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    /// `"rust"` (the default when absent) or `"python"` for the Python baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The interpreter's version for Python records, e.g. "3.11.7".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python_version: Option<String>,
    /// Whether the interpreter ran with the GIL (false only for a free-threaded build).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gil_enabled: Option<bool>,
    /// Peak resident memory of the run in KiB, where the demo measures it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_kb: Option<u64>,
    /// CPU time (user + system) of the run in milliseconds, where the demo measures it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_ms: Option<f64>,
    /// Tasks started, for a sweep over task counts (cpu-vs-io's `many` workload: N tasks; there
    /// `items` stands in when `tasks` is absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks: Option<u64>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The language of records without a `language` field.
pub const RUST: &str = "rust";

impl Record {
    /// The workload group this record belongs to.
    pub fn workload(&self) -> &str {
        self.workload.as_deref().unwrap_or("default")
    }

    /// `"rust"` unless the record says otherwise.
    pub fn language(&self) -> &str {
        self.language.as_deref().unwrap_or(RUST)
    }

    /// What the record ran on, as the report names it: "rust", "python", or
    /// "python (free-threaded)" for a build without the GIL, which is measured as its own
    /// column.
    pub fn runtime(&self) -> String {
        match (self.language(), self.gil_enabled) {
            (lang, Some(false)) => format!("{lang} (free-threaded)"),
            (lang, _) => lang.to_string(),
        }
    }

    /// The task count N of a sweep over task counts: `tasks`, else `items` for cpu-vs-io's
    /// `many` workload (whose items are its tasks); 0 for every other record, whose rows are not
    /// split by their item counts (a crawl that lost a page is still the same configuration).
    pub fn task_count(&self) -> u64 {
        match self.tasks {
            Some(n) => n,
            None if self.workload() == "many" => self.items,
            None => 0,
        }
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
        if self
            .language
            .as_deref()
            .is_some_and(|l| l.trim().is_empty())
        {
            return Err("field `language` is empty".into());
        }
        if self.cpu_ms.is_some_and(|c| !c.is_finite() || c < 0.0) {
            return Err("field `cpu_ms` is not a time >= 0".into());
        }
        if self
            .unavailable
            .as_deref()
            .is_some_and(|s| s.trim().is_empty())
        {
            return Err(
                "field `unavailable` is empty (say why the configuration was not run)".into(),
            );
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
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
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
    /// The workspace's git commit as older runners wrote it: a short sha, with
    /// " (with uncommitted changes)" appended for a dirty tree. Superseded by `commit`/`dirty`.
    pub git_commit: Option<String>,
    /// The full sha of the commit the binaries were built from (null when git was unavailable).
    pub commit: Option<String>,
    /// Whether the tree had uncommitted changes (null when unknown).
    pub dirty: Option<bool>,
    /// Timed runs per configuration.
    pub runs: Option<u64>,
    /// How long the runner ran the plan, in seconds: inputs, warm-ups and timed runs, not the
    /// release build before it.
    pub duration_s: Option<f64>,
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
    /// What the runner left out and why, one line each (a tool option the binary rejects,
    /// no Python): shown in the report, never dropped silently.
    #[serde(default)]
    pub skipped: Vec<String>,
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

    /// The commit measured and whether the tree was dirty: `commit`/`dirty` when the runner
    /// wrote them, else read from an older runner's `git_commit` ("abc123 (with uncommitted
    /// changes)"; "unknown" means none).
    pub fn source(&self) -> (Option<String>, Option<bool>) {
        if self.commit.is_some() || self.dirty.is_some() {
            return (self.commit.clone(), self.dirty);
        }
        let Some(old) = self.git_commit.as_deref() else {
            return (None, None);
        };
        let sha = old.split_whitespace().next().unwrap_or("");
        if sha.is_empty() || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
            return (None, None);
        }
        (
            Some(sha.to_string()),
            Some(old.contains("uncommitted changes")),
        )
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
mod tests;
