"""StoreGuard: a call into a store that hangs holds its caller for the guard's time at most,
and while the store is down callers are refused at once (twin/store_guard.py)."""
import threading

import pytest
from sqlalchemy.exc import OperationalError

from twin.store_guard import GuardedStore, StoreGuard, StoreUnavailable


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def _refused(guard, fn=lambda: "ran"):
    with pytest.raises(StoreUnavailable) as err:
        guard.call(fn)
    return err.value


def test_a_hung_call_times_out_then_calls_are_refused_until_a_retry_answers():
    clock, release = Clock(), threading.Event()
    guard = StoreGuard("history", slots=2, timeout_s=0.2, retry_s=10.0, clock=clock)
    assert guard.call(lambda x: x * 2, 21) == 42
    err = _refused(guard, lambda: release.wait(30))
    assert err.started and "no answer" in err.why          # it waited its time, no longer
    assert not guard.up and guard.status()["timeouts"] == 1
    ran = []
    err = _refused(guard, lambda: ran.append(1))           # down: refused without running
    assert not err.started and not ran
    clock.t += 11                                          # retry_s later: one call tries
    assert guard.call(lambda: "back") == "back"
    assert guard.up and guard.status()["refused"] == 1
    release.set()


def test_with_every_slot_held_by_hung_calls_a_call_is_refused_at_once():
    release = threading.Event()
    guard = StoreGuard("accounts", slots=2, timeout_s=0.1, retry_s=0.0)
    for _ in range(2):
        assert _refused(guard, lambda: release.wait(30)).started
    assert guard.status()["in_flight"] == 2
    err = _refused(guard)                                  # retry_s 0: not "down", but full
    assert not err.started and "already waiting" in err.why
    release.set()                                          # the hung calls end: slots free
    for _ in range(100):
        if guard.status()["in_flight"] == 0:
            break
        threading.Event().wait(0.02)
    assert guard.call(lambda: 1) == 1 and guard.up


def test_a_connection_error_marks_the_store_down_and_a_query_error_is_the_callers():
    guard = StoreGuard("history", timeout_s=5.0, retry_s=60.0)

    def bad_query():
        raise ValueError("no such column")
    with pytest.raises(ValueError):
        guard.call(bad_query)
    assert guard.up                                        # the database answered

    def unreachable():
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))
    err = _refused(guard, unreachable)
    assert err.started and isinstance(err.__cause__, OperationalError)
    assert not guard.up and guard.status()["failures"] == 1
    assert not _refused(guard).started


def test_a_guarded_store_runs_its_methods_through_the_guard():
    class Store:
        url = "postgresql://example"

        def positions(self, mmsi):
            return [mmsi]
    guard = StoreGuard("history", timeout_s=5.0)
    store = GuardedStore(Store(), guard)
    assert store.url == "postgresql://example"            # attributes are the store's
    assert store.positions(7) == [7]
    guard._went_down("test")
    guard._retry_at = float("inf")
    with pytest.raises(StoreUnavailable):
        store.positions(7)


def test_a_call_whose_thread_cannot_start_gives_its_slot_back(monkeypatch):
    guard = StoreGuard("accounts", slots=1, timeout_s=1.0, retry_s=10.0)
    real_start = threading.Thread.start

    def no_thread(self):
        raise RuntimeError("can't start new thread")
    monkeypatch.setattr(threading.Thread, "start", no_thread)
    with pytest.raises(RuntimeError, match="new thread"):
        guard.call(lambda: "ran")
    monkeypatch.setattr(threading.Thread, "start", real_start)
    assert guard.call(lambda: "ran") == "ran"              # the one slot is free again
    assert guard.status()["in_flight"] == 0 and guard.up
