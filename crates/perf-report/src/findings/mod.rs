//! The findings paragraphs: what the numbers of a table say, written out as sentences.
//!
//! Every sentence is chosen and filled in from the medians (which mode was fastest and by how
//! much, how each mode scaled against the ideal, whether workers beyond the core count paid off,
//! what processes cost next to threads, how the demo fared against an outside tool), so that a
//! new run on another machine rewrites its own conclusions. Nothing here is written in advance.

use crate::report::{fmt_ms, fmt_x};
use crate::stats::{Demo, Group, Row, BASELINE};

mod words;
use words::{compare, config, describe, faster_by, gap_range, join_and, longer_by, TIE};

/// Pairs of (process-based mode, the thread-based mode it is the counterpart of).
const PROCESS_VS_THREAD: [(&str, &str); 4] = [
    ("processes", "threads"),
    ("process-pool", "thread-pool"),
    ("process-per-task", "thread-per-task"),
    ("timely", "processes"),
];

/// The findings paragraph of one table. `cores` is the machine's logical CPU count, if known.
pub fn group_findings(g: &Group, cores: Option<u64>) -> String {
    let mut sentences: Vec<String> = Vec::new();
    sentences.extend(winner(g));
    sentences.extend(scaling(g, cores));
    sentences.extend(above_ideal(g));
    sentences.extend(beyond_cores(g, cores));
    sentences.extend(process_costs(g));
    sentences.extend(references(g));
    sentences.extend(failures(g));
    sentences.join(" ")
}

/// A sentence comparing workloads of one demo that ran on the same input (same items and
/// bytes), such as the two parsers of process-crunch. `None` when no two workloads share one.
pub fn demo_findings(demo: &Demo) -> Option<String> {
    let mut out = Vec::new();
    for (i, a) in demo.groups.iter().enumerate() {
        for b in &demo.groups[i + 1..] {
            let same_input = a.items() > 0.0
                && a.bytes() > 0.0
                && a.items() == b.items()
                && a.bytes() == b.bytes();
            let (Some(fa), Some(fb)) = (a.fastest(), b.fastest()) else {
                continue;
            };
            if !same_input {
                continue;
            }
            let (fast, slow, ff, fs) = if fa.median_ms <= fb.median_ms {
                (a, b, fa, fb)
            } else {
                (b, a, fb, fa)
            };
            let mut s = format!(
                "On the same input, the `{}` workload's best run ({}, {}) was {} than `{}`'s best ({}, {})",
                fast.workload,
                config(ff),
                fmt_ms(ff.median_ms),
                faster_by(fs.median_ms / ff.median_ms),
                slow.workload,
                config(fs),
                fmt_ms(fs.median_ms),
            );
            if let (Some(sa), Some(sb)) = (fast.baseline_ms, slow.baseline_ms) {
                s.push_str(&format!(
                    "; sequentially, {} against {} ({})",
                    fmt_ms(sa),
                    fmt_ms(sb),
                    faster_by(sb / sa)
                ));
            }
            s.push('.');
            out.push(s);
        }
    }
    (!out.is_empty()).then(|| out.join(" "))
}

/// Which configuration won, against the baseline and against the best of the other modes.
fn winner(g: &Group) -> Option<String> {
    let fastest = g.fastest()?;
    if g.rows.iter().all(|r| r.mode == BASELINE) {
        return Some(format!(
            "Only the sequential baseline was measured here: {} per run.",
            fmt_ms(fastest.median_ms)
        ));
    }
    let mut s = if fastest.mode == BASELINE {
        let closest = g
            .rows
            .iter()
            .filter(|r| r.mode != BASELINE)
            .min_by(|a, b| a.median_ms.total_cmp(&b.median_ms))?;
        return Some(format!(
            "No parallel mode beat the sequential baseline ({}): the closest, {}, took {}, {}.",
            fmt_ms(fastest.median_ms),
            config(closest),
            fmt_ms(closest.median_ms),
            longer_by(closest.median_ms / fastest.median_ms)
        ));
    } else {
        match (g.baseline_ms, fastest.speedup) {
            (Some(base), Some(speedup)) => format!(
                "The fastest configuration was **{}**: {} against {} for the sequential baseline, a {} speedup.",
                config(fastest),
                fmt_ms(fastest.median_ms),
                fmt_ms(base),
                fmt_x(speedup)
            ),
            _ => format!(
                "The fastest configuration was **{}** at {} (no sequential baseline was measured to compare with).",
                config(fastest),
                fmt_ms(fastest.median_ms)
            ),
        }
    };
    let runner_up = g
        .rows
        .iter()
        .filter(|r| r.mode != fastest.mode && r.mode != BASELINE)
        .min_by(|a, b| a.median_ms.total_cmp(&b.median_ms));
    if let Some(r) = runner_up {
        let ratio = r.median_ms / fastest.median_ms;
        if ratio < 1.0 + TIE {
            s.push_str(&format!(
                " The best other mode, {} ({}), was within 3% of it: a tie within measurement noise.",
                config(r),
                fmt_ms(r.median_ms)
            ));
        } else {
            s.push_str(&format!(
                " The best other mode, {} ({}), took {}.",
                config(r),
                fmt_ms(r.median_ms),
                longer_by(ratio)
            ));
        }
    }
    Some(s)
}

