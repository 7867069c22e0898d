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
from .supervisor import Supervisor
from .transport import TcpClient, UdpListener

log = logging.getLogger(__name__)


def line_transport(url: str, on_line, what: str = "feed", udp_port: int = 10110,
                   health: FeedHealth | None = None, group: str | None = None,
                   streams: bool = False, on_lines=None):
    """The receiver for ``tcp://host:port`` (client, reconnects) or ``udp://[host]:port``;
    its connection state and the lines it could not handle are kept in ``health``. With
    ``streams`` (AIS), also ``redis://…?partitions=N``: the partitioned Redis Streams of feed
    readers, read as consumer group ``group`` (``data_sources.streams``). ``on_lines``: a
    handler of all the lines of one read at once, used instead of ``on_line`` when given."""
    u = urlparse(url)
    if u.scheme == "tcp":
        return TcpClient(u.hostname, u.port, on_line, health=health, on_lines=on_lines)
    if u.scheme == "udp":
        return UdpListener(u.port or udp_port, on_line, host=u.hostname or "0.0.0.0",
                           health=health, on_lines=on_lines)
    if streams:
        from .streams import StreamReader, is_stream_url
        if is_stream_url(url):
            return StreamReader(url, on_line, group=group, health=health, on_lines=on_lines)
        raise ValueError(f"unsupported {what} URL {url!r}: use tcp://host:port, udp://:port "
                         "or redis://host:port/db?partitions=N")
    raise ValueError(f"unsupported {what} URL {url!r}: use tcp://host:port or udp://:port")


class LiveFeed:
    """Health plus a thread-safe buffer: transports ``push``, the engine ``poll``s. The buffer
    holds at most ``max_buffer`` events: past that the oldest go, counted (``buffer_overflow``)."""

    max_buffer = 200_000

    def __init__(self, source_id: str, label: str, stale_after_s: float):
        self.source_id = source_id
        self.label = label
        self.health = FeedHealth(source_id, label=label, stale_after_s=stale_after_s)
        self._events: deque = deque()
        self._lock = threading.Lock()

    def push(self, events: list, messages: int | None = None) -> None:
        overflow = 0
        if events:
            with self._lock:
                self._events.extend(events)
                overflow = len(self._events) - self.max_buffer
                for _ in range(max(0, overflow)):
                    self._events.popleft()
        if overflow > 0:
            self.health.record_reject("buffer_overflow", f"{overflow} oldest events dropped")
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
        self.transport = line_transport(url, self.on_line, self.what, health=self.health)

    def parse(self, line: str, arrival: float) -> list:
        raise NotImplementedError

    def on_line(self, line: str, arrival: float) -> None:
        """One line (the transport's guard counts anything ``parse`` raises and goes on)."""
        if line.strip():
            self.push(self.parse(line, arrival))

    def start(self) -> None:
        self.transport.start()

    def stop(self) -> None:
        self.transport.stop()


class HttpFeed(LiveFeed):
    """A document fetched from an HTTP URL every ``interval_s``; subclasses ``handle`` the
    body. A failed fetch is counted (``http_error``), logged once and once recovered; a
    document that ``handle`` cannot take (anything it raises) is counted (``bad_document``,
    with the URL) and the next fetch comes as usual; a body over ``max_bytes`` is refused
    (``document_too_large``). The polling loop runs under a ``Supervisor``."""

    max_bytes = 32 * 1024 * 1024

    def __init__(self, url: str, interval_s: float, source_id: str, label: str | None,
                 stale_after_s: float, timeout_s: float = 10.0):
        super().__init__(source_id, label or url, stale_after_s)
        self.url, self.interval_s, self.timeout_s = url, interval_s, timeout_s
        self.state = "waiting"
        self._supervisor: Supervisor | None = None
        self._failing = False

    def handle(self, body: bytes, now: float) -> int:
        raise NotImplementedError

    def _set_state(self, state: str, error: str | None = None) -> None:
        self.state = state
        self.health.set_connection(state, error)

    def fetch(self) -> int:
        """One fetch now; returns what ``handle`` says it handed on (0 when it failed)."""
        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout_s) as response:
                body = response.read(self.max_bytes + 1)
        except Exception as exc:             # OSError, http.client.HTTPException, ValueError…
            detail = f"{self.url}: {type(exc).__name__}: {exc}"[:300]
            self.health.record_reject("http_error", detail)
            if not self._failing:
                log.warning("%s", detail)
                self._failing = True
            self._set_state("reconnecting", detail)
            return 0
        if self._failing:
            log.info("%s: recovered", self.url)
            self._failing = False
        self._set_state("connected")
        if len(body) > self.max_bytes:
            self.health.record_reject("document_too_large",
                                      f"{self.url}: over {self.max_bytes} bytes")
            return 0
        try:
            return self.handle(body, time.time())
        except Exception as exc:             # a document it cannot take: count it, go on
            self.health.record_reject("bad_document",
                                      f"{self.url}: {type(exc).__name__}: {exc}"[:300])
            return 0

    def _loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.fetch()
            stop.wait(self.interval_s)

    def start(self) -> None:
        if self._supervisor is None:
            self._supervisor = Supervisor(self.source_id, self._loop,
                                          on_failure=lambda e: self._set_state("failed", e))
            self._supervisor.start()

    def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.stop(5)
