//! Runs `perf-report bench` the way `scripts/run_all.sh` does, on a folder of fake demo binaries
//! (small shell scripts that print timing records, fail, or hang on demand), and checks the
//! results file, the loud failures, --resume, --merge, the guarded entries and Ctrl-C.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_perf-report");

/// A fake cpu-vs-io: rejects `--mode async` and `--workload many` as usage errors (exit 2, like
/// clap), fails when $FAKE_FAIL names its mode, sleeps when $FAKE_HANG names it (writing its
/// pid to $FAKE_HANG_PID first), and otherwise prints one record per workload.
const FAKE_CPU_VS_IO: &str = r#"#!/bin/sh
mode=""; workers=1; workload=cpu; tasks=1
while [ $# -gt 0 ]; do
  case $1 in
    --mode) mode=$2; shift ;;
    --workers) workers=$2; shift ;;
    --workload) workload=$2; shift ;;
    --tasks) tasks=$2; shift ;;
  esac
  shift
done
if [ "$mode" = async ]; then echo "error: invalid value 'async' for '--mode <MODE>'" >&2; exit 2; fi
if [ "$workload" = many ]; then echo "error: invalid value 'many' for '--workload <WORKLOAD>'" >&2; exit 2; fi
if [ "$mode" = "$FAKE_FAIL" ]; then echo "fake failure in $mode" >&2; exit 1; fi
if [ "$mode" = "$FAKE_HANG" ]; then echo $$ > "$FAKE_HANG_PID"; exec sleep 30; fi
if [ "$workload" = io ]; then set -- io-sleep io-tcp; else set -- "$workload"; fi
for w in "$@"; do
  echo "{\"demo\":\"cpu-vs-io\",\"workload\":\"$w\",\"mode\":\"$mode\",\"workers\":$workers,\"items\":$tasks,\"bytes\":0,\"wall_ms\":1.5,\"ok\":true}"
