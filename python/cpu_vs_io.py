#!/usr/bin/env python3
"""cpu-vs-io in Python: the same tasks under Python's concurrency models, timed side by side.

The twin of the Rust demo cpu-vs-io, with the same three workloads and the same answers:

- cpu: each task counts the primes in its own window of numbers near 10^9 by trial division
  (the same window as Rust's, so the counts are equal to Rust's);
- io-sleep: each task sleeps --latency-ms;
- io-tcp: each task reads from a local TCP server (started by this program) that answers
  after --latency-ms.

Models: sequential, threading (a thread per task), thread-pool (ThreadPoolExecutor),
process-pool (ProcessPoolExecutor), process-per-task (multiprocessing.Process) and asyncio.
The lesson of the GIL is in the cpu table: threads take turns running Python code, so they
do not speed it up; processes each have their own interpreter and GIL, so they do. On the io
workloads every model that waits in parallel wins, threads and asyncio included.

Run `python3 python/cpu_vs_io.py --help`. Standard library only, Python 3.9 or newer.
"""

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import multiprocessing
import os
import platform
import socket
import sys
import threading
import time
from typing import NamedTuple, Optional, Tuple

from latency_server import LatencyServer, die_with_parent

# The same constants as cpu-vs-io's src/task.rs: the same tasks give the same answers.
CPU_TASK_SIZE = 50_000
CPU_WINDOW_START = 1_000_000_000
READ_TIMEOUT_S = 120  # a wedged server fails a task instead of hanging the run


class Task(NamedTuple):
    """One unit of work, identical whichever model runs it (picklable, for the processes)."""
    kind: str  # "cpu", "sleep" or "tcp"
    id: int
    start: int = 0  # cpu: count the primes in [start, start + size)
    size: int = 0
    ms: int = 0  # sleep
    address: Optional[Tuple[str, int]] = None  # tcp: the latency server


class Output(NamedTuple):
    id: int
    value: int  # the prime count, the milliseconds slept, or the payload's checksum
    bytes: int  # bytes read from the network (tcp), else 0


class TaskError(NamedTuple):
    """A task that failed, as a value: it crosses a pipe like a result does."""
    id: int
    message: str


def is_prime(n):
    """Trial division by 2, 3 and the numbers 6k +- 1: the same steps as the Rust version."""
    if n < 4:
        return n >= 2
    if n % 2 == 0 or n % 3 == 0:
        return False
    d = 5
    while d * d <= n:
        if n % d == 0 or n % (d + 2) == 0:
            return False
        d += 6
    return True


def count_primes(start, end):
    return sum(1 for n in range(start, end) if is_prime(n))


def fnv1a(data):
    """FNV-1a, 64 bit: the payload's checksum, as in Rust."""
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def run_task(task):
    """Runs one task on the calling thread. Every model but asyncio calls this and only this."""
    if task.kind == "cpu":
        return Output(task.id, count_primes(task.start, task.start + task.size), 0)
    if task.kind == "sleep":
        time.sleep(task.ms / 1000.0)  # releases the GIL: other threads run meanwhile
        return Output(task.id, task.ms, 0)
    try:
        with socket.create_connection(task.address, timeout=READ_TIMEOUT_S) as conn:
            conn.sendall(f"{task.id}\n".encode())
            chunks = []
            while True:  # blocked in recv (GIL released) until the server answers and closes
                chunk = conn.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        return tcp_output(task, b"".join(chunks))
    except OSError as error:
        return tcp_error(task, error)


def tcp_output(task, payload):
    if not payload:
        return tcp_error(task, "the server closed the connection without answering")
    return Output(task.id, fnv1a(payload), len(payload))


def tcp_error(task, error):
    host, port = task.address
    return TaskError(task.id, f"reading from the latency server at {host}:{port}: {error}")


# The models, side by side. Each takes the tasks and returns their results in task order.

def sequential(tasks, workers):
    return [run_task(task) for task in tasks]


