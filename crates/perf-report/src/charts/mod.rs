//! The SVG charts, drawn with plotters: per (demo, workload) the median wall time of every mode
//! by worker count, and the speedup over sequential by worker count beside the ideal line.
//! The scales and their ticks are in `axes.rs`; this file draws. Each chart has its legend in a
//! panel of its own on the right, so that it never hides a line.

use anyhow::{anyhow, Result};
use plotters::prelude::*;

use crate::stats::{Group, Row, BASELINE};

mod axes;
use axes::{linear_ticks, log_ticks, trim_number, worker_label, x_axis, Axis, XAxis};

const SIZE: (u32, u32) = (960, 480);
/// Width of the legend panel on the right of each chart.
const LEGEND_WIDTH: u32 = 220;
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
const BASELINE_COLOR: RGBColor = RGBColor(60, 60, 60);
const GUIDE_COLOR: RGBColor = RGBColor(150, 150, 150);
const CORES_COLOR: RGBColor = RGBColor(190, 190, 190);
/// Outside references (cp -r): colours no mode uses.
const REFERENCE_COLORS: [RGBColor; 2] = [RGBColor(188, 189, 34), RGBColor(127, 127, 127)];

/// File name of a group's wall-time chart.
pub fn time_chart_name(g: &Group) -> String {
    format!("{}-{}-time.svg", slug(&g.demo), slug(&g.workload))
}

/// File name of a group's speedup chart; `None` without a sequential baseline to divide by.
pub fn speedup_chart_name(g: &Group) -> Option<String> {
    g.baseline_ms?;
    Some(format!(
        "{}-{}-speedup.svg",
        slug(&g.demo),
        slug(&g.workload)
    ))
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

/// The lines of a chart: the rows of each series (a mode, or a process shape of an engine),
/// by worker count, each with a colour kept the same in both charts of a group.
fn series(g: &Group) -> Vec<(String, RGBColor, Vec<&Row>)> {
    let mut out: Vec<(String, RGBColor, Vec<&Row>)> = Vec::new();
    for row in g.rows.iter().filter(|r| r.mode != BASELINE) {
        let key = row.series();
        match out.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, _, rows)) => rows.push(row),
            None => {
                let color = PALETTE[out.len() % PALETTE.len()];
                out.push((key, color, vec![row]));
            }
        }
    }
    for (_, _, rows) in &mut out {
        rows.sort_by_key(|r| r.workers);
    }
    out
}

/// Renders both charts of a group: `(file name, SVG text)` pairs.
pub fn render_charts(g: &Group, cores: Option<u64>) -> Result<Vec<(String, String)>> {
    let mut out = vec![(time_chart_name(g), time_chart(g, cores)?)];
    if let Some(name) = speedup_chart_name(g) {
        out.push((name, speedup_chart(g, cores)?));
    }
    Ok(out)
}

fn plot_err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("drawing a chart failed: {e}")
}

