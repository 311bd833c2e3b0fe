//! Lesson 5: a lock across processes.
//!
//! A bank balance of 200 lives in shared memory (a mapped file, as in lesson 4). One child
//! process makes 100 deposits of 1, another makes 100 withdrawals of 1, at the same time. Each
//! update is three steps: read the balance, think a moment, write the new balance. Without a
//! lock, the other process can write between our read and our write; our write then overwrites
//! its update, which is lost. So the balance usually ends away from 200. Each lost update moves
//! it by 1, so the distance from 200 is a lower bound on the updates lost (a lost deposit and a
//! lost withdrawal cancel out). How many are lost changes from run to run: it is a race.
//!
//! With the lock, each process takes an exclusive lock on the file (`flock`, through fs4)
//! around its read-think-write, so the three steps of one update never interleave with the
//! other's, and the balance ends at 200. A `Mutex` cannot do this job: it lives in one
//! process's memory. A file lock lives in the kernel, which every process shares, and the kernel
//! drops it if its holder dies, so a crashed process cannot leave it locked.
//!
//! The values are read and written as atomics on the mapped memory (`MmapRaw`, raw pointers
//! only), which is how Rust code touches memory that another process changes at the same
//! time. Each load and each store is atomic; the pair is not. That is the bug.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use memmap2::MmapRaw;

use crate::child::{self, Program};
use crate::shared_memory::SharedFile;
use crate::supervised::Supervised;

// The layout of the shared file: the balance, then how many processes are ready to start.
const BALANCE: usize = 0;
const READY: usize = 8;
const SIZE: usize = 16;

/// The child side: add `amount` to the shared balance `times` times, under the file lock if
/// `locked`.
pub fn child(path: &Path, amount: i64, times: u32, locked: bool) -> anyhow::Result<()> {
    let (file, map) = open_shared(path)?;
    let balance = atomic_i64(&map, BALANCE);
    let ready = atomic_i64(&map, READY);

    // A starting line in shared memory: count ourselves in, then wait for the other process,
    // so that the two really run at the same time. Give up after a while rather than hang if
    // the other never comes.
    ready.fetch_add(1, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(10);
    while ready.load(Ordering::SeqCst) < 2 {
        anyhow::ensure!(Instant::now() < deadline, "the other process never started");
        thread::yield_now();
    }

    for _ in 0..times {
        if locked {
            // Blocks while the other process holds the lock. (`fs4::FileExt::lock` and the
            // standard library's newer `File::lock` both call flock(LOCK_EX).)
            fs4::FileExt::lock(&file).context("cannot lock the balance")?;
        }
        let seen = balance.load(Ordering::SeqCst);
        think(); // Assuming the bank checks the account here.
        balance.store(seen + amount, Ordering::SeqCst); // overwrites any update since `seen`
        if locked {
            fs4::FileExt::unlock(&file).context("cannot unlock the balance")?;
        }
    }
    Ok(())
    // `map` is unmapped and `file` closed here; closing would also release a lock still held.
}

/// One round: two processes, one balance, with or without the lock.
fn round(program: &Program, start: i64, ops: u32, locked: bool) -> anyhow::Result<(i64, Duration)> {
    let shared = SharedFile::create("balance.bin", SIZE as u64)?;
    let map = MmapRaw::map_raw(shared.file()).context("cannot map the balance")?;
    atomic_i64(&map, BALANCE).store(start, Ordering::SeqCst);
    atomic_i64(&map, READY).store(0, Ordering::SeqCst);

    let began = Instant::now();
    let mut children = Vec::new();
    for amount in [1i64, -1] {
        let mut cmd = program.worker(["bank", "--path"]);
        cmd.arg(shared.path())
            .args(["--amount", &amount.to_string(), "--times", &ops.to_string()]);
        if locked {
            cmd.arg("--locked");
        }
        // If this `?` returns early, the children already started are killed and reaped as
        // they drop (see `supervised.rs`).
        children.push(Supervised::spawn(&mut cmd).context("cannot start a bank process")?);
    }
    // Wait for both: only after both have exited is the balance final.
    for (mut c, who) in children.into_iter().zip(["depositor", "withdrawer"]) {
        let status = c
            .wait()
            .with_context(|| format!("cannot wait for the {who}"))?;
        child::check(status, &format!("the {who} process"))?;
    }
    let elapsed = began.elapsed();
    let balance = atomic_i64(&map, BALANCE).load(Ordering::SeqCst);
    Ok((balance, elapsed))
    // `map` unmaps, then `shared` deletes the file.
}

/// The parent side: the updates in one process, then a round of two processes without the
/// lock, then one with it.
pub fn run(program: &Program, start: i64, ops: u32) -> anyhow::Result<ProcessLock> {
    // One process, the same read-think-write updates in a row: nothing races, no lock needed.
    let began = Instant::now();
    let mut balance = start;
    for amount in [1, -1] {
        for _ in 0..ops {
            let seen = balance;
            think(); // The same moment of thought, with nobody to use it.
            balance = seen + amount;
        }
    }
    let one_process = (balance, began.elapsed());
    // Two processes on one balance in shared memory: without the lock, then with it.
    let (unlocked_balance, unlocked_time) = round(program, start, ops, false)?;
    let (locked_balance, locked_time) = round(program, start, ops, true)?;
    Ok(ProcessLock {
        start,
        ops,
        one_process,
        unlocked_balance,
        unlocked_time,
        locked_balance,
        locked_time,
    })
}

// ---- End of the lesson. Below: its helpers, settings and result. ----

/// The `i64` at byte `at` of the mapping, as an atomic.
fn atomic_i64(map: &MmapRaw, at: usize) -> &AtomicI64 {
    assert!(at + 8 <= map.len() && at.is_multiple_of(8));
    // SAFETY: the 8 bytes are inside the mapping (checked above) and aligned (a mapping starts
    // on a page boundary, `at` is a multiple of 8); the file is never truncated while mapped;
    // and every process touches these bytes only through atomics, so concurrent access is
    // allowed. The reference lives no longer than `map`.
    unsafe { AtomicI64::from_ptr(map.as_mut_ptr().add(at).cast()) }
}

/// Opens and maps the shared file of a round (the child side).
fn open_shared(path: &Path) -> anyhow::Result<(File, MmapRaw)> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let map = MmapRaw::map_raw(&file).with_context(|| format!("cannot map {}", path.display()))?;
    anyhow::ensure!(map.len() >= SIZE, "{} is too short", path.display());
    Ok((file, map))
}

/// The moment between reading the balance and writing it back, when the other process may
/// run: give up the core once, then spin a few microseconds.
fn think() {
    thread::yield_now();
    let until = Instant::now() + Duration::from_micros(5);
    while Instant::now() < until {
        std::hint::spin_loop();
    }
}

/// The opening balance.
pub const START: i64 = 200;
/// Deposits made by one process, and withdrawals made by the other.
pub const OPS: u32 = 100;

/// What the two rounds ended with.
#[derive(Debug)]
pub struct ProcessLock {
    pub start: i64,
    pub ops: u32,
    /// The baseline: every update in this process, one after another: always `start`.
    pub one_process: (i64, Duration),
    /// Without the lock: usually not `start`, by how much depends on timing.
    pub unlocked_balance: i64,
    pub unlocked_time: Duration,
    /// With the lock: always `start`.
    pub locked_balance: i64,
    pub locked_time: Duration,
}

impl ProcessLock {
    /// The fewest updates that can have been lost without the lock.
    pub fn lost_at_least(&self) -> u64 {
        (self.unlocked_balance - self.start).unsigned_abs()
    }
}
