"""cpu_vs_io.py: every model gives the same results, the answers are Rust's, failures are
reported (never a hang), and the command line keeps its contract."""

import json
import os
import subprocess
import sys
import unittest
from unittest import mock

import cpu_vs_io
from cpu_vs_io import CPU_WINDOW_START, MODELS, Output, Task, TaskError, make_tasks
from latency_server import PAYLOAD_LEN, LatencyServer, payload

SCRIPT = os.path.join(os.path.dirname(cpu_vs_io.__file__), "cpu_vs_io.py")


def sieve_count(start, end):
    """An independent oracle: a segmented sieve of Eratosthenes over [start, end)."""
    limit = int(end ** 0.5) + 1
    small = [True] * (limit + 1)
    small[0:2] = [False, False]
    for i in range(2, int(limit ** 0.5) + 1):
        if small[i]:
            small[i * i::i] = [False] * len(small[i * i::i])
    segment = [True] * (end - start)
    for p in (i for i, prime in enumerate(small) if prime):
        first = max(p * p, (start + p - 1) // p * p)
        for multiple in range(first, end, p):
            segment[multiple - start] = False
    return sum(segment)


class Answers(unittest.TestCase):
    def test_prime_counts_match_rusts_unit_tests_and_a_sieve(self):
        # The values asserted in cpu-vs-io's src/task.rs.
        self.assertEqual(cpu_vs_io.count_primes(0, 100), 25)
        self.assertEqual(cpu_vs_io.count_primes(0, 1000), 168)
        self.assertTrue(cpu_vs_io.is_prime(999_999_937))
        self.assertTrue(cpu_vs_io.is_prime(1_000_000_007))
        self.assertFalse(cpu_vs_io.is_prime(1_000_000_007 * 3))
        self.assertEqual(cpu_vs_io.count_primes(999_999_938, 1_000_000_007), 0)
        # The windows of the first tasks, as Rust builds them: START + id * size.
        for task in make_tasks("cpu", 3, 1500, 0, None):
            self.assertEqual(task.start, CPU_WINDOW_START + task.id * 1500)
            self.assertEqual(cpu_vs_io.run_task(task).value,
                             sieve_count(task.start, task.start + 1500))

    def test_payload_and_checksum(self):
        # FNV-1a 64 test vectors, then the payload's shape.
        self.assertEqual(cpu_vs_io.fnv1a(b""), 0xCBF29CE484222325)
        self.assertEqual(cpu_vs_io.fnv1a(b"a"), 0xAF63DC4C8601EC8C)
        self.assertEqual(len(payload(0)), PAYLOAD_LEN)
        self.assertEqual(payload(5), payload(5))
        self.assertNotEqual(payload(5), payload(6))
        # splitmix64 seeded with 0: its first output is the well-known 0xe220a8397b1dcdaf.
        self.assertEqual(int.from_bytes(payload(0)[:8], "little"), 0xE220A8397B1DCDAF)


class EveryModelAgrees(unittest.TestCase):
    def run_all_models(self, tasks):
        expected = MODELS["sequential"](tasks, 2)
        self.assertTrue(all(isinstance(r, Output) for r in expected), expected)
        for mode, model in MODELS.items():
            with self.subTest(mode=mode):
                self.assertEqual(model(tasks, 2), expected)
        return expected

    def test_cpu(self):
        results = self.run_all_models(make_tasks("cpu", 4, 300, 0, None))
        self.assertEqual([r.id for r in results], [0, 1, 2, 3])

    def test_io_sleep(self):
        results = self.run_all_models(make_tasks("io-sleep", 5, 0, 5, None))
        self.assertEqual({r.value for r in results}, {5})

    def test_io_tcp(self):
        with LatencyServer(5) as address:
            results = self.run_all_models(make_tasks("io-tcp", 5, 0, 5, address))
        for r in results:
            self.assertEqual(r.bytes, PAYLOAD_LEN)
            self.assertEqual(r.value, cpu_vs_io.fnv1a(payload(r.id)))


class Failures(unittest.TestCase):
    def test_a_tcp_task_fails_as_a_value_naming_the_address(self):
        import socket
        with socket.socket() as s:  # bind and close: a port nothing listens on
            s.bind(("127.0.0.1", 0))
            address = s.getsockname()
        for mode in ("sequential", "threading", "asyncio", "process-pool"):
            with self.subTest(mode=mode):
                [result] = MODELS[mode]([Task("tcp", 9, address=address)], 1)
                self.assertIsInstance(result, TaskError)
                self.assertEqual(result.id, 9)
                self.assertIn(f"127.0.0.1:{address[1]}", result.message)

    def test_a_bad_request_does_not_stop_the_server(self):
        import socket
        with LatencyServer(1) as address:
            with socket.create_connection(address, timeout=10) as bad:
                bad.sendall(b"not a number\n")
                self.assertEqual(bad.recv(100), b"")  # closed without an answer
            [result] = MODELS["sequential"]([Task("tcp", 42, address=address)], 1)
            self.assertEqual(result, Output(42, cpu_vs_io.fnv1a(payload(42)), PAYLOAD_LEN))

    def test_a_task_that_raises_fails_its_model(self):
        # A tcp task without an address raises TypeError inside run_task: a bug, not a task
        # error. Each model must turn it into an exception, never a hang or a silent result.
        # (Their tracebacks on stderr are expected.)
        broken = [Task("cpu", 0, start=10, size=5), Task("tcp", 1)]
        for mode in ("threading", "thread-pool", "process-pool", "process-per-task"):
            with self.subTest(mode=mode), self.assertRaises(Exception):
                MODELS[mode](broken, 2)

    def test_a_failed_or_disagreeing_model_is_a_record_with_ok_false(self):
        def broken(tasks, workers):
            raise OSError("cannot start a process")

        def wrong(tasks, workers):
            return [Output(t.id, 0, 0) for t in tasks]

        records = []
        tasks = make_tasks("cpu", 3, 50, 0, None)
        with mock.patch.dict(MODELS, {"threading": broken, "asyncio": wrong}):
            rows = cpu_vs_io.run_workload("cpu", tasks, ["sequential", "threading", "asyncio"],
                                          2, lambda text: None, records.append)
        self.assertEqual([row[3] for row in rows], [True, False, False])
        self.assertEqual([(r["ok"], r["errors"]) for r in records],
                         [(True, 0), (False, 3), (False, 3)])

    def test_check_reports_wrong_answers_and_ids(self):
        tasks = make_tasks("cpu", 2, 10, 0, None)
        good = [Output(0, 5, 0), Output(1, 6, 0)]
        reference = ("sequential", good)
        self.assertEqual(cpu_vs_io.check("cpu", "threading", tasks, good, reference), [])
        wrong = [Output(0, 5, 0), Output(1, 7, 0)]
        [problem] = cpu_vs_io.check("cpu", "asyncio", tasks, wrong, reference)
        self.assertIn("results differ: in cpu, task 1", problem)
        swapped = [good[1], good[0]]
        self.assertEqual(len(cpu_vs_io.check("cpu", "asyncio", tasks, swapped, reference)), 2)
        self.assertEqual(len(cpu_vs_io.check("cpu", "asyncio", tasks, good[:1], reference)), 1)


class CommandLine(unittest.TestCase):
    def run_script(self, *args):
        return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True,
                              text=True, timeout=120)

    def test_json_lines_on_stdout_and_nothing_else(self):
        done = self.run_script("--workload", "all", "--tasks", "3", "--cpu-size", "200",
                               "--latency-ms", "5", "--workers", "2", "--json")
        self.assertEqual(done.returncode, 0, done.stderr)
        records = [json.loads(line) for line in done.stdout.splitlines()]
        self.assertEqual(len(records), 3 * len(MODELS))
        for record in records:
            self.assertEqual(record["demo"], "cpu-vs-io")
            self.assertEqual(record["language"], "python")
            self.assertIn(record["workload"], ("cpu", "io-sleep", "io-tcp"))
            self.assertIn(record["mode"], MODELS)
            self.assertEqual(record["items"], 3)
            self.assertTrue(record["ok"])
            self.assertGreaterEqual(record["workers"], 1)
            self.assertIsInstance(record["wall_ms"], float)
            self.assertIsInstance(record["gil_enabled"], bool)
            self.assertRegex(record["python_version"], r"^3\.\d+")
        cpu = [r for r in records if r["workload"] == "cpu"]
        self.assertEqual({r["cpu_size"] for r in cpu}, {200})
        self.assertEqual({r["latency_ms"] for r in records if r not in cpu}, {5})
        tcp = [r for r in records if r["workload"] == "io-tcp"]
        self.assertEqual({r["bytes"] for r in tcp}, {3 * PAYLOAD_LEN})
        self.assertIn("sequential", done.stderr)  # the table went to stderr

    def test_table_without_json(self):
        done = self.run_script("--workload", "io-sleep", "--tasks", "2", "--latency-ms", "1")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("process-per-task", done.stdout)
        self.assertIn("io-sleep:", done.stdout)

    def test_usage_errors_exit_2(self):
        for args in (["--workers", "0"], ["--tasks", "x"], ["--mode", "rayon"],
                     ["--latency-ms", "-1"]):
            with self.subTest(args=args):
                self.assertEqual(self.run_script(*args).returncode, 2)


if __name__ == "__main__":
    unittest.main()
