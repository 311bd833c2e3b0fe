//! threaded-scrape: a polite parallel web crawler, and the lesson it teaches.
//!
//! Crawling is the I/O-bound case: a thread spends nearly all its time waiting for a server,
//! so 16 threads on 2 cores keep 16 requests in flight, and the crawl runs up to 16 times as
//! fast. Read the modules in this order:
//!
//! 1. [`crawl`]: the sequential loop and the threaded coordinator + workers, side by side,
//!    and `crawl_async`: the same coordinator over a tokio task set (the `async` feature);
//! 2. [`frontier`]: the one place every decision is made (visited set, depth, per-host
//!    limits, robots.txt, retries, redirect hops), owned by a single thread, so it needs no
//!    lock;
//! 3. [`fetch`]: one request with ureq (and `fetch_async`: with reqwest); [`page`], [`html`]
//!    and [`robots_chain`]: the body read with a limit, its HTML tokenized, robots.txt's
//!    redirect chain decided, the same code for both transports; [`transport`]: which client
//!    and which driver each mode runs on; [`dns`]: each host looked up once, not per request;
//! 4. [`urls`] and [`robots`]: when two links are the same page, what the crawl may request,
//!    and what a site allows;
//! 5. [`interrupt`] and [`output`]: Ctrl-C and the rows on disk, so nothing is lost;
//! 6. [`site`]: the built-in test site every test and the demo crawl.

pub mod cli;
pub mod crawl;
#[cfg(feature = "async")]
pub mod crawl_async;
pub mod demo;
pub mod dns;
pub mod fetch;
#[cfg(feature = "async")]
pub mod fetch_async;
pub mod frontier;
pub mod html;
pub mod interrupt;
pub mod output;
pub mod page;
pub mod progress;
pub mod report;
pub mod resources;
pub mod robots;
pub mod robots_chain;
pub mod site;
pub mod transport;
pub mod urls;

use std::process::ExitCode;
use std::time::Duration;

use cli::{parse_start_urls, Cli};
use crawl::Driver;
use frontier::Frontier;
use interrupt::{Interrupt, EXIT_INTERRUPTED};
use output::{NoFile, RowFile, RowSink};
use progress::Progress;
use report::Record;
use transport::Fetchers;

/// Runs what the command line asks for and decides the exit status.
pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    // A socket per request in flight (or per connection the test site serves).
    resources::raise_open_files_limit();
    if cli.serve {
        return demo::serve(cli);
    }
    if cli.start_urls.is_empty() {
        return demo::demo(cli);
    }
    let starts = parse_start_urls(&cli.start_urls)?;
    let fetchers = Fetchers::new(cli.fetch_options(&starts), &[cli.mode])?;
    // The output file exists before the first request: a bad path fails now, not after the
    // crawl. Each row is written to it as its page finishes.
    let mut rows: Box<dyn RowSink> = match (&cli.out, &cli.jsonl) {
        (Some(path), _) => Box::new(RowFile::csv(path)?),
        (None, Some(path)) => Box::new(RowFile::jsonl(path)?),
        (None, None) => Box::new(NoFile),
    };
    let interrupt = Interrupt::install(Duration::from_secs_f64(cli.grace_s))?;
    let frontier = Frontier::new(cli.crawl_config(&starts), &starts);
    let progress = Progress::new(!cli.json);
    let mut driver = Driver {
        progress: &progress,
        rows: &mut *rows,
        interrupt: &interrupt,
    };
    let crawl = fetchers.crawl(frontier, cli.mode, cli.workers, &mut driver)?;

    // The rows are on disk already; now the summary and the record.
    eprint!("{}", report::summary(&crawl, cli.per_host));
    if cli.json {
        let record = Record::new(&crawl, cli.per_host, cli.label.clone());
        println!("{}", serde_json::to_string(&record)?);
    }

    let outcome = &crawl.outcome;
    if outcome.interrupted {
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    if outcome.failed_starts.len() >= outcome.start_count {
        eprintln!("threaded-scrape: error: no start URL could be fetched:");
        for why in &outcome.failed_starts {
            eprintln!("  {why}");
        }
        return Ok(ExitCode::FAILURE);
    }
    if !crawl.worker_panics.is_empty() {
        eprintln!("threaded-scrape: error: {}", crawl.worker_panics.join("; "));
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
