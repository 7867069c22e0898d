"""Real servers for tests, from the Debian packages tests/run_all.sh installs: PostgreSQL and
Redis, each on a Unix socket in a fresh folder, stopped (and the folder removed) on exit."""
from __future__ import annotations

import contextlib
import os
import signal
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests


def wait_ready(url: str, seconds: float, proc=None) -> requests.Response:
    """GET ``url`` until it answers 200 (AssertionError after ``seconds``, or when ``proc``
    exits first)."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{proc.args} exited with {proc.returncode}")
        try:
            last = requests.get(url, timeout=5)
            if last.status_code == 200:
                return last
        except requests.RequestException as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"{url} not ready in {seconds:.0f} s: {last}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A throwaway PostgreSQL server on a Unix socket (``postgres_server``): ``url``, and
    ``stop()`` / ``start()`` to take it away and bring it back with its data (a fault test)."""

    def __init__(self, bindir: Path, tmp: Path, user: list):
        self.bindir, self.tmp, self.user = bindir, tmp, user
        self.data, self.sock = tmp / "pgdata", tmp / "sock"
        self.url = f"postgresql+psycopg://porttwin@/postgres?host={self.sock}"

    def _ctl(self, *args) -> None:
        res = subprocess.run(self.user + [str(self.bindir / "pg_ctl"), "-D", str(self.data),
                                          *args], capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr

    def start(self) -> None:
        self._ctl("-w", "-l", str(self.tmp / "pg.log"), "-o",
                  f"-k {self.sock} -c listen_addresses=''", "start")

    def stop(self) -> None:
        """As a crash or a pulled cable would: at once, connections cut."""
        self._ctl("-m", "immediate", "stop")


@contextlib.contextmanager
def postgres_server():
    """Yields a ``PostgresServer``, started; stopped and removed on exit."""
    bindir = next((c for c in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
                   if (c / "initdb").exists()), None)
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (tests/run_all.sh installs it)")
    # not under pytest's tmp_path: its parents are private to root and the server runs as
    # 'postgres'
    tmp = Path(tempfile.mkdtemp(prefix="porttwin-pg-"))
    (tmp / "sock").mkdir()
    user = []
    if os.geteuid() == 0:         # initdb refuses root: run the server as 'postgres'
        shutil.chown(tmp, "postgres")
        shutil.chown(tmp / "sock", "postgres")
        user = ["runuser", "-u", "postgres", "--"]
    server = PostgresServer(bindir, tmp, user)
    try:
        res = subprocess.run(user + [str(bindir / "initdb"), "-D", str(server.data), "-A",
                                     "trust", "-U", "porttwin"], capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr
        server.start()
        yield server
    finally:
        subprocess.run(user + [str(bindir / "pg_ctl"), "-D", str(server.data), "-m",
                               "immediate", "stop"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def postgres():
    """Yields a SQLAlchemy URL of a throwaway PostgreSQL server."""
    with postgres_server() as server:
        yield server.url


@contextlib.contextmanager
def redis():
    """Yields the URL of a throwaway Redis server (no persistence)."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("Redis is not installed (tests/run_all.sh installs it)")
    tmp = Path(tempfile.mkdtemp(prefix="porttwin-redis-"))
    sock = tmp / "redis.sock"
    proc = subprocess.Popen([exe, "--port", "0", "--unixsocket", str(sock), "--dir", str(tmp),
                             "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while not sock.exists():
            assert proc.poll() is None, "redis-server exited"
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield f"unix://{sock}"
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


class FreezingProxy:
    """TCP in front of PostgreSQL's socket that can freeze: while frozen it takes what is
    sent and answers nothing — a server that hangs, or a network that black-holes — with
    connections left open, as a hung server leaves them."""

    def __init__(self, unix_path: str):
        self.unix_path = unix_path
        self.frozen = threading.Event()
        self.thawed = threading.Event()
        self.thawed.set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self.thawed.clear()
        self.frozen.set()

    def thaw(self) -> None:
        self.frozen.clear()
        self.thawed.set()

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            server = socket.socket(socket.AF_UNIX)
            server.connect(self.unix_path)
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                self.thawed.wait()              # frozen: held, nothing passes
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def stop_processes(procs: list) -> None:
    """Stop test servers started in process groups of their own: (Popen, log file) pairs —
    SIGTERM to each group, 20 s to go, then SIGKILL; their logs closed."""
    for p, _ in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
    for p, out in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
        out.close()
