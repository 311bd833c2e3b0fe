//! The SVG charts, drawn with plotters: per (demo, workload) the median wall time of every mode
//! by worker count, and the speedup over sequential by worker count beside the ideal; for a
//! sweep over task counts (cpu-vs-io's `many`), wall time and peak memory by task count.
//!
//! Every series has its own colour, marker and dash pattern, so that none hides another even in
//! grey print, and series that coincide are shifted a little sideways. Models that start one
//! worker per task are single points, not lines. Each chart carries a generated one-line
//! takeaway under its title. `series.rs` splits a group into styled series, `axes.rs` holds
//! the scales and ticks, `draw.rs` the drawing helpers and the legend, `time.rs` and
//! `speedup.rs` the charts themselves.

use anyhow::Result;

use crate::stats::Group;

mod axes;
mod draw;
mod series;
mod speedup;
mod time;

pub use series::{per_task, sweeps_tasks, Marker, Series, Style};

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
