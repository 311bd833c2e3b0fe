//! Lesson 3: channels, a producer/consumer pipeline.
//!
//! The sequential version is one loop: square 1..=n and add the squares up. The pipeline
//! splits that loop into stages on threads: a producer thread sends the numbers into a bounded
//! channel; a group of worker threads take numbers out, square them and send the squares into
//! a second bounded channel; the calling thread consumes the squares and adds them up. No
//! state is shared: each value is owned by one thread at a time and moves with the message.
//!
//! Two things to see. The channels are bounded, so a fast producer blocks on `send` once the
//! queue is full instead of filling memory: the peak queue length printed never exceeds the
//! capacity. And nobody sends a "stop" message: a receiving loop `for x in rx` ends when the
//! channel is empty and every sender has been dropped, so the pipeline shuts down stage by stage
//! as each stage's senders go away.

use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use crossbeam_channel::bounded;

/// Adds up the squares of 1..=items with a loop, then with the pipeline of `workers` threads.
pub fn run(items: u64, workers: usize, capacity: usize) -> anyhow::Result<Pipeline> {
    // The sequential version: one loop on this thread.
    let start = Instant::now();
    let sequential_sum: u64 = (1..=items).map(|n| n * n).sum();
    let sequential = start.elapsed();

    let workers = workers.max(1);
    let start = Instant::now();
    // bounded(capacity): `send` blocks while `capacity` messages wait, so the producer cannot
    // run ahead of the workers and hold every number in memory. (A capacity of 0 would make
    // every send wait for a receiver: a rendezvous.)
    let (number_tx, number_rx) = bounded::<u64>(capacity);
    let (square_tx, square_rx) = bounded::<u64>(capacity);

    // The producer owns `number_tx`. When its loop is done the closure returns and drops it:
    // that is the only sender of numbers, so the workers' loops can then end.
    let producer = thread::Builder::new()
        .spawn(move || {
            let mut peak = 0;
            for n in 1..=items {
                // `send` fails only if every receiver is gone: the workers stopped.
                if number_tx.send(n).is_err() {
                    break;
                }
                peak = peak.max(number_tx.len());
            }
            peak
        })
        .context("cannot start the producer thread")?;

    // Each worker owns a clone of the receiver of numbers (crossbeam channels are
    // multi-consumer: each number goes to exactly one worker) and a clone of the sender of
    // squares. `Builder::spawn` returns an error where `thread::spawn` would panic.
    let mut squarers = Vec::with_capacity(workers);
    let mut refused: anyhow::Result<()> = Ok(());
    for i in 0..workers {
        let (numbers, squares) = (number_rx.clone(), square_tx.clone());
        let started = thread::Builder::new().spawn(move || {
            let mut done = 0;
            // Ends when the producer has dropped `number_tx` and the channel is drained.
            for n in numbers {
                if squares.send(n * n).is_err() {
                    break; // the consumer is gone: stop
                }
                done += 1;
            }
            done
            // `squares`, this worker's sender, drops here.
        });
        match started {
            Ok(worker) => squarers.push(worker),
            Err(e) => {
                // The system has no thread left for us: the lesson fails. The workers that did
                // start still drain the pipeline, which shuts down the usual way below.
                refused = Err(e).with_context(|| format!("cannot start squaring worker {i}"));
                break;
            }
        }
    }
    // Our own copies are not needed. Dropping `square_tx` matters: the loop below ends only
    // when *every* sender of squares is gone, and this one would stay alive until the end of
    // the function; the consumer would wait forever for a square that never comes.
    drop(square_tx);
    drop(number_rx);

    // The consumer: ends when the last worker has finished and dropped its sender.
    let sum_of_squares: u64 = square_rx.iter().sum();

    // Everything is sent and received; join to collect the counts and surface any panic.
    let peak_queued = producer
        .join()
        .map_err(|_| anyhow!("the producer panicked"))?;
    let per_worker = squarers
        .into_iter()
        .enumerate()
        .map(|(i, w)| w.join().map_err(|_| anyhow!("worker {i} panicked")))
        .collect::<anyhow::Result<Vec<u64>>>()?;
    let elapsed = start.elapsed();
    refused?;

    let received: u64 = per_worker.iter().sum();
    anyhow::ensure!(
        received == items && sum_of_squares == sequential_sum,
        "{received} of {items} numbers squared, summing to {sum_of_squares}, not {sequential_sum}"
    );
    Ok(Pipeline {
        items,
        workers,
        capacity,
        sum_of_squares,
        per_worker,
        peak_queued,
        sequential,
        elapsed,
    })
}

// ---- End of the lesson. Below: its result. ----

/// What came out of the pipeline, and the loop's time beside it.
#[derive(Debug)]
pub struct Pipeline {
    pub items: u64,
    pub workers: usize,
    pub capacity: usize,
    /// The sum of the squares of 1..=items, as the consumer added it up (and the loop agreed).
    pub sum_of_squares: u64,
    /// How many squares each worker made: the work spreads over the workers.
    pub per_worker: Vec<u64>,
    /// The most numbers ever waiting in the first channel, seen by the producer after a send.
    pub peak_queued: usize,
    /// The loop's time.
    pub sequential: Duration,
    /// The pipeline's time.
    pub elapsed: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_number_is_squared_once() {
        let n = 2_000;
        let p = run(n, 3, 4).unwrap();
        assert_eq!(p.sum_of_squares, n * (n + 1) * (2 * n + 1) / 6);
        assert_eq!(p.per_worker.len(), 3);
        assert_eq!(p.per_worker.iter().sum::<u64>(), n);
    }

    #[test]
    fn the_bounded_queue_never_holds_more_than_its_capacity() {
        let p = run(5_000, 1, 8).unwrap();
        assert!(p.peak_queued <= 8, "{p:?}");
    }

    #[test]
    fn the_pipeline_ends_with_no_items() {
        // Nothing is sent: the producer drops its sender at once and everything shuts down.
        let p = run(0, 2, 1).unwrap();
        assert_eq!(p.sum_of_squares, 0);
    }
}
