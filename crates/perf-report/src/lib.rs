//! perf-report turns the JSON timing records of the demos into `performance_analysis/`: a
//! README.md with a table and a findings paragraph per (demo, workload), SVG charts, and the
//! performance block of every crate README.
//!
//! The pipeline is four steps, one module each: [`records`] parses the results file and the
//! machine description, [`stats`] groups runs into rows and takes medians, [`report`] and
//! [`findings`] write the Markdown, [`charts`] draws the SVGs, and [`readmes`] splices the
//! per-demo block into the crate READMEs. Every number printed is computed from the records.

pub mod bench;
pub mod charts;
pub mod findings;
pub mod readmes;
pub mod records;
pub mod report;
pub mod stats;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result};

use readmes::Outcome;
use records::Machine;

/// What to do, as parsed from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    pub results: PathBuf,
    pub out: Option<PathBuf>,
    pub machine: Option<PathBuf>,
    pub readmes: Option<PathBuf>,
    pub check: bool,
}

/// Reads the records and writes everything; warnings go to stderr.
pub fn run(opts: &Options) -> Result<()> {
    let records = records::read_records(&opts.results)?;
    if opts.check {
        eprintln!(
            "{}: {} timing record{}, all valid",
            opts.results.display(),
            records.len(),
            if records.len() == 1 { "" } else { "s" }
        );
        return Ok(());
    }
    let machine = load_machine(opts)?;
    let cores = machine.logical_cpus;
    let demos = stats::group(&records);

    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| default_out(&opts.results));
    let charts_dir = out.join("charts");
    fs::create_dir_all(&charts_dir)
        .with_context(|| format!("cannot create {}", charts_dir.display()))?;

    let mut written = BTreeSet::new();
    for group in demos.iter().flat_map(|d| &d.groups) {
        for (name, svg) in charts::render_charts(group, cores)? {
            readmes::write_atomically(&charts_dir.join(&name), svg.as_bytes())?;
            written.insert(name);
        }
    }
    remove_stale_charts(&charts_dir, &written)?;

    let links = report::Links {
        results: &relative(&out, &opts.results),
        charts: "charts",
    };
    let md = report::render_report(&demos, &machine, records.len(), &links);
    let report_path = out.join("README.md");
    readmes::write_atomically(&report_path, md.as_bytes())?;
    eprintln!(
        "wrote {} and {} chart{} in {}",
        report_path.display(),
        written.len(),
        if written.len() == 1 { "" } else { "s" },
        charts_dir.display()
    );

    if let Some(dir) = &opts.readmes {
        for demo in &demos {
            let crate_dir = dir.join(&demo.name);
            let block = report::render_readme_block(
                demo,
                &machine,
                &relative(&crate_dir, &report_path),
                &relative(&crate_dir, &charts_dir),
            );
            match readmes::update_readme(dir, &demo.name, &block)? {
                Outcome::Updated(p) => eprintln!("updated {}", p.display()),
                Outcome::Unchanged(p) => eprintln!("{} already up to date", p.display()),
                Outcome::Skipped(p, why) => eprintln!("warning: {}: {why}", p.display()),
            }
        }
    }
    Ok(())
}

/// The machine description: the one given, else the one beside the results, else none (the
/// report then says so).
fn load_machine(opts: &Options) -> Result<Machine> {
    if let Some(path) = &opts.machine {
        return records::read_machine(path);
    }
    let Some(path) = records::default_machine_path(&opts.results) else {
        eprintln!(
            "warning: no machine description beside {} (looked for <name>.machine.json and \
             machine.json); the report will say the machine is not recorded",
            opts.results.display()
        );
        return Ok(Machine::default());
    };
    if path.file_name().is_some_and(|n| n == "machine.json") {
        let dir = path.parent().unwrap_or(Path::new("."));
        let runs = fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
                    .count()
            })
            .unwrap_or(0);
        if runs > 1 {
            eprintln!(
                "warning: {} sits beside {runs} results files; pass --machine to be sure it \
                 describes this run",
                path.display()
            );
        }
    }
    records::read_machine(&path)
}

/// Where the report goes by default: the folder above `results/` when the results file sits in
/// a folder named `results` (the layout `scripts/run_all.sh` writes), else the file's folder.
pub fn default_out(results: &Path) -> PathBuf {
    let dir = match results.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if dir.file_name().is_some_and(|n| n == "results") {
        match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    } else {
        dir
    }
}

/// Removes SVGs in the charts folder that this run did not write: charts of workloads that are
/// no longer measured would otherwise linger beside the report.
fn remove_stale_charts(dir: &Path, written: &BTreeSet<String>) -> Result<()> {
    let entries = fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.ends_with(".svg") && !written.contains(&name) {
            fs::remove_file(entry.path())
                .with_context(|| format!("cannot remove {}", entry.path().display()))?;
            eprintln!("removed stale chart {}", entry.path().display());
        }
    }
    Ok(())
}

/// `to` relative to the directory `from`, with `/` separators, for a Markdown link. Falls back
/// to `to` as given when the two share no root (or cannot be resolved).
pub fn relative(from: &Path, to: &Path) -> String {
    let resolve = |p: &Path| -> Option<PathBuf> {
        let abs = if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir().ok()?.join(p)
        };
        Some(normalize(&abs))
    };
    let (Some(from), Some(to_abs)) = (resolve(from), resolve(to)) else {
        return to.display().to_string();
    };
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to_abs.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return to.display().to_string();
    }
    let mut parts: Vec<String> = vec!["..".to_string(); a.len() - common];
    parts.extend(
        b[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().to_string()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Removes `.` and resolves `..` lexically (no symlinks are followed: both sides of
/// [`relative`] are treated alike).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_out_is_above_results() {
        assert_eq!(
            default_out(Path::new("performance_analysis/results/x.jsonl")),
            PathBuf::from("performance_analysis")
        );
        assert_eq!(
            default_out(Path::new("results/x.jsonl")),
            PathBuf::from(".")
        );
        assert_eq!(
            default_out(Path::new("/tmp/r/x.jsonl")),
            PathBuf::from("/tmp/r")
        );
        assert_eq!(default_out(Path::new("x.jsonl")), PathBuf::from("."));
    }

    #[test]
    fn relative_links() {
        assert_eq!(
            relative(
                Path::new("/w/crates/demo"),
                Path::new("/w/performance_analysis/README.md")
            ),
            "../../performance_analysis/README.md"
        );
        assert_eq!(
            relative(Path::new("/w/pa"), Path::new("/w/pa/results/x.jsonl")),
            "results/x.jsonl"
        );
        assert_eq!(
            relative(Path::new("/w/./pa/"), Path::new("/w/x/../pa/charts")),
            "charts"
        );
    }
}