/// The best speedup of each parallel mode against the ideal of one per worker (its parallel
/// efficiency), and, where the workers outnumber the cores and the work stayed within what the
/// cores can give, against the cores.
fn scaling(g: &Group, cores: Option<u64>) -> Option<String> {
    g.baseline_ms?;
    // Work whose speedup never passed the cores is treated as CPU-bound: for it, the cores
    // and not the workers are the ideal.
    let cpu_bound = |n: u64| {
        g.rows
            .iter()
            .filter_map(|r| r.speedup)
            .all(|s| s <= n as f64 * 1.1)
    };
    let parts: Vec<String> = g
        .modes()
        .into_iter()
        .filter(|m| *m != BASELINE)
        .filter_map(|m| {
            let (best, speedup) = g
                .rows_of(m)
                .filter_map(|r| Some((r, r.speedup?)))
                .max_by(|a, b| a.1.total_cmp(&b.1))?;
            let w = best.workers;
            let mut s = format!(
                "{} {} with {w} worker{} ({:.0}% of the ideal {w}×",
                describe(best),
                fmt_x(speedup),
                if w == 1 { "" } else { "s" },
                speedup / w as f64 * 100.0
            );
            if let Some(n) = cores.filter(|&n| w > n && cpu_bound(n)) {
                s.push_str(&format!(
                    ", {:.0}% of the {n} core{}",
                    speedup / n as f64 * 100.0,
                    if n == 1 { "" } else { "s" }
                ));
            }
            s.push(')');
            Some(s)
        })
        .collect();
    match parts.len() {
        0 => None,
        1 => Some(format!("Best speedup: {}.", parts[0])),
        _ => Some(format!("Best speedup per mode: {}.", join_and(&parts))),
    }
}

/// A speedup above the ideal (more than one per worker) is not something a parallel mode can
/// earn: it means the sequential baseline ran slow in some of its runs, as happens on a shared
/// or noisy machine. Say so, with the baseline's spread, so that nobody reads it as a result.
fn above_ideal(g: &Group) -> Option<String> {
    let base = g.rows_of(BASELINE).next()?;
    let (row, speedup) = g
        .rows
        .iter()
        .filter(|r| r.mode != BASELINE && !r.reference)
        .filter_map(|r| Some((r, r.speedup?)))
        .filter(|(r, s)| *s > r.workers as f64 * 1.05)
        .max_by(|a, b| (a.1 / a.0.workers as f64).total_cmp(&(b.1 / b.0.workers as f64)))?;
    let mut s = format!(
        "{} ran {} against the sequential median, more than its ideal of {}×, which parallelism \
         alone cannot do: the sequential runs were uneven ({} runs from {} to {}), so read the \
         speedups of this table as upper bounds",
        config(row),
        fmt_x(speedup),
        row.workers,
        base.runs,
        fmt_ms(base.min_ms),
        fmt_ms(base.max_ms),
    );
    if base.min_ms < base.median_ms {
        s.push_str(&format!(
            "; against the fastest sequential run it would be {}",
            fmt_x(base.min_ms / row.median_ms)
        ));
    }
    s.push('.');
    Some(s)
}

