//! Lesson 2: shared state between threads.
//!
//! A bank balance starts at 200. One thread makes 100 deposits of 1, another makes 100
//! withdrawals of 1, at the same time. Two correct ways to share the balance:
//! `Arc<Mutex<i64>>` (the `Arc` lets both threads own the mutex, the mutex lets one of them at a
//! time change the value) and `Arc<AtomicI64>` (`fetch_add` is one indivisible step in hardware).
//! Both end at 200, every time.
//!
//! Safe Rust will not compile a data race, but it will happily run a race of logic: the third
//! way reads the atomic, pauses, then writes the new value back in a second step. Another
//! thread's update that lands in between is overwritten and lost, so that balance usually ends
//! somewhere other than 200. Each update is ±1, so the distance from 200 is a lower bound on
//! the updates lost (a lost deposit and a lost withdrawal cancel out).

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Barrier, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::anyhow;

use crate::{ms, Lesson, Outcome, Timing};

/// The opening balance.
pub const START: i64 = 200;
/// Deposits made by one thread, and withdrawals made by the other.
pub const OPS: u32 = 100;

/// The balances the three ways ended at, and how long the correct ones took.
#[derive(Debug)]
pub struct SharedState {
    pub start: i64,
    pub ops: u32,
    pub mutex_balance: i64,
    pub mutex_time: Duration,
    pub atomic_balance: i64,
    pub atomic_time: Duration,
    /// The load-then-store version: usually not `start`, but that depends on timing.
    pub racy_balance: i64,
}

/// Runs `work(+1)` on one thread and `work(-1)` on another, both starting together, and waits
/// for both. A `Barrier` holds the first thread back until the second exists, so they overlap
/// instead of the first finishing before the second has started.
fn deposit_and_withdraw<F>(work: F) -> anyhow::Result<Duration>
where
    F: Fn(i64) + Send + Sync + 'static,
{
    let work = Arc::new(work);
    let barrier = Arc::new(Barrier::new(2));
    let start = Instant::now();
    let threads: Vec<_> = [1, -1]
        .into_iter()
        .map(|amount| {
            let work = Arc::clone(&work);
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                work(amount);
            })
        })
        .collect();
    // Join both: when `join` returns, that thread's updates are done and visible to us.
    for t in threads {
        t.join().map_err(|_| anyhow!("a bank thread panicked"))?;
    }
    Ok(start.elapsed())
}

/// Runs the three versions: mutex, atomic, and the racy load-then-store.
pub fn run(start: i64, ops: u32) -> anyhow::Result<SharedState> {
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
    let mutex_balance = *balance.lock().unwrap_or_else(PoisonError::into_inner);

    // 2. Arc<AtomicI64>: fetch_add reads, adds and writes as one step no other thread can split.
    let balance = Arc::new(AtomicI64::new(start));
    let shared = Arc::clone(&balance);
    let atomic_time = deposit_and_withdraw(move |amount| {
        for _ in 0..ops {
            shared.fetch_add(amount, Ordering::Relaxed);
        }
    })?;
    // Relaxed is enough: `join` above already ordered every update before this load.
    let atomic_balance = balance.load(Ordering::Relaxed);

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
        mutex_balance,
        mutex_time,
        atomic_balance,
        atomic_time,
        racy_balance,
    })
}

impl fmt::Display for SharedState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Balance {}; one thread deposits 1 {} times, another withdraws 1 {} times, at once:",
            self.start, self.ops, self.ops
        )?;
        writeln!(
            f,
            "  Arc<Mutex<i64>>         balance {:>4}  in {}",
            self.mutex_balance,
            ms(self.mutex_time)
        )?;
        writeln!(
            f,
            "  Arc<AtomicI64>          balance {:>4}  in {}",
            self.atomic_balance,
            ms(self.atomic_time)
        )?;
        let lost = (self.racy_balance - self.start).unsigned_abs();
        write!(
            f,
            "  load, pause, store      balance {:>4}  ",
            self.racy_balance
        )?;
        if lost == 0 {
            write!(
                f,
                "(no update lost this run, by luck of timing: the bug is still there)"
            )
        } else {
            write!(
                f,
                "(at least {lost} updates lost: the other thread wrote between load and store)"
            )
        }
    }
}

impl Outcome for SharedState {
    fn timings(&self) -> Vec<Timing> {
        let items = 2 * u64::from(self.ops);
        vec![
            Timing::new(Lesson::SharedState, "mutex", 2, items, self.mutex_time),
            Timing::new(Lesson::SharedState, "atomic", 2, items, self.atomic_time),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutex_and_atomic_balances_end_at_200_every_time() {
        for _ in 0..20 {
            let s = run(START, OPS).unwrap();
            assert_eq!(s.mutex_balance, 200);
            assert_eq!(s.atomic_balance, 200);
        }
    }

    #[test]
    fn the_racy_balance_can_only_drift_by_the_updates_made() {
        // How many updates are lost depends on timing, so only the bounds are certain.
        let s = run(START, OPS).unwrap();
        assert!(
            (START - 100..=START + 100).contains(&s.racy_balance),
            "{s:?}"
        );
    }
}
