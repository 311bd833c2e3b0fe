"""crunch.py: sequential and process-pool agree on every edge case, the output is the 1BRC
line exactly as process-crunch prints it, and bad input is an error, never a wrong answer."""

import json
import os
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

import crunch

SCRIPT = os.path.join(os.path.dirname(crunch.__file__), "crunch.py")

# Edge cases and the exact stdout process-crunch prints for each (checked against it by hand
# and by crates/process-crunch/tests/python_twin.rs).
EXPECTED = {
    "bom": (b"\xef\xbb\xbfa;1.0\nb;2.0\n", b"{a=1.0/1.0/1.0, b=2.0/2.0/2.0}\n"),
    "crlf": (b"a;1.0\r\nb;-0.0\r\n", b"{a=1.0/1.0/1.0, b=0.0/0.0/0.0}\n"),
    "no-final-newline": (b"a;1.0\nb;2.0", b"{a=1.0/1.0/1.0, b=2.0/2.0/2.0}\n"),
    "empty": (b"", b"{}\n"),
    "blank-lines": (b"\n\r\na;1.0\n\n", b"{a=1.0/1.0/1.0}\n"),
    "extremes": (b"b;99.9\nb;-99.9\nb;09.9\n", b"{b=-99.9/3.3/99.9}\n"),
    # Means of exact halves round toward +infinity: 0.15 -> 0.2, -0.15 -> -0.1, -0.05 -> 0.0.
    "halves": (b"a;0.1\na;0.2\nb;-0.1\nb;-0.2\nc;-0.1\nc;0.0\nd;12.3\nd;12.4\ne;-12.3\ne;-12.4\n",
               b"{a=0.1/0.2/0.2, b=-0.2/-0.1/-0.1, c=-0.1/0.0/0.0, d=12.3/12.4/12.4, "
               b"e=-12.4/-12.3/-12.3}\n"),
    "negative-zero": (b"z;-0.0\nz;-0.0\n", b"{z=0.0/0.0/0.0}\n"),
    # Sorted by bytes, not by characters: "Z\xc3\xbc" (Zu-umlaut) after "Zagreb".
    "multi-byte": ("Zürich;1.0\nÜrümqi;2.0\nAbéché;-3.0\nZagreb;4.0\n".encode(),
                   "{Abéché=-3.0/-3.0/-3.0, Zagreb=4.0/4.0/4.0, Zürich=1.0/1.0/1.0, "
                   "Ürümqi=2.0/2.0/2.0}\n".encode()),
    "cr-in-name": (b"x\r;1.0\n", b"{x\r=1.0/1.0/1.0}\n"),
    "quote-in-name": (b'"a;1.0\n', b'{"a=1.0/1.0/1.0}\n'),
    "bom-only": (b"\xef\xbb\xbf", b"{}\n"),
    "bom-then-blank": (b"\xef\xbb\xbf\na;1.0\n", b"{a=1.0/1.0/1.0}\n"),
    "leading-zeros": (b"a;-00.0\nb;-09.9\nb;05.5\n", b"{a=0.0/0.0/0.0, b=-9.9/-2.2/5.5}\n"),
    "name-of-100-bytes": (b"n" * 100 + b";1.0\n", b"{" + b"n" * 100 + b"=1.0/1.0/1.0}\n"),
}

# Bad files and the start of the error each must give (the line, the byte and the reason).
BAD = {
    "no-separator": (b"a;1.0\nno separator here\n", "line 2, byte 6: no `;`"),
    "empty-name": (b"a;1.0\n;2.0\n", "line 2, byte 6: empty station name"),
    "long-name": (b"a;1.0\n" + b"x" * 101 + b";1.0\n",
                  "line 2, byte 6: station name is 101 bytes long"),
    "two-semicolons": (b"a;1;0\n", "line 1, byte 0: temperature `1;0` is not a number"),
    "out-of-range": (b"a;1.0\na;100.0\n", "line 2, byte 6: temperature `100.0` is out of range"),
    "no-decimal": (b"a;1.0\nb;2\n", "line 2, byte 6: temperature `2` is not a number"),
    "after-blank-lines": (b"a;1.0\n\n\nb;x\n", "line 4, byte 8: temperature `x`"),
    "two-bad-lines": (b"a;1.0\n" * 50 + b"bad;x\n" + b"a;1.0\n" * 50 + b"bad;y\n",
                      "line 51, byte 300: temperature `x`"),
    "half-a-bom": (b"\xef\xbb", "line 1, byte 0: no `;`"),
    "bom-at-the-end": (b"a;1.0\n\xef\xbb\xbf", "line 2, byte 6: no `;`"),
    "cr-alone-in-temperature": (b"a;1.0\rb\n", "line 1, byte 0: temperature `1.0\rb`"),
}


def write(directory, name, data):
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def run(path, mode, workers):
    """The stdout bytes, or the error message, of one mode, computed in-process."""
    size = os.path.getsize(path)
    answers = crunch.MODES[mode](path, size, workers)
    errors = sorted(e for _, e in answers if e is not None)
    if errors:
        _, offset, reason = errors[0]
        return f"line {crunch.line_number(path, offset)}, byte {offset}: {reason}"
    stations = {}
    for partial, _ in answers:
        crunch.merge(stations, partial)
    return crunch.format_1brc(stations)