/// Whether workers beyond the logical core count paid off for the winning mode: they do when
/// the workers mostly wait (I/O), they do not when they compute.
fn beyond_cores(g: &Group, cores: Option<u64>) -> Option<String> {
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
        let verb = if m < s * (1.0 - TIE) {
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
fn process_costs(g: &Group) -> Vec<String> {
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
        let mut s = if pct.abs() < TIE * 100.0 {
            format!(
                "`{pl}` kept pace with `{tl}`: {at}, it was within 3% ({} against {}).",
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

/// The demo's best mode, and its baseline, against each outside tool.
fn references(g: &Group) -> Vec<String> {
    let Some(best) = g.fastest() else {
        return Vec::new();
    };
    g.references
        .iter()
        .map(|reference| {
            let mut s = format!(
                "Against the outside reference `{}` ({}), the best mode, {} ({}), was {}",
                reference.mode,
                fmt_ms(reference.median_ms),
                config(best),
                fmt_ms(best.median_ms),
                compare(best.median_ms, reference.median_ms)
            );
            if best.mode != BASELINE {
                if let Some(base) = g.baseline_ms {
                    s.push_str(&format!(
                        "; the sequential baseline ({}) was {}",
                        fmt_ms(base),
                        compare(base, reference.median_ms)
                    ));
                }
            }
            s.push('.');
            s
        })
        .collect()
}

/// A warning for every configuration with failed runs: their times may not be comparable.
fn failures(g: &Group) -> Vec<String> {
    g.rows
        .iter()
        .chain(&g.references)
        .filter(|r| r.failed_runs > 0)
        .map(|r| {
            let errors = if r.errors > 0 {
                format!(", up to {} errors in a run", r.errors)
            } else {
                String::new()
            };
            format!(
                "**Warning:** {} of {} runs of {} reported a failure (`ok: false`{errors}); check them before trusting their times.",
                r.failed_runs,
                r.runs,
                config(r)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::parse_records;
    use crate::stats::group;

    fn groups(lines: &[(&str, &str, u64, f64)]) -> Vec<Demo> {
        let text: Vec<String> = lines
            .iter()
            .map(|(workload, mode, workers, ms)| {
                format!(
                    r#"{{"demo":"d","workload":"{workload}","mode":"{mode}","workers":{workers},"items":1000,"bytes":5000,"wall_ms":{ms},"ok":true}}"#
                )
            })
            .collect();
        group(&parse_records(&text.join("\n"), "t").unwrap())
    }

    #[test]
    fn names_the_fastest_mode_and_the_runner_up() {
        let demos = groups(&[
            ("w", "sequential", 1, 400.0),
            ("w", "threads", 2, 210.0),
            ("w", "threads", 4, 200.0),
            ("w", "processes", 2, 250.0),
            ("w", "processes", 4, 260.0),
        ]);
        let text = group_findings(&demos[0].groups[0], Some(2));
        assert!(
            text.contains(
                "The fastest configuration was **`threads` with 4 workers**: 200 ms against 400 ms"
            ),
            "{text}"
        );
        assert!(text.contains("a 2.00× speedup"), "{text}");
        assert!(
            text.contains(
                "The best other mode, `processes` with 2 workers (250 ms), took 25% longer"
            ),
            "{text}"
        );
        assert!(
            text.contains("Best speedup per mode: `threads` 2.00× with 4 workers (50% of the ideal 4×, 100% of the 2 cores) and `processes` 1.60× with 2 workers (80% of the ideal 2×)."),
            "{text}"
        );
        // 4 workers on 2 cores: 1.90× -> 2.00×, under the 15% that would mean waiting work.
        assert!(
            text.contains("Past the 2 logical cores, more workers changed little (`threads`: 1.90× with 2 workers, 2.00× with 4)"),
            "{text}"
        );
        // processes vs threads where processes did best, 2 workers: 250 - 210 = 40 ms.
        assert!(
            text.contains("`processes` fell behind `threads`: at its best, with 2 workers, it took 250 ms against 210 ms, 40.0 ms (19%) more, about 20.0 ms per worker."),
            "{text}"
        );
        assert!(text.contains("Across the 2 worker counts both ran at, `processes` was between 19% and 30% slower."), "{text}");
    }

    #[test]
    fn a_speedup_above_the_ideal_is_called_out_as_a_slow_baseline() {
        let demos = groups(&[
            ("w", "sequential", 1, 400.0),
            ("w", "sequential", 1, 700.0),
            ("w", "sequential", 1, 650.0),
            ("w", "threads", 2, 200.0),
            ("w", "threads", 1, 410.0),
        ]);
        let text = group_findings(&demos[0].groups[0], Some(2));
        assert!(
            text.contains("`threads` with 2 workers ran 3.25× against the sequential median, more than its ideal of 2×"),
            "{text}"
        );
        assert!(text.contains("(3 runs from 400 ms to 700 ms)"), "{text}");
        assert!(
            text.contains("against the fastest sequential run it would be 2.00×"),
            "{text}"
        );

        // Within the ideal, nothing is said.
        let demos = groups(&[("w", "sequential", 1, 400.0), ("w", "threads", 2, 210.0)]);
        let text = group_findings(&demos[0].groups[0], Some(2));
        assert!(!text.contains("upper bounds"), "{text}");
    }

    #[test]
    fn io_bound_winner_beyond_the_cores() {
        let demos = groups(&[
            ("io", "sequential", 1, 1600.0),
            ("io", "threads", 2, 800.0),
            ("io", "threads", 32, 60.0),
        ]);
        let text = group_findings(&demos[0].groups[0], Some(2));
        assert!(text.contains("**`threads` with 32 workers**"), "{text}");
        assert!(text.contains("kept paying off"), "{text}");
        assert!(
            text.contains("Best speedup: `threads` 26.7× with 32 workers (83% of the ideal 32×)."),
            "{text}"
        );
    }

    #[test]
    fn timely_is_compared_with_processes_process_for_process() {
        let text = [
            r#"{"demo":"p","mode":"sequential","workers":1,"items":1,"bytes":0,"wall_ms":180,"ok":true}"#,
            r#"{"demo":"p","mode":"threads","workers":2,"items":1,"bytes":0,"wall_ms":90,"ok":true}"#,
            r#"{"demo":"p","mode":"processes","workers":2,"items":1,"bytes":0,"wall_ms":100,"ok":true}"#,
            r#"{"demo":"p","mode":"timely","workers":2,"processes":1,"items":1,"bytes":0,"wall_ms":80,"ok":true}"#,
            r#"{"demo":"p","mode":"timely","workers":2,"processes":2,"items":1,"bytes":0,"wall_ms":150,"ok":true}"#,
        ]
        .join("\n");
        let demos = group(&parse_records(&text, "t").unwrap());
        let text = group_findings(&demos[0].groups[0], Some(2));
        assert!(
            text.contains("`timely 2×1` fell behind `processes`: at its best, with 2 workers, it took 150 ms against 100 ms, 50.0 ms (50%) more, about 25.0 ms per worker."),
            "{text}"
        );
        assert!(
            text.contains("The fastest configuration was **`timely 1×2` with 2 workers**"),
            "{text}"
        );
    }

    #[test]
    fn cpu_bound_winner_within_the_cores() {
        let demos = groups(&[
            ("w", "sequential", 1, 100.0),
            ("w", "threads", 2, 50.0),
            ("w", "threads", 4, 60.0),
        ]);
        let text = group_findings(&demos[0].groups[0], Some(2));
        assert!(
            text.contains("Past the 2 logical cores, more workers only added overhead: `threads` ran at 2.00× with 2 workers and 1.67× with 4."),
            "{text}"
        );
    }

    #[test]
    fn sequential_winner_and_same_input_workloads() {
        let demos = groups(&[
            ("csv", "sequential", 1, 100.0),
            ("csv", "threads", 2, 130.0),
            ("fast", "sequential", 1, 40.0),
            ("fast", "threads", 2, 25.0),
        ]);
        let text = group_findings(&demos[0].groups[0], None);
        assert!(
            text.starts_with("No parallel mode beat the sequential baseline (100 ms)"),
            "{text}"
        );
        let cross = demo_findings(&demos[0]).unwrap();
        assert_eq!(
            cross,
            "On the same input, the `fast` workload's best run (`threads` with 2 workers, 25.0 ms) \
             was 4.00× faster than `csv`'s best (`sequential`, 100 ms); sequentially, 40.0 ms \
             against 100 ms (2.50× faster)."
        );
    }
}
