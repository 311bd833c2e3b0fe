//! The tools a user would pick instead of ours, measured in the same run on the same inputs:
//! `cp -r`, `cp -a`, `rsync -a`, fcp and xcp beside the copier; DuckDB and Polars running the
//! 1BRC query beside the cruncher; `wget -r` beside the crawler. A tool that is not installed
//! still gets a row: one record with `unavailable: "not installed"` (see [`not_installed`]), never
//! a silent gap.
//!
//! The runner times a tool's whole process (they print no record of their own), then checks
//! that it did the work: the copy holds the same files and bytes as the source, wget fetched
//! pages. DuckDB and Polars run in a Python snippet that times the query alone (not the
//! interpreter's start-up or the import) and checks that every row was counted.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::check::Check;
use super::config::{argv, Config, Source};
use crate::supervised;

/// Which outside tools this machine has, found once before the plan is built.
#[derive(Debug, Clone, Default)]
pub struct Tools {
    /// Programs found on PATH, by name.
    found: Vec<String>,
    /// `python3 -c 'import duckdb'` / `'import polars'` succeeded.
    pub py_duckdb: bool,
    pub py_polars: bool,
}

impl Tools {
    /// Looks for every tool: PATH lookups, and (when the cruncher runs) one
    /// `python3 -c 'import ...'` per module.
    pub fn detect(python_modules: bool) -> Tools {
        let found = ["cp", "rsync", "fcp", "xcp", "wget", "duckdb", "python3"]
            .into_iter()
            .filter(|t| on_path(t).is_some())
            .map(String::from)
            .collect();
        let mut tools = Tools {
            found,
            ..Tools::default()
        };
        if python_modules && tools.has("python3") {
            tools.py_duckdb = python_imports("duckdb");
            tools.py_polars = python_imports("polars");
        }
        tools
    }

    pub fn has(&self, name: &str) -> bool {
        self.found.iter().any(|f| f == name)
    }
}

/// The program `name` in a PATH folder, executable.
pub fn on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

fn python_imports(module: &str) -> bool {
    supervised::status(
        std::process::Command::new("python3")
            .args(["-c", &format!("import {module}")])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null()),
    )
    .is_ok_and(|s| s.success())
}

/// The record of a tool timed by the runner, or of one that is not installed. This is the one
/// place the shape is decided:
///
/// `{"demo":"threaded-file-copy","workload":"small-files","mode":"fcp","workers":1,"items":0,
///   "bytes":0,"wall_ms":0.0,"ok":false,"reference":true,"unavailable":"not installed",
///   "command":"fcp SRC DST","config":"threaded-file-copy/small-files/fcp/1"}`
///
/// A not-installed record has `ok: false`, zero items, bytes and time, and `unavailable` set; the
/// renderer shows it as "not installed", never as a time. (The field is not called `skipped`: the
/// copier's records already use `skipped` for a count of files.)
#[derive(Debug, Serialize)]
pub struct ToolRecord<'a> {
    pub demo: &'a str,
    pub workload: &'a str,
    pub mode: &'a str,
    pub workers: u64,
    pub items: u64,
    pub bytes: u64,
    pub wall_ms: f64,
    pub ok: bool,
    pub reference: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<&'a str>,
    /// The command that was (or would have been) timed, with the inputs' real paths.
    pub command: String,
    pub config: String,
}

/// What [`ToolRecord::unavailable`] says of a tool that is not installed.
pub const NOT_INSTALLED: &str = "not installed";

/// A reference configuration: `tool` on PATH runs `argv`, timed by the runner; otherwise a
/// not-installed row.
fn timed(
    tools: &Tools,
    tool: &str,
    demo: &'static str,
    workload: &str,
    mode: &str,
    argv: Vec<String>,
    check: Check,
) -> Config {
    Config {
        demo,
        workload: workload.to_string(),
        relabel: true,
        mode: mode.to_string(),
        workers: 1,
        language: None,
        reference: true,
        argv,
        source: if tools.has(tool) {
            Source::Timed(check)
        } else {
            Source::NotInstalled
        },
        reset: None,
        tasks: None,
        steps: false,
    }
}

/// cp -r, cp -a, rsync -a, fcp and xcp from `src` to `dst` (`dst` absent before each run).
pub fn copy_tools(tools: &Tools, preset: &str, src: &Path, dst: &Path) -> Vec<Config> {
    let (s, d) = (src.display().to_string(), dst.display().to_string());
    let check = Check::SameTree {
        src: src.to_path_buf(),
        dst: dst.to_path_buf(),
    };
    // rsync copies the contents of `src/` into `dst`; the others copy `src` to the new `dst`.
    [
        ("cp", "cp -r", argv! {"cp", "-r", s, d}),
        ("cp", "cp -a", argv! {"cp", "-a", s, d}),
        (
            "rsync",
            "rsync -a",
            argv! {"rsync", "-a", format!("{s}/"), d},
        ),
        ("fcp", "fcp", argv! {"fcp", s, d}),
        ("xcp", "xcp -r", argv! {"xcp", "-r", s, d}),
    ]
    .into_iter()
    .map(|(tool, mode, a)| {
        timed(
            tools,
            tool,
            "threaded-file-copy",
            preset,
            mode,
            a,
            check.clone(),
        )
    })
    .collect()
}