class ModesAgree(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def test_good_files_every_mode_and_worker_count(self):
        for name, (data, expected) in EXPECTED.items():
            path = write(self.dir.name, name, data)
            for mode, workers in [("sequential", 1)] + [("process-pool", n) for n in (1, 2, 3, 7)]:
                with self.subTest(file=name, mode=mode, workers=workers):
                    self.assertEqual(run(path, mode, workers), expected)

    def test_bad_files_give_the_first_bad_line_in_every_mode(self):
        for name, (data, message) in BAD.items():
            path = write(self.dir.name, name, data)
            for mode, workers in [("sequential", 1)] + [("process-pool", n) for n in (2, 3, 7)]:
                with self.subTest(file=name, mode=mode, workers=workers):
                    self.assertTrue(run(path, mode, workers).startswith(message),
                                    run(path, mode, workers))

    def test_tiny_chunks_give_the_same_answers(self):
        # Lines split across reads, and a line longer than a whole chunk: judged by its start.
        data = b"".join(EXPECTED[k][0] for k in ("crlf", "halves", "multi-byte", "extremes"))
        path = write(self.dir.name, "mixed", data)
        expected = run(path, "sequential", 1)
        for chunk in (1, 2, 3, 7, 64):
            with self.subTest(chunk=chunk), mock.patch.object(crunch, "CHUNK_BYTES", chunk):
                self.assertEqual(run(path, "sequential", 1), expected)
        with mock.patch.object(crunch, "CHUNK_BYTES", 8), mock.patch.object(crunch, "LINE_LIMIT", 16):
            path = write(self.dir.name, "long", b"a;1.0\n" + b"y" * 40 + b"\n")
            self.assertEqual(run(path, "sequential", 1), "line 2, byte 6: no `;` between "
                             "station name and temperature")

    def test_a_bom_counts_only_at_byte_0(self):
        path = write(self.dir.name, "bom-later", b"a;1.0\n\xef\xbb\xbfa;2.0\n")
        self.assertEqual(run(path, "sequential", 1),
                         b"{a=1.0/1.0/1.0, \xef\xbb\xbfa=2.0/2.0/2.0}\n")

    def test_ranges_start_at_line_starts_and_cover_the_file(self):
        data = b"a;1.0\nbb;2.0\nccc;3.0\ndddd;4.0\n"
        path = write(self.dir.name, "r", data)
        self.assertEqual(crunch.split(path, len(data), 2), [(0, 21), (21, 30)])
        for n in range(1, 40):
            ranges = crunch.split(path, len(data), n)
            self.assertEqual(len(ranges), n)
            self.assertEqual((ranges[0][0], ranges[-1][1]), (0, len(data)))
            for (_, end), (start, _) in zip(ranges, ranges[1:]):
                self.assertEqual(end, start)
            for start, end in ranges:
                self.assertTrue(start == 0 or start == end or data[start - 1] == 0x0A)


class CommandLine(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def run_script(self, *args):
        return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, timeout=60)

    def test_stdout_is_the_result_and_json_moves_it_to_stderr(self):
        data, expected = EXPECTED["halves"]
        path = write(self.dir.name, "h.txt", data)
        done = self.run_script(path, "--workers", "2")
        self.assertEqual((done.returncode, done.stdout), (0, expected))
        done = self.run_script(path, "--mode", "sequential", "--json")
        self.assertEqual(done.returncode, 0)
        record = json.loads(done.stdout)
        self.assertEqual(done.stdout.count(b"\n"), 1)
        self.assertTrue(done.stderr.startswith(expected))
        self.assertEqual((record["demo"], record["language"], record["workload"]),
                         ("process-crunch", "python", "csv"))
        self.assertEqual((record["mode"], record["workers"], record["items"], record["bytes"]),
                         ("sequential", 1, 10, len(data)))
        self.assertTrue(record["ok"])

    def test_bad_input_exits_1_naming_the_path(self):
        bad = write(self.dir.name, "bad.txt", BAD["after-blank-lines"][0])
        fifo = os.path.join(self.dir.name, "fifo")
        os.mkfifo(fifo)
        for path, words in [(bad, "line 4, byte 8"), (self.dir.name, "is a directory"),
                            (fifo, "not a regular file"),
                            (os.path.join(self.dir.name, "missing"), "No such file")]:
            with self.subTest(path=path):
                done = self.run_script(path)  # a FIFO must not block: the timeout would fire
                self.assertEqual((done.returncode, done.stdout), (1, b""))
                self.assertIn(path.encode(), done.stderr)
                self.assertIn(words.encode(), done.stderr)

    def test_usage_errors_exit_2(self):
        path = write(self.dir.name, "ok.txt", b"a;1.0\n")
        for args in ([], [path, "--workers", "0"], [path, "--mode", "threads"]):
            with self.subTest(args=args):
                self.assertEqual(self.run_script(*args).returncode, 2)


if __name__ == "__main__":
    unittest.main()
