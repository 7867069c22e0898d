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
import zlib
from pathlib import Path
from typing import Callable, Iterator

from .supervisor import Supervisor, guard

log = logging.getLogger(__name__)
LineHandler = Callable[[str, float], None]     # (line, arrival epoch seconds)


def file_lines(path: str | Path, encoding: str = "utf-8", on_error=None) -> Iterator[str]:
    """Yield the lines of a text file (plain or ``.gz``) without their line endings.

    Undecodable bytes are replaced rather than raised: a bad byte is the format parser's
    business (it rejects that one record and counts it), not a reason to stop the file. A file
    that breaks off while being read (a truncated or corrupt ``.gz``, a read error) ends there:
    with ``on_error`` the failure is counted (``unreadable_file``, ``file:line``) and the lines
    read so far stand; without it, it raises.
    """
    path = Path(path)
    raw = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")
    n = 0
    with raw, io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="") as text:
        try:
            for line in text:
                n += 1
                yield line.rstrip("\r\n")
        except (OSError, EOFError, zlib.error) as exc:
            if on_error is None:
                raise
            on_error("unreadable_file", f"{path.name}:{n + 1}: {type(exc).__name__}: {exc}")


class _Receiver:
    """A transport whose reading loop runs under a ``Supervisor`` and hands each line to
    ``on_line``.

    ``state`` is one of waiting / connected / reconnecting / failed / stopped; ``connects``
    counts successful connections and ``last_error`` keeps the latest failure (logged once,
    then "recovered" once — no log spam while a peer stays down). With a ``health``
    (``FeedHealth``) the connection state goes there too, for the feed panel and the API.
    An exception while handling one line is a counted reject (``on_reject``) and the next line
    is read; an exception of the loop itself restarts it.
    """

    name = "transport"
    max_line = 4096            # bytes: NMEA is 82, tag blocks and JSON rows a few hundred

    def __init__(self, on_line: LineHandler, on_reject=None, health=None, on_lines=None):
        self.state = "waiting"
        self.connects = 0
        self.last_error: str | None = None
        self.health = health
        self.on_reject = on_reject or (health.record_reject if health is not None
                                       else (lambda reason, detail=None: None))
        self.on_line = guard(on_line, self._line_failed, self.name)
        # a handler of all the lines of one read at once (``AisSource.on_lines``: one call
        # and one hand-over to the engine per read instead of per line)
        self.on_lines = guard(on_lines, self._line_failed, self.name) if on_lines else None
        self._stop = threading.Event()
        self._supervisor: Supervisor | None = None
        self._failing = False

    def deliver(self, lines, arrival: float) -> None:
        """The lines of one read (a TCP chunk, a datagram, a stream entry), all received at
        ``arrival`` (epoch seconds), to the handler."""
        if self.on_lines is not None:
            self.on_lines(lines, arrival)
            return
        for line in lines:
            self.on_line(line, arrival)

    def _line_failed(self, reason: str, detail: str) -> None:
        self.on_reject(reason, detail)

    def _set_state(self, state: str, error: str | None = None) -> None:
        self.state = state
        if self.health is not None:
            self.health.set_connection(state, error)

    def start(self) -> "_Receiver":
        if self._supervisor is None:
            self._supervisor = Supervisor(self.name, self._loop, on_failure=self._crashed,
                                          **self.supervision())
            self._supervisor.stop_event = self._stop
            self._supervisor.start()
        return self

    def supervision(self) -> dict:
        return {}

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._close()
        if self._supervisor is not None:
            self._supervisor.stop(timeout)
        self.state = "stopped"

    def _close(self) -> None:
        pass

    def _loop(self, stop: threading.Event) -> None:
        raise NotImplementedError

    def _crashed(self, error: str) -> None:
        self.last_error = error
        self._set_state("failed", error)

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


