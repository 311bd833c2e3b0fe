#!/usr/bin/env python3
"""Lesson: shared memory between processes, Value and Array. Python twin of
multiprocessing-example's lesson 4, `shared-memory` (crates/multiprocessing-example/src/
shared_memory.rs).

Processes share no memory (separate_memory.py) unless they ask for it. multiprocessing.Value
and Array allocate shared memory, like the Rust lesson's mapped file with a fixed layout: a
double and an array of ints, typed as C types ('d', 'i'). The child sets the value to pi and
negates every element; the parent, after the child has exited, reads the changes. No copy and
no message: the same memory. They take turns here (the parent waits for the child);
lock_balance.py shows what happens when two processes do not.
"""

import math
import multiprocessing


def change(value, array):
    value.value = math.pi
    for i in range(len(array)):
        array[i] = -array[i]


def main():
    value = multiprocessing.Value("d", 0.0)
    array = multiprocessing.Array("i", range(10))
    child = multiprocessing.Process(target=change, args=(value, array))
    child.start()
    child.join()  # the child has finished writing: the parent's turn
    print(f"value: {value.value}")
    print(f"array: {array[:]}")
    return 0 if value.value == math.pi and array[:] == [-n for n in range(10)] else 1


if __name__ == "__main__":
    raise SystemExit(main())
