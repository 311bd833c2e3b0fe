//! The inputs of the plan, made before the first timed run: a temp dir on tmpfs when it has room
//! (so that the copier measures copying, not the disk), the seeded copy trees, the 1BRC files,
//! the crawler's test sites, and [`Features`]: which optional modes and flags the binaries of
//! this checkout accept.
//!
//! Everything lives in the temp dir or is a child process owned here, so dropping [`Inputs`]
//! (at the end, after an error, after Ctrl-C) stops the sites and removes every file.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::cli::Demo;
use super::config::argv;
use super::exec::{self, Runner};
use super::features::{probe, python, python_script, Features, Support};
use super::progress::log;
use super::sizes::Sizes;
use crate::supervised::Supervised;

/// The prepared inputs. Paths are under `work`, which is removed on drop.
pub struct Inputs {
    pub work: PathBuf,
    /// "tmpfs (/dev/shm)" or why not.
    pub fs: String,
    pub copy_dst: PathBuf,
    pub crunch: PathBuf,
    pub crunch_10k: PathBuf,
    pub site: String,
    pub target_site: Option<String>,
    /// The built-in site on [`Sizes::hosts`] origins, where threaded-scrape has `--site-hosts`.
    pub hosts_site: Option<String>,
    /// The test sites, stopped on drop.
    sites: Vec<Supervised>,
    /// The temp dir itself; `None` for --list, where nothing is made.
    dir: Option<tempfile::TempDir>,
}

impl Inputs {
    pub fn copy_src(&self, preset: &str) -> PathBuf {
        self.work.join(format!("copy-{preset}"))
    }

    /// The paths the plan would use, made of placeholders, for --list.
    pub fn placeholders(sizes: &Sizes) -> Inputs {
        let work = PathBuf::from("$WORK");
        Inputs {
            copy_dst: work.join("copy-dst"),
            crunch: work.join("measurements.txt"),
            crunch_10k: work.join("measurements-10k.txt"),
            site: "$SITE".into(),
            target_site: sizes.target_site.then(|| "$TARGET_SITE".into()),
            hosts_site: Some("$HOSTS_SITE".into()),
            fs: "(not made)".into(),
            work,
            sites: Vec::new(),
            dir: None,
        }
    }

