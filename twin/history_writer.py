"""The live twin's history writes, off the engine's round.

The engine hands each round's rows (``history.round_rows``, built on its own thread) to a
``HistoryWriter``. Started (``start()``: a running twin, ``Engine.start``), the writer commits
them on a thread of its own, in the order they came, one transaction per commit: a history
store that is slow, restarting, unreachable or hung (a PostgreSQL server that accepted the
connection and never answers) holds up that thread only — the twin's picture, its alerts and
its port calls go on. Not started (a twin stepped by hand: tests, ``bench ingest``, the
CLI), ``submit`` commits at once, on the caller's thread, as the engine always did.

While the store is away, the rounds handed over wait merged in one ``PendingWrites``: of
calls, tracker states, alerts and static data only the latest version of each, so only
positions accumulate; past ``max_positions`` the oldest positions go, counted
(``positions_dropped``) and said once a minute with the data time they reach — memory stays
bounded however long the outage. A failed commit is tried again (1 s, then doubling to 30 s), said once when the
store goes away and once when it is back; nothing already committed is touched.

``status()`` is what /metrics and the twin's /readyz show of it: rows waiting, commits,
failures, positions dropped, seconds since the last commit, and since when it has failed.
"""
from __future__ import annotations

import logging
import threading
import time

from .history import PendingWrites

log = logging.getLogger(__name__)

# position rows kept while the store is away (a row is ~250 bytes in memory: ~125 MB)
MAX_POSITIONS = 500_000
RETRY_S = (1.0, 30.0)              # first and longest wait before a failed commit is retried


class HistoryWriter:
    def __init__(self, store, source: str, max_positions: int = MAX_POSITIONS,
                 prune_max_share: float | None = 0.05, retry_s: tuple = RETRY_S):
        self.store = store
        self.source = source
        self.max_positions = int(max_positions)
        self.prune_max_share = prune_max_share
        self.retry_s = retry_s
        self._pending = PendingWrites(source)
        self._in_flight = 0                    # rows of the commit under way
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)   # pending or in flight changed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.commits = 0
        self.rows_written = 0
        self.errors = 0                        # commits that failed
        self.positions_dropped = 0
        self._dropped_said = float("-inf")
        self.last_error: str | None = None
        self.last_commit_wall: float | None = None      # epoch s
        self.failing_since: float | None = None         # epoch s of the first failure
        self.in_flight_since: float | None = None       # epoch s the commit under way began

    # ---- the engine's side ----------------------------------------------------------------
    def submit(self, rows: PendingWrites) -> bool:
        """Hand over a round's rows. Started: queued, returns True. Not started: committed
        now; False when that failed (the rows wait for the next submit)."""
        with self._lock:
            self._pending.merge(rows)
            self._bound()
            if self._running():
                self._changed.notify_all()
                return True
        return self._commit_pending()

    @property
    def rows_waiting(self) -> int:
        """Rows handed over and not committed yet (in the commit under way too)."""
        with self._lock:
            return self._pending.rows() + self._in_flight

    def _running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _bound(self) -> None:
        """(under the lock) the oldest positions past ``max_positions`` dropped, said."""
        dropped = self._pending.keep_positions(self.max_positions)
        if dropped:
            self.positions_dropped += len(dropped)
            wall = time.monotonic()
            if wall - self._dropped_said >= 60:    # said once a minute, not every round
                self._dropped_said = wall
                log.error("history store away: oldest positions not kept, up to data time "
                          "%.0f (%d since start; at most %d wait)", dropped[-1][1],
                          self.positions_dropped, self.max_positions)

    # ---- committing -------------------------------------------------------------------------
    def _commit_pending(self) -> bool:
        with self._lock:
            if self._pending.empty():
                return True
            take, self._pending = self._pending, PendingWrites(self.source)
            self._in_flight = take.rows()
            self.in_flight_since = time.time()
        try:
            if take.rows():
                self.store.commit(take)
        except Exception as exc:
            with self._lock:
                # what came meanwhile is newer: it goes after the rows that failed
                self._pending = take.merge(self._pending)
                self._bound()
                self._in_flight = 0
                self.in_flight_since = None
                self._changed.notify_all()
            self.errors += 1
            self.last_error = f"{type(exc).__name__}: {exc}"[:300]
            if self.failing_since is None:
                self.failing_since = time.time()
                log.error("history store write failed (%s); keeping the rounds and trying "
                          "again", self.last_error)
            return False
        if take.prune_at is not None:          # retention: its own transaction, after
            try:
                self.store.prune(self.source, take.prune_at, self.prune_max_share)
            except Exception:
                log.exception("history retention failed")
        with self._lock:
            self.commits += 1 if take.rows() else 0
            self.rows_written += take.rows()
            self.last_commit_wall = time.time()
            self._in_flight = 0
            self.in_flight_since = None
            self._changed.notify_all()
        if self.failing_since is not None:
            log.warning("history store back after %.0f s: %d rows written",
                        time.time() - self.failing_since, take.rows())
            self.failing_since = None
        return True

    def _run(self) -> None:
        delay = self.retry_s[0]
        while not self._stop.is_set():
            with self._lock:
                while self._pending.empty() and not self._stop.is_set():
                    self._changed.wait(1.0)
            if self._stop.is_set():
                break
            if self._commit_pending():
                delay = self.retry_s[0]
            else:
                self._stop.wait(delay)
                delay = min(self.retry_s[1], delay * 2)

    # ---- start and stop -------------------------------------------------------------------
    def start(self) -> "HistoryWriter":
        if not self._running():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="porttwin-history",
                                            daemon=True)
            self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Until every row handed over is committed (True), or ``timeout`` s (False). Not
        started: one more try now."""
        if not self._running():
            return self._commit_pending()
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while not (self._pending.empty() and not self._in_flight):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._changed.wait(left if left is None else min(left, 1.0))
        return True

    def stop(self, timeout: float = 10.0) -> bool:
        """Commit what waits (at most ``timeout`` s), then stop the thread. False, and said,
        when rows were left unwritten (the store stayed away)."""
        done = self.wait(timeout)
        self._stop.set()
        with self._lock:
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        if not done:
            log.error("history writer stopped with %d rows unwritten (%d positions): the "
                      "store was away", self._pending.rows(), len(self._pending.positions))
        return done

    # ---- what it says -----------------------------------------------------------------------
    def status(self, now_wall: float | None = None) -> dict:
        now_wall = time.time() if now_wall is None else now_wall
        with self._lock:
            p = self._pending
            waiting = p.rows() + self._in_flight
            positions, calls, states = len(p.positions), len(p.calls), len(p.states)
        return {"rows_waiting": waiting, "positions_waiting": positions,
                "calls_waiting": calls, "states_waiting": states,
                "commits": self.commits, "rows_written": self.rows_written,
                "errors": self.errors, "positions_dropped": self.positions_dropped,
                "last_error": self.last_error,
                "last_commit_age_s": None if self.last_commit_wall is None
                else round(now_wall - self.last_commit_wall, 3),
                "failing_s": None if self.failing_since is None
                else round(now_wall - self.failing_since, 3),
                "commit_running_s": None if self.in_flight_since is None
                else round(now_wall - self.in_flight_since, 3),
                "threaded": self._running()}
