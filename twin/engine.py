"""The engine: pulls events from the feeds and applies them to the twin, in a background thread.

``step()`` does one round synchronously (tests and the CLI use it); ``start()`` runs it every
``tick_s`` in a daemon thread of the Dash process. A failing round is logged once, counted and
retried; the engine never stops on bad data. With a ``PortActivity`` the round's positions also
go through the port-call tracker, and at the end of the round its rows go to the history
writer (``twin.history_writer``: committed on a thread of its own while the engine runs, at
once when it is stepped by hand).

Snapshots are published by the engine thread: at the end of every round the state's columns
are copied into an immutable ``FleetSnapshot`` and swapped in whole, so ``snapshot()`` on a web
request's thread only reads the latest one — it never takes the state's lock or builds one
(while the thread runs; an engine stepped by hand builds one when asked after its age).
"""
from __future__ import annotations

import logging
import math
import threading
import time

from . import heap
from .state import FleetSnapshot, FleetState

log = logging.getLogger(__name__)


class Engine:
    def __init__(self, sources: list, state: FleetState | None = None, tick_s: float = 0.5,
                 snapshot_max_age_s: float = 0.5, wall_clock=time.monotonic,
                 activity=None, models: list = (), admission=None):
        if not sources:
            raise ValueError("the engine needs at least one source")
        self.sources = sources
        self.state = state or FleetState()
        self.activity = activity        # port calls + history store (twin.activity), optional
        # more of the twin fed by the same events: radar fusion, hydro-met, berth plan …
        # (each has ``apply(events)``; the alert rules read them in the round's tick)
        self.models = list(models)
        # plausibility checks between the feeds and the model (twin.admission); None: all in
        self.admission = admission
        self._now = float("-inf")
        self.feeds = None               # twin.feeds.Feeds: fusion, hydro-met, plan (views read)
        self.tick_s = tick_s
        self.snapshot_max_age_s = snapshot_max_age_s
        self.wall_clock = wall_clock
        self.errors = 0
        self.last_error: str | None = None
        self._failing = False
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._snapshot: FleetSnapshot | None = None
        self._snapshot_at = -1e18
        self._snapshot_lock = threading.Lock()
        self._last_expire = -1e18
        self._last_trim = -1e18
        self._step_lock = threading.Lock()
        self.twin_id: str | None = None            # made when the twin starts (callbacks.ops)
        # wall time (epoch s) when the last round completed; None before the first. /readyz
        # reads its age: a stalled engine thread shows as a stale twin, not as "up".
        self.last_round_wall: float | None = None
        self._rounds = 0
        self._round_seconds = 0.0
        # called with the engine after each round (the twin service publishes its image);
        # a hook that fails is logged, the round stands
        self.after_round: list = []

    @property
    def primary(self):
        return self.sources[0]

    def now(self) -> float:
        """The twin's time (epoch s UTC): the replay clock, or the wall clock for live feeds.
        Monotone and always finite: a clock that says NaN, ∞ or an earlier time is not
        followed (the last good time stays)."""
        data_time = getattr(self.primary, "data_time", None)
        try:
            t = float(data_time() if data_time else time.time())
        except (TypeError, ValueError, OverflowError):
            t = float("nan")
        if math.isfinite(t) and t > self._now:
            self._now = t
        return self._now if math.isfinite(self._now) else time.time()

    def display_time(self) -> float:
        """The time to show people: for a replay, the time in the original recording."""
        position = getattr(self.primary, "position", None)
        return position()["recording_time"] if position else self.now()

    def step(self) -> int:
        """Poll every source once and apply what arrived; returns the number of events."""
        applied = 0
        with self._step_lock:
            started = time.perf_counter()
            events = []
            for source in self.sources:
                events.extend(source.poll())
            now = self.now()
            if events and self.admission is not None:
                events = self.admission.admit(events, now)
            if events:
                # the models first (a berth plan or a radar scan of this round is known when
                # the round's AIS fixes reach the alert rules), then the fleet and port calls
                for model in self.models:
                    model.apply(events)
                self.state.apply(events)
                if self.activity is not None:
                    self.activity.apply(events)
                applied = len(events)
            now = self.now()
            if self.activity is not None:
                self.activity.tick(now)       # alerts on pairs and silences
                self.activity.flush(now)      # one transaction per round
            if now - self._last_expire > 60:  # a minute of the twin's time
                self.state.expire(now)
                if self.admission is not None:
                    self.admission.expire(now, self.state.expire_s)
                self._last_expire = now
            wall = self.wall_clock()
            if wall - self._last_trim > 60:   # a minute of the machine's (a fast replay's
                heap.trim()                   # minutes are not): freed memory back to the system
                self._last_trim = wall
            self._publish(now)
            self._rounds += 1
            self._round_seconds += time.perf_counter() - started
            self.last_round_wall = time.time()
        for hook in self.after_round:
            try:
                hook(self)
            except Exception:
                log.exception("after-round hook %r failed", hook)
        return applied

    def round_stats(self) -> tuple[int, float]:
        """(rounds completed, seconds spent in them) since start: /metrics reads them."""
        return self._rounds, self._round_seconds

    def _publish(self, now: float) -> None:
        """Build the round's snapshot here, on the engine thread, and swap it in (one
        assignment: a reader has the old one or the new one, never half of either)."""
        last = self._snapshot
        if last is not None and last.version == self.state.version and last.time == now:
            return
        snap = self.state.snapshot(now)
        with self._snapshot_lock:
            self._snapshot, self._snapshot_at = snap, self.wall_clock()

    def _safe_step(self) -> None:
        try:
            self.step()
            if self._failing:
                log.info("engine recovered")
                self._failing = False
        except Exception as exc:  # keep the twin alive; say so once, not every tick
            self.errors += 1
            try:
                self._publish(self.now())         # what was applied before the failure
            except Exception:
                pass
            self.last_error = f"{type(exc).__name__}: {exc}"
            if not self._failing:
                log.exception("engine step failed; retrying every %.1f s", self.tick_s)
                self._failing = True

    def _run(self) -> None:
        while not self._stop.wait(self.tick_s):
            self._safe_step()

    def start(self) -> "Engine":
        """Start the clocks, apply the first round here (so the first page has a picture), then
        keep stepping in a daemon thread."""
        if self._thread is None:
            heap.limit_arenas()               # before the engine's, readers' and web threads
            heap.tune_collector()             # a round's objects: not walked twice a round
            if self.activity is not None:     # history commits on a thread of their own:
                self.activity.start_writer()  # a store that is away never holds up a round
            for source in self.sources:
                if hasattr(source, "start"):
                    source.start()
            self._safe_step()
            self._thread = threading.Thread(target=self._run, name="porttwin-engine", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop stepping; then write the tracker's state of every vessel that changed since
        its last checkpoint (a clean stop resumes exactly where it stopped, a crash from the
        stored resume point)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self.activity is not None and self._step_lock.acquire(timeout=timeout):
            try:
                self.activity.flush(self.now(), checkpoint_all=True)
            except Exception:
                log.exception("final checkpoint failed")
            finally:
                self._step_lock.release()
            self.activity.stop_writer(timeout)     # what waits is committed, then it stops

    def snapshot(self) -> FleetSnapshot:
        """The latest published snapshot (shared by every view). While the engine thread runs
        this is a read: the thread publishes one a round. Before the first round, or for an
        engine stepped by hand (tests, the CLI), one is built here when the last is older than
        ``snapshot_max_age_s``."""
        snap = self._snapshot
        if snap is not None and self._thread is not None and self._thread.is_alive():
            return snap
        with self._snapshot_lock:
            wall = self.wall_clock()
            if self._snapshot is None or wall - self._snapshot_at >= self.snapshot_max_age_s:
                self._snapshot = self.state.snapshot(self.now())
                self._snapshot_at = wall
            return self._snapshot

    def feed_health(self) -> list[dict]:
        """Every source's health, then the slots of feeds this deployment has no source for
        (shown empty, never invented)."""
        slots = getattr(getattr(self, "feeds", None), "slots", [])
        return [s.health.status() for s in self.sources] + [dict(s) for s in slots]
