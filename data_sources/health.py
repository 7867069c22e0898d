"""Feed health: one small object per feed that the feed-health panel reads.

Modelled on Home Assistant's update coordinator: the feed records what happened (messages,
rejects by reason, last error) and the views never guess staleness themselves; they ask
``status()``.
"""
from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field


@dataclass
class FeedHealth:
    source_id: str
    label: str = ""
    stale_after_s: float = 60.0     # no message for this long -> "stale"
    rate_window_s: float = 60.0     # messages per second is averaged over this window
    clock: callable = time.monotonic

    messages: int = 0
    rejects: Counter = field(default_factory=Counter)
    notes: Counter = field(default_factory=Counter)   # used with a remark: duplicates merged …
    last_message_at: float | None = None  # clock() of the last accepted message
    last_error: str | None = None
    last_error_at: float | None = None
    # the transport's connection: None (a replay, a file), "connected", "reconnecting",
    # "failed"; since when (wall clock, epoch s) and why
    connection: str | None = None
    connection_since: float | None = None
    connection_error: str | None = None
    reconnects: int = 0
    _recent: deque = field(default_factory=deque, repr=False)  # (clock time, count)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record_messages(self, count: int, now: float | None = None) -> None:
        if count <= 0:
            return
        now = self.clock() if now is None else now
        with self._lock:
            self.messages += count
            self.last_message_at = now
            recent = self._recent
            # counts gathered in tenths of a second: the rate window holds at most 10 × its
            # seconds entries, however many messages a second a feed brings
            if recent and now - recent[-1][0] < 0.1:
                recent[-1] = (recent[-1][0], recent[-1][1] + count)
            else:
                recent.append((now, count))
                self._trim(now)

    def record_reject(self, reason: str, detail: str | None = None, now: float | None = None,
                      count: int = 1) -> None:
        """Count a rejected input (``count`` of them: entries a stream lost at once) by
        reason; keep the latest detail as the last error."""
        now = self.clock() if now is None else now
        with self._lock:
            self.rejects[reason] += count
            self.last_error = f"{reason}: {detail}" if detail else reason
            self.last_error_at = now

    def set_connection(self, state: str, error: str | None = None) -> None:
        """The transport says how its connection stands; a change restarts ``since``."""
        with self._lock:
            if state != self.connection:
                if state == "connected" and self.connection in ("reconnecting", "failed"):
                    self.reconnects += 1
                self.connection = state
                self.connection_since = time.time()
            if error is not None or state == "connected":
                self.connection_error = error

    def record_note(self, reason: str, detail: str | None = None) -> None:
        """Count something worth knowing about input that was still handled (not a reject)."""
        with self._lock:
            self.notes[reason] += 1

    def _trim(self, now: float) -> None:
        while self._recent and self._recent[0][0] < now - self.rate_window_s:
            self._recent.popleft()

    def status(self, now: float | None = None) -> dict:
        """A plain dict for views and the API: counts, rate, age of last message, state."""
        now = self.clock() if now is None else now
        with self._lock:
            self._trim(now)
            in_window = sum(c for _, c in self._recent)
            # Before a full window has passed, average over the time actually observed.
            span = self.rate_window_s
            if self._recent:
                span = min(self.rate_window_s, max(1.0, now - self._recent[0][0]))
            age = None if self.last_message_at is None else max(0.0, now - self.last_message_at)
            if self.connection in ("reconnecting", "failed"):
                state = self.connection       # a dropped link is not "live" for a minute
            elif age is None:
                state = "waiting"
            elif age > self.stale_after_s:
                state = "stale"
            else:
                state = "live"
            return {
                "source": self.source_id,
                "label": self.label,
                "state": state,
                "messages": self.messages,
                "rate_per_s": in_window / span if self._recent else 0.0,
                "last_message_age_s": age,
                "rejects": dict(self.rejects),
                "notes": dict(self.notes),
                "rejected": sum(self.rejects.values()),
                "last_error": self.last_error,
                "connection": self.connection,
                "connection_since": self.connection_since,
                "connection_error": self.connection_error,
                "reconnects": self.reconnects,
            }
