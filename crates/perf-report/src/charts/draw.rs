//! Drawing helpers shared by the charts: the title and takeaway, the legend panel, a series
//! with its marker and dash pattern, dashed guides, and the sideways offset of series that
//! coincide.

use anyhow::{anyhow, Result};
use plotters::prelude::*;

use super::axes::{worker_label, Axis, XAxis};
use super::series::{Marker, Series, Style};

pub(super) const SIZE: (u32, u32) = (960, 500);
/// Width of the legend panel on the right of each chart.
const LEGEND_WIDTH: u32 = 230;
pub(super) const BASELINE_COLOR: RGBColor = RGBColor(60, 60, 60);
pub(super) const GUIDE_COLOR: RGBColor = RGBColor(150, 150, 150);
const CORES_COLOR: RGBColor = RGBColor(190, 190, 190);
/// Outside references (cp -r): colours no mode uses, each with its own dash pattern.
pub(super) const REFERENCE_STYLES: [(RGBColor, (u32, u32)); 3] = [
    (RGBColor(188, 189, 34), (8, 5)),
    (RGBColor(127, 127, 127), (3, 3)),
    (RGBColor(23, 100, 60), (12, 3)),
];

pub(super) type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Axis, Axis>>;
pub(super) type Area<'b> = DrawingArea<SVGBackend<'b>, plotters::coord::Shift>;

pub(super) fn plot_err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("drawing a chart failed: {e}")
}

/// The title across the top, the takeaway under it, then the plot on the left and a panel for
/// the legend on the right, so that the legend never hides a line.
pub(super) fn split<'b>(
    root: &Area<'b>,
    title: &str,
    takeaway: &str,
) -> Result<(Area<'b>, Area<'b>)> {
    let body = root.titled(title, ("sans-serif", 20)).map_err(plot_err)?;
    let (top, rest) = body.split_vertically(26);
    // Markdown backticks mean nothing in a picture.
    top.draw(&Text::new(
        takeaway.replace('`', ""),
        (16, 4),
        ("sans-serif", 14).into_font().color(&RGBColor(70, 70, 70)),
    ))
    .map_err(plot_err)?;
    Ok(rest.split_horizontally(SIZE.0 - LEGEND_WIDTH))
}

/// How a legend entry is drawn.
enum Entry {
    /// A data series: its dash pattern and its marker.
    Series(Style),
    /// A dashed guide (baseline, reference, ideal, cores).
    Guide(RGBColor, (u32, u32)),
}

/// The legend entries of a chart, drawn in their own panel.
#[derive(Default)]
pub(super) struct Legend {
    entries: Vec<(String, Entry)>,
}

impl Legend {
    pub(super) fn series(&mut self, label: &str, style: &Style) {
        self.entries
            .push((label.to_string(), Entry::Series(style.clone())));
    }

    pub(super) fn guide(&mut self, label: &str, color: RGBColor, dash: (u32, u32)) {
        self.entries
            .push((label.to_string(), Entry::Guide(color, dash)));
    }

    pub(super) fn draw(&self, area: &Area) -> Result<()> {
        for (i, (label, entry)) in self.entries.iter().enumerate() {
            let y = 40 + 22 * i as i32;
            match entry {
                Entry::Series(style) => {
                    if !style.points_only {
                        dashed_px(area, (4, y), (30, y), style.dash, style.color)?;
                    }
                    marker_px(area, (17, y), style.marker, style.color)?;
                }
                Entry::Guide(color, dash) => dashed_px(area, (4, y), (30, y), Some(*dash), *color)?,
            }
            area.draw(&Text::new(label.clone(), (38, y - 7), ("sans-serif", 13)))
                .map_err(plot_err)?;
        }
        Ok(())
    }
}

/// A short line in pixels, solid or dashed.
fn dashed_px(
    area: &Area,
    a: (i32, i32),
    b: (i32, i32),
    dash: Option<(u32, u32)>,
    color: RGBColor,
) -> Result<()> {
    let style = color.stroke_width(2);
    let Some((on, off)) = dash else {
        return area
            .draw(&PathElement::new(vec![a, b], style))
            .map_err(plot_err);
    };
    let mut x = a.0;
    while x < b.0 {
        let end = (x + on as i32).min(b.0);
        area.draw(&PathElement::new(vec![(x, a.1), (end, b.1)], style))
            .map_err(plot_err)?;
        x = end + off as i32;
    }
    Ok(())
}

