"""Calls from web request threads into a database that may hang, bounded.

A PostgreSQL that hangs — a server stopped or wedged, a network that black-holes after the
handshake — keeps a query waiting for good: the kernel still acknowledges what is sent, so
neither TCP keepalives nor ``tcp_user_timeout`` end it, and libpq has no read timeout. A web
worker has a few request threads (``gunicorn --threads 4``); a request that waits on such a
server holds one of them, and a handful of them (every signed-in request asks who its user is:
``twin.accounts``) leave no thread for the walls.

``StoreGuard.call`` runs a call on a thread of its own and waits at most ``timeout_s`` for it:

* at most ``slots`` calls are in flight at once (a call that never returns keeps its slot);
  with every slot taken, a call is refused at once — ``StoreUnavailable`` with
  ``started=False``;
* a call that runs past ``timeout_s`` or fails to reach the database (a connection error) marks
  the store *down*: for ``retry_s`` every call is refused at once, then one call tries again;
  the caller gets ``StoreUnavailable`` (``started=True`` when its call is still running and may
  yet finish);
* other errors (a bad query, a bad argument) are the caller's and raised as they are.

The change of state is logged once each way (down, and back after N s) and counted
(``status()``: /metrics and /readyz). The thread a hung call runs on is a daemon: it never
holds up the worker's exit.
"""
from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)


class StoreUnavailable(RuntimeError):
    """The store did not answer (or is known not to, for a few seconds). ``started``: the call
    was started and may still finish (False: it never ran)."""

    def __init__(self, store: str, why: str, started: bool = False):
        super().__init__(f"{store} store not answering: {why}")
        self.store = store
        self.why = why
        self.started = started


def is_connection_error(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached or the connection broke (not
    that the query was wrong): SQLAlchemy's and the drivers' operational errors and
    connection invalidations, the pool's timeout, a socket's error."""
    from sqlalchemy import exc as sa_exc
    if isinstance(exc, sa_exc.DBAPIError):
        return bool(exc.connection_invalidated) or isinstance(exc, (sa_exc.OperationalError,
                                                                  sa_exc.InterfaceError))
    if isinstance(exc, (sa_exc.TimeoutError, ConnectionError, TimeoutError)):
        return True
    try:
        import psycopg
        return isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError))
    except ImportError:                                 # pragma: no cover - in requirements
        return False


class StoreGuard:
    def __init__(self, name: str, *, slots: int = 2, timeout_s: float = 10.0,
                 retry_s: float = 10.0, clock=time.monotonic):
        self.name = name
        self.slots = max(1, int(slots))
        self.timeout_s = float(timeout_s)
        self.retry_s = float(retry_s)
        self.clock = clock
        self._free = threading.BoundedSemaphore(self.slots)
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._probing = False
        self.in_flight = 0
        self.refused = 0                # calls refused at once (down, or every slot taken)
        self.timeouts = 0               # calls that ran past their time
        self.failures = 0               # calls that could not reach the database
        self.last_error: str | None = None

    # ---- state ---------------------------------------------------------------------------
    @property
    def up(self) -> bool:
        return self._down_since is None

    def status(self) -> dict:
        with self._lock:
            down = self._down_since
            return {"store": self.name, "up": down is None,
                    "down_s": None if down is None else round(self.clock() - down, 1),
                    "in_flight": self.in_flight, "slots": self.slots,
                    "refused": self.refused, "timeouts": self.timeouts,
                    "failures": self.failures, "last_error": self.last_error}

    def _admit(self) -> None:
        """Refuse at once while down (one call tries again every ``retry_s``) or when every
        slot is taken; else take a slot."""
        with self._lock:
            if self._down_since is not None:
                now = self.clock()
                if self._probing or now < self._retry_at:
                    self.refused += 1
                    raise StoreUnavailable(self.name, f"down for {now - self._down_since:.0f} s"
                                           f" ({self.last_error})")
                self._probing = True                    # this call tries again
            if not self._free.acquire(blocking=False):
                self._probing = False
                self.refused += 1
                raise StoreUnavailable(self.name, f"{self.slots} calls already waiting on it")
            self.in_flight += 1

    def _went_down(self, why: str) -> None:
        with self._lock:
            now = self.clock()
            self.last_error = why
            self._retry_at = now + self.retry_s
            self._probing = False
            if self._down_since is None:
                self._down_since = now
                log.warning("%s store not answering (%s): calls refused, tried again every "
                            "%.0f s", self.name, why, self.retry_s)

    def _went_up(self) -> None:
        with self._lock:
            self._probing = False
            if self._down_since is not None:
                log.warning("%s store back after %.0f s", self.name,
                            self.clock() - self._down_since)
                self._down_since = None

    # ---- calling -------------------------------------------------------------------------
    def call(self, fn, *args, timeout_s: float | None = None, **kwargs):
        """``fn(*args, **kwargs)`` on a thread of its own, waited for at most ``timeout_s``
        (the guard's by default). Raises ``StoreUnavailable`` as the module says."""
        self._admit()
        box: dict = {}
        handoff = threading.Lock()          # who settles a call that ends as it times out
        done = threading.Event()

        def run():
            try:
                box["value"] = fn(*args, **kwargs)
            except BaseException as exc:          # handed to the caller (or settled here, late)
                box["error"] = exc
            finally:
                with self._lock:
                    self.in_flight -= 1
                self._free.release()
                with handoff:
                    box["finished"] = True
                    late = box.get("late", False)
                done.set()
                if late:
                    self._settle(box)

        try:
            threading.Thread(target=run, name=f"porttwin-{self.name}-call", daemon=True).start()
        except BaseException:                # no thread (the process's limit): the slot back
            with self._lock:
                self.in_flight -= 1
                self._probing = False
            self._free.release()
            raise
        wait = self.timeout_s if timeout_s is None else float(timeout_s)
        if not done.wait(wait):
            with handoff:
                late = box["late"] = not box.get("finished", False)
            if late:
                with self._lock:
                    self.timeouts += 1
                self._went_down(f"no answer in {wait:.0f} s")
                raise StoreUnavailable(self.name, f"no answer in {wait:.0f} s", started=True)
        return self._settle(box)

    def _settle(self, box: dict):
        """The outcome of a finished call: its value, or its error (a connection error marks
        the store down; any answer from the database marks it up)."""
        exc = box.get("error")
        if exc is None:
            self._went_up()
            return box.get("value")
        if is_connection_error(exc):
            with self._lock:
                self.failures += 1
            self._went_down(f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
                            if str(exc) else type(exc).__name__)
            if box.get("late"):
                return None
            raise StoreUnavailable(self.name, self.last_error or "connection error",
                                   started=True) from exc
        self._went_up()                              # the database answered: it is up
        if box.get("late"):
            return None
        raise exc


class GuardedStore:
    """A history store whose public methods, called from the web, go through a
    ``StoreGuard`` (reads: reports, a vessel's track, playback, the wall's history summary).
    Attributes that are not methods are the store's own."""

    def __init__(self, store, guard: StoreGuard):
        self._store = store
        self.guard = guard

    def __getattr__(self, name: str):
        value = getattr(self._store, name)
        if name.startswith("_") or not callable(value):
            return value
        guard = self.guard

        def guarded(*args, **kwargs):
            return guard.call(value, *args, **kwargs)
        guarded.__name__ = name
        guarded.__doc__ = getattr(value, "__doc__", None)
        return guarded
