//! The binary, run the way a user runs it: the tables, the JSON records, the overlap of I/O
//! waits, the `many` workload, usage errors, and child processes dying with their parent.

use std::io::Write as _;
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_cpu-vs-io");

/// Every model of this build: the async ones need the `async` feature.
const MODES: &[&str] = &[
    "sequential",
    "thread-per-task",
    "thread-pool",
    "rayon",
    "process-per-task",
    "process-pool",
    #[cfg(feature = "async")]
    "async",
    #[cfg(feature = "async")]
    "async-blocking",
];

/// Small and fast: 3 tasks per workload, tiny CPU tasks, 5 ms waits.
const SMALL: &[&str] = &[
    "--workload",
    "all",
    "--tasks",
    "3",
    "--latency-ms",
    "5",
    "--cpu-size",
    "2000",
    "--workers",
    "2",
];

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_model_runs_and_agrees_with_a_table_and_a_verdict_per_workload() {
    let output = run(SMALL);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    for workload in ["cpu", "io-sleep", "io-tcp"] {
        assert!(
            stdout.contains(&format!("\n{workload}: 3 tasks")),
            "{stdout}"
        );
        let verdicts = stdout
            .lines()
            .filter(|line| {
                line.starts_with(&format!("{workload}: ")) && line.contains(" won ")
                    || line.starts_with(&format!("{workload}: sequential was fastest"))
            })
            .count();
        assert_eq!(verdicts, 1, "one verdict for {workload}:\n{stdout}");
    }
    for mode in MODES {
        let rows = stdout
            .lines()
            .filter(|line| line.trim_start().starts_with(&format!("{mode} ")))
            .count();
        assert_eq!(rows, 3, "a {mode} row per workload:\n{stdout}");
    }
    assert!(!stdout.contains("FAILED"), "{stdout}");
}

#[test]
fn json_prints_one_record_per_run_and_nothing_else() {
    let mut args = SMALL.to_vec();
    args.push("--json");
    let output = run(&args);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "stderr:\n{stderr}");
    let records: Vec<Value> = stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|err| panic!("{line:?} is not JSON: {err}"))
        })
        .collect();
    assert_eq!(records.len(), 3 * MODES.len(), "{stdout}");
    let mut seen = Vec::new();
    for record in &records {
        let object = record.as_object().expect("an object");
        for field in [
            "demo", "workload", "mode", "workers", "items", "bytes", "wall_ms", "ok", "errors",
        ] {
            assert!(object.contains_key(field), "{field} missing in {record}");
        }
        assert_eq!(record["demo"], "cpu-vs-io");
        assert_eq!(record["items"], 3);
        assert_eq!(record["ok"], true);
        assert_eq!(record["errors"], 0);
        assert!(record["wall_ms"].is_number(), "{record}");
        assert!(record["workers"].as_u64().unwrap() >= 1);
        // Each model ran in a child of its own, whose peak memory is measured on Linux.
        if cfg!(target_os = "linux") {
            let peak = record["peak_rss_kb"].as_u64().expect("peak_rss_kb");
            assert!(peak > 100, "{record}");
        }
        let workload = record["workload"].as_str().unwrap().to_string();
        let expected_bytes = if workload == "io-tcp" { 3 * 4096 } else { 0 };
        assert_eq!(record["bytes"], expected_bytes, "{record}");
        seen.push((workload, record["mode"].as_str().unwrap().to_string()));
    }
    for workload in ["cpu", "io-sleep", "io-tcp"] {
        for mode in MODES {
            assert!(
                seen.contains(&(workload.to_string(), mode.to_string())),
                "no record for {workload} / {mode}"
            );
        }
    }
    // Worker counts: 1 for sequential, one per task for the per-task models, --workers else.
    for record in &records {
        let expected = match record["mode"].as_str().unwrap() {
            "sequential" => 1,
            "thread-per-task" | "process-per-task" => 3,
            _ => 2,
        };
        assert_eq!(record["workers"], expected, "{record}");
    }
    // The human output moved to stderr.
    assert!(stderr.contains("speedup"), "{stderr}");
}

