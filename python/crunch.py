#!/usr/bin/env python3
"""The One Billion Row Challenge aggregation in plain Python: the twin of `process-crunch run`.

Reads a file of `name;temperature` lines and prints `{name=min/mean/max, ...}`, sorted by the
names' bytes, each value with one decimal, the mean rounded half up as the 1BRC reference
rounds it. Its stdout is byte for byte that of `process-crunch run FILE`, and it accepts and
rejects the same lines:

- a line is `name;temperature` ended by `\\n`, `\\r\\n` or the end of the file;
- the name is 1 to 100 bytes of anything but `;` and `\\n`, kept as raw bytes (never decoded);
- the temperature is `-?D{1,2}.D`; blank lines (empty, or a lone `\\r`) are skipped;
- a UTF-8 byte order mark at byte 0 of the file is skipped;
- the first bad line stops the run: an error naming the file, the line and the byte, exit 1.

Two modes, the way a Python user writes this work:

- `sequential`: one process reads the whole file;
- `process-pool` (the default): the file is cut into `--workers` byte ranges at line starts,
  and a pool of worker processes aggregates one range each. Threads would not help here: the
  work is Python code, and with the GIL only one thread runs Python code at a time.

Run `python3 python/crunch.py --help`. Standard library only, Python 3.9 or newer.
"""

import argparse
import concurrent.futures
import json
import os
import platform
import signal
import stat
import sys
import time

MAX_NAME_BYTES = 100
BOM = b"\xef\xbb\xbf"
# Bytes read at a time.
CHUNK_BYTES = 4 << 20
# A line still without its newline after this many bytes is rejected, judged by its start,
# so memory stays bounded whatever the file holds. (The longest valid line is 107 bytes.)
LINE_LIMIT = 4 << 20
MAX_WORKERS = 1024


def _valid_temperatures():
    """Every valid temperature text, `-?D{1,2}.D`, and its value in integer tenths.

    There are only 4,200 of them (with and without a trailing `\\r`), so one dict lookup both
    checks the text and parses it: far faster in Python than checking it character by
    character, and exact, since tenths are integers (floats would make the sums depend on the
    order of additions, and the output on the mode).
    """
    table = {}
    for whole in range(100):
        for tenth in range(10):
            value = whole * 10 + tenth
            texts = [f"{whole}.{tenth}"] if whole >= 10 else [f"{whole}.{tenth}", f"0{whole}.{tenth}"]
            for text in texts:
                for sign, signed in (("", value), ("-", -value)):
                    key = (sign + text).encode()
                    table[key] = signed
                    table[key + b"\r"] = signed
    return table


TENTHS = _valid_temperatures()


class BadLine(Exception):
    """A malformed line: the message says what is wrong with it."""


def check_line(line):
    """The slow path, for a line the fast path did not accept: `None` for a blank line, else
    raises BadLine with the reason. The checks run in process-crunch's order (the separator,
    then the name, then the temperature), so both name the same fault."""
    if line in (b"", b"\r"):
        return None
    name, sep, rest = line.partition(b";")
    if not sep:
        raise BadLine("no `;` between station name and temperature")
    if not name:
        raise BadLine("empty station name")
    if len(name) > MAX_NAME_BYTES:
        raise BadLine(f"station name is {len(name)} bytes long, over the limit of 100")
    field = rest[:-1] if rest.endswith(b"\r") else rest
    text = field[:40].decode("utf-8", "replace") + ("…" if len(field) > 40 else "")
    digits = field[1:] if field.startswith(b"-") else field
    whole, dot, decimal = digits.partition(b".")
    if dot and whole.isdigit() and len(decimal) == 1 and decimal.isdigit():
        # Well formed but with too many integer digits: 100.0, -123.4.
        raise BadLine(f"temperature `{text}` is out of range [-99.9, 99.9]")
    raise BadLine(f"temperature `{text}` is not a number with exactly one decimal (like -12.3)")


def aggregate_lines(lines, stations):
    """Adds whole lines (without their `\\n`) to `stations`: name -> [min, max, sum, count].
    Returns None, or the first bad line and its reason."""
    tenths_of = TENTHS.get
    find = stations.get
    for line in lines:
        name, _, temperature = line.partition(b";")
        tenths = tenths_of(temperature)
        if tenths is None or not 0 < len(name) <= MAX_NAME_BYTES:
            try:
                check_line(line)  # a blank line passes: skip it
            except BadLine as bad:
                return line, str(bad)
            continue
        entry = find(name)
        if entry is None:
            stations[name] = [tenths, tenths, tenths, 1]
        else:
            if tenths < entry[0]:
                entry[0] = tenths
            elif tenths > entry[1]:
                entry[1] = tenths
            entry[2] += tenths
            entry[3] += 1
    return None