done
"#;

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        fs::create_dir(&bin).unwrap();
        let exe = bin.join("cpu-vs-io");
        fs::write(&exe, FAKE_CPU_VS_IO).unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
        Fixture { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// `perf-report bench --quick --only cpu-vs-io --bin-dir BIN --out OUT ARGS...`, no Python.
    fn bench(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("bench")
            .args(["--quick", "--only", "cpu-vs-io", "--bin-dir"])
            .arg(self.path("bin"))
            .arg("--out")
            .arg(self.path("out"))
            .arg("--python-dir")
            .arg(self.path("python"))
            .args(args)
            .current_dir(self.dir.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.bench(args, env).output().unwrap()
    }

    fn results(&self, suffix: &str) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = fs::read_dir(self.path("out/results"))
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        v.retain(|p| p.to_string_lossy().ends_with(suffix));
        v.sort();
        v
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_run_writes_tagged_records_and_the_machine_and_prints_the_path() {
    let f = Fixture::new();
    let out = f.run(&[], &[]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let results = f.results(".jsonl");
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(stdout.trim(), results[0].display().to_string());

    let records = json_lines(&results[0]);
    // cpu: seq, thread-per-task, 3 pools x 3 counts, process-per-task = 12 configurations of
    // one record; io: 3 + 3 x 4 = 15 configurations of two records (io-sleep and io-tcp).
    assert_eq!(records.len(), 12 + 15 * 2);
    assert!(records.iter().all(|r| r["config"].is_string()));
    assert!(records
        .iter()
        .any(|r| r["config"] == "cpu-vs-io/io/thread-pool/16" && r["workload"] == "io-tcp"));
    // The renderer's own check accepts the file.
    let check = Command::new(BIN)
        .arg(&results[0])
        .arg("--check")
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", stderr(&check));

    // The features this fake lacks are skipped with a line each, and say so in the machine file.
    assert!(
        err.contains("skipped: cpu-vs-io --mode async: the binary rejects it"),
        "{err}"
    );
    assert!(err.contains("skipped: cpu-vs-io --workload many"), "{err}");
    assert!(
        err.contains("[1/27] cpu-vs-io (cpu) sequential 1 worker, run 1/1"),
        "{err}"
    );
    assert!(err.contains("ETA"), "{err}");
    let machine_path = results[0]
        .to_string_lossy()
        .replace(".jsonl", ".machine.json");
    let machine: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(machine_path).unwrap()).unwrap();
    assert_eq!(machine["quick"], true);
    assert!(machine["dirty"].is_boolean() || machine["dirty"].is_null());
    assert!(machine.get("commit").is_some(), "{machine}");
    assert_eq!(machine["skipped"].as_array().unwrap().len(), 3, "{machine}");
}

#[test]
fn a_failed_run_names_the_command_keeps_finished_configurations_and_resumes() {
    let f = Fixture::new();
    let out = f.run(&[], &[("FAKE_FAIL", "process-pool")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("FAILED: a run failed: exit status 1"), "{err}");
    assert!(
        err.contains("command: ") && err.contains("cpu-vs-io --mode process-pool --workers 1"),
        "{err}"
    );
    assert!(err.contains("fake failure in process-pool"), "{err}");
    // Nothing that could pass for a complete run; the finished configurations are kept.
    let partial = f.results(".partial.jsonl");
    assert_eq!(partial.len(), 1);
    assert_eq!(f.results(".jsonl").len(), 1);
    let done = json_lines(&partial[0]);
    assert_eq!(
        done.len(),
        9,
        "sequential, thread-per-task, thread-pool x3, rayon x3, process-per-task"
    );

    let out = f.run(&["--resume", partial[0].to_str().unwrap()], &[]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("skipping 9 configurations already in the resumed file"),
        "{err}"
    );
    let complete = f.results(".jsonl");
    assert_eq!(
        complete.len(),
        1,
        "the partial file is folded into the complete one: {complete:?}"
    );
    assert_eq!(json_lines(&complete[0]).len(), 42);
}

#[test]
fn merge_joins_parts_and_refuses_overlap() {
    let f = Fixture::new();
    assert!(f.run(&[], &[]).status.success());
    let first = f.results(".jsonl").remove(0);
    // Split the file into two parts with their own machine files, as two --only runs would be.
    let text = fs::read_to_string(&first).unwrap();
    let (a, b) = (f.path("a.jsonl"), f.path("b.jsonl"));
    let lines: Vec<&str> = text.lines().collect();
    let cpu = lines
        .iter()
        .filter(|l| l.contains("\"cpu-vs-io/cpu/"))
        .count();
    fs::write(&a, lines[..cpu].join("\n")).unwrap();
    fs::write(&b, lines[cpu..].join("\n")).unwrap();
    let machine =
        fs::read_to_string(first.to_string_lossy().replace(".jsonl", ".machine.json")).unwrap();
    fs::write(f.path("a.machine.json"), &machine).unwrap();
    fs::write(f.path("b.machine.json"), &machine).unwrap();

    let merged = Command::new(BIN)
        .args(["bench", "--merge"])
        .args([&a, &b])
        .arg("--out")
        .arg(f.path("merged"))
        .output()
        .unwrap();
    assert!(merged.status.success(), "{}", stderr(&merged));
    let path = PathBuf::from(String::from_utf8(merged.stdout).unwrap().trim());
    assert_eq!(json_lines(&path).len(), lines.len());

    let c = f.path("c.jsonl");
    fs::copy(&a, &c).unwrap();
    fs::write(f.path("c.machine.json"), &machine).unwrap();
    let overlap = Command::new(BIN)
        .args(["bench", "--merge"])
        .args([&a, &c])
        .arg("--out")
        .arg(f.path("merged"))
        .output()
        .unwrap();
    assert_eq!(overlap.status.code(), Some(1));
    assert!(
        stderr(&overlap).contains("is in both"),
        "{}",
        stderr(&overlap)
    );
}

#[test]
fn python_entries_run_when_the_scripts_are_there() {
    if Command::new("python3").arg("--version").output().is_err() {
        // Straight to the stderr handle: the harness captures `eprintln!` of a passing test,
        // and a skip must be seen.
        let _ =
            std::io::Write::write_all(&mut std::io::stderr(), b"SKIP: python3 is not installed\n");
        return;
    }
    let f = Fixture::new();
    // Without the scripts: one line, and no Python configuration.
    let out = f.run(&[], &[]);
    assert!(
        stderr(&out).contains("python/cpu_vs_io.py is not in this checkout"),
        "{}",
        stderr(&out)
    );
    fs::create_dir(f.path("python")).unwrap();
    fs::write(
        f.path("python/cpu_vs_io.py"),
        r#"import json, sys
a = dict(zip(sys.argv[1::2], sys.argv[2::2]))
print(json.dumps({"demo": "cpu-vs-io", "workload": a["--workload"], "mode": a["--mode"], "workers": int(a["--workers"]), "items": 1, "bytes": 0, "wall_ms": 2.0, "ok": True}))
"#,
    )
    .unwrap();
    let out = f.run(&["--list"], &[]);
    let list = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        list.contains("python/cpu-vs-io/io-tcp/thread-pool/16: python3"),
        "{list}"
    );
    let out = f.run(&[], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let records = json_lines(&f.results(".jsonl").pop().unwrap());
    let python: Vec<_> = records
        .iter()
        .filter(|r| r["language"] == "python")
        .collect();
    // cpu-small, io-sleep, io-tcp: 3 once-only modes + 3 swept modes x (3 or 4) counts.
    assert_eq!(python.len(), (3 + 9) + 2 * (3 + 12));
    assert!(python
        .iter()
        .any(|r| r["workload"] == "cpu-small" && r["mode"] == "threading"));
    // Rust on the same small tasks, in the same table.
    assert!(records
        .iter()
        .any(|r| r["workload"] == "cpu-small" && r["language"].is_null()));
}

#[test]
fn ctrl_c_stops_the_running_demo_and_exits_promptly() {
    let f = Fixture::new();
    let pid_file = f.path("hang.pid");
    let child = f
        .bench(
            &[],
            &[
                ("FAKE_HANG", "rayon"),
                ("FAKE_HANG_PID", pid_file.to_str().unwrap()),
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !pid_file.exists() || fs::read_to_string(&pid_file).unwrap().trim().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the fake demo never started hanging"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let hung: i32 = fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let started = Instant::now();
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    // The 30 s sleep did not run out: the runner stopped it.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        !Path::new(&format!("/proc/{hung}")).exists()
            || fs::read_to_string(format!("/proc/{hung}/stat")).is_ok_and(|s| s.contains(") Z ")),
        "the hanging demo {hung} is still running"
    );
    assert!(stderr(&out).contains("interrupted"));
    assert!(
        f.results(".partial.jsonl").len() == 1,
        "finished configurations are kept"
    );
}

#[test]
fn missing_binaries_and_bad_options_fail_clearly() {
    let f = Fixture::new();
    let out = Command::new(BIN)
        .args(["bench", "--only", "process-crunch", "--bin-dir"])
        .arg(f.path("bin"))
        .arg("--out")
        .arg(f.path("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no executable") && stderr(&out).contains("process-crunch"),
        "{}",
        stderr(&out)
    );
    let out = Command::new(BIN)
        .args(["bench", "--only", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = Command::new(BIN)
        .args(["bench", "--runs", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn list_marks_tools_that_are_not_installed() {
    // A PATH without the reference tools: they are listed, marked, never dropped.
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "bench",
            "--list",
            "--only",
            "threaded-file-copy,threaded-scrape",
        ])
        .env("PATH", empty.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let list = String::from_utf8_lossy(&out.stdout).into_owned();
    for tool in ["cp -r", "cp -a", "rsync -a", "fcp", "xcp -r", "wget -r"] {
        assert!(
            list.lines()
                .any(|l| l.contains(&format!("/{tool}/1:")) && l.ends_with("# not installed")),
            "{tool}: {list}"
        );
    }
}
