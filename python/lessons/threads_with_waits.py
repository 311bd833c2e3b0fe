#!/usr/bin/env python3
"""Lesson: threads overlap blocking waits. Python twin of multithreading-example's lesson 1,
`overlap` (crates/multithreading-example/src/overlap.rs).

Each item is squared (or cubed) after a 200 ms wait, a stand-in for a network call. One after
another the waits add up; on two threads (squares on one, cubes on the other) they halve; on a
thread per item they all overlap. A thread blocked in `time.sleep` (or in a socket read)
releases the GIL, so this works in Python exactly as in Rust. CPU work would not: see pool.py.
"""

import threading
import time

WAIT = 0.2  # seconds per item


def slow_square(n):
    time.sleep(WAIT)  # Pretend this is a request to a slow server.
    return n * n


def slow_cube(n):
    time.sleep(WAIT)
    return n * n * n


def in_thread(function, numbers, results, key):
    results[key] = [function(n) for n in numbers]


def main():
    numbers = [1, 2, 3, 4]

    start = time.perf_counter()
    squares = [slow_square(n) for n in numbers]
    cubes = [slow_cube(n) for n in numbers]
    sequential = time.perf_counter() - start

    # Two threads. Each writes its own key of `results`, so they need no lock.
    start = time.perf_counter()
    results = {}
    squarer = threading.Thread(target=in_thread, args=(slow_square, numbers, results, "squares"))
    cuber = threading.Thread(target=in_thread, args=(slow_cube, numbers, results, "cubes"))
    squarer.start()
    cuber.start()
    # join() blocks until the thread ends. Both already run, so their waits overlap while we
    # wait for the first one.
    squarer.join()
    cuber.join()
    two_threads = time.perf_counter() - start

    # A thread per item: every wait at once. Each thread fills its own slot of the list.
    start = time.perf_counter()
    jobs = [(f, n) for f in (slow_square, slow_cube) for n in numbers]
    answers = [None] * len(jobs)

    def work(i):
        function, n = jobs[i]
        answers[i] = function(n)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    thread_per_item = time.perf_counter() - start

    assert results == {"squares": squares, "cubes": cubes}
    assert answers == squares + cubes
    print(f"squares {squares}, cubes {cubes}")
    print(f"sequential:      {sequential * 1000:6.0f} ms ({2 * len(numbers)} waits of "
          f"{WAIT * 1000:.0f} ms, one after another)")
    print(f"two threads:     {two_threads * 1000:6.0f} ms (the two halves wait at once)")
    print(f"thread per item: {thread_per_item * 1000:6.0f} ms (every wait at once)")


if __name__ == "__main__":
    main()
