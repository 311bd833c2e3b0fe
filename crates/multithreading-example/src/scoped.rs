//! Lesson 4: scoped threads borrow local data, no `Arc` needed.
//!
//! `thread::spawn` demands closures that own everything they touch ('static), because the
//! thread might outlive the function that started it. `std::thread::scope` promises the compiler
//! that it will not: every thread spawned in the scope is joined before `scope` returns. So the
//! threads may borrow the caller's local `Vec` directly: first shared borrows (each thread sums
//! its chunk), then exclusive ones (`chunks_mut` hands each thread a disjoint `&mut` slice that
//! it doubles in place). The borrow checker proves the chunks do not overlap, so there is no
//! lock and no copy. The one-thread version, first, is the same two steps on the whole `Vec`.

use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};

/// Sums, then doubles, the local vector 1..=len: on this thread, then with `threads` scoped
/// threads.
pub fn run(len: usize, threads: usize) -> anyhow::Result<Scoped> {
    // One thread: sum the whole Vec, then double it in place.
    let start = Instant::now();
    let mut alone: Vec<u64> = (1..=len as u64).collect();
    let one_thread_total: u64 = alone.iter().sum();
    alone.iter_mut().for_each(|x| *x *= 2);
    let one_thread = start.elapsed();

    let start = Instant::now();
    let mut data: Vec<u64> = (1..=len as u64).collect();
    // Round up, so that at most `threads` chunks cover the data (and never a chunk of size 0).
    let chunk = len.div_ceil(threads.max(1)).max(1);

    // Shared borrows: each thread reads its own `&[u64]` straight out of `data`.
    // `Builder::spawn_scoped` is `s.spawn` that returns an error, instead of panicking, when the
    // system cannot start another thread; the threads already started are joined at the end
    // of the scope all the same.
    let chunk_sums = thread::scope(|s| {
        let mut handles = Vec::new();
        for part in data.chunks(chunk) {
            let summer = thread::Builder::new().spawn_scoped(s, move || part.iter().sum::<u64>());
            handles.push(summer.context("cannot start a summing thread")?);
        }
        // Join each thread, in chunk order, for its sum (a panic becomes an error here).
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| anyhow!("a summing thread panicked")))
            .collect::<anyhow::Result<Vec<u64>>>()
    })?;

    // Exclusive borrows: each thread gets a disjoint `&mut [u64]`. We do not keep the handles:
    // the end of the scope joins every thread it spawned (and would re-raise a panic), so after
    // this statement the threads are finished and `data` is ours alone again.
    thread::scope(|s| -> anyhow::Result<()> {
        for part in data.chunks_mut(chunk) {
            let doubler = move || part.iter_mut().for_each(|x| *x *= 2);
            thread::Builder::new()
                .spawn_scoped(s, doubler)
                .context("cannot start a doubling thread")?;
        }
        Ok(())
    })?;
    let elapsed = start.elapsed();

    let total = chunk_sums.iter().sum();
    anyhow::ensure!(
        total == one_thread_total && data == alone,
        "the scoped threads disagree with the one thread"
    );
    let threads = chunk_sums.len();
    Ok(Scoped {
        len,
        threads,
        chunk_sums,
        total,
        doubled: data,
        one_thread,
        elapsed,
    })
}

// ---- End of the lesson. Below: its result. ----

/// What the scoped threads computed on the local vector.
#[derive(Debug)]
pub struct Scoped {
    pub len: usize,
    pub threads: usize,
    /// The sum of each thread's chunk, in chunk order.
    pub chunk_sums: Vec<u64>,
    pub total: u64,
    /// The vector after the threads doubled it in place.
    pub doubled: Vec<u64>,
    /// The time of the one-thread version, and of the scoped threads.
    pub one_thread: Duration,
    pub elapsed: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_sum_and_double_the_borrowed_vector() {
        let s = run(1_000, 4).unwrap();
        assert_eq!(s.threads, 4);
        assert_eq!(s.total, 1_000 * 1_001 / 2);
        let expected: Vec<u64> = (1..=1_000).map(|x| 2 * x).collect();
        assert_eq!(s.doubled, expected);
    }

    #[test]
    fn more_threads_than_items_still_covers_every_item() {
        let s = run(3, 8).unwrap();
        assert_eq!(s.chunk_sums, [1, 2, 3]);
        assert_eq!(s.doubled, [2, 4, 6]);
    }
}