def aggregate_range(path, start, end):
    """Aggregates the lines that start in [start, end) of the file, a newline-aligned range.

    Returns (stations, error). error is None, ("line", offset, reason) for the first bad line,
    or ("io", message). Errors are values, not exceptions, so that a worker's answer is always
    one picklable result and the parent decides which error to report.
    """
    stations = {}
    try:
        with open(path, "rb") as f:
            f.seek(start)
            pos = start  # the file offset of data[0]
            carry = b""  # the start of a line that continues in the next chunk
            remaining = end - start
            at_file_start = start == 0
            while remaining > 0:
                block = f.read(min(CHUNK_BYTES, remaining))
                if not block:
                    break  # the file got shorter while we read it: aggregate what is there
                remaining -= len(block)
                if at_file_start:
                    at_file_start = False
                    if block.startswith(BOM):
                        block = block[3:]
                        pos = 3
                data = carry + block if carry else block
                # Whole lines only, except in the last block, whose last line may lack its \n.
                cut = len(data) if remaining == 0 else data.rfind(b"\n") + 1
                if cut:
                    whole = data[: cut - 1] if data[cut - 1] == 0x0A else data[:cut]
                    lines = whole.split(b"\n")
                    bad = aggregate_lines(lines, stations)
                    if bad is not None:
                        line, reason = bad
                        # A bad line is never blank, and an identical earlier line would have
                        # been bad first: so its first occurrence is this one.
                        index = lines.index(line)
                        offset = pos + sum(len(before) + 1 for before in lines[:index])
                        return stations, ("line", offset, reason)
                pos += cut
                carry = data[cut:]
                if len(carry) > LINE_LIMIT:
                    try:
                        check_line(carry[:LINE_LIMIT])
                        reason = f"line is over {LINE_LIMIT} bytes long"
                    except BadLine as bad:
                        reason = str(bad)
                    return stations, ("line", pos, reason)
    except OSError as error:
        return stations, ("io", f"{path}: {error.strerror or error}")
    return stations, None


def split(path, size, n):
    """`n` ranges covering [0, size), each starting at a line start (ranges.rs's rule)."""
    cuts = [0]
    with open(path, "rb") as f:
        for i in range(1, n):
            guess = size * i // n
            if guess <= cuts[-1]:
                cuts.append(cuts[-1])  # a long line carried the previous cut past this guess
                continue
            # The first line start at or after `guess`: look from one byte before it.
            f.seek(guess - 1)
            cut = size
            pos = guess - 1
            while True:
                block = f.read(64 * 1024)
                if not block:
                    break
                newline = block.find(b"\n")
                if newline >= 0:
                    cut = min(pos + newline + 1, size)
                    break
                pos += len(block)
            cuts.append(cut)
    cuts.append(size)
    return list(zip(cuts, cuts[1:]))


def merge(into, stations):
    """Folds one range's stations into `into`."""
    for name, (low, high, total, count) in stations.items():
        entry = into.get(name)
        if entry is None:
            into[name] = [low, high, total, count]
        else:
            entry[0] = min(entry[0], low)
            entry[1] = max(entry[1], high)
            entry[2] += total
            entry[3] += count


