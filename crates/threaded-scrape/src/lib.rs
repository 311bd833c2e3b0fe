//! threaded-scrape: a polite parallel web crawler, and the lesson it teaches.
//!
//! Crawling is the I/O-bound case: a thread spends nearly all its time waiting for a server,
//! so 16 threads on 2 cores keep 16 requests in flight, and the crawl runs up to 16 times as
//! fast. Read the modules in this order:
//!
//! 1. [`crawl`]: the sequential loop and the threaded coordinator + workers, side by side;
//! 2. [`frontier`]: the one place every decision is made (visited set, per-host limits,
//!    robots.txt, retries, redirect hops), owned by a single thread, so it needs no lock;
//! 3. [`fetch`]: one request with ureq, its body read with a limit, its HTML parsed;
//! 4. [`urls`] and [`robots`]: when two links are the same page, and what a site allows;
//! 5. [`site`]: the built-in test site every test and the demo crawl.

pub mod cli;
pub mod crawl;
pub mod demo;
pub mod fetch;
pub mod frontier;
pub mod report;
pub mod robots;
pub mod site;
pub mod urls;

use std::process::ExitCode;

use cli::{parse_start_urls, Cli};
use crawl::Progress;
use fetch::HttpFetcher;
use frontier::Frontier;
use report::Record;

/// Runs what the command line asks for and decides the exit status.
pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    if cli.serve {
        return demo::serve(cli);
    }
    if cli.start_urls.is_empty() {
        return demo::demo(cli);
    }
    let starts = parse_start_urls(&cli.start_urls)?;
    let frontier = Frontier::new(cli.crawl_config(&starts), &starts);
    let fetcher = HttpFetcher::new(cli.timeout(), cli.max_bytes, cli.workers, cli.per_host);
    let progress = Progress::new(!cli.json);
    let crawl = crawl::crawl(frontier, &fetcher, cli.mode, cli.workers, &progress)?;

    // Results first, then the verdict: a failed crawl still leaves its numbers and its CSV.
    eprint!("{}", report::summary(&crawl, cli.per_host));
    if let Some(path) = &cli.out {
        report::write_csv(path, &crawl.outcome.rows)?;
    }
    if cli.json {
        let record = Record::new(&crawl, cli.per_host, cli.label.clone());
        println!("{}", serde_json::to_string(&record)?);
    }

    let outcome = &crawl.outcome;
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
