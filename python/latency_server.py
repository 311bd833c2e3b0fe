"""The latency server behind cpu_vs_io.py's `io-tcp` workload: the protocol of cpu-vs-io's
src/server.rs, so that a Python task does what a Rust task does.

Protocol: the client sends its task id as one line (`"17\\n"`); the server waits the latency,
writes PAYLOAD_LEN bytes derived from that id (`payload`) and closes the connection.

The server runs in a process of its own, started before any timing, with a thread per
connection. In Rust it is a thread of the measuring program; in Python it must not be: its
threads would take the GIL from the threads being measured, and it would make the measuring
process multi-threaded, which makes `fork` (how the process models start their children on
Linux) unsafe.
"""

import multiprocessing
import os
import signal
import socketserver
import sys
import threading
import time

PAYLOAD_LEN = 4096
_MASK = (1 << 64) - 1


def payload(task_id):
    """PAYLOAD_LEN bytes from a splitmix64 generator seeded with the id: the same bytes as
    server.rs, so every model (and every language) must get the same checksum."""
    state = task_id
    out = bytearray()
    while len(out) < PAYLOAD_LEN:
        state = (state + 0x9E3779B97F4A7C15) & _MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        z ^= z >> 31
        out += z.to_bytes(8, "little")
    return bytes(out[:PAYLOAD_LEN])


def die_with_parent(parent_pid):
    """Linux: asks the kernel to kill this process when its parent dies (PR_SET_PDEATHSIG),
    as the Rust demos do for their children, so none is left behind if the parent is killed.
    If the parent died before the request was made, exit now."""
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


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        # An id is at most 10 digits: the limit bounds what a confused client makes us buffer.
        line = self.rfile.readline(32)
        try:
            task_id = int(line.strip())
        except ValueError:
            print(f"latency server: {self.client_address}: expected a task id line, got {line!r}",
                  file=sys.stderr)
            return  # closing without an answer: the client reports it
        time.sleep(self.server.latency)
        self.wfile.write(payload(task_id))


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True  # a connection thread never keeps the server process alive
    # The listen backlog. socketserver's default is 5: 32 clients connecting at once would
    # overflow it, and the kernel answers an overflowed SYN a whole second later, which would
    # be measured as latency. The kernel caps it at net.core.somaxconn.
    request_queue_size = 4096


def _serve(latency_ms, ready, parent_pid):
    """The server process: bind 127.0.0.1:0, report the port, serve until told to stop."""
    die_with_parent(parent_pid)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.latency = latency_ms / 1000.0

    def watch_parent():
        # Where PR_SET_PDEATHSIG does not exist: exit once the parent is gone (the process is
        # then re-parented, so its parent pid changes), even a parent killed with SIGKILL.
        original = os.getppid()
        while os.getppid() == original:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    ready.send(server.server_address)
    ready.close()
    server.serve_forever()


class LatencyServer:
    """`with LatencyServer(50) as address:` runs the server for the block's duration."""

    def __init__(self, latency_ms):
        self.latency_ms = latency_ms
        self.process = None

    def __enter__(self):
        receive, send = multiprocessing.Pipe(duplex=False)
        self.process = multiprocessing.Process(
            target=_serve, args=(self.latency_ms, send, os.getpid()), daemon=True,
            name="latency-server")
        self.process.start()
        send.close()  # our copy: if the server dies before answering, recv() sees EOF
        try:
            if not receive.poll(30):
                raise OSError("the latency server did not start within 30 s")
            return tuple(receive.recv())
        except (OSError, EOFError) as error:
            self.__exit__()  # no `with` body runs, so no __exit__ would: stop it here
            raise OSError(f"the latency server did not start: {error or 'it exited'}") from None
        finally:
            receive.close()

    def __exit__(self, *exc):
        # Stop it and reap it: no server outlives the measurement, not even as a zombie.
        self.process.terminate()
        self.process.join()
        return False