def die_with_parent(parent_pid):
    """Linux: asks the kernel to kill this worker when its parent dies (PR_SET_PDEATHSIG), as
    process-crunch does for its children; if the parent is already gone, exit. (Under the
    forkserver and spawn start methods the kernel's parent is the fork server, which exits
    with the program.)"""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    try:
        os.kill(parent_pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        os._exit(1)


def run_sequential(path, size, workers):
    return [aggregate_range(path, 0, size)]


def run_process_pool(path, size, workers):
    # concurrent.futures rather than multiprocessing.Pool: a Pool whose worker is killed waits
    # forever for the lost task, while the executor raises BrokenProcessPool. Leaving the
    # `with` block shuts the pool down: it waits for every worker process to exit.
    ranges = split(path, size, workers)
    with concurrent.futures.ProcessPoolExecutor(
            max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(aggregate_range, path, start, end) for start, end in ranges]
        return [future.result() for future in futures]


MODES = {"sequential": run_sequential, "process-pool": run_process_pool}


def tenths_text(tenths):
    """-123 -> "-12.3"; zero is "0.0", never "-0.0"."""
    sign = "-" if tenths < 0 else ""
    whole, tenth = divmod(abs(tenths), 10)
    return f"{sign}{whole}.{tenth}"


def format_1brc(stations):
    """`{name=min/mean/max, ...}\\n` as bytes, sorted by the names' bytes. The mean is the exact
    fraction sum/count rounded half toward +infinity, as Java's Math.round in the reference:
    floor((2*sum + count) / (2*count)), in integers (-0.05 -> 0.0, -0.15 -> -0.1)."""
    parts = []
    for name in sorted(stations):
        low, high, total, count = stations[name]
        mean = (2 * total + count) // (2 * count)
        values = f"={tenths_text(low)}/{tenths_text(mean)}/{tenths_text(high)}"
        parts.append(name + values.encode())
    return b"{" + b", ".join(parts) + b"}\n"


def line_number(path, offset):
    """1 + the newlines before `offset`: found only on the error path."""
    newlines = 0
    with open(path, "rb") as f:
        while offset > 0:
            block = f.read(min(offset, 1 << 20))
            if not block:
                break
            newlines += block.count(b"\n")
            offset -= len(block)
    return newlines + 1


def check_input(path):
    """Refuses what cannot be split into ranges. `stat` first: opening a FIFO would block."""
    try:
        info = os.stat(path)
    except OSError as error:
        raise SystemExit(fail(f"{path}: {error.strerror or error}"))
    if stat.S_ISDIR(info.st_mode):
        raise SystemExit(fail(f"{path}: is a directory, not a file"))
    if not stat.S_ISREG(info.st_mode):
        raise SystemExit(
            fail(f"{path}: is not a regular file (a pipe or a device cannot be split into ranges)")
        )
    return info.st_size


def fail(message):
    print(f"crunch.py: error: {message}", file=sys.stderr)
    return 1


def gil_enabled():
    """False only on a free-threaded build (3.13t and later) running without the GIL."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else bool(is_enabled())


def logical_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def workers_arg(text):
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {MAX_WORKERS}")
    return n


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="crunch.py",
        description="The 1BRC aggregation in Python: min/mean/max per station of a "
        "`name;temp` file, printed as process-crunch prints it. Exit status: 0 success, "
        "1 the work failed (a bad line, an unreadable file), 2 usage error.",
    )
    parser.add_argument("file", help="the measurements file: `name;temp` lines")
    parser.add_argument("--mode", choices=list(MODES), default="process-pool",
                        help="how the work is divided (default: process-pool)")
    parser.add_argument("--workers", type=workers_arg, default=logical_cpus(),
                        help="processes for process-pool (default: the logical CPUs)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON timing record on stdout; the result moves to stderr")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    workers = 1 if args.mode == "sequential" else args.workers
    started = time.perf_counter()
    size = check_input(args.file)
    try:
        answers = MODES[args.mode](args.file, size, workers)
    except concurrent.futures.process.BrokenProcessPool as error:
        return fail(f"{args.file}: a worker process died: {error}")
    except OSError as error:
        return fail(f"{args.file}: {error.strerror or error}")
    # Of several errors, report the one a sequential reader meets first: I/O errors, then the
    # bad line with the lowest offset. Every mode then reports the same error for a file.
    errors = sorted((e for _, e in answers if e is not None), key=lambda e: (e[0] != "io", e[1]))
    if errors:
        kind, *details = errors[0]
        if kind == "io":
            return fail(details[0])
        offset, reason = details
        return fail(f"{args.file}: line {line_number(args.file, offset)}, byte {offset}: {reason}")
    stations = {}
    for partial, _ in answers:
        merge(stations, partial)
    wall_ms = (time.perf_counter() - started) * 1000.0

    result = format_1brc(stations)
    rows = sum(entry[3] for entry in stations.values())
    if args.json:
        sys.stderr.buffer.write(result)
        record = {
            "demo": "process-crunch", "language": "python", "workload": "csv",
            "mode": args.mode, "workers": workers, "items": rows, "bytes": size,
            "wall_ms": wall_ms, "ok": True, "python_version": platform.python_version(),
            "gil_enabled": gil_enabled(), "errors": 0, "stations": len(stations),
        }
        sys.stdout.write(json.dumps(record) + "\n")
    else:
        sys.stdout.buffer.write(result)
    sys.stdout.flush()
    seconds = max(wall_ms / 1000.0, 1e-9)
    print(
        f"{args.mode} mode, Python {platform.python_version()}, {workers} "
        f"worker{'' if workers == 1 else 's'}: {rows} rows, {len(stations)} stations, "
        f"{size / 1e6:.1f} MB in {wall_ms:.1f} ms ({size / 1e6 / seconds:.0f} MB/s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
