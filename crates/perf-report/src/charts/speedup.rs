//! The speedup chart: speedup over sequential by workers, each mode's series beside the ideal,
//! which is drawn through the same worker counts as the data (one per worker, capped at the
//! cores for work that computes), and the 1× of the baseline.

use anyhow::Result;
use plotters::prelude::*;

use super::axes::x_axis;
use super::draw::{
    draw_cores, draw_shifted, horizontal, noise_rings, plot_err, BASELINE_COLOR, GUIDE_COLOR,
    REFERENCE_STYLES,
};
use super::series::{points, series};
use super::time::plot_linear;
use crate::format::{fmt_x, plural};
use crate::stats::{Group, BASELINE};

/// The ideal speedup at `workers`: one per worker, capped at the cores for work that computes.
fn ideal(g: &Group, workers: u64, cores: Option<u64>) -> f64 {
    match cores {
        Some(n) if g.kind.computes() => workers.min(n) as f64,
        _ => workers as f64,
    }
}

/// The takeaway: the best speedup that is not noise, against its ideal, and what the cores did.
fn takeaway(g: &Group, cores: Option<u64>) -> String {
    let best = g
        .rows
        .iter()
        .filter(|r| r.mode != BASELINE && !r.noisy)
        .filter_map(|r| Some((r, r.speedup?)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let noisy = g.noisy_rows().count();
    let mut s = match best {
        Some((r, x)) => format!(
            "`{}` peaked at {} with {} ({:.0}% of its ideal)",
            r.label(),
            fmt_x(x),
            plural(r.workers, "worker"),
            x / ideal(g, r.workers, cores) * 100.0
        ),
        None => "No speedup within the ideal".to_string(),
    };
    match (cores, best) {
        (Some(n), _) if g.kind.computes() => s.push_str(&format!(
            "; work that computes stops at the {}",
            plural(n, "core")
        )),
        (Some(n), Some((r, x))) if r.workers > n && x > n as f64 => s.push_str(&format!(
            "; waiting work kept gaining past the {}",
            plural(n, "core")
        )),
        _ => {}
    }
    if noisy > 0 {
        s.push_str(&format!(
            "; {noisy} point{} above the ideal {} noise",
            if noisy == 1 { "" } else { "s" },
            if noisy == 1 { "is" } else { "are" }
        ));
    }
    s.push('.');
    s
}

/// The ideal's points: one at every worker count measured (and at 1), so the ideal passes
/// straight above or below each data point.
pub(super) fn ideal_points(g: &Group, cores: Option<u64>) -> Vec<(f64, f64)> {
    let mut counts: Vec<u64> = g
        .rows
        .iter()
        .filter(|r| r.mode != BASELINE)
        .map(|r| r.workers)
        .collect();
    counts.push(1);
    counts.sort_unstable();
    counts.dedup();
    counts
        .iter()
        .map(|&w| ((w as f64).log2(), ideal(g, w, cores)))
        .collect()
}

pub(super) fn speedup_chart(g: &Group, cores: Option<u64>) -> Result<String> {
    let x = x_axis(g, cores);
    let ideal_pts = ideal_points(g, cores);
    let best = g
        .rows
        .iter()
        .chain(&g.references)
        .filter_map(|r| r.speedup)
        .chain(ideal_pts.iter().map(|p| p.1))
        .fold(1.0f64, f64::max);
    let y_max = best * 1.12;
    let title = format!("{} · {}: speedup over sequential", g.demo, g.workload);
    let s = series(g);
    let points = points(&s, |r| Some(((r.workers as f64).log2(), r.speedup?)));
    plot_linear(
        &title,
        &takeaway(g, cores),
        &x,
        y_max,
        "speedup over sequential (×, medians)",
        |chart, legend| {
            draw_cores(chart, legend, cores, &x, &(0.0..y_max))?;
            // The ideal through the worker counts measured, with a small mark at each, so that
            // every data point has its ideal straight above or below it.
            chart
                .draw_series(DashedLineSeries::new(
                    ideal_pts.clone(),
                    6,
                    4,
                    GUIDE_COLOR.stroke_width(2),
                ))
                .map_err(plot_err)?;
            chart
                .draw_series(
                    ideal_pts
                        .iter()
                        .map(|p| Circle::new(*p, 3, GUIDE_COLOR.filled())),
                )
                .map_err(plot_err)?;
            let what = if g.kind.computes() && cores.is_some() {
                "ideal (up to the cores)"
            } else {
                "ideal (speedup = workers)"
            };
            legend.guide(what, GUIDE_COLOR, (6, 4));
            horizontal(chart, &x, 1.0, BASELINE_COLOR, (8, 5))?;
            legend.guide("sequential (1×)", BASELINE_COLOR, (8, 5));
            for (i, r) in g.references.iter().enumerate() {
                if let Some(v) = r.speedup {
                    let (color, dash) = REFERENCE_STYLES[i % REFERENCE_STYLES.len()];
                    horizontal(chart, &x, v, color, dash)?;
                    legend.guide(&format!("{} (reference)", r.mode), color, dash);
                }
            }
            let mut noisy = Vec::new();
            let spans = (y_max, x.range.end - x.range.start);
            draw_shifted(chart, legend, &s, &points, spans, |_, s, pts, _| {
                let with_speedup = s.rows.iter().filter(|r| r.speedup.is_some());
                noisy.extend(
                    with_speedup
                        .zip(pts)
                        .filter(|(r, _)| r.noisy)
                        .map(|(_, p)| *p),
                );
                Ok(())
            })?;
            if !noisy.is_empty() {
                noise_rings(chart, &noisy)?;
                legend.noise();
            }
            Ok(())
        },
    )
}
