//! The command line: every flag with its default (`--help` prints them), and the check that
//! turns a parsed command line into one of four actions: copy, generate, bench or demo.

use std::path::PathBuf;

use anyhow::Result;
use clap::builder::TypedValueParser as _;
use clap::{Parser, ValueEnum};

use crate::error::Refusal;

const LONG_ABOUT: &str = "\
Copies the contents of the directory SRC into DST, keeping what cp -a keeps: regular files
(content read to the end, holes of sparse files kept), directories (empty ones too), symlinks
(recreated as links, dangling ones too), FIFOs, sockets and devices (recreated), hard links
(kept as hard links, to symlinks too), names that are not valid UTF-8; with each, the
permission bits, access and modification times, the owner and group where the process may
set them (see --no-owner) and extended attributes and ACLs (see --no-xattrs).

DST must not exist, or be an empty directory; a non-empty DST is refused unless --force.
Nothing under DST is ever followed: with --force, an entry of DST whose type differs from
SRC's (a symlink, a file where SRC has a directory, or the reverse) is replaced, never written
through. Every file is written without a name (O_TMPFILE) or under a temporary name in its
destination directory, and gets its real name only when complete. A file that changes while
it is copied is reported (exit status 1), its copy kept. Ctrl-C stops the copy, removes the
unfinished files and exits with 130.

With no arguments at all, builds a sample tree in a temp dir, copies it in every mode, checks
each copy and prints a table of the times.

Exit status: 0 success, 1 some entries failed (each one is reported), 2 usage error or a
refused copy (nothing written), 130 interrupted.";

/// How the files are copied. Every mode uses the same walker and the same copy function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// One thread walks and copies, one file after another: the baseline.
    Sequential,
    /// A walker thread feeds N copier threads over a bounded crossbeam channel.
    Threads,
    /// A rayon pool of N threads pulls batches straight from the walker (`par_bridge`).
    Rayon,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Sequential, Mode::Threads, Mode::Rayon];

    /// The name used in the JSON record and the tables.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Sequential => "sequential",
            Mode::Threads => "threads",
            Mode::Rayon => "rayon",
        }
    }

    /// Threads doing the copying: the sequential mode has one, whatever `--workers` says.
    pub fn workers(self, requested: usize) -> usize {
        match self {
            Mode::Sequential => 1,
            Mode::Threads | Mode::Rayon => requested,
        }
    }
}

/// The seeded trees that `--generate` and `--bench` build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// --gen-files files (default 10000) in 100 directories, 100 B to 16 KiB each.
    SmallFiles,
    /// 4 files of --gen-mib MiB each (default 64).
    LargeFiles,
}

impl Preset {
    pub fn name(self) -> &'static str {
        match self {
            Preset::SmallFiles => "small-files",
            Preset::LargeFiles => "large-files",
        }
    }
}

fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[derive(Debug, Parser)]
#[command(name = "threaded-file-copy", version, about, long_about = LONG_ABOUT)]
pub struct Cli {
    /// Directory whose contents are copied (a symlink given here is followed).
    #[arg(requires = "dst")]
    pub src: Option<PathBuf>,

    /// Destination directory: must not exist, or be empty (see --force).
    pub dst: Option<PathBuf>,

    /// How to copy.
    #[arg(long, value_enum, default_value_t = Mode::Threads)]
    pub mode: Mode,

