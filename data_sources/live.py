"""What every live feed shares: its health, a buffer the engine polls, and the transport named
by its URL — lines over ``tcp://host:port`` / ``udp://[host]:port``, or an HTTP URL fetched on
an interval. A feed adds only its format (``parse`` a line, ``handle`` a body)."""
from __future__ import annotations

import logging
import threading
import time
import urllib.request
from collections import deque
from urllib.parse import urlparse

from .health import FeedHealth
from .transport import TcpClient, UdpListener

log = logging.getLogger(__name__)


def line_transport(url: str, on_line, what: str = "feed", udp_port: int = 10110):
    """The receiver for ``tcp://host:port`` (client, reconnects) or ``udp://[host]:port``."""
    u = urlparse(url)
    if u.scheme == "tcp":
        return TcpClient(u.hostname, u.port, on_line)
    if u.scheme == "udp":
        return UdpListener(u.port or udp_port, on_line, host=u.hostname or "0.0.0.0")
    raise ValueError(f"unsupported {what} URL {url!r}: use tcp://host:port or udp://:port")


class LiveFeed:
    """Health plus a thread-safe buffer: transports ``push``, the engine ``poll``s."""

    def __init__(self, source_id: str, label: str, stale_after_s: float):
        self.source_id = source_id
        self.label = label
        self.health = FeedHealth(source_id, label=label, stale_after_s=stale_after_s)
        self._events: deque = deque()
        self._lock = threading.Lock()

    def push(self, events: list, messages: int | None = None) -> None:
        if events:
            with self._lock:
                self._events.extend(events)
        self.health.record_messages(len(events) if messages is None else messages)

    def poll(self) -> list:
        with self._lock:
            out = list(self._events)
            self._events.clear()
        return out


class LineFeed(LiveFeed):
    """A feed of text lines over TCP or UDP; subclasses ``parse`` one line into events."""

    what = "feed"

    def __init__(self, url: str, source_id: str, label: str | None, stale_after_s: float):
        super().__init__(source_id, label or url, stale_after_s)
        self.transport = line_transport(url, self.on_line, self.what)

    def parse(self, line: str, arrival: float) -> list:
        raise NotImplementedError

    def on_line(self, line: str, arrival: float) -> None:
        if line.strip():
            self.push(self.parse(line, arrival))

    def start(self) -> None:
        self.transport.start()

    def stop(self) -> None:
        self.transport.stop()


class HttpFeed(LiveFeed):
    """A document fetched from an HTTP URL every ``interval_s``; subclasses ``handle`` the
    body. A failed fetch is counted (``http_error``), logged once and once recovered."""

    def __init__(self, url: str, interval_s: float, source_id: str, label: str | None,
                 stale_after_s: float, timeout_s: float = 10.0):
        super().__init__(source_id, label or url, stale_after_s)
        self.url, self.interval_s, self.timeout_s = url, interval_s, timeout_s
        self.state = "waiting"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def handle(self, body: bytes, now: float) -> int:
        raise NotImplementedError

    def fetch(self) -> int:
        """One fetch now; returns what ``handle`` says it handed on."""
        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout_s) as response:
                body = response.read()
        except OSError as exc:
            self.health.record_reject("http_error", f"{type(exc).__name__}: {exc}")
            if not self._failing:
                log.warning("%s: %s", self.url, exc)
                self._failing = True
            self.state = "reconnecting"
            return 0
        if self._failing:
            log.info("%s: recovered", self.url)
            self._failing = False
        self.state = "connected"
        return self.handle(body, time.time())

    def _run(self) -> None:
        while not self._stop.is_set():
            self.fetch()
            self._stop.wait(self.interval_s)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.source_id, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
