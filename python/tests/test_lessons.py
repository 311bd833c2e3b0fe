"""The six lessons run as a user runs them, and show what they teach."""

import os
import subprocess
import sys
import unittest

LESSONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lessons")


def run(name):
    return subprocess.run([sys.executable, os.path.join(LESSONS, name)], capture_output=True,
                          text=True, timeout=120)


class Lessons(unittest.TestCase):
    def check(self, name, *expected):
        done = run(name)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        for text in expected:
            self.assertIn(text, done.stdout)
        return done.stdout

    def test_threads_with_waits(self):
        self.check("threads_with_waits.py", "squares [1, 4, 9, 16], cubes [1, 8, 27, 64]",
                   "thread per item")

    def test_separate_memory(self):
        self.check("separate_memory.py", "LIST: [1, 4, 9, 16, 25]", "LIST: [] (still empty")

    def test_process_queue(self):
        self.check("process_queue.py", "received item 5: 125", "5 items in order")

    def test_shared_value_array(self):
        self.check("shared_value_array.py", "value: 3.14159", "array: [0, -1, -2")

    def test_lock_balance(self):
        # Without the lock the result is a race; with it, always 200 (the exit status checks).
        self.check("lock_balance.py", "with a lock:    200")

    def test_pool(self):
        self.check("pool.py", "same answers")


if __name__ == "__main__":
    unittest.main()
