//! The progress bar (indicatif, on stderr, only when stderr is a terminal): bytes done of
//! the total, and files done of the total.
//!
//! Totals need a first pass over SRC (`count`), made before the timed copy starts; a
//! bounded channel means the walker is never far ahead of the copiers, so it cannot tell
//! the totals as it goes. The workers do not touch the bar: they bump the report's atomic
//! counters, and one thread of ours redraws the bar from them ten times a second.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::thread::{Scope, ScopedJoinHandle};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use walkdir::WalkDir;

use crate::report::Report;

/// Files and bytes in SRC.
#[derive(Debug, Clone, Copy)]
pub struct Totals {
    pub files: u64,
    pub bytes: u64,
}

/// Counts the regular files in `src` and their bytes (the progress bar's totals).
pub fn count(src: &Path, dereference: bool) -> Totals {
    let mut totals = Totals { files: 0, bytes: 0 };
    let walk = WalkDir::new(src).min_depth(1).follow_links(dereference);
    for entry in walk.into_iter().flatten() {
        if entry.file_type().is_file() {
            totals.files += 1;
            totals.bytes += entry.metadata().map_or(0, |m| m.size());
        }
    }
    totals
}

/// The bar's redraw thread; `finish` stops it, and so does dropping it: a panic during the
/// copy unwinds past `finish`, and the scope, which joins every thread, must not then wait
/// forever on a loop nobody stops.
pub struct Bar<'scope> {
    done: Arc<AtomicBool>,
    thread: Option<ScopedJoinHandle<'scope, ()>>,
}

/// Starts the redraw thread in scope `s`. Lines printed by the report go above the bar.
pub fn spawn<'scope>(
    s: &'scope Scope<'scope, '_>,
    report: &'scope Report,
    totals: Totals,
) -> Bar<'scope> {
    let bar = ProgressBar::with_draw_target(Some(totals.bytes), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{bar:30} {binary_bytes}/{binary_total_bytes} {msg} ({elapsed})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    let _ = report.bar.set(bar.clone());
    let done = Arc::new(AtomicBool::new(false));
    let stop = done.clone();
    let thread = s.spawn(move || {
        let draw = || {
            let files = report.files.load(Relaxed) + report.hardlinks.load(Relaxed);
            bar.set_message(format!("{files}/{} files", totals.files));
            bar.set_position(report.bytes.load(Relaxed));
        };
        // Ends when `finish` sets `done`, after the copy.
        while !stop.load(Relaxed) {
            draw();
            std::thread::sleep(Duration::from_millis(100));
        }
        draw();
        bar.finish_and_clear();
    });
    Bar {
        done,
        thread: Some(thread),
    }
}

impl Bar<'_> {
    /// Stops the redraw loop and waits for its last redraw, so the bar is gone before the
    /// summary is printed.
    pub fn finish(mut self) {
        self.done.store(true, Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Bar<'_> {
    fn drop(&mut self) {
        self.done.store(true, Relaxed);
    }
}
