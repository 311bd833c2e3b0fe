//! A group's rows as the series of a chart, one per mode (or process shape), each with a colour,
//! marker and dash pattern of its own, kept the same in every chart of the group. A leaf of the
//! charts: the axes, the drawing helpers and the charts all read these.

use plotters::prelude::RGBColor;

use crate::stats::{Group, Row, BASELINE};

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
pub(super) fn points(
    s: &[Series],
    at: impl Fn(&Row) -> Option<(f64, f64)>,
) -> Vec<Vec<(f64, f64)>> {
    s.iter()
        .map(|s| s.rows.iter().filter_map(|r| at(r)).collect())
        .collect()
}

/// The series of a chart, by worker count (or task count for a task sweep), each with a style
/// kept the same in every chart of a group.
pub(super) fn series(g: &Group) -> Vec<Series<'_>> {
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
