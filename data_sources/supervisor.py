"""One small supervisor for every reader: no exception ends a feed.

Two layers, used by every transport and poller (TCP, UDP, HTTP, MQTT; AIS, VTS, cargo,
hydro-met, berth plan):

* ``guard(handler, on_error)`` wraps the handling of **one** line or document: whatever it
  raises becomes a counted reject (``internal_error``, with where it came from) and the reader
  goes on with the next one;
* ``Supervisor`` runs the reader's loop in a daemon thread; if the loop itself raises, the
  failure is logged once, counted, reported as the connection state ``failed`` and the loop is
  started again after a capped backoff (``backoff_s`` doubling to ``max_backoff_s``).

Like Home Assistant's update coordinator it logs a failure once and "recovered" once.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

log = logging.getLogger(__name__)


def guard(handler: Callable, on_error: Callable[[str, str], None], where: str) -> Callable:
    """``handler`` that never raises: an exception is passed to ``on_error(reason, detail)``."""
    def guarded(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except Exception as exc:          # one bad input must not end the reader
            on_error("internal_error", f"{where}: {type(exc).__name__}: {exc}"[:300])
            return None
    return guarded


class Supervisor:
    """Runs ``loop(stop_event)`` in a daemon thread until ``stop()``; restarts it when it raises
    or returns while not stopped: at once after a loop that had run ``healthy_after_s``, then
    after ``backoff_s`` doubling to ``max_backoff_s`` while it keeps failing."""

    def __init__(self, name: str, loop: Callable[[threading.Event], None],
                 on_failure: Callable[[str], None] | None = None,
                 backoff_s: float = 0.25, max_backoff_s: float = 2.0,
                 healthy_after_s: float = 5.0):
        self.name = name
        self.loop = loop
        self.on_failure = on_failure or (lambda error: None)
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.healthy_after_s = healthy_after_s
        self.restarts = 0
        self.last_error: str | None = None
        self.stop_event = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Supervisor":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        delay = 0.0                               # the first retry: at once
        while not self.stop_event.is_set():
            started = time.monotonic()
            try:
                self.loop(self.stop_event)
            except Exception as exc:             # the reader itself failed: restart it
                self.restarts += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                if self.restarts == 1 or self.restarts % 100 == 0:
                    log.exception("%s failed (%d); restarting", self.name, self.restarts)
                try:
                    self.on_failure(self.last_error)
                except Exception:
                    log.exception("%s: failure handler", self.name)
            if self.stop_event.is_set():
                break
            if time.monotonic() - started > self.healthy_after_s:
                delay = 0.0                       # it had been running: retry at once
            self.stop_event.wait(delay)
            delay = min(max(delay * 2, self.backoff_s), self.max_backoff_s)
