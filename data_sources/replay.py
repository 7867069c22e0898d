"""Replay a recording of events against a clock: speed x1 by default, looping at the end.

The replay hands out events whose (shifted) time has come. Each pass through the recording is
shifted by one recording period so time seen by the twin only moves forward; a
``ReplayRestarted`` event marks each new pass so the twin can cut trails there.
"""
from __future__ import annotations

import bisect
import dataclasses
import math
import time
from typing import Callable, Sequence

from .events import ReplayRestarted
from .health import FeedHealth


class NoSource:
    """The AIS slot of a deployment that names no feed and whose port package names no
    recording: it hands out nothing, and the feed panel shows the slot empty ("no source")
    instead of the twin replaying another port's recording. The twin runs on the wall clock;
    the history views work as ever."""

    live = False

    def __init__(self, source_id: str = "ais", label: str = "ais_none"):
        self.source_id, self.label = source_id, label
        self.health = _NoFeedHealth(source_id, label=label)

    def poll(self, now: float | None = None) -> list:
        return []


class _NoFeedHealth(FeedHealth):
    def status(self, now: float | None = None) -> dict:
        return {**super().status(now), "state": "none"}


class ReplaySource:
    def __init__(
        self,
        events: Sequence,
        *,
        source_id: str,
        label: str,
        speed: float = 1.0,
        loop: bool = True,
        warmup_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        health: FeedHealth | None = None,
        span: tuple[float, float] | None = None,
    ):
        if not events and span is None:
            raise ValueError(f"replay {source_id!r} has no events to play")
        if speed <= 0:
            raise ValueError(f"replay speed must be positive, got {speed}")
        self.events = sorted(events, key=lambda e: e.ts)
        self.source_id = source_id
        self.label = label
        self.speed = float(speed)
        self.loop = loop
        self.clock = clock
        self.health = health or FeedHealth(source_id, label=label, clock=clock)
        # ``span``: replay on another recording's clock (radar simulated over an AIS hour, a
        # plan issued before it): same start, same period, so passes stay in step
        self.start_ts, self.end_ts = span if span else (self.events[0].ts, self.events[-1].ts)
        # One second after the last record the next pass begins.
        self.period = self.end_ts - self.start_ts + 1.0
        # Warm-up: the first ``warmup_s`` of data are handed out at once on the first poll,
        # so the picture is populated at start instead of filling in over minutes.
        self.warmup_s = min(max(0.0, warmup_s), self.period)
        self._started_at: float | None = None
        self._origin = self.start_ts + self.warmup_s     # data time at start()
        self._next = 0
        self._pass = 0

    def resume(self, ts: float, replay_from: float | None = None) -> None:
        """Continue at twin time ``ts`` instead of the beginning (after a restart, from the
        history store's watermark). The warm-up window before ``ts`` — and everything after
        ``replay_from`` when that is earlier (the store's resume point: the port-call
        tracker's states are current up to it) — is handed out again on the first poll so
        the picture is populated; the twin ignores what it already has."""
        self._origin = ts
        replay_from = ts - self.warmup_s if replay_from is None else \
            min(ts - self.warmup_s, replay_from)
        self._pass = max(0, int((replay_from - self.start_ts) // self.period))
        shift = self._pass * self.period
        self._next = bisect.bisect_right([e.ts + shift for e in self.events], replay_from)

    def start(self, now: float | None = None) -> None:
        self._started_at = self.clock() if now is None else now

    def data_time(self, now: float | None = None) -> float:
        """Replay time in epoch seconds, increasing across passes (what the twin sees)."""
        if self._started_at is None:
            self.start(now)
        now = self.clock() if now is None else now
        return self._origin + (now - self._started_at) * self.speed

    def pass_end(self, t: float) -> float:
        """When the pass holding twin time ``t`` ends and the recording begins again (∞ for
        a replay that plays once): what a forecast made in the pass can be scored against."""
        if not self.loop:
            return math.inf
        passes = math.floor((t - self.start_ts) / self.period)
        return self.start_ts + (passes + 1) * self.period

    def position(self, now: float | None = None) -> dict:
        """Where the replay is in its recording: original data time, pass number, speed."""
        t = self.data_time(now)
        passes, offset = divmod(t - self.start_ts, self.period)
        return {
            "recording_time": self.start_ts + offset,
            "pass": int(passes) + 1,
            "speed": self.speed,
            "loop": self.loop,
            "finished": not self.loop and t > self.end_ts,
        }

    def poll(self, now: float | None = None) -> list:
        """Events due by ``now`` and not yet handed out, in time order."""
        target = self.data_time(now)
        out: list = []
        n = len(self.events)
        while True:
            shift = self._pass * self.period
            i = self._next
            while i < n and self.events[i].ts + shift <= target:
                event = self.events[i]
                out.append(dataclasses.replace(event, ts=event.ts + shift) if shift else event)
                i += 1
            self._next = i
            if i < n or not self.loop:
                break
            next_pass_start = self.start_ts + (self._pass + 1) * self.period
            if target < next_pass_start:
                break
            self._pass += 1
            self._next = 0
            out.append(ReplayRestarted(ts=next_pass_start, source=self.source_id, loop=self._pass))
        self.health.record_messages(sum(1 for e in out if not isinstance(e, ReplayRestarted)))
        return out
