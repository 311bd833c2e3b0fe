#!/usr/bin/env python3
"""Lesson: each process has its own memory. Python twin of multiprocessing-example's lesson 2,
`separate-memory` (crates/multiprocessing-example/src/separate_memory.rs).

LIST is a global of this program. The child process appends squares to *its* LIST; the
parent's LIST stays empty. Same code, same name, two processes, two copies. The child's list
reaches the parent only when the child sends it: here through a multiprocessing.Queue, which
pickles it in the child and unpickles a copy in the parent.
"""

import multiprocessing
import os

LIST = []


def fill(count, results):
    LIST.extend(n * n for n in range(1, count + 1))
    results.put((os.getpid(), LIST))  # a copy travels; the child's LIST stays in the child


def main():
    results = multiprocessing.Queue()
    child = multiprocessing.Process(target=fill, args=(5, results))
    child.start()
    pid, child_list = results.get()  # read before join: a child blocked on a full queue
    child.join()                     # would never exit, and join() would wait forever
    print(f"child {pid} filled its LIST: {child_list} (exit code {child.exitcode})")
    print(f"parent {os.getpid()} LIST: {LIST} (still empty: the child changed its own copy)")
    return 0 if LIST == [] and child_list == [1, 4, 9, 16, 25] else 1


if __name__ == "__main__":
    raise SystemExit(main())
