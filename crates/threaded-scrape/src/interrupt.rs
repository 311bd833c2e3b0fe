//! Ctrl-C keeps the work: the first one stops the crawl cleanly, the second one quits at once.
//!
//! The handler (a thread of the `ctrlc` crate, not a signal context) only sends on a channel.
//! The driver of the crawl selects on that channel beside its answers, so it hears the first
//! Ctrl-C at once, even while it waits: it stops handing out work, waits a bounded grace for
//! the requests in flight, and returns. The rows are on disk already (they are written as
//! pages finish); the summary is printed and the program exits 130, the shell's code for
//! "ended by SIGINT". A second Ctrl-C during the grace exits 130 at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use crossbeam_channel::Receiver;

/// Exit status after an interrupt: 128 + SIGINT.
pub const EXIT_INTERRUPTED: u8 = 130;

/// How the driver hears about Ctrl-C.
pub struct Interrupt {
    rx: Receiver<()>,
    /// How long the requests in flight may take to finish after the first Ctrl-C.
    pub grace: Duration,
}

impl Interrupt {
    /// Installs the process's Ctrl-C (and SIGTERM) handler. Once per process.
    pub fn install(grace: Duration) -> anyhow::Result<Interrupt> {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let count = AtomicUsize::new(0);
        ctrlc::set_handler(move || {
            if count.fetch_add(1, Ordering::SeqCst) == 0 {
                eprintln!(
                    "\nthreaded-scrape: interrupted: finishing the requests in flight (at most \
                     {:.1} s), then writing the summary; Ctrl-C again to quit at once",
                    grace.as_secs_f64()
                );
                // Full only if the driver never read the first one: nothing more to say.
                let _ = tx.try_send(());
            } else {
                eprintln!("threaded-scrape: interrupted twice: quitting now");
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        })
        .context("cannot install the Ctrl-C handler")?;
        Ok(Interrupt { rx, grace })
    }

    /// Never fires (the demo, tests).
    pub fn never() -> Interrupt {
        Interrupt {
            rx: crossbeam_channel::never(),
            grace: Duration::ZERO,
        }
    }

    /// The channel that receives one message on the first Ctrl-C.
    pub fn receiver(&self) -> &Receiver<()> {
        &self.rx
    }

    /// True (once) when Ctrl-C came since the last look.
    pub fn fired(&self) -> bool {
        self.rx.try_recv().is_ok()
    }
}
