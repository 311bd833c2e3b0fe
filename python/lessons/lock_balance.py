#!/usr/bin/env python3
"""Lesson: a lock across processes. Python twin of multiprocessing-example's lesson 5, `lock`
(crates/multiprocessing-example/src/process_lock.rs); for threads, multithreading-example's
lesson 2, `shared-state`.

A balance of 200 in shared memory. One process makes 100 deposits of 1, another 100
withdrawals of 1, at the same time. Each update reads the balance, pauses, and writes it back:
without a lock the other process can write in between, and its update is lost, so the balance
usually ends away from 200 (by how much changes from run to run: it is a race). With a
multiprocessing.Lock around the read-pause-write, the updates never interleave: 200 each time.
"""

import multiprocessing
import time

START, OPS = 200, 100


def update(balance, change, lock, start):
    start.wait()  # both processes begin together, so their updates really overlap
    for _ in range(OPS):
        if lock is None:
            current = balance.value
            time.sleep(0.0001)  # the other process runs here
            balance.value = current + change
        else:
            with lock:  # released even if the body raises
                current = balance.value
                time.sleep(0.0001)
                balance.value = current + change


def run(lock):
    # RawValue: shared memory without the lock Value would add, so that `lock` decides.
    balance = multiprocessing.RawValue("q", START)
    start = multiprocessing.Barrier(2)
    workers = [multiprocessing.Process(target=update, args=(balance, change, lock, start))
               for change in (+1, -1)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return balance.value


def main():
    unlocked = run(lock=None)
    print(f"without a lock: {unlocked} (at least {abs(unlocked - START)} updates lost)")
    locked = run(lock=multiprocessing.Lock())
    print(f"with a lock:    {locked}")
    return 0 if locked == START else 1


if __name__ == "__main__":
    raise SystemExit(main())
