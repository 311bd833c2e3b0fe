//! perf-report turns the JSON timing records of the demos into `performance_analysis/`: a
//! README.md with a table and a findings paragraph per (demo, workload), SVG charts, and the
//! performance block of every crate README.
//!
//! The pipeline, one module a step: [`records`] parses the results file and the machine
//! description, [`stats`] groups runs into rows, takes medians and marks the noise,
//! [`evidence`] decides whether a difference is real, [`summary`] writes "What wins when",
//! [`python`] sets Python beside Rust, [`report`] and [`findings`] write the Markdown,
//! [`charts`] draws the SVGs, [`staleness`] says whether the report still describes the code,
//! and [`readmes`] splices the per-demo block into the crate READMEs. [`format`] and
//! [`atomic`] are the leaves every step writes through. Every number printed is computed from
//! the records. [`run`] writes it all; [`verify`] renders in memory and compares with what is
//! on disk. [`bench`] is the runner behind `scripts/run_all.sh`: it runs the plan and writes the
//! results file the rest reads.

pub mod atomic;
pub mod bench;
pub mod charts;
pub mod evidence;
pub mod findings;
pub mod format;
pub mod kind;
pub mod python;
pub mod readmes;
pub mod records;
pub mod report;
pub mod staleness;
pub mod stats;
pub mod summary;
pub mod supervised;

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
    let plan = render(opts, &records)?;
    fs::create_dir_all(&plan.charts_dir)
        .with_context(|| format!("cannot create {}", plan.charts_dir.display()))?;
    for (path, text) in &plan.files {
        atomic::write_atomically(path, text.as_bytes())?;
    }
    for stale in stale_charts(&plan)? {
        fs::remove_file(&stale).with_context(|| format!("cannot remove {}", stale.display()))?;
        eprintln!("removed stale chart {}", stale.display());
    }
    eprintln!(
        "wrote {} and {} in {}",
        plan.report.display(),
        format::plural(plan.charts as u64, "chart"),
        plan.charts_dir.display()
    );
    for readme in &plan.readmes {
        match readme {
            Readme::Changed { path, new, .. } => {
                atomic::write_atomically(path, new.as_bytes())?;
                eprintln!("updated {}", path.display());
            }
            Readme::Same(p) => eprintln!("{} already up to date", p.display()),
            Readme::Skipped(p, why) => eprintln!("warning: {}: {why}", p.display()),
        }
    }
    Ok(())
}

/// Renders everything in memory and compares it with what is on disk: the report, its charts
/// (and no chart beyond them) and, with `readmes`, every crate README's block. Writes nothing;
/// an error lists every file that differs. This is the re-render check of CI: the committed
/// report must be what the committed results render to.
pub fn verify(opts: &Options) -> Result<()> {
    let records = records::read_records(&opts.results)?;
    let plan = render(opts, &records)?;
    let mut differ: Vec<String> = Vec::new();
    for (path, text) in &plan.files {
        match fs::read_to_string(path) {
            Ok(old) if old == *text => {}
            Ok(_) => differ.push(format!("{} differs", path.display())),
            Err(_) => differ.push(format!("{} is missing", path.display())),
        }
    }
    for stale in stale_charts(&plan)? {
        differ.push(format!("{} is not rendered any more", stale.display()));
    }
    for readme in &plan.readmes {
        match readme {
            Readme::Changed { path, .. } => {
                differ.push(format!("{}: its Performance block differs", path.display()))
            }
            Readme::Same(_) => {}
            Readme::Skipped(p, why) => eprintln!("warning: {}: {why}", p.display()),
        }
    }
    if differ.is_empty() {
        eprintln!(
            "{} and {} match the rendering of {}",
            plan.report.display(),
            format::plural(plan.charts as u64, "chart"),
            opts.results.display()
        );
        return Ok(());
    }
    for d in &differ {
        eprintln!("  {d}");
    }
    anyhow::bail!(
        "{} generated file{} differ from what {} renders to; re-render with `perf-report {}{}` \
         (or rerun scripts/run_all.sh) and commit the result",
        differ.len(),
        if differ.len() == 1 { "" } else { "s" },
        opts.results.display(),
        opts.results.display(),
        opts.readmes
            .as_ref()
            .map(|d| format!(" --readmes {}", d.display()))
            .unwrap_or_default()
    )
}

/// Everything one rendering produces, before anything is written.
struct Plan {
    /// The report and the charts, with their full text.
    files: Vec<(PathBuf, String)>,
    report: PathBuf,
    charts_dir: PathBuf,
    /// Chart file names rendered.
    chart_names: BTreeSet<String>,
    charts: usize,
    readmes: Vec<Readme>,
}

/// What rendering does to one crate README.
enum Readme {
    Changed { path: PathBuf, new: String },
    Same(PathBuf),
    Skipped(PathBuf, String),
}

fn render(opts: &Options, records: &[records::Record]) -> Result<Plan> {
    let machine = load_machine(opts)?;
    let cores = machine.logical_cpus;
    let demos = stats::group_on(records, cores);
    let staleness = staleness::check(&machine, &opts.results);

    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| default_out(&opts.results));
    let charts_dir = out.join("charts");
    let mut files = Vec::new();
    let mut chart_names = BTreeSet::new();
    // Charts of the demos themselves; the Python runs are shown beside them in tables.
    for group in demos.iter().filter(|d| d.is_rust()).flat_map(|d| &d.groups) {
        for (name, svg) in charts::render_charts(group, cores)? {
            files.push((charts_dir.join(&name), svg));
            chart_names.insert(name);
        }
    }
    let links = report::Links {
        results: &relative(&out, &opts.results),
        charts: "charts",
    };
    let md = report::render_report(&demos, &machine, &staleness, records.len(), &links);
    let report_path = out.join("README.md");
    files.push((report_path.clone(), md));

    let mut readmes = Vec::new();
    if let Some(dir) = &opts.readmes {
        for demo in demos.iter().filter(|d| d.is_rust()) {
            let crate_dir = dir.join(&demo.name);
            let block = report::render_readme_block(
                demo,
                &machine,
                &staleness,
                &relative(&crate_dir, &report_path),
                &relative(&crate_dir, &charts_dir),
            );
            readmes.push(match readmes::updated_text(dir, &demo.name, &block)? {
                Outcome::Updated(path) => {
                    let new = readmes::render_into(&path, &block)?;
                    Readme::Changed { path, new }
                }
                Outcome::Unchanged(p) => Readme::Same(p),
                Outcome::Skipped(p, why) => Readme::Skipped(p, why),
            });
        }
    }
    Ok(Plan {
        charts: chart_names.len(),
        files,
        report: report_path,
        charts_dir,
        chart_names,
        readmes,
    })
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

/// SVGs in the charts folder that this rendering does not produce: charts of workloads that
/// are no longer measured would otherwise linger beside the report.
fn stale_charts(plan: &Plan) -> Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(&plan.charts_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot list {}", plan.charts_dir.display()))
        }
    };
    let mut stale: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.ends_with(".svg") && !plan.chart_names.contains(&name)
        })
        .map(|e| e.path())
        .collect();
    stale.sort();
    Ok(stale)
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
