//! Which optional modes and flags the binaries of this checkout accept ([`Features`]), each found
//! by running the binary once on a tiny input: a feature another branch adds is measured once it
//! is in the binary, and until then the plan leaves it out with one `skipped: ...` line.

use std::path::Path;

use anyhow::Result;

use super::exec::{self, Runner};
use super::progress::log;
use crate::supervised;

/// Whether a binary accepts an optional feature, found by running it once on a tiny input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Support {
    Yes,
    /// The binary rejected it as a usage error: the first line it printed.
    No(String),
    /// Not probed (--list, or the demo is not selected).
    Unknown,
}

impl Support {
    pub fn is_yes(&self) -> bool {
        *self == Support::Yes
    }
}

/// Optional features other branches add; each is measured once it is in the binary.
#[derive(Debug, Clone)]
pub struct Features {
    /// process-crunch `--mode timely --processes P`.
    pub timely: Support,
    /// process-crunch `generate --stations 10000`.
    pub stations_10k: Support,
    /// process-crunch `bench --steps` (the fast parser's steps, one technique at a time).
    pub steps: Support,
    /// cpu-vs-io `--mode async`.
    pub async_mode: Support,
    /// threaded-scrape `--mode async`.
    pub scrape_async: Support,
    /// threaded-scrape's built-in site on many origins, `--site-hosts N`.
    pub site_hosts: Support,
    /// cpu-vs-io `--workload many`.
    pub many: Support,
    /// python3 >= 3.9 runs python/cpu_vs_io.py with the flags the plan gives it.
    pub python_cpu_vs_io: Support,
    /// python3 >= 3.9 runs python/crunch.py.
    pub python_crunch: Support,
}

impl Features {
    /// For --list: every optional configuration shown.
    pub fn all() -> Features {
        Features {
            timely: Support::Yes,
            stations_10k: Support::Yes,
            steps: Support::Yes,
            async_mode: Support::Yes,
            scrape_async: Support::Yes,
            site_hosts: Support::Yes,
            many: Support::Yes,
            python_cpu_vs_io: Support::Yes,
            python_crunch: Support::Yes,
        }
    }

    /// One line per feature left out, for the machine description.
    pub fn skipped(&self) -> Vec<String> {
        [
            ("process-crunch --mode timely", &self.timely),
            (
                "process-crunch generate --stations 10000",
                &self.stations_10k,
            ),
            ("process-crunch bench --steps", &self.steps),
            ("cpu-vs-io --mode async", &self.async_mode),
            ("threaded-scrape --mode async", &self.scrape_async),
            ("threaded-scrape --site-hosts", &self.site_hosts),
            ("cpu-vs-io --workload many", &self.many),
            ("python/cpu_vs_io.py", &self.python_cpu_vs_io),
            ("python/crunch.py", &self.python_crunch),
        ]
        .into_iter()
        .filter_map(|(what, s)| match s {
            Support::No(why) => Some(format!("{what}: skipped: {why}")),
            _ => None,
        })
        .collect()
    }
}

/// Runs a tiny command: exit 0 means the binary has the feature, a usage error (exit 2) means
/// it does not (yet), anything else is a real failure.
pub fn probe(runner: &Runner, what: &str, a: &[String]) -> Result<Support> {
    let done = runner.run(a)?;
    if done.status.success() {
        return Ok(Support::Yes);
    }
    if done.status.code() == Some(2) {
        let first = done
            .stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("usage error");
        log(&format!(
            "skipped: {what}: the binary rejects it ({})",
            first.trim()
        ));
        return Ok(Support::No(first.trim().to_string()));
    }
    Err(exec::failed(
        &format!("probing {what}"),
        &exec::status_text(done.status),
        a,
        &done.stderr,
    ))
}

/// Whether python3 >= 3.9 is on PATH; logs "Python not found, skipped" once if not.
pub fn python(dir: &Path) -> std::result::Result<(), String> {
    let ok = supervised::status(
        std::process::Command::new("python3")
            .args([
                "-c",
                "import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)",
            ])
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null()),
    )
    .is_ok_and(|s| s.success());
    if ok {
        Ok(())
    } else {
        log(&format!(
            "Python not found, skipped (no python3 >= 3.9 on PATH for the baseline in {})",
            dir.display()
        ));
        Err("Python not found (python3 >= 3.9)".into())
    }
}

/// A Python baseline script: present, and accepting the plan's flags.
pub fn python_script(runner: &Runner, script: &Path, a: &[String]) -> Result<Support> {
    if !script.is_file() {
        log(&format!(
            "skipped: {} is not in this checkout",
            script.display()
        ));
        return Ok(Support::No(format!(
            "{} is not in this checkout",
            script.display()
        )));
    }
    probe(runner, &script.display().to_string(), a)
}