def threading_model(tasks, workers):
    """A thread per task, all started at once."""
    results = [None] * len(tasks)

    def work(index, task):
        results[index] = run_task(task)  # each thread writes its own slot: no lock needed

    threads = [threading.Thread(target=work, args=(i, task)) for i, task in enumerate(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()  # the results are complete once every thread has ended
    if None in results:
        raise RuntimeError("a thread ended without a result (it raised: see above)")
    return results


def thread_pool(tasks, workers):
    # Leaving the `with` block shuts the pool down: it waits for its threads to exit.
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run_task, tasks))


def process_pool(tasks, workers):
    # Each worker process has its own interpreter and its own GIL. Tasks and results are
    # pickled through pipes; a worker that dies raises BrokenProcessPool here, not a hang.
    with concurrent.futures.ProcessPoolExecutor(
            max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        return list(pool.map(run_task, tasks))


def _child(conn, task, parent_pid):
    die_with_parent(parent_pid)
    conn.send(run_task(task))
    conn.close()


def process_per_task(tasks, workers):
    """A process per task, all started at once, each answering on a pipe of its own."""
    children = []
    try:
        for task in tasks:
            receive, send = multiprocessing.Pipe(duplex=False)
            child = multiprocessing.Process(target=_child, args=(send, task, os.getpid()),
                                            daemon=True)
            child.start()
            send.close()  # our copy of its end: now recv() sees EOF if the child dies
            children.append((task, child, receive))
        results = []
        for task, child, receive in children:
            try:
                results.append(receive.recv())  # one small message: it never fills the pipe
            except EOFError:
                child.join()
                raise RuntimeError(f"the process of task {task.id} died without an answer "
                                   f"(exit code {child.exitcode})") from None
            child.join()  # reap it: no zombie
        return results
    finally:
        # On an error, stop the children still running and reap every one.
        for _, child, receive in children:
            if child.is_alive():
                child.terminate()
            child.join()
            receive.close()


async def _run_task_async(task):
    if task.kind == "sleep":
        await asyncio.sleep(task.ms / 1000.0)  # yields to the event loop: waits overlap
        return Output(task.id, task.ms, 0)
    if task.kind == "tcp":
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(*task.address), READ_TIMEOUT_S)
            try:
                writer.write(f"{task.id}\n".encode())
                # Suspends this coroutine, not the thread: the loop runs the others meanwhile.
                payload = await asyncio.wait_for(reader.read(), READ_TIMEOUT_S)  # to EOF
            finally:
                writer.close()
            return tcp_output(task, payload)
        except (OSError, asyncio.TimeoutError) as error:
            return tcp_error(task, str(error) or f"no answer within {READ_TIMEOUT_S} s")
    # cpu: nothing to await, so the task runs start to finish and blocks the event loop;
    # every other task waits. asyncio overlaps waiting, never computing.
    return run_task(task)


def asyncio_model(tasks, workers):
    """Every task a coroutine on one event loop, in one thread."""
    async def all_tasks():
        return await asyncio.gather(*(_run_task_async(task) for task in tasks))
    return list(asyncio.run(all_tasks()))


MODELS = {
    "sequential": sequential,
    "threading": threading_model,
    "thread-pool": thread_pool,
    "process-pool": process_pool,
    "process-per-task": process_per_task,
    "asyncio": asyncio_model,
}


def workers_of(mode, workers, tasks):
    """Threads or processes the model uses (asyncio: its one thread)."""
    if mode in ("threading", "process-per-task"):
        return tasks
    if mode in ("thread-pool", "process-pool"):
        return workers
    return 1


# The coordinator: run each workload under each model, time it, check the models agree.

WORKLOADS = {"cpu": ["cpu"], "io-sleep": ["io-sleep"], "io-tcp": ["io-tcp"],
             "io": ["io-sleep", "io-tcp"], "all": ["cpu", "io-sleep", "io-tcp"]}


