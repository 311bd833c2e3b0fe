//! A pipeline of plain threads: one walker thread sends batches of jobs into a bounded
//! crossbeam channel, and N copier threads take batches out of it and copy them.
//!
//! ```text
//!   walker ──batch──▶ [ bounded(2 × N) ] ──batch──▶ copier 1 … copier N
//! ```
//!
//! The channel is *bounded* on purpose. An unbounded one would let the walker, which is much
//! faster than the copiers (it reads directory entries; they move bytes), run ahead and queue
//! every path of the tree in memory: a million paths for a million-file tree. With room for
//! `2 × N` batches, a full channel makes the walker's `send` wait until a copier takes a
//! batch: memory stays at a few batches whatever the size of the tree, and each copier still
//! finds its next batch waiting when it finishes one. The cost is that the walker sleeps on
//! the full channel now and then, which is exactly what we want it to do.

use std::thread;

use crossbeam_channel::bounded;

use crate::context::Context;
use crate::copy;
use crate::entry::Batch;
use crate::job;
use crate::report::panic_message;
use crate::walk::{DirMeta, Walker};

pub fn run(ctx: &Context, walker: Walker<'_>, workers: usize) -> Vec<DirMeta> {
    let (tx, rx) = bounded::<Batch<'_>>(2 * workers);

    // Scoped threads may borrow `ctx`; the scope joins any thread we did not join ourselves.
    thread::scope(|s| {
        let walker_thread = s.spawn(move || {
            let mut walker = walker;
            for batch in &mut walker {
                // Blocks while the channel is full: the back-pressure described above. Fails
                // only when every copier is gone (they all panicked): then stop walking.
                if tx.send(batch).is_err() {
                    break;
                }
            }
            // Returning drops `tx`, the only sender: that closes the channel, and each copier's
            // loop below ends once it has taken the last batch.
            walker.into_dirs()
        });

        let copiers: Vec<_> = (0..workers)
            .map(|_| {
                let rx = rx.clone();
                s.spawn(move || {
                    // One buffer per copier, reused for every file.
                    let mut buf = copy::buffer();
                    // Ends when the channel is closed and empty (the walker is done).
                    for batch in rx.iter() {
                        for job in &batch {
                            // Ctrl-C: stop taking work. Dropping `rx` (by returning) lets a
                            // walker blocked on a full channel see the end too.
                            if ctx.cancelled() {
                                return;
                            }
                            job::run(ctx, job, &mut buf);
                        }
                    }
                })
            })
            .collect();
        // Our own receiver must go: if every copier died, the walker's `send` has to fail
        // instead of blocking forever on a channel nobody reads.
        drop(rx);

        // Join the copiers first: they finish after the walker has closed the channel. A panic
        // in a copier is an error at join, not a hang: the others drained the channel.
        for (i, copier) in copiers.into_iter().enumerate() {
            if let Err(panic) = copier.join() {
                ctx.report.error(format_args!(
                    "copier thread {i} panicked: {}",
                    panic_message(&*panic)
                ));
            }
        }
        match walker_thread.join() {
            Ok(dirs) => dirs,
            Err(panic) => {
                ctx.report.error(format_args!(
                    "walker thread panicked: {}",
                    panic_message(&*panic)
                ));
                // Without the walker's list the directories keep their temporary permissions.
                Vec::new()
            }
        }
    })
}