def split_lines(buffer: bytearray, chunk: bytes, max_line: int, on_long) -> list[str]:
    """Append ``chunk`` to ``buffer`` and return the complete lines in it (latin-1 text, no
    line endings). A line longer than ``max_line`` bytes is dropped (``on_long``): a peer that
    never sends a newline cannot make the buffer grow without bound."""
    buffer += chunk
    lines = []
    start = 0
    while True:
        end = buffer.find(b"\n", start)
        if end < 0:
            break
        if end - start <= max_line:
            lines.append(buffer[start:end].rstrip(b"\r").decode("latin-1"))
        else:
            on_long(end - start)
        start = end + 1
    del buffer[:start]
    if len(buffer) > max_line:
        on_long(len(buffer))
        buffer.clear()
    return lines


class TcpClient(_Receiver):
    """NMEA (or any lines) over TCP from a receiver, an aggregator or ``python app.py feed``.

    A dropped connection is retried at once, then every ``backoff_s`` doubling to at most
    ``max_backoff_s`` (2 s) while the peer stays away, so a receiver coming back is read
    again within a few seconds. A connection that stays silent for ``idle_timeout_s`` is
    taken as dead (a peer that vanished without closing) and opened again."""

    def __init__(self, host: str, port: int, on_line: LineHandler, backoff_s: float = 0.25,
                 max_backoff_s: float = 2.0, connect_timeout_s: float = 5.0,
                 idle_timeout_s: float = 120.0, on_reject=None, health=None, on_lines=None):
        self.name = f"tcp://{host}:{port}"
        super().__init__(on_line, on_reject, health, on_lines)
        self.host, self.port = host, port
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.connect_timeout_s = connect_timeout_s
        self.idle_timeout_s = idle_timeout_s
        self._sock: socket.socket | None = None

    def supervision(self) -> dict:
        return {"backoff_s": self.backoff_s, "max_backoff_s": self.max_backoff_s}

    def _close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _too_long(self, n: int) -> None:
        self.on_reject("line_too_long", f"{self.name}: {n} bytes without a line end")

    def _loop(self, stop: threading.Event) -> None:
        """One connection: connect, read lines until it ends. Raising or returning hands it
        back to the supervisor, which opens the next."""
        try:
            sock = socket.create_connection((self.host, self.port),
                                            timeout=self.connect_timeout_s)
        except OSError as exc:
            self._failed(exc)
            self._set_state("reconnecting", self.last_error)
            return
        self._sock = sock
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            sock.settimeout(1.0)
            self._recovered()
            self._set_state("connected")
            buffer = bytearray()
            idle = 0.0
            while not stop.is_set():
                try:
                    chunk = sock.recv(65536)
                except socket.timeout:
                    idle += 1.0
                    if idle >= self.idle_timeout_s:
                        raise ConnectionError(f"no data for {self.idle_timeout_s:.0f} s")
                    continue
                if not chunk:
                    raise ConnectionError("peer closed the connection")
                idle = 0.0
                arrival = time.time()
                lines = split_lines(buffer, chunk, self.max_line, self._too_long)
                if lines:
                    self.deliver(lines, arrival)
        except OSError as exc:
            if not stop.is_set():
                self._failed(exc)
                self._set_state("reconnecting", self.last_error)
        finally:
            self._close()


class UdpListener(_Receiver):
    """NMEA over UDP datagrams (one or more lines each); the usual NMEA port is 10110."""

    def __init__(self, port: int = 10110, on_line: LineHandler | None = None,
                 host: str = "0.0.0.0", on_reject=None, health=None, on_lines=None):
        self.name = f"udp://{host}:{port}"
        super().__init__(on_line, on_reject, health, on_lines)
        self.host, self.port = host, port
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port = self._sock.getsockname()[1]
        self._sock.settimeout(0.5)

    def stop(self, timeout: float = 5.0) -> None:
        super().stop(timeout)
        self._sock.close()

    def _loop(self, stop: threading.Event) -> None:
        self._recovered()
        self._set_state("connected")
        while not stop.is_set():
            try:
                data, _ = self._sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError as exc:
                if stop.is_set():
                    return
                self._failed(exc)
                self._set_state("failed", self.last_error)
                raise
            arrival = time.time()
            lines = [ln for ln in data.decode("latin-1").splitlines() if ln.strip()]
            if lines:
                self.deliver(lines, arrival)
