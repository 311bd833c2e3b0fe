//! Lesson 1: threads overlap blocking waits.
//!
//! Each item is squared (or cubed) after a blocking wait, a stand-in for a network call or a
//! disk read. Run one after another, the waits add up. On two threads, one for the squares and
//! one for the cubes, the two halves wait at the same time and the total halves. With one thread
//! per item every wait overlaps and the whole job takes about one wait. A sleeping thread does
//! not use a core, so this works even on a one-core machine: threads pay off for I/O-bound work
//! whatever the core count. (CPU-bound work is another story: see lesson 5.)
//!
//! Besides the clock, each way counts how many waits were in progress at once (`peak`): 1 one
//! after another, 2 on two threads, one per item on a thread per item.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};

/// Squares `n` after a blocking wait.
fn slow_square(n: u64, io: &Io) -> u64 {
    io.wait(); // Pretend this is a request to a slow server.
    n * n
}

/// Cubes `n` after a blocking wait.
fn slow_cube(n: u64, io: &Io) -> u64 {
    io.wait();
    n * n * n
}

/// Squares and cubes `numbers` sequentially, on two threads, and on a thread per item.
pub fn run(numbers: &[u64], wait: Duration) -> anyhow::Result<Overlap> {
    // Sequential: 2 × len waits, one after another.
    let io = Io::new(wait);
    let start = Instant::now();
    let squares: Vec<u64> = numbers.iter().map(|&n| slow_square(n, &io)).collect();
    let cubes: Vec<u64> = numbers.iter().map(|&n| slow_cube(n, &io)).collect();
    let sequential = Way::new(start, &io);

    // Two threads, each mapping one function over the numbers. `thread::spawn` needs a closure
    // that owns its data ('static), so each thread gets its own copy of the numbers and its own
    // `Arc` of the counter (lesson 4 shows how to borrow instead). `Builder::spawn` is
    // `thread::spawn` that returns an error, instead of panicking, when the system cannot start
    // another thread.
    let io = Arc::new(Io::new(wait));
    let start = Instant::now();
    let spawn_mapper = |f: fn(u64, &Io) -> u64, what: &str| {
        let (numbers, io) = (numbers.to_vec(), Arc::clone(&io));
        thread::Builder::new()
            .spawn(move || -> Vec<u64> { numbers.iter().map(|&n| f(n, &io)).collect() })
            .with_context(|| format!("cannot start the {what} thread"))
    };
    let squarer = spawn_mapper(slow_square, "squaring")?;
    let cuber = spawn_mapper(slow_cube, "cubing")?;
    // `join` blocks until the thread ends and hands back its return value, or the panic that
    // ended it (lesson 6). Both threads are already running, so their waits overlap while we
    // block on the first join.
    let squares2 = squarer
        .join()
        .map_err(|_| anyhow!("the squaring thread panicked"))?;
    let cubes2 = cuber
        .join()
        .map_err(|_| anyhow!("the cubing thread panicked"))?;
    let two_threads = Way::new(start, &io);

    // A thread per item: every wait starts at once. Spawn them all first, then join them all,
    // in order, so the results come back in the order of the input. (Should a spawn fail, the
    // threads already started are detached: each ends on its own after its one wait.)
    let io = Arc::new(Io::new(wait));
    let start = Instant::now();
    let mut handles = Vec::new();
    for f in [slow_square as fn(u64, &Io) -> u64, slow_cube] {
        for &n in numbers {
            let io = Arc::clone(&io);
            let handle = thread::Builder::new().spawn(move || f(n, &io));
            handles.push(handle.context("cannot start an item thread")?);
        }
    }
    let mut results = Vec::new();
    for handle in handles {
        let joined = handle
            .join()
            .map_err(|_| anyhow!("an item thread panicked"));
        results.push(joined?);
    }
    let (squares3, cubes3) = results.split_at(numbers.len());
    let thread_per_item = Way::new(start, &io);

    // Threads change when the work happens, never what it computes.
    anyhow::ensure!(
        squares == squares2 && squares == squares3 && cubes == cubes2 && cubes == cubes3,
        "the modes disagree: {squares:?}/{cubes:?} vs {squares2:?}/{cubes2:?} \
         vs {squares3:?}/{cubes3:?}"
    );
    let numbers = numbers.to_vec();
    Ok(Overlap {
        numbers,
        wait,
        squares,
        cubes,
        sequential,
        two_threads,
        thread_per_item,
    })
}

// ---- End of the lesson. Below: the stand-in for I/O that counts its waits, the result. ----

/// The wait per item when the program runs the lesson.
pub const WAIT: Duration = Duration::from_millis(200);

/// A blocking wait that counts how many waits are in progress at the same moment.
#[derive(Debug)]
struct Io {
    wait: Duration,
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl Io {
    fn new(wait: Duration) -> Io {
        Io {
            wait,
            now: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    fn wait(&self) {
        // SeqCst: one total order of every increment and decrement, so `peak` is exact.
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        thread::sleep(self.wait);
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One way of doing the work: how long it took, and the most waits that were in progress at once.
#[derive(Clone, Copy, Debug)]
pub struct Way {
    pub elapsed: Duration,
    pub peak: usize,
}

impl Way {
    fn new(start: Instant, io: &Io) -> Way {
        Way {
            elapsed: start.elapsed(),
            peak: io.peak.load(Ordering::SeqCst),
        }
    }
}

/// What the lesson measured: the same results three ways, and how each way went.
#[derive(Debug)]
pub struct Overlap {
    pub numbers: Vec<u64>,
    pub wait: Duration,
    pub squares: Vec<u64>,
    pub cubes: Vec<u64>,
    /// Every wait one after another on the calling thread.
    pub sequential: Way,
    /// Squares on one spawned thread, cubes on another.
    pub two_threads: Way,
    /// One spawned thread per square and per cube.
    pub thread_per_item: Way,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_modes_compute_the_same_squares_and_cubes() {
        let o = run(&[1, 2, 3], Duration::ZERO).unwrap();
        assert_eq!(o.squares, [1, 4, 9]);
        assert_eq!(o.cubes, [1, 8, 27]);
    }

    #[test]
    fn threaded_waits_overlap() {
        // Counted, not timed: how many waits were in progress at once. One after another it is
        // 1 whatever the machine. On threads it is what the lesson says (2, then one per item)
        // as long as each thread starts within 300 ms of the others, which holds on a loaded
        // machine too.
        let o = run(&[1, 2], Duration::from_millis(300)).unwrap();
        assert_eq!(o.sequential.peak, 1, "{o:?}");
        assert_eq!(o.two_threads.peak, 2, "{o:?}");
        assert_eq!(o.thread_per_item.peak, 4, "{o:?}");
    }
}
