//! The wall-time chart (median by workers, or by task count for a task sweep, with min–max
//! bars, the baseline and outside references as dashed lines) and the peak-memory chart of a
//! task sweep.

use anyhow::Result;
use plotters::prelude::*;

use super::axes::{linear_ticks, log_ticks, tasks_axis, trim_number, x_axis, Axis, XAxis};
use super::draw::{
    configure_mesh, count_label, draw_cores, draw_shifted, horizontal, plot_err, split, Legend,
    BASELINE_COLOR, REFERENCE_STYLES, SIZE,
};
use super::series::{points, series, sweeps_tasks, Series};
use crate::evidence::Verdict;
use crate::format::{fmt_kib, fmt_ms};
use crate::stats::Group;
use crate::summary::verdict;

const WORKERS_DESC: &str = "workers (threads or processes, log scale)";
const TASKS_DESC: &str = "tasks started (N, log scale)";

/// A y scale for positive values: log when they span more than a factor of 20.
struct YScale {
    range: std::ops::Range<f64>,
    ticks: Vec<f64>,
    log: bool,
    div: f64,
}

impl YScale {
    fn new(values: &[f64], div: f64) -> YScale {
        let (min, max) = values
            .iter()
            .filter(|v| **v > 0.0)
            .fold((f64::INFINITY, 0f64), |(lo, hi), v| {
                (lo.min(*v), hi.max(*v))
            });
        let (min, max) = if max > 0.0 { (min, max) } else { (1.0, 1.0) };
        let log = max / min > 20.0;
        if log {
            let (lo, hi) = ((min / div).log10(), (max / div).log10());
            let pad = (hi - lo) * 0.08;
            let (lo, hi) = (lo - pad, hi + pad);
            YScale {
                range: lo..hi,
                ticks: log_ticks(lo, hi),
                log,
                div,
            }
        } else {
            let hi = max / div * 1.12;
            YScale {
                range: 0.0..hi,
                ticks: linear_ticks(hi),
                log,
                div,
            }
        }
    }

    /// The scale of `values` in the largest of `units` that the biggest value is more than two
    /// of, and the axis' description: "median wall time (s, log scale)". `units`: (size in the
    /// values' own unit, name), largest first; the last, the values' own unit, is the fallback.
    fn in_unit(values: &[f64], what: &str, units: &[(f64, &str)]) -> (YScale, String) {
        let max = values.iter().copied().fold(0f64, f64::max);
        let (div, unit) = units
            .iter()
            .copied()
            .find(|&(div, _)| max > 2.0 * div)
            .unwrap_or(units[units.len() - 1]);
        let y = YScale::new(values, div);
        let desc = format!("{what} ({unit}{})", if y.log { ", log scale" } else { "" });
        (y, desc)
    }

    fn to_y(&self, v: f64) -> f64 {
        let v = v / self.div;
        if self.log {
            v.max(1e-9).log10()
        } else {
            v
        }
    }

    fn label(&self, v: &f64) -> String {
        trim_number(if self.log { 10f64.powf(*v) } else { *v })
    }
}

/// The x of a row: log2 of its workers, or of its tasks in a task sweep.
fn x_of(tasks: bool) -> impl Fn(&crate::stats::Row) -> f64 {
    move |r| {
        if tasks {
            (r.tasks.max(1) as f64).log2()
        } else {
            (r.workers as f64).log2()
        }
    }
}