/// Median wall time by workers: one line per mode with min–max bars, the baseline and outside
/// references as dashed horizontal lines.
fn time_chart(g: &Group, cores: Option<u64>) -> Result<String> {
    let x = x_axis(g, cores);
    let mut all: Vec<f64> = g
        .rows
        .iter()
        .chain(&g.references)
        .flat_map(|r| [r.min_ms, r.max_ms])
        .filter(|v| *v > 0.0)
        .collect();
    if all.is_empty() {
        all.push(1.0);
    }
    let (min, max) = all.iter().fold((f64::INFINITY, 0f64), |(lo, hi), v| {
        (lo.min(*v), hi.max(*v))
    });
    // Seconds when the slowest run takes more than two seconds, else milliseconds.
    let (div, unit) = if max > 2000.0 {
        (1000.0, "s")
    } else {
        (1.0, "ms")
    };
    let log = max / min > 20.0;
    let to_y = move |ms: f64| {
        let v = ms / div;
        if log {
            v.max(1e-9).log10()
        } else {
            v
        }
    };
    let (y_range, y_ticks) = if log {
        let (lo, hi) = ((min / div).log10(), (max / div).log10());
        let pad = (hi - lo) * 0.08;
        let (lo, hi) = (lo - pad, hi + pad);
        (lo..hi, log_ticks(lo, hi))
    } else {
        let hi = max / div * 1.12;
        (0.0..hi, linear_ticks(hi))
    };
    let y_label = move |v: &f64| {
        let shown = if log { 10f64.powf(*v) } else { *v };
        trim_number(shown)
    };
    let y_desc = format!(
        "median wall time ({unit}{})",
        if log { ", log scale" } else { "" }
    );

    let mut legend = Legend::default();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let (plot, side) = split(
            &root,
            &format!("{} · {}: wall time by workers", g.demo, g.workload),
        )?;
        let mut chart = ChartBuilder::on(&plot)
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(70)
            .build_cartesian_2d(
                Axis::new(x.range.clone(), x.ticks.clone()),
                Axis::new(y_range.clone(), y_ticks),
            )
            .map_err(plot_err)?;
        configure_mesh(&mut chart, X_DESC, &y_desc, &y_label)?;

        draw_cores(&mut chart, &mut legend, cores, &x, &y_range)?;
        if let Some(base) = g.baseline_ms {
            horizontal(&mut chart, &x, to_y(base), BASELINE_COLOR)?;
            legend.dashed("sequential (baseline)", BASELINE_COLOR);
        }
        for (i, r) in g.references.iter().enumerate() {
            let color = REFERENCE_COLORS[i % REFERENCE_COLORS.len()];
            horizontal(&mut chart, &x, to_y(r.median_ms), color)?;
            legend.dashed(&format!("{} (reference)", r.mode), color);
        }
        for (name, color, rows) in series(g) {
            let points: Vec<(f64, f64)> = rows
                .iter()
                .map(|r| ((r.workers as f64).log2(), to_y(r.median_ms)))
                .collect();
            draw_line(&mut chart, &points, color)?;
            chart
                .draw_series(rows.iter().map(|r| {
                    ErrorBar::new_vertical(
                        (r.workers as f64).log2(),
                        to_y(r.min_ms),
                        to_y(r.median_ms),
                        to_y(r.max_ms),
                        color.stroke_width(1),
                        8,
                    )
                }))
                .map_err(plot_err)?;
            legend.solid(&name, color);
        }
        legend.draw(&side)?;
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

/// Speedup over sequential by workers, with the ideal (speedup = workers) and the baseline.
fn speedup_chart(g: &Group, cores: Option<u64>) -> Result<String> {
    let x = x_axis(g, cores);
    let best = g
        .rows
        .iter()
        .chain(&g.references)
        .filter_map(|r| r.speedup)
        .fold(1.0f64, f64::max);
    let y_max = best * 1.15;
    let y_range = 0.0..y_max;
    let label = |v: &f64| format!("{}×", trim_number(*v));

    let mut legend = Legend::default();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let (plot, side) = split(
            &root,
            &format!("{} · {}: speedup over sequential", g.demo, g.workload),
        )?;
        let mut chart = ChartBuilder::on(&plot)
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(70)
            .build_cartesian_2d(
                Axis::new(x.range.clone(), x.ticks.clone()),
                Axis::new(y_range.clone(), linear_ticks(y_max)),
            )
            .map_err(plot_err)?;
        configure_mesh(
            &mut chart,
            X_DESC,
            "speedup over sequential (×, medians)",
            &label,
        )?;
        draw_cores(&mut chart, &mut legend, cores, &x, &y_range)?;

        // The ideal, speedup = workers, is a curve on a log-x axis: sample it, and stop where
        // it leaves the chart.
        let x_hi = x.range.end;
        let ideal: Vec<(f64, f64)> = (0..=100)
            .map(|i| x_hi * i as f64 / 100.0)
            .map(|lx| (lx, lx.exp2()))
            .take_while(|(_, y)| *y <= y_max)
            .collect();
        chart
            .draw_series(DashedLineSeries::new(
                ideal,
                6,
                4,
                GUIDE_COLOR.stroke_width(2),
            ))
            .map_err(plot_err)?;
        legend.dashed("ideal (speedup = workers)", GUIDE_COLOR);
        horizontal(&mut chart, &x, 1.0, BASELINE_COLOR)?;
        legend.dashed("sequential (1×)", BASELINE_COLOR);
        for (i, r) in g.references.iter().enumerate() {
            if let Some(s) = r.speedup {
                let color = REFERENCE_COLORS[i % REFERENCE_COLORS.len()];
                horizontal(&mut chart, &x, s, color)?;
                legend.dashed(&format!("{} (reference)", r.mode), color);
            }
        }
        for (name, color, rows) in series(g) {
            let points: Vec<(f64, f64)> = rows
                .iter()
                .filter_map(|r| Some(((r.workers as f64).log2(), r.speedup?)))
                .collect();
            draw_line(&mut chart, &points, color)?;
            legend.solid(&name, color);
        }
        legend.draw(&side)?;
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Axis, Axis>>;
type Area<'b> = DrawingArea<SVGBackend<'b>, plotters::coord::Shift>;

const X_DESC: &str = "workers (threads or processes, log scale)";

/// The title across the top, then the plot on the left and a panel for the legend on the
/// right, so that the legend never hides a line.
fn split<'b>(root: &Area<'b>, title: &str) -> Result<(Area<'b>, Area<'b>)> {
    let body = root.titled(title, ("sans-serif", 20)).map_err(plot_err)?;
    Ok(body.split_horizontally(SIZE.0 - LEGEND_WIDTH))
}

/// The legend entries of a chart, drawn in their own panel.
#[derive(Default)]
struct Legend {
    entries: Vec<(String, RGBColor, bool)>,
}

impl Legend {
    fn solid(&mut self, label: &str, color: RGBColor) {
        self.entries.push((label.to_string(), color, false));
    }

    fn dashed(&mut self, label: &str, color: RGBColor) {
        self.entries.push((label.to_string(), color, true));
    }

    fn draw(&self, area: &Area) -> Result<()> {
        for (i, (label, color, dashed)) in self.entries.iter().enumerate() {
            let y = 40 + 22 * i as i32;
            let style = color.stroke_width(2);
            if *dashed {
                for x in [4, 14, 24] {
                    area.draw(&PathElement::new(vec![(x, y), (x + 6, y)], style))
                        .map_err(plot_err)?;
                }
            } else {
                area.draw(&PathElement::new(vec![(4, y), (30, y)], style))
                    .map_err(plot_err)?;
                area.draw(&Circle::new((17, y), 4, color.filled()))
                    .map_err(plot_err)?;
            }
            area.draw(&Text::new(label.clone(), (38, y - 7), ("sans-serif", 13)))
                .map_err(plot_err)?;
        }
        Ok(())
    }
}

/// A mode's line with a dot at every measured point.
fn draw_line(chart: &mut Chart, points: &[(f64, f64)], color: RGBColor) -> Result<()> {
    chart
        .draw_series(LineSeries::new(points.to_vec(), color.stroke_width(2)))
        .map_err(plot_err)?;
    chart
        .draw_series(points.iter().map(|p| Circle::new(*p, 4, color.filled())))
        .map_err(plot_err)?;
    Ok(())
}

fn configure_mesh(
    chart: &mut Chart,
    x_desc: &str,
    y_desc: &str,
    y_label: &dyn Fn(&f64) -> String,
) -> Result<()> {
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&worker_label)
        .y_label_formatter(y_label)
        .axis_desc_style(("sans-serif", 15))
        .label_style(("sans-serif", 13))
        .bold_line_style(RGBColor(225, 225, 225))
        .draw()
        .map_err(plot_err)
}

