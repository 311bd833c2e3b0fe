//! One configuration of a table (mode, workers, processes, tasks) and the statistics of its
//! runs, with the labels it goes by in tables and charts.

/// One configuration and the statistics of its runs.
#[derive(Debug, Clone)]
pub struct Row {
    pub mode: String,
    pub workers: u64,
    /// Set for engines that spread workers over processes (timely: workers = P x W).
    pub processes: Option<u64>,
    /// Tasks started, for a sweep over task counts (see [`Record::task_count`]), else 0.
    ///
    /// [`Record::task_count`]: crate::records::Record::task_count
    pub tasks: u64,
    pub reference: bool,
    /// Timed runs behind the medians.
    pub runs: usize,
    /// Every run's wall time, in the order measured: what the tests of a difference use.
    pub times: Vec<f64>,
    /// Runs that reported `ok: false`.
    pub failed_runs: usize,
    /// The largest `errors` count any run reported.
    pub errors: u64,
    pub median_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    /// Median items and bytes per run (the same in every run unless an input changed).
    pub items: f64,
    pub bytes: f64,
    /// Median peak resident memory in KiB, where every run measured it.
    pub peak_rss_kb: Option<f64>,
    /// Median CPU time in ms, where every run measured it.
    pub cpu_ms: Option<f64>,
    /// Baseline median over this row's median.
    pub speedup: Option<f64>,
    /// The most speedup this row's workers can give: its workers, capped at the cores for
    /// work that computes.
    pub ideal: Option<f64>,
    /// True when the speedup is above the ideal: the baseline ran slow, the number is noise.
    pub noisy: bool,
}
impl Row {
    /// The label of the row in tables and findings: the mode, and for engines that spread their
    /// workers over processes, `P×W` (processes × worker threads per process).
    pub fn label(&self) -> String {
        match self.shape() {
            Some((p, Some(w))) => format!("{} {p}×{w}", self.mode),
            Some((p, None)) => format!("{} {p} processes", self.mode),
            None => self.mode.clone(),
        }
    }

    /// The line this row belongs to in a chart: rows of one mode that vary along one axis.
    /// For `P×W` engines, one line for one process of many threads, one for many processes of
    /// one thread, and one per other process count.
    pub fn series(&self) -> String {
        match self.shape() {
            Some((1, _)) => format!("{} 1 process × W", self.mode),
            Some((p, Some(1))) if p > 1 => format!("{} P processes × 1", self.mode),
            Some((p, _)) => format!("{} {p} processes × W", self.mode),
            None => self.mode.clone(),
        }
    }

    /// `(processes, threads per process)` for rows that record a process count, unless the mode
    /// is plainly one process per worker (`processes` with processes == workers).
    pub fn shape(&self) -> Option<(u64, Option<u64>)> {
        let p = self.processes?;
        if p == self.workers && self.mode.contains("process") {
            return None;
        }
        let per = self.workers.is_multiple_of(p).then(|| self.workers / p);
        Some((p, per))
    }

    /// Items per second at the median time.
    pub fn items_per_s(&self) -> Option<f64> {
        (self.median_ms > 0.0).then(|| self.items / (self.median_ms / 1000.0))
    }

    /// Bytes per second at the median time, where the demo counts bytes.
    pub fn bytes_per_s(&self) -> Option<f64> {
        (self.median_ms > 0.0 && self.bytes > 0.0).then(|| self.bytes / (self.median_ms / 1000.0))
    }
}