/// The takeaway of a wall-time chart: who was fastest, and whether the lead is real.
fn time_takeaway(g: &Group, tasks: bool) -> String {
    if tasks {
        let most = g.rows.iter().map(|r| r.tasks).max().unwrap_or(0);
        let at: Vec<_> = g.rows.iter().filter(|r| r.tasks == most).collect();
        let fast = at.iter().min_by(|a, b| a.median_ms.total_cmp(&b.median_ms));
        let slow = at.iter().max_by(|a, b| a.median_ms.total_cmp(&b.median_ms));
        return match (fast, slow) {
            (Some(f), Some(s)) if f.mode != s.mode => format!(
                "At {most} tasks, `{}` took {} and `{}` {}.",
                f.label(),
                fmt_ms(f.median_ms),
                s.label(),
                fmt_ms(s.median_ms)
            ),
            (Some(f), _) => format!(
                "At {most} tasks, `{}` took {}.",
                f.label(),
                fmt_ms(f.median_ms)
            ),
            _ => String::new(),
        };
    }
    let n = g.faster_noise();
    if n > 0 {
        return format!(
            "Too uneven to rank: {n} faster point{} above the ideal speedup (see the table).",
            if n == 1 { " is" } else { "s are" }
        );
    }
    let Some(best) = g.fastest() else {
        return String::new();
    };
    let head = format!(
        "Fastest: `{}` ×{}, {}",
        best.label(),
        best.workers,
        fmt_ms(best.median_ms)
    );
    match verdict(g) {
        Some((_, r, Verdict::Real { .. })) => {
            format!(
                "{head}, a real lead over `{}` ({}).",
                r.label(),
                fmt_ms(r.median_ms)
            )
        }
        Some((_, r, Verdict::Tie)) => {
            format!(
                "{head}, a tie with `{}` ({}).",
                r.label(),
                fmt_ms(r.median_ms)
            )
        }
        Some((_, r, Verdict::TooFew { .. })) => format!(
            "{head}; too few runs to tell it from `{}` ({}).",
            r.label(),
            fmt_ms(r.median_ms)
        ),
        None => format!("{head}."),
    }
}

/// Median wall time by workers (or tasks): one series per mode with min–max bars, the
/// baseline and outside references as dashed horizontal lines.
pub(super) fn time_chart(g: &Group, cores: Option<u64>) -> Result<String> {
    let tasks = sweeps_tasks(g);
    let x = if tasks {
        tasks_axis(g)
    } else {
        x_axis(g, cores)
    };
    let all: Vec<f64> = g
        .rows
        .iter()
        .chain(&g.references)
        .flat_map(|r| [r.min_ms, r.max_ms])
        .collect();
    // Seconds when the slowest run takes more than two seconds, else milliseconds.
    let (y, y_desc) = YScale::in_unit(&all, "median wall time", &[(1000.0, "s"), (1.0, "ms")]);
    let title = format!(
        "{} · {}: wall time by {}",
        g.demo,
        g.workload,
        if tasks { "tasks" } else { "workers" }
    );
    let s = series(g);
    let points = points(&s, |r| Some((x_of(tasks)(r), y.to_y(r.median_ms))));
    let desc = if tasks { TASKS_DESC } else { WORKERS_DESC };
    plot(
        &title,
        &time_takeaway(g, tasks),
        &x,
        &y,
        desc,
        &y_desc,
        |chart, legend| {
            if !tasks {
                draw_cores(chart, legend, cores, &x, &y.range)?;
                if let Some(base) = g.baseline_ms {
                    horizontal(chart, &x, y.to_y(base), BASELINE_COLOR, (8, 5))?;
                    legend.guide("sequential (baseline)", BASELINE_COLOR, (8, 5));
                }
            }
            for (i, r) in g.references.iter().enumerate() {
                let (color, dash) = REFERENCE_STYLES[i % REFERENCE_STYLES.len()];
                horizontal(chart, &x, y.to_y(r.median_ms), color, dash)?;
                legend.guide(&format!("{} (reference)", r.mode), color, dash);
            }
            let spans = (y.range.end - y.range.start, x.range.end - x.range.start);
            draw_shifted(chart, legend, &s, &points, spans, |chart, s, _, dx| {
                bars(chart, s, &y, dx, tasks)
            })
        },
    )
}

