//! The machine description written beside the results (`<stamp>-<host>.machine.json`): what
//! the run was measured on and from which commit, so that a report can say when it is stale.
//! The renderer reads it as [`crate::records::Machine`]; `commit` and `dirty` are new fields
//! for its staleness banner.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use serde::Serialize;

use crate::supervised;

#[derive(Debug, Clone, Serialize)]
pub struct MachineInfo {
    pub host: String,
    /// When the run started, UTC, ISO 8601.
    pub timestamp: String,
    pub cpu_model: String,
    pub logical_cpus: u64,
    pub memory_kib: u64,
    pub os: String,
    pub kernel: String,
    pub rustc: String,
    /// The short commit, with " (with uncommitted changes)" when dirty: for people.
    pub git_commit: String,
    /// The full commit the binaries and the plan came from; `None` outside a git checkout.
    pub commit: Option<String>,
    /// Whether tracked files differed from that commit; `None` outside a git checkout.
    pub dirty: Option<bool>,
    pub runs: u32,
    pub warmup: u32,
    pub quick: bool,
    pub worker_counts: String,
    pub io_worker_counts: String,
    /// Per demo, one sentence on the inputs it was measured on.
    pub inputs: BTreeMap<String, String>,
    /// One line per optional measurement left out, and why (a feature the binary lacks,
    /// Python not found).
    pub skipped: Vec<String>,
    /// Seconds the runs took (inputs included, the build not).
    pub duration_s: f64,
}

/// The git state of the checkout in the current directory: (full sha, dirty). Both `None`
/// without git or outside a checkout. Only tracked files count: an untracked file changes
/// nothing that was built.
pub fn git_state() -> (Option<String>, Option<bool>) {
    let git = |args: &[&str]| {
        supervised::output(Command::new("git").args(args).stderr(Stdio::null()))
            .ok()
            .filter(|(status, _)| status.success())
            .map(|(_, stdout)| String::from_utf8_lossy(&stdout).trim().to_string())
    };
    let commit = git(&["rev-parse", "HEAD"]);
    let dirty = commit
        .as_ref()
        .and_then(|_| git(&["status", "--porcelain", "--untracked-files=no"]))
        .map(|s| !s.is_empty());
    (commit, dirty)
}

pub fn git_commit_text(commit: &Option<String>, dirty: Option<bool>) -> String {
    match commit {
        Some(c) => {
            let short: String = c.chars().take(12).collect();
            if dirty == Some(true) {
                format!("{short} (with uncommitted changes)")
            } else {
                short
            }
        }
        None => "unknown".into(),
    }
}

/// `key : value` from a /proc-style file, the first key of `keys` found.
fn proc_field(path: &str, keys: &[&str]) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        keys.contains(&k.trim()).then(|| v.trim().to_string())
    })
}

pub fn cpu_model() -> String {
    proc_field(
        "/proc/cpuinfo",
        &["model name", "Model", "Hardware", "cpu model"],
    )
    .unwrap_or_else(|| format!("unknown ({})", std::env::consts::ARCH))
}

pub fn memory_kib() -> u64 {
    proc_field("/proc/meminfo", &["MemTotal"])
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

pub fn os_name() -> String {
    fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("PRETTY_NAME=")
                    .map(|v| v.trim_matches('"').to_string())
            })
        })
        .unwrap_or_else(|| std::env::consts::OS.to_string())
}

pub fn uname() -> (String, String) {
    let u = rustix::system::uname();
    (
        u.nodename().to_string_lossy().into_owned(),
        u.release().to_string_lossy().into_owned(),
    )
}

/// The rustc that built `exe`: rustc leaves "rustc version X (hash date)" in the `.comment`
/// section of what it links, so this is right even for prebuilt binaries on a machine without
/// a toolchain.
pub fn rustc_of(exe: &Path) -> String {
    let Ok(bytes) = fs::read(exe) else {
        return "unknown".into();
    };
    let needle = b"rustc version ";
    // The needle is also in this very function's string constants: take the occurrence that
    // a version number follows.
    bytes
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .find_map(|(at, _)| {
            let rest = &bytes[at + needle.len()..];
            if !rest.first().is_some_and(u8::is_ascii_digit) {
                return None;
            }
            let end = rest.iter().position(|&b| b == b')' || b == 0)?;
            let text = std::str::from_utf8(&rest[..end]).ok()?;
            Some(format!(
                "rustc {text}{}",
                if rest[end] == b')' { ")" } else { "" }
            ))
        })
        .unwrap_or_else(|| "unknown".into())
}

/// A host name safe in a file name.
pub fn slug(host: &str) -> String {
    host.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The run's start, two ways: for the machine file and for file names.
pub struct Timestamp {
    pub iso: String,
    pub compact: String,
}

impl Timestamp {
    pub fn now() -> Timestamp {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let (y, mo, d) = civil_from_days((secs / 86_400) as i64);
        let (h, mi, s) = (secs / 3600 % 24, secs / 60 % 60, secs % 60);
        Timestamp {
            iso: format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"),
            compact: format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z"),
        }
    }
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn commit_text_marks_a_dirty_tree() {
        let c = Some("0123456789abcdef0123".to_string());
        assert_eq!(git_commit_text(&c, Some(false)), "0123456789ab");
        assert_eq!(
            git_commit_text(&c, Some(true)),
            "0123456789ab (with uncommitted changes)"
        );
        assert_eq!(git_commit_text(&None, None), "unknown");
    }

    #[test]
    fn own_binary_names_its_rustc() {
        let me = std::env::current_exe().unwrap();
        let found = rustc_of(&me);
        assert!(found.starts_with("rustc 1."), "{found}");
    }

    #[test]
    fn host_slug_keeps_file_names_safe() {
        assert_eq!(slug("my host/1"), "my-host-1");
    }
}
