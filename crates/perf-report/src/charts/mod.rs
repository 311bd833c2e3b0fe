//! The SVG charts, drawn with plotters: per (demo, workload) the median wall time of every mode
//! by worker count, and the speedup over sequential by worker count beside the ideal; for a
//! sweep over task counts (cpu-vs-io's `many`), wall time and peak memory by task count.
//!
//! Every series has its own colour, marker and dash pattern, so that none hides another even in
//! grey print, and series that coincide are shifted a little sideways. Models that start one
//! worker per task are single points, not lines. Each chart carries a generated one-line
//! takeaway under its title. `axes.rs` holds the scales and ticks, `draw.rs` the drawing
//! helpers and the legend, `time.rs` and `speedup.rs` the charts themselves.

use anyhow::Result;
use plotters::prelude::RGBColor;

use crate::stats::{Group, Row, BASELINE};

mod axes;
mod draw;
mod speedup;
mod time;

/// Colours of the modes (the "tab10" palette: distinct, and readable by most colour-blind eyes).
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// The marker shapes, one per series in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
    Cross,
    Ring,
}

const MARKERS: [Marker; 6] = [
    Marker::Circle,
    Marker::Square,
    Marker::Triangle,
    Marker::Diamond,
    Marker::Cross,
    Marker::Ring,
];

/// Dash patterns (dash, gap in pixels), one per series in turn; `None` is a solid line.
const DASHES: [Option<(u32, u32)>; 4] = [None, Some((10, 5)), Some((4, 4)), Some((14, 4))];

/// How one series is drawn.
#[derive(Debug, Clone)]
pub struct Style {
    pub color: RGBColor,
    pub marker: Marker,
    pub dash: Option<(u32, u32)>,
    /// Points only, no line: a model that starts one worker per task has one point per task
    /// count, and a line through its points would suggest a sweep that never ran.
    pub points_only: bool,
}

/// One line (or point set) of a chart: a mode, or a process shape of an engine.
pub struct Series<'a> {
    pub name: String,
    pub style: Style,
    pub rows: Vec<&'a Row>,
}

/// True for models that start one thread or process per task.
pub fn per_task(mode: &str) -> bool {
    mode.ends_with("per-task") || mode == "threading"
}

/// True when the group sweeps the task count rather than the workers: the x axis is then N.
pub fn sweeps_tasks(g: &Group) -> bool {
    g.modes().into_iter().any(|m| {
        let mut tasks: Vec<u64> = g.rows_of(m).map(|r| r.tasks).filter(|n| *n > 0).collect();
        tasks.dedup();
        tasks.len() > 1
    })
}

/// Each series' points: `at` of each of its rows, where it has one.
fn points(s: &[Series], at: impl Fn(&Row) -> Option<(f64, f64)>) -> Vec<Vec<(f64, f64)>> {
    s.iter()
        .map(|s| s.rows.iter().filter_map(|r| at(r)).collect())
        .collect()
}

/// The series of a chart, by worker count (or task count for a task sweep), each with a style
/// kept the same in every chart of a group.
fn series(g: &Group) -> Vec<Series<'_>> {
    let tasks = sweeps_tasks(g);
    let mut out: Vec<Series> = Vec::new();
    for row in g.rows.iter().filter(|r| tasks || r.mode != BASELINE) {
        let key = row.series();
        match out.iter_mut().find(|s| s.name == key) {
            Some(s) => s.rows.push(row),
            None => {
                let i = out.len();
                out.push(Series {
                    name: key,
                    style: Style {
                        color: PALETTE[i % PALETTE.len()],
                        marker: MARKERS[i % MARKERS.len()],
                        dash: DASHES[i % DASHES.len()],
                        points_only: per_task(&row.mode) && !tasks,
                    },
                    rows: vec![row],
                });
            }
        }
    }
    for s in &mut out {
        s.rows
            .sort_by_key(|r| if tasks { r.tasks } else { r.workers });
    }
    out
}

/// The charts of a group, `(file name, alt text)`, in the order the report shows them.
pub fn chart_names(g: &Group) -> Vec<(String, String)> {
    let base = format!("{}-{}", slug(&g.demo), slug(&g.workload));
    let what = format!("{} {}", g.demo, g.workload);
    if sweeps_tasks(g) {
        let mut out = vec![(
            format!("{base}-time.svg"),
            format!("{what}: median wall time by task count"),
        )];
        if g.rows.iter().any(|r| r.peak_rss_kb.is_some()) {
            out.push((
                format!("{base}-memory.svg"),
                format!("{what}: peak memory by task count"),
            ));
        }
        return out;
    }
    let mut out = vec![(
        format!("{base}-time.svg"),
        format!("{what}: median wall time by mode and workers"),
    )];
    if g.baseline_ms.is_some() {
        out.push((
            format!("{base}-speedup.svg"),
            format!("{what}: speedup over sequential by workers"),
        ));
    }
    out
}

/// File name of a group's wall-time chart.
pub fn time_chart_name(g: &Group) -> String {
    chart_names(g).remove(0).0
}

/// File name of a group's speedup chart; `None` without a sequential baseline to divide by,
/// or for a sweep over task counts.
pub fn speedup_chart_name(g: &Group) -> Option<String> {
    chart_names(g)
        .into_iter()
        .map(|(n, _)| n)
        .find(|n| n.ends_with("-speedup.svg"))
}

/// Lower-case letters, digits and single dashes: safe in a file name and a URL.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() {
        "x".to_string()
    } else {
        out
    }
}

/// Renders every chart of a group: `(file name, SVG text)` pairs.
pub fn render_charts(g: &Group, cores: Option<u64>) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (name, _) in chart_names(g) {
        let svg = if name.ends_with("-speedup.svg") {
            speedup::speedup_chart(g, cores)?
        } else if name.ends_with("-memory.svg") {
            time::memory_chart(g)?
        } else {
            time::time_chart(g, cores)?
        };
        out.push((name, svg));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
