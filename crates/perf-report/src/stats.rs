//! Grouping the records into tables: one group per (runtime, demo, workload), one row per
//! configuration (mode, worker count, process count, task count), and the medians every number
//! of the report comes from.
//!
//! Medians rather than means: one run disturbed by another process on a shared machine moves a
//! mean but not a median. Speedup is the median of the `sequential` runs of the same group over
//! the median of the row, so 2.0 means "half the time of the sequential baseline". A speedup
//! above what the row's workers can give (one per worker, or per core for CPU-bound work) is
//! not a result but noise in the baseline: such a row is marked `noisy` and is never the
//! fastest.

pub use crate::kind::Kind;
use crate::records::{Record, RUST};
pub use row::Row;

/// The mode every group is compared against.
pub const BASELINE: &str = "sequential";

/// How far above its ideal a speedup must be to be noise rather than the precision of the
/// timer and of two medians: a sleep-bound 4-worker row can measure 4.004× honestly.
pub const PRECISION: f64 = 0.01;

/// One runtime's demo and its workload groups, in the order they first appear in the results.
#[derive(Debug, Clone)]
pub struct Demo {
    pub name: String,
    /// "rust", "python" or "python (free-threaded)": see [`Record::runtime`].
    pub language: String,
    pub groups: Vec<Group>,
}

/// A configuration the runner could not run (a reference tool that is not installed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub mode: String,
    /// Why, e.g. "not installed".
    pub why: String,
}

/// One table: the runs of one demo on one workload in one runtime.
#[derive(Debug, Clone)]
pub struct Group {
    pub demo: String,
    pub workload: String,
    /// The runtime, as in [`Demo::language`].
    pub language: String,
    /// The Python version of Python records (the first one seen).
    pub python_version: Option<String>,
    pub kind: Kind,
    /// The demo's own configurations: the baseline first, then modes in order of first
    /// appearance, each by worker count.
    pub rows: Vec<Row>,
    /// Outside tools timed for comparison (`reference: true`), e.g. `cp -r`.
    pub references: Vec<Row>,
    /// Outside tools the runner could not run, listed so that none is silently missing.
    pub skipped: Vec<Skipped>,
    /// Median wall time of every `sequential` run of the group, when there is one.
    pub baseline_ms: Option<f64>,
    /// Every `sequential` run's wall time: the spread the effects are read against.
    pub baseline_times: Vec<f64>,
}

impl Demo {
    /// True for the demos themselves, false for the Python baseline.
    pub fn is_rust(&self) -> bool {
        self.language == RUST
    }
}

impl Group {
    /// True for the demos themselves, false for the Python baseline.
    pub fn is_rust(&self) -> bool {
        self.language == RUST
    }

    /// The fastest of the demo's own rows, references and noisy rows excluded: a speedup
    /// above the ideal is never the headline.
    pub fn fastest(&self) -> Option<&Row> {
        self.compared_rows()
            .filter(|r| !r.noisy)
            .min_by(|a, b| a.median_ms.total_cmp(&b.median_ms))
    }

    /// False for a table of one-core variants with no sequential baseline (process-crunch's
    /// parser steps, `bench --steps`): it ranks techniques, not concurrency models.
    pub fn compares_models(&self) -> bool {
        self.baseline_ms.is_some() || self.rows.iter().any(|r| r.workers != 1)
    }

    /// For a sweep over task counts (cpu-vs-io's `many`): the largest N that two or more modes
    /// ran, the one count at which modes are compared (a time at N = 100 against one at
    /// N = 1,000 says nothing). `None` when the rows do not differ in N.
    pub fn compared_tasks(&self) -> Option<u64> {
        let mut counts: Vec<u64> = self.rows.iter().map(|r| r.tasks).collect();
        counts.sort_unstable();
        counts.dedup();
        if counts.len() < 2 {
            return None;
        }
        counts.into_iter().rev().find(|&n| {
            let mut modes: Vec<&str> = self
                .rows
                .iter()
                .filter(|r| r.tasks == n)
                .map(|r| r.mode.as_str())
                .collect();
            modes.dedup();
            modes.len() > 1
        })
    }

    /// The rows that rankings compare: all of them, or in a sweep over task counts those at
    /// [`Group::compared_tasks`].
    fn compared_rows(&self) -> impl Iterator<Item = &Row> {
        let at = self.compared_tasks();
        self.rows
            .iter()
            .filter(move |r| at.is_none_or(|n| r.tasks == n))
    }

