#!/usr/bin/env python3
"""Lesson: a process pool. Python twin of multiprocessing-example's lesson 6, `pool`
(crates/multiprocessing-example/src/process_pool.rs); for threads, multithreading-example's
lesson 5, `thread-pool`.

multiprocessing.Pool starts N worker processes once and hands them the inputs; `map` returns
the answers in input order, whatever order the workers finish in. The function is CPU-bound
(counting primes by trial division), the case where Python needs processes: threads would take
turns under the GIL. The same map runs in the parent alone, and both must agree.
"""

import multiprocessing
import os
import time


def count_primes(n):
    """How many primes are at most n (slow on purpose, so there is work to share)."""
    return sum(1 for k in range(2, n + 1) if all(k % d for d in range(2, int(k ** 0.5) + 1)))


def main():
    inputs = [2_000 + (i * 7_919) % 30_000 for i in range(16)]  # big and small mixed
    workers = os.cpu_count() or 1

    start = time.perf_counter()
    expected = list(map(count_primes, inputs))
    sequential = time.perf_counter() - start

    start = time.perf_counter()
    # Leaving the `with` block stops the workers; map() has already collected every answer.
    with multiprocessing.Pool(workers) as pool:
        answers = pool.map(count_primes, inputs)
    pooled = time.perf_counter() - start

    print(f"sequential: {sequential * 1000:.0f} ms; pool of {workers}: {pooled * 1000:.0f} ms "
          f"({sequential / pooled:.2f}x, start-up of the workers included)")
    print("same answers" if answers == expected else "the answers differ!")
    return 0 if answers == expected else 1


if __name__ == "__main__":
    raise SystemExit(main())
