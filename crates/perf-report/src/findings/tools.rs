//! The outside tools a user would pick instead, what else the runs measured (CPU time per item,
//! peak memory), and warnings for failed runs.

use crate::evidence;
use crate::format::{fmt_kib, fmt_ms, fmt_tiny_ms};
use crate::kind::item_unit;
use crate::stats::{Group, BASELINE};

use super::words::{compare, config};

/// The demo's best mode, and its baseline, against each outside tool.
pub(super) fn references(g: &Group) -> Vec<String> {
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
            let v = evidence::compare(best, reference);
            if !v.is_real() {
                let but = if matches!(v, evidence::Verdict::Tie) {
                    "a "
                } else {
                    ""
                };
                s.push_str(&format!(", but {but}{}", v.explained()));
            }
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
        .chain(
            g.skipped
                .iter()
                .map(|t| format!("The outside tool `{}` was not measured: {}.", t.mode, t.why)),
        )
        .collect()
}

/// What the runs measured beside the time: CPU time per item (the crawler's `cpu_ms`) and
/// peak memory (`peak_rss_kb`), per mode at its fastest row, and for a sweep over task counts
/// at the largest count.
pub(super) fn measured(g: &Group) -> Vec<String> {
    let mut out = Vec::new();
    let unit = item_unit(&g.demo);
    let one = unit.trim_end_matches('s');
    let cpu: Vec<String> = g
        .best_per_mode()
        .into_iter()
        .filter(|r| r.items > 0.0)
        .filter_map(|r| {
            Some(format!(
                "{} {}",
                config(r),
                fmt_tiny_ms(r.cpu_ms? / r.items)
            ))
        })
        .collect();
    if !cpu.is_empty() {
        out.push(format!(
            "CPU time per {one} (user + system, at each mode's fastest run): {}.",
            cpu.join(", ")
        ));
    }
    // In a sweep, memory is compared at the count every mode ran (not at the largest, which
    // only async may reach), with the memory each further concurrent wait cost: the slope
    // between the smallest and that count, so that the process's fixed memory is left out.
    let most = g
        .compared_tasks()
        .unwrap_or_else(|| g.rows.iter().map(|r| r.tasks).max().unwrap_or(0));
    let rss: Vec<String> = g
        .modes()
        .into_iter()
        .filter_map(|m| {
            let fastest_at = |n: u64| {
                g.rows_of(m)
                    .filter(|r| r.tasks == n && r.peak_rss_kb.is_some())
                    .min_by(|a, b| a.median_ms.total_cmp(&b.median_ms))
            };
            let r = fastest_at(most)?;
            let kib = r.peak_rss_kb?;
            let least = g
                .rows_of(m)
                .filter(|r| r.tasks > 0 && r.peak_rss_kb.is_some())
                .map(|r| r.tasks)
                .min()
                .unwrap_or(most);
            let per_wait = match fastest_at(least).and_then(|lo| lo.peak_rss_kb) {
                Some(lo_kib) if least < most => {
                    let slope = (kib - lo_kib).max(0.0) / (most - least) as f64;
                    format!(" ({} per further wait, from N = {least})", fmt_kib(slope))
                }
                _ if most > 0 => format!(
                    " ({} per wait, fixed memory included)",
                    fmt_kib(kib / most as f64)
                ),
                _ => String::new(),
            };
            Some(format!("`{}` {}{per_wait}", r.label(), fmt_kib(kib)))
        })
        .collect();
    if !rss.is_empty() {
        out.push(format!("Peak memory at {most} tasks: {}.", rss.join(", ")));
    }
    out
}

/// A warning for every configuration with failed runs: their times may not be comparable.
pub(super) fn failures(g: &Group) -> Vec<String> {
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
