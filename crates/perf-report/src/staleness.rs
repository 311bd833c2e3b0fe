//! Whether the report still describes the code: the machine description records the commit
//! measured and whether the tree was dirty; git says whether the code has changed since. A
//! report from a dirty tree, or from a commit whose code differs from the checkout's, opens
//! with a banner that says so.
//!
//! "The code" is every tracked file under `crates/` and `scripts/` except Markdown files (the
//! crate READMEs carry the generated Performance blocks, so committing a regenerated report
//! must not make that same report stale) and except the renderer's own sources (see [`CODE`]):
//! the measured code is the demos and the runner. The comparison is between the commit measured and the
//! checkout's files (`git diff --quiet COMMIT -- crates scripts`), so it depends only on the
//! committed files and the history: a re-render in CI gives the same banner as on the machine
//! that committed it. The banner names the commit measured, never the latest one, so further
//! code changes do not change it again.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::records::Machine;
use crate::supervised::{self, status};

/// What git says about the code since the commit measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// The code under `crates/` and `scripts/` is the commit's.
    Current,
    /// The code has changed since the commit measured.
    Changed,
    /// The commit is not in this checkout's history (a shallow clone, another fork).
    NotInHistory,
    /// No commit was recorded.
    Unrecorded,
    /// The results are not inside a git checkout, or git is not installed: nothing to check.
    NoRepo,
}

/// The staleness of one report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staleness {
    pub commit: Option<String>,
    pub dirty: Option<bool>,
    pub code: Code,
}

/// The pathspecs of "the code": crates and scripts, their Markdown aside, and the renderer's
/// own files aside too (everything of perf-report but the runner in `src/bench/` and the
/// manifest): a change to how the report is written changes no number in it, and CI's
/// re-render check already holds the committed report to the current renderer.
const CODE: [&str; 9] = [
    "crates",
    "scripts",
    ":(exclude,glob)crates/**/*.md",
    ":(exclude,glob)crates/perf-report/src/*.rs",
    ":(exclude)crates/perf-report/src/charts",
    ":(exclude)crates/perf-report/src/findings",
    ":(exclude)crates/perf-report/src/records",
    ":(exclude)crates/perf-report/src/stats",
    ":(exclude)crates/perf-report/tests",
];

/// Checks the machine's commit against the git checkout that holds `results`.
pub fn check(machine: &Machine, results: &Path) -> Staleness {
    let (commit, dirty) = machine.source();
    let code = match (&commit, repo_root(results)) {
        (_, None) => Code::NoRepo,
        (None, Some(_)) => Code::Unrecorded,
        (Some(c), Some(root)) => code_since(&root, c),
    };
    Staleness {
        commit,
        dirty,
        code,
    }
}

/// The top of the git work tree holding `path`, if any.
fn repo_root(path: &Path) -> Option<PathBuf> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let (status, stdout) = supervised::output(
        Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args(["rev-parse", "--show-toplevel"])
            .stderr(Stdio::null()),
    )
    .ok()?;
    if !status.success() {
        return None;
    }
    let root = String::from_utf8_lossy(&stdout).trim().to_string();
    (!root.is_empty()).then(|| PathBuf::from(root))
}