def make_tasks(workload, n, cpu_size, latency_ms, address):
    if workload == "cpu":
        return [Task("cpu", i, start=CPU_WINDOW_START + i * cpu_size, size=cpu_size)
                for i in range(n)]
    if workload == "io-sleep":
        return [Task("sleep", i, ms=latency_ms) for i in range(n)]
    return [Task("tcp", i, address=address) for i in range(n)]


def describe(workload, n, cpu_size, latency_ms):
    if workload == "cpu":
        return f"{n} tasks, each counting the primes among {cpu_size} numbers near 10^9 (CPU-bound)"
    if workload == "io-sleep":
        return f"{n} tasks, each sleeping {latency_ms} ms (I/O-bound)"
    return (f"{n} tasks, each a blocking read from a local TCP server that answers after "
            f"{latency_ms} ms (I/O-bound)")


def check(workload, mode, tasks, results, reference):
    """Problems with one model's results: failed tasks, wrong ids, or answers that differ
    from the reference model's (the first model whose tasks all succeeded)."""
    if len(results) != len(tasks):
        return [f"{workload} under {mode}: {len(results)} results for {len(tasks)} tasks"]
    problems = []
    for index, (task, result) in enumerate(zip(tasks, results)):
        if isinstance(result, TaskError):
            problems.append(f"{workload} under {mode}: task {result.id}: {result.message}")
        elif result.id != task.id:
            problems.append(f"{workload} under {mode}: task {task.id} came back as {result.id}")
        elif reference and reference[1][index] != result:
            problems.append(f"results differ: in {workload}, task {task.id} gave {result} "
                            f"under {mode} but {reference[1][index]} under {reference[0]}")
    return problems


