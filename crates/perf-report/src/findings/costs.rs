//! What more workers and processes cost: whether workers beyond the cores paid off for the
//! winning mode, and how far each process-based mode fell behind its thread-based counterpart.

use crate::evidence::{self, Verdict};
use crate::format::{fmt_ms, fmt_x};
use crate::stats::{Group, Row, BASELINE};

use super::words::gap_range;

/// Pairs of (process-based mode, the thread-based mode it is the counterpart of).
const PROCESS_VS_THREAD: [(&str, &str); 5] = [
    ("processes", "threads"),
    ("process-pool", "thread-pool"),
    ("process-per-task", "thread-per-task"),
    ("timely", "processes"),
    ("process-per-task", "threading"),
];

/// Whether workers beyond the logical core count paid off for the winning mode: they do when
/// the workers mostly wait (I/O), they do not when they compute.
pub(super) fn beyond_cores(g: &Group, cores: Option<u64>) -> Option<String> {
    let n = cores?;
    let fastest = g.fastest()?;
    if fastest.mode == BASELINE {
        return None;
    }
    let s = fastest.speedup?;
    let rows: Vec<&Row> = g
        .rows_of(&fastest.mode)
        .filter(|r| r.speedup.is_some())
        .collect();
    let cores_phrase = format!("{n} logical core{}", if n == 1 { "" } else { "s" });
    let mode = &fastest.mode;
    if fastest.workers > n {
        // The winner ran with more workers than cores: how much did that add over the
        // largest count that fits the cores?
        let Some(at_n) = rows
            .iter()
            .filter(|r| r.workers <= n)
            .max_by_key(|r| r.workers)
        else {
            return (s > n as f64 * 1.1).then(|| {
                format!(
                    "A {} speedup is more than {cores_phrase} can give to computation alone: the workers overlap their waiting.",
                    fmt_x(s)
                )
            });
        };
        let a = at_n.speedup?;
        if s > a * 1.15 {
            // Only work that waits can go faster than the cores allow; short of that, the gain
            // may be a better-balanced split, and is reported as a gain only.
            let why = if s > n as f64 * 1.1 {
                ", so its workers spend most of their time waiting rather than computing"
            } else {
                ""
            };
            Some(format!(
                "More workers than the {cores_phrase} kept paying off: `{mode}` went from {} with {} workers to {} with {}{why}.",
                fmt_x(a),
                at_n.workers,
                fmt_x(s),
                fastest.workers
            ))
        } else {
            Some(format!(
                "Past the {cores_phrase}, more workers changed little (`{mode}`: {} with {} workers, {} with {}), as expected when the work keeps the cores busy.",
                fmt_x(a),
                at_n.workers,
                fmt_x(s),
                fastest.workers
            ))
        }
    } else {
        // The winner fit within the cores: what did the most workers measured do?
        let most = rows
            .iter()
            .filter(|r| r.workers > n)
            .max_by_key(|r| r.workers)?;
        let m = most.speedup?;
        // "Added overhead" only when the runs say the extra workers were slower for real.
        let verb = if m < s && evidence::compare(fastest, most).is_real() {
            "only added overhead"
        } else {
            "changed little"
        };
        Some(format!(
            "Past the {cores_phrase}, more workers {verb}: `{mode}` ran at {} with {} worker{} and {} with {}.",
            fmt_x(s),
            fastest.workers,
            if fastest.workers == 1 { "" } else { "s" },
            fmt_x(m),
            most.workers
        ))
    }
}

/// What processes cost next to threads (and an engine's processes next to plain ones), at the
/// worker count where the process-based mode did best, in all and per worker.
pub(super) fn process_costs(g: &Group) -> Vec<String> {
    let mut out = Vec::new();
    for (pm, tm) in PROCESS_VS_THREAD {
        // At each worker count both modes ran at, the fastest row of each.
        let mut common: Vec<(&Row, &Row)> = Vec::new();
        for p in g.rows_of(pm) {
            if common.iter().any(|(q, _)| q.workers == p.workers) {
                continue;
            }
            let best_p = fastest_at(g, pm, p.workers);
            if let (Some(bp), Some(bt)) = (best_p, fastest_at(g, tm, p.workers)) {
                common.push((bp, bt));
            }
        }
        // Compared where the process-based mode did best: its cost at its own best setting.
        let Some((p, t)) = common
            .iter()
            .min_by(|a, b| a.0.median_ms.total_cmp(&b.0.median_ms))
            .copied()
        else {
            continue;
        };
        let diff = p.median_ms - t.median_ms;
        let pct = diff / t.median_ms * 100.0;
        let at = format!(
            "at its best, with {} worker{}",
            p.workers,
            if p.workers == 1 { "" } else { "s" }
        );
        // The rows' labels: `timely 2×1` says which shape was compared.
        let (pl, tl) = (p.label(), t.label());
        // Whether the gap is real is the runs' call, not a fixed percentage.
        let verdict = evidence::compare(p, t);
        let mut s = if verdict == Verdict::Tie {
            format!(
                "`{pl}` kept pace with `{tl}`: {at}, it took {} against {}, and their min–max \
                 ranges overlap.",
                fmt_ms(p.median_ms),
                fmt_ms(t.median_ms)
            )
        } else if diff > 0.0 {
            format!(
                "`{pl}` fell behind `{tl}`: {at}, it took {} against {}, {} ({pct:.0}%) more, about {} per worker.",
                fmt_ms(p.median_ms),
                fmt_ms(t.median_ms),
                fmt_ms(diff),
                fmt_ms(diff / p.workers as f64)
            )
        } else {
            format!(
                "`{pl}` beat `{tl}`: {at}, it took {} against {} ({:.0}% less).",
                fmt_ms(p.median_ms),
                fmt_ms(t.median_ms),
                -pct
            )
        };
        if let Verdict::TooFew { .. } = verdict {
            s.pop();
            s.push_str(", with too few runs to tell whether the gap is real.");
        }
        if common.len() > 1 {
            let pcts: Vec<f64> = common
                .iter()
                .map(|(p, t)| (p.median_ms - t.median_ms) / t.median_ms * 100.0)
                .collect();
            let lo = pcts.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = pcts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            s.push_str(&format!(
                " Across the {} worker counts both ran at, `{pm}` was {}.",
                common.len(),
                gap_range(lo, hi)
            ));
        }
        out.push(s);
    }
    out
}

/// The row of a mode to compare at a worker count: the fastest, except that an engine which
/// spreads workers over processes (timely) is taken with one process per worker where it ran
/// so, to compare processes with processes.
fn fastest_at<'a>(g: &'a Group, mode: &'a str, workers: u64) -> Option<&'a Row> {
    let at = || g.rows_of(mode).filter(move |r| r.workers == workers);
    let fastest = |rows: Vec<&'a Row>| {
        rows.into_iter()
            .min_by(|a, b| a.median_ms.total_cmp(&b.median_ms))
    };
    fastest(at().filter(|r| r.processes == Some(workers)).collect())
        .or_else(|| fastest(at().collect()))
}
