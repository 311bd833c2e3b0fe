//! Lesson 2: shared state between threads.
//!
//! A bank balance starts at 200. One thread makes 100 deposits of 1 while another makes 100
//! withdrawals of 1. On one thread, a plain `i64` does the job: the baseline, 200. On two,
//! two correct ways to share the balance: `Arc<Mutex<i64>>` (the `Arc` lets both threads own
//! the mutex, the mutex lets one of them at a time change the value) and `Arc<AtomicI64>`
//! (`fetch_add` is one indivisible step in hardware). Both end at 200, every time.
//!
//! Safe Rust will not compile a data race, but it will happily run a race of logic: the last
//! way reads the atomic, pauses, then writes the new value back in a second step. Another
//! thread's update that lands in between is overwritten and lost, so that balance usually ends
//! somewhere other than 200. Each update is ±1, so the distance from 200 is a lower bound on
//! the updates lost (a lost deposit and a lost withdrawal cancel out).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Barrier, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};

/// Runs `work(+1)` on a spawned thread and `work(-1)` on this one, both starting together.
/// A `Barrier` holds the spawned thread back until this one is ready too, so they overlap
/// instead of the first finishing before the second has started.
fn deposit_and_withdraw<F>(work: F) -> anyhow::Result<Duration>
where
    F: Fn(i64) + Send + Sync + 'static,
{
    let work = Arc::new(work);
    let barrier = Arc::new(Barrier::new(2));
    let start = Instant::now();
    let (their_work, their_barrier) = (Arc::clone(&work), Arc::clone(&barrier));
    let depositor = thread::Builder::new()
        .spawn(move || {
            their_barrier.wait();
            their_work(1);
        })
        .context("cannot start the depositing thread")?;
    // Meet the depositor at the barrier, then withdraw on this thread while it deposits.
    barrier.wait();
    work(-1);
    // When `join` returns, the depositor's updates are done and visible to us.
    depositor
        .join()
        .map_err(|_| anyhow!("the depositing thread panicked"))?;
    Ok(start.elapsed())
}

/// Runs the four versions: one thread, mutex, atomic, and the racy load-then-store.
pub fn run(start: i64, ops: u32) -> anyhow::Result<SharedState> {
    // 0. One thread, a plain i64: nothing is shared, so nothing needs protecting.
    let began = Instant::now();
    let mut balance = start;
    for amount in [1, -1] {
        for _ in 0..ops {
            balance += amount;
        }
    }
    let one_thread = (balance, began.elapsed());

    // 1. Arc<Mutex<i64>>. `lock()` fails only if a thread panicked while holding the lock
    // ("poisoned"); an i64 cannot be left half-updated, so we take the value anyway.
    let balance = Arc::new(Mutex::new(start));
    let shared = Arc::clone(&balance);
    let mutex_time = deposit_and_withdraw(move |amount| {
        for _ in 0..ops {
            // The guard unlocks the mutex when it drops, at the end of this statement.
            *shared.lock().unwrap_or_else(PoisonError::into_inner) += amount;
        }
    })?;
    let mutex = (
        *balance.lock().unwrap_or_else(PoisonError::into_inner),
        mutex_time,
    );

    // 2. Arc<AtomicI64>: fetch_add reads, adds and writes as one step no other thread can split.
    let balance = Arc::new(AtomicI64::new(start));
    let shared = Arc::clone(&balance);
    let atomic_time = deposit_and_withdraw(move |amount| {
        for _ in 0..ops {
            shared.fetch_add(amount, Ordering::Relaxed);
        }
    })?;
    // Relaxed is enough: the `join` in `deposit_and_withdraw` already ordered every update before this load.
    let atomic = (balance.load(Ordering::Relaxed), atomic_time);

    // 3. The bug: read, pause, write. Each step alone is atomic; the pair is not.
    let balance = Arc::new(AtomicI64::new(start));
    let shared = Arc::clone(&balance);
    deposit_and_withdraw(move |amount| {
        for _ in 0..ops {
            let seen = shared.load(Ordering::Relaxed);
            thread::yield_now(); // Assuming the bank does some checks here.
            shared.store(seen + amount, Ordering::Relaxed); // overwrites any update since `seen`
        }
    })?;
    let racy_balance = balance.load(Ordering::Relaxed);

    Ok(SharedState {
        start,
        ops,
        one_thread,
        mutex,
        atomic,
        racy_balance,
    })
}

// ---- End of the lesson. Below: its settings and its result. ----

/// The opening balance.
pub const START: i64 = 200;
/// Deposits made by one thread, and withdrawals made by the other.
pub const OPS: u32 = 100;

/// The balances each way ended at, and how long the correct ones took.
#[derive(Debug)]
pub struct SharedState {
    pub start: i64,
    pub ops: u32,
    /// The baseline: every deposit, then every withdrawal, on one thread.
    pub one_thread: (i64, Duration),
    pub mutex: (i64, Duration),
    pub atomic: (i64, Duration),
    /// The load-then-store version: usually not `start`, but that depends on timing.
    pub racy_balance: i64,
}

impl SharedState {
    /// The fewest updates the racy version can have lost.
    pub fn lost_at_least(&self) -> u64 {
        (self.racy_balance - self.start).unsigned_abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_correct_balance_ends_at_200_every_time() {
        for _ in 0..20 {
            let s = run(START, OPS).unwrap();
            assert_eq!(s.one_thread.0, 200);
            assert_eq!(s.mutex.0, 200);
            assert_eq!(s.atomic.0, 200);
        }
    }
}
