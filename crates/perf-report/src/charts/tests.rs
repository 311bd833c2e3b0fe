//! The charts parse as SVG and carry their labels, legends, markers and takeaways.

use super::series::series;
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

#[test]
fn series_have_distinct_styles_and_per_task_models_are_points() {
    let text = [
        r#"{"demo":"cpu-vs-io","workload":"cpu","mode":"sequential","workers":1,"items":16,"bytes":0,"wall_ms":800,"ok":true}"#,
        r#"{"demo":"cpu-vs-io","workload":"cpu","mode":"thread-per-task","workers":16,"items":16,"bytes":0,"wall_ms":410,"ok":true}"#,
        r#"{"demo":"cpu-vs-io","workload":"cpu","mode":"thread-pool","workers":1,"items":16,"bytes":0,"wall_ms":800,"ok":true}"#,
        r#"{"demo":"cpu-vs-io","workload":"cpu","mode":"thread-pool","workers":2,"items":16,"bytes":0,"wall_ms":410,"ok":true}"#,
        r#"{"demo":"cpu-vs-io","workload":"cpu","mode":"rayon","workers":1,"items":16,"bytes":0,"wall_ms":800,"ok":true}"#,
        r#"{"demo":"cpu-vs-io","workload":"cpu","mode":"rayon","workers":2,"items":16,"bytes":0,"wall_ms":410,"ok":true}"#,
        r#"{"demo":"cpu-vs-io","workload":"cpu","mode":"process-pool","workers":2,"items":16,"bytes":0,"wall_ms":420,"ok":true}"#,
    ]
    .join("\n");
    let demos = crate::stats::group_on(&parse_records(&text, "t").unwrap(), Some(2));
    let g = &demos[0].groups[0];
    let s = series(g);
    let styles: Vec<(Marker, Option<(u32, u32)>)> =
        s.iter().map(|s| (s.style.marker, s.style.dash)).collect();
    for (i, a) in styles.iter().enumerate() {
        for b in &styles[i + 1..] {
            assert_ne!(a.0, b.0, "two series share a marker: {styles:?}");
        }
    }
    let per_task: Vec<bool> = s.iter().map(|s| s.style.points_only).collect();
    assert_eq!(per_task, [true, false, false, false]);

    // thread-pool and rayon coincide point for point: the second is shifted, the first not.
    let pts: Vec<Vec<(f64, f64)>> = s
        .iter()
        .map(|s| {
            s.rows
                .iter()
                .map(|r| ((r.workers as f64).log2(), r.median_ms))
                .collect()
        })
        .collect();
    let dx = draw::offsets(&pts, 800.0, 4.0);
    assert_eq!(dx[1], 0.0);
    assert!(dx[2] > 0.0, "{dx:?}");

    // The ideal passes through every worker count measured, capped at the cores for CPU work.
    let ideal = speedup::ideal_points(g, Some(2));
    let xs: Vec<f64> = ideal.iter().map(|p| p.0.exp2().round()).collect();
    assert_eq!(xs, [1.0, 2.0, 16.0]);
    assert_eq!(ideal.last().unwrap().1, 2.0);

    // Both charts carry a takeaway.
    let charts = render_charts(g, Some(2)).unwrap();
    let time = texts(&assert_well_formed(&charts[0].1)).join("|");
    assert!(
        time.contains("Fastest: thread-per-task ×16, 410 ms"),
        "{time}"
    );
    let speed = texts(&assert_well_formed(&charts[1].1)).join("|");
    assert!(
        speed.contains("work that computes stops at the 2 cores"),
        "{speed}"
    );
}

#[test]
fn a_task_sweep_charts_time_and_memory_by_task_count() {
    let mut lines = Vec::new();
    for (mode, base_ms, kib) in [("thread-per-task", 1.0, 64.0), ("async", 0.1, 2.0)] {
        for n in [100u64, 1000, 10000] {
            lines.push(format!(
                r#"{{"demo":"cpu-vs-io","workload":"many","mode":"{mode}","workers":{n},"items":{n},"tasks":{n},"bytes":0,"wall_ms":{},"ok":true,"peak_rss_kb":{}}}"#,
                base_ms * n as f64,
                kib * n as f64
            ));
        }
    }
    let g = &groups(&lines.join("\n"))[0];
    assert!(sweeps_tasks(g));
    let names: Vec<String> = chart_names(g).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["cpu-vs-io-many-time.svg", "cpu-vs-io-many-memory.svg"]
    );
    let charts = render_charts(g, Some(2)).unwrap();
    let mem = texts(&assert_well_formed(&charts[1].1)).join("|");
    assert!(mem.contains("tasks started (N, log scale)"), "{mem}");
    assert!(
        mem.contains(
            "At 10000 tasks, peak memory ran from 19.5 MiB (async) to 625 MiB (thread-per-task)."
        ),
        "{mem}"
    );
    let time = texts(&assert_well_formed(&charts[0].1)).join("|");
    assert!(
        time.contains("At 10000 tasks, async took 1.00 s and thread-per-task 10.0 s."),
        "{time}"
    );
}