    /// The fastest row of each mode (noisy rows excluded), fastest first.
    pub fn best_per_mode(&self) -> Vec<&Row> {
        let mut best: Vec<&Row> = self
            .modes()
            .into_iter()
            .filter_map(|m| {
                self.compared_rows()
                    .filter(|r| r.mode == m && !r.noisy)
                    .min_by(|a, b| a.median_ms.total_cmp(&b.median_ms))
            })
            .collect();
        best.sort_by(|a, b| a.median_ms.total_cmp(&b.median_ms));
        best
    }

    /// The rows of the group that are marked noisy.
    pub fn noisy_rows(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.noisy)
    }

    /// How many noisy rows ran faster than the best row that is not noise: when there are any,
    /// the baseline was too uneven to rank the modes at all.
    pub fn faster_noise(&self) -> usize {
        let Some(best) = self.fastest() else {
            return self.noisy_rows().count();
        };
        self.noisy_rows()
            .filter(|r| r.median_ms < best.median_ms)
            .count()
    }

    /// True when the sequential runs spread over more than the winner gained on their median.
    pub fn spread_hides_gain(&self) -> bool {
        match (self.baseline_spread(), self.baseline_ms, self.fastest()) {
            (Some(spread), Some(base), Some(w)) if w.mode != BASELINE => {
                spread > base - w.median_ms
            }
            _ => false,
        }
    }

    /// Max minus min of the baseline runs, when there are at least two.
    pub fn baseline_spread(&self) -> Option<f64> {
        if self.baseline_times.len() < 2 {
            return None;
        }
        let lo = self
            .baseline_times
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        let hi = self
            .baseline_times
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        Some(hi - lo)
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

/// (mode, workers, processes, tasks, reference): what makes two runs the same configuration.
type RowKey = (String, u64, Option<u64>, u64, bool);

/// Groups records into demos, workloads and rows, in the order they first appear, without
/// knowing the cores: the ideal of every row is then one per worker.
pub fn group(records: &[Record]) -> Vec<Demo> {
    group_on(records, None)
}

/// Groups records into demos, workloads and rows, in the order they first appear. `cores`
/// caps the ideal speedup of work that computes.
pub fn group_on(records: &[Record], cores: Option<u64>) -> Vec<Demo> {
    // Everything in first-appearance order (the runner runs demos in a deliberate order and
    // the report keeps it): per runtime and demo its workloads, per workload its
    // configurations and their runs.
    type Runs<'a> = Vec<(RowKey, Vec<&'a Record>)>;
    type Workloads<'a> = Vec<(String, (Runs<'a>, Vec<Skipped>))>;
    let mut demos: Vec<((String, String), Workloads)> = Vec::new();
    for rec in records {
        let workloads = slot(&mut demos, (rec.runtime(), rec.demo.clone()));
        let (runs, skipped) = slot(workloads, rec.workload().to_string());
        if let Some(why) = &rec.unavailable {
            let s = Skipped {
                mode: rec.mode.clone(),
                why: why.clone(),
            };
            if !skipped.contains(&s) {
                skipped.push(s);
            }
            continue;
        }
        let key: RowKey = (
            rec.mode.clone(),
            rec.workers,
            rec.processes,
            rec.task_count(),
            rec.reference,
        );
        slot(runs, key).push(rec);
    }

    demos
        .into_iter()
        .map(|((language, name), workloads)| {
            let mut groups: Vec<Group> = workloads
                .iter()
                .map(|(workload, (runs, skipped))| {
                    let mut g = build_group(&name, workload, &language, runs, cores);
                    g.skipped = skipped.clone();
                    g
                })
                .collect();
            share_orphan_references(&mut groups);
            Demo {
                name,
                language,
                groups,
            }
        })
        .collect()
}

