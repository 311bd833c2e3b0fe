//! Grouping the records into tables: one group per (demo, workload), one row per configuration
//! (mode, worker count, process count), and the medians every number of the report comes from.
//!
//! Medians rather than means: one run disturbed by another process on a shared machine moves a
//! mean but not a median. Speedup is the median of the `sequential` runs of the same group over
//! the median of the row, so 2.0 means "half the time of the sequential baseline".

use crate::records::Record;

/// The mode every group is compared against.
pub const BASELINE: &str = "sequential";

/// One demo and its workload groups, in the order they first appear in the results.
#[derive(Debug, Clone)]
pub struct Demo {
    pub name: String,
    pub groups: Vec<Group>,
}

/// One table: the runs of one demo on one workload.
#[derive(Debug, Clone)]
pub struct Group {
    pub demo: String,
    pub workload: String,
    /// The demo's own configurations: the baseline first, then modes in order of first
    /// appearance, each by worker count.
    pub rows: Vec<Row>,
    /// Outside tools timed for comparison (`reference: true`), e.g. `cp -r`.
    pub references: Vec<Row>,
    /// Median wall time of every `sequential` run of the group, when there is one.
    pub baseline_ms: Option<f64>,
}

/// One configuration and the statistics of its runs.
#[derive(Debug, Clone)]
pub struct Row {
    pub mode: String,
    pub workers: u64,
    /// Set for engines that spread workers over processes (timely: workers = P x W).
    pub processes: Option<u64>,
    pub reference: bool,
    /// Timed runs behind the medians.
    pub runs: usize,
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
    /// Baseline median over this row's median.
    pub speedup: Option<f64>,
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
    fn shape(&self) -> Option<(u64, Option<u64>)> {
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

impl Group {
    /// The fastest of the demo's own rows (references excluded).
    pub fn fastest(&self) -> Option<&Row> {
        self.rows
            .iter()
            .min_by(|a, b| a.median_ms.total_cmp(&b.median_ms))
    }

    /// The modes of the group in table order, each once.
    pub fn modes(&self) -> Vec<&str> {
        let mut modes: Vec<&str> = Vec::new();
        for row in &self.rows {
            if !modes.contains(&row.mode.as_str()) {
                modes.push(&row.mode);
            }
        }
        modes
    }

    /// The rows of one mode, by worker count.
    pub fn rows_of<'a>(&'a self, mode: &'a str) -> impl Iterator<Item = &'a Row> + 'a {
        self.rows.iter().filter(move |r| r.mode == mode)
    }

    /// The median items per run of the baseline, else of the first row: the size of the input.
    pub fn items(&self) -> f64 {
        self.input_row().map_or(0.0, |r| r.items)
    }

    /// The median bytes per run of the baseline, else of the first row.
    pub fn bytes(&self) -> f64 {
        self.input_row().map_or(0.0, |r| r.bytes)
    }

    /// The row whose items and bytes stand for the group's input: the baseline, else the first.
    fn input_row(&self) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.mode == BASELINE)
            .or(self.rows.first())
    }
}

/// The median of a non-empty slice (the mean of the two middle values for an even count).
pub fn median(values: &[f64]) -> f64 {
    assert!(!values.is_empty(), "median of no values");
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// (mode, workers, processes, reference): what makes two runs the same configuration.
type RowKey = (String, u64, Option<u64>, bool);

/// Groups records into demos, workloads and rows, in the order they first appear.
pub fn group(records: &[Record]) -> Vec<Demo> {
    // Everything in first-appearance order (the script runs demos in a deliberate order and the
    // report keeps it): per demo its workloads, per workload its configurations and their runs.
    type Runs<'a> = Vec<(RowKey, Vec<&'a Record>)>;
    let mut demos: Vec<(String, Vec<(String, Runs)>)> = Vec::new();
    for rec in records {
        let workloads = slot(&mut demos, rec.demo.clone());
        let runs = slot(workloads, rec.workload().to_string());
        let key: RowKey = (rec.mode.clone(), rec.workers, rec.processes, rec.reference);
        slot(runs, key).push(rec);
    }

    demos
        .into_iter()
        .map(|(name, workloads)| {
            let groups = workloads
                .into_iter()
                .map(|(workload, runs)| build_group(&name, &workload, &runs))
                .collect();
            Demo { name, groups }
        })
        .collect()
}

/// The value under `key`, appended empty when the key is new: a map in insertion order.
fn slot<K: PartialEq, V: Default>(entries: &mut Vec<(K, V)>, key: K) -> &mut V {
    let at = match entries.iter().position(|(k, _)| *k == key) {
        Some(i) => i,
        None => {
            entries.push((key, V::default()));
            entries.len() - 1
        }
    };
    &mut entries[at].1
}

/// The statistics of the runs of one configuration (speedup filled in later).
fn summarize(recs: &[&Record]) -> Row {
    let first = recs[0];
    let times: Vec<f64> = recs.iter().map(|r| r.wall_ms).collect();
    let items: Vec<f64> = recs.iter().map(|r| r.items as f64).collect();
    let bytes: Vec<f64> = recs.iter().map(|r| r.bytes as f64).collect();
    Row {
        mode: first.mode.clone(),
        workers: first.workers,
        processes: first.processes,
        reference: first.reference,
        runs: recs.len(),
        failed_runs: recs.iter().filter(|r| !r.ok).count(),
        errors: recs.iter().filter_map(|r| r.errors).max().unwrap_or(0),
        median_ms: median(&times),
        min_ms: times.iter().copied().fold(f64::INFINITY, f64::min),
        max_ms: times.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        items: median(&items),
        bytes: median(&bytes),
        speedup: None,
    }
}

