//! What the runs cannot back: speedups above the ideal, and a baseline whose own spread is
//! wider than the effect being read from it. Both are said in the findings so that nobody takes
//! noise for a result.

use crate::format::{fmt_ms, fmt_x, plural};
use crate::stats::Group;

use super::words::{config, trim};

/// A speedup above the ideal (more than one per worker, or per core for work that computes) is
/// not something a parallel mode can earn: it means the sequential baseline ran slow in some of
/// its runs, as happens on a shared machine. Every such row is marked noisy in the table and
/// left out of the fastest; this sentence says why, with the baseline's spread.
pub(super) fn above_ideal(g: &Group, cores: Option<u64>) -> Option<String> {
    let noisy: Vec<_> = g.noisy_rows().collect();
    let worst = noisy.iter().copied().max_by(|a, b| {
        let over = |r: &crate::stats::Row| r.speedup.unwrap_or(0.0) / r.ideal.unwrap_or(1.0);
        over(a).total_cmp(&over(b))
    })?;
    let ideal = worst.ideal.unwrap_or(worst.workers as f64);
    let per = match cores {
        Some(n) if g.kind.computes() && (n as f64) < worst.workers as f64 => {
            format!("one per core on {}", plural(n, "core"))
        }
        _ => "one per worker".to_string(),
    };
    let (lo, hi) = g
        .baseline_times
        .iter()
        .fold((f64::INFINITY, 0f64), |(lo, hi), t| {
            (lo.min(*t), hi.max(*t))
        });
    let runs = g.baseline_times.len() as u64;
    let why = if runs > 1 {
        format!(
            "the sequential runs were uneven ({} from {} to {})",
            plural(runs, "run"),
            fmt_ms(lo),
            fmt_ms(hi)
        )
    } else {
        "the sequential baseline ran once, so its noise is not even measured".to_string()
    };
    let mut s = format!(
        "{} ran {} against the sequential median, above its ideal of {}× ({per}), which \
         parallelism alone cannot do: {why}",
        config(worst),
        fmt_x(worst.speedup.unwrap_or(0.0)),
        trim(ideal),
    );
    if g.baseline_ms.is_some_and(|b| lo < b) {
        s.push_str(&format!(
            "; against the fastest sequential run it would be {}",
            fmt_x(lo / worst.median_ms)
        ));
    }
    if noisy.len() > 1 {
        s.push_str(&format!(
            ". {} rows of this table are above their ideal",
            noisy.len()
        ));
    }
    s.push_str(". They are marked *noisy* in the table and never counted as the fastest.");
    Some(s)
}

/// When the baseline's runs spread over more than the winner gained, the speedups of the table
/// are inside the baseline's own noise.
pub(super) fn spread(g: &Group) -> Option<String> {
    if !g.spread_hides_gain() {
        return None;
    }
    let best = g.fastest()?;
    let base = g.baseline_ms?;
    Some(format!(
        "The sequential runs spread over {}, wider than the best mode's gain of {} on their \
         median: the effects in this table are within the baseline's noise.",
        fmt_ms(g.baseline_spread()?),
        fmt_ms(base - best.median_ms)
    ))
}
