#!/usr/bin/env python3
"""Lesson: a queue between processes. Python twin of multiprocessing-example's lesson 3,
`pipe-queue` (crates/multiprocessing-example/src/pipe_queue.rs).

The child computes results and puts each on a multiprocessing.Queue as soon as it has it; the
parent takes them off in the order they were put. Underneath is a pipe: the queue pickles each
item and a feeder thread in the child writes it to the pipe. A final None (a sentinel) says the
stream is complete, the job of Rust's `Done` message. In Rust the framing (length + JSON) is
written by hand; here the queue does it, and a child that dies mid-stream shows as a missing
sentinel: the parent's `get` times out instead of hanging.
"""

import multiprocessing
import queue

COUNT = 5


def produce(out):
    for seq in range(1, COUNT + 1):
        out.put((seq, seq ** 3))
    out.put(None)  # the end of the stream


def main():
    items = multiprocessing.Queue()
    child = multiprocessing.Process(target=produce, args=(items,))
    child.start()
    received = []
    try:
        # Drain the queue before join(): a child exits only once its items are in the pipe,
        # so joining first could wait forever on a child waiting for us to read.
        while (item := items.get(timeout=10)) is not None:
            received.append(item)
            print(f"received item {item[0]}: {item[1]}")
    except queue.Empty:
        print("the child stopped before the end of the stream")
    child.join()
    print(f"{len(received)} items in order; child exit code {child.exitcode}")
    return 0 if [seq for seq, _ in received] == list(range(1, COUNT + 1)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
