//! Unit tests of `stats.rs`.

use super::*;
use crate::records::parse_records;

fn rec(mode: &str, workers: u64, ms: f64) -> String {
    format!(
        r#"{{"demo":"d","mode":"{mode}","workers":{workers},"items":100,"bytes":1000,"wall_ms":{ms},"ok":true}}"#
    )
}

#[test]
fn median_of_odd_and_even_counts() {
    assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    assert_eq!(median(&[7.0]), 7.0);
}

#[test]
fn rows_have_medians_ranges_rates_and_speedups() {
    let lines = [
        rec("threads", 2, 60.0),
        rec("sequential", 1, 110.0),
        rec("threads", 2, 50.0),
        rec("sequential", 1, 100.0),
        rec("threads", 2, 40.0),
        rec("sequential", 1, 90.0),
        rec("threads", 1, 100.0),
    ]
    .join("\n");
    let demos = group(&parse_records(&lines, "t").unwrap());
    assert_eq!(demos.len(), 1);
    let g = &demos[0].groups[0];
    assert_eq!(g.workload, "default");
    assert_eq!(g.baseline_ms, Some(100.0));
    let labels: Vec<(String, u64)> = g.rows.iter().map(|r| (r.label(), r.workers)).collect();
    assert_eq!(
        labels,
        [
            ("sequential".into(), 1),
            ("threads".into(), 1),
            ("threads".into(), 2)
        ]
    );
    let t2 = &g.rows[2];
    assert_eq!(
        (t2.runs, t2.median_ms, t2.min_ms, t2.max_ms),
        (3, 50.0, 40.0, 60.0)
    );
    assert_eq!(t2.items_per_s(), Some(2000.0));
    assert_eq!(t2.bytes_per_s(), Some(20_000.0));
    assert_eq!(t2.speedup, Some(2.0));
    assert_eq!(g.rows[0].speedup, Some(1.0));
    assert_eq!(g.fastest().unwrap().workers, 2);
}

#[test]
fn references_and_workloads_are_kept_apart() {
    let text = [
        r#"{"demo":"c","workload":"small","mode":"sequential","workers":1,"items":1,"bytes":0,"wall_ms":200,"ok":true}"#,
        r#"{"demo":"c","workload":"small","mode":"cp -r","workers":1,"items":1,"bytes":0,"wall_ms":100,"ok":true,"reference":true}"#,
        r#"{"demo":"c","workload":"large","mode":"sequential","workers":1,"items":1,"bytes":0,"wall_ms":50,"ok":true}"#,
    ]
    .join("\n");
    let demos = group(&parse_records(&text, "t").unwrap());
    let groups: Vec<&str> = demos[0]
        .groups
        .iter()
        .map(|g| g.workload.as_str())
        .collect();
    assert_eq!(groups, ["small", "large"]);
    let small = &demos[0].groups[0];
    assert_eq!(small.rows.len(), 1);
    assert_eq!(small.references[0].mode, "cp -r");
    assert_eq!(small.references[0].speedup, Some(2.0));
}