/// Min–max bars at every point of a series.
fn bars(
    chart: &mut super::draw::Chart,
    s: &Series,
    y: &YScale,
    dx: f64,
    tasks: bool,
) -> Result<()> {
    chart
        .draw_series(s.rows.iter().map(|r| {
            ErrorBar::new_vertical(
                x_of(tasks)(r) + dx,
                y.to_y(r.min_ms),
                y.to_y(r.median_ms),
                y.to_y(r.max_ms),
                s.style.color.stroke_width(1),
                8,
            )
        }))
        .map_err(plot_err)?;
    Ok(())
}

/// Peak resident memory by task count, one series per mode.
pub(super) fn memory_chart(g: &Group) -> Result<String> {
    let x = tasks_axis(g);
    let kib: Vec<f64> = g.rows.iter().filter_map(|r| r.peak_rss_kb).collect();
    let units = [(1024.0 * 1024.0, "GiB"), (1024.0, "MiB"), (1.0, "KiB")];
    let (y, y_desc) = YScale::in_unit(&kib, "peak resident memory", &units);
    let s = series(g);
    let points = points(&s, |r| Some((x_of(true)(r), y.to_y(r.peak_rss_kb?))));
    let most = g.rows.iter().map(|r| r.tasks).max().unwrap_or(0);
    let at: Vec<_> = g
        .rows
        .iter()
        .filter(|r| r.tasks == most && r.peak_rss_kb.is_some())
        .collect();
    let lo = at.iter().min_by(|a, b| {
        a.peak_rss_kb
            .unwrap_or(0.0)
            .total_cmp(&b.peak_rss_kb.unwrap_or(0.0))
    });
    let hi = at.iter().max_by(|a, b| {
        a.peak_rss_kb
            .unwrap_or(0.0)
            .total_cmp(&b.peak_rss_kb.unwrap_or(0.0))
    });
    let takeaway = match (lo, hi) {
        (Some(l), Some(h)) => format!(
            "At {most} tasks, peak memory ran from {} (`{}`) to {} (`{}`).",
            fmt_kib(l.peak_rss_kb.unwrap_or(0.0)),
            l.label(),
            fmt_kib(h.peak_rss_kb.unwrap_or(0.0)),
            h.label()
        ),
        _ => String::new(),
    };
    let title = format!("{} · {}: peak memory by tasks", g.demo, g.workload);
    plot(
        &title,
        &takeaway,
        &x,
        &y,
        TASKS_DESC,
        &y_desc,
        |chart, legend| {
            let spans = (y.range.end - y.range.start, x.range.end - x.range.start);
            draw_shifted(chart, legend, &s, &points, spans, |_, _, _, _| Ok(()))
        },
    )
}

/// The frame every chart shares: title, takeaway, axes, legend; `body` draws the data.
fn plot(
    title: &str,
    takeaway: &str,
    x: &XAxis,
    y: &YScale,
    x_desc: &str,
    y_desc: &str,
    body: impl FnOnce(&mut super::draw::Chart, &mut Legend) -> Result<()>,
) -> Result<String> {
    let mut legend = Legend::default();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let (area, side) = split(&root, title, takeaway)?;
        let mut chart = ChartBuilder::on(&area)
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(70)
            .build_cartesian_2d(
                Axis::new(x.range.clone(), x.ticks.clone()),
                Axis::new(y.range.clone(), y.ticks.clone()),
            )
            .map_err(plot_err)?;
        let y_label = |v: &f64| y.label(v);
        configure_mesh(&mut chart, x_desc, y_desc, &count_label, &y_label)?;
        body(&mut chart, &mut legend)?;
        legend.draw(&side)?;
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

/// The frame, for the speedup chart: linear y from 0.
pub(super) fn plot_linear(
    title: &str,
    takeaway: &str,
    x: &XAxis,
    y_max: f64,
    y_desc: &str,
    body: impl FnOnce(&mut super::draw::Chart, &mut Legend) -> Result<()>,
) -> Result<String> {
    let y = YScale {
        range: 0.0..y_max,
        ticks: linear_ticks(y_max),
        log: false,
        div: 1.0,
    };
    plot(title, takeaway, x, &y, WORKERS_DESC, y_desc, body)
}