/// A dashed horizontal line across the chart.
fn horizontal(chart: &mut Chart, x: &XAxis, y: f64, color: RGBColor) -> Result<()> {
    chart
        .draw_series(DashedLineSeries::new(
            vec![(x.range.start, y), (x.range.end, y)],
            8,
            5,
            color.stroke_width(2),
        ))
        .map_err(plot_err)?;
    Ok(())
}

/// A thin vertical line at the logical core count: the end of the ideal for CPU-bound work.
fn draw_cores(
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
    legend.dashed(
        &format!("{n} logical core{}", if n == 1 { "" } else { "s" }),
        CORES_COLOR,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::parse_records;
    use crate::stats::group;

    fn groups(text: &str) -> Vec<Group> {
        group(&parse_records(text, "t").unwrap())
            .into_iter()
            .flat_map(|d| d.groups)
            .collect()
    }

    fn assert_well_formed(svg: &str) -> roxmltree::Document<'_> {
        let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        doc
    }

    fn texts(doc: &roxmltree::Document) -> Vec<String> {
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text().map(|t| t.trim().to_string()))
            .collect()
    }

    #[test]
    fn charts_are_well_formed_svg_with_labels_and_legend() {
        let text = [
            r#"{"demo":"threaded-file-copy","workload":"small <&> files","mode":"sequential","workers":1,"items":10,"bytes":0,"wall_ms":100,"ok":true}"#,
            r#"{"demo":"threaded-file-copy","workload":"small <&> files","mode":"threads","workers":1,"items":10,"bytes":0,"wall_ms":98,"ok":true}"#,
            r#"{"demo":"threaded-file-copy","workload":"small <&> files","mode":"threads","workers":2,"items":10,"bytes":0,"wall_ms":55,"ok":true}"#,
            r#"{"demo":"threaded-file-copy","workload":"small <&> files","mode":"threads","workers":4,"items":10,"bytes":0,"wall_ms":52,"ok":true}"#,
            r#"{"demo":"threaded-file-copy","workload":"small <&> files","mode":"cp -r","workers":1,"items":10,"bytes":0,"wall_ms":80,"ok":true,"reference":true}"#,
        ]
        .join("\n");
        let g = &groups(&text)[0];
        let charts = render_charts(g, Some(2)).unwrap();
        let names: Vec<&str> = charts.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "threaded-file-copy-small-files-time.svg",
                "threaded-file-copy-small-files-speedup.svg"
            ]
        );
        for (_, svg) in &charts {
            let doc = assert_well_formed(svg);
            let texts = texts(&doc);
            let all = texts.join("|");
            assert!(
                all.contains("workers (threads or processes, log scale)"),
                "{all}"
            );
            assert!(all.contains("threads"), "{all}");
            assert!(all.contains("cp -r (reference)"), "{all}");
            assert!(all.contains("2 logical cores"), "{all}");
            // The x ticks are the worker counts.
            for tick in ["1", "2", "4"] {
                assert!(texts.iter().any(|t| t == tick), "no tick {tick}: {all}");
            }
        }
        let speedup = texts(&assert_well_formed(&charts[1].1)).join("|");
        assert!(speedup.contains("ideal (speedup = workers)"), "{speedup}");
        assert!(speedup.contains("speedup over sequential"), "{speedup}");
        let time = texts(&assert_well_formed(&charts[0].1)).join("|");
        assert!(time.contains("median wall time (ms)"), "{time}");
    }

    #[test]
    fn wide_ranges_get_a_log_axis_and_no_baseline_means_no_speedup_chart() {
        let text = [
            r#"{"demo":"s","mode":"threads","workers":1,"items":10,"bytes":0,"wall_ms":4000,"ok":true}"#,
            r#"{"demo":"s","mode":"threads","workers":32,"items":10,"bytes":0,"wall_ms":130,"ok":true}"#,
        ]
        .join("\n");
        let g = &groups(&text)[0];
        let charts = render_charts(g, None).unwrap();
        assert_eq!(charts.len(), 1);
        let all = texts(&assert_well_formed(&charts[0].1)).join("|");
        assert!(all.contains("median wall time (s, log scale)"), "{all}");
        assert!(all.contains("32"), "{all}");
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("cpu-vs-io"), "cpu-vs-io");
        assert_eq!(slug("Small <&> Files"), "small-files");
        assert_eq!(slug("--"), "x");
    }
}