    /// Makes the temp dir and every input the selected demos need, and probes the features.
    pub fn prepare(
        bin: &Path,
        demos: &[Demo],
        sizes: &Sizes,
        python_dir: &Path,
    ) -> Result<(Inputs, Features, Runner)> {
        let (dir, fs_note) = temp_dir(demos, sizes)?;
        let work = dir.path().to_path_buf();
        let runner = Runner::new(&work)?;
        let mut inputs = Inputs {
            copy_dst: work.join("copy-dst"),
            crunch: work.join("measurements.txt"),
            crunch_10k: work.join("measurements-10k.txt"),
            site: String::new(),
            target_site: None,
            hosts_site: None,
            fs: fs_note,
            work,
            sites: Vec::new(),
            dir: Some(dir),
        };
        let mut features = Features {
            timely: Support::Unknown,
            stations_10k: Support::Unknown,
            steps: Support::Unknown,
            async_mode: Support::Unknown,
            scrape_async: Support::Unknown,
            site_hosts: Support::Unknown,
            many: Support::Unknown,
            python_cpu_vs_io: Support::Unknown,
            python_crunch: Support::Unknown,
        };
        let python = python(python_dir);
        let exe = |d: &str| bin.join(d).display().to_string();
        let w = inputs.work.display().to_string();
        if demos.contains(&Demo::CpuVsIo) {
            let b = exe("cpu-vs-io");
            let tiny = |extra: &[&str]| {
                let mut a = argv! {b, "--tasks", 2, "--latency-ms", 1, "--workers", 1, "--json"};
                a.extend(extra.iter().map(|x| x.to_string()));
                a
            };
            features.async_mode = probe(
                &runner,
                "cpu-vs-io --mode async",
                &tiny(&["--workload", "io", "--mode", "async"]),
            )?;
            features.many = probe(
                &runner,
                "cpu-vs-io --workload many",
                &tiny(&["--workload", "many", "--mode", "thread-per-task"]),
            )?;
            features.python_cpu_vs_io = match &python {
                Ok(()) => {
                    let script = python_dir.join("cpu_vs_io.py");
                    let a = argv! {"python3", script.display(), "--workload", "cpu", "--mode", "sequential", "--workers", 1, "--tasks", 2, "--cpu-size", 10, "--json"};
                    python_script(&runner, &script, &a)?
                }
                Err(why) => Support::No(why.clone()),
            };
        }
        if demos.contains(&Demo::ThreadedFileCopy) {
            let b = exe("threaded-file-copy");
            log(&format!(
                "generating the copy trees in {}: {} small files, 4 x {} MiB",
                inputs.fs, sizes.copy_files, sizes.copy_mib
            ));
            for (preset, flag, n) in [
                ("small-files", "--gen-files", sizes.copy_files),
                ("large-files", "--gen-mib", sizes.copy_mib),
            ] {
                let src = inputs.copy_src(preset).display().to_string();
                runner.run_ok(
                    &argv! {b, "--generate", src, "--preset", preset, flag, n},
                    "generating a copy tree failed",
                )?;
            }
        }
        if demos.contains(&Demo::ProcessCrunch) {
            let b = exe("process-crunch");
            let file = inputs.crunch.display().to_string();
            log(&format!(
                "generating the crunch file in {}: {} rows",
                inputs.fs, sizes.crunch_rows
            ));
            runner.run_ok(
                &argv! {b, "generate", file, "--rows", sizes.crunch_rows},
                "generating the crunch file failed",
            )?;
            let tiny = format!("{w}/probe.txt");
            runner.run_ok(
                &argv! {b, "generate", tiny, "--rows", 1000},
                "generating a 1000-row file failed",
            )?;
            features.timely = probe(
                &runner,
                "process-crunch --mode timely",
                &argv! {b, "run", tiny, "--mode", "timely", "--workers", 1, "--processes", 1, "--json"},
            )?;
            features.python_crunch = match &python {
                Ok(()) => {
                    let script = python_dir.join("crunch.py");
                    let a = argv! {"python3", script.display(), tiny, "--mode", "sequential", "--workers", 1, "--json"};
                    python_script(&runner, &script, &a)?
                }
                Err(why) => Support::No(why.clone()),
            };
            features.steps = probe(
                &runner,
                "process-crunch bench --steps",
                &argv! {b, "bench", tiny, "--steps", "--runs", 1, "--json"},
            )?;
            let probe_10k = format!("{w}/probe-10k.txt");
            features.stations_10k = probe(
                &runner,
                "process-crunch generate --stations 10000",
                &argv! {b, "generate", probe_10k, "--rows", 1000, "--stations", 10_000},
            )?;
            if features.stations_10k.is_yes() {
                let f = inputs.crunch_10k.display().to_string();
                log(&format!(
                    "generating the 10,000-station crunch file: {} rows",
                    sizes.stations_10k_rows
                ));
                runner.run_ok(
                    &argv! {b, "generate", f, "--rows", sizes.stations_10k_rows, "--stations", 10_000},
                    "generating the 10,000-station file failed",
                )?;
            }
        }
        if demos.contains(&Demo::ThreadedScrape) {
            let b = exe("threaded-scrape");
            inputs.site =
                inputs.start_site(&runner, &b, sizes.scrape_pages, sizes.scrape_latency_ms, 1)?;
            if sizes.target_site {
                inputs.target_site = Some(inputs.start_site(&runner, &b, 500, 50, 1)?);
            }
            // A short crawl of the sweep site in the async mode: exit 2 means the binary has no
            // such mode (yet).
            features.scrape_async = probe(
                &runner,
                "threaded-scrape --mode async",
                &argv! {b, "--mode", "async", "--workers", 2, "--per-host", 2, "--max-pages", 3, "--json", "--label", "probe", inputs.site},
            )?;
            // clap stops at the first unknown option (exit 2), before --help (exit 0).
            features.site_hosts = probe(
                &runner,
                "threaded-scrape --site-hosts",
                &argv! {b, "--site-hosts", 2, "--help"},
            )?;
            if features.site_hosts.is_yes() {
                let (hosts, pages, ms) = sizes.hosts;
                inputs.hosts_site = Some(inputs.start_site(&runner, &b, pages, ms, hosts)?);
            }
        }
        Ok((inputs, features, runner))
    }

