//! What the integration tests share: the built binary, a small results file of two demos, a
//! machine description, and the temp-dir layout `scripts/run_all.sh` writes.
#![allow(dead_code)] // Each test file uses its own part of it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_perf-report");

/// Two demos: a CPU-bound one where threads win and processes trail, and a copier with an
/// outside reference. Medians: sequential 100, threads@2 50, processes@2 60, rayon@2 55.
pub const RESULTS: &str = r#"{"demo":"process-crunch","workload":"csv","mode":"sequential","workers":1,"items":1000,"bytes":10000,"wall_ms":110.0,"ok":true}
{"demo":"process-crunch","workload":"csv","mode":"sequential","workers":1,"items":1000,"bytes":10000,"wall_ms":100.0,"ok":true}
{"demo":"process-crunch","workload":"csv","mode":"sequential","workers":1,"items":1000,"bytes":10000,"wall_ms":90.0,"ok":true}
{"demo":"process-crunch","workload":"csv","mode":"threads","workers":1,"items":1000,"bytes":10000,"wall_ms":101.0,"ok":true}
{"demo":"process-crunch","workload":"csv","mode":"threads","workers":2,"items":1000,"bytes":10000,"wall_ms":48.0,"ok":true}
{"demo":"process-crunch","workload":"csv","mode":"threads","workers":2,"items":1000,"bytes":10000,"wall_ms":50.0,"ok":true}
{"demo":"process-crunch","workload":"csv","mode":"threads","workers":2,"items":1000,"bytes":10000,"wall_ms":53.0,"ok":true}
{"demo":"process-crunch","workload":"csv","mode":"rayon","workers":2,"items":1000,"bytes":10000,"wall_ms":55.0,"ok":true,"unknown_field":"ignored"}
{"demo":"process-crunch","workload":"csv","mode":"processes","workers":1,"items":1000,"bytes":10000,"wall_ms":104.0,"ok":true}
{"demo":"process-crunch","workload":"csv","mode":"processes","workers":2,"items":1000,"bytes":10000,"wall_ms":60.0,"ok":true}
{"demo":"process-crunch","workload":"csv","mode":"timely","workers":2,"processes":2,"items":1000,"bytes":10000,"wall_ms":80.0,"ok":true}

{"demo":"threaded-file-copy","workload":"small-files","mode":"sequential","workers":1,"items":500,"bytes":0,"wall_ms":200.0,"ok":true}
{"demo":"threaded-file-copy","workload":"small-files","mode":"threads","workers":2,"items":500,"bytes":0,"wall_ms":100.0,"ok":true,"errors":0}
{"demo":"threaded-file-copy","workload":"small-files","mode":"cp -r","workers":1,"items":500,"bytes":0,"wall_ms":160.0,"ok":true,"reference":true}
"#;

pub const MACHINE: &str = r#"{"host":"testhost","timestamp":"2026-01-01T00:00:00Z","cpu_model":"Test CPU 3000","logical_cpus":2,"memory_kib":4194304,"os":"Test OS","kernel":"6.0","rustc":"rustc 1.95.0","git_commit":"abc1234","runs":3,"warmup":1,"quick":false,"worker_counts":"1 2 4","io_worker_counts":"1 2 4 8 16 32","inputs":{"process-crunch":"a 1000-row file"}}"#;

pub const MARKED: &str = "# demo\n\n## Performance\n\n<!-- perf-report:begin -->\nFilled in by `scripts/run_all.sh` from `performance_analysis/`.\n<!-- perf-report:end -->\n\nAfter.\n";

pub fn perf_report(args: &[&Path]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run perf-report")
}

/// A temp dir holding `out/results/<name>.jsonl` (+ machine description), as run_all.sh lays
/// it out. Returns (dir, results path).
pub fn layout(results: &str, machine: Option<&str>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let res_dir = dir.path().join("out/results");
    fs::create_dir_all(&res_dir).unwrap();
    let path = res_dir.join("20260101T000000Z-testhost.jsonl");
    fs::write(&path, results).unwrap();
    if let Some(m) = machine {
        fs::write(res_dir.join("20260101T000000Z-testhost.machine.json"), m).unwrap();
    }
    (dir, path)
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}