#[test]
fn io_waits_overlap_under_thread_per_task() {
    // 16 waits of 100 ms one after another take 1.6 s; overlapped they take a little over
    // 100 ms. The bound is loose on purpose: only a failure to overlap can break it.
    let output = run(&[
        "--workload",
        "io",
        "--mode",
        "thread-per-task",
        "--tasks",
        "16",
        "--latency-ms",
        "100",
        "--json",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let records: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(records.len(), 2, "{stdout}");
    for record in records {
        let wall_ms = record["wall_ms"].as_f64().unwrap();
        assert!(
            wall_ms < 800.0,
            "16 x 100 ms waits did not overlap: {record}"
        );
        assert_eq!(record["workers"], 16);
    }
}

/// `many`: thousands of waits at once under async, a thread per task and a thread pool of a
/// thread per wait, all agreeing, each with its peak memory and the baseline beside it.
#[test]
fn many_waits_run_under_threads_and_async_with_their_memory() {
    let output = run(&[
        "--workload",
        "many",
        "--tasks",
        "2000",
        "--latency-ms",
        "100",
        "--json",
    ]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "stderr:\n{stderr}");
    let records: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let modes: Vec<&str> = records
        .iter()
        .map(|record| record["mode"].as_str().unwrap())
        .collect();
    let mut expected = vec!["thread-per-task", "thread-pool"];
    if cfg!(feature = "async") {
        expected.push("async");
    }
    assert_eq!(modes, expected, "2000 x 100 ms is too long for sequential");
    for record in &records {
        assert_eq!(record["workload"], "many");
        assert_eq!(
            (record["ok"].clone(), record["items"].clone()),
            (true.into(), 2000.into())
        );
        assert_eq!(record["latency_ms"], 100);
        // One after another the waits take 200 s; overlapped, a little over 100 ms. Only a
        // failure to overlap can break this bound.
        let wall_ms = record["wall_ms"].as_f64().unwrap();
        assert!(wall_ms < 20_000.0, "2000 waits did not overlap: {record}");
        if cfg!(target_os = "linux") {
            let peak = record["peak_rss_kb"].as_u64().unwrap();
            let baseline = record["baseline_rss_kb"].as_u64().unwrap();
            assert!(baseline > 100 && peak >= baseline, "{record}");
        }
    }
    // The pool got a thread per wait; async its default of a thread per CPU.
    assert_eq!(records[1]["workers"], 2000);
    assert!(stderr.contains("many: "), "a verdict: {stderr}");
}

/// Past what the OS allows, a thread per task is a clear error naming the limits, not a panic
/// or an abort. The limit is `ulimit -u` (threads per user), which does not bind root, so the
/// program runs as `nobody` under `setpriv`; without root that cannot be done, and the test is
/// skipped visibly.
#[cfg(target_os = "linux")]
#[test]
fn too_many_threads_is_a_clear_error() {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|out| text(&out.stdout));
    let have = |tool: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {tool}"))
            .output()
            .is_ok_and(|out| out.status.success())
    };
    let tools = have("setpriv") && have("bash");
    if root.map(|uid| uid.trim() != "0").unwrap_or(true) || !tools {
        // Straight to the stderr handle: the harness captures `eprintln!` of a passing test,
        // and a skip must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "SKIP: too_many_threads_is_a_clear_error needs root, setpriv and bash"
        );
        return;
    }
    let output = Command::new("setpriv")
        .args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "bash",
            "-c",
        ])
        .arg(format!(
            "ulimit -u 300 && exec '{BIN}' --workload many --mode thread-per-task \
             --tasks 2000 --latency-ms 200"
        ))
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stderr.contains("the OS refused thread "), "{stderr}");
    assert!(
        stderr.contains("of 2000") && stderr.contains("ulimit -u"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// CPU work on the async runtime's threads blocks it: the heartbeat's 1 ms timer cannot fire
/// until a thread comes free, so it is late by about a task's length. With 4 tasks on 2 threads
/// the run takes about two tasks' time, and the timer waits about one: a quarter of the run is
/// a bound that only a runtime that was not blocked can break (noise only makes it later).
#[cfg(feature = "async")]
#[test]
fn cpu_work_on_the_runtime_makes_its_timer_late() {
    let run_mode = |mode: &str| {
        let output = run(&[
            "--workload",
            "cpu",
            "--mode",
            mode,
            "--tasks",
            "4",
            "--workers",
            "2",
            "--cpu-size",
            "20000",
            "--json",
        ]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let record: Value = serde_json::from_slice(&output.stdout).unwrap();
        record
    };
    let blocked = run_mode("async");
    let late = blocked["timer_late_ms"].as_f64().expect("timer_late_ms");
    let wall = blocked["wall_ms"].as_f64().unwrap();
    assert!(late >= 0.25 * wall, "the timer was not held up: {blocked}");
    let free = run_mode("async-blocking");
    assert!(free["timer_late_ms"].as_f64().is_some(), "{free}");
}

#[test]
fn bad_arguments_exit_2_with_a_message() {
    for args in [
        &["--mode", "bogus"][..],
        &["--workload", "gpu"],
        &["--workers", "0"],
        &["--tasks", "0"],
        &["--tasks", "many"],
        &["--latency-ms", "-5"],
        &["--no-such-flag"],
        &["surplus"],
        &["--tasks", "5000"],
        &["--tasks", "100001", "--workload", "many"],
        &["--workload", "many", "--mode", "process-per-task"],
        &[
            "--workload",
            "io",
            "--mode",
            "process-pool",
            "--workers",
            "5000",
        ],
    ] {
        let output = run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn help_documents_every_default() {
    let output = run(&["--help"]);
    assert!(output.status.success());
    let help = text(&output.stdout);
    for needle in [
        "--workload",
        "[default: all]",
        "--mode",
        "--workers",
        "the number of logical CPUs",
        "--tasks",
        "default: 8 for cpu, 32 for io",
        "--latency-ms",
        "[default: 50]",
        "--json",
        "process-pool",
    ] {
        assert!(
            help.contains(needle),
            "{needle:?} missing from --help:\n{help}"
        );
    }
    assert!(
        !help.contains("__worker") && !help.contains("cpu-size"),
        "{help}"
    );
}

/// Child processes die with their parent (PR_SET_PDEATHSIG): kill the parent in the middle of a
/// run whose tasks wait 20 s, and its child (the process running the model) and that child's
/// pool workers must be gone long before that.
#[cfg(target_os = "linux")]
#[test]
fn workers_die_with_their_parent() {
    use std::process::Stdio;
    use std::thread;
    use std::time::{Duration, Instant};

    let mut parent = Command::new(BIN)
        .args([
            "--workload",
            "io",
            "--mode",
            "process-pool",
            "--workers",
            "2",
            "--tasks",
            "4",
            "--latency-ms",
            "20000",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let workers = loop {
        // The model's process, and its two pool workers under it.
        let model = children_of(parent.id());
        let workers: Vec<u32> = model.iter().flat_map(|&pid| children_of(pid)).collect();
        if model.len() == 1 && workers.len() == 2 {
            break [model, workers].concat();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the pool's workers never started"
        );
        thread::sleep(Duration::from_millis(20));
    };
    parent.kill().unwrap();
    parent.wait().unwrap();
    let killed = Instant::now();
    while workers.iter().any(|&pid| alive(pid)) {
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "workers {workers:?} outlived their parent"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(target_os = "linux")]
fn stat_fields(pid: u32) -> Option<(String, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.to_string();
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

#[cfg(target_os = "linux")]
fn children_of(parent: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| entry.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|&pid| matches!(stat_fields(pid), Some((_, ppid)) if ppid == parent))
        .collect()
}

/// Running or sleeping; a zombie (`Z`) or a vanished pid is dead.
#[cfg(target_os = "linux")]
fn alive(pid: u32) -> bool {
    matches!(stat_fields(pid), Some((state, _)) if state != "Z" && state != "X")
}