/// A group holding only references (or skipped references) measured none of the demo's own
/// work: the tool ran on a workload the demo does not name, or without one. Its references are
/// compared against every workload of the demo instead, and the empty group goes.
fn share_orphan_references(groups: &mut Vec<Group>) {
    if groups.iter().all(|g| g.rows.is_empty()) {
        return;
    }
    let (orphans, mut kept): (Vec<Group>, Vec<Group>) =
        groups.drain(..).partition(|g| g.rows.is_empty());
    for orphan in orphans {
        for g in &mut kept {
            for r in &orphan.references {
                let mut r = r.clone();
                r.speedup = g
                    .baseline_ms
                    .filter(|_| r.median_ms > 0.0)
                    .map(|b| b / r.median_ms);
                g.references.push(r);
            }
            for s in &orphan.skipped {
                if !g.skipped.contains(s) {
                    g.skipped.push(s.clone());
                }
            }
        }
    }
    *groups = kept;
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

/// The median of the values that every record has, `None` when any lacks it.
fn median_of(recs: &[&Record], field: impl Fn(&Record) -> Option<f64>) -> Option<f64> {
    let values: Option<Vec<f64>> = recs.iter().map(|r| field(r)).collect();
    values.filter(|v| !v.is_empty()).map(|v| median(&v))
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
        tasks: first.task_count(),
        reference: first.reference,
        runs: recs.len(),
        failed_runs: recs.iter().filter(|r| !r.ok).count(),
        errors: recs.iter().filter_map(|r| r.errors).max().unwrap_or(0),
        median_ms: median(&times),
        min_ms: times.iter().copied().fold(f64::INFINITY, f64::min),
        max_ms: times.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        times,
        items: median(&items),
        bytes: median(&bytes),
        peak_rss_kb: median_of(recs, |r| r.peak_rss_kb.map(|k| k as f64)),
        cpu_ms: median_of(recs, |r| r.cpu_ms),
        speedup: None,
        ideal: None,
        noisy: false,
    }
}

/// Summarizes each configuration's runs, orders the rows, splits off the references and
/// computes the speedups, the ideals and which rows are noise.
fn build_group(
    demo: &str,
    workload: &str,
    language: &str,
    runs: &[(RowKey, Vec<&Record>)],
    cores: Option<u64>,
) -> Group {
    let kind = Kind::of(demo, workload);
    // The baseline pools every sequential run of the group, whatever worker count it was
    // started with: sequential code ignores --workers.
    let baseline_times: Vec<f64> = runs
        .iter()
        .filter(|((mode, _, _, _, reference), _)| mode == BASELINE && !reference)
        .flat_map(|(_, recs)| recs.iter().map(|r| r.wall_ms))
        .collect();
    let baseline_ms = (!baseline_times.is_empty()).then(|| median(&baseline_times));

    let (mut references, own): (Vec<Row>, Vec<Row>) = runs
        .iter()
        .map(|(_, recs)| summarize(recs))
        .partition(|r| r.reference);
    // Baseline first, then modes in first-appearance order, each by workers, processes, tasks.
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
        (at, r.workers, r.processes.unwrap_or(0), r.tasks)
    });
    for row in rows.iter_mut().chain(references.iter_mut()) {
        row.speedup = baseline_ms
            .filter(|_| row.median_ms > 0.0)
            .map(|b| b / row.median_ms);
    }
    for row in rows.iter_mut().filter(|r| r.mode != BASELINE) {
        // An event loop (asyncio on one thread, tokio on a few) overlaps every task's wait:
        // on waiting work its ideal is the tasks in flight, not its threads. cpu-vs-io starts
        // all its tasks at once, so its tasks in flight are its items; the crawler's --workers
        // already counts its requests in flight.
        let event_loop = matches!(row.mode.as_str(), "async" | "asyncio" | "tokio");
        let w = if event_loop && !kind.computes() && demo == "cpu-vs-io" {
            (row.workers as f64).max(row.items)
        } else {
            row.workers as f64
        };
        let ideal = match cores {
            Some(n) if kind.computes() => w.min(n as f64),
            _ => w,
        };
        row.ideal = Some(ideal);
        row.noisy = row.speedup.is_some_and(|s| s > ideal * (1.0 + PRECISION));
    }
    let python_version = runs
        .iter()
        .flat_map(|(_, recs)| recs.iter())
        .find_map(|r| r.python_version.clone());
    Group {
        demo: demo.to_string(),
        workload: workload.to_string(),
        language: language.to_string(),
        python_version,
        kind,
        rows,
        references,
        skipped: Vec::new(),
        baseline_ms,
        baseline_times,
    }
}

mod row;
#[cfg(test)]
mod tests;
