"""Transports deliver lines of text; formats (``marinecadastre``, NMEA later) parse them.

Keeping the two apart lets any format ride any transport (file replay now; TCP, UDP and MQTT
follow the same shape: an iterator of ``str`` lines).
"""
from __future__ import annotations

import gzip
import io
import logging
import socket
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

log = logging.getLogger(__name__)
LineHandler = Callable[[str, float], None]     # (line, arrival epoch seconds)


def file_lines(path: str | Path, encoding: str = "utf-8") -> Iterator[str]:
    """Yield the lines of a text file (plain or ``.gz``) without their line endings.

    Undecodable bytes are replaced rather than raised: a bad byte is the format parser's
    business (it rejects that one record and counts it), not a reason to stop the file.
    """
    path = Path(path)
    raw = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")
    with raw, io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="") as text:
        for line in text:
            yield line.rstrip("\r\n")


class _Receiver:
    """A transport that runs in its own daemon thread and hands each line to ``on_line``.

    ``state`` is one of waiting / connected / reconnecting / stopped; ``connects`` counts
    successful connections and ``last_error`` keeps the latest failure (logged once, then
    "recovered" once — no log spam while a peer stays down).
    """

    name = "transport"

    def __init__(self, on_line: LineHandler):
        self.on_line = on_line
        self.state = "waiting"
        self.connects = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def start(self) -> "_Receiver":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._close()
        if self._thread is not None:
            self._thread.join(timeout)
        self.state = "stopped"

    def _close(self) -> None:
        pass

    def _run(self) -> None:
        raise NotImplementedError

    def _failed(self, exc: Exception) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}"
        if not self._failing:
            log.warning("%s: %s", self.name, self.last_error)
            self._failing = True

    def _recovered(self) -> None:
        self.connects += 1
        if self._failing:
            log.info("%s: recovered", self.name)
            self._failing = False


class TcpClient(_Receiver):
    """NMEA over TCP (a receiver, an aggregator, ``python app.py feed``): reconnects by itself
    with exponential backoff (``backoff_s`` doubling to ``max_backoff_s``, reset on success)."""

    def __init__(self, host: str, port: int, on_line: LineHandler, backoff_s: float = 0.5,
                 max_backoff_s: float = 30.0, connect_timeout_s: float = 5.0):
        super().__init__(on_line)
        self.host, self.port = host, port
        self.name = f"tcp://{host}:{port}"
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.connect_timeout_s = connect_timeout_s
        self._sock: socket.socket | None = None

    def _close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _run(self) -> None:
        delay = self.backoff_s
        while not self._stop.is_set():
            try:
                self._sock = socket.create_connection((self.host, self.port),
                                                      timeout=self.connect_timeout_s)
                self._sock.settimeout(None)
                self.state = "connected"
                self._recovered()
                delay = self.backoff_s
                with self._sock.makefile("r", encoding="latin-1", newline="") as stream:
                    for line in stream:
                        self.on_line(line.rstrip("\r\n"), time.time())
                raise ConnectionError("peer closed the connection")
            except OSError as exc:
                if self._stop.is_set():
                    break
                self._failed(exc)
            finally:
                self._close()
            self.state = "reconnecting"
            self._stop.wait(delay)
            delay = min(delay * 2, self.max_backoff_s)


class UdpListener(_Receiver):
    """NMEA over UDP datagrams (one or more lines each); the usual NMEA port is 10110."""

    def __init__(self, port: int = 10110, on_line: LineHandler | None = None,
                 host: str = "0.0.0.0"):
        super().__init__(on_line)
        self.host, self.port = host, port
        self.name = f"udp://{host}:{port}"
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port = self._sock.getsockname()[1]
        self._sock.settimeout(0.5)

    def _close(self) -> None:
        pass

    def _run(self) -> None:
        self.state = "connected"
        self._recovered()
        while not self._stop.is_set():
            try:
                data, _ = self._sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError as exc:
                self._failed(exc)
                self._stop.wait(0.5)
                continue
            arrival = time.time()
            for line in data.decode("latin-1").splitlines():
                if line.strip():
                    self.on_line(line, arrival)
        self._sock.close()
