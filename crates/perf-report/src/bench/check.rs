//! What the runner checks after an outside tool exits 0, so that a timed reference is a tool
//! that did the work: the copy holds the same files and bytes as the source, wget fetched pages,
//! a query counted every row. A leaf module: the configurations name a check, the references
//! choose one.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// What the runner checks after a timed tool exits 0, and where the record's items and bytes
/// come from.
#[derive(Debug, Clone)]
pub enum Check {
    /// The copy at `dst` holds the same files (and symlinks) and bytes as `src`.
    SameTree { src: PathBuf, dst: PathBuf },
    /// wget's closing "Downloaded: N files, ..." line names at least one file.
    WgetDownloaded,
    /// Nothing to check beyond the exit status; the items and bytes are known.
    Known { items: u64, bytes: u64 },
}

impl Check {
    /// Whether `code` is a finished run. wget exits 4 (a network failure) or 8 (an error
    /// response) when some link failed, and the test site has such links on purpose (a host
    /// that does not resolve, a redirect loop, 404s): the crawl still went through the site.
    pub fn accepts(&self, code: Option<i32>) -> bool {
        match self {
            Check::WgetDownloaded => matches!(code, Some(0 | 4 | 8)),
            _ => code == Some(0),
        }
    }

    /// (items, bytes) of a successful run, or an error saying what is wrong with its result.
    pub fn verify(&self, stderr: &str) -> Result<(u64, u64)> {
        match self {
            Check::SameTree { src, dst } => {
                let want = tree_size(src)?;
                let got = tree_size(dst)?;
                if got != want {
                    bail!(
                        "the copy {} holds {} files and {} bytes, the source {} holds {} and {}",
                        dst.display(),
                        got.0,
                        got.1,
                        src.display(),
                        want.0,
                        want.1
                    );
                }
                Ok(want)
            }
            Check::WgetDownloaded => {
                let line = stderr
                    .lines()
                    .rev()
                    .find(|l| l.starts_with("Downloaded: "))
                    .context("wget printed no \"Downloaded: N files\" line")?;
                let files: u64 = line
                    .trim_start_matches("Downloaded: ")
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse().ok())
                    .with_context(|| format!("cannot read the file count in {line:?}"))?;
                if files == 0 {
                    bail!("wget downloaded nothing: {line:?}");
                }
                Ok((files, 0))
            }
            Check::Known { items, bytes } => Ok((*items, *bytes)),
        }
    }
}

/// Files and symlinks under `root` (what the copier counts as items) and the bytes of the files.
pub fn tree_size(root: &Path) -> Result<(u64, u64)> {
    let mut items = 0;
    let mut bytes = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
            let meta = entry
                .metadata()
                .with_context(|| format!("cannot stat {}", entry.path().display()))?;
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                items += 1;
                if meta.is_file() {
                    bytes += meta.len();
                }
            }
        }
    }
    Ok((items, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wget_summary_gives_the_file_count() {
        let err = "x\nFINISHED --2026-01-01--\nTotal wall clock time: 1s\nDownloaded: 51 files, 300K in 0.01s (30 MB/s)\n";
        assert_eq!(Check::WgetDownloaded.verify(err).unwrap(), (51, 0));
        assert!(Check::WgetDownloaded.verify("nothing\n").is_err());
    }

    #[test]
    fn tree_check_catches_a_short_copy() {
        let dir = tempfile::tempdir().unwrap();
        let (src, dst) = (dir.path().join("s"), dir.path().join("d"));
        fs::create_dir_all(src.join("sub")).unwrap();
        fs::create_dir_all(&dst).unwrap();
        fs::write(src.join("sub/a"), "hello").unwrap();
        fs::write(src.join("b"), "!").unwrap();
        fs::write(dst.join("b"), "!").unwrap();
        let check = Check::SameTree {
            src: src.clone(),
            dst: dst.clone(),
        };
        assert!(check
            .verify("")
            .unwrap_err()
            .to_string()
            .contains("holds 1 files"));
        fs::create_dir_all(dst.join("sub")).unwrap();
        fs::write(dst.join("sub/a"), "hello").unwrap();
        assert_eq!(check.verify("").unwrap(), (2, 6));
    }
}