    /// Starts a built-in test site, waits for its URL and primes it with one untimed crawl.
    fn start_site(
        &mut self,
        runner: &Runner,
        b: &str,
        pages: u64,
        latency_ms: u64,
        hosts: u64,
    ) -> Result<String> {
        log(&format!(
            "starting the scrape test site: {pages} pages, {latency_ms} ms latency, {hosts} host(s)"
        ));
        let out = self
            .work
            .join(format!("site-{pages}-{latency_ms}-{hosts}.out"));
        let err = self
            .work
            .join(format!("site-{pages}-{latency_ms}-{hosts}.err"));
        let mut a = argv! {b, "--serve", "--port", 0, "--site-pages", pages, "--site-latency-ms", latency_ms};
        if hosts > 1 {
            a.extend(argv! {"--site-hosts", hosts});
        }
        self.sites.push(runner.spawn(&a, &out, &err)?);
        let site = self.sites.last_mut().expect("just pushed");
        // The site prints its base URL as the first line of stdout once it listens.
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = loop {
            runner.check_interrupted()?;
            let first = fs::File::open(&out)
                .ok()
                .and_then(|f| BufReader::new(f).lines().next())
                .and_then(|l| l.ok());
            if let Some(line) = first.filter(|l| l.ends_with('/') || l.starts_with("http")) {
                break line.trim().to_string();
            }
            if let Ok(Some(status)) = site.try_wait() {
                let stderr = fs::read_to_string(&err).unwrap_or_default();
                return Err(exec::failed(
                    "the scrape test site exited before printing its URL",
                    &exec::status_text(status),
                    &a,
                    &stderr,
                ));
            }
            if Instant::now() > deadline {
                bail!(
                    "the scrape test site printed no URL within 30 s: {}",
                    exec::shell_line(&a)
                );
            }
            thread::sleep(Duration::from_millis(50));
        };
        if !url.starts_with("http://") && !url.starts_with("https://") {
            bail!(
                "the scrape test site printed {url:?}, not a URL: {}",
                exec::shell_line(&a)
            );
        }
        // The site answers a few paths with a fault once per server (a 429 with Retry-After, a
        // 500 then 200): one untimed crawl takes those first answers, so that every measured
        // crawl, the first sequential one included, sees the same site even without warm-up.
        log(&format!(
            "scrape test site at {url}; priming it with one untimed crawl"
        ));
        runner.run_ok(
            &argv! {b, "--mode", "threads", "--workers", 16, "--per-host", 16, "--json", "--label", "priming", url},
            "priming the test site failed",
        )?;
        Ok(url)
    }

    /// The copy's destination, removed before each copy (untimed).
    pub fn reset(&self, path: &Path) -> Result<()> {
        match fs::remove_dir_all(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
        }
    }
}

impl Drop for Inputs {
    fn drop(&mut self) {
        // The sites serve until told to stop: stop and reap each, then the TempDir's own drop
        // (a field, dropped after this) removes every input.
        for site in &mut self.sites {
            site.stop();
        }
        drop(self.dir.take());
    }
}

/// The temp dir: /dev/shm when it has room for the copy trees (source and copy) and the crunch
/// files, with 10% to spare; else $TMPDIR.
fn temp_dir(demos: &[Demo], s: &Sizes) -> Result<(tempfile::TempDir, String)> {
    let mut need_kib: u64 = 4096;
    if demos.contains(&Demo::ThreadedFileCopy) {
        // Small files: ~8 KiB each plus a 4 KiB block of slack; large: 4 files. Source and copy.
        need_kib += 2 * (s.copy_files * 12 + 4 * s.copy_mib * 1024);
    }
    if demos.contains(&Demo::ProcessCrunch) {
        // ~14-16 bytes per row, rounded up; the 10,000-station file has longer names.
        need_kib += s.crunch_rows * 20 / 1024 + s.stations_10k_rows * 24 / 1024;
    }
    let shm = Path::new("/dev/shm");
    let avail_kib = rustix::fs::statvfs(shm)
        .map(|v| v.f_bavail * v.f_frsize / 1024)
        .unwrap_or(0);
    let builder = || {
        let mut b = tempfile::Builder::new();
        b.prefix("run_all.");
        b
    };
    if avail_kib > need_kib * 11 / 10 {
        if let Ok(dir) = builder().tempdir_in(shm) {
            return Ok((dir, "tmpfs (/dev/shm)".into()));
        }
    }
    let dir = builder().tempdir().context("cannot create a temp dir")?;
    let note = format!(
        "the temp dir {} (not tmpfs: /dev/shm missing or short of {} MiB)",
        dir.path().display(),
        need_kib / 1024
    );
    Ok((dir, note))
}