/// A marker centred on a pixel position (the legend).
fn marker_px(area: &Area, at: (i32, i32), marker: Marker, color: RGBColor) -> Result<()> {
    let (fill, line) = (color.filled(), color.stroke_width(2));
    let e = EmptyElement::at(at);
    match marker {
        Marker::Circle => area.draw(&(e + Circle::new((0, 0), 4, fill))),
        Marker::Ring => area.draw(&(e + Circle::new((0, 0), 5, line))),
        Marker::Square => area.draw(&(e + Rectangle::new([(-4, -4), (4, 4)], fill))),
        Marker::Triangle => area.draw(&(e + Polygon::new(TRIANGLE.to_vec(), fill))),
        Marker::Diamond => area.draw(&(e + Polygon::new(DIAMOND.to_vec(), fill))),
        Marker::Cross => area.draw(&(e + Cross::new((0, 0), 5, line))),
    }
    .map_err(plot_err)
}

/// Marker outlines in pixels around their centre.
const TRIANGLE: [(i32, i32); 3] = [(0, -5), (5, 4), (-5, 4)];
const DIAMOND: [(i32, i32); 4] = [(0, -6), (5, 0), (0, 6), (-5, 0)];

/// A grey ring around each point whose speedup is above its ideal: it is drawn, but marked as
/// noise.
pub(super) fn noise_rings(chart: &mut Chart, points: &[(f64, f64)]) -> Result<()> {
    chart
        .draw_series(
            points.iter().map(|p| {
                EmptyElement::at(*p) + Circle::new((0, 0), 9, NOISE_COLOR.stroke_width(2))
            }),
        )
        .map_err(plot_err)?;
    Ok(())
}

pub(super) const NOISE_COLOR: RGBColor = RGBColor(120, 120, 120);

/// The legend entry of the noise rings.
impl Legend {
    pub(super) fn noise(&mut self) {
        self.entries.push((
            "above the ideal: noise".to_string(),
            Entry::Series(Style {
                color: NOISE_COLOR,
                marker: Marker::Ring,
                dash: None,
                points_only: true,
            }),
        ));
    }
}

/// The marker at every point of a series (data coordinates).
fn markers(
    chart: &mut Chart,
    points: &[(f64, f64)],
    marker: Marker,
    color: RGBColor,
) -> Result<()> {
    let (fill, line) = (color.filled(), color.stroke_width(2));
    let at = points.iter().map(|p| EmptyElement::at(*p));
    match marker {
        Marker::Circle => chart
            .draw_series(at.map(|e| e + Circle::new((0, 0), 4, fill)))
            .map(|_| ()),
        Marker::Ring => chart
            .draw_series(at.map(|e| e + Circle::new((0, 0), 5, line)))
            .map(|_| ()),
        Marker::Square => chart
            .draw_series(at.map(|e| e + Rectangle::new([(-4, -4), (4, 4)], fill)))
            .map(|_| ()),
        Marker::Triangle => chart
            .draw_series(at.map(|e| e + Polygon::new(TRIANGLE.to_vec(), fill)))
            .map(|_| ()),
        Marker::Diamond => chart
            .draw_series(at.map(|e| e + Polygon::new(DIAMOND.to_vec(), fill)))
            .map(|_| ()),
        Marker::Cross => chart
            .draw_series(at.map(|e| e + Cross::new((0, 0), 5, line)))
            .map(|_| ()),
    }
    .map_err(plot_err)
}

/// A series: its line in its dash pattern (unless it is points only), and its marker at every
/// measured point.
pub(super) fn draw_series(chart: &mut Chart, points: &[(f64, f64)], style: &Style) -> Result<()> {
    if !style.points_only && points.len() > 1 {
        let line = style.color.stroke_width(2);
        match style.dash {
            None => chart
                .draw_series(LineSeries::new(points.to_vec(), line))
                .map(|_| ()),
            Some((on, off)) => chart
                .draw_series(DashedLineSeries::new(points.to_vec(), on, off, line))
                .map(|_| ()),
        }
        .map_err(plot_err)?;
    }
    markers(chart, points, style.marker, style.color)
}