/// Summarizes each configuration's runs, orders the rows, splits off the references and
/// computes the speedups.
fn build_group(demo: &str, workload: &str, runs: &[(RowKey, Vec<&Record>)]) -> Group {
    // The baseline pools every sequential run of the group, whatever worker count it was
    // started with: sequential code ignores --workers.
    let baseline: Vec<f64> = runs
        .iter()
        .filter(|((mode, _, _, reference), _)| mode == BASELINE && !reference)
        .flat_map(|(_, recs)| recs.iter().map(|r| r.wall_ms))
        .collect();
    let baseline_ms = (!baseline.is_empty()).then(|| median(&baseline));

    let (mut references, own): (Vec<Row>, Vec<Row>) = runs
        .iter()
        .map(|(_, recs)| summarize(recs))
        .partition(|r| r.reference);
    // Baseline first, then modes in first-appearance order, each by workers then processes.
    let mut order: Vec<String> = vec![BASELINE.to_string()];
    for row in &own {
        if !order.contains(&row.mode) {
            order.push(row.mode.clone());
        }
    }
    let mut rows = own;
    rows.sort_by_key(|r| {
        let at = order
            .iter()
            .position(|m| *m == r.mode)
            .unwrap_or(usize::MAX);
        (at, r.workers, r.processes.unwrap_or(0))
    });
    for row in rows.iter_mut().chain(references.iter_mut()) {
        row.speedup = baseline_ms
            .filter(|_| row.median_ms > 0.0)
            .map(|b| b / row.median_ms);
    }
    Group {
        demo: demo.to_string(),
        workload: workload.to_string(),
        rows,
        references,
        baseline_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::parse_records;

    fn rec(mode: &str, workers: u64, ms: f64) -> String {
        format!(
            r#"{{"demo":"d","mode":"{mode}","workers":{workers},"items":100,"bytes":1000,"wall_ms":{ms},"ok":true}}"#
        )
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[7.0]), 7.0);
    }

    #[test]
    fn rows_have_medians_ranges_rates_and_speedups() {
        let lines = [
            rec("threads", 2, 60.0),
            rec("sequential", 1, 110.0),
            rec("threads", 2, 50.0),
            rec("sequential", 1, 100.0),
            rec("threads", 2, 40.0),
            rec("sequential", 1, 90.0),
            rec("threads", 1, 100.0),
        ]
        .join("\n");
        let demos = group(&parse_records(&lines, "t").unwrap());
        assert_eq!(demos.len(), 1);
        let g = &demos[0].groups[0];
        assert_eq!(g.workload, "default");
        assert_eq!(g.baseline_ms, Some(100.0));
        let labels: Vec<(String, u64)> = g.rows.iter().map(|r| (r.label(), r.workers)).collect();
        assert_eq!(
            labels,
            [
                ("sequential".into(), 1),
                ("threads".into(), 1),
                ("threads".into(), 2)
            ]
        );
        let t2 = &g.rows[2];
        assert_eq!(
            (t2.runs, t2.median_ms, t2.min_ms, t2.max_ms),
            (3, 50.0, 40.0, 60.0)
        );
        assert_eq!(t2.items_per_s(), Some(2000.0));
        assert_eq!(t2.bytes_per_s(), Some(20_000.0));
        assert_eq!(t2.speedup, Some(2.0));
        assert_eq!(g.rows[0].speedup, Some(1.0));
        assert_eq!(g.fastest().unwrap().workers, 2);
    }

    #[test]
    fn references_and_workloads_are_kept_apart() {
        let text = [
            r#"{"demo":"c","workload":"small","mode":"sequential","workers":1,"items":1,"bytes":0,"wall_ms":200,"ok":true}"#,
            r#"{"demo":"c","workload":"small","mode":"cp -r","workers":1,"items":1,"bytes":0,"wall_ms":100,"ok":true,"reference":true}"#,
            r#"{"demo":"c","workload":"large","mode":"sequential","workers":1,"items":1,"bytes":0,"wall_ms":50,"ok":true}"#,
        ]
        .join("\n");
        let demos = group(&parse_records(&text, "t").unwrap());
        let groups: Vec<&str> = demos[0]
            .groups
            .iter()
            .map(|g| g.workload.as_str())
            .collect();
        assert_eq!(groups, ["small", "large"]);
        let small = &demos[0].groups[0];
        assert_eq!(small.rows.len(), 1);
        assert_eq!(small.references[0].mode, "cp -r");
        assert_eq!(small.references[0].speedup, Some(2.0));
    }

    #[test]
    fn timely_rows_are_labelled_processes_by_threads() {
        let text = [
            r#"{"demo":"p","mode":"timely","workers":2,"processes":1,"items":1,"bytes":0,"wall_ms":10,"ok":true}"#,
            r#"{"demo":"p","mode":"timely","workers":2,"processes":2,"items":1,"bytes":0,"wall_ms":10,"ok":true}"#,
            r#"{"demo":"p","mode":"processes","workers":2,"processes":2,"items":1,"bytes":0,"wall_ms":10,"ok":true}"#,
        ]
        .join("\n");
        let demos = group(&parse_records(&text, "t").unwrap());
        let rows = &demos[0].groups[0].rows;
        let labels: Vec<String> = rows.iter().map(Row::label).collect();
        assert_eq!(labels, ["timely 1×2", "timely 2×1", "processes"]);
        let series: Vec<String> = rows.iter().map(Row::series).collect();
        assert_eq!(
            series,
            [
                "timely 1 process × W",
                "timely P processes × 1",
                "processes"
            ]
        );
        assert_eq!(demos[0].groups[0].baseline_ms, None);
        assert_eq!(rows[0].speedup, None);
    }
}
