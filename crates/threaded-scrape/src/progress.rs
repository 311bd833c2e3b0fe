//! A spinner on stderr with the crawl's counts, shown only when stderr is a terminal.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::frontier::Frontier;

pub struct Progress(Option<ProgressBar>);

impl Progress {
    pub fn new(enabled: bool) -> Progress {
        if !enabled || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(100));
        Progress(Some(bar))
    }

    /// No progress output (tests, `--json` runs in scripts).
    pub fn hidden() -> Progress {
        Progress(None)
    }

    pub fn update(&self, frontier: &Frontier) {
        if let Some(bar) = &self.0 {
            bar.set_message(format!(
                "{} fetched, {} in flight, {} queued",
                frontier.rows_done(),
                frontier.in_flight(),
                frontier.queued()
            ));
        }
    }

    /// A line above the spinner (or on stderr without one).
    pub fn println(&self, line: &str) {
        match &self.0 {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