/// Draws each series' points, nudged sideways by [`offsets`] where series would hide each
/// other, and gives it its legend entry; `also` draws more for the series at the same offset
/// (its min–max bars) or collects its shifted points (for the noise rings). `spans`: the y and
/// the x axis' lengths.
pub(super) fn draw_shifted<'r>(
    chart: &mut Chart,
    legend: &mut Legend,
    series: &[Series<'r>],
    points: &[Vec<(f64, f64)>],
    spans: (f64, f64),
    mut also: impl FnMut(&mut Chart, &Series<'r>, &[(f64, f64)], f64) -> Result<()>,
) -> Result<()> {
    let shift = offsets(points, spans.0, spans.1);
    for ((s, pts), dx) in series.iter().zip(points).zip(shift) {
        let pts: Vec<(f64, f64)> = pts.iter().map(|(a, b)| (a + dx, *b)).collect();
        draw_series(chart, &pts, &s.style)?;
        also(chart, s, &pts, dx)?;
        legend.series(&s.name, &s.style);
    }
    Ok(())
}

/// Sideways offsets (in x units) for series whose points coincide with an earlier series' at
/// the same x (within 2% of the y span): each such series moves over by one step more, so that
/// none is drawn exactly on top of another.
pub(super) fn offsets(all: &[Vec<(f64, f64)>], y_span: f64, x_span: f64) -> Vec<f64> {
    let step = x_span * 0.012;
    let mut out: Vec<f64> = Vec::new();
    for (i, pts) in all.iter().enumerate() {
        let hits = all[..i]
            .iter()
            .filter(|other| {
                pts.iter().any(|(x, y)| {
                    other
                        .iter()
                        .any(|(ox, oy)| (x - ox).abs() < 1e-9 && (y - oy).abs() <= y_span * 0.02)
                })
            })
            .count();
        out.push(hits as f64 * step);
    }
    out
}

pub(super) fn configure_mesh(
    chart: &mut Chart,
    x_desc: &str,
    y_desc: &str,
    x_label: &dyn Fn(&f64) -> String,
    y_label: &dyn Fn(&f64) -> String,
) -> Result<()> {
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(x_label)
        .y_label_formatter(y_label)
        .axis_desc_style(("sans-serif", 15))
        .label_style(("sans-serif", 13))
        .bold_line_style(RGBColor(225, 225, 225))
        .draw()
        .map_err(plot_err)
}

/// The default x labels: the worker (or task) count a tick stands for.
pub(super) fn count_label(x: &f64) -> String {
    worker_label(x)
}

/// A dashed horizontal line across the chart.
pub(super) fn horizontal(
    chart: &mut Chart,
    x: &XAxis,
    y: f64,
    color: RGBColor,
    dash: (u32, u32),
) -> Result<()> {
    chart
        .draw_series(DashedLineSeries::new(
            vec![(x.range.start, y), (x.range.end, y)],
            dash.0,
            dash.1,
            color.stroke_width(2),
        ))
        .map_err(plot_err)?;
    Ok(())
}

/// A thin vertical line at the logical core count: the end of the ideal for CPU-bound work.
pub(super) fn draw_cores(
    chart: &mut Chart,
    legend: &mut Legend,
    cores: Option<u64>,
    x: &XAxis,
    y: &std::ops::Range<f64>,
) -> Result<()> {
    let Some(n) = cores else { return Ok(()) };
    let at = (n as f64).log2();
    if at < x.range.start || at > x.range.end {
        return Ok(());
    }
    chart
        .draw_series(DashedLineSeries::new(
            vec![(at, y.start), (at, y.end)],
            3,
            4,
            CORES_COLOR.stroke_width(1),
        ))
        .map_err(plot_err)?;
    legend.guide(
        &format!("{n} logical core{}", if n == 1 { "" } else { "s" }),
        CORES_COLOR,
        (3, 4),
    );
    Ok(())
}