def gil_enabled():
    """False only on a free-threaded build (3.13t and later) running without the GIL."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else bool(is_enabled())


def run_workload(workload, tasks, modes, workers, say, emit):
    """Runs `tasks` under each model; returns the rows (mode, workers, wall_ms, ok)."""
    say(f"  {'model':<17} {'workers':>7} {'time (ms)':>11} {'speedup':>9}")
    rows, reference = [], None
    for mode in modes:
        started = time.perf_counter()
        try:
            results = MODELS[mode](tasks, workers)
            problems = check(workload, mode, tasks, results, reference)
            errors = len(problems)
        except Exception as error:  # the machinery failed: a process died, a thread raised
            results, problems = [], [f"{workload} under {mode} failed: {error!r}"]
            errors = len(tasks)  # every task counts as failed, as in Rust
        wall_ms = (time.perf_counter() - started) * 1000.0
        for problem in problems:
            print(f"cpu_vs_io.py: {problem}", file=sys.stderr)
        if not problems and reference is None:
            reference = (mode, results)
        row = (mode, workers_of(mode, workers, len(tasks)), wall_ms, not problems)
        rows.append(row)
        base = next((r[2] for r in rows if r[0] == "sequential" and r[3]), None)
        speedup = "FAILED" if not row[3] else f"{base / wall_ms:.2f}x" if base else "-"
        say(f"  {mode:<17} {row[1]:>7} {wall_ms:>11.1f} {speedup:>9}")
        emit({"demo": "cpu-vs-io", "language": "python", "workload": workload, "mode": mode,
              "workers": row[1], "items": len(tasks),
              "bytes": sum(r.bytes for r in results if isinstance(r, Output)),
              "wall_ms": wall_ms, "ok": row[3], "python_version": platform.python_version(),
              "gil_enabled": gil_enabled(), "errors": errors})
    say(verdict(workload, rows))
    return rows


def verdict(workload, rows):
    """One sentence from the measured times: who won, and what the threads did."""
    ok = {mode: ms for mode, _, ms, good in rows if good}
    if len(ok) < 2:
        return f"{workload}: run with --mode all to compare the models."
    best = min(ok, key=ok.get)
    seq = ok.get("sequential")
    text = f"{workload}: {best} was fastest ({ok[best]:.1f} ms"
    text += f", {seq / ok[best]:.1f}x over sequential)" if seq else ")"
    threads = ok.get("thread-pool", ok.get("threading"))
    processes = ok.get("process-pool", ok.get("process-per-task"))
    if workload == "cpu" and seq and threads and processes:
        text += f"; threads {seq / threads:.1f}x, processes {seq / processes:.1f}x"
        if not gil_enabled():
            text += ": without the GIL (a free-threaded build) threads compute in parallel too"
        elif threads / processes >= 1.3:
            text += (": with the GIL only one thread runs Python code at a time, so threads "
                     "take turns on one core while each process has a core of its own")
        else:
            text += (": processes did not beat threads, so the cores were busy with other "
                     "programs or the tasks too short to repay starting processes")
    elif workload != "cpu":
        text += ("; waiting releases the GIL, so threads, processes and asyncio all overlap "
                 "the waits, as far as they have tasks in flight")
    return text + "."


def bounded(low, high):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}")
        return value
    return parse


def logical_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="cpu_vs_io.py",
        description="Runs the same tasks under every Python concurrency model and shows which "
        "wins: the twin of the Rust demo cpu-vs-io. Exit status: 0 success, 1 a task or a "
        "model failed or the models disagreed, 2 usage error.")
    p.add_argument("--workload", choices=list(WORKLOADS), default="all",
                   help="cpu, io-sleep, io-tcp, io (both io workloads) or all (default: all)")
    p.add_argument("--mode", choices=list(MODELS) + ["all"], default="all",
                   help="one model, or all of them in turn (default: all)")
    p.add_argument("--workers", type=bounded(1, 1024), default=logical_cpus(),
                   help="threads or processes in thread-pool and process-pool "
                   "(default: the logical CPUs)")
    p.add_argument("--tasks", type=bounded(1, 4096),
                   help="tasks per workload (default: 8 for cpu, 32 for io)")
    p.add_argument("--latency-ms", type=bounded(0, 60_000), default=50,
                   help="how long each io task waits, in milliseconds (default: 50)")
    p.add_argument("--cpu-size", type=bounded(1, 100_000_000), default=CPU_TASK_SIZE,
                   help=f"numbers per cpu task (default: {CPU_TASK_SIZE}, as in Rust)")
    p.add_argument("--json", action="store_true",
                   help="one JSON record per model run on stdout; the tables move to stderr")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    modes = list(MODELS) if args.mode == "all" else [args.mode]
    out = sys.stderr if args.json else sys.stdout

    def say(text):
        print(text, file=out, flush=True)

    def emit(record):
        if args.json:
            print(json.dumps(record, separators=(",", ":")), flush=True)

    say(f"Python {platform.python_version()}, GIL {'on' if gil_enabled() else 'off'}, "
        f"{logical_cpus()} logical CPUs")
    all_ok = True
    workloads = WORKLOADS[args.workload]
    try:
        with contextlib.ExitStack() as stack:
            # The server is started once, before any timing, and stopped and reaped when the
            # `with` block ends, however it ends.
            address = (stack.enter_context(LatencyServer(args.latency_ms))
                       if "io-tcp" in workloads else None)
            for workload in workloads:
                n = args.tasks or (8 if workload == "cpu" else 32)
                tasks = make_tasks(workload, n, args.cpu_size, args.latency_ms, address)
                say(f"\n{workload}: {describe(workload, n, args.cpu_size, args.latency_ms)}")
                # The task size travels with each record, so Python run on smaller tasks than
                # Rust can still be compared per number tested (or per wait).
                extra = ({"cpu_size": args.cpu_size} if workload == "cpu"
                         else {"latency_ms": args.latency_ms})
                rows = run_workload(workload, tasks, modes, args.workers, say,
                                    lambda record: emit({**record, **extra}))
                all_ok &= all(row[3] for row in rows)
    except OSError as error:
        print(f"cpu_vs_io.py: error: {error}", file=sys.stderr)
        return 1
    if not all_ok:
        print("cpu_vs_io.py: some runs failed or disagreed; see the messages above",
              file=sys.stderr)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