fn code_since(root: &Path, commit: &str) -> Code {
    let git = || {
        let mut c = Command::new("git");
        c.arg("-C")
            .arg(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };
    let known = status(git().args(["cat-file", "-e", &format!("{commit}^{{commit}}")]))
        .is_ok_and(|s| s.success());
    if !known {
        return Code::NotInHistory;
    }
    // Exit 0: no difference; 1: differences; anything else: git could not tell.
    match status(git().args(["diff", "--quiet", commit, "--"]).args(CODE)).map(|s| s.code()) {
        Ok(Some(0)) => Code::Current,
        Ok(Some(1)) => Code::Changed,
        _ => Code::NotInHistory,
    }
}

impl Staleness {
    /// The banner lines (Markdown blockquotes), empty for a report of the current, clean code.
    pub fn banner(&self) -> String {
        let short = |c: &str| c.chars().take(12).collect::<String>();
        let at = self
            .commit
            .as_deref()
            .map(|c| format!(" at commit `{}`", short(c)))
            .unwrap_or_default();
        let mut out = String::new();
        if self.dirty == Some(true) {
            out.push_str(&format!(
                "> **Measured on a tree with uncommitted changes**{at}: the code measured is no \
                 commit's. Rerun `scripts/run_all.sh` from a clean tree for a report that can be \
                 traced.\n\n"
            ));
        }
        match self.code {
            Code::Changed => out.push_str(&format!(
                "> **Older than the code**: measured{at}, and the code under `crates/` or \
                 `scripts/` has changed since. These numbers may not describe the current code; \
                 rerun `scripts/run_all.sh` to measure it.\n\n"
            )),
            Code::NotInHistory => out.push_str(&format!(
                "> **Cannot tell whether this report is current**: it was measured{at}, which \
                 is not in this checkout's history.\n\n"
            )),
            Code::Unrecorded => out.push_str(
                "> **Cannot tell whether this report is current**: the run did not record the \
                 commit it measured.\n\n",
            ),
            Code::Current | Code::NoRepo => {}
        }
        out
    }

    /// The machine table's Commit cell: "`abc123` (clean)", "`abc123` (uncommitted changes)".
    pub fn commit_cell(&self) -> Option<String> {
        let c = self.commit.as_deref()?;
        let state = match self.dirty {
            Some(true) => " (with uncommitted changes)",
            Some(false) => " (clean tree)",
            None => "",
        };
        Some(format!(
            "`{}`{state}",
            c.chars().take(12).collect::<String>()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(json: &str) -> Machine {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn banners_for_dirty_stale_and_unknown() {
        let s = Staleness {
            commit: Some("0123456789abcdef".into()),
            dirty: Some(true),
            code: Code::Changed,
        };
        let b = s.banner();
        assert!(
            b.contains("uncommitted changes** at commit `0123456789ab`"),
            "{b}"
        );
        assert!(b.contains("**Older than the code**"), "{b}");
        let clean = Staleness {
            commit: Some("abc".into()),
            dirty: Some(false),
            code: Code::Current,
        };
        assert_eq!(clean.banner(), "");
        assert_eq!(clean.commit_cell().unwrap(), "`abc` (clean tree)");
        // Outside a checkout only the dirty flag can be read.
        let tmp = tempfile::tempdir().unwrap();
        let s = check(
            &machine(r#"{"commit":"abc","dirty":false}"#),
            &tmp.path().join("r.jsonl"),
        );
        assert_eq!(s.code, Code::NoRepo);
    }

    /// A real repository: the report is current at its commit, stays current when only
    /// Markdown under crates/ changes, and is stale once code changes.
    #[test]
    fn stale_once_the_code_changes() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let git = |args: &[&str]| {
            Command::new("git")
                .arg("-C")
                .arg(root)
                .args([
                    "-c",
                    "user.name=t",
                    "-c",
                    "user.email=t@t",
                    "-c",
                    "commit.gpgsign=false",
                ])
                .args(args)
                .output()
        };
        if git(&["init", "-q"]).is_err() {
            // Straight to the stderr handle: the harness captures `eprintln!` of a passing
            // test, and a skip must be seen.
            let _ =
                std::io::Write::write_all(&mut std::io::stderr(), b"SKIP: git is not installed\n");
            return;
        }
        std::fs::create_dir_all(root.join("crates/a/src")).unwrap();
        std::fs::create_dir_all(root.join("results")).unwrap();
        std::fs::write(root.join("crates/a/src/lib.rs"), "// v1\n").unwrap();
        std::fs::write(root.join("crates/a/README.md"), "# a\n").unwrap();
        git(&["add", "-A"]).unwrap();
        git(&["commit", "-qm", "one"]).unwrap();
        let head = String::from_utf8(git(&["rev-parse", "HEAD"]).unwrap().stdout).unwrap();
        let m = machine(&format!(r#"{{"commit":"{}","dirty":false}}"#, head.trim()));
        let results = root.join("results/r.jsonl");
        assert_eq!(check(&m, &results).code, Code::Current);

        std::fs::write(root.join("crates/a/README.md"), "# a\nregenerated block\n").unwrap();
        git(&["commit", "-qam", "report"]).unwrap();
        assert_eq!(check(&m, &results).code, Code::Current);

        // The renderer's own code changes no number; the runner's does.
        let pr = root.join("crates/perf-report/src");
        std::fs::create_dir_all(pr.join("charts")).unwrap();
        std::fs::create_dir_all(pr.join("bench")).unwrap();
        std::fs::write(pr.join("report.rs"), "// renderer\n").unwrap();
        std::fs::write(pr.join("charts/mod.rs"), "// renderer\n").unwrap();
        git(&["add", "-A"]).unwrap();
        git(&["commit", "-qm", "renderer"]).unwrap();
        assert_eq!(check(&m, &results).code, Code::Current);
        std::fs::write(pr.join("bench/plan.rs"), "// runner\n").unwrap();
        git(&["add", "-A"]).unwrap();
        git(&["commit", "-qm", "runner"]).unwrap();
        assert_eq!(check(&m, &results).code, Code::Changed);
        git(&["revert", "--no-edit", "HEAD"]).unwrap();
        assert_eq!(check(&m, &results).code, Code::Current);

        std::fs::write(root.join("crates/a/src/lib.rs"), "// v2\n").unwrap();
        git(&["commit", "-qam", "code"]).unwrap();
        assert_eq!(check(&m, &results).code, Code::Changed);

        let unknown = machine(r#"{"commit":"ffffffffffffffffffffffffffffffffffffffff"}"#);
        assert_eq!(check(&unknown, &results).code, Code::NotInHistory);
        assert_eq!(check(&machine("{}"), &results).code, Code::Unrecorded);
    }
}