/// wget crawling the same site, sequentially (wget fetches one page at a time), keeping nothing.
pub fn wget(tools: &Tools, label: &str, url: &str, work: &Path) -> Config {
    let dir = work.join("wget").display().to_string();
    let a = argv! {"wget", "--recursive", "--level=inf", "--no-directories", "--delete-after", "--no-verbose", "--directory-prefix", dir, url};
    timed(
        tools,
        "wget",
        "threaded-scrape",
        label,
        "wget -r",
        a,
        Check::WgetDownloaded,
    )
}

/// The 1BRC query (min, mean and max per station, sorted by name) in DuckDB, through Python;
/// prints one timing record. argv: FILE ROWS WORKLOAD WORKERS.
const DUCKDB_PY: &str = r#"
import json, os, sys, time
import duckdb
path, rows, workload, workers = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")  # it draws on stdout, where the record goes
t = time.perf_counter()
out = con.execute("SELECT station, min(t), avg(t), max(t), count(*) FROM read_csv(?, delim=';', header=false, columns={'station': 'VARCHAR', 't': 'DOUBLE'}) GROUP BY station ORDER BY station", [path]).fetchall()
ms = (time.perf_counter() - t) * 1000
n = sum(r[4] for r in out)
if n != rows:
    sys.exit(f"duckdb counted {n} rows in {path}, expected {rows}")
print(json.dumps({"demo": "process-crunch", "workload": workload, "mode": "duckdb", "workers": workers, "items": n, "bytes": os.path.getsize(path), "wall_ms": ms, "ok": True, "reference": True, "stations": len(out), "tool": "duckdb " + duckdb.__version__}))
"#;

/// The same query in Polars' lazy API.
const POLARS_PY: &str = r#"
import json, os, sys, time
import polars as pl
path, rows, workload, workers = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
t = time.perf_counter()
out = (pl.scan_csv(path, separator=";", has_header=False, schema={"station": pl.String, "t": pl.Float64})
       .group_by("station").agg(pl.col("t").min().alias("min"), pl.col("t").mean().alias("mean"), pl.col("t").max().alias("max"), pl.len().alias("n"))
       .sort("station").collect())
ms = (time.perf_counter() - t) * 1000
n = int(out["n"].sum())
if n != rows:
    sys.exit(f"polars counted {n} rows in {path}, expected {rows}")
print(json.dumps({"demo": "process-crunch", "workload": workload, "mode": "polars", "workers": workers, "items": n, "bytes": os.path.getsize(path), "wall_ms": ms, "ok": True, "reference": True, "stations": out.height, "tool": "polars " + pl.__version__}))
"#;

/// DuckDB (the Python module, else the `duckdb` CLI) and Polars on the crunch file. Both use
/// every core by default, hence `workers` = the logical CPUs.
pub fn crunch_tools(
    tools: &Tools,
    workload: &str,
    file: &Path,
    rows: u64,
    ncpu: u64,
) -> Vec<Config> {
    let f = file.display().to_string();
    let snippet = |module_ok: bool, mode: &str, code: &str| {
        let mut c = timed(
            tools,
            "python3",
            "process-crunch",
            workload,
            mode,
            argv! {"python3", "-c", code, f, rows, workload, ncpu},
            Check::Known {
                items: rows,
                bytes: 0,
            },
        );
        c.workers = ncpu;
        c.source = if module_ok {
            Source::Records
        } else {
            Source::NotInstalled
        };
        c
    };
    let duckdb = if !tools.py_duckdb && tools.has("duckdb") {
        let bytes = fs::metadata(file).map_or(0, |m| m.len());
        let sql = format!(
            "SELECT station, min(t), avg(t), max(t) FROM read_csv('{}', delim=';', header=false, \
             columns={{'station': 'VARCHAR', 't': 'DOUBLE'}}) GROUP BY station ORDER BY station",
            f.replace('\'', "''")
        );
        let mut c = timed(
            tools,
            "duckdb",
            "process-crunch",
            workload,
            "duckdb",
            argv! {"duckdb", "-c", sql},
            Check::Known { items: rows, bytes },
        );
        c.workers = ncpu;
        c
    } else {
        snippet(tools.py_duckdb, "duckdb", DUCKDB_PY)
    };
    vec![duckdb, snippet(tools.py_polars, "polars", POLARS_PY)]
}