#[test]
fn speedups_above_the_ideal_are_noisy_and_never_the_fastest() {
    let lines = [
        rec("sequential", 1, 100.0),
        rec("sequential", 1, 300.0),
        rec("sequential", 1, 310.0),
        rec("threads", 2, 100.0),
        rec("threads", 4, 90.0),
        rec("processes", 2, 140.0),
    ]
    .join("\n");
    let records = parse_records(&lines, "t").unwrap();
    // Demo "d" is I/O by kind: the ideal is the workers. 300/90 = 3.33 < 4: not noisy;
    // 300/100 = 3 > 2: noisy.
    let g = &group_on(&records, Some(2))[0].groups[0];
    let noisy: Vec<(String, u64)> = g
        .noisy_rows()
        .map(|r| (r.mode.clone(), r.workers))
        .collect();
    assert_eq!(
        noisy,
        [("threads".to_string(), 2), ("processes".to_string(), 2)]
    );
    assert_eq!(g.fastest().unwrap().workers, 4);
    assert_eq!(g.baseline_spread(), Some(210.0));
    // CPU-bound work stops at the cores: 4 workers on 2 cores have an ideal of 2.
    let cpu = lines.replace(r#""demo":"d""#, r#""demo":"cpu-vs-io","workload":"cpu""#);
    let g = &group_on(&parse_records(&cpu, "t").unwrap(), Some(2))[0].groups[0];
    assert_eq!(g.kind, Kind::Cpu);
    assert!(g
        .rows
        .iter()
        .filter(|r| r.mode != BASELINE)
        .all(|r| r.noisy));
    assert_eq!(g.fastest().unwrap().mode, BASELINE);
}

#[test]
fn languages_skipped_tools_and_orphan_references() {
    let text = [
        r#"{"demo":"c","workload":"small","mode":"sequential","workers":1,"items":1,"bytes":0,"wall_ms":200,"ok":true}"#,
        r#"{"demo":"c","workload":"large","mode":"sequential","workers":1,"items":1,"bytes":0,"wall_ms":400,"ok":true}"#,
        r#"{"demo":"c","language":"python","workload":"small","mode":"sequential","workers":1,"items":1,"bytes":0,"wall_ms":900,"ok":true,"python_version":"3.11.7","gil_enabled":true}"#,
        r#"{"demo":"c","mode":"duckdb","workers":2,"items":1,"bytes":0,"wall_ms":100,"ok":true,"reference":true}"#,
        r#"{"demo":"c","workload":"small","mode":"fcp","workers":1,"items":0,"bytes":0,"wall_ms":0,"ok":false,"reference":true,"unavailable":"not installed"}"#,
    ]
    .join("\n");
    let demos = group(&parse_records(&text, "t").unwrap());
    let keys: Vec<(&str, &str)> = demos
        .iter()
        .map(|d| (d.language.as_str(), d.name.as_str()))
        .collect();
    assert_eq!(keys, [("rust", "c"), ("python", "c")]);
    let rust = &demos[0];
    let workloads: Vec<&str> = rust.groups.iter().map(|g| g.workload.as_str()).collect();
    assert_eq!(workloads, ["small", "large"]);
    // The reference without a workload is compared with both workloads.
    assert_eq!(rust.groups[0].references[0].speedup, Some(2.0));
    assert_eq!(rust.groups[1].references[0].speedup, Some(4.0));
    assert_eq!(
        rust.groups[0].skipped,
        [Skipped {
            mode: "fcp".into(),
            why: "not installed".into()
        }]
    );
    assert!(rust.groups[1].skipped.is_empty());
    assert_eq!(demos[1].groups[0].python_version.as_deref(), Some("3.11.7"));
    assert_eq!(demos[1].groups[0].baseline_ms, Some(900.0));
}

#[test]
fn timely_rows_are_labelled_processes_by_threads() {
    let text = [
        r#"{"demo":"p","mode":"timely","workers":2,"processes":1,"items":1,"bytes":0,"wall_ms":10,"ok":true}"#,
        r#"{"demo":"p","mode":"timely","workers":2,"processes":2,"items":1,"bytes":0,"wall_ms":10,"ok":true}"#,
        r#"{"demo":"p","mode":"processes","workers":2,"processes":2,"items":1,"bytes":0,"wall_ms":10,"ok":true}"#,
    ]
    .join("\n");
    let demos = group(&parse_records(&text, "t").unwrap());
    let rows = &demos[0].groups[0].rows;
    let labels: Vec<String> = rows.iter().map(Row::label).collect();
    assert_eq!(labels, ["timely 1×2", "timely 2×1", "processes"]);
    let series: Vec<String> = rows.iter().map(Row::series).collect();
    assert_eq!(
        series,
        [
            "timely 1 process × W",
            "timely P processes × 1",
            "processes"
        ]
    );
    assert_eq!(demos[0].groups[0].baseline_ms, None);
    assert_eq!(rows[0].speedup, None);
}

#[test]
fn item_counts_do_not_split_a_configuration_but_task_counts_do() {
    let text = [
        r#"{"demo":"s","mode":"threads","workers":2,"items":200,"bytes":0,"wall_ms":10,"ok":true}"#,
        r#"{"demo":"s","mode":"threads","workers":2,"items":199,"bytes":0,"wall_ms":12,"ok":false}"#,
        r#"{"demo":"cpu-vs-io","workload":"many","mode":"async","workers":1,"items":100,"bytes":0,"wall_ms":1,"ok":true}"#,
        r#"{"demo":"cpu-vs-io","workload":"many","mode":"async","workers":1,"items":1000,"bytes":0,"wall_ms":5,"ok":true}"#,
        r#"{"demo":"cpu-vs-io","workload":"many","mode":"threads","workers":1,"items":7,"tasks":1000,"bytes":0,"wall_ms":5,"ok":true}"#,
    ]
    .join("\n");
    let demos = group(&parse_records(&text, "t").unwrap());
    let s = &demos[0].groups[0];
    assert_eq!((s.rows.len(), s.rows[0].runs, s.rows[0].tasks), (1, 2, 0));
    let many = &demos[1].groups[0];
    let tasks: Vec<u64> = many.rows.iter().map(|r| r.tasks).collect();
    assert_eq!(tasks, [100, 1000, 1000]);
}

#[test]
fn an_event_loop_on_waiting_work_is_held_to_its_tasks_in_flight_not_its_one_thread() {
    let text = [
        r#"{"demo":"cpu-vs-io","workload":"io-sleep","mode":"sequential","workers":1,"items":16,"bytes":0,"wall_ms":80,"ok":true}"#,
        r#"{"demo":"cpu-vs-io","workload":"io-sleep","mode":"asyncio","workers":1,"items":16,"bytes":0,"wall_ms":7,"ok":true}"#,
        r#"{"demo":"cpu-vs-io","workload":"io-sleep","mode":"thread-pool","workers":1,"items":16,"bytes":0,"wall_ms":7,"ok":true}"#,
    ]
    .join("\n");
    let demos = group(&parse_records(&text, "t").unwrap());
    let rows = &demos[0].groups[0].rows;
    let of = |m: &str| rows.iter().find(|r| r.mode == m).unwrap();
    assert_eq!(of("asyncio").ideal, Some(16.0));
    assert!(!of("asyncio").noisy);
    assert!(of("thread-pool").noisy, "one thread 11x faster is noise");
}

#[test]
fn a_task_sweep_ranks_its_modes_at_one_task_count() {
    let rec = |mode: &str, n: u64, ms: f64| {
        format!(
            r#"{{"demo":"cpu-vs-io","workload":"many","mode":"{mode}","workers":16,"items":{n},"tasks":{n},"bytes":0,"wall_ms":{ms},"ok":true}}"#
        )
    };
    // thread-per-task at N = 100 is faster than async at N = 1,000, but that is not a race.
    let text = [
        rec("thread-per-task", 100, 20.0),
        rec("thread-per-task", 1000, 190.0),
        rec("async", 100, 30.0),
        rec("async", 1000, 50.0),
        rec("async", 100_000, 60.0),
    ]
    .join("\n");
    let demos = group(&parse_records(&text, "t").unwrap());
    let g = &demos[0].groups[0];
    assert_eq!(g.compared_tasks(), Some(1000));
    let best: Vec<(&str, u64)> = g
        .best_per_mode()
        .iter()
        .map(|r| (r.mode.as_str(), r.tasks))
        .collect();
    assert_eq!(best, [("async", 1000), ("thread-per-task", 1000)]);
    assert_eq!(g.fastest().unwrap().median_ms, 50.0);
}

#[test]
fn a_table_of_one_core_techniques_compares_no_models() {
    let rec = |mode: &str| {
        format!(
            r#"{{"demo":"process-crunch","workload":"fast-steps","mode":"{mode}","workers":1,"items":10,"bytes":0,"wall_ms":5,"ok":true}}"#
        )
    };
    let steps = [rec("plain"), rec("+swar")].join("\n");
    let demos = group(&parse_records(&steps, "t").unwrap());
    assert!(!demos[0].groups[0].compares_models());
    let modes = [rec("sequential"), rec("+swar")].join("\n");
    let demos = group(&parse_records(&modes, "t").unwrap());
    assert!(demos[0].groups[0].compares_models());
}