    /// Copier threads for `threads` and `rayon` (default: logical CPUs).
    #[arg(long, default_value_t = default_workers(),
          value_parser = clap::value_parser!(u16).range(1..).map(usize::from))]
    pub workers: usize,

    /// Print one JSON timing record on stdout (and nothing else there).
    #[arg(long)]
    pub json: bool,

    /// After copying, re-read source and copy and compare blake3 hashes, permission bits,
    /// mtimes and link targets; any mismatch is an error.
    #[arg(long)]
    pub verify: bool,

    /// DST may exist and hold files: files it shares with SRC are replaced, others left alone.
    #[arg(long)]
    pub force: bool,

    /// Do not keep owners and groups (nor, with them, the set-user-ID and set-group-ID bits):
    /// the copy belongs to whoever runs it.
    #[arg(long)]
    pub no_owner: bool,

    /// Do not keep extended attributes and ACLs.
    #[arg(long)]
    pub no_xattrs: bool,

    /// Follow symlinks and copy what they point to; loops are detected and reported.
    #[arg(long, short = 'L')]
    pub dereference: bool,

    /// No progress bar and no summary (errors are still printed).
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// The `workload` field of the JSON record (what was measured, for the report).
    #[arg(long, value_name = "WORKLOAD")]
    pub label: Option<String>,

    /// Build a seeded sample tree in DIR (which must not exist or be empty) and exit.
    #[arg(long, value_name = "DIR", requires = "preset", conflicts_with_all = ["src", "bench"])]
    pub generate: Option<PathBuf>,

    /// Which tree --generate builds; for --bench, the one tree to measure (default: both).
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,

    /// Number of files in the small-files tree.
    #[arg(long, default_value_t = 10_000)]
    pub gen_files: usize,

    /// Size of each of the 4 files of the large-files tree, in MiB.
    #[arg(long, default_value_t = 64)]
    pub gen_mib: u64,

    /// Seed of the generated trees (same seed, same tree).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Time `cp -r` against every mode on generated trees (median of --runs runs).
    #[arg(long, conflicts_with = "src")]
    pub bench: bool,

    /// Runs per mode, of which the median is shown [default: 5 for --bench, 3 for the demo].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..).map(usize::from))]
    pub runs: Option<usize>,

    /// Where --bench and the demo build their trees [default: /dev/shm when it exists, else
    /// the temp dir].
    #[arg(long, value_name = "DIR")]
    pub bench_dir: Option<PathBuf>,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Action {
    Copy { src: PathBuf, dst: PathBuf },
    Generate { dir: PathBuf, preset: Preset },
    Bench { presets: Vec<Preset> },
    Demo,
}

impl Cli {
    /// Decides the action. Clap has already rejected conflicting flags; what is left is the
    /// one combination it cannot express: copy flags without SRC and DST.
    pub fn action(&self) -> Result<Action> {
        if let Some(dir) = &self.generate {
            // `requires = "preset"` guarantees the preset is there.
            let preset = self
                .preset
                .ok_or_else(|| Refusal::new("--generate needs --preset"))?;
            return Ok(Action::Generate {
                dir: dir.clone(),
                preset,
            });
        }
        if self.bench {
            let presets = match self.preset {
                Some(p) => vec![p],
                None => vec![Preset::SmallFiles, Preset::LargeFiles],
            };
            return Ok(Action::Bench { presets });
        }
        match (&self.src, &self.dst) {
            (Some(src), Some(dst)) => Ok(Action::Copy {
                src: src.clone(),
                dst: dst.clone(),
            }),
            _ if self.json || self.label.is_some() || self.force || self.verify => {
                Err(Refusal::new("SRC and DST are required (see --help)").into())
            }
            _ => Ok(Action::Demo),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Action> {
        let cli =
            Cli::try_parse_from(std::iter::once("threaded-file-copy").chain(args.iter().copied()))?;
        cli.action()
    }

    #[test]
    fn actions() {
        assert!(matches!(parse(&[]).unwrap(), Action::Demo));
        assert!(matches!(parse(&["a", "b"]).unwrap(), Action::Copy { .. }));
        assert!(matches!(
            parse(&["--generate", "d", "--preset", "small-files"]).unwrap(),
            Action::Generate {
                preset: Preset::SmallFiles,
                ..
            }
        ));
        assert!(
            matches!(parse(&["--bench"]).unwrap(), Action::Bench { presets } if presets.len() == 2)
        );
        assert!(parse(&["a"]).is_err(), "DST is required with SRC");
        assert!(
            parse(&["--generate", "d"]).is_err(),
            "--generate needs --preset"
        );
        assert!(parse(&["--json"]).is_err(), "--json without SRC DST");
        assert!(parse(&["--workers", "0", "a", "b"]).is_err());
    }
}
