//! The findings of small hand-made groups, sentence by sentence.

use super::*;
use crate::records::parse_records;
use crate::stats::group;

/// Five runs per line, spread ±2% around the median given: enough runs for the separation
/// test to call a clear gap real.
fn groups(lines: &[(&str, &str, u64, f64)]) -> Vec<Demo> {
    runs(lines, &[0.98, 0.99, 1.0, 1.01, 1.02])
}

/// One run per line, at the time given.
fn groups1(lines: &[(&str, &str, u64, f64)]) -> Vec<Demo> {
    runs(lines, &[1.0])
}

fn runs(lines: &[(&str, &str, u64, f64)], spread: &[f64]) -> Vec<Demo> {
    let text: Vec<String> = lines
        .iter()
        .flat_map(|(workload, mode, workers, ms)| {
            spread.iter().map(move |f| {
                format!(
                    r#"{{"demo":"d","workload":"{workload}","mode":"{mode}","workers":{workers},"items":1000,"bytes":5000,"wall_ms":{},"ok":true}}"#,
                    ms * f
                )
            })
        })
        .collect();
    group(&parse_records(&text.join("\n"), "t").unwrap())
}

#[test]
fn names_the_fastest_mode_and_the_runner_up() {
    let demos = groups(&[
        ("w", "sequential", 1, 400.0),
        ("w", "threads", 2, 210.0),
        ("w", "threads", 4, 200.0),
        ("w", "processes", 2, 250.0),
        ("w", "processes", 4, 260.0),
    ]);
    let text = group_findings(&demos[0].groups[0], Some(2));
    assert!(
        text.contains(
            "The fastest configuration was **`threads` with 4 workers**: 200 ms against 400 ms"
        ),
        "{text}"
    );
    assert!(text.contains("a 2.00× speedup"), "{text}");
    assert!(
        text.contains(
            "The best other mode, `processes` with 2 workers (250 ms), took 25% longer, a real (ranges apart; 0.8% by chance) difference."
        ),
        "{text}"
    );
    assert!(
        text.contains("Best speedup per mode: `threads` 2.00× with 4 workers (50% of the ideal 4×) and `processes` 1.60× with 2 workers (80% of the ideal 2×)."),
        "{text}"
    );
    // 4 workers on 2 cores: 1.90× -> 2.00×, under the 15% that would mean waiting work.
    assert!(
        text.contains("Past the 2 logical cores, more workers changed little (`threads`: 1.90× with 2 workers, 2.00× with 4)"),
        "{text}"
    );
    // processes vs threads where processes did best, 2 workers: 250 - 210 = 40 ms.
    assert!(
        text.contains("`processes` fell behind `threads`: at its best, with 2 workers, it took 250 ms against 210 ms, 40.0 ms (19%) more, about 20.0 ms per worker."),
        "{text}"
    );
    assert!(
        text.contains(
            "Across the 2 worker counts both ran at, `processes` was between 19% and 30% slower."
        ),
        "{text}"
    );
}

#[test]
fn a_speedup_above_the_ideal_is_called_out_as_a_slow_baseline() {
    let demos = groups1(&[
        ("w", "sequential", 1, 400.0),
        ("w", "sequential", 1, 700.0),
        ("w", "sequential", 1, 650.0),
        ("w", "threads", 2, 200.0),
        ("w", "threads", 1, 410.0),
    ]);
    let text = group_findings(&demos[0].groups[0], Some(2));
    assert!(
        text.contains("`threads` with 2 workers ran 3.25× against the sequential median, above its ideal of 2× (one per worker)"),
        "{text}"
    );
    assert!(text.contains("(3 runs from 400 ms to 700 ms)"), "{text}");
    assert!(
        text.contains("against the fastest sequential run it would be 2.00×"),
        "{text}"
    );

    assert!(
        text.contains("They are marked *noisy* in the table and never counted as the fastest."),
        "{text}"
    );
    // Both parallel rows are above their ideal (650/410 = 1.59× on one worker): neither is
    // the fastest, and nothing is ranked.
    assert!(
        text.starts_with("The sequential runs were too uneven to rank the parallel modes here"),
        "{text}"
    );
    assert!(
        text.contains("2 rows of this table are above their ideal"),
        "{text}"
    );

    // Within the ideal, nothing is said.
    let demos = groups(&[("w", "sequential", 1, 400.0), ("w", "threads", 2, 210.0)]);
    let text = group_findings(&demos[0].groups[0], Some(2));
    assert!(!text.contains("noisy"), "{text}");
}

