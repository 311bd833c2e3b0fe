//! The axes of the charts. Worker counts double from one configuration to the next (1, 2, 4,
//! ...), so the x axis is logarithmic: values are drawn at log2(workers) on a linear axis with a
//! tick at every worker count measured, labelled with the count itself. Wall times that span
//! more than a factor of 20 get a logarithmic y axis the same way (log10, ticks at 1-2-5).

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;

use crate::stats::{Group, BASELINE};

/// A linear f64 axis whose ticks are exactly the values given: the worker counts measured, or
/// 1-2-5 steps of a log axis. (plotters' own `with_key_points` wrapper loses the default
/// label formatting, so the axis is spelled out here.)
#[derive(Clone)]
pub(super) struct Axis {
    range: std::ops::Range<f64>,
    ticks: Vec<f64>,
}

impl Axis {
    pub(super) fn new(range: std::ops::Range<f64>, ticks: Vec<f64>) -> Self {
        Axis { range, ticks }
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        if span <= 0.0 {
            return (limit.0 + limit.1) / 2;
        }
        let frac = (value - self.range.start) / span;
        limit.0 + (frac * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

/// The x axis: log2 of the worker counts, a tick at each count measured (and at the cores).
pub(super) struct XAxis {
    pub(super) range: std::ops::Range<f64>,
    pub(super) ticks: Vec<f64>,
}

pub(super) fn x_axis(g: &Group, cores: Option<u64>) -> XAxis {
    let counts: Vec<u64> = g
        .rows
        .iter()
        .filter(|r| r.mode != BASELINE)
        .map(|r| r.workers)
        .collect();
    counts_axis(counts, cores, true)
}

/// The x axis of a task sweep: log2 of the task counts, a tick at each.
pub(super) fn tasks_axis(g: &Group) -> XAxis {
    counts_axis(g.rows.iter().map(|r| r.tasks.max(1)).collect(), None, false)
}

/// A log2 axis over the counts given (and 1, for worker counts), with a tick at each and at
/// the cores.
fn counts_axis(mut counts: Vec<u64>, cores: Option<u64>, from_one: bool) -> XAxis {
    if from_one || counts.is_empty() {
        counts.push(1);
    }
    counts.sort_unstable();
    counts.dedup();
    let lo = (counts[0] as f64).log2();
    let hi = (*counts.last().unwrap_or(&1) as f64).log2().max(lo + 1.0);
    let mut ticks: Vec<f64> = counts.iter().map(|&c| (c as f64).log2()).collect();
    if let Some(n) = cores {
        let at = (n as f64).log2();
        if at <= hi && !counts.contains(&n) {
            ticks.push(at);
        }
    }
    ticks.sort_by(f64::total_cmp);
    let pad = (hi - lo) * 0.06;
    XAxis {
        range: (lo - pad)..(hi + pad),
        ticks,
    }
}

/// The label of an x tick: the worker count it stands for.
pub(super) fn worker_label(x: &f64) -> String {
    format!("{}", x.exp2().round())
}

/// "Nice" linear ticks (1, 2 or 5 times a power of ten) covering 0..max.
pub(super) fn linear_ticks(max: f64) -> Vec<f64> {
    let raw = max / 8.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    (0..)
        .map(|i| i as f64 * step)
        .take_while(|v| *v <= max * 1.0001)
        .collect()
}

/// Ticks at 1, 2 and 5 times each power of ten, in log10 units, within lo..hi (log10 units).
pub(super) fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut out = Vec::new();
    for decade in (lo.floor() as i32)..=(hi.ceil() as i32) {
        for m in [1.0, 2.0, 5.0] {
            let v = (m * 10f64.powi(decade)).log10();
            if v >= lo && v <= hi {
                out.push(v);
            }
        }
    }
    out
}

/// A tick value without trailing zeros: 0.5, 2, 150, 0.02.
pub(super) fn trim_number(v: f64) -> String {
    // Enough decimals for two significant digits of small values (0.0005), three at most
    // otherwise.
    let decimals = if v != 0.0 && v.abs() < 0.01 {
        (-v.abs().log10()).ceil() as usize + 1
    } else {
        3
    };
    let s = format!("{v:.decimals$}");
    let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    if s == "-0" {
        "0".to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks() {
        assert_eq!(linear_ticks(2.3), [0.0, 0.5, 1.0, 1.5, 2.0]);
        assert_eq!(
            linear_ticks(1350.0),
            [0.0, 200.0, 400.0, 600.0, 800.0, 1000.0, 1200.0]
        );
        assert_eq!(trim_number(0.5), "0.5");
        assert_eq!(trim_number(150.0), "150");
        assert_eq!(trim_number(0.0005), "0.0005");
        assert_eq!(trim_number(0.002), "0.002");
        let t = log_ticks(1.0f64.log10(), 30.0f64.log10());
        let shown: Vec<String> = t.iter().map(|v| trim_number(10f64.powf(*v))).collect();
        assert_eq!(shown, ["1", "2", "5", "10", "20"]);
    }
}
