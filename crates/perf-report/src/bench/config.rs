//! One configuration of the plan ([`Config`]): a command, how its records come about
//! ([`Source`]), and the key that --resume and --merge match on. A leaf of `bench` (it names only
//! the [`Check`] a timed tool gets, and the crate's number formatting): the plan builds
//! configurations, the references add theirs, the runner runs them and tags their records.

use std::path::PathBuf;

use super::check::Check;
use crate::format::plural;

/// `["a", "b"]` from string-likes, so that argv lines in the plan read like command lines.
/// Called with braces (`argv! {..}`), which rustfmt leaves on one line.
macro_rules! argv {
    ($($x:expr),* $(,)?) => { Vec::from([$($x.to_string()),*]) };
}
pub(crate) use argv;

/// How the records of a configuration come about.
#[derive(Debug, Clone)]
pub enum Source {
    /// The command prints `--json` timing records on stdout; the runner checks them (the
    /// `demo` field must be `demo`, unless the command is a Python script) and tags them.
    Records,
    /// An outside tool that prints no record: the runner times the process and writes the
    /// record, with the items and bytes that `check` finds after a successful run.
    Timed(Check),
    /// The tool is not installed: nothing runs; one record says so.
    NotInstalled,
}

/// One configuration of the plan: warm-up and timed runs of one command.
#[derive(Debug, Clone)]
pub struct Config {
    /// The `demo` field of its records.
    pub demo: &'static str,
    /// The table its records go to. With `relabel`, the runner writes it into every record;
    /// otherwise it only names the configuration (cpu-vs-io's `io` prints io-sleep and io-tcp).
    pub workload: String,
    pub relabel: bool,
    pub mode: String,
    pub workers: u64,
    /// `Some("python")` for the Python baseline: its records get `language` set.
    pub language: Option<&'static str>,
    /// An outside tool shown for comparison: its records carry `reference: true`.
    pub reference: bool,
    pub argv: Vec<String>,
    pub source: Source,
    /// A folder removed (untimed) before every run: the copy's destination.
    pub reset: Option<PathBuf>,
    /// The task count, where configurations of one table differ only by it (cpu-vs-io's
    /// `many` sweep): part of [`Config::id`], and written as `tasks` into records that lack it.
    pub tasks: Option<u64>,
    /// process-crunch `bench --steps`: its records name the step in `workload`
    /// (`fast-step-swar`); the runner moves it to `mode` (`+swar`), so that the steps are the
    /// rows of one table, [`Config::workload`].
    pub steps: bool,
}

impl Config {
    /// The key that --resume and --merge match on, stored in every record as `config`:
    /// `[LANGUAGE/]DEMO/WORKLOAD/MODE/WORKERS[/tasks-N]`.
    pub fn id(&self) -> String {
        let mut id = format!(
            "{}/{}/{}/{}",
            self.demo, self.workload, self.mode, self.workers
        );
        if let Some(l) = self.language {
            id = format!("{l}/{id}");
        }
        if let Some(n) = self.tasks {
            id += &format!("/tasks-{n}");
        }
        id
    }

    /// One line for the progress log: `cpu-vs-io (io) thread-pool 4 workers`.
    pub fn describe(&self) -> String {
        let mut line = self.demo.to_string();
        if let Some(l) = self.language {
            line += &format!(" [{l}]");
        }
        line += &format!(" ({}) {}", self.workload, self.mode);
        if self.reference {
            line += " (reference)";
        }
        line += &format!(" {}", plural(self.workers, "worker"));
        if let Some(n) = self.tasks {
            line += &format!(", {n} tasks");
        }
        line
    }
}

/// A configuration of a demo that prints its own records.
pub fn demo(
    demo: &'static str,
    workload: &str,
    mode: &str,
    workers: u64,
    argv: Vec<String>,
) -> Config {
    Config {
        demo,
        workload: workload.to_string(),
        relabel: false,
        mode: mode.to_string(),
        workers,
        language: None,
        reference: false,
        argv,
        source: Source::Records,
        reset: None,
        tasks: None,
        steps: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_is_keyed_and_described() {
        let mut c = demo("cpu-vs-io", "many", "async", 2, argv! {"x"});
        assert_eq!(c.id(), "cpu-vs-io/many/async/2");
        assert_eq!(c.describe(), "cpu-vs-io (many) async 2 workers");
        (c.language, c.tasks, c.reference) = (Some("python"), Some(100), true);
        assert_eq!(c.id(), "python/cpu-vs-io/many/async/2/tasks-100");
        assert_eq!(
            c.describe(),
            "cpu-vs-io [python] (many) async (reference) 2 workers, 100 tasks"
        );
        c.workers = 1;
        assert!(c.describe().contains(" 1 worker, "));
    }
}
