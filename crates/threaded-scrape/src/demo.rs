//! The two ways to run without a START_URL: the side-by-side demo, and `--serve`.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use url::Url;

use crate::cli::Cli;
use crate::crawl::{Crawl, Driver, Mode};
use crate::frontier::Frontier;
use crate::interrupt::Interrupt;
use crate::output::{NoFile, RowFile, RowSink};
use crate::progress::Progress;
use crate::report::{self, Record};
use crate::site::{Site, SiteConfig};
use crate::transport::Fetchers;

fn site_config(cli: &Cli) -> SiteConfig {
    SiteConfig {
        pages: cli.site_pages,
        latency: Duration::from_millis(cli.site_latency_ms),
        clean_urls: cli.site_clean_urls,
        hosts: cli.site_hosts,
        ..SiteConfig::default()
    }
}

/// `--serve`: the test site alone, until SIGINT or SIGTERM.
pub fn serve(cli: &Cli) -> anyhow::Result<ExitCode> {
    let site = Site::start(&format!("127.0.0.1:{}", cli.port), site_config(cli))?;
    // The handler is installed before the URL is printed: whoever reads the URL may signal us
    // at once, and must get a clean stop.
    let (stop_tx, stop_rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .context("cannot install the Ctrl-C handler")?;

    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", site.url()).context("cannot write to stdout")?;
    // A script reads this line through a pipe: without the flush it would sit in our buffer.
    stdout.flush().context("cannot write to stdout")?;
    eprintln!(
        "serving the test site ({} pages, {} ms per request, {} origin{}) at {} until Ctrl-C; \
         stats: {}__stats",
        cli.site_pages,
        cli.site_latency_ms,
        cli.site_hosts,
        if cli.site_hosts == 1 { "" } else { "s" },
        site.url(),
        site.url()
    );
    // Blocks until the signal handler sends (or, if it somehow went away, returns at once).
    let _ = stop_rx.recv();
    eprintln!("stopping the test site");
    site.stop();
    Ok(ExitCode::SUCCESS)
}

/// No START_URL: crawl the built-in site sequentially, with threads and async, and compare.
pub fn demo(cli: &Cli) -> anyhow::Result<ExitCode> {
    let site = Site::start("127.0.0.1:0", site_config(cli))?;
    let start = Url::parse(&site.url()).context("the test site's URL")?;
    eprintln!(
        "test site: {} ({} pages, {} ms per request)",
        site.url(),
        cli.site_pages,
        cli.site_latency_ms
    );

    let starts = [start.clone()];
    let modes = demo_modes();
    let fetchers = Fetchers::new(cli.fetch_options(&starts), &modes)?;
    let run = |mode: Mode, rows: &mut dyn RowSink| -> anyhow::Result<Crawl> {
        let frontier = Frontier::new(cli.crawl_config(&starts), &starts);
        let mut driver = Driver {
            progress: &Progress::new(!cli.json),
            rows,
            // Ctrl-C in the demo simply ends the program: it has no work to keep.
            interrupt: &Interrupt::never(),
        };
        fetchers.crawl(frontier, mode, cli.workers, &mut driver)
    };
    // The threads crawl's rows go to --out or --jsonl, opened before any request.
    let mut out: Box<dyn RowSink> = match (&cli.out, &cli.jsonl) {
        (Some(path), _) => Box::new(RowFile::csv(path)?),
        (None, Some(path)) => Box::new(RowFile::jsonl(path)?),
        (None, None) => Box::new(NoFile),
    };

    // The site answers 500 and 429 (Retry-After: 1) once each per server. An untimed first
    // crawl takes those waits, so neither timed mode is charged for them.
    let warm = run(Mode::Threads, &mut NoFile)?;
    eprintln!(
        "warm-up crawl (threads, takes the site's one-time 500 and 429): {} pages in {:.2} s",
        warm.outcome.rows.len(),
        warm.wall.as_secs_f64()
    );
    let mut crawls = Vec::new();
    for mode in modes {
        let rows: &mut dyn RowSink = match mode {
            Mode::Threads => &mut *out,
            _ => &mut NoFile,
        };
        crawls.push(run(mode, rows)?);
    }
    site.stop();

    let table = table(&crawls, cli.per_host);
    if cli.json {
        eprint!("{table}");
        for crawl in &crawls {
            let record = Record::new(crawl, cli.per_host, cli.label.clone());
            println!("{}", serde_json::to_string(&record)?);
        }
    } else {
        print!("{table}");
    }
    eprintln!();
    eprint!("{}", report::summary(&crawls[1], cli.per_host));

    // Same frontier, same fetch-and-parse core: the modes must agree on what they found.
    let found = |c: &Crawl| -> BTreeSet<(String, Option<u16>)> {
        c.outcome
            .rows
            .iter()
            .map(|r| (r.url.clone(), r.status))
            .collect()
    };
    if crawls.iter().any(|c| found(c) != found(&crawls[0])) {
        eprintln!("warning: the modes found different pages (see --out)");
    }
    if let Some(path) = cli.out.as_ref().or(cli.jsonl.as_ref()) {
        eprintln!("wrote the threads crawl to {}", path.display());
    }
    let panics: Vec<&String> = crawls.iter().flat_map(|c| &c.worker_panics).collect();
    Ok(if panics.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The modes the demo compares: the baseline, threads, and async where it is built in.
fn demo_modes() -> Vec<Mode> {
    let mut modes = vec![Mode::Sequential, Mode::Threads];
    if cfg!(feature = "async") {
        modes.push(Mode::Async);
    }
    modes
}

/// mode, workers, most in flight, pages, time, pages/s, speedup over sequential.
fn table(crawls: &[Crawl], per_host: usize) -> String {
    let base = crawls[0].wall.as_secs_f64();
    let mut text = format!(
        "{:<11} {:>7} {:>9} {:>6} {:>9} {:>8} {:>8}\n",
        "mode", "workers", "in flight", "pages", "time", "pages/s", "speedup"
    );
    for crawl in crawls {
        let secs = crawl.wall.as_secs_f64();
        let pages = crawl.outcome.rows.len();
        text += &format!(
            "{:<11} {:>7} {:>9} {:>6} {:>7.2} s {:>8.1} {:>7.2}x\n",
            crawl.mode.name(),
            crawl.workers,
            crawl.outcome.peak_in_flight,
            pages,
            secs,
            pages as f64 / secs.max(1e-9),
            base / secs.max(1e-9)
        );
    }
    let workers = crawls.iter().map(|c| c.workers).max().unwrap_or(1);
    if per_host < workers {
        text += &format!(
            "(one host, --per-host {per_host}: at most {per_host} of the {workers} workers fetch \
             at once; raise both to go faster)\n"
        );
    }
    text
}