#[test]
fn io_bound_winner_beyond_the_cores() {
    let demos = groups(&[
        ("io", "sequential", 1, 1600.0),
        ("io", "threads", 2, 800.0),
        ("io", "threads", 32, 60.0),
    ]);
    let text = group_findings(&demos[0].groups[0], Some(2));
    assert!(text.contains("**`threads` with 32 workers**"), "{text}");
    assert!(text.contains("kept paying off"), "{text}");
    assert!(
        text.contains("Best speedup: `threads` 26.7× with 32 workers (83% of the ideal 32×)."),
        "{text}"
    );
}

#[test]
fn timely_is_compared_with_processes_process_for_process() {
    let text = [
        r#"{"demo":"p","mode":"sequential","workers":1,"items":1,"bytes":0,"wall_ms":160,"ok":true}"#,
        r#"{"demo":"p","mode":"threads","workers":2,"items":1,"bytes":0,"wall_ms":90,"ok":true}"#,
        r#"{"demo":"p","mode":"processes","workers":2,"items":1,"bytes":0,"wall_ms":100,"ok":true}"#,
        r#"{"demo":"p","mode":"timely","workers":2,"processes":1,"items":1,"bytes":0,"wall_ms":80,"ok":true}"#,
        r#"{"demo":"p","mode":"timely","workers":2,"processes":2,"items":1,"bytes":0,"wall_ms":150,"ok":true}"#,
    ]
    .join("\n");
    let demos = group(&parse_records(&text, "t").unwrap());
    let text = group_findings(&demos[0].groups[0], Some(2));
    assert!(
        text.contains("`timely 2×1` fell behind `processes`: at its best, with 2 workers, it took 150 ms against 100 ms, 50.0 ms (50%) more, about 25.0 ms per worker, with too few runs to tell whether the gap is real."),
        "{text}"
    );
    assert!(
        text.contains("The fastest configuration was **`timely 1×2` with 2 workers**"),
        "{text}"
    );
}

#[test]
fn cpu_bound_winner_within_the_cores() {
    let demos = groups(&[
        ("w", "sequential", 1, 100.0),
        ("w", "threads", 2, 50.0),
        ("w", "threads", 4, 60.0),
    ]);
    let text = group_findings(&demos[0].groups[0], Some(2));
    assert!(
        text.contains("Past the 2 logical cores, more workers only added overhead: `threads` ran at 2.00× with 2 workers and 1.67× with 4."),
        "{text}"
    );
}

#[test]
fn sequential_winner_and_same_input_workloads() {
    let demos = groups(&[
        ("csv", "sequential", 1, 100.0),
        ("csv", "threads", 2, 130.0),
        ("fast", "sequential", 1, 40.0),
        ("fast", "threads", 2, 25.0),
    ]);
    let text = group_findings(&demos[0].groups[0], None);
    assert!(
        text.starts_with("No parallel mode beat the sequential baseline (100 ms)"),
        "{text}"
    );
    let cross = demo_findings(&demos[0]).unwrap();
    assert_eq!(
        cross,
        "On the same input, the `fast` workload's best run (`threads` with 2 workers, 25.0 ms) \
         was 4.00× faster than `csv`'s best (`sequential`, 100 ms); sequentially, 40.0 ms \
         against 100 ms (2.50× faster)."
    );
}

#[test]
fn faster_rows_that_are_noise_stop_the_ranking() {
    // On CPU work (cores 2), the 4-worker row at 3× is noise, and faster than the rest.
    let text = [
        (1, "sequential", 900.0),
        (2, "threads", 455.0),
        (4, "threads", 300.0),
        (2, "processes", 480.0),
    ]
    .iter()
    .flat_map(|(w, mode, ms)| {
        [0.99, 1.0, 1.01].map(|f| {
            format!(
                r#"{{"demo":"process-crunch","workload":"csv","mode":"{mode}","workers":{w},"items":1,"bytes":0,"wall_ms":{},"ok":true}}"#,
                ms * f
            )
        })
    })
    .collect::<Vec<_>>()
    .join("\n");
    let demos = crate::stats::group_on(&parse_records(&text, "t").unwrap(), Some(2));
    let text = group_findings(&demos[0].groups[0], Some(2));
    assert!(
        text.starts_with("The fastest row within its ideal was `threads` with 2 workers (455 ms), but 1 faster row is above its ideal: the sequential runs were too uneven to rank the modes here"),
        "{text}"
    );
    assert!(!text.contains("The fastest configuration was"), "{text}");
}
