//! The findings paragraphs: what the numbers of a table say, written out as sentences.
//!
//! Every sentence is chosen and filled in from the medians and the runs (which mode was fastest
//! and whether its lead is real, how each mode scaled against the ideal, which rows are noise,
//! whether workers beyond the core count paid off, what processes cost next to threads, how the
//! demo fared against an outside tool), so that a new run on another machine rewrites its own
//! conclusions. Nothing here is written in advance. `noise.rs` says what the runs cannot back,
//! `costs.rs` what more workers and processes cost, `tools.rs` the outside tools and failures.

use crate::evidence::{self, Verdict};
use crate::format::{fmt_ms, fmt_x, join_and, plural};
use crate::stats::{Demo, Group, BASELINE};

mod costs;
mod noise;
mod tools;
mod words;
use words::{config, describe, faster_by, longer_by, trim};

/// The findings paragraph of one table. `cores` is the machine's logical CPU count, if known.
pub fn group_findings(g: &Group, cores: Option<u64>) -> String {
    let mut sentences: Vec<String> = Vec::new();
    sentences.extend(winner(g));
    sentences.extend(scaling(g));
    sentences.extend(noise::above_ideal(g, cores));
    sentences.extend(noise::spread(g));
    sentences.extend(costs::beyond_cores(g, cores));
    sentences.extend(costs::process_costs(g));
    sentences.extend(tools::references(g));
    sentences.extend(tools::measured(g));
    sentences.extend(tools::failures(g));
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

/// Which configuration won, against the baseline and against the best of the other modes,
/// and whether the runs back the difference.
fn winner(g: &Group) -> Option<String> {
    let Some(fastest) = g.fastest() else {
        return Some(
            "Every parallel row's speedup is above its ideal, so none of them can be read as a \
             result (see below)."
                .to_string(),
        );
    };
    if g.rows.iter().all(|r| r.mode == BASELINE) {
        return Some(format!(
            "Only the sequential baseline was measured here: {} per run.",
            fmt_ms(fastest.median_ms)
        ));
    }
    let best = g.best_per_mode();
    let runner_up = best.iter().copied().find(|r| r.mode != fastest.mode);
    let faster_noise = g.faster_noise();
    if faster_noise > 0 && fastest.mode != BASELINE {
        return Some(format!(
            "The fastest row within its ideal was {} ({}), but {} faster row{} above {} \
             ideal: the sequential runs were too uneven to rank the modes here (see below).",
            config(fastest),
            fmt_ms(fastest.median_ms),
            faster_noise,
            if faster_noise == 1 { " is" } else { "s are" },
            if faster_noise == 1 { "its" } else { "their" }
        ));
    }
    if fastest.mode == BASELINE && faster_noise > 0 {
        return Some(format!(
            "The sequential runs were too uneven to rank the parallel modes here ({} median): \
             every row that beat it did so by more than its ideal (see below).",
            fmt_ms(fastest.median_ms)
        ));
    }
    if fastest.mode == BASELINE {
        let closest = runner_up?;
        return Some(format!(
            "No parallel mode beat the sequential baseline ({}): the closest, {}, took {}, {}.",
            fmt_ms(fastest.median_ms),
            config(closest),
            fmt_ms(closest.median_ms),
            with_verdict(
                &longer_by(closest.median_ms / fastest.median_ms),
                evidence::compare(fastest, closest)
            )
        ));
    }
    let mut s = match (g.baseline_ms, fastest.speedup) {
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
    };
    if let Some(r) = runner_up.filter(|r| r.mode != BASELINE) {
        s.push_str(&format!(
            " The best other mode, {} ({}), took {}.",
            config(r),
            fmt_ms(r.median_ms),
            with_verdict(
                &longer_by(r.median_ms / fastest.median_ms),
                evidence::compare(fastest, r)
            )
        ));
    }
    Some(s)
}

/// "25% longer, a real difference (...)", "3% longer, a tie (...)".
fn with_verdict(gap: &str, v: Verdict) -> String {
    match v {
        Verdict::Real { .. } => format!("{gap}, a {} difference", v.explained()),
        Verdict::Tie => format!("{gap}, but a {}", v.explained()),
        Verdict::TooFew { .. } => format!("{gap}, but {}", v.explained()),
    }
}

/// The best speedup of each parallel mode against its ideal (one per worker, or per core for
/// work that computes): its parallel efficiency. Noisy rows are left out.
fn scaling(g: &Group) -> Option<String> {
    g.baseline_ms?;
    let parts: Vec<String> = g
        .modes()
        .into_iter()
        .filter(|m| *m != BASELINE)
        .filter_map(|m| {
            let (best, speedup) = g
                .rows_of(m)
                .filter(|r| !r.noisy)
                .filter_map(|r| Some((r, r.speedup?)))
                .max_by(|a, b| a.1.total_cmp(&b.1))?;
            let w = best.workers;
            let ideal = best.ideal.unwrap_or(w as f64);
            let mut s = format!(
                "{} {} with {} ({:.0}% of the ideal {}×",
                describe(best),
                fmt_x(speedup),
                plural(w, "worker"),
                speedup / ideal * 100.0,
                trim(ideal)
            );
            if ideal < w as f64 {
                s.push_str(", one per core");
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

#[cfg(test)]
mod tests;
