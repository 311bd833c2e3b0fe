//! Lesson 1: threads overlap blocking waits.
//!
//! Each item is squared (or cubed) after a blocking wait, a stand-in for a network call or a
//! disk read. Run one after another, the waits add up. On two threads, one for the squares and
//! one for the cubes, the two halves wait at the same time and the total halves. With one thread
//! per item every wait overlaps and the whole job takes about one wait. A sleeping thread does
//! not use a core, so this works even on a one-core machine: threads pay off for I/O-bound work
//! whatever the core count. (CPU-bound work is another story: see lesson 5.)

use std::fmt;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::anyhow;

use crate::{ms, Lesson, Outcome, Timing};

/// The wait per item when the program runs the lesson.
pub const WAIT: Duration = Duration::from_millis(200);

/// What the lesson measured: the same results three ways, and how long each way took.
#[derive(Debug)]
pub struct Overlap {
    pub numbers: Vec<u64>,
    pub wait: Duration,
    pub squares: Vec<u64>,
    pub cubes: Vec<u64>,
    /// Every wait one after another on the calling thread.
    pub sequential: Duration,
    /// Squares on one spawned thread, cubes on another.
    pub two_threads: Duration,
    /// One spawned thread per square and per cube.
    pub thread_per_item: Duration,
}

/// Squares `n` after a blocking wait.
fn slow_square(n: u64, wait: Duration) -> u64 {
    thread::sleep(wait); // Pretend this is a request to a slow server.
    n * n
}

/// Cubes `n` after a blocking wait.
fn slow_cube(n: u64, wait: Duration) -> u64 {
    thread::sleep(wait);
    n * n * n
}

/// Squares and cubes `numbers` sequentially, on two threads, and on a thread per item.
pub fn run(numbers: &[u64], wait: Duration) -> anyhow::Result<Overlap> {
    // Sequential: 2 × len waits, one after another.
    let start = Instant::now();
    let squares: Vec<u64> = numbers.iter().map(|&n| slow_square(n, wait)).collect();
    let cubes: Vec<u64> = numbers.iter().map(|&n| slow_cube(n, wait)).collect();
    let sequential = start.elapsed();

    // Two threads. `thread::spawn` needs a closure that owns its data ('static), so each thread
    // gets its own copy of the numbers (lesson 4 shows how to borrow instead).
    let start = Instant::now();
    let for_squares = numbers.to_vec();
    let for_cubes = numbers.to_vec();
    let squarer = thread::spawn(move || {
        for_squares
            .into_iter()
            .map(|n| slow_square(n, wait))
            .collect::<Vec<u64>>()
    });
    let cuber = thread::spawn(move || {
        for_cubes
            .into_iter()
            .map(|n| slow_cube(n, wait))
            .collect::<Vec<u64>>()
    });
    // `join` blocks until the thread ends and hands back its return value, or the panic that
    // ended it (lesson 6). Both threads are already running, so their waits overlap while we
    // block on the first join.
    let squares2 = squarer
        .join()
        .map_err(|_| anyhow!("the squaring thread panicked"))?;
    let cubes2 = cuber
        .join()
        .map_err(|_| anyhow!("the cubing thread panicked"))?;
    let two_threads = start.elapsed();

    // A thread per item: every wait starts at once. Spawn them all first, then join them all,
    // in order, so the results come back in the order of the input.
    let start = Instant::now();
    let square_handles: Vec<_> = numbers
        .iter()
        .map(|&n| thread::spawn(move || slow_square(n, wait)))
        .collect();
    let cube_handles: Vec<_> = numbers
        .iter()
        .map(|&n| thread::spawn(move || slow_cube(n, wait)))
        .collect();
    let join_all = |handles: Vec<thread::JoinHandle<u64>>| {
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| anyhow!("an item thread panicked")))
            .collect::<anyhow::Result<Vec<u64>>>()
    };
    let squares3 = join_all(square_handles)?;
    let cubes3 = join_all(cube_handles)?;
    let thread_per_item = start.elapsed();

    // Threads change when the work happens, never what it computes.
    anyhow::ensure!(
        squares == squares2 && squares == squares3 && cubes == cubes2 && cubes == cubes3,
        "the modes disagree: {squares:?}/{cubes:?} vs {squares2:?}/{cubes2:?} \
         vs {squares3:?}/{cubes3:?}"
    );
    Ok(Overlap {
        numbers: numbers.to_vec(),
        wait,
        squares,
        cubes,
        sequential,
        two_threads,
        thread_per_item,
    })
}

impl fmt::Display for Overlap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let waits = 2 * self.numbers.len();
        writeln!(
            f,
            "Squares and cubes of {:?}, each item after a {} wait (a stand-in for I/O):",
            self.numbers,
            ms(self.wait)
        )?;
        writeln!(
            f,
            "  sequential      {:>10}  {waits} waits one after another",
            ms(self.sequential)
        )?;
        writeln!(
            f,
            "  two threads     {:>10}  squares on one thread, cubes on the other",
            ms(self.two_threads)
        )?;
        writeln!(
            f,
            "  thread per item {:>10}  {waits} threads, {waits} waits at once",
            ms(self.thread_per_item)
        )?;
        writeln!(
            f,
            "Same results every way: squares {:?}, cubes {:?}.",
            self.squares, self.cubes
        )?;
        write!(
            f,
            "A sleeping thread holds no core, so the waits overlap even on one core."
        )
    }
}

impl Outcome for Overlap {
    fn timings(&self) -> Vec<Timing> {
        let items = 2 * self.numbers.len() as u64;
        vec![
            Timing::new(Lesson::Overlap, "sequential", 1, items, self.sequential),
            Timing::new(Lesson::Overlap, "threads", 2, items, self.two_threads),
            Timing::new(
                Lesson::Overlap,
                "thread-per-task",
                items as usize,
                items,
                self.thread_per_item,
            ),
        ]
    }
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
        // 8 waits of 100 ms: at least 800 ms one after another (sleep never returns early).
        // On 8 threads they overlap: about 100 ms, asserted well under 800 ms so that a loaded
        // machine cannot fail the test.
        let o = run(&[1, 2, 3, 4], Duration::from_millis(100)).unwrap();
        assert!(o.sequential >= Duration::from_millis(800), "{o:?}");
        assert!(o.thread_per_item < Duration::from_millis(700), "{o:?}");
        assert!(o.two_threads < o.sequential, "{o:?}");
    }
}
